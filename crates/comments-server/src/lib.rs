//! The comment server, layer by layer. A comment goes from the widget's
//! textarea to `http::reader` (parsed, limited, trapped), is flagged by
//! `moderation::signals`, written by the `store`, announced by `notify`,
//! decided in `http::admin` (or `cli`, or a mail link) through
//! `http::moderation` and `moderation`, and reaches readers again through
//! `store::revisions` and `http::reader`'s cached answers.
//!
//! Dependencies run one way, top to bottom (a test checks it):
//! `cli` → `http` → `moderation` → `notify` → `store`. `config`, `clock`
//! and `token` are foundations any layer may use. The binary (`main.rs`)
//! only calls `cli`; the modules are a library so that tests, fuzz targets
//! and benchmarks can reach them.

pub mod cli;
pub mod clock;
pub mod config;
pub mod http;
pub mod moderation;
pub mod notify;
pub mod store;
pub mod token;
