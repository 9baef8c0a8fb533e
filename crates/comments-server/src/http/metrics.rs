//! `/metrics`, in Prometheus' text format, for the moderation token's
//! bearer: requests by route and status (counted by a middleware on every
//! route), the share of thread polls answered 304, the pending queue,
//! how late other instances' change notifications arrive, and the
//! database pool's use. Counters are this instance's; scrape each one.

use crate::http::error::AppError;
use crate::http::moderation::authorize;
use crate::http::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Mutex;

/// The route that thread polls take, whose 304 share is reported.
const POLL_ROUTE: &str = "/api/v1/threads/{thread}/comments";

#[derive(Default)]
pub struct Metrics {
    /// Route → status → requests. Routes are the router's patterns, so
    /// the map stays as small as the route table; counting allocates only
    /// a route's first time.
    requests: Mutex<HashMap<String, HashMap<u16, u64>>>,
}

impl Metrics {
    fn count(&self, route: &str, status: u16) {
        let mut map = match self.requests.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        let statuses = match map.get_mut(route) {
            Some(statuses) => statuses,
            None => map.entry(route.to_string()).or_default(),
        };
        *statuses.entry(status).or_default() += 1;
    }

    fn snapshot(&self) -> Vec<((String, u16), u64)> {
        let map = match self.requests.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut all: Vec<_> = map
            .iter()
            .flat_map(|(route, statuses)| {
                statuses
                    .iter()
                    .map(|(status, n)| ((route.clone(), *status), *n))
            })
            .collect();
        all.sort();
        all
    }
}

/// Middleware: counts each answer under its route's pattern (the
/// router's shared copy of it: nothing is allocated per request).
pub async fn track(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    app.metrics.count(route, response.status().as_u16());
    response
}

/// Label values escaped as the text format wants.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

pub async fn metrics(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, AppError> {
    authorize(&app, &headers)?;
    // Counted since now: the pending and reported totals, without
    // counting every decision ever made on each scrape.
    let counts = app.store.counts(crate::clock::now_ms()).await?;
    let (lag_ms, notified) = app.revisions.lag();
    let (open, idle) = app.store.pool_use();
    let requests = app.metrics.snapshot();
    let polls = |status: u16| -> u64 {
        requests
            .iter()
            .filter(|((r, s), _)| r == POLL_ROUTE && *s == status)
            .map(|(_, n)| n)
            .sum()
    };
    // A poll is a GET of the list: answered in full (200) or not (304).
    let not_modified = polls(304);
    let all_polls = polls(200) + not_modified;
    let mut out = String::with_capacity(2048);
    let _ = writeln!(
        out,
        "# HELP comments_http_requests_total Requests answered, by route pattern and status.\n\
         # TYPE comments_http_requests_total counter"
    );
    for ((route, status), n) in &requests {
        let _ = writeln!(
            out,
            "comments_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
            label(route)
        );
    }
    let ratio = if all_polls == 0 {
        0.0
    } else {
        not_modified as f64 / all_polls as f64
    };
    let _ = writeln!(
        out,
        "# HELP comments_poll_not_modified_ratio Share of thread polls answered 304 Not Modified.\n\
         # TYPE comments_poll_not_modified_ratio gauge\n\
         comments_poll_not_modified_ratio {ratio:.4}\n\
         # HELP comments_pending_comments Comments waiting for a moderator.\n\
         # TYPE comments_pending_comments gauge\n\
         comments_pending_comments {}\n\
         # HELP comments_reported_comments Published comments with open reports.\n\
         # TYPE comments_reported_comments gauge\n\
         comments_reported_comments {}\n\
         # HELP comments_notify_lag_seconds From another instance's commit to this one's revision map, the last change.\n\
         # TYPE comments_notify_lag_seconds gauge\n\
         comments_notify_lag_seconds {:.3}\n\
         # HELP comments_notifications_total Change notifications received from the database.\n\
         # TYPE comments_notifications_total counter\n\
         comments_notifications_total {notified}\n\
         # HELP comments_db_connections Database pool connections, by state.\n\
         # TYPE comments_db_connections gauge\n\
         comments_db_connections{{state=\"idle\"}} {idle}\n\
         comments_db_connections{{state=\"busy\"}} {}",
        counts.pending,
        counts.reported,
        lag_ms as f64 / 1000.0,
        open.saturating_sub(idle),
    );
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    ))
}
