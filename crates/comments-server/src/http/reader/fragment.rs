//! A thread's approved comments as the widget's own `<li>` items (the markup `src/list.rs` builds), for `embed.js` to show at once, before the widget has loaded; the widget then takes them over by their keys.

use crate::http::html::{SanitizedHtml, iso_utc};
use crate::store::PublicComment;
use maud::{Markup, html};

/// One comment as the widget's item: author as text, body as the comment
/// renderer's HTML, and an empty `<time>` the widget fills in.
fn item(c: &PublicComment) -> Markup {
    html! {
        li class="cw-item" data-key={ "a" (c.id) } data-comment-id=(c.id) {
            header class="cw-meta" {
                span class="cw-author" { (c.author) }
                time class="cw-date" datetime=(iso_utc(c.created_at)) data-ms=(c.created_at) {}
            }
            div class="cw-body" { (SanitizedHtml::comment(c.id, &c.body)) }
        }
    }
}

/// The items, oldest first. Dates are filled in by the widget, in the
/// reader's language.
pub fn items(comments: &[PublicComment]) -> String {
    html! { @for c in comments { (item(c)) } }.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_escape_the_author_and_render_the_body() {
        let html = items(&[PublicComment {
            id: 7,
            author: "<b>Ana</b>".into(),
            body: "see https://a.example".into(),
            created_at: 1_700_000_000_000,
        }]);
        assert!(html.starts_with("<li class=\"cw-item\" data-key=\"a7\" data-comment-id=\"7\">"));
        assert!(html.contains("<span class=\"cw-author\">&lt;b&gt;Ana&lt;/b&gt;</span>"));
        assert!(html.contains("datetime=\"2023-11-14T22:13:20Z\" data-ms=\"1700000000000\""));
        assert!(html.contains("<a href=\"https://a.example\""));
        assert_eq!(items(&[]), "");
    }
}
