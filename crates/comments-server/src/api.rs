//! The public reader API: post a comment, read a thread (ETag/304), ask about one's own comments.

use crate::app::AppState;
use crate::error::AppError;
use crate::limiter::Client;
use crate::origins::AllowedSite;
use crate::revisions::{etag, if_none_match_hits};
use crate::signals;
use crate::store::NewPending;
use crate::{clock, token};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use comments_api::limits::STATUS_MAX_TOKENS;
use comments_api::{
    Accepted, Author, CommentBody, CommentStatus, Email, ErrorCode, NewComment, OwnComment,
    PageContext, StatusEntry, StatusRequest, StatusResponse, ThreadKey, ThreadPage, TokenRequest,
};
use serde::de::DeserializeOwned;

/// A JSON body whose every failure maps to our error codes: 415 for a wrong
/// content type, 413 for an oversized body, 400 for anything unparsable.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ErrorCode::UnsupportedMediaType.into());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::from(ErrorCode::PayloadTooLarge)
            } else {
                AppError::new(
                    ErrorCode::InvalidJson,
                    format!("Could not read the body: {e}"),
                )
            }
        })?;
        serde_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(|e| AppError::new(ErrorCode::InvalidJson, format!("Invalid JSON: {e}")))
    }
}

/// The `{thread}` path segment, percent-decoded and parsed.
fn thread_key(path: Result<Path<String>, PathRejection>) -> Result<ThreadKey, AppError> {
    let Path(raw) = path.map_err(|_| AppError::from(ErrorCode::InvalidThread))?;
    Ok(ThreadKey::parse(&raw)?)
}

fn etag_headers(tag: &str) -> [(header::HeaderName, HeaderValue); 2] {
    [
        (
            header::ETAG,
            HeaderValue::from_str(tag).unwrap_or_else(|_| HeaderValue::from_static("\"r0\"")),
        ),
        // Revalidate every time: the ETag makes that a cheap 304.
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ]
}

/// `GET /api/v1/threads/{thread}/comments`
pub async fn list(
    State(app): State<AppState>,
    client: Client,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    app.read_limiter.admit(&client)?;
    let thread = thread_key(path)?;
    let revision = app.revisions.get(thread.as_str());
    let tag = etag(revision);
    let hit = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| if_none_match_hits(v, &tag));
    if hit {
        return Ok((StatusCode::NOT_MODIFIED, etag_headers(&tag)).into_response());
    }
    // Revision 0: nothing was ever approved here, so the list is empty.
    let comments = if revision == 0 {
        Vec::new()
    } else {
        app.store.approved(&thread).await?
    };
    let page = ThreadPage {
        thread: thread.into_inner(),
        revision,
        comments,
        mail: app.config.mail_enabled(),
    };
    Ok((etag_headers(&tag), Json(page)).into_response())
}

/// `POST /api/v1/threads/{thread}/comments`
pub async fn post(
    State(app): State<AppState>,
    client: Client,
    path: Result<Path<String>, PathRejection>,
    _: AllowedSite,
    ApiJson(new): ApiJson<NewComment>,
) -> Result<(StatusCode, Json<Accepted>), AppError> {
    let thread = thread_key(path)?;
    let author = Author::parse(&new.author)?;
    let body = CommentBody::parse(&new.body)?;
    let email = Email::parse_optional(&new.email)?;
    app.post_limiter.admit(&client)?;
    let limits = &app.config.limits;
    let too_fast = new.compose_ms.is_some_and(|ms| ms < limits.min_compose_ms);
    if !new.website.is_empty() || too_fast {
        // Answer like any other post, so the bot learns nothing; keep nothing.
        tracing::info!(thread = %thread, too_fast, "dropped a post from a bot");
        let token = token::generate().map_err(|_| AppError::from(ErrorCode::Internal))?;
        return Ok((
            StatusCode::ACCEPTED,
            Json(Accepted {
                id: clock::now_ms() % 1_000_000_000,
                status: CommentStatus::Pending,
                token,
            }),
        ));
    }
    let (in_thread, total) = app.store.pending_counts(&thread).await?;
    if in_thread >= limits.pending_per_thread || total >= limits.pending_total {
        tracing::warn!(thread = %thread, in_thread, total, "moderation queue full");
        return Err(AppError::from(ErrorCode::QueueFull).retry_after(300));
    }
    let token = token::generate().map_err(|e| {
        tracing::error!(error = %e, "OS random generator failed");
        AppError::from(ErrorCode::Internal)
    })?;
    let now = clock::now_ms();
    let (body_hash, flags) = signals::assess(app.store.as_ref(), &body, now).await?;
    let author_key = reader_key(&new.reader);
    let trust_after = app.config.moderation.trust_after;
    let trusted = trust_after > 0
        && !author_key.is_empty()
        && flags.is_empty()
        && app.store.approved_by_author(&author_key).await? >= trust_after;
    let comment = NewPending {
        thread,
        author,
        body,
        token_hash: token::hash(&token),
        body_hash,
        flags,
        ip_hmac: app.ip_hasher.hash(client.ip),
        created_at: now,
        page: PageContext::parse(&new.page_title, &new.page_url),
        author_key,
        notify_email: email
            .filter(|_| app.config.mail_enabled())
            .map(Email::into_inner)
            .unwrap_or_default(),
        trusted,
    };
    let inserted = app.store.insert_pending(&comment).await?;
    let id = inserted.id;
    let status = if let Some(rev) = inserted.revision {
        tracing::info!(id, thread = %comment.thread, "comment published by the trust rule");
        app.revisions
            .apply([(comment.thread.as_str().to_string(), rev)]);
        CommentStatus::Approved
    } else {
        tracing::info!(id, thread = %comment.thread, "comment received, pending moderation");
        CommentStatus::Pending
    };
    // Announce it without making the reader wait, and only to someone listening.
    if status == CommentStatus::Pending && app.notifier.announces_pending() {
        let (store, notifier) = (app.store.clone(), app.notifier.clone());
        tokio::spawn(async move {
            match store.comment(id).await {
                Ok(Some(item)) => notifier.comment_pending(&item),
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, id, "cannot announce a new comment"),
            }
        });
    }
    Ok((StatusCode::ACCEPTED, Json(Accepted { id, status, token })))
}

/// The stored form of the widget's per-reader key: its SHA-256, or empty
/// when the key is missing or not the widget's kind (16 to 128 letters and
/// digits).
fn reader_key(raw: &str) -> String {
    let plausible =
        (16..=128).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric());
    if plausible {
        token::hash(raw)
    } else {
        String::new()
    }
}

/// `POST /api/v1/comments/status`: where the author's own comments stand.
pub async fn status(
    State(app): State<AppState>,
    client: Client,
    _: AllowedSite,
    ApiJson(req): ApiJson<StatusRequest>,
) -> Result<Json<StatusResponse>, AppError> {
    app.read_limiter.admit(&client)?;
    if req.tokens.len() > STATUS_MAX_TOKENS {
        return Err(ErrorCode::TooManyTokens.into());
    }
    let hashes: Vec<String> = req.tokens.iter().map(|t| token::hash(t)).collect();
    let found = app.store.statuses(&hashes).await?;
    let statuses = found
        .into_iter()
        .map(|f| StatusEntry {
            id: f.map(|(id, _)| id),
            status: f.map(|(_, s)| s),
        })
        .collect();
    Ok(Json(StatusResponse { statuses }))
}

/// The comment a token was issued for, or 404.
async fn own_comment(app: &AppState, token: &str) -> Result<OwnComment, AppError> {
    app.store
        .by_token(&token::hash(token))
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "No comment has this token."))
}

/// `POST /api/v1/comments/export`: everything stored about one's own comment.
pub async fn export(
    State(app): State<AppState>,
    client: Client,
    _: AllowedSite,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<Json<OwnComment>, AppError> {
    app.read_limiter.admit(&client)?;
    Ok(Json(own_comment(&app, &req.token).await?))
}

/// `POST /api/v1/comments/delete`: the author deletes their comment, pending
/// or published; pollers see a published one disappear.
pub async fn delete(
    State(app): State<AppState>,
    client: Client,
    _: AllowedSite,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<Json<OwnComment>, AppError> {
    app.post_limiter.admit(&client)?;
    let comment = own_comment(&app, &req.token).await?;
    let deleted = app
        .store
        .delete_by_token(&token::hash(&req.token))
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "No comment has this token."))?;
    if let Some(rev) = deleted.revision {
        app.revisions.apply([(deleted.thread, rev)]);
    }
    tracing::info!(id = comment.id, "comment deleted by its author");
    Ok(Json(comment))
}
