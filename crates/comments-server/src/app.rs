//! The application: shared state, the router, and serving until shutdown.

use crate::config::Config;
use crate::demo::{self, Article};
use crate::error::AppError;
use crate::limiter::Limiter;
use crate::mail_links::LinkSigner;
use crate::notify::Notifier;
use crate::origins::Origins;
use crate::privacy::{self, IpHasher};
use crate::revisions::Revisions;
use crate::store::Store;
use crate::{admin, api, assets, moderation};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{Method, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use comments_api::ErrorCode;
use comments_api::limits::REQUEST_MAX_BYTES;
use std::sync::Arc;
use std::time::Duration;
use tower_http::cors::CorsLayer;

/// Everything handlers share, passed in as axum state.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub revisions: Arc<Revisions>,
    pub config: Arc<Config>,
    pub post_limiter: Arc<Limiter>,
    pub read_limiter: Arc<Limiter>,
    pub login_limiter: Arc<Limiter>,
    pub notifier: Arc<Notifier>,
    pub link_signer: Arc<LinkSigner>,
    pub origins: Arc<Origins>,
    pub ip_hasher: Arc<IpHasher>,
    /// The page at `/`, rendered once; `Bytes` clones share it.
    pub home: Html<Bytes>,
}

impl AppState {
    /// Builds the state and loads every thread revision into memory.
    pub async fn new(config: Config, store: Arc<dyn Store>) -> Result<Self, String> {
        let revisions = Arc::new(Revisions::default());
        revisions
            .refresh(store.as_ref())
            .await
            .map_err(|e| format!("cannot load thread revisions: {e}"))?;
        let article = match &config.demo.article {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read demo article {}: {e}", path.display()))?;
                Some(
                    Article::parse(&text)
                        .ok_or_else(|| format!("demo article {} is empty", path.display()))?,
                )
            }
            None => None,
        };
        let limits = &config.limits;
        let post_limiter = Arc::new(Limiter::new(
            limits.post_burst,
            Duration::from_secs(limits.post_refill_seconds),
            limits.tracked_clients,
        ));
        let secret = privacy::secret(store.as_ref())
            .await
            .map_err(|e| format!("cannot read or create the address-hashing secret: {e}"))?;
        let read_limiter = Arc::new(Limiter::new(
            limits.read_burst,
            Duration::from_secs(1) / limits.read_per_second,
            limits.tracked_clients,
        ));
        let per_minute = config.moderation.login_per_minute;
        let login_limiter = Arc::new(Limiter::new(
            per_minute,
            Duration::from_secs(60) / per_minute,
            limits.tracked_clients,
        ));
        let link_signer = LinkSigner::load(store.as_ref())
            .await
            .map_err(|e| format!("cannot read or create the mail-link secret: {e}"))?;
        let notifier = Notifier::new(&config, link_signer.clone(), store.clone())?;
        Ok(Self {
            store,
            revisions,
            post_limiter,
            read_limiter,
            login_limiter,
            notifier: Arc::new(notifier),
            link_signer: Arc::new(link_signer),
            origins: Arc::new(Origins::new(&config.sites.allowed_origins)),
            ip_hasher: Arc::new(IpHasher::new(&secret)),
            home: Html(Bytes::from(demo::page(article.as_ref()).0)),
            config: Arc::new(config),
        })
    }
}

async fn healthz(State(app): State<AppState>) -> Result<&'static str, AppError> {
    app.store.ping().await?;
    Ok("ok\n")
}

/// The policy for the pages this server renders: only its own scripts (the
/// widget needs `wasm-unsafe-eval` to compile its wasm), its own API, and
/// inline styles (the demo page's and the widget's shadow-root stylesheet).
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

async fn home(State(app): State<AppState>) -> impl IntoResponse {
    (
        [
            (header::CONTENT_SECURITY_POLICY, PAGE_CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        ],
        app.home.clone(),
    )
}

/// Answers 408 when a request, its body included, takes longer than
/// `limits.request_timeout_ms`: slow clients cannot hold connections forever.
async fn deadline(
    State(app): State<AppState>,
    req: axum::extract::Request,
    next: Next,
) -> Response {
    let limit = Duration::from_millis(app.config.limits.request_timeout_ms);
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => AppError::from(ErrorCode::RequestTimeout).into_response(),
    }
}

async fn not_found() -> AppError {
    ErrorCode::NotFound.into()
}

async fn method_not_allowed() -> AppError {
    ErrorCode::MethodNotAllowed.into()
}

/// CORS for the allowed sites (any when none is configured): the widget's
/// files and the public API must load from every page that embeds them. No
/// cookies are involved; moderation needs a bearer token.
fn cors(origins: &Origins) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(origins.cors())
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::IF_NONE_MATCH])
        .expose_headers([header::ETAG, header::RETRY_AFTER])
        .max_age(Duration::from_secs(86400))
}

pub fn router(state: AppState) -> Router {
    let public = Router::new()
        .route(
            "/api/v1/threads/{thread}/comments",
            get(api::list).post(api::post),
        )
        .route("/api/v1/comments/status", post(api::status))
        .route("/api/v1/comments/export", post(api::export))
        .route("/api/v1/comments/delete", post(api::delete));
    let moderation = Router::new()
        .route("/api/v1/moderation/comments", get(moderation::list))
        .route(
            "/api/v1/moderation/comments/{id}/approve",
            post(moderation::approve),
        )
        .route(
            "/api/v1/moderation/comments/{id}/reject",
            post(moderation::reject),
        );
    let admin = Router::new()
        .route("/admin", get(admin::queue))
        .route("/admin/", get(admin::queue))
        .route("/admin/login", get(admin::login_form).post(admin::login))
        .route("/admin/logout", post(admin::logout))
        .route("/admin/comments", get(admin::list))
        .route("/admin/thread", get(admin::thread))
        .route("/admin/audit", get(admin::audit))
        .route("/admin/decide", post(admin::decide_form))
        .route("/admin/api/decide", post(admin::decide_api))
        .route(
            "/admin/mail/{token}",
            get(admin::mail_link).post(admin::mail_link_confirm),
        )
        .route("/admin/admin.js", get(admin::script))
        .route("/admin/admin.css", get(admin::stylesheet));
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(healthz))
        .route("/embed.js", get(assets::loader))
        .route("/w/{build}/{*file}", get(assets::file))
        .merge(public)
        .merge(moderation)
        .merge(admin)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(REQUEST_MAX_BYTES))
        .layer(middleware::from_fn_with_state(state.clone(), deadline))
        .layer(cors(&state.origins))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;
    use crate::store::{
        AuditEntry, Counts, Decision, DecisionRequest, Disposition, Inserted, ModerationItem,
        NewPending, Purged, QueueQuery, RevisionChange, Session, StoreFuture,
    };
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use comments_api::{Author, Comment, CommentBody, CommentStatus, OwnComment, ThreadKey};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tower::ServiceExt;

    /// The real SQLite store, counting how often the public list is read.
    struct Counting {
        inner: SqliteStore,
        reads: AtomicUsize,
    }

    impl Store for Counting {
        fn insert_pending<'a>(&'a self, c: &'a NewPending) -> StoreFuture<'a, Inserted> {
            self.inner.insert_pending(c)
        }
        fn pending_counts<'a>(&'a self, thread: &'a ThreadKey) -> StoreFuture<'a, (u64, u64)> {
            self.inner.pending_counts(thread)
        }
        fn body_seen_since<'a>(&'a self, hash: &'a str, since: i64) -> StoreFuture<'a, bool> {
            self.inner.body_seen_since(hash, since)
        }
        fn approved<'a>(&'a self, thread: &'a ThreadKey) -> StoreFuture<'a, Vec<Comment>> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            self.inner.approved(thread)
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
        fn decide<'a>(&'a self, r: &'a DecisionRequest<'a>) -> StoreFuture<'a, Option<Decision>> {
            self.inner.decide(r)
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
        fn take_notify_email(&self, id: i64) -> StoreFuture<'_, Option<String>> {
            self.inner.take_notify_email(id)
        }
        fn purge(&self, addresses: i64, deleted: i64, now: i64) -> StoreFuture<'_, Purged> {
            self.inner.purge(addresses, deleted, now)
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
        fn audit(&self, limit: u32) -> StoreFuture<'_, Vec<AuditEntry>> {
            self.inner.audit(limit)
        }
        fn use_link<'a>(&'a self, nonce: &'a str, now: i64) -> StoreFuture<'a, bool> {
            self.inner.use_link(nonce, now)
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
        fn ping(&self) -> StoreFuture<'_, ()> {
            self.inner.ping()
        }
        fn close(&self) -> StoreFuture<'_, ()> {
            self.inner.close()
        }
    }

    async fn get(app: &Router, path: &str, etag: Option<&str>) -> (StatusCode, Option<String>) {
        let peer: std::net::SocketAddr = ([192, 0, 2, 1], 1234).into();
        let mut req = Request::get(path).extension(axum::extract::ConnectInfo(peer));
        if let Some(tag) = etag {
            req = req.header(header::IF_NONE_MATCH, tag);
        }
        let res = app
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let tag = res
            .headers()
            .get(header::ETAG)
            .map(|v| v.to_str().unwrap().to_string());
        (res.status(), tag)
    }

    #[tokio::test]
    async fn unchanged_and_empty_threads_are_answered_without_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = SqliteStore::open(&dir.path().join("c.db"), Duration::from_secs(5))
            .await
            .unwrap();
        let store = Arc::new(Counting {
            inner: sqlite,
            reads: AtomicUsize::new(0),
        });
        let mut config = Config::default();
        config.limits.read_burst = 1000;
        let state = AppState::new(config, store.clone()).await.unwrap();
        let revisions = Arc::clone(&state.revisions);
        let app = router(state);
        let reads = || store.reads.load(Ordering::SeqCst);

        let id = store
            .insert_pending(&NewPending {
                thread: ThreadKey::parse("t").unwrap(),
                author: Author::parse("a").unwrap(),
                body: CommentBody::parse("b").unwrap(),
                token_hash: "h".into(),
                body_hash: "b".into(),
                flags: String::new(),
                ip_hmac: String::new(),
                created_at: 1,
                page: Default::default(),
                author_key: String::new(),
                notify_email: String::new(),
                trusted: false,
            })
            .await
            .unwrap()
            .id;
        let (status, _) = get(&app, "/api/v1/threads/t/comments", None).await;
        assert_eq!(
            (status, reads()),
            (StatusCode::OK, 0),
            "nothing approved yet"
        );

        let approve = DecisionRequest {
            id,
            to: Disposition::Approved,
            actor: "test",
            only_from: None,
        };
        crate::moderation::decide_with(store.as_ref(), &revisions, None, &approve)
            .await
            .unwrap();
        let (status, tag) = get(&app, "/api/v1/threads/t/comments", None).await;
        assert_eq!((status, reads()), (StatusCode::OK, 1));
        for _ in 0..100 {
            let (status, _) = get(&app, "/api/v1/threads/t/comments", tag.as_deref()).await;
            assert_eq!(status, StatusCode::NOT_MODIFIED);
        }
        let (status, _) = get(&app, "/api/v1/threads/other/comments", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            reads(),
            1,
            "304s and never-approved threads skip the database"
        );
    }
}
