//! A thread's approved comments as the widget's own `<li>` items (the markup `src/list.rs` builds), for `embed.js` to show at once, before the widget has loaded; the widget then takes them over by their keys.

use crate::html::{escape, iso_utc};
use crate::store::PublicComment;
use comments_api::render::comment_html;

/// The items, oldest first. Author as text, body as the comment renderer's
/// HTML; dates are filled in by the widget, in the reader's language.
pub fn items(comments: &[PublicComment]) -> String {
    let mut out = String::new();
    for c in comments {
        out.push_str(&format!(
            "<li class=\"cw-item\" data-key=\"a{id}\" data-comment-id=\"{id}\">\
             <header class=\"cw-meta\"><span class=\"cw-author\">{author}</span>\
             <time class=\"cw-date\" datetime=\"{iso}\" data-ms=\"{ms}\"></time></header>\
             <div class=\"cw-body\">{body}</div></li>",
            id = c.id,
            author = escape(&c.author),
            iso = iso_utc(c.created_at),
            ms = c.created_at,
            body = comment_html(&c.body),
        ));
    }
    out
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
