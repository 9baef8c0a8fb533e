//! Fuzz target: author, body and thread-key parsing keep their promises on any input.
#![no_main]

use comments_api::limits::{AUTHOR_MAX_CHARS, BODY_MAX_CHARS, THREAD_KEY_MAX_BYTES};
use comments_api::{Author, CommentBody, ThreadKey};
use libfuzzer_sys::fuzz_target;

fn trimmed(s: &str) -> bool {
    s.trim() == s && !s.is_empty()
}

fn no_controls(s: &str, multiline: bool) -> bool {
    s.chars()
        .all(|c| !c.is_control() || (multiline && (c == '\n' || c == '\t')))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(a) = Author::parse(text) {
        let s = a.as_str();
        assert!(trimmed(s) && no_controls(s, false));
        assert!(s.chars().count() <= AUTHOR_MAX_CHARS);
        assert_eq!(Author::parse(s).as_ref(), Ok(&a), "parsing is idempotent");
    }
    if let Ok(b) = CommentBody::parse(text) {
        let s = b.as_str();
        assert!(trimmed(s) && no_controls(s, true) && !s.contains('\r'));
        assert!(s.chars().count() <= BODY_MAX_CHARS);
        assert_eq!(CommentBody::parse(s).as_ref(), Ok(&b), "parsing is idempotent");
    }
    if let Ok(t) = ThreadKey::parse(text) {
        let s = t.as_str();
        assert!(trimmed(s) && no_controls(s, false) && s.len() <= THREAD_KEY_MAX_BYTES);
        assert_eq!(ThreadKey::parse(s).as_ref(), Ok(&t), "parsing is idempotent");
    }
});
