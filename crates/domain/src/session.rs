//! Sessions: what a login starts, a refresh token continues, and a logout, a password change or the
//! reuse of a consumed refresh token ends.

use chrono::{DateTime, TimeDelta, Utc};
use hmac::{KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// A session's id: a random UUID, in the access tokens' `sid` claim and in the session list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId(uuid::Uuid);

impl SessionId {
    pub fn new_random() -> Self {
        Self(uuid::Uuid::new_v4())
    }

    /// Accepts only the canonical hyphenated form (as the API and the database write it).
    pub fn parse(raw: &str) -> Option<Self> {
        let uuid = uuid::Uuid::try_parse(raw).ok()?;
        (uuid.hyphenated().to_string() == raw).then_some(Self(uuid))
    }

    fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// Who started a session, as the session list shows it. Both come from the client: they are
/// information for the user, never a check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

impl ClientInfo {
    /// Longer user agents are cut (on a character boundary): a client must not grow the table.
    pub const MAX_USER_AGENT_CHARS: usize = 256;

    pub fn new(user_agent: Option<&str>, ip: Option<String>) -> Self {
        let user_agent = user_agent
            .map(|ua| ua.chars().filter(|c| !c.is_control()).take(Self::MAX_USER_AGENT_CHARS).collect::<String>())
            .filter(|ua| !ua.is_empty());
        Self { user_agent, ip }
    }
}

/// A session as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub id: SessionId,
    pub created_on: DateTime<Utc>,
    pub last_active_on: DateTime<Utc>,
    pub client: ClientInfo,
}

/// How long sessions live, from `sessions.*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A refresh token unused this long is dead.
    pub refresh_ttl: TimeDelta,
    /// No session lives longer than this from its start, however often refreshed.
    pub max_lifetime: TimeDelta,
    /// How long the refresh token consumed by the latest rotation still gets that rotation's result.
    pub reuse_grace: TimeDelta,
    /// A new session beyond this many ends the least recently active one.
    pub max_per_user: u32,
}

impl SessionPolicy {
    pub const REFRESH_TTL_SECS: std::ops::RangeInclusive<u64> = 60..=365 * 24 * 3600;
    pub const MAX_LIFETIME_SECS: std::ops::RangeInclusive<u64> = 60..=5 * 365 * 24 * 3600;
    pub const REUSE_GRACE_SECS: std::ops::RangeInclusive<u64> = 0..=60;
    pub const MAX_PER_USER: std::ops::RangeInclusive<u32> = 1..=1000;

    pub fn from_secs(refresh_ttl: u64, max_lifetime: u64, reuse_grace: u64, max_per_user: u32) -> Self {
        let secs = |s: u64| TimeDelta::seconds(i64::try_from(s).unwrap_or(0));
        Self {
            refresh_ttl: secs(refresh_ttl),
            max_lifetime: secs(max_lifetime),
            reuse_grace: secs(reuse_grace),
            max_per_user,
        }
    }

    /// The oldest last activity and the oldest start a live session may have at `now`.
    pub fn live_after(&self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let before = |span: TimeDelta| now.checked_sub_signed(span).unwrap_or(DateTime::<Utc>::MIN_UTC);
        (before(self.refresh_ttl), before(self.max_lifetime))
    }
}

/// What a presented refresh generation that is not the current one means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleRefresh {
    /// The token consumed by the latest rotation, within the grace window: that rotation's result again.
    Grace,
    /// An older consumed token, or the latest one after the window: the session must end.
    Reuse,
    /// A generation the session never had.
    Invalid,
}

impl SessionPolicy {
    /// Judges generation `presented` of a live session whose current generation is `current`, rotated
    /// last at `rotated_at`. The grace runs for `reuse_grace` after the rotation, not including its end.
    pub fn judge_stale(
        &self,
        presented: u64,
        current: u64,
        rotated_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> StaleRefresh {
        let in_grace = rotated_at.is_some_and(|at| at + self.reuse_grace > now);
        if presented.checked_add(1) == Some(current) && in_grace {
            StaleRefresh::Grace
        } else if presented < current {
            StaleRefresh::Reuse
        } else {
            StaleRefresh::Invalid
        }
    }
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self::from_secs(30 * 24 * 3600, 90 * 24 * 3600, 10, 50)
    }
}

/// Why a session ended (stored, for the operator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    Logout,
    Reuse,
    PasswordChanged,
    Evicted,
    Revoked,
    /// The password was set through a reset link: every session ends.
    PasswordReset,
    /// The account was deleted.
    AccountDeleted,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::Reuse => "reuse",
            Self::PasswordChanged => "password_changed",
            Self::Evicted => "evicted",
            Self::Revoked => "revoked",
            Self::PasswordReset => "password_reset",
            Self::AccountDeleted => "account_deleted",
        }
    }
}

/// The refresh token of one generation of one session, presented back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RefreshClaim {
    pub session: SessionId,
    pub generation: u64,
}

impl fmt::Debug for RefreshClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshClaim").field("session", &self.session).field("generation", &self.generation).finish()
    }
}

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Refresh tokens derived, not stored: `base64url(session id ‖ generation ‖ HMAC-SHA256(key, both))`.
/// The database holds the session and its current generation only, so a dump yields no usable token;
/// the same (session, generation) always gives the same token, which is how concurrent refreshes
/// within the grace window all receive the one new token.
pub struct RefreshTokenCodec {
    key: [u8; 32],
}

impl RefreshTokenCodec {
    const LABEL: &'static [u8] = b"auth-service refresh token v1";
    const BYTES: usize = 16 + 8 + 32;

    /// The key is derived from `secret` (the server's signing secret) under a label of its own, so it
    /// signs nothing else.
    pub fn new(secret: &SecretString) -> Self {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(secret.expose_secret().as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(Self::LABEL);
        Self { key: mac.finalize().into_bytes().into() }
    }

    pub fn issue(&self, claim: RefreshClaim) -> SecretString {
        use base64::Engine as _;
        let mut bytes = Vec::with_capacity(Self::BYTES);
        bytes.extend_from_slice(claim.session.as_bytes());
        bytes.extend_from_slice(&claim.generation.to_be_bytes());
        let tag = self.mac(&bytes).finalize().into_bytes();
        bytes.extend_from_slice(&tag);
        SecretString::from(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The claim of a token this codec issued; `None` for anything else (checked in constant time).
    pub fn parse(&self, token: &str) -> Option<RefreshClaim> {
        use base64::Engine as _;
        if token.len() > 2 * Self::BYTES {
            return None;
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).ok()?;
        if bytes.len() != Self::BYTES {
            return None;
        }
        let (body, tag) = bytes.split_at(24);
        self.mac(body).verify_slice(tag).ok()?;
        let session = SessionId(uuid::Uuid::from_slice(&body[..16]).ok()?);
        let generation = u64::from_be_bytes(body[16..24].try_into().ok()?);
        Some(RefreshClaim { session, generation })
    }

    fn mac(&self, body: &[u8]) -> HmacSha256 {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        mac.update(body);
        mac
    }
}

impl fmt::Debug for RefreshTokenCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshTokenCodec { .. }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec(secret: &str) -> RefreshTokenCodec {
        RefreshTokenCodec::new(&SecretString::from(secret.to_owned()))
    }

    #[test]
    fn a_token_names_its_session_and_generation_and_nothing_else_parses() {
        let codec = codec("server-secret");
        let claim = RefreshClaim { session: SessionId::new_random(), generation: 7 };
        let token = codec.issue(claim);
        assert_eq!(codec.parse(token.expose_secret()), Some(claim));
        // deterministic: the same claim gives the same token
        assert_eq!(codec.issue(claim).expose_secret(), token.expose_secret());
        // at least 32 bytes of MAC; base64url without padding
        assert_eq!(token.expose_secret().len(), 75);
        assert!(token.expose_secret().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        // another key, a changed character, a next generation forged: all refused
        assert_eq!(super::tests::codec("another").parse(token.expose_secret()), None);
        let mut chars: Vec<char> = token.expose_secret().chars().collect();
        for i in [0, 30, 74] {
            let original = chars[i];
            chars[i] = if original == 'A' { 'B' } else { 'A' };
            assert_eq!(codec.parse(&chars.iter().collect::<String>()), None, "position {i}");
            chars[i] = original;
        }
        for garbage in ["", "abc", &"A".repeat(75), &"A".repeat(5000), "not base64!"] {
            assert_eq!(codec.parse(garbage), None, "{garbage:?}");
        }
    }

    #[test]
    fn debug_never_shows_a_token_or_the_key() {
        let codec = codec("server-secret");
        let claim = RefreshClaim { session: SessionId::new_random(), generation: 1 };
        assert_eq!(format!("{codec:?}"), "RefreshTokenCodec { .. }");
        assert!(!format!("{claim:?}").contains(codec.issue(claim).expose_secret()));
    }

    #[test]
    fn only_the_latest_consumed_generation_has_a_grace_and_only_within_it() {
        let policy = SessionPolicy::default();
        let at = DateTime::from_timestamp(1_000_000, 0).unwrap();
        let judge = |presented, current, after_secs| {
            policy.judge_stale(presented, current, Some(at), at + TimeDelta::seconds(after_secs))
        };
        assert_eq!(judge(4, 5, 0), StaleRefresh::Grace);
        assert_eq!(judge(4, 5, 9), StaleRefresh::Grace);
        assert_eq!(judge(4, 5, 10), StaleRefresh::Reuse, "the window does not include its end");
        assert_eq!(judge(3, 5, 1), StaleRefresh::Reuse, "only the latest consumed token");
        assert_eq!(judge(6, 5, 1), StaleRefresh::Invalid, "a generation never issued");
        assert_eq!(policy.judge_stale(0, 1, None, at), StaleRefresh::Reuse);
        let no_grace = SessionPolicy { reuse_grace: TimeDelta::zero(), ..policy };
        assert_eq!(no_grace.judge_stale(4, 5, Some(at), at), StaleRefresh::Reuse);
    }

    #[test]
    fn user_agents_are_cut_and_cleaned() {
        let info = ClientInfo::new(Some(&format!("Mozilla\u{0}\n{}", "x".repeat(500))), None);
        let ua = info.user_agent.unwrap();
        assert_eq!(ua.chars().count(), ClientInfo::MAX_USER_AGENT_CHARS);
        assert!(!ua.contains('\n') && !ua.contains('\u{0}'));
        assert_eq!(ClientInfo::new(Some(""), None).user_agent, None);
    }
}
