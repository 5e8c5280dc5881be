use crate::email::Email;
use crate::event::{EventKind, NewEvent};
use crate::issued_session::IssuedSession;
use crate::password_hasher::HashError;
use crate::service::AuthService;
use crate::session::ClientInfo;
use crate::store::StoreError;
use crate::throttle::{ThrottleKind, Throttled};
use crate::token::TokenError;
use secrecy::SecretString;

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown email and wrong password are one error, so the answer does not reveal which emails exist.
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("could not issue a token: {0}")]
    Token(TokenError),
    /// Too many failed attempts for this email, client or pair: refused without hashing anything.
    #[error("too many attempts")]
    Throttled(Throttled),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthService {
    /// Every failed login costs one bcrypt verification, whether or not the email is known, and counts
    /// against its email, its client and the pair of both; past a limit, attempts are refused before
    /// anything is hashed, known and unknown emails alike. A success clears its pair's count and starts a
    /// session (the least recently active ones beyond `sessions.max_per_user` end).
    pub fn login(&self, email: &str, password: &SecretString, client: ClientInfo) -> Result<IssuedSession, LoginError> {
        let parsed = Email::parse(email).ok();
        let counted_as = match &parsed {
            Some(email) => email.as_str().to_owned(),
            None => unparsed_email_key(email),
        };
        let keys = self.throttle_policy.login_keys(&counted_as, client.ip.as_deref());
        let now = self.now();
        let email_known = parsed.as_ref().map(Email::as_str);
        let state = self.throttles.throttle_state(&keys, now)?;
        if let Some(until) = state.blocked_until {
            tracing::info!("login throttled");
            // One row per client, email and window, however many attempts a flood makes.
            let window = now.timestamp().div_euclid(self.throttle_policy.window.num_seconds().max(1));
            let aggregate =
                format!("login_throttled:{} {}:{window}", client.ip.as_deref().unwrap_or("unknown"), counted_as);
            let event = self.event(EventKind::LoginThrottled, None, email_known, &client, None);
            self.events.record_event(&event, Some(&aggregate))?;
            return Err(LoginError::Throttled(Throttled::until(until, now)));
        }
        let credentials = match &parsed {
            Some(email) => self.users.find_credentials_by_email(email)?,
            None => None,
        };
        let stored_hash = credentials.as_ref().map(|c| &c.password_hash);
        if !self.hasher.verify(password, stored_hash) {
            let user_id = credentials.as_ref().map(|c| c.user.id);
            let event = self.event(EventKind::LoginFailed, user_id, email_known, &client, None);
            self.throttles.count_attempt(&keys, self.now(), Some(&event))?;
            tracing::info!("login refused");
            return Err(LoginError::InvalidCredentials);
        }
        let credentials = credentials.ok_or(LoginError::InvalidCredentials)?;
        let pair: Vec<String> = keys
            .iter()
            .filter(|k| k.kind == ThrottleKind::LoginPair && state.counted.contains(&k.id))
            .map(|k| k.id.clone())
            .collect();
        if !pair.is_empty() {
            self.throttles.clear_counters(&pair)?;
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
        let event = self.event(EventKind::LoginSucceeded, Some(user.id), email_known, &client, None);
        let session = self.new_session(client);
        let event = NewEvent { session_id: Some(session.id), ..event };
        self.sessions.start_session(user.id, &session, self.session_policy.max_per_user, &event)?;
        let issued = self.issue_session(user.id, session.id, 0).map_err(LoginError::Token)?;
        tracing::info!(user.id = %user.id, session.id = %session.id, "user logged in");
        Ok(issued)
    }
}

/// What an email that does not parse is counted under: trimmed, lower-cased and cut to a length no
/// address reaches, so a client cannot grow the counters' keys without bound.
fn unparsed_email_key(raw: &str) -> String {
    raw.trim().chars().flat_map(char::to_lowercase).take(320).collect()
}
