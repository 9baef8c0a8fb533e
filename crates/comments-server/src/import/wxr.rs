//! WordPress's export (WXR: RSS 2.0 with the `wp:` namespace
//! `http://wordpress.org/export/1.N/`, 1.0 to 1.2 seen), read as a stream:
//! `<rss><channel>` holds `<item>`s, one per post or page (`<title>`,
//! `<link>`, `<wp:post_id>`), each with its `<wp:comment>`s after those
//! fields: `wp:comment_id`, `wp:comment_author`, `wp:comment_author_email`,
//! `wp:comment_date_gmt` (`YYYY-MM-DD HH:MM:SS`), `wp:comment_date` (the
//! site's local time), `wp:comment_content` (HTML, newlines as `wpautop`
//! reads them), `wp:comment_approved` (`1`, `0` pending, `spam`, `trash`,
//! `post-trashed`), `wp:comment_type` (empty or `comment` for a comment;
//! `pingback`, `trackback` and plugins' own types are not comments) and
//! `wp:comment_parent` (`0` for none).
//!
//! Each comment is yielded as it closes, with the thread its item has
//! named so far; nothing is kept between comments but the item's title,
//! link and id.

use super::{
    ImportError, ImportStatus, Item, Ns, Pos, Record, Skipped, SourceThread, Tag, XmlEvent,
    XmlReader, author_or_anonymous, finish, is_wxr_namespace, one_line, optional, parse_datetime,
};
use crate::import::html::{Newlines, to_markdown};
use std::io::Read;

const WP: &[Ns] = &[Ns::Wordpress];
const RSS: &[Ns] = &[Ns::None];

/// A WordPress export's comments, one item per `<wp:comment>`, in file order.
pub struct WxrReader<R: Read> {
    xml: XmlReader<R>,
    /// The thread of the `<item>` being read.
    thread: SourceThread,
    started: bool,
    finished: bool,
}

impl<R: Read> WxrReader<R> {
    pub fn new(input: R) -> Self {
        Self {
            xml: XmlReader::new(input),
            thread: SourceThread::default(),
            started: false,
            finished: false,
        }
    }

    fn start(&mut self) -> Result<(), ImportError> {
        let root = self.xml.root()?;
        if !root.is(RSS, "rss") {
            let hint = if root.name == "disqus" {
                " (a Disqus export? its format is disqus)"
            } else {
                ""
            };
            return Err(ImportError::at(
                root.at,
                format!(
                    "not a WordPress export: the root element is <{}>, not <rss>{hint}",
                    root.name
                ),
            ));
        }
        if !root.attrs.iter().any(|a| is_wxr_namespace(&a.value)) {
            return Err(ImportError::at(
                root.at,
                "not a WordPress export: <rss> declares no http://wordpress.org/export/1.x/ \
                 namespace (a plain RSS feed?)",
            ));
        }
        Ok(())
    }

    /// Reads to the next comment.
    fn advance(&mut self) -> Result<Option<Item>, ImportError> {
        if !self.started {
            self.started = true;
            self.start()?;
        }
        loop {
            let tag = match self.xml.next(None)? {
                XmlEvent::Eof => return Ok(None),
                XmlEvent::Close => continue,
                XmlEvent::Open(tag) => tag,
            };
            match self.xml.depth() {
                // Inside <rss>: the channel, read into.
                2 if tag.is(RSS, "channel") => {}
                // Inside <channel>: an item, read into.
                3 if tag.is(RSS, "item") => self.thread = SourceThread::default(),
                // Inside <item>.
                4 if tag.is(RSS, "title") => self.thread.title = one_line(&self.xml.text()?),
                4 if tag.is(RSS, "link") => self.thread.url = one_line(&self.xml.text()?),
                4 if tag.is(WP, "post_id") => self.thread.id = one_line(&self.xml.text()?),
                4 if tag.is(WP, "comment") => return self.comment(&tag).map(Some),
                _ => self.xml.skip()?,
            }
        }
    }

    /// A `<wp:comment>`, to its end.
    fn comment(&mut self, tag: &Tag) -> Result<Item, ImportError> {
        let mut id = None;
        let mut author = String::new();
        let mut email = String::new();
        let mut date_gmt = None;
        let mut date_local = None;
        let mut content = None;
        let mut approved = None;
        let mut kind = String::new();
        let mut parent = String::new();
        while let Some(t) = self.xml.child()? {
            if t.ns != Ns::Wordpress {
                self.xml.skip()?;
                continue;
            }
            match t.name.as_str() {
                "comment_id" => id = Some(one_line(&self.xml.text()?)),
                "comment_author" => author = self.xml.text()?,
                "comment_author_email" => email = self.xml.text()?,
                "comment_date_gmt" => date_gmt = Some((self.xml.text()?, t.at)),
                "comment_date" => date_local = Some((self.xml.text()?, t.at)),
                "comment_content" => content = Some(self.xml.text()?),
                "comment_approved" => approved = Some((one_line(&self.xml.text()?), t.at)),
                "comment_type" => kind = one_line(&self.xml.text()?),
                "comment_parent" => parent = one_line(&self.xml.text()?),
                _ => self.xml.skip()?,
            }
        }
        let Some(source_id) = id.filter(|id| !id.is_empty()) else {
            return Err(ImportError::at(
                tag.at,
                "<wp:comment> has no <wp:comment_id>",
            ));
        };
        let missing =
            |what: &str| ImportError::at(tag.at, format!("comment {source_id} has no <wp:{what}>"));
        match kind.as_str() {
            "" | "comment" => {}
            "pingback" | "trackback" => {
                return Ok(Item::Skipped(Skipped {
                    source_id,
                    reason: format!("a {kind}, not a comment"),
                }));
            }
            other => {
                return Ok(Item::Skipped(Skipped {
                    source_id,
                    reason: format!("of type {other:?}, not a comment"),
                }));
            }
        }
        let Some((approved, approved_at)) = approved else {
            return Err(missing("comment_approved"));
        };
        let (status, deleted) = match approved.as_str() {
            "1" | "approve" | "approved" => (ImportStatus::Approved, false),
            "0" | "hold" => (ImportStatus::Pending, false),
            "spam" => (ImportStatus::Rejected, false),
            "trash" | "post-trashed" => (ImportStatus::Rejected, true),
            other => {
                return Err(ImportError::at(
                    approved_at,
                    format!(
                        "<wp:comment_approved> is {other:?}: expected 1, 0, spam, trash or post-trashed"
                    ),
                ));
            }
        };
        let Some(content) = content else {
            return Err(missing("comment_content"));
        };
        let created_at = comment_date(date_gmt, date_local).map_err(|e| match e {
            DateError::Missing => missing("comment_date_gmt"),
            DateError::Bad(text, at) => ImportError::at(
                at,
                format!("{text:?} is not a date (expected YYYY-MM-DD HH:MM:SS)"),
            ),
        })?;
        let record = Record {
            source_id,
            parent: Some(parent).filter(|p| !p.is_empty() && p != "0"),
            thread: self.thread.clone(),
            author: author_or_anonymous(&author),
            email: optional(&email),
            created_at,
            status,
            body: to_markdown(&content, Newlines::Break),
        };
        Ok(finish(record, deleted))
    }
}

enum DateError {
    Missing,
    Bad(String, Pos),
}

/// The GMT date, or else the local one taken as UTC (WordPress writes
/// `0000-00-00 00:00:00` for a GMT date it never knew, as in comments
/// imported from elsewhere or kept as drafts).
fn comment_date(
    gmt: Option<(String, Pos)>,
    local: Option<(String, Pos)>,
) -> Result<i64, DateError> {
    let known = |d: &Option<(String, Pos)>| {
        d.as_ref()
            .filter(|(text, _)| !text.trim().is_empty() && !text.trim().starts_with("0000-00-00"))
            .cloned()
    };
    let Some((text, at)) = known(&gmt).or_else(|| known(&local)) else {
        return Err(match gmt.or(local) {
            Some((text, at)) if !text.trim().is_empty() => {
                DateError::Bad(text.trim().to_owned(), at)
            }
            _ => DateError::Missing,
        });
    };
    parse_datetime(&text).ok_or_else(|| DateError::Bad(text.trim().to_owned(), at))
}

impl<R: Read> Iterator for WxrReader<R> {
    type Item = Result<Item, ImportError>;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::DELETED_BODY;

    const SAMPLE: &str = include_str!("samples/wordpress.xml");

    fn read(xml: &str) -> Result<Vec<Item>, ImportError> {
        WxrReader::new(xml.as_bytes()).collect()
    }

    fn error(xml: &str) -> ImportError {
        match read(xml) {
            Err(e) => e,
            Ok(items) => panic!("no error: {items:?}"),
        }
    }

    #[test]
    fn the_sample_reads_to_the_expected_records() {
        let items = read(SAMPLE).unwrap();
        let jam = SourceThread {
            id: "41".into(),
            url: "https://jardin.example/2023/09/confiture-de-figues/".into(),
            title: "Confiture de figues & noix".into(),
        };
        let hedge = SourceThread {
            id: "57".into(),
            url: "https://jardin.example/2023/11/tailler-la-haie/".into(),
            title: "Tailler la haie en novembre ?".into(),
        };
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
        let skipped = |id: &str, reason: &str| {
            Item::Skipped(Skipped {
                source_id: id.into(),
                reason: reason.into(),
            })
        };
        let expected = vec![
            rec(
                "101",
                None,
                &jam,
                "Josiane",
                Some("josiane@mail.example"),
                1_694_599_200_000,
                ImportStatus::Approved,
                "Recette testée hier, un régal !\nJ’ai mis moins de sucre.\n\nEt **un peu** de \
                 [cannelle](https://epices.example/cannelle).",
            ),
            rec(
                "102",
                Some("101"),
                &jam,
                "Admin du jardin",
                Some("admin@jardin.example"),
                1_694_606_400_000,
                ImportStatus::Approved,
                "Merci Josiane ! Combien de grammes ?",
            ),
            rec(
                "103",
                Some("102"),
                &jam,
                "Josiane",
                Some("josiane@mail.example"),
                1_694_613_600_000,
                ImportStatus::Pending,
                "500 g pour 1 kg de figues.\n\\* et du citron",
            ),
            rec(
                "104",
                None,
                &jam,
                "Casino Bonus",
                Some("win@casino.example"),
                1_694_620_800_000,
                ImportStatus::Rejected,
                "Gagnez <https://casino.example/?ref=wp>",
            ),
            skipped("105", "a pingback, not a comment"),
            rec(
                "201",
                None,
                &hedge,
                "Anonymous",
                None,
                1_699_002_000_000,
                ImportStatus::Approved,
                "Pas avant les gelées ?",
            ),
            rec(
                "202",
                Some("201"),
                &hedge,
                "René",
                Some("rene@mail.example"),
                1_699_011_000_000,
                ImportStatus::Rejected,
                DELETED_BODY,
            ),
            rec(
                "203",
                Some("201"),
                &hedge,
                "Admin du jardin",
                Some("admin@jardin.example"),
                1_699_016_400_000,
                ImportStatus::Approved,
                "Si : fin novembre, par temps sec. Voir `taille douce`.",
            ),
            skipped("204", "of type \"order_note\", not a comment"),
        ];
        assert_eq!(items.len(), expected.len(), "{items:#?}");
        for (got, want) in items.iter().zip(&expected) {
            assert_eq!(got, want);
        }
    }

    const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" \
                        xmlns:wp=\"http://wordpress.org/export/1.1/\">\n<channel>\n";

    fn comment(fields: &str) -> String {
        format!(
            "{HEAD}<item><title>T</title><link>https://s.example/t</link><wp:post_id>3</wp:post_id>\n\
             <wp:comment>{fields}</wp:comment>\n</item>\n</channel>\n</rss>\n"
        )
    }

    const OK_FIELDS: &str = "<wp:comment_id>9</wp:comment_id>\
        <wp:comment_date_gmt>2020-01-01 00:00:00</wp:comment_date_gmt>\
        <wp:comment_content>hi</wp:comment_content><wp:comment_approved>1</wp:comment_approved>";

    #[test]
    fn a_minimal_comment_reads_in_every_wxr_version() {
        for version in ["1.0", "1.1", "1.2"] {
            let xml = comment(OK_FIELDS).replace("1.1", version);
            let items = read(&xml).unwrap();
            let [Item::Record(r)] = &items[..] else {
                panic!("{items:?}")
            };
            assert_eq!((r.source_id.as_str(), r.parent.as_deref()), ("9", None));
            assert_eq!(r.created_at, 1_577_836_800_000);
            assert_eq!(r.thread.id, "3");
            assert_eq!(r.author, "Anonymous");
        }
    }

    #[test]
    fn other_files_are_not_taken_for_wordpress() {
        let e = error("<?xml version=\"1.0\"?>\n<disqus xmlns=\"http://disqus.com\"/>");
        assert_eq!(e.position, "line 2, column 1");
        assert!(e.message.contains("root element is <disqus>"), "{e}");
        assert!(e.message.contains("disqus)"), "{e}");
        let e =
            error("<rss version=\"2.0\"><channel><item><title>x</title></item></channel></rss>");
        assert_eq!(e.position, "line 1, column 1");
        assert!(e.message.contains("plain RSS feed"), "{e}");
        // WordPress's excerpt namespace alone is not its export namespace.
        let e = error("<rss xmlns:excerpt=\"http://wordpress.org/export/1.2/excerpt/\"/>");
        assert!(e.message.contains("declares no"), "{e}");
    }

    #[test]
    fn dates_fall_back_to_local_time_and_must_parse() {
        let local = OK_FIELDS.replace(
            "<wp:comment_date_gmt>2020-01-01 00:00:00</wp:comment_date_gmt>",
            "<wp:comment_date>2020-01-01 01:00:00</wp:comment_date>\
             <wp:comment_date_gmt>0000-00-00 00:00:00</wp:comment_date_gmt>",
        );
        let Item::Record(r) = &read(&comment(&local)).unwrap()[0] else {
            panic!("record")
        };
        assert_eq!(r.created_at, 1_577_840_400_000);

        let none = OK_FIELDS.replace("2020-01-01 00:00:00", "0000-00-00 00:00:00");
        let e = error(&comment(&none));
        assert!(
            e.message.contains("\"0000-00-00 00:00:00\" is not a date"),
            "{e}"
        );
        assert_eq!(e.position, "line 5, column 45");

        let bad = OK_FIELDS.replace("2020-01-01 00:00:00", "2020-02-30 00:00:00");
        let e = error(&comment(&bad));
        assert!(e.message.contains("\"2020-02-30 00:00:00\""), "{e}");

        let missing = OK_FIELDS.replace(
            "<wp:comment_date_gmt>2020-01-01 00:00:00</wp:comment_date_gmt>",
            "",
        );
        let e = error(&comment(&missing));
        assert_eq!(e.position, "line 5, column 1");
        assert!(
            e.message.contains("comment 9 has no <wp:comment_date_gmt>"),
            "{e}"
        );
    }

    #[test]
    fn missing_fields_and_unknown_statuses_are_errors() {
        let e = error(&comment("<wp:comment_content>x</wp:comment_content>"));
        assert_eq!(e.position, "line 5, column 1");
        assert!(e.message.contains("no <wp:comment_id>"), "{e}");
        let e = error(&comment(
            &OK_FIELDS.replace("<wp:comment_content>hi</wp:comment_content>", ""),
        ));
        assert!(e.message.contains("no <wp:comment_content>"), "{e}");
        let e = error(&comment(
            &OK_FIELDS.replace(">1</wp:comment_approved>", ">maybe</wp:comment_approved>"),
        ));
        assert!(e.message.contains("\"maybe\""), "{e}");
    }

    #[test]
    fn malformed_and_truncated_files_say_where() {
        let full = comment(OK_FIELDS);
        let cut = &full[..full.find("<wp:comment_content>").unwrap_or(0) + 22];
        let e = error(cut);
        assert!(e.message.contains("ends inside <comment_content>"), "{e}");
        assert!(e.position.starts_with("line 5, column "), "{e}");
        let e = error(&full.replace("</item>", "</channel>"));
        assert_eq!(e.position, "line 6, column 1");
        assert!(e.message.contains("malformed XML"), "{e}");
    }

    /// An endless-looking export made on the fly: `items` posts of
    /// `per_item` comments each, produced as it is read.
    struct Generated {
        items: usize,
        per_item: usize,
        item: usize,
        pending: Vec<u8>,
        at: usize,
        done: bool,
    }

    impl Generated {
        fn refill(&mut self) {
            self.pending.clear();
            self.at = 0;
            if self.item == 0 {
                self.pending.extend_from_slice(HEAD.as_bytes());
            }
            if self.item == self.items {
                self.pending.extend_from_slice(b"</channel>\n</rss>\n");
                self.done = true;
                return;
            }
            let i = self.item;
            self.pending.extend_from_slice(
                format!(
                    "<item><title>Post {i}</title><link>https://s.example/{i}</link>\
                     <content:encoded xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\
                     <![CDATA[<p>{}</p>]]></content:encoded><wp:post_id>{i}</wp:post_id>\n",
                    "Lorem ipsum dolor sit amet. ".repeat(20)
                )
                .as_bytes(),
            );
            for c in 0..self.per_item {
                let id = i * self.per_item + c + 1;
                let parent = if c == 0 { 0 } else { id - 1 };
                self.pending.extend_from_slice(
                    format!(
                        "<wp:comment><wp:comment_id>{id}</wp:comment_id>\
                         <wp:comment_author><![CDATA[Reader {id}]]></wp:comment_author>\
                         <wp:comment_author_email>r{id}@mail.example</wp:comment_author_email>\
                         <wp:comment_date>2023-01-01 10:00:00</wp:comment_date>\
                         <wp:comment_date_gmt>2023-01-01 09:00:00</wp:comment_date_gmt>\
                         <wp:comment_content><![CDATA[Comment {id}: <b>bold</b> &amp; text.\n\nSecond paragraph.]]></wp:comment_content>\
                         <wp:comment_approved>1</wp:comment_approved><wp:comment_type>comment</wp:comment_type>\
                         <wp:comment_parent>{parent}</wp:comment_parent></wp:comment>\n"
                    )
                    .as_bytes(),
                );
            }
            self.pending.extend_from_slice(b"</item>\n");
            self.item += 1;
        }
    }

    impl Read for Generated {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.at == self.pending.len() {
                if self.done {
                    return Ok(0);
                }
                self.refill();
            }
            let n = (self.pending.len() - self.at).min(out.len());
            out[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    #[test]
    fn a_large_export_streams() {
        // About 20 MB: 4,000 posts of 10 comments.
        let (items, per_item) = (4_000, 10);
        let input = Generated {
            items,
            per_item,
            item: 0,
            pending: Vec::new(),
            at: 0,
            done: false,
        };
        let mut count = 0;
        let mut last = 0;
        for item in WxrReader::new(input) {
            let Item::Record(r) = item.unwrap() else {
                panic!("skipped")
            };
            count += 1;
            let id: usize = r.source_id.parse().unwrap();
            assert_eq!(id, last + 1);
            last = id;
            if count == 1 || count == items * per_item {
                assert_eq!(
                    r.body,
                    format!("Comment {id}: **bold** & text.\n\nSecond paragraph.")
                );
                assert_eq!(r.created_at, 1_672_563_600_000);
            }
        }
        assert_eq!(count, items * per_item);
    }
}
