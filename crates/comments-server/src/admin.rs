//! The moderation pages at `/admin`: sign-in, the queue, published and rejected lists, per-thread view, audit log, mail-link confirmations, and their actions.

use crate::auth::{self, Moderator};
use crate::clock;
use crate::error::AppError;
use crate::html::{ADMIN_CSP, admin_page, age, escape, iso_utc, query_value};
use crate::limiter::Client;
use crate::mail_links::{Link, LinkError};
use crate::moderation;
use crate::state::AppState;
use crate::store::{Change, Decided, Decisions, Disposition, ModerationItem, QueueQuery};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use comments_api::ErrorCode;
use serde::{Deserialize, Serialize};

/// Most comments one view lists.
const VIEW_LIMIT: u32 = 200;

/// An HTML page with the moderation pages' headers.
fn page(status: StatusCode, html: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, ADMIN_CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            // `same-origin`, not `no-referrer`: with the latter, browsers send
            // `Origin: null` on our own form posts.
            (header::REFERRER_POLICY, "same-origin"),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        html,
    )
        .into_response()
}

fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// An error shown as a page (for people), with its status and code.
fn error_page(e: &AppError) -> Response {
    let status =
        StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let main = format!(
        "<p class=\"error\" data-code=\"{}\">{}</p><p><a href=\"/admin\">Back to the queue</a></p>",
        e.code.as_str(),
        escape(&e.message)
    );
    let mut res = page(status, admin_page("Refused", None, "", &main));
    if let Some(secs) = e.retry_after {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

fn login_page(app: &AppState, status: StatusCode, error: Option<(ErrorCode, &str)>) -> Response {
    let unconfigured = app.config.moderation.moderators.is_empty();
    sign_in_page(status, error, unconfigured)
}

fn sign_in_page(
    status: StatusCode,
    error: Option<(ErrorCode, &str)>,
    unconfigured: bool,
) -> Response {
    let notice = match error {
        None => String::new(),
        Some((code, message)) => format!(
            "<p class=\"error\" role=\"alert\" data-code=\"{}\">{}</p>",
            code.as_str(),
            escape(message)
        ),
    };
    let none = if unconfigured {
        "<p class=\"note\">No moderator is configured yet. Make a password hash with \
         <code>comments-server hash-password</code> and add it under \
         <code>[[moderation.moderators]]</code> (see the README).</p>"
    } else {
        ""
    };
    let main = format!(
        "{none}{notice}<form method=\"post\" action=\"/admin/login\" class=\"login\">\
         <label>Name <input name=\"name\" autocomplete=\"username\" required autofocus></label>\
         <label>Password <input name=\"password\" type=\"password\" \
         autocomplete=\"current-password\" required></label>\
         <button type=\"submit\">Sign in</button></form>"
    );
    page(status, admin_page("Sign in", None, "", &main))
}

/// An error on a moderation page, shown as a page: the sign-in form for a
/// missing session (401), else the message with its status and code.
pub struct PageError(AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if self.0.code == ErrorCode::Unauthorized {
            sign_in_page(
                StatusCode::UNAUTHORIZED,
                Some((self.0.code, &self.0.message)),
                false,
            )
        } else {
            error_page(&self.0)
        }
    }
}

/// Extractor for pages: the signed-in moderator, or the sign-in page.
pub struct Signed(pub Moderator);

impl FromRequestParts<AppState> for Signed {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        app: &AppState,
    ) -> Result<Self, PageError> {
        Ok(Self(Moderator::from_request_parts(parts, app).await?))
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
}

/// `GET /admin/login`
pub async fn login_form(State(app): State<AppState>) -> Response {
    login_page(&app, StatusCode::OK, None)
}

fn too_many(app: &AppState, message: &str, retry_after: u64) -> Response {
    let mut res = login_page(
        app,
        StatusCode::TOO_MANY_REQUESTS,
        Some((ErrorCode::RateLimited, message)),
    );
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after.max(1)));
    res
}

/// `POST /admin/login`: the form is read first, then the attempt counts
/// against the client network's limit, then the password is checked.
pub async fn login(
    State(app): State<AppState>,
    client: Client,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    if let Err(e) = auth::same_origin(&app, &headers) {
        return error_page(&e);
    }
    let Ok(Form(form)) = form else {
        return login_page(
            &app,
            StatusCode::BAD_REQUEST,
            Some((ErrorCode::InvalidParameter, "Give a name and a password.")),
        );
    };
    if let Err(e) = app.login_limiter.admit(&client) {
        let wait = e.retry_after.unwrap_or(60);
        return too_many(
            &app,
            "Too many sign-in attempts; please wait a minute.",
            wait,
        );
    }
    let checked = auth::verify(
        &app.config.moderation.moderators,
        &app.sign_ins,
        &form.name,
        &form.password,
    )
    .await;
    let name = match checked {
        Ok(Some(name)) => name,
        Ok(None) => {
            tracing::warn!(ip = %client.ip, "failed moderator sign-in");
            return login_page(
                &app,
                StatusCode::UNAUTHORIZED,
                Some((ErrorCode::Unauthorized, "Wrong name or password.")),
            );
        }
        Err(auth::ChecksBusy) => {
            tracing::warn!(ip = %client.ip, "sign-in refused: every password check is busy");
            return too_many(&app, "Too many sign-ins at once; try again in a moment.", 1);
        }
    };
    match auth::sign_in(&app, name).await {
        Ok(cookie) => {
            let mut res = see_other("/admin");
            res.headers_mut().insert(header::SET_COOKIE, cookie);
            res
        }
        Err(e) => error_page(&e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /admin/logout`
pub async fn logout(
    State(app): State<AppState>,
    Signed(who): Signed,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Result<Response, PageError> {
    let token = form.ok().map(|Form(f)| f.csrf);
    who.check(&app, &headers, token.as_deref())?;
    app.store.delete_session(&who.session_hash).await?;
    let mut res = see_other("/admin/login");
    res.headers_mut()
        .insert(header::SET_COOKIE, auth::clear_cookie(&app)?);
    Ok(res)
}

/// The buttons a row offers, by the comment's status.
fn actions(status: Disposition) -> &'static [(Disposition, &'static str, &'static str)] {
    match status {
        Disposition::Pending => &[
            (Disposition::Approved, "Approve", "a"),
            (Disposition::Rejected, "Reject", "r"),
            (Disposition::Deleted, "Delete", "#"),
        ],
        Disposition::Approved => &[
            (Disposition::Rejected, "Unpublish", "r"),
            (Disposition::Deleted, "Delete", "#"),
        ],
        Disposition::Rejected => &[
            (Disposition::Approved, "Approve", "a"),
            (Disposition::Deleted, "Delete", "#"),
        ],
        Disposition::Deleted => &[(Disposition::Pending, "Restore", "")],
    }
}

/// One comment as an `<article>`: context, author and history, text (as
/// text), signals, and its buttons in a form that also works without script.
pub fn row(item: &ModerationItem, now: i64, csrf: &str, back: &str) -> String {
    let title = if item.page_title.is_empty() {
        String::new()
    } else if item.page_url.is_empty() {
        format!(
            " · <span class=\"title\">{}</span>",
            escape(&item.page_title)
        )
    } else {
        format!(
            " · <a class=\"title\" href=\"{}\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">{}</a>",
            escape(&item.page_url),
            escape(&item.page_title)
        )
    };
    let history = if item.author_key.is_empty() {
        "<span class=\"history\">first seen</span>".to_string()
    } else {
        format!(
            "<span class=\"history\" title=\"This reader's other comments\">{} approved · {} rejected before</span> \
             <span class=\"reader\" title=\"Reader key, for `comments-server moderate purge-author`: {key}\">reader {short}</span>",
            item.author_approved,
            item.author_rejected,
            key = escape(&item.author_key),
            short = escape(item.author_key.get(..8).unwrap_or(&item.author_key)),
        )
    };
    let flags: String = item
        .flags
        .iter()
        .map(|f| {
            format!(
                "<span class=\"flag\">{}</span>",
                escape(&f.replace('_', " "))
            )
        })
        .collect();
    let buttons: String = actions(item.status)
        .iter()
        .map(|(to, label, key)| {
            let keyhint = if key.is_empty() {
                String::new()
            } else {
                format!(" aria-keyshortcuts=\"{key}\"")
            };
            format!(
                "<button name=\"to\" value=\"{}\" class=\"act-{}\"{keyhint}>{label}</button>",
                to.as_str(),
                to.as_str()
            )
        })
        .collect();
    format!(
        "<article class=\"item\" id=\"c-{id}\" data-id=\"{id}\" data-status=\"{status}\" tabindex=\"-1\">\
         <div class=\"where\"><input type=\"checkbox\" class=\"pick\" aria-label=\"Select comment {id}\">\
         <a href=\"/admin/thread?key={thread_q}\" class=\"thread\">{thread}</a>{title}</div>\
         <div class=\"who\"><strong class=\"author\">{author}</strong> \
         <time datetime=\"{iso}\" title=\"{iso}\">{age}</time> {history} {flags}</div>\
         <div class=\"body\">{body}</div>\
         <form method=\"post\" action=\"/admin/decide\" class=\"acts\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <input type=\"hidden\" name=\"id\" value=\"{id}\">\
         <input type=\"hidden\" name=\"back\" value=\"{back}\">{buttons}</form></article>",
        id = item.id,
        status = item.status.as_str(),
        thread_q = query_value(&item.thread),
        thread = escape(&item.thread),
        author = escape(&item.author),
        iso = iso_utc(item.created_at),
        age = age(item.created_at, now),
        body = escape(&item.body),
        csrf = escape(csrf),
        back = escape(back),
    )
}

fn rows(items: &[ModerationItem], csrf: &str, back: &str, empty: &str) -> String {
    if items.is_empty() {
        return format!("<p class=\"empty\">{empty}</p>");
    }
    let now = clock::now_ms();
    let inner: String = items.iter().map(|i| row(i, now, csrf, back)).collect();
    format!("<div class=\"items\">{inner}</div>")
}

const TOOLBAR: &str = "<div class=\"toolbar\" hidden>\
    <label><input type=\"checkbox\" class=\"pick-all\"> All</label>\
    <button class=\"bulk\" data-to=\"approved\">Approve selected</button>\
    <button class=\"bulk\" data-to=\"rejected\">Reject selected</button>\
    <button class=\"keys\" aria-keyshortcuts=\"?\">Keys (?)</button></div>\
    <div class=\"toast\" role=\"status\" aria-live=\"polite\"></div>\
    <dialog class=\"help\"><h2>Keyboard</h2><dl>\
    <dt>j / k</dt><dd>next / previous comment</dd>\
    <dt>a</dt><dd>approve</dd><dt>r</dt><dd>reject (unpublish)</dd>\
    <dt>#</dt><dd>delete</dd><dt>x</dt><dd>select</dd>\
    <dt>u</dt><dd>undo the last action</dd><dt>?</dt><dd>this help</dd></dl>\
    <form method=\"dialog\"><button>Close</button></form></dialog>";

/// Start of the current day, UTC.
fn today_start(now: i64) -> i64 {
    now - now.rem_euclid(86_400_000)
}

/// `GET /admin`: the queue, oldest first.
pub async fn queue(
    State(app): State<AppState>,
    Signed(who): Signed,
) -> Result<Response, PageError> {
    let query = QueueQuery {
        status: Disposition::Pending,
        thread: None,
        author: None,
        newest_first: false,
        limit: VIEW_LIMIT,
    };
    let items = app.store.queue(&query).await?;
    let counts = app.store.counts(today_start(clock::now_ms())).await?;
    let main = format!(
        "<p class=\"counts\"><span class=\"n-pending\">{} pending</span> · \
         <span class=\"n-approved\">{} approved today</span> · \
         <span class=\"n-rejected\">{} rejected today</span> <small>(UTC)</small></p>{TOOLBAR}{}",
        counts.pending,
        counts.approved_since,
        counts.rejected_since,
        rows(&items, &who.csrf, "/admin", "Nothing awaits moderation.")
    );
    Ok(page(
        StatusCode::OK,
        admin_page(
            "Moderation queue",
            Some(("queue", &who.name)),
            &who.csrf,
            &main,
        ),
    ))
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    thread: Option<String>,
    author: Option<String>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// `GET /admin/comments?status=approved&thread=…&author=…`: newest first, searchable.
pub async fn list(
    State(app): State<AppState>,
    Signed(who): Signed,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let Query(q) = query.map_err(|e| AppError::new(ErrorCode::InvalidParameter, e.body_text()))?;
    let status = match q.status.as_deref().map(Disposition::parse) {
        None => Disposition::Approved,
        Some(Some(s)) if s != Disposition::Pending => s,
        Some(_) => {
            return Err(AppError::new(
                ErrorCode::InvalidParameter,
                "status must be approved, rejected or deleted",
            )
            .into());
        }
    };
    let thread = non_empty(q.thread);
    let author = non_empty(q.author);
    let query = QueueQuery {
        status,
        thread: thread.clone(),
        author: author.clone(),
        newest_first: true,
        limit: VIEW_LIMIT,
    };
    let items = app.store.queue(&query).await?;
    let (heading, nav) = match status {
        Disposition::Rejected => ("Rejected comments", "rejected"),
        Disposition::Deleted => ("Deleted comments (kept one day)", "deleted"),
        _ => ("Published comments", "approved"),
    };
    let back = format!(
        "/admin/comments?status={}&thread={}&author={}",
        status.as_str(),
        query_value(thread.as_deref().unwrap_or("")),
        query_value(author.as_deref().unwrap_or(""))
    );
    let main = format!(
        "<form class=\"search\" method=\"get\" action=\"/admin/comments\" role=\"search\">\
         <input type=\"hidden\" name=\"status\" value=\"{}\">\
         <label>Thread <input name=\"thread\" value=\"{}\"></label>\
         <label>Author <input name=\"author\" value=\"{}\"></label>\
         <button>Search</button></form>{TOOLBAR}{}",
        status.as_str(),
        escape(thread.as_deref().unwrap_or("")),
        escape(author.as_deref().unwrap_or("")),
        rows(&items, &who.csrf, &back, "No comment matches.")
    );
    Ok(page(
        StatusCode::OK,
        admin_page(heading, Some((nav, &who.name)), &who.csrf, &main),
    ))
}

#[derive(Deserialize)]
pub struct ThreadQuery {
    key: String,
}

/// `GET /admin/thread?key=…`: one thread, every status.
pub async fn thread(
    State(app): State<AppState>,
    Signed(who): Signed,
    query: Result<Query<ThreadQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let Query(q) = query
        .map_err(|_| AppError::new(ErrorCode::InvalidParameter, "Which thread? Add ?key=…"))?;
    let back = format!("/admin/thread?key={}", query_value(&q.key));
    let mut main = format!(
        "{TOOLBAR}<p class=\"thread-key\">Thread <code>{}</code></p>",
        escape(&q.key)
    );
    for (status, heading) in [
        (Disposition::Pending, "Pending"),
        (Disposition::Approved, "Published"),
        (Disposition::Rejected, "Rejected"),
    ] {
        let query = QueueQuery {
            status,
            thread: Some(q.key.clone()),
            author: None,
            newest_first: false,
            limit: VIEW_LIMIT,
        };
        let items = app.store.queue(&query).await?;
        main.push_str(&format!(
            "<section><h2>{heading} ({})</h2>{}</section>",
            items.len(),
            rows(&items, &who.csrf, &back, "None.")
        ));
    }
    Ok(page(
        StatusCode::OK,
        admin_page("Thread", Some(("thread", &who.name)), &who.csrf, &main),
    ))
}

/// `GET /admin/audit`: who did what, newest first.
pub async fn audit(
    State(app): State<AppState>,
    Signed(who): Signed,
) -> Result<Response, PageError> {
    let entries = app.store.audit(500).await?;
    let now = clock::now_ms();
    let body: String = entries
        .iter()
        .map(|e| {
            let comment = match e.comment_id {
                Some(id) => format!(
                    "<a href=\"/admin/thread?key={}#c-{id}\">#{id}</a>",
                    query_value(&e.thread)
                ),
                None => String::new(),
            };
            format!(
                "<tr><td><time datetime=\"{iso}\" title=\"{iso}\">{age}</time></td><td>{}</td>\
                 <td>{}</td><td>{comment}</td><td>{}</td></tr>",
                escape(&e.actor),
                escape(&e.action),
                escape(&e.detail),
                iso = iso_utc(e.at),
                age = age(e.at, now),
            )
        })
        .collect();
    let main = format!(
        "<table class=\"audit\"><thead><tr><th>When</th><th>Who</th><th>Action</th>\
         <th>Comment</th><th>Change</th></tr></thead><tbody>{body}</tbody></table>"
    );
    Ok(page(
        StatusCode::OK,
        admin_page("Audit log", Some(("audit", &who.name)), &who.csrf, &main),
    ))
}

#[derive(Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    csrf: String,
    id: i64,
    to: String,
    #[serde(default)]
    back: String,
}

/// `POST /admin/decide`: a row's button without script; back to the list.
pub async fn decide_form(
    State(app): State<AppState>,
    Signed(who): Signed,
    headers: HeaderMap,
    form: Result<Form<DecideForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(form) =
        form.map_err(|_| AppError::new(ErrorCode::InvalidParameter, "Incomplete form."))?;
    who.check(&app, &headers, Some(&form.csrf))?;
    let to = Disposition::parse(&form.to)
        .ok_or_else(|| AppError::new(ErrorCode::InvalidParameter, "Unknown action."))?;
    moderation::decide_one(&app, Decisions::one(who.name.clone(), form.id, to)).await?;
    // Only back to our own pages.
    let back = if form.back.starts_with("/admin") && !form.back.starts_with("//") {
        form.back.as_str()
    } else {
        "/admin"
    };
    Ok(see_other(back))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeRequest {
    id: i64,
    to: Disposition,
    /// Only if the comment still has this status (undo sends the status
    /// its decision set, so that it reverts nobody else's).
    #[serde(default)]
    from: Option<Disposition>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecideRequest {
    changes: Vec<ChangeRequest>,
}

#[derive(Serialize)]
pub struct ChangeResult {
    id: i64,
    /// `None` when there is no such comment.
    previous: Option<Disposition>,
    /// Its status now.
    status: Option<Disposition>,
    /// `from` did not hold: someone else changed it since; nothing was done.
    conflict: bool,
}

#[derive(Serialize)]
pub struct DecideAnswer {
    results: Vec<ChangeResult>,
}

/// `POST /admin/api/decide` (`X-CSRF-Token`): one or many changes, for the
/// page's script (optimistic updates, bulk actions, undo). All of them in
/// one transaction, or none.
pub async fn decide_api(
    State(app): State<AppState>,
    who: Moderator,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<DecideAnswer>, AppError> {
    who.check(&app, &headers, None)?;
    let req: DecideRequest = serde_json::from_slice(&body)
        .map_err(|e| AppError::new(ErrorCode::InvalidJson, format!("Invalid JSON: {e}")))?;
    if req.changes.len() > 500 {
        return Err(AppError::new(
            ErrorCode::InvalidParameter,
            "At most 500 changes at once.",
        ));
    }
    let decisions = Decisions {
        actor: who.name.clone(),
        changes: req
            .changes
            .iter()
            .map(|c| Change {
                id: c.id,
                to: c.to,
                only_from: c.from,
            })
            .collect(),
        link_nonce: None,
    };
    let Decided::Done(decided) = moderation::decide(&app, decisions).await? else {
        return Err(ErrorCode::Internal.into());
    };
    let results = req
        .changes
        .iter()
        .zip(decided)
        .map(|(c, d)| ChangeResult {
            id: c.id,
            previous: d.as_ref().map(|d| d.previous),
            status: d.as_ref().map(|d| d.status),
            conflict: d.as_ref().is_some_and(|d| d.conflict),
        })
        .collect();
    Ok(Json(DecideAnswer { results }))
}

/// A link's checks: signed by us, unexpired, and for someone who still moderates.
fn checked_link(app: &AppState, token: &str) -> Result<Link, AppError> {
    let link = app
        .link_signer
        .verify(token, clock::now_ms())
        .map_err(|e| match e {
            LinkError::Expired => AppError::new(
                ErrorCode::Forbidden,
                "This link has expired (links work for 72 hours). Use the queue instead.",
            ),
            LinkError::Forged => AppError::new(ErrorCode::Forbidden, "This link is not valid."),
        })?;
    if !app.is_moderator(&link.moderator) {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            "This link was sent to someone who no longer moderates here.",
        ));
    }
    Ok(link)
}

/// The comment and the question a mail link asks, or why it cannot.
async fn mail_link_page(app: &AppState, token: &str, outcome: Option<String>) -> Response {
    let link = match checked_link(app, token) {
        Ok(link) => link,
        Err(e) => return error_page(&e),
    };
    let item = match app.store.comment(link.comment_id).await {
        Ok(Some(item)) => item,
        Ok(None) => {
            return error_page(&AppError::new(
                ErrorCode::NotFound,
                "This comment no longer exists.",
            ));
        }
        Err(e) => return error_page(&e.into()),
    };
    let verb = if link.to == Disposition::Approved {
        "Approve"
    } else {
        "Reject"
    };
    let question = match outcome {
        Some(text) => format!("<p class=\"outcome\" role=\"status\">{}</p>", escape(&text)),
        None if item.status != Disposition::Pending => format!(
            "<p class=\"outcome\">This comment is already {}.</p>",
            item.status.as_str()
        ),
        None => format!(
            "<form method=\"post\" class=\"confirm\"><button class=\"act-{}\">{verb} this comment</button></form>",
            link.to.as_str()
        ),
    };
    let main = format!(
        "{question}<div class=\"items\">{}</div><p><a href=\"/admin\">Open the queue</a></p>",
        row(&item, clock::now_ms(), "", "/admin").replace(
            "<form method=\"post\" action=\"/admin/decide\" class=\"acts\">",
            "<form hidden>"
        )
    );
    page(
        StatusCode::OK,
        admin_page(&format!("{verb}?"), None, "", &main),
    )
}

/// `GET /admin/mail/{token}`: a confirmation page. A GET never changes
/// anything: mail scanners open links.
pub async fn mail_link(State(app): State<AppState>, Path(token): Path<String>) -> Response {
    mail_link_page(&app, &token, None).await
}

/// `POST /admin/mail/{token}`: the decision, once per link, pending
/// comments only. The link is marked used in the decision's own
/// transaction: a busy database leaves it unused.
pub async fn mail_link_confirm(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let done = async {
        auth::same_origin(&app, &headers)?;
        let link = checked_link(&app, &token)?;
        let decisions = Decisions {
            actor: format!("{} (mail link)", link.moderator),
            changes: vec![Change {
                id: link.comment_id,
                to: link.to,
                only_from: Some(Disposition::Pending),
            }],
            link_nonce: Some(link.nonce.clone()),
        };
        let d = moderation::decide_one(&app, decisions).await?;
        Ok::<_, AppError>(if d.conflict {
            format!(
                "Nothing changed: the comment was already {}.",
                d.previous.as_str()
            )
        } else {
            format!("Done: the comment is {}.", link.to.as_str())
        })
    };
    match done.await {
        Ok(outcome) => mail_link_page(&app, &token, Some(outcome)).await,
        Err(e) => error_page(&e),
    }
}

/// `GET /admin/admin.js`
pub async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../admin/admin.js"),
    )
}

/// `GET /admin/admin.css`
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../admin/admin.css"),
    )
}
