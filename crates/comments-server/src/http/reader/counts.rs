//! `GET /api/v1/counts?thread=a&thread=b`: approved comments per thread, for
//! the "12 comments" links of listing pages, which `embed.js` fills with one
//! request and no wasm. Its ETag comes from the revisions in memory, so an
//! unchanged set of threads costs a 304 and no database read.

use crate::http::error::AppError;
use crate::http::limiter::Client;
use crate::http::state::AppState;
use crate::store::revisions::if_none_match_hits;
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use comments_api::limits::COUNT_MAX_THREADS;
use comments_api::{Counts, ErrorCode, ThreadKey};

/// The distinct thread keys of a query string (`thread=…`, repeated), in order.
pub fn threads(query: &str) -> Result<Vec<ThreadKey>, AppError> {
    let mut keys: Vec<ThreadKey> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name != "thread" {
            return Err(AppError::new(
                ErrorCode::InvalidParameter,
                format!("Unknown parameter {name:?}; use thread=KEY, repeated."),
            ));
        }
        let value = value.replace('+', " ");
        let value = percent_encoding::percent_decode_str(&value)
            .decode_utf8()
            .map_err(|_| {
                AppError::new(ErrorCode::InvalidThread, "A thread key is not valid UTF-8.")
            })?;
        let key = ThreadKey::parse(&value)?;
        if !keys.iter().any(|k| k.as_str() == key.as_str()) {
            keys.push(key);
        }
        if keys.len() > COUNT_MAX_THREADS {
            return Err(AppError::new(
                ErrorCode::InvalidParameter,
                format!("At most {COUNT_MAX_THREADS} threads per request."),
            ));
        }
    }
    if keys.is_empty() {
        return Err(AppError::new(
            ErrorCode::InvalidParameter,
            "Name at least one thread: ?thread=KEY.",
        ));
    }
    Ok(keys)
}

pub async fn counts(
    State(app): State<AppState>,
    client: Client,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    app.read_limiter.admit(&client)?;
    let threads = threads(query.as_deref().unwrap_or(""))?;
    // The counts change only when one of the threads' revisions does.
    let state: String = threads
        .iter()
        .map(|t| format!("{}\0{}\n", t.as_str(), app.revisions.get(t.as_str())))
        .collect();
    let tag = format!("\"c{}\"", &crate::token::hash(&state)[..20]);
    let tag = HeaderValue::from_str(&tag).unwrap_or_else(|_| HeaderValue::from_static("\"c\""));
    let cache = [
        (header::ETAG, tag.clone()),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    let hit = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .zip(tag.to_str().ok())
        .is_some_and(|(given, ours)| if_none_match_hits(given, ours));
    if hit {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    let counts = app.store.approved_counts(&threads).await?;
    let counts = threads
        .iter()
        .map(|t| t.as_str().to_string())
        .zip(counts)
        .collect();
    Ok((cache, Json(Counts { counts })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_keys_are_decoded_deduplicated_and_bounded() {
        let keys = threads("thread=a&thread=%2F2026%2Fx&thread=a&thread=b+c").unwrap();
        let keys: Vec<&str> = keys.iter().map(ThreadKey::as_str).collect();
        assert_eq!(keys, ["a", "/2026/x", "b c"]);
        let many: String = (0..=COUNT_MAX_THREADS)
            .map(|i| format!("thread=t{i}&"))
            .collect();
        assert!(threads(&many).is_err());
        assert!(
            threads(&"thread=t&".repeat(500)).is_ok(),
            "repeats count once"
        );
        for bad in ["", "thread=", "page=2", "thread=%FF", "thread=a&x=1"] {
            assert!(threads(bad).is_err(), "{bad}");
        }
    }
}
