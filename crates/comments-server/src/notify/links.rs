//! Signed links: single-use, expiring ones in moderators' mail (approve or reject one comment after a confirmation page), and readers' tokens for one purpose (unsubscribing from replies, sending a report).

use crate::store::Disposition;
use crate::token;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long a mail link works.
pub const LINK_VALIDITY_MS: i64 = 72 * 3_600_000;

/// What a link does, once confirmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub comment_id: i64,
    pub to: Disposition,
    /// The moderator the mail went to, for the audit log.
    pub moderator: String,
    pub expires_at: i64,
    /// Recorded when the link is used, so that it works once.
    pub nonce: String,
}

/// Why a link does not work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// Not a link this server made (or altered).
    Forged,
    Expired,
}

/// Signs and checks links with the installation's link secret.
#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
}

fn hex_encode(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn hex_decode(s: &str) -> Option<String> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect();
    String::from_utf8(bytes?).ok()
}

impl LinkSigner {
    /// A signer with this secret (the key file keeps the installation's).
    pub fn new(secret: &str) -> Self {
        Self {
            key: secret.as_bytes().to_vec(),
        }
    }

    fn mac(&self, payload: &str) -> String {
        // HMAC takes keys of any length; an empty MAC would match nothing.
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.key) else {
            return String::new();
        };
        mac.update(payload.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// A link token: `id.action.expiry.nonce.moderator.mac`, URL-safe.
    pub fn sign(&self, link: &Link) -> String {
        let payload = format!(
            "{}.{}.{}.{}.{}",
            link.comment_id,
            link.to.as_str(),
            link.expires_at,
            link.nonce,
            hex_encode(&link.moderator)
        );
        let mac = self.mac(&payload);
        format!("{payload}.{mac}")
    }

    /// The link a token stands for, if it is ours and still valid.
    pub fn verify(&self, token: &str, now: i64) -> Result<Link, LinkError> {
        let Some((payload, mac)) = token.rsplit_once('.') else {
            return Err(LinkError::Forged);
        };
        let expected = self.mac(payload);
        if expected.is_empty() || !token::constant_time_eq(expected.as_bytes(), mac.as_bytes()) {
            return Err(LinkError::Forged);
        }
        let parts: Vec<&str> = payload.split('.').collect();
        let [id, to, expires, nonce, moderator] = parts.as_slice() else {
            return Err(LinkError::Forged);
        };
        let link = Link {
            comment_id: id.parse().map_err(|_| LinkError::Forged)?,
            to: Disposition::parse(to).ok_or(LinkError::Forged)?,
            expires_at: expires.parse().map_err(|_| LinkError::Forged)?,
            nonce: (*nonce).to_string(),
            moderator: hex_decode(moderator).ok_or(LinkError::Forged)?,
        };
        if now >= link.expires_at {
            return Err(LinkError::Expired);
        }
        Ok(link)
    }
}

impl LinkSigner {
    /// A token that proves this server issued `value` for `purpose` (a
    /// reader's unsubscribe link, a report form): `value.mac`, the MAC
    /// last, so `value` may hold dots of its own.
    pub fn sign_for(&self, purpose: &str, value: &str) -> String {
        format!("{value}.{}", self.mac(&format!("{purpose}:{value}")))
    }

    /// The value a token of [`Self::sign_for`] carries, if this server
    /// signed it for `purpose`.
    pub fn verify_for<'t>(&self, purpose: &str, token: &'t str) -> Option<&'t str> {
        let (value, mac) = token.rsplit_once('.')?;
        let expected = self.mac(&format!("{purpose}:{value}"));
        (!expected.is_empty() && token::constant_time_eq(expected.as_bytes(), mac.as_bytes()))
            .then_some(value)
    }
}

/// Percent-encodes a query-string value, for the links we send (mail,
/// webhooks) and the moderation pages' own: all but `A-Z a-z 0-9 - _ . ~`.
pub fn query_value(s: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, KEEP).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> LinkSigner {
        LinkSigner { key: b"k".to_vec() }
    }

    fn link() -> Link {
        Link {
            comment_id: 7,
            to: Disposition::Approved,
            moderator: "Ana M.".into(),
            expires_at: 1000,
            nonce: "n1".into(),
        }
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(query_value("a b/é&-_.~"), "a%20b%2F%C3%A9%26-_.~");
    }

    #[test]
    fn links_round_trip_until_they_expire() {
        let t = signer().sign(&link());
        assert!(
            t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.'),
            "{t}"
        );
        assert_eq!(signer().verify(&t, 999), Ok(link()));
        assert_eq!(signer().verify(&t, 1000), Err(LinkError::Expired));
    }

    #[test]
    fn altered_or_foreign_links_are_forged() {
        let t = signer().sign(&link());
        let other = LinkSigner {
            key: b"other".to_vec(),
        };
        assert_eq!(other.verify(&t, 0), Err(LinkError::Forged));
        let altered = t.replacen("approved", "rejected", 1);
        assert_eq!(signer().verify(&altered, 0), Err(LinkError::Forged));
        let later = t.replacen(".1000.", ".9999.", 1);
        assert_eq!(signer().verify(&later, 0), Err(LinkError::Forged));
        for junk in ["", ".", "a.b", "x.y.z.w.v.u"] {
            assert_eq!(signer().verify(junk, 0), Err(LinkError::Forged));
        }
    }

    #[test]
    fn purpose_tokens_carry_their_value_for_their_purpose_only() {
        let s = signer();
        let t = s.sign_for("unsubscribe", "42");
        assert_eq!(s.verify_for("unsubscribe", &t), Some("42"));
        assert_eq!(s.verify_for("report", &t), None, "another purpose");
        assert_eq!(LinkSigner::new("other").verify_for("unsubscribe", &t), None);
        let forged = t.replacen("42", "43", 1);
        assert_eq!(s.verify_for("unsubscribe", &forged), None);
        assert_eq!(s.verify_for("unsubscribe", "42"), None, "no MAC");
        let dotted = s.sign_for("report", "7.1700000000000");
        assert_eq!(s.verify_for("report", &dotted), Some("7.1700000000000"));
    }
}
