//! The outbox as the sender and the operators see it (`OutboxStore`).

use super::DieselStore;
use crate::connection::DbConnection;
use crate::error::query_failed;
use crate::schema::outbox;
use auth_domain::{ClaimedMail, OutboxCounts, OutboxRow, OutboxState, OutboxStore, StoreError};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::Connection;
use diesel::prelude::*;

type ClaimedRow = (i64, String, String, Option<String>, Option<String>, i64, NaiveDateTime);

fn claimed(row: ClaimedRow) -> ClaimedMail {
    let (id, kind, recipient, sealed_link, detail, attempts, give_up_at) = row;
    ClaimedMail {
        id,
        kind,
        recipient,
        sealed_link,
        detail,
        attempt: u64::try_from(attempts).unwrap_or(0),
        give_up_at: give_up_at.and_utc(),
    }
}

const QUEUED: &str = "queued";

impl OutboxStore for DieselStore {
    fn claim_mail(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ClaimedMail>, StoreError> {
        let (now, lease_until) = (now.naive_utc(), lease_until.naive_utc());
        let columns = (
            outbox::id,
            outbox::kind,
            outbox::recipient,
            outbox::sealed_link,
            outbox::detail,
            outbox::attempts,
            outbox::give_up_at,
        );
        let due = outbox::table
            .filter(outbox::state.eq(QUEUED))
            .filter(outbox::next_attempt_at.le(now))
            .order((outbox::next_attempt_at, outbox::id))
            .limit(i64::from(limit));
        let claim = |ids: Vec<i64>, conn: &mut DbConnection| {
            // the lease: until it passes, the rows are not due for anyone else
            diesel::update(outbox::table.filter(outbox::id.eq_any(ids)).filter(outbox::state.eq(QUEUED)))
                .set((outbox::attempts.eq(outbox::attempts + 1), outbox::next_attempt_at.eq(lease_until)))
                .returning(columns)
                .load::<ClaimedRow>(conn)
        };
        let rows = DbConnection::transaction(&mut *self.conn()?, |conn: &mut DbConnection| {
            let ids: Vec<i64> = match conn {
                // rows another instance holds are skipped, not waited for
                DbConnection::Pg(pg) => due.select(outbox::id).for_update().skip_locked().load(pg)?,
                // SQLite has one writer at a time, so the update's own condition is the claim; a write
                // comes first so that the transaction holds the write lock before it reads
                DbConnection::Sqlite(sqlite) => {
                    diesel::update(outbox::table.filter(outbox::id.eq(-1)))
                        .set(outbox::attempts.eq(0))
                        .execute(sqlite)?;
                    due.select(outbox::id).load(sqlite)?
                }
            };
            claim(ids, conn)
        });
        let mut rows: Vec<ClaimedMail> = self.track(rows).map_err(query_failed)?.into_iter().map(claimed).collect();
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    fn mail_sent(&self, id: i64, attempt: u64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let updated = diesel::update(
            outbox::table
                .filter(outbox::id.eq(id))
                .filter(outbox::attempts.eq(i64::try_from(attempt).unwrap_or(i64::MAX)))
                .filter(outbox::state.eq(QUEUED)),
        )
        .set((
            outbox::state.eq(OutboxState::Sent.as_str()),
            outbox::sent_at.eq(now.naive_utc()),
            // sent: the link's token is no longer needed, not even sealed
            outbox::sealed_link.eq(None::<String>),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(&mut *self.conn()?);
        Ok(self.track(updated).map_err(query_failed)? == 1)
    }

    fn mail_failed(
        &self,
        id: i64,
        attempt: u64,
        retry_at: Option<DateTime<Utc>>,
        error: &str,
    ) -> Result<bool, StoreError> {
        let row = outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::attempts.eq(i64::try_from(attempt).unwrap_or(i64::MAX)))
            .filter(outbox::state.eq(QUEUED));
        // the mail server's answer, cut short: it says what went wrong, never what was sent
        let error: String = error.chars().take(500).collect();
        let updated = match retry_at {
            Some(at) => diesel::update(row)
                .set((outbox::next_attempt_at.eq(at.naive_utc()), outbox::last_error.eq(&error)))
                .execute(&mut *self.conn()?),
            None => diesel::update(row)
                .set((outbox::state.eq(OutboxState::Dead.as_str()), outbox::last_error.eq(&error)))
                .execute(&mut *self.conn()?),
        };
        Ok(self.track(updated).map_err(query_failed)? == 1)
    }

    fn outbox_rows(&self, state: Option<&str>, limit: u32) -> Result<Vec<OutboxRow>, StoreError> {
        type Row =
            (i64, String, String, String, i64, NaiveDateTime, NaiveDateTime, Option<NaiveDateTime>, Option<String>);
        let mut query = outbox::table
            .select((
                outbox::id,
                outbox::kind,
                outbox::recipient,
                outbox::state,
                outbox::attempts,
                outbox::created_at,
                outbox::next_attempt_at,
                outbox::sent_at,
                outbox::last_error,
            ))
            .order(outbox::id.desc())
            .limit(i64::from(limit))
            .into_boxed();
        if let Some(state) = state {
            query = query.filter(outbox::state.eq(state.to_owned()));
        }
        let rows: Vec<Row> = query.load(&mut *self.conn()?).map_err(query_failed)?;
        Ok(rows
            .into_iter()
            .map(|(id, kind, recipient, state, attempts, created_at, next_attempt_at, sent_at, last_error)| OutboxRow {
                id,
                kind,
                recipient,
                state,
                attempts: u64::try_from(attempts).unwrap_or(0),
                created_at: created_at.and_utc(),
                next_attempt_at: next_attempt_at.and_utc(),
                sent_at: sent_at.map(|t| t.and_utc()),
                last_error,
            })
            .collect())
    }

    fn retry_mail(&self, id: i64, now: DateTime<Utc>, give_up_at: DateTime<Utc>) -> Result<bool, StoreError> {
        let states = [OutboxState::Queued.as_str(), OutboxState::Dead.as_str()];
        let updated = diesel::update(outbox::table.filter(outbox::id.eq(id)).filter(outbox::state.eq_any(states)))
            .set((
                outbox::state.eq(QUEUED),
                outbox::next_attempt_at.eq(now.naive_utc()),
                outbox::give_up_at.eq(give_up_at.naive_utc()),
            ))
            .execute(&mut *self.conn()?);
        Ok(self.track(updated).map_err(query_failed)? == 1)
    }

    fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        let counts: Vec<(String, i64)> = outbox::table
            .filter(outbox::state.eq_any([OutboxState::Queued.as_str(), OutboxState::Dead.as_str()]))
            .group_by(outbox::state)
            .select((outbox::state, diesel::dsl::count_star()))
            .load(&mut *self.conn()?)
            .map_err(query_failed)?;
        let of = |state: OutboxState| {
            counts.iter().find(|(s, _)| s == state.as_str()).map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0))
        };
        Ok(OutboxCounts { queued: of(OutboxState::Queued), dead: of(OutboxState::Dead) })
    }

    fn prune_mail(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let before = before.naive_utc();
        self.delete_in_batches(|conn, batch| {
            let done = outbox::table.filter(outbox::state.ne(QUEUED)).filter(outbox::created_at.lt(before));
            let ids: Vec<i64> = done.select(outbox::id).limit(batch).load(conn)?;
            diesel::delete(done.filter(outbox::id.eq_any(ids))).execute(conn)
        })
    }
}
