//! How the service mails: whether it can, how long links live, the cap per address, and the key that
//! seals links in the outbox.

use crate::keys::KeyEncryptionKey;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::TimeDelta;
use std::sync::Arc;

/// The `email.*` settings the use cases follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailPolicy {
    /// false with `email.transport = "none"`: what needs an email is refused (503).
    pub enabled: bool,
    /// A login of an unverified address is refused (after the password check).
    pub require_verification: bool,
    pub verify_ttl: TimeDelta,
    pub reset_ttl: TimeDelta,
    pub change_ttl: TimeDelta,
    /// Emails of any kind to one address within an hour; 0: no cap.
    pub max_per_address_per_hour: u32,
    /// How long the sender keeps trying an email before it gives up.
    pub max_attempt: TimeDelta,
    /// Sent, dead and never-sent rows older than this are deleted with the pruning.
    pub retention: TimeDelta,
    /// How long a claimed row is this instance's: longer than any one send may take.
    pub lease: TimeDelta,
}

impl MailPolicy {
    pub const TTL_SECS: std::ops::RangeInclusive<u64> = 60..=30 * 86400;

    /// The defaults of `config/default.toml`, with mail on or off.
    pub fn standard(enabled: bool) -> Self {
        Self {
            enabled,
            require_verification: false,
            verify_ttl: TimeDelta::seconds(86400),
            reset_ttl: TimeDelta::seconds(3600),
            change_ttl: TimeDelta::seconds(86400),
            max_per_address_per_hour: 5,
            max_attempt: TimeDelta::hours(24),
            retention: TimeDelta::days(7),
            lease: TimeDelta::seconds(120),
        }
    }

    pub fn ttl(&self, kind: super::LinkKind) -> TimeDelta {
        match kind {
            super::LinkKind::Verify => self.verify_ttl,
            super::LinkKind::Reset => self.reset_ttl,
            super::LinkKind::Change => self.change_ttl,
        }
    }
}

/// Seals a link's token for the outbox with `tokens.key_encryption_key`, bound to the email's kind and
/// recipient (a sealed link moved to another row does not open), and opens it for the sender.
#[derive(Clone)]
pub struct MailSealer(Arc<KeyEncryptionKey>);

impl std::fmt::Debug for MailSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MailSealer([REDACTED])")
    }
}

impl MailSealer {
    pub fn new(key: Arc<KeyEncryptionKey>) -> Self {
        Self(key)
    }

    fn context(kind: &str, recipient: &str) -> String {
        format!("outbox:{kind}:{recipient}")
    }

    /// base64 of `nonce ‖ ciphertext`; `None` when the random number generator fails.
    pub fn seal(&self, kind: &str, recipient: &str, token: &str) -> Option<String> {
        self.0.seal(&Self::context(kind, recipient), token.as_bytes()).ok().map(|sealed| STANDARD.encode(sealed))
    }

    pub fn open(&self, kind: &str, recipient: &str, sealed: &str) -> Option<String> {
        let bytes = STANDARD.decode(sealed).ok()?;
        String::from_utf8(self.0.open(&Self::context(kind, recipient), &bytes)?).ok()
    }
}

/// Tells the sender that a row was queued, so that it sends at once instead of at its next poll.
#[derive(Clone, Default)]
pub struct MailWaker(Option<Arc<dyn Fn() + Send + Sync>>);

impl std::fmt::Debug for MailWaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "MailWaker(set)" } else { "MailWaker(none)" })
    }
}

impl MailWaker {
    pub fn new(wake: impl Fn() + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(wake)))
    }

    pub fn wake(&self) {
        if let Some(wake) = &self.0 {
            wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_link_opens_only_for_its_kind_and_recipient() {
        let key = Arc::new(KeyEncryptionKey::from_base64("dGVzdC1vbmx5LWtleS1lbmNyeXB0aW9uLWtleS0zMiE=").unwrap());
        let sealer = MailSealer::new(key);
        let sealed = sealer.seal("verify_email", "a@example.com", "the-token").unwrap();
        assert!(!sealed.contains("the-token"));
        assert_eq!(sealer.open("verify_email", "a@example.com", &sealed).as_deref(), Some("the-token"));
        assert_eq!(sealer.open("verify_email", "b@example.com", &sealed), None);
        assert_eq!(sealer.open("password_reset_link", "a@example.com", &sealed), None);
        assert_eq!(sealer.open("verify_email", "a@example.com", "not base64!"), None);
        assert_eq!(format!("{sealer:?}"), "MailSealer([REDACTED])");
    }
}
