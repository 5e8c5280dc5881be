//! The service's emails: what each says (templates, overridable from `email.templates_dir`), and how it
//! leaves (SMTP through lettre, or the log in development). The domain decides what is sent to whom and
//! when (its outbox); this crate only renders and sends one email at a time.

mod mailer;
mod smtp_url;
mod templates;

pub use mailer::{Mailer, MailerSettings, Rendered, SendError, Transport};
pub use smtp_url::{SmtpTarget, SmtpTls, SmtpUrlError, TlsMode};
pub use templates::{TemplateError, Templates};
