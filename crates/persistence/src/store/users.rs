use super::DieselStore;
use super::accounts::{insert_link, insert_mail};
use super::events::insert_event;
use super::token_checks::{check_token_on, check_tokens_pg};
use crate::connection::{DbConnection, drop_if_lost};
use crate::error::{is_unique_violation, query_failed};
use crate::rows::{NewSessionRow, NewUserRow, UserRow};
use crate::schema::{sessions, users};
use auth_domain::{
    Email, EndReason, InsertUserError, LiveAfter, NewEvent, NewLink, NewMail, NewSession, NewUser, PasswordHash,
    SessionId, StoreError, TokenCheck, TokenLookup, User, UserCredentials, UserId, UserStore,
};
use chrono::{DateTime, Utc};
use diesel::Connection;
use diesel::prelude::*;

impl UserStore for DieselStore {
    fn insert_user(
        &self,
        new_user: &NewUser,
        session: Option<&NewSession>,
        event: &NewEvent,
        verification: Option<(&NewLink, &NewMail)>,
    ) -> Result<User, InsertUserError> {
        let row = NewUserRow {
            email: new_user.email.as_str(),
            password: new_user.password_hash.as_str(),
            registered_on: new_user.registered_on.naive_utc(),
            admin: new_user.admin,
        };
        let inserted = DbConnection::transaction(&mut *self.conn()?, |conn: &mut DbConnection| {
            let rows = diesel::insert_into(users::table).values(&row).load::<UserRow>(conn)?;
            let Some(user) = rows.into_iter().next() else { return Err(diesel::result::Error::NotFound) };
            if let Some(session) = session {
                diesel::insert_into(sessions::table)
                    .values(NewSessionRow::of(UserId(user.id), session))
                    .execute(conn)?;
            }
            if let Some((link, mail)) = verification {
                insert_link(conn, link, Some(UserId(user.id)))?;
                insert_mail(conn, mail, Some(UserId(user.id)))?;
            }
            insert_event(conn, event, event.kind, Some(UserId(user.id)))?;
            Ok(user)
        });
        match self.track(inserted) {
            Ok(row) => Ok(row.into_user()?),
            Err(e) if is_unique_violation(&e) => Err(InsertUserError::EmailTaken),
            Err(e) => Err(query_failed(e).into()),
        }
    }

    fn find_credentials_by_email(&self, email: &Email) -> Result<Option<UserCredentials>, StoreError> {
        let mut conn = self.conn()?;
        let found = users::table.filter(users::email.eq(email.as_str())).select(UserRow::as_select()).first(&mut *conn);
        drop_if_lost(&mut conn, found).optional().map_err(query_failed)?.map(UserRow::into_credentials).transpose()
    }

    /// One connection for the batch; on PostgreSQL one statement (`token_checks.rs`), on SQLite, where
    /// a statement costs no round trip, the single check for each, on the thread's own reader.
    fn check_tokens(&self, tokens: &[TokenLookup], live: LiveAfter) -> Result<Vec<Option<TokenCheck>>, StoreError> {
        let each = |conn: &mut DbConnection| {
            tokens.iter().map(|t| check_token_on(conn, t.user_id, &t.jti, t.session, live)).collect()
        };
        if let Some(readers) = &self.sqlite_readers {
            return readers.with(each);
        }
        match &mut *self.conn()? {
            DbConnection::Pg(pg) => check_tokens_pg(pg, tokens, live),
            conn => each(conn),
        }
    }

    fn set_admin(&self, email: &Email, admin: bool) -> Result<Option<User>, StoreError> {
        let updated = diesel::update(users::table.filter(users::email.eq(email.as_str())))
            .set(users::admin.eq(admin))
            .load::<UserRow>(&mut self.conn()?);
        self.track(updated).map_err(query_failed)?.into_iter().next().map(UserRow::into_user).transpose()
    }

    fn replace_password_hash(&self, id: UserId, old: &PasswordHash, new: &PasswordHash) -> Result<bool, StoreError> {
        let swapped = diesel::update(users::table.filter(users::id.eq(id.0)).filter(users::password.eq(old.as_str())))
            .set(users::password.eq(new.as_str()))
            .execute(&mut *self.conn()?);
        Ok(self.track(swapped).map_err(query_failed)? == 1)
    }

    fn change_password(
        &self,
        id: UserId,
        hash: &PasswordHash,
        keep: Option<SessionId>,
        now: DateTime<Utc>,
        event: &NewEvent,
    ) -> Result<bool, StoreError> {
        let changed = DbConnection::transaction(&mut *self.conn()?, |conn: &mut DbConnection| {
            let updated = diesel::update(users::table.filter(users::id.eq(id.0)))
                .set(users::password.eq(hash.as_str()))
                .execute(conn)?;
            if updated == 0 {
                return Ok(false);
            }
            super::sessions::end_sessions(conn, id, keep, now, EndReason::PasswordChanged)?;
            insert_event(conn, event, event.kind, None)?;
            Ok(true)
        });
        self.track(changed).map_err(query_failed)
    }
}
