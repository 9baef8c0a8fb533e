//! Comment HTML from Disqus and WordPress exports to our Markdown subset
//! (`comments_api::markdown`): paragraphs and line breaks, `**strong**`,
//! `*emphasis*`, `` `code` ``, fenced blocks, `> ` quotes, `- `/`1. ` lists,
//! and `[text](url)` links to http, https and mailto only. Every other tag
//! is dropped for its text; `<script>`, `<style>` and their kin go with their
//! content; entities are decoded; and the text's own Markdown characters
//! are escaped, so that a comment shows what its author saw and cannot
//! smuggle in markup it did not have.
//!
//! The tokenizer is ours, a forgiving scan like a browser's rather than an
//! XML parser: real comment HTML has unclosed `<p>`s, bare `&`s, `<br>`
//! without a slash, and quick-xml rightly refuses all of those. It never
//! fails: whatever it cannot read becomes text or nothing. Its output is
//! trusted no more than any comment's: the renderer sanitises again.

/// What a newline in the HTML's text means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Newlines {
    /// HTML's rule: any run of whitespace is one space (Disqus).
    Collapse,
    /// WordPress's (`wpautop`): a newline is a line break, a blank line
    /// starts a paragraph.
    Break,
}

/// Quotes and lists nest at most this deep, inline markup (bold, links…)
/// this deep; deeper tags are read for their text only, so that hostile
/// nesting cannot make the output grow faster than the input.
const MAX_BLOCK_DEPTH: usize = 8;
const MAX_INLINE_DEPTH: usize = 16;

/// Elements dropped with everything inside them.
const DROPPED: &[&str] = &["script", "style", "template", "iframe", "noscript"];

/// Elements that end a paragraph, opening or closing.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "aside",
    "header",
    "footer",
    "nav",
    "main",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "caption",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "address",
    "center",
    "details",
    "summary",
    "form",
    "fieldset",
    "hgroup",
];

/// A character no comment keeps: controls other than newline and tab, and
/// the bidirectional overrides that can disguise text (as `comments_api`'s
/// parsers refuse them).
pub(crate) fn forbidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `html` as Markdown of our subset (see the module's comment). Empty when
/// the HTML has no text.
pub fn to_markdown(html: &str, newlines: Newlines) -> String {
    let html = html.replace("\r\n", "\n").replace('\r', "\n");
    let mut writer = Writer::new(newlines);
    for token in Tokens::new(&html) {
        match token {
            Token::Text(text) => {
                let mut decoded = String::with_capacity(text.len());
                decode_entities(text, &mut decoded);
                writer.text(&decoded);
            }
            Token::Start { name, href } => writer.start(&name, href),
            Token::End { name } => writer.end(&name),
        }
    }
    writer.finish()
}

// ---- Tokens ---------------------------------------------------------------

enum Token<'a> {
    /// Text as written (entities not yet decoded).
    Text(&'a str),
    /// An opening tag, lower case, with its `href` decoded if it has one.
    Start {
        name: String,
        href: Option<String>,
    },
    End {
        name: String,
    },
}

/// The tokens of an HTML fragment. Comments, doctypes, processing
/// instructions and dropped elements produce nothing; a `<` that starts no
/// tag is text; a tag cut off by the end of the input is dropped (as
/// browsers do).
struct Tokens<'a> {
    s: &'a str,
    i: usize,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0C' | b'\r')
}

impl<'a> Tokens<'a> {
    fn new(s: &'a str) -> Self {
        Self { s, i: 0 }
    }

    /// Moves past the next `>` at or after `from`, or to the end.
    fn skip_past_gt(&mut self, from: usize) {
        self.i = match self.s[from..].find('>') {
            Some(k) => from + k + 1,
            None => self.s.len(),
        };
    }

    /// The name at `from`: ASCII letters, digits, `-`, `_`, `:`, `.`.
    fn name_at(&self, from: usize) -> (String, usize) {
        let b = self.s.as_bytes();
        let mut j = from;
        while j < b.len()
            && (b[j].is_ascii_alphanumeric() || matches!(b[j], b'-' | b'_' | b':' | b'.'))
        {
            j += 1;
        }
        (self.s[from..j].to_ascii_lowercase(), j)
    }

    /// An opening tag at `self.i` (`<` then a letter): its name and `href`,
    /// or `None` when the input ends inside it.
    fn start_tag(&mut self) -> Option<(String, Option<String>)> {
        let b = self.s.as_bytes();
        let (name, mut j) = self.name_at(self.i + 1);
        let mut href = None;
        loop {
            while j < b.len() && (is_space(b[j]) || b[j] == b'/') {
                j += 1;
            }
            if j >= b.len() {
                self.i = b.len();
                return None;
            }
            if b[j] == b'>' {
                j += 1;
                break;
            }
            let name_start = j;
            // A name may start with `=` (HTML reads `<a =x>` so); never empty.
            j += 1;
            while j < b.len() && !is_space(b[j]) && !matches!(b[j], b'/' | b'>' | b'=') {
                j += 1;
            }
            let attr = &self.s[name_start..j];
            while j < b.len() && is_space(b[j]) {
                j += 1;
            }
            let mut value = None;
            if j < b.len() && b[j] == b'=' {
                j += 1;
                while j < b.len() && is_space(b[j]) {
                    j += 1;
                }
                if j < b.len() && (b[j] == b'"' || b[j] == b'\'') {
                    let quote = b[j] as char;
                    let Some(k) = self.s[j + 1..].find(quote) else {
                        self.i = b.len();
                        return None;
                    };
                    value = Some(&self.s[j + 1..j + 1 + k]);
                    j = j + 1 + k + 1;
                } else {
                    let from = j;
                    while j < b.len() && !is_space(b[j]) && b[j] != b'>' {
                        j += 1;
                    }
                    value = Some(&self.s[from..j]);
                }
            }
            if href.is_none() && attr.eq_ignore_ascii_case("href") {
                let mut decoded = String::new();
                decode_entities(value.unwrap_or(""), &mut decoded);
                href = Some(decoded);
            }
        }
        self.i = j;
        Some((name, href))
    }

    /// Moves past the end tag of the dropped element `name`, or to the end.
    fn skip_content_of(&mut self, name: &str) {
        let b = self.s.as_bytes();
        let mut from = self.i;
        while let Some(k) = self.s[from..].find("</") {
            let at = from + k + 2;
            let end = at + name.len();
            let matches = self
                .s
                .get(at..end)
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
                && b.get(end)
                    .is_none_or(|&c| is_space(c) || c == b'/' || c == b'>');
            if matches {
                self.skip_past_gt(end);
                return;
            }
            from = at;
        }
        self.i = b.len();
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        loop {
            let rest = &self.s[self.i..];
            if rest.is_empty() {
                return None;
            }
            if !rest.starts_with('<') {
                let n = rest.find('<').unwrap_or(rest.len());
                self.i += n;
                return Some(Token::Text(&rest[..n]));
            }
            let b = rest.as_bytes();
            match b.get(1) {
                Some(c) if c.is_ascii_alphabetic() => {
                    let (name, href) = self.start_tag()?;
                    if DROPPED.contains(&name.as_str()) {
                        self.skip_content_of(&name);
                        continue;
                    }
                    return Some(Token::Start { name, href });
                }
                Some(b'/') if b.get(2).is_some_and(u8::is_ascii_alphabetic) => {
                    let (name, j) = self.name_at(self.i + 2);
                    if !self.s[j..].contains('>') {
                        self.i = self.s.len();
                        return None;
                    }
                    self.skip_past_gt(j);
                    return Some(Token::End { name });
                }
                Some(b'!') if rest.starts_with("<!--") => {
                    self.i = match rest[4..].find("-->") {
                        Some(k) => self.i + 4 + k + 3,
                        None => self.s.len(),
                    };
                }
                // Doctypes, CDATA, `<?…>`, `</…>` without a name: bogus comments.
                Some(b'!' | b'?' | b'/') => self.skip_past_gt(self.i + 1),
                _ => {
                    self.i += 1;
                    return Some(Token::Text("<"));
                }
            }
        }
    }
}

// ---- Entities ---------------------------------------------------------------

/// ISO 8859-1's named characters, U+00A0 to U+00FF in order.
const LATIN1: [&str; 96] = [
    "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf",
    "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro",
    "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
    "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave", "Eacute",
    "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute",
    "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute",
    "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
    "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde",
    "ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc",
    "uuml", "yacute", "thorn", "yuml",
];

/// The other named characters comments use (typography, XML's five).
const NAMED: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("OElig", 'Œ'),
    ("oelig", 'œ'),
    ("Scaron", 'Š'),
    ("scaron", 'š'),
    ("Yuml", 'Ÿ'),
    ("fnof", 'ƒ'),
    ("circ", 'ˆ'),
    ("tilde", '˜'),
    ("ensp", '\u{2002}'),
    ("emsp", '\u{2003}'),
    ("thinsp", '\u{2009}'),
    ("zwnj", '\u{200C}'),
    ("zwj", '\u{200D}'),
    ("ndash", '–'),
    ("mdash", '—'),
    ("lsquo", '‘'),
    ("rsquo", '’'),
    ("sbquo", '‚'),
    ("ldquo", '“'),
    ("rdquo", '”'),
    ("bdquo", '„'),
    ("dagger", '†'),
    ("Dagger", '‡'),
    ("bull", '•'),
    ("hellip", '…'),
    ("permil", '‰'),
    ("prime", '′'),
    ("Prime", '″'),
    ("lsaquo", '‹'),
    ("rsaquo", '›'),
    ("euro", '€'),
    ("trade", '™'),
    ("larr", '←'),
    ("uarr", '↑'),
    ("rarr", '→'),
    ("darr", '↓'),
    ("harr", '↔'),
    ("minus", '−'),
    ("le", '≤'),
    ("ge", '≥'),
    ("ne", '≠'),
    ("infin", '∞'),
    ("hearts", '♥'),
];

/// What browsers make of `&#128;` to `&#159;`: windows-1252's characters.
const WINDOWS_1252: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
];

fn named_entity(name: &str) -> Option<char> {
    if let Some(i) = LATIN1.iter().position(|n| *n == name) {
        return char::from_u32(0xA0 + i as u32);
    }
    NAMED.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

/// The entity at the start of `s` (which starts with `&`): its character
/// and length. Numeric references may lack their `;`, named ones may not.
fn entity(s: &str) -> Option<(char, usize)> {
    let b = s.as_bytes();
    if b.get(1) == Some(&b'#') {
        let hex = matches!(b.get(2), Some(b'x' | b'X'));
        let from = if hex { 3 } else { 2 };
        let len = b[from..]
            .iter()
            .take_while(|c| {
                if hex {
                    c.is_ascii_hexdigit()
                } else {
                    c.is_ascii_digit()
                }
            })
            .count();
        if len == 0 {
            return None;
        }
        let digits = &s[from..from + len];
        let code = u32::from_str_radix(digits, if hex { 16 } else { 10 }).unwrap_or(u32::MAX);
        let c = match code {
            0x80..=0x9F => WINDOWS_1252[(code - 0x80) as usize],
            0 => '\u{FFFD}',
            _ => char::from_u32(code).unwrap_or('\u{FFFD}'),
        };
        let end = from + len + usize::from(b.get(from + len) == Some(&b';'));
        return Some((c, end));
    }
    let len = b[1..]
        .iter()
        .take(32)
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    if len == 0 || b.get(1 + len) != Some(&b';') {
        return None;
    }
    named_entity(&s[1..1 + len]).map(|c| (c, len + 2))
}

/// `s` with its character references decoded; unknown ones stay as written.
fn decode_entities(s: &str, out: &mut String) {
    let mut rest = s;
    while let Some(k) = rest.find('&') {
        out.push_str(&rest[..k]);
        rest = &rest[k..];
        match entity(rest) {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
}

// ---- Links ------------------------------------------------------------------

/// An `href` as a Markdown link destination, if it is http, https or mailto.
/// Tabs and newlines inside are dropped, as browsers do (so
/// `java&#9;script:` is `javascript:` here too); what would end or confuse
/// the destination is percent-encoded or escaped.
fn link_target(href: &str) -> Option<String> {
    let url: String = href
        .trim_matches(|c: char| c.is_ascii_whitespace() || c.is_control())
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let lower = url.to_ascii_lowercase();
    let allowed = ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme) && url.len() > scheme.len());
    if !allowed {
        return None;
    }
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            '&' => out.push_str("\\&"),
            ' ' | '<' | '>' | '(' | ')' | '\\' | '"' | '`' => {
                out.push_str(&format!("%{:02X}", c as u32));
            }
            c if c.is_control() || c.is_whitespace() || forbidden(c) => {
                let mut bytes = [0; 4];
                for b in c.encode_utf8(&mut bytes).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    Some(out)
}

/// Where a bare `http://` or `https://` URL starting at `chars[i]` ends
/// (as our renderer's `linkify` reads one: to a space or quote, less
/// closing punctuation), if there is one with a host.
fn bare_url_end(chars: &[char], i: usize) -> Option<usize> {
    let lower = |k: usize| chars.get(i + k).map(|c| c.to_ascii_lowercase());
    let scheme = if (0..7).all(|k| lower(k) == "http://".chars().nth(k)) {
        7
    } else if (0..8).all(|k| lower(k) == "https://".chars().nth(k)) {
        8
    } else {
        return None;
    };
    let mut end = i + scheme;
    while end < chars.len()
        && !(chars[end].is_whitespace()
            || chars[end].is_control()
            || matches!(chars[end], '<' | '>' | '"' | '\'' | '`'))
    {
        end += 1;
    }
    while end > i + scheme
        && matches!(
            chars[end - 1],
            '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']' | '}' | '*'
        )
    {
        end -= 1;
    }
    (end > i + scheme).then_some(end)
}

// ---- Writer -----------------------------------------------------------------

/// A block that prefixes the lines inside it.
enum Container {
    Quote,
    List {
        ordered: bool,
        next: u32,
    },
    /// A list item: its marker goes on its first line, its width in spaces
    /// on the others.
    Item {
        marker: String,
        first: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    Strong,
    Em,
    Code,
    /// A link, with its destination if it is one we keep.
    Link(Option<String>),
    /// A tag whose markup is not kept (nested twice, inside code…): its
    /// text passes through.
    Plain,
}

/// Inline markup being read: its text so far, wrapped when it closes.
struct Frame {
    tag: String,
    kind: Kind,
    text: String,
}

struct Writer {
    newlines: Newlines,
    out: String,
    containers: Vec<Container>,
    /// The paragraph being read, as Markdown.
    para: String,
    frames: Vec<Frame>,
    /// Open code frames: inside one, text is taken as it is.
    code_frames: usize,
    /// The text of the `<pre>` being read, and how many are open.
    pre: Option<String>,
    pre_depth: usize,
    /// The next block starts a list item: no blank line before it.
    tight: bool,
}

impl Writer {
    fn new(newlines: Newlines) -> Self {
        Self {
            newlines,
            out: String::new(),
            containers: Vec::new(),
            para: String::new(),
            frames: Vec::new(),
            code_frames: 0,
            pre: None,
            pre_depth: 0,
            tight: false,
        }
    }

    fn buf(&mut self) -> &mut String {
        match self.frames.last_mut() {
            Some(f) => &mut f.text,
            None => &mut self.para,
        }
    }

    // -- Output lines

    /// The prefix of a line: quote marks, list markers or their indent.
    /// `first` takes the markers of items whose first line this is.
    fn prefix(&mut self, first: bool) -> String {
        let mut p = String::new();
        for c in &mut self.containers {
            match c {
                Container::Quote => p.push_str("> "),
                Container::List { .. } => {}
                Container::Item { marker, first: f } => {
                    if *f && first {
                        p.push_str(marker);
                        *f = false;
                    } else {
                        p.extend(std::iter::repeat_n(' ', marker.chars().count()));
                    }
                }
            }
        }
        p
    }

    /// Starts a block: a blank line after the one before, unless this one
    /// starts a list item.
    fn begin_block(&mut self) {
        if !self.out.is_empty() && !self.tight {
            self.blank_line();
        }
        self.tight = false;
    }

    fn blank_line(&mut self) {
        let p = self.prefix(false);
        self.out.push_str(p.trim_end());
        self.out.push('\n');
    }

    fn line(&mut self, text: &str) {
        let p = self.prefix(true);
        self.out.push_str(&p);
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// Writes the paragraph read so far, closing its inline markup.
    fn block(&mut self) {
        while !self.frames.is_empty() {
            self.close_top();
        }
        let para = std::mem::take(&mut self.para);
        let lines: Vec<&str> = para.split('\n').map(str::trim).collect();
        let (Some(first), Some(last)) = (
            lines.iter().position(|l| !l.is_empty()),
            lines.iter().rposition(|l| !l.is_empty()),
        ) else {
            return;
        };
        self.begin_block();
        let mut blank = false;
        for l in &lines[first..=last] {
            if l.is_empty() {
                blank = true;
                continue;
            }
            if blank {
                // `<br><br>`: a new paragraph.
                self.blank_line();
                blank = false;
            }
            self.line(l);
        }
    }

    /// Writes the `<pre>` read so far as a fenced block.
    fn end_pre(&mut self) {
        let text = self.pre.take().unwrap_or_default();
        self.pre_depth = 0;
        let text = text.strip_prefix('\n').unwrap_or(&text);
        let lines: Vec<&str> = text.split('\n').collect();
        let Some(last) = lines.iter().rposition(|l| !l.trim().is_empty()) else {
            return;
        };
        let longest = longest_run(text, '`');
        let fence = "`".repeat((longest + 1).max(3));
        self.begin_block();
        self.line(&fence);
        for l in &lines[..=last] {
            self.line(l);
        }
        self.line(&fence);
    }

    // -- Tags

    fn start(&mut self, name: &str, href: Option<String>) {
        if let Some(pre) = &mut self.pre {
            match name {
                "br" => pre.push('\n'),
                "pre" => self.pre_depth += 1,
                _ => {}
            }
            return;
        }
        match name {
            "br" => self.line_break(),
            "blockquote" => {
                self.block();
                if self.containers.len() < MAX_BLOCK_DEPTH {
                    self.containers.push(Container::Quote);
                }
            }
            "ul" | "ol" => {
                self.block();
                if self.containers.len() < MAX_BLOCK_DEPTH {
                    self.containers.push(Container::List {
                        ordered: name == "ol",
                        next: 1,
                    });
                }
            }
            "li" => self.item(),
            "pre" => {
                self.block();
                self.pre = Some(String::new());
                self.pre_depth = 1;
            }
            "b" | "strong" => self.open(name, Kind::Strong),
            "i" | "em" => self.open(name, Kind::Em),
            "code" | "tt" | "kbd" | "samp" => self.open(name, Kind::Code),
            "a" => self.open(name, Kind::Link(href.as_deref().and_then(link_target))),
            "td" | "th" => self.space(),
            _ if BLOCKS.contains(&name) => self.block(),
            _ => {}
        }
    }

    fn end(&mut self, name: &str) {
        if self.pre.is_some() {
            if name == "pre" {
                self.pre_depth -= 1;
                if self.pre_depth == 0 {
                    self.end_pre();
                }
            }
            return;
        }
        match name {
            "blockquote" => {
                self.block();
                self.close_container(|c| matches!(c, Container::Quote));
            }
            "ul" | "ol" => {
                self.block();
                self.close_container(|c| matches!(c, Container::List { .. }));
            }
            "li" => {
                self.block();
                let item = self
                    .containers
                    .iter()
                    .rposition(|c| matches!(c, Container::Item { .. }));
                let list = self
                    .containers
                    .iter()
                    .rposition(|c| matches!(c, Container::List { .. }));
                if let Some(i) = item.filter(|&i| list.is_none_or(|l| l < i)) {
                    self.containers.truncate(i);
                }
            }
            "b" | "strong" | "i" | "em" | "code" | "tt" | "kbd" | "samp" | "a" => self.close(name),
            "td" | "th" => self.space(),
            _ if BLOCKS.contains(&name) => self.block(),
            _ => {}
        }
    }

    /// Closes the innermost container `is` matches, and those inside it.
    fn close_container(&mut self, is: impl Fn(&Container) -> bool) {
        if let Some(i) = self.containers.iter().rposition(is) {
            self.containers.truncate(i);
        }
    }

    fn item(&mut self) {
        self.block();
        if matches!(self.containers.last(), Some(Container::Item { .. })) {
            self.containers.pop();
        }
        if self.containers.len() >= MAX_BLOCK_DEPTH {
            return;
        }
        let marker = match self.containers.last_mut() {
            Some(Container::List {
                ordered: true,
                next,
            }) => {
                let m = format!("{next}. ");
                *next = next.saturating_add(1).min(999_999_999);
                m
            }
            _ => "- ".to_owned(),
        };
        self.containers.push(Container::Item {
            marker,
            first: true,
        });
        self.tight = true;
    }

    // -- Inline markup

    fn open(&mut self, tag: &str, kind: Kind) {
        if self.frames.len() >= MAX_INLINE_DEPTH {
            return;
        }
        let same = |f: &Frame| match (&f.kind, &kind) {
            (Kind::Link(_), Kind::Link(_)) => true,
            (a, b) => a == b,
        };
        let kind = if self.code_frames > 0 || self.frames.iter().any(same) {
            Kind::Plain
        } else {
            kind
        };
        if kind == Kind::Code {
            self.code_frames += 1;
        }
        self.frames.push(Frame {
            tag: tag.to_owned(),
            kind,
            text: String::new(),
        });
    }

    /// Closes the innermost frame opened by `tag`, and those inside it; a
    /// closing tag nothing opened is ignored.
    fn close(&mut self, tag: &str) {
        if let Some(i) = self.frames.iter().rposition(|f| f.tag == tag) {
            while self.frames.len() > i {
                self.close_top();
            }
        }
    }

    /// Wraps the innermost frame's text and adds it to what is around it;
    /// the whitespace at its ends goes outside the markup, where Markdown
    /// wants it.
    fn close_top(&mut self) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        if frame.kind == Kind::Code {
            self.code_frames -= 1;
        }
        let text = frame.text.as_str();
        let inner = text.trim_matches([' ', '\n']);
        let lead = &text[..text.len() - text.trim_start_matches([' ', '\n']).len()];
        let trail = &text[text.trim_end_matches([' ', '\n']).len()..];
        self.gap(lead);
        if !inner.is_empty() {
            let wrapped = match &frame.kind {
                Kind::Strong => format!("**{inner}**"),
                Kind::Em => format!("*{inner}*"),
                Kind::Code => {
                    let fence = "`".repeat(longest_run(inner, '`') + 1);
                    let pad = if inner.starts_with('`') || inner.ends_with('`') {
                        " "
                    } else {
                        ""
                    };
                    format!("{fence}{pad}{inner}{pad}{fence}")
                }
                Kind::Link(Some(url)) => format!("[{inner}]({url})"),
                Kind::Link(None) | Kind::Plain => inner.to_owned(),
            };
            self.buf().push_str(&wrapped);
        } else if let Kind::Link(Some(url)) = &frame.kind {
            // A link with no text (an image's): its address.
            let autolink = format!("<{url}>");
            self.buf().push_str(&autolink);
        }
        self.gap(trail);
    }

    /// Whitespace that was at the edge of a frame.
    fn gap(&mut self, ws: &str) {
        if ws.contains('\n') {
            self.line_break();
        } else if !ws.is_empty() {
            self.space();
        }
    }

    fn space(&mut self) {
        let root = self.frames.is_empty();
        let b = self.buf();
        let at_start = root && b.is_empty();
        if !at_start && !b.ends_with(' ') && !b.ends_with('\n') {
            b.push(' ');
        }
    }

    fn line_break(&mut self) {
        if let Some(pre) = &mut self.pre {
            pre.push('\n');
            return;
        }
        if self.code_frames > 0 {
            self.space();
            return;
        }
        let root = self.frames.is_empty();
        let b = self.buf();
        let trimmed = b.trim_end_matches(' ').len();
        b.truncate(trimmed);
        // Inside inline markup a blank line would end the paragraph and
        // leave the markup open: one break at most.
        if root || !b.ends_with('\n') {
            b.push('\n');
        }
    }

    // -- Text

    fn text(&mut self, text: &str) {
        if let Some(pre) = &mut self.pre {
            pre.extend(text.chars().filter(|&c| !forbidden(c)));
            return;
        }
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            // A paragraph break below closes the frames: look again each time.
            let raw = self.code_frames > 0;
            let in_link = self.frames.iter().any(|f| matches!(f.kind, Kind::Link(_)));
            if c.is_ascii_whitespace() {
                let mut breaks = 0;
                while i < chars.len() && chars[i].is_ascii_whitespace() {
                    breaks += usize::from(chars[i] == '\n');
                    i += 1;
                }
                match (self.newlines, raw) {
                    (Newlines::Break, false) if breaks >= 2 => self.block(),
                    (Newlines::Break, false) if breaks == 1 => self.line_break(),
                    _ => self.space(),
                }
                continue;
            }
            i += 1;
            if forbidden(c) {
                continue;
            }
            let b = self.buf();
            if raw {
                b.push(c);
                continue;
            }
            let word_start = !b.chars().next_back().is_some_and(char::is_alphanumeric);
            if !in_link
                && word_start
                && let Some(end) = bare_url_end(&chars, i - 1)
            {
                // As an autolink, so that escaping cannot cut it short.
                b.push('<');
                b.extend(&chars[i - 1..end]);
                b.push('>');
                i = end;
                continue;
            }
            let line_start = b.is_empty() || b.ends_with('\n');
            if line_start && c.is_ascii_digit() {
                // `1984. ` would start an ordered list.
                let run = chars[i - 1..]
                    .iter()
                    .take_while(|d| d.is_ascii_digit())
                    .count();
                let after = chars.get(i - 1 + run);
                if matches!(after, Some('.' | ')')) {
                    b.extend(&chars[i - 1..i - 1 + run]);
                    b.push('\\');
                    b.extend(after);
                    i += run;
                    continue;
                }
            }
            let escape = match c {
                '\\' | '`' | '*' | '_' | '[' | ']' | '<' => true,
                '&' => chars
                    .get(i)
                    .is_some_and(|n| n.is_ascii_alphanumeric() || *n == '#'),
                '#' | '>' | '-' | '+' | '=' | '~' | '|' => line_start,
                _ => false,
            };
            if escape {
                b.push('\\');
            }
            b.push(c);
        }
    }

    fn finish(mut self) -> String {
        if self.pre.is_some() {
            self.end_pre();
        }
        self.block();
        let len = self.out.trim_end().len();
        self.out.truncate(len);
        self.out
    }
}

/// The longest run of `c` in `s`.
fn longest_run(s: &str, c: char) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for x in s.chars() {
        run = if x == c { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;
    use comments_api::markdown::render;

    fn md(html: &str) -> String {
        to_markdown(html, Newlines::Collapse)
    }

    const A: &str = "target=\"_blank\" rel=\"nofollow ugc noopener noreferrer\"";

    #[test]
    fn latin1_names_fill_their_block() {
        assert_eq!(named_entity("nbsp"), Some('\u{A0}'));
        assert_eq!(named_entity("eacute"), Some('é'));
        assert_eq!(named_entity("yuml"), Some('ÿ'));
        assert_eq!(named_entity("hellip"), Some('…'));
        assert_eq!(named_entity("bogus"), None);
    }

    #[test]
    fn paragraphs_breaks_and_inline_markup() {
        assert_eq!(
            md("<p>Bonjour <b>le</b> <em>monde</em></p><p>Deux<br>lignes</p>"),
            "Bonjour **le** *monde*\n\nDeux\nlignes"
        );
        assert_eq!(md("a<br/><br />b"), "a\n\nb");
        assert_eq!(md("<p>  spaced\n   out\t text </p>"), "spaced out text");
        assert_eq!(md("a<b> bold </b>b"), "a **bold** b");
        assert_eq!(md("<strong><i>both</i></strong>"), "***both***");
        assert_eq!(md("<b>un<b>deux</b>trois</b>"), "**undeuxtrois**");
        assert_eq!(
            md("<code>a*b</code> and <code>x`y</code>"),
            "`a*b` and ``x`y``"
        );
        assert_eq!(md("<code>`</code>"), "`` ` ``");
        assert_eq!(md("<b></b><i> </i>x"), "x");
        assert_eq!(md("<h2>Titre</h2>texte"), "Titre\n\ntexte");
    }

    #[test]
    fn links_keep_http_https_and_mailto_only() {
        assert_eq!(
            md("<a href=\"https://a.example/x?y=1&amp;z=2\">site</a>"),
            "[site](https://a.example/x?y=1\\&z=2)"
        );
        assert_eq!(
            render(&md("<a href=\"https://a.example/x?y=1&amp;z=2\">site</a>")),
            format!("<p><a href=\"https://a.example/x?y=1&amp;z=2\" {A}>site</a></p>\n")
        );
        assert_eq!(
            md("<a href='mailto:ana@news.example'>Ana</a>"),
            "[Ana](mailto:ana@news.example)"
        );
        assert_eq!(
            md("<a href=\"https://a.example/a b(c)\">x</a>"),
            "[x](https://a.example/a%20b%28c%29)"
        );
        assert_eq!(
            md("<a href=https://a.example><img src=x></a>"),
            "<https://a.example>"
        );
        for bad in [
            "<a href=\"javascript:alert(1)\">click</a>",
            "<a href=\"JaVaScRiPt:alert(1)\">click</a>",
            "<a href=\"jav&#x09;ascript:alert(1)\">click</a>",
            "<a href=\" java\nscript:alert(1)\">click</a>",
            "<a href=\"data:text/html,<script>alert(1)</script>\">click</a>",
            "<a href=\"/relative\">click</a>",
            "<a href=\"//evil.example\">click</a>",
            "<a href=\"http://\">click</a>",
            "<a>click</a>",
        ] {
            assert_eq!(md(bad), "click", "{bad}");
        }
        // A link inside a link is the outer one's text.
        assert_eq!(
            md("<a href=\"https://a.example\">x <a href=\"https://b.example\">y</a></a>"),
            "[x y](https://a.example)"
        );
    }

    #[test]
    fn bare_urls_become_autolinks_that_escaping_cannot_cut() {
        assert_eq!(
            md("see https://a.example/x_y?a=1&amp;b=2."),
            "see <https://a.example/x_y?a=1&b=2>."
        );
        assert_eq!(
            render(&md("(https://a.example/x_y)")),
            format!("<p>(<a href=\"https://a.example/x_y\" {A}>https://a.example/x_y</a>)</p>\n")
        );
        assert_eq!(md("xhttp://a.example/a_b"), "xhttp://a.example/a\\_b");
    }

    #[test]
    fn quotes_lists_and_code_blocks() {
        assert_eq!(
            md("<blockquote><p>cité</p><blockquote>deep</blockquote></blockquote>reply"),
            "> cité\n> >\n> > deep\n\nreply"
        );
        assert_eq!(
            render(&md(
                "<blockquote><p>cité</p><blockquote>deep</blockquote></blockquote>reply"
            )),
            "<blockquote>\n<p>cité</p>\n<blockquote>\n<p>deep</p>\n</blockquote>\n</blockquote>\n<p>reply</p>\n"
        );
        assert_eq!(
            md("<ul><li>a</li><li>b<ol><li>c</li><li>d</li></ol></li></ul>after"),
            "- a\n- b\n  1. c\n  2. d\n\nafter"
        );
        assert_eq!(md("<ul><li>one<li>two</ul>"), "- one\n- two");
        assert_eq!(md("<li>lone</li>"), "- lone");
        assert_eq!(
            md("<pre><code>let x = 1 < 2;\n```\n  indented</code></pre>"),
            "````\nlet x = 1 < 2;\n```\n  indented\n````"
        );
        assert_eq!(
            md("<blockquote><pre>\nq &amp; a\n</pre></blockquote>"),
            "> ```\n> q & a\n> ```"
        );
        assert_eq!(
            render(&md("<blockquote>a</blockquote>b<ol><li>c</li></ol>")),
            "<blockquote>\n<p>a</p>\n</blockquote>\n<p>b</p>\n<ol>\n<li>c</li>\n</ol>\n"
        );
    }

    #[test]
    fn text_cannot_inject_markdown() {
        assert_eq!(
            md("<p>*not* _em_ [a](https://b.example) `c` &lt;b&gt; \\</p>"),
            "\\*not\\* \\_em\\_ \\[a\\](<https://b.example>) \\`c\\` \\<b> \\\\"
        );
        assert_eq!(
            md("<p># Title</p><p>- item</p><p>1984. year</p><p>&gt; quote</p><p>===</p>"),
            "\\# Title\n\n\\- item\n\n1984\\. year\n\n\\> quote\n\n\\==="
        );
        assert_eq!(
            md("Tom & Jerry &amp;copy; &bogus;"),
            "Tom & Jerry \\&copy; \\&bogus;"
        );
        for (source, shown) in [
            ("<p>*not* _em_ # 1. x</p>", "<p>*not* _em_ # 1. x</p>\n"),
            ("<p># Title</p>", "<p># Title</p>\n"),
            ("<p>1) un</p>", "<p>1) un</p>\n"),
            (
                "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
                "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n",
            ),
            ("<p>&amp;lt;b&amp;gt;</p>", "<p>&amp;lt;b&amp;gt;</p>\n"),
            (
                "a<br>- b<br>+ c<br>~~~<br>    d",
                "<p>a<br>\n- b<br>\n+ c<br>\n~~~<br>\nd</p>\n",
            ),
        ] {
            assert_eq!(render(&md(source)), shown, "{source}");
        }
    }

    #[test]
    fn entities_are_decoded() {
        assert_eq!(
            md("&eacute;t&eacute; &#8217;&#x263A;&#146;&#0;&#xD800; caf&Eacute;&nbsp;!"),
            "été ’☺’\u{FFFD}\u{FFFD} cafÉ\u{A0}!"
        );
    }

    #[test]
    fn hostile_markup_leaves_text_only() {
        assert_eq!(md("<script>alert(1)</script>ok"), "ok");
        assert_eq!(md("<SCRIPT type=x>alert('</p>')</SCRIPT >ok"), "ok");
        assert_eq!(md("<script>never closed <b>x</b>"), "");
        assert_eq!(md("<style>p { color: red }</style>ok"), "ok");
        assert_eq!(md("<img src=x onerror=alert(1)>hi"), "hi");
        assert_eq!(md("<img src=\"x\" onerror=\"alert('>')\">hi"), "hi");
        assert_eq!(md("<svg onload=alert(1)>hi</svg>"), "hi");
        assert_eq!(md("<p onclick=\"x\">a</p><!-- <b>c</b> -->b"), "a\n\nb");
        assert_eq!(md("a < b <c"), "a \\< b");
        assert_eq!(md("<b>bold <i>both"), "**bold *both***");
        assert_eq!(md("x</b></i></a>y</blockquote></ul>z"), "xy\n\nz");
        assert_eq!(
            md("<a href=\"https://a.example\">un<p>deux</a>"),
            "[un](https://a.example)\n\ndeux"
        );
        assert_eq!(md("<!DOCTYPE html><?php x ?><![CDATA[y]]>z"), "z");
        assert_eq!(md("\u{202E}evil\u{0}\u{7}"), "evil");
        assert_eq!(md("<a href=\"https://a.example\" x=\"unterminated>no"), "");
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let html = "<blockquote>".repeat(1000) + "deep" + &"<b>".repeat(1000);
        let out = md(&html);
        assert!(out.len() < 100, "{out}");
        assert!(out.ends_with("deep"), "{out}");
        let out = md(&"<ol><li>".repeat(500));
        assert!(out.is_empty(), "{out}");
    }

    #[test]
    fn wordpress_newlines_are_breaks_and_paragraphs() {
        let wp = "Un\ndeux\n\n\ntrois <b>gras\n\nfin</b>";
        assert_eq!(
            to_markdown(wp, Newlines::Break),
            "Un\ndeux\n\ntrois **gras**\n\nfin"
        );
        assert_eq!(
            to_markdown(wp, Newlines::Collapse),
            "Un deux trois **gras fin**"
        );
        assert_eq!(
            to_markdown(
                "<blockquote>\nquote\n</blockquote>\nreply\n<ul>\n<li>a</li>\n</ul>",
                Newlines::Break
            ),
            "> quote\n\nreply\n- a"
        );
    }

    /// Text alone (no tags) must render as exactly that text: the escaping
    /// neither loses characters nor lets any become markup.
    #[test]
    fn random_text_renders_as_itself() {
        const PIECES: &[&str] = &[
            "*",
            "**",
            "_",
            "__",
            "`",
            "```",
            "[",
            "]",
            "(",
            ")",
            "](",
            "![",
            "#",
            "# ",
            "-",
            "- ",
            "+ ",
            "=",
            "===",
            "1.",
            "2) ",
            "12. ",
            ">",
            "> ",
            "!",
            "~",
            "~~~",
            "|",
            "\\",
            " ",
            "a",
            "é",
            "word",
            "&amp;",
            "&lt;",
            "&gt;",
            "&#42;",
            "&copy;",
            "&bogus;",
            "&",
            ":",
            "\"",
            "'",
            "http://x.example/a_b",
            "https://y.example/*z*",
            "mailto:a@b.example",
            ".",
            "<br>",
        ];
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..3000 {
            let n = (next() % 16) as usize;
            let source: String = (0..n)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            let html = render(&md(&source));
            let mut expected = String::new();
            decode_entities(&source.replace("<br>", "\n"), &mut expected);
            let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
            let shown = html
                .split('<')
                .map(|part| part.split_once('>').map_or(part, |(_, text)| text))
                .collect::<String>()
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&");
            assert_eq!(
                words(&shown),
                words(&expected),
                "{source:?} → {:?}",
                md(&source)
            );
        }
    }

    /// Random tag soup: whatever comes out renders to our tags only, links
    /// to our schemes only.
    #[test]
    fn random_tag_soup_stays_in_the_subset() {
        const PIECES: &[&str] = &[
            "<p>",
            "</p>",
            "<br>",
            "<b>",
            "</b>",
            "<i>",
            "</i>",
            "<code>",
            "</code>",
            "<pre>",
            "</pre>",
            "<blockquote>",
            "</blockquote>",
            "<ul>",
            "<ol>",
            "<li>",
            "</li>",
            "</ul>",
            "</ol>",
            "<a href=\"https://a.example/x\">",
            "<a href=\"javascript:alert(1)\">",
            "<a href='jav&#x61;script:x'>",
            "</a>",
            "<script>alert(1)</script>",
            "<script>",
            "<img src=x onerror=alert(1)>",
            "<svg onload=x>",
            "<!--",
            "-->",
            "<",
            ">",
            "\"",
            "'",
            "&",
            "&amp;",
            "&lt;script&gt;",
            "*",
            "_",
            "`",
            "[",
            "]",
            "(",
            ")",
            "\n",
            "\n\n",
            " ",
            "text",
            "é",
            "# ",
            "- ",
            "1. ",
            "> ",
            "https://b.example/p?q=1&r=2",
            "onerror=",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..3000 {
            let n = (next() % 24) as usize;
            let source: String = (0..n)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            let newlines = if round % 2 == 0 {
                Newlines::Collapse
            } else {
                Newlines::Break
            };
            let markdown = to_markdown(&source, newlines);
            let html = render(&markdown);
            for tag in html.split('<').skip(1) {
                let tag = tag.split('>').next().unwrap_or("").to_lowercase();
                let name = tag
                    .trim_start_matches('/')
                    .split([' ', '/'])
                    .next()
                    .unwrap_or("");
                assert!(
                    [
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
                        "a"
                    ]
                    .contains(&name),
                    "{source:?}: <{tag}>"
                );
                assert!(
                    !tag.contains("javascript") && !tag.contains(" on"),
                    "{source:?}: <{tag}>"
                );
                if let Some(href) = tag.split(" href=\"").nth(1) {
                    assert!(
                        href.starts_with("https://a.example/x")
                            || href.starts_with("https://b.example/p"),
                        "{source:?}: {href}"
                    );
                }
            }
        }
    }
}
