use crate::attempt::{Attempt, AttemptError};
use crate::email::Email;
use crate::event::{EventKind, NewEvent};
use crate::issued_session::IssuedSession;
use crate::password_hasher::HashError;
use crate::service::AuthService;
use crate::session::ClientInfo;
use crate::store::StoreError;
use crate::throttle::{LoginSubject, Throttled};
use crate::token::IssueError;
use crate::user::UserCredentials;
use secrecy::SecretString;

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown email and wrong password are one error, so the answer does not reveal which emails exist.
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("could not issue a token: {0}")]
    Token(IssueError),
    /// Too many failed attempts for this email, client or pair: refused without hashing anything.
    #[error("too many attempts")]
    Throttled(Throttled),
    /// The password is right, but `email.require_verification` holds and the address is not verified.
    /// Told only after the password check, so it reveals nothing to someone without the password.
    #[error("the email is not verified")]
    NotVerified,
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AttemptError> for LoginError {
    fn from(e: AttemptError) -> Self {
        match e {
            AttemptError::Throttled(t) => Self::Throttled(t),
            AttemptError::Store(e) => Self::Store(e),
        }
    }
}

/// A login counted and looked up, waiting for its one bcrypt verification (`finish_login`).
#[derive(Debug)]
#[must_use = "a login attempt is finished or abandoned"]
pub struct LoginAttempt {
    attempt: Attempt,
    /// The address, when what was typed is one.
    email: Option<Email>,
    credentials: Option<UserCredentials>,
}

impl LoginAttempt {
    /// Gives up the attempt without trying it (`AuthService::abandon`).
    pub fn into_attempt(self) -> Attempt {
        self.attempt
    }
}

impl AuthService {
    /// Both halves of a login, on the calling thread (the command line, tests).
    pub fn login(&self, email: &str, password: &SecretString, client: ClientInfo) -> Result<IssuedSession, LoginError> {
        let attempt = self.begin_login(email, client)?;
        self.finish_login(attempt, password)
    }

    /// The first half of a login, which hashes nothing: the attempt is counted against its email, its
    /// client and the pair of both (`abuse.*`), before anything is hashed, so that parallel guesses
    /// cannot pass a limit; past a limit it is refused (`Throttled`), known and unknown emails alike,
    /// and never waits for a hash slot. Then the user is looked up.
    pub fn begin_login(&self, email: &str, client: ClientInfo) -> Result<LoginAttempt, LoginError> {
        let parsed = Email::parse(email).ok();
        let subject = match &parsed {
            Some(email) => LoginSubject::Email(email.as_str().to_owned()),
            None => self.unparsed.mask(email),
        };
        let attempt = self.count_password_attempt(subject, &client)?;
        let credentials = match &parsed {
            Some(email) => self.users.find_credentials_by_email(email)?,
            None => None,
        };
        Ok(LoginAttempt { attempt, email: parsed, credentials })
    }

    /// The second half: one bcrypt verification, whether or not the email is known. A failure stays
    /// counted; a success gives its count back (`Attempt`), rehashes at the configured cost when the
    /// stored hash was made at another, and starts a session (the least recently active ones beyond
    /// `sessions.max_per_user` end).
    pub fn finish_login(&self, login: LoginAttempt, password: &SecretString) -> Result<IssuedSession, LoginError> {
        let LoginAttempt { attempt, email, credentials } = login;
        let email = email.as_ref().map(Email::as_str);
        let stored_hash = credentials.as_ref().map(|c| &c.password_hash);
        if !self.hasher.verify(password, stored_hash) {
            let user_id = credentials.as_ref().map(|c| c.user.id);
            let event = self.event(EventKind::LoginFailed, user_id, email, &attempt.client, None);
            self.events.record_event(&event, None)?;
            tracing::info!("login refused");
            return Err(LoginError::InvalidCredentials);
        }
        let credentials = credentials.ok_or(LoginError::InvalidCredentials)?;
        let client = attempt.client.clone();
        self.attempt_succeeded(attempt)?;
        if self.mail.policy.require_verification && credentials.user.email_verified_at.is_none() {
            tracing::info!(user.id = %credentials.user.id, "login refused: the address is not verified");
            return Err(LoginError::NotVerified);
        }
        if self.hasher.needs_rehash(&credentials.password_hash) {
            let new = self.hasher.rehash(password)?;
            let rehashed = self.users.replace_password_hash(credentials.user.id, &credentials.password_hash, &new)?;
            if rehashed {
                self.rehashes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            tracing::info!(user.id = %credentials.user.id, rehashed, "password hash rehashed at the configured cost");
        }
        let user = credentials.user;
        let event = self.event(EventKind::LoginSucceeded, Some(user.id), email, &client, None);
        let session = self.new_session(client);
        let event = NewEvent { session_id: Some(session.id), ..event };
        self.sessions.start_session(user.id, &session, self.session_policy.max_per_user, &event)?;
        let issued = self.issue_session(user.id, session.id, 0).map_err(LoginError::Token)?;
        tracing::info!(user.id = %user.id, session.id = %session.id, "user logged in");
        Ok(issued)
    }
}
