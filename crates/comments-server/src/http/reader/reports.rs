//! Readers' reports on published comments: the JSON API
//! (`POST /api/v1/comments/{id}/report`), and `/report/{id}`, the page the
//! widget's report dialog shows, which readers without JavaScript reach
//! from the thread page: a plain form in the reader's language, under our
//! own strict policy, framed only by the allowed sites.
//!
//! A reporter counts once per comment (by reader key, else by network),
//! reports are rate-limited per network, and nobody learns from the answer
//! how many others reported the comment.

use crate::clock;
use crate::http::error::AppError;
use crate::http::html::{SanitizedHtml, page_in};
use crate::http::limiter::Client;
use crate::http::origins::AllowedSite;
use crate::http::reader::texts::{self, Language};
use crate::http::reader::{ApiJson, reader_key};
use crate::http::state::AppState;
use crate::store::{Disposition, NewReport};
use axum::Json;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use comments_api::limits::REPORT_EXPLANATION_MAX_CHARS;
use comments_api::{ErrorCode, ReportExplanation, ReportReason, ReportRequest};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};

/// What a report form's token is signed for.
const REPORT_FORM: &str = "report";
/// How long a report form stays good after it was shown.
const FORM_VALIDITY_MS: i64 = 24 * 3_600_000;

/// Who reports, so that each reader counts once per comment: the hash of
/// their reader key, else their network's keyed hash.
fn reporter(app: &AppState, client: &Client, reader: &str) -> String {
    let key = reader_key(reader);
    if key.is_empty() {
        format!("net:{}", app.ip_hasher.hash(client.ip))
    } else {
        key
    }
}

/// Files a report: parsed, limited, stored; a comment that reaches
/// `moderation.hide_after_reports` is hidden and its readers learn it on
/// their next poll.
async fn file(
    app: &AppState,
    client: &Client,
    id: i64,
    reason: ReportReason,
    explanation: &str,
    reader: &str,
) -> Result<(), AppError> {
    let explanation = ReportExplanation::parse(reason, explanation)?;
    app.report_limiter.admit_everywhere(app, client).await?;
    let report = NewReport {
        comment_id: id,
        reporter: reporter(app, client, reader),
        reason,
        explanation: explanation.into_inner(),
        created_at: clock::now_ms(),
        hide_after: app.config.moderation.hide_after_reports,
    };
    let outcome = app
        .store
        .report(&report)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "This comment is not published."))?;
    tracing::info!(id, reason = reason.as_str(), "comment reported");
    if let Some((thread, revision)) = outcome.hidden {
        tracing::info!(id, thread = %thread, "comment hidden after readers' reports");
        app.revisions.apply([(thread, revision)]);
    }
    Ok(())
}

/// A comment id from the path.
fn comment_id(id: Result<Path<i64>, PathRejection>) -> Result<i64, AppError> {
    match id {
        Ok(Path(id)) if id > 0 => Ok(id),
        _ => Err(AppError::new(
            ErrorCode::InvalidParameter,
            "The comment id must be a positive number.",
        )),
    }
}

/// The answer to a report: the same whatever others did.
#[derive(Serialize)]
pub struct Received {
    received: bool,
}

/// `POST /api/v1/comments/{id}/report` with `{"reason": "spam" | "abuse" |
/// "off_topic" | "illegal", "explanation": "…", "reader": "…"}`.
pub async fn report_api(
    State(app): State<AppState>,
    client: Client,
    id: Result<Path<i64>, PathRejection>,
    _: AllowedSite,
    ApiJson(req): ApiJson<ReportRequest>,
) -> Result<(StatusCode, Json<Received>), AppError> {
    let id = comment_id(id)?;
    file(&app, &client, id, req.reason, &req.explanation, &req.reader).await?;
    Ok((StatusCode::ACCEPTED, Json(Received { received: true })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormQuery {
    #[serde(default)]
    lang: String,
    /// The widget's reader key, so that the reader counts once.
    #[serde(default)]
    reader: String,
    #[serde(default)]
    theme: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportForm {
    #[serde(default)]
    token: String,
    reason: Option<String>,
    #[serde(default)]
    explanation: String,
    #[serde(default)]
    reader: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    theme: String,
}

/// What the page shows under its title.
enum Shown<'a> {
    /// The form, with what the reader typed and what went wrong, if anything.
    Form {
        error: Option<String>,
        reason: Option<ReportReason>,
        explanation: &'a str,
    },
    /// The report was received.
    Thanks,
    /// Only a message (the comment is gone, the form is refused).
    Message(String),
}

/// Whose form it is: the comment, and the reader's settings to carry.
struct Context<'a> {
    id: i64,
    lang: &'static Language,
    theme: &'a str,
    reader: &'a str,
    token: String,
}

/// The theme the widget asked for: `dark`, `light`, or the system's.
fn theme_class(theme: &str) -> Option<&'static str> {
    match theme {
        "dark" => Some("dark"),
        "light" => Some("light"),
        _ => None,
    }
}

fn reason_label(t: &texts::PageTexts, r: ReportReason) -> &str {
    match r {
        ReportReason::Spam => &t.reason_spam,
        ReportReason::Abuse => &t.reason_abuse,
        ReportReason::OffTopic => &t.reason_off_topic,
        ReportReason::Illegal => &t.reason_illegal,
    }
}

/// The page's policy: its stylesheet, forms to ourselves, framed by the
/// widget's sites (and by ourselves, for the iframe mode).
fn policy(app: &AppState) -> String {
    let allowed = &app.config.sites.allowed_origins;
    let ancestors = if allowed.is_empty() {
        "*".to_string()
    } else {
        allowed.join(" ")
    };
    format!(
        "default-src 'none'; style-src 'self'; img-src 'none'; form-action 'self'; \
         base-uri 'none'; frame-ancestors 'self' {ancestors}"
    )
}

fn render(
    app: &AppState,
    status: StatusCode,
    cx: &Context,
    comment: Option<Markup>,
    shown: Shown,
) -> Response {
    let t = &cx.lang.pages;
    let main = html! {
        main class="report" {
            h1 { (t.report_title) }
            @if let Some(c) = comment { (c) }
            @match shown {
                Shown::Thanks => p class="done" role="status" { (t.thanks) },
                Shown::Message(m) => p class="error" role="alert" { (m) },
                Shown::Form { error, reason, explanation } => {
                    p { (t.report_intro) }
                    @if let Some(e) = error { p class="error" role="alert" { (e) } }
                    form method="post" action={ "/report/" (cx.id) } {
                        input type="hidden" name="token" value=(cx.token);
                        input type="hidden" name="reader" value=(cx.reader);
                        input type="hidden" name="lang" value=(cx.lang.lang);
                        input type="hidden" name="theme" value=(cx.theme);
                        fieldset {
                            legend { (t.reason) }
                            @for r in ReportReason::ALL {
                                label class="choice" {
                                    input type="radio" name="reason" value=(r.as_str()) required
                                        checked[reason == Some(r)];
                                    " " (reason_label(t, r))
                                }
                            }
                        }
                        label for="why" { (t.explanation) }
                        textarea id="why" name="explanation" rows="4"
                            maxlength=(REPORT_EXPLANATION_MAX_CHARS) { (explanation) }
                        p { button { (t.send) } }
                    }
                }
            }
        }
    };
    let head = html! {
        meta name="robots" content="noindex";
        link rel="stylesheet" href="/threads.css";
    };
    // The widget's explicit theme is a class on the root element.
    let page = page_in(
        (&cx.lang.lang, &cx.lang.dir),
        theme_class(cx.theme),
        &t.report_title,
        head,
        main,
    )
    .into_string();
    let policy = policy(app);
    let mut res = (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "same-origin"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        page,
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&policy) {
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    res
}

/// The reported comment, quoted so that the reader sees what they report.
async fn quoted(app: &AppState, id: i64) -> Result<Option<Markup>, AppError> {
    Ok(app
        .store
        .comment(id)
        .await?
        .filter(|c| c.status == Disposition::Approved)
        .map(|c| {
            html! {
                blockquote class="reported" {
                    p class="who" { strong { (c.author) } }
                    div class="body" { (SanitizedHtml::comment(c.id, &c.body)) }
                }
            }
        }))
}

fn form_token(app: &AppState, id: i64) -> String {
    app.link_signer
        .sign_for(REPORT_FORM, &format!("{id}.{}", clock::now_ms()))
}

/// Whether `token` is a report form this server showed for comment `id`
/// less than a day ago.
fn token_holds(app: &AppState, id: i64, token: &str) -> bool {
    let Some(value) = app.link_signer.verify_for(REPORT_FORM, token) else {
        return false;
    };
    let Some((for_id, issued)) = value.split_once('.') else {
        return false;
    };
    let age = issued
        .parse::<i64>()
        .map(|at| clock::now_ms().saturating_sub(at));
    for_id == id.to_string() && age.is_ok_and(|a| (0..FORM_VALIDITY_MS).contains(&a))
}

/// `GET /report/{id}?lang=…&reader=…&theme=…`
pub async fn report_page(
    State(app): State<AppState>,
    client: Client,
    id: Result<Path<i64>, PathRejection>,
    query: Result<Query<FormQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    app.read_limiter.admit(&client)?;
    let id = comment_id(id)?;
    let Query(q) = query.map_err(|_| {
        AppError::new(
            ErrorCode::InvalidParameter,
            "The report page takes lang, reader and theme.",
        )
    })?;
    let cx = Context {
        id,
        lang: texts::closest(&q.lang),
        theme: &q.theme,
        reader: &q.reader,
        token: form_token(&app, id),
    };
    Ok(match quoted(&app, id).await? {
        Some(comment) => {
            let form = Shown::Form {
                error: None,
                reason: None,
                explanation: "",
            };
            render(&app, StatusCode::OK, &cx, Some(comment), form)
        }
        None => {
            let gone = Shown::Message(cx.lang.pages.not_published.clone());
            render(&app, StatusCode::NOT_FOUND, &cx, None, gone)
        }
    })
}

/// The reader's words for what went wrong with their report.
fn explain(t: &texts::PageTexts, e: &AppError) -> String {
    match e.code {
        ErrorCode::ExplanationRequired => t.explanation_required.clone(),
        ErrorCode::ExplanationTooLong => t.explanation_too_long.clone(),
        ErrorCode::ControlCharacter => t.control.clone(),
        ErrorCode::RateLimited => t.rate_limited.clone(),
        ErrorCode::NotFound => t.not_published.clone(),
        ErrorCode::InvalidParameter | ErrorCode::Forbidden => e.message.to_string(),
        _ => t.unavailable.clone(),
    }
}

/// `POST /report/{id}`: the form, sent from its own page.
pub async fn report_form(
    State(app): State<AppState>,
    client: Client,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<ReportForm>, FormRejection>,
) -> Result<Response, AppError> {
    let id = comment_id(id)?;
    let Form(f) = form.map_err(|e| AppError::new(ErrorCode::InvalidParameter, e.body_text()))?;
    // Sent by the page itself, not by another site's form: browsers say
    // where a request comes from, and the token says we showed the form.
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site != "same-origin" && site != "none");
    let cx = Context {
        id,
        lang: texts::closest(&f.lang),
        theme: &f.theme,
        reader: &f.reader,
        token: form_token(&app, id),
    };
    if cross_site || !token_holds(&app, id, &f.token) {
        let refused = AppError::new(
            ErrorCode::Forbidden,
            "This form has expired or did not come from this site: reload it to report the comment.",
        );
        let shown = Shown::Form {
            error: Some(explain(&cx.lang.pages, &refused)),
            reason: None,
            explanation: &f.explanation,
        };
        let comment = quoted(&app, id).await?;
        return Ok(render(&app, StatusCode::FORBIDDEN, &cx, comment, shown));
    }
    let reason = f.reason.as_deref().and_then(ReportReason::parse);
    let outcome = match reason {
        None => Err(AppError::new(
            ErrorCode::InvalidParameter,
            "Choose a reason: spam, abuse, off_topic or illegal.",
        )),
        Some(reason) => file(&app, &client, id, reason, &f.explanation, &f.reader).await,
    };
    let comment = quoted(&app, id).await?;
    Ok(match outcome {
        Ok(()) => render(&app, StatusCode::OK, &cx, comment, Shown::Thanks),
        Err(e) => {
            let status = StatusCode::from_u16(e.code.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let shown = if e.code == ErrorCode::NotFound {
                Shown::Message(explain(&cx.lang.pages, &e))
            } else {
                Shown::Form {
                    error: Some(explain(&cx.lang.pages, &e)),
                    reason,
                    explanation: &f.explanation,
                }
            };
            let mut res = render(&app, status, &cx, comment, shown);
            if let Some(secs) = e.retry_after {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            res
        }
    })
}
