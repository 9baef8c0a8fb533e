//! `GET /threads/{thread}`: a thread's approved comments as a plain HTML
//! page, for readers without JavaScript and for links from the embed
//! snippet's fallback. No script, our own strict policy, 50 comments a page,
//! oldest first, and `noindex` unless `sites.index_thread_pages` is set.

use crate::http::error::AppError;
use crate::http::html::{SanitizedHtml, iso_utc, page};
use crate::http::limiter::Client;
use crate::http::state::AppState;
use crate::store::PublicComment;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use comments_api::{ErrorCode, ThreadKey};
use maud::{Markup, html};
use serde::Deserialize;

/// Comments per page.
pub const PER_PAGE: usize = 50;

/// What the page allows: its stylesheet, nothing else.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'none'; \
    form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

/// The page's look, served at `/threads.css`.
pub const STYLESHEET: &str = "body{font:17px/1.6 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#222;background:#fff}\
@media(prefers-color-scheme:dark){body{color:#eee;background:#161616}a{color:#8ab4f8}}\
ol{list-style:none;padding:0}li{border-top:1px solid #8884;padding:.8rem 0}\
.who{font-size:.9rem;opacity:.8}.body p{margin:.3rem 0}blockquote{border-left:3px solid #8888;margin:.3rem 0;padding-left:.7rem}\
pre{overflow:auto}nav{display:flex;gap:1rem;margin:1rem 0}\
.staff,.pick{font-size:.8rem;font-weight:650;border:1px solid currentColor;border-radius:999px;padding:0 .5em}\
.report-link{font-size:.85rem}\
fieldset{border:0;padding:0;margin:1rem 0}legend{font-weight:650;margin-bottom:.3rem}.choice{display:block;padding:.15rem 0}\
textarea{display:block;width:100%;box-sizing:border-box;font:inherit;margin:.3rem 0}button{font:inherit;padding:.35rem 1rem}\
.error{color:#b3261e;font-weight:600}.done{font-weight:600}.reported{margin:0 0 1rem}\
html.dark body{color:#eee;background:#161616}html.dark a{color:#8ab4f8}html.dark .error{color:#ff8a80}\
html.light body{color:#222;background:#fff}html.light a{color:revert}\
@media(prefers-color-scheme:dark){.error{color:#ff8a80}html.light .error{color:#b3261e}}";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    page: Option<usize>,
}

/// One comment: author, date, the comment it answers, the rendered text.
/// A removed one keeps its place, without author or text, for its replies.
fn comment(c: &PublicComment, answers: Option<&str>) -> Markup {
    html! {
        li id={ "comment-" (c.id) } {
            @if c.removed {
                p class="who" { "Comment removed." }
            } @else {
                div class="who" {
                    strong { (c.author) }
                    @if !c.staff.is_empty() { " " span class="staff" { (c.staff) } }
                    @if c.featured { " " span class="pick" { "Editor's pick" } }
                    " · "
                    time datetime=(iso_utc(c.created_at)) { (iso_utc(c.created_at).get(..10).unwrap_or("")) }
                    @if let Some(to) = answers { " · in reply to " (to) }
                }
                div class="body" { (SanitizedHtml::comment(c.id, &c.body)) }
                a class="report-link" href={ "/report/" (c.id) } rel="nofollow" { "Report" }
            }
        }
    }
}

/// Page `n` (from 1) of `comments`, with links to its neighbours.
pub fn render(thread: &ThreadKey, comments: &[PublicComment], n: usize, index: bool) -> Markup {
    let pages = comments.len().div_ceil(PER_PAGE).max(1);
    let n = n.clamp(1, pages);
    let shown = comments.iter().skip((n - 1) * PER_PAGE).take(PER_PAGE);
    let authors: std::collections::HashMap<i64, &str> = comments
        .iter()
        .map(|c| {
            (
                c.id,
                if c.removed {
                    "a removed comment"
                } else {
                    c.author.as_str()
                },
            )
        })
        .collect();
    let answers = |c: &PublicComment| c.parent.and_then(|p| authors.get(&p).copied());
    let link = |to: usize| format!("?page={to}");
    let head = html! {
        @if !index { meta name="robots" content="noindex"; }
        link rel="stylesheet" href="/threads.css";
    };
    let body = html! {
        main {
            h1 { "Comments" }
            p { (comments.len()) " published comment" @if comments.len() != 1 { "s" } " · page " (n) " of " (pages) }
            @if comments.is_empty() {
                p { "No comments yet." }
            } @else {
                ol { @for c in shown { (comment(c, answers(c))) } }
            }
            @if pages > 1 {
                nav aria-label="Pages" {
                    @if n > 1 { a href=(link(n - 1)) rel="prev" { "← Earlier comments" } }
                    @if n < pages { a href=(link(n + 1)) rel="next" { "Later comments →" } }
                }
            }
        }
    };
    page(&format!("Comments · {}", thread.as_str()), head, body)
}

pub async fn thread_page(
    State(app): State<AppState>,
    client: Client,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    app.read_limiter.admit(&client)?;
    let Path(raw) = path.map_err(|_| AppError::from(ErrorCode::InvalidThread))?;
    let thread = ThreadKey::parse(&raw)?;
    let Query(q) = query
        .map_err(|_| AppError::new(ErrorCode::InvalidParameter, "page must be a number from 1."))?;
    let snapshot = app.store.approved(&thread).await?;
    let index = app.config.sites.index_thread_pages;
    let html = render(&thread, &snapshot.comments, q.page.unwrap_or(1), index);
    let robots = if index { "all" } else { "noindex" };
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::HeaderName::from_static("x-robots-tag"), robots),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        html.into_string(),
    )
        .into_response())
}

pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comments(n: usize) -> Vec<PublicComment> {
        (1..=n)
            .map(|i| PublicComment {
                id: i as i64,
                author: format!("<b>Reader {i}</b>"),
                body: format!("**Comment** {i}"),
                created_at: 1_700_000_000_000,
                parent: (i % 2 == 1).then_some(i as i64 - 1),
                removed: false,
                replies: 0,
                staff: String::new(),
                featured: false,
            })
            .collect()
    }

    #[test]
    fn pages_of_fifty_with_their_neighbours_and_no_script() {
        let thread = ThreadKey::parse("t").unwrap();
        let all = comments(120);
        let first = render(&thread, &all, 1, false).into_string();
        assert!(first.contains("<meta name=\"robots\" content=\"noindex\">"));
        assert!(first.contains("id=\"comment-50\"") && !first.contains("id=\"comment-51\""));
        assert!(first.contains("<strong>&lt;b&gt;Reader 1&lt;/b&gt;</strong>"));
        assert!(first.contains("<p><strong>Comment</strong> 1</p>"));
        assert!(
            first.contains(" · in reply to &lt;b&gt;Reader 2&lt;/b&gt;</div>"),
            "{first}"
        );
        assert!(first.contains("href=\"?page=2\" rel=\"next\"") && !first.contains("rel=\"prev\""));
        let last = render(&thread, &all, 9, true).into_string();
        assert!(last.contains("page 3 of 3") && last.contains("id=\"comment-120\""));
        assert!(!last.contains("noindex") && !last.contains("rel=\"next\""));
        assert!(!first.contains("<script") && !last.contains("<script"));
        assert!(!first.contains("class=\"staff\"") && !first.contains("Editor's pick"));
        let mut newsroom = comments(2);
        newsroom[1].staff = "Rédaction <b>".into();
        newsroom[0].featured = true;
        let staff = render(&thread, &newsroom, 1, false).into_string();
        assert!(
            staff.contains("<strong>&lt;b&gt;Reader 2&lt;/b&gt;</strong> <span class=\"staff\">Rédaction &lt;b&gt;</span> · "),
            "{staff}"
        );
        assert_eq!(
            staff
                .matches("<span class=\"pick\">Editor's pick</span>")
                .count(),
            1
        );
        let empty = render(&thread, &[], 1, false).into_string();
        assert!(empty.contains("No comments yet.") && empty.contains("page 1 of 1"));
    }
}
