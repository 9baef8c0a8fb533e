//! Calls to the comment server's public API (`/api/v1`) over the browser's `fetch`.
//!
//! `fetch` is called through web-sys directly: a wrapper crate (gloo-net)
//! cost about 8 KB of gzipped wasm for features the widget does not use.

use crate::json;
use crate::json::ThreadAnswer;
use comments_api::{Accepted, ErrorCode, NewComment, StatusResponse};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestInit, Response};

/// Why a call failed, in the terms the widget explains to readers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No answer: offline, server down, CORS refused.
    Network,
    /// The server answered with an error code.
    Api {
        code: ErrorCode,
        retry_after: Option<u32>,
    },
}

/// The API of one comment server, rooted at the URL `embed.js` came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    base: String,
}

fn internal() -> Failure {
    Failure::Api {
        code: ErrorCode::Internal,
        retry_after: None,
    }
}

/// One `fetch`. Any rejection (offline, refused, CORS) is a network failure.
async fn fetch(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
) -> Result<Response, Failure> {
    let init = RequestInit::new();
    init.set_method(method);
    let h = Headers::new().map_err(|_| internal())?;
    for (k, v) in headers {
        h.set(k, v).map_err(|_| internal())?;
    }
    init.set_headers(&h);
    if let Some(body) = body {
        init.set_body(&body.into());
    }
    let request = Request::new_with_str_and_init(url, &init).map_err(|_| internal())?;
    let window = web_sys::window().ok_or(Failure::Network)?;
    JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| Failure::Network)?
        .dyn_into::<Response>()
        .map_err(|_| Failure::Network)
}

async fn text(resp: &Response) -> Option<String> {
    JsFuture::from(resp.text().ok()?).await.ok()?.as_string()
}

fn header(resp: &Response, name: &str) -> Option<String> {
    resp.headers().get(name).ok().flatten()
}

/// Turns a non-success response into a [`Failure`], reading our error body
/// when there is one and falling back on the status code.
async fn failure(resp: Response) -> Failure {
    let retry_after = header(&resp, "retry-after").and_then(|v| v.trim().parse().ok());
    let status = resp.status();
    let from_body = text(&resp).await.and_then(|t| json::error_code(&t));
    let code = from_body.unwrap_or(match status {
        413 => ErrorCode::PayloadTooLarge,
        429 => ErrorCode::RateLimited,
        502..=504 => ErrorCode::Unavailable,
        _ => ErrorCode::Internal,
    });
    Failure::Api { code, retry_after }
}

/// Reads a success body with `read`; a body that does not parse is a server fault.
async fn json_body<T>(resp: Response, read: fn(&str) -> Option<T>) -> Result<T, Failure> {
    let body = text(&resp).await.ok_or(Failure::Network)?;
    read(&body).ok_or_else(internal)
}

impl Client {
    /// `base` is the server root, e.g. `https://comments.example.org/`.
    pub fn new(base: &str) -> Self {
        let mut base = base.to_string();
        if !base.ends_with('/') {
            base.push('/');
        }
        Self { base }
    }

    fn thread_url(&self, thread: &str) -> String {
        let key = String::from(js_sys::encode_uri_component(thread));
        format!("{}api/v1/threads/{key}/comments", self.base)
    }

    async fn post_json(&self, url: &str, body: String) -> Result<Response, Failure> {
        let resp = fetch(
            "POST",
            url,
            &[("Content-Type", "application/json")],
            Some(body),
        )
        .await?;
        if resp.ok() {
            Ok(resp)
        } else {
            Err(failure(resp).await)
        }
    }

    /// The thread's approved comments (and whether the server mails
    /// authors) with the ETag, or `None` when unchanged since `etag` (a 304).
    pub async fn thread(
        &self,
        thread: &str,
        etag: Option<&str>,
    ) -> Result<Option<(ThreadAnswer, Option<String>)>, Failure> {
        let conditional = etag.map(|tag| ("If-None-Match", tag));
        let resp = fetch(
            "GET",
            &self.thread_url(thread),
            conditional.as_slice(),
            None,
        )
        .await?;
        match resp.status() {
            304 => Ok(None),
            200 => {
                let tag = header(&resp, "etag");
                Ok(Some((json_body(resp, json::thread_answer).await?, tag)))
            }
            _ => Err(failure(resp).await),
        }
    }

    /// Posts a comment; the server answers 202 with its id and the secret token.
    pub async fn post(&self, thread: &str, comment: &NewComment) -> Result<Accepted, Failure> {
        let resp = self
            .post_json(&self.thread_url(thread), json::new_comment(comment))
            .await?;
        json_body(resp, json::accepted).await
    }

    /// Deletes the comment posted with `token` (its author withdraws it).
    pub async fn delete(&self, token: &str) -> Result<(), Failure> {
        let url = format!("{}api/v1/comments/delete", self.base);
        self.post_json(&url, json::token_request(token)).await?;
        Ok(())
    }

    /// Where the reader's own comments stand, in the order of `tokens`.
    pub async fn statuses(&self, tokens: &[String]) -> Result<StatusResponse, Failure> {
        let url = format!("{}api/v1/comments/status", self.base);
        let resp = self.post_json(&url, json::status_request(tokens)).await?;
        json_body(resp, json::statuses).await
    }
}
