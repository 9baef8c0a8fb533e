//! Decisions through the server (every HTTP path takes them here: the
//! bearer-token API below, the moderation pages, mail links), and the
//! bearer-token moderation API.

use crate::http::detached;
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::moderation::follow_up;
use crate::store::{
    Ban, Change, Decided, Decision, Decisions, Disposition, Mode, ModeRule, ModerationItem,
    QueueQuery,
};
use crate::token::constant_time_eq;
use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use comments_api::{CommentStatus, ErrorCode};
use serde::{Deserialize, Serialize};

pub fn authorize(app: &AppState, headers: &HeaderMap) -> Result<(), AppError> {
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
    section: Option<String>,
    site: Option<String>,
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

/// `GET /api/v1/moderation/comments?status=pending&limit=100&section=sport/&site=https://news.example`
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
    let (section, site) = section_and_site(q.section, q.site)?;
    let query = QueueQuery {
        status: status.into(),
        thread: None,
        author: None,
        section,
        site,
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
    let id = comment_id(id)?;
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

/// A section and a site, as a list's filter takes them: empty is none; a
/// site must be an origin.
pub fn section_and_site(
    section: Option<String>,
    site: Option<String>,
) -> Result<(Option<String>, Option<String>), AppError> {
    let site = match site.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
        Some(raw) => Some(crate::config::normalize_origin(&raw).ok_or_else(|| {
            AppError::new(
                ErrorCode::InvalidParameter,
                "site must be an origin, such as https://news.example.",
            )
        })?),
        None => None,
    };
    Ok((
        section
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        site,
    ))
}

/// A mode rule's pattern, checked: a thread key (`sport/om-psg`), or a
/// section, a key's beginning and `*` (`sport/*`; `*` alone is every thread).
pub fn mode_pattern(raw: &str) -> Result<String, AppError> {
    let raw = raw.trim();
    let bad = || {
        AppError::new(
            ErrorCode::InvalidParameter,
            "pattern must be a thread key, or the beginning of one followed by * (sport/*).",
        )
    };
    match raw.strip_suffix('*') {
        Some("") => Ok("*".into()),
        Some(prefix) => comments_api::ThreadKey::parse(prefix)
            .map(|k| format!("{}*", k.as_str()))
            .map_err(|_| bad()),
        None => comments_api::ThreadKey::parse(raw)
            .map(|k| k.as_str().to_string())
            .map_err(|_| bad()),
    }
}

/// A mode as a form or the API names it: `pre`, `trusted`, `post`, or
/// `default` (no rule: `None`).
pub fn mode_named(raw: &str) -> Result<Option<Mode>, AppError> {
    match raw {
        "default" => Ok(None),
        other => Mode::parse(other).map(Some).ok_or_else(|| {
            AppError::new(
                ErrorCode::InvalidParameter,
                "mode must be pre, trusted, post or default.",
            )
        }),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeRequest {
    pattern: String,
    mode: String,
}

#[derive(Serialize)]
pub struct ModesAnswer {
    modes: Vec<ModeRule>,
}

/// `GET /api/v1/moderation/modes`: every thread and section rule.
pub async fn modes_api(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<ModesAnswer>, AppError> {
    authorize(&app, &headers)?;
    Ok(Json(ModesAnswer {
        modes: app.store.modes().await?,
    }))
}

/// `POST /api/v1/moderation/modes` with `{"pattern":"sport/*","mode":"post"}`
/// (`"default"` removes the rule).
pub async fn set_mode_api(
    State(app): State<AppState>,
    headers: HeaderMap,
    crate::http::reader::ApiJson(req): crate::http::reader::ApiJson<ModeRequest>,
) -> Result<Json<ModesAnswer>, AppError> {
    authorize(&app, &headers)?;
    let pattern = mode_pattern(&req.pattern)?;
    let mode = mode_named(&req.mode)?;
    app.store.set_mode(&pattern, mode, "api token").await?;
    Ok(Json(ModesAnswer {
        modes: app.store.modes().await?,
    }))
}

/// The longest timed ban, in days; longer is for good.
pub const BAN_MAX_DAYS: u32 = 3650;

/// Bans the reader of comment `id` for `days` (`None`: for good), as `actor`.
pub async fn ban(app: &AppState, id: i64, days: Option<u32>, actor: &str) -> Result<Ban, AppError> {
    let expires_at = match days {
        Some(d) if (1..=BAN_MAX_DAYS).contains(&d) => {
            Some(crate::clock::now_ms() + i64::from(d) * 86_400_000)
        }
        Some(_) => {
            return Err(AppError::new(
                ErrorCode::InvalidParameter,
                format!("days must be 1 to {BAN_MAX_DAYS}, or absent for a ban for good."),
            ));
        }
        None => None,
    };
    app.store.ban(id, expires_at, actor).await?.ok_or_else(|| {
        AppError::new(
            ErrorCode::NotFound,
            format!("No comment {id}, or nothing is left to know its reader by."),
        )
    })
}

/// Rejects every pending comment of the reader of comment `id`, in one
/// decision; returns their ids.
pub async fn reject_pending_of_reader(
    app: &AppState,
    id: i64,
    actor: &str,
) -> Result<Vec<i64>, AppError> {
    let ids = app.store.pending_of_reader(id).await?;
    if ids.is_empty() {
        return Ok(ids);
    }
    let decisions = Decisions {
        actor: actor.to_string(),
        changes: ids
            .iter()
            .map(|&id| Change {
                id,
                to: Disposition::Rejected,
                only_from: Some(Disposition::Pending),
            })
            .collect(),
        link_nonce: None,
    };
    match decide(app, decisions).await? {
        Decided::Done(results) => Ok(results
            .into_iter()
            .flatten()
            .filter(|d| !d.conflict)
            .map(|d| d.id)
            .collect()),
        Decided::LinkUsed => Ok(Vec::new()),
    }
}

pub fn comment_id(id: Result<Path<i64>, PathRejection>) -> Result<i64, AppError> {
    id.map(|Path(id)| id)
        .map_err(|_| AppError::new(ErrorCode::InvalidParameter, "The id must be a number."))
}

/// The body of `POST /api/v1/moderation/comments/{id}/ban`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct BanRequest {
    /// How long; absent or null: for good.
    days: Option<u32>,
}

/// `POST /api/v1/moderation/comments/{id}/ban` with `{"days": N}` or `{}`.
pub async fn ban_api(
    State(app): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
    body: axum::body::Bytes,
) -> Result<Json<Ban>, AppError> {
    authorize(&app, &headers)?;
    let id = comment_id(id)?;
    // No body at all: for good, as `{}` is.
    let asked: BanRequest = if body.is_empty() {
        BanRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| AppError::new(ErrorCode::InvalidJson, format!("Invalid JSON: {e}")))?
    };
    let days = asked.days;
    Ok(Json(ban(&app, id, days, "api token").await?))
}

#[derive(Serialize)]
pub struct BansAnswer {
    bans: Vec<Ban>,
}

/// `GET /api/v1/moderation/bans`: those in force, newest first.
pub async fn bans_api(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<BansAnswer>, AppError> {
    authorize(&app, &headers)?;
    let bans = app.store.bans(crate::clock::now_ms()).await?;
    Ok(Json(BansAnswer { bans }))
}

/// `POST /api/v1/moderation/bans/{id}/lift`
pub async fn lift_api(
    State(app): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<serde_json::Value>, AppError> {
    authorize(&app, &headers)?;
    let id = comment_id(id)?;
    if app.store.lift_ban(id, "api token").await? {
        Ok(Json(serde_json::json!({ "lifted": id })))
    } else {
        Err(AppError::new(
            ErrorCode::NotFound,
            format!("No ban {id} in force."),
        ))
    }
}

/// `POST /api/v1/moderation/comments/{id}/reject-reader-pending`
pub async fn reject_reader_api(
    State(app): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<serde_json::Value>, AppError> {
    authorize(&app, &headers)?;
    let id = comment_id(id)?;
    let rejected = reject_pending_of_reader(&app, id, "api token").await?;
    Ok(Json(serde_json::json!({ "rejected": rejected })))
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
