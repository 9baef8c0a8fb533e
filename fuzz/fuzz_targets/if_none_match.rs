//! Fuzz target: `If-None-Match` matching never panics and always knows its own tag.
#![no_main]

use comments_server::store::revisions::{etag, if_none_match_hits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else {
        return;
    };
    let revision = data.len() as u64;
    let tag = etag(revision);
    let _ = if_none_match_hits(header, &tag);
    assert!(if_none_match_hits(&format!("{header}, {tag}"), &tag));
    if !header.split(',').any(|t| t.trim() == "*" || t.trim().trim_start_matches("W/") == tag) {
        assert!(!if_none_match_hits(header, &tag), "{header:?} must not match {tag}");
    }
});
