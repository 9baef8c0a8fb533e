//! JSON request and response bodies of the public API (`/api/v1`).

use serde::{Deserialize, Serialize};

/// `POST /api/v1/threads/{thread}/comments` request body. The server parses
/// each field with [`crate::Author::parse`] and [`crate::CommentBody::parse`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    pub author: String,
    pub body: String,
    /// A field people never see or fill (the widget hides it); a value
    /// means a bot, whose comment is accepted silently and dropped.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub website: String,
    /// Milliseconds from showing the form to sending it, as the widget
    /// measured. Too fast means a bot, dropped the same way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compose_ms: Option<u64>,
    /// The article's title and canonical URL, for the moderation queue.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub page_title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub page_url: String,
    /// A random key the widget keeps per reader (in `localStorage`): it links
    /// a reader's comments for the moderators' history and the trust rule.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reader: String,
    /// Optional: mail this address once, when the comment is published.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
    /// The published comment of the same thread this one replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<i64>,
    /// With `email`: also mail that address each reply to this comment,
    /// once published, until the reader unsubscribes (one click in each
    /// mail) or the server's keeping time is over.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub notify_replies: bool,
}

/// Why a reader reports a published comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportReason {
    Spam,
    Abuse,
    OffTopic,
    /// Illegal content: the report must explain why (the EU Digital
    /// Services Act asks this of a notice).
    Illegal,
}

impl ReportReason {
    pub const ALL: [ReportReason; 4] = [Self::Spam, Self::Abuse, Self::OffTopic, Self::Illegal];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Spam => "spam",
            Self::Abuse => "abuse",
            Self::OffTopic => "off_topic",
            Self::Illegal => "illegal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// `POST /api/v1/comments/{id}/report` request body. The answer is the
/// same `202` however many others reported the comment before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    pub reason: ReportReason,
    /// Why the content is illegal (required for `illegal`), or anything the
    /// reader wants the moderators to know; parsed by
    /// [`crate::ReportExplanation::parse`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub explanation: String,
    /// The widget's per-reader key: a reader counts once per comment.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reader: String,
}

/// Where a comment stands in moderation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommentStatus {
    Pending,
    Approved,
    Rejected,
}

impl CommentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "approved" => Some(Self::Approved),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }
}

/// `202 Accepted` answer to a new comment. `token` is the author's secret:
/// it proves authorship to the status endpoint and is never shown again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    pub id: i64,
    pub status: CommentStatus,
    pub token: String,
    /// The comment's text as the server renders it for readers, so that
    /// its author's pending copy looks as it will once published.
    pub html: String,
}

/// An approved comment as every reader sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub id: i64,
    pub author: String,
    /// The text, rendered by the server into HTML whose only markup is what
    /// the renderer allows (`markdown::render`); the widget inserts it
    /// as it is and parses nothing.
    pub html: String,
    /// Unix epoch milliseconds when the comment was posted.
    pub created_at: i64,
    /// The comment it replies to; `None` for a top-level comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<i64>,
    /// A comment no longer published, kept in the list (with no author
    /// and no text) only because published replies answer it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
    /// On a top-level comment of a page: how many published replies its
    /// conversation has, of which the page shows the first few.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub replies: u64,
    /// On a reply a moderator wrote: their label ("Staff", "Rédaction").
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub staff: String,
    /// An editor's pick: also in the page's `featured`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub featured: bool,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// `GET /api/v1/threads/{thread}/comments` answer: one page of approved
/// comments (the first 20 top-level ones, oldest or newest first, each with
/// its first replies), each reply after its parent (and removed parents
/// that published replies still answer, as placeholders); or, to a poll
/// with `?since=`, what changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadPage {
    pub thread: String,
    /// Changes whenever the thread's public list changes; also sent as the ETag.
    pub revision: u64,
    pub comments: Vec<Comment>,
    /// Whether the server can mail authors (so the widget offers it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mail: bool,
    /// The next page's cursor (`?after=`), when there are more top-level comments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// An answer to `?since=`: `comments` are only those published (or
    /// turned into placeholders) since, and `removed` those gone.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub changes: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<i64>,
    /// The change log no longer reaches the revision asked about: the
    /// answer is the first page instead (`changes` is false), to start
    /// again from.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reset: bool,
    /// The thread's featured comments (editor's picks), the latest
    /// featured first, wherever they are in it; in every answer, a poll's
    /// changes too, so that the widget's section follows each pick.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub featured: Vec<Comment>,
    /// When the thread closes (or closed) to new comments, in Unix epoch
    /// milliseconds; absent while nothing closes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<i64>,
}

/// `GET /api/v1/counts?thread=…` answer: how many approved comments each
/// asked thread has (0 for one nobody commented). Read by `embed.js` for
/// `data-comments-count` links, not by the widget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub counts: std::collections::BTreeMap<String, u64>,
}

/// `POST /api/v1/comments/status` request: the author's own tokens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    pub tokens: Vec<String>,
}

/// One answer per requested token, in the same order. `status` is `None` for
/// a token the server does not know (never issued, or the comment was deleted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusEntry {
    pub id: Option<i64>,
    pub status: Option<CommentStatus>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResponse {
    pub statuses: Vec<StatusEntry>,
}

/// A comment its author posted and that awaits moderation, as the widget
/// keeps it in `localStorage` (per thread) so that it survives a reload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingComment {
    pub id: i64,
    pub token: String,
    pub author: String,
    pub body: String,
    /// The server's rendering of `body` (from the 202); empty in what
    /// older widgets stored, which then show `body` as plain text.
    #[serde(default)]
    pub html: String,
    pub created_at: i64,
    /// The comment it replies to, under which it shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<i64>,
}

/// `POST /api/v1/comments/export` and `/delete` request: one comment's token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub token: String,
}

/// Everything stored about a comment, for its author: the answer to an
/// export. Only the secret token itself is not stored (its hash is).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnComment {
    pub id: i64,
    pub thread: String,
    pub author: String,
    pub body: String,
    pub status: CommentStatus,
    pub created_at: i64,
    /// When a moderator (or the trust rule) last decided it.
    pub decided_at: Option<i64>,
    /// The article it was posted under, as the widget reported it.
    pub page_title: String,
    pub page_url: String,
    /// The spam signals computed when it arrived, e.g. `many_links`.
    pub flags: Vec<String>,
    /// The address given for the publication mail, until it is sent (empty after).
    pub email: String,
    /// The address replies are mailed to, while that subscription lasts.
    #[serde(default)]
    pub replies_email: String,
    /// The keyed hash of the client address, blanked after 30 days.
    pub address_hash: String,
    /// The SHA-256 of the widget's reader key (empty when none was sent).
    pub reader_hash: String,
    /// Every status it has had, oldest first.
    pub history: Vec<StatusChange>,
}

/// One step of a comment's moderation history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// Unix epoch milliseconds.
    pub at: i64,
    pub status: CommentStatus,
}
