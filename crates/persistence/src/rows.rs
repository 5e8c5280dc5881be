use crate::schema::{revoked_tokens, sessions, users};
use auth_domain::{ClientInfo, Email, PasswordHash, SessionId, SessionInfo, StoreError, User, UserCredentials, UserId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A `users` row as stored; fields in column order (inserts return the default `RETURNING *`).
#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub password: String,
    pub registered_on: NaiveDateTime,
    pub admin: bool,
    pub email_verified_at: Option<NaiveDateTime>,
}

impl UserRow {
    pub fn into_credentials(mut self) -> Result<UserCredentials, StoreError> {
        let password_hash = PasswordHash::from_stored(std::mem::take(&mut self.password));
        Ok(UserCredentials { user: self.into_user()?, password_hash })
    }

    pub fn into_user(self) -> Result<User, StoreError> {
        AccountRow {
            id: self.id,
            email: self.email,
            registered_on: self.registered_on,
            admin: self.admin,
            email_verified_at: self.email_verified_at,
        }
        .into_user()
    }
}

/// What a token check reads of a user: the row without its password hash, which status never needs.
#[derive(Queryable, QueryableByName, Selectable)]
#[diesel(table_name = users)]
pub struct AccountRow {
    pub id: i64,
    pub email: String,
    pub registered_on: NaiveDateTime,
    pub admin: bool,
    pub email_verified_at: Option<NaiveDateTime>,
}

impl AccountRow {
    pub fn into_user(self) -> Result<User, StoreError> {
        let email = Email::parse(&self.email)
            .map_err(|e| StoreError::Corrupt(format!("users.email of user {} does not parse: {e}", self.id)))?;
        Ok(User {
            id: UserId(self.id),
            email,
            admin: self.admin,
            registered_on: self.registered_on.and_utc(),
            email_verified_at: self.email_verified_at.map(|t| t.and_utc()),
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUserRow<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub registered_on: NaiveDateTime,
    pub admin: bool,
}

#[derive(Insertable)]
#[diesel(table_name = revoked_tokens)]
pub struct NewRevokedTokenRow<'a> {
    pub jti: &'a str,
    pub user_id: i64,
    pub revoked_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSessionRow<'a> {
    pub id: String,
    pub user_id: i64,
    pub generation: i64,
    pub created_at: NaiveDateTime,
    pub last_active_at: NaiveDateTime,
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
}

impl<'a> NewSessionRow<'a> {
    pub fn of(user_id: UserId, session: &'a auth_domain::NewSession) -> Self {
        Self {
            id: session.id.to_string(),
            user_id: user_id.0,
            generation: 0,
            created_at: session.started_at.naive_utc(),
            last_active_at: session.started_at.naive_utc(),
            user_agent: session.client.user_agent.as_deref(),
            ip: session.client.ip.as_deref(),
        }
    }
}

/// A `sessions` row as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: String,
    pub user_id: i64,
    pub generation: i64,
    pub created_at: NaiveDateTime,
    pub last_active_at: NaiveDateTime,
    pub rotated_at: Option<NaiveDateTime>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

impl SessionRow {
    pub fn into_info(self) -> Result<SessionInfo, StoreError> {
        let id = SessionId::parse(&self.id)
            .ok_or_else(|| StoreError::Corrupt(format!("sessions.id {:?} is not a UUID", self.id)))?;
        Ok(SessionInfo {
            id,
            created_on: self.created_at.and_utc(),
            last_active_on: self.last_active_at.and_utc(),
            client: ClientInfo { user_agent: self.user_agent, ip: self.ip },
        })
    }
}
