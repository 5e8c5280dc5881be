//! What the settings build: the persistence crate's pool settings and the domain's policies.

use super::{
    AbuseSettings, DatabaseSettings, EmailSettings, EmailTransport, ServerSettings, SessionSettings, SigningAlgorithm,
    SmtpTlsSetting, TokenSettings,
};
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
            forgot_per_ip_per_hour: s.forgot_per_ip_per_hour,
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

impl EmailSettings {
    /// Whether anything is sent (log or SMTP).
    pub fn enabled(&self) -> bool {
        self.transport != EmailTransport::None
    }

    /// What the use cases follow.
    pub fn policy(&self) -> auth_domain::MailPolicy {
        let secs = |s: u64| chrono::TimeDelta::seconds(i64::try_from(s).unwrap_or(i64::MAX).min(i64::MAX / 1000));
        auth_domain::MailPolicy {
            enabled: self.enabled(),
            require_verification: self.require_verification,
            verify_ttl: secs(self.verify_ttl_secs),
            reset_ttl: secs(self.reset_ttl_secs),
            change_ttl: secs(self.change_ttl_secs),
            max_per_address_per_hour: self.max_per_address_per_hour,
            max_attempt: secs(self.max_attempt_hours.saturating_mul(3600)),
            retention: chrono::TimeDelta::days(i64::from(self.retention_days)),
            // longer than any one SMTP exchange may take, so that a row is never sent by two instances
            lease: secs(self.smtp_timeout_secs.saturating_mul(4).max(60)),
        }
    }

    /// What the mailer is built from; an SMTP URL it cannot use is the error.
    pub fn mailer(&self) -> Result<auth_mail::MailerSettings, auth_mail::SmtpUrlError> {
        let transport = match self.transport {
            EmailTransport::Log => auth_mail::Transport::Log,
            EmailTransport::None => auth_mail::Transport::None,
            EmailTransport::Smtp => {
                let tls = match self.smtp_tls {
                    SmtpTlsSetting::Auto => auth_mail::SmtpTls::Auto,
                    SmtpTlsSetting::None => auth_mail::SmtpTls::None,
                };
                auth_mail::Transport::Smtp(auth_mail::SmtpTarget::parse(self.smtp_url.expose_secret(), tls)?)
            }
        };
        Ok(auth_mail::MailerSettings {
            transport,
            from: self.from.clone(),
            public_url: self.public_url.clone(),
            product_name: self.product_name.clone(),
            templates_dir: (!self.templates_dir.is_empty()).then(|| std::path::PathBuf::from(&self.templates_dir)),
            policy: self.policy(),
            timeout: std::time::Duration::from_secs(self.smtp_timeout_secs),
        })
    }
}
