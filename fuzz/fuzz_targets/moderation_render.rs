//! Fuzz target: the reader fields of a moderation row other than the Markdown body (author, thread, page title and URL, flags) add no markup of their own, and every link a row carries is http(s), mailto or ours.
#![no_main]

use comments_api::{Author, CommentBody, PageContext, ThreadKey};
use comments_server::http::admin::{RowActions, row};
use comments_server::store::{Disposition, ModerationItem};
use libfuzzer_sys::fuzz_target;

/// The value of every `href="…"` in `html`.
fn hrefs(html: &str) -> Vec<&str> {
    html.split(" href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Fields separated by a character no field may hold.
    let mut parts = text.split('\u{1}');
    let mut next = || parts.next().unwrap_or("");
    let (author, body, thread, title, url, flag) = (next(), next(), next(), next(), next(), next());
    let (Ok(author), Ok(body), Ok(thread)) = (
        Author::parse(author),
        CommentBody::parse(body),
        ThreadKey::parse(thread),
    ) else {
        return;
    };
    let page = PageContext::parse(title, url);
    let item = ModerationItem {
        id: 1,
        thread: thread.into_inner(),
        page_title: page.title,
        page_url: page.url,
        author: author.into_inner(),
        author_key: String::new(),
        body: body.into_inner(),
        status: Disposition::Pending,
        created_at: 0,
        decided_at: None,
        flags: vec![flag.to_string()],
        author_approved: 0,
        author_rejected: 0,
    };
    // The same row with harmless text in every field a reader controls.
    let neutral = ModerationItem {
        thread: "t".into(),
        page_title: if item.page_title.is_empty() { String::new() } else { "t".into() },
        page_url: if item.page_url.is_empty() { String::new() } else { "https://x".into() },
        author: "a".into(),
        // The body is Markdown: its markup is the renderer's, fuzzed in
        // `markdown`; here it stays the same in both rows.
        flags: vec!["f".into()],
        ..item.clone()
    };
    let acts = || RowActions::Form { csrf: "csrf", back: "/admin" };
    let html = row(&item, 0, acts()).into_string();
    let reference = row(&neutral, 0, acts()).into_string();
    let tags = |s: &str| s.matches('<').count();
    assert_eq!(tags(&html), tags(&reference), "reader text added markup: {html}");
    assert_eq!(html.matches('"').count(), reference.matches('"').count(), "reader text left an attribute: {html}");
    for href in hrefs(&html) {
        let lower = href.to_ascii_lowercase();
        assert!(
            href.starts_with("/admin/")
                || lower.starts_with("http://")
                || lower.starts_with("https://")
                || lower.starts_with("mailto:"),
            "unexpected link {href:?}"
        );
    }
});
