//! The widget files compiled into the binary (`embed.js`, glue, wasm, CSS) and how they are served.

use crate::error::AppError;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use comments_api::ErrorCode;

/// One embedded file, raw and gzipped.
pub struct Asset {
    pub path: &'static str,
    pub mime: &'static str,
    pub raw: &'static [u8],
    pub gzip: &'static [u8],
}

mod embedded {
    use super::Asset;
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

pub use embedded::{BUILD_ID, DEMO_TEMPLATE, EMBED_JS, FILES};

/// The loader is fetched on every page view; keep its cache short so a new
/// deployment reaches readers within minutes.
const LOADER_CACHE: &str = "public, max-age=300";
/// Files under `/w/{build}/` never change: their directory is a content hash.
const IMMUTABLE_CACHE: &str = "public, max-age=31536000, immutable";

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|enc| {
            let mut parts = enc.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let refused = parts.any(|p| p.replace(' ', "") == "q=0");
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

fn serve(asset: &Asset, headers: &HeaderMap, cache: &'static str) -> Response {
    let gz = accepts_gzip(headers);
    let body = if gz { asset.gzip } else { asset.raw };
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.mime));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if gz {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    res
}

/// `GET /embed.js`
pub async fn loader(headers: HeaderMap) -> Result<Response, AppError> {
    let asset = EMBED_JS.as_ref().ok_or(ErrorCode::WidgetNotBuilt)?;
    Ok(serve(asset, &headers, LOADER_CACHE))
}

/// `GET /w/{build}/{*file}`
pub async fn file(
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if FILES.is_empty() {
        return Err(ErrorCode::WidgetNotBuilt.into());
    }
    let Path((build, file)) = path.map_err(|_| ErrorCode::NotFound)?;
    let asset = FILES
        .iter()
        .find(|a| build == BUILD_ID && a.path == file)
        .ok_or(ErrorCode::NotFound)?;
    Ok(serve(asset, &headers, IMMUTABLE_CACHE))
}

/// The widget's transfer size, raw and gzip, as readers download it:
/// wasm + JS glue + CSS, and the loader separately.
pub struct TransferSize {
    pub widget_raw: usize,
    pub widget_gzip: usize,
    pub loader_raw: usize,
    pub loader_gzip: usize,
}

pub fn transfer_size() -> Option<TransferSize> {
    let loader = EMBED_JS.as_ref()?;
    let (raw, gzip) = FILES
        .iter()
        .filter(|a| {
            a.path.ends_with(".wasm") || a.path.ends_with(".js") || a.path.ends_with(".css")
        })
        .fold((0, 0), |(r, g), a| (r + a.raw.len(), g + a.gzip.len()));
    Some(TransferSize {
        widget_raw: raw,
        widget_gzip: gzip,
        loader_raw: loader.raw.len(),
        loader_gzip: loader.gzip.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_negotiation() {
        let mut h = HeaderMap::new();
        assert!(!accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            "gzip, deflate, br".parse().unwrap(),
        );
        assert!(accepts_gzip(&h));
        h.insert(header::ACCEPT_ENCODING, "br, gzip;q=0".parse().unwrap());
        assert!(!accepts_gzip(&h));
        h.insert(header::ACCEPT_ENCODING, "GZIP;q=0.5".parse().unwrap());
        assert!(accepts_gzip(&h));
    }
}
