//! Reply addresses that route themselves: `<local>+<token>@<domain>` on a queue's address, where
//! the token names a submission (its reference) and carries a keyed signature of it, so that
//! it can be neither forged nor guessed. Case does not matter: some relays fold it.
//!
//! The same key and signature sign the marketing opt-out links of commercial e-mails, under a
//! purpose of their own (a reply token is no opt-out token) and with an expiry date.

use hmac::{Hmac, Mac};
use lettre::message::Mailbox;
use sha2::Sha256;

use crate::domain::Reference;

/// Crockford's base 32, lower-case: the reference's own alphabet.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Signature characters: 50 bits, far beyond online guessing.
const SIGNATURE_LEN: usize = 10;
/// The reference's eight characters, then the signature.
pub const TOKEN_LEN: usize = 8 + SIGNATURE_LEN;

/// The deployment's key (`mail.reply_key`).
#[derive(Clone)]
pub struct ReplyKey(Vec<u8>);

impl ReplyKey {
    pub fn new(key: &str) -> ReplyKey {
        ReplyKey(key.as_bytes().to_vec())
    }

    fn signature(&self, reference: &str) -> String {
        self.sign(b"courrier-reply:", reference)
    }

    /// The signature of `payload` for one purpose: Crockford characters of an HMAC-SHA256.
    fn sign(&self, purpose: &[u8], payload: &str) -> String {
        // HMAC takes a key of any length, so this cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(purpose);
        mac.update(payload.as_bytes());
        let bytes = mac.finalize().into_bytes();
        // 5 bits a character, from the front of the MAC.
        let mut bits: u64 = 0;
        for b in bytes.iter().take(8) {
            bits = (bits << 8) | u64::from(*b);
        }
        (0..SIGNATURE_LEN)
            .map(|i| ALPHABET[((bits >> (59 - 5 * i)) & 31) as usize] as char)
            .collect()
    }

    /// The token for a reference (`K7QM-3XZD` → `k7qm3xzd` and its signature).
    pub fn token(&self, reference: &str) -> String {
        let bare: String = reference
            .chars()
            .filter(|c| *c != '-')
            .collect::<String>()
            .to_ascii_uppercase();
        format!(
            "{}{}",
            bare.to_ascii_lowercase(),
            self.signature(&with_dash(&bare))
        )
    }

    /// The reference a token names, when its signature holds; any case.
    pub fn verify(&self, token: &str) -> Option<String> {
        if token.len() != TOKEN_LEN || !token.is_ascii() {
            return None;
        }
        let token = token.to_ascii_lowercase();
        let (bare, given) = token.split_at(8);
        let reference = with_dash(&bare.to_ascii_uppercase());
        if !Reference::is_well_formed(&reference) {
            return None;
        }
        let expected = self.signature(&reference);
        same(&expected, given).then_some(reference)
    }

    /// The opt-out token of a reference, valid until `expires` (a day, inclusive): the bare
    /// reference, the date (`yyyymmdd`) and their signature.
    pub fn optout_token(&self, reference: &str, expires: chrono::NaiveDate) -> String {
        let bare = self.token(reference)[..8].to_owned();
        let date = expires.format("%Y%m%d").to_string();
        let signature = self.sign(OPTOUT, &optout_payload(&bare, &date));
        format!("{bare}{date}{signature}")
    }

    /// The reference an opt-out token names, when its signature holds and `today` is not past
    /// its date; any case.
    pub fn verify_optout(&self, token: &str, today: chrono::NaiveDate) -> Option<String> {
        if token.len() != OPTOUT_TOKEN_LEN || !token.is_ascii() {
            return None;
        }
        let token = token.to_ascii_lowercase();
        let (bare, rest) = token.split_at(8);
        let (date, given) = rest.split_at(8);
        let reference = with_dash(&bare.to_ascii_uppercase());
        if !Reference::is_well_formed(&reference) {
            return None;
        }
        let expected = self.sign(OPTOUT, &optout_payload(bare, date));
        if !same(&expected, given) {
            return None;
        }
        let expires = chrono::NaiveDate::parse_from_str(date, "%Y%m%d").ok()?;
        (today <= expires).then_some(reference)
    }

    /// `local+token@domain` on the queue's address, its display name kept.
    pub fn reply_address(&self, queue: &Mailbox, reference: &str) -> Option<Mailbox> {
        let user = queue.email.user();
        let local = user.split_once('+').map_or(user, |(base, _)| base);
        let address = format!("{local}+{}@{}", self.token(reference), queue.email.domain());
        Some(Mailbox::new(queue.name.clone(), address.parse().ok()?))
    }

    /// The reference named by a recipient address's valid token, when the address is one of
    /// the queue addresses given (compared without the tag, in any case).
    pub fn reference_in(&self, address: &str, queues: &[&Mailbox]) -> Option<String> {
        let (local, domain) = address.trim().rsplit_once('@')?;
        let (base, token) = local.rsplit_once('+')?;
        let ours = queues.iter().any(|q| {
            q.email.domain().eq_ignore_ascii_case(domain)
                && q.email
                    .user()
                    .split_once('+')
                    .map_or(q.email.user(), |(b, _)| b)
                    .eq_ignore_ascii_case(base)
        });
        if !ours {
            return None;
        }
        self.verify(token)
    }
}

/// The opt-out tokens' purpose, so that no other signature of the key passes for one.
const OPTOUT: &[u8] = b"courrier-optout:";
/// The bare reference, the date and the signature.
pub const OPTOUT_TOKEN_LEN: usize = 8 + 8 + SIGNATURE_LEN;

fn optout_payload(bare: &str, date: &str) -> String {
    format!("{}:{date}", bare.to_ascii_lowercase())
}

/// Compared in full whatever the first difference, so timing says nothing.
fn same(expected: &str, given: &str) -> bool {
    expected
        .bytes()
        .zip(given.bytes())
        .fold(expected.len() == given.len(), |ok, (a, b)| ok & (a == b))
}

fn with_dash(bare: &str) -> String {
    if bare.len() == 8 && bare.is_ascii() {
        format!("{}-{}", &bare[..4], &bare[4..])
    } else {
        bare.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue() -> Mailbox {
        "Rédaction <redaction@journal.example>".parse().unwrap()
    }

    #[test]
    fn a_token_names_its_reference_in_any_case() {
        let key = ReplyKey::new("a key of the deployment, long enough");
        let token = key.token("K7QM-3XZD");
        assert_eq!(token.len(), TOKEN_LEN);
        assert_eq!(key.verify(&token).as_deref(), Some("K7QM-3XZD"));
        assert_eq!(
            key.verify(&token.to_ascii_uppercase()).as_deref(),
            Some("K7QM-3XZD")
        );
        let address = key.reply_address(&queue(), "K7QM-3XZD").unwrap();
        assert!(address
            .to_string()
            .contains(&format!("redaction+{token}@journal.example")));
        let q = queue();
        assert_eq!(
            key.reference_in(&address.email.to_string().to_uppercase(), &[&q])
                .as_deref(),
            Some("K7QM-3XZD")
        );
    }

    #[test]
    fn an_optout_token_holds_until_its_date_and_is_no_reply_token() {
        let key = ReplyKey::new("a key of the deployment, long enough");
        let day = chrono::NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        let token = key.optout_token("K7QM-3XZD", day);
        assert_eq!(token.len(), OPTOUT_TOKEN_LEN);
        assert_eq!(
            key.verify_optout(&token.to_ascii_uppercase(), day)
                .as_deref(),
            Some("K7QM-3XZD")
        );
        assert_eq!(key.verify_optout(&token, day.succ_opt().unwrap()), None);
        // A later date written over the signed one.
        let moved = format!("{}20991231{}", &token[..8], &token[16..]);
        assert_eq!(key.verify_optout(&moved, day), None);
        // The reply token's signature does not sign an opt-out.
        let reply = key.token("K7QM-3XZD");
        let borrowed = format!("{}20270301{}", &reply[..8], &reply[8..]);
        assert_eq!(key.verify_optout(&borrowed, day), None);
        assert_eq!(
            ReplyKey::new("another deployment's key, as long").verify_optout(&token, day),
            None
        );
    }

    #[test]
    fn a_forged_or_foreign_token_names_nothing() {
        let key = ReplyKey::new("a key of the deployment, long enough");
        let other = ReplyKey::new("another deployment's key, as long");
        let token = key.token("K7QM-3XZD");
        assert_eq!(other.verify(&token), None);
        // Another reference with the same signature.
        let forged = format!("k7qm3xze{}", &token[8..]);
        assert_eq!(key.verify(&forged), None);
        // One signature character changed.
        let mut flipped = token.clone().into_bytes();
        flipped[TOKEN_LEN - 1] = if flipped[TOKEN_LEN - 1] == b'a' {
            b'b'
        } else {
            b'a'
        };
        assert_eq!(key.verify(std::str::from_utf8(&flipped).unwrap()), None);
        assert_eq!(key.verify(""), None);
        assert_eq!(key.verify("é".repeat(9).as_str()), None);
        // A valid token on a stranger's address.
        let q = queue();
        assert_eq!(
            key.reference_in(&format!("someone+{token}@journal.example"), &[&q]),
            None
        );
    }
}
