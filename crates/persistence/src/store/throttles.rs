use super::DieselStore;
use crate::connection::{DbConnection, on_backend};
use crate::error::query_failed;
use crate::schema::attempt_counters;
use auth_domain::{Counted, Reserved, StoreError, ThrottleKey, ThrottleStore};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::Connection;
use diesel::dsl::case_when;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Timestamp};
use diesel::upsert::excluded;

/// How a reservation's transaction ends: committed, or rolled back because a key is blocked.
enum Rollback {
    Blocked(DateTime<Utc>),
    Failed(diesel::result::Error),
}

impl From<diesel::result::Error> for Rollback {
    fn from(e: diesel::result::Error) -> Self {
        Self::Failed(e)
    }
}

impl ThrottleStore for DieselStore {
    /// One upsert per key: a window that has ended starts again at one, else the count grows by one
    /// under the row's lock, so concurrent attempts on any instance are all counted and each sees its
    /// own count. A key that was blocked rolls the whole transaction back (nothing is counted); one that
    /// reaches its limit gets its `blocked_until`, in the same transaction, before the next attempt
    /// can read it.
    fn reserve_attempt(&self, keys: &[ThrottleKey], now: DateTime<Utc>) -> Result<Reserved, StoreError> {
        if keys.is_empty() {
            return Ok(Reserved::Counted(Vec::new()));
        }
        let at = now.naive_utc();
        let reserved = DbConnection::transaction(&mut *self.conn()?, |conn: &mut DbConnection| {
            let mut counted = Vec::with_capacity(keys.len());
            for key in keys {
                let window_ended = attempt_counters::window_started_at.le((now - key.limit.window).naive_utc());
                // diesel's MultiConnection has no upsert: each backend runs it on its own connection.
                let rows: Vec<(i64, NaiveDateTime, Option<NaiveDateTime>)> =
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
                        .returning((
                            attempt_counters::attempts,
                            attempt_counters::window_started_at,
                            attempt_counters::blocked_until,
                        ))
                        .load(c))?;
                let (attempts, started, blocked) = rows.into_iter().next().ok_or(diesel::result::Error::NotFound)?;
                if let Some(until) = blocked.map(|b| b.and_utc()).filter(|until| *until > now) {
                    return Err(Rollback::Blocked(until));
                }
                let count = u64::try_from(attempts).unwrap_or(0);
                let blocked_until = key.limit.blocked_until(count, started.and_utc(), now);
                if let Some(until) = blocked_until {
                    diesel::update(attempt_counters::table.find(&key.id))
                        .set(attempt_counters::blocked_until.eq(until.naive_utc()))
                        .execute(conn)?;
                }
                counted.push(Counted { attempts: count, window_started_at: started.and_utc(), blocked_until });
            }
            Ok(counted)
        });
        match reserved {
            Ok(counted) => Ok(Reserved::Counted(self.track(Ok(counted)).unwrap_or_default())),
            // Blocked before anything was written: the rollback leaves the counters as they were.
            Err(Rollback::Blocked(until)) => Ok(Reserved::Blocked { until }),
            Err(Rollback::Failed(e)) => self.track(Err(e)).map_err(query_failed),
        }
    }

    /// Deletes the `clear` counters; takes one off each `release` counter, lifting its block when the
    /// count falls below its limit and deleting it at zero; one transaction.
    fn release_attempt(
        &self,
        clear: &[ThrottleKey],
        release: &[ThrottleKey],
        _now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let clear: Vec<&str> = clear.iter().map(|k| k.id.as_str()).collect();
        let released: Vec<&str> = release.iter().map(|k| k.id.as_str()).collect();
        let done = DbConnection::transaction(&mut *self.conn()?, |conn: &mut DbConnection| {
            diesel::delete(attempt_counters::table.filter(attempt_counters::id.eq_any(&clear))).execute(conn)?;
            for key in release {
                let below_limit = (attempt_counters::attempts - 1_i64).lt(i64::from(key.limit.max));
                diesel::update(attempt_counters::table.find(&key.id).filter(attempt_counters::attempts.gt(0_i64)))
                    .set((
                        attempt_counters::attempts.eq(attempt_counters::attempts - 1_i64),
                        attempt_counters::blocked_until.eq(case_when(
                            below_limit,
                            None::<NaiveDateTime>.into_sql::<Nullable<Timestamp>>(),
                        )
                        .otherwise(attempt_counters::blocked_until)),
                    ))
                    .execute(conn)?;
            }
            diesel::delete(
                attempt_counters::table
                    .filter(attempt_counters::id.eq_any(&released))
                    .filter(attempt_counters::attempts.le(0_i64)),
            )
            .execute(conn)?;
            Ok(())
        });
        self.track(done).map_err(query_failed)
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
