//! `AppState`: everything the handlers share, built once at start-up and passed in as axum state.

use crate::config::Config;
use crate::http::demo::{self, Article};
use crate::http::limiter::Limiter;
use crate::http::origins::Origins;
use crate::http::reader::answers::Answers;
use crate::http::reader::traps::Decoys;
use crate::moderation::privacy::IpHasher;
use crate::moderation::words::WordLists;
use crate::notify::Notifier;
use crate::notify::links::LinkSigner;
use crate::store::Store;
use crate::store::keys::Keys;
use crate::store::revisions::Revisions;
use axum::body::Bytes;
use axum::response::Html;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Password checks (Argon2, slow on purpose) that may run at once; sign-ins
/// beyond that are answered 429 at once.
pub const SIGN_IN_CHECKS: usize = 4;

/// Bytes of thread answers kept in memory.
const ANSWER_CACHE_BYTES: usize = 64 << 20;

/// Cheap to clone (one reference count): axum clones the state for every
/// extractor of every request.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub store: Arc<dyn Store>,
    pub revisions: Arc<Revisions>,
    /// Full thread answers per revision, serialised and compressed once.
    pub answers: Arc<Answers>,
    pub config: Arc<Config>,
    pub post_limiter: Arc<Limiter>,
    /// Readers' reports on comments, per network.
    pub report_limiter: Arc<Limiter>,
    pub read_limiter: Arc<Limiter>,
    pub login_limiter: Arc<Limiter>,
    /// Permits for running password checks.
    pub sign_ins: Arc<Semaphore>,
    pub notifier: Arc<Notifier>,
    pub link_signer: Arc<LinkSigner>,
    pub decoys: Arc<Decoys>,
    pub origins: Arc<Origins>,
    pub ip_hasher: Arc<IpHasher>,
    /// `moderation.banned_words` and `suspect_words`, compiled once.
    pub words: Arc<WordLists>,
    /// The page at `/`, rendered once; `Bytes` clones share it.
    pub home: Html<Bytes>,
    /// Requests by route and status, for `/metrics`.
    pub metrics: Arc<crate::http::metrics::Metrics>,
}

impl AppState {
    /// Builds the state, reading the key file (made on first start) and
    /// every thread revision.
    pub async fn new(config: Config, store: Arc<dyn Store>) -> Result<Self, String> {
        let revisions = Arc::new(Revisions::default());
        revisions
            .refresh(store.as_ref())
            .await
            .map_err(|e| format!("cannot load thread revisions: {e}"))?;
        let article = match &config.demo.article {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read demo article {}: {e}", path.display()))?;
                let article = Article::parse(&text)
                    .ok_or_else(|| format!("demo article {} is empty", path.display()))?;
                Some(article.in_thread(&Article::thread_of(path)))
            }
            None => None,
        };
        let words = WordLists::load(&config.moderation)?;
        let keys = Keys::load_or_create(&config.database.key_file(), store.as_ref()).await?;
        let limits = &config.limits;
        let post_limiter = Arc::new(
            Limiter::new(
                limits.post_burst,
                Duration::from_secs(limits.post_refill_seconds),
                limits.tracked_clients,
            )
            .named("post"),
        );
        let report_limiter = Arc::new(
            Limiter::new(
                limits.report_burst,
                Duration::from_secs(limits.report_refill_seconds),
                limits.tracked_clients,
            )
            .named("report"),
        );
        let read_limiter = Arc::new(Limiter::new(
            limits.read_burst,
            Duration::from_secs(1) / limits.read_per_second,
            limits.tracked_clients,
        ));
        let per_minute = config.moderation.login_per_minute;
        let login_limiter = Arc::new(
            Limiter::new(
                per_minute,
                Duration::from_secs(60) / per_minute,
                limits.tracked_clients,
            )
            .named("login"),
        );
        let link_signer = LinkSigner::new(&keys.mail_link_key);
        let notifier = Notifier::new(&config, link_signer.clone(), store.clone())?;
        let last_id = store
            .last_comment_id()
            .await
            .map_err(|e| format!("cannot read the last comment id: {e}"))?;
        Ok(Self(Arc::new(Shared {
            store,
            revisions,
            answers: Arc::new(Answers::new(ANSWER_CACHE_BYTES)),
            post_limiter,
            report_limiter,
            read_limiter,
            login_limiter,
            sign_ins: Arc::new(Semaphore::new(SIGN_IN_CHECKS)),
            notifier: Arc::new(notifier),
            link_signer: Arc::new(link_signer),
            decoys: Arc::new(Decoys::new(&keys.mail_link_key, last_id)),
            origins: Arc::new(Origins::new(&sites_and_self(&config))),
            ip_hasher: Arc::new(IpHasher::new(&keys.address_key)),
            words: Arc::new(words),
            home: Html(Bytes::from(demo::page(article.as_ref()).0)),
            metrics: Arc::default(),
            config: Arc::new(config),
        })))
    }

    /// Whether `name` is a moderator in the configuration now: a moderator
    /// removed from it loses their sessions and mail links at once.
    pub fn is_moderator(&self, name: &str) -> bool {
        self.config
            .moderation
            .moderators
            .iter()
            .any(|m| m.name == name)
    }
}

/// The sites that may post: the allowed ones and, when they are listed,
/// this server's own public origin too (its iframe and demo pages post from
/// it, also behind a proxy that rewrites `Host`).
fn sites_and_self(config: &Config) -> Vec<String> {
    let mut sites = config.sites.allowed_origins.clone();
    // https://host[:port]/path -> https://host[:port]
    let own = config.moderation.public_url.as_deref().and_then(|url| {
        let origin = url.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
        crate::config::normalize_origin(&origin)
    });
    if let Some(own) = own.filter(|o| !sites.is_empty() && !sites.contains(o)) {
        sites.push(own);
    }
    sites
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_public_origin_may_post_when_sites_are_listed() {
        let mut config = Config::default();
        config.moderation.public_url = Some("https://comments.example/base/".into());
        assert!(
            sites_and_self(&config).is_empty(),
            "no list: any site may post"
        );
        config.sites.allowed_origins = vec!["https://news.example".into()];
        assert_eq!(
            sites_and_self(&config),
            ["https://news.example", "https://comments.example"]
        );
    }
}
