use super::DieselStore;
use super::events::insert_event;
use crate::connection::DbConnection;
use crate::error::query_failed;
use crate::rows::{NewSessionRow, SessionRow};
use crate::schema::{sessions, users};
use auth_domain::{
    EndReason, EventKind, NewEvent, NewSession, RefreshClaim, RotateOutcome, SessionId, SessionInfo, SessionPolicy,
    SessionStore, StaleRefresh, StoreError, UserId,
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
    fn start_session(
        &self,
        user: UserId,
        session: &NewSession,
        max_per_user: u32,
        event: &NewEvent,
    ) -> Result<(), StoreError> {
        let now = session.started_at.naive_utc();
        let started = DbConnection::transaction(&mut *self.conn()?, |conn: &mut DbConnection| {
            // One user's session starts take turns: on PostgreSQL, concurrent ones each counted the others'
            // sessions as not yet there (the bound was exceeded) and evicted overlapping ones in different
            // orders (deadlocks). The user's row, locked first, orders them; SQLite's writers already are.
            if let DbConnection::Pg(pg) = conn {
                users::table.filter(users::id.eq(user.0)).select(users::id).for_update().execute(pg)?;
            }
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
            insert_event(conn, event, event.kind, None)?;
            Ok(())
        });
        self.track(started).map_err(query_failed)
    }

    fn rotate(
        &self,
        claim: RefreshClaim,
        now: DateTime<Utc>,
        policy: &SessionPolicy,
        event: &NewEvent,
    ) -> Result<RotateOutcome, StoreError> {
        let (active_after, started_after) = policy.live_after(now);
        let id = claim.session.to_string();
        let presented = i64::try_from(claim.generation).map_err(|_| auth_domain::cause("generation out of range"));
        let Ok(presented) = presented else { return Ok(RotateOutcome::Invalid) };
        // One transaction that starts with the compare-and-swap (a write, as every transaction here):
        // only the current generation of a live session moves it on. The event commits with it.
        let rotated = DbConnection::transaction(&mut *self.conn()?, |conn: &mut DbConnection| {
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
                .execute(conn)?;
            let Some(row) = live.select(SessionRow::as_select()).first::<SessionRow>(conn).optional()? else {
                return Ok(RotateOutcome::Invalid);
            };
            let user_id = UserId(row.user_id);
            let current = u64::try_from(row.generation).unwrap_or(0);
            let outcome = if swapped == 1 {
                // Read back after the swap: the generation this rotation made.
                RotateOutcome::Rotated { user_id, generation: claim.generation + 1 }
            } else {
                let rotated_at = row.rotated_at.map(|at| at.and_utc());
                match policy.judge_stale(claim.generation, current, rotated_at, now) {
                    StaleRefresh::Grace => RotateOutcome::Grace { user_id, generation: current },
                    StaleRefresh::Reuse => {
                        end_one(conn, user_id, claim.session, now, EndReason::Reuse)?;
                        RotateOutcome::Reused { user_id }
                    }
                    StaleRefresh::Invalid => RotateOutcome::Invalid,
                }
            };
            let kind = match outcome {
                RotateOutcome::Rotated { .. } | RotateOutcome::Grace { .. } => Some(EventKind::Refresh),
                RotateOutcome::Reused { .. } => Some(EventKind::RefreshReuseDetected),
                RotateOutcome::Invalid => None,
            };
            if let Some(kind) = kind {
                insert_event(conn, event, kind, Some(user_id))?;
            }
            Ok(outcome)
        });
        self.track(rotated).map_err(query_failed)
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
        event: &NewEvent,
    ) -> Result<bool, StoreError> {
        let ended = DbConnection::transaction(&mut *self.conn()?, |conn: &mut DbConnection| {
            if end_one(conn, user, session, now, reason)? == 0 {
                return Ok(false);
            }
            insert_event(conn, event, event.kind, None)?;
            Ok(true)
        });
        self.track(ended).map_err(query_failed)
    }

    fn end_sessions(
        &self,
        user: UserId,
        except: Option<SessionId>,
        now: DateTime<Utc>,
        reason: EndReason,
        event: &NewEvent,
    ) -> Result<u64, StoreError> {
        let ended = DbConnection::transaction(&mut *self.conn()?, |conn: &mut DbConnection| {
            let ended = end_sessions(conn, user, except, now, reason)?;
            insert_event(conn, event, event.kind, None)?;
            Ok(ended)
        });
        Ok(self.track(ended).map_err(query_failed)? as u64)
    }

    fn prune_sessions(
        &self,
        ended_before: DateTime<Utc>,
        inactive_before: DateTime<Utc>,
        started_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.delete_in_batches(|conn, batch| {
            let old = sessions::table.filter(
                sessions::ended_at
                    .lt(ended_before.naive_utc())
                    .or(sessions::last_active_at.lt(inactive_before.naive_utc()))
                    .or(sessions::created_at.lt(started_before.naive_utc())),
            );
            let ids: Vec<String> = old.select(sessions::id).limit(batch).load(conn)?;
            // the condition again: a session used since it was read stays
            diesel::delete(old.filter(sessions::id.eq_any(ids))).execute(conn)
        })
    }
}
