use crate::schema::{revoked_tokens, users};
use auth_domain::{Email, PasswordHash, StoreError, User, UserCredentials, UserId};
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
}

impl UserRow {
    pub fn into_credentials(mut self) -> Result<UserCredentials, StoreError> {
        let password_hash = PasswordHash::from_stored(std::mem::take(&mut self.password));
        Ok(UserCredentials { user: self.into_user()?, password_hash })
    }

    pub fn into_user(self) -> Result<User, StoreError> {
        let email = Email::parse(&self.email)
            .map_err(|e| StoreError::Corrupt(format!("users.email of user {} does not parse: {e}", self.id)))?;
        Ok(User { id: UserId(self.id), email, admin: self.admin, registered_on: self.registered_on.and_utc() })
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
