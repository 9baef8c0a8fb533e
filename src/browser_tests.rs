//! Widget component tests in headless Chromium (wasm-bindgen-test): mount, type, click, read the DOM.
//!
//! They live inside the crate so that it can be a `cdylib` alone: with
//! `rlib` beside it, cargo builds the shipped wasm without LTO.

use crate::i18n::{Lang, Text};
use crate::own::OwnComments;
use crate::{App, Options, mount};
use comments_api::PendingComment;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlTextAreaElement};

wasm_bindgen_test_configure!(run_in_browser);

/// Nothing listens on port 9 (discard): every request fails like an outage.
const DOWN: &str = "http://127.0.0.1:9/";

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// The real language files, as `embed.js` hands them over.
fn lang(file: &str) -> Lang {
    let parsed = js_sys::JSON::parse(file).unwrap();
    Text::from_js(&parsed).expect("every string")
}

/// What `embed.js` hands `mount`: a language file and a thread key.
fn opts(file: &str) -> wasm_bindgen::JsValue {
    let opts = js_sys::Object::new();
    let texts = js_sys::JSON::parse(file).unwrap();
    js_sys::Reflect::set(&opts, &"texts".into(), &texts).unwrap();
    js_sys::Reflect::set(&opts, &"thread".into(), &"t-mount".into()).unwrap();
    opts.into()
}

fn fr() -> Lang {
    lang(include_str!("../i18n/fr.json"))
}

fn en() -> Lang {
    lang(include_str!("../i18n/en.json"))
}

fn options(thread: &str, lang: Lang) -> Options {
    Options {
        api_base: DOWN.into(),
        thread: thread.into(),
        lang,
        poll_seconds: 60,
        page: Default::default(),
        first: None,
        theme: "light",
        wake: Default::default(),
    }
}

/// Mounts `<App>` in a fresh element and returns it.
fn mount_app(opts: Options) -> Element {
    let wrapper = document().create_element("section").unwrap();
    document().body().unwrap().append_child(&wrapper).unwrap();
    leptos::mount::mount_to(
        wrapper.clone().unchecked_into(),
        move || view! { <App options=opts /> },
    )
    .forget();
    wrapper
}

async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

/// Waits up to 5 s for `f` to hold.
async fn until(what: &str, f: impl Fn() -> bool) {
    for _ in 0..100 {
        if f() {
            return;
        }
        sleep(50).await;
    }
    panic!("timed out waiting for {what}");
}

fn find(root: &Element, css: &str) -> Element {
    root.query_selector(css)
        .unwrap()
        .unwrap_or_else(|| panic!("no {css}"))
}

fn text(root: &Element, css: &str) -> String {
    find(root, css).text_content().unwrap_or_default()
}

fn type_into(root: &Element, css: &str, value: &str) {
    let el = find(root, css);
    if let Some(i) = el.dyn_ref::<HtmlInputElement>() {
        i.set_value(value);
    } else {
        el.unchecked_ref::<HtmlTextAreaElement>().set_value(value);
    }
    let ev = web_sys::Event::new("input").unwrap();
    el.dispatch_event(&ev).unwrap();
}

fn click(root: &Element, css: &str) {
    find(root, css).unchecked_into::<HtmlElement>().click();
}

#[wasm_bindgen_test]
async fn mount_builds_a_shadow_root_with_our_stylesheet_once() {
    let host: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&host).unwrap();

    let french = opts(include_str!("../i18n/fr.json"));
    mount(
        host.clone(),
        DOWN.into(),
        ".cw{color:rgb(1, 2, 3)}".into(),
        french,
    )
    .unwrap();
    let shadow = host.shadow_root().expect("shadow root");
    let style = shadow.query_selector("style").unwrap().unwrap();
    assert_eq!(style.text_content().unwrap(), ".cw{color:rgb(1, 2, 3)}");
    leptos::task::tick().await;
    let heading = shadow.query_selector(".cw-heading").unwrap().unwrap();
    assert_eq!(heading.text_content().unwrap(), "Commentaires");
    assert!(
        host.query_selector(".cw-heading").unwrap().is_none(),
        "nothing in light DOM"
    );

    assert!(
        mount(
            host,
            DOWN.into(),
            String::new(),
            opts(include_str!("../i18n/en.json"))
        )
        .is_err(),
        "a second mount is refused"
    );
}

#[wasm_bindgen_test]
async fn own_pending_comments_survive_in_local_storage_and_show_as_pending() {
    let own = OwnComments::new(DOWN, "t-own");
    own.save(&[
        PendingComment {
            id: 41,
            token: "secret".into(),
            author: "Zoé".into(),
            body: "<img src=x onerror=alert(1)> bonjour".into(),
            // As the server renders it in its 202.
            html: "&lt;img src=x onerror=alert(1)&gt; bonjour".into(),
            created_at: js_sys::Date::now() as i64 - 120_000,
            parent: None,
        },
        PendingComment {
            id: 42,
            token: "other".into(),
            author: "Zoé".into(),
            body: "Une réponse".into(),
            html: "<p>Une réponse</p>".into(),
            created_at: js_sys::Date::now() as i64 - 60_000,
            parent: Some(7),
        },
    ]);
    let root = mount_app(options("t-own", fr()));
    leptos::task::tick().await;

    // The reply waits for the comment it answers (the thread has not
    // answered: the server is down), rather than showing at the top.
    assert_eq!(root.query_selector_all(".cw-item").unwrap().length(), 1);

    let item = find(&root, ".cw-item.cw-pending");
    assert_eq!(item.get_attribute("data-comment-id").as_deref(), Some("41"));
    assert_eq!(text(&item, ".cw-author"), "Zoé");
    assert_eq!(
        text(&item, ".cw-body"),
        "<img src=x onerror=alert(1)> bonjour"
    );
    assert!(
        item.query_selector("img").unwrap().is_none(),
        "reader text is never HTML"
    );
    assert_eq!(
        text(&item, ".cw-pending-note"),
        "Merci pour votre commentaire. Il sera visible prochainement sous réserve de validation."
    );
    assert_eq!(text(&item, ".cw-date"), "il y a 2 minutes");
    assert!(
        find(&root, ".cw-empty").has_attribute("hidden"),
        "no empty-thread note"
    );
    own.save(&[]);
}

#[wasm_bindgen_test]
async fn too_long_comment_is_refused_before_sending_and_the_text_is_kept() {
    let root = mount_app(options("t-long", en()));
    leptos::task::tick().await;
    let long = "é".repeat(5001);
    type_into(&root, ".cw-input", "Ana");
    type_into(&root, ".cw-textarea", &long);
    leptos::task::tick().await;
    assert!(text(&root, ".cw-counter").starts_with("5001 / 5000"));
    assert!(find(&root, ".cw-counter").class_list().contains("cw-over"));

    click(&root, ".cw-submit");
    leptos::task::tick().await;
    assert_eq!(text(&root, "[role=status]"), en().body_too_long);
    assert_eq!(
        find(&root, ".cw-textarea")
            .get_attribute("aria-invalid")
            .as_deref(),
        Some("true")
    );
    let kept = find(&root, ".cw-textarea")
        .unchecked_into::<HtmlTextAreaElement>()
        .value();
    assert_eq!(kept, long, "nothing typed is lost");
    assert!(root.query_selector(".cw-item").unwrap().is_none());

    type_into(&root, ".cw-input", "   ");
    type_into(&root, ".cw-textarea", "ok");
    click(&root, ".cw-submit");
    leptos::task::tick().await;
    assert_eq!(text(&root, "[role=status]"), en().author_empty);
    assert_eq!(
        find(&root, ".cw-input")
            .get_attribute("aria-invalid")
            .as_deref(),
        Some("true")
    );
}

#[wasm_bindgen_test]
async fn server_down_is_explained_and_the_text_is_kept() {
    let root = mount_app(options("t-down", fr()));
    leptos::task::tick().await;
    type_into(&root, ".cw-input", "Ana");
    type_into(&root, ".cw-textarea", "Mon commentaire");
    click(&root, ".cw-submit");
    until("network error", || {
        text(&root, "[role=status]") == fr().network
    })
    .await;
    assert!(
        find(&root, "[role=status]")
            .class_list()
            .contains("cw-status-error")
    );
    let body = find(&root, ".cw-textarea")
        .unchecked_into::<HtmlTextAreaElement>()
        .value();
    assert_eq!(body, "Mon commentaire");
    let button = find(&root, ".cw-submit").unchecked_into::<web_sys::HtmlButtonElement>();
    until("button enabled again", || !button.disabled()).await;
    // The failed poll is reported too, without hiding the form.
    until("load failure note", || {
        root.query_selector(".cw-load-failed:not([hidden])")
            .unwrap()
            .is_some()
    })
    .await;
    assert_eq!(text(&root, ".cw-load-failed"), fr().load_failed);
}

#[wasm_bindgen_test]
async fn data_theme_picks_the_palette_of_the_real_stylesheet() {
    let css = include_str!("../style/widget.css");
    let color = |theme: Option<&str>| {
        let host: HtmlElement = document().create_element("div").unwrap().unchecked_into();
        host.set_attribute("data-thread", "t-theme").unwrap();
        if let Some(t) = theme {
            host.set_attribute("data-theme", t).unwrap();
        }
        document().body().unwrap().append_child(&host).unwrap();
        mount(
            host.clone(),
            DOWN.into(),
            css.into(),
            opts(include_str!("../i18n/en.json")),
        )
        .unwrap();
        let root = host
            .shadow_root()
            .unwrap()
            .query_selector(".cw")
            .unwrap()
            .unwrap();
        let style = web_sys::window()
            .unwrap()
            .get_computed_style(&root)
            .unwrap()
            .unwrap();
        style.get_property_value("color").unwrap()
    };
    assert_eq!(color(None), "rgb(29, 29, 31)");
    assert_eq!(color(Some("dark")), "rgb(232, 234, 237)");
    assert_eq!(color(Some("light")), "rgb(29, 29, 31)");
}

/// Replaces `window.fetch`, for thread `t-poll` only, with a stub that
/// records each request's URL and `If-None-Match` and answers with revision
/// 1 (`"r1"`): 200 the first time, then 304 when the tag is sent back.
fn stub_fetch() {
    js_sys::Function::new_no_args(
        r#"
        window.__requests = [];
        const real = window.fetch;
        window.fetch = async (req) => {
          if (!req.url.includes('/t-poll/')) return real(req);
          const tag = req.headers.get('If-None-Match');
          window.__requests.push([req.method, req.url, tag]);
          if (tag === '"r1"') return new Response(null, { status: 304, headers: { ETag: '"r1"' } });
          return new Response('{"thread":"t-poll","revision":1,"comments":[]}',
            { status: 200, headers: { ETag: '"r1"', 'Content-Type': 'application/json' } });
        };
        window.__hidden = false;
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => window.__hidden });
        "#,
    )
    .call0(&wasm_bindgen::JsValue::NULL)
    .unwrap();
}

fn requests() -> Vec<(String, Option<String>)> {
    let list = js_sys::Reflect::get(&web_sys::window().unwrap(), &"__requests".into()).unwrap();
    js_sys::Array::from(&list)
        .iter()
        .map(|r| {
            let r = js_sys::Array::from(&r);
            (r.get(1).as_string().unwrap(), r.get(2).as_string())
        })
        .collect()
}

fn set_hidden(hidden: bool) {
    let w = web_sys::window().unwrap();
    js_sys::Reflect::set(&w, &"__hidden".into(), &hidden.into()).unwrap();
    document()
        .dispatch_event(&web_sys::Event::new("visibilitychange").unwrap())
        .unwrap();
}

#[wasm_bindgen_test]
async fn polling_is_conditional_and_pauses_while_the_tab_is_hidden() {
    stub_fetch();
    let mut opts = options("t-poll", en());
    opts.poll_seconds = 1;
    let _root = mount_app(opts);
    until("first poll", || requests().len() == 1).await;
    let first = requests();
    assert!(
        first[0].0.ends_with("/api/v1/threads/t-poll/comments"),
        "{first:?}"
    );
    assert_eq!(first[0].1, None, "the first poll is unconditional");

    until("second poll", || requests().len() == 2).await;
    assert_eq!(
        requests()[1].1.as_deref(),
        Some("\"r1\""),
        "then If-None-Match"
    );

    set_hidden(true);
    let paused_at = requests().len();
    sleep(2500).await;
    assert_eq!(requests().len(), paused_at, "no polls while hidden");

    set_hidden(false);
    leptos::task::tick().await;
    until("immediate poll on return", || {
        requests().len() == paused_at + 1
    })
    .await;
}
