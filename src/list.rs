//! The list of comments, kept in the DOM by hand: approved ones and, marked pending, the reader's own, each reply under the comment it answers.
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
use comments_api::Comment;
use comments_api::limits::MAX_DEPTH;
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element};

/// One item to show.
struct Item<'a> {
    key: String,
    id: i64,
    author: &'a str,
    html: &'a str,
    created_at: i64,
    pending: bool,
    removed: bool,
    parent: Option<i64>,
    /// Published replies of a top-level comment (a count far below `u32::MAX`;
    /// one integer type to print and parse keeps the wasm smaller).
    replies: u32,
    /// A moderator's label, on a staff reply.
    staff: &'a str,
}

thread_local! {
    /// How the comments' HTML goes in: the loader's `html`, which passes it
    /// through the page's Trusted Types policy for us ("comments"), where
    /// the browser has Trusted Types.
    static POLICY: std::cell::RefCell<Option<js_sys::Function>> =
        const { std::cell::RefCell::new(None) };
}

/// Takes the loader's `html` function (see `mount`).
pub fn use_policy(html: Option<js_sys::Function>) {
    POLICY.with(|p| *p.borrow_mut() = html);
}

/// The one place the widget inserts HTML: the server's rendering of a
/// comment, through the Trusted Types policy where there is one.
fn set_html(el: &Element, html: &str) {
    let value = POLICY
        .with(|p| {
            p.borrow()
                .as_ref()
                .and_then(|f| f.call1(&JsValue::NULL, &html.into()).ok())
        })
        .unwrap_or_else(|| html.into());
    let _ = Reflect::set(el, &"innerHTML".into(), &value);
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
/// widget takes over; [`complete`] adds the words of either.
fn build(doc: &Document, item: &Item, lang: Lang) -> Option<Element> {
    let text = lang.text();
    let li = element(
        doc,
        "li",
        if item.removed {
            "cw-item cw-removed"
        } else if item.pending {
            "cw-item cw-pending"
        } else {
            "cw-item"
        },
    )?;
    li.set_attribute("data-key", &item.key).ok()?;
    li.set_attribute("data-comment-id", &item.id.to_string())
        .ok()?;
    if item.replies > 0 {
        li.set_attribute("data-replies", &item.replies.to_string())
            .ok()?;
    }
    if !item.removed {
        let meta = element(doc, "header", "cw-meta")?;
        let author = text_element(doc, "span", "cw-author", item.author)?;
        meta.append_child(&author).ok()?;
        if !item.staff.is_empty() {
            let badge = text_element(doc, "span", "cw-staff", item.staff)?;
            meta.append_child(&badge).ok()?;
        }
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
    }
    let body = element(doc, "div", "cw-body")?;
    // The server's rendering: escaped text and safe links (comments_api::render).
    set_html(&body, item.html);
    li.append_child(&body).ok()?;
    if item.pending {
        let note = text_element(doc, "p", "cw-pending-note", text.pending)?;
        li.append_child(&note).ok()?;
        let withdraw = button(doc, "cw-withdraw", text.withdraw)?;
        li.append_child(&withdraw).ok()?;
    }
    Some(li)
}

/// Adds, once, what an item shows in the reader's language: "comment
/// removed" in place of a removed one's text, "in reply to NAME" over a
/// reply shown beside the comment it answers, and the Reply button, the
/// permalink and the Report button of a published one.
fn complete(doc: &Document, li: &Element, lang: Lang) -> Option<()> {
    if li.has_attribute("data-w") {
        return Some(());
    }
    li.set_attribute("data-w", "").ok()?;
    let text = lang.text();
    let body = li.query_selector(".cw-body").ok()??;
    // The browser matches classes: `str::contains` costs 2 KB of wasm.
    let is = |class: &str| li.matches(class).unwrap_or(false);
    if is(".cw-removed") {
        body.set_text_content(Some(text.removed));
        return Some(());
    }
    if let Some(to) = li.get_attribute("data-to") {
        let words = js_sys::JsString::from(text.in_reply_to).replace("{name}", &to);
        let p = text_element(doc, "p", "cw-to", &String::from(words))?;
        body.insert_adjacent_element("beforebegin", &p).ok()?;
    }
    if !is(".cw-pending") {
        // Reply, the permalink, then Report: right after the text.
        let report = button(doc, "cw-report", text.report)?;
        body.insert_adjacent_element("afterend", &report).ok()?;
        body.insert_adjacent_element("afterend", &permalink(doc, li, lang)?)
            .ok()?;
        let reply = button(doc, "cw-reply", text.reply)?;
        body.insert_adjacent_element("afterend", &reply).ok()?;
    }
    Some(())
}

fn button(doc: &Document, class: &str, text: &str) -> Option<Element> {
    let b = text_element(doc, "button", class, text)?;
    b.set_attribute("type", "button").ok()?;
    Some(b)
}

/// The permalink of item `li`: a click copies it and goes to the comment.
fn permalink(doc: &Document, li: &Element, lang: Lang) -> Option<Element> {
    let link = text_element(doc, "a", "cw-link", lang.text().link)?;
    let id = li.get_attribute("data-comment-id")?;
    link.set_attribute("href", &format!("#comment-{id}")).ok()?;
    Some(link)
}

/// `class`'s element in `thread`, or `make`'s, put in place by it.
fn part(
    thread: &Element,
    class: &str,
    make: impl FnOnce(&Document) -> Option<Element>,
) -> Option<Element> {
    match thread.query_selector(class).ok().flatten() {
        Some(el) => Some(el),
        None => make(&thread.owner_document()?),
    }
}

/// Shows the editors' picks in their section of `thread`, under its
/// heading: copies of the comments, each with the link to its place in
/// the thread. Made when the first pick comes, rebuilt from each answer
/// (ten items at most), hidden while there are none. Built by hand like
/// the list: a view of its own would cost wasm.
pub fn featured(thread: &Element, picks: &[Comment], lang: Lang, now: f64) {
    if picks.is_empty()
        && thread
            .query_selector(".cw-featured")
            .ok()
            .flatten()
            .is_none()
    {
        return;
    }
    let Some(ol) = part(thread, ".cw-featured-list", |doc| {
        let section = element(doc, "section", "cw-featured")?;
        let heading = text_element(doc, "h3", "cw-featured-heading", lang.text().featured)?;
        section.append_child(&heading).ok()?;
        let ol = element(doc, "ol", "cw-featured-list")?;
        section.append_child(&ol).ok()?;
        thread
            .first_element_child()?
            .insert_adjacent_element("afterend", &section)
            .ok()?;
        Some(ol)
    }) else {
        return;
    };
    let Some(doc) = ol.owner_document() else {
        return;
    };
    ol.set_text_content(None);
    for c in picks {
        let Some(li) = build(&doc, &approved(c), lang) else {
            continue;
        };
        if let Some(link) = permalink(&doc, &li, lang) {
            let _ = li.append_child(&link);
        }
        let _ = ol.append_child(&li);
    }
    if let Some(section) = ol.parent_element() {
        let _ = section.toggle_attribute_with_force("hidden", picks.is_empty());
    }
    dates(&ol, lang, now);
}

/// The report dialog of `thread`, made on first use: a frame for the
/// server's report page, and a button that closes the dialog without
/// script (`method="dialog"`).
pub fn dialog(thread: &Element, lang: Lang) -> Option<Element> {
    part(thread, ".cw-dialog", |doc| {
        let text = lang.text();
        let dialog = element(doc, "dialog", "cw-dialog")?;
        dialog.set_attribute("aria-label", text.report).ok()?;
        let frame = element(doc, "iframe", "cw-frame")?;
        frame.set_attribute("title", text.report).ok()?;
        dialog.append_child(&frame).ok()?;
        let form = element(doc, "form", "")?;
        form.set_attribute("method", "dialog").ok()?;
        let close = text_element(doc, "button", "cw-close", text.close)?;
        form.append_child(&close).ok()?;
        dialog.append_child(&form).ok()?;
        thread.append_child(&dialog).ok()?;
        Some(dialog)
    })
}

/// A published comment (or the placeholder of a removed one) as an item.
fn approved(c: &Comment) -> Item<'_> {
    Item {
        key: if c.removed {
            format!("r{}", c.id)
        } else {
            format!("a{}", c.id)
        },
        id: c.id,
        author: &c.author,
        html: &c.html,
        created_at: c.created_at,
        pending: false,
        removed: c.removed,
        parent: c.parent,
        replies: c.replies as u32,
        staff: &c.staff,
    }
}

/// "Show N more replies" under a top-level comment whose conversation has
/// more published replies (`data-replies`) than the list holds; once.
fn more_replies(doc: &Document, li: &Element, lang: Lang) -> Option<()> {
    let total: u32 = li.get_attribute("data-replies")?.parse().ok()?;
    if li.has_attribute("data-m") {
        return Some(());
    }
    li.set_attribute("data-m", "").ok()?;
    let shown = li.query_selector_all(".cw-item").ok()?.length();
    let hidden = total.checked_sub(shown).filter(|n| *n > 0)?;
    let text = lang.text();
    let words = text.plural(&text.more_replies, hidden);
    let more = button(doc, "cw-more-replies", &words)?;
    li.append_child(&more).ok()?;
    Some(())
}

/// The `<ol>` of `li`'s replies, made if it has none yet.
fn replies_of(doc: &Document, li: &Element) -> Option<Element> {
    match li.last_element_child() {
        Some(ol) if ol.class_name() == "cw-replies" => Some(ol),
        _ => {
            let ol = element(doc, "ol", "cw-replies")?;
            li.append_child(&ol).ok()?;
            Some(ol)
        }
    }
}

/// Where a new item goes: the top of the list, under its parent, or, at
/// the deepest level, beside its parent "in reply to" it.
fn container(
    doc: &Document,
    list: &Element,
    el: &Element,
    parent: Option<&Element>,
) -> Option<Element> {
    let Some(parent) = parent else {
        el.set_attribute("data-depth", "1").ok()?;
        return Some(list.clone());
    };
    let depth = match parent.get_attribute("data-depth").as_deref() {
        Some("1") => 1,
        Some("2") => 2,
        _ => MAX_DEPTH,
    };
    if depth < MAX_DEPTH {
        el.set_attribute("data-depth", if depth == 1 { "2" } else { "3" })
            .ok()?;
        return replies_of(doc, parent);
    }
    el.set_attribute("data-depth", "3").ok()?;
    if !el.has_attribute("data-w")
        && let Some(name) = parent
            .query_selector(".cw-author")
            .ok()
            .flatten()
            .and_then(|a| a.text_content())
    {
        el.set_attribute("data-to", &name).ok()?;
    }
    parent.parent_element()
}

/// Shows `comments` in `list` (an `<ol>`), oldest first, each reply under
/// the comment it answers and the reader's own pending ones last in
/// theirs, and `empty` when there are none. The form, if it was open
/// under an item that goes, returns to `home`.
pub fn show(
    list: &Element,
    empty: &Element,
    home: Option<&Element>,
    comments: &Comments,
    lang: Lang,
    now: f64,
) {
    let Some(doc) = list.owner_document() else {
        return;
    };
    let published = comments.approved.iter().map(approved);
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
            removed: false,
            parent: m.parent,
            replies: 0,
            staff: "",
        });
    // A page of items: lists searched in line are small, and cheaper in
    // wasm than maps.
    let mut existing: Vec<(String, Element)> = Vec::new();
    if let Ok(items) = list.query_selector_all("li[data-key]") {
        for i in 0..items.length() {
            if let Some(el) = items.item(i).and_then(|n| n.dyn_into::<Element>().ok())
                && let Some(key) = el.get_attribute("data-key")
            {
                existing.push((key, el));
            }
        }
    }
    // Each item placed so far, by id; the last item placed in each container.
    let mut placed: Vec<(i64, Element)> = Vec::new();
    let mut lasts: Vec<(Element, Element)> = Vec::new();
    for item in published.chain(mine) {
        let parent = item
            .parent
            .and_then(|p| placed.iter().find(|(id, _)| *id == p))
            .map(|(_, el)| el);
        // Before the thread's first answer, a pending reply has no parent
        // to go under yet; after it, one whose parent is gone shows at the
        // top rather than not at all.
        if parent.is_none() && item.parent.is_some() && !comments.loaded {
            continue;
        }
        let kept = existing
            .iter()
            .position(|(key, _)| *key == item.key)
            .map(|i| existing.swap_remove(i).1);
        let Some(el) = kept.or_else(|| build(&doc, &item, lang)) else {
            continue;
        };
        let Some(into) = container(&doc, list, &el, parent) else {
            continue;
        };
        complete(&doc, &el, lang);
        let at = lasts.iter().position(|(c, _)| *c == into);
        let after = at.map(|i| lasts[i].1.clone());
        let in_place =
            el.parent_element().as_ref() == Some(&into) && el.previous_element_sibling() == after;
        if !in_place {
            let next = match &after {
                Some(prev) => prev.next_sibling(),
                None => into.first_child(),
            };
            let _ = into.insert_before(&el, next.as_ref());
        }
        match at {
            Some(i) => lasts[i].1 = el.clone(),
            None => lasts.push((into, el.clone())),
        }
        placed.push((item.id, el));
    }
    for (_, el) in &placed {
        more_replies(&doc, el, lang);
    }
    for (_, el) in existing {
        if let (Some(home), Ok(Some(form))) = (home, el.query_selector(".cw-form")) {
            let _ = home.append_child(&form);
        }
        el.remove();
    }
    let _ = empty.toggle_attribute_with_force("hidden", !placed.is_empty());
    // Load more, right after the list, while pages remain unread.
    if let Some(more) = list.next_element_sibling() {
        let _ = more.toggle_attribute_with_force("hidden", comments.next.is_none());
    }
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

/// Whether a click hit the thread's Load more button.
pub fn more(ev: &web_sys::Event) -> bool {
    ev.target()
        .and_then(|t| t.dyn_into::<Element>().ok())
        .is_some_and(|t| t.matches(".cw-more").unwrap_or(false))
}

/// The button of `class` a click on the list hit, if any, and the id of
/// the comment it belongs to.
pub fn clicked(ev: &web_sys::Event, class: &str) -> Option<(Element, i64)> {
    let button = ev
        .target()
        .and_then(|t| t.dyn_into::<Element>().ok())
        .and_then(|t| t.closest(class).ok().flatten())?;
    let id = button
        .closest(".cw-item")
        .ok()
        .flatten()
        .and_then(|li| li.get_attribute("data-comment-id"))
        .and_then(|id| id.parse().ok())?;
    Some((button, id))
}
