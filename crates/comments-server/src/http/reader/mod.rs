//! The public reader API: post a comment, read a thread (ETag/304), ask about one's own comments.

pub mod answers;
pub mod counts;
pub mod fragment;
pub mod page;
pub mod pages;
pub mod reports;
pub mod texts;
pub mod traps;
pub mod unsubscribe;

use crate::http::detached;
use crate::http::encoding::Encoding;
use crate::http::error::AppError;
use crate::http::html::SanitizedHtml;
use crate::http::limiter::Client;
use crate::http::origins::AllowedSite;
use crate::http::reader::answers::Encoded;
use crate::http::reader::pages::{Ask, ListQuery, Read};
use crate::http::state::AppState;
use crate::moderation::{signals, threads};
use crate::store::revisions::{etag, if_none_match_hits};
use crate::store::{Mode, NewPending, PublicComment};
use crate::{clock, token};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use comments_api::limits::{FEATURED_MAX, STATUS_MAX_TOKENS};
use comments_api::{
    Accepted, Author, Comment, CommentBody, CommentStatus, Email, ErrorCode, NewComment,
    OwnComment, PageContext, StatusEntry, StatusRequest, StatusResponse, ThreadKey, ThreadPage,
    TokenRequest,
};
use serde::de::DeserializeOwned;
use std::sync::Arc;

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

fn etag_headers(tag: HeaderValue) -> [(header::HeaderName, HeaderValue); 3] {
    [
        (header::ETAG, tag),
        // Revalidate every time: the ETag makes that a cheap 304.
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (header::VARY, HeaderValue::from_static("Accept-Encoding")),
    ]
}

/// A thread list's two representations.
#[derive(Clone, Copy)]
enum Format {
    /// `ThreadPage`, for the widget's polls.
    Json,
    /// The approved comments as the widget's `<li>` items (for pages that
    /// include them server-side); with a language (`?lang=`), inside the
    /// widget's section under its heading in that language, for `embed.js`
    /// to show before the widget has loaded.
    Html(Option<&'static texts::Language>),
}

/// `GET /api/v1/threads/{thread}/comments`
pub async fn list(
    State(app): State<AppState>,
    client: Client,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<ListQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    thread_answer(app, client, path, query, headers, false).await
}

/// `GET /api/v1/threads/{thread}/comments.html`
pub async fn list_html(
    State(app): State<AppState>,
    client: Client,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<ListQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    thread_answer(app, client, path, query, headers, true).await
}

async fn thread_answer(
    app: AppState,
    client: Client,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<ListQuery>, QueryRejection>,
    headers: HeaderMap,
    html: bool,
) -> Result<Response, AppError> {
    app.read_limiter.admit(&client)?;
    let thread = thread_key(path)?;
    let Query(query) = query
        .map_err(|e| AppError::new(ErrorCode::InvalidParameter, format!("Invalid query: {e}")))?;
    let ask = Ask::parse(&query)?;
    let format = match (html, query.lang()) {
        (false, _) => Format::Json,
        (true, lang) => Format::Html(lang.map(texts::closest)),
    };
    let revision = app.revisions.get(thread.as_str());
    let tag = etag(revision);
    let hit = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| if_none_match_hits(v, &tag));
    if hit {
        let tag =
            HeaderValue::from_str(&tag).unwrap_or_else(|_| HeaderValue::from_static("\"r0\""));
        return Ok((StatusCode::NOT_MODIFIED, etag_headers(tag)).into_response());
    }
    let answer = if revision == 0 && matches!(ask, Ask::Page { .. } | Ask::Since(_)) {
        // Nothing was ever published here: an empty answer, not worth a
        // slot or a database read. Nothing has closed it either: a
        // moderator's close moves the revision, and the automatic rule
        // (counted from a comment still pending) answers the post with
        // `thread_closed`, which the widget heeds.
        let empty = Read {
            revision,
            changes: matches!(ask, Ask::Since(_)),
            ..Read::default()
        };
        Arc::new(encode(&app, &thread, empty, format)?)
    } else {
        // Formats (and languages) and questions are cached apart; a key
        // cannot hold a NUL.
        let form = match format {
            Format::Json => "j".to_string(),
            Format::Html(None) => "h".to_string(),
            Format::Html(Some(lang)) => format!("h{}/", lang.lang),
        };
        let key = format!("{}\0{form}{}", thread.as_str(), ask.cache_key());
        app.answers
            .get_or_load(&key, revision, || {
                load(&app, &thread, revision, ask, format)
            })
            .await?
    };
    let coding = Encoding::negotiate(&headers);
    let mime = match format {
        Format::Json => "application/json",
        Format::Html(_) => "text/html; charset=utf-8",
    };
    let mut res = (
        etag_headers(answer.etag.clone()),
        [(header::CONTENT_TYPE, mime)],
        answer.body(coding),
    )
        .into_response();
    if let Some(value) = coding.header() {
        res.headers_mut().insert(header::CONTENT_ENCODING, value);
    }
    Ok(res)
}

/// Reads and renders what a reader asked of a thread, once per revision,
/// question and format.
async fn load(
    app: &AppState,
    thread: &ThreadKey,
    known: u64,
    ask: Ask,
    format: Format,
) -> Result<Encoded, AppError> {
    let mut snapshot = pages::read(app.store.as_ref(), thread, ask).await?;
    // Every answer, a poll's changes too: a pick made or undone reaches
    // open pages on their next poll.
    snapshot.featured = app.store.featured(thread, FEATURED_MAX).await?;
    snapshot.closes_at = closes_at(app, thread).await?;
    // The database may be ahead of what this process has heard of.
    if snapshot.revision > known {
        app.revisions
            .apply([(thread.as_str().to_string(), snapshot.revision)]);
    }
    encode(app, thread, snapshot, format)
}

/// When `thread` closes to new comments, if anything closes it.
async fn closes_at(app: &AppState, thread: &ThreadKey) -> Result<Option<i64>, AppError> {
    let closing = app.store.closing(thread).await?;
    Ok(threads::closes_at(
        &closing,
        app.config.moderation.auto_close_days,
    ))
}

fn encode(
    app: &AppState,
    thread: &ThreadKey,
    read: Read,
    format: Format,
) -> Result<Encoded, AppError> {
    let revision = read.revision;
    let bytes = match format {
        Format::Json => page_json(app, thread, read)?,
        Format::Html(None) => fragment::items(&read.comments).into_bytes(),
        Format::Html(Some(lang)) => fragment::framed(&read.comments, lang).into_bytes(),
    };
    Ok(Encoded::new(revision, bytes))
}

/// A comment as the wire carries it, its text rendered.
fn wire_comment(c: PublicComment) -> Comment {
    Comment {
        id: c.id,
        html: if c.removed {
            String::new()
        } else {
            SanitizedHtml::comment(c.id, &c.body).as_str().into()
        },
        author: c.author,
        created_at: c.created_at,
        parent: c.parent,
        removed: c.removed,
        replies: c.replies,
        staff: c.staff,
        featured: c.featured,
    }
}

fn page_json(app: &AppState, thread: &ThreadKey, read: Read) -> Result<Vec<u8>, AppError> {
    let page = ThreadPage {
        thread: thread.as_str().to_string(),
        revision: read.revision,
        comments: read.comments.into_iter().map(wire_comment).collect(),
        mail: app.config.mail_enabled(),
        next: read.next,
        changes: read.changes,
        removed: read.removed,
        reset: read.reset,
        featured: read.featured.into_iter().map(wire_comment).collect(),
        closes_at: read.closes_at,
    };
    serde_json::to_vec(&page).map_err(|e| {
        tracing::error!(error = %e, "cannot serialise a thread");
        AppError::from(ErrorCode::Internal)
    })
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
    if new.parent.is_some_and(|p| p <= 0) {
        return Err(ErrorCode::InvalidParent.into());
    }
    app.post_limiter.admit_everywhere(&app, &client).await?;
    let limits = &app.config.limits;
    // A post that says nothing of its timing is taken for too fast.
    let too_fast = new.compose_ms.unwrap_or(0) < limits.min_compose_ms;
    if !new.website.is_empty() || too_fast {
        // Answer like any other post, so the bot learns nothing; keep
        // nothing. Its token still answers "pending" (see `traps`).
        tracing::info!(thread = %thread, too_fast, "dropped a post from a bot");
        let (id, token) = app
            .decoys
            .issue()
            .map_err(|_| AppError::from(ErrorCode::Internal))?;
        return Ok((
            StatusCode::ACCEPTED,
            Json(Accepted {
                id,
                status: CommentStatus::Pending,
                token,
                html: SanitizedHtml::comment(id, body.as_str()).as_str().into(),
            }),
        ));
    }
    let closing = app.store.closing(&thread).await?;
    let now = clock::now_ms();
    if threads::is_closed(&closing, app.config.moderation.auto_close_days, now) {
        return Err(ErrorCode::ThreadClosed.into());
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
    let author_key = reader_key(&new.reader);
    let ip_hmac = app.ip_hasher.hash(client.ip);
    let from = signals::Reader {
        key: &author_key,
        network: &ip_hmac,
    };
    let signals::Assessment {
        body_hash,
        flags,
        banned,
    } = signals::assess(
        app.store.as_ref(),
        &app.words,
        from,
        author.as_str(),
        &body,
        now,
    )
    .await?;
    // The thread's mode, set by a moderator for it or its section; without
    // one, pre-moderation with the trust rule if it is switched on.
    let trust_after = app.config.moderation.trust_after;
    let mode = app
        .store
        .mode_of(&thread)
        .await?
        .unwrap_or(if trust_after > 0 {
            Mode::Trusted
        } else {
            Mode::Pre
        });
    // Either way, a comment with a signal waits for a moderator.
    let post_moderated = mode == Mode::Post && flags.is_empty();
    let trusted = post_moderated
        || (mode == Mode::Trusted
            && trust_after > 0
            && !author_key.is_empty()
            && flags.is_empty()
            && app.store.approved_by_author(&author_key).await? >= trust_after);
    let address = email
        .filter(|_| app.config.mail_enabled())
        .map(Email::into_inner)
        .unwrap_or_default();
    let comment = NewPending {
        thread,
        author,
        body,
        token_hash: token::hash(&token),
        body_hash,
        flags,
        ip_hmac,
        created_at: now,
        page: PageContext::parse(&new.page_title, &new.page_url),
        author_key,
        // Published at once: the one mail goes now, and the address is
        // never stored; never published: no mail, and nothing kept.
        notify_email: if trusted || banned {
            String::new()
        } else {
            address.clone()
        },
        trusted,
        post_moderated,
        banned,
        parent: new.parent,
        staff: None,
        // Kept apart, for as long as the subscription lasts.
        replies_email: if new.notify_replies {
            address.clone()
        } else {
            String::new()
        },
    };
    let body = comment.body.as_str().to_string();
    let (id, status) = detached::run(store_new(app.clone(), comment, address)).await?;
    let html = SanitizedHtml::comment(id, &body).as_str().into();
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            id,
            status,
            token,
            html,
        }),
    ))
}

/// Stores a new comment, then tells whoever must know: pollers if it was
/// published at once (and its author, by mail), else the moderators.
async fn store_new(
    app: AppState,
    comment: NewPending,
    address: String,
) -> Result<(i64, CommentStatus), AppError> {
    let inserted = app.store.insert_pending(&comment).await?;
    let id = inserted.id;
    app.decoys.observe(id);
    if let Some(rev) = inserted.revision {
        tracing::info!(id, thread = %comment.thread, post_moderated = comment.post_moderated, "comment published at once");
        app.revisions
            .apply([(comment.thread.as_str().to_string(), rev)]);
        if !address.is_empty() {
            app.notifier.comment_published(id, address);
        }
        if comment.parent.is_some() {
            app.notifier.reply_published(id);
        }
        return Ok((id, CommentStatus::Approved));
    }
    if comment.banned {
        tracing::info!(id, thread = %comment.thread, "comment rejected: a banned word or reader");
        return Ok((id, CommentStatus::Pending));
    }
    tracing::info!(id, thread = %comment.thread, "comment received, pending moderation");
    // Announce it without making the reader wait, and only to someone listening.
    if app.notifier.announces_pending() {
        let (store, notifier) = (app.store.clone(), app.notifier.clone());
        tokio::spawn(async move {
            match store.comment(id).await {
                Ok(Some(item)) => notifier.comment_pending(&item),
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, id, "cannot announce a new comment"),
            }
        });
    }
    Ok((id, CommentStatus::Pending))
}

/// The stored form of the widget's per-reader key: its SHA-256, or empty
/// when the key is missing or not the widget's kind (16 to 128 letters and
/// digits).
pub fn reader_key(raw: &str) -> String {
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
        .zip(&req.tokens)
        .map(|(f, token)| {
            // A dropped bot post stays pending, as unmoderated comments do.
            let f = f.or_else(|| {
                app.decoys
                    .recognise(token)
                    .map(|id| (id, CommentStatus::Pending))
            });
            StatusEntry {
                id: f.map(|(id, _)| id),
                status: f.map(|(_, s)| s),
            }
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
    let hash = token::hash(&req.token);
    let work = app.clone();
    detached::run(async move {
        let deleted = work
            .store
            .delete_by_token(&hash)
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::NotFound, "No comment has this token."))?;
        if let Some(rev) = deleted.revision {
            work.revisions.apply([(deleted.thread, rev)]);
        }
        Ok(())
    })
    .await?;
    tracing::info!(id = comment.id, "comment deleted by its author");
    Ok(Json(comment))
}
