//! A thread's approved comments as the widget's own `<li>` items (the markup `src/list.rs` builds), for `embed.js` to show at once, before the widget has loaded; the widget then takes them over by their keys.

use crate::http::html::{SanitizedHtml, iso_utc};
use crate::http::reader::texts::Language;
use crate::store::PublicComment;
use comments_api::limits::MAX_DEPTH;
use maud::{Markup, html};
use std::collections::HashMap;

/// Where each comment shows: the item it nests under, its depth (1 for
/// the top level) and, for a reply flattened at the deepest level, the
/// author it answers.
pub struct Layout<'a> {
    comments: &'a [PublicComment],
    /// Indexes of the items shown under each item (`None`: the top level), in order.
    children: HashMap<Option<usize>, Vec<usize>>,
    depth: Vec<u8>,
    to: Vec<Option<&'a str>>,
}

impl<'a> Layout<'a> {
    /// `comments` oldest first, as the store lists them: every parent
    /// comes before its replies. Replies nest up to [`MAX_DEPTH`]; a reply
    /// to a comment at that depth shows beside it, "in reply to" its author.
    pub fn new(comments: &'a [PublicComment]) -> Self {
        let index: HashMap<i64, usize> = comments
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id, i))
            .collect();
        let mut layout = Layout {
            comments,
            children: HashMap::new(),
            depth: Vec::with_capacity(comments.len()),
            to: Vec::with_capacity(comments.len()),
        };
        let mut under: Vec<Option<usize>> = Vec::with_capacity(comments.len());
        for (i, c) in comments.iter().enumerate() {
            let parent = c
                .parent
                .and_then(|p| index.get(&p).copied())
                .filter(|p| *p < i);
            let (container, depth, to) = match parent {
                None => (None, 1, None),
                Some(p) if layout.depth[p] < MAX_DEPTH => (Some(p), layout.depth[p] + 1, None),
                // A removed comment has no name to answer.
                Some(p) => (
                    under[p],
                    MAX_DEPTH,
                    Some(comments[p].author.as_str()).filter(|_| !comments[p].removed),
                ),
            };
            under.push(container);
            layout.depth.push(depth);
            layout.to.push(to);
            layout.children.entry(container).or_default().push(i);
        }
        layout
    }

    /// A top-level comment's count of published replies, when it has any
    /// (the widget offers the ones the page does not show).
    fn replies(&self, i: usize) -> Option<u64> {
        Some(self.comments[i].replies).filter(|n| *n > 0)
    }

    fn item(&self, i: usize) -> Markup {
        let c = &self.comments[i];
        let replies = self.children.get(&Some(i));
        html! {
            @if c.removed {
                li class="cw-item cw-removed" data-key={ "r" (c.id) } data-comment-id=(c.id)
                    data-depth=(self.depth[i]) data-replies=[self.replies(i)] {
                    div class="cw-body" {}
                    @if let Some(r) = replies { ol class="cw-replies" { @for j in r { (self.item(*j)) } } }
                }
            } @else {
                li class="cw-item" data-key={ "a" (c.id) } data-comment-id=(c.id)
                    data-depth=(self.depth[i]) data-to=[self.to[i]] data-replies=[self.replies(i)] {
                    header class="cw-meta" {
                        span class="cw-author" { (c.author) }
                        @if !c.staff.is_empty() { span class="cw-staff" { (c.staff) } }
                        time class="cw-date" datetime=(iso_utc(c.created_at)) data-ms=(c.created_at) {}
                    }
                    div class="cw-body" { (SanitizedHtml::comment(c.id, &c.body)) }
                    @if let Some(r) = replies { ol class="cw-replies" { @for j in r { (self.item(*j)) } } }
                }
            }
        }
    }

    /// The items, nested.
    pub fn render(&self) -> Markup {
        html! { @if let Some(top) = self.children.get(&None) { @for i in top { (self.item(*i)) } } }
    }
}

/// One comment as the widget's item: author as text, body as the comment
/// renderer's HTML, an empty `<time>` the widget fills in, and its
/// replies in an `<ol>` of their own. The widget adds what is in the
/// reader's language: the buttons, "in reply to" (from `data-to`) and
/// "comment removed".
pub fn items(comments: &[PublicComment]) -> String {
    Layout::new(comments).render().into_string()
}

/// [`items`] in the widget's section, under its heading in `lang`: what
/// `embed.js` shows in the shadow root before the widget has loaded, so
/// that nothing moves when the widget takes it over. Empty when there are
/// no comments (the widget shows its own "no comments yet").
pub fn framed(comments: &[PublicComment], lang: &Language) -> String {
    if comments.is_empty() {
        return String::new();
    }
    html! {
        section class="cw-thread" lang=(lang.lang) dir=(lang.dir) {
            h2 class="cw-heading" { (lang.heading) }
            ol class="cw-list" { (Layout::new(comments).render()) }
        }
    }
    .into_string()
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
            parent: None,
            removed: false,
            replies: 0,
            staff: String::new(),
            featured: false,
        }]);
        assert!(html.starts_with(
            "<li class=\"cw-item\" data-key=\"a7\" data-comment-id=\"7\" data-depth=\"1\">"
        ));
        assert!(html.contains("<span class=\"cw-author\">&lt;b&gt;Ana&lt;/b&gt;</span>"));
        assert!(html.contains("datetime=\"2023-11-14T22:13:20Z\" data-ms=\"1700000000000\""));
        assert!(html.contains("<a href=\"https://a.example\""));
        assert_eq!(items(&[]), "");
    }

    fn c(id: i64, parent: Option<i64>, removed: bool) -> PublicComment {
        PublicComment {
            id,
            author: format!("R{id}"),
            body: format!("text {id}"),
            created_at: id,
            parent,
            removed,
            replies: 0,
            staff: String::new(),
            featured: false,
        }
    }

    /// Each item's id, depth and `data-to`, in document order, with its
    /// nesting as the `<ol>`s opened before it.
    fn outline(html: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut open = 0;
        let mut rest = html;
        while let Some(at) = rest.find('<') {
            rest = &rest[at..];
            if rest.starts_with("<ol") {
                open += 1;
            } else if rest.starts_with("</ol") {
                open -= 1;
            } else if rest.starts_with("<li") {
                let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
                let attr = |name: &str| {
                    tag.split(&format!("{name}=\""))
                        .nth(1)
                        .and_then(|v| v.split('"').next())
                };
                out.push(format!(
                    "{}{}@{}{}",
                    "  ".repeat(open),
                    attr("data-key").unwrap_or("?"),
                    attr("data-depth").unwrap_or("?"),
                    attr("data-to")
                        .map(|t| format!(" to {t}"))
                        .unwrap_or_default()
                ));
            }
            rest = &rest[1..];
        }
        out
    }

    #[test]
    fn replies_nest_three_deep_then_flatten_with_the_author_they_answer() {
        let thread = [
            c(1, None, false),
            c(2, Some(1), false),
            c(3, Some(2), false),
            c(4, Some(3), false),
            c(5, Some(4), false),
            c(6, Some(1), false),
            c(7, None, false),
        ];
        assert_eq!(
            outline(&items(&thread)),
            [
                "a1@1",
                "  a2@2",
                "    a3@3",
                "    a4@3 to R3",
                "    a5@3 to R4",
                "  a6@2",
                "a7@1",
            ]
        );
    }

    #[test]
    fn a_reply_beside_a_removed_comment_answers_no_name() {
        let thread = [
            c(1, None, false),
            c(2, Some(1), false),
            c(3, Some(2), true),
            c(4, Some(3), false),
        ];
        assert_eq!(
            outline(&items(&thread)),
            ["a1@1", "  a2@2", "    r3@3", "    a4@3"]
        );
    }

    #[test]
    fn a_removed_comment_shows_only_as_the_place_of_its_replies() {
        let html = items(&[c(1, None, true), c(2, Some(1), false), c(3, Some(9), false)]);
        assert_eq!(outline(&html), ["r1@1", "  a2@2", "a3@1"]);
        assert!(!html.contains("R1") && !html.contains("text 1<"), "{html}");
    }

    #[test]
    fn the_loaders_fragment_comes_framed_under_the_heading_in_its_language() {
        let one = [PublicComment {
            id: 3,
            author: "Ana".into(),
            body: "bonjour".into(),
            created_at: 0,
            parent: None,
            removed: false,
            replies: 0,
            staff: String::new(),
            featured: false,
        }];
        let fr = framed(&one, crate::http::reader::texts::closest("fr-CA"));
        assert!(
            fr.starts_with(
                "<section class=\"cw-thread\" lang=\"fr\" dir=\"ltr\"><h2 class=\"cw-heading\">Commentaires</h2><ol class=\"cw-list\"><li "
            ),
            "{fr}"
        );
        assert!(fr.ends_with("</ol></section>") && fr.contains(&items(&one)));
        let ar = framed(&one, crate::http::reader::texts::closest("ar"));
        assert!(ar.contains("dir=\"rtl\""), "{ar}");
        assert_eq!(framed(&[], crate::http::reader::texts::closest("fr")), "");
    }
}
