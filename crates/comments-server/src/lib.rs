//! The comment server: public API, moderation, and the embedded widget, behind one `Store`.
//!
//! The binary (`main.rs`) is the command line; the modules are a library so
//! that fuzz targets and benchmarks can reach the parsers directly.

pub mod admin;
pub mod answers;
pub mod api;
pub mod assets;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod detached;
pub mod encoding;
pub mod error;
pub mod fragment;
pub mod html;
pub mod keys;
pub mod limiter;
pub mod mail_links;
pub mod moderation;
pub mod notify;
pub mod origins;
pub mod privacy;
pub mod revisions;
pub mod routes;
pub mod serve;
pub mod signals;
pub mod state;
pub mod store;
pub mod token;
pub mod traps;
