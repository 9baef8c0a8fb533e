//! The storage trait every backend implements, and the records it deals in;
//! the revision map readers' ETags come from, and the installation's key
//! file. The bottom layer: it uses none of `http`, `moderation`, `notify`.
//!
//! Handlers only see [`Store`]. One implementation, [`sql::SqlStore`],
//! carries the same SQL to SQLite (`sqlite.rs`, the embedded default) or
//! PostgreSQL (`postgres.rs`, several instances); [`open`] picks one from
//! the settings. `cluster` starts a throwaway PostgreSQL for tests and
//! benchmarks; `copy` moves a whole database from one backend to the other.

pub mod cluster;
pub mod copy;
pub mod keys;
pub mod postgres;
pub mod revisions;
pub mod sql;
pub mod sqlite;

use crate::config::{DatabaseConfig, DatabaseLocation};
use std::sync::Arc;

use comments_api::{Author, CommentBody, CommentStatus, OwnComment, PageContext, ThreadKey};

#[cfg(test)]
pub mod testing;
use std::future::Future;
use std::pin::Pin;

/// A failure of the store.
#[derive(Debug)]
pub enum StoreError {
    /// The database stayed locked past its timeout; the client may retry.
    Busy,
    /// A reply's parent is not a published comment of the same thread.
    InvalidParent,
    /// Text the database cannot hold (PostgreSQL refuses NUL characters,
    /// which SQLite stores): the request's fault, answered with 400.
    Unstorable,
    /// Anything else; logged, answered with 500.
    Other(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Busy => f.write_str("database busy"),
            Self::InvalidParent => f.write_str("no such published parent in this thread"),
            Self::Unstorable => f.write_str("text the database cannot hold"),
            Self::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for StoreError {}

pub type StoreResult<T> = Result<T, StoreError>;
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'a>>;

/// A parsed comment on its way into the store: pending, or approved at
/// once when the trust rule vouches for its author.
#[derive(Clone, Debug)]
pub struct NewPending {
    pub thread: ThreadKey,
    pub author: Author,
    pub body: CommentBody,
    /// SHA-256 of the author's secret token, hex; the token itself is never stored.
    pub token_hash: String,
    /// SHA-256 of the body, hex: finds the same text posted again.
    pub body_hash: String,
    /// Spam signals, as stored (see `signals::encode`).
    pub flags: String,
    /// HMAC of the client's address (see `privacy`), never the address.
    pub ip_hmac: String,
    pub created_at: i64,
    /// The article the comment was posted under.
    pub page: PageContext,
    /// SHA-256 of the widget's per-reader key, hex; empty when none was sent.
    pub author_key: String,
    /// Where to tell the author once the comment is published; empty: nowhere.
    pub notify_email: String,
    /// Publish at once (the trust rule); recorded in the audit log.
    pub trusted: bool,
    /// Published at once by the thread's post-moderation mode (with
    /// `trusted`), which the audit log says instead of the trust rule.
    pub post_moderated: bool,
    /// Reject at once (a banned word); recorded in the audit log. Its
    /// author's token still answers "pending".
    pub banned: bool,
    /// The published comment of the same thread it replies to.
    pub parent: Option<i64>,
    /// A moderator's reply from `/admin`, published at once with their
    /// label (`trusted` is then set too).
    pub staff: Option<StaffVoice>,
    /// Where to mail the replies to this comment once they are published;
    /// empty: nowhere. Kept apart from `notify_email`, while the
    /// subscription lasts.
    pub replies_email: String,
}

/// A reader's report on a published comment, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewReport {
    pub comment_id: i64,
    /// Who reports, so that each counts once per comment: the SHA-256 of
    /// their reader key, or `net:` and their network's keyed hash.
    pub reporter: String,
    pub reason: comments_api::ReportReason,
    pub explanation: String,
    pub created_at: i64,
    /// With this many open reports the comment is hidden at once, pending
    /// review (`moderation.hide_after_reports`; 0: never).
    pub hide_after: u32,
}

/// What a report did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportOutcome {
    /// The comment reached `hide_after` open reports and was hidden: its
    /// thread's new revision.
    pub hidden: Option<RevisionChange>,
}

/// One open report, as the moderators read it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReportEntry {
    pub reason: String,
    pub explanation: String,
    pub created_at: i64,
}

/// A comment with open reports, for the Reported view.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReportedItem {
    pub comment: ModerationItem,
    /// Its open reports, oldest first.
    pub reports: Vec<ReportEntry>,
    /// Hidden after `hide_after` reports, pending review.
    pub hidden: bool,
}

/// A published reply whose parent's author asked to be mailed replies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyMail {
    /// The subscriber's address.
    pub to: String,
    /// The comment they subscribed with.
    pub parent_id: i64,
    pub reply_id: i64,
    pub author: String,
    pub body: String,
    pub thread: String,
    pub page_title: String,
    pub page_url: String,
}

/// Who wrote a staff reply, and the label readers see beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffVoice {
    pub moderator: String,
    pub label: String,
}

/// A moderator's word on a thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadState {
    /// No new comments; the published ones still show.
    Closed,
    /// Reopened: takes comments, and the automatic rule no longer closes it.
    Open,
}

impl ThreadState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "closed" => Some(Self::Closed),
            "open" => Some(Self::Open),
            _ => None,
        }
    }
}

/// What decides whether a thread takes comments (see
/// `moderation::closes_at`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Closing {
    /// A moderator's word, and when it was said.
    pub state: Option<(ThreadState, i64)>,
    /// When the thread's first comment came, in whatever status.
    pub first_at: Option<i64>,
}

/// What storing a new comment did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inserted {
    pub id: i64,
    /// The thread's new revision when the comment was published at once.
    pub revision: Option<u64>,
}

/// Where a comment stands, deletions by moderators included (they are kept
/// for a day so that they can be undone, and are invisible to readers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Disposition {
    Pending,
    Approved,
    Rejected,
    Deleted,
}

impl Disposition {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "deleted" => Some(Self::Deleted),
            other => CommentStatus::parse(other).map(Self::from),
        }
    }

    /// The status its author may learn; `None` once deleted.
    pub fn public(self) -> Option<CommentStatus> {
        match self {
            Self::Pending => Some(CommentStatus::Pending),
            Self::Approved => Some(CommentStatus::Approved),
            Self::Rejected => Some(CommentStatus::Rejected),
            Self::Deleted => None,
        }
    }
}

impl From<CommentStatus> for Disposition {
    fn from(s: CommentStatus) -> Self {
        match s {
            CommentStatus::Pending => Self::Pending,
            CommentStatus::Approved => Self::Approved,
            CommentStatus::Rejected => Self::Rejected,
        }
    }
}

/// A comment as a moderator sees it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ModerationItem {
    pub id: i64,
    pub thread: String,
    pub page_title: String,
    pub page_url: String,
    pub author: String,
    /// SHA-256 of the reader's key (empty when the widget sent none).
    pub author_key: String,
    pub body: String,
    pub status: Disposition,
    pub created_at: i64,
    pub decided_at: Option<i64>,
    /// Spam signals computed on arrival, e.g. `many_links`.
    pub flags: Vec<String>,
    /// The same reader's other comments: approved, and rejected.
    pub author_approved: u64,
    pub author_rejected: u64,
    /// What a reply answers, so that the moderator reads it in context.
    pub parent: Option<ParentText>,
    /// The listed words (banned or suspect) its author or text holds; the
    /// store leaves it empty, the moderation pages fill it in.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<String>,
    /// A staff reply's label ("Staff"); empty for a reader's comment.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub staff: String,
    /// An editor's pick.
    pub featured: bool,
    /// The moderators' private note on its reader; empty when there is none.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A moderator's private note on a reader, by their key's hash.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReaderNote {
    pub note: String,
    /// The moderator who wrote it last, and when.
    pub actor: String,
    pub updated_at: i64,
}

/// How a thread's new comments are moderated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Every comment waits for a moderator.
    Pre,
    /// The trust rule applies (`moderation.trust_after`); the rest waits.
    Trusted,
    /// Published at once, unless it carries a signal; for low-risk stories.
    Post,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pre => "pre",
            Self::Trusted => "trusted",
            Self::Post => "post",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pre" => Some(Self::Pre),
            "trusted" => Some(Self::Trusted),
            "post" => Some(Self::Post),
            _ => None,
        }
    }
}

/// A moderator's rule: one thread (`sport/om-psg`) or a section
/// (`sport/*`), and its mode.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ModeRule {
    pub pattern: String,
    pub mode: Mode,
    pub actor: String,
    pub set_at: i64,
}

/// A ban on a reader, made from one of their comments.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Ban {
    pub id: i64,
    /// SHA-256 of the reader's key; empty when their comment carried none.
    pub author_key: String,
    /// Whether the network the comment came from is banned too (its keyed
    /// hash is stored, never the address).
    pub network: bool,
    /// The comment it was made from, and its author's name then.
    pub comment_id: i64,
    pub author: String,
    pub actor: String,
    pub created_at: i64,
    /// `None`: for good.
    pub expires_at: Option<i64>,
}

/// The comment a reply answers, as its moderator sees it beside the reply.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ParentText {
    pub id: i64,
    /// Empty, like `body`, once the parent has been purged.
    pub author: String,
    pub body: String,
}

/// Which comments a moderation view lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueQuery {
    pub status: Disposition,
    /// Only this thread.
    pub thread: Option<String>,
    /// Only authors whose name contains this (case-insensitive).
    pub author: Option<String>,
    /// Only threads whose key starts with this: a section, such as `sport/`.
    pub section: Option<String>,
    /// Only comments posted under an article of this site (an origin,
    /// `https://news.example`), for desks that share one server.
    pub site: Option<String>,
    /// Newest first (published lists) instead of oldest first (the queue).
    pub newest_first: bool,
    pub limit: u32,
}

/// One change a moderator asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub id: i64,
    pub to: Disposition,
    /// Apply only if the comment still has this status (mail links act on
    /// pending comments only; undo reverts only what nobody changed since);
    /// otherwise nothing changes and the decision says so.
    pub only_from: Option<Disposition>,
}

/// Changes taken together: all of them in one transaction, or none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decisions {
    /// Written to the audit log: a moderator's name, `cli`, `api token`…
    pub actor: String,
    pub changes: Vec<Change>,
    /// A mail link's nonce, recorded as used in the same transaction.
    pub link_nonce: Option<String>,
}

impl Decisions {
    /// One change by `actor`.
    pub fn one(actor: impl Into<String>, id: i64, to: Disposition) -> Self {
        Self {
            actor: actor.into(),
            changes: vec![Change {
                id,
                to,
                only_from: None,
            }],
            link_nonce: None,
        }
    }
}

/// What one change did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub id: i64,
    pub thread: String,
    pub previous: Disposition,
    /// The status it has now: the one asked for, or `previous` when nothing changed.
    pub status: Disposition,
    /// `only_from` did not hold: someone else changed the comment since.
    pub conflict: bool,
    /// The thread's new revision when its public list changed.
    pub revision: Option<u64>,
    /// The author's address, erased in the same transaction, to tell them
    /// now that their comment is published.
    pub mail_to: Option<String>,
    /// Whether it is a reply (its parent's author may want to hear of it).
    pub is_reply: bool,
}

/// What a batch of changes did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decided {
    /// One result per change, in order; `None` for a comment that does not exist.
    Done(Vec<Option<Decision>>),
    /// The mail link was used already: nothing changed.
    LinkUsed,
}

/// An approved comment as stored: its text is the author's, unrendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicComment {
    pub id: i64,
    pub author: String,
    pub body: String,
    pub created_at: i64,
    /// The comment it replies to.
    pub parent: Option<i64>,
    /// Not published any more, but answered by published replies: shown
    /// as "comment removed", with no author and no text.
    pub removed: bool,
    /// On a top-level comment of a page: how many published replies its
    /// conversation has (the page shows the first few). 0 otherwise.
    pub replies: u64,
    /// The label of the moderator who wrote it from `/admin` ("Staff"),
    /// empty for a reader's comment.
    pub staff: String,
    /// An editor's pick.
    pub featured: bool,
}

/// The order of a thread's top-level comments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Order {
    #[default]
    Oldest,
    Newest,
    /// Most published replies first, then oldest first.
    Replies,
}

/// Where a page starts: after this top-level comment. `replies` counts
/// only in [`Order::Replies`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    pub replies: i64,
    pub at: i64,
    pub id: i64,
}

/// One page of a thread: which top-level comments, and how many replies
/// of each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageQuery {
    pub order: Order,
    /// After this top-level comment, in `order`.
    pub after: Option<Cursor>,
    pub limit: u32,
    /// Replies shown with each top-level comment, oldest first.
    pub replies: u32,
}

/// A page of a thread as of one revision, read in one transaction: each
/// top-level comment followed by the replies shown with it, each reply
/// after its parent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Page {
    pub revision: u64,
    pub comments: Vec<PublicComment>,
    /// The cursor of the next page, if there is one.
    pub next: Option<Cursor>,
}

/// What changed in a thread's public list since a revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Changes {
    /// The log no longer reaches that far back: the reader reloads.
    Reset { revision: u64 },
    Since {
        revision: u64,
        /// Published, or unpublished but answered by published replies
        /// (`removed`).
        comments: Vec<PublicComment>,
        /// Unpublished, with nothing left to show.
        removed: Vec<i64>,
    },
}

/// A thread's public list as of one revision, read in one transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThreadSnapshot {
    /// The thread's revision (0 for a thread never published).
    pub revision: u64,
    /// Approved comments, oldest first (so each reply after its parent),
    /// with a removed placeholder for each unpublished comment that
    /// published replies answer.
    pub comments: Vec<PublicComment>,
}

/// Counts for the moderation header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub pending: u64,
    pub approved_since: u64,
    pub rejected_since: u64,
    /// Comments with open reports.
    pub reported: u64,
}

/// A moderator's signed-in session (looked up by the hash of its cookie).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub moderator: String,
    /// The token every state-changing request must carry.
    pub csrf: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub comment_id: Option<i64>,
    pub thread: String,
    pub detail: String,
}

/// What `Store::purge` removes: everything older than these instants (ms).
#[derive(Clone, Copy, Debug)]
pub struct PurgeBefore {
    /// Address hashes of comments created before this.
    pub addresses: i64,
    /// Comments a moderator deleted before this (the undo window is over).
    pub deleted: i64,
    /// Mail-link nonces used before this (their links have expired).
    pub link_nonces: i64,
    /// Sessions expired by this instant: now.
    pub sessions: i64,
    /// Reply subscriptions of comments posted before this
    /// (`moderation.notify_keep_days`).
    pub subscriptions: i64,
}

/// The stored form of a comment's flags: names joined by commas.
pub fn encode_flags<'a>(flags: impl IntoIterator<Item = &'a str>) -> String {
    flags.into_iter().collect::<Vec<_>>().join(",")
}

/// The flags of a stored comment.
pub fn decode_flags(flags: &str) -> Vec<String> {
    flags
        .split(',')
        .filter(|f| !f.is_empty())
        .map(String::from)
        .collect()
}

/// What the periodic purge removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub addresses: u64,
    pub deleted_comments: u64,
    pub sessions: u64,
    pub links: u64,
    pub subscriptions: u64,
}

/// One thread whose public list changed: its key and new revision.
pub type RevisionChange = (String, u64);

/// Opens the database the settings name: SQLite, or PostgreSQL.
pub async fn open(config: &DatabaseConfig) -> StoreResult<sql::SqlStore> {
    let timeout = std::time::Duration::from_millis(config.busy_timeout_ms);
    match config.location() {
        DatabaseLocation::Sqlite(path) => sql::SqlStore::open_sqlite(&path, timeout).await,
        DatabaseLocation::Postgres(url) => sql::SqlStore::connect_postgres(&url, timeout).await,
    }
}

/// A comment brought in by `comments-server import`, from another system
/// or our own export.
#[derive(Clone, Debug)]
pub struct ImportedComment {
    /// The format it came from (`disqus`, `wxr`, `isso`, `own`): with
    /// `source_id`, what makes a second import of it a no-op.
    pub source: String,
    pub source_id: String,
    /// The source id of the comment it answers.
    pub parent: Option<String>,
    /// Import it at the top level when its parent never came.
    pub orphan_ok: bool,
    /// Keep this id if it is free (our own export, into an empty database).
    pub id: Option<i64>,
    pub thread: ThreadKey,
    pub page_title: String,
    pub page_url: String,
    pub author: String,
    /// Empty unless the import keeps addresses: then the publication mail
    /// of a comment still pending goes to it.
    pub email: String,
    /// Our Markdown, already converted and checked.
    pub body: String,
    pub status: Disposition,
    pub created_at: i64,
    pub decided_at: Option<i64>,
    pub staff: String,
    pub featured_at: Option<i64>,
}

/// What became of one imported comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportOutcome {
    /// Stored under this id; `orphan` if its parent never came.
    Added { id: i64, orphan: bool },
    /// An earlier import brought it already.
    AlreadyThere,
    /// Its parent is not there (yet): nothing stored.
    NoParent,
}

/// One comment as `comments-server export` writes it, oldest id first: a
/// line of the export file as it is (`import::own` reads it back).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedComment {
    pub id: i64,
    pub thread: String,
    pub page_title: String,
    pub page_url: String,
    /// Empty for an erased comment.
    pub author: String,
    /// Our Markdown; empty for an erased comment.
    pub body: String,
    pub status: Disposition,
    /// Epoch milliseconds, UTC, as every date here.
    pub created_at: i64,
    pub decided_at: Option<i64>,
    /// The id of the comment it answers, in the same file.
    pub parent: Option<i64>,
    /// A staff reply's label; empty for a reader's comment.
    pub staff: String,
    /// When an editor featured it, if they did.
    pub featured_at: Option<i64>,
}

pub trait Store: Send + Sync + 'static {
    /// Stores a new comment durably.
    fn insert_pending<'a>(&'a self, comment: &'a NewPending) -> StoreFuture<'a, Inserted>;
    /// Whether a comment with this body hash arrived at or after `since`.
    fn body_seen_since<'a>(&'a self, body_hash: &'a str, since: i64) -> StoreFuture<'a, bool>;
    /// Pending comments in `thread`, and in all threads.
    fn pending_counts<'a>(&'a self, thread: &'a ThreadKey) -> StoreFuture<'a, (u64, u64)>;
    /// How many approved comments each of `threads` has, in their order.
    fn approved_counts<'a>(&'a self, threads: &'a [ThreadKey]) -> StoreFuture<'a, Vec<u64>>;
    /// Approved comments of a thread, oldest first, with its revision.
    fn approved<'a>(&'a self, thread: &'a ThreadKey) -> StoreFuture<'a, ThreadSnapshot>;
    /// One page of a thread: its cost follows the page, not the thread.
    fn page<'a>(&'a self, thread: &'a ThreadKey, query: &'a PageQuery) -> StoreFuture<'a, Page>;
    /// One top-level comment and up to `limit` of its replies; `None` if
    /// `root` is no top-level comment shown in `thread`.
    fn conversation<'a>(
        &'a self,
        thread: &'a ThreadKey,
        root: i64,
        limit: u32,
    ) -> StoreFuture<'a, Option<Page>>;
    /// What changed in the thread's public list after revision `since`.
    fn changes<'a>(&'a self, thread: &'a ThreadKey, since: u64) -> StoreFuture<'a, Changes>;
    /// The top-level comment of comment `id`'s conversation in `thread`.
    fn root_of<'a>(&'a self, thread: &'a ThreadKey, id: i64) -> StoreFuture<'a, Option<Cursor>>;
    /// For each token hash, the comment's id and status, or `None` if unknown
    /// (or deleted).
    fn statuses<'a>(
        &'a self,
        token_hashes: &'a [String],
    ) -> StoreFuture<'a, Vec<Option<(i64, CommentStatus)>>>;
    /// Comments for a moderation view, with their authors' history.
    fn queue<'a>(&'a self, query: &'a QueueQuery) -> StoreFuture<'a, Vec<ModerationItem>>;
    /// One comment, as a moderator sees it.
    fn comment(&self, id: i64) -> StoreFuture<'_, Option<ModerationItem>>;
    /// How many earlier comments of this reader were approved.
    fn approved_by_author<'a>(&'a self, author_key: &'a str) -> StoreFuture<'a, u64>;
    /// Takes every change of the batch and writes their audit lines, in one
    /// transaction: all or nothing. Bumps the revision of each thread whose
    /// public list changes. A final status (approved, rejected, deleted)
    /// erases the author's address; an approval hands it over for the one mail.
    fn decide<'a>(&'a self, decisions: &'a Decisions) -> StoreFuture<'a, Decided>;
    /// Pending comments now; approved and rejected since `since`.
    fn counts(&self, since: i64) -> StoreFuture<'_, Counts>;
    /// Everything stored about the comment posted with this token hash, for its author.
    fn by_token<'a>(&'a self, token_hash: &'a str) -> StoreFuture<'a, Option<OwnComment>>;
    /// Deletes the comment posted with this token hash, audited; `None` if
    /// unknown. Bumps the thread's revision if the comment was public.
    fn delete_by_token<'a>(&'a self, token_hash: &'a str) -> StoreFuture<'a, Option<Decision>>;
    /// Deletes every comment of one reader (by key hash), audited; returns
    /// how many, and the threads whose public list changed.
    fn purge_author<'a>(
        &'a self,
        author_key: &'a str,
        actor: &'a str,
    ) -> StoreFuture<'a, (u64, Vec<RevisionChange>)>;
    /// Bans the reader of comment `comment_id`: their key and the network
    /// the comment came from, until `expires_at` (`None`: for good),
    /// audited under `actor`. `None` if there is no such comment, or it
    /// carries neither (both were purged).
    fn ban<'a>(
        &'a self,
        comment_id: i64,
        expires_at: Option<i64>,
        actor: &'a str,
    ) -> StoreFuture<'a, Option<Ban>>;
    /// Sets the mode of a thread or section (`None`: back to the default),
    /// audited under `actor`.
    fn set_mode<'a>(
        &'a self,
        pattern: &'a str,
        mode: Option<Mode>,
        actor: &'a str,
    ) -> StoreFuture<'a, ()>;
    /// Every rule, by pattern.
    fn modes(&self) -> StoreFuture<'_, Vec<ModeRule>>;
    /// Closes or reopens a thread (`None`: back to the automatic rule),
    /// audited under `actor`. Its revision moves, so that open pages learn
    /// of it on their next poll; returns the new one.
    fn set_thread_state<'a>(
        &'a self,
        thread: &'a ThreadKey,
        state: Option<ThreadState>,
        actor: &'a str,
    ) -> StoreFuture<'a, u64>;
    /// Whether a thread takes comments, as far as the store knows.
    fn closing<'a>(&'a self, thread: &'a ThreadKey) -> StoreFuture<'a, Closing>;
    /// Features a published comment (an editor's pick), or stops featuring
    /// one, audited; the thread's revision moves. `None` if it is not
    /// published, or already so.
    fn feature<'a>(
        &'a self,
        id: i64,
        featured: bool,
        actor: &'a str,
        now: i64,
    ) -> StoreFuture<'a, Option<RevisionChange>>;
    /// A thread's featured comments, the latest featured first.
    fn featured<'a>(
        &'a self,
        thread: &'a ThreadKey,
        limit: u32,
    ) -> StoreFuture<'a, Vec<PublicComment>>;
    /// The mode a thread's rules give it, if any does.
    fn mode_of<'a>(&'a self, thread: &'a ThreadKey) -> StoreFuture<'a, Option<Mode>>;
    /// The pending comments of the reader of comment `comment_id`: by their
    /// key, or without one by their network; oldest first.
    fn pending_of_reader(&self, comment_id: i64) -> StoreFuture<'_, Vec<i64>>;
    /// Lifts a ban, audited; whether it was in force.
    fn lift_ban<'a>(&'a self, id: i64, actor: &'a str) -> StoreFuture<'a, bool>;
    /// The bans in force at `now`, newest first.
    fn bans(&self, now: i64) -> StoreFuture<'_, Vec<Ban>>;
    /// Whether a ban in force at `now` covers this reader key or network
    /// hash (an empty one matches nothing).
    fn is_banned<'a>(
        &'a self,
        author_key: &'a str,
        ip_hmac: &'a str,
        now: i64,
    ) -> StoreFuture<'a, bool>;
    /// Sets the private note on a reader key's hash (an empty one removes
    /// it), audited; false when the reader has no comment here.
    fn set_note<'a>(
        &'a self,
        author_key: &'a str,
        note: &'a str,
        actor: &'a str,
    ) -> StoreFuture<'a, bool>;
    /// The private note on a reader key's hash, if any.
    fn note<'a>(&'a self, author_key: &'a str) -> StoreFuture<'a, Option<ReaderNote>>;
    /// A reader's comments of every status, newest first, at most `limit`.
    fn reader_history<'a>(
        &'a self,
        author_key: &'a str,
        limit: u32,
    ) -> StoreFuture<'a, Vec<ModerationItem>>;
    /// Records a reader's report on a published comment (once per
    /// reporter and comment: a second one changes nothing) and hides the
    /// comment if it reached `hide_after` open reports, audited. `None` if
    /// the comment is not published.
    fn report<'a>(&'a self, report: &'a NewReport) -> StoreFuture<'a, Option<ReportOutcome>>;
    /// Comments with open reports, the oldest report first, at most `limit`.
    fn reported(&self, limit: u32) -> StoreFuture<'_, Vec<ReportedItem>>;
    /// Resolves a comment's open reports as unfounded, audited; a comment
    /// they hid is published again (its thread's new revision is
    /// returned). `None` if it had no open report.
    fn dismiss_reports<'a>(
        &'a self,
        id: i64,
        actor: &'a str,
    ) -> StoreFuture<'a, Option<Option<RevisionChange>>>;
    /// The mail a published reply owes its parent's subscriber, claimed
    /// once and for all: `None` if it is no published reply, its parent's
    /// author asked for nothing, wrote it themselves, or it was claimed
    /// before.
    fn claim_reply_mail(&self, reply_id: i64) -> StoreFuture<'_, Option<ReplyMail>>;
    /// Whether comment `id` has a reply subscription.
    fn subscribed(&self, id: i64) -> StoreFuture<'_, bool>;
    /// Ends the reply subscription of comment `id`, erasing its address;
    /// whether there was one.
    fn unsubscribe(&self, id: i64) -> StoreFuture<'_, bool>;
    /// The highest comment id so far (0 for none).
    fn last_comment_id(&self) -> StoreFuture<'_, i64>;
    /// Blanks address hashes, removes moderator deletions, link nonces and
    /// expired sessions, as of `before`; audited when it removed anything.
    fn purge(&self, before: PurgeBefore) -> StoreFuture<'_, Purged>;
    /// Starts a moderator's session.
    fn create_session<'a>(&'a self, session: &'a Session) -> StoreFuture<'a, ()>;
    /// The unexpired session with this cookie hash.
    fn session<'a>(&'a self, token_hash: &'a str, now: i64) -> StoreFuture<'a, Option<Session>>;
    /// Ends a session (sign out).
    fn delete_session<'a>(&'a self, token_hash: &'a str) -> StoreFuture<'a, ()>;
    /// Ends every session of `moderator`, audited under `actor`; returns how many.
    fn end_sessions<'a>(&'a self, moderator: &'a str, actor: &'a str) -> StoreFuture<'a, u64>;
    /// The newest audit lines first.
    fn audit(&self, limit: u32) -> StoreFuture<'_, Vec<AuditEntry>>;
    /// A value of the installation's own settings.
    fn meta<'a>(&'a self, name: &'a str) -> StoreFuture<'a, Option<String>>;
    /// Sets a value unless one is already there; returns the one in force.
    fn set_meta_once<'a>(&'a self, name: &'a str, value: &'a str) -> StoreFuture<'a, String>;
    /// Removes a value.
    fn delete_meta<'a>(&'a self, name: &'a str) -> StoreFuture<'a, ()>;
    /// Threads whose revision is greater than `after`.
    fn revisions_since(&self, after: u64) -> StoreFuture<'_, Vec<RevisionChange>>;
    /// Checks that the store answers.
    fn ping(&self) -> StoreFuture<'_, ()>;
    /// Whether several server instances may share this store (PostgreSQL):
    /// then the post rate limit is kept in it, and every instance must use
    /// the same key file.
    fn shared(&self) -> bool {
        false
    }
    /// Takes one request from the allowance `key` (a limit and a network),
    /// shared by every instance (GCRA: `burst` at once, one more each
    /// `interval_ms`): `None` when allowed, else the milliseconds until the
    /// next one is.
    fn take_allowance<'a>(
        &'a self,
        key: &'a str,
        now: i64,
        burst: u32,
        interval_ms: i64,
    ) -> StoreFuture<'a, Option<i64>>;
    /// Brings other processes' commits into `revisions` as they are made,
    /// where the database announces them (PostgreSQL's `LISTEN`); `None`
    /// where the periodic refresh alone learns of them. `this` is the
    /// store itself, for the catching up.
    fn follow(
        &self,
        _revisions: Arc<revisions::Revisions>,
        _this: Arc<dyn Store>,
    ) -> Option<tokio::task::JoinHandle<()>> {
        None
    }
    /// The connection pool: open connections, and how many of them are idle.
    fn pool_use(&self) -> (u32, u32) {
        (0, 0)
    }
    /// Stores imported comments in one transaction, in order.
    fn import<'a>(&'a self, batch: &'a [ImportedComment]) -> StoreFuture<'a, Vec<ImportOutcome>>;
    /// Up to `limit` comments with an id above `after`, by id, every status
    /// (a deleted one that replies answer keeps its place, blank).
    fn export(&self, after: i64, limit: u32) -> StoreFuture<'_, Vec<ExportedComment>>;
    /// Waits for in-flight work and closes the store.
    fn close(&self) -> StoreFuture<'_, ()>;
}
