//! The widget's words in the reader's language, read at mount from the language file that `embed.js` fetched (`i18n/LANG.json`): the wasm carries none of them.
//!
//! Adding a language is adding its file to `i18n/` with every key of
//! [`KEYS`] (a test checks each file); `embed.js` picks the closest file to
//! the page's language and falls back to English.

use comments_api::ErrorCode;
use js_sys::{Array, Intl, JsString, Object, Reflect};
use wasm_bindgen::JsValue;

/// A language the widget speaks: its strings, made once per language and
/// kept for the page's life.
pub type Lang = &'static Text;

macro_rules! texts {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        /// The widget's strings in one language.
        pub struct Text {
            /// The file's BCP 47 tag (`fr`), for `lang` and `Intl`.
            pub tag: &'static str,
            /// `ltr` or `rtl`.
            pub dir: &'static str,
            $($(#[$doc])* pub $name: &'static str,)*
            /// `{one, other, …}` forms of the rate-limit sentence, by `Intl.PluralRules`.
            rate_limited: JsValue,
            /// `{one, other, …}` forms of "Show {n} more replies".
            pub more_replies: JsValue,
            /// The language's date formats, made once: making an `Intl`
            /// formatter costs far more than using one, and a thread shows
            /// a hundred dates at a time.
            pub relative: Intl::RelativeTimeFormat,
            pub absolute: Intl::DateTimeFormat,
        }

        /// The keys every language file has, besides `rate_limited`'s forms.
        pub const KEYS: &[&str] = &["lang", "dir", $(stringify!($name)),*];

        impl Text {
            /// The strings of a parsed language file; `None` if one is
            /// missing. Kept for the page's life (a few KB a mount).
            pub fn from_js(file: &JsValue) -> Option<Lang> {
                let tag = Reflect::get(file, &"lang".into()).ok()?.as_string()?;
                let locales = Array::of1(&JsValue::from_str(&tag));
                let relative = Object::new();
                Reflect::set(&relative, &"numeric".into(), &"auto".into()).ok()?;
                let absolute = Object::new();
                Reflect::set(&absolute, &"dateStyle".into(), &"long".into()).ok()?;
                Reflect::set(&absolute, &"timeStyle".into(), &"short".into()).ok()?;
                let mut text = Text {
                    tag: "",
                    dir: "",
                    $($name: "",)*
                    rate_limited: Reflect::get(file, &"rate_limited".into()).ok()?,
                    more_replies: Reflect::get(file, &"more_replies".into()).ok()?,
                    relative: Intl::RelativeTimeFormat::new(&locales, &relative),
                    absolute: Intl::DateTimeFormat::new(&locales, &absolute),
                };
                // One loop over the keys: a read per field, written out,
                // costs a kilobyte of wasm.
                let slots: &mut [(&str, &mut &'static str)] = &mut [
                    ("lang", &mut text.tag),
                    ("dir", &mut text.dir),
                    $((stringify!($name), &mut text.$name),)*
                ];
                for (key, slot) in slots.iter_mut() {
                    **slot = string(file, key)?;
                }
                Some(Box::leak(Box::new(text)))
            }
        }
    };
}

texts! {
    heading,
    empty,
    name_label,
    body_label,
    submit,
    /// "Thank you for your comment. It will be visible soon, pending validation."
    pending,
    pending_badge,
    withdraw,
    rejected,
    network,
    author_empty,
    author_too_long,
    body_empty,
    body_too_long,
    control,
    unavailable,
    unexpected,
    load_failed,
    counter_suffix,
    email_label,
    invalid_email,
    /// A comment's button that opens the reply form under it.
    reply,
    /// The reply form's heading, and its button that closes it.
    replying,
    cancel,
    /// "in reply to {name}", over a reply shown beside the comment it answers.
    in_reply_to,
    /// What stands in place of an unpublished comment that has replies.
    removed,
    invalid_parent,
    /// Under the list: the next page of top-level comments.
    more,
    /// A comment's permalink, which it also copies.
    link,
    /// In place of the form, once the thread is closed.
    closed,
    /// A published comment's button that opens the report dialog.
    report,
    /// The report dialog's button that closes it.
    close,
    /// The heading over the newsroom's featured comments.
    featured,
    /// The form's checkbox: mail me the replies to my comment.
    notify_replies,
}

fn string(file: &JsValue, key: &str) -> Option<&'static str> {
    let value = Reflect::get(file, &JsValue::from_str(key))
        .ok()?
        .as_string()?;
    Some(Box::leak(value.into_boxed_str()))
}

impl Text {
    /// Itself: the strings of this language.
    pub fn text(&'static self) -> &'static Text {
        self
    }

    pub fn tag(&self) -> &'static str {
        self.tag
    }

    /// The reader-facing sentence for an API error code.
    pub fn error(&self, code: ErrorCode) -> &'static str {
        match code {
            ErrorCode::AuthorEmpty => self.author_empty,
            ErrorCode::AuthorTooLong => self.author_too_long,
            ErrorCode::BodyEmpty => self.body_empty,
            ErrorCode::BodyTooLong | ErrorCode::PayloadTooLarge => self.body_too_long,
            ErrorCode::ControlCharacter => self.control,
            ErrorCode::InvalidEmail => self.invalid_email,
            ErrorCode::InvalidParent => self.invalid_parent,
            ErrorCode::ThreadClosed => self.closed,
            ErrorCode::Unavailable | ErrorCode::QueueFull => self.unavailable,
            _ => self.unexpected,
        }
    }

    /// "Please wait 20 seconds…", in the plural form the language's rules pick.
    pub fn wait(&self, seconds: u32) -> String {
        self.plural(&self.rate_limited, seconds)
    }

    /// The form of `forms` (`{one, other, …}`) that the language's plural
    /// rules pick for `n`, with `{n}` filled in.
    pub fn plural(&self, forms: &JsValue, n: u32) -> String {
        let locales = Array::of1(&JsValue::from_str(self.tag));
        let rules = Intl::PluralRules::new(&locales, &Object::new());
        let form = Reflect::get(forms, &rules.select(f64::from(n)))
            .ok()
            .filter(|f| f.is_string())
            .or_else(|| Reflect::get(forms, &"other".into()).ok())
            .and_then(|f| f.as_string())
            .unwrap_or_default();
        // An integer's digits: float formatting costs kilobytes of wasm.
        String::from(JsString::from(form).replace("{n}", &n.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::KEYS;
    use comments_api::limits::{AUTHOR_MAX_CHARS, BODY_MAX_CHARS};

    /// Every language file in `i18n/`, parsed.
    fn files() -> Vec<(String, serde_json::Value)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("i18n");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("i18n/")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .map(|p| {
                let text = std::fs::read_to_string(&p).expect("read");
                let name = p
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                (name, serde_json::from_str(&text).expect("valid JSON"))
            })
            .collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        files
    }

    #[test]
    fn every_language_file_has_every_string() {
        let files = files();
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "ar", "de", "en", "es", "fr", "it", "ja", "nl", "pl", "pt", "tr", "uk"
            ],
            "the twelve languages"
        );
        for (name, file) in &files {
            for key in KEYS {
                assert!(file[key].is_string(), "{name}.json lacks {key}");
            }
            assert_eq!(
                file["lang"],
                name.as_str(),
                "{name}.json names its language"
            );
            let rtl = name == "ar";
            assert_eq!(file["dir"], if rtl { "rtl" } else { "ltr" }, "{name}");
            for key in file.as_object().map(|o| o.keys()).into_iter().flatten() {
                assert!(
                    KEYS.contains(&key.as_str())
                        || ["rate_limited", "count", "more_replies", "pages"]
                            .contains(&key.as_str()),
                    "{name}.json has {key}, which nothing reads"
                );
            }
            // Plural forms: the widget's wait, and the loader's comment counts.
            for plural in ["rate_limited", "count", "more_replies"] {
                let other = file[plural]["other"].as_str().unwrap_or_default();
                assert!(other.contains("{n}"), "{name}.json {plural}.other");
            }
            let author = file["author_too_long"].as_str().unwrap_or_default();
            let body = file["body_too_long"].as_str().unwrap_or_default();
            assert!(author.contains(&AUTHOR_MAX_CHARS.to_string()), "{name}");
            let to = file["in_reply_to"].as_str().unwrap_or_default();
            assert!(to.contains("{name}"), "{name}.json in_reply_to");
            assert!(body.contains(&BODY_MAX_CHARS.to_string()), "{name}");
        }
    }

    #[test]
    fn the_french_pending_text_is_verbatim() {
        let files = files();
        let text = |lang: &str| {
            files
                .iter()
                .find(|(n, _)| n == lang)
                .map(|(_, f)| f["pending"].as_str().unwrap_or_default().to_string())
        };
        assert_eq!(
            text("fr").as_deref(),
            Some(
                "Merci pour votre commentaire. Il sera visible prochainement sous réserve de validation."
            )
        );
        assert_eq!(
            text("en").as_deref(),
            Some("Thank you for your comment. It will be visible soon, pending validation.")
        );
    }
}
