//! The comment server: public API, moderation, and the embedded widget, behind one `Store`.
//!
//! The binary (`main.rs`) is the command line; the modules are a library so
//! that fuzz targets and benchmarks can reach the parsers directly.

pub mod admin;
pub mod api;
pub mod app;
pub mod assets;
pub mod auth;
pub mod clock;
pub mod config;
pub mod demo;
pub mod error;
pub mod html;
pub mod limiter;
pub mod mail_links;
pub mod moderation;
pub mod notify;
pub mod origins;
pub mod privacy;
pub mod revisions;
pub mod signals;
pub mod store;
pub mod token;
