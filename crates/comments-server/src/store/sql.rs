//! The SQL both backends share: every query text, row mapping and
//! transaction shape of the [`Store`] trait, run through sqlx's `Any`
//! driver on SQLite (`sqlite.rs`: the file, backups) or PostgreSQL
//! (`postgres.rs`: the cluster, change notifications, shared limits).
//! What differs between them stays here in one place, [`Backend`]: how a
//! write takes the database's one writer lock, and how a committed change
//! is announced to other processes.
//!
//! The SQL is the portable subset: `$N` placeholders, epoch-millisecond
//! integers, `RETURNING`, `ON CONFLICT`, no boolean columns (flags are
//! 0/1 integers, since `Any` reads SQLite's integers as integers only).

use super::{
    AuditEntry, Ban, Changes, Closing, Counts, Cursor, Decided, Decision, Decisions, Disposition,
    ExportedComment, ImportOutcome, ImportedComment, Inserted, Mode, ModeRule, ModerationItem,
    NewPending, NewReport, Order, Page, PageQuery, PublicComment, PurgeBefore, Purged, QueueQuery,
    ReaderNote, ReplyMail, ReportEntry, ReportOutcome, ReportedItem, RevisionChange, Session,
    Store, StoreError, StoreFuture, StoreResult, ThreadSnapshot, ThreadState,
};
use comments_api::{CommentStatus, OwnComment, StatusChange, ThreadKey};
use sqlx::{Any, AnyPool};

/// Which database is behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL advisory lock every write transaction holds: one writer
/// at a time, as SQLite's `BEGIN IMMEDIATE` gives, so that the revision
/// counter, the change log and every read-then-write stay as simple on
/// both backends.
const WRITE_LOCK: i64 = 0x636f_6d6d_656e_7473;

/// The channel a PostgreSQL commit announces `thread revision` on.
pub const CHANNEL: &str = "comments_revisions";

pub struct SqlStore {
    pub(super) pool: AnyPool,
    pub(super) backend: Backend,
    /// Where PostgreSQL's change notifications are listened for.
    pub(super) listen_url: Option<String>,
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            // No connection to be had, or the one we had went away
            // (PostgreSQL restarting): the client may retry.
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) => StoreError::Busy,
            sqlx::Error::Database(db) => {
                let code = db.code().unwrap_or_default();
                // PostgreSQL: serialization failure, deadlock, shutting
                // down, starting up, too many connections, connection lost.
                // Also: a lock or statement timeout, a standby that turned
                // read-only during a failover, no disk or memory left.
                let postgres = matches!(
                    code.as_ref(),
                    "40001"
                        | "40P01"
                        | "57P01"
                        | "57P02"
                        | "57P03"
                        | "53300"
                        | "55P03"
                        | "57014"
                        | "25006"
                        | "53100"
                        | "53200"
                ) || code.starts_with("08");
                // SQLite: SQLITE_BUSY (5) and SQLITE_LOCKED (6), with extended codes.
                let sqlite = code
                    .parse::<i32>()
                    .is_ok_and(|c| code.len() <= 4 && matches!(c & 0xff, 5 | 6));
                if postgres || sqlite {
                    StoreError::Busy
                } else if matches!(code.as_ref(), "22021" | "22P05") {
                    StoreError::Unstorable
                } else {
                    StoreError::Other(e.to_string())
                }
            }
            _ => StoreError::Other(e.to_string()),
        }
    }
}

impl SqlStore {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A write transaction: the database's one writer lock, taken first.
    pub(super) async fn write(&self) -> StoreResult<sqlx::Transaction<'static, Any>> {
        match self.backend {
            Backend::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT count(*) FROM (SELECT pg_advisory_xact_lock($1)) l")
                    .bind(WRITE_LOCK)
                    .execute(&mut *tx)
                    .await?;
                Ok(tx)
            }
        }
    }

    /// A read of several statements that must agree with each other: one
    /// snapshot (SQLite's deferred transaction gives it; PostgreSQL's
    /// default, read committed, would not).
    pub(super) async fn read(&self) -> StoreResult<sqlx::Transaction<'static, Any>> {
        match self.backend {
            Backend::Sqlite => Ok(self.pool.begin().await?),
            Backend::Postgres => Ok(self
                .pool
                .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .await?),
        }
    }
}

fn status_from_db(s: &str) -> StoreResult<Disposition> {
    Disposition::parse(s).ok_or_else(|| StoreError::Other(format!("unknown status {s:?} in db")))
}

/// The columns of a [`ModerationItem`], with the author's history (a macro,
/// so that queries stay static strings).
macro_rules! item_columns {
    () => {
        "c.id, c.thread_key, c.page_title, c.page_url, c.author, \
    c.author_key, c.body, c.status, c.created_at, c.decided_at, c.flags, \
    (SELECT count(*) FROM comments h WHERE h.author_key != '' \
       AND h.author_key = c.author_key AND h.status = 'approved' AND h.id != c.id) \
       AS author_approved, \
    (SELECT count(*) FROM comments h WHERE h.author_key != '' \
       AND h.author_key = c.author_key AND h.status = 'rejected' AND h.id != c.id) \
       AS author_rejected, \
    c.parent_id, \
    (SELECT p.author FROM comments p WHERE p.id = c.parent_id) AS parent_author, \
    (SELECT p.body FROM comments p WHERE p.id = c.parent_id) AS parent_body, \
    c.staff, CASE WHEN c.featured_at IS NULL THEN 0 ELSE 1 END AS featured, \
    coalesce((SELECT n.note FROM reader_notes n WHERE c.author_key != '' \
       AND n.author_key = c.author_key), '') AS note"
    };
}

/// The queue, and the published and rejected lists: by status, optionally
/// one thread, an author's name, a section (thread-key prefix) and a site
/// (the origin of the article's URL), oldest or newest first. Four static
/// texts, so that each one has a plan that uses an index.
macro_rules! queue_sql {
    ($thread:literal, $order:literal) => {
        concat!(
            "SELECT ",
            item_columns!(),
            " FROM comments c WHERE c.status = $1 ",
            $thread,
            " AND ($3 IS NULL OR instr(lower(c.author), lower($3)) > 0) \
             AND ($5 IS NULL OR substr(c.thread_key, 1, length($5)) = $5) \
             AND ($6 IS NULL OR c.page_url = $6 OR substr(c.page_url, 1, length($6) + 1) = $6 || '/') \
             ORDER BY c.created_at ",
            $order,
            ", c.id ",
            $order,
            " LIMIT $4"
        )
    };
}

const QUEUE_ASC: &str = queue_sql!("AND $2 IS NULL", "ASC");
const QUEUE_DESC: &str = queue_sql!("AND $2 IS NULL", "DESC");
const QUEUE_THREAD_ASC: &str = queue_sql!("AND c.thread_key = $2", "ASC");
const QUEUE_THREAD_DESC: &str = queue_sql!("AND c.thread_key = $2", "DESC");
/// A reader's comments of every status, newest first (found by the
/// `comments_by_author_key` index, then sorted: one reader's comments).
const READER_HISTORY: &str = concat!(
    "SELECT ",
    item_columns!(),
    " FROM comments c WHERE c.author_key = $1 AND c.author_key != '' \
     ORDER BY c.created_at DESC, c.id DESC LIMIT $2"
);
const ONE_COMMENT: &str = concat!(
    "SELECT ",
    item_columns!(),
    " FROM comments c WHERE c.id = $1"
);
/// The columns of a [`PublicRow`]: a comment as a page reads it.
macro_rules! public_columns {
    () => {
        "id, author, body, created_at, parent_id, root_id, status, thread_key, reply_count, \
         staff, CASE WHEN featured_at IS NULL THEN 0 ELSE 1 END AS featured"
    };
}
const THREAD_LIST: &str = concat!(
    "SELECT ",
    public_columns!(),
    " FROM comments WHERE thread_key = $1 AND status = 'approved' ORDER BY created_at, id"
);
/// How many changes a thread's log keeps: between this and twice as many.
const CHANGE_LOG: i64 = 200;
/// A page's top-level comments after a cursor (`$2` replies, `$3`
/// created_at, `$4` id), in one of three orders: published, or unpublished
/// with published replies (shown as placeholders).
macro_rules! top_sql {
    ($after:literal, $order:literal) => {
        concat!(
            "SELECT ",
            public_columns!(),
            " FROM comments WHERE thread_key = $1 AND parent_id IS NULL AND ",
            $after,
            " AND (status = 'approved' OR reply_count > 0) ORDER BY ",
            $order,
            " LIMIT $5"
        )
    };
}
const TOP_OLDEST: &str = top_sql!(
    "$2 IS NOT NULL AND (created_at, id) > ($3, $4)",
    "created_at, id"
);
const TOP_NEWEST: &str = top_sql!(
    "$2 IS NOT NULL AND (created_at, id) < ($3, $4)",
    "created_at DESC, id DESC"
);
const TOP_REPLIES: &str = top_sql!(
    "(reply_count < $2 OR (reply_count = $2 AND (created_at, id) > ($3, $4)))",
    "reply_count DESC, created_at, id"
);
/// A conversation's count, kept on its top-level comment.
const RECOUNT: &str = "UPDATE comments SET reply_count = \
     (SELECT count(*) FROM comments r WHERE r.root_id = $1 AND r.status = 'approved') \
     WHERE id = $1";
const REPLIES: &str = concat!(
    "SELECT ",
    public_columns!(),
    " FROM comments WHERE root_id = $1 AND status = 'approved' ORDER BY created_at, id LIMIT $2"
);
const LOG_FLOOR: &str = "SELECT revision, log_floor FROM threads WHERE thread_key = $1";
/// Deduplicated by the caller: the log is small, and a temporary B-tree
/// would be all the query plan adds.
const CHANGED: &str = "SELECT comment_id FROM changes WHERE thread_key = $1 AND revision > $2";
const PUBLIC_ONE: &str = concat!("SELECT ", public_columns!(), " FROM comments WHERE id = $1");
/// A thread's featured comments, the latest featured first.
const FEATURED: &str = concat!(
    "SELECT ",
    public_columns!(),
    " FROM comments WHERE thread_key = $1 AND featured_at IS NOT NULL AND status = 'approved' \
     ORDER BY featured_at DESC LIMIT $2"
);
/// Whether a moderator closed or reopened a thread, and when its first
/// comment came (the automatic rule counts from it).
const THREAD_STATE: &str = "SELECT \
     (SELECT state FROM thread_states WHERE thread_key = $1), \
     (SELECT set_at FROM thread_states WHERE thread_key = $1), \
     (SELECT min(created_at) FROM comments WHERE thread_key = $1)";
/// Removing a comment: what it was, and whether anything answers it.
macro_rules! to_remove {
    ($where:literal) => {
        concat!(
            "SELECT id, thread_key, status, root_id, \
             CASE WHEN EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = c.id) THEN 1 ELSE 0 END \
             FROM comments c WHERE ",
            $where
        )
    };
}
const REMOVE_BY_TOKEN: &str = to_remove!("token_hash = $1");
const REMOVE_BY_READER: &str = to_remove!("author_key = $1 AND author_key != ''");
/// A comment that replies answer is erased rather than deleted: its row
/// keeps their place (a "comment removed" placeholder while any is
/// published), and nothing its author wrote or sent remains.
macro_rules! erase_sql {
    ($set:literal, $where:literal) => {
        concat!(
            "UPDATE comments SET status = 'deleted', author = '', body = '', \
             body_hash = '', ip_hmac = '', page_title = '', page_url = '', author_key = '', \
             notify_email = '', flags = '', token_hash = 'erased:' || id",
            $set,
            " WHERE ",
            $where
        )
    };
}
const ERASE: &str = erase_sql!(", decided_at = $2", "id = $1");
/// The purge: deleted comments past their time, erased while replies
/// answer them, then gone once none does.
const PURGE_ERASE: &str = erase_sql!(
    "",
    "status = 'deleted' AND decided_at < $1 AND token_hash NOT LIKE 'erased:%' \
     AND EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = comments.id)"
);
const PURGE_DELETE: &str = "DELETE FROM comments WHERE status = 'deleted' AND decided_at < $1 \
     AND NOT EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = comments.id)";
const HAS_REPLIES: &str =
    "SELECT 1 FROM comments WHERE parent_id = $1 AND status = 'approved' LIMIT 1";
/// A reply's parent as the post checks it, and a removed parent as its
/// placeholder needs it.
const PARENT: &str = "SELECT thread_key, status, root_id, parent_id, created_at FROM comments \
     WHERE id = $1";
const APPROVED_COUNT: &str =
    "SELECT count(*) FROM comments WHERE thread_key = $1 AND status = 'approved'";
const THREAD_REVISION: &str = "SELECT revision FROM threads WHERE thread_key = $1";
/// A comment's status as its author's token learns it: one rejected for a
/// banned word or a banned reader stays "pending", as a bot's post does.
const STATUS: &str = "SELECT id, CASE WHEN status = 'rejected' \
     AND (',' || flags || ',' LIKE '%,banned_word,%' OR ',' || flags || ',' LIKE '%,banned,%') \
     THEN 'pending' ELSE status END FROM comments WHERE token_hash = $1";
const PENDING_COUNTS: &str = "SELECT \
     (SELECT count(*) FROM comments WHERE thread_key = $1 AND status = 'pending'), \
     (SELECT count(*) FROM comments WHERE status = 'pending')";
const BODY_SEEN: &str = "SELECT 1 FROM comments WHERE body_hash = $1 AND created_at >= $2 LIMIT 1";
const COUNTS: &str = "SELECT \
     (SELECT count(*) FROM comments WHERE status = 'pending'), \
     (SELECT count(*) FROM comments WHERE status = 'approved' AND decided_at >= $1), \
     (SELECT count(*) FROM comments WHERE status = 'rejected' AND decided_at >= $1), \
     (SELECT count(DISTINCT comment_id) FROM reports WHERE resolved_at IS NULL)";
/// Comments with open reports, by their oldest open report (from the
/// `reports_open` index), as the Reported view lists them.
const REPORTED: &str = "SELECT comment_id, min(created_at) AS first FROM reports \
     WHERE resolved_at IS NULL GROUP BY comment_id ORDER BY first, comment_id LIMIT $1";
const OPEN_REPORTS: &str = "SELECT reason, explanation, created_at FROM reports \
     WHERE comment_id = $1 AND resolved_at IS NULL ORDER BY created_at, id";
/// The flag a comment hidden by its readers' reports carries while it waits.
const REPORTED_FLAG: &str = "reported";
const REVISIONS_SINCE: &str =
    "SELECT thread_key, revision FROM threads WHERE revision > $1 ORDER BY revision";
const APPROVED_BY_AUTHOR: &str = "SELECT count(*) FROM comments \
     WHERE author_key = $1 AND author_key != '' AND status = 'approved'";
const SESSION: &str = "SELECT token_hash, moderator, csrf, created_at, expires_at FROM sessions \
     WHERE token_hash = $1 AND expires_at > $2";
const BY_TOKEN: &str = "SELECT id, thread_key, author, body, status, created_at, decided_at, \
     page_title, page_url, flags, notify_email, ip_hmac, author_key, \
     coalesce((SELECT s.email FROM reply_subscriptions s WHERE s.comment_id = comments.id), '') \
     AS replies_email FROM comments WHERE token_hash = $1";
const HISTORY: &str = "SELECT at, detail FROM audit WHERE comment_id = $1 ORDER BY id";

/// Takes a request from allowance `$1` at `$2`: interval `$3`, allowance `$4`
/// (burst × interval). Returns the arrival time and whether it was allowed.
const TAKE: &str = "INSERT INTO allowances (key, tat, allowed) VALUES ($1, $2 + $3, 1) \
     ON CONFLICT (key) DO UPDATE SET \
     allowed = CASE WHEN (CASE WHEN allowances.tat > $2 THEN allowances.tat ELSE $2 END) \
       + $3 - $2 <= $4 THEN 1 ELSE 0 END, \
     tat = CASE WHEN (CASE WHEN allowances.tat > $2 THEN allowances.tat ELSE $2 END) \
       + $3 - $2 <= $4 \
       THEN (CASE WHEN allowances.tat > $2 THEN allowances.tat ELSE $2 END) + $3 \
       ELSE allowances.tat END \
     RETURNING tat, allowed";

/// A comment as `export` reads it.
#[derive(sqlx::FromRow)]
struct ExportedRow {
    id: i64,
    thread_key: String,
    page_title: String,
    page_url: String,
    author: String,
    body: String,
    status: String,
    created_at: i64,
    decided_at: Option<i64>,
    parent_id: Option<i64>,
    staff: String,
    featured_at: Option<i64>,
}

/// A reply's parent, as [`PARENT`] reads it.
#[derive(sqlx::FromRow)]
struct ParentRow {
    thread_key: String,
    status: String,
    root_id: Option<i64>,
    parent_id: Option<i64>,
    created_at: i64,
}

/// A comment as its author's export reads it.
#[derive(sqlx::FromRow)]
struct ExportRow {
    id: i64,
    thread_key: String,
    author: String,
    body: String,
    status: String,
    created_at: i64,
    decided_at: Option<i64>,
    page_title: String,
    page_url: String,
    flags: String,
    notify_email: String,
    ip_hmac: String,
    author_key: String,
    replies_email: String,
}

/// A published reply and its parent's subscription, for the reply's mail.
#[derive(sqlx::FromRow)]
struct ReplyMailRow {
    email: String,
    subscriber: String,
    parent_id: i64,
    author_key: String,
    author: String,
    body: String,
    thread_key: String,
    page_title: String,
    page_url: String,
}

/// Whether a ban in force covers a reader key (`$1`) or network hash (`$2`) at `$3`.
const BANNED: &str = "SELECT 1 FROM bans WHERE lifted_at IS NULL \
     AND (expires_at IS NULL OR expires_at > $3) \
     AND ((author_key != '' AND author_key = $1) OR (ip_hmac != '' AND ip_hmac = $2)) LIMIT 1";
/// Bans with their comment's author: those in force, and one by id.
macro_rules! bans_sql {
    ($where:literal) => {
        concat!(
            "SELECT b.id, b.author_key, CASE WHEN b.ip_hmac != '' THEN 1 ELSE 0 END, b.comment_id, \
             coalesce(c.author, ''), b.actor, b.created_at, b.expires_at FROM bans b \
             LEFT JOIN comments c ON c.id = b.comment_id WHERE ",
            $where
        )
    };
}
const BANS: &str = bans_sql!(
    "b.lifted_at IS NULL AND (b.expires_at IS NULL OR b.expires_at > $1) ORDER BY b.id DESC"
);
const BAN: &str = bans_sql!("b.id = $1");
/// The rule for thread `$1`: its own, else the longest section (`prefix*`) it is in.
const MODE_OF: &str = "SELECT mode FROM thread_modes WHERE pattern = $1 \
     OR (pattern LIKE '%*' AND substr($1, 1, length(pattern) - 1) = substr(pattern, 1, length(pattern) - 1)) \
     ORDER BY pattern = $1 DESC, length(pattern) DESC LIMIT 1";
/// A reader's pending comments, by the key of comment `$1`, or its network without one.
const PENDING_OF_READER: &str = "SELECT p.id FROM comments c JOIN comments p \
     ON p.status = 'pending' AND ((c.author_key != '' AND p.author_key = c.author_key) \
     OR (c.author_key = '' AND c.ip_hmac != '' AND p.ip_hmac = c.ip_hmac)) \
     WHERE c.id = $1 ORDER BY p.created_at, p.id";
type BanRow = (i64, String, i64, i64, String, String, i64, Option<i64>);

fn ban_of(r: BanRow) -> Ban {
    Ban {
        id: r.0,
        author_key: r.1,
        network: r.2 != 0,
        comment_id: r.3,
        author: r.4,
        actor: r.5,
        created_at: r.6,
        expires_at: r.7,
    }
}

/// A comment to remove: id, thread, status, root, and whether replies answer it.
type Removal = (i64, String, String, Option<i64>, i64);

/// The queries on the paths readers and moderators take all day, each
/// with its number of parameters and the indexes its plan must use: a test
/// checks that none scans a table or searches one by its status alone.
#[cfg(test)]
const HOT_QUERIES: &[(&str, &str, usize, &[&str])] = &[
    ("thread list", THREAD_LIST, 1, &["comments_by_thread"]),
    ("comment count", APPROVED_COUNT, 1, &["comments_by_thread"]),
    (
        "thread revision",
        THREAD_REVISION,
        1,
        &["sqlite_autoindex_threads_1"],
    ),
    ("status", STATUS, 1, &["sqlite_autoindex_comments_1"]),
    ("pending counts", PENDING_COUNTS, 1, &["comments_by_thread"]),
    ("repeated body", BODY_SEEN, 2, &["comments_by_body_hash"]),
    ("moderation counts", COUNTS, 1, &["comments_by_decision"]),
    (
        "revisions since",
        REVISIONS_SINCE,
        1,
        &["threads_by_revision"],
    ),
    (
        "reader's approvals",
        APPROVED_BY_AUTHOR,
        1,
        &["comments_by_author_key"],
    ),
    ("session", SESSION, 2, &["sqlite_autoindex_sessions_1"]),
    (
        "queue",
        QUEUE_ASC,
        6,
        &["comments_by_status", "comments_by_author_key"],
    ),
    (
        "published list",
        QUEUE_DESC,
        6,
        &["comments_by_status", "comments_by_author_key"],
    ),
    (
        "thread queue",
        QUEUE_THREAD_ASC,
        6,
        &["comments_by_thread", "comments_by_author_key"],
    ),
    (
        "thread published list",
        QUEUE_THREAD_DESC,
        6,
        &["comments_by_thread", "comments_by_author_key"],
    ),
    ("one comment", ONE_COMMENT, 1, &["comments_by_author_key"]),
    ("export", BY_TOKEN, 1, &["sqlite_autoindex_comments_1"]),
    ("export history", HISTORY, 1, &["audit_by_comment"]),
    ("parent", PARENT, 1, &[]),
    ("first page", TOP_OLDEST, 5, &["comments_top"]),
    ("first page, newest", TOP_NEWEST, 5, &["comments_top"]),
    (
        "first page, most replies",
        TOP_REPLIES,
        5,
        &["comments_top_by_replies"],
    ),
    ("recount", RECOUNT, 1, &["comments_by_root"]),
    ("replies", REPLIES, 2, &["comments_by_root"]),
    ("log floor", LOG_FLOOR, 1, &["sqlite_autoindex_threads_1"]),
    ("changes", CHANGED, 2, &["changes_by_thread"]),
    ("one public", PUBLIC_ONE, 1, &[]),
    ("has replies", HAS_REPLIES, 1, &["comments_by_parent"]),
    ("banned", BANNED, 3, &["bans_by_key", "bans_by_network"]),
    ("featured", FEATURED, 2, &["comments_featured"]),
    (
        "thread state",
        THREAD_STATE,
        1,
        &["sqlite_autoindex_thread_states_1", "comments_by_thread"],
    ),
];

/// A comment as a page reads it.
#[derive(sqlx::FromRow)]
struct PublicRow {
    id: i64,
    author: String,
    body: String,
    created_at: i64,
    parent_id: Option<i64>,
    root_id: Option<i64>,
    status: String,
    thread_key: String,
    /// Its conversation's published replies, kept on a top-level comment.
    reply_count: i64,
    staff: String,
    featured: i64,
}

impl PublicRow {
    /// As readers see it: a placeholder unless it is published.
    fn public(self) -> PublicComment {
        let removed = self.status != "approved";
        PublicComment {
            id: self.id,
            author: if removed { String::new() } else { self.author },
            body: if removed { String::new() } else { self.body },
            created_at: self.created_at,
            parent: self.parent_id,
            removed,
            replies: 0,
            staff: if removed { String::new() } else { self.staff },
            featured: self.featured != 0 && !removed,
        }
    }
}

/// A moderation list's row, by the names [`item_columns`] gives.
#[derive(sqlx::FromRow)]
struct ItemRow {
    id: i64,
    thread_key: String,
    page_title: String,
    page_url: String,
    author: String,
    author_key: String,
    body: String,
    status: String,
    created_at: i64,
    decided_at: Option<i64>,
    flags: String,
    author_approved: i64,
    author_rejected: i64,
    parent_id: Option<i64>,
    parent_author: Option<String>,
    parent_body: Option<String>,
    staff: String,
    featured: i64,
    note: String,
}

fn item(row: ItemRow) -> StoreResult<ModerationItem> {
    Ok(ModerationItem {
        id: row.id,
        thread: row.thread_key,
        page_title: row.page_title,
        page_url: row.page_url,
        author: row.author,
        author_key: row.author_key,
        body: row.body,
        status: status_from_db(&row.status)?,
        created_at: row.created_at,
        decided_at: row.decided_at,
        flags: super::decode_flags(&row.flags),
        author_approved: u64::try_from(row.author_approved).unwrap_or(0),
        author_rejected: u64::try_from(row.author_rejected).unwrap_or(0),
        words: Vec::new(),
        parent: row.parent_id.map(|id| super::ParentText {
            id,
            author: row.parent_author.unwrap_or_default(),
            body: row.parent_body.unwrap_or_default(),
        }),
        staff: row.staff,
        featured: row.featured != 0,
        note: row.note,
    })
}

/// Writes one audit line inside `tx`.
async fn audit_line(
    tx: &mut sqlx::Transaction<'_, Any>,
    actor: &str,
    action: &str,
    comment_id: Option<i64>,
    thread: &str,
    detail: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit (at, actor, action, comment_id, thread_key, detail) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(crate::clock::now_ms())
    .bind(actor)
    .bind(action)
    .bind(comment_id)
    .bind(thread)
    .bind(detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The highest id `table`'s identity ever gave (0 for none): SQLite's
/// `sqlite_sequence`, PostgreSQL's sequence. Deleted ids stay below it.
pub(super) async fn high_water(
    backend: Backend,
    conn: &mut sqlx::AnyConnection,
    table: &str,
) -> StoreResult<i64> {
    let sql = match backend {
        Backend::Sqlite => "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = $1), 0)",
        Backend::Postgres => {
            "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence($1, 'id')::regclass), 0)"
        }
    };
    let (v,): (i64,) = sqlx::query_as(sql).bind(table).fetch_one(conn).await?;
    Ok(v)
}

/// Moves `table`'s identity up to `value` at least, after explicit ids.
pub(super) async fn raise_high_water(
    backend: Backend,
    conn: &mut sqlx::AnyConnection,
    table: &str,
    value: i64,
) -> StoreResult<()> {
    if value < 1 || high_water(backend, conn, table).await? >= value {
        return Ok(());
    }
    match backend {
        Backend::Sqlite => {
            let updated = sqlx::query("UPDATE sqlite_sequence SET seq = $2 WHERE name = $1")
                .bind(table)
                .bind(value)
                .execute(&mut *conn)
                .await?;
            if updated.rows_affected() == 0 {
                sqlx::query("INSERT INTO sqlite_sequence (name, seq) VALUES ($1, $2)")
                    .bind(table)
                    .bind(value)
                    .execute(&mut *conn)
                    .await?;
            }
        }
        Backend::Postgres => {
            sqlx::query(
                "SELECT count(*) FROM (SELECT setval(pg_get_serial_sequence($1, 'id'), $2)) s",
            )
            .bind(table)
            .bind(value)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// A comment whose public state changed, with its conversation's root,
/// as the change log takes it.
type Logged = (i64, Option<i64>);

fn revision(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl SqlStore {
    /// Adds a "comment removed" placeholder for each comment that published
    /// `comments` answer but that is not published itself (rejected,
    /// deleted, or purged: then it has no row, and stands at the top level
    /// just before its first reply), and keeps the list oldest first.
    async fn add_removed_parents(
        tx: &mut sqlx::Transaction<'_, Any>,
        comments: &mut Vec<PublicComment>,
    ) -> StoreResult<()> {
        let mut present: std::collections::HashSet<i64> = comments.iter().map(|c| c.id).collect();
        // Parents to look up, with the time of the first reply to each.
        let mut wanted: Vec<(i64, i64)> = comments
            .iter()
            .filter_map(|c| c.parent.map(|p| (p, c.created_at)))
            .filter(|(p, _)| !present.contains(p))
            .collect();
        // Popped oldest reply first: a purged parent stands before it.
        wanted.reverse();
        let added = !wanted.is_empty();
        while let Some((id, child_at)) = wanted.pop() {
            if !present.insert(id) {
                continue;
            }
            let row: Option<ParentRow> = sqlx::query_as(PARENT)
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?;
            let (parent, created_at) = match row {
                Some(row) => (row.parent_id, row.created_at),
                None => (None, child_at),
            };
            if let Some(p) = parent.filter(|p| !present.contains(p)) {
                wanted.push((p, created_at));
            }
            comments.push(PublicComment {
                id,
                author: String::new(),
                body: String::new(),
                created_at,
                parent,
                removed: true,
                replies: 0,
                staff: String::new(),
                featured: false,
            });
        }
        if added {
            comments.sort_by_key(|c| (c.created_at, c.id));
        }
        Ok(())
    }

    /// A top-level comment and the first `limit` published replies of its
    /// conversation (with placeholders for their removed parents), with
    /// its stored count of published replies.
    async fn conversation_in(
        tx: &mut sqlx::Transaction<'_, Any>,
        root: PublicRow,
        limit: u32,
    ) -> StoreResult<Vec<PublicComment>> {
        let count = root.reply_count;
        let replies: Vec<PublicRow> = sqlx::query_as(REPLIES)
            .bind(root.id)
            .bind(i64::from(limit))
            .fetch_all(&mut **tx)
            .await?;
        let mut top = root.public();
        top.replies = u64::try_from(count).unwrap_or(0);
        let mut group = vec![top];
        group.extend(replies.into_iter().map(PublicRow::public));
        Self::add_removed_parents(tx, &mut group).await?;
        Ok(group)
    }

    /// Gives `thread` the next global revision, inside `tx`, and logs the
    /// comments whose public state changed with it (see [`CHANGE_LOG`]).
    async fn bump_revision(
        &self,
        tx: &mut sqlx::Transaction<'_, Any>,
        thread: &str,
        changed: &[(i64, Option<i64>)],
    ) -> StoreResult<u64> {
        let (rev,): (i64,) = sqlx::query_as(
            "UPDATE counters SET value = value + 1 WHERE name = 'thread_revision' RETURNING value",
        )
        .fetch_one(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO threads (thread_key, revision) VALUES ($1, $2) \
             ON CONFLICT (thread_key) DO UPDATE SET revision = excluded.revision",
        )
        .bind(thread)
        .bind(rev)
        .execute(&mut **tx)
        .await?;
        if self.backend == Backend::Postgres {
            // Delivered at commit, to every instance's listener.
            sqlx::query("SELECT count(*) FROM (SELECT pg_notify($1, $2)) n")
                .bind(CHANNEL)
                .bind(format!("{rev} {} {thread}", crate::clock::now_ms()))
                .execute(&mut **tx)
                .await?;
        }
        let mut roots: Vec<i64> = Vec::new();
        for (id, root) in changed {
            sqlx::query(
                "INSERT INTO changes (thread_key, revision, comment_id) VALUES ($1, $2, $3)",
            )
            .bind(thread)
            .bind(rev)
            .bind(id)
            .execute(&mut **tx)
            .await?;
            if let Some(root) = root.filter(|r| !roots.contains(r)) {
                roots.push(root);
            }
        }
        // A reply published or unpublished changes its conversation's count.
        for root in roots {
            sqlx::query(RECOUNT).bind(root).execute(&mut **tx).await?;
        }
        // Bounded: past twice the log's length, the older half goes, and
        // readers older than what is left reload their first page.
        let (logged,): (i64,) =
            sqlx::query_as("SELECT count(*) FROM changes WHERE thread_key = $1")
                .bind(thread)
                .fetch_one(&mut **tx)
                .await?;
        if logged > 2 * CHANGE_LOG {
            let (floor,): (i64,) = sqlx::query_as(
                "SELECT revision FROM changes WHERE thread_key = $1 \
                 ORDER BY revision DESC LIMIT 1 OFFSET $2",
            )
            .bind(thread)
            .bind(CHANGE_LOG)
            .fetch_one(&mut **tx)
            .await?;
            sqlx::query("DELETE FROM changes WHERE thread_key = $1 AND revision <= $2")
                .bind(thread)
                .bind(floor)
                .execute(&mut **tx)
                .await?;
            sqlx::query("UPDATE threads SET log_floor = $2 WHERE thread_key = $1")
                .bind(thread)
                .bind(floor)
                .execute(&mut **tx)
                .await?;
        }
        Ok(revision(rev))
    }

    async fn delete_inner(&self, token_hash: &str) -> StoreResult<Option<Decision>> {
        let mut tx = self.write().await?;
        let row: Option<Removal> = sqlx::query_as(REMOVE_BY_TOKEN)
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((id, thread, previous, root, answered)) = row else {
            return Ok(None);
        };
        Self::remove(&mut tx, id, answered != 0).await?;
        let previous = status_from_db(&previous)?;
        let detail = format!("{} -> removed", previous.as_str());
        audit_line(
            &mut tx,
            "author",
            "deleted_by_author",
            Some(id),
            &thread,
            &detail,
        )
        .await?;
        let public_change = previous == Disposition::Approved;
        self.conclude(tx, (id, root), thread, previous, public_change)
            .await
    }

    /// Deletes comment `id`, or erases it when replies answer it
    /// (`answered`), with its reply subscription and the reports on it.
    async fn remove(
        tx: &mut sqlx::Transaction<'_, Any>,
        id: i64,
        answered: bool,
    ) -> StoreResult<()> {
        let q = if answered {
            sqlx::query(ERASE).bind(id).bind(crate::clock::now_ms())
        } else {
            sqlx::query("DELETE FROM comments WHERE id = $1").bind(id)
        };
        q.execute(&mut **tx).await?;
        for forget in [
            "DELETE FROM reply_subscriptions WHERE comment_id = $1",
            "DELETE FROM reports WHERE comment_id = $1",
        ] {
            sqlx::query(forget).bind(id).execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// What a moderator's decision on comment `id` settles besides its
    /// status: its open reports are resolved (the comment has been
    /// reviewed), and once rejected or deleted, its reply subscription and
    /// address go.
    async fn decided_after(
        tx: &mut sqlx::Transaction<'_, Any>,
        id: i64,
        to: Disposition,
        now: i64,
    ) -> StoreResult<()> {
        if to == Disposition::Pending {
            return Ok(());
        }
        sqlx::query(
            "UPDATE reports SET resolved_at = $2 WHERE comment_id = $1 AND resolved_at IS NULL",
        )
        .bind(id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        if to != Disposition::Approved {
            sqlx::query("DELETE FROM reply_subscriptions WHERE comment_id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Commits a change to one comment, first bumping its thread's revision
    /// if the public list changed.
    async fn conclude(
        &self,
        mut tx: sqlx::Transaction<'_, Any>,
        (id, root): (i64, Option<i64>),
        thread: String,
        previous: Disposition,
        public_change: bool,
    ) -> StoreResult<Option<Decision>> {
        let revision = if public_change {
            Some(self.bump_revision(&mut tx, &thread, &[(id, root)]).await?)
        } else {
            None
        };
        tx.commit().await?;
        Ok(Some(Decision {
            id,
            thread,
            previous,
            status: Disposition::Deleted,
            conflict: false,
            revision,
            mail_to: None,
            is_reply: root.is_some(),
        }))
    }

    async fn decide_inner(&self, d: &Decisions) -> StoreResult<Decided> {
        let mut tx = self.write().await?;
        let now = crate::clock::now_ms();
        if let Some(nonce) = &d.link_nonce {
            let fresh = sqlx::query(
                "INSERT INTO used_links (nonce, used_at) VALUES ($1, $2) \
                 ON CONFLICT (nonce) DO NOTHING",
            )
            .bind(nonce)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !fresh {
                return Ok(Decided::LinkUsed);
            }
        }
        let mut results = Vec::with_capacity(d.changes.len());
        // Threads whose public list changes, each given one new revision.
        let mut public: Vec<String> = Vec::new();
        // Each public change's comment and the conversation it belongs to.
        let mut roots: Vec<(i64, Option<i64>)> = Vec::new();
        for c in &d.changes {
            let row: Option<(String, String, String, Option<i64>)> = sqlx::query_as(
                "SELECT thread_key, status, notify_email, root_id FROM comments WHERE id = $1",
            )
            .bind(c.id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((thread, previous, address, root)) = row else {
                results.push(None);
                continue;
            };
            let previous = status_from_db(&previous)?;
            let conflict = c.only_from.is_some_and(|from| from != previous);
            if conflict || previous == c.to {
                results.push(Some(Decision {
                    id: c.id,
                    thread,
                    previous,
                    status: previous,
                    conflict,
                    revision: None,
                    mail_to: None,
                    is_reply: root.is_some(),
                }));
                continue;
            }
            // A final status erases the address: an approval mails it once.
            let erase = c.to != Disposition::Pending && !address.is_empty();
            sqlx::query(
                "UPDATE comments SET status = $1, decided_at = $2, \
                 notify_email = CASE WHEN $3 THEN '' ELSE notify_email END WHERE id = $4",
            )
            .bind(c.to.as_str())
            .bind(now)
            .bind(erase)
            .bind(c.id)
            .execute(&mut *tx)
            .await?;
            let detail = format!("{} -> {}", previous.as_str(), c.to.as_str());
            audit_line(
                &mut tx,
                &d.actor,
                c.to.as_str(),
                Some(c.id),
                &thread,
                &detail,
            )
            .await?;
            Self::decided_after(&mut tx, c.id, c.to, now).await?;
            let changes_public = previous == Disposition::Approved || c.to == Disposition::Approved;
            if changes_public {
                roots.push((c.id, root));
            }
            if changes_public && !public.contains(&thread) {
                public.push(thread.clone());
            }
            results.push(Some(Decision {
                id: c.id,
                // The revision is filled in below, once per thread.
                revision: changes_public.then_some(0),
                mail_to: (erase && c.to == Disposition::Approved).then_some(address),
                thread,
                previous,
                status: c.to,
                conflict: false,
                is_reply: root.is_some(),
            }));
        }
        for thread in &public {
            let changed: Vec<(i64, Option<i64>)> = results
                .iter()
                .flatten()
                .filter(|r| &r.thread == thread && r.revision.is_some())
                .filter_map(|r| roots.iter().find(|(id, _)| *id == r.id).copied())
                .collect();
            let rev = self.bump_revision(&mut tx, thread, &changed).await?;
            for r in results.iter_mut().flatten() {
                if &r.thread == thread && r.revision.is_some() {
                    r.revision = Some(rev);
                }
            }
        }
        tx.commit().await?;
        Ok(Decided::Done(results))
    }

    async fn by_token_inner(&self, token_hash: &str) -> StoreResult<Option<OwnComment>> {
        let mut tx = self.read().await?;
        let row: Option<ExportRow> = sqlx::query_as(BY_TOKEN)
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        let Some(status) = status_from_db(&r.status)?.public() else {
            return Ok(None);
        };
        let steps: Vec<(i64, String)> = sqlx::query_as(HISTORY)
            .bind(r.id)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut history = vec![StatusChange {
            at: r.created_at,
            status: CommentStatus::Pending,
        }];
        // Audit details read "before -> after"; the trust rule's "new -> approved".
        for (at, detail) in steps {
            let after = detail.rsplit(" -> ").next().and_then(Disposition::parse);
            match after.and_then(Disposition::public) {
                Some(CommentStatus::Approved) if detail.starts_with("new ") => {
                    history[0].status = CommentStatus::Approved;
                }
                Some(status) => history.push(StatusChange { at, status }),
                None => {}
            }
        }
        Ok(Some(OwnComment {
            id: r.id,
            thread: r.thread_key,
            author: r.author,
            body: r.body,
            status,
            created_at: r.created_at,
            decided_at: r.decided_at,
            page_title: r.page_title,
            page_url: r.page_url,
            flags: super::decode_flags(&r.flags),
            email: r.notify_email,
            replies_email: r.replies_email,
            address_hash: r.ip_hmac,
            reader_hash: r.author_key,
            history,
        }))
    }

    async fn purge_inner(&self, before: PurgeBefore) -> StoreResult<Purged> {
        let PurgeBefore {
            addresses: addresses_before,
            deleted: deleted_before,
            link_nonces: nonces_before,
            sessions: now,
            subscriptions: subscriptions_before,
        } = before;
        let mut tx = self.write().await?;
        let addresses =
            sqlx::query("UPDATE comments SET ip_hmac = '' WHERE ip_hmac != '' AND created_at < $1")
                .bind(addresses_before)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        // Those that replies answer are erased instead, and go once none does.
        let erased = sqlx::query(PURGE_ERASE)
            .bind(deleted_before)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let deleted_comments = erased
            + sqlx::query(PURGE_DELETE)
                .bind(deleted_before)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        // An allowance whole again needs no row.
        sqlx::query("DELETE FROM allowances WHERE tat < $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let links = sqlx::query("DELETE FROM used_links WHERE used_at < $1")
            .bind(nonces_before)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let subscriptions = sqlx::query("DELETE FROM reply_subscriptions WHERE created_at < $1")
            .bind(subscriptions_before)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        // Which replies were mailed matters only while a subscription may last.
        sqlx::query("DELETE FROM reply_mails WHERE sent_at < $1")
            .bind(subscriptions_before)
            .execute(&mut *tx)
            .await?;
        // Reports on comments purged since: nothing to review any more.
        sqlx::query(
            "DELETE FROM reports WHERE NOT EXISTS \
             (SELECT 1 FROM comments c WHERE c.id = reports.comment_id)",
        )
        .execute(&mut *tx)
        .await?;
        let purged = Purged {
            addresses,
            deleted_comments,
            sessions,
            links,
            subscriptions,
        };
        if purged != Purged::default() {
            let detail = format!(
                "{addresses} address hash(es), {deleted_comments} deleted comment(s), \
                 {sessions} expired session(s), {links} used link(s), \
                 {subscriptions} reply subscription(s)"
            );
            audit_line(&mut tx, "purge", "purge", None, "", &detail).await?;
        }
        tx.commit().await?;
        Ok(purged)
    }

    async fn purge_author_inner(
        &self,
        author_key: &str,
        actor: &str,
    ) -> StoreResult<(u64, Vec<RevisionChange>)> {
        let mut tx = self.write().await?;
        let removals: Vec<Removal> = sqlx::query_as(REMOVE_BY_READER)
            .bind(author_key)
            .fetch_all(&mut *tx)
            .await?;
        let mut rows = Vec::with_capacity(removals.len());
        for (id, thread, status, root, answered) in removals {
            Self::remove(&mut tx, id, answered != 0).await?;
            rows.push((thread, status, id, root));
        }
        let mut public: Vec<String> = rows
            .iter()
            .filter(|(_, status, _, _)| status == "approved")
            .map(|(thread, _, _, _)| thread.clone())
            .collect();
        public.sort();
        public.dedup();
        let mut changes = Vec::with_capacity(public.len());
        for thread in public {
            let changed: Vec<(i64, Option<i64>)> = rows
                .iter()
                .filter(|(t, status, _, _)| *t == thread && status == "approved")
                .map(|(_, _, id, root)| (*id, *root))
                .collect();
            let rev = self.bump_revision(&mut tx, &thread, &changed).await?;
            changes.push((thread, rev));
        }
        // The moderators' note on them goes with everything else.
        sqlx::query("DELETE FROM reader_notes WHERE author_key = $1")
            .bind(author_key)
            .execute(&mut *tx)
            .await?;
        let count = u64::try_from(rows.len()).unwrap_or(u64::MAX);
        let detail = format!("{count} comment(s) of reader {author_key}");
        audit_line(&mut tx, actor, "purge_author", None, "", &detail).await?;
        tx.commit().await?;
        Ok((count, changes))
    }
}

impl Store for SqlStore {
    fn insert_pending<'a>(&'a self, c: &'a NewPending) -> StoreFuture<'a, Inserted> {
        Box::pin(async move {
            let mut tx = self.write().await?;
            let status = match (c.trusted, c.banned) {
                (_, true) => "rejected",
                (true, false) => "approved",
                (false, false) => "pending",
            };
            let decided_at = (c.trusted || c.banned).then_some(c.created_at);
            // A reply answers a comment published in the same thread, now:
            // checked inside the write, so a rejection cannot slip between.
            let root = match c.parent {
                None => None,
                Some(parent) => {
                    let row: Option<ParentRow> = sqlx::query_as(PARENT)
                        .bind(parent)
                        .fetch_optional(&mut *tx)
                        .await?;
                    match row {
                        Some(row)
                            if row.thread_key == c.thread.as_str() && row.status == "approved" =>
                        {
                            Some(row.root_id.unwrap_or(parent))
                        }
                        _ => return Err(StoreError::InvalidParent),
                    }
                }
            };
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO comments (thread_key, author, body, status, token_hash, \
                 body_hash, flags, ip_hmac, created_at, decided_at, page_title, page_url, \
                 author_key, notify_email, parent_id, root_id, staff) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                 $17) RETURNING id",
            )
            .bind(c.thread.as_str())
            .bind(c.author.as_str())
            .bind(c.body.as_str())
            .bind(status)
            .bind(&c.token_hash)
            .bind(&c.body_hash)
            .bind(&c.flags)
            .bind(&c.ip_hmac)
            .bind(c.created_at)
            .bind(decided_at)
            .bind(&c.page.title)
            .bind(&c.page.url)
            .bind(&c.author_key)
            .bind(&c.notify_email)
            .bind(c.parent)
            .bind(root)
            .bind(c.staff.as_ref().map_or("", |s| s.label.as_str()))
            .fetch_one(&mut *tx)
            .await?;
            // Never published, never mailed: a rejected comment keeps no address.
            if !c.replies_email.is_empty() && !c.banned {
                sqlx::query(
                    "INSERT INTO reply_subscriptions (comment_id, email, author_key, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(id)
                .bind(&c.replies_email)
                .bind(&c.author_key)
                .bind(c.created_at)
                .execute(&mut *tx)
                .await?;
            }
            let revision = if c.trusted {
                let thread = c.thread.as_str();
                let (actor, action) = match (&c.staff, c.post_moderated) {
                    (Some(staff), _) => (staff.moderator.as_str(), "staff_reply"),
                    (None, true) => ("post-moderation", "approved"),
                    (None, false) => ("trust rule", "approved"),
                };
                audit_line(&mut tx, actor, action, Some(id), thread, "new -> approved").await?;
                Some(self.bump_revision(&mut tx, thread, &[(id, root)]).await?)
            } else {
                if c.banned {
                    let (actor, detail) = if c.flags.split(',').any(|f| f == "banned_word") {
                        ("word list", "new -> rejected (banned word)")
                    } else {
                        ("ban", "new -> rejected (banned reader)")
                    };
                    audit_line(
                        &mut tx,
                        actor,
                        "rejected",
                        Some(id),
                        c.thread.as_str(),
                        detail,
                    )
                    .await?;
                }
                None
            };
            tx.commit().await?;
            Ok(Inserted { id, revision })
        })
    }

    fn body_seen_since<'a>(&'a self, body_hash: &'a str, since: i64) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let row: Option<(i64,)> = sqlx::query_as(BODY_SEEN)
                .bind(body_hash)
                .bind(since)
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.is_some())
        })
    }

    fn pending_counts<'a>(&'a self, thread: &'a ThreadKey) -> StoreFuture<'a, (u64, u64)> {
        Box::pin(async move {
            let (in_thread, total): (i64, i64) = sqlx::query_as(PENDING_COUNTS)
                .bind(thread.as_str())
                .fetch_one(&self.pool)
                .await?;
            Ok((
                u64::try_from(in_thread).unwrap_or(0),
                u64::try_from(total).unwrap_or(0),
            ))
        })
    }

    fn approved_counts<'a>(&'a self, threads: &'a [ThreadKey]) -> StoreFuture<'a, Vec<u64>> {
        Box::pin(async move {
            // One read transaction: counts of one moment.
            let mut tx = self.read().await?;
            let mut counts = Vec::with_capacity(threads.len());
            for thread in threads {
                let (n,): (i64,) = sqlx::query_as(APPROVED_COUNT)
                    .bind(thread.as_str())
                    .fetch_one(&mut *tx)
                    .await?;
                counts.push(u64::try_from(n).unwrap_or(0));
            }
            tx.commit().await?;
            Ok(counts)
        })
    }

    fn approved<'a>(&'a self, thread: &'a ThreadKey) -> StoreFuture<'a, ThreadSnapshot> {
        Box::pin(async move {
            // One read transaction: the list is exactly the one of its revision.
            let mut tx = self.read().await?;
            let revision: Option<(i64,)> = sqlx::query_as(THREAD_REVISION)
                .bind(thread.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            let rows: Vec<PublicRow> = sqlx::query_as(THREAD_LIST)
                .bind(thread.as_str())
                .fetch_all(&mut *tx)
                .await?;
            let mut comments: Vec<PublicComment> =
                rows.into_iter().map(PublicRow::public).collect();
            Self::add_removed_parents(&mut tx, &mut comments).await?;
            tx.commit().await?;
            Ok(ThreadSnapshot {
                revision: revision.map_or(0, |(r,)| self::revision(r)),
                comments,
            })
        })
    }

    fn page<'a>(&'a self, thread: &'a ThreadKey, q: &'a PageQuery) -> StoreFuture<'a, Page> {
        Box::pin(async move {
            let mut tx = self.read().await?;
            let revision: Option<(i64,)> = sqlx::query_as(THREAD_REVISION)
                .bind(thread.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            let (sql, start) = match q.order {
                Order::Oldest => (TOP_OLDEST, (0, i64::MIN, i64::MIN)),
                Order::Newest => (TOP_NEWEST, (0, i64::MAX, i64::MAX)),
                Order::Replies => (TOP_REPLIES, (i64::MAX, i64::MIN, i64::MIN)),
            };
            let after = q.after.map_or(start, |c| (c.replies, c.at, c.id));
            // One more than asked: whether there is a next page.
            let mut tops: Vec<PublicRow> = sqlx::query_as(sql)
                .bind(thread.as_str())
                .bind(after.0)
                .bind(after.1)
                .bind(after.2)
                .bind(i64::from(q.limit) + 1)
                .fetch_all(&mut *tx)
                .await?;
            let more = tops.len() > q.limit as usize;
            tops.truncate(q.limit as usize);
            let next = if more {
                tops.last().map(|t| Cursor {
                    replies: t.reply_count,
                    at: t.created_at,
                    id: t.id,
                })
            } else {
                None
            };
            let mut comments = Vec::new();
            for root in tops {
                comments.extend(Self::conversation_in(&mut tx, root, q.replies).await?);
            }
            tx.commit().await?;
            Ok(Page {
                revision: revision.map_or(0, |(r,)| self::revision(r)),
                comments,
                next,
            })
        })
    }

    fn conversation<'a>(
        &'a self,
        thread: &'a ThreadKey,
        root: i64,
        limit: u32,
    ) -> StoreFuture<'a, Option<Page>> {
        Box::pin(async move {
            let mut tx = self.read().await?;
            let revision: Option<(i64,)> = sqlx::query_as(THREAD_REVISION)
                .bind(thread.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            let row: Option<PublicRow> = sqlx::query_as(PUBLIC_ONE)
                .bind(root)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) =
                row.filter(|r| r.thread_key == thread.as_str() && r.parent_id.is_none())
            else {
                return Ok(None);
            };
            let comments = Self::conversation_in(&mut tx, row, limit).await?;
            tx.commit().await?;
            // An unpublished top-level comment without replies shows nothing.
            if comments.len() == 1 && comments[0].removed {
                return Ok(None);
            }
            Ok(Some(Page {
                revision: revision.map_or(0, |(r,)| self::revision(r)),
                comments,
                next: None,
            }))
        })
    }

    fn changes<'a>(&'a self, thread: &'a ThreadKey, since: u64) -> StoreFuture<'a, Changes> {
        Box::pin(async move {
            let mut tx = self.read().await?;
            let row: Option<(i64, i64)> = sqlx::query_as(LOG_FLOOR)
                .bind(thread.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            let (revision, floor) =
                row.map_or((0, 0), |(r, f)| (self::revision(r), self::revision(f)));
            if since < floor || since > revision {
                tx.commit().await?;
                return Ok(Changes::Reset { revision });
            }
            let mut ids: Vec<(i64,)> = sqlx::query_as(CHANGED)
                .bind(thread.as_str())
                .bind(i64::try_from(since).unwrap_or(i64::MAX))
                .fetch_all(&mut *tx)
                .await?;
            ids.sort_unstable();
            ids.dedup();
            let (mut comments, mut removed) = (Vec::new(), Vec::new());
            for (id,) in ids {
                let row: Option<PublicRow> = sqlx::query_as(PUBLIC_ONE)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let shown = match row {
                    Some(row) if row.status == "approved" => Some(row.public()),
                    Some(row) => {
                        let answered: Option<(i64,)> = sqlx::query_as(HAS_REPLIES)
                            .bind(id)
                            .fetch_optional(&mut *tx)
                            .await?;
                        answered.map(|_| row.public())
                    }
                    None => None,
                };
                match shown {
                    Some(c) => comments.push(c),
                    None => removed.push(id),
                }
            }
            tx.commit().await?;
            comments.sort_by_key(|c| (c.created_at, c.id));
            Ok(Changes::Since {
                revision,
                comments,
                removed,
            })
        })
    }

    fn root_of<'a>(&'a self, thread: &'a ThreadKey, id: i64) -> StoreFuture<'a, Option<Cursor>> {
        Box::pin(async move {
            let mut conn = self.pool.acquire().await?;
            let row: Option<PublicRow> = sqlx::query_as(PUBLIC_ONE)
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
            // Only a comment readers can see: a pending or rejected one's
            // id says nothing, not even that it exists.
            let Some(row) =
                row.filter(|r| r.thread_key == thread.as_str() && r.status == "approved")
            else {
                return Ok(None);
            };
            let root = match row.root_id {
                None => row,
                Some(root) => {
                    let r: Option<PublicRow> = sqlx::query_as(PUBLIC_ONE)
                        .bind(root)
                        .fetch_optional(&mut *conn)
                        .await?;
                    match r {
                        Some(r) => r,
                        None => return Ok(None),
                    }
                }
            };
            Ok(Some(Cursor {
                replies: 0,
                at: root.created_at,
                id: root.id,
            }))
        })
    }

    fn statuses<'a>(
        &'a self,
        token_hashes: &'a [String],
    ) -> StoreFuture<'a, Vec<Option<(i64, CommentStatus)>>> {
        Box::pin(async move {
            let mut out = Vec::with_capacity(token_hashes.len());
            let mut conn = self.pool.acquire().await?;
            for hash in token_hashes {
                let row: Option<(i64, String)> = sqlx::query_as(STATUS)
                    .bind(hash)
                    .fetch_optional(&mut *conn)
                    .await?;
                out.push(match row {
                    Some((id, s)) => status_from_db(&s)?.public().map(|s| (id, s)),
                    None => None,
                });
            }
            Ok(out)
        })
    }

    fn queue<'a>(&'a self, q: &'a QueueQuery) -> StoreFuture<'a, Vec<ModerationItem>> {
        Box::pin(async move {
            let sql = match (q.thread.is_some(), q.newest_first) {
                (false, false) => QUEUE_ASC,
                (false, true) => QUEUE_DESC,
                (true, false) => QUEUE_THREAD_ASC,
                (true, true) => QUEUE_THREAD_DESC,
            };
            let rows: Vec<ItemRow> = sqlx::query_as(sql)
                .bind(q.status.as_str())
                .bind(q.thread.as_deref())
                .bind(q.author.as_deref())
                .bind(i64::from(q.limit))
                .bind(q.section.as_deref())
                .bind(q.site.as_deref())
                .fetch_all(&self.pool)
                .await?;
            rows.into_iter().map(item).collect()
        })
    }

    fn comment(&self, id: i64) -> StoreFuture<'_, Option<ModerationItem>> {
        Box::pin(async move {
            let row: Option<ItemRow> = sqlx::query_as(ONE_COMMENT)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
            row.map(item).transpose()
        })
    }

    fn approved_by_author<'a>(&'a self, author_key: &'a str) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let (n,): (i64,) = sqlx::query_as(APPROVED_BY_AUTHOR)
                .bind(author_key)
                .fetch_one(&self.pool)
                .await?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    fn decide<'a>(&'a self, decisions: &'a Decisions) -> StoreFuture<'a, Decided> {
        Box::pin(self.decide_inner(decisions))
    }

    fn counts(&self, since: i64) -> StoreFuture<'_, Counts> {
        Box::pin(async move {
            let (pending, approved, rejected, reported): (i64, i64, i64, i64) =
                sqlx::query_as(COUNTS)
                    .bind(since)
                    .fetch_one(&self.pool)
                    .await?;
            let n = |v: i64| u64::try_from(v).unwrap_or(0);
            Ok(Counts {
                pending: n(pending),
                approved_since: n(approved),
                rejected_since: n(rejected),
                reported: n(reported),
            })
        })
    }

    fn by_token<'a>(&'a self, token_hash: &'a str) -> StoreFuture<'a, Option<OwnComment>> {
        Box::pin(self.by_token_inner(token_hash))
    }

    fn delete_by_token<'a>(&'a self, token_hash: &'a str) -> StoreFuture<'a, Option<Decision>> {
        Box::pin(self.delete_inner(token_hash))
    }

    fn purge_author<'a>(
        &'a self,
        author_key: &'a str,
        actor: &'a str,
    ) -> StoreFuture<'a, (u64, Vec<RevisionChange>)> {
        Box::pin(self.purge_author_inner(author_key, actor))
    }

    fn ban<'a>(
        &'a self,
        comment_id: i64,
        expires_at: Option<i64>,
        actor: &'a str,
    ) -> StoreFuture<'a, Option<Ban>> {
        Box::pin(async move {
            let mut tx = self.write().await?;
            let row: Option<(String, String, String)> = sqlx::query_as(
                "SELECT thread_key, author_key, ip_hmac FROM comments WHERE id = $1",
            )
            .bind(comment_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((thread, author_key, ip_hmac)) = row else {
                return Ok(None);
            };
            if author_key.is_empty() && ip_hmac.is_empty() {
                return Ok(None);
            }
            let now = crate::clock::now_ms();
            let (ban_id,): (i64,) = sqlx::query_as(
                "INSERT INTO bans (author_key, ip_hmac, comment_id, actor, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(&author_key)
            .bind(&ip_hmac)
            .bind(comment_id)
            .bind(actor)
            .bind(now)
            .bind(expires_at)
            .fetch_one(&mut *tx)
            .await?;
            let until = match expires_at {
                Some(at) => format!("until {}", crate::clock::iso_utc(at)),
                None => "for good".to_string(),
            };
            audit_line(
                &mut tx,
                actor,
                "ban",
                Some(comment_id),
                &thread,
                &format!("reader banned {until}"),
            )
            .await?;
            let ban: BanRow = sqlx::query_as(BAN).bind(ban_id).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(Some(ban_of(ban)))
        })
    }

    fn set_mode<'a>(
        &'a self,
        pattern: &'a str,
        mode: Option<Mode>,
        actor: &'a str,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut tx = self.write().await?;
            let before: Option<(String,)> =
                sqlx::query_as("SELECT mode FROM thread_modes WHERE pattern = $1")
                    .bind(pattern)
                    .fetch_optional(&mut *tx)
                    .await?;
            match mode {
                Some(mode) => {
                    sqlx::query(
                        "INSERT INTO thread_modes (pattern, mode, actor, set_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (pattern) DO UPDATE SET mode = $2, actor = $3, set_at = $4",
                    )
                    .bind(pattern)
                    .bind(mode.as_str())
                    .bind(actor)
                    .bind(crate::clock::now_ms())
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query("DELETE FROM thread_modes WHERE pattern = $1")
                        .bind(pattern)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            let from = before.map_or("default".to_string(), |(m,)| m);
            let to = mode.map_or("default", Mode::as_str);
            if from != to {
                let detail = format!("{pattern}: {from} -> {to}");
                audit_line(&mut tx, actor, "mode", None, "", &detail).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn set_thread_state<'a>(
        &'a self,
        thread: &'a ThreadKey,
        state: Option<ThreadState>,
        actor: &'a str,
    ) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let mut tx = self.write().await?;
            let key = thread.as_str();
            let before: Option<(String,)> =
                sqlx::query_as("SELECT state FROM thread_states WHERE thread_key = $1")
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await?;
            match state {
                Some(state) => {
                    sqlx::query(
                        "INSERT INTO thread_states (thread_key, state, actor, set_at) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (thread_key) \
                         DO UPDATE SET state = $2, actor = $3, set_at = $4",
                    )
                    .bind(key)
                    .bind(state.as_str())
                    .bind(actor)
                    .bind(crate::clock::now_ms())
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query("DELETE FROM thread_states WHERE thread_key = $1")
                        .bind(key)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            let from = before.map_or("automatic".to_string(), |(s,)| s);
            let to = state.map_or("automatic", ThreadState::as_str);
            let action = match state {
                Some(ThreadState::Closed) => "close",
                Some(ThreadState::Open) => "reopen",
                None => "thread_state",
            };
            audit_line(
                &mut tx,
                actor,
                action,
                None,
                key,
                &format!("{from} -> {to}"),
            )
            .await?;
            let revision = self.bump_revision(&mut tx, key, &[]).await?;
            tx.commit().await?;
            Ok(revision)
        })
    }

    fn closing<'a>(&'a self, thread: &'a ThreadKey) -> StoreFuture<'a, Closing> {
        Box::pin(async move {
            let (state, set_at, first_at): (Option<String>, Option<i64>, Option<i64>) =
                sqlx::query_as(THREAD_STATE)
                    .bind(thread.as_str())
                    .fetch_one(&self.pool)
                    .await?;
            let state = match (state, set_at) {
                (Some(s), Some(at)) => Some((
                    ThreadState::parse(&s).ok_or_else(|| {
                        StoreError::Other(format!("unknown thread state {s:?} in db"))
                    })?,
                    at,
                )),
                _ => None,
            };
            Ok(Closing { state, first_at })
        })
    }

    fn feature<'a>(
        &'a self,
        id: i64,
        featured: bool,
        actor: &'a str,
        now: i64,
    ) -> StoreFuture<'a, Option<RevisionChange>> {
        Box::pin(async move {
            let mut tx = self.write().await?;
            let row: Option<(String, Option<i64>)> = sqlx::query_as(
                "UPDATE comments SET featured_at = $2 WHERE id = $1 AND status = 'approved' \
                 AND (featured_at IS NULL) = $3 RETURNING thread_key, root_id",
            )
            .bind(id)
            .bind(featured.then_some(now))
            .bind(featured)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((thread, root)) = row else {
                return Ok(None);
            };
            let action = if featured { "feature" } else { "unfeature" };
            audit_line(&mut tx, actor, action, Some(id), &thread, "").await?;
            let revision = self.bump_revision(&mut tx, &thread, &[(id, root)]).await?;
            tx.commit().await?;
            Ok(Some((thread, revision)))
        })
    }

    fn featured<'a>(
        &'a self,
        thread: &'a ThreadKey,
        limit: u32,
    ) -> StoreFuture<'a, Vec<PublicComment>> {
        Box::pin(async move {
            let rows: Vec<PublicRow> = sqlx::query_as(FEATURED)
                .bind(thread.as_str())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
            Ok(rows.into_iter().map(PublicRow::public).collect())
        })
    }

    fn modes(&self) -> StoreFuture<'_, Vec<ModeRule>> {
        Box::pin(async move {
            let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
                "SELECT pattern, mode, actor, set_at FROM thread_modes ORDER BY pattern",
            )
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter()
                .map(|(pattern, mode, actor, set_at)| {
                    let mode = Mode::parse(&mode).ok_or_else(|| {
                        StoreError::Other(format!("unknown thread mode {mode:?} in db"))
                    })?;
                    Ok(ModeRule {
                        pattern,
                        mode,
                        actor,
                        set_at,
                    })
                })
                .collect()
        })
    }

    fn mode_of<'a>(&'a self, thread: &'a ThreadKey) -> StoreFuture<'a, Option<Mode>> {
        Box::pin(async move {
            let row: Option<(String,)> = sqlx::query_as(MODE_OF)
                .bind(thread.as_str())
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.and_then(|(m,)| Mode::parse(&m)))
        })
    }

    fn pending_of_reader(&self, comment_id: i64) -> StoreFuture<'_, Vec<i64>> {
        Box::pin(async move {
            let ids: Vec<(i64,)> = sqlx::query_as(PENDING_OF_READER)
                .bind(comment_id)
                .fetch_all(&self.pool)
                .await?;
            Ok(ids.into_iter().map(|(id,)| id).collect())
        })
    }

    fn lift_ban<'a>(&'a self, id: i64, actor: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut tx = self.write().await?;
            let now = crate::clock::now_ms();
            let lifted: Option<(i64,)> = sqlx::query_as(
                "UPDATE bans SET lifted_at = $2 WHERE id = $1 AND lifted_at IS NULL \
                 AND (expires_at IS NULL OR expires_at > $2) RETURNING comment_id",
            )
            .bind(id)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((comment_id,)) = lifted {
                audit_line(
                    &mut tx,
                    actor,
                    "unban",
                    Some(comment_id),
                    "",
                    &format!("ban {id} lifted"),
                )
                .await?;
            }
            tx.commit().await?;
            Ok(lifted.is_some())
        })
    }

    fn set_note<'a>(
        &'a self,
        author_key: &'a str,
        note: &'a str,
        actor: &'a str,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut tx = self.write().await?;
            let known: Option<(i64,)> = sqlx::query_as(
                "SELECT id FROM comments WHERE author_key = $1 AND author_key != '' LIMIT 1",
            )
            .bind(author_key)
            .fetch_optional(&mut *tx)
            .await?;
            if known.is_none() {
                return Ok(false);
            }
            let short = author_key.get(..8).unwrap_or(author_key);
            let detail = if note.is_empty() {
                sqlx::query("DELETE FROM reader_notes WHERE author_key = $1")
                    .bind(author_key)
                    .execute(&mut *tx)
                    .await?;
                format!("note on reader {short} removed")
            } else {
                sqlx::query(
                    "INSERT INTO reader_notes (author_key, note, actor, updated_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (author_key) DO UPDATE \
                     SET note = excluded.note, actor = excluded.actor, \
                     updated_at = excluded.updated_at",
                )
                .bind(author_key)
                .bind(note)
                .bind(actor)
                .bind(crate::clock::now_ms())
                .execute(&mut *tx)
                .await?;
                format!("note on reader {short}: {note}")
            };
            audit_line(&mut tx, actor, "note", None, "", &detail).await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    fn note<'a>(&'a self, author_key: &'a str) -> StoreFuture<'a, Option<ReaderNote>> {
        Box::pin(async move {
            let row: Option<(String, String, i64)> = sqlx::query_as(
                "SELECT note, actor, updated_at FROM reader_notes WHERE author_key = $1",
            )
            .bind(author_key)
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.map(|(note, actor, updated_at)| ReaderNote {
                note,
                actor,
                updated_at,
            }))
        })
    }

    fn reader_history<'a>(
        &'a self,
        author_key: &'a str,
        limit: u32,
    ) -> StoreFuture<'a, Vec<ModerationItem>> {
        Box::pin(async move {
            let rows: Vec<ItemRow> = sqlx::query_as(READER_HISTORY)
                .bind(author_key)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
            rows.into_iter().map(item).collect()
        })
    }

    fn bans(&self, now: i64) -> StoreFuture<'_, Vec<Ban>> {
        Box::pin(async move {
            let rows: Vec<BanRow> = sqlx::query_as(BANS).bind(now).fetch_all(&self.pool).await?;
            Ok(rows.into_iter().map(ban_of).collect())
        })
    }

    fn is_banned<'a>(
        &'a self,
        author_key: &'a str,
        ip_hmac: &'a str,
        now: i64,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let row: Option<(i64,)> = sqlx::query_as(BANNED)
                .bind(author_key)
                .bind(ip_hmac)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.is_some())
        })
    }

    fn report<'a>(&'a self, r: &'a NewReport) -> StoreFuture<'a, Option<ReportOutcome>> {
        Box::pin(async move {
            let mut tx = self.write().await?;
            let row: Option<(String, String, Option<i64>)> = sqlx::query_as(
                "SELECT thread_key, flags, root_id FROM comments WHERE id = $1 AND status = 'approved'",
            )
            .bind(r.comment_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((thread, flags, root)) = row else {
                return Ok(None);
            };
            let fresh = sqlx::query(
                "INSERT INTO reports (comment_id, reporter, reason, explanation, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (comment_id, reporter) DO NOTHING",
            )
            .bind(r.comment_id)
            .bind(&r.reporter)
            .bind(r.reason.as_str())
            .bind(&r.explanation)
            .bind(r.created_at)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            let (open,): (i64,) = sqlx::query_as(
                "SELECT count(*) FROM reports WHERE comment_id = $1 AND resolved_at IS NULL",
            )
            .bind(r.comment_id)
            .fetch_one(&mut *tx)
            .await?;
            let hide = fresh && r.hide_after > 0 && open >= i64::from(r.hide_after);
            let hidden = if hide {
                let mut names = super::decode_flags(&flags);
                if !names.iter().any(|f| f == REPORTED_FLAG) {
                    names.push(REPORTED_FLAG.to_string());
                }
                sqlx::query(
                    "UPDATE comments SET status = 'pending', decided_at = $2, flags = $3 WHERE id = $1",
                )
                .bind(r.comment_id)
                .bind(r.created_at)
                .bind(super::encode_flags(names.iter().map(String::as_str)))
                .execute(&mut *tx)
                .await?;
                let detail = format!("approved -> pending (hidden after {open} reports)");
                audit_line(
                    &mut tx,
                    "reports",
                    "hidden",
                    Some(r.comment_id),
                    &thread,
                    &detail,
                )
                .await?;
                let rev = self
                    .bump_revision(&mut tx, &thread, &[(r.comment_id, root)])
                    .await?;
                Some((thread, rev))
            } else {
                None
            };
            tx.commit().await?;
            Ok(Some(ReportOutcome { hidden }))
        })
    }

    fn reported(&self, limit: u32) -> StoreFuture<'_, Vec<ReportedItem>> {
        Box::pin(async move {
            let mut tx = self.read().await?;
            let ids: Vec<(i64, i64)> = sqlx::query_as(REPORTED)
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await?;
            let mut out = Vec::with_capacity(ids.len());
            for (id, _) in ids {
                let Some(row) = sqlx::query_as::<_, ItemRow>(ONE_COMMENT)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                else {
                    continue;
                };
                let comment = item(row)?;
                let reports: Vec<(String, String, i64)> = sqlx::query_as(OPEN_REPORTS)
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?;
                let hidden = comment.status == Disposition::Pending
                    && comment.flags.iter().any(|f| f == REPORTED_FLAG);
                out.push(ReportedItem {
                    comment,
                    reports: reports
                        .into_iter()
                        .map(|(reason, explanation, created_at)| ReportEntry {
                            reason,
                            explanation,
                            created_at,
                        })
                        .collect(),
                    hidden,
                });
            }
            tx.commit().await?;
            Ok(out)
        })
    }

    fn dismiss_reports<'a>(
        &'a self,
        id: i64,
        actor: &'a str,
    ) -> StoreFuture<'a, Option<Option<RevisionChange>>> {
        Box::pin(async move {
            let mut tx = self.write().await?;
            let now = crate::clock::now_ms();
            let dismissed = sqlx::query(
                "UPDATE reports SET resolved_at = $2 WHERE comment_id = $1 AND resolved_at IS NULL",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if dismissed == 0 {
                return Ok(None);
            }
            let row: Option<(String, String, String, Option<i64>)> = sqlx::query_as(
                "SELECT thread_key, status, flags, root_id FROM comments WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((thread, status, flags, root)) = row else {
                return Ok(None);
            };
            let mut names = super::decode_flags(&flags);
            let was_hidden = status == "pending" && names.iter().any(|f| f == REPORTED_FLAG);
            let detail = format!("{dismissed} report(s) dismissed");
            audit_line(
                &mut tx,
                actor,
                "dismiss_reports",
                Some(id),
                &thread,
                &detail,
            )
            .await?;
            let republished = if was_hidden {
                names.retain(|f| f != REPORTED_FLAG);
                sqlx::query(
                    "UPDATE comments SET status = 'approved', decided_at = $2, flags = $3 WHERE id = $1",
                )
                .bind(id)
                .bind(now)
                .bind(super::encode_flags(names.iter().map(String::as_str)))
                .execute(&mut *tx)
                .await?;
                audit_line(
                    &mut tx,
                    actor,
                    "approved",
                    Some(id),
                    &thread,
                    "pending -> approved",
                )
                .await?;
                let rev = self.bump_revision(&mut tx, &thread, &[(id, root)]).await?;
                Some((thread, rev))
            } else {
                None
            };
            tx.commit().await?;
            Ok(Some(republished))
        })
    }

    fn claim_reply_mail(&self, reply_id: i64) -> StoreFuture<'_, Option<ReplyMail>> {
        Box::pin(async move {
            let mut tx = self.write().await?;
            let row: Option<ReplyMailRow> = sqlx::query_as(
                "SELECT s.email, s.author_key AS subscriber, r.parent_id, r.author_key, r.author, \
                 r.body, r.thread_key, r.page_title, r.page_url \
                 FROM comments r JOIN reply_subscriptions s ON s.comment_id = r.parent_id \
                 WHERE r.id = $1 AND r.status = 'approved'",
            )
            .bind(reply_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            // Nobody is told of their own replies.
            if !row.subscriber.is_empty() && row.subscriber == row.author_key {
                return Ok(None);
            }
            let fresh = sqlx::query(
                "INSERT INTO reply_mails (reply_id, sent_at) VALUES ($1, $2) \
                 ON CONFLICT (reply_id) DO NOTHING",
            )
            .bind(reply_id)
            .bind(crate::clock::now_ms())
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            tx.commit().await?;
            Ok(fresh.then_some(ReplyMail {
                to: row.email,
                parent_id: row.parent_id,
                reply_id,
                author: row.author,
                body: row.body,
                thread: row.thread_key,
                page_title: row.page_title,
                page_url: row.page_url,
            }))
        })
    }

    fn subscribed(&self, id: i64) -> StoreFuture<'_, bool> {
        Box::pin(async move {
            let (n,): (i64,) =
                sqlx::query_as("SELECT count(*) FROM reply_subscriptions WHERE comment_id = $1")
                    .bind(id)
                    .fetch_one(&self.pool)
                    .await?;
            Ok(n > 0)
        })
    }

    fn unsubscribe(&self, id: i64) -> StoreFuture<'_, bool> {
        Box::pin(async move {
            let mut tx = self.write().await?;
            let gone = sqlx::query("DELETE FROM reply_subscriptions WHERE comment_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok(gone > 0)
        })
    }

    fn last_comment_id(&self) -> StoreFuture<'_, i64> {
        Box::pin(async move {
            let (id,): (Option<i64>,) = sqlx::query_as("SELECT max(id) FROM comments")
                .fetch_one(&self.pool)
                .await?;
            Ok(id.unwrap_or(0))
        })
    }

    fn purge(&self, before: PurgeBefore) -> StoreFuture<'_, Purged> {
        Box::pin(self.purge_inner(before))
    }

    fn create_session<'a>(&'a self, session: &'a Session) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut tx = self.write().await?;
            sqlx::query(
                "INSERT INTO sessions (token_hash, moderator, csrf, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&session.token_hash)
            .bind(&session.moderator)
            .bind(&session.csrf)
            .bind(session.created_at)
            .bind(session.expires_at)
            .execute(&mut *tx)
            .await?;
            audit_line(&mut tx, &session.moderator, "sign_in", None, "", "").await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn session<'a>(&'a self, token_hash: &'a str, now: i64) -> StoreFuture<'a, Option<Session>> {
        Box::pin(async move {
            let row: Option<(String, String, String, i64, i64)> = sqlx::query_as(SESSION)
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.map(
                |(token_hash, moderator, csrf, created_at, expires_at)| Session {
                    token_hash,
                    moderator,
                    csrf,
                    created_at,
                    expires_at,
                },
            ))
        })
    }

    fn delete_session<'a>(&'a self, token_hash: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut tx = self.write().await?;
            let row: Option<(String,)> =
                sqlx::query_as("DELETE FROM sessions WHERE token_hash = $1 RETURNING moderator")
                    .bind(token_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some((moderator,)) = row {
                audit_line(&mut tx, &moderator, "sign_out", None, "", "").await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn end_sessions<'a>(&'a self, moderator: &'a str, actor: &'a str) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let mut tx = self.write().await?;
            let ended = sqlx::query("DELETE FROM sessions WHERE moderator = $1")
                .bind(moderator)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let detail = format!("{ended} session(s) of {moderator}");
            audit_line(&mut tx, actor, "sign_out", None, "", &detail).await?;
            tx.commit().await?;
            Ok(ended)
        })
    }

    fn audit(&self, limit: u32) -> StoreFuture<'_, Vec<AuditEntry>> {
        Box::pin(async move {
            let rows: Vec<(i64, String, String, Option<i64>, String, String)> = sqlx::query_as(
                "SELECT at, actor, action, comment_id, thread_key, detail FROM audit \
                 ORDER BY id DESC LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(
                    |(at, actor, action, comment_id, thread, detail)| AuditEntry {
                        at,
                        actor,
                        action,
                        comment_id,
                        thread,
                        detail,
                    },
                )
                .collect())
        })
    }

    fn meta<'a>(&'a self, name: &'a str) -> StoreFuture<'a, Option<String>> {
        Box::pin(async move {
            let row: Option<(String,)> = sqlx::query_as("SELECT value FROM meta WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.map(|(v,)| v))
        })
    }

    fn set_meta_once<'a>(&'a self, name: &'a str, value: &'a str) -> StoreFuture<'a, String> {
        Box::pin(async move {
            let mut tx = self.write().await?;
            sqlx::query(
                "INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(value)
            .execute(&mut *tx)
            .await?;
            let (v,): (String,) = sqlx::query_as("SELECT value FROM meta WHERE name = $1")
                .bind(name)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(v)
        })
    }

    fn delete_meta<'a>(&'a self, name: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut tx = self.write().await?;
            sqlx::query("DELETE FROM meta WHERE name = $1")
                .bind(name)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn revisions_since(&self, after: u64) -> StoreFuture<'_, Vec<RevisionChange>> {
        Box::pin(async move {
            let after = i64::try_from(after).unwrap_or(i64::MAX);
            let rows: Vec<(String, i64)> = sqlx::query_as(REVISIONS_SINCE)
                .bind(after)
                .fetch_all(&self.pool)
                .await?;
            Ok(rows.into_iter().map(|(k, r)| (k, revision(r))).collect())
        })
    }

    fn ping(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            sqlx::query("SELECT 1").execute(&self.pool).await?;
            Ok(())
        })
    }

    fn close(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            self.pool.close().await;
            Ok(())
        })
    }

    fn shared(&self) -> bool {
        self.backend == Backend::Postgres
    }

    fn take_allowance<'a>(
        &'a self,
        key: &'a str,
        now: i64,
        burst: u32,
        interval_ms: i64,
    ) -> StoreFuture<'a, Option<i64>> {
        Box::pin(async move {
            // GCRA in one statement, atomic on its row without the write
            // lock: the theoretical arrival time moves one interval per
            // post, and a post is allowed while it stays within the burst.
            let allowance = interval_ms.saturating_mul(i64::from(burst.max(1)));
            let (tat, allowed): (i64, i64) = sqlx::query_as(TAKE)
                .bind(key)
                .bind(now)
                .bind(interval_ms)
                .bind(allowance)
                .fetch_one(&self.pool)
                .await?;
            Ok((allowed == 0).then(|| (tat + interval_ms - now - allowance).max(1)))
        })
    }

    fn follow(
        &self,
        revisions: std::sync::Arc<super::revisions::Revisions>,
        this: std::sync::Arc<dyn Store>,
    ) -> Option<tokio::task::JoinHandle<()>> {
        match self.backend {
            Backend::Sqlite => None,
            Backend::Postgres => self.follow_postgres(revisions, this),
        }
    }

    fn pool_use(&self) -> (u32, u32) {
        let idle = u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX);
        (self.pool.size(), idle)
    }

    fn import<'a>(&'a self, batch: &'a [ImportedComment]) -> StoreFuture<'a, Vec<ImportOutcome>> {
        Box::pin(async move {
            let mut tx = self.write().await?;
            let mut high_water = high_water(self.backend, &mut tx, "comments").await?;
            let mut outcomes = Vec::with_capacity(batch.len());
            // Published comments per thread, for one revision each.
            let mut published: Vec<(&str, Vec<Logged>)> = Vec::new();
            for c in batch {
                let seen: Option<(i64,)> = sqlx::query_as(
                    "SELECT comment_id FROM imported WHERE source = $1 AND source_id = $2",
                )
                .bind(&c.source)
                .bind(&c.source_id)
                .fetch_optional(&mut *tx)
                .await?;
                if seen.is_some() {
                    outcomes.push(ImportOutcome::AlreadyThere);
                    continue;
                }
                let parent: Option<(i64, Option<i64>, String)> = match &c.parent {
                    None => None,
                    Some(p) => {
                        sqlx::query_as(
                            "SELECT c.id, c.root_id, c.thread_key FROM imported i \
                             JOIN comments c ON c.id = i.comment_id \
                             WHERE i.source = $1 AND i.source_id = $2",
                        )
                        .bind(&c.source)
                        .bind(p)
                        .fetch_optional(&mut *tx)
                        .await?
                    }
                };
                // Our own export names parents by their ids: one that an
                // earlier import did not bring (it was here already) is
                // found by its id.
                let parent = match (parent, c.id, c.parent.as_deref().map(str::parse::<i64>)) {
                    (None, Some(_), Some(Ok(parent_id))) => {
                        sqlx::query_as("SELECT id, root_id, thread_key FROM comments WHERE id = $1")
                            .bind(parent_id)
                            .fetch_optional(&mut *tx)
                            .await?
                    }
                    (parent, _, _) => parent,
                };
                // A parent in another thread is no parent.
                let parent = parent.filter(|(_, _, thread)| thread == c.thread.as_str());
                let orphan = c.parent.is_some() && parent.is_none();
                if orphan && !c.orphan_ok {
                    outcomes.push(ImportOutcome::NoParent);
                    continue;
                }
                let (parent_id, root_id) = match &parent {
                    Some((id, root, _)) => (Some(*id), Some(root.unwrap_or(*id))),
                    None => (None, None),
                };
                // A kept id only above every id ever given (one given and
                // deleted must not come back: its audit lines and mails
                // would become another comment's); else the next one.
                let id = match c.id {
                    Some(kept) if kept > high_water => kept,
                    _ => high_water + 1,
                };
                high_water = id;
                sqlx::query(
                    "INSERT INTO comments (id, thread_key, author, body, status, token_hash, \
                     body_hash, created_at, decided_at, page_title, page_url, notify_email, \
                     parent_id, root_id, staff, featured_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
                )
                .bind(id)
                .bind(c.thread.as_str())
                .bind(&c.author)
                .bind(&c.body)
                .bind(c.status.as_str())
                .bind(format!("import:{}:{}", c.source, c.source_id))
                .bind(crate::token::hash(&c.body))
                .bind(c.created_at)
                .bind(c.decided_at)
                .bind(&c.page_title)
                .bind(&c.page_url)
                .bind(if c.status == Disposition::Pending {
                    c.email.as_str()
                } else {
                    ""
                })
                .bind(parent_id)
                .bind(root_id)
                .bind(&c.staff)
                .bind(c.featured_at)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO imported (source, source_id, comment_id) VALUES ($1, $2, $3)",
                )
                .bind(&c.source)
                .bind(&c.source_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                if c.status == Disposition::Approved {
                    let thread = c.thread.as_str();
                    match published.iter_mut().find(|(t, _)| *t == thread) {
                        Some((_, ids)) => ids.push((id, root_id)),
                        None => published.push((thread, vec![(id, root_id)])),
                    }
                }
                outcomes.push(ImportOutcome::Added { id, orphan });
            }
            let added = outcomes
                .iter()
                .filter(|o| matches!(o, ImportOutcome::Added { .. }))
                .count();
            if added > 0 {
                // Ids were given explicitly: the identity follows them.
                raise_high_water(self.backend, &mut tx, "comments", high_water).await?;
            }
            for (thread, changed) in &published {
                self.bump_revision(&mut tx, thread, changed).await?;
            }
            if added > 0 {
                let source = batch.first().map_or("", |c| c.source.as_str());
                audit_line(
                    &mut tx,
                    "import",
                    "imported",
                    None,
                    "",
                    &format!("{added} comments from {source}"),
                )
                .await?;
            }
            tx.commit().await?;
            Ok(outcomes)
        })
    }

    fn export(&self, after: i64, limit: u32) -> StoreFuture<'_, Vec<ExportedComment>> {
        Box::pin(async move {
            let rows: Vec<ExportedRow> = sqlx::query_as(
                "SELECT id, thread_key, page_title, page_url, author, body, status, created_at, \
                 decided_at, parent_id, staff, featured_at FROM comments \
                 WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter()
                .map(|r| {
                    Ok(ExportedComment {
                        id: r.id,
                        thread: r.thread_key,
                        page_title: r.page_title,
                        page_url: r.page_url,
                        author: r.author,
                        body: r.body,
                        status: status_from_db(&r.status)?,
                        created_at: r.created_at,
                        decided_at: r.decided_at,
                        parent: r.parent_id,
                        staff: r.staff,
                        featured_at: r.featured_at,
                    })
                })
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use comments_api::{Author, CommentBody};
    use std::time::Duration;

    /// Cut-offs as the purger sets them: nonces four days back.
    fn cut(addresses: i64, deleted: i64, now: i64) -> PurgeBefore {
        PurgeBefore {
            addresses,
            deleted,
            link_nonces: now - 96 * 3_600_000,
            sessions: now,
            subscriptions: now - 90 * 86_400_000,
        }
    }

    async fn store() -> (tempfile::TempDir, SqlStore) {
        let dir = tempfile::tempdir().unwrap();
        let s = SqlStore::open_sqlite(&dir.path().join("sub/c.db"), Duration::from_secs(5))
            .await
            .unwrap();
        (dir, s)
    }

    /// A fresh store on `backend`: a file in a temporary folder, or a new
    /// database on this test run's throwaway PostgreSQL cluster.
    pub(crate) async fn store_on(backend: Backend) -> (Option<tempfile::TempDir>, SqlStore) {
        match backend {
            Backend::Sqlite => {
                let (dir, s) = store().await;
                (Some(dir), s)
            }
            Backend::Postgres => {
                let cluster = crate::store::cluster::Cluster::shared().unwrap();
                let url = cluster.database().await.unwrap();
                let s = SqlStore::connect_postgres(&url, Duration::from_secs(5))
                    .await
                    .unwrap();
                (None, s)
            }
        }
    }

    /// One test, run on each backend in turn: the whole suite is generic.
    macro_rules! on_both {
        (async fn $name:ident($s:ident) $body:block) => {
            #[tokio::test]
            async fn $name() {
                for backend in [Backend::Sqlite, Backend::Postgres] {
                    let (_guard, $s) = store_on(backend).await;
                    async { $body }.await;
                    eprintln!("{} passed on {backend:?}", stringify!($name));
                }
            }
        };
    }

    fn pending(thread: &str, body: &str, token: &str) -> NewPending {
        NewPending {
            thread: ThreadKey::parse(thread).unwrap(),
            author: Author::parse("Ana").unwrap(),
            body: CommentBody::parse(body).unwrap(),
            token_hash: token.into(),
            body_hash: crate::token::hash(body),
            flags: String::new(),
            ip_hmac: "hmac-of-an-address".into(),
            created_at: 1_700_000_000_000,
            page: Default::default(),
            author_key: String::new(),
            notify_email: String::new(),
            trusted: false,
            post_moderated: false,
            banned: false,
            parent: None,
            staff: None,
            replies_email: String::new(),
        }
    }

    async fn ins(s: &SqlStore, c: &NewPending) -> StoreResult<i64> {
        Ok(s.insert_pending(c).await?.id)
    }

    fn req(id: i64, to: Disposition) -> Decisions {
        Decisions::one("test", id, to)
    }

    /// One decision, through the batch API.
    async fn one(s: &SqlStore, d: Decisions) -> StoreResult<Option<Decision>> {
        match s.decide(&d).await? {
            Decided::Done(mut results) => Ok(results.pop().flatten()),
            Decided::LinkUsed => panic!("no link here"),
        }
    }

    fn pending_queue() -> QueueQuery {
        QueueQuery {
            status: Disposition::Pending,
            thread: None,
            author: None,
            section: None,
            site: None,
            newest_first: false,
            limit: 10,
        }
    }

    on_both! {
        async fn replies_answer_published_comments_of_their_thread_and_outlive_them(s) {
            let t = ThreadKey::parse("t").unwrap();
            let reply = |parent: i64, token: &str| NewPending {
                parent: Some(parent),
                ..pending("t", &format!("reply {token}"), token)
            };
            let root = ins(&s, &pending("t", "root", "k1")).await.unwrap();
            // Not yet published, unknown, or of another thread: refused, nothing stored.
            assert!(matches!(
                ins(&s, &reply(root, "k2")).await,
                Err(StoreError::InvalidParent)
            ));
            assert!(matches!(
                ins(&s, &reply(999, "k3")).await,
                Err(StoreError::InvalidParent)
            ));
            one(&s, req(root, Disposition::Approved)).await.unwrap();
            let other = ins(&s, &pending("u", "elsewhere", "k4")).await.unwrap();
            one(&s, req(other, Disposition::Approved)).await.unwrap();
            assert!(matches!(
                ins(&s, &reply(other, "k5")).await,
                Err(StoreError::InvalidParent)
            ));
            assert_eq!(s.pending_counts(&t).await.unwrap(), (0, 0));

            let a = ins(&s, &reply(root, "k6")).await.unwrap();
            one(&s, req(a, Disposition::Approved)).await.unwrap();
            let b = ins(&s, &reply(a, "k7")).await.unwrap();
            one(&s, req(b, Disposition::Approved)).await.unwrap();
            let roots: Vec<(i64, Option<i64>, Option<i64>)> = sqlx::query_as(
                "SELECT id, parent_id, root_id FROM comments WHERE thread_key = 't' ORDER BY id",
            )
            .fetch_all(&s.pool)
            .await
            .unwrap();
            assert_eq!(
                roots,
                [
                    (root, None, None),
                    (a, Some(root), Some(root)),
                    (b, Some(a), Some(root))
                ]
            );
            let queue = s.comment(b).await.unwrap().unwrap();
            assert_eq!(
                queue.parent,
                Some(super::super::ParentText {
                    id: a,
                    author: "Ana".into(),
                    body: "reply k6".into()
                })
            );

            let shape = |snap: ThreadSnapshot| {
                snap.comments
                    .iter()
                    .map(|c| (c.id, c.parent, c.removed, c.body.clone()))
                    .collect::<Vec<_>>()
            };
            // Unpublishing the middle one keeps its reply, and it as a placeholder.
            one(&s, req(a, Disposition::Rejected)).await.unwrap();
            assert_eq!(
                shape(s.approved(&t).await.unwrap()),
                [
                    (root, None, false, "root".into()),
                    (a, Some(root), true, String::new()),
                    (b, Some(a), false, "reply k7".into()),
                ]
            );
            // Gone from the database too: the placeholder stands at the top, before its reply.
            sqlx::query("DELETE FROM comments WHERE id = $1")
                .bind(a)
                .execute(&s.pool)
                .await
                .unwrap();
            one(&s, req(root, Disposition::Rejected)).await.unwrap();
            assert_eq!(
                shape(s.approved(&t).await.unwrap()),
                [
                    (a, None, true, String::new()),
                    (b, Some(a), false, "reply k7".into())
                ]
            );
            // Once its reply goes too, nothing is left to show.
            one(&s, req(b, Disposition::Rejected)).await.unwrap();
            assert!(s.approved(&t).await.unwrap().comments.is_empty());
        }
    }

    /// A comment of `thread` posted at `at` (replying to `parent`), published.
    async fn published_at(s: &SqlStore, thread: &str, at: i64, parent: Option<i64>) -> i64 {
        let c = NewPending {
            created_at: at,
            parent,
            ..pending(thread, &format!("c{at}"), &format!("tok-{thread}-{at}"))
        };
        let id = ins(s, &c).await.unwrap();
        one(s, req(id, Disposition::Approved)).await.unwrap();
        id
    }

    fn imported(source_id: &str, id: Option<i64>, parent: Option<&str>) -> ImportedComment {
        ImportedComment {
            source: "own".into(),
            source_id: source_id.into(),
            parent: parent.map(String::from),
            orphan_ok: false,
            id,
            thread: ThreadKey::parse("t").unwrap(),
            page_title: String::new(),
            page_url: String::new(),
            author: "Ana".into(),
            email: String::new(),
            body: format!("imported {source_id}"),
            status: Disposition::Approved,
            created_at: 1_700_000_000_000,
            decided_at: Some(1_700_000_000_000),
            staff: String::new(),
            featured_at: None,
        }
    }

    on_both! {
        async fn imports_never_give_an_id_twice_and_find_parents_already_here(s) {
            let first = published_at(&s, "t", 1_700_000_000_000, None).await;
            ins(&s, &pending("t", "second", "tok-2")).await.unwrap();
            let third = ins(&s, &pending("t", "third", "tok-3")).await.unwrap();
            // The newest comment goes: its id must not come back.
            s.delete_by_token("tok-3").await.unwrap();
            let ids = |outcomes: Vec<ImportOutcome>| -> Vec<i64> {
                outcomes
                    .into_iter()
                    .map(|o| match o {
                        ImportOutcome::Added { id, .. } => id,
                        other => panic!("{other:?}"),
                    })
                    .collect()
            };
            let added = ids(s
                .import(&[
                    imported("a", None, None),
                    // Taken, or given before: a new one.
                    imported("b", Some(first), None),
                    imported("c", Some(third), None),
                    // Above every id given: kept.
                    imported("d", Some(40), None),
                    // A reply to a comment that was here before the import.
                    imported("e", Some(41), Some(&first.to_string())),
                ])
                .await
                .unwrap());
            assert_eq!(added, [third + 1, third + 2, third + 3, 40, 41]);
            let reply = s.comment(41).await.unwrap().unwrap();
            assert_eq!(reply.parent.map(|p| p.id), Some(first));
            // Posts go on after them, on both backends' identities.
            let next = ins(&s, &pending("t", "after", "tok-4")).await.unwrap();
            assert_eq!(next, 42);
        }
    }

    on_both! {
        async fn removed_comments_that_replies_answer_leave_placeholders_not_holes(s) {
            let t = ThreadKey::parse("w").unwrap();
            let shown = |page: Page| -> Vec<(i64, bool, String)> {
                page.comments
                    .into_iter()
                    .map(|c| (c.id, c.removed, c.author))
                    .collect()
            };
            let a = published_at(&s, "w", 1000, None).await;
            let b = published_at(&s, "w", 1010, Some(a)).await;
            let c = published_at(&s, "w", 1020, Some(b)).await;
            let lone = published_at(&s, "w", 1030, None).await;
            // Its author deletes the top-level comment: its row stays, emptied,
            // so that the conversation still shows on a page.
            s.delete_by_token("tok-w-1000").await.unwrap().unwrap();
            let page = s.page(&t, &page_of(Order::Oldest, None)).await.unwrap();
            assert_eq!(page.comments[0].replies, 2);
            assert_eq!(
                shown(page),
                [
                    (a, true, String::new()),
                    (b, false, "Ana".into()),
                    (c, false, "Ana".into()),
                    (lone, false, "Ana".into())
                ]
            );
            let (author, body): (String, String) = sqlx::query_as(
                "SELECT author || ip_hmac || token_hash, body FROM comments WHERE id = $1",
            )
            .bind(a)
            .fetch_one(&s.pool)
            .await
            .unwrap();
            assert_eq!((author, body), (format!("erased:{a}"), String::new()));
            // A comment nothing answers goes entirely.
            s.delete_by_token("tok-w-1030").await.unwrap().unwrap();
            assert!(s.comment(lone).await.unwrap().is_none());

            // The purge erases a deleted comment that replies answer, and
            // deletes it only once none does.
            one(&s, req(b, Disposition::Deleted)).await.unwrap();
            let now = crate::clock::now_ms();
            s.purge(cut(0, now + 1, now)).await.unwrap();
            let page = s.page(&t, &page_of(Order::Oldest, None)).await.unwrap();
            assert_eq!(
                shown(page),
                [
                    (a, true, String::new()),
                    (b, true, String::new()),
                    (c, false, "Ana".into())
                ]
            );
            let b_body: (String,) = sqlx::query_as("SELECT body FROM comments WHERE id = $1")
                .bind(b)
                .fetch_one(&s.pool)
                .await
                .unwrap();
            assert_eq!(b_body.0, "", "its text is purged");
            one(&s, req(c, Disposition::Deleted)).await.unwrap();
            for _ in 0..3 {
                s.purge(cut(0, crate::clock::now_ms() + 1, now))
                    .await
                    .unwrap();
            }
            for id in [a, b, c] {
                assert!(s.comment(id).await.unwrap().is_none(), "{id} purged");
            }
            assert!(
                s.page(&t, &page_of(Order::Oldest, None))
                    .await
                    .unwrap()
                    .comments
                    .is_empty()
            );
        }
    }

    fn page_of(order: Order, after: Option<Cursor>) -> PageQuery {
        PageQuery {
            order,
            after,
            limit: 20,
            replies: 3,
        }
    }

    on_both! {
        async fn pages_hold_twenty_conversations_with_their_first_replies(s) {
            let t = ThreadKey::parse("big").unwrap();
            let mut roots = Vec::new();
            for i in 0..25 {
                roots.push(published_at(&s, "big", 1000 + i * 10, None).await);
            }
            let mut replies = Vec::new();
            for i in 0..5 {
                let parent = if i == 4 { replies[0] } else { roots[0] };
                replies.push(published_at(&s, "big", 1001 + i, Some(parent)).await);
            }
            let ids = |p: &Page| p.comments.iter().map(|c| c.id).collect::<Vec<_>>();
            let first = s.page(&t, &page_of(Order::Oldest, None)).await.unwrap();
            let mut expected = vec![roots[0], replies[0], replies[1], replies[2]];
            expected.extend(&roots[1..20]);
            assert_eq!(ids(&first), expected);
            assert_eq!(
                first.comments[0].replies, 5,
                "the whole conversation's count"
            );
            assert_eq!(
                first.next,
                Some(Cursor {
                    replies: 0,
                    at: 1000 + 19 * 10,
                    id: roots[19]
                })
            );
            let second = s
                .page(&t, &page_of(Order::Oldest, first.next))
                .await
                .unwrap();
            assert_eq!(ids(&second), roots[20..].to_vec());
            assert_eq!(second.next, None);
            let newest = s.page(&t, &page_of(Order::Newest, None)).await.unwrap();
            assert_eq!(newest.comments[0].id, roots[24]);
            assert_eq!(newest.comments.last().map(|c| c.id), Some(roots[5]));
            let older = s
                .page(&t, &page_of(Order::Newest, newest.next))
                .await
                .unwrap();
            assert_eq!(
                older.comments.last().map(|c| c.id),
                Some(replies[2]),
                "the oldest last"
            );

            // One conversation in full; a reply's permalink finds its top-level comment.
            let all = s.conversation(&t, roots[0], 500).await.unwrap().unwrap();
            assert_eq!(ids(&all), [vec![roots[0]], replies.clone()].concat());
            assert!(
                s.conversation(&t, replies[0], 500).await.unwrap().is_none(),
                "not top-level"
            );
            assert_eq!(
                s.root_of(&t, replies[4])
                    .await
                    .unwrap()
                    .map(|c| (c.at, c.id)),
                Some((1000, roots[0]))
            );
            let elsewhere = ThreadKey::parse("other").unwrap();
            assert_eq!(s.root_of(&elsewhere, replies[4]).await.unwrap(), None);

            // Most replies first: the conversation of five, then two of one
            // each (oldest first), then the rest; page two goes on from there.
            published_at(&s, "big", 1031, Some(roots[3])).await;
            published_at(&s, "big", 1051, Some(roots[5])).await;
            let most = s.page(&t, &page_of(Order::Replies, None)).await.unwrap();
            let tops: Vec<(i64, u64)> = most
                .comments
                .iter()
                .filter(|c| c.parent.is_none())
                .map(|c| (c.id, c.replies))
                .collect();
            assert_eq!(
                tops[..4],
                [(roots[0], 5), (roots[3], 1), (roots[5], 1), (roots[1], 0)]
            );
            assert_eq!(tops.len(), 20);
            let rest = s
                .page(&t, &page_of(Order::Replies, most.next))
                .await
                .unwrap();
            assert_eq!(rest.comments.len(), 5, "25 in all, none twice");
            // Unpublishing a reply recounts its conversation in the same write.
            one(&s, req(replies[1], Disposition::Rejected))
                .await
                .unwrap();
            let most = s.page(&t, &page_of(Order::Replies, None)).await.unwrap();
            assert_eq!(most.comments[0].replies, 4);
            let (count,): (i64,) = sqlx::query_as("SELECT reply_count FROM comments WHERE id = $1")
                .bind(roots[0])
                .fetch_one(&s.pool)
                .await
                .unwrap();
            assert_eq!(count, 4);

            // An unpublished top-level comment with replies stays, as a placeholder.
            one(&s, req(roots[0], Disposition::Rejected)).await.unwrap();
            let first = s.page(&t, &page_of(Order::Oldest, None)).await.unwrap();
            assert!(first.comments[0].removed && first.comments[0].body.is_empty());
            one(&s, req(roots[1], Disposition::Rejected)).await.unwrap();
            let first = s.page(&t, &page_of(Order::Oldest, None)).await.unwrap();
            assert!(!ids(&first).contains(&roots[1]), "nothing answers it: gone");
        }
    }

    on_both! {
        async fn polls_read_what_changed_since_their_revision_from_a_bounded_log(s) {
            let t = ThreadKey::parse("log").unwrap();
            let root = published_at(&s, "log", 1, None).await;
            let leaf = published_at(&s, "log", 2, None).await;
            let since = s
                .page(&t, &page_of(Order::Oldest, None))
                .await
                .unwrap()
                .revision;
            let reply = published_at(&s, "log", 3, Some(root)).await;
            one(&s, req(root, Disposition::Rejected)).await.unwrap();
            one(&s, req(leaf, Disposition::Rejected)).await.unwrap();
            let Changes::Since {
                revision,
                comments,
                removed,
            } = s.changes(&t, since).await.unwrap()
            else {
                panic!("within the log");
            };
            let shown: Vec<(i64, bool)> = comments.iter().map(|c| (c.id, c.removed)).collect();
            assert_eq!(
                shown,
                [(root, true), (reply, false)],
                "a placeholder and the new reply"
            );
            assert_eq!(removed, [leaf]);
            let Changes::Since {
                comments, removed, ..
            } = s.changes(&t, revision).await.unwrap()
            else {
                panic!("now");
            };
            assert!(comments.is_empty() && removed.is_empty());
            assert_eq!(
                s.changes(&t, revision + 1).await.unwrap(),
                Changes::Reset { revision },
                "a revision from the future"
            );

            // Past its bound the log forgets its oldest half: older readers reload.
            for i in 0..(2 * CHANGE_LOG) {
                published_at(&s, "log", 10 + i, None).await;
            }
            let (logged,): (i64,) =
                sqlx::query_as("SELECT count(*) FROM changes WHERE thread_key = 'log'")
                    .fetch_one(&s.pool)
                    .await
                    .unwrap();
            assert!(logged <= 2 * CHANGE_LOG, "{logged}");
            assert!(matches!(
                s.changes(&t, since).await.unwrap(),
                Changes::Reset { .. }
            ));
            let recent = s
                .page(&t, &page_of(Order::Oldest, None))
                .await
                .unwrap()
                .revision;
            published_at(&s, "log", 100_000, None).await;
            let Changes::Since { comments, .. } = s.changes(&t, recent).await.unwrap() else {
                panic!("recent readers still read changes");
            };
            assert_eq!(comments.len(), 1);
        }
    }

    on_both! {
        async fn the_post_allowance_is_a_burst_then_one_per_interval_per_network(s) {
            let t = 1_700_000_000_000;
            for _ in 0..3 {
                assert_eq!(s.take_allowance("net-a", t, 3, 1000).await.unwrap(), None);
            }
            assert_eq!(s.take_allowance("net-a", t, 3, 1000).await.unwrap(), Some(1000));
            assert_eq!(s.take_allowance("net-a", t + 400, 3, 1000).await.unwrap(), Some(600));
            assert_eq!(s.take_allowance("net-b", t, 3, 1000).await.unwrap(), None, "per network");
            assert_eq!(s.take_allowance("net-a", t + 1000, 3, 1000).await.unwrap(), None);
            assert_eq!(s.take_allowance("net-a", t + 1000, 3, 1000).await.unwrap(), Some(1000));
            // A whole allowance again after burst × interval, and the purge
            // forgets the network once it is whole.
            assert_eq!(s.take_allowance("net-a", t + 5000, 3, 1000).await.unwrap(), None);
            s.purge(cut(0, 0, t + 10_000)).await.unwrap();
            let (rows,): (i64,) = sqlx::query_as("SELECT count(*) FROM allowances")
                .fetch_one(&s.pool)
                .await
                .unwrap();
            assert_eq!(rows, 0);
        }
    }

    on_both! {
        async fn pending_is_not_public_until_approved(s) {
            let t = ThreadKey::parse("t").unwrap();
            assert_eq!(s.pending_counts(&t).await.unwrap(), (0, 0));
            ins(&s, &pending("other", "elsewhere", "h0")).await.unwrap();
            let id = ins(&s, &pending("t", "hello", "h1")).await.unwrap();
            assert!(s.approved(&t).await.unwrap().comments.is_empty());
            assert_eq!(s.pending_counts(&t).await.unwrap(), (1, 2));
            let queue = s.queue(&pending_queue()).await.unwrap();
            assert_eq!(queue.last().map(|c| c.id), Some(id), "oldest first");

            let d = one(&s, req(id, Disposition::Approved))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(d.previous, Disposition::Pending);
            let rev = d.revision.expect("approval changes the public list");
            let list = s.approved(&t).await.unwrap().comments;
            assert_eq!(list.len(), 1);
            assert_eq!(list[0].body, "hello");
            assert_eq!(s.revisions_since(0).await.unwrap(), vec![("t".into(), rev)]);
            assert!(s.revisions_since(rev).await.unwrap().is_empty());
        }
    }

    on_both! {
        async fn rejecting_a_pending_comment_leaves_the_revision_alone(s) {
            let id = ins(&s, &pending("t", "spam", "h1")).await.unwrap();
            let d = one(&s, req(id, Disposition::Rejected))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(d.revision, None);
            // Deciding the same again changes nothing.
            let again = one(&s, req(id, Disposition::Rejected))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(again.previous, Disposition::Rejected);
            assert!(
                one(&s, req(9999, Disposition::Approved))
                    .await
                    .unwrap()
                    .is_none()
            );
        }
    }

    on_both! {
        async fn unpublishing_bumps_the_revision_past_every_other_thread(s) {
            let a = ins(&s, &pending("a", "x", "h1")).await.unwrap();
            let b = ins(&s, &pending("b", "y", "h2")).await.unwrap();
            let ra = one(&s, req(a, Disposition::Approved))
                .await
                .unwrap()
                .unwrap()
                .revision
                .unwrap();
            let rb = one(&s, req(b, Disposition::Approved))
                .await
                .unwrap()
                .unwrap()
                .revision
                .unwrap();
            let ra2 = one(&s, req(a, Disposition::Rejected))
                .await
                .unwrap()
                .unwrap()
                .revision
                .unwrap();
            assert!(ra < rb && rb < ra2);
            assert_eq!(
                s.revisions_since(rb).await.unwrap(),
                vec![("a".into(), ra2)]
            );
        }
    }

    on_both! {
        async fn staff_replies_publish_at_once_and_picks_and_closing_move_the_revision(s) {
            let t = ThreadKey::parse("news/1").unwrap();
            let top = published_at(&s, "news/1", 10, None).await;
            let staff = NewPending {
                trusted: true,
                parent: Some(top),
                staff: Some(super::super::StaffVoice {
                    moderator: "ana".into(),
                    label: "Rédaction".into(),
                }),
                ..pending("news/1", "Merci", "tok-staff")
            };
            let inserted = s.insert_pending(&staff).await.unwrap();
            assert!(inserted.revision.is_some(), "published at once");
            let page = s
                .page(
                    &t,
                    &PageQuery {
                        order: Order::Oldest,
                        after: None,
                        limit: 20,
                        replies: 3,
                    },
                )
                .await
                .unwrap();
            let reply = page.comments.iter().find(|c| c.id == inserted.id).unwrap();
            assert_eq!(reply.staff, "Rédaction");
            let audit = s.audit(10).await.unwrap();
            assert!(
                audit
                    .iter()
                    .any(|e| e.actor == "ana" && e.action == "staff_reply")
            );

            // An editor's pick, once; a second time changes nothing.
            let before = page.revision;
            let (thread, rev) = s.feature(top, true, "ana", 50).await.unwrap().unwrap();
            assert_eq!(thread, "news/1");
            assert!(rev > before);
            assert_eq!(s.feature(top, true, "ana", 60).await.unwrap(), None);
            let picks = s.featured(&t, 10).await.unwrap();
            assert_eq!(picks.iter().map(|c| c.id).collect::<Vec<_>>(), vec![top]);
            assert!(picks[0].featured);
            let Changes::Since { comments, .. } = s.changes(&t, before).await.unwrap() else {
                panic!("the log reaches back");
            };
            assert!(comments.iter().any(|c| c.id == top && c.featured));
            s.feature(top, false, "ana", 70).await.unwrap().unwrap();
            assert!(s.featured(&t, 10).await.unwrap().is_empty());

            // Closed, reopened, back to the rule: each audited, each a revision.
            assert_eq!(s.closing(&t).await.unwrap().first_at, Some(10));
            let r1 = s
                .set_thread_state(&t, Some(ThreadState::Closed), "ana")
                .await
                .unwrap();
            assert!(matches!(
                s.closing(&t).await.unwrap().state,
                Some((ThreadState::Closed, _))
            ));
            let r2 = s
                .set_thread_state(&t, Some(ThreadState::Open), "bob")
                .await
                .unwrap();
            assert!(r2 > r1);
            s.set_thread_state(&t, None, "bob").await.unwrap();
            assert_eq!(s.closing(&t).await.unwrap().state, None);
            let audit = s.audit(20).await.unwrap();
            for action in ["close", "reopen", "thread_state", "feature", "unfeature"] {
                assert!(audit.iter().any(|e| e.action == action), "{action}");
            }
        }
    }

    on_both! {
        async fn bans_cover_a_key_or_a_network_until_they_expire_or_are_lifted(s) {
            let c = NewPending {
                author_key: "key-a".into(),
                ..pending("t", "x", "tok")
            };
            let id = ins(&s, &c).await.unwrap();
            let now = crate::clock::now_ms();
            let ban = s.ban(id, Some(now + 60_000), "ana").await.unwrap().unwrap();
            assert_eq!(
                (ban.author_key.as_str(), ban.network, ban.author.as_str()),
                ("key-a", true, "Ana")
            );
            assert!(s.is_banned("key-a", "", now).await.unwrap());
            assert!(s.is_banned("", "hmac-of-an-address", now).await.unwrap());
            assert!(!s.is_banned("key-b", "other", now).await.unwrap());
            assert!(
                !s.is_banned("", "", now).await.unwrap(),
                "empty matches nothing"
            );
            // Expired: neither in force nor listed.
            assert!(!s.is_banned("key-a", "", now + 120_000).await.unwrap());
            assert!(s.bans(now + 120_000).await.unwrap().is_empty());
            assert_eq!(s.bans(now).await.unwrap(), std::slice::from_ref(&ban));
            assert!(s.lift_ban(ban.id, "ana").await.unwrap());
            assert!(!s.lift_ban(ban.id, "ana").await.unwrap(), "once");
            assert!(!s.is_banned("key-a", "", now).await.unwrap());
            let actions: Vec<String> = s
                .audit(2)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.action)
                .collect();
            assert_eq!(actions, ["unban", "ban"]);
            // Nothing to know the reader by: no ban.
            assert_eq!(s.ban(999, None, "ana").await.unwrap(), None);
        }
    }

    on_both! {
        async fn a_note_on_a_reader_shows_beside_each_of_their_comments_until_removed(s) {
            let mine = NewPending {
                author_key: "key-a".into(),
                ..pending("t", "first", "tok-1")
            };
            let first = ins(&s, &mine).await.unwrap();
            let second = ins(
                &s,
                &NewPending {
                    author_key: "key-a".into(),
                    ..pending("u", "second", "tok-2")
                },
            )
            .await
            .unwrap();
            let other = ins(&s, &pending("t", "someone else", "tok-3"))
                .await
                .unwrap();
            assert!(!s.set_note("key-nobody", "x", "ana").await.unwrap());
            assert!(
                !s.set_note("", "x", "ana").await.unwrap(),
                "no key, no reader"
            );
            assert!(
                s.set_note("key-a", "warned on 12 Nov", "ana")
                    .await
                    .unwrap()
            );
            assert!(s.set_note("key-a", "warned twice", "bob").await.unwrap());
            let note = s.note("key-a").await.unwrap().unwrap();
            assert_eq!(
                (note.note.as_str(), note.actor.as_str()),
                ("warned twice", "bob")
            );
            let queue = s.queue(&pending_queue()).await.unwrap();
            let note_of = |id: i64| {
                queue
                    .iter()
                    .find(|i| i.id == id)
                    .map(|i| i.note.clone())
                    .unwrap()
            };
            assert_eq!(note_of(first), "warned twice");
            assert_eq!(note_of(second), "warned twice");
            assert_eq!(note_of(other), "", "another reader's comment");
            let history = s.reader_history("key-a", 10).await.unwrap();
            assert_eq!(
                history.iter().map(|i| i.id).collect::<Vec<_>>(),
                vec![second, first],
                "newest first, every thread"
            );
            assert!(s.reader_history("", 10).await.unwrap().is_empty());
            assert!(s.set_note("key-a", "", "ana").await.unwrap());
            assert_eq!(s.note("key-a").await.unwrap(), None);
            assert_eq!(s.comment(first).await.unwrap().unwrap().note, "");
            let audit = s.audit(3).await.unwrap();
            // Purging a reader erases the note on them too.
            let keep = NewPending {
                author_key: "key-b".into(),
                ..pending("t", "kept", "tok-4")
            };
            ins(&s, &keep).await.unwrap();
            assert!(s.set_note("key-a", "again", "ana").await.unwrap());
            assert!(s.set_note("key-b", "another", "ana").await.unwrap());
            s.purge_author("key-a", "ana").await.unwrap();
            assert_eq!(s.note("key-a").await.unwrap(), None);
            assert!(s.note("key-b").await.unwrap().is_some(), "only theirs");
            let details: Vec<&str> = audit.iter().map(|e| e.detail.as_str()).collect();
            assert_eq!(
                details,
                [
                    "note on reader key-a removed",
                    "note on reader key-a: warned twice",
                    "note on reader key-a: warned on 12 Nov"
                ]
            );
            assert!(audit.iter().all(|e| e.action == "note"));
        }
    }

    fn report_by(id: i64, reporter: &str, hide_after: u32) -> NewReport {
        NewReport {
            comment_id: id,
            reporter: reporter.into(),
            reason: comments_api::ReportReason::Abuse,
            explanation: String::new(),
            created_at: 1_700_000_100_000,
            hide_after,
        }
    }

    on_both! {
        async fn reports_count_once_per_reader_hide_at_the_threshold_and_are_reviewed(s) {
            let id = published_at(&s, "t", 1_700_000_000_000, None).await;
            let pending = ins(&s, &pending("t", "waits", "tok-w")).await.unwrap();
            assert_eq!(
                s.report(&report_by(pending, "r1", 0)).await.unwrap(),
                None,
                "only published comments are reported"
            );
            assert_eq!(s.report(&report_by(999, "r1", 0)).await.unwrap(), None);
            let first = s.report(&report_by(id, "r1", 2)).await.unwrap();
            assert_eq!(first, Some(ReportOutcome { hidden: None }));
            // The same reader again counts nothing, and hides nothing.
            let again = s.report(&report_by(id, "r1", 2)).await.unwrap();
            assert_eq!(again, Some(ReportOutcome { hidden: None }));
            let listed = s.reported(10).await.unwrap();
            assert_eq!(listed.len(), 1);
            assert_eq!((listed[0].reports.len(), listed[0].hidden), (1, false));
            assert_eq!(s.counts(0).await.unwrap().reported, 1);
            let before = s.approved(&ThreadKey::parse("t").unwrap()).await.unwrap();
            let illegal = NewReport {
                reason: comments_api::ReportReason::Illegal,
                explanation: "defamation".into(),
                ..report_by(id, "r2", 2)
            };
            let hidden = s.report(&illegal).await.unwrap().unwrap().hidden;
            let (thread, rev) = hidden.expect("hidden at two reports");
            assert_eq!(thread, "t");
            assert!(rev > before.revision);
            let after = s.approved(&ThreadKey::parse("t").unwrap()).await.unwrap();
            assert!(
                after.comments.iter().all(|c| c.id != id),
                "off the public list"
            );
            let listed = s.reported(10).await.unwrap();
            assert!(listed[0].hidden);
            assert_eq!(listed[0].comment.status, Disposition::Pending);
            assert_eq!(listed[0].comment.flags, ["reported"]);
            assert_eq!(
                listed[0]
                    .reports
                    .iter()
                    .map(|r| (r.reason.as_str(), r.explanation.as_str()))
                    .collect::<Vec<_>>(),
                [("abuse", ""), ("illegal", "defamation")]
            );
            let audit = s.audit(10).await.unwrap();
            assert!(
                audit
                    .iter()
                    .any(|a| a.action == "hidden" && a.detail.contains("hidden after 2 reports")),
                "{audit:?}"
            );
            // Dismissed: published again, its flag gone, nothing listed.
            let back = s.dismiss_reports(id, "ana").await.unwrap();
            assert!(matches!(back, Some(Some((ref t, r))) if t == "t" && r > rev));
            assert_eq!(s.dismiss_reports(id, "ana").await.unwrap(), None);
            let item = s.comment(id).await.unwrap().unwrap();
            assert_eq!((item.status, item.flags.len()), (Disposition::Approved, 0));
            assert!(s.reported(10).await.unwrap().is_empty());
            assert_eq!(s.counts(0).await.unwrap().reported, 0);
            // A new report, then a moderator's decision: reviewed, resolved.
            s.report(&report_by(id, "r3", 0)).await.unwrap();
            assert_eq!(s.reported(10).await.unwrap().len(), 1);
            one(&s, req(id, Disposition::Rejected)).await.unwrap();
            assert!(s.reported(10).await.unwrap().is_empty());
        }
    }

    on_both! {
        async fn a_reply_is_mailed_once_to_a_subscriber_until_they_leave(s) {
            let parent = ins(
                &s,
                &NewPending {
                    author_key: "key-ana".into(),
                    replies_email: "ana@example.org".into(),
                    ..pending("t", "first", "tok-p")
                },
            )
            .await
            .unwrap();
            assert!(s.subscribed(parent).await.unwrap());
            let export = s.by_token("tok-p").await.unwrap().unwrap();
            assert_eq!(
                export.replies_email, "ana@example.org",
                "its author sees it kept"
            );
            one(&s, req(parent, Disposition::Approved)).await.unwrap();
            let reply = |token: &str, key: &str| NewPending {
                author_key: key.into(),
                parent: Some(parent),
                ..pending("t", "a reply", token)
            };
            let r1 = ins(&s, &reply("tok-r1", "key-bob")).await.unwrap();
            assert_eq!(
                s.claim_reply_mail(r1).await.unwrap(),
                None,
                "not published yet"
            );
            let d = one(&s, req(r1, Disposition::Approved))
                .await
                .unwrap()
                .unwrap();
            assert!(d.is_reply);
            let mail = s.claim_reply_mail(r1).await.unwrap().expect("owed");
            assert_eq!(
                (
                    mail.to.as_str(),
                    mail.parent_id,
                    mail.reply_id,
                    mail.body.as_str()
                ),
                ("ana@example.org", parent, r1, "a reply")
            );
            assert_eq!(s.claim_reply_mail(r1).await.unwrap(), None, "once");
            // Unpublished and published again: still once.
            one(&s, req(r1, Disposition::Rejected)).await.unwrap();
            one(&s, req(r1, Disposition::Approved)).await.unwrap();
            assert_eq!(s.claim_reply_mail(r1).await.unwrap(), None);
            // Nobody hears of their own reply, nor of a comment that is no reply.
            let own = ins(&s, &reply("tok-r2", "key-ana")).await.unwrap();
            one(&s, req(own, Disposition::Approved)).await.unwrap();
            assert_eq!(s.claim_reply_mail(own).await.unwrap(), None);
            assert_eq!(s.claim_reply_mail(parent).await.unwrap(), None);
            // Unsubscribed: the address is gone, and so are the mails.
            assert!(s.unsubscribe(parent).await.unwrap());
            assert!(!s.unsubscribe(parent).await.unwrap());
            assert!(!s.subscribed(parent).await.unwrap());
            assert_eq!(
                s.by_token("tok-p").await.unwrap().unwrap().replies_email,
                ""
            );
            let r3 = ins(&s, &reply("tok-r3", "key-eve")).await.unwrap();
            one(&s, req(r3, Disposition::Approved)).await.unwrap();
            assert_eq!(s.claim_reply_mail(r3).await.unwrap(), None);
        }
    }

    on_both! {
        async fn subscriptions_end_with_rejection_deletion_and_their_keeping_time(s) {
            let sub = |token: &str, at: i64| NewPending {
                replies_email: "r@example.org".into(),
                created_at: at,
                ..pending("t", token, token)
            };
            let now = 1_800_000_000_000;
            let rejected = ins(&s, &sub("tok-a", now)).await.unwrap();
            let deleted = ins(&s, &sub("tok-b", now)).await.unwrap();
            let old = ins(&s, &sub("tok-c", now - 91 * 86_400_000)).await.unwrap();
            let kept = ins(&s, &sub("tok-d", now - 10 * 86_400_000)).await.unwrap();
            let banned = ins(
                &s,
                &NewPending {
                    banned: true,
                    ..sub("tok-e", now)
                },
            )
            .await
            .unwrap();
            assert!(
                !s.subscribed(banned).await.unwrap(),
                "never published, never kept"
            );
            one(&s, req(rejected, Disposition::Rejected)).await.unwrap();
            assert!(!s.subscribed(rejected).await.unwrap());
            s.delete_by_token("tok-b").await.unwrap();
            assert!(!s.subscribed(deleted).await.unwrap());
            let purged = s.purge(cut(0, 0, now)).await.unwrap();
            assert_eq!(purged.subscriptions, 1);
            assert!(!s.subscribed(old).await.unwrap());
            assert!(s.subscribed(kept).await.unwrap());
        }
    }

    on_both! {
        async fn a_banned_comment_is_rejected_at_once_audited_and_looks_pending(s) {
            let c = NewPending {
                banned: true,
                flags: "banned_word".into(),
                ..pending("t", "x", "tok")
            };
            let id = ins(&s, &c).await.unwrap();
            let item = s.comment(id).await.unwrap().unwrap();
            assert_eq!(item.status, Disposition::Rejected);
            assert_eq!(
                s.statuses(&["tok".into()]).await.unwrap(),
                [Some((id, CommentStatus::Pending))],
                "its author learns nothing"
            );
            let log = s.audit(1).await.unwrap();
            assert_eq!(
                (
                    log[0].actor.as_str(),
                    log[0].action.as_str(),
                    log[0].detail.as_str()
                ),
                ("word list", "rejected", "new -> rejected (banned word)")
            );
            // A moderator who publishes it anyway is obeyed.
            one(&s, req(id, Disposition::Approved)).await.unwrap();
            assert_eq!(
                s.statuses(&["tok".into()]).await.unwrap(),
                [Some((id, CommentStatus::Approved))]
            );
        }
    }

    on_both! {
        async fn statuses_follow_token_order_and_report_unknown_tokens(s) {
            let id = ins(&s, &pending("t", "x", "known")).await.unwrap();
            let st = s
                .statuses(&["nope".to_string(), "known".to_string()])
                .await
                .unwrap();
            assert_eq!(st, vec![None, Some((id, CommentStatus::Pending))]);
        }
    }

    #[tokio::test]
    async fn restore_brings_back_the_backup_and_moves_every_revision_forward() {
        let (dir, s) = store().await;
        let kept = ins(&s, &pending("a", "kept", "h1")).await.unwrap();
        let r1 = one(&s, req(kept, Disposition::Approved))
            .await
            .unwrap()
            .unwrap()
            .revision
            .unwrap();
        let backup = dir.path().join("backup.db");
        assert_eq!(s.backup(&backup).await.unwrap(), 1);
        assert!(s.backup(&backup).await.is_err(), "never overwrites a file");

        // Changes after the backup: a new approved thread.
        let later = ins(&s, &pending("b", "later", "h2")).await.unwrap();
        one(&s, req(later, Disposition::Approved)).await.unwrap();

        // A pending comment whose author asked for a mail, in the backup.
        let mut asked = pending("a", "asked for mail", "h3");
        asked.notify_email = "reader@example.org".into();
        ins(&s, &asked).await.unwrap();
        let with_mail = dir.path().join("with-mail.db");
        s.backup(&with_mail).await.unwrap();
        assert_eq!(s.restore(&with_mail).await.unwrap(), 3);
        let kept: Vec<(String,)> =
            sqlx::query_as("SELECT notify_email FROM comments WHERE notify_email != ''")
                .fetch_all(&s.pool)
                .await
                .unwrap();
        assert!(kept.is_empty(), "a restore brings back no address");

        assert_eq!(s.restore(&backup).await.unwrap(), 1);
        let a = ThreadKey::parse("a").unwrap();
        let b = ThreadKey::parse("b").unwrap();
        assert_eq!(s.approved(&a).await.unwrap().comments[0].body, "kept");
        assert!(s.approved(&b).await.unwrap().comments.is_empty());
        let revs = s.revisions_since(r1).await.unwrap();
        assert_eq!(revs.len(), 2, "both threads move forward: {revs:?}");
        assert!(s.restore(&dir.path().join("missing.db")).await.is_err());
        // A file that is not a backup is refused and changes nothing.
        let other = dir.path().join("other.db");
        std::fs::write(&other, b"").unwrap();
        assert!(s.restore(&other).await.is_err());
        assert_eq!(s.approved(&a).await.unwrap().comments.len(), 1);
    }

    on_both! {
        async fn address_hashes_are_forgotten_after_their_time_and_meta_is_set_once(s) {
            let mut old = pending("t", "old", "h1");
            old.created_at = 1_000;
            ins(&s, &old).await.unwrap();
            let mut new = pending("t", "new", "h2");
            new.created_at = 5_000;
            ins(&s, &new).await.unwrap();
            assert_eq!(s.purge(cut(2_000, 0, 0)).await.unwrap().addresses, 1);
            assert_eq!(
                s.purge(cut(2_000, 0, 0)).await.unwrap().addresses,
                0,
                "already forgotten"
            );
            let kept: Vec<(String,)> = sqlx::query_as("SELECT ip_hmac FROM comments ORDER BY id")
                .fetch_all(&s.pool)
                .await
                .unwrap();
            assert_eq!(kept, vec![(String::new(),), ("hmac-of-an-address".into(),)]);

            assert_eq!(s.meta("k").await.unwrap(), None);
            assert_eq!(s.set_meta_once("k", "first").await.unwrap(), "first");
            assert_eq!(s.set_meta_once("k", "second").await.unwrap(), "first");
            assert_eq!(s.meta("k").await.unwrap().as_deref(), Some("first"));
        }
    }

    #[tokio::test]
    async fn data_survives_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let s = SqlStore::open_sqlite(&path, Duration::from_secs(5))
            .await
            .unwrap();
        let id = ins(&s, &pending("t", "kept", "h")).await.unwrap();
        s.close().await.unwrap();
        let s = SqlStore::open_sqlite(&path, Duration::from_secs(5))
            .await
            .unwrap();
        let items = s.queue(&pending_queue()).await.unwrap();
        assert_eq!(items[0].id, id);
        assert_eq!(items[0].body, "kept");
    }

    on_both! {
        async fn deletion_is_undoable_invisible_to_authors_and_purged_later(s) {
            let id = ins(&s, &pending("t", "x", "tok")).await.unwrap();
            one(&s, req(id, Disposition::Approved)).await.unwrap();
            let d = one(&s, req(id, Disposition::Deleted))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(d.previous, Disposition::Approved);
            assert!(
                d.revision.is_some(),
                "leaving the public list bumps the thread"
            );
            assert_eq!(s.statuses(&["tok".into()]).await.unwrap(), vec![None]);
            assert_eq!(s.by_token("tok").await.unwrap(), None);
            // Undo: back to what it was.
            one(&s, req(id, Disposition::Approved)).await.unwrap();
            assert_eq!(
                s.approved(&ThreadKey::parse("t").unwrap())
                    .await
                    .unwrap()
                    .comments
                    .len(),
                1
            );
            one(&s, req(id, Disposition::Deleted)).await.unwrap();
            let now = crate::clock::now_ms();
            assert_eq!(
                s.purge(cut(0, now - 60_000, now))
                    .await
                    .unwrap()
                    .deleted_comments,
                0,
                "kept a day"
            );
            assert_eq!(
                s.purge(cut(0, now + 1, now))
                    .await
                    .unwrap()
                    .deleted_comments,
                1
            );
            assert!(s.comment(id).await.unwrap().is_none());
            let log = s.audit(10).await.unwrap();
            let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
            assert_eq!(
                actions,
                ["purge", "deleted", "approved", "deleted", "approved"],
                "newest first; the purge is audited"
            );
            assert_eq!(log[0].actor, "purge");
            assert!(
                log[0].detail.contains("1 deleted comment"),
                "{}",
                log[0].detail
            );
            assert_eq!(log[1].actor, "test");
            assert_eq!(log[1].detail, "approved -> deleted");
            // A purge that removes nothing writes nothing.
            s.purge(cut(0, now + 1, now)).await.unwrap();
            assert_eq!(s.audit(10).await.unwrap().len(), 5);
        }
    }

    on_both! {
        async fn conditional_decisions_only_move_pending_comments(s) {
            let id = ins(&s, &pending("t", "x", "tok")).await.unwrap();
            one(&s, req(id, Disposition::Rejected)).await.unwrap();
            let mut r = req(id, Disposition::Approved);
            r.changes[0].only_from = Some(Disposition::Pending);
            let d = one(&s, r).await.unwrap().unwrap();
            assert_eq!((d.previous, d.revision), (Disposition::Rejected, None));
            assert!(d.conflict, "someone else decided first");
            assert_eq!(d.status, Disposition::Rejected);
            assert_eq!(
                s.comment(id).await.unwrap().unwrap().status,
                Disposition::Rejected
            );
        }
    }

    on_both! {
        async fn readers_have_a_history_trust_and_can_be_purged(s) {
            let mut c = pending("t", "one", "h1");
            c.author_key = "k".repeat(64);
            let a = ins(&s, &c).await.unwrap();
            c.token_hash = "h2".into();
            let b = ins(&s, &c).await.unwrap();
            c.token_hash = "h3".into();
            let pending_one = ins(&s, &c).await.unwrap();
            one(&s, req(a, Disposition::Approved)).await.unwrap();
            one(&s, req(b, Disposition::Rejected)).await.unwrap();
            let item = s.comment(pending_one).await.unwrap().unwrap();
            assert_eq!((item.author_approved, item.author_rejected), (1, 1));
            assert_eq!(s.approved_by_author(&c.author_key).await.unwrap(), 1);
            assert_eq!(s.approved_by_author("").await.unwrap(), 0);

            c.token_hash = "h4".into();
            c.trusted = true;
            let trusted = s.insert_pending(&c).await.unwrap();
            assert!(trusted.revision.is_some(), "published at once");
            assert_eq!(
                s.approved(&ThreadKey::parse("t").unwrap())
                    .await
                    .unwrap()
                    .comments
                    .len(),
                2
            );
            assert_eq!(s.audit(1).await.unwrap()[0].actor, "trust rule");

            let other = ins(&s, &pending("t", "someone else", "h5")).await.unwrap();
            let (n, changes) = s.purge_author(&c.author_key, "cli").await.unwrap();
            assert_eq!(n, 4);
            assert_eq!(changes.len(), 1, "the thread lost public comments");
            assert!(s.comment(other).await.unwrap().is_some());
            assert_eq!(
                s.purge_author("", "cli").await.unwrap().0,
                0,
                "no key, no match"
            );
        }
    }

    on_both! {
        async fn sessions_expire_links_work_once_and_author_mail_is_taken_once(s) {
            let session = Session {
                token_hash: "sh".into(),
                moderator: "ana".into(),
                csrf: "c".into(),
                created_at: 0,
                expires_at: 100,
            };
            s.create_session(&session).await.unwrap();
            assert_eq!(s.session("sh", 99).await.unwrap(), Some(session));
            assert_eq!(s.session("sh", 100).await.unwrap(), None);
            assert_eq!(s.purge(cut(0, 0, 100)).await.unwrap().sessions, 1);

            let mut c = pending("t", "x", "h");
            c.notify_email = "ana@news.example".into();
            let id = ins(&s, &c).await.unwrap();
            // A mail link's nonce works once, in the decision's own transaction.
            let mut by_link = req(id, Disposition::Approved);
            by_link.link_nonce = Some("n1".into());
            let d = match s.decide(&by_link).await.unwrap() {
                Decided::Done(r) => r[0].clone().unwrap(),
                Decided::LinkUsed => panic!("fresh link"),
            };
            assert_eq!(
                d.mail_to.as_deref(),
                Some("ana@news.example"),
                "handed over once, for the publication mail"
            );
            assert_eq!(s.decide(&by_link).await.unwrap(), Decided::LinkUsed);
            one(&s, req(id, Disposition::Rejected)).await.unwrap();
            let again = one(&s, req(id, Disposition::Approved))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(again.mail_to, None, "erased: mailed once");
            // Rejection erases the address without handing it over.
            let mut r = pending("t", "y", "h2");
            r.notify_email = "bo@news.example".into();
            let rid = ins(&s, &r).await.unwrap();
            let d = one(&s, req(rid, Disposition::Rejected))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(d.mail_to, None);
            let kept: Vec<(String,)> = sqlx::query_as("SELECT notify_email FROM comments")
                .fetch_all(&s.pool)
                .await
                .unwrap();
            assert!(kept.iter().all(|(e,)| e.is_empty()), "{kept:?}");
            let counts = s.counts(0).await.unwrap();
            assert_eq!(
                (counts.pending, counts.approved_since, counts.rejected_since),
                (0, 1, 1)
            );
        }
    }

    #[tokio::test]
    async fn no_query_on_a_hot_path_scans_a_table() {
        let (_d, s) = store().await;
        let mut faults = Vec::new();
        for (name, sql, params, indexes) in HOT_QUERIES {
            let explain = format!("EXPLAIN QUERY PLAN {sql}");
            let mut q = sqlx::query_as::<_, (i64, i64, i64, String)>(sqlx::AssertSqlSafe(explain));
            for _ in 0..*params {
                q = q.bind("x");
            }
            let plan: Vec<String> = q
                .fetch_all(&s.pool)
                .await
                .unwrap()
                .into_iter()
                .map(|(_, _, _, detail)| detail)
                .collect();
            for detail in &plan {
                // The open reports' partial index holds only what moderators
                // have yet to review: reading all of it is bounded.
                let bounded = detail.starts_with("SCAN reports USING")
                    && detail.ends_with("INDEX reports_open");
                let scan = detail.starts_with("SCAN") && detail != "SCAN CONSTANT ROW" && !bounded;
                // Which comments have one status is most of the table, but
                // for the pending queue and the lists read newest first.
                let status_only = detail.starts_with("SEARCH h ") && detail.ends_with("(status=?)");
                if scan || status_only || detail.contains("TEMP B-TREE") {
                    faults.push(format!("{name}: {detail}"));
                }
            }
            for index in *indexes {
                if !plan.iter().any(|d| d.contains(&format!("INDEX {index} "))) {
                    faults.push(format!("{name} does not use {index}: {plan:?}"));
                }
            }
        }
        assert!(faults.is_empty(), "slow plans: {faults:#?}");
    }
}
