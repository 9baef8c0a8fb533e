//! Word lists: banned words keep a comment from being published, suspect words flag it. One Aho-Corasick pass over the normalised text finds every listed word, however long the list.
//!
//! Text and words are normalised the same way: NFKC (fullwidth and other
//! compatibility forms fold to plain letters), accents dropped, lower case.
//! Words match whole, at word boundaries ("kill" is not in "skill"), and
//! also when broken up: letters spaced or dotted apart ("i.d.i.o.t",
//! "i d i o t") and a word split by punctuation ("id-iot").

use aho_corasick::AhoCorasick;
use std::path::Path;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The configured lists: `moderation.banned_words` and `suspect_words`,
/// each inline and from its file.
#[derive(Debug, Default)]
pub struct WordLists {
    pub banned: WordList,
    pub suspect: WordList,
}

impl WordLists {
    /// Fills in each item's `words`: the listed words in its author and text.
    pub fn annotate(&self, items: &mut [crate::store::ModerationItem]) {
        for item in items {
            let mut words: Vec<String> = Vec::new();
            for list in [&self.banned, &self.suspect] {
                for text in [&item.author, &item.body] {
                    for w in list.find(text) {
                        if !words.iter().any(|x| x == w) {
                            words.push(w.to_string());
                        }
                    }
                }
            }
            item.words = words;
        }
    }

    pub fn load(m: &crate::config::ModerationConfig) -> Result<Self, String> {
        Ok(Self {
            banned: WordList::load(&m.banned_words, m.banned_words_file.as_deref())?,
            suspect: WordList::load(&m.suspect_words, m.suspect_words_file.as_deref())?,
        })
    }
}

/// A list of words, compiled for matching.
#[derive(Debug, Default)]
pub struct WordList {
    /// The words as listed, in the order of the matcher's patterns.
    words: Vec<String>,
    matcher: Option<AhoCorasick>,
}

/// Letters and digits folded to one form; anything else is a separator.
fn fold(text: &str) -> impl Iterator<Item = char> + '_ {
    text.nfkc()
        .flat_map(|c| {
            // Drop accents: decompose, keep the base letters.
            std::iter::once(c).nfd().filter(|d| !is_combining_mark(*d))
        })
        .flat_map(char::to_lowercase)
}

/// The views of `text` that words are looked for in, each its tokens
/// between spaces (with a space at each end): as written; with runs of
/// one-letter tokens joined ("i d i o t" → "idiot"); and with the tokens
/// that only punctuation splits joined too ("id-iot" → "idiot").
fn views(text: &str) -> [String; 3] {
    // Tokens: runs of letters and digits, each with whether a space (not
    // just punctuation) came before it.
    let mut tokens: Vec<(String, bool)> = Vec::new();
    let (mut current, mut spaced, mut gap) = (String::new(), true, false);
    for c in fold(text) {
        if c.is_alphanumeric() {
            if current.is_empty() {
                spaced = gap || tokens.is_empty();
                gap = false;
            }
            current.push(c);
        } else {
            if !current.is_empty() {
                tokens.push((std::mem::take(&mut current), spaced));
            }
            gap |= c.is_whitespace();
        }
    }
    if !current.is_empty() {
        tokens.push((current, spaced));
    }
    let by_separator: Vec<String> = tokens.iter().map(|(t, _)| t.clone()).collect();
    // Tokens split only by punctuation join into one.
    let mut by_space: Vec<String> = Vec::new();
    for (t, spaced) in &tokens {
        match by_space.last_mut() {
            Some(last) if !spaced => last.push_str(t),
            _ => by_space.push(t.clone()),
        }
    }
    [
        joined(&by_separator, false),
        joined(&by_separator, true),
        joined(&by_space, true),
    ]
}

/// Tokens between spaces; with `singles`, runs of one-letter tokens joined.
fn joined(tokens: &[String], singles: bool) -> String {
    let mut out = String::from(" ");
    let mut single_run = false;
    for t in tokens {
        let single = singles && t.chars().count() == 1;
        if !(single && single_run) && out.len() > 1 {
            out.push(' ');
        }
        out.push_str(t);
        single_run = single;
    }
    out.push(' ');
    out
}

/// A list entry in the form it is matched in: its tokens between spaces
/// (" go die "), or `None` if it holds no letter or digit.
fn pattern(word: &str) -> Option<String> {
    let [view, ..] = views(word);
    (!view.trim().is_empty()).then_some(view)
}

impl WordList {
    pub fn new<S: AsRef<str>>(words: impl IntoIterator<Item = S>) -> Result<Self, String> {
        // Each pattern once, under the first spelling that gave it.
        let mut entries: Vec<(String, String)> = words
            .into_iter()
            .filter_map(|w| Some((pattern(w.as_ref())?, w.as_ref().trim().to_string())))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|a, b| a.0 == b.0);
        if entries.is_empty() {
            return Ok(Self::default());
        }
        let matcher = AhoCorasick::new(entries.iter().map(|(p, _)| p))
            .map_err(|e| format!("word list: {e}"))?;
        Ok(Self {
            words: entries.into_iter().map(|(_, w)| w).collect(),
            matcher: Some(matcher),
        })
    }

    /// The words given inline and, if set, those of `file` (one a line,
    /// `#` starts a comment).
    pub fn load(inline: &[String], file: Option<&Path>) -> Result<Self, String> {
        let mut words = inline.to_vec();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the word list {}: {e}", path.display()))?;
            words.extend(
                text.lines()
                    .map(|l| l.split('#').next().unwrap_or("").trim())
                    .filter(|l| !l.is_empty())
                    .map(String::from),
            );
        }
        Self::new(words)
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The listed words that `text` holds, each once.
    pub fn find(&self, text: &str) -> Vec<&str> {
        let Some(matcher) = &self.matcher else {
            return Vec::new();
        };
        let mut found = vec![false; self.words.len()];
        for view in views(text) {
            // Overlapping: " a b " holds both " a " and " b ".
            for m in matcher.find_overlapping_iter(&view) {
                found[m.pattern().as_usize()] = true;
            }
        }
        self.words
            .iter()
            .zip(found)
            .filter(|(_, f)| *f)
            .map(|(w, _)| w.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(words: &[&str]) -> WordList {
        WordList::new(words).unwrap()
    }

    #[test]
    fn words_match_whole_whatever_the_case_accents_or_width() {
        let l = list(&["idiot", "crétin", "go die"]);
        assert_eq!(l.find("You IDIOT."), ["idiot"]);
        assert_eq!(l.find("quel cretin"), ["crétin"]);
        assert_eq!(l.find("QUEL CRÉTIN !"), ["crétin"]);
        // Fullwidth letters fold to plain ones (NFKC).
        assert_eq!(l.find("ｉｄｉｏｔ"), ["idiot"]);
        assert_eq!(l.find("just go   die"), ["go die"]);
        assert!(l.find("idiotic, an idiom, godie").is_empty());
        assert!(list(&["kill"]).find("What a skill, skills kill-joy").len() == 1);
        assert!(list(&["kill"]).find("What a skill").is_empty());
    }

    #[test]
    fn words_broken_up_still_match() {
        let l = list(&["idiot"]);
        for text in [
            "i.d.i.o.t",
            "you i d i o t!",
            "I-D-I-O-T",
            "id-iot",
            "id.iot",
            "i_d_i_o_t",
        ] {
            assert_eq!(l.find(text), ["idiot"], "{text}");
        }
        assert!(l.find("i d i o").is_empty());
        assert!(l.find("id iot").is_empty(), "two words are two words");
    }

    #[test]
    fn each_word_is_found_once_and_empty_lists_find_nothing() {
        let l = list(&["b", "a", "a", "  ", "..."]);
        assert_eq!(l.len(), 2);
        assert_eq!(l.find("a b a"), ["a", "b"]);
        assert!(WordList::default().find("anything").is_empty());
        assert!(list(&[]).is_empty());
    }

    #[test]
    fn files_hold_one_word_a_line_with_comments() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("words.txt");
        std::fs::write(&path, "# insults\nidiot\n\n  moron  # and more\n").unwrap();
        let l = WordList::load(&["crétin".into()], Some(&path)).unwrap();
        assert_eq!(l.len(), 3);
        assert_eq!(l.find("Moron, idiot"), ["idiot", "moron"]);
        let missing = WordList::load(&[], Some(&dir.path().join("none"))).unwrap_err();
        assert!(missing.contains("cannot read the word list"), "{missing}");
    }
}
