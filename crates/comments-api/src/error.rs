//! Machine-readable error codes, their HTTP statuses and the `{"error":{code,message}}` body.

use serde::{Deserialize, Serialize};

/// Every error the API can answer with. Serialised as a snake_case string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request body is not valid JSON or not the expected shape.
    InvalidJson,
    /// The request body is not `application/json`.
    UnsupportedMediaType,
    /// The request body is larger than [`crate::limits::REQUEST_MAX_BYTES`].
    PayloadTooLarge,
    /// The thread key is empty, too long or has control characters.
    InvalidThread,
    /// The author name is empty after trimming.
    AuthorEmpty,
    /// The author name is longer than [`crate::limits::AUTHOR_MAX_CHARS`].
    AuthorTooLong,
    /// The comment body is empty after trimming.
    BodyEmpty,
    /// The comment body is longer than [`crate::limits::BODY_MAX_CHARS`].
    BodyTooLong,
    /// A control character (other than newline and tab in a body) was sent.
    ControlCharacter,
    /// The optional email address is not one mail can be sent to.
    InvalidEmail,
    /// Too many tokens in one status request.
    TooManyTokens,
    /// A path or query parameter is not of the expected form.
    InvalidParameter,
    /// A reply names a comment that is not published in the same thread.
    InvalidParent,
    /// The thread is closed to new comments (its comments still show).
    ThreadClosed,
    /// A report of illegal content came without its explanation.
    ExplanationRequired,
    /// A report's explanation is longer than
    /// [`crate::limits::REPORT_EXPLANATION_MAX_CHARS`].
    ExplanationTooLong,
    /// The client sends too many requests; see `Retry-After`.
    RateLimited,
    /// No such route or resource.
    NotFound,
    /// The method is not allowed on this route.
    MethodNotAllowed,
    /// The request (its body included) took too long to arrive or to answer.
    RequestTimeout,
    /// A moderation request without a session or a valid bearer token.
    Unauthorized,
    /// A moderator's request that fails the cross-site check, or a mail
    /// link that is forged, expired or already used.
    Forbidden,
    /// A post from a page whose origin is not an allowed site.
    OriginNotAllowed,
    /// The widget assets were not built into this server binary.
    WidgetNotBuilt,
    /// The server is busy or shutting down; see `Retry-After`.
    Unavailable,
    /// Too many comments await moderation; see `Retry-After`.
    QueueFull,
    /// An unexpected server fault. It is logged; nothing was lost.
    Internal,
}

impl ErrorCode {
    /// Every code, for clients that map names without serde.
    pub const ALL: [ErrorCode; 27] = [
        Self::InvalidJson,
        Self::UnsupportedMediaType,
        Self::PayloadTooLarge,
        Self::InvalidThread,
        Self::AuthorEmpty,
        Self::AuthorTooLong,
        Self::BodyEmpty,
        Self::BodyTooLong,
        Self::ControlCharacter,
        Self::InvalidEmail,
        Self::TooManyTokens,
        Self::InvalidParameter,
        Self::InvalidParent,
        Self::ThreadClosed,
        Self::ExplanationRequired,
        Self::ExplanationTooLong,
        Self::RateLimited,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::RequestTimeout,
        Self::Unauthorized,
        Self::Forbidden,
        Self::OriginNotAllowed,
        Self::WidgetNotBuilt,
        Self::Unavailable,
        Self::QueueFull,
        Self::Internal,
    ];

    /// The wire name, as serde writes it (`body_too_long`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidJson => "invalid_json",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::InvalidThread => "invalid_thread",
            Self::AuthorEmpty => "author_empty",
            Self::AuthorTooLong => "author_too_long",
            Self::BodyEmpty => "body_empty",
            Self::BodyTooLong => "body_too_long",
            Self::ControlCharacter => "control_character",
            Self::InvalidEmail => "invalid_email",
            Self::TooManyTokens => "too_many_tokens",
            Self::InvalidParameter => "invalid_parameter",
            Self::InvalidParent => "invalid_parent",
            Self::ThreadClosed => "thread_closed",
            Self::ExplanationRequired => "explanation_required",
            Self::ExplanationTooLong => "explanation_too_long",
            Self::RateLimited => "rate_limited",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::RequestTimeout => "request_timeout",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::OriginNotAllowed => "origin_not_allowed",
            Self::WidgetNotBuilt => "widget_not_built",
            Self::Unavailable => "unavailable",
            Self::QueueFull => "queue_full",
            Self::Internal => "internal",
        }
    }

    /// The code for a wire name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// The HTTP status this code is sent with.
    pub fn http_status(self) -> u16 {
        match self {
            Self::InvalidJson | Self::InvalidThread | Self::InvalidParameter => 400,
            Self::Unauthorized => 401,
            Self::OriginNotAllowed | Self::Forbidden | Self::ThreadClosed => 403,
            Self::NotFound | Self::WidgetNotBuilt => 404,
            Self::MethodNotAllowed => 405,
            Self::RequestTimeout => 408,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::AuthorEmpty
            | Self::AuthorTooLong
            | Self::BodyEmpty
            | Self::BodyTooLong
            | Self::ControlCharacter
            | Self::InvalidEmail
            | Self::InvalidParent
            | Self::ExplanationRequired
            | Self::ExplanationTooLong
            | Self::TooManyTokens => 422,
            Self::RateLimited => 429,
            Self::Internal => 500,
            Self::Unavailable | Self::QueueFull => 503,
        }
    }

    /// An English explanation for people reading logs or raw responses.
    pub fn default_message(self) -> &'static str {
        match self {
            Self::InvalidJson => "The request body is not the JSON this endpoint expects.",
            Self::UnsupportedMediaType => "Send the request body as application/json.",
            Self::PayloadTooLarge => "The request body is too large.",
            Self::InvalidThread => {
                "The thread key must be 1 to 512 bytes without control characters."
            }
            Self::AuthorEmpty => "Please give a name.",
            Self::AuthorTooLong => "The name must be at most 64 characters.",
            Self::BodyEmpty => "The comment is empty.",
            Self::BodyTooLong => "The comment must be at most 5000 characters.",
            Self::ControlCharacter => "The text contains control characters.",
            Self::InvalidEmail => "The email address is not valid (or leave it empty).",
            Self::TooManyTokens => "Ask about at most 50 comments at once.",
            Self::InvalidParameter => "A path or query parameter is not of the expected form.",
            Self::InvalidParent => {
                "The comment you reply to is not published in this thread (any more)."
            }
            Self::ThreadClosed => "Comments are closed on this article.",
            Self::ExplanationRequired => {
                "Say why the content is illegal: a report of illegal content needs an explanation."
            }
            Self::ExplanationTooLong => "The explanation must be at most 2000 characters.",
            Self::RateLimited => "Too many requests; please wait before trying again.",
            Self::NotFound => "Not found.",
            Self::MethodNotAllowed => "This method is not allowed here.",
            Self::RequestTimeout => "The request took too long.",
            Self::Unauthorized => "Sign in as a moderator (or send a valid moderation token).",
            Self::Forbidden => {
                "This request was refused: it came from another site, or its link is expired or used."
            }
            Self::OriginNotAllowed => "This site is not allowed to post comments here.",
            Self::WidgetNotBuilt => {
                "This server was built without the widget; run `cargo xtask demo` or `cargo xtask build`."
            }
            Self::Unavailable => "The server is busy; please retry shortly.",
            Self::QueueFull => {
                "Too many comments are waiting for moderation; please try again later."
            }
            Self::Internal => "An unexpected error occurred; it has been logged.",
        }
    }
}

/// The body of every error response: `{"error":{"code":"…","message":"…"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: ErrorBody,
}

/// The code and human message inside an [`ApiError`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error: ErrorBody {
                code,
                message: message.into(),
            },
        }
    }
}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> Self {
        Self::new(code, code.default_message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_client_errors_except_server_faults() {
        for code in [
            ErrorCode::InvalidJson,
            ErrorCode::UnsupportedMediaType,
            ErrorCode::PayloadTooLarge,
            ErrorCode::BodyTooLong,
            ErrorCode::RateLimited,
        ] {
            let s = code.http_status();
            assert!((400..500).contains(&s), "{code:?} -> {s}");
        }
        assert_eq!(ErrorCode::Unavailable.http_status(), 503);
    }

    #[test]
    fn messages_quote_the_real_limits() {
        use crate::limits::*;
        let has = |c: ErrorCode, n: usize| c.default_message().contains(&n.to_string());
        assert!(has(ErrorCode::AuthorTooLong, AUTHOR_MAX_CHARS));
        assert!(has(ErrorCode::BodyTooLong, BODY_MAX_CHARS));
        assert!(has(ErrorCode::InvalidThread, THREAD_KEY_MAX_BYTES));
        assert!(has(ErrorCode::TooManyTokens, STATUS_MAX_TOKENS));
        assert!(has(
            ErrorCode::ExplanationTooLong,
            REPORT_EXPLANATION_MAX_CHARS
        ));
    }

    #[test]
    fn wire_names_match_serde_and_round_trip() {
        for code in ErrorCode::ALL {
            assert_eq!(via_serde(code.as_str()), code);
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::parse("nope"), None);
    }

    /// Deserialises a name through serde's derive, as a JSON string would be.
    fn via_serde(name: &str) -> ErrorCode {
        use serde::de::IntoDeserializer;
        let de: serde::de::value::StrDeserializer<serde::de::value::Error> =
            name.into_deserializer();
        ErrorCode::deserialize(de).unwrap()
    }

    #[test]
    fn api_error_from_code_uses_default_message() {
        let e = ApiError::from(ErrorCode::BodyEmpty);
        assert_eq!(e.error.code, ErrorCode::BodyEmpty);
        assert_eq!(e.error.message, "The comment is empty.");
    }
}
