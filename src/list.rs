//! The list of comments: approved ones and, marked pending, the reader's own.

use crate::app::ThreadState;
use crate::client::Client;
use crate::i18n::Lang;
use crate::own::OwnComments;
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
    /// The author's token, for the reader's own pending comments.
    token: Option<String>,
}

#[component]
fn CommentItem(
    row: Row,
    state: ThreadState,
    lang: Lang,
    client: Client,
    own: OwnComments,
) -> impl IntoView {
    let text = lang.text();
    let when = row.created_at as f64;
    let relative = move || reltime::relative(lang, when, state.poll.with(|p| p.now));
    let pending = row.token.is_some();
    let id = row.id;
    // The author may withdraw a comment that awaits moderation.
    let withdraw = row.token.map(|token| {
        let on_click = move |_| {
            let (client, own, token) = (client.clone(), own.clone(), token.clone());
            leptos::task::spawn_local(async move {
                match client.delete(&token).await {
                    Ok(()) => state.comments.update(|c| {
                        c.mine.retain(|m| m.id != id);
                        own.save(&c.mine);
                    }),
                    Err(_) => state.error(text.network.to_string(), None),
                }
            });
        };
        view! { <button class="cw-withdraw" type="button" on:click=on_click>{text.withdraw}</button> }
    });
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
            {withdraw}
        </li>
    }
}

#[component]
pub fn CommentList(
    state: ThreadState,
    lang: Lang,
    client: Client,
    own: OwnComments,
) -> impl IntoView {
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
                token: None,
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
                    token: Some(m.token.clone()),
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
                    .map(|row| {
                        view! {
                            <CommentItem
                                row=row
                                state=state
                                lang=lang
                                client=client.clone()
                                own=own.clone()
                            />
                        }
                    })
                    .collect_view()
            }}
        </ol>
    }
}
