//! Everything HTTP: the router and its layers, the shared state, the one
//! error type, the accept loop, per-network limits and allowed origins; the
//! reader API (`reader`), the moderation pages (`admin`), the bearer-token
//! moderation API (`moderation`), the embedded widget (`assets`) and the
//! demo page. It may use `moderation`, `notify` and `store`; none of them
//! uses it.

pub mod admin;
pub mod assets;
pub mod demo;
pub mod detached;
pub mod encoding;
pub mod error;
pub mod frame;
pub mod html;
pub mod limiter;
pub mod metrics;
pub mod moderation;
pub mod newsroom;
pub mod origins;
pub mod reader;
pub mod routes;
pub mod serve;
pub mod state;
