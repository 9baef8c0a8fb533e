//! A bare axum handler that answers every GET with one fixed response: the yardstick `cargo xtask bench` measures the comment server's cached thread answers against. Usage: `bare FILE CONTENT-ENCODING`; prints `listening on http://ADDR`.

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::routing::get;

// The server's allocator, so that the two are compared on the same footing.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (Some(file), Some(encoding)) = (args.next(), args.next()) else {
        return Err("usage: bare FILE CONTENT-ENCODING".into());
    };
    let body = Bytes::from(std::fs::read(&file).map_err(|e| format!("{file}: {e}"))?);
    let encoding: &'static str = Box::leak(encoding.into_boxed_str());
    let app = Router::new().fallback(get(move || {
        let body = body.clone();
        async move {
            (
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::CONTENT_ENCODING, encoding),
                    (header::ETAG, "\"r1\""),
                    (header::CACHE_CONTROL, "no-cache"),
                    (header::VARY, "Accept-Encoding"),
                ],
                body,
            )
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening on http://{addr}");
    axum::serve(listener, app).await.map_err(|e| e.to_string())
}
