//! Fuzz target: the JSON bodies the server accepts, decoded and parsed as the handlers do.
#![no_main]

use comments_api::{Author, CommentBody, NewComment, StatusRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = serde_json::from_slice::<NewComment>(data) {
        let _ = Author::parse(&c.author);
        let _ = CommentBody::parse(&c.body);
    }
    if let Ok(s) = serde_json::from_slice::<StatusRequest>(data) {
        for t in &s.tokens {
            let _ = comments_server::token::hash(t);
        }
    }
});
