//! Mounting into a host element: options from its `data-` attributes, a shadow root, our stylesheet.

use crate::app::{App, Options};
use crate::i18n::Lang;
use comments_api::PageContext;
use comments_api::limits::{DEFAULT_POLL_SECONDS, MIN_POLL_SECONDS};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use web_sys::{Document, HtmlElement, ShadowRootInit, ShadowRootMode};

/// The page's `<link rel=canonical>`, resolved, else its own address;
/// without the fragment.
fn canonical_of(doc: &Document) -> Option<web_sys::Url> {
    let here = doc.url().ok()?;
    let href = doc
        .query_selector("link[rel=canonical]")
        .ok()
        .flatten()
        .and_then(|l| l.get_attribute("href"))
        .unwrap_or_else(|| here.clone());
    let url = web_sys::Url::new_with_base(&href, &here).ok()?;
    url.set_hash("");
    Some(url)
}

/// The thread key: `data-thread`, else the path of the canonical URL.
fn thread_of(host: &HtmlElement, canonical: Option<&web_sys::Url>) -> String {
    match host.get_attribute("data-thread") {
        Some(t) if !t.trim().is_empty() => t,
        _ => canonical.map_or_else(|| "/".into(), |u| u.pathname()),
    }
}

/// The language: `data-lang`, else `<html lang>`.
fn lang_of(host: &HtmlElement, doc: &Document) -> Lang {
    let tag = host
        .get_attribute("data-lang")
        .or_else(|| doc.document_element()?.get_attribute("lang"))
        .unwrap_or_default();
    Lang::from_tag(&tag)
}

/// `data-poll-seconds`, at least [`MIN_POLL_SECONDS`].
fn poll_seconds_of(host: &HtmlElement) -> u32 {
    host.get_attribute("data-poll-seconds")
        .and_then(|s| s.trim().parse::<u32>().ok())
        .map_or(DEFAULT_POLL_SECONDS, |s| s.max(MIN_POLL_SECONDS))
}

/// Reads a host element's options. `api_base` is the server root.
pub fn options_of(host: &HtmlElement, api_base: &str) -> Result<Options, JsValue> {
    let doc = host
        .owner_document()
        .ok_or_else(|| JsValue::from_str("host element is not in a document"))?;
    let canonical = canonical_of(&doc);
    Ok(Options {
        api_base: api_base.to_string(),
        thread: thread_of(host, canonical.as_ref()),
        lang: lang_of(host, &doc),
        poll_seconds: poll_seconds_of(host),
        page: PageContext {
            title: doc.title(),
            url: canonical.map(|u| u.href()).unwrap_or_default(),
        },
    })
}

/// Mounts the widget into `host`, inside a new open shadow root that holds
/// `css`. Called by `embed.js` once per `[data-comments]` element; fails if
/// the element already has a shadow root (it is mounted already).
#[wasm_bindgen]
pub fn mount(host: HtmlElement, api_base: String, css: String) -> Result<(), JsValue> {
    let options = options_of(&host, &api_base)?;
    let doc = host
        .owner_document()
        .ok_or_else(|| JsValue::from_str("host element is not in a document"))?;
    let shadow = host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?;
    let style = doc.create_element("style")?;
    style.set_text_content(Some(&css));
    shadow.append_child(&style)?;
    let root: HtmlElement = doc.create_element("div")?.unchecked_into();
    // data-theme: light (default), dark, or auto (the reader's system setting).
    root.set_class_name(match host.get_attribute("data-theme").as_deref() {
        Some("dark") => "cw cw-dark",
        Some("auto") => "cw cw-auto",
        _ => "cw",
    });
    shadow.append_child(&root)?;
    leptos::mount::mount_to(root, move || view! { <App options=options /> }).forget();
    Ok(())
}
