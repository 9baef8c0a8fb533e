//! The storage trait every backend implements, and the records it deals in.
//!
//! Handlers only see [`Store`]; SQLite ([`sqlite::SqliteStore`]) is the
//! embedded default. SQL in the backends stays portable (`$N` placeholders,
//! epoch-millisecond integers, `RETURNING`) so a PostgreSQL backend can
//! follow with its own migrations and no change to handlers.

pub mod sqlite;

use comments_api::{Author, Comment, CommentBody, CommentStatus, OwnComment, ThreadKey};
use std::future::Future;
use std::pin::Pin;

/// A failure of the store.
#[derive(Debug)]
pub enum StoreError {
    /// The database stayed locked past its timeout; the client may retry.
    Busy,
    /// Anything else; logged, answered with 500.
    Other(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Busy => f.write_str("database busy"),
            Self::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for StoreError {}

pub type StoreResult<T> = Result<T, StoreError>;
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'a>>;

/// A parsed comment on its way into the store, always pending.
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
}

/// A comment as a moderator sees it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ModerationItem {
    #[serde(flatten)]
    pub comment: OwnComment,
    /// Spam signals computed on arrival, e.g. `many_links`.
    pub flags: Vec<String>,
}

/// What a moderation decision changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub thread: String,
    pub previous: CommentStatus,
    /// The thread's new revision when its public list changed.
    pub revision: Option<u64>,
}

/// One thread whose public list changed: its key and new revision.
pub type RevisionChange = (String, u64);

pub trait Store: Send + Sync + 'static {
    /// Stores a pending comment durably and returns its id.
    fn insert_pending<'a>(&'a self, comment: &'a NewPending) -> StoreFuture<'a, i64>;
    /// Whether a comment with this body hash arrived at or after `since`.
    fn body_seen_since<'a>(&'a self, body_hash: &'a str, since: i64) -> StoreFuture<'a, bool>;
    /// Pending comments in `thread`, and in all threads.
    fn pending_counts<'a>(&'a self, thread: &'a ThreadKey) -> StoreFuture<'a, (u64, u64)>;
    /// Approved comments of a thread, oldest first.
    fn approved<'a>(&'a self, thread: &'a ThreadKey) -> StoreFuture<'a, Vec<Comment>>;
    /// For each token hash, the comment's id and status, or `None` if unknown.
    fn statuses<'a>(
        &'a self,
        token_hashes: &'a [String],
    ) -> StoreFuture<'a, Vec<Option<(i64, CommentStatus)>>>;
    /// Comments with `status`, oldest first, at most `limit`.
    fn by_status(&self, status: CommentStatus, limit: u32) -> StoreFuture<'_, Vec<ModerationItem>>;
    /// Sets a comment's status. `None` if there is no such comment. Bumps the
    /// thread's revision when its public list changes.
    fn decide(&self, id: i64, status: CommentStatus) -> StoreFuture<'_, Option<Decision>>;
    /// The comment posted with this token hash, for its author.
    fn by_token<'a>(&'a self, token_hash: &'a str) -> StoreFuture<'a, Option<OwnComment>>;
    /// Deletes the comment posted with this token hash; `None` if unknown.
    /// Bumps the thread's revision if the comment was public.
    fn delete_by_token<'a>(&'a self, token_hash: &'a str) -> StoreFuture<'a, Option<Decision>>;
    /// Blanks the address hashes of comments created before `before`;
    /// returns how many.
    fn forget_ips_before(&self, before: i64) -> StoreFuture<'_, u64>;
    /// A value of the installation's own settings.
    fn meta<'a>(&'a self, name: &'a str) -> StoreFuture<'a, Option<String>>;
    /// Sets a value unless one is already there; returns the one in force.
    fn set_meta_once<'a>(&'a self, name: &'a str, value: &'a str) -> StoreFuture<'a, String>;
    /// Threads whose revision is greater than `after`.
    fn revisions_since(&self, after: u64) -> StoreFuture<'_, Vec<RevisionChange>>;
    /// Checks that the store answers.
    fn ping(&self) -> StoreFuture<'_, ()>;
    /// Waits for in-flight work and closes the store.
    fn close(&self) -> StoreFuture<'_, ()>;
}
