//! Spam signals computed when a comment arrives (many links, a body posted again, listed words), shown to moderators.

use crate::moderation::words::WordLists;
use crate::store::{Store, StoreResult};
use crate::token;
use comments_api::CommentBody;

/// More links than this flags a comment.
pub const MAX_LINKS: usize = 2;
/// A body seen again within this window flags a comment.
pub const REPEAT_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// A reason to look twice at a comment. Flags never hide or reject
/// anything by themselves (every comment waits for a moderator anyway),
/// but for a banned word, which rejects it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// More than [`MAX_LINKS`] links.
    ManyLinks,
    /// The same text was posted in the last 24 hours.
    RepeatedBody,
    /// A word of `moderation.banned_words`: rejected at once.
    BannedWord,
    /// A word of `moderation.suspect_words`.
    SuspectWord,
    /// From a reader (key or network) a moderator banned: rejected at once.
    Banned,
}

impl Signal {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ManyLinks => "many_links",
            Self::RepeatedBody => "repeated_body",
            Self::BannedWord => "banned_word",
            Self::SuspectWord => "suspect_word",
            Self::Banned => "banned",
        }
    }
}

/// Links in a body: `http://`, `https://` and bare `www.` addresses.
pub fn link_count(body: &CommentBody) -> usize {
    let lower = body.as_str().to_lowercase();
    lower
        .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '<' | '>' | '"' | '\''))
        .filter(|w| w.starts_with("http://") || w.starts_with("https://") || w.starts_with("www."))
        .count()
}

/// What is known of a new comment when it arrives.
pub struct Assessment {
    pub body_hash: String,
    /// Its signals, in their stored form.
    pub flags: String,
    /// It holds a banned word, or its reader is banned: it is never published.
    pub banned: bool,
}

/// Who a new comment comes from, as stored: the hash of the widget's
/// reader key and the keyed hash of the network (either may be empty).
pub struct Reader<'a> {
    pub key: &'a str,
    pub network: &'a str,
}

/// A new comment's body hash and its flags. The author's name is read for
/// the word lists too.
pub async fn assess(
    store: &dyn Store,
    words: &WordLists,
    from: Reader<'_>,
    author: &str,
    body: &CommentBody,
    now: i64,
) -> StoreResult<Assessment> {
    let body_hash = token::hash(body.as_str());
    let mut flags = Vec::new();
    let banned_word = [author, body.as_str()]
        .iter()
        .any(|t| !words.banned.find(t).is_empty());
    if banned_word {
        flags.push(Signal::BannedWord);
    }
    let banned_reader = store.is_banned(from.key, from.network, now).await?;
    if banned_reader {
        flags.push(Signal::Banned);
    }
    let banned = banned_word || banned_reader;
    if [author, body.as_str()]
        .iter()
        .any(|t| !words.suspect.find(t).is_empty())
    {
        flags.push(Signal::SuspectWord);
    }
    if link_count(body) > MAX_LINKS {
        flags.push(Signal::ManyLinks);
    }
    if store
        .body_seen_since(&body_hash, now - REPEAT_WINDOW_MS)
        .await?
    {
        flags.push(Signal::RepeatedBody);
    }
    Ok(Assessment {
        body_hash,
        flags: encode(&flags),
        banned,
    })
}

/// The stored form of a comment's flags.
pub fn encode(signals: &[Signal]) -> String {
    crate::store::encode_flags(signals.iter().map(|s| s.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(s: &str) -> CommentBody {
        CommentBody::parse(s).unwrap()
    }

    #[test]
    fn counts_links_however_they_are_written() {
        assert_eq!(link_count(&body("no links here, just www")), 0);
        assert_eq!(
            link_count(&body("see https://a.example and (http://b.example)")),
            2
        );
        assert_eq!(link_count(&body("WWW.C.example\nHTTPS://d.example/x?y")), 2);
        assert_eq!(link_count(&body("https://a https://b https://c")), 3);
    }

    #[test]
    fn flags_round_trip_through_storage() {
        let stored = encode(&[Signal::ManyLinks, Signal::RepeatedBody]);
        assert_eq!(stored, "many_links,repeated_body");
        assert_eq!(
            crate::store::decode_flags(&stored),
            ["many_links", "repeated_body"]
        );
        assert!(crate::store::decode_flags("").is_empty());
    }
}
