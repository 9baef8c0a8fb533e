//! HTML escaping (the widget's, for text it sets as HTML) and the `rel` of
//! every link in a comment.
//!
//! Written as one pass over the characters with no `str` searching: the
//! widget runs `escape`, and pattern machinery costs kilobytes of wasm.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_text_and_attributes() {
        assert_eq!(
            escape("a <b> & 'c' \"d\""),
            "a &lt;b&gt; &amp; &#39;c&#39; &quot;d&quot;"
        );
    }
}
