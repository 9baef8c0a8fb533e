//! The newsroom's actions on threads, published comments and readers, for the moderation pages and the bearer-token API: close and reopen a thread, feature a comment (an editor's pick), reply as staff, keep a private note on a reader, review readers' reports.

use crate::http::error::AppError;
use crate::http::moderation::{authorize, comment_id};
use crate::http::reader::ApiJson;
use crate::http::state::AppState;
use crate::store::{Disposition, NewPending, StaffVoice, ThreadState};
use crate::{clock, token};
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use comments_api::{Author, CommentBody, ErrorCode, PageContext, ThreadKey};
use serde::{Deserialize, Serialize};

/// A thread's state as a form or the API names it: `closed`, `open`
/// (reopened for good), or `automatic` (`None`: the rule decides).
pub fn state_named(raw: &str) -> Result<Option<ThreadState>, AppError> {
    match raw {
        "automatic" => Ok(None),
        other => ThreadState::parse(other).map(Some).ok_or_else(|| {
            AppError::new(
                ErrorCode::InvalidParameter,
                "state must be closed, open or automatic.",
            )
        }),
    }
}

/// Closes, reopens or hands back to the rule a thread, as `actor`; open
/// pages learn of it on their next poll.
pub async fn set_state(
    app: &AppState,
    thread: &ThreadKey,
    state: Option<ThreadState>,
    actor: &str,
) -> Result<(), AppError> {
    let revision = app.store.set_thread_state(thread, state, actor).await?;
    app.revisions
        .apply([(thread.as_str().to_string(), revision)]);
    tracing::info!(thread = %thread, state = state.map_or("automatic", ThreadState::as_str), actor, "thread state");
    Ok(())
}

/// Features (or stops featuring) published comment `id`, as `actor`.
pub async fn feature(app: &AppState, id: i64, on: bool, actor: &str) -> Result<(), AppError> {
    match app.store.feature(id, on, actor, clock::now_ms()).await? {
        Some((thread, revision)) => {
            app.revisions.apply([(thread, revision)]);
            Ok(())
        }
        None => match app.store.comment(id).await? {
            // Already as asked: nothing to do.
            Some(item) if item.status == Disposition::Approved => Ok(()),
            Some(_) => Err(AppError::new(
                ErrorCode::InvalidParameter,
                "Only a published comment can be featured.",
            )),
            None => Err(AppError::new(
                ErrorCode::NotFound,
                format!("No comment {id}."),
            )),
        },
    }
}

/// Publishes `body` at once as a reply to published comment `parent`,
/// from `moderator` under `label`; returns the reply's id.
pub async fn staff_reply(
    app: &AppState,
    parent: i64,
    body: &str,
    moderator: &str,
    label: String,
) -> Result<i64, AppError> {
    let body = CommentBody::parse(body)?;
    let item = app
        .store
        .comment(parent)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, format!("No comment {parent}.")))?;
    let thread = ThreadKey::parse(&item.thread)?;
    // The name readers see: the moderator's, as the audit log knows them.
    let author = Author::parse(moderator).or_else(|_| Author::parse(&label))?;
    let secret = token::generate().map_err(|e| {
        tracing::error!(error = %e, "OS random generator failed");
        AppError::from(ErrorCode::Internal)
    })?;
    let comment = NewPending {
        thread: thread.clone(),
        author,
        body_hash: token::hash(body.as_str()),
        body,
        token_hash: token::hash(&secret),
        flags: String::new(),
        ip_hmac: String::new(),
        created_at: clock::now_ms(),
        page: PageContext::parse(&item.page_title, &item.page_url),
        author_key: String::new(),
        notify_email: String::new(),
        trusted: true,
        post_moderated: false,
        banned: false,
        parent: Some(parent),
        staff: Some(StaffVoice {
            moderator: moderator.to_string(),
            label,
        }),
        replies_email: String::new(),
    };
    let inserted = app.store.insert_pending(&comment).await?;
    if let Some(revision) = inserted.revision {
        app.revisions
            .apply([(thread.as_str().to_string(), revision)]);
        app.notifier.reply_published(inserted.id);
    }
    tracing::info!(id = inserted.id, parent, thread = %thread, moderator, "staff reply");
    Ok(inserted.id)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateRequest {
    thread: String,
    state: String,
}

#[derive(Serialize)]
pub struct Done {
    ok: bool,
}

/// `POST /api/v1/moderation/threads/state` with
/// `{"thread":"sport/om-psg","state":"closed"}` (or `open`, `automatic`).
pub async fn state_api(
    State(app): State<AppState>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<StateRequest>,
) -> Result<Json<Done>, AppError> {
    authorize(&app, &headers)?;
    let thread = ThreadKey::parse(&req.thread)?;
    let state = state_named(&req.state)?;
    set_state(&app, &thread, state, "api token").await?;
    Ok(Json(Done { ok: true }))
}

/// `POST /api/v1/moderation/comments/{id}/feature`
pub async fn feature_api(
    State(app): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<Done>, AppError> {
    authorize(&app, &headers)?;
    feature(&app, comment_id(id)?, true, "api token").await?;
    Ok(Json(Done { ok: true }))
}

/// `POST /api/v1/moderation/comments/{id}/unfeature`
pub async fn unfeature_api(
    State(app): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<Done>, AppError> {
    authorize(&app, &headers)?;
    feature(&app, comment_id(id)?, false, "api token").await?;
    Ok(Json(Done { ok: true }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    body: String,
}

#[derive(Serialize)]
pub struct ReplyAnswer {
    id: i64,
}

/// `POST /api/v1/moderation/comments/{id}/reply` with `{"body":"…"}`:
/// published at once under `moderation.staff_label`.
pub async fn reply_api(
    State(app): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
    ApiJson(req): ApiJson<ReplyRequest>,
) -> Result<Json<ReplyAnswer>, AppError> {
    authorize(&app, &headers)?;
    let label = app.config.moderation.staff_label.trim().to_string();
    let id = staff_reply(&app, comment_id(id)?, &req.body, &label, label.clone()).await?;
    Ok(Json(ReplyAnswer { id }))
}

/// Longest private note on a reader, in characters.
pub const NOTE_MAX_CHARS: usize = 500;

/// Sets the moderators' private note on a reader (by their key's hash),
/// checked: trimmed, at most [`NOTE_MAX_CHARS`], no control character but
/// line breaks; an empty note removes it. Audited.
pub async fn set_note(
    app: &AppState,
    reader: &str,
    note: &str,
    actor: &str,
) -> Result<(), AppError> {
    let note = note.trim();
    if note.chars().count() > NOTE_MAX_CHARS {
        return Err(AppError::new(
            ErrorCode::InvalidParameter,
            format!("A note has at most {NOTE_MAX_CHARS} characters."),
        ));
    }
    if note
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r')
    {
        return Err(AppError::new(
            ErrorCode::ControlCharacter,
            "A note cannot hold control characters.",
        ));
    }
    if !app.store.set_note(reader, note, actor).await? {
        return Err(AppError::new(
            ErrorCode::NotFound,
            "No comment here has this reader key.",
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    /// The reader key's hash, as moderation lists give it (`author_key`).
    reader: String,
    /// The note; empty removes it.
    note: String,
}

/// `POST /api/v1/moderation/readers/note` with `{"reader":"…","note":"…"}`.
pub async fn note_api(
    State(app): State<AppState>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<NoteRequest>,
) -> Result<Json<Done>, AppError> {
    authorize(&app, &headers)?;
    set_note(&app, &req.reader, &req.note, "api token").await?;
    Ok(Json(Done { ok: true }))
}

/// Most comments the Reported view lists.
pub const REPORTED_LIMIT: u32 = 200;

/// Dismisses comment `id`'s open reports as `actor`; a comment they hid
/// is published again, and its readers see it on their next poll.
pub async fn dismiss_reports(app: &AppState, id: i64, actor: &str) -> Result<(), AppError> {
    match app.store.dismiss_reports(id, actor).await? {
        None => Err(AppError::new(
            ErrorCode::NotFound,
            format!("Comment {id} has no open report."),
        )),
        Some(republished) => {
            if let Some((thread, revision)) = republished {
                app.revisions.apply([(thread, revision)]);
            }
            tracing::info!(id, actor, "reports dismissed");
            Ok(())
        }
    }
}

/// `GET /api/v1/moderation/reported`: comments with open reports, the
/// oldest report first, each with its reports.
pub async fn reported_api(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<crate::store::ReportedItem>>, AppError> {
    authorize(&app, &headers)?;
    let mut items = app.store.reported(REPORTED_LIMIT).await?;
    for r in &mut items {
        app.words.annotate(std::slice::from_mut(&mut r.comment));
    }
    Ok(Json(items))
}

/// `POST /api/v1/moderation/comments/{id}/dismiss-reports`
pub async fn dismiss_api(
    State(app): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<Done>, AppError> {
    authorize(&app, &headers)?;
    dismiss_reports(&app, comment_id(id)?, "api token").await?;
    Ok(Json(Done { ok: true }))
}
