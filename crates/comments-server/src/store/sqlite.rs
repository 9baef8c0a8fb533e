//! The embedded SQLite backend: one file in WAL mode, `synchronous=FULL`
//! (a comment is on disk before we answer 202), `BEGIN IMMEDIATE` for
//! every write; and what only a file can do: `backup` (`VACUUM INTO`) and
//! `restore` (`ATTACH`). Every query is `sql.rs`'s, shared with PostgreSQL.

use super::sql::{Backend, SqlStore};
use super::{StoreError, StoreResult};
use sqlx::Executor;
use sqlx::any::AnyPoolOptions;
use std::path::Path;
use std::time::Duration;

/// `path` as a `sqlite://` URL: absolute (a relative path's first folder
/// would be read as a host), every byte but `/` and a few safe ones
/// percent-encoded, created if missing.
fn url_of(path: &Path) -> StoreResult<String> {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const KEEP: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'.')
        .remove(b'-')
        .remove(b'_');
    let absolute = std::path::absolute(path)
        .map_err(|e| StoreError::Other(format!("{}: {e}", path.display())))?;
    let text = absolute
        .to_str()
        .ok_or_else(|| StoreError::Other("the database path must be valid UTF-8".into()))?;
    Ok(format!(
        "sqlite://{}?mode=rwc",
        utf8_percent_encode(text, KEEP)
    ))
}

impl SqlStore {
    /// Opens (creating if needed) the database file and runs migrations.
    pub async fn open_sqlite(path: &Path, busy_timeout: Duration) -> StoreResult<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Other(format!("cannot create {}: {e}", dir.display())))?;
        }
        sqlx::any::install_default_drivers();
        let pragmas = format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
             PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON;",
            busy_timeout.as_millis()
        );
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(busy_timeout)
            .after_connect(move |conn, _| {
                let pragmas = pragmas.clone();
                Box::pin(async move {
                    conn.execute(sqlx::AssertSqlSafe(pragmas)).await?;
                    Ok(())
                })
            })
            .connect(&url_of(path)?)
            .await?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Other(format!("migration failed: {e}")))?;
        Ok(Self {
            pool,
            backend: Backend::Sqlite,
            listen_url: None,
        })
    }

    fn sqlite_only(&self, what: &str, instead: &str) -> StoreResult<()> {
        match self.backend {
            Backend::Sqlite => Ok(()),
            Backend::Postgres => Err(StoreError::Other(format!(
                "{what} copies a SQLite file; on PostgreSQL, use {instead}"
            ))),
        }
    }

    /// Writes a consistent copy of the database to `dest` (`VACUUM INTO`),
    /// safe while the server is serving. Returns the number of comments.
    pub async fn backup(&self, dest: &Path) -> StoreResult<i64> {
        self.sqlite_only("backup", "pg_dump")?;
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
    /// new, higher revision so that open pages reload it. Readers' mail
    /// addresses are not brought back: they were promised one mail, and the
    /// backup cannot know whether it went. Returns the number of comments
    /// restored.
    pub async fn restore(&self, src: &Path) -> StoreResult<i64> {
        self.sqlite_only("restore", "pg_restore")?;
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

    async fn copy_from_backup(conn: &mut sqlx::AnyConnection) -> StoreResult<i64> {
        let (integrity,): (String,) = sqlx::query_as("PRAGMA backup.integrity_check")
            .fetch_one(&mut *conn)
            .await?;
        if integrity != "ok" {
            return Err(StoreError::Other(format!(
                "the backup fails its integrity check: {integrity}"
            )));
        }
        let (tables,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM backup.sqlite_master \
             WHERE type = 'table' AND name IN ('comments', 'threads', 'counters')",
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

    async fn copy_rows(conn: &mut sqlx::AnyConnection) -> StoreResult<i64> {
        sqlx::query("DELETE FROM main.comments")
            .execute(&mut *conn)
            .await?;
        // Backups made before replies existed have no parent columns.
        let (has_replies,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM pragma_table_info('comments', 'backup') \
             WHERE name = 'parent_id'",
        )
        .fetch_one(&mut *conn)
        .await?;
        let copy = if has_replies > 0 {
            "INSERT INTO main.comments (id, thread_key, author, body, status, token_hash, \
             body_hash, flags, ip_hmac, created_at, decided_at, page_title, page_url, \
             author_key, notify_email, parent_id, root_id) \
             SELECT id, thread_key, author, body, status, token_hash, \
             body_hash, flags, ip_hmac, created_at, decided_at, page_title, page_url, \
             author_key, '', parent_id, root_id FROM backup.comments"
        } else {
            "INSERT INTO main.comments (id, thread_key, author, body, status, token_hash, \
             body_hash, flags, ip_hmac, created_at, decided_at, page_title, page_url, \
             author_key, notify_email) \
             SELECT id, thread_key, author, body, status, token_hash, \
             body_hash, flags, ip_hmac, created_at, decided_at, page_title, page_url, \
             author_key, '' FROM backup.comments"
        };
        let copied = sqlx::query(copy).execute(&mut *conn).await?.rows_affected();
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
        // Counts follow the restored rows; every reader reloads: the log
        // says nothing of them.
        sqlx::query(
            "UPDATE main.comments SET reply_count = (SELECT count(*) FROM main.comments r \
             WHERE r.root_id = main.comments.id AND r.status = 'approved') WHERE parent_id IS NULL",
        )
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM main.changes")
            .execute(&mut *conn)
            .await?;
        sqlx::query("UPDATE main.threads SET revision = $1, log_floor = $1")
            .bind(revision)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT INTO main.threads (thread_key, revision, log_floor) \
             SELECT thread_key, $1, $1 FROM backup.threads WHERE true \
             ON CONFLICT (thread_key) DO UPDATE SET revision = excluded.revision, \
             log_floor = excluded.log_floor",
        )
        .bind(revision)
        .execute(&mut *conn)
        .await?;
        Ok(i64::try_from(copied).unwrap_or(i64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn relative_paths_become_absolute_urls() {
        let url = url_of(Path::new("my data/comments.db")).unwrap();
        assert!(url.starts_with("sqlite:///"), "{url}");
        assert!(url.ends_with("/my%20data/comments.db?mode=rwc"), "{url}");
    }

    #[tokio::test]
    async fn a_file_opens_whatever_its_folders_are_called() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("news room: 50% #1?/comments.db");
        let s = SqlStore::open_sqlite(&path, Duration::from_secs(5))
            .await
            .unwrap();
        s.ping().await.unwrap();
        s.close().await.unwrap();
        assert!(path.is_file());
    }
}
