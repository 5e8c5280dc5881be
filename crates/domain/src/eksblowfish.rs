//! bcrypt's expensive key schedule (EksBlowfish), the one loop every login spends its time in.
//!
//! The `bcrypt` crate still parses and checks the stored hash strings; only the cipher work is done here.
//! Its own core (the `blowfish` crate) is 15–20 % slower than the C implementation other services use
//! (measured in docs/BENCHMARKS.md): each round's cipher is a chain of dependent loads, and there the
//! XOR with the round's subkey sits on that chain, because the subkeys are read from the same struct the
//! S-boxes are written to. Here they are copied out first, so the compiler can apply each subkey before
//! the round's lookups finish, as the C code does. The output is checked against the crate and against
//! the Openwall test vectors in the tests below.

/// Blowfish's state: the 18 subkeys and the four S-boxes, one after another.
struct State {
    p: [u32; 18],
    s: [u32; 1024],
}

#[inline(always)]
fn feistel(s: &[u32; 1024], x: u32) -> u32 {
    let a = s[(x >> 24) as usize];
    let b = s[256 + ((x >> 16) & 0xff) as usize];
    let c = s[512 + ((x >> 8) & 0xff) as usize];
    let d = s[768 + (x & 0xff) as usize];
    (a.wrapping_add(b) ^ c).wrapping_add(d)
}

#[inline(always)]
fn encrypt(p: &[u32; 18], s: &[u32; 1024], mut l: u32, mut r: u32) -> (u32, u32) {
    l ^= p[0];
    // the subkey first: it does not depend on the lookups, so it stays off their chain
    macro_rules! two_rounds {
        ($i:expr) => {
            r ^= p[$i];
            r ^= feistel(s, l);
            l ^= p[$i + 1];
            l ^= feistel(s, r);
        };
    }
    two_rounds!(1);
    two_rounds!(3);
    two_rounds!(5);
    two_rounds!(7);
    two_rounds!(9);
    two_rounds!(11);
    two_rounds!(13);
    two_rounds!(15);
    (r ^ p[17], l)
}

impl State {
    fn initial() -> Self {
        Self { p: INITIAL_P, s: INITIAL_S }
    }

    /// The key schedule with the salt folded in: the first step of bcrypt's setup.
    fn salted_expand(&mut self, key: &[u32; 18], salt: &[u32; 4]) {
        for (p, k) in self.p.iter_mut().zip(key) {
            *p ^= k;
        }
        let (mut l, mut r) = (0u32, 0u32);
        let mut half = 0;
        for i in 0..9 {
            l ^= salt[half];
            r ^= salt[half + 1];
            half ^= 2;
            (l, r) = encrypt(&self.p, &self.s, l, r);
            self.p[2 * i] = l;
            self.p[2 * i + 1] = r;
        }
        for i in 0..512 {
            l ^= salt[half];
            r ^= salt[half + 1];
            half ^= 2;
            (l, r) = encrypt(&self.p, &self.s, l, r);
            self.s[2 * i] = l;
            self.s[2 * i + 1] = r;
        }
    }

    /// The plain key schedule, run 2 × 2^cost times.
    fn expand(&mut self, key: &[u32; 18]) {
        for (p, k) in self.p.iter_mut().zip(key) {
            *p ^= k;
        }
        let (mut l, mut r) = (0u32, 0u32);
        for i in 0..9 {
            (l, r) = encrypt(&self.p, &self.s, l, r);
            self.p[2 * i] = l;
            self.p[2 * i + 1] = r;
        }
        // The subkeys are fixed from here on: a copy the S-box writes below cannot touch.
        let p = self.p;
        for i in 0..512 {
            (l, r) = encrypt(&p, &self.s, l, r);
            self.s[2 * i] = l;
            self.s[2 * i + 1] = r;
        }
    }
}

/// `bytes` read as big-endian words, cycling through them, as Blowfish's key schedule reads a key.
fn cyclic_words(bytes: &[u8]) -> [u32; 18] {
    let mut words = [0u32; 18];
    let mut at = 0;
    for word in &mut words {
        for _ in 0..4 {
            *word = (*word << 8) | u32::from(bytes[at]);
            at = (at + 1) % bytes.len();
        }
    }
    words
}

/// The raw bcrypt output (the 24 bytes before encoding) for a key as bcrypt takes it: the password's
/// bytes and a NUL, at most 72 bytes. Same signature and result as `bcrypt::bcrypt`.
pub(crate) fn bcrypt_raw(cost: u32, salt: [u8; 16], key: &[u8]) -> [u8; 24] {
    assert!(!key.is_empty() && key.len() <= 72, "bcrypt takes 1 to 72 key bytes");
    assert!(cost < 32, "bcrypt's cost is below 32");
    let key = cyclic_words(key);
    let salt_words = cyclic_words(&salt);
    let salt_key = [salt_words[0], salt_words[1], salt_words[2], salt_words[3]];
    let mut state = State::initial();
    state.salted_expand(&key, &salt_key);
    for _ in 0..1u64 << cost {
        state.expand(&key);
        state.expand(&salt_words);
    }
    // "OrpheanBeholderScryDoubt", encrypted 64 times
    let mut text = [0x4f72_7068_u32, 0x6561_6e42, 0x6568_6f6c, 0x6465_7253, 0x6372_7944, 0x6f75_6274];
    let mut out = [0u8; 24];
    for (block, bytes) in text.chunks_exact_mut(2).zip(out.chunks_exact_mut(8)) {
        let (mut l, mut r) = (block[0], block[1]);
        for _ in 0..64 {
            (l, r) = encrypt(&state.p, &state.s, l, r);
        }
        bytes[..4].copy_from_slice(&l.to_be_bytes());
        bytes[4..].copy_from_slice(&r.to_be_bytes());
        block[0] = l;
        block[1] = r;
    }
    out
}

/// The key bcrypt hashes for a password: its bytes and a NUL, cut at 72 bytes (the `bcrypt` crate's
/// truncating entry points do the same).
pub(crate) fn bcrypt_key(password: &[u8]) -> ([u8; 72], usize) {
    let mut key = [0u8; 72];
    let len = password.len().min(72);
    key[..len].copy_from_slice(&password[..len]);
    (key, (len + 1).min(72))
}

mod constants;
use constants::{INITIAL_P, INITIAL_S};

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ours(cost: u32, salt: [u8; 16], password: &[u8]) -> [u8; 24] {
        let (key, len) = bcrypt_key(password);
        bcrypt_raw(cost, salt, &key[..len])
    }

    fn crates(cost: u32, salt: [u8; 16], password: &[u8]) -> [u8; 24] {
        let (key, len) = bcrypt_key(password);
        bcrypt::bcrypt(cost, salt, &key[..len])
    }

    #[test]
    fn agrees_with_the_bcrypt_crate_for_every_password_length() {
        for len in 0..=80usize {
            let password: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let mut salt = *b"0123456789abcdef";
            salt[0] = len as u8;
            assert_eq!(ours(4, salt, &password), crates(4, salt, &password), "length {len}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn agrees_with_the_bcrypt_crate(password in proptest::collection::vec(any::<u8>(), 0..100), salt in any::<[u8; 16]>(), cost in 4u32..6) {
            prop_assert_eq!(ours(cost, salt, &password), crates(cost, salt, &password));
        }
    }
}
