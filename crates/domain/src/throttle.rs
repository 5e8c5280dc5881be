use chrono::{DateTime, TimeDelta, Utc};
use std::net::IpAddr;

/// What attempts are counted under: failed logins per (email, client), per email and per client, and
/// registrations per client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThrottleKind {
    LoginPair,
    LoginEmail,
    LoginIp,
    RegisterIp,
    /// Password-reset requests per client (never per address: a limit only known addresses reached would
    /// tell who is registered).
    ForgotIp,
}

impl ThrottleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoginPair => "login_pair",
            Self::LoginEmail => "login_email",
            Self::LoginIp => "login_ip",
            Self::RegisterIp => "register_ip",
            Self::ForgotIp => "forgot_ip",
        }
    }
}

/// One counter: its kind, what it counts (`id`, unique), the email it concerns (for `user unlock`), and
/// how it is limited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleKey {
    pub kind: ThrottleKind,
    pub id: String,
    pub email: Option<String>,
    pub limit: ThrottleLimit,
}

/// `max` counted attempts within `window` (a fixed window from the first one); past it, the key is
/// blocked as `block` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleLimit {
    pub max: u32,
    pub window: TimeDelta,
    pub block: Block,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    /// One second after the `max`-th attempt, doubling with each further one, at most `max_delay`.
    Growing { max_delay: TimeDelta },
    /// Until the window ends.
    UntilWindowEnds,
}

impl ThrottleLimit {
    /// Until when the key is blocked after its `count`-th attempt in the window that started at
    /// `window_started_at`, if it is.
    pub fn blocked_until(
        &self,
        count: u64,
        window_started_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let past = count.checked_sub(u64::from(self.max))?;
        match self.block {
            Block::UntilWindowEnds => window_started_at.checked_add_signed(self.window),
            Block::Growing { max_delay } => {
                let seconds = 1_i64.checked_shl(u32::try_from(past.min(40)).unwrap_or(40)).unwrap_or(i64::MAX);
                let delay = TimeDelta::try_seconds(seconds).unwrap_or(max_delay).min(max_delay);
                now.checked_add_signed(delay)
            }
        }
    }
}

/// An attempt refused without being tried; the client may try again after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub retry_after_secs: u64,
}

impl Throttled {
    pub fn until(blocked_until: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        let millis = u64::try_from((blocked_until - now).num_milliseconds()).unwrap_or(0);
        Self { retry_after_secs: millis.div_ceil(1000).max(1) }
    }
}

/// The limits (`abuse.*` settings); 0 turns one off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub window: TimeDelta,
    pub login_pair_max_failures: u32,
    pub login_email_max_failures: u32,
    pub login_ip_max_failures: u32,
    pub register_per_ip_per_hour: u32,
    pub forgot_per_ip_per_hour: u32,
}

impl ThrottlePolicy {
    pub const WINDOW_SECS: std::ops::RangeInclusive<u64> = 60..=24 * 3600;
    /// An email alone (from any clients) is never blocked for longer than this after an attempt: an
    /// attacker who knows it must not lock its owner out for long.
    pub const EMAIL_MAX_DELAY: TimeDelta = TimeDelta::seconds(60);
    pub const REGISTER_WINDOW: TimeDelta = TimeDelta::hours(1);

    /// The defaults: 15 minutes, 5 per pair, 50 per email, 100 per client, 20 registrations per
    /// client and hour.
    pub fn standard() -> Self {
        Self {
            window: TimeDelta::seconds(900),
            login_pair_max_failures: 5,
            login_email_max_failures: 50,
            login_ip_max_failures: 100,
            register_per_ip_per_hour: 20,
            forgot_per_ip_per_hour: 20,
        }
    }

    pub fn off() -> Self {
        Self {
            window: TimeDelta::seconds(900),
            login_pair_max_failures: 0,
            login_email_max_failures: 0,
            login_ip_max_failures: 0,
            register_per_ip_per_hour: 0,
            forgot_per_ip_per_hour: 0,
        }
    }

    /// The counters a login attempt (or any other check of a password: a password change, an account
    /// change) counts against. `subject` is the email, normalized, when it parses (and is then what
    /// `user unlock` clears), else a keyed hash of what was typed (`UnparsedText`), so that unknown and
    /// known emails are counted alike and nothing typed is stored.
    pub fn login_keys(&self, subject: &LoginSubject, ip: Option<&str>) -> Vec<ThrottleKey> {
        let (email, unlockable) = match subject {
            LoginSubject::Email(email) => (email.as_str(), Some(email.clone())),
            LoginSubject::Unparsed(masked) => (masked.as_str(), None),
        };
        let client = client_subject(ip);
        let limit = |max, max_delay| ThrottleLimit { max, window: self.window, block: Block::Growing { max_delay } };
        let mut keys = Vec::with_capacity(3);
        if self.login_pair_max_failures > 0 {
            keys.push(ThrottleKey {
                kind: ThrottleKind::LoginPair,
                id: format!("login_pair:{client} {email}"),
                email: unlockable.clone(),
                limit: limit(self.login_pair_max_failures, self.window),
            });
        }
        if self.login_email_max_failures > 0 {
            keys.push(ThrottleKey {
                kind: ThrottleKind::LoginEmail,
                id: format!("login_email:{email}"),
                email: unlockable.clone(),
                limit: limit(self.login_email_max_failures, Self::EMAIL_MAX_DELAY.min(self.window)),
            });
        }
        if self.login_ip_max_failures > 0 {
            keys.push(ThrottleKey {
                kind: ThrottleKind::LoginIp,
                id: format!("login_ip:{client}"),
                email: None,
                limit: limit(self.login_ip_max_failures, self.window),
            });
        }
        keys
    }

    /// The counter of registrations from this client, if that limit is on. Past it, the client waits for
    /// the hour's window to end.
    pub fn register_key(&self, ip: Option<&str>) -> Option<ThrottleKey> {
        Self::hourly_key(ThrottleKind::RegisterIp, self.register_per_ip_per_hour, ip)
    }

    /// The counter of password-reset requests from this client, if that limit is on; as registrations.
    pub fn forgot_key(&self, ip: Option<&str>) -> Option<ThrottleKey> {
        Self::hourly_key(ThrottleKind::ForgotIp, self.forgot_per_ip_per_hour, ip)
    }

    fn hourly_key(kind: ThrottleKind, max: u32, ip: Option<&str>) -> Option<ThrottleKey> {
        (max > 0).then(|| ThrottleKey {
            kind,
            id: format!("{}:{}", kind.as_str(), client_subject(ip)),
            email: None,
            limit: ThrottleLimit { max, window: Self::REGISTER_WINDOW, block: Block::UntilWindowEnds },
        })
    }
}

/// How a client is counted: an IPv4 address, or the /64 network of an IPv6 one (one subscriber's
/// allocation: counting single IPv6 addresses would give an attacker 2^64 counters).
fn client_subject(ip: Option<&str>) -> String {
    match ip.and_then(|ip| ip.parse::<IpAddr>().ok()) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                format!("{}/64", std::net::Ipv6Addr::from(bits))
            }
        },
        None => "unknown".to_owned(),
    }
}

/// A counter just after an attempt was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub attempts: u64,
    pub window_started_at: DateTime<Utc>,
    pub blocked_until: Option<DateTime<Utc>>,
}

/// What reserving an attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reserved {
    /// Counted under every key (in their order): the attempt may be tried.
    Counted(Vec<Counted>),
    /// A key is blocked until then: nothing was counted, the attempt must not be tried.
    Blocked { until: DateTime<Utc> },
}

/// What a password attempt is counted under: a valid address, normalized, or a keyed hash of whatever
/// else was typed into the email field (people type passwords there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginSubject {
    Email(String),
    Unparsed(String),
}

impl LoginSubject {
    /// The text counters and events are keyed by.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Email(email) | Self::Unparsed(email) => email,
        }
    }
}

/// Masks text a client typed that is not an address: HMAC-SHA256 under a key derived from the
/// server's secret, so a counter or an event row never holds it, the same text still counts as one,
/// and nobody without the secret can test guesses against the rows.
pub struct UnparsedText {
    key: [u8; 32],
}

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

impl UnparsedText {
    const LABEL: &'static [u8] = b"auth-service unparsed login subject v1";

    pub fn new(secret: &secrecy::SecretString) -> Self {
        use hmac::{KeyInit, Mac};
        use secrecy::ExposeSecret;
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(secret.expose_secret().as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(Self::LABEL);
        Self { key: mac.finalize().into_bytes().into() }
    }

    /// `unparsed:` and 32 hex digits of the MAC of the text, trimmed and lower-cased (as an email
    /// would be compared).
    pub fn mask(&self, raw: &str) -> LoginSubject {
        use hmac::{KeyInit, Mac};
        let text: String = raw.trim().chars().flat_map(char::to_lowercase).collect();
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        mac.update(text.as_bytes());
        let digest = mac.finalize().into_bytes();
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        LoginSubject::Unparsed(format!("unparsed:{hex}"))
    }
}

impl std::fmt::Debug for UnparsedText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnparsedText { .. }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
    }

    #[test]
    fn the_delay_starts_at_the_limit_doubles_and_is_capped() {
        let limit = ThrottleLimit {
            max: 5,
            window: TimeDelta::seconds(900),
            block: Block::Growing { max_delay: TimeDelta::seconds(60) },
        };
        let started = now() - TimeDelta::seconds(100);
        let delays: Vec<Option<i64>> =
            (3..=13).map(|n| limit.blocked_until(n, started, now()).map(|t| (t - now()).num_seconds())).collect();
        assert_eq!(
            delays,
            [None, None, Some(1), Some(2), Some(4), Some(8), Some(16), Some(32), Some(60), Some(60), Some(60)]
        );
        assert_eq!(limit.blocked_until(u64::MAX, started, now()), Some(now() + TimeDelta::seconds(60)));
    }

    #[test]
    fn registrations_past_the_limit_wait_for_the_window_to_end() {
        let key = ThrottlePolicy::standard().register_key(Some("192.0.2.1")).unwrap();
        let started = now() - TimeDelta::minutes(10);
        assert_eq!(key.limit.blocked_until(19, started, now()), None);
        assert_eq!(key.limit.blocked_until(20, started, now()), Some(started + TimeDelta::hours(1)));
    }

    #[test]
    fn clients_are_counted_by_address_or_ipv6_network() {
        assert_eq!(client_subject(Some("203.0.113.7")), "203.0.113.7");
        assert_eq!(client_subject(Some("2001:db8:1:2:3:4:5:6")), "2001:db8:1:2::/64");
        assert_eq!(client_subject(Some("2001:db8:1:2:ffff::1")), "2001:db8:1:2::/64");
        assert_eq!(client_subject(Some("::ffff:203.0.113.7")), "203.0.113.7");
        assert_eq!(client_subject(None), "unknown");
    }

    #[test]
    fn zero_turns_a_limit_off() {
        let policy = ThrottlePolicy { login_email_max_failures: 0, ..ThrottlePolicy::standard() };
        let subject = LoginSubject::Email("a@b.co".into());
        let kinds: Vec<_> = policy.login_keys(&subject, Some("192.0.2.1")).iter().map(|k| k.kind).collect();
        assert_eq!(kinds, [ThrottleKind::LoginPair, ThrottleKind::LoginIp]);
        assert!(ThrottlePolicy::off().login_keys(&subject, None).is_empty());
        assert_eq!(ThrottlePolicy::off().register_key(None), None);
    }

    #[test]
    fn typed_text_is_masked_consistently_and_never_kept() {
        let masker = UnparsedText::new(&secrecy::SecretString::from("server-secret"));
        let masked = masker.mask("  MyS3cretPassw0rd! ");
        assert_eq!(masked, masker.mask("mys3cretpassw0rd!"), "trimmed and lower-cased, as an email would be");
        assert_ne!(masked, masker.mask("mys3cretpassw0rd?"));
        assert_ne!(masked, UnparsedText::new(&secrecy::SecretString::from("another")).mask("mys3cretpassw0rd!"));
        let keys = ThrottlePolicy::standard().login_keys(&masked, Some("192.0.2.1"));
        for key in &keys {
            assert!(!key.id.to_lowercase().contains("mys3cret"), "{key:?}");
            assert_eq!(key.email, None, "not an address: nothing for `user unlock`");
        }
        assert_eq!(keys[0].id.len(), "login_pair:192.0.2.1 unparsed:".len() + 32);
        assert_eq!(format!("{masker:?}"), "UnparsedText { .. }");
    }

    #[test]
    fn retry_after_rounds_up_and_is_at_least_one_second() {
        assert_eq!(Throttled::until(now() + TimeDelta::milliseconds(1500), now()).retry_after_secs, 2);
        assert_eq!(Throttled::until(now(), now()).retry_after_secs, 1);
    }
}
