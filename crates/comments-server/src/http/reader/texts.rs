//! The words of the server's own pages for readers (the report dialog's
//! page, the unsubscribe page, the heading over the comments `embed.js`
//! shows first) in the reader's language: the `pages` strings (and the
//! heading) of the language files in `i18n/`, compiled in, and which of
//! them is closest to a BCP 47 tag or to `Accept-Language`.

use serde::Deserialize;
use std::sync::LazyLock;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/languages.rs"));
}

/// One language's strings for the server's reader pages.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PageTexts {
    pub report_title: String,
    pub report_intro: String,
    pub reason: String,
    pub reason_spam: String,
    pub reason_abuse: String,
    pub reason_off_topic: String,
    pub reason_illegal: String,
    pub explanation: String,
    pub send: String,
    pub thanks: String,
    pub not_published: String,
    pub explanation_required: String,
    pub explanation_too_long: String,
    pub control: String,
    pub rate_limited: String,
    pub unavailable: String,
    pub unsubscribe_title: String,
    pub unsubscribe_question: String,
    pub unsubscribe: String,
    pub unsubscribed: String,
    pub unsubscribe_unknown: String,
}

/// A language file, as far as the server reads it.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Language {
    /// Its BCP 47 tag, lower case (`fr`, `pt-br`).
    pub lang: String,
    /// `ltr` or `rtl`.
    pub dir: String,
    /// The widget's heading ("Comments").
    pub heading: String,
    pub pages: PageTexts,
}

/// Every language file, parsed once (a test checks that each one parses).
static LANGUAGES: LazyLock<Vec<Language>> = LazyLock::new(|| {
    embedded::LANGUAGES
        .iter()
        .filter_map(|(tag, text)| match serde_json::from_str::<Language>(text) {
            Ok(l) => Some(l),
            Err(e) => {
                tracing::error!(tag, error = %e, "a language file lacks its page strings");
                None
            }
        })
        .collect()
});

/// Used only if English itself were missing, which a test rules out.
static NONE: LazyLock<Language> = LazyLock::new(|| Language {
    lang: "en".into(),
    dir: "ltr".into(),
    heading: "Comments".into(),
    pages: PageTexts::default(),
});

fn find(tag: &str) -> Option<&'static Language> {
    LANGUAGES.iter().find(|l| l.lang == tag)
}

/// The language of `tag`, else of its primary subtag (`pt-BR`: `pt`).
fn matching(tag: &str) -> Option<&'static Language> {
    let tag = tag.trim().to_ascii_lowercase();
    let plausible = !tag.is_empty()
        && tag.len() <= 35
        && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !plausible {
        return None;
    }
    find(&tag).or_else(|| find(tag.split('-').next().unwrap_or("")))
}

/// The closest language to a BCP 47 tag, else English.
pub fn closest(tag: &str) -> &'static Language {
    matching(tag).or_else(english).unwrap_or(&NONE)
}

fn english() -> Option<&'static Language> {
    find("en")
}

/// The reader's preferred language among ours, from `Accept-Language`
/// (`fr-CH, fr;q=0.9, en;q=0.8`), else English.
pub fn from_accept_language(header: &str) -> &'static Language {
    let mut wanted: Vec<(f32, &str)> = header
        .split(',')
        .filter_map(|part| {
            let mut bits = part.split(';');
            let tag = bits.next()?.trim();
            let q = bits
                .find_map(|b| b.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            (q > 0.0 && tag != "*").then_some((q, tag))
        })
        .collect();
    // Stable: equal weights keep the header's order.
    wanted.sort_by(|a, b| b.0.total_cmp(&a.0));
    wanted
        .into_iter()
        .find_map(|(_, tag)| matching(tag))
        .or_else(english)
        .unwrap_or(&NONE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_file_has_every_page_string() {
        assert_eq!(
            LANGUAGES.len(),
            embedded::LANGUAGES.len(),
            "a language file failed to parse (see the log)"
        );
        assert!(LANGUAGES.len() >= 12);
        for l in LANGUAGES.iter() {
            let p = &l.pages;
            for (name, s) in [
                ("report_title", &p.report_title),
                ("report_intro", &p.report_intro),
                ("reason", &p.reason),
                ("reason_spam", &p.reason_spam),
                ("reason_abuse", &p.reason_abuse),
                ("reason_off_topic", &p.reason_off_topic),
                ("reason_illegal", &p.reason_illegal),
                ("explanation", &p.explanation),
                ("send", &p.send),
                ("thanks", &p.thanks),
                ("not_published", &p.not_published),
                ("explanation_required", &p.explanation_required),
                ("control", &p.control),
                ("rate_limited", &p.rate_limited),
                ("unavailable", &p.unavailable),
                ("unsubscribe_title", &p.unsubscribe_title),
                ("unsubscribe_question", &p.unsubscribe_question),
                ("unsubscribe", &p.unsubscribe),
                ("unsubscribed", &p.unsubscribed),
                ("unsubscribe_unknown", &p.unsubscribe_unknown),
            ] {
                assert!(
                    !s.trim().is_empty(),
                    "{}.json: pages.{name} is empty",
                    l.lang
                );
            }
            let limit = comments_api::limits::REPORT_EXPLANATION_MAX_CHARS.to_string();
            assert!(
                p.explanation_too_long.contains(&limit),
                "{}.json: pages.explanation_too_long",
                l.lang
            );
        }
    }

    #[test]
    fn the_closest_language_wins_and_english_is_the_last_resort() {
        assert_eq!(closest("fr").lang, "fr");
        assert_eq!(closest("pt-BR").lang, "pt");
        assert_eq!(closest("AR").dir, "rtl");
        assert_eq!(closest("xx").lang, "en");
        assert_eq!(closest("../etc").lang, "en");
        assert_eq!(closest("").lang, "en");
        assert_eq!(from_accept_language("de-CH, de;q=0.9, en;q=0.8").lang, "de");
        assert_eq!(from_accept_language("xx, ja;q=0.5, fr;q=0.7").lang, "fr");
        assert_eq!(from_accept_language("fr;q=0, es").lang, "es");
        assert_eq!(from_accept_language("*").lang, "en");
        assert_eq!(from_accept_language("").lang, "en");
    }
}
