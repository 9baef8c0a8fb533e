//! Comment text to HTML for the widget: everything escaped, and http(s) URLs turned into safe links; nothing else becomes markup.
//!
//! Written as one pass over the characters with no `str` searching: the
//! widget runs it, and pattern machinery costs kilobytes of wasm.

/// The `rel` of every link in comment text: not endorsed, user content, and
/// the opened page gets no handle on ours.
pub const LINK_REL: &str = "nofollow ugc noopener noreferrer";

fn push_escaped(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        _ => out.push(c),
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    out
}

/// Whether `chars[i..]` starts with `http://` or `https://` (any case).
fn url_start(chars: &[char], i: usize) -> Option<usize> {
    let lower = |k: usize| chars.get(i + k).map(|c| c.to_ascii_lowercase());
    let http = ['h', 't', 't', 'p'];
    if !(0..4).all(|k| lower(k) == Some(http[k])) {
        return None;
    }
    let scheme = if lower(4) == Some('s') { 5 } else { 4 };
    let sep = (0..3).all(|k| chars.get(i + scheme + k) == Some(&[':', '/', '/'][k]));
    sep.then_some(scheme + 3)
}

/// Characters that end a URL in running text.
fn ends_url(c: char) -> bool {
    c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '\'' | '`')
}

/// Punctuation that usually closes the sentence, not the URL.
fn trailing(c: char) -> bool {
    matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']' | '}' | '*')
}

/// `text` as HTML: escaped, with `http://` and `https://` URLs (starting a
/// word, with a host) as `<a href rel target>` links.
pub fn comment_html(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 16);
    let mut i = 0;
    while i < chars.len() {
        let word_start = i == 0 || !chars[i - 1].is_alphanumeric();
        if let Some(prefix) = url_start(&chars, i).filter(|_| word_start) {
            let mut end = i + prefix;
            while end < chars.len() && !ends_url(chars[end]) {
                end += 1;
            }
            while end > i + prefix && trailing(chars[end - 1]) {
                end -= 1;
            }
            if end > i + prefix {
                let mut url = String::new();
                for &c in &chars[i..end] {
                    push_escaped(&mut url, c);
                }
                out.push_str("<a href=\"");
                out.push_str(&url);
                out.push_str("\" rel=\"");
                out.push_str(LINK_REL);
                out.push_str("\" target=\"_blank\">");
                out.push_str(&url);
                out.push_str("</a>");
                i = end;
                continue;
            }
        }
        push_escaped(&mut out, chars[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(url: &str) -> String {
        format!("<a href=\"{url}\" rel=\"{LINK_REL}\" target=\"_blank\">{url}</a>")
    }

    #[test]
    fn text_is_escaped_and_urls_become_links() {
        assert_eq!(comment_html("a <b> & 'c'"), "a &lt;b&gt; &amp; &#39;c&#39;");
        assert_eq!(
            comment_html("see https://news.example/a?b=1&c=2."),
            format!("see {}.", link("https://news.example/a?b=1&amp;c=2"))
        );
        assert_eq!(
            comment_html("(HTTP://X.example/p)"),
            format!("({})", link("HTTP://X.example/p"))
        );
        assert_eq!(comment_html("http://"), "http://", "no host, no link");
    }

    #[test]
    fn nothing_but_http_links_and_no_attribute_escape() {
        for text in [
            "javascript:alert(1)",
            "xhttps://a.example",
            "https://a.example\"onmouseover=\"alert(1)",
            "https://a.example'onmouseover='x",
            "https://a.example/<script>alert(1)</script>",
            "data:text/html,<script>alert(1)</script>",
        ] {
            let html = comment_html(text);
            assert!(!html.contains("<script"), "{html}");
            assert!(!html.contains("href=\"javascript"), "{html}");
            assert!(!html.contains("href=\"data"), "{html}");
            assert!(!html.contains("\" onmouseover"), "{html}");
        }
        assert_eq!(comment_html("xhttps://a.example"), "xhttps://a.example");
    }
}
