use crate::session::SessionId;
use crate::signing_keys::KeyRing;
use crate::user::UserId;
use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// The random `jti` of one token; revocations are keyed by it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenId(String);

impl TokenId {
    pub fn new_random() -> Self {
        Self(uuid::Uuid::new_v4().hyphenated().to_string())
    }

    /// Accepts only the canonical hyphenated UUID form that `new_random` produces.
    pub fn parse(raw: &str) -> Option<Self> {
        let uuid = uuid::Uuid::try_parse(raw).ok()?;
        let canonical = uuid.hyphenated().to_string();
        (canonical == raw).then_some(Self(canonical))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Every claim but `sid` is required: serde rejects a token that lacks one. Tokens issued before
/// sessions carry no `sid`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: i64,
    exp: i64,
    jti: String,
    iss: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
}

#[derive(Clone)]
pub struct TokenSettings {
    pub secret: SecretString,
    pub issuer: String,
    pub access_ttl_secs: u64,
    pub leeway_secs: u64,
}

impl fmt::Debug for TokenSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSettings")
            .field("secret", &"[REDACTED]")
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

/// Why a presented token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token expired")]
    Expired,
    #[error("token invalid")]
    Invalid,
    /// Signing failed, or the expiry is past what a date can hold: a fault of ours, not the client's.
    #[error("the token could not be issued")]
    IssueFailed,
    /// The signing keys could not be read yet (the database is unavailable): try again.
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    pub user_id: UserId,
    pub jti: TokenId,
    pub expires_at: DateTime<Utc>,
    /// The session the token belongs to; `None` for a token issued before sessions.
    pub session: Option<SessionId>,
}

/// Issues and verifies access tokens: HS256 with `tokens.secret`, or EdDSA with the key ring's keys
/// (`with_keys`). Time always comes from the caller, never from the system clock, so expiry is decided
/// by the injected clock.
pub struct TokenCodec {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    header: Header,
    /// EdDSA: the keys, and the validation that pins the algorithm.
    keys: Option<(Arc<KeyRing>, Validation)>,
    /// Tokens whose signature and header were checked, with their claims. An Ed25519 check costs ~40 µs,
    /// an HS256 one (base64, HMAC, JSON) ~1.7 µs, a hit ~0.14 µs (criterion, docs/BENCHMARKS.md). A hit
    /// skips only that: expiry is checked on every use, and revocation is the database's, so nothing
    /// cached outlives the token or hides a revocation. The key of an entry is the whole token: another
    /// signature is another entry, and only checked tokens are entered.
    checked: quick_cache::sync::Cache<Box<str>, Arc<Claims>>,
    issuer: String,
    ttl: TimeDelta,
    leeway: TimeDelta,
}

impl TokenCodec {
    /// Ten years: anything longer is a configuration mistake, not a session.
    pub const MAX_TTL_SECS: u64 = 10 * 365 * 24 * 3600;
    /// Tokens are a few hundred bytes; anything this large is refused before any parsing.
    pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
    /// An hour of tolerated clock skew is already generous; production allows at most a minute.
    pub const MAX_LEEWAY_SECS: u64 = 3600;
    /// How many checked tokens are remembered (a few MiB at most).
    pub const CHECKED_TOKENS: usize = 16_384;

    pub fn new(settings: &TokenSettings) -> Result<Self, TokenConfigError> {
        let secret = settings.secret.expose_secret().as_bytes();
        if secret.is_empty() {
            return Err(TokenConfigError::EmptySecret);
        }
        if settings.issuer.is_empty() {
            return Err(TokenConfigError::EmptyIssuer);
        }
        if settings.access_ttl_secs == 0 || settings.access_ttl_secs > Self::MAX_TTL_SECS {
            return Err(TokenConfigError::BadTtl { max: Self::MAX_TTL_SECS });
        }
        if settings.leeway_secs > Self::MAX_LEEWAY_SECS {
            return Err(TokenConfigError::BadLeeway { max: Self::MAX_LEEWAY_SECS });
        }
        let encoding = EncodingKey::from_secret(secret).map_err(|_| TokenConfigError::EmptySecret)?;
        let decoding = DecodingKey::from_secret(secret).map_err(|_| TokenConfigError::EmptySecret)?;

        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked against the injected clock in `verify`, not the system clock.
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.leeway = 0;
        validation.set_issuer(&[settings.issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "jti"]);

        // Both are bounded above, so these fit.
        let secs = |s: u64| TimeDelta::seconds(i64::try_from(s).unwrap_or(0));
        Ok(Self {
            encoding,
            decoding,
            validation,
            header: Header::new(Algorithm::HS256),
            keys: None,
            checked: quick_cache::sync::Cache::new(Self::CHECKED_TOKENS),
            issuer: settings.issuer.clone(),
            ttl: secs(settings.access_ttl_secs),
            leeway: secs(settings.leeway_secs),
        })
    }

    /// Signs with EdDSA, the ring's current key named by `kid`, and verifies only EdDSA tokens whose `kid`
    /// is one of the ring's published keys.
    pub fn with_keys(settings: &TokenSettings, ring: Arc<KeyRing>) -> Result<Self, TokenConfigError> {
        let mut codec = Self::new(settings)?;
        let mut validation = codec.validation.clone();
        validation.algorithms = vec![Algorithm::EdDSA];
        codec.header = Header::new(Algorithm::EdDSA);
        codec.keys = Some((ring, validation));
        Ok(codec)
    }

    /// The signing keys, when tokens are signed with EdDSA.
    pub fn key_ring(&self) -> Option<&Arc<KeyRing>> {
        self.keys.as_ref().map(|(ring, _)| ring)
    }

    pub fn leeway(&self) -> TimeDelta {
        self.leeway
    }

    /// A token without a session (as every token was before sessions).
    pub fn issue(&self, user_id: UserId, now: DateTime<Utc>) -> Result<IssuedToken, TokenError> {
        self.issue_with(user_id, None, now)
    }

    /// A token of `session`: it dies with the session.
    pub fn issue_in_session(
        &self,
        user_id: UserId,
        session: SessionId,
        now: DateTime<Utc>,
    ) -> Result<IssuedToken, TokenError> {
        self.issue_with(user_id, Some(session), now)
    }

    /// How long a token lives, for `expires_in`.
    pub fn ttl_secs(&self) -> u64 {
        u64::try_from(self.ttl.num_seconds()).unwrap_or(0)
    }

    fn issue_with(
        &self,
        user_id: UserId,
        session: Option<SessionId>,
        now: DateTime<Utc>,
    ) -> Result<IssuedToken, TokenError> {
        let jti = TokenId::new_random();
        let expires_at = now.checked_add_signed(self.ttl).ok_or(TokenError::IssueFailed)?;
        let claims = Claims {
            sub: user_id.0.to_string(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            jti: jti.as_str().to_owned(),
            iss: self.issuer.clone(),
            sid: session.map(|s| s.to_string()),
        };
        let token = match &self.keys {
            None => jsonwebtoken::encode(&self.header, &claims, &self.encoding),
            Some((ring, _)) => {
                let (kid, key) = ring.signing_key(now).map_err(|e| {
                    tracing::warn!(error = %e, "no key to sign with");
                    TokenError::KeysUnavailable
                })?;
                let header = Header { kid: Some(kid), ..self.header.clone() };
                jsonwebtoken::encode(&header, &claims, &key)
            }
        }
        .map_err(|_| TokenError::IssueFailed)?;
        let expires_at = DateTime::from_timestamp(claims.exp, 0).ok_or(TokenError::IssueFailed)?;
        Ok(IssuedToken { user_id, token: SecretString::from(token), jti, expires_at })
    }

    /// Checks the signature (HS256 only), the issuer and every claim, then expiry against `now`.
    /// A bad signature is reported as `Invalid` even when the token has also expired.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<VerifiedToken, TokenError> {
        if token.len() > Self::MAX_TOKEN_BYTES {
            return Err(TokenError::Invalid);
        }
        let claims = match self.checked.get(token) {
            Some(claims) => claims,
            None => {
                let claims = Arc::new(self.check_signature(token, now)?);
                self.checked.insert(token.into(), claims.clone());
                claims
            }
        };

        let user_id = claims.sub.parse::<i64>().ok().filter(|id| *id > 0).ok_or(TokenError::Invalid)?;
        let jti = TokenId::parse(&claims.jti).ok_or(TokenError::Invalid)?;
        let session = match &claims.sid {
            Some(sid) => Some(SessionId::parse(sid).ok_or(TokenError::Invalid)?),
            None => None,
        };
        let issued_at = DateTime::from_timestamp(claims.iat, 0).ok_or(TokenError::Invalid)?;
        let expires_at = DateTime::from_timestamp(claims.exp, 0).ok_or(TokenError::Invalid)?;
        // Checked: `exp` may be any date a client chose to sign (with our key, it is ours, but the
        // arithmetic must not be the thing that fails).
        let latest_issue = now.checked_add_signed(self.leeway).ok_or(TokenError::Invalid)?;
        if expires_at <= issued_at || issued_at > latest_issue {
            return Err(TokenError::Invalid);
        }
        if expires_at.checked_add_signed(self.leeway).ok_or(TokenError::Invalid)? <= now {
            return Err(TokenError::Expired);
        }
        Ok(VerifiedToken { user_id: UserId(user_id), jti, expires_at, session })
    }
}

impl TokenCodec {
    /// The signature and header: HS256 with the secret, or EdDSA with one of our published keys.
    fn check_signature(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        match &self.keys {
            None => {
                let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
                    .map_err(|_| TokenError::Invalid)?;
                refuse_key_selection(&data.header, false)?;
                Ok(data.claims)
            }
            Some((ring, validation)) => {
                // The kid picks among our own published keys only; the algorithm is pinned.
                let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
                let kid =
                    header.kid.as_deref().filter(|_| header.alg == Algorithm::EdDSA).ok_or(TokenError::Invalid)?;
                let key = ring
                    .verifying_key(kid, now)
                    .map_err(|_| TokenError::KeysUnavailable)?
                    .ok_or(TokenError::Invalid)?;
                let data = jsonwebtoken::decode::<Claims>(token, &key, validation).map_err(|_| TokenError::Invalid)?;
                refuse_key_selection(&data.header, true)?;
                Ok(data.claims)
            }
        }
    }
}

/// Our HS256 tokens carry only alg and typ, our EdDSA ones a kid too. Other key-selection headers (jku,
/// jwk, x5*) and critical extensions are refused even under a valid signature: nothing in a token may
/// choose the key.
fn refuse_key_selection(h: &Header, kid_allowed: bool) -> Result<(), TokenError> {
    if (h.kid.is_some() && !kid_allowed)
        || h.jku.is_some()
        || h.jwk.is_some()
        || h.x5u.is_some()
        || h.x5c.is_some()
        || h.x5t.is_some()
        || h.x5t_s256.is_some()
        || h.crit.is_some()
    {
        return Err(TokenError::Invalid);
    }
    Ok(())
}

impl fmt::Debug for TokenCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCodec")
            .field("issuer", &self.issuer)
            .field("ttl", &self.ttl)
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn b64(bytes: &[u8]) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    const SECRET: &str = "test-secret-that-is-long-enough-for-hs256";

    fn settings() -> TokenSettings {
        TokenSettings {
            secret: SecretString::from(SECRET),
            issuer: "auth-service".into(),
            access_ttl_secs: 3600,
            leeway_secs: 0,
        }
    }

    fn codec() -> TokenCodec {
        TokenCodec::new(&settings()).unwrap()
    }

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
    }

    fn sign(header: &Header, claims: &serde_json::Value, secret: &str) -> String {
        jsonwebtoken::encode(header, claims, &EncodingKey::from_secret(secret.as_bytes()).unwrap()).unwrap()
    }

    fn claims_at(now: DateTime<Utc>) -> serde_json::Value {
        json!({
            "sub": "7",
            "iat": now.timestamp(),
            "exp": now.timestamp() + 3600,
            "jti": TokenId::new_random().as_str(),
            "iss": "auth-service",
        })
    }

    #[test]
    fn settings_out_of_range_are_refused() {
        let leeway = TokenSettings { leeway_secs: TokenCodec::MAX_LEEWAY_SECS + 1, ..settings() };
        assert_eq!(TokenCodec::new(&leeway).unwrap_err(), TokenConfigError::BadLeeway { max: 3600 });
        let huge = TokenSettings { leeway_secs: 99_999_999_999_999, ..settings() };
        assert!(TokenCodec::new(&huge).is_err());
        let ttl = TokenSettings { access_ttl_secs: TokenCodec::MAX_TTL_SECS + 1, ..settings() };
        assert!(TokenCodec::new(&ttl).is_err());
    }

    #[test]
    fn dates_at_the_end_of_time_are_refused_not_a_panic() {
        let codec = TokenCodec::new(&TokenSettings { leeway_secs: TokenCodec::MAX_LEEWAY_SECS, ..settings() }).unwrap();
        let last = DateTime::<Utc>::MAX_UTC.timestamp();
        for (iat, exp) in [(t0().timestamp(), last), (last - 10, last), (t0().timestamp(), i64::MAX)] {
            let claims = json!({"sub": "1", "iat": iat, "exp": exp, "jti": TokenId::new_random().as_str(), "iss": "auth-service"});
            let token = sign(&Header::new(Algorithm::HS256), &claims, SECRET);
            assert_eq!(codec.verify(&token, t0()), Err(TokenError::Invalid), "iat {iat} exp {exp}");
        }
        // issuing at the end of time fails as ours, not as the client's
        assert!(matches!(codec.issue(UserId(1), DateTime::<Utc>::MAX_UTC), Err(TokenError::IssueFailed)));
    }

    #[test]
    fn round_trips_the_user_and_jti() {
        let codec = codec();
        let issued = codec.issue(UserId(42), t0()).unwrap();
        assert_eq!(issued.expires_at, t0() + TimeDelta::seconds(3600));
        let verified = codec.verify(issued.token.expose_secret(), t0()).unwrap();
        assert_eq!(
            verified,
            VerifiedToken { user_id: UserId(42), jti: issued.jti, expires_at: issued.expires_at, session: None }
        );
    }

    #[test]
    fn two_tokens_in_the_same_second_differ() {
        let codec = codec();
        let a = codec.issue(UserId(1), t0()).unwrap();
        let b = codec.issue(UserId(1), t0()).unwrap();
        assert_ne!(a.token.expose_secret(), b.token.expose_secret());
        assert_ne!(a.jti, b.jti);
    }

    #[test]
    fn expires_by_the_injected_clock() {
        let codec = codec();
        let issued = codec.issue(UserId(1), t0()).unwrap();
        let token = issued.token.expose_secret();
        assert!(codec.verify(token, t0() + TimeDelta::seconds(3599)).is_ok());
        assert_eq!(codec.verify(token, t0() + TimeDelta::seconds(3600)), Err(TokenError::Expired));
        assert_eq!(codec.verify(token, t0() + TimeDelta::days(2)), Err(TokenError::Expired));
    }

    #[test]
    fn leeway_extends_expiry() {
        let codec = TokenCodec::new(&TokenSettings { leeway_secs: 30, ..settings() }).unwrap();
        let token = codec.issue(UserId(1), t0()).unwrap().token;
        assert!(codec.verify(token.expose_secret(), t0() + TimeDelta::seconds(3629)).is_ok());
        assert_eq!(codec.verify(token.expose_secret(), t0() + TimeDelta::seconds(3630)), Err(TokenError::Expired));
    }

    #[test]
    fn rejects_a_token_signed_with_another_key_even_when_expired() {
        let token = sign(&Header::new(Algorithm::HS256), &claims_at(t0()), "another-secret-another-secret-xx");
        assert_eq!(codec().verify(&token, t0()), Err(TokenError::Invalid));
        assert_eq!(codec().verify(&token, t0() + TimeDelta::days(1)), Err(TokenError::Invalid));
    }

    #[test]
    fn rejects_other_algorithms() {
        let token = sign(&Header::new(Algorithm::HS512), &claims_at(t0()), SECRET);
        assert_eq!(codec().verify(&token, t0()), Err(TokenError::Invalid));
    }

    #[test]
    fn rejects_alg_none() {
        let claims = claims_at(t0()).to_string();
        for alg in ["none", "None", "NONE"] {
            let header = format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#);
            for signature in ["", "c2ln"] {
                let token = format!("{}.{}.{signature}", b64(header.as_bytes()), b64(claims.as_bytes()));
                assert_eq!(codec().verify(&token, t0()), Err(TokenError::Invalid), "{token}");
            }
        }
    }

    #[test]
    fn rejects_key_selection_headers_even_under_a_valid_signature() {
        let mut with_kid = Header::new(Algorithm::HS256);
        with_kid.kid = Some("1".into());
        let mut with_jku = Header::new(Algorithm::HS256);
        with_jku.jku = Some("https://attacker.example/jwks.json".into());
        let mut with_x5u = Header::new(Algorithm::HS256);
        with_x5u.x5u = Some("https://attacker.example/cert.pem".into());
        for header in [with_kid, with_jku, with_x5u] {
            let token = sign(&header, &claims_at(t0()), SECRET);
            assert_eq!(codec().verify(&token, t0()), Err(TokenError::Invalid), "{header:?}");
        }
        // the same claims under a plain header are fine
        assert!(codec().verify(&sign(&Header::new(Algorithm::HS256), &claims_at(t0()), SECRET), t0()).is_ok());
    }

    #[test]
    fn rejects_a_tampered_payload() {
        let codec = codec();
        let token = codec.issue(UserId(1), t0()).unwrap().token.expose_secret().to_owned();
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let forged = claims_at(t0());
        let mut forged = forged.as_object().unwrap().clone();
        forged.insert("sub".into(), json!("2"));
        parts[1] = b64(serde_json::Value::Object(forged).to_string().as_bytes());
        assert_eq!(codec.verify(&parts.join("."), t0()), Err(TokenError::Invalid));
    }

    #[test]
    fn rejects_garbage() {
        for token in ["", "a", "a.b", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9.e30.", "\u{1F600}.x.y"] {
            assert_eq!(codec().verify(token, t0()), Err(TokenError::Invalid), "{token:?}");
        }
    }

    #[test]
    fn rejects_a_missing_claim() {
        for claim in ["sub", "iat", "exp", "jti", "iss"] {
            let mut claims = claims_at(t0());
            claims.as_object_mut().unwrap().remove(claim);
            let token = sign(&Header::new(Algorithm::HS256), &claims, SECRET);
            assert_eq!(codec().verify(&token, t0()), Err(TokenError::Invalid), "without {claim}");
        }
    }

    #[test]
    fn rejects_bad_claim_values_even_when_signed_with_the_key() {
        let cases: Vec<(&str, serde_json::Value)> = vec![
            ("sub", json!("abc")),
            ("sub", json!("-1")),
            ("sub", json!("0")),
            ("sub", json!(7)),
            ("iss", json!("someone-else")),
            ("jti", json!("not-a-uuid")),
            ("iat", json!(t0().timestamp() + 600)),
            ("exp", json!(t0().timestamp() - 10_000)),
        ];
        for (claim, value) in cases {
            let mut claims = claims_at(t0());
            claims.as_object_mut().unwrap().insert(claim.into(), value.clone());
            let token = sign(&Header::new(Algorithm::HS256), &claims, SECRET);
            assert_eq!(codec().verify(&token, t0()), Err(TokenError::Invalid), "{claim} = {value}");
        }
    }

    #[test]
    fn refuses_oversized_tokens_before_parsing() {
        let token = "a".repeat(TokenCodec::MAX_TOKEN_BYTES + 1);
        assert_eq!(codec().verify(&token, t0()), Err(TokenError::Invalid));
        // The limit itself: a validly signed token just under 8 KiB passes, the next size up does not.
        let signed = |padding: usize| {
            let mut claims = claims_at(t0());
            claims.as_object_mut().unwrap().insert("pad".into(), json!("x".repeat(padding)));
            sign(&Header::new(Algorithm::HS256), &claims, SECRET)
        };
        let largest =
            (0..TokenCodec::MAX_TOKEN_BYTES).rev().find(|&n| signed(n).len() <= TokenCodec::MAX_TOKEN_BYTES).unwrap();
        let (fits, over) = (signed(largest), signed(largest + 1));
        assert!(fits.len() > TokenCodec::MAX_TOKEN_BYTES - 4 && over.len() > TokenCodec::MAX_TOKEN_BYTES);
        assert!(codec().verify(&fits, t0()).is_ok(), "{} bytes", fits.len());
        assert_eq!(codec().verify(&over, t0()), Err(TokenError::Invalid), "{} bytes", over.len());
    }

    #[test]
    fn refuses_bad_settings() {
        let empty = TokenSettings { secret: SecretString::from(""), ..settings() };
        assert_eq!(TokenCodec::new(&empty).unwrap_err(), TokenConfigError::EmptySecret);
        let zero_ttl = TokenSettings { access_ttl_secs: 0, ..settings() };
        assert!(matches!(TokenCodec::new(&zero_ttl).unwrap_err(), TokenConfigError::BadTtl { .. }));
    }

    #[test]
    fn debug_output_has_no_secret_or_token() {
        let codec = codec();
        let issued = codec.issue(UserId(1), t0()).unwrap();
        for debug in [format!("{:?}", settings()), format!("{codec:?}"), format!("{issued:?}")] {
            assert!(!debug.contains(SECRET), "{debug}");
            assert!(!debug.contains(issued.token.expose_secret()), "{debug}");
        }
    }

    fn eddsa_t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
    }

    /// A key ring over an in-memory store: one Ed25519 key, signing from `eddsa_t0`.
    fn eddsa_ring(store: &Arc<crate::testing::MemoryStore>) -> KeyRing {
        let kek =
            crate::signing_keys::KeyEncryptionKey::from_base64("dGVzdC1vbmx5LWtleS1lbmNyeXB0aW9uLWtleS0zMiE=").unwrap();
        let policy = crate::signing_keys::KeyPolicy {
            rotation: None,
            publish_lead: TimeDelta::seconds(600),
            refresh: TimeDelta::seconds(60),
            token_life: TimeDelta::seconds(3600),
        };
        KeyRing::load(store.clone(), kek, policy, eddsa_t0()).unwrap()
    }

    #[test]
    fn a_checked_token_still_expires_and_a_changed_one_is_checked_again() {
        let store = Arc::new(crate::testing::MemoryStore::default());
        let settings = TokenSettings {
            secret: "a-secret-only-for-refresh-tokens-0123456789".to_owned().into(),
            issuer: "auth-service".into(),
            access_ttl_secs: 3600,
            leeway_secs: 0,
        };
        let codec = TokenCodec::with_keys(&settings, Arc::new(eddsa_ring(&store))).unwrap();
        let issued = codec.issue(crate::user::UserId(7), eddsa_t0()).unwrap();
        let token = issued.token.expose_secret();
        assert_eq!(codec.verify(token, eddsa_t0()).unwrap().user_id.0, 7);
        assert_eq!(codec.verify(token, eddsa_t0() + TimeDelta::seconds(10)).unwrap().user_id.0, 7, "from the cache");
        assert_eq!(codec.verify(token, eddsa_t0() + TimeDelta::seconds(3600)).unwrap_err(), TokenError::Expired);
        let mut changed = token.to_owned();
        let last = changed.pop().unwrap();
        changed.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(codec.verify(&changed, eddsa_t0()).unwrap_err(), TokenError::Invalid);
    }

    #[test]
    fn a_checked_hs256_token_still_expires_and_nothing_unchecked_is_kept() {
        let codec = codec();
        let issued = codec.issue(crate::user::UserId(7), t0()).unwrap();
        let token = issued.token.expose_secret();
        assert_eq!(codec.verify(token, t0()).unwrap().user_id.0, 7);
        assert_eq!(codec.checked.len(), 1);
        assert_eq!(codec.verify(token, t0() + TimeDelta::seconds(10)).unwrap().user_id.0, 7, "from the cache");
        assert_eq!(codec.verify(token, t0() + TimeDelta::seconds(3600)).unwrap_err(), TokenError::Expired);
        // the same claims under another secret, and the token with its signature changed
        let (payload, _) = token.rsplit_once('.').unwrap();
        let foreign = sign(&Header::new(Algorithm::HS256), &claims_at(t0()), "another-secret-another-secret-xx");
        let mut changed = token.to_owned();
        let last = changed.pop().unwrap();
        changed.push(if last == 'A' { 'B' } else { 'A' });
        for forged in [foreign, changed, format!("{payload}.")] {
            assert_eq!(codec.verify(&forged, t0()).unwrap_err(), TokenError::Invalid, "{forged}");
        }
        assert_eq!(codec.checked.len(), 1, "only the checked token is kept");
    }
}
