//! Disqus's XML export, read as a stream: `<disqus>` (namespace
//! `http://disqus.com`, `dsq:` for `http://disqus.com/disqus-internals`)
//! holds `<category>`s, then `<thread dsq:id>`s (`<id>` the page's
//! identifier, `<link>`, `<title>`), then `<post dsq:id>`s: `<message>` (HTML,
//! usually in CDATA), `<createdAt>` (ISO 8601, UTC), `<isDeleted>`,
//! `<isSpam>`, `<author>` (`<name>`, `<email>`, `<username>`), the
//! `<thread dsq:id/>` it belongs to and, for a reply, `<parent dsq:id/>`.
//!
//! Threads are kept by their `dsq:id` (a site has few; each post's
//! thread is looked up there); posts are yielded as each one closes and
//! nothing is kept of them. A post is approved unless deleted or spam
//! (rejected). The export has no pending state; an `<isApproved>false`
//! (from the API's post objects, found in some hand-made files) is read
//! as pending.

use super::{
    ImportError, ImportStatus, Item, Ns, Record, Skipped, SourceThread, Tag, XmlEvent, XmlReader,
    author_or_anonymous, finish, flag, one_line, optional, parse_datetime,
};
use crate::import::html::{Newlines, to_markdown};
use std::collections::HashMap;
use std::io::Read;

/// Where Disqus's elements are: its namespace, or none in hand-made files.
const DISQUS: &[Ns] = &[Ns::Disqus, Ns::None];

/// A Disqus export's comments, one item per `<post>`, in file order.
pub struct DisqusReader<R: Read> {
    xml: XmlReader<R>,
    threads: HashMap<String, SourceThread>,
    started: bool,
    finished: bool,
}

impl<R: Read> DisqusReader<R> {
    pub fn new(input: R) -> Self {
        Self {
            xml: XmlReader::new(input),
            threads: HashMap::new(),
            started: false,
            finished: false,
        }
    }

    /// Reads to the next post.
    fn advance(&mut self) -> Result<Option<Item>, ImportError> {
        if !self.started {
            self.started = true;
            let root = self.xml.root()?;
            if !root.is(DISQUS, "disqus") {
                let hint = if root.name == "rss" {
                    " (a WordPress export? its format is wxr)"
                } else {
                    ""
                };
                return Err(ImportError::at(
                    root.at,
                    format!(
                        "not a Disqus export: the root element is <{}>, not <disqus>{hint}",
                        root.name
                    ),
                ));
            }
        }
        loop {
            match self.xml.next(None)? {
                XmlEvent::Eof => return Ok(None),
                // The root's end: only the end of the file may follow.
                XmlEvent::Close => {}
                XmlEvent::Open(tag) if self.xml.depth() == 2 && tag.is(DISQUS, "thread") => {
                    self.thread(&tag)?;
                }
                XmlEvent::Open(tag) if self.xml.depth() == 2 && tag.is(DISQUS, "post") => {
                    return self.post(&tag).map(Some);
                }
                XmlEvent::Open(_) => self.xml.skip()?,
            }
        }
    }

    /// A `<thread>` declaration, kept by its `dsq:id`.
    fn thread(&mut self, tag: &Tag) -> Result<(), ImportError> {
        let Some(key) = dsq_id(tag) else {
            return Err(ImportError::at(
                tag.at,
                "<thread> without a dsq:id attribute",
            ));
        };
        let mut thread = SourceThread::default();
        while let Some(t) = self.xml.child()? {
            if t.is(DISQUS, "id") {
                thread.id = one_line(&self.xml.text()?);
            } else if t.is(DISQUS, "link") {
                thread.url = one_line(&self.xml.text()?);
            } else if t.is(DISQUS, "title") {
                thread.title = one_line(&self.xml.text()?);
            } else {
                self.xml.skip()?;
            }
        }
        self.threads.insert(key, thread);
        Ok(())
    }

    /// A `<post>`, to its end.
    fn post(&mut self, tag: &Tag) -> Result<Item, ImportError> {
        let Some(source_id) = dsq_id(tag) else {
            return Err(ImportError::at(tag.at, "<post> without a dsq:id attribute"));
        };
        let mut message = None;
        let mut created = None;
        let mut deleted = false;
        let mut spam = false;
        let mut approved = true;
        let mut name = String::new();
        let mut username = String::new();
        let mut email = String::new();
        let mut thread = None;
        let mut parent = None;
        while let Some(t) = self.xml.child()? {
            if !DISQUS.contains(&t.ns) {
                self.xml.skip()?;
                continue;
            }
            match t.name.as_str() {
                "message" => message = Some(self.xml.text()?),
                "createdAt" => created = Some((self.xml.text()?, t.at)),
                "isDeleted" => deleted = flag(&self.xml.text()?, t.at, "isDeleted")?,
                "isSpam" => spam = flag(&self.xml.text()?, t.at, "isSpam")?,
                "isApproved" => approved = flag(&self.xml.text()?, t.at, "isApproved")?,
                "author" => {
                    while let Some(a) = self.xml.child()? {
                        if a.is(DISQUS, "name") {
                            name = self.xml.text()?;
                        } else if a.is(DISQUS, "username") {
                            username = self.xml.text()?;
                        } else if a.is(DISQUS, "email") {
                            email = self.xml.text()?;
                        } else {
                            self.xml.skip()?;
                        }
                    }
                }
                "thread" => {
                    thread = Some((dsq_id(&t), t.at));
                    self.xml.skip()?;
                }
                "parent" => {
                    parent = dsq_id(&t);
                    self.xml.skip()?;
                }
                _ => self.xml.skip()?,
            }
        }
        let missing = |what: &str| {
            ImportError::at(
                tag.at,
                format!("<post dsq:id=\"{source_id}\"> has no {what}"),
            )
        };
        let thread = match thread {
            Some((Some(key), _)) => key,
            Some((None, at)) => {
                return Err(ImportError::at(at, "<thread> without a dsq:id attribute"));
            }
            None => return Err(missing("<thread>")),
        };
        let Some(message) = message else {
            return Err(missing("<message>"));
        };
        let Some((created, at)) = created else {
            return Err(missing("<createdAt>"));
        };
        let Some(created_at) = parse_datetime(&created) else {
            return Err(ImportError::at(
                at,
                format!("<createdAt> {:?} is not an ISO 8601 date", created.trim()),
            ));
        };
        let Some(thread) = self.threads.get(&thread).cloned() else {
            return Ok(Item::Skipped(Skipped {
                source_id,
                reason: format!("its thread (dsq:id {thread}) is not declared before it"),
            }));
        };
        let status = if deleted || spam {
            ImportStatus::Rejected
        } else if approved {
            ImportStatus::Approved
        } else {
            ImportStatus::Pending
        };
        let author = if one_line(&name).is_empty() {
            username
        } else {
            name
        };
        let record = Record {
            source_id,
            parent: parent.filter(|p| !p.is_empty()),
            thread,
            author: author_or_anonymous(&author),
            email: optional(&email),
            created_at,
            status,
            body: to_markdown(&message, Newlines::Collapse),
        };
        Ok(finish(record, deleted))
    }
}

/// The `dsq:id` attribute, trimmed.
fn dsq_id(tag: &Tag) -> Option<String> {
    tag.attr(Ns::DisqusInternals, "dsq", "id")
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

impl<R: Read> Iterator for DisqusReader<R> {
    type Item = Result<Item, ImportError>;

    /// The next post, or the file's error (after which nothing more).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{DELETED_BODY, Record};

    const SAMPLE: &str = include_str!("samples/disqus.xml");

    fn read(xml: &str) -> Result<Vec<Item>, ImportError> {
        DisqusReader::new(xml.as_bytes()).collect()
    }

    fn error(xml: &str) -> ImportError {
        match read(xml) {
            Err(e) => e,
            Ok(items) => panic!("no error: {items:?}"),
        }
    }

    fn thread(id: &str, url: &str, title: &str) -> SourceThread {
        SourceThread {
            id: id.into(),
            url: url.into(),
            title: title.into(),
        }
    }

    #[test]
    fn the_sample_reads_to_the_expected_records() {
        let items = read(SAMPLE).unwrap();
        let cafe = thread(
            "cafe-2024",
            "https://blog.example/2024/03/cafe-filtre/",
            "Le café filtre, encore",
        );
        let bench = thread(
            "12 https://blog.example/?p=12",
            "https://blog.example/2024/05/bancs-publics/",
            "Bancs publics & jardins",
        );
        let rec = |id: &str,
                   parent: Option<&str>,
                   thread: &SourceThread,
                   author: &str,
                   email: Option<&str>,
                   at: i64,
                   status: ImportStatus,
                   body: &str| {
            Item::Record(Record {
                source_id: id.into(),
                parent: parent.map(Into::into),
                thread: thread.clone(),
                author: author.into(),
                email: email.map(Into::into),
                created_at: at,
                status,
                body: body.into(),
            })
        };
        let expected = vec![
            rec(
                "7001",
                None,
                &cafe,
                "Élodie Marchand",
                Some("elodie@mail.example"),
                1_710_495_000_000,
                ImportStatus::Approved,
                "Très bon article\u{a0}! J’ai essayé la méthode **V60** et c’est *bien* meilleur.\n\nÀ \
                 lire aussi : [le guide](https://cafe.example/guide?x=1\\&y=2).",
            ),
            rec(
                "7002",
                Some("7001"),
                &cafe,
                "Bruno",
                None,
                1_710_498_600_000,
                ImportStatus::Approved,
                "Merci Élodie, quelle mouture ?\n3 \\< 4 & c’est tout.",
            ),
            rec(
                "7003",
                Some("7002"),
                &cafe,
                "Élodie Marchand",
                Some("elodie@mail.example"),
                1_710_502_200_000,
                ImportStatus::Approved,
                "> quelle mouture ?\n\nMoyenne-fine, comme du sable.",
            ),
            rec(
                "7004",
                None,
                &cafe,
                "Cheap Pills",
                Some("spam@spam.example"),
                1_710_505_800_000,
                ImportStatus::Rejected,
                "Buy now: <http://spam.example/pills>",
            ),
            rec(
                "7005",
                Some("7001"),
                &cafe,
                "Anonymous",
                None,
                1_710_509_400_000,
                ImportStatus::Rejected,
                DELETED_BODY,
            ),
            rec(
                "7006",
                None,
                &bench,
                "hugo_l",
                None,
                1_715_000_000_000,
                ImportStatus::Approved,
                "Les bancs du square sont en *chêne* ?\n- oui\n- non",
            ),
            rec(
                "7007",
                Some("7006"),
                &bench,
                "Marie-Claire",
                Some("mc@mail.example"),
                1_715_003_600_000,
                ImportStatus::Approved,
                "En chêne, oui.\nCode : `banc<1>`",
            ),
            Item::Skipped(Skipped {
                source_id: "7008".into(),
                reason: "its text is empty once converted".into(),
            }),
        ];
        assert_eq!(items.len(), expected.len(), "{items:#?}");
        for (got, want) in items.iter().zip(&expected) {
            assert_eq!(got, want);
        }
    }

    const HEAD: &str = "<?xml version=\"1.0\"?>\n<disqus xmlns=\"http://disqus.com\" \
                        xmlns:dsq=\"http://disqus.com/disqus-internals\">\n";

    fn post(fields: &str) -> String {
        format!(
            "{HEAD}<thread dsq:id=\"1\"><id>a</id><link>https://s.example/a</link><title>A</title></thread>\n\
             <post dsq:id=\"9\">{fields}</post>\n</disqus>\n"
        )
    }

    const OK_FIELDS: &str = "<message>hi</message><createdAt>2020-01-01T00:00:00Z</createdAt>\
                             <author><name>N</name></author><thread dsq:id=\"1\"/>";

    #[test]
    fn a_minimal_post_reads() {
        let items = read(&post(OK_FIELDS)).unwrap();
        assert!(
            matches!(&items[..], [Item::Record(r)] if r.body == "hi" && r.created_at == 1_577_836_800_000),
            "{items:?}"
        );
        // Hand-made files without the default namespace read too.
        let bare = post(OK_FIELDS).replace(" xmlns=\"http://disqus.com\"", "");
        assert_eq!(read(&bare).unwrap(), items);
        let undeclared = bare.replace(" xmlns:dsq=\"http://disqus.com/disqus-internals\"", "");
        assert_eq!(read(&undeclared).unwrap(), items);
        // A pending post (not in Disqus's own exports).
        let pending = post(&format!("{OK_FIELDS}<isApproved>false</isApproved>"));
        let Item::Record(r) = &read(&pending).unwrap()[0] else {
            panic!("record")
        };
        assert_eq!(r.status, ImportStatus::Pending);
    }

    #[test]
    fn a_wordpress_file_is_not_taken_for_disqus() {
        let e = error("<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel/></rss>");
        assert_eq!(e.position, "line 2, column 1");
        assert!(e.message.contains("root element is <rss>"), "{e}");
        assert!(e.message.contains("wxr"), "{e}");
        let e = error("");
        assert!(e.message.contains("no XML element"), "{e}");
        let e = error("{\"comments\": []}");
        assert!(e.message.contains("no XML element"), "{e}");
        // An SQLite file (Isso's) given as XML.
        let binary = b"SQLite format 3\0\x10\x00\x01\x01\xff\xfe<\x01\x02>";
        let e = DisqusReader::new(&binary[..]).find_map(Result::err);
        assert!(e.is_some_and(|e| e.message.contains("XML")));
    }

    #[test]
    fn malformed_files_say_where() {
        // A closing tag that does not match.
        let e = error(&post(
            "<message>hi</message>\n  <createdAt>2020-01-01T00:00:00Z</isSpam>",
        ));
        assert_eq!(e.position, "line 5, column 34", "{e}");
        assert!(e.message.contains("malformed XML"), "{e}");
        // A bare ampersand.
        let e = error(&post("<message>fish & chips</message>"));
        assert_eq!(e.position, "line 4, column 32");
        assert!(e.message.contains("bare &"), "{e}");
        // Truncated inside a post.
        let full = post(OK_FIELDS);
        let cut = &full[..full.find("<author>").unwrap_or(0)];
        let e = error(cut);
        assert!(
            e.message
                .contains("ends inside <post> (opened at line 4, column 1)"),
            "{e}"
        );
        assert!(e.message.contains("truncated"), "{e}");
        // Truncated inside a tag.
        let e = error(&full[..full.find("<author>").unwrap_or(0) + 4]);
        assert!(e.position.starts_with("line 4, column "), "{e}");
        // An undeclared entity.
        let e = error(&post("<message>a&nbsp;b</message>"));
        assert!(e.message.contains("&nbsp;"), "{e}");
    }

    #[test]
    fn missing_or_bad_fields_are_errors_at_the_post() {
        let e = error(&post(
            "<createdAt>2020-01-01T00:00:00Z</createdAt><thread dsq:id=\"1\"/>",
        ));
        assert_eq!(e.position, "line 4, column 1");
        assert!(e.message.contains("no <message>"), "{e}");
        let e = error(&post("<message>x</message><thread dsq:id=\"1\"/>"));
        assert!(e.message.contains("no <createdAt>"), "{e}");
        let e = error(&post(
            "<message>x</message><createdAt>2020-01-01</createdAt>",
        ));
        assert!(e.message.contains("no <thread>"), "{e}");
        let e = error(&post(
            "<message>x</message><thread dsq:id=\"1\"/><createdAt>hier</createdAt>",
        ));
        assert_eq!(e.position, "line 4, column 58");
        assert!(
            e.message.contains("\"hier\" is not an ISO 8601 date"),
            "{e}"
        );
        let e = error(&post(&format!("{OK_FIELDS}<isSpam>maybe</isSpam>")));
        assert!(e.message.contains("<isSpam> is \"maybe\""), "{e}");
        let e = error(&post(OK_FIELDS).replace("<post dsq:id=\"9\">", "<post>"));
        assert!(e.message.contains("<post> without a dsq:id"), "{e}");
    }

    #[test]
    fn a_post_on_an_unknown_thread_is_skipped() {
        let items = read(&post(&OK_FIELDS.replace("dsq:id=\"1\"", "dsq:id=\"404\""))).unwrap();
        assert_eq!(
            items,
            [Item::Skipped(Skipped {
                source_id: "9".into(),
                reason: "its thread (dsq:id 404) is not declared before it".into()
            })]
        );
    }
}
