//! The comment system's contract: wire types, limits and error codes shared by widget and server.
//!
//! Everything that crosses the wire is defined here, once. Text that a reader
//! types is parsed into [`Author`], [`CommentBody`] and [`ThreadKey`] at the
//! edge (widget form, server handler), so inner code never sees invalid data.

mod error;
pub mod limits;
#[cfg(feature = "markdown")]
pub mod markdown;
pub mod render;
mod text;
mod wire;

pub use error::{ApiError, ErrorBody, ErrorCode};
pub use text::{Author, CommentBody, Email, PageContext, ReportExplanation, ThreadKey};
pub use wire::{
    Accepted, Comment, CommentStatus, Counts, NewComment, OwnComment, PendingComment, ReportReason,
    ReportRequest, StatusChange, StatusEntry, StatusRequest, StatusResponse, ThreadPage,
    TokenRequest,
};
