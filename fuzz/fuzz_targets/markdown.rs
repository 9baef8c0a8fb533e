//! Fuzz target: the widget's comment renderer (escaped text plus http(s) autolinks) lets no markup through but its own links.
#![no_main]

use comments_api::render::{LINK_REL, comment_html};
use libfuzzer_sys::fuzz_target;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let html = comment_html(text);
    // Take every link apart: what is left must be the escaped text.
    let mut rest = html.as_str();
    let mut plain = String::new();
    let open_tail = format!("\" rel=\"{LINK_REL}\" target=\"_blank\">");
    while let Some(at) = rest.find("<a href=\"") {
        plain.push_str(&rest[..at]);
        let after = &rest[at + 9..];
        let (href, tail) = after.split_once(&open_tail).expect("well-formed link");
        assert!(!href.contains('"') && !href.contains('<'), "{html}");
        let lower = href.to_ascii_lowercase();
        assert!(lower.starts_with("http://") || lower.starts_with("https://"), "{href}");
        let (label, after_link) = tail.split_once("</a>").expect("closed link");
        assert_eq!(label, href, "the link shows its own address");
        plain.push_str(label);
        rest = after_link;
    }
    plain.push_str(rest);
    assert!(!plain.contains('<') && !plain.contains('>'), "markup outside links: {html}");
    assert_eq!(plain, escape(text), "text lost or altered: {html}");
});
