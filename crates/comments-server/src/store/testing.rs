//! A test double around the real SQLite store: it counts reads of the public list and can make decisions fail or take longer, to test what handlers do around the store.

use super::sql::SqlStore;
use super::*;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

pub struct Hooked {
    pub inner: SqlStore,
    /// How often the public list was read.
    pub reads: AtomicUsize,
    /// Decisions that fail as if the database were busy, before any work.
    pub busy_decides: AtomicUsize,
    /// How long a decision's call takes after its commit.
    pub after_decide_ms: AtomicU64,
}

impl Hooked {
    pub async fn open(dir: &std::path::Path) -> Self {
        let inner = SqlStore::open_sqlite(&dir.join("c.db"), Duration::from_secs(5))
            .await
            .expect("open the test database");
        Self {
            inner,
            reads: AtomicUsize::new(0),
            busy_decides: AtomicUsize::new(0),
            after_decide_ms: AtomicU64::new(0),
        }
    }

    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
}

impl Store for Hooked {
    fn insert_pending<'a>(&'a self, c: &'a NewPending) -> StoreFuture<'a, Inserted> {
        self.inner.insert_pending(c)
    }
    fn body_seen_since<'a>(&'a self, hash: &'a str, since: i64) -> StoreFuture<'a, bool> {
        self.inner.body_seen_since(hash, since)
    }
    fn pending_counts<'a>(&'a self, thread: &'a ThreadKey) -> StoreFuture<'a, (u64, u64)> {
        self.inner.pending_counts(thread)
    }
    fn approved_counts<'a>(&'a self, threads: &'a [ThreadKey]) -> StoreFuture<'a, Vec<u64>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.approved_counts(threads)
    }
    fn approved<'a>(&'a self, thread: &'a ThreadKey) -> StoreFuture<'a, ThreadSnapshot> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.approved(thread)
    }
    fn page<'a>(&'a self, thread: &'a ThreadKey, q: &'a PageQuery) -> StoreFuture<'a, Page> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.page(thread, q)
    }
    fn conversation<'a>(
        &'a self,
        thread: &'a ThreadKey,
        root: i64,
        limit: u32,
    ) -> StoreFuture<'a, Option<Page>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.conversation(thread, root, limit)
    }
    fn changes<'a>(&'a self, thread: &'a ThreadKey, since: u64) -> StoreFuture<'a, Changes> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.changes(thread, since)
    }
    fn root_of<'a>(&'a self, thread: &'a ThreadKey, id: i64) -> StoreFuture<'a, Option<Cursor>> {
        self.inner.root_of(thread, id)
    }
    fn statuses<'a>(
        &'a self,
        hashes: &'a [String],
    ) -> StoreFuture<'a, Vec<Option<(i64, CommentStatus)>>> {
        self.inner.statuses(hashes)
    }
    fn queue<'a>(&'a self, q: &'a QueueQuery) -> StoreFuture<'a, Vec<ModerationItem>> {
        self.inner.queue(q)
    }
    fn comment(&self, id: i64) -> StoreFuture<'_, Option<ModerationItem>> {
        self.inner.comment(id)
    }
    fn approved_by_author<'a>(&'a self, key: &'a str) -> StoreFuture<'a, u64> {
        self.inner.approved_by_author(key)
    }
    fn decide<'a>(&'a self, d: &'a Decisions) -> StoreFuture<'a, Decided> {
        Box::pin(async move {
            let busy = self.busy_decides.load(Ordering::SeqCst);
            if busy > 0 {
                self.busy_decides.store(busy - 1, Ordering::SeqCst);
                return Err(StoreError::Busy);
            }
            let decided = self.inner.decide(d).await;
            let ms = self.after_decide_ms.load(Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            decided
        })
    }
    fn counts(&self, since: i64) -> StoreFuture<'_, Counts> {
        self.inner.counts(since)
    }
    fn by_token<'a>(&'a self, hash: &'a str) -> StoreFuture<'a, Option<OwnComment>> {
        self.inner.by_token(hash)
    }
    fn delete_by_token<'a>(&'a self, hash: &'a str) -> StoreFuture<'a, Option<Decision>> {
        self.inner.delete_by_token(hash)
    }
    fn purge_author<'a>(
        &'a self,
        key: &'a str,
        actor: &'a str,
    ) -> StoreFuture<'a, (u64, Vec<RevisionChange>)> {
        self.inner.purge_author(key, actor)
    }
    fn ban<'a>(
        &'a self,
        comment_id: i64,
        expires_at: Option<i64>,
        actor: &'a str,
    ) -> StoreFuture<'a, Option<Ban>> {
        self.inner.ban(comment_id, expires_at, actor)
    }
    fn set_mode<'a>(
        &'a self,
        pattern: &'a str,
        mode: Option<Mode>,
        actor: &'a str,
    ) -> StoreFuture<'a, ()> {
        self.inner.set_mode(pattern, mode, actor)
    }
    fn modes(&self) -> StoreFuture<'_, Vec<ModeRule>> {
        self.inner.modes()
    }
    fn set_thread_state<'a>(
        &'a self,
        thread: &'a ThreadKey,
        state: Option<ThreadState>,
        actor: &'a str,
    ) -> StoreFuture<'a, u64> {
        self.inner.set_thread_state(thread, state, actor)
    }
    fn closing<'a>(&'a self, thread: &'a ThreadKey) -> StoreFuture<'a, Closing> {
        self.inner.closing(thread)
    }
    fn feature<'a>(
        &'a self,
        id: i64,
        featured: bool,
        actor: &'a str,
        now: i64,
    ) -> StoreFuture<'a, Option<RevisionChange>> {
        self.inner.feature(id, featured, actor, now)
    }
    fn featured<'a>(
        &'a self,
        thread: &'a ThreadKey,
        limit: u32,
    ) -> StoreFuture<'a, Vec<PublicComment>> {
        self.inner.featured(thread, limit)
    }
    fn mode_of<'a>(&'a self, thread: &'a ThreadKey) -> StoreFuture<'a, Option<Mode>> {
        self.inner.mode_of(thread)
    }
    fn pending_of_reader(&self, comment_id: i64) -> StoreFuture<'_, Vec<i64>> {
        self.inner.pending_of_reader(comment_id)
    }
    fn lift_ban<'a>(&'a self, id: i64, actor: &'a str) -> StoreFuture<'a, bool> {
        self.inner.lift_ban(id, actor)
    }
    fn set_note<'a>(
        &'a self,
        key: &'a str,
        note: &'a str,
        actor: &'a str,
    ) -> StoreFuture<'a, bool> {
        self.inner.set_note(key, note, actor)
    }
    fn note<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<ReaderNote>> {
        self.inner.note(key)
    }
    fn reader_history<'a>(
        &'a self,
        key: &'a str,
        limit: u32,
    ) -> StoreFuture<'a, Vec<ModerationItem>> {
        self.inner.reader_history(key, limit)
    }
    fn bans(&self, now: i64) -> StoreFuture<'_, Vec<Ban>> {
        self.inner.bans(now)
    }
    fn is_banned<'a>(
        &'a self,
        author_key: &'a str,
        ip_hmac: &'a str,
        now: i64,
    ) -> StoreFuture<'a, bool> {
        self.inner.is_banned(author_key, ip_hmac, now)
    }
    fn report<'a>(&'a self, r: &'a NewReport) -> StoreFuture<'a, Option<ReportOutcome>> {
        self.inner.report(r)
    }
    fn reported(&self, limit: u32) -> StoreFuture<'_, Vec<ReportedItem>> {
        self.inner.reported(limit)
    }
    fn dismiss_reports<'a>(
        &'a self,
        id: i64,
        actor: &'a str,
    ) -> StoreFuture<'a, Option<Option<RevisionChange>>> {
        self.inner.dismiss_reports(id, actor)
    }
    fn claim_reply_mail(&self, reply_id: i64) -> StoreFuture<'_, Option<ReplyMail>> {
        self.inner.claim_reply_mail(reply_id)
    }
    fn subscribed(&self, id: i64) -> StoreFuture<'_, bool> {
        self.inner.subscribed(id)
    }
    fn unsubscribe(&self, id: i64) -> StoreFuture<'_, bool> {
        self.inner.unsubscribe(id)
    }
    fn last_comment_id(&self) -> StoreFuture<'_, i64> {
        self.inner.last_comment_id()
    }
    fn purge(&self, before: PurgeBefore) -> StoreFuture<'_, Purged> {
        self.inner.purge(before)
    }
    fn create_session<'a>(&'a self, session: &'a Session) -> StoreFuture<'a, ()> {
        self.inner.create_session(session)
    }
    fn session<'a>(&'a self, hash: &'a str, now: i64) -> StoreFuture<'a, Option<Session>> {
        self.inner.session(hash, now)
    }
    fn delete_session<'a>(&'a self, hash: &'a str) -> StoreFuture<'a, ()> {
        self.inner.delete_session(hash)
    }
    fn end_sessions<'a>(&'a self, moderator: &'a str, actor: &'a str) -> StoreFuture<'a, u64> {
        self.inner.end_sessions(moderator, actor)
    }
    fn audit(&self, limit: u32) -> StoreFuture<'_, Vec<AuditEntry>> {
        self.inner.audit(limit)
    }
    fn revisions_since(&self, after: u64) -> StoreFuture<'_, Vec<RevisionChange>> {
        self.inner.revisions_since(after)
    }
    fn meta<'a>(&'a self, name: &'a str) -> StoreFuture<'a, Option<String>> {
        self.inner.meta(name)
    }
    fn set_meta_once<'a>(&'a self, n: &'a str, v: &'a str) -> StoreFuture<'a, String> {
        self.inner.set_meta_once(n, v)
    }
    fn delete_meta<'a>(&'a self, name: &'a str) -> StoreFuture<'a, ()> {
        self.inner.delete_meta(name)
    }
    fn ping(&self) -> StoreFuture<'_, ()> {
        self.inner.ping()
    }
    fn take_allowance<'a>(
        &'a self,
        key: &'a str,
        now: i64,
        burst: u32,
        interval_ms: i64,
    ) -> StoreFuture<'a, Option<i64>> {
        self.inner.take_allowance(key, now, burst, interval_ms)
    }
    fn import<'a>(&'a self, batch: &'a [ImportedComment]) -> StoreFuture<'a, Vec<ImportOutcome>> {
        self.inner.import(batch)
    }
    fn export(&self, after: i64, limit: u32) -> StoreFuture<'_, Vec<ExportedComment>> {
        self.inner.export(after, limit)
    }
    fn close(&self) -> StoreFuture<'_, ()> {
        self.inner.close()
    }
}
