//! Moderators' sign-in: Argon2id passwords, server-side sessions in an HttpOnly cookie, CSRF and cross-site checks.

use crate::config::ModeratorConfig;
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::store::Session;
use crate::{clock, token};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use comments_api::ErrorCode;
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;

/// The session cookie's name.
pub const COOKIE: &str = "comments_session";
/// The header the moderation pages' script sends the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// An Argon2id hash (PHC string) of `password`, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("OS random generator failed: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// A sign-in could not be checked now: as many checks as allowed are running.
#[derive(Debug, PartialEq, Eq)]
pub struct ChecksBusy;

/// Checks a sign-in: the moderator's name if the password matches. An
/// unknown name costs the same Argon2 work as a known one, so timing does
/// not tell which names exist. At most `permits`' worth of checks run at
/// once, on the blocking pool (they are slow on purpose); beyond that the
/// answer is [`ChecksBusy`] at once. A check whose request went away
/// before it started is skipped; one that started holds its permit to the
/// end, so the bound counts the work really running.
pub async fn verify(
    moderators: &[ModeratorConfig],
    permits: &Arc<Semaphore>,
    name: &str,
    password: &str,
) -> Result<Option<String>, ChecksBusy> {
    let permit = Arc::clone(permits)
        .try_acquire_owned()
        .map_err(|_| ChecksBusy)?;
    let found = moderators.iter().find(|m| m.name == name);
    let hash = found.map(|m| m.password_hash.clone());
    let password = password.to_string();
    let (answer, waiting) = tokio::sync::oneshot::channel();
    tokio::task::spawn_blocking(move || {
        if answer.is_closed() {
            return;
        }
        // A real hash of a random password, for unknown names.
        static DUMMY: OnceLock<String> = OnceLock::new();
        let dummy = DUMMY.get_or_init(|| {
            let random = token::generate().unwrap_or_default();
            hash_password(&random).unwrap_or_default()
        });
        let stored = hash.as_deref().unwrap_or(dummy);
        let matched = PasswordHash::new(stored).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        // Free the permit before answering, so that whoever hears the
        // answer can start another check at once.
        drop(permit);
        let _ = answer.send(matched);
    });
    let matched = waiting.await.unwrap_or(false);
    Ok(found.filter(|_| matched).map(|m| m.name.clone()))
}

/// The value of cookie `name` in the request, if any.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Starts a session for `moderator`; returns it and its `Set-Cookie` value.
pub async fn sign_in(app: &AppState, moderator: String) -> Result<HeaderValue, AppError> {
    let secret = token::generate().map_err(|_| AppError::from(ErrorCode::Internal))?;
    let csrf = token::generate().map_err(|_| AppError::from(ErrorCode::Internal))?;
    let hours = app.config.moderation.session_hours;
    let now = clock::now_ms();
    let session = Session {
        token_hash: token::hash(&secret),
        moderator,
        csrf,
        created_at: now,
        expires_at: now.saturating_add(i64::try_from(hours * 3_600_000).unwrap_or(i64::MAX)),
    };
    app.store.create_session(&session).await?;
    set_cookie(app, &secret, hours * 3600)
}

/// The `Set-Cookie` value that ends the session in the browser.
pub fn clear_cookie(app: &AppState) -> Result<HeaderValue, AppError> {
    set_cookie(app, "", 0)
}

fn set_cookie(app: &AppState, value: &str, max_age: u64) -> Result<HeaderValue, AppError> {
    let secure = if app.config.public_url().starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; Path=/admin; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    ))
    .map_err(|_| AppError::from(ErrorCode::Internal))
}

/// Refuses a state-changing request that another site could have made: a
/// browser says where a request comes from (`Sec-Fetch-Site`, `Origin`),
/// and only this server's own pages may post to it.
pub fn same_origin(app: &AppState, headers: &HeaderMap) -> Result<(), AppError> {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if matches!(fetch_site, Some("cross-site" | "same-site")) {
        return Err(cross_site());
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let own = app.config.public_url();
    let matches_host = host.is_some_and(|h| {
        origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            == Some(h)
    });
    if origin.eq_ignore_ascii_case(&own) || matches_host {
        Ok(())
    } else {
        Err(cross_site())
    }
}

fn cross_site() -> AppError {
    AppError::new(
        ErrorCode::Forbidden,
        "Moderation requests must come from this server's own pages.",
    )
}

/// Extractor: the signed-in moderator (401 without a valid session).
#[derive(Clone, Debug)]
pub struct Moderator {
    pub name: String,
    pub csrf: String,
    pub session_hash: String,
}

impl Moderator {
    /// Checks a state-changing request: same origin, and the session's CSRF
    /// token in the `X-CSRF-Token` header or in `form_token`.
    pub fn check(
        &self,
        app: &AppState,
        headers: &HeaderMap,
        form_token: Option<&str>,
    ) -> Result<(), AppError> {
        same_origin(app, headers)?;
        let given = headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .or(form_token)
            .unwrap_or("");
        if token::constant_time_eq(given.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(AppError::new(
                ErrorCode::Forbidden,
                "The form is out of date or forged (missing CSRF token); reload the page.",
            ))
        }
    }
}

impl FromRequestParts<AppState> for Moderator {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, AppError> {
        let secret = cookie(&parts.headers, COOKIE).unwrap_or("");
        if secret.is_empty() {
            return Err(ErrorCode::Unauthorized.into());
        }
        let hash = token::hash(secret);
        let session = app
            .store
            .session(&hash, clock::now_ms())
            .await?
            .filter(|s| app.is_moderator(&s.moderator))
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::Unauthorized,
                    "Your session has ended; please sign in again.",
                )
            })?;
        Ok(Self {
            name: session.moderator,
            csrf: session.csrf,
            session_hash: hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_verify_against_their_hash_only() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
        assert_ne!(hash, hash_password("correct horse").unwrap(), "salted");
        let moderators = [ModeratorConfig {
            name: "ana".into(),
            password_hash: hash,
            email: None,
            label: None,
        }];
        let permits = Arc::new(Semaphore::new(1));
        assert_eq!(
            verify(&moderators, &permits, "ana", "correct horse").await,
            Ok(Some("ana".to_string()))
        );
        assert_eq!(
            verify(&moderators, &permits, "ana", "wrong").await,
            Ok(None)
        );
        assert_eq!(
            verify(&moderators, &permits, "bob", "correct horse").await,
            Ok(None)
        );
        let held = permits.clone().try_acquire_owned().unwrap();
        assert_eq!(
            verify(&moderators, &permits, "ana", "correct horse").await,
            Err(ChecksBusy),
            "no permit, no check"
        );
        drop(held);
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; comments_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }
}
