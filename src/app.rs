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
    /// `data-theme`: `light`, `dark`, or empty for the reader's system's.
    pub theme: &'static str,
    /// Wakes the poller: unmounting (`mount.rs`) stops it at once.
    pub wake: poll::Wake,
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

/// What the list shows: the pages of the thread read so far (as the server
/// sends them: each reply after its parent) and the reader's own pending
/// comments; and where reading goes on.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comments {
    pub approved: Vec<Comment>,
    pub mine: Vec<PendingComment>,
    /// The revision the list is at (0: none yet); polls ask what changed since.
    pub revision: u64,
    /// The cursor of the next page, if there are more top-level comments.
    pub next: Option<String>,
    /// What the reader asked to read (Load more, Show more replies), for
    /// the poller's next turn.
    pub ask: Option<(String, Take)>,
    /// Whether the thread has answered once. Until then a pending reply
    /// waits for the comment it answers rather than showing out of place.
    pub loaded: bool,
    /// The comment to go to once the list holds it: a `#comment-ID`
    /// address, or a link to a comment the list had not loaded.
    pub target: Option<i64>,
}

/// How an answer joins the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Take {
    /// A first page (or a permalink's): the list starts again from it.
    Replace,
    /// The next page: after the others.
    Append,
    /// One conversation in full: the replies the list lacked.
    Conversation,
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
    /// When the thread closes to new comments (epoch ms), if anything closes it.
    pub closes_at: Option<i64>,
}

/// Whether the thread no longer takes comments.
pub fn closed(p: &PollState) -> bool {
    p.closes_at.is_some_and(|at| p.now >= at as f64)
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
                mine,
                ..Comments::default()
            }),
            notice: RwSignal::new(None),
            poll: RwSignal::new(PollState {
                now: js_sys::Date::now(),
                failed: false,
                mail: false,
                closes_at: None,
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

    /// Whether the widget was unmounted: its state is gone, and what was
    /// under way (a poll, a post) must touch nothing after its `await`.
    pub fn gone(&self) -> bool {
        self.comments.try_with_value(|_| ()).is_none()
    }

    /// Tells the page what happened, for its analytics: a `name` event
    /// (`comments:loaded`, `comments:posted`, `comments:approved`) with
    /// `{id}` as its detail, which bubbles out of the shadow root to the
    /// widget's container.
    pub fn announce(&self, name: &str, id: Option<i64>) {
        let Some(list) = self.list.get_untracked() else {
            return;
        };
        let init = web_sys::CustomEventInit::new();
        init.set_bubbles(true);
        init.set_composed(true);
        init.set_detail(&crate::json::detail(id));
        if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
            let _ = list.dispatch_event(&event);
        }
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

    /// Joins an answer to the list. A first page (or a permalink's)
    /// starts the list again. Anything else joins it: a later page, a
    /// whole conversation, or a poll's changes since the list's revision.
    /// Each comment replaces its old self or comes last, and `list.rs`
    /// puts a reply under its parent. A poll's new reply joins only a
    /// parent the list holds; its new top-level comment waits while pages
    /// remain unread.
    pub fn take(&self, page: crate::json::ThreadAnswer, how: Take) {
        // Every answer carries the picks as they are now.
        if let Some(thread) = self.list.get_untracked().and_then(|l| l.parent_element()) {
            let now = self.poll.with_untracked(|p| p.now);
            list::featured(&thread, &page.featured, self.lang, now);
        }
        let first = how == Take::Replace && !self.comments.with_value(|c| c.loaded);
        self.change(|c| {
            if page.changes {
                c.revision = page.revision;
                c.approved.retain(|a| !page.removed.contains(&a.id));
            } else if how == Take::Replace {
                c.loaded = true;
                c.approved.clear();
                c.revision = page.revision;
            }
            if how != Take::Conversation && !page.changes {
                c.next = page.next;
            }
            for new in page.comments {
                if let Some(old) = c.approved.iter_mut().find(|a| a.id == new.id) {
                    *old = new;
                } else if !page.changes
                    || new
                        .parent
                        .map_or(c.next.is_none(), |p| c.approved.iter().any(|a| a.id == p))
                {
                    c.approved.push(new);
                }
            }
        });
        if first {
            self.announce("comments:loaded", None);
        }
    }

    /// Marks the comment a permalink points to, and scrolls to it;
    /// whether the list holds it.
    pub fn point_at(&self, id: i64) -> bool {
        let item = self.list.get_untracked().and_then(|l| {
            l.query_selector(&format!("[data-comment-id=\"{id}\"]"))
                .ok()
                .flatten()
        });
        let Some(item) = item else {
            return false;
        };
        let _ = item.class_list().add_1("cw-target");
        item.scroll_into_view();
        true
    }

    /// Opens the report dialog (made on first use, by `list::dialog`) on
    /// the server's report page at `url` (`http/reader/reports.rs`).
    pub fn report(&self, url: &str) {
        let thread = self.list.get_untracked().and_then(|l| l.parent_element());
        let Some(dialog) = thread.and_then(|t| list::dialog(&t, self.lang)) else {
            return;
        };
        if let Some(frame) = dialog.first_element_child() {
            let _ = frame.set_attribute("src", url);
        }
        if let Ok(dialog) = dialog.dyn_into::<web_sys::HtmlDialogElement>() {
            let _ = dialog.show_modal();
        }
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
        let mut published = Vec::new();
        self.change(|c| {
            for (mine, entry) in asked.iter().zip(&answer.statuses) {
                match entry.status {
                    Some(CommentStatus::Pending) => continue,
                    Some(CommentStatus::Approved) => {
                        published.push(mine.id);
                        // Last: after its parent, and the newest anyway.
                        if !c.approved.iter().any(|a| a.id == mine.id) {
                            c.approved.push(Comment {
                                id: mine.id,
                                author: mine.author.clone(),
                                html: mine.html.clone(),
                                created_at: mine.created_at,
                                parent: mine.parent,
                                removed: false,
                                replies: 0,
                                staff: String::new(),
                                featured: false,
                            });
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
        for id in published {
            self.announce("comments:approved", Some(id));
        }
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
    /// One poll: the thread (conditional GET), then the reader's pending
    /// comments; whether it worked, or `None` once the widget is gone.
    async fn tick(&self) -> Option<bool> {
        if self.state.gone() {
            return None;
        }
        // What the reader has kept shows at once, whatever the network does.
        self.state.show();
        let mut ok = true;
        // What the reader asked for first: Load more, Show more replies.
        while let Some((query, how)) = self
            .state
            .comments
            .try_update_value(|c| c.ask.take())
            .flatten()
        {
            let answer = self.client.thread(&self.thread, &query, None).await;
            if self.state.gone() {
                return None;
            }
            match answer {
                Ok(Some((page, _))) => self.state.take(page, how),
                Ok(None) => {}
                Err(_) => ok = false,
            }
        }
        let (mut mail, mut closes_at) = self.state.poll.with_untracked(|p| (p.mail, p.closes_at));
        let first = self.first.borrow_mut().take();
        let target = self.state.comments.with_value(|c| c.target);
        // Then the poll: what changed since the list's revision (304 from
        // memory when nothing did), or a first page: a permalink's, the
        // one embed.js asked for, or one asked for now.
        let query = match (self.state.comments.with_value(|c| c.revision), target) {
            (0, Some(id)) => format!("?around={id}"),
            (0, None) => String::new(),
            (revision, _) => format!("?since={revision}"),
        };
        let answer = match first {
            Some(answer) if query.is_empty() => self.client.answered(answer).await,
            _ => {
                let tag = self.etag.borrow().clone();
                self.client
                    .thread(&self.thread, &query, tag.as_deref())
                    .await
            }
        };
        if self.state.gone() {
            return None;
        }
        // The server answers a permalink to a comment that is gone, and a
        // poll older than its change log, with the first page.
        match answer {
            Ok(Some((page, tag))) => {
                mail = page.mail;
                closes_at = page.closes_at;
                self.state.take(page, Take::Replace);
                *self.etag.borrow_mut() = tag;
            }
            Ok(None) => {}
            Err(_) => ok = false,
        }
        if let Some(id) = target.filter(|_| ok) {
            self.state.comments.update_value(|c| c.target = None);
            self.state.point_at(id);
        }
        let asked = self.state.comments.with_value(|c| c.mine.clone());
        // The server answers at most 50 tokens a request.
        for batch in asked.chunks(STATUS_MAX_TOKENS) {
            let tokens: Vec<String> = batch.iter().map(|c| c.token.clone()).collect();
            let answer = self.client.statuses(&tokens).await;
            if self.state.gone() {
                return None;
            }
            match answer {
                Ok(answer) => self.state.reconcile(batch, &answer, &self.own),
                Err(_) => ok = false,
            }
        }
        let now = js_sys::Date::now();
        self.state.poll.set(PollState {
            now,
            failed: !ok,
            mail,
            closes_at,
        });
        // The list's dates and the picks' alike.
        if let Some(thread) = self
            .state
            .list
            .get_untracked()
            .and_then(|l| l.parent_element())
        {
            list::dates(&thread, self.state.lang, now);
        }
        Some(ok)
    }
}

/// The comment a `#comment-ID` fragment in the page's address points to.
fn permalink() -> Option<i64> {
    let hash = web_sys::window()?.location().hash().ok()?;
    hash.strip_prefix("#comment-")?
        .parse()
        .ok()
        .filter(|id| *id > 0)
}

/// Puts `text` on the clipboard, where the page may (a secure context).
fn copy(text: &str) {
    if let Some(window) = web_sys::window() {
        let clipboard = window.navigator().clipboard();
        if !clipboard.is_undefined() {
            let _ = clipboard.write_text(text);
        }
    }
}

#[component]
pub fn App(options: Options) -> impl IntoView {
    let own = OwnComments::new(&options.api_base, &options.thread);
    let state = ThreadState::new(own.load(), options.lang);
    state.comments.update_value(|c| c.target = permalink());
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
    let wake = options.wake.clone();
    poll::run(
        f64::from(options.poll_seconds) * 1000.0,
        wake.clone(),
        move || {
            let poller = Rc::clone(&poller);
            async move { poller.tick().await }
        },
    );
    // Reading on (Load more, Show more replies) is the poller's to do, now.
    let ask = move |query: String, how: Take| {
        state.comments.update_value(|c| c.ask = Some((query, how)));
        wake.wake();
    };
    let page_url = options.page.url.clone();
    // The report page's query: our language, this reader (who counts
    // once), and the widget's theme.
    let api = options.api_base.clone();
    let report_query = format!(
        "?lang={}&reader={}&theme={}",
        options.lang.tag(),
        OwnComments::reader_key(),
        options.theme
    );

    // One listener for every button of the thread: Reply opens the form
    // under its comment (whose Cancel lands here too), Link copies the
    // comment's permalink, Load more and Show more replies read on, and the
    // author may withdraw a comment that awaits moderation.
    let act = {
        let (client, own) = (client.clone(), own.clone());
        move |ev: leptos::ev::MouseEvent| {
            if let Some((button, _)) = list::clicked(&ev, ".cw-reply") {
                return state.reply_to(Some(button));
            }
            if list::clicked(&ev, ".cw-cancel").is_some() {
                return state.reply_to(None);
            }
            if let Some((_, id)) = list::clicked(&ev, ".cw-link") {
                copy(&format!("{page_url}#comment-{id}"));
                // Not on the pages read so far: the page around it.
                if !state.point_at(id) {
                    state.comments.update_value(|c| c.target = Some(id));
                    ask(format!("?around={id}"), Take::Replace);
                }
                return;
            }
            if let Some((_, id)) = list::clicked(&ev, ".cw-report") {
                return state.report(&format!("{api}report/{id}{report_query}"));
            }
            if let Some((button, id)) = list::clicked(&ev, ".cw-more-replies") {
                button.remove();
                return ask(format!("?root={id}"), Take::Conversation);
            }
            if list::more(&ev) {
                let next = state.comments.with_value(|c| c.next.clone());
                if let Some(next) = next {
                    ask(format!("?after={next}"), Take::Append);
                }
                return;
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
                let deleted = client.delete(&token).await;
                if state.gone() {
                    return;
                }
                match deleted {
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
        <section
            class="cw-thread"
            lang=options.lang.tag()
            dir=options.lang.dir
            aria-label=text.heading
            on:click=act
        >
            <h2 class="cw-heading">{text.heading}</h2>
            <p class="cw-empty" hidden node_ref=state.empty>{text.empty}</p>
            <ol class="cw-list" node_ref=state.list></ol>
            // Shown by `list::show` while pages remain unread.
            <button class="cw-more" type="button" hidden>
                {text.more}
            </button>
            // A class, not a conditional view, which costs more wasm.
            <p class="cw-load-failed" hidden=hidden_unless(state, |p| p.failed)>
                {text.load_failed}
            </p>
            // In place of the form once the thread is closed; the
            // stylesheet hides the form then, unless the reader has typed.
            <p class="cw-closed" hidden=hidden_unless(state, closed)>{text.closed}</p>
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
