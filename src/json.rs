//! The API's JSON, read and written with the browser's own `JSON` and `Reflect` (no serde in the wasm).
//!
//! serde's derive plus a JS deserializer roughly doubled the widget's size,
//! so the few shapes the widget exchanges are mapped here by hand, against
//! the same `comments-api` types the server serialises with serde.

use comments_api::render::escape;
use comments_api::{
    Accepted, Comment, CommentStatus, ErrorCode, NewComment, PendingComment, StatusEntry,
    StatusResponse,
};
use js_sys::{Array, JSON, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// `obj[key]`; with an empty key, `obj` itself (an array's number).
fn field(obj: &JsValue, key: &str) -> JsValue {
    if key.is_empty() {
        return obj.clone();
    }
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn string(obj: &JsValue, key: &str) -> Option<String> {
    field(obj, key).as_string()
}

fn int(obj: &JsValue, key: &str) -> Option<i64> {
    field(obj, key)
        .as_f64()
        .filter(|n| n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0)
        .map(|n| n as i64)
}

fn array(obj: &JsValue, key: &str) -> Option<Array> {
    field(obj, key).dyn_into::<Array>().ok()
}

fn parse(text: &str) -> Option<JsValue> {
    JSON::parse(text).ok()
}

fn stringify(obj: &JsValue) -> String {
    JSON::stringify(obj).map(String::from).unwrap_or_default()
}

fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let obj = Object::new();
    for (k, v) in fields {
        let _ = Reflect::set(&obj, &JsValue::from_str(k), v);
    }
    obj.into()
}

fn comment(v: &JsValue) -> Option<Comment> {
    Some(Comment {
        id: int(v, "id")?,
        author: string(v, "author")?,
        html: string(v, "html")?,
        created_at: int(v, "created_at")?,
        parent: int(v, "parent"),
        removed: field(v, "removed").is_truthy(),
        replies: int(v, "replies").map_or(0, |n| n as u64),
        staff: string(v, "staff").unwrap_or_default(),
        featured: field(v, "featured").is_truthy(),
    })
}

/// What the widget reads of a `ThreadPage`.
#[derive(Debug, Default, PartialEq)]
pub struct ThreadAnswer {
    pub revision: u64,
    pub comments: Vec<Comment>,
    pub mail: bool,
    pub next: Option<String>,
    pub changes: bool,
    pub removed: Vec<i64>,
    pub closes_at: Option<i64>,
    /// The editors' picks, in every answer.
    pub featured: Vec<Comment>,
}

/// The comments of `obj[key]`, `None` if one does not read; an absent
/// list is empty when `optional`.
fn comments(obj: &JsValue, key: &str, optional: bool) -> Option<Vec<Comment>> {
    match array(obj, key) {
        Some(list) => list.iter().map(|c| comment(&c)).collect(),
        None => optional.then(Vec::new),
    }
}

pub fn thread_answer(text: &str) -> Option<ThreadAnswer> {
    let page = parse(text)?;
    let comments_read = comments(&page, "comments", false)?;
    let removed = array(&page, "removed")
        .map(|a| a.iter().filter_map(|v| int(&v, "")).collect())
        .unwrap_or_default();
    Some(ThreadAnswer {
        revision: int(&page, "revision").map_or(0, |r| r as u64),
        featured: comments(&page, "featured", true)?,
        comments: comments_read,
        mail: field(&page, "mail").is_truthy(),
        next: string(&page, "next"),
        changes: field(&page, "changes").is_truthy(),
        removed,
        closes_at: int(&page, "closes_at"),
    })
}

pub fn accepted(text: &str) -> Option<Accepted> {
    let v = parse(text)?;
    Some(Accepted {
        id: int(&v, "id")?,
        status: CommentStatus::parse(&string(&v, "status")?)?,
        token: string(&v, "token")?,
        html: string(&v, "html")?,
    })
}

pub fn statuses(text: &str) -> Option<StatusResponse> {
    let statuses = array(&parse(text)?, "statuses")?
        .iter()
        .map(|e| StatusEntry {
            id: int(&e, "id"),
            status: string(&e, "status").and_then(|s| CommentStatus::parse(&s)),
        })
        .collect();
    Some(StatusResponse { statuses })
}

/// The code of an `{"error":{"code":…}}` body.
pub fn error_code(text: &str) -> Option<ErrorCode> {
    ErrorCode::parse(&string(&field(&parse(text)?, "error"), "code")?)
}

pub fn new_comment(c: &NewComment) -> String {
    stringify(&object(&[
        ("author", c.author.as_str().into()),
        ("body", c.body.as_str().into()),
        ("website", c.website.as_str().into()),
        (
            "compose_ms",
            JsValue::from_f64(c.compose_ms.unwrap_or(0) as f64),
        ),
        ("page_title", c.page_title.as_str().into()),
        ("page_url", c.page_url.as_str().into()),
        ("reader", c.reader.as_str().into()),
        ("email", c.email.as_str().into()),
        ("parent", parent(c.parent)),
        ("notify_replies", JsValue::from_bool(c.notify_replies)),
    ]))
}

/// An event's detail: `{id}`, or `{}` without one.
pub fn detail(id: Option<i64>) -> JsValue {
    object(&[("id", parent(id))])
}

/// An optional id: absent (`undefined`, which `JSON.stringify` leaves out) when `None`.
fn parent(id: Option<i64>) -> JsValue {
    id.map_or(JsValue::UNDEFINED, |id| JsValue::from_f64(id as f64))
}

pub fn token_request(token: &str) -> String {
    stringify(&object(&[("token", token.into())]))
}

pub fn status_request(tokens: &[String]) -> String {
    let list: Array = tokens.iter().map(|t| JsValue::from_str(t)).collect();
    stringify(&object(&[("tokens", list.into())]))
}

/// The reader's pending comments as kept in `localStorage`.
pub fn pending_list(list: &[PendingComment]) -> String {
    let arr: Array = list
        .iter()
        .map(|p| {
            object(&[
                ("id", JsValue::from_f64(p.id as f64)),
                ("token", p.token.as_str().into()),
                ("author", p.author.as_str().into()),
                ("body", p.body.as_str().into()),
                ("html", p.html.as_str().into()),
                ("created_at", JsValue::from_f64(p.created_at as f64)),
                ("parent", parent(p.parent)),
            ])
        })
        .collect();
    stringify(&arr)
}

/// Reads back [`pending_list`]; entries that do not parse are dropped.
pub fn read_pending_list(text: &str) -> Vec<PendingComment> {
    let Some(arr) = parse(text).and_then(|v| v.dyn_into::<Array>().ok()) else {
        return Vec::new();
    };
    arr.iter()
        .filter_map(|v| {
            let body = string(&v, "body")?;
            Some(PendingComment {
                id: int(&v, "id")?,
                token: string(&v, "token")?,
                author: string(&v, "author")?,
                // Older widgets kept no rendering: their text, escaped.
                html: string(&v, "html").unwrap_or_else(|| escape(&body)),
                body,
                created_at: int(&v, "created_at")?,
                parent: int(&v, "parent"),
            })
        })
        .collect()
}

/// serde is the wire's single definition (`comments-api`); the widget reads
/// and writes it by hand. These tests run each type the widget exchanges
/// through serde on one side and the widget on the other, both ways, so
/// that the two cannot drift apart. In Chromium, where the widget's JSON runs.
#[cfg(all(test, target_arch = "wasm32"))]
mod wire_tests {
    use super::*;
    use comments_api::{ApiError, StatusRequest, ThreadPage, TokenRequest};
    use wasm_bindgen_test::wasm_bindgen_test;

    fn comment(id: i64) -> Comment {
        Comment {
            id,
            author: "Zoé \"<b>\" ☕".into(),
            html: "a &lt;b&gt; <a href=\"https://x.example\">https://x.example</a>\nline".into(),
            created_at: 1_764_000_000_000 + id,
            parent: None,
            removed: false,
            replies: 0,
            staff: String::new(),
            featured: false,
        }
    }

    fn reply(id: i64, parent: i64) -> Comment {
        Comment {
            parent: Some(parent),
            ..comment(id)
        }
    }

    fn removed(id: i64) -> Comment {
        Comment {
            author: String::new(),
            html: String::new(),
            removed: true,
            ..comment(id)
        }
    }

    #[wasm_bindgen_test]
    fn thread_pages_read_as_serde_writes_them() {
        let top = Comment {
            replies: 12,
            ..comment(5)
        };
        let staff = Comment {
            staff: "Rédaction \"☕\"".into(),
            ..reply(6, 5)
        };
        for (comments, mail) in [
            (vec![], false),
            (vec![comment(1), comment(9_007_199_254)], true),
            (
                vec![removed(2), reply(3, 2), reply(4, 3), top, staff],
                false,
            ),
        ] {
            let featured = if mail {
                vec![
                    Comment {
                        featured: true,
                        ..comment(8)
                    },
                    Comment {
                        featured: true,
                        staff: "Staff".into(),
                        ..reply(10, 8)
                    },
                ]
            } else {
                vec![]
            };
            let closes_at = mail.then_some(1_764_000_000_000);
            let page = ThreadPage {
                thread: "t/1".into(),
                revision: 42,
                comments: comments.clone(),
                mail,
                next: mail.then(|| "1764000000001.9".into()),
                changes: false,
                removed: vec![],
                reset: false,
                featured: featured.clone(),
                closes_at,
            };
            let read = thread_answer(&serde_json::to_string(&page).unwrap()).expect("reads");
            assert_eq!(
                read,
                ThreadAnswer {
                    revision: 42,
                    comments,
                    mail,
                    next: page.next.clone(),
                    closes_at,
                    featured,
                    ..ThreadAnswer::default()
                }
            );
        }
        // An answer to a poll: the changes only. (A `reset` answer is a
        // first page, which the widget reads as one.)
        let changes = ThreadPage {
            thread: "t".into(),
            revision: 43,
            comments: vec![reply(6, 5)],
            mail: false,
            next: None,
            changes: true,
            removed: vec![3, 9_007_199_254],
            reset: false,
            featured: vec![Comment {
                featured: true,
                ..comment(1)
            }],
            closes_at: Some(0),
        };
        let read = thread_answer(&serde_json::to_string(&changes).unwrap()).expect("reads");
        assert_eq!(read.featured, changes.featured, "a poll brings the picks");
        assert_eq!((read.changes, read.removed), (true, vec![3, 9_007_199_254]));
        assert_eq!(read.closes_at, Some(0));
        assert_eq!(read.comments, changes.comments);
        let reset = ThreadPage {
            changes: false,
            removed: vec![],
            reset: true,
            next: Some("1.2".into()),
            ..changes
        };
        let read = thread_answer(&serde_json::to_string(&reset).unwrap()).expect("reads");
        assert!(!read.changes && read.next.is_some() && read.comments == reset.comments);
        assert!(
            thread_answer("{\"comments\":[{\"id\":1}]}").is_none(),
            "an incomplete comment"
        );
        assert!(thread_answer("{\"featured\":[]}").is_none(), "no comments");
        assert!(
            thread_answer("{\"comments\":[],\"featured\":[{\"id\":1}]}").is_none(),
            "an incomplete pick"
        );
    }

    #[wasm_bindgen_test]
    fn accepted_and_statuses_read_as_serde_writes_them() {
        for status in [
            CommentStatus::Pending,
            CommentStatus::Approved,
            CommentStatus::Rejected,
        ] {
            let a = Accepted {
                id: 7,
                status,
                token: "ab".repeat(32),
                html: "<a href=\"https://x\">x</a>".into(),
            };
            assert_eq!(accepted(&serde_json::to_string(&a).unwrap()), Some(a));
        }
        let s = StatusResponse {
            statuses: vec![
                StatusEntry {
                    id: Some(3),
                    status: Some(CommentStatus::Approved),
                },
                StatusEntry {
                    id: None,
                    status: None,
                },
                StatusEntry {
                    id: Some(4),
                    status: Some(CommentStatus::Rejected),
                },
            ],
        };
        assert_eq!(statuses(&serde_json::to_string(&s).unwrap()), Some(s));
    }

    #[wasm_bindgen_test]
    fn every_error_code_reads_as_serde_writes_it() {
        for code in ErrorCode::ALL {
            let body = serde_json::to_string(&ApiError::new(code, "words")).unwrap();
            assert_eq!(error_code(&body), Some(code), "{body}");
        }
    }

    #[wasm_bindgen_test]
    fn what_the_widget_writes_serde_reads() {
        let new = NewComment {
            author: "Zoé".into(),
            body: "l1\n\"l2\" ☕".into(),
            website: String::new(),
            compose_ms: Some(4200),
            page_title: "Marseille – Miami".into(),
            page_url: "https://news.example/a".into(),
            reader: "k".repeat(32),
            email: "z@example.org".into(),
            parent: None,
            notify_replies: false,
        };
        let read: NewComment = serde_json::from_str(&new_comment(&new)).unwrap();
        assert_eq!(read, new);
        let reply = NewComment {
            parent: Some(9_007_199_254),
            notify_replies: true,
            ..new
        };
        let read: NewComment = serde_json::from_str(&new_comment(&reply)).unwrap();
        assert_eq!(read, reply);
        let tokens = vec!["a".to_string(), "b\"".to_string()];
        let read: StatusRequest = serde_json::from_str(&status_request(&tokens)).unwrap();
        assert_eq!(read.tokens, tokens);
        let read: TokenRequest = serde_json::from_str(&token_request("t\"k")).unwrap();
        assert_eq!(read.token, "t\"k");
    }

    #[wasm_bindgen_test]
    fn the_readers_own_comments_round_trip_and_older_ones_still_read() {
        let mine = vec![PendingComment {
            id: 5,
            token: "tok".into(),
            author: "Ana".into(),
            body: "<b>x</b>".into(),
            html: "&lt;b&gt;x&lt;/b&gt;".into(),
            created_at: 1_764_000_000_000,
            parent: None,
        }];
        let replies = vec![PendingComment {
            parent: Some(4),
            ..mine[0].clone()
        }];
        assert_eq!(read_pending_list(&pending_list(&replies)), replies);
        assert_eq!(
            read_pending_list(&serde_json::to_string(&replies).unwrap()),
            replies
        );
        let back: Vec<PendingComment> = serde_json::from_str(&pending_list(&replies)).unwrap();
        assert_eq!(back, replies);
        assert_eq!(read_pending_list(&pending_list(&mine)), mine);
        // What serde writes reads the same, and serde reads what the widget writes.
        assert_eq!(
            read_pending_list(&serde_json::to_string(&mine).unwrap()),
            mine
        );
        let back: Vec<PendingComment> = serde_json::from_str(&pending_list(&mine)).unwrap();
        assert_eq!(back, mine);
        // An older widget stored no rendering: the text is shown escaped.
        let old = r#"[{"id":5,"token":"tok","author":"Ana","body":"<b>x</b>","created_at":1764000000000}]"#;
        assert_eq!(read_pending_list(old), mine);
    }
}
