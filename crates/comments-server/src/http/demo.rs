//! The page at `/`: the demo article with the widget embedded, or a short landing page.

use crate::http::assets::DEMO_TEMPLATE;
use axum::response::Html;
use maud::{Markup, PreEscaped, html};

/// Letters and digits only, lower-cased: "Marseille – Miami" and
/// "Marseille - Miami" compare equal.
fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The original site's confirmation under its comment box, which the demo
/// fixture was scraped with. It is the widget's job to say it, not the article's.
const SCRAPED_CONFIRMATION: &str =
    "Merci pour votre commentaire. Il sera visible prochainement sous réserve de validation.";

/// A plain-text article: the first paragraph is the title, the second the
/// standfirst, paragraphs are separated by blank lines, and a short line
/// that does not end a sentence is a subheading. Repeats of the title and
/// the scraped comment confirmation are dropped.
pub struct Article {
    pub title: String,
    pub paragraphs: Vec<String>,
    /// The thread its comments go to.
    pub thread: String,
}

/// A subheading: one short line that does not end like a sentence.
fn is_subheading(p: &str) -> bool {
    p.chars().count() <= 60 && !p.ends_with(['.', '!', '?', ':', '»', '"', '”', '…'])
}

impl Article {
    pub fn parse(text: &str) -> Option<Self> {
        let mut paras = text
            .replace("\r\n", "\n")
            .split("\n\n")
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .into_iter();
        let title = paras.next()?;
        let key = fold(&title);
        let paragraphs = paras
            .filter(|p| fold(p) != key && p != SCRAPED_CONFIRMATION)
            .collect();
        Some(Self {
            title,
            paragraphs,
            thread: "demo".into(),
        })
    }

    /// The same article, with its comments in `thread`.
    pub fn in_thread(self, thread: &str) -> Self {
        Self {
            thread: thread.into(),
            ..self
        }
    }

    /// A thread key from an article's file name: `tramway-de-nuit.txt` is
    /// `tramway-de-nuit`; letters and digits kept, the rest dashes.
    pub fn thread_of(path: &std::path::Path) -> String {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let slug: String = stem
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { '-' })
            .take(200)
            .collect();
        let slug = slug.trim_matches('-');
        if slug.is_empty() {
            "demo".into()
        } else {
            slug.into()
        }
    }

    /// The standfirst, then paragraphs and subheadings, as text.
    fn body(&self) -> Markup {
        html! {
            @for (i, p) in self.paragraphs.iter().enumerate() {
                @if i == 0 {
                    p class="standfirst" { (p) }
                } @else if is_subheading(p) {
                    h2 { (p) }
                } @else {
                    p { (p) }
                }
                "\n"
            }
        }
    }

    /// Renders into the trunk-built demo template, which keeps the page's
    /// frame (trunk adds the widget's preloads and start-up script to it):
    /// the title and paragraphs go in its placeholders as escaped text.
    pub fn render(&self, template: &str) -> String {
        let title = html! { (self.title) }.into_string();
        template
            .replace("%ARTICLE_TITLE%", &title)
            .replace("%ARTICLE_BODY%", &self.body().into_string())
            .replace("%ARTICLE_THREAD%", &html! { (self.thread) }.into_string())
    }
}

/// The page served at `/`, rendered once at start-up.
pub fn page(article: Option<&Article>) -> Html<String> {
    match (article, DEMO_TEMPLATE) {
        (Some(a), Some(t)) => Html(a.render(t)),
        _ => Html(landing().into_string()),
    }
}

/// The landing page's look, compiled in.
const LANDING_CSS: PreEscaped<&str> = PreEscaped(
    "body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}\
     pre{background:#f4f4f4;padding:1rem;overflow:auto}",
);

/// What a site owner pastes under an article.
const SNIPPET: &str = "<div data-comments data-thread=\"my-article\"></div>\n\
    <script src=\"/embed.js\" async></script>";

/// `/` without a demo article: what this server is, and the snippet.
fn landing() -> Markup {
    let body = html! {
        h1 { "Comment server" }
        p { "This server hosts a comment widget. Paste this under an article:" }
        pre { (SNIPPET) }
        p {
            "Replace " code { "/embed.js" } " with this server's full URL. Health: "
            a href="/healthz" { "/healthz" } "."
        }
    };
    crate::http::html::page("Comment server", html! { style { (LANDING_CSS) } }, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_drops_title_repeats_and_escapes_text() {
        let a = Article::parse(
            "Marseille – Miami : cinq jours\n\nMarseille - Miami : cinq jours\n\nUn <b>texte</b>\nsur deux lignes.\n\n\n\nFin & suite\n\nMerci pour votre commentaire. Il sera visible prochainement sous réserve de validation.\n",
        )
        .unwrap();
        assert_eq!(a.title, "Marseille – Miami : cinq jours");
        assert_eq!(
            a.paragraphs,
            vec!["Un <b>texte</b> sur deux lignes.", "Fin & suite"]
        );
        let html = a
            .in_thread("a<b")
            .render("<h1>%ARTICLE_TITLE%</h1>%ARTICLE_BODY%<div data-thread=\"%ARTICLE_THREAD%\">");
        assert!(
            html.contains(
                "<p class=\"standfirst\">Un &lt;b&gt;texte&lt;/b&gt; sur deux lignes.</p>"
            )
        );
        assert!(html.contains("<h2>Fin &amp; suite</h2>"), "{html}");
        assert!(html.contains("data-thread=\"a&lt;b\""));
        assert_eq!(
            Article::thread_of(std::path::Path::new("/x/Tramway de nuit.txt")),
            "tramway-de-nuit"
        );
        assert_eq!(Article::thread_of(std::path::Path::new("/")), "demo");
        assert!(Article::parse("  \n\n ").is_none());
    }

    #[test]
    fn the_landing_page_shows_the_snippet_as_text() {
        let html = landing().into_string();
        assert!(html.contains("<title>Comment server</title>"));
        assert!(html.contains(
            "<pre>&lt;div data-comments data-thread=&quot;my-article&quot;&gt;&lt;/div&gt;\n"
        ));
        assert!(!html.contains("<script"), "{html}");
    }
}
