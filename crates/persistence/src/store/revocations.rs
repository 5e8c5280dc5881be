use super::DieselStore;
use crate::connection::DbConnection;
use crate::error::{is_foreign_key_violation, is_unique_violation, query_failed};
use crate::rows::NewRevokedTokenRow;
use crate::schema::{revoked_tokens, sessions};
use auth_domain::{
    EndReason, LogoutScope, NewEvent, NewRevocation, RevocationStore, RevokeOutcome, SessionId, StoreError,
};
use chrono::{DateTime, Utc};
use diesel::Connection;
use diesel::prelude::*;

/// How a logout's transaction ends: committed, or rolled back with an answer (or an error).
enum Rollback {
    Answer(RevokeOutcome),
    Failed(diesel::result::Error),
}

impl From<diesel::result::Error> for Rollback {
    fn from(e: diesel::result::Error) -> Self {
        Self::Failed(e)
    }
}

impl RevocationStore for DieselStore {
    /// The revocation's INSERT comes first: of concurrent logouts with one token exactly one inserts,
    /// and on SQLite the transaction holds the write lock from its first statement. `Others` inserts
    /// none (the caller's token stays valid); its first statement is the update that ends the others.
    fn logout(
        &self,
        revocation: &NewRevocation,
        session: Option<SessionId>,
        scope: LogoutScope,
        event: &NewEvent,
    ) -> Result<RevokeOutcome, StoreError> {
        let row = NewRevokedTokenRow {
            jti: revocation.jti.as_str(),
            user_id: revocation.user_id.0,
            revoked_at: revocation.revoked_at.naive_utc(),
            expires_at: revocation.expires_at.naive_utc(),
        };
        let (user, now) = (revocation.user_id, revocation.revoked_at);
        let done = DbConnection::transaction(&mut *self.conn()?, |conn: &mut DbConnection| {
            if scope == LogoutScope::Others {
                let ended = super::sessions::end_sessions(conn, user, session, now, EndReason::Logout)?;
                let user_exists = ended > 0
                    || crate::schema::users::table
                        .filter(crate::schema::users::id.eq(user.0))
                        .count()
                        .get_result::<i64>(conn)?
                        > 0;
                if !user_exists {
                    return Err(Rollback::Answer(RevokeOutcome::UnknownUser));
                }
                super::events::insert_event(conn, event, event.kind, None)?;
                return Ok(RevokeOutcome::Revoked);
            }
            match diesel::insert_into(revoked_tokens::table).values(&row).execute(conn) {
                Err(e) if is_unique_violation(&e) => return Err(Rollback::Answer(RevokeOutcome::AlreadyRevoked)),
                Err(e) if is_foreign_key_violation(&e) => return Err(Rollback::Answer(RevokeOutcome::UnknownUser)),
                other => other?,
            };
            if let Some(sid) = session {
                let ended_at = sessions::table
                    .filter(sessions::id.eq(sid.to_string()))
                    .filter(sessions::user_id.eq(user.0))
                    .select(sessions::ended_at)
                    .first::<Option<chrono::NaiveDateTime>>(conn)
                    .optional()?;
                match ended_at {
                    None => return Err(Rollback::Answer(RevokeOutcome::UnknownUser)),
                    Some(Some(_)) => return Err(Rollback::Answer(RevokeOutcome::AlreadyRevoked)),
                    Some(None) => {}
                }
            }
            match (scope, session) {
                (LogoutScope::Local, Some(sid)) => {
                    super::sessions::end_one(conn, user, sid, now, EndReason::Logout)?;
                }
                (LogoutScope::Local, None) | (LogoutScope::Others, _) => {}
                (LogoutScope::Global, _) => {
                    super::sessions::end_sessions(conn, user, None, now, EndReason::Logout)?;
                }
            }
            super::events::insert_event(conn, event, event.kind, None)?;
            Ok(RevokeOutcome::Revoked)
        });
        match done {
            Ok(outcome) => Ok(self.track(Ok(outcome)).unwrap_or(outcome)),
            Err(Rollback::Answer(outcome)) => Ok(outcome),
            Err(Rollback::Failed(e)) => self.track(Err(e)).map_err(query_failed),
        }
    }

    fn prune_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        self.delete_in_batches(|conn, batch| {
            let expired = revoked_tokens::table.filter(revoked_tokens::expires_at.lt(now.naive_utc()));
            let jtis: Vec<String> = expired.select(revoked_tokens::jti).limit(batch).load(conn)?;
            diesel::delete(expired.filter(revoked_tokens::jti.eq_any(jtis))).execute(conn)
        })
    }
}
