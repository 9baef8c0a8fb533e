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

// Talc instead of Rust's default dlmalloc: the same job in fewer bytes of
// wasm, and faster (see DEVELOPERS.md for the measurement).
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
