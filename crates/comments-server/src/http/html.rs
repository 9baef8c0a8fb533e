//! Server-rendered HTML: the one frame every page shares, the one type that
//! carries sanitised comment HTML, dates, and the moderation pages' frame.
//!
//! Pages are `maud` templates, which escape every interpolated value. Reader
//! (or moderator) text reaches a page only that way, or as [`SanitizedHtml`].

use comments_api::markdown;
use hashlink::LruCache;
use maud::{DOCTYPE, Markup, PreEscaped, Render, html};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, LazyLock, Mutex};

/// HTML that the comment renderer made from a comment's text (Markdown,
/// sanitised by ammonia's allow-list). The only HTML from outside the
/// templates that a page or an answer takes.
#[derive(Clone)]
pub struct SanitizedHtml(Arc<str>);

/// Comments already rendered, by id and text: a comment is rendered once
/// per process, not once per answer or page. Bounded; the oldest go first.
static RENDERED: LazyLock<Mutex<Rendered>> = LazyLock::new(|| Mutex::new(LruCache::new(50_000)));

/// (comment id, hash of its text) to its HTML.
type Rendered = LruCache<(i64, u64), Arc<str>>;

impl SanitizedHtml {
    /// Comment `id`'s text `body` as the renderer's HTML.
    pub fn comment(id: i64, body: &str) -> Self {
        let mut h = std::hash::DefaultHasher::new();
        body.hash(&mut h);
        let key = (id, h.finish());
        let cached = RENDERED.lock().ok().and_then(|mut c| c.get(&key).cloned());
        if let Some(html) = cached {
            return Self(html);
        }
        let html: Arc<str> = markdown::render(body).into();
        if let Ok(mut c) = RENDERED.lock() {
            c.insert(key, Arc::clone(&html));
        }
        Self(html)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Render for SanitizedHtml {
    fn render_to(&self, buffer: &mut String) {
        PreEscaped(&*self.0).render_to(buffer);
    }
}

/// The frame of every page the server renders: doctype, language, charset,
/// viewport and title; `head` adds the page's own links, `body` is its content.
pub fn page(title: &str, head: Markup, body: Markup) -> Markup {
    page_in(("en", "ltr"), None, title, head, body)
}

/// [`page`] in another language than English and its direction (`("ar",
/// "rtl")`), with a class on the root element (a theme) if given.
pub fn page_in(
    (lang, dir): (&str, &str),
    class: Option<&str>,
    title: &str,
    head: Markup,
    body: Markup,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang) dir=(dir) class=[class] {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                (head)
                title { (title) }
            }
            body { (body) }
        }
    }
}

pub use crate::clock::iso_utc;

/// How long ago, in words: "just now", "5 min", "3 h", "2 days".
pub fn age(ms: i64, now: i64) -> String {
    let secs = (now - ms).max(0) / 1000;
    match secs {
        0..60 => "just now".into(),
        60..3600 => format!("{} min ago", secs / 60),
        3600..86_400 => format!("{} h ago", secs / 3600),
        _ => format!("{} days ago", secs / 86_400),
    }
}

/// The policy of every moderation page: our own script and stylesheet
/// only, requests to ourselves only, forms to ourselves only.
pub const ADMIN_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; \
    frame-ancestors 'none'";

/// The moderation pages' links, each with the key that marks it current.
const NAV_LINKS: [(&str, &str, &str); 7] = [
    ("/admin", "Queue", "queue"),
    ("/admin/reported", "Reported", "reported"),
    ("/admin/comments?status=approved", "Published", "approved"),
    ("/admin/comments?status=rejected", "Rejected", "rejected"),
    ("/admin/bans", "Bans", "bans"),
    ("/admin/modes", "Modes", "modes"),
    ("/admin/audit", "Audit log", "audit"),
];

/// The signed-in moderator's navigation: the pages, who is signed in, and
/// the sign-out form.
fn admin_nav(current: &str, moderator: &str, csrf: &str) -> Markup {
    html! {
        nav {
            @for (href, label, key) in NAV_LINKS {
                a href=(href) aria-current=[(key == current).then_some("page")] { (label) }
            }
            form method="post" action="/admin/logout" class="signout" {
                input type="hidden" name="csrf" value=(csrf);
                span { (moderator) } " " button { "Sign out" }
            }
        }
    }
}

/// A whole moderation page: `nav` is the current page's key and the
/// signed-in moderator, if any; `csrf` goes in a `<meta>` for the script.
pub fn admin_page(title: &str, nav: Option<(&str, &str)>, csrf: &str, main: Markup) -> Markup {
    let head = html! {
        meta name="color-scheme" content="light dark";
        meta name="csrf-token" content=(csrf);
        link rel="stylesheet" href="/admin/admin.css";
        script type="module" src="/admin/admin.js" {}
    };
    let body = html! {
        header class="top" {
            h1 { (title) }
            @if let Some((current, moderator)) = nav {
                (admin_nav(current, moderator, csrf))
            }
        }
        main { (main) }
    };
    page(&format!("{title} · Comments moderation"), head, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_renderer_makes_markup() {
        let text = "<img src=x onerror=\"a('b')\"> https://a.example/?q=<b>";
        let page = page(
            text,
            html! {},
            html! { p title=(text) { (text) } div { (SanitizedHtml::comment(1, text)) } },
        )
        .into_string();
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains("<b>"), "{page}");
        assert!(page.contains("<title>&lt;img src=x onerror=&quot;a('b')&quot;&gt;"));
        assert!(page.contains("<a href=\"https://a.example/?q=\""), "{page}");
        assert!(page.starts_with(
            "<!DOCTYPE html><html lang=\"en\" dir=\"ltr\"><head><meta charset=\"utf-8\">"
        ));
    }

    #[test]
    fn dates_are_utc_iso() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(1_700_000_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(iso_utc(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(age(0, 90_000), "1 min ago");
        assert_eq!(age(0, 3 * 86_400_000), "3 days ago");
    }
}
