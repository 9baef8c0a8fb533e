//! The list of comments, kept in the DOM by hand: approved ones and, marked pending, the reader's own.
//!
//! Keyed: each item carries its key (`a12` approved, `p12` pending), and a
//! new answer moves, adds and removes items without rebuilding the ones
//! that did not change. The server renders each comment's text; this is
//! the one place the widget inserts HTML, and only that HTML. Everything
//! else is set as text. Per-comment Leptos views cost about 4 KB of wasm
//! more, and a keyed `<For>` about 10 KB.

use crate::app::Comments;
use crate::i18n::Lang;
use crate::reltime;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element};

/// One item to show.
struct Item<'a> {
    key: String,
    id: i64,
    author: &'a str,
    html: &'a str,
    created_at: i64,
    pending: bool,
}

fn element(doc: &Document, tag: &str, class: &str) -> Option<Element> {
    let el = doc.create_element(tag).ok()?;
    el.set_class_name(class);
    Some(el)
}

fn text_element(doc: &Document, tag: &str, class: &str, text: &str) -> Option<Element> {
    let el = element(doc, tag, class)?;
    el.set_text_content(Some(text));
    Some(el)
}

/// An item's element: author and date as text, the server's HTML as the
/// body. The same markup as the server's `fragment.rs`, whose items the
/// widget takes over.
fn build(doc: &Document, item: &Item, lang: Lang) -> Option<Element> {
    let text = lang.text();
    let li = element(
        doc,
        "li",
        if item.pending {
            "cw-item cw-pending"
        } else {
            "cw-item"
        },
    )?;
    li.set_attribute("data-key", &item.key).ok()?;
    li.set_attribute("data-comment-id", &item.id.to_string())
        .ok()?;
    let meta = element(doc, "header", "cw-meta")?;
    let author = text_element(doc, "span", "cw-author", item.author)?;
    meta.append_child(&author).ok()?;
    let when = item.created_at as f64;
    let time = element(doc, "time", "cw-date")?;
    time.set_attribute("datetime", &reltime::iso(when)).ok()?;
    time.set_attribute("data-ms", &item.created_at.to_string())
        .ok()?;
    meta.append_child(&time).ok()?;
    if item.pending {
        let badge = text_element(doc, "span", "cw-badge", text.pending_badge)?;
        meta.append_child(&badge).ok()?;
    }
    li.append_child(&meta).ok()?;
    let body = element(doc, "div", "cw-body")?;
    // The server's rendering: escaped text and safe links (comments_api::render).
    body.set_inner_html(item.html);
    li.append_child(&body).ok()?;
    if item.pending {
        let note = text_element(doc, "p", "cw-pending-note", text.pending)?;
        li.append_child(&note).ok()?;
        let withdraw = text_element(doc, "button", "cw-withdraw", text.withdraw)?;
        withdraw.set_attribute("type", "button").ok()?;
        li.append_child(&withdraw).ok()?;
    }
    Some(li)
}

/// Shows `comments` in `list` (an `<ol>`), oldest first, the reader's own
/// pending ones last, and `empty` when there are none.
pub fn show(list: &Element, empty: &Element, comments: &Comments, lang: Lang, now: f64) {
    let Some(doc) = list.owner_document() else {
        return;
    };
    let approved = comments.approved.iter().map(|c| Item {
        key: format!("a{}", c.id),
        id: c.id,
        author: &c.author,
        html: &c.html,
        created_at: c.created_at,
        pending: false,
    });
    let mine = comments
        .mine
        .iter()
        .filter(|m| !comments.approved.iter().any(|a| a.id == m.id))
        .map(|m| Item {
            key: format!("p{}", m.id),
            id: m.id,
            author: &m.author,
            html: &m.html,
            created_at: m.created_at,
            pending: true,
        });
    // A page of items: a list searched in line is small, and cheaper in
    // wasm than a map.
    let mut existing: Vec<(String, Element)> = Vec::new();
    let children = list.children();
    for i in 0..children.length() {
        if let Some(el) = children.item(i)
            && let Some(key) = el.get_attribute("data-key")
        {
            existing.push((key, el));
        }
    }
    let mut cursor = list.first_element_child();
    let mut count = 0;
    for item in approved.chain(mine) {
        count += 1;
        let kept = existing
            .iter()
            .position(|(key, _)| *key == item.key)
            .map(|i| existing.swap_remove(i).1);
        let Some(el) = kept.or_else(|| build(&doc, &item, lang)) else {
            continue;
        };
        if cursor.as_ref() == Some(&el) {
            cursor = el.next_element_sibling();
        } else {
            let _ = list.insert_before(&el, cursor.as_ref().map(|c| c.unchecked_ref()));
        }
    }
    for (_, el) in existing {
        el.remove();
    }
    let _ = empty.toggle_attribute_with_force("hidden", count > 0);
    dates(list, lang, now);
}

/// Updates every date in `list` to `now`: "5 minutes ago", with the full
/// date and time as its tooltip.
pub fn dates(list: &Element, lang: Lang, now: f64) {
    let Ok(times) = list.query_selector_all("time[data-ms]") else {
        return;
    };
    for i in 0..times.length() {
        let Some(time) = times.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else {
            continue;
        };
        // Parsed by the browser: Rust's float parsing costs 10 KB of wasm.
        if let Some(ms) = time.get_attribute("data-ms") {
            let then = js_sys::Number::parse_float(&ms);
            time.set_text_content(Some(&reltime::relative(lang, then, now)));
            if !time.has_attribute("title") {
                let _ = time.set_attribute("title", &reltime::absolute(lang, then));
            }
        }
    }
}

/// The comment whose Withdraw button a click on the list hit, if any.
pub fn withdrawn(ev: &web_sys::Event) -> Option<i64> {
    ev.target()
        .and_then(|t| t.dyn_into::<Element>().ok())
        .and_then(|t| t.closest(".cw-withdraw").ok().flatten())
        .and_then(|b| b.closest(".cw-item").ok().flatten())
        .and_then(|li| li.get_attribute("data-comment-id"))
        .and_then(|id| id.parse().ok())
}
