//! Access tokens: issued by this service, checked by the contract in `auth-token`, with the keys of a
//! `Signer`. Verifying reads memory only (the key snapshot and the checked-token cache): it never waits
//! for the database.

use crate::keys::KeyRing;
use crate::session::SessionId;
use crate::user::UserId;
use auth_token::{Algorithm, Claims, Refusal, Verification, VerifiedClaims};
use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::{DecodingKey, EncodingKey};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::sync::Arc;

/// The random `jti` of one token; revocations are keyed by it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenId(String);

impl TokenId {
    pub fn new_random() -> Self {
        Self(uuid::Uuid::new_v4().hyphenated().to_string())
    }

    /// Accepts only the canonical hyphenated lower-case UUID form that `new_random` produces.
    pub fn parse(raw: &str) -> Option<Self> {
        auth_token::canonical_uuid(raw).map(|_| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Clone)]
pub struct TokenSettings {
    pub issuer: String,
    pub access_ttl_secs: u64,
    pub leeway_secs: u64,
}

impl fmt::Debug for TokenSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSettings")
            .field("issuer", &self.issuer)
            .field("access_ttl_secs", &self.access_ttl_secs)
            .field("leeway_secs", &self.leeway_secs)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenConfigError {
    #[error("tokens.secret must not be empty")]
    EmptySecret,
    #[error("tokens.access_ttl_secs must be between 1 and {max}")]
    BadTtl { max: u64 },
    #[error("tokens.issuer must not be empty")]
    EmptyIssuer,
    #[error("tokens.leeway_secs must be at most {max}")]
    BadLeeway { max: u64 },
}

/// Why a token could not be issued: a fault of ours, never the client's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    /// Signing failed, or the expiry is past what a date can hold.
    #[error("the token could not be issued")]
    Failed,
    /// No signing key could be read yet (the database is unavailable): try again.
    #[error("the signing keys are unavailable")]
    KeysUnavailable,
}

pub struct IssuedToken {
    pub user_id: UserId,
    pub token: SecretString,
    pub jti: TokenId,
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("user_id", &self.user_id)
            .field("jti", &self.jti)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A token whose signature, header and claims passed, unexpired at the time it was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    pub user_id: UserId,
    pub jti: TokenId,
    pub expires_at: DateTime<Utc>,
    /// The session the token belongs to; `None` for a token issued before sessions.
    pub session: Option<SessionId>,
}

impl VerifiedToken {
    fn of(claims: VerifiedClaims) -> Result<Self, Refusal> {
        let session = match &claims.session_id {
            Some(sid) => Some(SessionId::parse(sid).ok_or(Refusal::Invalid)?),
            None => None,
        };
        Ok(Self {
            user_id: UserId(claims.user_id),
            jti: TokenId::parse(&claims.token_id).ok_or(Refusal::Invalid)?,
            expires_at: claims.expires_at,
            session,
        })
    }
}

/// Why a token did not verify, as the service itself needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unverified {
    /// The contract's answer.
    Refused(Refusal),
    /// Signed (it says) with a key this instance has not read: perhaps one another instance added since
    /// this one last read. A read has been asked for; the answer is `Invalid` unless that read finds it.
    UnreadKey,
}

impl From<Refusal> for Unverified {
    fn from(refusal: Refusal) -> Self {
        Self::Refused(refusal)
    }
}

/// What signs access tokens, and so what verifies them.
pub enum Signer {
    /// One shared secret (`tokens.secret`).
    Hs256 { encoding: EncodingKey, decoding: DecodingKey },
    /// The key ring's keys, each named by the token's `kid`.
    EdDsa(Arc<KeyRing>),
}

impl Signer {
    pub fn hs256(secret: &SecretString) -> Result<Self, TokenConfigError> {
        let secret = secret.expose_secret().as_bytes();
        Ok(Self::Hs256 {
            encoding: EncodingKey::from_secret(secret).map_err(|_| TokenConfigError::EmptySecret)?,
            decoding: DecodingKey::from_secret(secret).map_err(|_| TokenConfigError::EmptySecret)?,
        })
    }

    fn algorithm(&self) -> Algorithm {
        match self {
            Self::Hs256 { .. } => Algorithm::Hs256,
            Self::EdDsa(_) => Algorithm::EdDsa,
        }
    }
}

/// A token already checked: its claims and the key that signed it.
struct Checked {
    claims: Claims,
    kid: Option<String>,
}

/// Issues and verifies access tokens. Time always comes from the caller, never from the system clock,
/// so expiry is decided by the injected clock.
pub struct TokenCodec {
    signer: Signer,
    verification: Verification,
    /// Tokens whose signature and header were checked. An Ed25519 check costs ~40 µs, an HS256 one
    /// ~1.7 µs, a hit ~0.14 µs (criterion, docs/BENCHMARKS.md). A hit skips only that: the claims are
    /// judged on every use (expiry), the key must still be trusted (a revoked key), and revocation is
    /// the database's, so nothing cached outlives the token or hides a revocation. The key of an entry
    /// is the whole token: another signature is another entry, and only checked tokens are entered.
    checked: quick_cache::sync::Cache<Box<str>, Arc<Checked>>,
    issuer: String,
    ttl: TimeDelta,
}

impl TokenCodec {
    /// Ten years: anything longer is a configuration mistake, not a session.
    pub const MAX_TTL_SECS: u64 = 10 * 365 * 24 * 3600;
    pub const MAX_TOKEN_BYTES: usize = auth_token::MAX_TOKEN_BYTES;
    /// An hour of tolerated clock skew is already generous; production allows at most a minute.
    pub const MAX_LEEWAY_SECS: u64 = 3600;
    /// How many checked tokens are remembered (a few MiB at most).
    pub const CHECKED_TOKENS: usize = 16_384;

    pub fn new(settings: &TokenSettings, signer: Signer) -> Result<Self, TokenConfigError> {
        if settings.issuer.is_empty() {
            return Err(TokenConfigError::EmptyIssuer);
        }
        if settings.access_ttl_secs == 0 || settings.access_ttl_secs > Self::MAX_TTL_SECS {
            return Err(TokenConfigError::BadTtl { max: Self::MAX_TTL_SECS });
        }
        if settings.leeway_secs > Self::MAX_LEEWAY_SECS {
            return Err(TokenConfigError::BadLeeway { max: Self::MAX_LEEWAY_SECS });
        }
        Ok(Self {
            verification: Verification::new(signer.algorithm(), &settings.issuer, settings.leeway_secs),
            signer,
            checked: quick_cache::sync::Cache::new(Self::CHECKED_TOKENS),
            issuer: settings.issuer.clone(),
            // bounded above, so this fits
            ttl: TimeDelta::seconds(i64::try_from(settings.access_ttl_secs).unwrap_or(0)),
        })
    }

    /// The signing keys, when tokens are signed with EdDSA.
    pub fn key_ring(&self) -> Option<&Arc<KeyRing>> {
        match &self.signer {
            Signer::EdDsa(ring) => Some(ring),
            Signer::Hs256 { .. } => None,
        }
    }

    pub fn algorithm(&self) -> Algorithm {
        self.signer.algorithm()
    }

    pub fn leeway(&self) -> TimeDelta {
        self.verification.leeway()
    }

    /// How long a token lives, for `expires_in`.
    pub fn ttl_secs(&self) -> u64 {
        u64::try_from(self.ttl.num_seconds()).unwrap_or(0)
    }

    /// A token without a session, as every token was before sessions (tests of that contract).
    pub fn issue_sessionless(&self, user_id: UserId, now: DateTime<Utc>) -> Result<IssuedToken, IssueError> {
        self.issue_with(user_id, None, now)
    }

    /// A token of `session`: it dies with the session.
    pub fn issue(&self, user_id: UserId, session: SessionId, now: DateTime<Utc>) -> Result<IssuedToken, IssueError> {
        self.issue_with(user_id, Some(session), now)
    }

    fn issue_with(
        &self,
        user_id: UserId,
        session: Option<SessionId>,
        now: DateTime<Utc>,
    ) -> Result<IssuedToken, IssueError> {
        let jti = TokenId::new_random();
        let expires_at = now.checked_add_signed(self.ttl).ok_or(IssueError::Failed)?;
        let claims = Claims {
            sub: user_id.0.to_string(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            jti: jti.as_str().to_owned(),
            iss: self.issuer.clone(),
            sid: session.map(|s| s.to_string()),
        };
        let token = match &self.signer {
            Signer::Hs256 { encoding, .. } => jsonwebtoken::encode(&Algorithm::Hs256.header(None), &claims, encoding),
            Signer::EdDsa(ring) => {
                let keys = ring.keys();
                let (kid, key) = keys.signing_key(now).ok_or_else(|| {
                    tracing::warn!("no key to sign with: the signing keys could not be read yet");
                    IssueError::KeysUnavailable
                })?;
                jsonwebtoken::encode(&Algorithm::EdDsa.header(Some(kid.to_owned())), &claims, key)
            }
        }
        .map_err(|_| IssueError::Failed)?;
        let expires_at = DateTime::from_timestamp(claims.exp, 0).ok_or(IssueError::Failed)?;
        Ok(IssuedToken { user_id, token: SecretString::from(token), jti, expires_at })
    }

    /// The token's claims if it is ours and unexpired at `now` (see `auth_token::Verification`). A bad
    /// signature is `Invalid` even when the token has also expired. Reads no database: a `kid` this
    /// instance has not read only asks the key task for a read (rate-limited) and is `Invalid` now.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<VerifiedToken, Refusal> {
        self.check(token, now).map_err(|e| match e {
            Unverified::Refused(refusal) => refusal,
            Unverified::UnreadKey => Refusal::Invalid,
        })
    }

    /// `verify`, telling a key not read yet apart from a refusal.
    pub fn check(&self, token: &str, now: DateTime<Utc>) -> Result<VerifiedToken, Unverified> {
        if token.len() > Self::MAX_TOKEN_BYTES {
            return Err(Refusal::Invalid.into());
        }
        let checked = match self.checked.get(token) {
            Some(checked) if self.still_trusted(&checked, now)? => checked,
            Some(_) => return Err(Refusal::Invalid.into()),
            None => {
                let checked = Arc::new(self.check_signature(token, now)?);
                self.checked.insert(token.into(), checked.clone());
                checked
            }
        };
        Ok(VerifiedToken::of(self.verification.judge(&checked.claims, now)?)?)
    }

    /// Whether a read of the signing keys has been asked for and not yet made (a token named a key not
    /// read yet): a caller may wait for it (without blocking) and check the token again.
    pub fn key_read_pending(&self) -> bool {
        self.key_ring().is_some_and(|ring| ring.read_pending())
    }

    /// Whether the key that signed a cached token is still trusted (not revoked, not retired).
    fn still_trusted(&self, checked: &Checked, now: DateTime<Utc>) -> Result<bool, Refusal> {
        match (&self.signer, &checked.kid) {
            (Signer::EdDsa(ring), Some(kid)) => Ok(ring.keys().verifying_key(kid, now).is_some()),
            (Signer::Hs256 { .. }, None) => Ok(true),
            _ => Err(Refusal::Invalid),
        }
    }

    fn check_signature(&self, token: &str, now: DateTime<Utc>) -> Result<Checked, Unverified> {
        let kid = self.verification.key_id(token)?;
        let claims = match (&self.signer, &kid) {
            (Signer::Hs256 { decoding, .. }, _) => self.verification.claims(token, decoding)?,
            (Signer::EdDsa(ring), Some(kid)) => {
                let keys = ring.keys();
                if keys.is_empty() {
                    ring.request_read(now);
                    return Err(Refusal::KeysUnavailable.into());
                }
                let Some(key) = keys.verifying_key(kid, now) else {
                    if keys.knows(kid) {
                        return Err(Refusal::Invalid.into());
                    }
                    // perhaps a key another instance added since this one last read
                    ring.request_read(now);
                    return Err(Unverified::UnreadKey);
                };
                self.verification.claims(token, key)?
            }
            (Signer::EdDsa(_), None) => return Err(Refusal::Invalid.into()),
        };
        Ok(Checked { claims, kid })
    }

    #[cfg(test)]
    fn cached(&self) -> usize {
        self.checked.len()
    }
}

impl fmt::Debug for TokenCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCodec")
            .field("algorithm", &self.algorithm())
            .field("issuer", &self.issuer)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
