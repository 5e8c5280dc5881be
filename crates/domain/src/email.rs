use std::fmt;

/// An email address that passed the registration rules, trimmed and lower-cased so that
/// comparisons (and the database's unique index) ignore letter case.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("Email must not be empty.")]
    Empty,
    #[error("Email must be at most 254 characters.")]
    TooLong,
    #[error("Invalid email address.")]
    Invalid,
}

impl Email {
    /// RFC 5321 caps a forward path at 256 octets including the angle brackets.
    pub const MAX_LEN: usize = 254;
    const MAX_LOCAL_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed.chars().count() > Self::MAX_LEN {
            return Err(EmailError::TooLong);
        }
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailError::Invalid);
        }
        let (local, domain) = trimmed.split_once('@').ok_or(EmailError::Invalid)?;
        let domain_ok = !domain.contains('@')
            && domain.contains('.')
            && domain.split('.').all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'));
        if local.is_empty() || local.len() > Self::MAX_LOCAL_LEN || !domain_ok {
            return Err(EmailError::Invalid);
        }
        Ok(Self(trimmed.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Emails are personal data: debug output shows the domain only.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let domain = self.0.split_once('@').map_or("", |(_, d)| d);
        write!(f, "Email(***@{domain})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises_a_plain_address() {
        let email = Email::parse("  Joe.Bloggs@Example.COM \n").unwrap();
        assert_eq!(email.as_str(), "joe.bloggs@example.com");
    }

    #[test]
    fn rejects_malformed_addresses() {
        for raw in [
            "joe",
            "@example.com",
            "joe@",
            "joe@example",
            "joe@@example.com",
            "joe@exa@mple.com",
            "jo e@example.com",
            "joe@example..com",
            "joe@.example.com",
            "joe@example.com.",
            "joe@-example.com",
            "joe\u{0}@example.com",
        ] {
            assert_eq!(Email::parse(raw), Err(EmailError::Invalid), "{raw:?}");
        }
    }

    #[test]
    fn rejects_empty_and_blank() {
        assert_eq!(Email::parse(""), Err(EmailError::Empty));
        assert_eq!(Email::parse("   "), Err(EmailError::Empty));
    }

    #[test]
    fn enforces_the_length_limits() {
        let at_limit = format!("{}@{}.com", "a".repeat(64), "b".repeat(254 - 64 - 1 - 4));
        assert_eq!(at_limit.len(), 254);
        assert!(Email::parse(&at_limit).is_ok());
        let over = format!("{}@{}.com", "a".repeat(64), "b".repeat(254 - 64 - 4));
        assert_eq!(Email::parse(&over), Err(EmailError::TooLong));
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert_eq!(Email::parse(&long_local), Err(EmailError::Invalid));
    }

    #[test]
    fn debug_hides_the_local_part() {
        let email = Email::parse("secret.person@example.com").unwrap();
        let debug = format!("{email:?}");
        assert_eq!(debug, "Email(***@example.com)");
    }
}
