//! The form a reader posts with: same limits as the server, errors in words, nothing typed is lost.

use crate::app::{Notice, ThreadState, hidden_unless};
use crate::client::{Client, Failure};
use crate::i18n::{Lang, Text};
use crate::own::OwnComments;
use comments_api::limits::BODY_MAX_CHARS;
use comments_api::{
    Author, CommentBody, Email, ErrorCode, NewComment, PageContext, PendingComment,
};
use leptos::html;
use leptos::prelude::*;

/// NFC via the browser, so the wasm carries no Unicode tables; then the
/// same parsing the server applies.
fn nfc(s: &str) -> String {
    String::from(js_sys::JsString::from(s).normalize("NFC"))
}

fn parse(
    author: &str,
    body: &str,
    email: &str,
) -> Result<(Author, CommentBody, String), ErrorCode> {
    Ok((
        Author::parse(&nfc(author))?,
        CommentBody::parse(&nfc(body))?,
        Email::parse_optional(email)?
            .map(Email::into_inner)
            .unwrap_or_default(),
    ))
}

fn explain(text: &Text, failure: &Failure) -> (String, Option<ErrorCode>) {
    match *failure {
        Failure::Network => (text.network.to_string(), None),
        Failure::Api {
            code: ErrorCode::RateLimited,
            retry_after,
        } => (text.wait(retry_after.unwrap_or(20)), None),
        Failure::Api { code, .. } => (text.error(code).to_string(), Some(code)),
    }
}

/// Whether the notice blames one of `codes`, as an `aria-invalid` value.
fn blames(state: ThreadState, codes: &'static [ErrorCode]) -> impl Fn() -> &'static str + Copy {
    move || match state.notice.get() {
        Some(Notice::Error {
            code: Some(code), ..
        }) if codes.contains(&code) => "true",
        _ => "false",
    }
}

const AUTHOR_ERRORS: &[ErrorCode] = &[ErrorCode::AuthorEmpty, ErrorCode::AuthorTooLong];
const EMAIL_ERRORS: &[ErrorCode] = &[ErrorCode::InvalidEmail];
const BODY_ERRORS: &[ErrorCode] = &[
    ErrorCode::BodyEmpty,
    ErrorCode::BodyTooLong,
    ErrorCode::PayloadTooLarge,
    ErrorCode::ControlCharacter,
];

#[component]
pub fn CommentForm(
    client: Client,
    thread: String,
    page: PageContext,
    state: ThreadState,
    own: OwnComments,
    lang: Lang,
) -> impl IntoView {
    let text = lang.text();
    let name_input = NodeRef::<html::Input>::new();
    let body_input = NodeRef::<html::Textarea>::new();
    // Bots fill every field and post at once; people do neither.
    let trap_input = NodeRef::<html::Input>::new();
    let email_input = NodeRef::<html::Input>::new();
    let replies_input = NodeRef::<html::Input>::new();
    let shown_at = js_sys::Date::now();
    let counter = NodeRef::<html::Span>::new();
    let sending = RwSignal::new(false);

    // Typing after an error clears it; the text itself is never touched.
    let edited = move || {
        if matches!(state.notice.get_untracked(), Some(Notice::Error { .. })) {
            state.notice.set(None);
        }
    };

    // The counter follows the text, set by hand: a signal of its own, its
    // text node and its class would cost half a kilobyte of wasm.
    let count = move || {
        let value = body_input.get_untracked().map(|t| t.value());
        let n = value.map_or(0, |t| t.chars().count());
        if let Some(counter) = counter.get_untracked() {
            let words = format!("{n} / {BODY_MAX_CHARS} {}", text.counter_suffix);
            counter.set_text_content(Some(&words));
            let _ = counter
                .class_list()
                .toggle_with_force("cw-over", n > BODY_MAX_CHARS);
        }
    };
    // One handler for every field (one closure type: each costs wasm).
    let input = move |_: leptos::ev::Event| {
        count();
        edited();
    };

    let submit = move || {
        if sending.get_untracked() {
            return;
        }
        let (Some(name_el), Some(body_el)) =
            (name_input.get_untracked(), body_input.get_untracked())
        else {
            return;
        };
        let website = trap_input
            .get_untracked()
            .map(|t| t.value())
            .unwrap_or_default();
        let email = email_input
            .get_untracked()
            .map(|e| e.value())
            .unwrap_or_default();
        let (author, body, email) = match parse(&name_el.value(), &body_el.value(), &email) {
            Ok(parsed) => parsed,
            Err(code) => return state.error(text.error(code).to_string(), Some(code)),
        };
        sending.set(true);
        let (client, thread, own, page) =
            (client.clone(), thread.clone(), own.clone(), page.clone());
        leptos::task::spawn_local(async move {
            let comment = NewComment {
                author: author.into_inner(),
                body: body.into_inner(),
                website,
                compose_ms: Some((js_sys::Date::now() - shown_at).max(0.0) as u64),
                page_title: page.title,
                page_url: page.url,
                reader: OwnComments::reader_key(),
                // Replies by mail need the address.
                notify_replies: !email.is_empty()
                    && replies_input.get_untracked().is_some_and(|i| i.checked()),
                email,
                parent: state.replying_to(),
            };
            let posted = client.post(&thread, &comment).await;
            if state.gone() {
                return;
            }
            match posted {
                Ok(accepted) => {
                    state.announce("comments:posted", Some(accepted.id));
                    OwnComments::remember_name(&comment.author);
                    state.change(|c| {
                        c.mine.push(PendingComment {
                            id: accepted.id,
                            token: accepted.token,
                            author: comment.author,
                            body: comment.body,
                            html: accepted.html,
                            created_at: js_sys::Date::now() as i64,
                            parent: comment.parent,
                        });
                        own.save(&c.mine);
                    });
                    body_el.set_value("");
                    count();
                    // A reply shows pending under its comment; the form goes home.
                    if comment.parent.is_some() {
                        state.reply_to(None);
                    }
                    state.notice.set(Some(Notice::Pending));
                }
                Err(failure) => {
                    let (words, code) = explain(text, &failure);
                    // Closed meanwhile: the form gives way, keeping the text.
                    if code == Some(ErrorCode::ThreadClosed) {
                        let mut poll = state.poll.get_untracked();
                        poll.closes_at = Some(0);
                        state.poll.set(poll);
                    }
                    state.error(words, code);
                }
            }
            sending.set(false);
        });
    };
    let submit_on_key = submit.clone();

    view! {
        <form
            class="cw-form"
            novalidate
            on:submit=move |ev| {
                ev.prevent_default();
                submit();
            }
        >
            // Shown (by the stylesheet) while the form is open under a
            // comment; its button is handled by the list's listener.
            <p class="cw-replying">
                {text.replying}
                <button class="cw-cancel" type="button">{text.cancel}</button>
            </p>
            <label class="cw-label">
                {text.name_label}
                <input
                    class="cw-input"
                    autocomplete="name"
                    aria-required="true"
                    value=OwnComments::remembered_name()
                    aria-invalid=blames(state, AUTHOR_ERRORS)
                    node_ref=name_input
                    on:input=input
                />
            </label>
            <input
                class="cw-trap"
                name="website"
                tabindex="-1"
                autocomplete="off"
                aria-hidden="true"
                node_ref=trap_input
            />
            <label class="cw-label">
                {text.body_label}
                <textarea
                    class="cw-textarea"
                    required
                    aria-invalid=blames(state, BODY_ERRORS)
                    aria-describedby="cw-counter"
                    node_ref=body_input
                    on:input=input
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                            ev.prevent_default();
                            submit_on_key();
                        }
                    }
                ></textarea>
            </label>
            // Shown when the server can mail authors; an attribute, not a
            // conditional view, which costs more wasm.
            <label class="cw-label" hidden=hidden_unless(state, |p| p.mail)>
                {text.email_label}
                <input
                    class="cw-input"
                    type="email"
                    autocomplete="email"
                    aria-invalid=blames(state, EMAIL_ERRORS)
                    node_ref=email_input
                    on:input=input
                />
            </label>
            <label class="cw-check" hidden=hidden_unless(state, |p| p.mail)>
                <input type="checkbox" node_ref=replies_input />
                {text.notify_replies}
            </label>
            <div class="cw-actions">
                <span id="cw-counter" class="cw-counter" node_ref=counter>
                    {format!("0 / {BODY_MAX_CHARS} {}", text.counter_suffix)}
                </span>
                <button class="cw-submit" disabled=sending aria-busy=sending>
                    {text.submit}
                </button>
            </div>
        </form>
    }
}
