//! Bot traps' decoys: a post dropped as a bot's gets a token that the status endpoint recognises, by its signature alone, as a comment still pending, so that the bot cannot tell it was dropped and nothing of it is stored.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::atomic::{AtomicI64, Ordering};

/// Issues and recognises decoy tokens (64 hex digits, like real ones:
/// the id, 8 random bytes, and a MAC over both).
pub struct Decoys {
    key: Vec<u8>,
    /// The last comment id handed out, so that a decoy's id looks like the next one.
    last_id: AtomicI64,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Decoys {
    /// `secret` is the installation's; the decoys' key is derived from it.
    pub fn new(secret: &str, last_id: i64) -> Self {
        let key = match <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) {
            Ok(mut mac) => {
                mac.update(b"comments decoy tokens v1");
                mac.finalize().into_bytes().to_vec()
            }
            Err(_) => secret.as_bytes().to_vec(),
        };
        Self {
            key,
            last_id: AtomicI64::new(last_id),
        }
    }

    /// Notes a real comment's id.
    pub fn observe(&self, id: i64) {
        self.last_id.fetch_max(id, Ordering::Relaxed);
    }

    fn mac(&self, data: &[u8]) -> Vec<u8> {
        match <Hmac<Sha256> as Mac>::new_from_slice(&self.key) {
            Ok(mut mac) => {
                mac.update(data);
                mac.finalize().into_bytes()[..16].to_vec()
            }
            Err(_) => Vec::new(),
        }
    }

    /// A decoy: the id to answer with, and its token.
    pub fn issue(&self) -> Result<(i64, String), getrandom::Error> {
        let id = self.last_id.fetch_add(1, Ordering::Relaxed) + 1;
        let mut data = [0u8; 16];
        data[..8].copy_from_slice(&id.to_be_bytes());
        getrandom::fill(&mut data[8..])?;
        let mac = self.mac(&data);
        Ok((id, hex(&data) + &hex(&mac)))
    }

    /// The id of a decoy token, if `token` is one of ours.
    pub fn recognise(&self, token: &str) -> Option<i64> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let bytes: Vec<u8> = (0..32)
            .map(|i| u8::from_str_radix(token.get(2 * i..2 * i + 2)?, 16).ok())
            .collect::<Option<_>>()?;
        let (data, mac) = bytes.split_at(16);
        let expected = self.mac(data);
        if expected.is_empty() || !crate::token::constant_time_eq(&expected, mac) {
            return None;
        }
        let id = i64::from_be_bytes(data[..8].try_into().ok()?);
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoys_are_recognised_by_their_signature_only() {
        let d = Decoys::new("an installation secret", 41);
        let (id, token) = d.issue().unwrap();
        assert_eq!(id, 42);
        assert_eq!(token.len(), 64);
        assert_eq!(d.recognise(&token), Some(42));
        d.observe(100);
        assert_eq!(d.issue().unwrap().0, 101, "ids follow real ones");
        let other = Decoys::new("another secret", 0);
        assert_eq!(other.recognise(&token), None);
        let mut altered = token.clone().into_bytes();
        altered[3] = if altered[3] == b'0' { b'1' } else { b'0' };
        assert_eq!(d.recognise(&String::from_utf8(altered).unwrap()), None);
        for junk in ["", "zz", &"0".repeat(64)] {
            assert_eq!(d.recognise(junk), None);
        }
    }
}
