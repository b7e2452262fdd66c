//! Bearer tokens: 256 random bits handed to the client once; only their SHA-256 is stored.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Lower-case hexadecimal, as every digest is stored.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
        .map(char::from)
        .collect()
}

/// A keyed hash (HMAC-SHA-256, 128 bits in hex): the same text gives the same value, but the text
/// cannot be recovered without the key (`privacy.ip_hash_key`). Client addresses and reader
/// mailboxes are stored only so.
pub fn keyed_hash(key: &[u8], text: &str) -> String {
    use hmac::{Hmac, Mac};
    // HMAC takes keys of any length: this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(text.as_bytes());
    hex(&mac.finalize().into_bytes()[..16])
}

/// Whether a secret sent by a client is the configured one. Their digests are compared, whole,
/// so the time taken says nothing about where they differ, nor about the secret's length.
pub fn same_secret(sent: &str, expected: &str) -> bool {
    let (a, b) = (
        Sha256::digest(sent.as_bytes()),
        Sha256::digest(expected.as_bytes()),
    );
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_bits_and_hash_stably() {
        let t = new_token();
        assert_eq!(t.len(), 43);
        assert_ne!(t, new_token());
        assert_eq!(token_hash(&t), token_hash(&t));
        assert_eq!(token_hash(&t).len(), 64);
    }

    #[test]
    fn hex_is_lower_case_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    }

    #[test]
    fn only_the_same_secret_matches() {
        assert!(same_secret("a-scrape-token", "a-scrape-token"));
        assert!(!same_secret("a-scrape-tokeN", "a-scrape-token"));
        assert!(!same_secret("", "a-scrape-token"));
    }
}
