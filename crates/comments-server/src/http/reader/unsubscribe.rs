//! `/unsubscribe/{token}`: the signed link in every reply mail. The page
//! asks before it acts (mail scanners open links); one POST, from its
//! button or from the mail reader's own unsubscribe button (RFC 8058's
//! `List-Unsubscribe-Post`), ends the subscription and erases the address.

use crate::http::error::AppError;
use crate::http::html::page_in;
use crate::http::limiter::Client;
use crate::http::reader::texts::{self, Language};
use crate::http::state::AppState;
use crate::notify::UNSUBSCRIBE;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use comments_api::ErrorCode;
use maud::{Markup, html};

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'none'; \
    form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The reader's language, from their browser.
fn language(headers: &HeaderMap) -> &'static Language {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    texts::from_accept_language(accept)
}

fn respond(status: StatusCode, lang: &Language, main: Markup) -> Response {
    let head = html! {
        meta name="robots" content="noindex";
        link rel="stylesheet" href="/threads.css";
    };
    let title = &lang.pages.unsubscribe_title;
    let body = html! { main { h1 { (title) } (main) } };
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "same-origin"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        page_in((&lang.lang, &lang.dir), None, title, head, body).into_string(),
    )
        .into_response()
}

/// The comment whose subscription a token ends, if this server signed it.
fn subscription(app: &AppState, token: Result<Path<String>, PathRejection>) -> Option<i64> {
    let Path(token) = token.ok()?;
    app.link_signer
        .verify_for(UNSUBSCRIBE, &token)?
        .parse()
        .ok()
}

/// A request on an unsubscribe link, limited and checked: the comment
/// whose subscription it stands for, and the reader's language. Mail
/// providers send one-click unsubscribes from few networks: the read
/// limit, not the post limit, holds them.
fn checked(
    app: &AppState,
    client: &Client,
    headers: &HeaderMap,
    token: Result<Path<String>, PathRejection>,
) -> Result<(i64, &'static Language), AppError> {
    app.read_limiter.admit(client)?;
    let id = subscription(app, token).ok_or_else(|| {
        AppError::new(
            ErrorCode::Forbidden,
            "This unsubscribe link is not valid: copy the whole link from the mail.",
        )
    })?;
    Ok((id, language(headers)))
}

/// `GET /unsubscribe/{token}`: asks.
pub async fn ask(
    State(app): State<AppState>,
    client: Client,
    headers: HeaderMap,
    token: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let (id, lang) = checked(&app, &client, &headers, token)?;
    let t = &lang.pages;
    if !app.store.subscribed(id).await? {
        return Ok(respond(
            StatusCode::OK,
            lang,
            html! { p role="status" { (t.unsubscribe_unknown) } },
        ));
    }
    Ok(respond(
        StatusCode::OK,
        lang,
        html! {
            p { (t.unsubscribe_question) }
            form method="post" { button { (t.unsubscribe) } }
        },
    ))
}

/// `POST /unsubscribe/{token}`: ends the subscription, whatever the body
/// (`List-Unsubscribe=One-Click`, or the page's empty form).
pub async fn confirm(
    State(app): State<AppState>,
    client: Client,
    headers: HeaderMap,
    token: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let (id, lang) = checked(&app, &client, &headers, token)?;
    let ended = app.store.unsubscribe(id).await?;
    if ended {
        tracing::info!(id, "reply subscription ended by its reader");
    }
    let words = if ended {
        &lang.pages.unsubscribed
    } else {
        &lang.pages.unsubscribe_unknown
    };
    Ok(respond(
        StatusCode::OK,
        lang,
        html! { p role="status" { (words) } },
    ))
}
