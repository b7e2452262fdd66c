//! Public references: short, unambiguous, easy to read out on the phone (`K7QM-3XZD`).

use rand::Rng;

/// Crockford's base 32: no I, L, O or U to mistake for 1, 0 or V.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference(String);

impl Reference {
    /// 40 random bits; the database's unique index settles the rare collision by a retry.
    pub fn generate() -> Reference {
        let mut rng = rand::thread_rng();
        let mut s = String::with_capacity(9);
        for i in 0..8 {
            if i == 4 {
                s.push('-');
            }
            s.push(ALPHABET[rng.gen_range(0..32)] as char);
        }
        Reference(s)
    }

    /// `XXXX-XXXX` in our alphabet.
    pub fn is_well_formed(s: &str) -> bool {
        s.len() == 9
            && s.bytes().enumerate().all(|(i, b)| {
                if i == 4 {
                    b == b'-'
                } else {
                    ALPHABET.contains(&b)
                }
            })
    }

    /// A reference as written out (`XXXX-XXXX`), if well formed.
    pub fn parse(s: &str) -> Option<Reference> {
        Reference::is_well_formed(s).then(|| Reference(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_short_readable_and_varied() {
        let a = Reference::generate();
        assert_eq!(a.as_str().len(), 9);
        assert_eq!(&a.as_str()[4..5], "-");
        assert!(a
            .as_str()
            .chars()
            .all(|c| c == '-' || ALPHABET.contains(&(c as u8))));
        let distinct: std::collections::HashSet<_> =
            (0..1000).map(|_| Reference::generate().0).collect();
        assert_eq!(distinct.len(), 1000);
        assert!(Reference::is_well_formed(a.as_str()));
        for bad in [
            "K7QM3XZD",
            "k7qm-3xzd",
            "K7QM-3XZI",
            "Appelez le 0800",
            "K7QM-3XZD-",
        ] {
            assert!(!Reference::is_well_formed(bad), "{bad}");
        }
    }
}
