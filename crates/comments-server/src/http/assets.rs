//! The widget files compiled into the binary (`embed.js`, glue, wasm, CSS), how they are served (brotli or gzip as the browser accepts), and the widget's size budget.

use crate::http::encoding::Encoding;
use crate::http::error::AppError;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use comments_api::ErrorCode;

/// One embedded file, raw and pre-compressed.
pub struct Asset {
    pub path: &'static str,
    pub mime: &'static str,
    pub raw: &'static [u8],
    pub gzip: &'static [u8],
    pub brotli: &'static [u8],
}

impl Asset {
    /// The file in `coding`.
    pub fn body(&self, coding: Encoding) -> &'static [u8] {
        match coding {
            Encoding::Identity => self.raw,
            Encoding::Gzip => self.gzip,
            Encoding::Brotli => self.brotli,
        }
    }
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

fn serve(asset: &Asset, headers: &HeaderMap, cache: &'static str) -> Response {
    let coding = Encoding::negotiate(headers);
    let mut res = asset.body(coding).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.mime));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Some(value) = coding.header() {
        h.insert(header::CONTENT_ENCODING, value);
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
    if build != BUILD_ID {
        return Err(ErrorCode::NotFound.into());
    }
    let find = |path: &str| FILES.iter().find(|a| a.path == path);
    let asset = match file
        .strip_prefix("i18n/")
        .and_then(|f| f.strip_suffix(".json"))
    {
        Some(tag) => language_file(tag, find),
        None => find(&file),
    };
    Ok(serve(
        asset.ok_or(ErrorCode::NotFound)?,
        &headers,
        IMMUTABLE_CACHE,
    ))
}

/// The language file closest to a BCP 47 tag, as `embed.js` asks for it
/// (`i18n/pt-br.json`): the whole tag's file, else its language's (`pt`),
/// else English. The loader then carries no list of languages, and adding
/// one is adding its file.
fn language_file(
    tag: &str,
    find: impl Fn(&str) -> Option<&'static Asset>,
) -> Option<&'static Asset> {
    let tag = tag.to_ascii_lowercase();
    let plausible = tag.len() <= 35 && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let language = tag.split('-').next().unwrap_or("");
    [tag.as_str(), language]
        .into_iter()
        .filter(|t| plausible && !t.is_empty())
        .find_map(|t| find(&format!("i18n/{t}.json")))
        .or_else(|| find("i18n/en.json"))
}

/// What a reader downloads, per coding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sizes {
    pub raw: usize,
    pub gzip: usize,
    pub brotli: usize,
}

impl Sizes {
    fn of(a: &Asset) -> Self {
        Self {
            raw: a.raw.len(),
            gzip: a.gzip.len(),
            brotli: a.brotli.len(),
        }
    }

    fn add(self, other: Self) -> Self {
        Self {
            raw: self.raw + other.raw,
            gzip: self.gzip + other.gzip,
            brotli: self.brotli + other.brotli,
        }
    }
}

/// The budgets `cargo xtask size --check` holds the widget to, in bytes.
pub const WIDGET_BROTLI_BUDGET: usize = 58 * 1024;
pub const WIDGET_GZIP_BUDGET: usize = 68 * 1024;
pub const LOADER_GZIP_BUDGET: usize = 1024;

/// The widget's transfer size as readers download it: wasm + JS glue +
/// CSS, and the loader separately.
pub struct TransferSize {
    pub widget: Sizes,
    pub loader: Sizes,
}

impl TransferSize {
    /// What is over budget, in words; empty when all fits.
    pub fn over_budget(&self) -> Vec<String> {
        let mut over = Vec::new();
        let kb = |n: usize| n as f64 / 1024.0;
        if self.widget.brotli > WIDGET_BROTLI_BUDGET {
            over.push(format!(
                "widget {:.1} KB brotli, budget {:.0} KB",
                kb(self.widget.brotli),
                kb(WIDGET_BROTLI_BUDGET)
            ));
        }
        if self.widget.gzip > WIDGET_GZIP_BUDGET {
            over.push(format!(
                "widget {:.1} KB gzip, budget {:.0} KB",
                kb(self.widget.gzip),
                kb(WIDGET_GZIP_BUDGET)
            ));
        }
        if self.loader.gzip > LOADER_GZIP_BUDGET {
            over.push(format!(
                "loader {} bytes gzip, budget {LOADER_GZIP_BUDGET}",
                self.loader.gzip
            ));
        }
        over
    }
}

/// The module `embed.js` loads on listing pages, for comment counts.
pub const COUNTS_JS: &str = "counts.js";

/// The files a reader's browser fetches for the widget (not the counts
/// module, which only listing pages fetch).
pub fn widget_files() -> impl Iterator<Item = &'static Asset> {
    FILES.iter().filter(|a| {
        a.path != COUNTS_JS
            && (a.path.ends_with(".wasm") || a.path.ends_with(".js") || a.path.ends_with(".css"))
    })
}

/// The counts module, if this build has it.
pub fn counts_file() -> Option<&'static Asset> {
    FILES.iter().find(|a| a.path == COUNTS_JS)
}

pub fn transfer_size() -> Option<TransferSize> {
    let loader = EMBED_JS.as_ref()?;
    let widget = widget_files().fold(Sizes::default(), |sum, a| sum.add(Sizes::of(a)));
    Some(TransferSize {
        widget,
        loader: Sizes::of(loader),
    })
}
