//! Rendering one email and handing it to the transport.

use crate::smtp_url::{SmtpTarget, TlsMode};
use crate::templates::{Parts, TemplateError, Templates, Values};
use auth_domain::{Delivery, MailPolicy};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
use std::time::Duration;

/// `email.transport`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// Development: each email, with its link, is written to the log at INFO instead of being sent.
    Log,
    Smtp(SmtpTarget),
    /// No email: nothing is queued (what needs an email answers 503), so nothing is sent.
    None,
}

#[derive(Debug, Clone)]
pub struct MailerSettings {
    pub transport: Transport,
    /// `email.from`, e.g. `auth-service <no-reply@example.com>`.
    pub from: String,
    /// `email.public_url`: the base of every link.
    pub public_url: String,
    pub product_name: String,
    pub templates_dir: Option<PathBuf>,
    /// The links' lifetimes, which the emails state.
    pub policy: MailPolicy,
    /// The longest one SMTP exchange may take.
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("email.from is not an address such as \"auth-service <no-reply@example.com>\"")]
    From,
    #[error(
        "email.public_url must be an http:// or https:// URL without query or fragment, e.g. https://auth.example.com"
    )]
    PublicUrl,
    #[error("email.smtp_url has a host that TLS cannot check (a name or an address)")]
    TlsName,
    #[error(transparent)]
    Templates(#[from] TemplateError),
}

/// Why an email was not sent. `permanent`: no later attempt can succeed (the server refused the
/// recipient for good, a template failed), so the outbox gives it up at once.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub message: String,
    pub permanent: bool,
}

/// One email as it leaves. `Debug` leaves the link out (it is a credential).
#[derive(Clone, PartialEq, Eq)]
pub struct Rendered {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub link: Option<String>,
}

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rendered").field("to", &self.to).field("subject", &self.subject).finish_non_exhaustive()
    }
}

enum Sender {
    Log,
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    None,
}

pub struct Mailer {
    sender: Sender,
    templates: Templates,
    from: Mailbox,
    public_url: String,
    product_name: String,
    policy: MailPolicy,
}

impl Mailer {
    pub fn new(settings: MailerSettings) -> Result<Self, MailerError> {
        let from: Mailbox = settings.from.parse().map_err(|_| MailerError::From)?;
        let public_url = url::Url::parse(&settings.public_url).map_err(|_| MailerError::PublicUrl)?;
        if !matches!(public_url.scheme(), "http" | "https")
            || public_url.host_str().is_none()
            || public_url.query().is_some()
            || public_url.fragment().is_some()
        {
            return Err(MailerError::PublicUrl);
        }
        let sender = match settings.transport {
            Transport::Log => Sender::Log,
            Transport::None => Sender::None,
            Transport::Smtp(target) => Sender::Smtp(smtp(&target, settings.timeout)?),
        };
        Ok(Self {
            sender,
            templates: Templates::load(settings.templates_dir.as_deref())?,
            from,
            public_url: public_url.as_str().trim_end_matches('/').to_owned(),
            product_name: settings.product_name,
            policy: settings.policy,
        })
    }

    /// The email as it will leave: the link is `public_url` + the kind's page + `?token=`.
    pub fn render(&self, delivery: &Delivery) -> Result<Rendered, TemplateError> {
        let link = match (delivery.kind.page(), &delivery.link) {
            (Some(page), Some(token)) => Some(format!("{}{page}?token={}", self.public_url, token.expose())),
            _ => None,
        };
        let expires_in = delivery.kind.link().map(|kind| lifetime(self.policy.ttl(kind))).unwrap_or_default();
        let Parts { subject, text, html } = self.templates.render(
            delivery.kind,
            &Values {
                product_name: &self.product_name,
                email: &delivery.to,
                link: link.as_deref(),
                new_email: delivery.detail.as_deref(),
                expires_in: &expires_in,
            },
        )?;
        Ok(Rendered { to: delivery.to.clone(), subject, text, html, link })
    }

    /// Renders and sends one email; the caller records the outcome in the outbox.
    pub async fn send(&self, delivery: &Delivery) -> Result<(), SendError> {
        let permanent = |message: String| SendError { message, permanent: true };
        let rendered = self.render(delivery).map_err(|e| permanent(e.to_string()))?;
        match &self.sender {
            Sender::None => Err(permanent("email.transport is \"none\"".to_owned())),
            Sender::Log => {
                tracing::info!(
                    to = %rendered.to,
                    subject = %rendered.subject,
                    link = rendered.link.as_deref().unwrap_or("-"),
                    text = %rendered.text,
                    "email written to the log (email.transport = \"log\"): open the link to follow it"
                );
                Ok(())
            }
            Sender::Smtp(transport) => {
                let to: Mailbox =
                    rendered.to.parse().map_err(|_| permanent("the recipient is not an address".into()))?;
                let message = Message::builder()
                    .from(self.from.clone())
                    .to(to)
                    .subject(rendered.subject)
                    .multipart(MultiPart::alternative_plain_html(rendered.text, rendered.html))
                    .map_err(|e| permanent(format!("the message could not be built: {e}")))?;
                transport
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| SendError { permanent: e.is_permanent(), message: format!("SMTP: {e}") })
            }
        }
    }
}

fn smtp(target: &SmtpTarget, timeout: Duration) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailerError> {
    let builder = match target.tls {
        TlsMode::Implicit => {
            AsyncSmtpTransport::<Tokio1Executor>::relay(&target.host).map_err(|_| MailerError::TlsName)?
        }
        TlsMode::StartTls => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&target.host).map_err(|_| MailerError::TlsName)?
        }
        TlsMode::Plain => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&target.host),
    };
    let mut builder = builder.port(target.port).timeout(Some(timeout));
    if let Some((user, password)) = &target.credentials {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

/// "24 hours", "1 hour", "90 minutes": how long a link lives, as its email says it.
fn lifetime(ttl: chrono::TimeDelta) -> String {
    let secs = ttl.num_seconds();
    let (n, unit) = if secs % 86400 == 0 && secs >= 2 * 86400 {
        (secs / 86400, "day")
    } else if secs % 3600 == 0 {
        (secs / 3600, "hour")
    } else if secs % 60 == 0 {
        (secs / 60, "minute")
    } else {
        (secs, "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_domain::{LinkToken, MailKind};

    fn settings(transport: Transport) -> MailerSettings {
        MailerSettings {
            transport,
            from: "Acme <no-reply@example.com>".into(),
            public_url: "https://auth.example.com/".into(),
            product_name: "Acme".into(),
            templates_dir: None,
            policy: MailPolicy::standard(true),
            timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn links_point_at_the_kinds_page_under_the_public_url() {
        let mailer = Mailer::new(settings(Transport::Log)).unwrap();
        let token = LinkToken::generate().unwrap();
        let text = token.expose().to_owned();
        let delivery = |kind| Delivery {
            id: 1,
            attempt: 1,
            kind,
            to: "a@example.com".into(),
            link: LinkToken::parse(&text),
            detail: None,
            give_up_at: chrono::Utc::now(),
        };
        let reset = mailer.render(&delivery(MailKind::PasswordResetLink)).unwrap();
        assert_eq!(reset.link, Some(format!("https://auth.example.com/auth/reset?token={text}")));
        assert!(reset.text.contains("1 hour") && !format!("{reset:?}").contains(&text));
        let verify = mailer.render(&delivery(MailKind::VerifyEmail)).unwrap();
        assert!(verify.text.contains("/auth/verify?token=") && verify.text.contains("24 hours"));
        let change = mailer.render(&delivery(MailKind::EmailChangeLink)).unwrap();
        assert!(change.link.unwrap().starts_with("https://auth.example.com/auth/email/confirm?token="));
    }

    #[test]
    fn lifetimes_read_as_people_say_them() {
        let t = chrono::TimeDelta::seconds;
        assert_eq!(
            [lifetime(t(86400)), lifetime(t(3600)), lifetime(t(5400)), lifetime(t(172_800)), lifetime(t(61))],
            ["24 hours", "1 hour", "90 minutes", "2 days", "61 seconds"]
        );
    }

    #[test]
    fn settings_are_checked() {
        assert!(matches!(
            Mailer::new(MailerSettings { from: "nobody".into(), ..settings(Transport::Log) }),
            Err(MailerError::From)
        ));
        for url in ["ftp://auth.example.com", "https://auth.example.com/?x=1", "auth.example.com"] {
            let bad = MailerSettings { public_url: url.into(), ..settings(Transport::Log) };
            assert!(matches!(Mailer::new(bad), Err(MailerError::PublicUrl)), "{url}");
        }
    }
}
