//! Parsing of reader-supplied text (author, body, thread key): trim, NFC, no controls, limits.

use crate::error::ErrorCode;
use crate::limits::{
    AUTHOR_MAX_CHARS, BODY_MAX_CHARS, EMAIL_MAX_BYTES, PAGE_TITLE_MAX_CHARS, PAGE_URL_MAX_BYTES,
    REPORT_EXPLANATION_MAX_CHARS, THREAD_KEY_MAX_BYTES,
};
use crate::wire::ReportReason;

/// Normalises to NFC. Without the `nfc` feature the caller has already
/// normalised (the widget uses the browser's `normalize("NFC")`).
fn nfc(s: &str) -> String {
    #[cfg(feature = "nfc")]
    {
        use unicode_normalization::UnicodeNormalization;
        s.nfc().collect()
    }
    #[cfg(not(feature = "nfc"))]
    {
        s.to_owned()
    }
}

/// A forbidden character: any control character other than the ones a body
/// may contain, plus the bidirectional overrides that can disguise text.
fn is_forbidden(c: char, multiline: bool) -> bool {
    if multiline && (c == '\n' || c == '\t') {
        return false;
    }
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Trims, turns CRLF and CR into LF (for multi-line text), and normalises to NFC.
///
/// Written as one pass over the characters, without string slicing: in the
/// widget, `str::replace` and `trim` pulled in core's panic formatting
/// (Unicode tables and all), a few KB of wasm.
fn clean(raw: &str, multiline: bool) -> Result<String, ErrorCode> {
    // Printable ASCII with nothing to trim is clean and NFC already: thread
    // keys and most names, on every poll.
    let bytes = raw.as_bytes();
    let printable = bytes.iter().all(|b| (0x20..0x7f).contains(b));
    if printable && bytes.first() != Some(&b' ') && bytes.last() != Some(&b' ') {
        return Ok(raw.to_owned());
    }
    let mut chars: Vec<char> = Vec::with_capacity(raw.len());
    let mut it = raw.chars().peekable();
    while let Some(c) = it.next() {
        if multiline && c == '\r' {
            if it.peek() == Some(&'\n') {
                it.next();
            }
            chars.push('\n');
        } else {
            chars.push(c);
        }
    }
    let start = chars.iter().position(|c| !c.is_whitespace());
    let end = chars.iter().rposition(|c| !c.is_whitespace());
    let trimmed: String = match (start, end) {
        (Some(s), Some(e)) => chars[s..=e].iter().collect(),
        _ => String::new(),
    };
    let s = nfc(&trimmed);
    if s.chars().any(|c| is_forbidden(c, multiline)) {
        return Err(ErrorCode::ControlCharacter);
    }
    Ok(s)
}

macro_rules! text_newtype {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_newtype!(
    /// A comment author's display name: 1 to 64 characters, one line.
    Author
);
text_newtype!(
    /// A comment's text: 1 to 5000 characters; newlines and tabs allowed.
    CommentBody
);
text_newtype!(
    /// The key of a comment thread (usually an article slug or path): 1 to 512 bytes.
    ThreadKey
);
text_newtype!(
    /// What a reader says of the comment they report: up to 2000
    /// characters, newlines allowed; required for illegal content.
    ReportExplanation
);

impl ReportExplanation {
    pub fn parse(reason: ReportReason, raw: &str) -> Result<Self, ErrorCode> {
        let s = clean(raw, true)?;
        match s.chars().count() {
            0 if reason == ReportReason::Illegal => Err(ErrorCode::ExplanationRequired),
            n if n > REPORT_EXPLANATION_MAX_CHARS => Err(ErrorCode::ExplanationTooLong),
            _ => Ok(Self(s)),
        }
    }
}

impl Author {
    pub fn parse(raw: &str) -> Result<Self, ErrorCode> {
        let s = clean(raw, false)?;
        match s.chars().count() {
            0 => Err(ErrorCode::AuthorEmpty),
            n if n > AUTHOR_MAX_CHARS => Err(ErrorCode::AuthorTooLong),
            _ => Ok(Self(s)),
        }
    }
}

impl CommentBody {
    pub fn parse(raw: &str) -> Result<Self, ErrorCode> {
        let s = clean(raw, true)?;
        match s.chars().count() {
            0 => Err(ErrorCode::BodyEmpty),
            n if n > BODY_MAX_CHARS => Err(ErrorCode::BodyTooLong),
            _ => Ok(Self(s)),
        }
    }
}

impl ThreadKey {
    pub fn parse(raw: &str) -> Result<Self, ErrorCode> {
        let s = clean(raw, false).map_err(|_| ErrorCode::InvalidThread)?;
        if s.is_empty() || s.len() > THREAD_KEY_MAX_BYTES {
            return Err(ErrorCode::InvalidThread);
        }
        Ok(Self(s))
    }
}

text_newtype!(
    /// An address to tell the author when their comment is published:
    /// one `@`, a dotted domain, no spaces or controls, at most 254 bytes.
    Email
);

impl Email {
    /// `Ok(None)` for an empty field: the address is optional.
    pub fn parse_optional(raw: &str) -> Result<Option<Self>, ErrorCode> {
        let s = clean(raw, false).map_err(|_| ErrorCode::InvalidEmail)?;
        if s.is_empty() {
            return Ok(None);
        }
        // One pass over the characters, no string searching: the widget
        // runs this too, and `str` pattern machinery costs kilobytes of wasm.
        let chars: Vec<char> = s.chars().collect();
        let Some(at) = chars.iter().position(|&c| c == '@') else {
            return Err(ErrorCode::InvalidEmail);
        };
        let domain = &chars[at + 1..];
        let plain = chars.iter().enumerate().all(|(i, &c)| {
            !c.is_whitespace()
                && !matches!(c, '<' | '>' | '"' | ',' | ';' | '\\')
                && (c != '@' || i == at)
        });
        let dots_ok = domain.first() != Some(&'.')
            && domain.last() != Some(&'.')
            && domain.contains(&'.')
            && !domain.windows(2).any(|w| w == ['.', '.']);
        if at == 0 || !plain || !dots_ok || s.len() > EMAIL_MAX_BYTES {
            return Err(ErrorCode::InvalidEmail);
        }
        Ok(Some(Self(s)))
    }
}

/// The article a comment was posted under, as the embedding page reports
/// it. The page, not the reader, supplies it, so it is tidied rather than
/// refused: a title is cut to 300 characters, a URL that is not plain
/// http(s) or is too long is dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageContext {
    pub title: String,
    pub url: String,
}

impl PageContext {
    pub fn parse(title: &str, url: &str) -> Self {
        let title = clean(title, false)
            .map(|t| t.chars().take(PAGE_TITLE_MAX_CHARS).collect())
            .unwrap_or_default();
        let url = clean(url, false).unwrap_or_default();
        let lower = url.to_ascii_lowercase();
        let url_ok = (lower.starts_with("https://") || lower.starts_with("http://"))
            && url.len() <= PAGE_URL_MAX_BYTES
            && !url.chars().any(char::is_whitespace);
        Self {
            title,
            url: if url_ok { url } else { String::new() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_optional_and_plain() {
        assert_eq!(Email::parse_optional("  ").unwrap(), None);
        assert_eq!(
            Email::parse_optional(" ana@news.example ")
                .unwrap()
                .unwrap()
                .as_str(),
            "ana@news.example"
        );
        for bad in [
            "ana",
            "a@b",
            "@x.fr",
            "a@@x.fr",
            "a b@x.fr",
            "a@x..fr",
            "a@.x.fr",
            "<a@x.fr>",
            "a@x.fr\u{0}",
        ] {
            assert_eq!(
                Email::parse_optional(bad),
                Err(ErrorCode::InvalidEmail),
                "{bad:?}"
            );
        }
        let long = format!("{}@x.fr", "a".repeat(250));
        assert_eq!(Email::parse_optional(&long), Err(ErrorCode::InvalidEmail));
    }

    #[test]
    fn page_context_is_tidied_not_refused() {
        let p = PageContext::parse(&"T".repeat(400), "https://news.example/a?b=1");
        assert_eq!(p.title.chars().count(), 300);
        assert_eq!(p.url, "https://news.example/a?b=1");
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "https://a b",
            "/relative",
        ] {
            assert_eq!(PageContext::parse("t", bad).url, "", "{bad:?}");
        }
        assert_eq!(PageContext::parse("a\u{7}b", "").title, "");
    }

    #[test]
    fn author_is_trimmed_and_bounded() {
        assert_eq!(Author::parse("  Ana  ").unwrap().as_str(), "Ana");
        assert_eq!(Author::parse("   "), Err(ErrorCode::AuthorEmpty));
        assert!(Author::parse(&"é".repeat(64)).is_ok());
        assert_eq!(
            Author::parse(&"é".repeat(65)),
            Err(ErrorCode::AuthorTooLong)
        );
        assert_eq!(Author::parse("a\nb"), Err(ErrorCode::ControlCharacter));
        assert_eq!(
            Author::parse("a\u{202E}b"),
            Err(ErrorCode::ControlCharacter)
        );
    }

    #[test]
    fn body_keeps_newlines_and_tabs_but_not_other_controls() {
        let b = CommentBody::parse("\r\n line one\r\nline\ttwo\r").unwrap();
        assert_eq!(b.as_str(), "line one\nline\ttwo");
        assert_eq!(
            CommentBody::parse("bell\u{7}"),
            Err(ErrorCode::ControlCharacter)
        );
        assert_eq!(
            CommentBody::parse("nul\0"),
            Err(ErrorCode::ControlCharacter)
        );
        assert_eq!(
            CommentBody::parse("c1\u{85}x"),
            Err(ErrorCode::ControlCharacter)
        );
        assert_eq!(CommentBody::parse(" \n\t "), Err(ErrorCode::BodyEmpty));
    }

    #[test]
    fn body_limit_counts_characters_not_bytes() {
        assert!(CommentBody::parse(&"😀".repeat(5000)).is_ok());
        assert_eq!(
            CommentBody::parse(&"a".repeat(5001)),
            Err(ErrorCode::BodyTooLong)
        );
    }

    #[cfg(feature = "nfc")]
    #[test]
    fn text_is_normalised_to_nfc() {
        // "e" + combining acute accent becomes the single "é".
        let b = CommentBody::parse("cafe\u{301}").unwrap();
        assert_eq!(b.as_str(), "caf\u{e9}");
        // 64 decomposed characters (128 scalars) still fit once composed.
        assert!(Author::parse(&"e\u{301}".repeat(64)).is_ok());
    }

    #[test]
    fn thread_key_is_bounded_in_bytes() {
        assert_eq!(ThreadKey::parse(" /2026/a ").unwrap().as_str(), "/2026/a");
        assert!(ThreadKey::parse(&"a".repeat(512)).is_ok());
        assert_eq!(
            ThreadKey::parse(&"a".repeat(513)),
            Err(ErrorCode::InvalidThread)
        );
        assert_eq!(
            ThreadKey::parse(&"é".repeat(257)),
            Err(ErrorCode::InvalidThread)
        );
        assert_eq!(ThreadKey::parse(""), Err(ErrorCode::InvalidThread));
        assert_eq!(ThreadKey::parse("a\u{1}"), Err(ErrorCode::InvalidThread));
    }

    #[test]
    fn a_report_explains_illegal_content_within_its_limit() {
        use crate::limits::REPORT_EXPLANATION_MAX_CHARS;
        let illegal = ReportReason::Illegal;
        assert_eq!(
            ReportExplanation::parse(illegal, " \n "),
            Err(ErrorCode::ExplanationRequired)
        );
        assert_eq!(
            ReportExplanation::parse(ReportReason::Spam, "")
                .unwrap()
                .as_str(),
            ""
        );
        let why = ReportExplanation::parse(illegal, " Défamation :\r\nvoir l'article 29 ").unwrap();
        assert_eq!(why.as_str(), "Défamation :\nvoir l'article 29");
        let long = "é".repeat(REPORT_EXPLANATION_MAX_CHARS);
        assert!(ReportExplanation::parse(illegal, &long).is_ok());
        assert_eq!(
            ReportExplanation::parse(illegal, &format!("{long}e")),
            Err(ErrorCode::ExplanationTooLong)
        );
        assert_eq!(
            ReportExplanation::parse(ReportReason::Abuse, "a\u{202E}b"),
            Err(ErrorCode::ControlCharacter)
        );
    }
}
