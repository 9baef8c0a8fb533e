//! Parsing of reader-supplied text (author, body, thread key): trim, NFC, no controls, limits.

use crate::error::ErrorCode;
use crate::limits::{AUTHOR_MAX_CHARS, BODY_MAX_CHARS, THREAD_KEY_MAX_BYTES};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
