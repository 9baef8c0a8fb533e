//! The form a reader posts with: same limits as the server, errors in words, nothing typed is lost.

use crate::app::{Notice, ThreadState};
use crate::client::{Client, Failure};
use crate::i18n::{Lang, Text};
use crate::own::OwnComments;
use comments_api::limits::{AUTHOR_MAX_CHARS, BODY_MAX_CHARS};
use comments_api::{Author, CommentBody, ErrorCode, NewComment, PendingComment};
use leptos::prelude::*;

/// NFC via the browser, so the wasm carries no Unicode tables; then the
/// same parsing the server applies.
fn nfc(s: &str) -> String {
    String::from(js_sys::JsString::from(s).normalize("NFC"))
}

fn parse(author: &str, body: &str) -> Result<(Author, CommentBody), ErrorCode> {
    Ok((
        Author::parse(&nfc(author))?,
        CommentBody::parse(&nfc(body))?,
    ))
}

fn explain(text: &Text, failure: &Failure) -> String {
    match failure {
        Failure::Network => text.network.to_string(),
        Failure::Api {
            code: ErrorCode::RateLimited,
            retry_after,
        } => text.wait(retry_after.unwrap_or(20)),
        Failure::Api { code, .. } => text.error(*code).to_string(),
    }
}

#[component]
pub fn CommentForm(
    client: Client,
    thread: String,
    state: ThreadState,
    own: OwnComments,
    lang: Lang,
) -> impl IntoView {
    let text = lang.text();
    let name = RwSignal::new(OwnComments::remembered_name());
    let body = RwSignal::new(String::new());
    let sending = RwSignal::new(false);
    let invalid = RwSignal::new(None::<ErrorCode>);
    let body_chars = move || body.with(|b| b.chars().count());

    let submit = move || {
        if sending.get_untracked() {
            return;
        }
        let (author, text_body) = match parse(&name.get_untracked(), &body.get_untracked()) {
            Ok(parsed) => parsed,
            Err(code) => {
                invalid.set(Some(code));
                state
                    .notice
                    .set(Some(Notice::Error(text.error(code).to_string())));
                return;
            }
        };
        invalid.set(None);
        sending.set(true);
        let (client, thread, own) = (client.clone(), thread.clone(), own.clone());
        leptos::task::spawn_local(async move {
            let comment = NewComment {
                author: author.into_inner(),
                body: text_body.into_inner(),
            };
            match client.post(&thread, &comment).await {
                Ok(accepted) => {
                    OwnComments::remember_name(&comment.author);
                    state.mine.update(|m| {
                        m.push(PendingComment {
                            id: accepted.id,
                            token: accepted.token,
                            author: comment.author,
                            body: comment.body,
                            created_at: js_sys::Date::now() as i64,
                        })
                    });
                    own.save(&state.mine.get_untracked());
                    body.set(String::new());
                    state.notice.set(Some(Notice::Pending));
                }
                Err(failure) => {
                    if let Failure::Api { code, .. } = failure {
                        invalid.set(Some(code));
                    }
                    state
                        .notice
                        .set(Some(Notice::Error(explain(text, &failure))));
                }
            }
            sending.set(false);
        });
    };

    let name_invalid = move || {
        matches!(
            invalid.get(),
            Some(ErrorCode::AuthorEmpty | ErrorCode::AuthorTooLong)
        )
        .to_string()
    };
    let body_invalid = move || {
        matches!(
            invalid.get(),
            Some(
                ErrorCode::BodyEmpty
                    | ErrorCode::BodyTooLong
                    | ErrorCode::PayloadTooLarge
                    | ErrorCode::ControlCharacter
            )
        )
        .to_string()
    };
    let over = move || body_chars() > BODY_MAX_CHARS;
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
            <label class="cw-label" for="cw-name">{text.name_label}</label>
            <input
                id="cw-name"
                class="cw-input"
                name="author"
                type="text"
                autocomplete="name"
                required
                aria-invalid=name_invalid
                prop:value=move || name.get()
                on:input:target=move |ev| {
                    name.set(ev.target().value());
                    invalid.set(None);
                }
                data-max-chars=AUTHOR_MAX_CHARS
            />
            <label class="cw-label" for="cw-body">{text.body_label}</label>
            <textarea
                id="cw-body"
                class="cw-textarea"
                name="body"
                rows="4"
                required
                aria-invalid=body_invalid
                aria-describedby="cw-counter"
                prop:value=move || body.get()
                on:input:target=move |ev| {
                    body.set(ev.target().value());
                    invalid.set(None);
                }
                on:keydown=move |ev| {
                    if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                        ev.prevent_default();
                        submit_on_key();
                    }
                }
            ></textarea>
            <div class="cw-actions">
                <span id="cw-counter" class="cw-counter" class:cw-over=over>
                    {body_chars} " / " {BODY_MAX_CHARS} " " {text.counter_suffix}
                </span>
                <button class="cw-submit" type="submit" disabled=move || sending.get()>
                    {move || if sending.get() { text.sending } else { text.submit }}
                </button>
            </div>
        </form>
    }
}
