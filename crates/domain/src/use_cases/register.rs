use super::mail::MailError;
use crate::attempt::{Attempt, AttemptError};
use crate::email::{Email, EmailError};
use crate::event::{EventKind, NewEvent};
use crate::issued_session::IssuedSession;
use crate::mail::{MailKind, NewLink, NewMail, OutboxState};
use crate::password::{Password, PasswordError};
use crate::password_hasher::HashError;
use crate::service::AuthService;
use crate::session::ClientInfo;
use crate::store::{InsertUserError, NewSession, NewUser, StoreError};
use crate::throttle::Throttled;
use crate::token::IssueError;
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
    Token(IssueError),
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AttemptError> for RegisterError {
    fn from(e: AttemptError) -> Self {
        match e {
            AttemptError::Throttled(t) => Self::Throttled(t),
            AttemptError::Store(e) => Self::Store(e),
        }
    }
}

#[derive(Debug)]
pub struct Registered {
    pub user: User,
    /// The session the registration starts; `None` when `email.require_verification` holds the login
    /// back until the address is verified.
    pub session: Option<IssuedSession>,
}

/// A registration checked and counted, waiting for its hash (`finish_register`).
#[derive(Debug)]
#[must_use = "a registration is finished or abandoned"]
pub struct RegisterAttempt {
    attempt: Attempt,
    email: Email,
    password: Password,
}

impl RegisterAttempt {
    /// Gives up the registration without hashing (`AuthService::abandon`).
    pub fn into_attempt(self) -> Attempt {
        self.attempt
    }
}

impl AuthService {
    /// Both halves of a registration, on the calling thread.
    pub fn register(
        &self,
        email: &str,
        password: SecretString,
        client: ClientInfo,
    ) -> Result<Registered, RegisterError> {
        let attempt = self.begin_register(email, password, client)?;
        self.finish_register(attempt)
    }

    /// The first half, which hashes nothing: the email and password are checked, then the registration
    /// is counted against its client (`abuse.register_per_ip_per_hour`; counting is the check, so
    /// concurrent ones cannot overshoot), and past the limit refused before it waits for a hash slot.
    pub fn begin_register(
        &self,
        email: &str,
        password: SecretString,
        client: ClientInfo,
    ) -> Result<RegisterAttempt, RegisterError> {
        let email = Email::parse(email)?;
        let password = Password::new(password, &self.policy)?;
        let attempt = self.count_registration(&client)?;
        Ok(RegisterAttempt { attempt, email, password })
    }

    /// The second half: the user, their first session and the verification email (when email is on)
    /// are stored together. The database's unique index decides between concurrent registrations of one
    /// email, so exactly one of them succeeds. With `email.require_verification` no session starts.
    pub fn finish_register(&self, registration: RegisterAttempt) -> Result<Registered, RegisterError> {
        let RegisterAttempt { attempt, email, password } = registration;
        let session = (!self.mail.policy.require_verification).then(|| self.new_session(attempt.client.clone()));
        let event = self.event(
            EventKind::Register,
            None,
            Some(email.as_str()),
            &attempt.client,
            session.as_ref().map(|s| s.id),
        );
        let verification = match self.mail.policy.enabled {
            true => Some(self.new_link_mail(MailKind::VerifyEmail, email.as_str(), None, OutboxState::Queued)?),
            false => None,
        };
        let user = self.insert_user(email, &password, false, session.as_ref(), event, verification.as_ref())?;
        if verification.is_some() {
            self.mail.waker.wake();
        }
        let Some(session) = session else {
            tracing::info!(user.id = %user.id, "user registered; the login waits for the address's verification");
            return Ok(Registered { user, session: None });
        };
        let issued = self.issue_session(user.id, session.id, 0).map_err(RegisterError::Token)?;
        tracing::info!(user.id = %user.id, session.id = %session.id, "user registered");
        Ok(Registered { user, session: Some(issued) })
    }

    /// Creates a user without logging them in (the admin command line's `user create`).
    pub fn create_user(&self, email: &str, password: SecretString, admin: bool) -> Result<User, RegisterError> {
        let email = Email::parse(email)?;
        let password = Password::new(password, &self.policy)?;
        let event = self.event(EventKind::Register, None, Some(email.as_str()), &ClientInfo::default(), None);
        self.insert_user(email, &password, admin, None, event, None)
    }

    fn insert_user(
        &self,
        email: Email,
        password: &Password,
        admin: bool,
        session: Option<&NewSession>,
        event: NewEvent,
        verification: Option<&(NewLink, NewMail)>,
    ) -> Result<User, RegisterError> {
        let password_hash = self.hasher.hash(password)?;
        let new_user = NewUser { email, password_hash, registered_on: self.now(), admin };
        let verification = verification.map(|(link, mail)| (link, mail));
        self.users.insert_user(&new_user, session, &event, verification).map_err(|e| match e {
            InsertUserError::EmailTaken => RegisterError::AlreadyExists,
            InsertUserError::Store(e) => RegisterError::Store(e),
        })
    }
}
