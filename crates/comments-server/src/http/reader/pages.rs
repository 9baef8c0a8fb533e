//! Which part of a thread a reader asks for, parsed from the query string:
//! a first page (no query, or `order`), a later one (`after`), one whole
//! conversation (`root`), the page that holds a permalinked comment
//! (`around`), or what changed since a revision (`since`); and reading it
//! from the store. Each costs what it shows, not what the thread holds.

use crate::http::error::AppError;
use crate::store::{Changes, Cursor, Order, PageQuery, PublicComment, Store};
use comments_api::limits::{CONVERSATION_MAX, PAGE_REPLIES, PAGE_TOP};
use comments_api::{ErrorCode, ThreadKey};
use serde::Deserialize;

/// The query string of `GET /api/v1/threads/{thread}/comments[.html]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    order: Option<String>,
    after: Option<String>,
    root: Option<i64>,
    around: Option<i64>,
    since: Option<u64>,
    /// `comments.html` only: frame the items in the widget's section,
    /// under its heading in this language.
    lang: Option<String>,
}

impl ListQuery {
    /// The language asked for, if any.
    pub fn lang(&self) -> Option<&str> {
        self.lang.as_deref()
    }
}

/// What a request asks for, once parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ask {
    /// A page of top-level comments, each with its first replies.
    Page { order: Order, after: Option<Cursor> },
    /// One top-level comment and all its replies (up to [`CONVERSATION_MAX`]).
    Conversation(i64),
    /// The page that starts with the conversation of this comment, all of
    /// that conversation shown: where a `#comment-ID` link points. The
    /// first page if the comment is not (or no longer) published.
    Around(i64),
    /// What changed after this revision.
    Since(u64),
}

fn invalid(message: &'static str) -> AppError {
    AppError::new(ErrorCode::InvalidParameter, message)
}

/// A page cursor as the answer's `next` gives it: `CREATED_AT.ID`, and
/// `REPLIES.CREATED_AT.ID` in the most-replies order.
pub fn cursor(order: Order, c: Cursor) -> String {
    match order {
        Order::Replies => format!("{}.{}.{}", c.replies, c.at, c.id),
        Order::Oldest | Order::Newest => format!("{}.{}", c.at, c.id),
    }
}

fn parse_cursor(order: Order, s: &str) -> Option<Cursor> {
    let parts: Vec<i64> = s
        .split('.')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    match (order, parts.as_slice()) {
        (Order::Replies, &[replies, at, id]) => Some(Cursor { replies, at, id }),
        (Order::Oldest | Order::Newest, &[at, id]) => Some(Cursor { replies: 0, at, id }),
        _ => None,
    }
}

impl Ask {
    pub fn parse(q: &ListQuery) -> Result<Self, AppError> {
        let asked = [
            q.after.is_some(),
            q.root.is_some(),
            q.around.is_some(),
            q.since.is_some(),
        ];
        if asked.iter().filter(|a| **a).count() > 1 {
            return Err(invalid(
                "Ask for one of after, root, around and since at a time.",
            ));
        }
        let order = match q.order.as_deref() {
            None | Some("oldest") => Order::Oldest,
            Some("newest") => Order::Newest,
            Some("replies") => Order::Replies,
            Some(_) => return Err(invalid("order must be oldest, newest or replies.")),
        };
        let id = |v: i64| {
            if v > 0 {
                Ok(v)
            } else {
                Err(invalid("A comment id is a positive number."))
            }
        };
        Ok(match (q.root, q.around, q.since, &q.after) {
            (Some(root), ..) => Ask::Conversation(id(root)?),
            (_, Some(around), ..) => Ask::Around(id(around)?),
            (_, _, Some(since), _) => Ask::Since(since),
            (_, _, _, Some(after)) => Ask::Page {
                order,
                after: Some(
                    parse_cursor(order, after)
                        .ok_or_else(|| invalid("after must be a cursor from a page's next."))?,
                ),
            },
            _ => Ask::Page { order, after: None },
        })
    }

    /// Distinguishes the answers cached for one thread and revision.
    pub fn cache_key(&self) -> String {
        match self {
            Ask::Page { order, after } => format!(
                "{}{}",
                match order {
                    Order::Oldest => "o",
                    Order::Newest => "n",
                    Order::Replies => "r",
                },
                after.map(|c| cursor(*order, c)).unwrap_or_default()
            ),
            Ask::Conversation(id) => format!("c{id}"),
            Ask::Around(id) => format!("a{id}"),
            Ask::Since(rev) => format!("s{rev}"),
        }
    }
}

/// The first page, oldest first: what a reader starts from.
const FIRST: Ask = Ask::Page {
    order: Order::Oldest,
    after: None,
};

/// What an answer holds.
#[derive(Debug, Default)]
pub struct Read {
    pub revision: u64,
    pub comments: Vec<PublicComment>,
    pub next: Option<String>,
    /// An answer to `since`: `comments` and `removed` are the changes.
    pub changes: bool,
    pub removed: Vec<i64>,
    /// `since` is older than the change log: this is the first page instead.
    pub reset: bool,
    /// The thread's featured comments, in every answer.
    pub featured: Vec<PublicComment>,
    /// When the thread closes to new comments (see `moderation::threads`).
    pub closes_at: Option<i64>,
}

fn first_page(order: Order, after: Option<Cursor>) -> PageQuery {
    PageQuery {
        order,
        after,
        limit: PAGE_TOP,
        replies: PAGE_REPLIES,
    }
}

/// Reads what `ask` asks for in `thread`.
pub async fn read(store: &dyn Store, thread: &ThreadKey, ask: Ask) -> Result<Read, AppError> {
    let not_found = || AppError::new(ErrorCode::NotFound, "No such comment in this thread.");
    Ok(match ask {
        Ask::Page { order, after } => {
            let page = store.page(thread, &first_page(order, after)).await?;
            Read {
                revision: page.revision,
                comments: page.comments,
                next: page.next.map(|c| cursor(order, c)),
                ..Read::default()
            }
        }
        Ask::Conversation(root) => {
            let page = store
                .conversation(thread, root, CONVERSATION_MAX)
                .await?
                .ok_or_else(not_found)?;
            Read {
                revision: page.revision,
                comments: page.comments,
                ..Read::default()
            }
        }
        Ask::Around(id) => {
            // A link to a comment no longer published: the first page.
            let Some(root) = store.root_of(thread, id).await? else {
                return Box::pin(read(store, thread, FIRST)).await;
            };
            let conversation = store
                .conversation(thread, root.id, CONVERSATION_MAX)
                .await?
                .ok_or_else(not_found)?;
            // Then the page after it, one conversation shorter.
            let rest = store
                .page(
                    thread,
                    &PageQuery {
                        limit: PAGE_TOP - 1,
                        ..first_page(Order::Oldest, Some(root))
                    },
                )
                .await?;
            let mut comments = conversation.comments;
            comments.extend(rest.comments);
            Read {
                revision: conversation.revision.max(rest.revision),
                comments,
                next: rest.next.map(|c| cursor(Order::Oldest, c)),
                ..Read::default()
            }
        }
        Ask::Since(since) => match store.changes(thread, since).await? {
            // Older than the change log: the first page, to start again from.
            Changes::Reset { .. } => Read {
                reset: true,
                ..Box::pin(read(store, thread, FIRST)).await?
            },
            Changes::Since {
                revision,
                comments,
                removed,
            } => Read {
                revision,
                comments,
                removed,
                changes: true,
                ..Read::default()
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(q: &str) -> Result<Ask, ErrorCode> {
        let q: ListQuery = serde_urlencoded::from_str(q).map_err(|_| ErrorCode::InvalidJson)?;
        Ask::parse(&q).map_err(|e| e.code)
    }

    #[test]
    fn queries_parse_into_one_question_or_a_clear_error() {
        let oldest = |after| Ask::Page {
            order: Order::Oldest,
            after,
        };
        assert_eq!(ask(""), Ok(oldest(None)), "the widget's first page");
        assert_eq!(ask("order=oldest"), Ok(oldest(None)));
        let at = |at, id| Some(Cursor { replies: 0, at, id });
        assert_eq!(ask("order=oldest&after=17.4"), Ok(oldest(at(17, 4))));
        assert_eq!(
            ask("order=replies&after=3.17.4"),
            Ok(Ask::Page {
                order: Order::Replies,
                after: Some(Cursor {
                    replies: 3,
                    at: 17,
                    id: 4
                })
            })
        );
        assert_eq!(
            ask("order=newest"),
            Ok(Ask::Page {
                order: Order::Newest,
                after: None
            })
        );
        assert_eq!(ask("root=7"), Ok(Ask::Conversation(7)));
        assert_eq!(ask("around=9"), Ok(Ask::Around(9)));
        assert_eq!(ask("since=12"), Ok(Ask::Since(12)));
        for bad in [
            "order=best",
            "after=x",
            "after=1",
            "root=0",
            "around=-2",
            "since=1&root=2",
        ] {
            assert_eq!(ask(bad), Err(ErrorCode::InvalidParameter), "{bad}");
        }
        assert_eq!(
            ask("since=x"),
            Err(ErrorCode::InvalidJson),
            "not a query we read"
        );
        let keys: Vec<String> = [
            "order=oldest",
            "order=newest",
            "after=1.2",
            "root=3",
            "around=3",
            "since=3",
        ]
        .iter()
        .map(|q| ask(q).map(|a| a.cache_key()).unwrap_or_default())
        .collect();
        let mut unique = keys.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), keys.len(), "{keys:?}");
        let c = Cursor {
            replies: 3,
            at: 17,
            id: 4,
        };
        assert_eq!(
            (cursor(Order::Oldest, c), cursor(Order::Replies, c)),
            ("17.4".into(), "3.17.4".into())
        );
    }
}
