//! bcrypt's expensive key schedule (EksBlowfish), the one loop every login spends its time in.
//!
//! The `bcrypt` crate still parses and checks the stored hash strings; only the cipher work is done here.
//! Its own core (the `blowfish` crate) is 15–20 % slower than the C implementation other services use
//! (measured in docs/BENCHMARKS.md): each round's cipher is a chain of dependent loads, and there the
//! XOR with the round's subkey sits on that chain, because the subkeys are read from the same struct the
//! S-boxes are written to. Here they are copied out first, so the compiler can apply each subkey before
//! the round's lookups finish, as the C code does. The output is checked against the crate and against
//! the Openwall test vectors in the tests below.

/// Blowfish's state for `N` independent hashes: each one's 18 subkeys and four S-boxes.
///
/// One hash is a single chain of dependent loads (each round's lookups need the last round's result),
/// which leaves most of a core idle. Run side by side in one loop, `N` hashes fill that idle time: on the
/// machines measured, two take 1.06 × the time of one and four 1.47 × (docs/BENCHMARKS.md). Every hash is
/// exactly the one it would be alone; `N` = 1 is the plain algorithm.
struct Lanes<const N: usize> {
    p: [[u32; 18]; N],
    s: [[u32; 1024]; N],
}

#[inline(always)]
fn feistel(s: &[u32; 1024], x: u32) -> u32 {
    let a = s[(x >> 24) as usize];
    let b = s[256 + ((x >> 16) & 0xff) as usize];
    let c = s[512 + ((x >> 8) & 0xff) as usize];
    let d = s[768 + (x & 0xff) as usize];
    (a.wrapping_add(b) ^ c).wrapping_add(d)
}

/// One block per lane, the lanes' rounds interleaved.
#[inline(always)]
fn encrypt<const N: usize>(
    p: &[[u32; 18]; N],
    s: &[[u32; 1024]; N],
    mut l: [u32; N],
    mut r: [u32; N],
) -> ([u32; N], [u32; N]) {
    for j in 0..N {
        l[j] ^= p[j][0];
    }
    // the subkey first: it does not depend on the lookups, so it stays off their chain
    macro_rules! two_rounds {
        ($i:expr) => {
            for j in 0..N {
                r[j] ^= p[j][$i];
            }
            for j in 0..N {
                r[j] ^= feistel(&s[j], l[j]);
            }
            for j in 0..N {
                l[j] ^= p[j][$i + 1];
            }
            for j in 0..N {
                l[j] ^= feistel(&s[j], r[j]);
            }
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
    let mut out = [0u32; N];
    for j in 0..N {
        out[j] = r[j] ^ p[j][17];
    }
    (out, l)
}

impl<const N: usize> Lanes<N> {
    fn initial() -> Self {
        Self { p: [INITIAL_P; N], s: [INITIAL_S; N] }
    }

    /// The key schedule with the salt folded in: the first step of bcrypt's setup.
    fn salted_expand(&mut self, keys: &[[u32; 18]; N], salts: &[[u32; 4]; N]) {
        for (p, key) in self.p.iter_mut().zip(keys) {
            for (p, k) in p.iter_mut().zip(key) {
                *p ^= k;
            }
        }
        let (mut l, mut r) = ([0u32; N], [0u32; N]);
        let mut half = 0;
        let mut salted = |l: &mut [u32; N], r: &mut [u32; N]| {
            for j in 0..N {
                l[j] ^= salts[j][half];
                r[j] ^= salts[j][half + 1];
            }
            half ^= 2;
        };
        for i in 0..9 {
            salted(&mut l, &mut r);
            (l, r) = encrypt(&self.p, &self.s, l, r);
            for j in 0..N {
                self.p[j][2 * i] = l[j];
                self.p[j][2 * i + 1] = r[j];
            }
        }
        for i in 0..512 {
            salted(&mut l, &mut r);
            (l, r) = encrypt(&self.p, &self.s, l, r);
            for j in 0..N {
                self.s[j][2 * i] = l[j];
                self.s[j][2 * i + 1] = r[j];
            }
        }
    }

    /// The plain key schedule, run 2 × 2^cost times.
    fn expand(&mut self, keys: &[[u32; 18]; N]) {
        for (p, key) in self.p.iter_mut().zip(keys) {
            for (p, k) in p.iter_mut().zip(key) {
                *p ^= k;
            }
        }
        let (mut l, mut r) = ([0u32; N], [0u32; N]);
        for i in 0..9 {
            (l, r) = encrypt(&self.p, &self.s, l, r);
            for j in 0..N {
                self.p[j][2 * i] = l[j];
                self.p[j][2 * i + 1] = r[j];
            }
        }
        // The subkeys are fixed from here on: a copy the S-box writes below cannot touch.
        let p = self.p;
        for i in 0..512 {
            (l, r) = encrypt(&p, &self.s, l, r);
            for j in 0..N {
                self.s[j][2 * i] = l[j];
                self.s[j][2 * i + 1] = r[j];
            }
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
    let [digest] = bcrypt_raw_lanes(cost, [salt], [key]);
    digest
}

/// `bcrypt_raw` for `N` keys and salts at the same cost, computed side by side.
pub(crate) fn bcrypt_raw_lanes<const N: usize>(cost: u32, salts: [[u8; 16]; N], keys: [&[u8]; N]) -> [[u8; 24]; N] {
    assert!(keys.iter().all(|key| !key.is_empty() && key.len() <= 72), "bcrypt takes 1 to 72 key bytes");
    assert!(cost < 32, "bcrypt's cost is below 32");
    let keys: [[u32; 18]; N] = std::array::from_fn(|j| cyclic_words(keys[j]));
    let salt_words: [[u32; 18]; N] = std::array::from_fn(|j| cyclic_words(&salts[j]));
    let salt_keys: [[u32; 4]; N] = std::array::from_fn(|j| {
        let words = &salt_words[j];
        [words[0], words[1], words[2], words[3]]
    });
    let mut state = Lanes::<N>::initial();
    state.salted_expand(&keys, &salt_keys);
    for _ in 0..1u64 << cost {
        state.expand(&keys);
        state.expand(&salt_words);
    }
    // "OrpheanBeholderScryDoubt", encrypted 64 times
    const TEXT: [u32; 6] = [0x4f72_7068, 0x6561_6e42, 0x6568_6f6c, 0x6465_7253, 0x6372_7944, 0x6f75_6274];
    let mut out = [[0u8; 24]; N];
    for block in 0..3 {
        let (mut l, mut r) = ([TEXT[2 * block]; N], [TEXT[2 * block + 1]; N]);
        for _ in 0..64 {
            (l, r) = encrypt(&state.p, &state.s, l, r);
        }
        for (j, digest) in out.iter_mut().enumerate() {
            digest[8 * block..8 * block + 4].copy_from_slice(&l[j].to_be_bytes());
            digest[8 * block + 4..8 * block + 8].copy_from_slice(&r[j].to_be_bytes());
        }
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

    fn lanes<const N: usize>(cost: u32, salts: [[u8; 16]; N], passwords: [&[u8]; N]) -> [[u8; 24]; N] {
        let keys: [([u8; 72], usize); N] = std::array::from_fn(|j| bcrypt_key(passwords[j]));
        bcrypt_raw_lanes(cost, salts, std::array::from_fn(|j| &keys[j].0[..keys[j].1]))
    }

    #[test]
    fn each_lane_is_the_hash_it_would_be_alone() {
        let passwords: [&[u8]; 4] = [b"", b"U*U", &[0xff; 72], b"correct horse battery staple"];
        let salts: [[u8; 16]; 4] = std::array::from_fn(|j| [j as u8 * 61 + 7; 16]);
        let alone: [[u8; 24]; 4] = std::array::from_fn(|j| crates(5, salts[j], passwords[j]));
        assert_eq!(lanes(5, salts, passwords), alone);
        assert_eq!(lanes(5, [salts[2], salts[0]], [passwords[2], passwords[0]]), [alone[2], alone[0]]);
        // the same key and salt in two lanes, and one lane
        assert_eq!(lanes(5, [salts[1]; 2], [passwords[1]; 2]), [alone[1]; 2]);
        assert_eq!(lanes(5, [salts[3]], [passwords[3]]), [alone[3]]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn four_lanes_agree_with_the_bcrypt_crate(
            passwords in proptest::array::uniform4(proptest::collection::vec(any::<u8>(), 0..80)),
            salts in any::<[[u8; 16]; 4]>(),
        ) {
            let alone: [[u8; 24]; 4] = std::array::from_fn(|j| crates(4, salts[j], &passwords[j]));
            prop_assert_eq!(lanes(4, salts, std::array::from_fn(|j| passwords[j].as_slice())), alone);
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
