//! The widget as a page of its own, `/embed/frame?thread=…`, for hosts whose
//! Content-Security-Policy allows no WebAssembly or no third-party script:
//! a plain `<iframe>` snippet, or `data-mode="iframe"` (embed.js then loads
//! `host.js`, which makes the iframe and sizes it from `frame.js`'s
//! messages). Under this server's own policy, framed only by allowed sites.

use crate::config::normalize_origin;
use crate::http::error::AppError;
use crate::http::html::page;
use crate::http::state::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use comments_api::{ErrorCode, PageContext, ThreadKey};
use maud::html;
use serde::Deserialize;

const FRAME_JS: &str = include_str!("../../frame/frame.js");
const HOST_JS: &str = include_str!("../../frame/host.js");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameQuery {
    thread: String,
    /// The article's canonical URL and title, for the moderators.
    #[serde(default)]
    url: String,
    #[serde(default)]
    title: String,
    /// The embedding page's origin: where `frame.js` posts the height.
    #[serde(default)]
    origin: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    theme: String,
}

fn invalid(message: &'static str) -> AppError {
    AppError::new(ErrorCode::InvalidParameter, message)
}

/// `GET /embed/frame`
pub async fn frame(
    State(app): State<AppState>,
    query: Result<Query<FrameQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(q) = query.map_err(|_| {
        invalid("The frame takes thread, and optionally url, title, origin, lang and theme.")
    })?;
    let thread = ThreadKey::parse(&q.thread)?;
    let context = PageContext::parse(&q.title, &q.url);
    let lang = Some(q.lang.as_str())
        .filter(|l| {
            !l.is_empty()
                && l.len() <= 35
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .unwrap_or("en");
    let theme = match q.theme.as_str() {
        "" | "light" => "light",
        "dark" => "dark",
        "auto" => "auto",
        _ => return Err(invalid("theme must be light, dark or auto.")),
    };
    let allowed = &app.config.sites.allowed_origins;
    let parent = if q.origin.is_empty() {
        None
    } else {
        let origin = normalize_origin(&q.origin)
            .ok_or_else(|| invalid("origin must be an origin like https://news.example."))?;
        if !allowed.is_empty() && !allowed.contains(&origin) {
            return Err(ErrorCode::OriginNotAllowed.into());
        }
        Some(origin)
    };
    let ancestors = if allowed.is_empty() {
        "*".to_string()
    } else {
        allowed.join(" ")
    };
    let csp = format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
         connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
         frame-ancestors {ancestors}"
    );
    let head = html! {
        @if !context.url.is_empty() { link rel="canonical" href=(context.url); }
        meta name="robots" content="noindex";
        style { "html,body{margin:0;background:transparent}" }
    };
    let body = html! {
        div data-comments data-thread=(thread.as_str()) data-lang=(lang) data-theme=(theme) data-load="eager" {}
        script src="/embed.js" {}
        script src="/embed/frame.js" data-parent=[parent.as_deref()] {}
    };
    let title = if context.title.is_empty() {
        "Comments".to_string()
    } else {
        context.title.clone()
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, csp.as_str()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        page(&title, head, body).into_string(),
    )
        .into_response())
}

fn script(source: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        source,
    )
        .into_response()
}

/// `GET /embed/frame.js`
pub async fn frame_script() -> Response {
    script(FRAME_JS)
}

/// `GET /embed/host.js`
pub async fn host_script() -> Response {
    script(HOST_JS)
}
