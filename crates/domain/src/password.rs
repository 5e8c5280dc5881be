use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// The longest password, in characters as sent. bcrypt reads at most 72 bytes: the hasher pre-hashes a
/// longer one (SHA-256) rather than cut it. Counted in characters, not bytes, so that the API's schema
/// (`maxLength`) states the rule exactly.
pub const MAX_PASSWORD_CHARS: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_length: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self { min_length: 6 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("Password must be at least {min} characters.")]
    TooShort { min: usize },
    #[error("Password must be at most {MAX_PASSWORD_CHARS} characters.")]
    TooLong,
}

/// A password that meets the policy. It never leaves this type except to be hashed.
pub struct Password(SecretString);

impl Password {
    /// Counts the characters as sent (what a client and the API's schema see), then keeps the NFC form
    /// for hashing: `é` typed as one character or as `e` plus an accent is one password.
    pub fn new(raw: SecretString, policy: &PasswordPolicy) -> Result<Self, PasswordError> {
        let length = raw.expose_secret().chars().count();
        if length > MAX_PASSWORD_CHARS {
            return Err(PasswordError::TooLong);
        }
        if length < policy.min_length {
            return Err(PasswordError::TooShort { min: policy.min_length });
        }
        Ok(Self(normalised(&raw)))
    }

    pub(crate) fn secret(&self) -> &SecretString {
        &self.0
    }
}

/// The NFC form of a password.
pub(crate) fn normalised(raw: &SecretString) -> SecretString {
    use unicode_normalization::UnicodeNormalization;
    SecretString::from(raw.expose_secret().nfc().collect::<String>())
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn enforces_the_minimum_in_characters() {
        let policy = PasswordPolicy { min_length: 6 };
        assert_eq!(Password::new(secret("12345"), &policy).unwrap_err(), PasswordError::TooShort { min: 6 });
        assert!(Password::new(secret("123456"), &policy).is_ok());
        // six characters, twelve bytes
        assert!(Password::new(secret("éééééé"), &policy).is_ok());
    }

    #[test]
    fn refuses_more_than_128_characters() {
        let policy = PasswordPolicy::default();
        assert!(Password::new(secret(&"a".repeat(128)), &policy).is_ok());
        assert_eq!(Password::new(secret(&"a".repeat(129)), &policy).unwrap_err(), PasswordError::TooLong);
        // 128 four-byte characters are 512 bytes: allowed (the hasher pre-hashes them)
        assert!(Password::new(secret(&"\u{1F600}".repeat(128)), &policy).is_ok());
    }

    #[test]
    fn keeps_the_nfc_form() {
        let decomposed = Password::new(secret("cafe\u{301}s!"), &PasswordPolicy::default()).unwrap();
        assert_eq!(decomposed.secret().expose_secret(), "caf\u{e9}s!");
    }

    #[test]
    fn debug_never_shows_the_password() {
        let password = Password::new(secret("hunter22"), &PasswordPolicy::default()).unwrap();
        assert_eq!(format!("{password:?}"), "Password([REDACTED])");
    }

    #[test]
    fn error_messages_name_the_limits() {
        assert_eq!(PasswordError::TooShort { min: 8 }.to_string(), "Password must be at least 8 characters.");
        assert_eq!(PasswordError::TooLong.to_string(), "Password must be at most 128 characters.");
    }
}
