use std::fmt;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use unicode_security::{GeneralSecurityProfile, MixedScript};

/// Printable ASCII, or a character Unicode allows in identifiers (UTS #39 General Security Profile):
/// that leaves out controls and format characters (zero-width space and joiner, BOM, soft hyphen,
/// direction overrides) and compatibility forms such as fullwidth letters.
fn allowed_char(c: char) -> bool {
    c.is_ascii_graphic() || (!c.is_ascii() && c.identifier_allowed())
}

/// `i` followed by a combining dot displays like `i`; every Latin letter that needs a mark has a
/// precomposed form, which NFC has already chosen.
fn has_combining_mark_after_ascii(text: &str) -> bool {
    text.chars().zip(text.chars().skip(1)).any(|(before, c)| before.is_ascii() && is_combining_mark(c))
}

/// RFC 5322's atext symbols, and the dot, allowed in a local part besides letters and digits.
const ATEXT_SYMBOLS: &[u8] = b".!#$%&'*+/=?^_`{|}~-";

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
        // Every status check parses its user's stored email: most are ASCII, where NFC, scripts and
        // combining marks have nothing to do (the same rules, checked without them; a test compares).
        if trimmed.is_ascii() {
            return Self::parse_ascii(trimmed);
        }
        Self::parse_unicode(trimmed)
    }

    /// `parse` for a trimmed ASCII text within the length limit: ASCII is its own NFC, has no
    /// combining marks, and its letters are all Latin.
    fn parse_ascii(trimmed: &str) -> Result<Self, EmailError> {
        let (local, domain) = trimmed.split_once('@').ok_or(EmailError::Invalid)?;
        let domain_ok = domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        let local_ok = local.bytes().all(|b| b.is_ascii_alphanumeric() || ATEXT_SYMBOLS.contains(&b));
        if local.is_empty() || local.len() > Self::MAX_LOCAL_LEN || !local_ok || !domain_ok {
            return Err(EmailError::Invalid);
        }
        Ok(Self(trimmed.to_ascii_lowercase()))
    }

    fn parse_unicode(trimmed: &str) -> Result<Self, EmailError> {
        // One form for each text (NFC), so that two spellings of one address are one account.
        let normalised: String = trimmed.nfc().collect();
        if !normalised.chars().all(allowed_char) || has_combining_mark_after_ascii(&normalised) {
            return Err(EmailError::Invalid);
        }
        let (local, domain) = normalised.split_once('@').ok_or(EmailError::Invalid)?;
        // `vіctim` with a Cyrillic `і` displays as `victim`: each part must be in one script.
        if !local.is_single_script() || !domain.split('.').all(|label| label.is_single_script()) {
            return Err(EmailError::Invalid);
        }
        // Domain labels: letters, digits and inner hyphens (RFC 5321), in any script for IDNs.
        let domain_ok = !domain.contains('@')
            && domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.chars().count() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        // The local part: RFC 5322's atext and dots, or characters of any script (RFC 6531).
        let local_ok =
            local.chars().all(|c| !c.is_ascii() || c.is_ascii_alphanumeric() || ATEXT_SYMBOLS.contains(&(c as u8)));
        if local.is_empty() || local.len() > Self::MAX_LOCAL_LEN || !local_ok || !domain_ok {
            return Err(EmailError::Invalid);
        }
        // Lower-casing can leave a text that is not in NFC; normalise once more.
        Ok(Self(normalised.to_lowercase().nfc().collect()))
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

    proptest::proptest! {
        /// The ASCII fast path decides as the general rules do.
        #[test]
        fn ascii_addresses_parse_as_the_general_rules_say(raw in "[ -~]{0,12}@?[ -~]{0,12}\\.?[a-zA-Z0-9.-]{0,8}") {
            let trimmed = raw.trim();
            proptest::prop_assume!(!trimmed.is_empty());
            proptest::prop_assert_eq!(Email::parse_ascii(trimmed), Email::parse_unicode(trimmed));
        }
    }

    #[test]
    fn the_ascii_path_agrees_on_the_listed_cases() {
        for raw in [
            "Joe.Bloggs@Example.COM",
            "joe@-example.com",
            "joe@example.com.",
            "a@b.c",
            "jo\"e@example.com",
            "joe@exa_mple.com",
            "0@0.0*",
            "x@y",
            "joe+tag@sub.example.org",
            "-@a-b.c",
            "a..b@example.com",
        ] {
            assert_eq!(Email::parse_ascii(raw), Email::parse_unicode(raw), "{raw:?}");
        }
    }

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
            "0@0.0*",
            "joe@exa_mple.com",
            "jo\"e@example.com",
            "jo(e)@example.com",
            "joe@example.c\u{f8}m!",
        ] {
            assert_eq!(Email::parse(raw), Err(EmailError::Invalid), "{raw:?}");
        }
    }

    #[test]
    fn rejects_look_alikes_of_an_ascii_address() {
        for raw in [
            "vic\u{200B}tim@example.com", // zero-width space
            "vic\u{200D}tim@example.com", // zero-width joiner
            "\u{FEFF}victim@example.com", // byte order mark
            "vic\u{AD}tim@example.com",   // soft hyphen
            "\u{202E}moc.elpmaxe@mitciv", // right-to-left override
            "v\u{456}ctim@example.com",   // Cyrillic i
            "victim@ex\u{430}mple.com",   // Cyrillic a in the domain
            "\u{FF56}ictim@example.com",  // fullwidth v
            "vi\u{307}ctim@example.com",  // i with a combining dot above
            "victim@example.com\u{7F}",   // DEL
        ] {
            assert_eq!(Email::parse(raw), Err(EmailError::Invalid), "{raw:?}");
        }
    }

    #[test]
    fn accepts_single_script_non_ascii_parts_in_nfc() {
        assert_eq!(Email::parse("почта@пример.рф").unwrap().as_str(), "почта@пример.рф");
        assert_eq!(Email::parse("José@example.com").unwrap().as_str(), "josé@example.com");
        // the decomposed spelling is the same account as the composed one
        assert_eq!(Email::parse("Jose\u{301}@example.com").unwrap(), Email::parse("José@example.com").unwrap());
    }

    #[test]
    fn rejects_empty_and_blank() {
        assert_eq!(Email::parse(""), Err(EmailError::Empty));
        assert_eq!(Email::parse("   "), Err(EmailError::Empty));
    }

    #[test]
    fn enforces_the_length_limits() {
        // 64 + 1 + 189: three labels of 61 and ".com"
        let domain = format!("{}.com", ["b".repeat(61), "c".repeat(61), "d".repeat(61)].join("."));
        let at_limit = format!("{}@{domain}", "a".repeat(64));
        assert_eq!(at_limit.len(), 254);
        assert!(Email::parse(&at_limit).is_ok());
        let over = format!("{}@x{domain}", "a".repeat(64));
        assert_eq!(Email::parse(&over), Err(EmailError::TooLong));
        let long_label = format!("joe@{}.com", "b".repeat(64));
        assert_eq!(Email::parse(&long_label), Err(EmailError::Invalid));
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
