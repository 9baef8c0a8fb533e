//! Decisions through the server (every HTTP path takes them here: the
//! bearer-token API below, the moderation pages, mail links), and the
//! bearer-token moderation API.

use crate::http::detached;
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::moderation::follow_up;
use crate::store::{Decided, Decision, Decisions, Disposition, ModerationItem, QueueQuery};
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
    let mut comments = app.store.queue(&query).await?;
    app.words.annotate(&mut comments);
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
    let d = decide_one(&app, Decisions::one("api token", id, status.into())).await?;
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

/// Takes decisions through the server, in one transaction, then publishes
/// the new revisions to pollers and mails the authors of newly published
/// comments. All of it runs to the end even if the request is dropped.
pub async fn decide(app: &AppState, decisions: Decisions) -> Result<Decided, AppError> {
    let app = app.clone();
    detached::run(async move {
        let decided = app.store.decide(&decisions).await?;
        follow_up(
            &app.revisions,
            Some(&app.notifier),
            &decisions.actor,
            &decided,
        );
        Ok(decided)
    })
    .await
}

/// One decision; 404 if there is no such comment.
pub async fn decide_one(app: &AppState, decisions: Decisions) -> Result<Decision, AppError> {
    let id = decisions.changes.first().map_or(0, |c| c.id);
    match decide(app, decisions).await? {
        Decided::Done(mut results) => results
            .pop()
            .flatten()
            .ok_or_else(|| AppError::new(ErrorCode::NotFound, format!("No comment with id {id}."))),
        Decided::LinkUsed => Err(AppError::new(
            ErrorCode::Forbidden,
            "This link was already used; each link works once.",
        )),
    }
}
