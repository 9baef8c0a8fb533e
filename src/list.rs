//! The list of comments: approved ones and, marked pending, the reader's own.

use crate::app::ThreadState;
use crate::i18n::Lang;
use crate::reltime;
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
    let relative = move || reltime::relative(lang, when, state.now.get());
    let pending = row.pending;
    view! {
        <li class="cw-item" class:cw-pending=pending data-comment-id=row.id.to_string()>
            <header class="cw-meta">
                <span class="cw-author">{row.author}</span>
                <time class="cw-date" datetime=reltime::iso(when) title=reltime::absolute(lang, when)>
                    {relative}
                </time>
                {pending.then(|| view! { <span class="cw-badge">{text.pending_badge}</span> })}
            </header>
            <p class="cw-body">{row.body}</p>
            {pending.then(|| view! { <p class="cw-pending-note">{text.pending}</p> })}
        </li>
    }
}

#[component]
pub fn CommentList(state: ThreadState, lang: Lang) -> impl IntoView {
    let rows = move || {
        let mut rows: Vec<Row> = state.approved.with(|list| {
            list.iter()
                .map(|c| Row {
                    id: c.id,
                    author: c.author.clone(),
                    body: c.body.clone(),
                    created_at: c.created_at,
                    pending: false,
                })
                .collect()
        });
        let pending: Vec<Row> = state.mine.with(|mine| {
            mine.iter()
                .filter(|m| !rows.iter().any(|r| r.id == m.id))
                .map(|m| Row {
                    id: m.id,
                    author: m.author.clone(),
                    body: m.body.clone(),
                    created_at: m.created_at,
                    pending: true,
                })
                .collect()
        });
        rows.extend(pending);
        rows.sort_by_key(|r| (r.created_at, r.id));
        rows
    };
    let empty = move || state.approved.with(Vec::is_empty) && state.mine.with(Vec::is_empty);
    view! {
        <Show when=empty>
            <p class="cw-empty">{lang.text().empty}</p>
        </Show>
        <ol class="cw-list">
            <For
                each=rows
                key=|r| (r.id, r.pending)
                children=move |row| view! { <CommentItem row=row state=state lang=lang /> }
            />
        </ol>
    }
}
