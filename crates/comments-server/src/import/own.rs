//! Our own export, `comments-server export`'s JSON Lines, both ways: what
//! a line holds (`Header`, `Entry`, `Trailer`), and `OwnReader`, which
//! reads a file back as a stream, one line at a time.
//!
//! The file is UTF-8, one JSON object per line, `\n` after each:
//!
//! 1. the header, `{"format":"comments-export","version":1}`;
//! 2. one `Entry` per comment, oldest id first, every status (`approved`,
//!    `pending`, `rejected`, and `deleted`: removed comments kept a day,
//!    or erased ones, blank, that replies still answer), with its id, its
//!    parent's id, its thread key, its dates, its staff label and when it
//!    was featured;
//! 3. the trailer, `{"end":N}`, N the number of comments: without it the
//!    file was cut short.
//!
//! Unlike the other formats an entry is ours already: its body is our
//! Markdown, its thread a key. Nothing else is accepted: an unknown field,
//! a missing one, a line that is not JSON or not one of these is an error
//! naming the line, and so is a file without the trailer.

use super::ImportError;
use crate::store::ExportedComment;
use serde::{Deserialize, Serialize};
use std::io::BufRead;

/// The header's `format`.
pub const FORMAT: &str = "comments-export";
/// The header's `version`: the one this server writes and reads.
pub const VERSION: u32 = 1;
/// The longest line read: a comment of 5,000 four-byte characters,
/// escaped, is well under it. Longer lines are not ours.
const MAX_LINE: usize = 1024 * 1024;

/// The first line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub format: String,
    pub version: u32,
}

impl Header {
    pub fn current() -> Self {
        Self {
            format: FORMAT.to_owned(),
            version: VERSION,
        }
    }
}

/// The last line: how many comments the file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trailer {
    pub end: u64,
}

/// One comment, as `export` writes it and `import own` reads it: the
/// store's own record of it, line for line.
pub type Entry = ExportedComment;

/// The checks a line passes beyond its shape: what no export of ours
/// holds is a sign of another file, or of a hand edit gone wrong.
fn check(entry: &Entry) -> Result<(), String> {
    if entry.id < 1 {
        return Err(format!("id {} is not a comment id (1 or more)", entry.id));
    }
    if entry.parent.is_some_and(|p| p < 1 || p == entry.id) {
        return Err(format!("comment {} has an impossible parent", entry.id));
    }
    if entry.created_at < 0 || entry.decided_at.is_some_and(|d| d < 0) {
        return Err(format!("comment {} has a date before 1970", entry.id));
    }
    Ok(())
}

/// Reads an export line by line: the header first, then yields each
/// comment, then checks the trailer. An error ends the reading.
pub struct OwnReader<R: BufRead> {
    input: R,
    line: u64,
    buf: Vec<u8>,
    started: bool,
    finished: bool,
    comments: u64,
}

impl<R: BufRead> OwnReader<R> {
    pub fn new(input: R) -> Self {
        Self {
            input,
            line: 0,
            buf: Vec::new(),
            started: false,
            finished: false,
            comments: 0,
        }
    }

    /// The next line into `buf`, without its line end; `false` at the end
    /// of the file.
    fn read_line(&mut self) -> Result<bool, ImportError> {
        self.buf.clear();
        let mut any = false;
        loop {
            let available = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(ImportError::at(
                        format!("line {}", self.line + 1),
                        format!("cannot read the file: {e}"),
                    ));
                }
            };
            if available.is_empty() {
                break;
            }
            any = true;
            let (take, done) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (i, true),
                None => (available.len(), false),
            };
            if self.buf.len() + take > MAX_LINE {
                return Err(ImportError::at(
                    format!("line {}", self.line + 1),
                    format!(
                        "a line over {} KiB: not an export of comments-server",
                        MAX_LINE / 1024
                    ),
                ));
            }
            self.buf.extend_from_slice(&available[..take]);
            self.input.consume(if done { take + 1 } else { take });
            if done {
                break;
            }
        }
        if !any {
            return Ok(false);
        }
        self.line += 1;
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        Ok(true)
    }

    /// A JSON error on the current line, with its place.
    fn json_error(&self, e: &serde_json::Error, what: &str) -> ImportError {
        ImportError::at(
            format!("line {}, column {}", self.line, e.column().max(1)),
            format!("{what}: {}", serde_message(e)),
        )
    }

    fn header(&mut self) -> Result<(), ImportError> {
        let expected = "not an export of comments-server: its first line must be \
                        {\"format\":\"comments-export\",\"version\":1}";
        if !self.read_line()? {
            return Err(ImportError::file(format!("the file is empty: {expected}")));
        }
        let header: Header = serde_json::from_slice(&self.buf).map_err(|e| {
            ImportError::at(
                format!("line {}", self.line),
                format!("{expected} ({})", serde_message(&e)),
            )
        })?;
        if header.format != FORMAT {
            return Err(ImportError::at(
                "line 1",
                format!("the format is {:?}, not {FORMAT:?}", header.format),
            ));
        }
        if header.version != VERSION {
            return Err(ImportError::at(
                "line 1",
                format!(
                    "version {} of the export format: this server reads version {VERSION}",
                    header.version
                ),
            ));
        }
        Ok(())
    }

    /// Reads to the next comment; `None` after the trailer.
    fn advance(&mut self) -> Result<Option<Entry>, ImportError> {
        if !self.started {
            self.started = true;
            self.header()?;
        }
        loop {
            if !self.read_line()? {
                return Err(ImportError::at(
                    format!("line {}", self.line + 1),
                    format!(
                        "the file ends after {} comment(s) without the export's last line \
                         ({{\"end\":N}}): is it truncated?",
                        self.comments
                    ),
                ));
            }
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let entry = match serde_json::from_slice::<Entry>(&self.buf) {
                Ok(entry) => entry,
                Err(e) => match serde_json::from_slice::<Trailer>(&self.buf) {
                    Ok(trailer) => {
                        self.trailer(trailer)?;
                        return Ok(None);
                    }
                    Err(_) => return Err(self.json_error(&e, "not a comment of our export")),
                },
            };
            check(&entry).map_err(|m| ImportError::at(format!("line {}", self.line), m))?;
            self.comments += 1;
            return Ok(Some(entry));
        }
    }

    /// Checks the count, and that nothing follows.
    fn trailer(&mut self, trailer: Trailer) -> Result<(), ImportError> {
        if trailer.end != self.comments {
            return Err(ImportError::at(
                format!("line {}", self.line),
                format!(
                    "the export's last line counts {} comment(s), the file holds {}",
                    trailer.end, self.comments
                ),
            ));
        }
        while self.read_line()? {
            if !self.buf.iter().all(u8::is_ascii_whitespace) {
                return Err(ImportError::at(
                    format!("line {}", self.line),
                    "text after the export's last line",
                ));
            }
        }
        Ok(())
    }
}

impl<R: BufRead> Iterator for OwnReader<R> {
    type Item = Result<Entry, ImportError>;

    /// The next comment, or the file's error (after which nothing more).
    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let next = self.advance();
        if !matches!(next, Ok(Some(_))) {
            self.finished = true;
        }
        next.transpose()
    }
}

/// serde's message without its ` at line 1 column N` (each line is read
/// alone: the reader says where).
fn serde_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rsplit_once(" at line ") {
        Some((message, _)) => message.to_owned(),
        None => text,
    }
}

/// The header line, without its `\n`.
pub fn header_line() -> String {
    // A struct of two plain fields always serialises.
    serde_json::to_string(&Header::current()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Disposition;

    fn entry(id: i64, parent: Option<i64>) -> Entry {
        Entry {
            id,
            thread: "blog/post".into(),
            page_title: "A post".into(),
            page_url: "https://blog.example/post".into(),
            author: "Ana".into(),
            body: "Hello *there*.\n\nTwo \"quotes\" and é.".into(),
            status: Disposition::Approved,
            created_at: 1_700_000_000_000,
            decided_at: Some(1_700_000_100_000),
            parent,
            staff: String::new(),
            featured_at: None,
        }
    }

    fn file(entries: &[Entry]) -> String {
        let mut out = header_line() + "\n";
        for e in entries {
            out += &serde_json::to_string(e).unwrap();
            out.push('\n');
        }
        out += &serde_json::to_string(&Trailer {
            end: entries.len() as u64,
        })
        .unwrap();
        out.push('\n');
        out
    }

    fn read(text: &str) -> Result<Vec<Entry>, ImportError> {
        OwnReader::new(text.as_bytes()).collect()
    }

    fn error(text: &str) -> ImportError {
        match read(text) {
            Err(e) => e,
            Ok(items) => panic!("no error: {items:?}"),
        }
    }

    #[test]
    fn what_is_written_reads_back() {
        let mut deleted = entry(3, Some(1));
        deleted.status = Disposition::Deleted;
        deleted.author.clear();
        deleted.body.clear();
        let entries = vec![entry(1, None), entry(2, Some(1)), deleted];
        let text = file(&entries);
        assert!(text.starts_with("{\"format\":\"comments-export\",\"version\":1}\n"));
        assert!(text.contains("\"status\":\"deleted\""), "{text}");
        assert!(text.ends_with("{\"end\":3}\n"));
        assert_eq!(read(&text).unwrap(), entries);
        // CRLF line ends and blank lines are tolerated.
        assert_eq!(read(&text.replace('\n', "\r\n\n")).unwrap(), entries);
        assert_eq!(read(&file(&[])).unwrap(), []);
    }

    #[test]
    fn other_files_are_refused_at_their_first_line() {
        let e = error("");
        assert!(e.message.contains("the file is empty"), "{e}");
        let e = error("<?xml version=\"1.0\"?>\n<disqus/>\n");
        assert_eq!(e.position, "line 1");
        assert!(
            e.message.contains("not an export of comments-server"),
            "{e}"
        );
        let e = error("{\"format\":\"other\",\"version\":1}\n");
        assert!(e.message.contains("\"other\""), "{e}");
        let e = error("{\"format\":\"comments-export\",\"version\":2}\n{\"end\":0}\n");
        assert!(e.message.contains("version 2"), "{e}");
        let e = error("{\"format\":\"comments-export\",\"version\":1,\"extra\":true}\n");
        assert!(e.message.contains("unknown field"), "{e}");
        let binary = b"SQLite format 3\0\x10\x00\x01\x01\xff\xfe";
        let e = OwnReader::new(&binary[..]).find_map(Result::err);
        assert!(e.is_some_and(|e| e.position == "line 1"));
    }

    #[test]
    fn bad_lines_say_where() {
        let good = file(&[entry(1, None), entry(2, Some(1))]);
        // A field of another type.
        let e = error(&good.replacen("\"id\":2", "\"id\":\"2\"", 1));
        assert!(e.position.starts_with("line 3, column "), "{e}");
        assert!(e.message.contains("not a comment of our export"), "{e}");
        // An unknown field; a missing one; an unknown status.
        let e = error(&good.replacen("\"staff\":\"\"", "\"staff\":\"\",\"x\":1", 1));
        assert!(e.position.starts_with("line 2, "), "{e}");
        assert!(e.message.contains("unknown field `x`"), "{e}");
        let e = error(&good.replacen(",\"staff\":\"\"", "", 1));
        assert!(e.message.contains("missing field `staff`"), "{e}");
        let e = error(&good.replacen("approved", "spam", 1));
        assert!(e.message.contains("unknown variant `spam`"), "{e}");
        // Not JSON at all.
        let e = error(&good.replacen("{\"id\":2", "{\"id\":2,,", 1));
        assert!(e.position.starts_with("line 3, column "), "{e}");
        // Impossible values.
        let e = error(&good.replacen("\"id\":1", "\"id\":0", 1));
        assert_eq!(e.position, "line 2");
        let e = error(&good.replacen("\"parent\":1", "\"parent\":2", 1));
        assert!(e.message.contains("impossible parent"), "{e}");
        // A line too long to be ours.
        let long = good.replacen("Ana", &"a".repeat(MAX_LINE), 1);
        let e = error(&long);
        assert!(e.message.contains("a line over 1024 KiB"), "{e}");
    }

    #[test]
    fn a_truncated_file_is_noticed() {
        let good = file(&[entry(1, None), entry(2, Some(1))]);
        // Cut at a line's end: the trailer is missing.
        let cut = &good[..good.find("{\"end\"").unwrap()];
        let e = error(cut);
        assert_eq!(e.position, "line 4");
        assert!(e.message.contains("after 2 comment(s)"), "{e}");
        assert!(e.message.contains("truncated"), "{e}");
        // Cut inside a line.
        let e = error(&good[..good.len() / 2]);
        assert!(
            e.position.starts_with("line 2, column ") || e.position.starts_with("line 3, column "),
            "{e}"
        );
        // A trailer that does not count what the file holds.
        let e = error(&good.replace("{\"end\":2}", "{\"end\":3}"));
        assert!(
            e.message.contains("counts 3 comment(s), the file holds 2"),
            "{e}"
        );
        // Anything after the trailer.
        let e = error(&(good.clone() + "{\"end\":2}\n"));
        assert!(e.message.contains("after the export's last line"), "{e}");
    }
}
