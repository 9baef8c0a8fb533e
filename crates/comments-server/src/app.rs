//! The application: shared state, the router, and serving until shutdown.

use crate::config::Config;
use crate::demo::{self, Article};
use crate::error::AppError;
use crate::limiter::Limiter;
use crate::revisions::Revisions;
use crate::store::Store;
use crate::{api, assets, moderation};
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{Method, header};
use axum::response::Html;
use axum::routing::{get, post};
use comments_api::ErrorCode;
use comments_api::limits::REQUEST_MAX_BYTES;
use std::sync::Arc;
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Everything handlers share, passed in as axum state.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub revisions: Arc<Revisions>,
    pub config: Arc<Config>,
    pub post_limiter: Arc<Limiter>,
    pub home: Arc<Html<String>>,
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
        Ok(Self {
            store,
            revisions,
            post_limiter,
            home: Arc::new(demo::page(article.as_ref())),
            config: Arc::new(config),
        })
    }
}

async fn healthz(State(app): State<AppState>) -> Result<&'static str, AppError> {
    app.store.ping().await?;
    Ok("ok\n")
}

async fn home(State(app): State<AppState>) -> Html<String> {
    app.home.as_ref().clone()
}

async fn not_found() -> AppError {
    ErrorCode::NotFound.into()
}

async fn method_not_allowed() -> AppError {
    ErrorCode::MethodNotAllowed.into()
}

/// Every route answers any origin: the API carries no cookies or credentials
/// (moderation needs a bearer token a foreign page does not have), and the
/// widget files must load from every site that embeds them.
fn public_cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::any())
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
        .route("/api/v1/comments/status", post(api::status));
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
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(healthz))
        .route("/embed.js", get(assets::loader))
        .route("/w/{build}/{*file}", get(assets::file))
        .merge(public)
        .merge(moderation)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(REQUEST_MAX_BYTES))
        .layer(public_cors())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
