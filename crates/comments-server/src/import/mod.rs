//! Reading comments out of another system's export, for
//! `comments-server import FORMAT FILE`: the records (`Record`, `Skipped`),
//! the formats (`Format`), the errors that say where a file is bad
//! (`ImportError`), and what the readers share: line and column counting
//! under quick-xml, text capture, dates.
//!
//! Each format has its reader: `disqus` and `wxr` stream a file's XML
//! events (quick-xml over a `Read`, never a DOM: a 1 GB file is read in the
//! memory of one comment), `isso` streams the rows of an Isso database,
//! `own` reads back the JSON Lines of our own `export` (its entries, richer
//! than a `Record`: ids, statuses, staff labels and picks kept), and
//! `html` turns the HTML of Disqus and WordPress comments into our Markdown
//! subset. Nothing here writes anywhere: mapping records to our threads and
//! comments, and the dry pass before it, belong to the caller
//! (`cli::import`).
//!
//! What every reader promises: a record's body is Markdown of our subset
//! (never HTML to trust), its author is never empty, its time is UTC epoch
//! milliseconds. Ids are the source's, as text; a reply may come before its
//! parent in Disqus and WordPress files (Isso's rows come in id order, so
//! parents first). Nothing is kept per comment while reading, so duplicate
//! ids are the caller's to notice.

pub mod disqus;
pub mod html;
pub mod isso;
pub mod own;
pub mod wxr;

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use std::fmt;
use std::io::{BufRead, Read};

/// The author of a comment whose export names nobody.
pub const ANONYMOUS: &str = "Anonymous";

/// The body of a comment deleted at the source whose text is gone (Isso's
/// placeholders for deleted comments with replies, Disqus's and WordPress's
/// deleted comments without a message). Imported as rejected, so that
/// replies keep their place under a removed comment.
pub const DELETED_BODY: &str = "(deleted)";

/// A thread as the source names it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceThread {
    /// The source's identifier: Disqus's `<id>` (the page's
    /// `disqus_identifier`), WordPress's `wp:post_id`, Isso's `uri` (a path).
    /// May be empty.
    pub id: String,
    /// The page's address: Disqus's `<link>`, WordPress's `<link>` (the
    /// permalink). Empty for Isso, which keeps paths only. May be empty.
    pub url: String,
    pub title: String,
}

/// What a comment was at the source, in our terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImportStatus {
    Approved,
    Pending,
    /// Rejected, spam or deleted at the source.
    Rejected,
}

impl ImportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Pending => "pending",
            Self::Rejected => "rejected",
        }
    }
}

/// One comment read from a foreign export, before mapping to our keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The source's id for the comment (Disqus post id, WP comment_id, Isso id), unique within the file.
    pub source_id: String,
    /// The source's id of the comment it replies to, if any.
    pub parent: Option<String>,
    /// The thread as the source names it.
    pub thread: SourceThread,
    /// Never empty: `ANONYMOUS` when the source has no name. Not yet held
    /// to our limits (`comments_api::Author::parse` is the caller's).
    pub author: String,
    /// The author's address as the source has it; the caller drops it unless --keep-emails.
    pub email: Option<String>,
    /// Epoch milliseconds, UTC.
    pub created_at: i64,
    pub status: ImportStatus,
    /// The text, converted to our Markdown subset (see html.rs); never raw
    /// HTML, never empty. Not yet held to our length limit
    /// (`comments_api::CommentBody::parse` is the caller's).
    pub body: String,
}

/// A reason a record was skipped (not an error: the file is fine), for the import report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub source_id: String,
    pub reason: String,
}

/// What a reader yields, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Record(Record),
    Skipped(Skipped),
}

/// The formats `import` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Format {
    /// A Disqus XML export (`<disqus>`).
    Disqus,
    /// A WordPress export (WXR: RSS with the `wp:` namespace).
    #[value(alias = "wordpress")]
    Wxr,
    /// An Isso SQLite database.
    Isso,
    /// A file written by our own `export`.
    Own,
}

impl Format {
    pub const ALL: [Format; 4] = [Self::Disqus, Self::Wxr, Self::Isso, Self::Own];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disqus => "disqus",
            Self::Wxr => "wxr",
            Self::Isso => "isso",
            Self::Own => "own",
        }
    }

    /// A format by its name (any case; `wordpress` is `wxr`). Usable as a
    /// clap `value_parser`.
    pub fn parse(name: &str) -> Result<Self, String> {
        let lower = name.trim().to_ascii_lowercase();
        if lower == "wordpress" {
            return Ok(Self::Wxr);
        }
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == lower)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|f| f.as_str()).collect();
                format!("unknown format {name:?}: expected {}", names.join(", "))
            })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s)
    }
}

/// A bad file: what is wrong and where (line and column, or byte offset, or row id for Isso).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    /// `line 12, column 5` (columns count characters), `comment 42` (an
    /// Isso row), or empty when the file as a whole is at fault.
    pub position: String,
    pub message: String,
}

impl ImportError {
    pub(crate) fn at(position: impl fmt::Display, message: impl Into<String>) -> Self {
        Self {
            position: position.to_string(),
            message: message.into(),
        }
    }

    pub(crate) fn file(message: impl Into<String>) -> Self {
        Self {
            position: String::new(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.position.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.position, self.message)
        }
    }
}

impl std::error::Error for ImportError {}

impl From<ImportError> for String {
    fn from(e: ImportError) -> String {
        e.to_string()
    }
}

/// A place in a text file, both counted from 1; the column counts
/// characters (bytes only for a place behind the one just read, which
/// errors at the end of a truncated file can be).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pos {
    pub line: u64,
    pub column: u64,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// A buffered reader that counts lines as quick-xml consumes them, so that
/// a byte offset from `buffer_position()` becomes a line and column without
/// keeping the text: it keeps the offsets of the newlines after the last
/// mark only (the mark moves to the start of each event, so that is the
/// newlines of one event at most).
struct LineCounter<R> {
    inner: R,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// Bytes handed to the parser so far.
    consumed: u64,
    /// Newlines consumed before `mark`, and the offset just after the last of them.
    mark: u64,
    lines_before_mark: u64,
    line_start_before_mark: u64,
    /// Offsets of the newlines consumed at or after `mark`.
    newlines: Vec<u64>,
    /// UTF-8 continuation bytes consumed since the last newline, to count
    /// characters, not bytes, at the place just read.
    continuation_since_newline: u64,
    /// The column of the mark in characters, when it was set at the place
    /// just read (as it is before each event).
    mark_column: Option<u64>,
}

impl<R: Read> LineCounter<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            buf: vec![0; 64 * 1024].into_boxed_slice(),
            start: 0,
            end: 0,
            consumed: 0,
            mark: 0,
            lines_before_mark: 0,
            line_start_before_mark: 0,
            newlines: Vec::new(),
            continuation_since_newline: 0,
            mark_column: Some(1),
        }
    }

    /// Forgets the newlines before `at` (a place not behind the last mark).
    fn set_mark(&mut self, at: u64) {
        if at <= self.mark {
            return;
        }
        let before = self.newlines.partition_point(|&n| n < at);
        if let Some(&last) = before.checked_sub(1).and_then(|i| self.newlines.get(i)) {
            self.lines_before_mark += before as u64;
            self.line_start_before_mark = last + 1;
            self.newlines.drain(..before);
        }
        self.mark = at;
        self.mark_column = (at == self.consumed).then(|| {
            let bytes = at - self.line_start_before_mark;
            bytes.saturating_sub(self.continuation_since_newline) + 1
        });
    }

    /// The line and column of byte offset `at`, which must not be before
    /// the mark (a place before it is reported at the mark).
    fn pos(&self, at: u64) -> Pos {
        let at = at.max(self.mark);
        let before = self.newlines.partition_point(|&n| n < at);
        let line = self.lines_before_mark + before as u64 + 1;
        let line_start = match before.checked_sub(1).and_then(|i| self.newlines.get(i)) {
            Some(&n) => n + 1,
            None => self.line_start_before_mark,
        };
        let column = match self.mark_column {
            Some(column) if at == self.mark => column,
            _ if at == self.consumed => {
                (at - line_start).saturating_sub(self.continuation_since_newline) + 1
            }
            _ => at - line_start + 1,
        };
        Pos { line, column }
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for LineCounter<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.start == self.end {
            self.start = 0;
            self.end = loop {
                match self.inner.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
        }
        Ok(&self.buf[self.start..self.end])
    }

    fn consume(&mut self, amount: usize) {
        let amount = amount.min(self.end - self.start);
        for (i, &b) in self.buf[self.start..self.start + amount].iter().enumerate() {
            if b == b'\n' {
                self.newlines.push(self.consumed + i as u64);
                self.continuation_since_newline = 0;
            } else if b & 0xC0 == 0x80 {
                self.continuation_since_newline += 1;
            }
        }
        self.start += amount;
        self.consumed += amount as u64;
    }
}

/// The namespaces the readers tell apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ns {
    /// No namespace.
    None,
    /// `http://disqus.com`, Disqus's default namespace.
    Disqus,
    /// `http://disqus.com/disqus-internals`, Disqus's `dsq:` prefix.
    DisqusInternals,
    /// `http://wordpress.org/export/1.N/`, WordPress's `wp:` prefix (not
    /// its `…/excerpt/` namespace).
    Wordpress,
    /// Any other namespace, or a prefix never declared.
    Other,
}

impl Ns {
    fn of(uri: &str) -> Self {
        match uri {
            "http://disqus.com" => Self::Disqus,
            "http://disqus.com/disqus-internals" => Self::DisqusInternals,
            _ if is_wxr_namespace(uri) => Self::Wordpress,
            _ => Self::Other,
        }
    }

    fn resolved(r: &ResolveResult<'_>) -> Self {
        match r {
            ResolveResult::Unbound => Self::None,
            ResolveResult::Bound(ns) => Self::of(ns.as_ref()),
            ResolveResult::Unknown(_) => Self::Other,
        }
    }
}

/// `http://wordpress.org/export/1.0/`, `…/1.1/`, `…/1.2/` and later 1.x.
pub(crate) fn is_wxr_namespace(uri: &str) -> bool {
    uri.strip_prefix("http://wordpress.org/export/1.")
        .and_then(|rest| rest.strip_suffix('/'))
        .is_some_and(|minor| !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit()))
}

/// An attribute: its name as written, its namespace and local name, and
/// its unescaped value.
#[derive(Clone, Debug)]
pub(crate) struct Attr {
    pub qname: String,
    pub ns: Ns,
    pub local: String,
    pub value: String,
}

/// An element just opened.
#[derive(Clone, Debug)]
pub(crate) struct Tag {
    pub ns: Ns,
    /// The local name (without prefix).
    pub name: String,
    /// Where its `<` is.
    pub at: Pos,
    pub attrs: Vec<Attr>,
}

impl Tag {
    /// Whether this is `name` in one of `namespaces`.
    pub fn is(&self, namespaces: &[Ns], name: &str) -> bool {
        self.name == name && namespaces.contains(&self.ns)
    }

    /// The value of the attribute `local` in namespace `ns`, or written
    /// with the prefix `prefix` when that prefix was never declared.
    pub fn attr(&self, ns: Ns, prefix: &str, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| {
                a.local == local
                    && (a.ns == ns
                        || (a.ns == Ns::Other
                            && a.qname.split_once(':').map(|p| p.0) == Some(prefix)))
            })
            .map(|a| a.value.as_str())
    }
}

/// What `XmlReader::next` reports: text is never an event, it goes where
/// the caller asks (or nowhere).
pub(crate) enum XmlEvent {
    Open(Tag),
    Close,
    Eof,
}

/// quick-xml's namespace-aware reader with what the formats need on top:
/// positions as lines and columns, the stack of open elements (to say where
/// a truncated file ended), text gathered across text, CDATA and entity
/// events, and elements skipped whole.
pub(crate) struct XmlReader<R: Read> {
    reader: NsReader<LineCounter<R>>,
    buf: Vec<u8>,
    /// The open elements' names and places (quick-xml keeps as much).
    open: Vec<(String, Pos)>,
}

impl<R: Read> XmlReader<R> {
    pub fn new(input: R) -> Self {
        let mut reader = NsReader::from_reader(LineCounter::new(input));
        let config = reader.config_mut();
        // `<a/>` arrives as an opening and a closing, so one code path reads both.
        config.expand_empty_elements = true;
        config.check_end_names = true;
        Self {
            reader,
            buf: Vec::new(),
            open: Vec::new(),
        }
    }

    /// How many elements are open.
    pub fn depth(&self) -> usize {
        self.open.len()
    }

    fn position(&self, at: u64) -> Pos {
        self.reader.get_ref().pos(at)
    }

    fn xml_error(&self, e: &quick_xml::Error) -> ImportError {
        let at = self.position(self.reader.error_position());
        let message = match e {
            quick_xml::Error::IllFormed(quick_xml::errors::IllFormedError::UnclosedReference) => {
                "malformed XML: a bare & (XML wants &amp;, or the text in CDATA)".to_owned()
            }
            e => format!("malformed XML: {e}"),
        };
        ImportError::at(at, message)
    }

    /// The next element opened or closed, with the text before it appended
    /// to `text` if given. An error at the end of the file if elements are
    /// still open.
    pub fn next(&mut self, mut text: Option<&mut String>) -> Result<XmlEvent, ImportError> {
        loop {
            let start = self.reader.buffer_position();
            self.reader.get_mut().set_mark(start);
            self.buf.clear();
            let (ns, event) = match self.reader.read_resolved_event_into(&mut self.buf) {
                Ok((ns, event)) => (Ns::resolved(&ns), event),
                Err(e) => return Err(self.xml_error(&e)),
            };
            match event {
                Event::Start(e) => {
                    let at = self.reader.get_ref().pos(start);
                    let name = e.local_name().as_ref().to_owned();
                    let attrs = attributes(&self.reader, &e, at)?;
                    self.open.push((name.clone(), at));
                    return Ok(XmlEvent::Open(Tag {
                        ns,
                        name,
                        at,
                        attrs,
                    }));
                }
                Event::End(_) => {
                    self.open.pop();
                    return Ok(XmlEvent::Close);
                }
                Event::Text(t) => {
                    if let Some(out) = text.as_deref_mut() {
                        out.push_str(&t.xml10_content());
                    }
                }
                Event::CData(t) => {
                    if let Some(out) = text.as_deref_mut() {
                        out.push_str(&t.xml10_content());
                    }
                }
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => Some(c.to_string()),
                        Ok(None) => quick_xml::escape::resolve_xml_entity(&r).map(str::to_owned),
                        Err(_) => None,
                    };
                    let Some(resolved) = resolved else {
                        let at = self.reader.get_ref().pos(start);
                        return Err(ImportError::at(at, format!("unknown entity &{};", &*r)));
                    };
                    if let Some(out) = text.as_deref_mut() {
                        out.push_str(&resolved);
                    }
                }
                Event::Eof => {
                    if let Some((name, at)) = self.open.last() {
                        let end = self.position(self.reader.buffer_position());
                        return Err(ImportError::at(
                            end,
                            format!(
                                "the file ends inside <{name}> (opened at {at}): is it truncated?"
                            ),
                        ));
                    }
                    return Ok(XmlEvent::Eof);
                }
                Event::Empty(_)
                | Event::Comment(_)
                | Event::Decl(_)
                | Event::PI(_)
                | Event::DocType(_) => {}
            }
        }
    }

    /// The root element, or an error if the file has none.
    pub fn root(&mut self) -> Result<Tag, ImportError> {
        match self.next(None)? {
            XmlEvent::Open(tag) => Ok(tag),
            XmlEvent::Close | XmlEvent::Eof => {
                let end = self.position(self.reader.buffer_position());
                Err(ImportError::at(
                    end,
                    "no XML element: the file is empty or not XML",
                ))
            }
        }
    }

    /// The next element opened inside the current one, or `None` at the
    /// current one's end (its text is dropped).
    pub fn child(&mut self) -> Result<Option<Tag>, ImportError> {
        match self.next(None)? {
            XmlEvent::Open(tag) => Ok(Some(tag)),
            XmlEvent::Close | XmlEvent::Eof => Ok(None),
        }
    }

    /// Reads to the end of the element just opened, ignoring its content.
    pub fn skip(&mut self) -> Result<(), ImportError> {
        let depth = self.depth();
        while self.depth() >= depth {
            if let XmlEvent::Eof = self.next(None)? {
                break;
            }
        }
        Ok(())
    }

    /// The text of the element just opened, to its end (the text of
    /// elements inside it is left out).
    pub fn text(&mut self) -> Result<String, ImportError> {
        let mut out = String::new();
        loop {
            match self.next(Some(&mut out))? {
                XmlEvent::Open(_) => self.skip()?,
                XmlEvent::Close | XmlEvent::Eof => return Ok(out),
            }
        }
    }
}

/// The attributes of `e`, resolved and unescaped.
fn attributes<R>(
    reader: &NsReader<R>,
    e: &BytesStart<'_>,
    at: Pos,
) -> Result<Vec<Attr>, ImportError> {
    let mut out = Vec::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|err| ImportError::at(at, format!("malformed XML: {err}")))?;
        let (ns, local) = reader.resolver().resolve_attribute(attr.key);
        // Attribute values are normalised as XML 1.0 says (every file here is 1.0).
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| ImportError::at(at, format!("malformed XML: {err}")))?;
        out.push(Attr {
            qname: attr.key.as_ref().to_owned(),
            ns: Ns::resolved(&ns),
            local: local.as_ref().to_owned(),
            value: value.into_owned(),
        });
    }
    Ok(out)
}

/// `true`/`false` (or `1`/`0`, any case), as Disqus writes its flags.
pub(crate) fn flag(text: &str, at: Pos, field: &str) -> Result<bool, ImportError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" | "" => Ok(false),
        other => Err(ImportError::at(
            at,
            format!("<{field}> is {other:?}: expected true or false"),
        )),
    }
}

/// Epoch milliseconds of a civil date and time in UTC, if it exists.
fn civil_ms(date: [i64; 3], time: [i64; 3], millis: i64) -> Option<i64> {
    let [year, month, day] = date;
    let [hour, minute, second] = time;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    let valid = (1..=9999).contains(&year)
        && (1..=days_in_month).contains(&day)
        && (0..24).contains(&hour)
        && (0..60).contains(&minute)
        // 60: a leap second, as ISO 8601 allows.
        && (0..=60).contains(&second);
    if !valid {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm), as `clock::iso_utc` inverts.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + hour * 3600 + minute * 60 + second) * 1000) + millis)
}

/// A run of exactly `n` ASCII digits at the start of `s`, and the rest.
fn digits(s: &str, n: usize) -> Option<(i64, &str)> {
    let head = s.get(..n)?;
    if !head.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((head.parse().ok()?, &s[n..]))
}

/// `YYYY-MM-DD HH:MM:SS` or ISO 8601's `YYYY-MM-DDTHH:MM[:SS[.fff]]`, with
/// `Z`, an offset (`+02:00`, `+0200`, `+02`) or nothing (taken as UTC), as
/// epoch milliseconds.
pub(crate) fn parse_datetime(text: &str) -> Option<i64> {
    let s = text.trim();
    let (year, s) = digits(s, 4)?;
    let (month, s) = digits(s.strip_prefix('-')?, 2)?;
    let (day, s) = digits(s.strip_prefix('-')?, 2)?;
    let s = s.strip_prefix(['T', 't', ' '])?;
    let (hour, s) = digits(s, 2)?;
    let (minute, mut s) = digits(s.strip_prefix(':')?, 2)?;
    let mut second = 0;
    if let Some(rest) = s.strip_prefix(':') {
        (second, s) = digits(rest, 2)?;
    }
    let mut millis = 0;
    if let Some(rest) = s.strip_prefix(['.', ',']) {
        let n = rest.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        let (fraction, rest) = rest.split_at(n);
        // Milliseconds: the first three digits, padded.
        millis = fraction
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(3)
            .fold(0, |ms, b| ms * 10 + i64::from(b - b'0'));
        s = rest;
    }
    let offset_minutes = match s {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match s.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let (hours, rest) = digits(&s[1..], 2)?;
            let rest = rest.strip_prefix(':').unwrap_or(rest);
            let minutes = if rest.is_empty() {
                0
            } else {
                let (m, rest) = digits(rest, 2)?;
                if !rest.is_empty() {
                    return None;
                }
                m
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            sign * (hours * 60 + minutes)
        }
    };
    let local = civil_ms([year, month, day], [hour, minute, second], millis)?;
    Some(local - offset_minutes * 60_000)
}

/// Text the readers keep (names, addresses, titles, Isso's Markdown):
/// line ends as `\n`, no control characters but newlines and tabs, none of
/// the bidirectional overrides our parsers refuse.
pub(crate) fn clean_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\n' | '\t' => out.push(c),
            c if html::forbidden(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// A one-line field: cleaned, whitespace runs as one space, trimmed.
pub(crate) fn one_line(text: &str) -> String {
    clean_text(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// An author's name, or `ANONYMOUS`.
pub(crate) fn author_or_anonymous(name: &str) -> String {
    let name = one_line(name);
    if name.is_empty() {
        ANONYMOUS.to_owned()
    } else {
        name
    }
}

/// An address if there is one.
pub(crate) fn optional(text: &str) -> Option<String> {
    Some(one_line(text)).filter(|s| !s.is_empty())
}

/// A record, or the reason it is skipped when its body came out empty
/// (deleted comments keep their place with `DELETED_BODY`).
pub(crate) fn finish(mut record: Record, deleted: bool) -> Item {
    if record.body.trim().is_empty() {
        if deleted {
            record.body = DELETED_BODY.to_owned();
        } else {
            return Item::Skipped(Skipped {
                source_id: record.source_id,
                reason: "its text is empty once converted".to_owned(),
            });
        }
    }
    Item::Record(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_by_name() {
        for f in Format::ALL {
            assert_eq!(Format::parse(f.as_str()), Ok(f));
            assert_eq!(f.as_str().parse::<Format>(), Ok(f));
            let by_clap = <Format as clap::ValueEnum>::from_str(f.as_str(), false);
            assert_eq!(by_clap, Ok(f));
        }
        assert_eq!(Format::parse("WordPress"), Ok(Format::Wxr));
        assert_eq!(
            <Format as clap::ValueEnum>::from_str("wordpress", false),
            Ok(Format::Wxr)
        );
        let e = Format::parse("blogger").unwrap_err();
        assert!(e.contains("disqus, wxr, isso, own"), "{e}");
    }

    #[test]
    fn errors_say_where() {
        let e = ImportError::at(
            Pos {
                line: 12,
                column: 5,
            },
            "bad",
        );
        assert_eq!(e.to_string(), "line 12, column 5: bad");
        assert_eq!(ImportError::file("bad").to_string(), "bad");
        assert_eq!(String::from(e), "line 12, column 5: bad");
    }

    #[test]
    fn dates_parse_to_utc_milliseconds() {
        assert_eq!(parse_datetime("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_datetime("2012-12-12T12:12:12Z"),
            Some(1_355_314_332_000)
        );
        assert_eq!(
            parse_datetime("2012-12-12T12:12:12"),
            Some(1_355_314_332_000)
        );
        assert_eq!(
            parse_datetime("2012-12-12 12:12:12"),
            Some(1_355_314_332_000)
        );
        assert_eq!(
            parse_datetime("2012-12-12T14:12:12.5+02:00"),
            Some(1_355_314_332_500)
        );
        assert_eq!(
            parse_datetime("2012-12-12T07:12:12.123456-0500"),
            Some(1_355_314_332_123)
        );
        assert_eq!(parse_datetime("2000-02-29 00:00:00"), Some(951_782_400_000));
        for bad in [
            "",
            "0000-00-00 00:00:00",
            "2001-02-29 00:00:00",
            "2012-13-01T00:00:00Z",
            "2012-12-12T24:00:00Z",
            "2012-12-12",
            "12/12/2012 12:12",
            "2012-12-12T12:12:12Q",
            "2012-12-12T12:12:12.Z",
            "２０１２-12-12T12:12:12Z",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }

    #[test]
    fn lines_and_columns_count_characters() {
        let text = "ab\nçé<x>\n\n  <y/>";
        let mut r = XmlReader::new(text.as_bytes());
        let XmlEvent::Open(x) = r.next(None).unwrap() else {
            panic!("x")
        };
        assert_eq!(x.at, Pos { line: 2, column: 3 });
        assert!(matches!(r.next(None).unwrap(), XmlEvent::Open(_)));
        assert_eq!(r.depth(), 2);
    }

    #[test]
    fn text_gathers_cdata_and_entities() {
        let mut r = XmlReader::new(
            "<a>x &amp; &#233;&#x263A;<![CDATA[<p>&amp;</p>]]><b>no</b>!</a>".as_bytes(),
        );
        assert!(matches!(r.root().unwrap(), Tag { .. }));
        assert_eq!(r.text().unwrap(), "x & é☺<p>&amp;</p>!");
        assert!(matches!(r.next(None).unwrap(), XmlEvent::Eof));
    }

    #[test]
    fn unknown_entities_and_truncation_are_errors_with_places() {
        let mut r = XmlReader::new("<a>\n  x &nbsp; y</a>".as_bytes());
        r.root().unwrap();
        let e = r.text().unwrap_err();
        assert_eq!(e.position, "line 2, column 5");
        assert!(e.message.contains("&nbsp;"), "{e}");

        let mut r = XmlReader::new("<a>\n <b>text".as_bytes());
        r.root().unwrap();
        let e = r.text().unwrap_err();
        assert_eq!(e.position, "line 2, column 9");
        assert!(
            e.message
                .contains("inside <b> (opened at line 2, column 2)"),
            "{e}"
        );
    }

    #[test]
    fn text_is_cleaned() {
        assert_eq!(clean_text("a\r\nb\rc\u{0}\u{202E}d\te"), "a\nb\ncd\te");
        assert_eq!(one_line("  Ana \n  Lí "), "Ana Lí");
        assert_eq!(author_or_anonymous(" \t"), ANONYMOUS);
        assert_eq!(optional("  "), None);
    }
}
