//! Calls to the comment server's public API (`/api/v1`), with gloo-net's `fetch`.

use crate::json;
use crate::json::ThreadAnswer;
use comments_api::{Accepted, ErrorCode, NewComment, StatusResponse};
use gloo_net::http::{Request, RequestBuilder, Response};
use wasm_bindgen::JsCast;

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

/// Sends a request. Any rejection (offline, refused, CORS) is a network failure.
async fn send(request: Result<Request, gloo_net::Error>) -> Result<Response, Failure> {
    request
        .map_err(|_| internal())?
        .send()
        .await
        .map_err(|_| Failure::Network)
}

/// Turns a non-success response into a [`Failure`], reading our error body
/// when there is one and falling back on the status code.
async fn failure(resp: Response) -> Failure {
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.trim().parse().ok());
    let status = resp.status();
    let from_body = resp.text().await.ok().and_then(|t| json::error_code(&t));
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
    let body = resp.text().await.map_err(|_| Failure::Network)?;
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
        let request = RequestBuilder::new(url)
            .method(gloo_net::http::Method::POST)
            .header("Content-Type", "application/json")
            .body(body);
        let resp = send(request).await?;
        if resp.ok() {
            Ok(resp)
        } else {
            Err(failure(resp).await)
        }
    }

    /// Part of the thread, as `query` asks (empty: the first page;
    /// `?since=`, `?after=`, `?root=`, `?around=`), with the ETag, or
    /// `None` when unchanged since `etag` (a 304).
    pub async fn thread(
        &self,
        thread: &str,
        query: &str,
        etag: Option<&str>,
    ) -> Result<Option<(ThreadAnswer, Option<String>)>, Failure> {
        let mut request = Request::get(&(self.thread_url(thread) + query));
        if let Some(tag) = etag {
            request = request.header("If-None-Match", tag);
        }
        let resp = send(request.build()).await?;
        Self::thread_answer(resp).await
    }

    /// The thread's first answer, from the `fetch` that `embed.js` started.
    pub async fn answered(
        &self,
        answer: js_sys::Promise,
    ) -> Result<Option<(ThreadAnswer, Option<String>)>, Failure> {
        let raw = wasm_bindgen_futures::JsFuture::from(answer)
            .await
            .map_err(|_| Failure::Network)?;
        let raw: web_sys::Response = raw.dyn_into().map_err(|_| Failure::Network)?;
        Self::thread_answer(Response::from(raw)).await
    }

    async fn thread_answer(
        resp: Response,
    ) -> Result<Option<(ThreadAnswer, Option<String>)>, Failure> {
        match resp.status() {
            304 => Ok(None),
            200 => {
                let tag = resp.headers().get("etag");
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
