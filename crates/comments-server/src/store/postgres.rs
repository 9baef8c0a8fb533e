//! The PostgreSQL backend, for several server instances on one database:
//! the pool and its schema (`migrations/postgres`), and the listener that
//! carries every instance's commits to this one's revision map at once
//! (`LISTEN`), catching up through the revision cursor whenever its
//! connection was lost. Every query is `sql.rs`'s, shared with SQLite.

use super::revisions::Revisions;
use super::sql::{Backend, CHANNEL, SqlStore};
use super::{Store, StoreError, StoreResult};
use sqlx::Executor;
use sqlx::any::AnyPoolOptions;
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::time::Duration;

/// How long a transaction may sit idle before PostgreSQL ends it: far
/// longer than any of ours, short enough that a frozen instance does not
/// hold the write lock for long.
const IDLE_IN_TRANSACTION: Duration = Duration::from_secs(30);

impl SqlStore {
    /// Connects to `url` (`postgres://…`) and brings its schema up to date.
    /// Several instances may start at once: migrations take a lock.
    pub async fn connect_postgres(url: &str, timeout: Duration) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        // A write waits for the one write lock no longer than a SQLite
        // write waits for its own (503 then), and a transaction left open by
        // a frozen or cut-off instance is ended, releasing the lock.
        let settings = format!(
            "SET lock_timeout = {}; SET idle_in_transaction_session_timeout = {}",
            timeout.as_millis().max(1),
            IDLE_IN_TRANSACTION.as_millis()
        );
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(timeout)
            .after_connect(move |conn, _| {
                let settings = settings.clone();
                Box::pin(async move {
                    conn.execute(sqlx::AssertSqlSafe(settings)).await?;
                    Ok(())
                })
            })
            .connect(url)
            .await
            .map_err(|e| StoreError::Other(format!("cannot connect to PostgreSQL: {e}")))?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Other(format!("migration failed: {e}")))?;
        Ok(Self {
            pool,
            backend: Backend::Postgres,
            listen_url: Some(url.to_string()),
        })
    }

    /// Follows other instances' commits into `revisions` until aborted.
    pub(super) fn follow_postgres(
        &self,
        revisions: Arc<Revisions>,
        store: Arc<dyn Store>,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let url = self.listen_url.clone()?;
        Some(tokio::spawn(async move {
            loop {
                match listen(&url, &revisions, store.as_ref()).await {
                    Ok(()) => tracing::warn!("change notifications: connection lost; reconnecting"),
                    Err(e) => tracing::warn!(error = %e, "change notifications: reconnecting"),
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }))
    }
}

/// One connection's life: listen first, then catch up with what was
/// committed before (so nothing falls between the two), then apply each
/// notification as it comes. Returns when the connection is lost.
async fn listen(url: &str, revisions: &Revisions, store: &dyn Store) -> StoreResult<()> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    revisions.refresh(store).await?;
    while let Some(n) = listener.try_recv().await? {
        match parse(n.payload()) {
            Some((revision, at, thread)) => {
                revisions.apply([(thread.to_string(), revision)]);
                revisions.note_lag(crate::clock::now_ms().saturating_sub(at));
            }
            None => tracing::warn!(payload = n.payload(), "unreadable change notification"),
        }
    }
    Ok(())
}

/// A notification's payload: `revision committed_at_ms thread`.
pub(super) fn parse(payload: &str) -> Option<(u64, i64, &str)> {
    let mut parts = payload.splitn(3, ' ');
    let revision = parts.next()?.parse().ok()?;
    let at = parts.next()?.parse().ok()?;
    let thread = parts.next().filter(|t| !t.is_empty())?;
    Some((revision, at, thread))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn payloads_carry_revision_time_and_any_thread_key() {
        assert_eq!(parse("12 1700 a b"), Some((12, 1700, "a b")));
        assert_eq!(parse("12 1700 "), None);
        assert_eq!(parse("x 1700 t"), None);
        assert_eq!(parse("12"), None);
    }
}
