//! bcrypt's hash strings: `$2b$` + two-digit cost + `$` + 22 characters of salt + 31 of digest, in
//! bcrypt's own base64. New hashes are `$2b$`; stored ones are parsed by the `bcrypt` crate, so exactly
//! the strings its `verify` accepts can match.

use crate::eksblowfish::bcrypt_key;

/// bcrypt reads at most this many bytes of a password.
pub const MAX_KEY_BYTES: usize = 72;

#[derive(Debug, thiserror::Error)]
pub enum BcryptError {
    #[error("no random salt: {0}")]
    Random(getrandom::Error),
    #[error("bcrypt's cost must be between {MIN_COST} and {MAX_COST} (got {0})")]
    Cost(u32),
}

/// The costs bcrypt itself accepts.
const MIN_COST: u32 = 4;
const MAX_COST: u32 = 31;

/// bcrypt's base64: `./A-Za-z0-9`, no padding.
const BASE64: base64::engine::GeneralPurpose =
    base64::engine::GeneralPurpose::new(&base64::alphabet::BCRYPT, base64::engine::general_purpose::NO_PAD);

/// The cost a stored hash names (`$2b$12$...` is 12), if it names one.
pub fn cost_of(stored: &str) -> Option<u32> {
    let cost = stored.split('$').nth(2)?;
    (cost.len() == 2 && cost.bytes().all(|b| b.is_ascii_digit())).then(|| cost.parse().ok()).flatten()
}

pub(crate) fn hash(
    password: &[u8],
    cost: u32,
    raw: impl FnOnce([u8; 16], &[u8]) -> [u8; 24],
) -> Result<String, BcryptError> {
    use base64::Engine as _;
    if !(MIN_COST..=MAX_COST).contains(&cost) {
        return Err(BcryptError::Cost(cost));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(BcryptError::Random)?;
    let (key, len) = bcrypt_key(password);
    let digest = raw(salt, &key[..len]);
    Ok(format!("$2b${cost:02}${}{}", BASE64.encode(salt), BASE64.encode(&digest[..23])))
}

pub(crate) fn verify(password: &[u8], stored: &str, raw: impl FnOnce(u32, [u8; 16], &[u8]) -> [u8; 24]) -> bool {
    use base64::Engine as _;
    use subtle::ConstantTimeEq as _;
    let Ok(parts) = stored.parse::<bcrypt::HashParts>() else {
        return false;
    };
    let mut expected = [0u8; 23];
    let decoded = stored.get(29..).map(|digest| BASE64.decode_slice(digest, &mut expected));
    if !(MIN_COST..=MAX_COST).contains(&parts.get_cost()) || decoded != Some(Ok(23)) {
        return false;
    }
    let (key, len) = bcrypt_key(password);
    let digest = raw(parts.get_cost(), parts.get_salt_raw(), &key[..len]);
    digest[..23].ct_eq(&expected).into()
}

#[cfg(test)]
mod tests {
    use crate::Bcrypt;

    /// Openwall's crypt_blowfish test vectors, one the `bcrypt` crate tests with, and hashes at the
    /// costs production uses (10 to 12) under each prefix, made by the system's libxcrypt
    /// (`python3 -c 'import crypt; print(crypt.crypt(password, salt))'`).
    const KNOWN_HASHES: [(&str, &str); 11] = [
        ("$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U"),
        ("$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK", "U*U*"),
        ("$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a", "U*U*U"),
        (
            "$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui",
            "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789chars after 72 are ignored",
        ),
        ("$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy", ""),
        ("$2a$04$UuTkLRZZ6QofpDOlMz32MuuxEHA43WOemOYHPz6.SjsVsyO1tDU96", "password"),
        ("$2a$10$LhayLxezLhK1LhWvKxCyLOWtfFhecz6vsb3KHFbdBw8LUCzAp8ngm", "U*U"),
        ("$2b$10$abcdefghijklmnopqrstuuGGgFFcYeueaAql8Z7U7CnCTRw4DR77W", "correct horse battery staple"),
        ("$2y$11$Xcx7JdrrGrtZx4p3vVb1A.JfgoycNGShG7aZf/tQuD6hyWKl20GE6", "p\u{e4}ssw\u{f6}rd \u{2603}"),
        (
            "$2b$12$0123456789ABCDEFGHIJKuQjbPfsRx0LczDZlqkEj5s.ufEJEuVky",
            "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 and past 72",
        ),
        ("$2a$12$zzzzzzzzzzzzzzzzzzzzzuFW.Srt2AYFgkRKtR7DydPlBYnmKOTMu", ""),
    ];

    #[test]
    fn verifies_the_known_hashes_under_every_prefix_and_nothing_else() {
        let bcrypt = Bcrypt::inline();
        for (hash, password) in KNOWN_HASHES {
            assert!(bcrypt.verify(password.as_bytes(), hash), "{hash}");
            assert!(!bcrypt.verify(b"U*U*U*", hash), "{hash}");
            for version in ["$2a$", "$2b$", "$2x$", "$2y$"] {
                let other = format!("{version}{}", &hash[4..]);
                assert!(bcrypt.verify(password.as_bytes(), &other), "{other}");
            }
        }
    }

    /// The same vectors on the engine, from several threads at once, so that they share batches.
    #[test]
    fn the_engine_verifies_the_known_hashes() {
        let bcrypt = Bcrypt::on(std::sync::Arc::new(crate::BcryptEngine::start(2).unwrap()));
        std::thread::scope(|scope| {
            for (hash, password) in KNOWN_HASHES {
                let bcrypt = &bcrypt;
                scope.spawn(move || {
                    assert!(bcrypt.verify(password.as_bytes(), hash), "{hash}");
                    assert!(!bcrypt.verify(b"U*U*U*", hash), "{hash}");
                });
            }
        });
        let batches = bcrypt.batches();
        assert_eq!(batches.iter().zip(1..).map(|(n, size)| n * size).sum::<u64>(), 22, "{batches:?}");
    }

    #[test]
    fn refuses_what_the_bcrypt_crate_refuses() {
        let (good, password) = KNOWN_HASHES[0];
        let malformed = [
            "".to_owned(),
            good[..59].to_owned(),
            format!("{good}."),
            good.replacen("$2a$", "$2c$", 1),
            good.replacen("$05$", "$03$", 1),
            good.replacen("$05$", "$xx$", 1),
            // the last character's unused bits set: not the canonical encoding
            format!("{}f", &good[..59]),
            format!("{}é", &good[..58]),
        ];
        for hash in &malformed {
            assert!(!Bcrypt::inline().verify(password.as_bytes(), hash), "{hash}");
            assert!(!bcrypt::verify(password, hash).unwrap_or(false), "{hash}");
        }
    }

    #[test]
    fn makes_hashes_the_bcrypt_crate_verifies_and_verifies_the_crates() {
        for password in [&b"a"[..], b"correct horse", &[0xff; 72], b"\xc3\xa9t\xc3\xa9"] {
            let ours = Bcrypt::inline().hash(password, 4).unwrap();
            assert!(ours.starts_with("$2b$04$") && ours.len() == 60, "{ours}");
            assert!(bcrypt::verify(password, &ours).unwrap());
            let theirs = bcrypt::hash(password, 5).unwrap();
            assert!(Bcrypt::inline().verify(password, &theirs));
            assert!(!Bcrypt::inline().verify(b"another", &theirs));
        }
        assert!(matches!(Bcrypt::inline().hash(b"x", 3), Err(super::BcryptError::Cost(3))));
        assert!(matches!(Bcrypt::inline().hash(b"x", 32), Err(super::BcryptError::Cost(32))));
    }

    #[test]
    fn reads_the_cost() {
        assert_eq!(super::cost_of("$2b$12$abc"), Some(12));
        assert_eq!(super::cost_of("$2a$04$abc"), Some(4));
        assert_eq!(super::cost_of("$2b$31$abc"), Some(31));
        for bad in ["", "$2b$", "$2b$1$abc", "$2b$123$abc", "$2b$+1$abc", "plain"] {
            assert_eq!(super::cost_of(bad), None, "{bad}");
        }
    }
}
