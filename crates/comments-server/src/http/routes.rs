//! The router: every route, its layers (deadline, CORS, compression of API answers, tracing), and the few handlers that belong to no feature (home, health, fallbacks).

use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::http::{admin, assets, frame, moderation, newsroom, reader};
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, Version, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use comments_api::ErrorCode;
use comments_api::limits::REQUEST_MAX_BYTES;
use std::time::Duration;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::cors::CorsLayer;

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
/// GET and HEAD requests read no body, and their handlers wait on nothing
/// longer than the database's own timeout; they skip the timer.
async fn deadline(
    State(app): State<AppState>,
    req: axum::extract::Request,
    next: Next,
) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        return next.run(req).await;
    }
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
fn cors(origins: &crate::http::origins::Origins) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(origins.cors())
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::IF_NONE_MATCH])
        .expose_headers([header::ETAG, header::RETRY_AFTER])
        .max_age(Duration::from_secs(86400))
}

/// Compresses the API's JSON answers for clients that accept it. Only
/// JSON: the moderation pages mix reader text with CSRF tokens, and
/// compressing such a page would let an attacker guess a token from
/// sizes (BREACH). Thread lists arrive already compressed (`answers`).
fn compress_json() -> CompressionLayer<impl tower_http::compression::Predicate> {
    let json = |_: StatusCode, _: Version, headers: &HeaderMap, _: &axum::http::Extensions| {
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"))
            && headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .is_none_or(|n| n >= 256)
    };
    CompressionLayer::new()
        .quality(CompressionLevel::Precise(5))
        .compress_when(json)
}

pub fn router(state: AppState) -> Router {
    // Thread lists come compressed from their cache, and a post's answer is
    // a few bytes; the other answers are compressed as they go.
    // The request deadline, on every route that reads a body; the thread
    // list, the most read of all, goes without it.
    let deadline = || middleware::from_fn_with_state(state.clone(), deadline);
    let lists = Router::new()
        .route(
            "/api/v1/threads/{thread}/comments",
            get(reader::list).merge(post(reader::post).layer(deadline())),
        )
        .route(
            "/api/v1/threads/{thread}/comments.html",
            get(reader::list_html),
        )
        .route("/threads/{thread}", get(reader::page::thread_page))
        .route(
            "/report/{id}",
            get(reader::reports::report_page)
                .merge(post(reader::reports::report_form).layer(deadline())),
        )
        .route(
            "/unsubscribe/{token}",
            get(reader::unsubscribe::ask)
                .merge(post(reader::unsubscribe::confirm).layer(deadline())),
        )
        .route("/threads.css", get(reader::page::stylesheet))
        // A few bytes per thread: compressed as it goes.
        .route(
            "/api/v1/counts",
            get(reader::counts::counts).layer(compress_json()),
        );
    let public = Router::new()
        .route("/api/v1/comments/status", post(reader::status))
        .route("/api/v1/comments/export", post(reader::export))
        .route("/api/v1/comments/delete", post(reader::delete))
        .route(
            "/api/v1/comments/{id}/report",
            post(reader::reports::report_api),
        );
    let moderation = Router::new()
        .route("/api/v1/moderation/comments", get(moderation::list))
        .route(
            "/api/v1/moderation/comments/{id}/approve",
            post(moderation::approve),
        )
        .route(
            "/api/v1/moderation/comments/{id}/reject",
            post(moderation::reject),
        )
        .route(
            "/api/v1/moderation/comments/{id}/ban",
            post(moderation::ban_api),
        )
        .route(
            "/api/v1/moderation/comments/{id}/reject-reader-pending",
            post(moderation::reject_reader_api),
        )
        .route("/api/v1/moderation/bans", get(moderation::bans_api))
        .route(
            "/api/v1/moderation/modes",
            get(moderation::modes_api).post(moderation::set_mode_api),
        )
        .route(
            "/api/v1/moderation/bans/{id}/lift",
            post(moderation::lift_api),
        )
        .route(
            "/api/v1/moderation/threads/state",
            post(newsroom::state_api),
        )
        .route(
            "/api/v1/moderation/comments/{id}/feature",
            post(newsroom::feature_api),
        )
        .route(
            "/api/v1/moderation/comments/{id}/unfeature",
            post(newsroom::unfeature_api),
        )
        .route(
            "/api/v1/moderation/comments/{id}/reply",
            post(newsroom::reply_api),
        )
        .route("/api/v1/moderation/readers/note", post(newsroom::note_api))
        .route("/api/v1/moderation/reported", get(newsroom::reported_api))
        .route(
            "/api/v1/moderation/comments/{id}/dismiss-reports",
            post(newsroom::dismiss_api),
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
        .route(
            "/admin/reader",
            get(admin::reader_page).post(admin::reader_form),
        )
        .route("/admin/reader/note", post(admin::note_form))
        .route("/admin/bans", get(admin::bans))
        .route("/admin/bans/lift", post(admin::lift_form))
        .route("/admin/modes", get(admin::modes).post(admin::mode_form))
        .route("/admin/thread/state", post(admin::thread_state_form))
        .route("/admin/staff", post(admin::staff_form))
        .route(
            "/admin/reported",
            get(admin::reported).post(admin::reported_form),
        )
        .route("/admin/api/decide", post(admin::decide_api))
        .route(
            "/admin/mail/{token}",
            get(admin::mail_link).post(admin::mail_link_confirm),
        )
        .route("/admin/admin.js", get(admin::script))
        .route("/admin/admin.css", get(admin::stylesheet));
    let router = Router::new()
        .route("/", get(home))
        .route("/healthz", get(healthz))
        .route("/metrics", get(crate::http::metrics::metrics))
        .route("/embed.js", get(assets::loader))
        .route("/embed/frame", get(frame::frame))
        .route("/embed/frame.js", get(frame::frame_script))
        .route("/embed/host.js", get(frame::host_script))
        .route("/w/{build}/{*file}", get(assets::file))
        .merge(lists)
        .merge(public.layer(compress_json()).layer(deadline()))
        .merge(moderation.layer(compress_json()).layer(deadline()))
        .merge(admin.layer(deadline()))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(REQUEST_MAX_BYTES))
        .layer(cors(&state.origins));
    // A line per request (tower-http's trace layer) only when `RUST_LOG`
    // asks for `tower_http=debug`: at the default level it would log
    // nothing and cost about a tenth of a cached answer's time.
    let router = if tracing::enabled!(target: "tower_http::trace", tracing::Level::DEBUG) {
        router.layer(tower_http::trace::TraceLayer::new_for_http())
    } else {
        router
    };
    router
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::metrics::track,
        ))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::store::testing::Hooked;
    use crate::store::{Decisions, Disposition, NewPending, Store};
    use axum::body::Body;
    use axum::http::Request;
    use comments_api::{Author, CommentBody, ThreadKey};
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    use tower::ServiceExt;

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

    async fn hooked_app(mut config: Config) -> (tempfile::TempDir, Arc<Hooked>, AppState, Router) {
        let dir = tempfile::tempdir().unwrap();
        // The key file goes beside the database, in the temporary folder.
        config.database.path = dir.path().join("c.db");
        let store = Arc::new(Hooked::open(dir.path()).await);
        let state = AppState::new(config, store.clone()).await.unwrap();
        let app = router(state.clone());
        (dir, store, state, app)
    }

    #[tokio::test]
    async fn unchanged_and_empty_threads_are_answered_without_the_database() {
        let mut config = Config::default();
        config.limits.read_burst = 1000;
        let (_dir, store, state, app) = hooked_app(config).await;
        let id = pending_in(&store, "t", "").await;
        let (status, _) = get(&app, "/api/v1/threads/t/comments", None).await;
        assert_eq!(
            (status, store.reads()),
            (StatusCode::OK, 0),
            "nothing approved yet"
        );

        crate::http::moderation::decide(&state, Decisions::one("test", id, Disposition::Approved))
            .await
            .unwrap();
        let (status, tag) = get(&app, "/api/v1/threads/t/comments", None).await;
        assert_eq!((status, store.reads()), (StatusCode::OK, 1));
        for _ in 0..100 {
            let (status, _) = get(&app, "/api/v1/threads/t/comments", tag.as_deref()).await;
            assert_eq!(status, StatusCode::NOT_MODIFIED);
        }
        // Full answers for readers without the ETag come from the cache.
        for _ in 0..100 {
            let (status, _) = get(&app, "/api/v1/threads/t/comments", None).await;
            assert_eq!(status, StatusCode::OK);
        }
        let (status, _) = get(&app, "/api/v1/threads/other/comments", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            store.reads(),
            1,
            "304s, cached answers and never-approved threads skip the database"
        );
    }

    async fn pending_in(store: &Hooked, thread: &str, email: &str) -> i64 {
        store
            .insert_pending(&NewPending {
                thread: ThreadKey::parse(thread).unwrap(),
                author: Author::parse("a").unwrap(),
                body: CommentBody::parse("b").unwrap(),
                token_hash: crate::token::generate().unwrap(),
                body_hash: "b".into(),
                flags: String::new(),
                ip_hmac: String::new(),
                created_at: 1,
                page: Default::default(),
                author_key: String::new(),
                notify_email: email.into(),
                trusted: false,
                post_moderated: false,
                banned: false,
                parent: None,
                staff: None,
                replies_email: String::new(),
            })
            .await
            .unwrap()
            .id
    }

    async fn send(app: &Router, req: Request<Body>) -> (StatusCode, String) {
        let peer: std::net::SocketAddr = ([192, 0, 2, 1], 1234).into();
        let mut req = req;
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        let res = app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn the_work_after_a_commit_runs_even_when_the_request_is_dropped() {
        let mut config = Config::default();
        config.moderation.token = Some("0123456789abcdef0123".into());
        config.limits.request_timeout_ms = 100;
        let (_dir, store, state, app) = hooked_app(config).await;
        let id = pending_in(&store, "t", "").await;
        // The decision commits, then its call takes longer than the deadline.
        store.after_decide_ms.store(300, Ordering::SeqCst);
        let req = Request::post(format!("/api/v1/moderation/comments/{id}/approve"))
            .header(header::AUTHORIZATION, "Bearer 0123456789abcdef0123")
            .body(Body::empty())
            .unwrap();
        let (status, _) = send(&app, req).await;
        assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(
            state.revisions.get("t") > 0,
            "readers learn of the committed approval"
        );
    }

    #[tokio::test]
    async fn a_busy_database_does_not_use_up_a_mail_link() {
        let mut config = Config::default();
        config
            .moderation
            .moderators
            .push(crate::config::ModeratorConfig {
                name: "ana".into(),
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA".into(),
                email: None,
                label: None,
            });
        let (_dir, store, state, app) = hooked_app(config).await;
        let id = pending_in(&store, "t", "").await;
        let token = state.link_signer.sign(&crate::notify::links::Link {
            comment_id: id,
            to: Disposition::Approved,
            moderator: "ana".into(),
            expires_at: i64::MAX,
            nonce: "nonce-1".into(),
        });
        let confirm = || {
            Request::post(format!("/admin/mail/{token}"))
                .body(Body::empty())
                .unwrap()
        };
        store.busy_decides.store(1, Ordering::SeqCst);
        let (status, _) = send(&app, confirm()).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let (status, page) = send(&app, confirm()).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.contains("Done: the comment is approved."), "{page}");
        let (_, page) = send(&app, confirm()).await;
        assert!(page.contains("already used"), "{page}");
    }
}
