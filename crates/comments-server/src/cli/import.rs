//! `import FORMAT FILE [--dry-run] [--map CSV] [--keep-emails]`: another
//! system's export (Disqus, WordPress's WXR, Isso's database) or our own
//! `export` into the store: mapping the source's threads to our keys,
//! holding each comment to our limits, two passes over the file, batches
//! into the store, and the report.
//!
//! **Thread keys.** A comment's thread gets, in this order:
//!
//! 1. the `--map` CSV's `new` key, from the row whose `old` is the source's
//!    thread identifier (Disqus's `<id>`, WordPress's `wp:post_id`, Isso's
//!    `uri`, our own key), or its URL (`<link>`), or that URL's path;
//! 2. else the path of the thread's URL, as the widget takes it by default
//!    on that page (`location.pathname`): no scheme, host, query or
//!    fragment, `/` when empty, slashes kept, spaces, quotes, `<>{}` and
//!    characters beyond ASCII percent-encoded as a browser does, so that
//!    `https://blog.example/2024/03/café/?utm=x` is `/2024/03/caf%C3%A9/`
//!    (a URL whose path is `/` with a query, as WordPress's `?p=12`
//!    permalinks, names no page by its path and goes on to the next rule);
//! 3. else the source's identifier as it is (Isso's `uri` is a path);
//! 4. our own export keeps its keys.
//!
//! The key must then be a `ThreadKey` (1 to 512 bytes, one line); control
//! characters are dropped first; a thread still without a key is skipped,
//! each of its comments with that reason. The CSV has one `old,new` row a
//! line, fields may be quoted (`"a,b"`, `""` for a quote); blank lines,
//! lines starting with `#` and a first row `old,new` are ignored; any other
//! line that is not two fields, with a `new` that is a key, is an error
//! naming the line.
//!
//! **What is kept.** Dates, names, parents, and the status: approved,
//! pending, rejected (spam and deleted at the source are rejected; our own
//! `deleted` stays deleted). Bodies are our Markdown (the readers convert
//! HTML, `import::html`) and, with names, are held to our limits: a comment
//! over them is skipped with its reason, not cut. Addresses only with
//! `--keep-emails` (the store keeps them for pending comments only, for
//! their publication mail). Our own export also keeps ids (when free),
//! staff labels and editors' picks.
//!
//! **Passes.** The first reads the whole file (streaming) and checks it:
//! a bad file stops here, before anything is written, with the place of the
//! fault. It keeps one 64-bit hash per comment id (to know which parents
//! the file holds, and duplicates) and the thread keys, never the comments.
//! `--dry-run` stops after it and prints its report. The second reads the
//! file again and stores batches of 500 comments, one transaction each; a
//! reply that comes before its parent waits (held in memory: they are few)
//! and is stored once its parent is; a reply whose parent is not in the
//! file (or not in the same thread) is stored at the top level and counted
//! as an orphan. The store remembers each comment's source and id, so a
//! second run adds nothing; our own export brought back into the database
//! it came from adds nothing either (a comment with the same id, date,
//! author and text is taken as there already).

use crate::import::disqus::DisqusReader;
use crate::import::own::{Entry, OwnReader};
use crate::import::wxr::WxrReader;
use crate::import::{Format, ImportError, ImportStatus, Item, Record, Skipped, SourceThread};
use crate::store::sql::SqlStore;
use crate::store::{Disposition, ImportOutcome, ImportedComment, Store};
use comments_api::{Author, CommentBody, Email, ErrorCode, PageContext, ThreadKey};
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

pub struct Options {
    pub dry_run: bool,
    pub map: Option<PathBuf>,
    pub keep_emails: bool,
    /// The name the source's ids are remembered under (default: the
    /// format's), so that two sites' exports of one format do not take
    /// each other's comments for their own.
    pub source: Option<String>,
}

/// Comments per transaction.
const BATCH: usize = 500;
/// Source ids the report names per reason.
const NAMED_PER_REASON: usize = 5;
/// Distinct reasons the report keeps apart; the rest are counted together.
const MAX_REASONS: usize = 50;

pub async fn run(
    store: &SqlStore,
    format: Format,
    file: &Path,
    options: Options,
) -> Result<(), String> {
    let map = match &options.map {
        Some(path) => ThreadMap::load(path)?,
        None => ThreadMap::default(),
    };
    let mapper = Mapper {
        format,
        source: options
            .source
            .clone()
            .unwrap_or_else(|| format.as_str().to_owned()),
        map,
        keep_emails: options.keep_emails,
    };
    let shown = file.display();
    let checked = check(&mapper, file)
        .await
        .map_err(|e| format!("{shown} ({format}): {} Nothing was imported.", sentence(&e)))?;
    if options.dry_run {
        print!(
            "{}",
            report(
                &format!(
                    "Dry run, nothing stored. From {shown} ({format}), an import would bring:"
                ),
                &checked.tally,
                &mapper,
                true,
            )
        );
        return Ok(());
    }
    let mut importer = Importer::new(store, &mapper, &checked).await?;
    let outcome = importer.read(file).await;
    let outcome = match outcome {
        Ok(()) => importer.finish().await,
        Err(e) => Err(e),
    };
    if let Err(e) = outcome {
        let stored = importer.tally.comments;
        return Err(match e {
            Stop::Bad(e) => format!(
                "{shown} ({format}) changed since it was checked: {} {stored} comment(s) were \
                 stored before; run the import again on a whole file to bring the rest (what is \
                 there already is left as it is).",
                sentence(&e)
            ),
            Stop::Store(e) => format!(
                "the database failed: {} {stored} comment(s) were stored before; run the \
                 import again to bring the rest (what is there already is left as it is).",
                sentence(&e)
            ),
        });
    }
    print!(
        "{}",
        report(
            &format!("Imported from {shown} ({format}):"),
            &importer.tally,
            &mapper,
            false,
        )
    );
    Ok(())
}

/// Why a pass stopped.
enum Stop {
    /// The file is bad (or changed between the passes).
    Bad(ImportError),
    Store(String),
}

impl From<ImportError> for Stop {
    fn from(e: ImportError) -> Self {
        Self::Bad(e)
    }
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bad(e) => e.fmt(f),
            Self::Store(e) => f.write_str(e),
        }
    }
}

/// `e` as a sentence: with a full stop unless it ends with one, or a
/// question mark.
fn sentence(e: &impl std::fmt::Display) -> String {
    let mut s = e.to_string();
    if !s.ends_with(['.', '?', '!']) {
        s.push('.');
    }
    s
}

/// What the readers yield, whatever the format.
enum Incoming {
    Foreign(Record),
    Own(Entry),
    Skipped(Skipped),
}

impl From<Item> for Incoming {
    fn from(item: Item) -> Self {
        match item {
            Item::Record(r) => Self::Foreign(r),
            Item::Skipped(s) => Self::Skipped(s),
        }
    }
}

fn open(file: &Path) -> Result<std::fs::File, Stop> {
    std::fs::File::open(file).map_err(|e| {
        Stop::Bad(ImportError::file(format!(
            "cannot open {}: {e}",
            file.display()
        )))
    })
}

/// Reads `file` in `format`, handing `each` its comments in file order;
/// stops at the file's first error or at `each`'s.
async fn each_item(
    format: Format,
    file: &Path,
    mut each: impl AsyncFnMut(Incoming) -> Result<(), Stop>,
) -> Result<(), Stop> {
    match format {
        Format::Isso => {
            crate::import::isso::read(file, async |item: Item| each(item.into()).await).await
        }
        Format::Disqus => {
            for item in DisqusReader::new(open(file)?) {
                each(item?.into()).await?;
            }
            Ok(())
        }
        Format::Wxr => {
            for item in WxrReader::new(open(file)?) {
                each(item?.into()).await?;
            }
            Ok(())
        }
        Format::Own => {
            for entry in OwnReader::new(std::io::BufReader::with_capacity(64 * 1024, open(file)?)) {
                each(Incoming::Own(entry?)).await?;
            }
            Ok(())
        }
    }
}

/// A comment id as the passes remember it: 64 bits whatever its length
/// (two ids of one file sharing a hash is a one-in-billions chance).
fn id_hash(source_id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    source_id.hash(&mut h);
    h.finish()
}

/// The `--map` CSV: old thread identifier, URL or path → our key.
#[derive(Default)]
struct ThreadMap {
    rows: HashMap<String, MapRow>,
}

struct MapRow {
    key: ThreadKey,
    line: usize,
    used: Cell<bool>,
}

impl ThreadMap {
    fn load(path: &Path) -> Result<Self, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("--map {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("--map {}: {e}", path.display()))
    }

    fn parse(text: &str) -> Result<Self, String> {
        let mut rows: HashMap<String, MapRow> = HashMap::new();
        let mut first = true;
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields = csv_fields(line).map_err(|e| format!("line {n}: {e}"))?;
            let header = first
                && fields.len() == 2
                && fields[0].eq_ignore_ascii_case("old")
                && fields[1].eq_ignore_ascii_case("new");
            first = false;
            if header {
                continue;
            }
            let [old, new] = <[String; 2]>::try_from(fields).map_err(|fields| {
                format!(
                    "line {n}: expected two fields, old,new (quote a field that holds a comma); \
                     found {}",
                    fields.len()
                )
            })?;
            if old.is_empty() {
                return Err(format!("line {n}: the old key is empty"));
            }
            let key = ThreadKey::parse(&new).map_err(|_| {
                format!(
                    "line {n}: {new:?} is not a thread key (1 to 512 bytes, without control \
                     characters)"
                )
            })?;
            if let Some(earlier) = rows.get(&old) {
                return Err(format!(
                    "line {n}: {old:?} is mapped already, on line {}",
                    earlier.line
                ));
            }
            rows.insert(
                old,
                MapRow {
                    key,
                    line: n,
                    used: Cell::new(false),
                },
            );
        }
        Ok(Self { rows })
    }

    /// The key the first of `candidates` found maps to.
    fn get<'a>(&self, candidates: impl IntoIterator<Item = &'a str>) -> Option<ThreadKey> {
        candidates
            .into_iter()
            .filter(|c| !c.is_empty())
            .find_map(|c| self.rows.get(c))
            .map(|row| {
                row.used.set(true);
                row.key.clone()
            })
    }

    /// The rows no comment used, by line.
    fn unused(&self) -> Vec<(usize, &str)> {
        let mut out: Vec<(usize, &str)> = self
            .rows
            .iter()
            .filter(|(_, r)| !r.used.get())
            .map(|(old, r)| (r.line, old.as_str()))
            .collect();
        out.sort_unstable();
        out
    }
}

/// The fields of one CSV line: comma-separated, each trimmed, quoted with
/// `"` when it holds a comma (`""` inside for a quote).
fn csv_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        let mut field = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    Some('"') if chars.next_if_eq(&'"').is_some() => field.push('"'),
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("a quoted field is not closed".into()),
                }
            }
            while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(c) => return Err(format!("{c:?} after a quoted field")),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field.trim().to_owned());
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some(c) => field.push(c),
                }
            }
            fields.push(field.trim().to_owned());
        }
    }
}

/// The characters a browser percent-encodes in a URL's path (WHATWG's
/// path percent-encode set); beyond ASCII is always encoded.
const PATH_ENCODE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// The path of `url` (absolute, scheme-relative, or a path), and whether
/// it has a query; `None` for anything else.
fn url_path(url: &str) -> Option<(&str, bool)> {
    fn after_authority(rest: &str) -> &str {
        match rest.find(['/', '?', '#']) {
            Some(i) => &rest[i..],
            None => "",
        }
    }
    let url = url.trim();
    let rest = if let Some(rest) = url.strip_prefix("//") {
        after_authority(rest)
    } else if url.starts_with('/') {
        url
    } else {
        let (scheme, rest) = url.split_once("://")?;
        let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !scheme_ok {
            return None;
        }
        after_authority(rest)
    };
    let rest = rest.split('#').next().unwrap_or("");
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, !query.is_empty()),
        None => (rest, false),
    };
    Some((if path.is_empty() { "/" } else { path }, query))
}

/// The key rule's steps 2 and 3 (see the module's comment): the URL's
/// path, percent-encoded as a browser does, else the identifier.
fn default_key(thread: &SourceThread) -> String {
    match url_path(&thread.url) {
        Some((path, query)) if !(path == "/" && query) => {
            percent_encoding::utf8_percent_encode(path, PATH_ENCODE).to_string()
        }
        _ => thread.id.clone(),
    }
}

/// `raw` as a key, or with its control characters dropped.
fn key_of(raw: &str) -> Option<ThreadKey> {
    ThreadKey::parse(raw).ok().or_else(|| {
        let cleaned: String = raw
            .chars()
            .filter(|c| {
                !c.is_control() && !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
            })
            .collect();
        ThreadKey::parse(&cleaned).ok()
    })
}

/// Why a name or text is refused, for the report.
fn refused(what: &str, code: ErrorCode) -> String {
    match code {
        ErrorCode::AuthorEmpty | ErrorCode::BodyEmpty => format!("its {what} is empty"),
        ErrorCode::AuthorTooLong => format!(
            "its {what} is over {} characters",
            comments_api::limits::AUTHOR_MAX_CHARS
        ),
        ErrorCode::BodyTooLong => format!(
            "its {what} is over {} characters",
            comments_api::limits::BODY_MAX_CHARS
        ),
        ErrorCode::ControlCharacter => format!("its {what} holds control characters"),
        other => format!("its {what} is refused ({})", other.as_str()),
    }
}

/// Turns what the readers yield into comments for the store, or skips.
struct Mapper {
    format: Format,
    source: String,
    map: ThreadMap,
    keep_emails: bool,
}

const NO_KEY: &str = "its thread gives no usable key (empty, or over 512 bytes): name it in --map";

impl Mapper {
    fn prepare(&self, incoming: Incoming) -> Result<ImportedComment, Skipped> {
        match incoming {
            Incoming::Skipped(s) => Err(s),
            Incoming::Foreign(r) => self.foreign(r),
            Incoming::Own(e) => self.own(e),
        }
    }

    fn foreign(&self, r: Record) -> Result<ImportedComment, Skipped> {
        let skip = |reason: String| Skipped {
            source_id: r.source_id.clone(),
            reason,
        };
        let path = url_path(&r.thread.url).map(|(p, _)| p);
        let encoded =
            path.map(|p| percent_encoding::utf8_percent_encode(p, PATH_ENCODE).to_string());
        let candidates = [
            Some(r.thread.id.as_str()),
            Some(r.thread.url.trim()),
            encoded.as_deref(),
            path,
        ];
        let thread = match self.map.get(candidates.into_iter().flatten()) {
            Some(key) => key,
            None => key_of(&default_key(&r.thread)).ok_or_else(|| skip(NO_KEY.into()))?,
        };
        let author = Author::parse(&r.author).map_err(|e| skip(refused("author's name", e)))?;
        let body = CommentBody::parse(&r.body).map_err(|e| skip(refused("text", e)))?;
        let email = match (&r.email, self.keep_emails) {
            (Some(email), true) => Email::parse_optional(email)
                .ok()
                .flatten()
                .map(Email::into_inner)
                .unwrap_or_default(),
            _ => String::new(),
        };
        let page = PageContext::parse(&r.thread.title, &r.thread.url);
        Ok(ImportedComment {
            source: self.source.clone(),
            source_id: r.source_id,
            parent: r.parent,
            orphan_ok: false,
            id: None,
            thread,
            page_title: page.title,
            page_url: page.url,
            author: author.into_inner(),
            email,
            body: body.into_inner(),
            status: match r.status {
                ImportStatus::Approved => Disposition::Approved,
                ImportStatus::Pending => Disposition::Pending,
                ImportStatus::Rejected => Disposition::Rejected,
            },
            created_at: r.created_at,
            // The source says when it was written, not when it was decided.
            decided_at: None,
            staff: String::new(),
            featured_at: None,
        })
    }

    fn own(&self, e: Entry) -> Result<ImportedComment, Skipped> {
        let source_id = e.id.to_string();
        let skip = |reason: String| Skipped {
            source_id: source_id.clone(),
            reason,
        };
        let thread = match self.map.get([e.thread.as_str()]) {
            Some(key) => key,
            None => key_of(&e.thread).ok_or_else(|| skip(NO_KEY.into()))?,
        };
        // An erased comment keeps neither name nor text; any other is held
        // to the limits its author was.
        let erased = e.status == Disposition::Deleted;
        let author = if erased && e.author.is_empty() {
            String::new()
        } else {
            Author::parse(&e.author)
                .map_err(|c| skip(refused("author's name", c)))?
                .into_inner()
        };
        let body = if erased && e.body.is_empty() {
            String::new()
        } else {
            CommentBody::parse(&e.body)
                .map_err(|c| skip(refused("text", c)))?
                .into_inner()
        };
        let page = PageContext::parse(&e.page_title, &e.page_url);
        Ok(ImportedComment {
            source: self.source.clone(),
            source_id: source_id.clone(),
            parent: e.parent.map(|p| p.to_string()),
            orphan_ok: false,
            id: Some(e.id),
            thread,
            page_title: page.title,
            page_url: page.url,
            author,
            email: String::new(),
            body,
            status: e.status,
            created_at: e.created_at,
            decided_at: e.decided_at,
            staff: crate::import::one_line(&e.staff),
            featured_at: e.featured_at,
        })
    }
}

/// Skipped comments by reason, with the first few ids of each.
#[derive(Default)]
struct Skips {
    total: u64,
    reasons: BTreeMap<String, (u64, Vec<String>)>,
    /// Those whose reason came after `MAX_REASONS` others.
    other: u64,
}

impl Skips {
    fn add(&mut self, s: Skipped) {
        self.total += 1;
        if !self.reasons.contains_key(&s.reason) && self.reasons.len() >= MAX_REASONS {
            self.other += 1;
            return;
        }
        let (n, ids) = self.reasons.entry(s.reason).or_default();
        *n += 1;
        if ids.len() < NAMED_PER_REASON {
            ids.push(s.source_id);
        }
    }
}

/// The report's numbers.
#[derive(Default)]
struct Tally {
    /// Threads (by their index in `Checked::threads`) given comments.
    threads: HashSet<u32>,
    /// Comments stored (or, in a dry run, to be), replies and orphans among them.
    comments: u64,
    by_status: BTreeMap<&'static str, u64>,
    replies: u64,
    orphans: u64,
    already: u64,
    skipped: Skips,
}

impl Tally {
    fn added(&mut self, c: &ImportedComment, thread: Option<u32>, orphan: bool) {
        self.comments += 1;
        *self.by_status.entry(c.status.as_str()).or_default() += 1;
        self.threads.extend(thread);
        if orphan {
            self.orphans += 1;
        } else if c.parent.is_some() {
            self.replies += 1;
        }
    }
}

/// What the first pass learnt.
struct Checked {
    /// Each comment to import: its id's hash → its thread's index.
    known: HashMap<u64, u32>,
    /// Thread keys → index.
    threads: HashMap<String, u32>,
    /// The places (in file order, from 0) of comments whose id came before.
    duplicates: HashSet<u64>,
    tally: Tally,
}

const DUPLICATE: &str = "its id is an earlier comment's in the same file";

/// The first pass: reads and checks the whole file, writes nothing.
async fn check(mapper: &Mapper, file: &Path) -> Result<Checked, Stop> {
    let mut checked = Checked {
        known: HashMap::new(),
        threads: HashMap::new(),
        duplicates: HashSet::new(),
        tally: Tally::default(),
    };
    // Replies whose parent had not come yet: the parent's hash, their thread.
    let mut waiting: Vec<(u64, u32)> = Vec::new();
    let mut place: u64 = 0;
    each_item(mapper.format, file, async |incoming| {
        let here = place;
        place += 1;
        let c = match mapper.prepare(incoming) {
            Ok(c) => c,
            Err(s) => {
                checked.tally.skipped.add(s);
                return Ok(());
            }
        };
        let hash = id_hash(&c.source_id);
        if checked.known.contains_key(&hash) {
            checked.duplicates.insert(here);
            checked.tally.skipped.add(Skipped {
                source_id: c.source_id,
                reason: DUPLICATE.into(),
            });
            return Ok(());
        }
        let thread = match checked.threads.get(c.thread.as_str()) {
            Some(&t) => t,
            None => {
                let next = u32::try_from(checked.threads.len()).unwrap_or(u32::MAX);
                checked.threads.insert(c.thread.as_str().to_owned(), next);
                next
            }
        };
        checked.known.insert(hash, thread);
        let orphan = match &c.parent {
            None => false,
            Some(parent) => match checked.known.get(&id_hash(parent)) {
                Some(&t) => t != thread,
                None => {
                    // A reply for now; an orphan if its parent never comes.
                    waiting.push((id_hash(parent), thread));
                    false
                }
            },
        };
        checked.tally.added(&c, Some(thread), orphan);
        Ok(())
    })
    .await?;
    for (parent, thread) in waiting {
        if checked.known.get(&parent) != Some(&thread) {
            checked.tally.replies -= 1;
            checked.tally.orphans += 1;
        }
    }
    Ok(checked)
}

/// The second pass: batches into the store.
struct Importer<'a> {
    store: &'a SqlStore,
    mapper: &'a Mapper,
    checked: &'a Checked,
    batch: Vec<ImportedComment>,
    /// Replies whose parent is in the file but not stored yet.
    deferred: Vec<ImportedComment>,
    /// The highest id before the import: our own export's comments at or
    /// under it may be this database's own.
    last_id: i64,
    tally: Tally,
}

impl<'a> Importer<'a> {
    async fn new(
        store: &'a SqlStore,
        mapper: &'a Mapper,
        checked: &'a Checked,
    ) -> Result<Self, String> {
        let last_id = match mapper.format {
            Format::Own => store
                .last_comment_id()
                .await
                .map_err(|e| format!("the database failed: {e}. Nothing was imported."))?,
            _ => 0,
        };
        Ok(Self {
            store,
            mapper,
            checked,
            batch: Vec::with_capacity(BATCH),
            deferred: Vec::new(),
            last_id,
            tally: Tally::default(),
        })
    }

    async fn read(&mut self, file: &Path) -> Result<(), Stop> {
        let mut place: u64 = 0;
        each_item(self.mapper.format, file, async |incoming| {
            let here = place;
            place += 1;
            let mut c = match self.mapper.prepare(incoming) {
                Ok(c) => c,
                Err(s) => {
                    self.tally.skipped.add(s);
                    return Ok(());
                }
            };
            if self.checked.duplicates.contains(&here) {
                self.tally.skipped.add(Skipped {
                    source_id: c.source_id,
                    reason: DUPLICATE.into(),
                });
                return Ok(());
            }
            if self.here_already(&c).await? {
                self.tally.already += 1;
                return Ok(());
            }
            // A parent the file does not hold in the same thread never
            // comes: stored at the top level at once.
            if let Some(parent) = &c.parent {
                let thread = self.checked.threads.get(c.thread.as_str());
                c.orphan_ok = self.checked.known.get(&id_hash(parent)) != thread;
            }
            self.batch.push(c);
            if self.batch.len() >= BATCH {
                self.flush().await?;
            }
            Ok(())
        })
        .await
    }

    /// Whether a comment of our own export is this database's own already
    /// (brought back into the database it came from).
    async fn here_already(&self, c: &ImportedComment) -> Result<bool, Stop> {
        let Some(id) = c.id.filter(|&id| id <= self.last_id) else {
            return Ok(false);
        };
        let found = self
            .store
            .comment(id)
            .await
            .map_err(|e| Stop::Store(e.to_string()))?;
        Ok(found.is_some_and(|item| {
            item.created_at == c.created_at && item.author == c.author && item.body == c.body
        }))
    }

    /// Stores `batch`, counting what came of it; replies whose parent is
    /// not stored yet come back.
    async fn store(&mut self, batch: Vec<ImportedComment>) -> Result<Vec<ImportedComment>, Stop> {
        let mut waiting = Vec::new();
        for chunk in batch.chunks(BATCH) {
            let outcomes = self
                .store
                .import(chunk)
                .await
                .map_err(|e| Stop::Store(e.to_string()))?;
            if outcomes.len() != chunk.len() {
                return Err(Stop::Store(format!(
                    "{} outcome(s) for {} comment(s)",
                    outcomes.len(),
                    chunk.len()
                )));
            }
            for (c, outcome) in chunk.iter().zip(outcomes) {
                match outcome {
                    ImportOutcome::Added { orphan, .. } => {
                        let thread = self.checked.threads.get(c.thread.as_str()).copied();
                        self.tally.added(c, thread, orphan);
                    }
                    ImportOutcome::AlreadyThere => self.tally.already += 1,
                    ImportOutcome::NoParent => waiting.push(c.clone()),
                }
            }
        }
        Ok(waiting)
    }

    async fn flush(&mut self) -> Result<(), Stop> {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        let before = self.tally.comments;
        let waiting = self.store(batch).await?;
        self.deferred.extend(waiting);
        if self.tally.comments > before {
            self.retry().await?;
        }
        Ok(())
    }

    /// Stores the waiting replies whose parents came, again while any does.
    async fn retry(&mut self) -> Result<(), Stop> {
        while !self.deferred.is_empty() {
            let before = self.tally.comments;
            let deferred = std::mem::take(&mut self.deferred);
            self.deferred = self.store(deferred).await?;
            if self.tally.comments == before {
                break;
            }
        }
        Ok(())
    }

    /// The last batch, and the replies still waiting, at the top level.
    async fn finish(&mut self) -> Result<(), Stop> {
        self.flush().await?;
        self.retry().await?;
        let mut last = std::mem::take(&mut self.deferred);
        for c in &mut last {
            c.orphan_ok = true;
        }
        let still = self.store(last).await?;
        if !still.is_empty() {
            return Err(Stop::Store(format!(
                "{} reply(ies) could not be stored at the top level",
                still.len()
            )));
        }
        Ok(())
    }
}

/// The report, as printed.
fn report(title: &str, t: &Tally, mapper: &Mapper, dry_run: bool) -> String {
    let mut out = format!("{title}\n");
    let statuses: Vec<String> = t
        .by_status
        .iter()
        .map(|(status, n)| format!("{n} {status}"))
        .collect();
    let statuses = if statuses.is_empty() {
        String::new()
    } else {
        format!("  ({})", statuses.join(", "))
    };
    let line = |out: &mut String, name: &str, n: u64, note: &str| {
        let _ = writeln!(out, "  {name:<14}{n:>8}{note}");
    };
    line(&mut out, "threads", t.threads.len() as u64, "");
    line(&mut out, "comments", t.comments, &statuses);
    line(
        &mut out,
        "replies",
        t.replies,
        "  (of the comments: under their parents)",
    );
    line(
        &mut out,
        "orphans",
        t.orphans,
        "  (of the comments: replies whose parent is not in the file, at the top level)",
    );
    if dry_run {
        let _ = writeln!(
            out,
            "  {:<14}{:>8}  (a dry run does not look: a real run leaves them as they are)",
            "already there", "-"
        );
    } else {
        line(
            &mut out,
            "already there",
            t.already,
            "  (brought before: left as they are)",
        );
    }
    line(&mut out, "skipped", t.skipped.total, "");
    let mut reasons: Vec<(&String, &(u64, Vec<String>))> = t.skipped.reasons.iter().collect();
    reasons.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    for (reason, (n, ids)) in reasons {
        let more = if *n as usize > ids.len() { ", …" } else { "" };
        let _ = writeln!(out, "    {n:>8}  {reason}: {}{more}", ids.join(", "));
    }
    if t.skipped.other > 0 {
        let _ = writeln!(out, "    {:>8}  for other reasons", t.skipped.other);
    }
    let unused = mapper.map.unused();
    if !unused.is_empty() {
        let shown: Vec<String> = unused
            .iter()
            .take(NAMED_PER_REASON)
            .map(|(line, old)| format!("line {line} ({old})"))
            .collect();
        let more = if unused.len() > shown.len() {
            ", …"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  --map rows no comment used: {}: {}{more}",
            unused.len(),
            shown.join(", ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thread(id: &str, url: &str) -> SourceThread {
        SourceThread {
            id: id.into(),
            url: url.into(),
            title: String::new(),
        }
    }

    #[test]
    fn keys_come_from_the_url_path_as_the_widget_takes_it() {
        let key = |id: &str, url: &str| default_key(&thread(id, url));
        assert_eq!(
            key("cafe-2024", "https://blog.example/2024/03/cafe-filtre/"),
            "/2024/03/cafe-filtre/"
        );
        assert_eq!(
            key("x", "https://blog.example/2024/03/café filtre/?utm=1#c12"),
            "/2024/03/caf%C3%A9%20filtre/"
        );
        assert_eq!(key("x", "http://blog.example"), "/");
        assert_eq!(key("x", "//blog.example/a/b"), "/a/b");
        assert_eq!(key("x", "https://blog.example/a%20b"), "/a%20b");
        // A page named by its query: the identifier instead.
        assert_eq!(
            key(
                "12 https://blog.example/?p=12",
                "https://blog.example/?p=12"
            ),
            "12 https://blog.example/?p=12"
        );
        // No URL, or none usable: the identifier (Isso's uri is a path).
        assert_eq!(
            key("/2024/01/premier-billet/", ""),
            "/2024/01/premier-billet/"
        );
        assert_eq!(key("41", "not a url"), "41");
        assert_eq!(key("41", "javascript:alert(1)"), "41");
    }

    #[test]
    fn keys_lose_control_characters_and_must_fit() {
        assert_eq!(
            key_of("a\u{0}b").map(ThreadKey::into_inner),
            Some("ab".into())
        );
        assert_eq!(key_of(""), None);
        assert_eq!(key_of(&"k".repeat(513)), None);
    }

    #[test]
    fn the_map_reads_csv_with_line_numbers_in_errors() {
        let map = ThreadMap::parse(
            "# migrated 2024\nold,new\n\ncafe-2024,blog/cafe\n\"https://b.example/a,b\", \"x \"\"y\"\"\"\n/p/,p\n",
        )
        .unwrap();
        assert_eq!(map.rows.len(), 3);
        assert_eq!(map.rows["https://b.example/a,b"].key.as_str(), "x \"y\"");
        assert_eq!(
            map.get(["nope", "cafe-2024"]).map(ThreadKey::into_inner),
            Some("blog/cafe".into())
        );
        assert_eq!(map.unused(), [(5, "https://b.example/a,b"), (6, "/p/")]);

        let e = ThreadMap::parse("old,new\na,b,c\n").err().unwrap();
        assert!(e.starts_with("line 2: expected two fields"), "{e}");
        let e = ThreadMap::parse("a\n").err().unwrap();
        assert!(e.starts_with("line 1: expected two fields"), "{e}");
        let e = ThreadMap::parse("a,b\n\"c,d\n").err().unwrap();
        assert_eq!(e, "line 2: a quoted field is not closed");
        let e = ThreadMap::parse("a,\n").err().unwrap();
        assert!(e.starts_with("line 1: \"\" is not a thread key"), "{e}");
        let e = ThreadMap::parse("a,b\na,c\n").err().unwrap();
        assert_eq!(e, "line 2: \"a\" is mapped already, on line 1");
        let e = ThreadMap::parse(",b\n").err().unwrap();
        assert_eq!(e, "line 1: the old key is empty");
    }

    #[test]
    fn over_limit_records_are_skipped_with_their_reason() {
        let mapper = Mapper {
            format: Format::Wxr,
            source: "wxr".into(),
            map: ThreadMap::default(),
            keep_emails: false,
        };
        let record = Record {
            source_id: "9".into(),
            parent: None,
            thread: thread("3", "https://s.example/t/"),
            author: "Ana".into(),
            email: Some("ana@mail.example".into()),
            created_at: 0,
            status: ImportStatus::Pending,
            body: "hi".into(),
        };
        let c = mapper.foreign(record.clone()).unwrap();
        assert_eq!((c.thread.as_str(), c.email.as_str()), ("/t/", ""));
        let long = Record {
            body: "x".repeat(5001),
            ..record.clone()
        };
        let s = mapper.foreign(long).unwrap_err();
        assert_eq!(s.reason, "its text is over 5000 characters");
        let named = Record {
            author: "n".repeat(65),
            ..record.clone()
        };
        let s = mapper.foreign(named).unwrap_err();
        assert_eq!(s.reason, "its author's name is over 64 characters");
        let keep = Mapper {
            keep_emails: true,
            ..mapper
        };
        assert_eq!(keep.foreign(record).unwrap().email, "ana@mail.example");
    }
}
