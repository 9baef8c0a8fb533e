//! Moderation decisions (shared by every path), the HTTP API behind a bearer token, and the `moderate` CLI.

use crate::app::AppState;
use crate::error::AppError;
use crate::notify::Notifier;
use crate::revisions::Revisions;
use crate::store::{Decision, DecisionRequest, Disposition, ModerationItem, QueueQuery, Store};
use crate::token::constant_time_eq;
use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use comments_api::{CommentStatus, ErrorCode};
use serde::{Deserialize, Serialize};

fn authorize(app: &AppState, headers: &HeaderMap) -> Result<(), AppError> {
    let Some(expected) = app.config.moderation.token.as_deref() else {
        return Err(AppError::new(
            ErrorCode::Unauthorized,
            "HTTP moderation is disabled: set moderation.token (or COMMENTS_MODERATION_TOKEN).",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(ErrorCode::Unauthorized.into())
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    limit: Option<u32>,
}

#[derive(Serialize)]
pub struct ListAnswer {
    comments: Vec<ModerationItem>,
}

#[derive(Serialize)]
pub struct DecisionAnswer {
    id: i64,
    thread: String,
    status: CommentStatus,
    previous: Disposition,
}

/// `GET /api/v1/moderation/comments?status=pending&limit=100`
pub async fn list(
    State(app): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<ListAnswer>, AppError> {
    authorize(&app, &headers)?;
    let Query(q) = query.map_err(|e| AppError::new(ErrorCode::InvalidParameter, e.body_text()))?;
    let status = match q.status.as_deref() {
        None => CommentStatus::Pending,
        Some(s) => CommentStatus::parse(s).ok_or_else(|| {
            AppError::new(
                ErrorCode::InvalidParameter,
                "status must be pending, approved or rejected",
            )
        })?,
    };
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let query = QueueQuery {
        status: status.into(),
        thread: None,
        author: None,
        newest_first: false,
        limit,
    };
    let comments = app.store.queue(&query).await?;
    Ok(Json(ListAnswer { comments }))
}

async fn decide_http(
    app: AppState,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
    status: CommentStatus,
) -> Result<Json<DecisionAnswer>, AppError> {
    authorize(&app, &headers)?;
    let Path(id) = id.map_err(|_| {
        AppError::new(
            ErrorCode::InvalidParameter,
            "The comment id must be a number.",
        )
    })?;
    let request = DecisionRequest {
        id,
        to: status.into(),
        actor: "api token",
        only_from: None,
    };
    let d = decide(&app, &request).await?;
    Ok(Json(DecisionAnswer {
        id,
        thread: d.thread,
        status,
        previous: d.previous,
    }))
}

/// `POST /api/v1/moderation/comments/{id}/approve`
pub async fn approve(
    State(app): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<DecisionAnswer>, AppError> {
    decide_http(app, headers, id, CommentStatus::Approved).await
}

/// `POST /api/v1/moderation/comments/{id}/reject`
pub async fn reject(
    State(app): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<DecisionAnswer>, AppError> {
    decide_http(app, headers, id, CommentStatus::Rejected).await
}

/// Applies a decision through the server: publishes the thread's new
/// revision to pollers and mails the author of a newly published comment.
pub async fn decide(app: &AppState, request: &DecisionRequest<'_>) -> Result<Decision, AppError> {
    decide_with(
        app.store.as_ref(),
        &app.revisions,
        Some(&app.notifier),
        request,
    )
    .await
}

/// Applies a decision (audited by the store, in the same transaction).
pub async fn decide_with(
    store: &dyn Store,
    revisions: &Revisions,
    notifier: Option<&Notifier>,
    request: &DecisionRequest<'_>,
) -> Result<Decision, AppError> {
    let id = request.id;
    let decision = store
        .decide(request)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, format!("No comment with id {id}.")))?;
    if let Some(rev) = decision.revision {
        revisions.apply([(decision.thread.clone(), rev)]);
    }
    let published = request.to == Disposition::Approved && decision.revision.is_some();
    if let (true, Some(notifier)) = (published, notifier) {
        notifier.comment_published(id).await;
    }
    tracing::info!(id, status = request.to.as_str(), actor = request.actor, thread = %decision.thread, "moderation decision");
    Ok(decision)
}

/// `comments-server moderate list | approve ID | reject ID`, on the configured database.
pub async fn run_cli(store: &dyn Store, args: &[String]) -> Result<String, String> {
    let revisions = Revisions::default();
    let parse_id = |s: Option<&String>| {
        s.and_then(|s| s.parse::<i64>().ok())
            .ok_or_else(|| "expected a comment id, e.g. `moderate approve 12`".to_string())
    };
    match args.first().map(String::as_str) {
        Some("list") | None => {
            let query = QueueQuery {
                status: Disposition::Pending,
                thread: None,
                author: None,
                newest_first: false,
                limit: 1000,
            };
            let items = store.queue(&query).await.map_err(|e| e.to_string())?;
            if items.is_empty() {
                return Ok("No comment awaits moderation.".into());
            }
            let mut out = format!("{} pending comment(s), oldest first:\n", items.len());
            for c in items {
                let body: String = c.body.chars().take(200).collect();
                let body = body.replace('\n', " ⏎ ");
                let flags = if c.flags.is_empty() {
                    String::new()
                } else {
                    format!("  [{}]", c.flags.join(", "))
                };
                out.push_str(&format!(
                    "\n#{}  thread {:?}  by {:?}{flags}\n    {}\n",
                    c.id, c.thread, c.author, body
                ));
            }
            out.push_str("\nApprove with `comments-server moderate approve ID`, reject with `... reject ID`.");
            Ok(out)
        }
        Some(verb @ ("approve" | "reject")) => {
            let id = parse_id(args.get(1))?;
            let status = if verb == "approve" {
                CommentStatus::Approved
            } else {
                CommentStatus::Rejected
            };
            let request = DecisionRequest {
                id,
                to: status.into(),
                actor: "cli",
                only_from: None,
            };
            let d = decide_with(store, &revisions, None, &request)
                .await
                .map_err(|e| e.message.into_owned())?;
            Ok(format!(
                "Comment #{id} on thread {:?}: {} -> {}.",
                d.thread,
                d.previous.as_str(),
                status.as_str()
            ))
        }
        Some("purge-author") => {
            let key = args
                .get(1)
                .filter(|k| k.len() == 64 && k.bytes().all(|b| b.is_ascii_hexdigit()))
                .ok_or("expected a reader key (64 hex digits, as the moderation page shows it)")?;
            let (count, changes) = store
                .purge_author(key, "cli")
                .await
                .map_err(|e| e.to_string())?;
            revisions.apply(changes);
            Ok(format!("Deleted {count} comment(s) of reader {key}."))
        }
        Some(other) => Err(format!(
            "unknown moderate command {other:?}; use list, approve ID, reject ID or purge-author KEY"
        )),
    }
}
