//! `email.smtp_url`: where the mail server is and how to reach it safely.

use std::fmt;

/// `email.smtp_tls`: "auto" (the default) or "none".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// `smtps://` speaks TLS from the first byte; `smtp://` must upgrade with STARTTLS, except to a
    /// loopback host (a relay on the same machine), which is spoken to in the clear.
    Auto,
    /// `smtp://` in the clear to any host (a relay on a private network that has no TLS).
    None,
}

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// TLS from the first byte (`smtps://`, port 465 by default).
    Implicit,
    /// STARTTLS, required: a server that does not offer it is not sent anything.
    StartTls,
    /// None (loopback, or `email.smtp_tls = "none"`).
    Plain,
}

/// The mail server, parsed from `email.smtp_url`. Its password never shows in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpTarget {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub credentials: Option<(String, String)>,
}

impl fmt::Debug for SmtpTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpTarget")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .finish_non_exhaustive()
    }
}

/// Why `email.smtp_url` was refused. The URL itself is never repeated: it may hold a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpUrlError {
    #[error("email.smtp_url is not a URL of the form smtp://user:password@host:port or smtps://...")]
    Unparseable,
    #[error("email.smtp_url must start with smtp:// or smtps://")]
    Scheme,
    #[error("email.smtp_url has no host")]
    NoHost,
    #[error("email.smtp_url may hold only user, password, host and port (no path, query or fragment)")]
    Extra,
    #[error("email.smtp_url's user or password is not valid percent-encoded UTF-8")]
    Encoding,
    #[error("email.smtp_tls = \"none\" cannot be used with smtps://, which is TLS")]
    PlainTls,
}

impl SmtpTarget {
    pub fn parse(text: &str, tls: SmtpTls) -> Result<Self, SmtpUrlError> {
        let url = url::Url::parse(text.trim()).map_err(|_| SmtpUrlError::Unparseable)?;
        let implicit = match url.scheme() {
            "smtps" => true,
            "smtp" => false,
            _ => return Err(SmtpUrlError::Scheme),
        };
        if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
            return Err(SmtpUrlError::Extra);
        }
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or(SmtpUrlError::NoHost)?;
        // [::1] comes back bracketed; the SMTP client wants the bare address
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        let decode = |part: &str| {
            percent_encoding::percent_decode_str(part)
                .decode_utf8()
                .map(|text| text.into_owned())
                .map_err(|_| SmtpUrlError::Encoding)
        };
        let credentials = match (url.username(), url.password()) {
            ("", None) => None,
            (user, password) => Some((decode(user)?, decode(password.unwrap_or(""))?)),
        };
        let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
        let mode = match (implicit, tls) {
            (true, SmtpTls::None) => return Err(SmtpUrlError::PlainTls),
            (true, SmtpTls::Auto) => TlsMode::Implicit,
            (false, SmtpTls::None) => TlsMode::Plain,
            (false, SmtpTls::Auto) if loopback => TlsMode::Plain,
            (false, SmtpTls::Auto) => TlsMode::StartTls,
        };
        let port = url.port().unwrap_or(if implicit { 465 } else { 587 });
        Ok(Self { host, port, tls: mode, credentials })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starttls_is_required_except_to_loopback_or_when_turned_off() {
        let target = SmtpTarget::parse("smtp://mailer:s%40cret@mail.example.com", SmtpTls::Auto).unwrap();
        assert_eq!((target.host.as_str(), target.port, target.tls), ("mail.example.com", 587, TlsMode::StartTls));
        assert_eq!(target.credentials, Some(("mailer".to_owned(), "s@cret".to_owned())));
        for local in ["smtp://127.0.0.1:2525", "smtp://localhost:25", "smtp://[::1]:25"] {
            assert_eq!(SmtpTarget::parse(local, SmtpTls::Auto).unwrap().tls, TlsMode::Plain, "{local}");
        }
        assert_eq!(SmtpTarget::parse("smtp://relay.internal:25", SmtpTls::None).unwrap().tls, TlsMode::Plain);
        let implicit = SmtpTarget::parse("smtps://mail.example.com", SmtpTls::Auto).unwrap();
        assert_eq!((implicit.port, implicit.tls), (465, TlsMode::Implicit));
        assert_eq!(SmtpTarget::parse("smtp://[::1]:25", SmtpTls::Auto).unwrap().host, "::1");
    }

    #[test]
    fn bad_urls_are_refused_without_repeating_them() {
        for (url, tls, error) in [
            ("not a url", SmtpTls::Auto, SmtpUrlError::Unparseable),
            ("http://mail.example.com", SmtpTls::Auto, SmtpUrlError::Scheme),
            ("smtp://mail.example.com/path", SmtpTls::Auto, SmtpUrlError::Extra),
            ("smtp://mail.example.com?tls=no", SmtpTls::Auto, SmtpUrlError::Extra),
            ("smtps://mail.example.com", SmtpTls::None, SmtpUrlError::PlainTls),
            ("smtp://u:%FF@mail.example.com", SmtpTls::Auto, SmtpUrlError::Encoding),
        ] {
            assert_eq!(SmtpTarget::parse(url, tls), Err(error.clone()), "{url}");
            assert!(!error.to_string().contains("mail.example.com"));
        }
        let target = SmtpTarget::parse("smtp://mailer:hunter2@mail.example.com", SmtpTls::Auto).unwrap();
        assert!(!format!("{target:?}").contains("hunter2"));
    }
}
