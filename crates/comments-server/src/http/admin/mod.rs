//! The moderation pages at `/admin`: sign-in, the queue, published and rejected lists, per-thread view, audit log, mail-link confirmations, and their actions.

pub mod auth;

use crate::clock;
use crate::http::error::AppError;
use crate::http::html::{ADMIN_CSP, SanitizedHtml, admin_page, age, iso_utc};
use crate::http::limiter::Client;
use crate::http::state::AppState;
use crate::http::{moderation, newsroom};
use crate::moderation::threads;
use crate::notify::links::{Link, LinkError, query_value};
use crate::store::{
    AuditEntry, Change, Counts, Decided, Decisions, Disposition, Mode, ModerationItem, QueueQuery,
    ReportedItem, ThreadState,
};
use auth::Moderator;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use comments_api::ErrorCode;
use maud::{Markup, html};
use serde::{Deserialize, Serialize};

/// Most comments one view lists.
const VIEW_LIMIT: u32 = 200;

/// An HTML page with the moderation pages' headers.
fn page(status: StatusCode, html: Markup) -> Response {
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
        html.into_string(),
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
    let main = html! {
        p class="error" data-code=(e.code.as_str()) { (e.message) }
        p { a href="/admin" { "Back to the queue" } }
    };
    let mut res = page(status, admin_page("Refused", None, "", main));
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
    let main = html! {
        @if unconfigured {
            p class="note" {
                "No moderator is configured yet. Make a password hash with "
                code { "comments-server hash-password" } " and add it under "
                code { "[[moderation.moderators]]" } " (see the README)."
            }
        }
        @if let Some((code, message)) = error {
            p class="error" role="alert" data-code=(code.as_str()) { (message) }
        }
        form method="post" action="/admin/login" class="login" {
            label { "Name " input name="name" autocomplete="username" required autofocus; }
            label {
                "Password "
                input name="password" type="password" autocomplete="current-password" required;
            }
            button type="submit" { "Sign in" }
        }
    };
    page(status, admin_page("Sign in", None, "", main))
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
    if let Err(e) = app.login_limiter.admit_everywhere(&app, &client).await {
        if e.code != ErrorCode::RateLimited {
            return error_page(&e);
        }
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

/// Where a row's buttons go: a form that posts them without script (with
/// the session's CSRF token and the page to come back to), or, on a mail
/// link's page, a hidden form that posts nothing.
#[derive(Clone, Copy)]
pub enum RowActions<'a> {
    Form { csrf: &'a str, back: &'a str },
    Hidden,
}

/// The article the comment was posted under, after its thread: a link to
/// the page if it has a URL.
fn row_title(item: &ModerationItem) -> Markup {
    html! {
        @if !item.page_title.is_empty() {
            " · "
            @if item.page_url.is_empty() {
                span class="title" { (item.page_title) }
            } @else {
                a class="title" href=(item.page_url) rel="noopener noreferrer nofollow"
                    target="_blank" { (item.page_title) }
            }
        }
    }
}

/// A reader key's hash as rows show it: its first 8 characters.
fn short_key(key: &str) -> &str {
    key.get(..8).unwrap_or(key)
}

/// What moderators know of the author: their earlier decisions and reader
/// key, or that they are new.
fn row_history(item: &ModerationItem) -> Markup {
    if item.author_key.is_empty() {
        return html! { span class="history" { "first seen" } };
    }
    let key = &item.author_key;
    let short = short_key(key);
    html! {
        span class="history" title="This reader's other comments" {
            (item.author_approved) " approved · " (item.author_rejected) " rejected before"
        }
        " "
        span class="reader"
            title={ "Reader key, for `comments-server moderate purge-author`: " (key) } {
            a href={ "/admin/reader?key=" (query_value(key)) } { "reader " (short) }
        }
        @if !item.note.is_empty() {
            " "
            span class="note" title="The moderators' private note on this reader" {
                "Note: " (item.note)
            }
        }
    }
}

/// A row's buttons, by the comment's status, with their keyboard keys.
fn row_buttons(status: Disposition) -> Markup {
    html! {
        @for (to, label, key) in actions(status) {
            button name="to" value=(to.as_str()) class={ "act-" (to.as_str()) }
                aria-keyshortcuts=[(!key.is_empty()).then_some(key)] { (label) }
        }
    }
}

/// A row's form: the buttons, posted to `/admin/decide` without script, or
/// hidden.
fn row_form(item: &ModerationItem, acts: RowActions) -> Markup {
    match acts {
        RowActions::Form { csrf, back } => html! {
            form method="post" action="/admin/decide" class="acts" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="id" value=(item.id);
                input type="hidden" name="back" value=(back);
                (row_buttons(item.status))
            }
            // A published comment: feature it, or answer it as staff.
            @if item.status == Disposition::Approved {
                form method="post" action="/admin/staff" class="staff-acts" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="id" value=(item.id);
                    input type="hidden" name="back" value=(back);
                    @if item.featured {
                        span class="featured" { "Editor's pick" } " "
                        button name="act" value="unfeature" { "Unfeature" }
                    } @else {
                        button name="act" value="feature" { "Feature" }
                    }
                    details class="staff-reply" {
                        summary { "Reply as staff" }
                        label { "Your reply, published at once with your label"
                            textarea name="body" rows="3" maxlength=(comments_api::limits::BODY_MAX_CHARS) {}
                        }
                        button name="act" value="reply" { "Publish reply" }
                    }
                }
            }
            // The reader, rather than the comment: ban them, or reject
            // everything of theirs that waits.
            @if !item.author_key.is_empty() || item.status == Disposition::Pending {
                form method="post" action="/admin/reader" class="reader-acts" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="id" value=(item.id);
                    input type="hidden" name="back" value=(back);
                    label { "Ban this reader "
                        select name="days" {
                            option value="1" { "for a day" }
                            option value="7" selected { "for a week" }
                            option value="30" { "for a month" }
                            option value="0" { "for good" }
                        }
                    }
                    " " button name="act" value="ban" { "Ban" }
                    " " button name="act" value="reject-pending" { "Reject all their pending" }
                }
            }
        },
        RowActions::Hidden => html! {
            form hidden { (row_buttons(item.status)) }
        },
    }
}

/// One comment as an `<article>`: context, author and history, text (as
/// text), signals, and its buttons in a form that also works without script.
pub fn row(item: &ModerationItem, now: i64, acts: RowActions) -> Markup {
    let iso = iso_utc(item.created_at);
    html! {
        article class="item" id={ "c-" (item.id) } data-id=(item.id)
            data-status=(item.status.as_str()) tabindex="-1" {
            div class="where" {
                input type="checkbox" class="pick" aria-label={ "Select comment " (item.id) };
                a href={ "/admin/thread?key=" (query_value(&item.thread)) } class="thread" {
                    (item.thread)
                }
                (row_title(item))
            }
            div class="who" {
                strong class="author" { (item.author) } " "
                time datetime=(iso) title=(iso) { (age(item.created_at, now)) } " "
                (row_history(item)) " "
                @for flag in &item.flags {
                    span class="flag" { (flag.replace('_', " ")) }
                }
                @if !item.words.is_empty() {
                    " " span class="words" { "Listed words: " @for (i, w) in item.words.iter().enumerate() {
                        @if i > 0 { ", " } mark { (w) }
                    } }
                }
            }
            @if let Some(parent) = &item.parent {
                blockquote class="parent" {
                    @if parent.body.is_empty() {
                        "In reply to a comment that no longer exists."
                    } @else {
                        div class="who" { "In reply to " strong { (parent.author) } }
                        div class="body" { (SanitizedHtml::comment(parent.id, &parent.body)) }
                    }
                }
            }
            div class="body" { (SanitizedHtml::comment(item.id, &item.body)) }
            details class="source" {
                summary { "Source" }
                pre { (item.body) }
            }
            (row_form(item, acts))
        }
    }
}

/// The rows of a list, or `empty` if it has none.
fn rows(items: &[ModerationItem], csrf: &str, back: &str, empty: &str) -> Markup {
    if items.is_empty() {
        return html! { p class="empty" { (empty) } };
    }
    let now = clock::now_ms();
    let acts = RowActions::Form { csrf, back };
    html! {
        div class="items" { @for item in items { (row(item, now, acts)) } }
    }
}

/// The bulk toolbar (shown by the script), its toast, and the keyboard help.
fn toolbar() -> Markup {
    html! {
        div class="toolbar" hidden {
            label { input type="checkbox" class="pick-all"; " All" }
            button class="bulk" data-to="approved" { "Approve selected" }
            button class="bulk" data-to="rejected" { "Reject selected" }
            button class="keys" aria-keyshortcuts="?" { "Keys (?)" }
        }
        div class="toast" role="status" aria-live="polite" {}
        dialog class="help" {
            h2 { "Keyboard" }
            dl {
                @for (keys, what) in KEYS {
                    dt { (keys) } dd { (what) }
                }
            }
            form method="dialog" { button { "Close" } }
        }
    }
}

/// The keyboard help's entries.
const KEYS: [(&str, &str); 7] = [
    ("j / k", "next / previous comment"),
    ("a", "approve"),
    ("r", "reject (unpublish)"),
    ("#", "delete"),
    ("x", "select"),
    ("u", "undo the last action"),
    ("?", "this help"),
];

/// Start of the current day, UTC.
fn today_start(now: i64) -> i64 {
    now - now.rem_euclid(86_400_000)
}

/// The queue's counts: pending, and decided today.
fn counts_line(counts: &Counts) -> Markup {
    html! {
        p class="counts" {
            span class="n-pending" { (counts.pending) " pending" } " · "
            span class="n-approved" { (counts.approved_since) " approved today" } " · "
            span class="n-rejected" { (counts.rejected_since) " rejected today" } " "
            small { "(UTC)" }
            @if counts.reported > 0 {
                " · " a class="n-reported" href="/admin/reported" { (counts.reported) " reported" }
            }
        }
    }
}

/// The queue page: counts, its filter, toolbar, and the pending comments.
fn queue_page(
    who: &Moderator,
    counts: &Counts,
    items: &[ModerationItem],
    back: &str,
    filter: Markup,
) -> Markup {
    let main = html! {
        (counts_line(counts))
        (filter)
        (toolbar())
        (rows(items, &who.csrf, back, "Nothing awaits moderation."))
    };
    admin_page(
        "Moderation queue",
        Some(("queue", &who.name)),
        &who.csrf,
        main,
    )
}

#[derive(Deserialize)]
pub struct QueueFilter {
    section: Option<String>,
    site: Option<String>,
}

/// The queue's filter: a section (thread-key prefix) and a site.
fn queue_filter(section: Option<&str>, site: Option<&str>) -> Markup {
    html! {
        form class="search" method="get" action="/admin" role="search" {
            label { "Section " input name="section" placeholder="sport/" value=(section.unwrap_or("")); }
            label { "Site " input name="site" placeholder="https://news.example" value=(site.unwrap_or("")); }
            button { "Filter" }
        }
    }
}

/// `GET /admin?section=…&site=…`: the queue, oldest first, of one desk if asked.
pub async fn queue(
    State(app): State<AppState>,
    Signed(who): Signed,
    filter: Result<Query<QueueFilter>, QueryRejection>,
) -> Result<Response, PageError> {
    let Query(f) = filter.map_err(|e| AppError::new(ErrorCode::InvalidParameter, e.body_text()))?;
    let (section, site) = moderation::section_and_site(f.section, f.site)?;
    let query = QueueQuery {
        status: Disposition::Pending,
        thread: None,
        author: None,
        section: section.clone(),
        site: site.clone(),
        newest_first: false,
        limit: VIEW_LIMIT,
    };
    let mut items = app.store.queue(&query).await?;
    app.words.annotate(&mut items);
    let counts = app.store.counts(today_start(clock::now_ms())).await?;
    let back = format!(
        "/admin?section={}&site={}",
        query_value(section.as_deref().unwrap_or("")),
        query_value(site.as_deref().unwrap_or(""))
    );
    let filter = queue_filter(section.as_deref(), site.as_deref());
    Ok(page(
        StatusCode::OK,
        queue_page(&who, &counts, &items, &back, filter),
    ))
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    thread: Option<String>,
    author: Option<String>,
    section: Option<String>,
    site: Option<String>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// What a list is searched by: thread, author, section and site.
struct Search<'a> {
    thread: Option<&'a str>,
    author: Option<&'a str>,
    section: Option<&'a str>,
    site: Option<&'a str>,
}

/// The search of a list, filled in with the current one.
fn search_form(status: Disposition, q: &Search) -> Markup {
    html! {
        form class="search" method="get" action="/admin/comments" role="search" {
            input type="hidden" name="status" value=(status.as_str());
            label { "Thread " input name="thread" value=(q.thread.unwrap_or("")); }
            label { "Author " input name="author" value=(q.author.unwrap_or("")); }
            label { "Section " input name="section" placeholder="sport/" value=(q.section.unwrap_or("")); }
            label { "Site " input name="site" placeholder="https://news.example" value=(q.site.unwrap_or("")); }
            button { "Search" }
        }
    }
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
    let (section, site) = moderation::section_and_site(q.section, q.site)?;
    let query = QueueQuery {
        status,
        thread: thread.clone(),
        author: author.clone(),
        section: section.clone(),
        site: site.clone(),
        newest_first: true,
        limit: VIEW_LIMIT,
    };
    let mut items = app.store.queue(&query).await?;
    app.words.annotate(&mut items);
    let (heading, nav) = match status {
        Disposition::Rejected => ("Rejected comments", "rejected"),
        Disposition::Deleted => ("Deleted comments (kept one day)", "deleted"),
        _ => ("Published comments", "approved"),
    };
    let back = format!(
        "/admin/comments?status={}&thread={}&author={}&section={}&site={}",
        status.as_str(),
        query_value(thread.as_deref().unwrap_or("")),
        query_value(author.as_deref().unwrap_or("")),
        query_value(section.as_deref().unwrap_or("")),
        query_value(site.as_deref().unwrap_or(""))
    );
    let search = Search {
        thread: thread.as_deref(),
        author: author.as_deref(),
        section: section.as_deref(),
        site: site.as_deref(),
    };
    let main = html! {
        (search_form(status, &search))
        (toolbar())
        (rows(&items, &who.csrf, &back, "No comment matches."))
    };
    Ok(page(
        StatusCode::OK,
        admin_page(heading, Some((nav, &who.name)), &who.csrf, main),
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
    let mut sections = Vec::new();
    for (status, heading) in [
        (Disposition::Pending, "Pending"),
        (Disposition::Approved, "Published"),
        (Disposition::Rejected, "Rejected"),
    ] {
        let query = QueueQuery {
            status,
            thread: Some(q.key.clone()),
            author: None,
            section: None,
            site: None,
            newest_first: false,
            limit: VIEW_LIMIT,
        };
        let mut items = app.store.queue(&query).await?;
        app.words.annotate(&mut items);
        sections.push(html! {
            section {
                h2 { (heading) " (" (items.len()) ")" }
                (rows(&items, &who.csrf, &back, "None."))
            }
        });
    }
    let own_mode = app
        .store
        .modes()
        .await?
        .into_iter()
        .find(|r| r.pattern == q.key)
        .map(|r| r.mode);
    let closing = match comments_api::ThreadKey::parse(&q.key) {
        Ok(key) => Some(app.store.closing(&key).await?),
        Err(_) => None,
    };
    let days = app.config.moderation.auto_close_days;
    let now = clock::now_ms();
    let state_line = closing.map(|c| {
        let at = threads::closes_at(&c, days);
        let word = match (c.state.map(|(s, _)| s), at) {
            (Some(ThreadState::Closed), _) => "closed by a moderator".to_string(),
            (Some(ThreadState::Open), _) => "open (reopened by a moderator)".to_string(),
            (None, Some(at)) if now >= at => {
                format!("closed automatically, {days} days after its first comment")
            }
            (None, Some(at)) => format!("open; closes automatically on {}", iso_utc(at)),
            (None, None) => "open".to_string(),
        };
        (word, c.state.map(|(s, _)| s))
    });
    let main = html! {
        (toolbar())
        p class="thread-key" { "Thread " code { (q.key) } }
        @if let Some((word, state)) = &state_line {
            form method="post" action="/admin/thread/state" class="search" {
                input type="hidden" name="csrf" value=(who.csrf);
                input type="hidden" name="key" value=(q.key);
                span class="thread-state" { "Comments: " strong { (word) } } " "
                label { "Set to "
                    select name="state" {
                        @for (value, label) in [("automatic", "automatic"), ("closed", "closed"), ("open", "open")] {
                            option value=(value) selected[state.map_or("automatic", ThreadState::as_str) == value] { (label) }
                        }
                    }
                }
                " " button { "Set" }
            }
        }
        form method="post" action="/admin/modes" class="search" {
            input type="hidden" name="csrf" value=(who.csrf);
            input type="hidden" name="pattern" value=(q.key);
            input type="hidden" name="back" value=(back);
            label { "This thread's moderation " (mode_select(own_mode)) }
            button { "Set" }
        }
        @for section in &sections { (section) }
    };
    Ok(page(
        StatusCode::OK,
        admin_page("Thread", Some(("thread", &who.name)), &who.csrf, main),
    ))
}

/// One audit entry: when, who, what, the comment (linked in its thread), the change.
fn audit_row(e: &AuditEntry, now: i64) -> Markup {
    let iso = iso_utc(e.at);
    html! {
        tr {
            td { time datetime=(iso) title=(iso) { (age(e.at, now)) } }
            td { (e.actor) }
            td { (e.action) }
            td {
                @if let Some(id) = e.comment_id {
                    a href={ "/admin/thread?key=" (query_value(&e.thread)) "#c-" (id) } { "#" (id) }
                }
            }
            td { (e.detail) }
        }
    }
}

/// `GET /admin/audit`: who did what, newest first.
pub async fn audit(
    State(app): State<AppState>,
    Signed(who): Signed,
) -> Result<Response, PageError> {
    let entries = app.store.audit(500).await?;
    let now = clock::now_ms();
    let main = html! {
        table class="audit" {
            thead {
                tr { th { "When" } th { "Who" } th { "Action" } th { "Comment" } th { "Change" } }
            }
            tbody { @for e in &entries { (audit_row(e, now)) } }
        }
    };
    Ok(page(
        StatusCode::OK,
        admin_page("Audit log", Some(("audit", &who.name)), &who.csrf, main),
    ))
}

#[derive(Deserialize)]
pub struct ReaderForm {
    #[serde(default)]
    csrf: String,
    id: i64,
    act: String,
    #[serde(default)]
    days: u32,
    #[serde(default)]
    back: String,
}

/// Only back to our own pages.
fn back_to(back: &str) -> &str {
    if back.starts_with("/admin") && !back.starts_with("//") {
        back
    } else {
        "/admin"
    }
}

/// `POST /admin/reader`: ban a comment's reader (days 0: for good), or
/// reject all their pending comments; back to the list.
pub async fn reader_form(
    State(app): State<AppState>,
    Signed(who): Signed,
    headers: HeaderMap,
    form: Result<Form<ReaderForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(form) =
        form.map_err(|_| AppError::new(ErrorCode::InvalidParameter, "Incomplete form."))?;
    who.check(&app, &headers, Some(&form.csrf))?;
    match form.act.as_str() {
        "ban" => {
            let days = Some(form.days).filter(|d| *d > 0);
            moderation::ban(&app, form.id, days, &who.name).await?;
        }
        "reject-pending" => {
            moderation::reject_pending_of_reader(&app, form.id, &who.name).await?;
        }
        _ => return Err(AppError::new(ErrorCode::InvalidParameter, "Unknown action.").into()),
    }
    Ok(see_other(back_to(&form.back)))
}

#[derive(Deserialize)]
pub struct ReaderQuery {
    key: String,
}

/// `GET /admin/reader?key=…`: one reader's comments, every status, newest
/// first, and the moderators' private note on them, which they edit here.
pub async fn reader_page(
    State(app): State<AppState>,
    Signed(who): Signed,
    query: Result<Query<ReaderQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let Query(q) = query.map_err(|e| AppError::new(ErrorCode::InvalidParameter, e.body_text()))?;
    let items = app.store.reader_history(&q.key, VIEW_LIMIT).await?;
    if items.is_empty() {
        return Err(
            AppError::new(ErrorCode::NotFound, "No comment here has this reader key.").into(),
        );
    }
    let note = app.store.note(&q.key).await?;
    let now = clock::now_ms();
    let back = format!("/admin/reader?key={}", query_value(&q.key));
    let short = short_key(&q.key);
    let main = html! {
        section class="note-edit" aria-labelledby="note-h" {
            h2 id="note-h" { "Private note" }
            p class="hint" { "Moderators see it beside this reader's comments; readers never do." }
            @if let Some(n) = &note {
                p class="noted" { "Last written by " (n.actor) ", "
                    time datetime=(iso_utc(n.updated_at)) { (age(n.updated_at, now)) } "." }
            }
            form method="post" action="/admin/reader/note" {
                input type="hidden" name="csrf" value=(who.csrf);
                input type="hidden" name="key" value=(q.key);
                label { "Note (empty removes it)"
                    textarea name="note" rows="2" maxlength=(newsroom::NOTE_MAX_CHARS) {
                        (note.as_ref().map_or("", |n| n.note.as_str()))
                    }
                }
                button { "Save note" }
            }
        }
        h2 { "Comments" }
        (toolbar())
        (rows(&items, &who.csrf, &back, ""))
    };
    Ok(page(
        StatusCode::OK,
        admin_page(
            &format!("Reader {short}"),
            Some(("", &who.name)),
            &who.csrf,
            main,
        ),
    ))
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    csrf: String,
    key: String,
    #[serde(default)]
    note: String,
}

/// `POST /admin/reader/note`: writes, or with an empty one removes, the
/// private note; back to the reader's page.
pub async fn note_form(
    State(app): State<AppState>,
    Signed(who): Signed,
    headers: HeaderMap,
    form: Result<Form<NoteForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(form) =
        form.map_err(|_| AppError::new(ErrorCode::InvalidParameter, "Incomplete form."))?;
    who.check(&app, &headers, Some(&form.csrf))?;
    newsroom::set_note(&app, &form.key, &form.note, &who.name).await?;
    Ok(see_other(&format!(
        "/admin/reader?key={}",
        query_value(&form.key)
    )))
}

/// `GET /admin/bans`: the bans in force, each with its Lift button.
pub async fn bans(State(app): State<AppState>, Signed(who): Signed) -> Result<Response, PageError> {
    let now = clock::now_ms();
    let bans = app.store.bans(now).await?;
    let main = html! {
        @if bans.is_empty() {
            p class="empty" { "No reader is banned." }
        } @else {
            table class="audit bans" {
                thead { tr { th { "Reader" } th { "Since" } th { "Until" } th { "By" } th { "" } } }
                tbody {
                    @for b in &bans {
                        tr {
                            td {
                                strong { (b.author) } " "
                                a href={ "/admin/comments?status=rejected#c-" (b.comment_id) } { "#" (b.comment_id) }
                                @if b.network { " and their network" }
                            }
                            td { time datetime=(iso_utc(b.created_at)) { (age(b.created_at, now)) } }
                            td { @match b.expires_at {
                                Some(at) => time datetime=(iso_utc(at)) { (iso_utc(at)) },
                                None => "for good",
                            } }
                            td { (b.actor) }
                            td {
                                form method="post" action="/admin/bans/lift" {
                                    input type="hidden" name="csrf" value=(who.csrf);
                                    input type="hidden" name="id" value=(b.id);
                                    button { "Lift" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(
        StatusCode::OK,
        admin_page("Bans", Some(("bans", &who.name)), &who.csrf, main),
    ))
}

/// A mode picker, `current` selected (`None`: the default).
fn mode_select(current: Option<Mode>) -> Markup {
    html! {
        select name="mode" {
            @for (value, label) in [
                ("default", "default"),
                ("pre", "pre: every comment waits"),
                ("trusted", "trusted: the trust rule applies"),
                ("post", "post: published at once"),
            ] {
                option value=(value) selected[current.map_or("default", Mode::as_str) == value] { (label) }
            }
        }
    }
}

/// `GET /admin/modes`: the threads and sections with a mode of their own.
pub async fn modes(
    State(app): State<AppState>,
    Signed(who): Signed,
) -> Result<Response, PageError> {
    let rules = app.store.modes().await?;
    let now = clock::now_ms();
    let main = html! {
        p { "Without a rule, every comment waits for a moderator"
            @if app.config.moderation.trust_after > 0 { ", but for the trust rule's readers" } "." }
        @if !rules.is_empty() {
            table class="audit modes" {
                thead { tr { th { "Thread or section" } th { "Mode" } th { "Set" } th { "" } } }
                tbody {
                    @for r in &rules {
                        tr {
                            td { code { (r.pattern) } }
                            td { (r.mode.as_str()) }
                            td { (r.actor) ", " time datetime=(iso_utc(r.set_at)) { (age(r.set_at, now)) } }
                            td {
                                form method="post" action="/admin/modes" {
                                    input type="hidden" name="csrf" value=(who.csrf);
                                    input type="hidden" name="pattern" value=(r.pattern);
                                    input type="hidden" name="mode" value="default";
                                    button { "Remove" }
                                }
                            }
                        }
                    }
                }
            }
        }
        form method="post" action="/admin/modes" class="search" {
            input type="hidden" name="csrf" value=(who.csrf);
            label { "Thread or section " input name="pattern" placeholder="sport/*" required; }
            label { "Mode " (mode_select(None)) }
            button { "Set" }
        }
    };
    Ok(page(
        StatusCode::OK,
        admin_page(
            "Moderation modes",
            Some(("modes", &who.name)),
            &who.csrf,
            main,
        ),
    ))
}

#[derive(Deserialize)]
pub struct ModeForm {
    #[serde(default)]
    csrf: String,
    pattern: String,
    mode: String,
    #[serde(default)]
    back: String,
}

/// `POST /admin/modes`: sets (or, with `default`, removes) a rule.
pub async fn mode_form(
    State(app): State<AppState>,
    Signed(who): Signed,
    headers: HeaderMap,
    form: Result<Form<ModeForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(form) =
        form.map_err(|_| AppError::new(ErrorCode::InvalidParameter, "Incomplete form."))?;
    who.check(&app, &headers, Some(&form.csrf))?;
    let pattern = moderation::mode_pattern(&form.pattern)?;
    let mode = moderation::mode_named(&form.mode)?;
    app.store.set_mode(&pattern, mode, &who.name).await?;
    let back = if form.back.is_empty() {
        "/admin/modes"
    } else {
        back_to(&form.back)
    };
    Ok(see_other(back))
}

#[derive(Deserialize)]
pub struct ThreadStateForm {
    #[serde(default)]
    csrf: String,
    key: String,
    state: String,
}

/// `POST /admin/thread/state`: closes, reopens, or hands a thread back to the rule.
pub async fn thread_state_form(
    State(app): State<AppState>,
    Signed(who): Signed,
    headers: HeaderMap,
    form: Result<Form<ThreadStateForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(form) =
        form.map_err(|_| AppError::new(ErrorCode::InvalidParameter, "Incomplete form."))?;
    who.check(&app, &headers, Some(&form.csrf))?;
    let thread = comments_api::ThreadKey::parse(&form.key).map_err(AppError::from)?;
    let state = newsroom::state_named(&form.state)?;
    newsroom::set_state(&app, &thread, state, &who.name).await?;
    Ok(see_other(&format!(
        "/admin/thread?key={}",
        query_value(thread.as_str())
    )))
}

#[derive(Deserialize)]
pub struct StaffForm {
    #[serde(default)]
    csrf: String,
    id: i64,
    act: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    back: String,
}

/// `POST /admin/staff`: feature or unfeature a published comment, or
/// publish a staff reply to it under the moderator's label.
pub async fn staff_form(
    State(app): State<AppState>,
    Signed(who): Signed,
    headers: HeaderMap,
    form: Result<Form<StaffForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(form) =
        form.map_err(|_| AppError::new(ErrorCode::InvalidParameter, "Incomplete form."))?;
    who.check(&app, &headers, Some(&form.csrf))?;
    match form.act.as_str() {
        "feature" => newsroom::feature(&app, form.id, true, &who.name).await?,
        "unfeature" => newsroom::feature(&app, form.id, false, &who.name).await?,
        "reply" => {
            let label = app.config.staff_label(&who.name);
            newsroom::staff_reply(&app, form.id, &form.body, &who.name, label).await?;
        }
        _ => {
            return Err(AppError::new(
                ErrorCode::InvalidParameter,
                "act must be feature, unfeature or reply.",
            )
            .into());
        }
    }
    Ok(see_other(back_to(&form.back)))
}

/// A reason as moderators read it.
fn reason_words(reason: &str) -> &'static str {
    match comments_api::ReportReason::parse(reason) {
        Some(comments_api::ReportReason::Spam) => "spam",
        Some(comments_api::ReportReason::Abuse) => "abuse",
        Some(comments_api::ReportReason::OffTopic) => "off-topic",
        Some(comments_api::ReportReason::Illegal) => "illegal content",
        None => "other",
    }
}

/// One reported comment: its reports (count, reasons, explanations), the
/// comment as a row with its usual buttons, and "dismiss the reports".
fn reported_item(r: &ReportedItem, now: i64, csrf: &str) -> Markup {
    let n = r.reports.len();
    html! {
        section class="reported" aria-label={ "Reports on comment " (r.comment.id) } {
            div class="reports" {
                strong { (n) " report" @if n != 1 { "s" } }
                @if r.hidden { " · " span class="flag" { "hidden pending review" } }
                ul {
                    @for e in &r.reports {
                        li {
                            span class="reason" { (reason_words(&e.reason)) } " · "
                            time datetime=(iso_utc(e.created_at)) { (age(e.created_at, now)) }
                            @if !e.explanation.is_empty() {
                                blockquote class="explanation" { (e.explanation) }
                            }
                        }
                    }
                }
                form method="post" action="/admin/reported" class="dismiss" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="id" value=(r.comment.id);
                    button name="act" value="dismiss" {
                        @if r.hidden { "Dismiss the reports and publish again" }
                        @else { "Dismiss the reports (keep it published)" }
                    }
                }
            }
            (row(&r.comment, now, RowActions::Form { csrf, back: "/admin/reported" }))
        }
    }
}

/// `GET /admin/reported`: comments readers reported, the oldest report
/// first: unpublish one with its row's button, or dismiss its reports.
pub async fn reported(
    State(app): State<AppState>,
    Signed(who): Signed,
) -> Result<Response, PageError> {
    let mut items = app.store.reported(newsroom::REPORTED_LIMIT).await?;
    for r in &mut items {
        app.words.annotate(std::slice::from_mut(&mut r.comment));
    }
    let now = clock::now_ms();
    let main = html! {
        @if items.is_empty() {
            p class="empty" { "No comment awaits review after readers' reports." }
        } @else {
            div class="items" { @for r in &items { (reported_item(r, now, &who.csrf)) } }
        }
    };
    Ok(page(
        StatusCode::OK,
        admin_page(
            "Reported comments",
            Some(("reported", &who.name)),
            &who.csrf,
            main,
        ),
    ))
}

#[derive(Deserialize)]
pub struct ReportedForm {
    #[serde(default)]
    csrf: String,
    id: i64,
    act: String,
}

/// `POST /admin/reported`: dismiss a comment's reports.
pub async fn reported_form(
    State(app): State<AppState>,
    Signed(who): Signed,
    headers: HeaderMap,
    form: Result<Form<ReportedForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(form) =
        form.map_err(|_| AppError::new(ErrorCode::InvalidParameter, "Incomplete form."))?;
    who.check(&app, &headers, Some(&form.csrf))?;
    if form.act != "dismiss" {
        return Err(AppError::new(ErrorCode::InvalidParameter, "act must be dismiss.").into());
    }
    newsroom::dismiss_reports(&app, form.id, &who.name).await?;
    Ok(see_other("/admin/reported"))
}

#[derive(Deserialize)]
pub struct LiftForm {
    #[serde(default)]
    csrf: String,
    id: i64,
}

/// `POST /admin/bans/lift`
pub async fn lift_form(
    State(app): State<AppState>,
    Signed(who): Signed,
    headers: HeaderMap,
    form: Result<Form<LiftForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(form) =
        form.map_err(|_| AppError::new(ErrorCode::InvalidParameter, "Incomplete form."))?;
    who.check(&app, &headers, Some(&form.csrf))?;
    app.store.lift_ban(form.id, &who.name).await?;
    Ok(see_other("/admin/bans"))
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
    Ok(see_other(back_to(&form.back)))
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
        Ok(Some(mut item)) => {
            app.words.annotate(std::slice::from_mut(&mut item));
            item
        }
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
    let question = html! {
        @match outcome {
            Some(text) => p class="outcome" role="status" { (text) },
            None if item.status != Disposition::Pending => p class="outcome" {
                "This comment is already " (item.status.as_str()) "."
            },
            None => form method="post" class="confirm" {
                button class={ "act-" (link.to.as_str()) } { (verb) " this comment" }
            },
        }
    };
    let main = html! {
        (question)
        div class="items" { (row(&item, clock::now_ms(), RowActions::Hidden)) }
        p { a href="/admin" { "Open the queue" } }
    };
    page(
        StatusCode::OK,
        admin_page(&format!("{verb}?"), None, "", main),
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
        include_str!("../../../admin/admin.js"),
    )
}

/// `GET /admin/admin.css`
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../../admin/admin.css"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const XSS: &str = "<script>alert(1)</script>\"'&";

    fn item() -> ModerationItem {
        ModerationItem {
            id: 7,
            thread: format!("t{XSS}"),
            page_title: format!("Title {XSS}"),
            page_url: "https://news.example/?q=\"><script>alert(2)</script>".into(),
            author: format!("Ana {XSS}"),
            author_key: format!("{XSS}{XSS}"),
            body: format!("Hi {XSS} https://a.example/{XSS}"),
            status: Disposition::Pending,
            created_at: 1_700_000_000_000,
            decided_at: None,
            flags: vec![format!("many_links{XSS}")],
            author_approved: 1,
            author_rejected: 2,
            words: Vec::new(),
            parent: None,
            staff: String::new(),
            featured: false,
            note: format!("warned {XSS}"),
        }
    }

    #[test]
    fn the_queue_page_shows_reader_and_moderator_text_only_as_text() {
        let who = Moderator {
            name: format!("Bob {XSS}"),
            csrf: format!("c{XSS}"),
            session_hash: String::new(),
        };
        let counts = Counts {
            pending: 1,
            approved_since: 0,
            rejected_since: 0,
            reported: 0,
        };
        let page =
            queue_page(&who, &counts, &[item()], "/admin", queue_filter(None, None)).into_string();
        // The page's own script tag is the only one.
        assert_eq!(page.matches("<script").count(), 1, "{page}");
        assert!(page.contains("<script type=\"module\" src=\"/admin/admin.js\"></script>"));
        assert!(!page.contains("<script>alert"), "{page}");
        let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;'&amp;";
        for (what, needle) in [
            (
                "author",
                format!("<strong class=\"author\">Ana {escaped}</strong>"),
            ),
            ("thread key", format!("class=\"thread\">t{escaped}</a>")),
            (
                "thread link",
                "/admin/thread?key=t%3Cscript%3Ealert%281%29".to_string(),
            ),
            (
                "page title",
                format!("target=\"_blank\">Title {escaped}</a>"),
            ),
            (
                "page URL",
                "href=\"https://news.example/?q=&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;\""
                    .to_string(),
            ),
            (
                "flag",
                format!("<span class=\"flag\">many links{escaped}</span>"),
            ),
            ("moderator", format!("<span>Bob {escaped}</span>")),
            (
                "csrf meta",
                format!("name=\"csrf-token\" content=\"c{escaped}\""),
            ),
            ("csrf field", format!("name=\"csrf\" value=\"c{escaped}\"")),
            (
                "reader key",
                "\">reader &lt;script&gt;</a></span>".to_string(),
            ),
            (
                "note",
                format!(
                    "<span class=\"note\" title=\"The moderators' private note on this reader\">Note: warned {escaped}</span>"
                ),
            ),
            // The body is rendered Markdown (ammonia leaves quotes as they
            // are in text), its source escaped text one click away.
            (
                "body",
                "<div class=\"body\"><p>Hi &lt;script&gt;alert(1)&lt;/script&gt;\"'&amp; \
                 <a href=\"https://a.example/\" target=\"_blank\" \
                 rel=\"nofollow ugc noopener noreferrer\">https://a.example/</a>"
                    .to_string(),
            ),
            (
                "source",
                format!(
                    "<details class=\"source\"><summary>Source</summary>\
                     <pre>Hi {escaped} https://a.example/{escaped}</pre></details>"
                ),
            ),
        ] {
            assert!(page.contains(&needle), "{what}: {needle} in {page}");
        }
    }

    #[test]
    fn listed_words_are_marked_in_the_row() {
        let listed = ModerationItem {
            words: vec!["imbécile".into(), "<b>x</b>".into()],
            ..item()
        };
        let html = row(&listed, 0, RowActions::Hidden).into_string();
        assert!(
            html.contains(
                "<span class=\"words\">Listed words: <mark>imbécile</mark>, <mark>&lt;b&gt;x&lt;/b&gt;</mark></span>"
            ),
            "{html}"
        );
        assert!(
            !row(&item(), 0, RowActions::Hidden)
                .into_string()
                .contains("Listed words")
        );
    }

    #[test]
    fn a_mail_link_row_has_no_working_form() {
        let html = row(&item(), 0, RowActions::Hidden).into_string();
        assert!(html.contains("<form hidden><button name=\"to\" value=\"approved\""));
        assert!(!html.contains("action="), "{html}");
        let html = row(
            &item(),
            0,
            RowActions::Form {
                csrf: "t",
                back: "/admin",
            },
        )
        .into_string();
        assert!(html.contains(
            "<form method=\"post\" action=\"/admin/decide\" class=\"acts\">\
             <input type=\"hidden\" name=\"csrf\" value=\"t\">\
             <input type=\"hidden\" name=\"id\" value=\"7\">\
             <input type=\"hidden\" name=\"back\" value=\"/admin\">"
        ));
    }

    #[test]
    fn a_reply_shows_the_comment_it_answers() {
        use crate::store::ParentText;
        let mut reply = item();
        reply.parent = Some(ParentText {
            id: 3,
            author: format!("Bea {XSS}"),
            body: format!("Parent *text* {XSS}"),
        });
        let html = row(&reply, 0, RowActions::Hidden).into_string();
        let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;'&amp;";
        assert!(
            html.contains(&format!(
                "<blockquote class=\"parent\"><div class=\"who\">In reply to <strong>Bea {escaped}</strong></div>\
                 <div class=\"body\"><p>Parent <em>text</em> &lt;script&gt;"
            )),
            "{html}"
        );
        reply.parent = Some(ParentText {
            id: 3,
            author: String::new(),
            body: String::new(),
        });
        let html = row(&reply, 0, RowActions::Hidden).into_string();
        assert!(html.contains("In reply to a comment that no longer exists."));
        assert!(
            !row(&item(), 0, RowActions::Hidden)
                .into_string()
                .contains("class=\"parent\"")
        );
    }
}
