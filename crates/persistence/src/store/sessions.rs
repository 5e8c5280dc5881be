use super::DieselStore;
use crate::connection::DbConnection;
use crate::error::query_failed;
use crate::rows::{NewSessionRow, SessionRow};
use crate::schema::sessions;
use auth_domain::{
    EndReason, NewSession, RefreshClaim, RotateOutcome, SessionId, SessionInfo, SessionPolicy, SessionStore,
    StaleRefresh, StoreError, UserId,
};
use chrono::{DateTime, Utc};
use diesel::Connection;
use diesel::prelude::*;

/// Ends one live session of the user; how many (0 or 1).
pub(super) fn end_one(
    conn: &mut DbConnection,
    user: UserId,
    session: SessionId,
    now: DateTime<Utc>,
    reason: EndReason,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .filter(sessions::id.eq(session.to_string()))
            .filter(sessions::user_id.eq(user.0))
            .filter(sessions::ended_at.is_null()),
    )
    .set((sessions::ended_at.eq(now.naive_utc()), sessions::end_reason.eq(reason.as_str())))
    .execute(conn)
}

/// Ends every live session of the user but `except`; how many.
pub(super) fn end_sessions(
    conn: &mut DbConnection,
    user: UserId,
    except: Option<SessionId>,
    now: DateTime<Utc>,
    reason: EndReason,
) -> QueryResult<usize> {
    let live = sessions::table.filter(sessions::user_id.eq(user.0)).filter(sessions::ended_at.is_null());
    let set = (sessions::ended_at.eq(now.naive_utc()), sessions::end_reason.eq(reason.as_str()));
    match except {
        Some(keep) => diesel::update(live.filter(sessions::id.ne(keep.to_string()))).set(set).execute(conn),
        None => diesel::update(live).set(set).execute(conn),
    }
}

impl SessionStore for DieselStore {
    fn start_session(&self, user: UserId, session: &NewSession, max_per_user: u32) -> Result<(), StoreError> {
        let now = session.started_at.naive_utc();
        let started = DbConnection::transaction(&mut *self.conn()?, |conn: &mut DbConnection| {
            diesel::insert_into(sessions::table).values(NewSessionRow::of(user, session)).execute(conn)?;
            // Beyond the bound, the least recently active sessions end (never the new one).
            let live = sessions::table.filter(sessions::user_id.eq(user.0)).filter(sessions::ended_at.is_null());
            let excess = live.count().get_result::<i64>(conn)? - i64::from(max_per_user);
            if excess > 0 {
                let oldest: Vec<String> = live
                    .filter(sessions::id.ne(session.id.to_string()))
                    .order((sessions::last_active_at.asc(), sessions::id.asc()))
                    .select(sessions::id)
                    .limit(excess)
                    .load(conn)?;
                diesel::update(sessions::table.filter(sessions::id.eq_any(oldest)))
                    .set((sessions::ended_at.eq(now), sessions::end_reason.eq(EndReason::Evicted.as_str())))
                    .execute(conn)?;
            }
            Ok(())
        });
        self.track(started).map_err(query_failed)
    }

    fn rotate(
        &self,
        claim: RefreshClaim,
        now: DateTime<Utc>,
        policy: &SessionPolicy,
    ) -> Result<RotateOutcome, StoreError> {
        let (active_after, started_after) = policy.live_after(now);
        let id = claim.session.to_string();
        let presented = i64::try_from(claim.generation).map_err(|_| auth_domain::cause("generation out of range"));
        let Ok(presented) = presented else { return Ok(RotateOutcome::Invalid) };
        let mut conn = self.conn()?;
        // The compare-and-swap: only the current generation of a live session moves it on.
        let live = sessions::table
            .filter(sessions::id.eq(&id))
            .filter(sessions::ended_at.is_null())
            .filter(sessions::last_active_at.gt(active_after.naive_utc()))
            .filter(sessions::created_at.gt(started_after.naive_utc()));
        let swapped = diesel::update(live.filter(sessions::generation.eq(presented)))
            .set((
                sessions::generation.eq(sessions::generation + 1),
                sessions::rotated_at.eq(now.naive_utc()),
                sessions::last_active_at.eq(now.naive_utc()),
            ))
            .execute(&mut *conn);
        let swapped = self.track(swapped).map_err(query_failed)?;
        let row =
            live.select(SessionRow::as_select()).first::<SessionRow>(&mut *conn).optional().map_err(query_failed)?;
        let Some(row) = row else { return Ok(RotateOutcome::Invalid) };
        let user_id = UserId(row.user_id);
        let current = u64::try_from(row.generation).unwrap_or(0);
        if swapped == 1 {
            // Read back after the swap: the generation this rotation made (a concurrent one may follow,
            // but then this token's result is the one the grace window gives).
            return Ok(RotateOutcome::Rotated { user_id, generation: claim.generation + 1 });
        }
        let rotated_at = row.rotated_at.map(|at| at.and_utc());
        Ok(match policy.judge_stale(claim.generation, current, rotated_at, now) {
            StaleRefresh::Grace => RotateOutcome::Grace { user_id, generation: current },
            StaleRefresh::Reuse => {
                let ended = end_one(&mut conn, user_id, claim.session, now, EndReason::Reuse);
                self.track(ended).map_err(query_failed)?;
                RotateOutcome::Reused { user_id }
            }
            StaleRefresh::Invalid => RotateOutcome::Invalid,
        })
    }

    fn live_sessions(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        policy: &SessionPolicy,
    ) -> Result<Vec<SessionInfo>, StoreError> {
        let (active_after, started_after) = policy.live_after(now);
        sessions::table
            .filter(sessions::user_id.eq(user.0))
            .filter(sessions::ended_at.is_null())
            .filter(sessions::last_active_at.gt(active_after.naive_utc()))
            .filter(sessions::created_at.gt(started_after.naive_utc()))
            .order((sessions::created_at.desc(), sessions::id.desc()))
            .select(SessionRow::as_select())
            .load::<SessionRow>(&mut self.conn()?)
            .map_err(query_failed)?
            .into_iter()
            .map(SessionRow::into_info)
            .collect()
    }

    fn end_session(
        &self,
        user: UserId,
        session: SessionId,
        now: DateTime<Utc>,
        reason: EndReason,
    ) -> Result<bool, StoreError> {
        let ended = end_one(&mut *self.conn()?, user, session, now, reason);
        Ok(self.track(ended).map_err(query_failed)? > 0)
    }

    fn end_sessions(
        &self,
        user: UserId,
        except: Option<SessionId>,
        now: DateTime<Utc>,
        reason: EndReason,
    ) -> Result<u64, StoreError> {
        let ended = end_sessions(&mut *self.conn()?, user, except, now, reason);
        Ok(self.track(ended).map_err(query_failed)? as u64)
    }

    fn prune_sessions(
        &self,
        ended_before: DateTime<Utc>,
        inactive_before: DateTime<Utc>,
        started_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let old = sessions::table.filter(
            sessions::ended_at
                .lt(ended_before.naive_utc())
                .or(sessions::last_active_at.lt(inactive_before.naive_utc()))
                .or(sessions::created_at.lt(started_before.naive_utc())),
        );
        let deleted = diesel::delete(old).execute(&mut self.conn()?);
        Ok(self.track(deleted).map_err(query_failed)? as u64)
    }
}
