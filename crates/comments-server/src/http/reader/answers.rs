//! Full answers of thread lists, serialised once per revision and compressed once per coding, so that a changed thread costs one read and one serialisation however many readers ask. Bounded in bytes; the least recently read threads go first.

use crate::http::encoding::{self, Encoding};
use axum::body::Bytes;
use axum::http::HeaderValue;
use hashlink::LruCache;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Slots the cache holds at most, loaded or loading.
const MAX_SLOTS: usize = 100_000;

/// One thread's answer at one revision, in every coding asked for so far.
pub struct Encoded {
    pub revision: u64,
    /// The revision's `ETag`, made once.
    pub etag: HeaderValue,
    json: Bytes,
    gzip: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
}

impl Encoded {
    pub fn new(revision: u64, json: Vec<u8>) -> Self {
        Self {
            revision,
            etag: HeaderValue::from_str(&crate::store::revisions::etag(revision))
                .unwrap_or_else(|_| HeaderValue::from_static("\"r0\"")),
            json: Bytes::from(json),
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
        }
    }

    /// The answer in `coding`, compressed on first use.
    pub fn body(&self, coding: Encoding) -> Bytes {
        match coding {
            Encoding::Identity => self.json.clone(),
            Encoding::Gzip => self
                .gzip
                .get_or_init(|| Bytes::from(encoding::gzip(&self.json)))
                .clone(),
            Encoding::Brotli => self
                .brotli
                .get_or_init(|| Bytes::from(encoding::brotli(&self.json)))
                .clone(),
        }
    }

    /// Bytes it holds, compressed forms counted as about half as much again.
    fn weight(&self) -> usize {
        self.json.len() + self.json.len() / 2
    }
}

/// A thread's place in the cache: the revision it is for, and its answer
/// once loaded. Readers who arrive while it loads wait for that one load.
struct Slot {
    revision: u64,
    answer: tokio::sync::OnceCell<Arc<Encoded>>,
    weight: AtomicUsize,
}

struct Inner {
    slots: LruCache<String, Arc<Slot>>,
    weight: usize,
}

pub struct Answers {
    inner: Mutex<Inner>,
    max_weight: usize,
}

impl Answers {
    /// A cache holding about `max_bytes` of answers.
    pub fn new(max_bytes: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                slots: LruCache::new_unbounded(),
                weight: 0,
            }),
            max_weight: max_bytes.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The answer for `thread` at `revision`: cached, or made by `load`
    /// once however many readers ask at the same time.
    pub async fn get_or_load<F, Fut, E>(
        &self,
        thread: &str,
        revision: u64,
        load: F,
    ) -> Result<Arc<Encoded>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Encoded, E>>,
    {
        let slot = {
            let mut inner = self.lock();
            match inner.slots.get(thread) {
                Some(slot) if slot.revision == revision => Arc::clone(slot),
                _ => {
                    let slot = Arc::new(Slot {
                        revision,
                        answer: tokio::sync::OnceCell::new(),
                        weight: AtomicUsize::new(0),
                    });
                    if let Some(old) = inner.slots.insert(thread.to_string(), Arc::clone(&slot)) {
                        inner.weight -= old.weight.load(Ordering::Relaxed).min(inner.weight);
                    }
                    // Questions are many (cursors, revisions): their count
                    // is bounded too, not only their bytes.
                    while inner.slots.len() > MAX_SLOTS {
                        match inner.slots.remove_lru() {
                            Some((_, old)) => {
                                inner.weight -=
                                    old.weight.load(Ordering::Relaxed).min(inner.weight);
                            }
                            None => break,
                        }
                    }
                    slot
                }
            }
        };
        let mut loaded_now = false;
        let loaded = slot
            .answer
            .get_or_try_init(|| async {
                loaded_now = true;
                load().await.map(Arc::new)
            })
            .await;
        let answer = match loaded {
            Ok(answer) => answer.clone(),
            Err(e) => {
                // Nothing to keep: a failed or refused question (an unknown
                // id, say) leaves no empty slot behind.
                let mut inner = self.lock();
                if inner
                    .slots
                    .peek(thread)
                    .is_some_and(|s| Arc::ptr_eq(s, &slot))
                {
                    inner.slots.remove(thread);
                }
                return Err(e);
            }
        };
        if loaded_now {
            self.account(thread, &slot, answer.weight() + thread.len());
        }
        Ok(answer)
    }

    /// Counts a newly loaded answer, then forgets the least recently read
    /// threads until the cache is within its bound.
    fn account(&self, thread: &str, slot: &Arc<Slot>, weight: usize) {
        let mut inner = self.lock();
        let still_there = inner
            .slots
            .peek(thread)
            .is_some_and(|s| Arc::ptr_eq(s, slot));
        if !still_there {
            return;
        }
        slot.weight.store(weight, Ordering::Relaxed);
        inner.weight += weight;
        while inner.weight > self.max_weight && inner.slots.len() > 1 {
            match inner.slots.remove_lru() {
                Some((_, old)) => {
                    inner.weight -= old.weight.load(Ordering::Relaxed).min(inner.weight);
                }
                None => break,
            }
        }
    }

    /// How many threads it holds, and their weight in bytes.
    pub fn size(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.slots.len(), inner.weight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn load(answers: &Answers, thread: &str, rev: u64, calls: &AtomicUsize) -> u64 {
        answers
            .get_or_load(thread, rev, || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok::<_, ()>(Encoded::new(rev, vec![b'x'; 100]))
            })
            .await
            .map(|a| a.revision)
            .unwrap_or(0)
    }

    #[tokio::test]
    async fn answers_are_made_once_per_revision_and_stay_within_bounds() {
        let answers = Answers::new(400);
        let calls = AtomicUsize::new(0);
        for _ in 0..5 {
            assert_eq!(load(&answers, "a", 1, &calls).await, 1);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(load(&answers, "a", 2, &calls).await, 2);
        assert_eq!(calls.load(Ordering::SeqCst), 2, "a new revision is loaded");
        assert_eq!(answers.size(), (1, 151), "the old revision is forgotten");
        for t in ["b", "c", "d"] {
            load(&answers, t, 1, &calls).await;
        }
        let (threads, weight) = answers.size();
        assert!(
            weight <= 400 && threads == 2,
            "{threads} threads, {weight} bytes"
        );
        // A failed load leaves nothing behind.
        let before = answers.size();
        let failed = answers
            .get_or_load("e", 1, || async { Err::<Encoded, _>("db down") })
            .await;
        assert!(failed.is_err());
        assert_eq!(answers.size(), before, "no empty slot kept");
        assert_eq!(load(&answers, "e", 1, &calls).await, 1);
    }
}
