//! The embedded SQLite store: WAL, `synchronous=FULL`, `BEGIN IMMEDIATE` for every write.

use super::{
    Decision, ModerationItem, NewPending, RevisionChange, Store, StoreError, StoreFuture,
    StoreResult,
};
use comments_api::{Comment, CommentStatus, OwnComment, ThreadKey};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::Path;
use std::time::Duration;

pub struct SqliteStore {
    pool: SqlitePool,
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::PoolTimedOut => StoreError::Busy,
            sqlx::Error::Database(db) => {
                // SQLITE_BUSY (5) and SQLITE_LOCKED (6), including extended codes.
                let primary = db
                    .code()
                    .and_then(|c| c.parse::<i32>().ok())
                    .map(|c| c & 0xff);
                if matches!(primary, Some(5 | 6)) {
                    StoreError::Busy
                } else {
                    StoreError::Other(e.to_string())
                }
            }
            _ => StoreError::Other(e.to_string()),
        }
    }
}

fn status_from_db(s: &str) -> StoreResult<CommentStatus> {
    CommentStatus::parse(s).ok_or_else(|| StoreError::Other(format!("unknown status {s:?} in db")))
}

fn revision(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and runs migrations.
    pub async fn open(path: &Path, busy_timeout: Duration) -> StoreResult<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Other(format!("cannot create {}: {e}", dir.display())))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is fsynced before we answer 202.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(busy_timeout)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(busy_timeout)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Other(format!("migration failed: {e}")))?;
        Ok(Self { pool })
    }

    /// Writes a consistent copy of the database to `dest` (`VACUUM INTO`),
    /// safe while the server is serving. Returns the number of comments.
    pub async fn backup(&self, dest: &Path) -> StoreResult<i64> {
        if dest.exists() {
            return Err(StoreError::Other(format!(
                "{} already exists; choose a new file",
                dest.display()
            )));
        }
        let dest_text = dest
            .to_str()
            .ok_or_else(|| StoreError::Other("the backup path must be valid UTF-8".into()))?;
        let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM comments")
            .fetch_one(&self.pool)
            .await?;
        sqlx::query("VACUUM INTO $1")
            .bind(dest_text)
            .execute(&self.pool)
            .await?;
        Ok(count)
    }

    /// Replaces every comment with those of the backup at `src`, in one
    /// transaction, safe while the server is serving. Every thread gets a
    /// new, higher revision so that open pages reload it. Returns the number
    /// of comments restored.
    pub async fn restore(&self, src: &Path) -> StoreResult<i64> {
        let src_text = src
            .to_str()
            .ok_or_else(|| StoreError::Other("the backup path must be valid UTF-8".into()))?;
        if !src.is_file() {
            return Err(StoreError::Other(format!(
                "no backup file at {}",
                src.display()
            )));
        }
        let mut conn = self.pool.acquire().await?;
        sqlx::query("ATTACH DATABASE $1 AS backup")
            .bind(format!("file:{src_text}?mode=ro"))
            .execute(&mut *conn)
            .await?;
        let result = Self::copy_from_backup(&mut conn).await;
        sqlx::query("DETACH DATABASE backup")
            .execute(&mut *conn)
            .await?;
        result
    }

    async fn copy_from_backup(conn: &mut sqlx::SqliteConnection) -> StoreResult<i64> {
        let (integrity,): (String,) = sqlx::query_as("PRAGMA backup.integrity_check")
            .fetch_one(&mut *conn)
            .await?;
        if integrity != "ok" {
            return Err(StoreError::Other(format!(
                "the backup fails its integrity check: {integrity}"
            )));
        }
        let (tables,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM backup.sqlite_master              WHERE type = 'table' AND name IN ('comments', 'threads', 'counters')",
        )
        .fetch_one(&mut *conn)
        .await?;
        if tables != 3 {
            return Err(StoreError::Other(
                "this file is not a comments backup".into(),
            ));
        }
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
        let copied = Self::copy_rows(conn).await;
        let end = if copied.is_ok() { "COMMIT" } else { "ROLLBACK" };
        sqlx::query(end).execute(&mut *conn).await?;
        copied
    }

    async fn copy_rows(conn: &mut sqlx::SqliteConnection) -> StoreResult<i64> {
        sqlx::query("DELETE FROM main.comments")
            .execute(&mut *conn)
            .await?;
        let copied = sqlx::query(
            "INSERT INTO main.comments (id, thread_key, author, body, status, token_hash, \
             body_hash, flags, ip_hmac, created_at, decided_at) \
             SELECT id, thread_key, author, body, status, token_hash, \
             body_hash, flags, ip_hmac, created_at, decided_at FROM backup.comments",
        )
        .execute(&mut *conn)
        .await?
        .rows_affected();
        // A revision above both histories, for every thread either one knows.
        let (revision,): (i64,) = sqlx::query_as(
            "SELECT max(m.value, b.value) + 1 FROM main.counters m, backup.counters b \
             WHERE m.name = 'thread_revision' AND b.name = 'thread_revision'",
        )
        .fetch_one(&mut *conn)
        .await?;
        sqlx::query("UPDATE main.counters SET value = $1 WHERE name = 'thread_revision'")
            .bind(revision)
            .execute(&mut *conn)
            .await?;
        sqlx::query("UPDATE main.threads SET revision = $1")
            .bind(revision)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT INTO main.threads (thread_key, revision) \
             SELECT thread_key, $1 FROM backup.threads WHERE true \
             ON CONFLICT (thread_key) DO UPDATE SET revision = excluded.revision",
        )
        .bind(revision)
        .execute(&mut *conn)
        .await?;
        Ok(i64::try_from(copied).unwrap_or(i64::MAX))
    }

    /// Gives `thread` the next global revision, inside `tx`.
    async fn bump_revision(
        tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        thread: &str,
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
        Ok(revision(rev))
    }

    async fn delete_inner(&self, token_hash: &str) -> StoreResult<Option<Decision>> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let row: Option<(String, String)> = sqlx::query_as(
            "DELETE FROM comments WHERE token_hash = $1 RETURNING thread_key, status",
        )
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((thread, previous)) = row else {
            return Ok(None);
        };
        let previous = status_from_db(&previous)?;
        let public_change = previous == CommentStatus::Approved;
        Self::conclude(tx, thread, previous, public_change).await
    }

    /// Commits a change to one comment, first bumping its thread's revision
    /// if the public list changed.
    async fn conclude(
        mut tx: sqlx::Transaction<'_, sqlx::Sqlite>,
        thread: String,
        previous: CommentStatus,
        public_change: bool,
    ) -> StoreResult<Option<Decision>> {
        let revision = if public_change {
            Some(Self::bump_revision(&mut tx, &thread).await?)
        } else {
            None
        };
        tx.commit().await?;
        Ok(Some(Decision {
            thread,
            previous,
            revision,
        }))
    }

    async fn decide_inner(&self, id: i64, status: CommentStatus) -> StoreResult<Option<Decision>> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT thread_key, status FROM comments WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((thread, previous)) = row else {
            return Ok(None);
        };
        let previous = status_from_db(&previous)?;
        if previous == status {
            return Ok(Some(Decision {
                thread,
                previous,
                revision: None,
            }));
        }
        sqlx::query("UPDATE comments SET status = $1, decided_at = $2 WHERE id = $3")
            .bind(status.as_str())
            .bind(crate::clock::now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let public_change =
            previous == CommentStatus::Approved || status == CommentStatus::Approved;
        Self::conclude(tx, thread, previous, public_change).await
    }
}

impl Store for SqliteStore {
    fn insert_pending<'a>(&'a self, c: &'a NewPending) -> StoreFuture<'a, i64> {
        Box::pin(async move {
            let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO comments (thread_key, author, body, status, token_hash, \
                 body_hash, flags, ip_hmac, created_at) \
                 VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(c.thread.as_str())
            .bind(c.author.as_str())
            .bind(c.body.as_str())
            .bind(&c.token_hash)
            .bind(&c.body_hash)
            .bind(&c.flags)
            .bind(&c.ip_hmac)
            .bind(c.created_at)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    fn body_seen_since<'a>(&'a self, body_hash: &'a str, since: i64) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let row: Option<(i64,)> = sqlx::query_as(
                "SELECT 1 FROM comments WHERE body_hash = $1 AND created_at >= $2 LIMIT 1",
            )
            .bind(body_hash)
            .bind(since)
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.is_some())
        })
    }

    fn pending_counts<'a>(&'a self, thread: &'a ThreadKey) -> StoreFuture<'a, (u64, u64)> {
        Box::pin(async move {
            let (in_thread, total): (i64, i64) = sqlx::query_as(
                "SELECT \
                   (SELECT count(*) FROM comments WHERE thread_key = $1 AND status = 'pending'), \
                   (SELECT count(*) FROM comments WHERE status = 'pending')",
            )
            .bind(thread.as_str())
            .fetch_one(&self.pool)
            .await?;
            Ok((
                u64::try_from(in_thread).unwrap_or(0),
                u64::try_from(total).unwrap_or(0),
            ))
        })
    }

    fn approved<'a>(&'a self, thread: &'a ThreadKey) -> StoreFuture<'a, Vec<Comment>> {
        Box::pin(async move {
            let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
                "SELECT id, author, body, created_at FROM comments \
                 WHERE thread_key = $1 AND status = 'approved' ORDER BY created_at, id",
            )
            .bind(thread.as_str())
            .fetch_all(&self.pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(id, author, body, created_at)| Comment {
                    id,
                    author,
                    body,
                    created_at,
                })
                .collect())
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
                let row: Option<(i64, String)> =
                    sqlx::query_as("SELECT id, status FROM comments WHERE token_hash = $1")
                        .bind(hash)
                        .fetch_optional(&mut *conn)
                        .await?;
                out.push(match row {
                    Some((id, s)) => Some((id, status_from_db(&s)?)),
                    None => None,
                });
            }
            Ok(out)
        })
    }

    fn by_status(&self, status: CommentStatus, limit: u32) -> StoreFuture<'_, Vec<ModerationItem>> {
        Box::pin(async move {
            let rows: Vec<(i64, String, String, String, i64, String)> = sqlx::query_as(
                "SELECT id, thread_key, author, body, created_at, flags FROM comments \
                 WHERE status = $1 ORDER BY created_at, id LIMIT $2",
            )
            .bind(status.as_str())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(
                    |(id, thread, author, body, created_at, flags)| ModerationItem {
                        comment: OwnComment {
                            id,
                            thread,
                            author,
                            body,
                            status,
                            created_at,
                        },
                        flags: crate::signals::decode(&flags),
                    },
                )
                .collect())
        })
    }

    fn decide(&self, id: i64, status: CommentStatus) -> StoreFuture<'_, Option<Decision>> {
        Box::pin(self.decide_inner(id, status))
    }

    fn by_token<'a>(&'a self, token_hash: &'a str) -> StoreFuture<'a, Option<OwnComment>> {
        Box::pin(async move {
            let row: Option<(i64, String, String, String, String, i64)> = sqlx::query_as(
                "SELECT id, thread_key, author, body, status, created_at FROM comments \
                 WHERE token_hash = $1",
            )
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
            row.map(|(id, thread, author, body, status, created_at)| {
                Ok(OwnComment {
                    id,
                    thread,
                    author,
                    body,
                    status: status_from_db(&status)?,
                    created_at,
                })
            })
            .transpose()
        })
    }

    fn delete_by_token<'a>(&'a self, token_hash: &'a str) -> StoreFuture<'a, Option<Decision>> {
        Box::pin(self.delete_inner(token_hash))
    }

    fn forget_ips_before(&self, before: i64) -> StoreFuture<'_, u64> {
        Box::pin(async move {
            let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            let done = sqlx::query(
                "UPDATE comments SET ip_hmac = '' WHERE ip_hmac != '' AND created_at < $1",
            )
            .bind(before)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok(done)
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
            let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
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

    fn revisions_since(&self, after: u64) -> StoreFuture<'_, Vec<RevisionChange>> {
        Box::pin(async move {
            let after = i64::try_from(after).unwrap_or(i64::MAX);
            let rows: Vec<(String, i64)> = sqlx::query_as(
                "SELECT thread_key, revision FROM threads WHERE revision > $1 ORDER BY revision",
            )
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use comments_api::{Author, CommentBody};

    async fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("sub/c.db"), Duration::from_secs(5))
            .await
            .unwrap();
        (dir, s)
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
        }
    }

    #[tokio::test]
    async fn pending_is_not_public_until_approved() {
        let (_d, s) = store().await;
        let t = ThreadKey::parse("t").unwrap();
        assert_eq!(s.pending_counts(&t).await.unwrap(), (0, 0));
        s.insert_pending(&pending("other", "elsewhere", "h0"))
            .await
            .unwrap();
        let id = s
            .insert_pending(&pending("t", "hello", "h1"))
            .await
            .unwrap();
        assert!(s.approved(&t).await.unwrap().is_empty());
        assert_eq!(s.pending_counts(&t).await.unwrap(), (1, 2));
        let queue = s.by_status(CommentStatus::Pending, 10).await.unwrap();
        assert_eq!(queue.last().map(|c| c.comment.id), Some(id), "oldest first");

        let d = s
            .decide(id, CommentStatus::Approved)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(d.previous, CommentStatus::Pending);
        let rev = d.revision.expect("approval changes the public list");
        let list = s.approved(&t).await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].body, "hello");
        assert_eq!(s.revisions_since(0).await.unwrap(), vec![("t".into(), rev)]);
        assert!(s.revisions_since(rev).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn rejecting_a_pending_comment_leaves_the_revision_alone() {
        let (_d, s) = store().await;
        let id = s.insert_pending(&pending("t", "spam", "h1")).await.unwrap();
        let d = s
            .decide(id, CommentStatus::Rejected)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(d.revision, None);
        // Deciding the same again changes nothing.
        let again = s
            .decide(id, CommentStatus::Rejected)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again.previous, CommentStatus::Rejected);
        assert!(
            s.decide(9999, CommentStatus::Approved)
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn unpublishing_bumps_the_revision_past_every_other_thread() {
        let (_d, s) = store().await;
        let a = s.insert_pending(&pending("a", "x", "h1")).await.unwrap();
        let b = s.insert_pending(&pending("b", "y", "h2")).await.unwrap();
        let ra = s
            .decide(a, CommentStatus::Approved)
            .await
            .unwrap()
            .unwrap()
            .revision
            .unwrap();
        let rb = s
            .decide(b, CommentStatus::Approved)
            .await
            .unwrap()
            .unwrap()
            .revision
            .unwrap();
        let ra2 = s
            .decide(a, CommentStatus::Rejected)
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

    #[tokio::test]
    async fn statuses_follow_token_order_and_report_unknown_tokens() {
        let (_d, s) = store().await;
        let id = s.insert_pending(&pending("t", "x", "known")).await.unwrap();
        let st = s
            .statuses(&["nope".to_string(), "known".to_string()])
            .await
            .unwrap();
        assert_eq!(st, vec![None, Some((id, CommentStatus::Pending))]);
    }

    #[tokio::test]
    async fn restore_brings_back_the_backup_and_moves_every_revision_forward() {
        let (dir, s) = store().await;
        let kept = s.insert_pending(&pending("a", "kept", "h1")).await.unwrap();
        let r1 = s
            .decide(kept, CommentStatus::Approved)
            .await
            .unwrap()
            .unwrap()
            .revision
            .unwrap();
        let backup = dir.path().join("backup.db");
        assert_eq!(s.backup(&backup).await.unwrap(), 1);
        assert!(s.backup(&backup).await.is_err(), "never overwrites a file");

        // Changes after the backup: a new approved thread.
        let later = s
            .insert_pending(&pending("b", "later", "h2"))
            .await
            .unwrap();
        s.decide(later, CommentStatus::Approved).await.unwrap();

        assert_eq!(s.restore(&backup).await.unwrap(), 1);
        let a = ThreadKey::parse("a").unwrap();
        let b = ThreadKey::parse("b").unwrap();
        assert_eq!(s.approved(&a).await.unwrap()[0].body, "kept");
        assert!(s.approved(&b).await.unwrap().is_empty());
        let revs = s.revisions_since(r1).await.unwrap();
        assert_eq!(revs.len(), 2, "both threads move forward: {revs:?}");
        assert!(s.restore(&dir.path().join("missing.db")).await.is_err());
        // A file that is not a backup is refused and changes nothing.
        let other = dir.path().join("other.db");
        std::fs::write(&other, b"").unwrap();
        assert!(s.restore(&other).await.is_err());
        assert_eq!(s.approved(&a).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn address_hashes_are_forgotten_after_their_time_and_meta_is_set_once() {
        let (_d, s) = store().await;
        let mut old = pending("t", "old", "h1");
        old.created_at = 1_000;
        s.insert_pending(&old).await.unwrap();
        let mut new = pending("t", "new", "h2");
        new.created_at = 5_000;
        s.insert_pending(&new).await.unwrap();
        assert_eq!(s.forget_ips_before(2_000).await.unwrap(), 1);
        assert_eq!(
            s.forget_ips_before(2_000).await.unwrap(),
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

    #[tokio::test]
    async fn data_survives_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let s = SqliteStore::open(&path, Duration::from_secs(5))
            .await
            .unwrap();
        let id = s.insert_pending(&pending("t", "kept", "h")).await.unwrap();
        s.close().await.unwrap();
        let s = SqliteStore::open(&path, Duration::from_secs(5))
            .await
            .unwrap();
        let items = s.by_status(CommentStatus::Pending, 10).await.unwrap();
        assert_eq!(items[0].comment.id, id);
        assert_eq!(items[0].comment.body, "kept");
    }
}
