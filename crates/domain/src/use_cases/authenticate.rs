use crate::principal::{AuthError, Principal};
use crate::service::AuthService;
use crate::store::{LiveAfter, SessionState, StoreError, TokenCheck, TokenLookup};
use crate::token::{Unverified, VerifiedToken};
use auth_token::Refusal;

impl AuthService {
    /// The caller a bearer token stands for: a token of ours, unexpired, not revoked, of a live session
    /// (or of none, as tokens issued before sessions are), of a user who still exists. The one check
    /// every authenticated request goes through.
    pub fn authenticate(&self, token: &str) -> Result<Principal, AuthError> {
        self.authenticate_once(token).map_err(|e| match e {
            AuthError::UnreadKey => AuthError::Refused(Refusal::Invalid),
            other => other,
        })
    }

    /// `authenticate`, telling a token of a key not read yet (`AuthError::UnreadKey`) apart.
    pub fn authenticate_once(&self, token: &str) -> Result<Principal, AuthError> {
        self.authenticate_many(&[token]).pop().unwrap_or(Err(AuthError::Refused(Refusal::Invalid)))
    }

    /// Whether a read of the signing keys is asked for and not yet made.
    pub fn key_read_pending(&self) -> bool {
        self.tokens.key_read_pending()
    }

    /// `authenticate_once` for several tokens, answered in order, with one round trip to the database for
    /// all the tokens that verify: concurrent requests' checks share it (the api's token-check lane).
    /// A store failure fails only the tokens that reached the store.
    pub fn authenticate_many<S: AsRef<str>>(&self, tokens: &[S]) -> Vec<Result<Principal, AuthError>> {
        let now = self.clock.now();
        // Ok: verified, waiting for the database's answer
        let verified: Vec<Result<VerifiedToken, AuthError>> = tokens
            .iter()
            .map(|token| {
                self.tokens.check(token.as_ref(), now).map_err(|e| match e {
                    Unverified::Refused(refusal) => AuthError::Refused(refusal),
                    Unverified::UnreadKey => AuthError::UnreadKey,
                })
            })
            .collect();
        let lookups: Vec<TokenLookup> = verified
            .iter()
            .filter_map(|v| v.as_ref().ok())
            .map(|v| TokenLookup { user_id: v.user_id, jti: v.jti.clone(), session: v.session })
            .collect();
        let (active_after, started_after) = self.session_policy.live_after(now);
        let checks = match lookups.is_empty() {
            true => Ok(Vec::new()),
            false => self.users.check_tokens(&lookups, LiveAfter { active_after, started_after }),
        };
        let checks = match checks {
            Ok(checks) if checks.len() != lookups.len() => {
                Err(StoreError::Corrupt(format!("{} token checks answered for {}", checks.len(), lookups.len())))
            }
            other => other,
        };
        let mut checks = checks.map(Vec::into_iter);
        verified
            .into_iter()
            .map(|v| {
                let verified = v?;
                match &mut checks {
                    Ok(checks) => judge(verified, checks.next().flatten()),
                    Err(e) => Err(AuthError::Store(e.clone())),
                }
            })
            .collect()
    }
}

/// A token's fate from what the database holds for it.
fn judge(verified: VerifiedToken, check: Option<TokenCheck>) -> Result<Principal, AuthError> {
    let Some(check) = check else {
        // the user has been deleted
        return Err(Refusal::Invalid.into());
    };
    match (check.revoked, check.session) {
        (true, _) | (false, SessionState::Ended) => Err(Refusal::Revoked.into()),
        // A session this database never had: a restored backup, or another database. The token must
        // not speak for whoever holds its user id here.
        (false, SessionState::Missing) => Err(Refusal::Invalid.into()),
        (false, SessionState::Live | SessionState::NotNamed) => Ok(Principal {
            user: check.user,
            session: verified.session,
            token_id: verified.jti,
            expires_at: verified.expires_at,
        }),
    }
}
