use super::DieselStore;
use crate::connection::{DbConnection, on_backend};
use crate::error::query_failed;
use crate::schema::attempt_counters;
use auth_domain::{Counted, NewEvent, StoreError, ThrottleKey, ThrottleState, ThrottleStore};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::Connection;
use diesel::dsl::case_when;
use diesel::prelude::*;
use diesel::upsert::excluded;

impl ThrottleStore for DieselStore {
    fn throttle_state(&self, keys: &[ThrottleKey], now: DateTime<Utc>) -> Result<ThrottleState, StoreError> {
        if keys.is_empty() {
            return Ok(ThrottleState::default());
        }
        let ids: Vec<&str> = keys.iter().map(|k| k.id.as_str()).collect();
        let rows: Vec<(String, NaiveDateTime, Option<NaiveDateTime>)> = attempt_counters::table
            .filter(attempt_counters::id.eq_any(&ids))
            .select((attempt_counters::id, attempt_counters::window_started_at, attempt_counters::blocked_until))
            .load(&mut self.conn()?)
            .map_err(query_failed)?;
        let rows = rows.iter().map(|(id, started, until)| (id.as_str(), started.and_utc(), until.map(|t| t.and_utc())));
        Ok(ThrottleState::of(keys, rows, now))
    }

    /// One upsert per key: a window that has ended starts again at one, else the count grows by one
    /// under the row's lock, so concurrent attempts on any instance are all counted. A key past its
    /// limit then gets its `blocked_until`, in the same transaction.
    fn count_attempt(
        &self,
        keys: &[ThrottleKey],
        now: DateTime<Utc>,
        event: Option<&NewEvent>,
    ) -> Result<Vec<Counted>, StoreError> {
        let at = now.naive_utc();
        let counted = DbConnection::transaction(&mut *self.conn()?, |conn: &mut DbConnection| {
            let mut counted = Vec::with_capacity(keys.len());
            for key in keys {
                let window_ended = attempt_counters::window_started_at.le((now - key.limit.window).naive_utc());
                // diesel's MultiConnection has no upsert: each backend runs it on its own connection.
                let rows: Vec<(i64, NaiveDateTime)> =
                    on_backend!(&mut *conn, |c| diesel::insert_into(attempt_counters::table)
                        .values((
                            attempt_counters::id.eq(&key.id),
                            attempt_counters::kind.eq(key.kind.as_str()),
                            attempt_counters::email.eq(key.email.as_deref()),
                            attempt_counters::window_started_at.eq(at),
                            attempt_counters::attempts.eq(1_i64),
                        ))
                        .on_conflict(attempt_counters::id)
                        .do_update()
                        .set((
                            attempt_counters::attempts.eq(case_when(
                                window_ended,
                                excluded(attempt_counters::attempts)
                            )
                            .otherwise(attempt_counters::attempts + 1_i64)),
                            attempt_counters::window_started_at.eq(case_when(
                                window_ended,
                                excluded(attempt_counters::window_started_at),
                            )
                            .otherwise(attempt_counters::window_started_at)),
                        ))
                        .returning((attempt_counters::attempts, attempt_counters::window_started_at))
                        .load(c))?;
                let (attempts, started) = rows.into_iter().next().ok_or(diesel::result::Error::NotFound)?;
                let count = u64::try_from(attempts).unwrap_or(0);
                let blocked_until = key.limit.blocked_until(count, started.and_utc(), now);
                if let Some(until) = blocked_until {
                    diesel::update(attempt_counters::table.find(&key.id))
                        .set(attempt_counters::blocked_until.eq(until.naive_utc()))
                        .execute(conn)?;
                }
                counted.push(Counted { attempts: count, window_started_at: started.and_utc(), blocked_until });
            }
            // After the counters: on SQLite the transaction's first statement is a write either way.
            if let Some(event) = event {
                super::events::insert_event(conn, event, event.kind, None)?;
            }
            Ok(counted)
        });
        self.track(counted).map_err(query_failed)
    }

    fn clear_counters(&self, ids: &[String]) -> Result<(), StoreError> {
        let deleted =
            diesel::delete(attempt_counters::table.filter(attempt_counters::id.eq_any(ids))).execute(&mut self.conn()?);
        self.track(deleted).map_err(query_failed).map(|_| ())
    }

    fn clear_email_counters(&self, email: &str) -> Result<u64, StoreError> {
        let deleted = diesel::delete(attempt_counters::table.filter(attempt_counters::email.eq(email)))
            .execute(&mut self.conn()?);
        Ok(self.track(deleted).map_err(query_failed)? as u64)
    }

    fn prune_counters(&self, window_ended_before: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64, StoreError> {
        self.delete_in_batches(|conn, batch| {
            let stale = attempt_counters::table
                .filter(attempt_counters::window_started_at.lt(window_ended_before.naive_utc()))
                .filter(
                    attempt_counters::blocked_until.is_null().or(attempt_counters::blocked_until.le(now.naive_utc())),
                );
            let ids: Vec<String> = stale.select(attempt_counters::id).limit(batch).load(conn)?;
            diesel::delete(stale.filter(attempt_counters::id.eq_any(ids))).execute(conn)
        })
    }
}
