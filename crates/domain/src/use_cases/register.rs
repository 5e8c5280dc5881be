use crate::email::{Email, EmailError};
use crate::event::{EventKind, NewEvent};
use crate::issued_session::IssuedSession;
use crate::password::{Password, PasswordError};
use crate::password_hasher::HashError;
use crate::service::AuthService;
use crate::session::ClientInfo;
use crate::store::NewSession;
use crate::store::{InsertUserError, NewUser, StoreError};
use crate::throttle::{ThrottleKey, Throttled};
use crate::token::TokenError;
use crate::user::User;
use secrecy::SecretString;

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error(transparent)]
    InvalidEmail(#[from] EmailError),
    #[error(transparent)]
    InvalidPassword(#[from] PasswordError),
    #[error("a user with this email already exists")]
    AlreadyExists,
    /// Too many registrations from this client within the hour.
    #[error("too many registrations")]
    Throttled(Throttled),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error("could not issue a token: {0}")]
    Token(TokenError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug)]
pub struct Registered {
    pub user: User,
    pub session: IssuedSession,
}

impl AuthService {
    /// Creates the user and logs them in: the user and their first session are stored together. The
    /// database's unique index decides between concurrent registrations of one email, so exactly one of
    /// them succeeds.
    pub fn register(
        &self,
        email: &str,
        password: SecretString,
        client: ClientInfo,
    ) -> Result<Registered, RegisterError> {
        let key: Vec<_> = self.throttle_policy.register_key(client.ip.as_deref()).into_iter().collect();
        let event = self.event(EventKind::Register, None, None, &client, None);
        let session = self.new_session(client);
        let event = NewEvent { session_id: Some(session.id), ..event };
        let user = self.insert_user(email, password, false, Some(&session), &key, event)?;
        let issued = self.issue_session(user.id, session.id, 0).map_err(RegisterError::Token)?;
        tracing::info!(user.id = %user.id, session.id = %session.id, "user registered");
        Ok(Registered { user, session: issued })
    }

    /// Creates a user without logging them in (the admin command line's `user create`).
    pub fn create_user(&self, email: &str, password: SecretString, admin: bool) -> Result<User, RegisterError> {
        let event = self.event(EventKind::Register, None, None, &ClientInfo::default(), None);
        self.insert_user(email, password, admin, None, &[], event)
    }

    fn insert_user(
        &self,
        email: &str,
        password: SecretString,
        admin: bool,
        session: Option<&NewSession>,
        throttle: &[ThrottleKey],
        event: NewEvent,
    ) -> Result<User, RegisterError> {
        let email = Email::parse(email)?;
        let event = NewEvent { email: Some(email.as_str().to_owned()), ..event };
        let password = Password::new(password, &self.policy)?;
        // Valid requests only are counted, before the hash, so a refused one costs no hashing. Counting
        // is the check: each attempt sees its own count, so concurrent ones cannot overshoot the limit.
        if !throttle.is_empty() {
            let now = self.now();
            let counted = self.throttles.count_attempt(throttle, now, None)?;
            for (key, counted) in throttle.iter().zip(&counted) {
                if counted.attempts > u64::from(key.limit.max) {
                    tracing::info!("registration throttled");
                    let until = counted.window_started_at + key.limit.window;
                    return Err(RegisterError::Throttled(Throttled::until(until, now)));
                }
            }
        }
        let password_hash = self.hasher.hash(&password)?;
        let new_user = NewUser { email, password_hash, registered_on: self.now(), admin };
        self.users.insert_user(&new_user, session, &event).map_err(|e| match e {
            InsertUserError::EmailTaken => RegisterError::AlreadyExists,
            InsertUserError::Store(e) => RegisterError::Store(e),
        })
    }
}
