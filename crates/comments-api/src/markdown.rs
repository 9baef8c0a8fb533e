//! Comment text (a Markdown subset) to sanitised HTML, on the server only:
//! pulldown-cmark parses, what is not allowed is turned back into text, and
//! ammonia's allow-list has the last word on every tag, attribute and URL.
//!
//! Allowed: paragraphs, line breaks (a newline is one), emphasis, strong,
//! inline code, code blocks, quotes, lists, and links to http, https and
//! mailto URLs (bare http(s) URLs become links too), each with
//! `rel="nofollow ugc noopener noreferrer"`, opening a new tab. Not allowed,
//! so shown as text: images (their description), headings, raw HTML, and
//! links to any other scheme. There are no tables, footnotes or rules.

use crate::render::LINK_REL;
use pulldown_cmark::{CodeBlockKind, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};
use std::collections::HashSet;
use std::sync::LazyLock;

/// The tags a rendered comment may hold.
const TAGS: &[&str] = &[
    "p",
    "br",
    "em",
    "strong",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
];

/// The sanitiser, built once: nothing passes that is not listed here.
static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.tags(TAGS.iter().copied().collect::<HashSet<_>>())
        .add_tag_attributes("a", ["href"])
        .add_tag_attributes("ol", ["start"])
        .url_schemes(
            ["http", "https", "mailto"]
                .into_iter()
                .collect::<HashSet<_>>(),
        )
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some(LINK_REL))
        .set_tag_attribute_value("a", "target", "_blank")
        .strip_comments(true);
    b
});

/// `html` through the allow-list. Idempotent: cleaning clean HTML again
/// changes nothing (tested, and fuzzed in `fuzz/`).
pub fn sanitize(html: &str) -> String {
    CLEANER.clean(html).to_string()
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

/// Where the URL starting at `chars[i]` (with a `prefix`-long scheme) ends,
/// if it has a host: at whitespace or a quote, less closing punctuation.
fn link_end(chars: &[char], i: usize, prefix: usize) -> Option<usize> {
    let mut end = i + prefix;
    while end < chars.len() && !ends_url(chars[end]) {
        end += 1;
    }
    while end > i + prefix && trailing(chars[end - 1]) {
        end -= 1;
    }
    (end > i + prefix).then_some(end)
}

/// Whether a link target is one a comment may point at.
fn allowed_target(link_type: LinkType, dest: &str) -> bool {
    if link_type == LinkType::Email {
        return true;
    }
    let lower = dest.trim_start().to_ascii_lowercase();
    ["http://", "https://", "mailto:"]
        .iter()
        .any(|s| lower.starts_with(s) && lower.len() > s.len())
}

/// Text with its bare http(s) URLs as links.
fn linkify<'a>(text: CowStr<'a>, out: &mut Vec<Event<'a>>) {
    let chars: Vec<char> = text.chars().collect();
    let mut plain = String::new();
    let mut i = 0;
    while i < chars.len() {
        let word_start = i == 0 || !chars[i - 1].is_alphanumeric();
        if let Some(end) = url_start(&chars, i)
            .filter(|_| word_start)
            .and_then(|prefix| link_end(&chars, i, prefix))
        {
            if !plain.is_empty() {
                out.push(Event::Text(std::mem::take(&mut plain).into()));
            }
            let url: String = chars[i..end].iter().collect();
            out.push(Event::Start(Tag::Link {
                link_type: LinkType::Autolink,
                dest_url: url.clone().into(),
                title: "".into(),
                id: "".into(),
            }));
            out.push(Event::Text(url.into()));
            out.push(Event::End(TagEnd::Link));
            i = end;
            continue;
        }
        plain.push(chars[i]);
        i += 1;
    }
    if !plain.is_empty() {
        out.push(Event::Text(plain.into()));
    }
}

/// The allowed subset of pulldown-cmark's events for `source`; the rest is
/// turned into text or dropped.
fn events(source: &str) -> Vec<Event<'_>> {
    let mut out = Vec::new();
    // For each open link: whether it is kept.
    let mut links: Vec<bool> = Vec::new();
    let mut in_code = false;
    for event in Parser::new_ext(source, Options::empty()) {
        match event {
            Event::Start(Tag::Heading { .. }) | Event::Start(Tag::HtmlBlock) => {
                out.push(Event::Start(Tag::Paragraph));
            }
            Event::End(TagEnd::Heading(_)) | Event::End(TagEnd::HtmlBlock) => {
                out.push(Event::End(TagEnd::Paragraph));
            }
            // An image shows as its description; its URL goes nowhere.
            Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => {}
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let keep = links.iter().all(|k| !k) && allowed_target(link_type, &dest_url);
                links.push(keep);
                if keep {
                    out.push(Event::Start(Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    }));
                }
            }
            Event::End(TagEnd::Link) => {
                if links.pop() == Some(true) {
                    out.push(Event::End(TagEnd::Link));
                }
            }
            Event::Start(Tag::CodeBlock(_)) => {
                in_code = true;
                // No language class: ammonia would drop it anyway.
                out.push(Event::Start(Tag::CodeBlock(CodeBlockKind::Indented)));
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code = false;
                out.push(Event::End(TagEnd::CodeBlock));
            }
            // Raw HTML is shown as the text it is.
            Event::Html(text) | Event::InlineHtml(text) => out.push(Event::Text(text)),
            Event::Text(text) if !in_code && links.is_empty() => linkify(text, &mut out),
            // A newline in a comment is a line break, as readers expect.
            Event::SoftBreak => out.push(Event::HardBreak),
            Event::Rule => {}
            other => out.push(other),
        }
    }
    out
}

/// A comment's text as the HTML readers and moderators see.
pub fn render(source: &str) -> String {
    let mut html = String::with_capacity(source.len() + source.len() / 4 + 16);
    pulldown_cmark::html::push_html(&mut html, events(source).into_iter());
    sanitize(&html)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every tag of rendered HTML, lower-cased, without its `<>` (text's own
    /// `<` is escaped, so every `<` opens a real tag).
    fn tags(html: &str) -> Vec<String> {
        html.split('<')
            .skip(1)
            .map(|t| t.split('>').next().unwrap_or("").to_lowercase())
            .collect()
    }

    /// `tag` is in the subset, with no handler, and links where it may.
    fn assert_allowed(source: &str, tag: &str) {
        let name = tag
            .trim_start_matches('/')
            .split([' ', '/'])
            .next()
            .unwrap_or("");
        assert!(TAGS.contains(&name), "{source:?}: <{tag}>");
        assert!(!tag.contains(" on"), "{source:?}: <{tag}>");
        if let Some(href) = tag.split(" href=\"").nth(1) {
            assert!(
                ["http://", "https://", "mailto:"]
                    .iter()
                    .any(|s| href.starts_with(s)),
                "{source:?}: {href}"
            );
        }
    }

    #[test]
    fn urls_need_a_scheme_and_a_host_and_lose_closing_punctuation() {
        let chars: Vec<char> = "(HTTPS://x.example/p), http:// end".chars().collect();
        let prefix = url_start(&chars, 1).unwrap();
        assert_eq!(link_end(&chars, 1, prefix), Some(20));
        let at = 23;
        let prefix = url_start(&chars, at).unwrap();
        assert_eq!(link_end(&chars, at, prefix), None, "no host");
        assert_eq!(url_start(&chars, 0), None);
    }

    const A: &str = "target=\"_blank\" rel=\"nofollow ugc noopener noreferrer\"";

    #[test]
    fn the_subset_renders() {
        assert_eq!(render("Bonjour"), "<p>Bonjour</p>\n");
        assert_eq!(render("un\ndeux"), "<p>un<br>\ndeux</p>\n");
        assert_eq!(render("un\n\ndeux"), "<p>un</p>\n<p>deux</p>\n");
        assert_eq!(
            render("*a* **b** `c`"),
            "<p><em>a</em> <strong>b</strong> <code>c</code></p>\n"
        );
        assert_eq!(
            render("> cité"),
            "<blockquote>\n<p>cité</p>\n</blockquote>\n"
        );
        assert_eq!(render("- a\n- b"), "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n");
        assert_eq!(
            render("3. a\n4. b"),
            "<ol start=\"3\">\n<li>a</li>\n<li>b</li>\n</ol>\n"
        );
        assert_eq!(
            render("```rust\nlet x = 1 < 2;\n```"),
            "<pre><code>let x = 1 &lt; 2;\n</code></pre>\n"
        );
    }

    #[test]
    fn links_are_http_https_or_mailto_and_marked() {
        assert_eq!(
            render("[site](https://a.example/x?y=1&z=2)"),
            format!("<p><a href=\"https://a.example/x?y=1&amp;z=2\" {A}>site</a></p>\n")
        );
        assert_eq!(
            render("voir https://a.example/p. Fin"),
            format!(
                "<p>voir <a href=\"https://a.example/p\" {A}>https://a.example/p</a>. Fin</p>\n"
            )
        );
        assert_eq!(
            render("<https://a.example>"),
            format!("<p><a href=\"https://a.example\" {A}>https://a.example</a></p>\n")
        );
        assert_eq!(
            render("<ana@news.example>"),
            format!("<p><a href=\"mailto:ana@news.example\" {A}>ana@news.example</a></p>\n")
        );
        assert_eq!(
            render("[ref][r]\n\n[r]: http://b.example"),
            format!("<p><a href=\"http://b.example\" {A}>ref</a></p>\n")
        );
        // A link inside a link's text is not linked twice.
        assert_eq!(
            render("[see https://a.example](https://b.example)"),
            format!("<p><a href=\"https://b.example\" {A}>see https://a.example</a></p>\n")
        );
    }

    #[test]
    fn what_is_not_allowed_stays_text() {
        assert_eq!(render("# Titre"), "<p>Titre</p>\n");
        assert_eq!(render("![chat](https://a.example/c.png)"), "<p>chat</p>\n");
        assert_eq!(render("<b>gras</b>"), "<p>&lt;b&gt;gras&lt;/b&gt;</p>\n");
        assert_eq!(
            render("<script>alert(1)</script>"),
            "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
        );
        assert_eq!(render("a\n\n---\n\nb"), "<p>a</p>\n<p>b</p>\n");
        assert_eq!(
            render("| a | b |\n|---|---|\n| 1 | 2 |"),
            "<p>| a | b |<br>\n|---|---|<br>\n| 1 | 2 |</p>\n"
        );
        for bad in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](jav&#x61;script:alert(1))",
            "[x](&#106;avascript:alert(1))",
            "[x](data:text/html,<script>alert(1)</script>)",
            "[x](vbscript:msgbox)",
            "[x]( javascript:alert(1))",
            "[x](/relative)",
            "[x](//evil.example)",
            "<javascript:alert(1)>",
            "[x][r]\n\n[r]: javascript:alert(1)",
        ] {
            let html = render(bad);
            assert!(!html.contains("<a"), "{bad}: {html}");
            assert!(!html.to_lowercase().contains("href"), "{bad}: {html}");
        }
    }

    #[test]
    fn no_script_no_handler_and_cleaning_again_changes_nothing() {
        for source in [
            "*<img src=x onerror=alert(1)>*",
            "**<svg onload=alert(1)>**",
            "_a <a href=\"javascript:alert(1)\">b</a> c_",
            "[<img src=x onerror=alert(1)>](https://a.example)",
            "[x](https://a.example \"title\" onmouseover=alert(1))",
            "[x](https://a.example\"onmouseover=\"alert(1))",
            "https://a.example/\"onmouseover=\"alert(1)",
            "`<script>` and ```\n<script>\n```",
            "<!-- comment --><p onclick=x>y</p>",
            "&lt;script&gt; &#60;script&#62;",
            "> **a** [b](mailto:x@y.example) https://c.example\n> - d",
        ] {
            let html = render(source);
            for tag in tags(&html) {
                assert_allowed(source, &tag);
                assert!(!tag.contains("javascript:"), "{source}: {html}");
            }
            assert_eq!(sanitize(&html), html, "{source}");
        }
    }

    /// A cheap fuzz that runs with every test: random sequences of the
    /// pieces Markdown and XSS tricks are made of. (`fuzz/` has the
    /// coverage-guided one.)
    #[test]
    fn random_inputs_keep_to_the_subset_and_clean_stably() {
        const PIECES: &[&str] = &[
            "[",
            "]",
            "(",
            ")",
            "](",
            "![",
            "<",
            ">",
            "*",
            "**",
            "_",
            "`",
            "```",
            "\n",
            "\n\n",
            "> ",
            "- ",
            "1. ",
            "# ",
            "    ",
            "\"",
            "'",
            "&",
            "&#x61;",
            "&#106;",
            "&lt;",
            "\\",
            "javascript:",
            "JaVaScRiPt:",
            "data:",
            "mailto:a@b.example",
            "http://a.example",
            "https://b.example/p?q=1&r=2",
            "<script>",
            "</script>",
            "<img src=x onerror=alert(1)>",
            "<a href=\"javascript:x\">",
            "</a>",
            "onmouseover=",
            "<!--",
            "-->",
            "[r]: ",
            "\t",
            "é",
            "word",
            " ",
            "<svg onload=x>",
            "<https://c.example>",
            "<a@b.example>",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..3000 {
            let n = (next() % 24) as usize;
            let source: String = (0..n)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            let html = render(&source);
            assert_eq!(sanitize(&html), html, "{source:?}");
            for tag in tags(&html) {
                assert_allowed(&source, &tag);
            }
        }
    }
}
