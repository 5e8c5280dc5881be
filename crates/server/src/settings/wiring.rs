//! What the settings build: the persistence crate's pool settings and the domain's policies.

use super::{AbuseSettings, DatabaseSettings, ServerSettings, SessionSettings, SigningAlgorithm, TokenSettings};
use auth_persistence::{DatabaseUrl, PoolSettings};
use secrecy::ExposeSecret;

/// What the pool is built from; fails only on a URL the persistence crate does not accept. A
/// `database.password` set apart is put into the URL here, percent-encoded, so that any character may be
/// in it (a `/` or `@` written into the URL itself ends the user info early).
impl TryFrom<&DatabaseSettings> for PoolSettings {
    type Error = auth_persistence::DatabaseUrlError;

    fn try_from(db: &DatabaseSettings) -> Result<Self, Self::Error> {
        let url = DatabaseUrl::parse(db.url.expose_secret())?;
        let password = db.password.expose_secret();
        Ok(PoolSettings {
            url: if password.is_empty() { url } else { url.with_password(password)? },
            max_size: db.pool_max_size,
            acquire_timeout: std::time::Duration::from_millis(db.acquire_timeout_ms),
            sqlite_busy_timeout_ms: db.sqlite_busy_timeout_ms,
            statement_timeout_ms: db.statement_timeout_ms,
        })
    }
}

impl TokenSettings {
    /// The rotation, publishing and re-reading of signing keys.
    pub fn key_policy(&self) -> auth_domain::KeyPolicy {
        let secs = |s: u64| chrono::TimeDelta::seconds(i64::try_from(s).unwrap_or(i64::MAX).min(i64::MAX / 1000));
        auth_domain::KeyPolicy {
            rotation: (self.key_rotation_days > 0).then(|| secs(self.key_rotation_days.saturating_mul(86_400))),
            publish_lead: secs(self.key_publish_lead_secs),
            refresh: secs(self.key_refresh_secs),
            token_life: secs(self.access_ttl_secs.saturating_add(self.leeway_secs)),
        }
    }

    pub fn eddsa(&self) -> bool {
        self.algorithm == SigningAlgorithm::EdDsa
    }
}

/// What the token codec is built from.
impl From<&TokenSettings> for auth_domain::TokenSettings {
    fn from(tokens: &TokenSettings) -> Self {
        Self { issuer: tokens.issuer.clone(), access_ttl_secs: tokens.access_ttl_secs, leeway_secs: tokens.leeway_secs }
    }
}

impl From<&SessionSettings> for auth_domain::SessionPolicy {
    fn from(s: &SessionSettings) -> Self {
        Self::from_secs(s.refresh_ttl_secs, s.max_lifetime_secs, s.refresh_reuse_grace_secs, s.max_per_user)
    }
}

impl From<&AbuseSettings> for auth_domain::ThrottlePolicy {
    fn from(s: &AbuseSettings) -> Self {
        Self {
            window: chrono::TimeDelta::seconds(i64::try_from(s.window_secs).unwrap_or(i64::MAX).min(i64::MAX / 1000)),
            login_pair_max_failures: s.login_pair_max_failures,
            login_email_max_failures: s.login_email_max_failures,
            login_ip_max_failures: s.login_ip_max_failures,
            register_per_ip_per_hour: s.register_per_ip_per_hour,
        }
    }
}

impl ServerSettings {
    /// The proxies whose forwarding header names the client (checked by `validate`).
    pub fn trusted_proxies(&self) -> Result<auth_api::TrustedProxies, Vec<String>> {
        let header = auth_api::ForwardedHeader::parse(&self.client_ip_header)
            .map_err(|e| vec![format!("server.client_ip_header: {e} (APP__SERVER__CLIENT_IP_HEADER)")])?;
        auth_api::TrustedProxies::parse(&self.trusted_proxies, header).map_err(|bad| {
            bad.into_iter().map(|e| format!("server.trusted_proxies: {e} (APP__SERVER__TRUSTED_PROXIES)")).collect()
        })
    }
}
