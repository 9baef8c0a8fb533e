//! The page at `/`: the demo article with the widget embedded, or a short landing page.

use crate::assets::DEMO_TEMPLATE;
use crate::html::escape;
use axum::response::Html;

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

/// A plain-text article: the first paragraph is the title, paragraphs are
/// separated by blank lines. Repeats of the title and the scraped comment
/// confirmation are dropped.
pub struct Article {
    pub title: String,
    pub paragraphs: Vec<String>,
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
        Some(Self { title, paragraphs })
    }

    /// Renders into the trunk-built demo template.
    pub fn render(&self, template: &str) -> String {
        let body: String = self
            .paragraphs
            .iter()
            .map(|p| format!("<p>{}</p>\n", escape(p)))
            .collect();
        template
            .replace("%ARTICLE_TITLE%", &escape(&self.title))
            .replace("%ARTICLE_BODY%", &body)
    }
}

/// The page served at `/`, rendered once at start-up.
pub fn page(article: Option<&Article>) -> Html<String> {
    match (article, DEMO_TEMPLATE) {
        (Some(a), Some(t)) => Html(a.render(t)),
        _ => Html(LANDING.to_string()),
    }
}

const LANDING: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Comment server</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem">
<h1>Comment server</h1>
<p>This server hosts a comment widget. Paste this under an article:</p>
<pre style="background:#f4f4f4;padding:1rem;overflow:auto">&lt;div data-comments data-thread="my-article"&gt;&lt;/div&gt;
&lt;script src="/embed.js" async&gt;&lt;/script&gt;</pre>
<p>Replace <code>/embed.js</code> with this server's full URL. Health: <a href="/healthz">/healthz</a>.</p>
</body></html>
"#;

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
        let html = a.render("<h1>%ARTICLE_TITLE%</h1>%ARTICLE_BODY%");
        assert!(html.contains("<p>Un &lt;b&gt;texte&lt;/b&gt; sur deux lignes.</p>"));
        assert!(html.contains("<p>Fin &amp; suite</p>"));
        assert!(Article::parse("  \n\n ").is_none());
    }
}
