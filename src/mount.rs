//! Mounting into a host element: the options `embed.js` worked out, the host's `data-` attributes, a shadow root, our stylesheet.

use crate::app::{App, Options};
use crate::i18n::Text;
use comments_api::PageContext;
use comments_api::limits::{DEFAULT_POLL_SECONDS, MIN_POLL_SECONDS};
use js_sys::Reflect;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, ShadowRootInit, ShadowRootMode};

/// `data-poll-seconds`, at least [`MIN_POLL_SECONDS`].
fn poll_seconds_of(host: &HtmlElement) -> u32 {
    host.get_attribute("data-poll-seconds")
        .and_then(|s| s.trim().parse::<u32>().ok())
        .map_or(DEFAULT_POLL_SECONDS, |s| s.max(MIN_POLL_SECONDS))
}

fn field(opts: &JsValue, key: &str) -> JsValue {
    Reflect::get(opts, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Mounts the widget into `host`, inside a new open shadow root that holds
/// `css`. Called by `embed.js` once per `[data-comments]` element, with
/// what it worked out for that element in `opts`:
/// `{texts, thread, url, first, html}`: the parsed language file, the
/// thread key (`data-thread`, else the canonical path), the article's
/// canonical URL, the promise of the thread's first answer, asked for while
/// the widget was still downloading, and the page's Trusted Types policy
/// for HTML (its `createHTML`, or `String`). Fails if the widget is mounted there
/// already. Returns what unmounts it (`window.Comments.unmount`): its view
/// and reactive state go, its poller stops at once and stops listening to
/// the page, and the shadow root is left empty for a later mount.
#[wasm_bindgen]
pub fn mount(
    host: HtmlElement,
    api_base: String,
    css: String,
    opts: JsValue,
) -> Result<JsValue, JsValue> {
    crate::list::use_policy(field(&opts, "html").dyn_into().ok());
    let lang = Text::from_js(&field(&opts, "texts"))
        .ok_or_else(|| JsValue::from_str("the language file lacks a string"))?;
    let doc = host
        .owner_document()
        .ok_or_else(|| JsValue::from_str("host element is not in a document"))?;
    let wake = crate::poll::Wake::default();
    let options = Options {
        api_base,
        thread: field(&opts, "thread")
            .as_string()
            .ok_or_else(|| JsValue::from_str("no thread key"))?,
        lang,
        poll_seconds: poll_seconds_of(&host),
        page: PageContext {
            title: doc.title(),
            url: field(&opts, "url").as_string().unwrap_or_default(),
        },
        first: field(&opts, "first").dyn_into().ok(),
        theme: match host.get_attribute("data-theme").as_deref() {
            Some("dark") => "dark",
            Some("auto") => "",
            _ => "light",
        },
        wake: wake.clone(),
    };
    // `embed.js` may have shown the thread's comments already, in a shadow
    // root of its own: the widget takes their items over (by key, in
    // list.rs) and builds the rest.
    let (shadow, shown) = match host.shadow_root() {
        Some(shadow) if shadow.query_selector(".cw-form")?.is_some() => {
            return Err(JsValue::from_str("the widget is mounted here already"));
        }
        Some(shadow) => {
            let shown = shadow.query_selector(".cw-list").ok().flatten();
            shadow.set_text_content(None);
            (shadow, shown)
        }
        None => (
            host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?,
            None,
        ),
    };
    let style = doc.create_element("style")?;
    style.set_text_content(Some(&css));
    shadow.append_child(&style)?;
    let root: HtmlElement = doc.create_element("div")?.unchecked_into();
    // data-theme: light (default), dark, or auto (the reader's system setting).
    root.set_class_name(match options.theme {
        "dark" => "cw cw-dark",
        "" => "cw cw-auto",
        _ => "cw",
    });
    shadow.append_child(&root)?;
    // Under an owner of ours, which unmounting cleans up: every signal and
    // effect of the widget goes. (Dropping the mount's handle would also
    // unmount the view node by node, with 1 KB of wasm to do it; emptying
    // the shadow root does the same.)
    let owner = Owner::new();
    owner
        .with(|| leptos::mount::mount_to(root, move || view! { <App options=options /> }))
        .forget();
    if let (Some(shown), Some(list)) = (shown, shadow.query_selector(".cw-list")?) {
        while let Some(item) = shown.first_element_child() {
            list.append_child(&item)?;
        }
    }
    Ok(Closure::once_into_js(move || {
        owner.cleanup();
        wake.wake();
        shadow.set_text_content(None);
    }))
}
