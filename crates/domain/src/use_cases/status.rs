use crate::service::AuthService;
use crate::store::{SessionState, StoreError, TokenCheck, TokenLookup};
use crate::token::{TokenError, VerifiedToken};
use crate::user::User;

/// Why a bearer token does not authenticate (status, logout and every session endpoint).
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error(transparent)]
    Token(#[from] TokenError),
    /// Revoked by its logout, or its session has ended.
    #[error("token revoked")]
    Revoked,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthService {
    /// The user a token belongs to, if the token is valid, unexpired, unrevoked, of a live session (or of
    /// none, as tokens issued before sessions are) and the user still exists.
    pub fn status(&self, token: &str) -> Result<User, StatusError> {
        self.authenticate(token).map(|(user, _)| user)
    }

    /// What `status` checks, with the verified token: one round trip to the database.
    pub(crate) fn authenticate(&self, token: &str) -> Result<(User, VerifiedToken), StatusError> {
        let verified = self.tokens.verify(token, self.clock.now())?;
        let check = self.users.check_token(verified.user_id, &verified.jti, verified.session)?;
        judge(check).map(|user| (user, verified))
    }

    /// `status` for several tokens at once, answered in order, with one round trip to the database for
    /// all the tokens that verify: concurrent requests' checks share it (see the api's token-check lanes).
    pub fn status_many<S: AsRef<str>>(&self, tokens: &[S]) -> Vec<Result<User, StatusError>> {
        let now = self.clock.now();
        // None: verified, waiting for the database's answer
        let mut answers: Vec<Option<Result<User, StatusError>>> = Vec::with_capacity(tokens.len());
        let mut lookups = Vec::with_capacity(tokens.len());
        for token in tokens {
            match self.tokens.verify(token.as_ref(), now) {
                Ok(verified) => {
                    lookups.push(TokenLookup {
                        user_id: verified.user_id,
                        jti: verified.jti,
                        session: verified.session,
                    });
                    answers.push(None);
                }
                Err(e) => answers.push(Some(Err(e.into()))),
            }
        }
        if !lookups.is_empty() {
            let judged: Vec<Result<User, StatusError>> = match self.users.check_tokens(&lookups) {
                Ok(checks) if checks.len() == lookups.len() => checks.into_iter().map(judge).collect(),
                Ok(checks) => {
                    let e =
                        StoreError::Corrupt(format!("{} token checks answered for {}", checks.len(), lookups.len()));
                    lookups.iter().map(|_| Err(e.clone().into())).collect()
                }
                Err(e) => lookups.iter().map(|_| Err(e.clone().into())).collect(),
            };
            for (slot, verdict) in answers.iter_mut().filter(|a| a.is_none()).zip(judged) {
                *slot = Some(verdict);
            }
        }
        answers.into_iter().map(|a| a.unwrap_or(Err(StatusError::Token(TokenError::Invalid)))).collect()
    }
}

/// A token's fate from what the database holds for it.
fn judge(check: Option<TokenCheck>) -> Result<User, StatusError> {
    let Some(check) = check else {
        return Err(StatusError::Token(TokenError::Invalid));
    };
    match (check.revoked, check.session) {
        (true, _) | (false, SessionState::Ended) => Err(StatusError::Revoked),
        // A session this database never had: a restored backup, or another database. The token must
        // not speak for whoever holds its user id here.
        (false, SessionState::Missing) => Err(StatusError::Token(TokenError::Invalid)),
        (false, SessionState::Live | SessionState::NotNamed) => Ok(check.user),
    }
}
