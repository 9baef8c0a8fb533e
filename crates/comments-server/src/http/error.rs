//! `AppError`: the one error type handlers return, rendered as `{"error":{code,message}}`.

use crate::store::StoreError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use comments_api::{ApiError, ErrorCode};
use std::borrow::Cow;

#[derive(Debug)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: Cow<'static, str>,
    /// Seconds for the `Retry-After` header (429, 503).
    pub retry_after: Option<u64>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }
}

impl From<ErrorCode> for AppError {
    fn from(code: ErrorCode) -> Self {
        Self::new(code, code.default_message())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Busy => AppError::from(ErrorCode::Unavailable).retry_after(1),
            StoreError::InvalidParent => AppError::from(ErrorCode::InvalidParent),
            StoreError::Unstorable => AppError::new(
                ErrorCode::InvalidParameter,
                "The request holds characters that cannot be stored (such as NUL).",
            ),
            StoreError::Other(msg) => {
                tracing::error!(error = %msg, "store failure");
                AppError::from(ErrorCode::Internal)
            }
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ApiError::new(self.code, self.message);
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
