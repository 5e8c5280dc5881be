//! The revocation feed's rows (`FeedStore`); triggers write them (see the migration).

use super::DieselStore;
use crate::error::query_failed;
use crate::schema::revocation_feed;
use auth_domain::{FeedRow, FeedStore, StoreError};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

type Row = (i64, Option<String>, Option<String>, Option<NaiveDateTime>, Option<NaiveDateTime>);

impl FeedStore for DieselStore {
    fn feed_after(&self, after: i64, through: i64, limit: u32) -> Result<Vec<FeedRow>, StoreError> {
        let rows: Vec<Row> = revocation_feed::table
            .filter(revocation_feed::id.gt(after))
            .filter(revocation_feed::id.le(through))
            .order(revocation_feed::id)
            .limit(i64::from(limit))
            .select((
                revocation_feed::id,
                revocation_feed::sid,
                revocation_feed::jti,
                revocation_feed::last_issued_at,
                revocation_feed::expires_at,
            ))
            .load(&mut *self.conn()?)
            .map_err(query_failed)?;
        Ok(rows
            .into_iter()
            .map(|(id, sid, jti, last_issued_at, expires_at)| FeedRow {
                id,
                sid,
                jti,
                last_issued_at: last_issued_at.map(|t| t.and_utc()),
                expires_at: expires_at.map(|t| t.and_utc()),
            })
            .collect())
    }

    fn feed_first_id(&self) -> Result<Option<i64>, StoreError> {
        revocation_feed::table
            .select(diesel::dsl::min(revocation_feed::id))
            .first::<Option<i64>>(&mut *self.conn()?)
            .map_err(query_failed)
    }

    fn feed_last_id(&self) -> Result<Option<i64>, StoreError> {
        revocation_feed::table
            .select(diesel::dsl::max(revocation_feed::id))
            .first::<Option<i64>>(&mut *self.conn()?)
            .map_err(query_failed)
    }

    fn prune_feed(
        &self,
        sessions_issued_before: DateTime<Utc>,
        tokens_expired_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let (issued, expired) = (sessions_issued_before.naive_utc(), tokens_expired_before.naive_utc());
        self.delete_in_batches(|conn, batch| {
            let done = revocation_feed::table
                .filter(revocation_feed::last_issued_at.lt(issued).or(revocation_feed::expires_at.lt(expired)));
            let ids: Vec<i64> = done.select(revocation_feed::id).limit(batch).load(conn)?;
            diesel::delete(done.filter(revocation_feed::id.eq_any(ids))).execute(conn)
        })
    }
}
