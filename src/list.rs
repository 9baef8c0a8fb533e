//! The list of comments: approved ones and, marked pending, the reader's own.

use crate::app::ThreadState;
use crate::i18n::Lang;
use crate::reltime;
use comments_api::render::comment_html;
use leptos::prelude::*;

/// One row of the list, whichever its origin.
#[derive(Clone, Debug, PartialEq)]
struct Row {
    id: i64,
    author: String,
    body: String,
    created_at: i64,
    pending: bool,
}

#[component]
fn CommentItem(row: Row, state: ThreadState, lang: Lang) -> impl IntoView {
    let text = lang.text();
    let when = row.created_at as f64;
    let relative = move || reltime::relative(lang, when, state.poll.with(|p| p.now));
    let pending = row.pending;
    view! {
        <li class=if pending { "cw-item cw-pending" } else { "cw-item" } data-comment-id=row.id>
            <header class="cw-meta">
                <span class="cw-author">{row.author}</span>
                <time class="cw-date" datetime=reltime::iso(when) title=reltime::absolute(lang, when)>
                    {relative}
                </time>
                {pending.then(|| view! { <span class="cw-badge">{text.pending_badge}</span> })}
            </header>
            // Escaped text with http(s) links (comments_api::render); the
            // only markup is what that renderer writes.
            <p class="cw-body" inner_html=comment_html(&row.body)></p>
            {pending.then(|| view! { <p class="cw-pending-note">{text.pending}</p> })}
        </li>
    }
}

#[component]
pub fn CommentList(state: ThreadState, lang: Lang) -> impl IntoView {
    // Both lists are oldest first and the reader's own comments are the
    // newest, so appending keeps the order. A plain re-render on change:
    // threads are short, and a keyed list (`<For>`) costs about 10 KB of wasm.
    let rows = move || {
        state.comments.with(|c| {
            let approved = c.approved.iter().map(|a| Row {
                id: a.id,
                author: a.author.clone(),
                body: a.body.clone(),
                created_at: a.created_at,
                pending: false,
            });
            let mine = c
                .mine
                .iter()
                .filter(|m| !c.approved.iter().any(|a| a.id == m.id))
                .map(|m| Row {
                    id: m.id,
                    author: m.author.clone(),
                    body: m.body.clone(),
                    created_at: m.created_at,
                    pending: true,
                });
            approved.chain(mine).collect::<Vec<_>>()
        })
    };
    let empty = move || {
        state
            .comments
            .with(|c| c.approved.is_empty() && c.mine.is_empty())
    };
    view! {
        {move || empty().then(|| view! { <p class="cw-empty">{lang.text().empty}</p> })}
        <ol class="cw-list">
            {move || {
                rows()
                    .into_iter()
                    .map(|row| view! { <CommentItem row=row state=state lang=lang /> })
                    .collect_view()
            }}
        </ol>
    }
}
