//! The root component: one thread's comments, the reader's own pending ones, and the form.

use crate::client::Client;
use crate::form::CommentForm;
use crate::i18n::Lang;
use crate::list::CommentList;
use crate::own::OwnComments;
use crate::poll;
use comments_api::{Comment, CommentStatus, PendingComment, StatusResponse};
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

/// What one widget instance shows and where it asks.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    pub api_base: String,
    pub thread: String,
    pub lang: Lang,
    pub poll_seconds: u32,
}

/// A message in the status region (`aria-live`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// "Thank you for your comment…"
    Pending,
    /// One of the reader's comments was rejected.
    Rejected,
    /// An error, already in words.
    Error(String),
}

/// The reactive state of one thread, shared by the list, the form and the poller.
#[derive(Clone, Copy)]
pub struct ThreadState {
    pub approved: RwSignal<Vec<Comment>>,
    pub mine: RwSignal<Vec<PendingComment>>,
    pub notice: RwSignal<Option<Notice>>,
    /// Whether the last poll failed (shown unobtrusively under the list).
    pub load_failed: RwSignal<bool>,
    /// `Date.now()` at the last poll; relative dates follow it.
    pub now: RwSignal<f64>,
}

impl ThreadState {
    fn new(mine: Vec<PendingComment>) -> Self {
        Self {
            approved: RwSignal::new(Vec::new()),
            mine: RwSignal::new(mine),
            notice: RwSignal::new(None),
            load_failed: RwSignal::new(false),
            now: RwSignal::new(js_sys::Date::now()),
        }
    }

    /// Applies the server's answer about the reader's own comments:
    /// approved ones join the public list, rejected or unknown ones go away
    /// with a neutral note, and `localStorage` follows.
    pub fn reconcile(&self, asked: &[PendingComment], answer: &StatusResponse, own: &OwnComments) {
        let mut decided = Vec::new();
        let mut rejected = false;
        for (mine, entry) in asked.iter().zip(&answer.statuses) {
            match entry.status {
                Some(CommentStatus::Pending) => continue,
                Some(CommentStatus::Approved) => {
                    let comment = Comment {
                        id: mine.id,
                        author: mine.author.clone(),
                        body: mine.body.clone(),
                        created_at: mine.created_at,
                    };
                    self.approved.update(|list| {
                        if !list.iter().any(|c| c.id == comment.id) {
                            list.push(comment);
                            list.sort_by_key(|c| (c.created_at, c.id));
                        }
                    });
                }
                Some(CommentStatus::Rejected) | None => rejected = true,
            }
            decided.push(mine.id);
        }
        if decided.is_empty() {
            return;
        }
        self.mine.update(|m| m.retain(|c| !decided.contains(&c.id)));
        own.save(&self.mine.get_untracked());
        if rejected {
            self.notice.set(Some(Notice::Rejected));
        } else if self.notice.get_untracked() == Some(Notice::Pending)
            && self.mine.with_untracked(Vec::is_empty)
        {
            self.notice.set(None);
        }
    }
}

/// One poll: the thread (conditional GET), then the reader's pending comments.
async fn refresh(
    client: &Client,
    options: &Options,
    state: ThreadState,
    own: &OwnComments,
    etag: &RefCell<Option<String>>,
) -> bool {
    let tag = etag.borrow().clone();
    let mut ok = match client.thread(&options.thread, tag.as_deref()).await {
        Ok(Some((comments, new_tag))) => {
            state.approved.set(comments);
            *etag.borrow_mut() = new_tag;
            true
        }
        Ok(None) => true,
        Err(_) => false,
    };
    let asked = state.mine.get_untracked();
    if !asked.is_empty() {
        let tokens: Vec<String> = asked.iter().map(|c| c.token.clone()).collect();
        match client.statuses(&tokens).await {
            Ok(answer) => state.reconcile(&asked, &answer, own),
            Err(_) => ok = false,
        }
    }
    state.load_failed.set(!ok);
    state.now.set(js_sys::Date::now());
    ok
}

#[component]
pub fn App(options: Options) -> impl IntoView {
    let own = OwnComments::new(&options.api_base, &options.thread);
    let state = ThreadState::new(own.load());
    let client = Client::new(&options.api_base);
    let text = options.lang.text();

    {
        let (client, options, own) = (client.clone(), options.clone(), own.clone());
        let etag = Rc::new(RefCell::new(None::<String>));
        let interval = f64::from(options.poll_seconds) * 1000.0;
        poll::run(interval, move || {
            let (client, options, own, etag) = (
                client.clone(),
                options.clone(),
                own.clone(),
                Rc::clone(&etag),
            );
            async move { refresh(&client, &options, state, &own, &etag).await }
        });
    }

    let status_class = move || match state.notice.get() {
        Some(Notice::Error(_)) => "cw-status cw-status-error",
        Some(_) => "cw-status cw-status-info",
        None => "cw-status",
    };
    let status_text = move || match state.notice.get() {
        Some(Notice::Pending) => text.pending.to_string(),
        Some(Notice::Rejected) => text.rejected.to_string(),
        Some(Notice::Error(msg)) => msg,
        None => String::new(),
    };

    view! {
        <section class="cw-thread" lang=options.lang.tag() aria-label=text.heading>
            <h2 class="cw-heading">{text.heading}</h2>
            <CommentList state=state lang=options.lang />
            <Show when=move || state.load_failed.get()>
                <p class="cw-load-failed">{text.load_failed}</p>
            </Show>
            <CommentForm client=client thread=options.thread.clone() state=state own=own lang=options.lang />
            <p class=status_class role="status" aria-live="polite">{status_text}</p>
        </section>
    }
}
