//! The root component: one thread's comments, the reader's own pending ones, and the form.

use crate::client::Client;
use crate::form::CommentForm;
use crate::i18n::Lang;
use crate::list;
use crate::own::OwnComments;
use crate::poll;
use comments_api::limits::STATUS_MAX_TOKENS;
use comments_api::{
    Comment, CommentStatus, ErrorCode, PageContext, PendingComment, StatusResponse,
};
use leptos::html;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;

/// What one widget instance shows and where it asks.
#[derive(Clone)]
pub struct Options {
    pub api_base: String,
    pub thread: String,
    pub lang: Lang,
    pub poll_seconds: u32,
    /// The article's title and canonical URL, sent with a post for the moderators.
    pub page: PageContext,
    /// The thread's first answer, which `embed.js` asked for while the
    /// widget downloaded; the first poll reads it instead of asking again.
    pub first: Option<js_sys::Promise>,
}

/// A message in the status region (`aria-live`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// "Thank you for your comment…"
    Pending,
    /// One of the reader's comments was rejected.
    Rejected,
    /// An error, in words; `code` says which field is at fault, if any.
    Error {
        text: String,
        code: Option<ErrorCode>,
    },
}

/// What the list shows: the thread's approved comments (oldest first, as
/// the server sends them) and the reader's own pending ones.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comments {
    pub approved: Vec<Comment>,
    pub mine: Vec<PendingComment>,
    /// Whether the thread has answered once. Until then a pending reply
    /// waits for the comment it answers rather than showing out of place.
    pub loaded: bool,
}

/// The outcome of the last poll.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PollState {
    /// `Date.now()` at the last poll; relative dates follow it.
    pub now: f64,
    /// Whether it failed (shown unobtrusively under the list).
    pub failed: bool,
    /// Whether the server can mail authors (the form then offers it).
    pub mail: bool,
}

/// The state of one thread, shared by the list, the form and the poller.
/// The comments are not a signal: the list is kept in the DOM by hand
/// (`list.rs`), after each change. Few signal types keep the wasm small:
/// each one is compiled anew.
#[derive(Clone, Copy)]
pub struct ThreadState {
    pub comments: StoredValue<Comments>,
    pub notice: RwSignal<Option<Notice>>,
    pub poll: RwSignal<PollState>,
    pub list: NodeRef<html::Ol>,
    pub empty: NodeRef<html::P>,
    pub lang: Lang,
}

impl ThreadState {
    pub fn new(mine: Vec<PendingComment>, lang: Lang) -> Self {
        Self {
            comments: StoredValue::new(Comments {
                approved: Vec::new(),
                mine,
                loaded: false,
            }),
            notice: RwSignal::new(None),
            poll: RwSignal::new(PollState {
                now: js_sys::Date::now(),
                failed: false,
                mail: false,
            }),
            list: NodeRef::new(),
            empty: NodeRef::new(),
            lang,
        }
    }

    /// An element of the thread's section, wherever it is: the form may be
    /// under a comment.
    fn part(&self, selector: &str) -> Option<web_sys::Element> {
        let list = self.list.get_untracked()?;
        list.parent_element()?.query_selector(selector).ok()?
    }

    /// Opens the form under `button` (a comment's Reply button), to answer
    /// that comment, or, with `None`, puts it back below the list. Where the
    /// form is says what it answers (see `replying_to`); no signal needed.
    pub fn reply_to(&self, button: Option<web_sys::Element>) {
        let (Some(form), Some(home)) = (self.part(".cw-form"), self.part(".cw-compose")) else {
            return;
        };
        match button {
            Some(button) => {
                let _ = button.insert_adjacent_element("afterend", &form);
                if let Some(field) = form
                    .query_selector("textarea")
                    .ok()
                    .flatten()
                    .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    let _ = field.focus();
                }
            }
            None => {
                let _ = home.append_child(&form);
            }
        }
    }

    /// The comment the form answers: the item it is open under, if any.
    pub fn replying_to(&self) -> Option<i64> {
        self.part(".cw-form")?
            .closest(".cw-item")
            .ok()??
            .get_attribute("data-comment-id")?
            .parse()
            .ok()
    }

    /// Changes the comments, then the list.
    pub fn change(&self, f: impl FnOnce(&mut Comments)) {
        self.comments.update_value(f);
        self.show();
    }

    /// Brings the list up to date with the comments.
    pub fn show(&self) {
        let (Some(list), Some(empty)) = (self.list.get_untracked(), self.empty.get_untracked())
        else {
            return;
        };
        let now = self.poll.with_untracked(|p| p.now);
        // The comment the form was answering may go: the form then goes home.
        let home = self.part(".cw-compose");
        self.comments
            .with_value(|c| list::show(&list, &empty, home.as_ref(), c, self.lang, now));
    }

    /// Shows an error; `code` marks the field at fault.
    pub fn error(&self, text: String, code: Option<ErrorCode>) {
        self.notice.set(Some(Notice::Error { text, code }));
    }

    /// Applies the server's answer about the reader's own comments:
    /// approved ones join the public list, rejected or unknown ones go away
    /// with a neutral note, and `localStorage` follows.
    pub fn reconcile(&self, asked: &[PendingComment], answer: &StatusResponse, own: &OwnComments) {
        let mut rejected = false;
        let mut changed = false;
        self.change(|c| {
            for (mine, entry) in asked.iter().zip(&answer.statuses) {
                match entry.status {
                    Some(CommentStatus::Pending) => continue,
                    Some(CommentStatus::Approved) => {
                        if !c.approved.iter().any(|a| a.id == mine.id) {
                            let key = (mine.created_at, mine.id);
                            let at = c.approved.partition_point(|a| (a.created_at, a.id) < key);
                            c.approved.insert(
                                at,
                                Comment {
                                    id: mine.id,
                                    author: mine.author.clone(),
                                    html: mine.html.clone(),
                                    created_at: mine.created_at,
                                    parent: mine.parent,
                                    removed: false,
                                    replies: 0,
                                },
                            );
                        }
                    }
                    Some(CommentStatus::Rejected) | None => rejected = true,
                }
                c.mine.retain(|m| m.id != mine.id);
                changed = true;
            }
            if changed {
                own.save(&c.mine);
            }
        });
        if rejected {
            self.notice.set(Some(Notice::Rejected));
        } else if changed
            && self.notice.get_untracked() == Some(Notice::Pending)
            && self.comments.with_value(|c| c.mine.is_empty())
        {
            self.notice.set(None);
        }
    }
}

/// A `hidden` attribute's value: hidden unless `shown` holds of the last
/// poll. One closure type for every such element (each new one costs wasm).
pub fn hidden_unless(
    state: ThreadState,
    shown: fn(&PollState) -> bool,
) -> impl Fn() -> bool + Copy + 'static {
    move || !state.poll.with(shown)
}

/// What the poller needs, shared by every tick.
struct Poller {
    client: Client,
    thread: String,
    own: OwnComments,
    state: ThreadState,
    etag: RefCell<Option<String>>,
    first: RefCell<Option<js_sys::Promise>>,
}

impl Poller {
    /// One poll: the thread (conditional GET), then the reader's pending comments.
    async fn tick(&self) -> bool {
        // What the reader has kept shows at once, whatever the network does.
        self.state.show();
        let tag = self.etag.borrow().clone();
        let mut mail = self.state.poll.with_untracked(|p| p.mail);
        let first = self.first.borrow_mut().take();
        let answer = match first {
            Some(answer) => self.client.answered(answer).await,
            None => self.client.thread(&self.thread, tag.as_deref()).await,
        };
        let mut ok = match answer {
            Ok(Some((page, new_tag))) => {
                mail = page.mail;
                self.state.change(|c| {
                    c.approved = page.comments;
                    c.loaded = true;
                });
                *self.etag.borrow_mut() = new_tag;
                true
            }
            Ok(None) => true,
            Err(_) => false,
        };
        let asked = self.state.comments.with_value(|c| c.mine.clone());
        // The server answers at most 50 tokens a request.
        for batch in asked.chunks(STATUS_MAX_TOKENS) {
            let tokens: Vec<String> = batch.iter().map(|c| c.token.clone()).collect();
            match self.client.statuses(&tokens).await {
                Ok(answer) => self.state.reconcile(batch, &answer, &self.own),
                Err(_) => ok = false,
            }
        }
        let now = js_sys::Date::now();
        self.state.poll.set(PollState {
            now,
            failed: !ok,
            mail,
        });
        if let Some(list) = self.state.list.get_untracked() {
            list::dates(&list, self.state.lang, now);
        }
        ok
    }
}

#[component]
pub fn App(options: Options) -> impl IntoView {
    let own = OwnComments::new(&options.api_base, &options.thread);
    let state = ThreadState::new(own.load(), options.lang);
    let client = Client::new(&options.api_base);
    let text = options.lang.text();

    let poller = Rc::new(Poller {
        client: client.clone(),
        thread: options.thread.clone(),
        own: own.clone(),
        state,
        etag: RefCell::new(None),
        first: RefCell::new(options.first.clone()),
    });
    poll::run(f64::from(options.poll_seconds) * 1000.0, move || {
        let poller = Rc::clone(&poller);
        async move { poller.tick().await }
    });

    // One listener for every item's buttons: Reply opens the form under
    // its comment; the author may withdraw a comment that awaits moderation.
    let act = {
        let (client, own) = (client.clone(), own.clone());
        move |ev: leptos::ev::MouseEvent| {
            // The form, open under a comment, is inside the list: its
            // Cancel button lands here too.
            if let Some((button, _)) = list::clicked(&ev, ".cw-reply") {
                return state.reply_to(Some(button));
            }
            if list::clicked(&ev, ".cw-cancel").is_some() {
                return state.reply_to(None);
            }
            let Some((_, id)) = list::clicked(&ev, ".cw-withdraw") else {
                return;
            };
            let token = state
                .comments
                .with_value(|c| c.mine.iter().find(|m| m.id == id).map(|m| m.token.clone()));
            let (Some(token), client, own) = (token, client.clone(), own.clone()) else {
                return;
            };
            leptos::task::spawn_local(async move {
                match client.delete(&token).await {
                    Ok(()) => state.change(|c| {
                        c.mine.retain(|m| m.id != id);
                        own.save(&c.mine);
                    }),
                    Err(_) => state.error(text.network.to_string(), None),
                }
            });
        }
    };

    // The live region stays in the DOM; only its text and class change, so
    // screen readers announce every new message.
    let status_class = move || match state.notice.get() {
        Some(Notice::Error { .. }) => "cw-status cw-status-error",
        Some(_) => "cw-status cw-status-info",
        None => "cw-status",
    };
    let status_text = move || match state.notice.get() {
        Some(Notice::Pending) => text.pending.to_string(),
        Some(Notice::Rejected) => text.rejected.to_string(),
        Some(Notice::Error { text, .. }) => text,
        None => String::new(),
    };

    view! {
        <section class="cw-thread" lang=options.lang.tag() dir=options.lang.dir aria-label=text.heading>
            <h2 class="cw-heading">{text.heading}</h2>
            <p class="cw-empty" hidden node_ref=state.empty>{text.empty}</p>
            <ol class="cw-list" node_ref=state.list on:click=act></ol>
            // A class, not a conditional view, which costs more wasm.
            <p class="cw-load-failed" hidden=hidden_unless(state, |p| p.failed)>
                {text.load_failed}
            </p>
            // The form's place; it moves under a comment to answer it.
            <div class="cw-compose">
                <CommentForm
                    client=client
                    thread=options.thread
                    page=options.page
                    state=state
                    own=own
                    lang=options.lang
                />
            </div>
            <p class=status_class role="status" aria-live="polite">{status_text}</p>
        </section>
    }
}
