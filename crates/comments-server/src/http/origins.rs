//! Which sites may embed the widget and post: the allowed-origins policy for CORS and for posts.

use crate::http::error::AppError;
use crate::http::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use comments_api::ErrorCode;
use tower_http::cors::AllowOrigin;

/// The configured sites; `None` allows any.
#[derive(Clone, Debug)]
pub struct Origins(Option<Vec<HeaderValue>>);

impl Origins {
    /// From normalised origins (see `config::normalize_origin`); empty
    /// allows any site.
    pub fn new(allowed: &[String]) -> Self {
        if allowed.is_empty() {
            return Self(None);
        }
        Self(Some(
            allowed
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect(),
        ))
    }

    pub fn any(&self) -> bool {
        self.0.is_none()
    }

    /// Who gets CORS answers.
    pub fn cors(&self) -> AllowOrigin {
        match &self.0 {
            None => AllowOrigin::any(),
            Some(list) => AllowOrigin::list(list.iter().cloned()),
        }
    }

    /// A post must carry the `Origin` of an allowed site. Browsers always
    /// send it on a cross-site POST; a missing one means a script or a bot.
    pub fn check_post(&self, headers: &HeaderMap) -> Result<(), AppError> {
        let Some(list) = &self.0 else {
            return Ok(());
        };
        let origin = headers.get(header::ORIGIN).map(|o| {
            o.to_str()
                .map(|s| s.trim_end_matches('/').to_ascii_lowercase())
                .unwrap_or_default()
        });
        match origin {
            Some(o)
                if list
                    .iter()
                    .any(|allowed| allowed.as_bytes() == o.as_bytes()) =>
            {
                Ok(())
            }
            Some(_) => Err(ErrorCode::OriginNotAllowed.into()),
            None => Err(AppError::new(
                ErrorCode::OriginNotAllowed,
                "Posts must come from the widget on an allowed site (no Origin header was sent).",
            )),
        }
    }
}

/// Extractor for handlers that only allowed sites may call: it runs before
/// the body is read, so a foreign post is refused without parsing it.
pub struct AllowedSite;

impl FromRequestParts<AppState> for AllowedSite {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, AppError> {
        app.origins.check_post(&parts.headers).map(|()| AllowedSite)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(o) = origin {
            h.insert(header::ORIGIN, o.parse().unwrap());
        }
        h
    }

    #[test]
    fn only_listed_origins_may_post() {
        let o = Origins::new(&["https://news.example".into()]);
        assert!(o.check_post(&headers(Some("https://news.example"))).is_ok());
        assert!(o.check_post(&headers(Some("https://NEWS.example"))).is_ok());
        for bad in [
            Some("https://evil.example"),
            Some("null"),
            Some("http://news.example"),
            None,
        ] {
            let e = o.check_post(&headers(bad)).unwrap_err();
            assert_eq!(e.code, ErrorCode::OriginNotAllowed, "{bad:?}");
        }
        assert!(Origins::new(&[]).check_post(&headers(None)).is_ok());
    }
}
