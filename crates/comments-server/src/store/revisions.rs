//! The in-memory map of thread revisions that answers `If-None-Match` without the database.
//!
//! Local moderation decisions update it at once; a background task picks up
//! changes made by other processes (the `moderate` command, other instances)
//! with one small query per refresh interval, never per request.
//!
//! The refresh cursor advances only from what the database returned. A
//! local change must not move it: another process may have committed a
//! lower revision that this one has not read yet. Revisions are given out
//! inside the writing transaction, and writes are serialised, so once the
//! database shows revision N every lower one is visible too.

use crate::store::{RevisionChange, Store};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

#[derive(Default)]
pub struct Revisions {
    map: RwLock<HashMap<String, u64>>,
    /// The highest revision the database has returned to a refresh;
    /// revisions are global, so this is the cursor for
    /// [`Store::revisions_since`].
    cursor: AtomicU64,
    /// From another instance's commit to this map, the last one (ms).
    notify_lag_ms: AtomicU64,
    notified: AtomicU64,
}

impl Revisions {
    /// The thread's current revision; 0 for a thread with no public change yet.
    pub fn get(&self, thread: &str) -> u64 {
        match self.map.read() {
            Ok(m) => m.get(thread).copied().unwrap_or(0),
            Err(poisoned) => poisoned.into_inner().get(thread).copied().unwrap_or(0),
        }
    }

    /// Records changes this process made or read; a revision never moves
    /// backwards. The refresh cursor stays where it is.
    pub fn apply(&self, changes: impl IntoIterator<Item = RevisionChange>) {
        let mut map = match self.map.write() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        for (thread, rev) in changes {
            let entry = map.entry(thread).or_insert(0);
            *entry = (*entry).max(rev);
        }
    }

    /// Records how long a change notification took to arrive.
    pub fn note_lag(&self, ms: i64) {
        self.notify_lag_ms
            .store(u64::try_from(ms).unwrap_or(0), Ordering::Relaxed);
        self.notified.fetch_add(1, Ordering::Relaxed);
    }

    /// The last notification's lag (ms), and how many came.
    pub fn lag(&self) -> (u64, u64) {
        (
            self.notify_lag_ms.load(Ordering::Relaxed),
            self.notified.load(Ordering::Relaxed),
        )
    }

    /// Loads every change the database holds past the cursor, whoever made it.
    pub async fn refresh(&self, store: &dyn Store) -> Result<usize, crate::store::StoreError> {
        let changes = store
            .revisions_since(self.cursor.load(Ordering::Acquire))
            .await?;
        let n = changes.len();
        if let Some(top) = changes.iter().map(|(_, rev)| *rev).max() {
            self.apply(changes);
            self.cursor.fetch_max(top, Ordering::AcqRel);
        }
        Ok(n)
    }

    /// Refreshes every `every` until the task is aborted.
    pub fn spawn_refresher(
        self: &Arc<Self>,
        store: Arc<dyn Store>,
        every: Duration,
    ) -> tokio::task::JoinHandle<()> {
        let me = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = me.refresh(store.as_ref()).await {
                    tracing::warn!(error = %e, "revision refresh failed; will retry");
                }
            }
        })
    }
}

/// The strong ETag for a revision.
pub fn etag(revision: u64) -> String {
    format!("\"r{revision}\"")
}

/// Whether an `If-None-Match` header value matches `current`
/// (`*`, or a comma-separated list of strong or weak tags).
pub fn if_none_match_hits(header: &str, current: &str) -> bool {
    let current = current.trim_start_matches("W/");
    header
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_only_move_forward() {
        let r = Revisions::default();
        assert_eq!(r.get("a"), 0);
        r.apply([("a".into(), 5), ("b".into(), 3)]);
        r.apply([("a".into(), 4)]);
        assert_eq!(r.get("a"), 5);
        assert_eq!(r.get("b"), 3);
        assert_eq!(
            r.cursor.load(Ordering::Relaxed),
            0,
            "local changes never move the refresh cursor"
        );
    }

    #[test]
    fn if_none_match_parsing() {
        let tag = etag(7);
        assert_eq!(tag, "\"r7\"");
        assert!(if_none_match_hits("\"r7\"", &tag));
        assert!(if_none_match_hits("W/\"r7\"", &tag));
        assert!(if_none_match_hits("\"r1\", \"r7\"", &tag));
        assert!(if_none_match_hits("*", &tag));
        assert!(!if_none_match_hits("\"r70\"", &tag));
        assert!(!if_none_match_hits("", &tag));
        assert!(!if_none_match_hits("r7", &tag));
    }
}
