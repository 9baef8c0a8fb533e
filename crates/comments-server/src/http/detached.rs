//! Work that must finish once it has begun: a commit and what has to follow it (the revision map, mails, webhooks) run on a task of their own, so that a client going away or the request deadline firing cannot cut them apart.

use crate::http::error::AppError;
use comments_api::ErrorCode;
use std::future::Future;

/// Runs `work` to completion on its own task and waits for it. If the
/// caller is dropped while waiting, the work still finishes.
pub async fn run<T, W>(work: W) -> Result<T, AppError>
where
    T: Send + 'static,
    W: Future<Output = Result<T, AppError>> + Send + 'static,
{
    match tokio::spawn(work).await {
        Ok(result) => result,
        Err(e) => {
            tracing::error!(error = %e, "a detached task failed");
            Err(ErrorCode::Internal.into())
        }
    }
}
