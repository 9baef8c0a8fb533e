//! The comment widget: a Leptos component that `embed.js` mounts into each `[data-comments]` element.
//!
//! Readers see a thread's approved comments, post their own, and keep
//! seeing their pending comments (stored in `localStorage`) until a
//! moderator decides. The widget polls the server with conditional GETs.

pub mod app;
pub mod client;
pub mod form;
pub mod i18n;
pub mod json;
pub mod list;
pub mod mount;
pub mod own;
pub mod poll;
pub mod reltime;

pub use app::{App, Options};
pub use mount::mount;

#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests;
