//! The embedded SQLite store: WAL, `synchronous=FULL`, `BEGIN IMMEDIATE` for every write.

use super::{
    Decision, ModerationItem, NewPending, RevisionChange, Store, StoreError, StoreFuture,
    StoreResult,
};
use comments_api::{Comment, CommentStatus, ThreadKey};
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
        let mut new_revision = None;
        if public_change {
            let (rev,): (i64,) = sqlx::query_as(
                "UPDATE counters SET value = value + 1 WHERE name = 'thread_revision' RETURNING value",
            )
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO threads (thread_key, revision) VALUES ($1, $2) \
                 ON CONFLICT (thread_key) DO UPDATE SET revision = excluded.revision",
            )
            .bind(&thread)
            .bind(rev)
            .execute(&mut *tx)
            .await?;
            new_revision = Some(revision(rev));
        }
        tx.commit().await?;
        Ok(Some(Decision {
            thread,
            previous,
            revision: new_revision,
        }))
    }
}

impl Store for SqliteStore {
    fn insert_pending<'a>(&'a self, c: &'a NewPending) -> StoreFuture<'a, i64> {
        Box::pin(async move {
            let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO comments (thread_key, author, body, status, token_hash, created_at) \
                 VALUES ($1, $2, $3, 'pending', $4, $5) RETURNING id",
            )
            .bind(c.thread.as_str())
            .bind(c.author.as_str())
            .bind(c.body.as_str())
            .bind(&c.token_hash)
            .bind(c.created_at)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(id)
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
            let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
                "SELECT id, thread_key, author, body, created_at FROM comments \
                 WHERE status = $1 ORDER BY created_at, id LIMIT $2",
            )
            .bind(status.as_str())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(id, thread, author, body, created_at)| ModerationItem {
                    id,
                    thread,
                    author,
                    body,
                    status,
                    created_at,
                })
                .collect())
        })
    }

    fn decide(&self, id: i64, status: CommentStatus) -> StoreFuture<'_, Option<Decision>> {
        Box::pin(self.decide_inner(id, status))
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
            created_at: 1_700_000_000_000,
        }
    }

    #[tokio::test]
    async fn pending_is_not_public_until_approved() {
        let (_d, s) = store().await;
        let t = ThreadKey::parse("t").unwrap();
        let id = s
            .insert_pending(&pending("t", "hello", "h1"))
            .await
            .unwrap();
        assert!(s.approved(&t).await.unwrap().is_empty());
        assert_eq!(
            s.by_status(CommentStatus::Pending, 10).await.unwrap()[0].id,
            id
        );

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
        assert_eq!(items[0].id, id);
        assert_eq!(items[0].body, "kept");
    }
}
