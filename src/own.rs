//! The reader's own comments awaiting moderation, kept in `localStorage` per server and thread.

use crate::json;
use comments_api::PendingComment;

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The `localStorage` slot of one thread on one server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnComments {
    key: String,
}

const NAME_KEY: &str = "comments:v1:name";
const READER_KEY: &str = "comments:v1:reader";

impl OwnComments {
    pub fn new(api_base: &str, thread: &str) -> Self {
        Self {
            key: format!("comments:v1:{api_base}:{thread}"),
        }
    }

    /// The stored comments; none if storage is unavailable or unreadable.
    pub fn load(&self) -> Vec<PendingComment> {
        storage()
            .and_then(|s| s.get_item(&self.key).ok().flatten())
            .map(|text| json::read_pending_list(&text))
            .unwrap_or_default()
    }

    /// Replaces the stored comments; an empty list removes the key.
    pub fn save(&self, comments: &[PendingComment]) {
        let Some(s) = storage() else { return };
        if comments.is_empty() {
            let _ = s.remove_item(&self.key);
            return;
        }
        // A quota error leaves the previous value; the comment is still shown.
        let _ = s.set_item(&self.key, &json::pending_list(comments));
    }

    /// The name the reader last posted under, to prefill the form.
    pub fn remembered_name() -> String {
        storage()
            .and_then(|s| s.get_item(NAME_KEY).ok().flatten())
            .unwrap_or_default()
    }

    /// This browser's reader key: random, made once, kept in `localStorage`.
    /// It links the reader's comments for the moderators (history, trust);
    /// empty when storage is unavailable.
    pub fn reader_key() -> String {
        let Some(s) = storage() else {
            return String::new();
        };
        if let Some(key) = s.get_item(READER_KEY).ok().flatten() {
            return key;
        }
        let Some(uuid) = web_sys::window()
            .and_then(|w| w.crypto().ok())
            .map(|c| c.random_uuid())
        else {
            return String::new();
        };
        let key: String = uuid.chars().filter(char::is_ascii_alphanumeric).collect();
        let _ = s.set_item(READER_KEY, &key);
        key
    }

    pub fn remember_name(name: &str) {
        if let Some(s) = storage() {
            let _ = s.set_item(NAME_KEY, name);
        }
    }
}
