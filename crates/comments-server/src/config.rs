//! Server configuration: an optional TOML file, `COMMENTS_*` environment overrides, then defaults.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Everything the server can be told. Every field has a default, so the
/// server runs with no configuration at all.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    pub database: DatabaseConfig,
    pub moderation: ModerationConfig,
    pub sites: SitesConfig,
    pub limits: LimitsConfig,
    pub demo: DemoConfig,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SitesConfig {
    /// Origins (`https://news.example`) of the sites that embed the widget.
    /// Only they get CORS answers, and a post must come from one of them.
    /// Empty: any site (fine for trying it out; set it in production).
    pub allowed_origins: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// SQLite database file; its directory is created if missing.
    pub path: PathBuf,
    /// How long a write waits for the database lock before answering 503.
    pub busy_timeout_ms: u64,
    /// How often the server looks for changes made by other processes
    /// (the `moderate` command, other instances) to thread revisions.
    pub refresh_ms: u64,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModerationConfig {
    /// Bearer token for the moderation HTTP API. Unset: the API answers 401.
    pub token: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Comments one client network (IPv4 /24, IPv6 /64) may post in a burst.
    pub post_burst: u32,
    /// Seconds until a client network may post one more comment.
    pub post_refill_seconds: u64,
    /// Reads (thread polls, status checks) one client network may burst.
    pub read_burst: u32,
    /// Reads per second one client network may sustain after its burst.
    pub read_per_second: u32,
    /// Most comments awaiting moderation in one thread; more get 503.
    pub pending_per_thread: u64,
    /// Most comments awaiting moderation in all; more get 503.
    pub pending_total: u64,
    /// Most client networks each limiter remembers at once.
    pub tracked_clients: usize,
    /// A comment sent sooner than this after the widget showed its form is
    /// taken for a bot's: answered 202 and dropped.
    pub min_compose_ms: u64,
    /// Longest a request may take, its body included, before 408.
    pub request_timeout_ms: u64,
    /// Reverse proxies in front of the server whose `X-Forwarded-For` entry
    /// is trusted (read from the right). 0 uses the connection's address.
    pub trusted_proxies: usize,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DemoConfig {
    /// A plain-text article (title, blank line, paragraphs) to show at `/`
    /// with the widget under it. Unset: `/` shows a short landing page.
    pub article: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database: DatabaseConfig::default(),
            moderation: ModerationConfig::default(),
            sites: SitesConfig::default(),
            limits: LimitsConfig::default(),
            demo: DemoConfig::default(),
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            path: PathBuf::from("data/comments.db"),
            busy_timeout_ms: 5000,
            refresh_ms: 1000,
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            post_burst: 3,
            post_refill_seconds: 20,
            read_burst: 20,
            read_per_second: 10,
            pending_per_thread: 200,
            pending_total: 10_000,
            tracked_clients: 100_000,
            min_compose_ms: 3000,
            request_timeout_ms: 10_000,
            trusted_proxies: 0,
        }
    }
}

/// A configuration problem, reported before the server starts.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Config {
    /// Loads `path` if given (it must exist), else `./comments.toml` if it
    /// exists, then applies the environment.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let default_path = Path::new("comments.toml");
        let file = match path {
            Some(p) => Some(p),
            None if default_path.exists() => Some(default_path),
            None => None,
        };
        let mut config = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| ConfigError(format!("cannot read {}: {e}", p.display())))?;
                Self::from_toml(&text).map_err(|e| ConfigError(format!("{}: {e}", p.display())))?
            }
            None => Self::default(),
        };
        config.apply_env(|k| std::env::var(k).ok())?;
        Ok(config)
    }

    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError(e.to_string()))
    }

    /// Applies `COMMENTS_*` overrides read through `var`.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parsed<T: std::str::FromStr>(key: &str, v: String) -> Result<T, ConfigError> {
            v.parse()
                .map_err(|_| ConfigError(format!("{key}={v:?} is not a valid value")))
        }
        if let Some(v) = var("COMMENTS_LISTEN") {
            self.listen = parsed("COMMENTS_LISTEN", v)?;
        }
        if let Some(v) = var("COMMENTS_DATABASE_PATH") {
            self.database.path = PathBuf::from(v);
        }
        if let Some(v) = var("COMMENTS_DATABASE_REFRESH_MS") {
            self.database.refresh_ms = parsed("COMMENTS_DATABASE_REFRESH_MS", v)?;
        }
        if let Some(v) = var("COMMENTS_MODERATION_TOKEN") {
            self.moderation.token = Some(v).filter(|t| !t.is_empty());
        }
        if let Some(v) = var("COMMENTS_ALLOWED_ORIGINS") {
            self.sites.allowed_origins = v
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(String::from)
                .collect();
        }
        for origin in &mut self.sites.allowed_origins {
            *origin = normalize_origin(origin).ok_or_else(|| {
                ConfigError(format!(
                    "sites.allowed_origins: {origin:?} is not an origin like https://news.example"
                ))
            })?;
        }
        if let Some(v) = var("COMMENTS_POST_BURST") {
            self.limits.post_burst = parsed("COMMENTS_POST_BURST", v)?;
        }
        if let Some(v) = var("COMMENTS_POST_REFILL_SECONDS") {
            self.limits.post_refill_seconds = parsed("COMMENTS_POST_REFILL_SECONDS", v)?;
        }
        if let Some(v) = var("COMMENTS_READ_BURST") {
            self.limits.read_burst = parsed("COMMENTS_READ_BURST", v)?;
        }
        if let Some(v) = var("COMMENTS_READ_PER_SECOND") {
            self.limits.read_per_second = parsed("COMMENTS_READ_PER_SECOND", v)?;
        }
        if let Some(v) = var("COMMENTS_PENDING_PER_THREAD") {
            self.limits.pending_per_thread = parsed("COMMENTS_PENDING_PER_THREAD", v)?;
        }
        if let Some(v) = var("COMMENTS_PENDING_TOTAL") {
            self.limits.pending_total = parsed("COMMENTS_PENDING_TOTAL", v)?;
        }
        if let Some(v) = var("COMMENTS_MIN_COMPOSE_MS") {
            self.limits.min_compose_ms = parsed("COMMENTS_MIN_COMPOSE_MS", v)?;
        }
        if let Some(v) = var("COMMENTS_REQUEST_TIMEOUT_MS") {
            self.limits.request_timeout_ms = parsed("COMMENTS_REQUEST_TIMEOUT_MS", v)?;
        }
        if let Some(v) = var("COMMENTS_TRUSTED_PROXIES") {
            self.limits.trusted_proxies = parsed("COMMENTS_TRUSTED_PROXIES", v)?;
        }
        if let Some(v) = var("COMMENTS_DEMO_ARTICLE") {
            self.demo.article = Some(PathBuf::from(v)).filter(|p| !p.as_os_str().is_empty());
        }
        if self.moderation.token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err(ConfigError(
                "moderation.token must be at least 16 characters".into(),
            ));
        }
        let l = &self.limits;
        if l.post_burst == 0
            || l.post_refill_seconds == 0
            || l.read_burst == 0
            || l.read_per_second == 0
        {
            return Err(ConfigError(
                "limits.post_burst, post_refill_seconds, read_burst and read_per_second must be positive"
                    .into(),
            ));
        }
        Ok(())
    }
}

/// `scheme://host[:port]`, lower-cased, without a trailing slash; `None`
/// for anything else (a path, a query, another scheme).
pub fn normalize_origin(raw: &str) -> Option<String> {
    let lower = raw.trim().trim_end_matches('/').to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))?;
    let valid = !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    valid.then_some(lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_config_listens_on_loopback_with_sqlite_under_data() {
        let c = Config::default();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database.path, PathBuf::from("data/comments.db"));
        assert!(c.moderation.token.is_none());
    }

    #[test]
    fn toml_then_env_overrides() {
        let mut c = Config::from_toml(
            "listen = \"0.0.0.0:9000\"\n[limits]\npost_burst = 5\n[moderation]\ntoken = \"0123456789abcdef\"\n",
        )
        .unwrap();
        assert_eq!(c.limits.post_burst, 5);
        assert_eq!(c.limits.post_refill_seconds, 20);
        c.apply_env(|k| (k == "COMMENTS_LISTEN").then(|| "127.0.0.1:1234".to_string()))
            .unwrap();
        assert_eq!(c.listen.port(), 1234);
        assert_eq!(c.moderation.token.as_deref(), Some("0123456789abcdef"));
    }

    #[test]
    fn allowed_origins_are_normalised_and_checked() {
        assert_eq!(
            normalize_origin(" HTTPS://News.Example/ ").as_deref(),
            Some("https://news.example")
        );
        assert_eq!(
            normalize_origin("http://localhost:8080").as_deref(),
            Some("http://localhost:8080")
        );
        for bad in [
            "news.example",
            "ftp://x",
            "https://x/path",
            "https://",
            "https://a b",
        ] {
            assert_eq!(normalize_origin(bad), None, "{bad}");
        }
        let mut c = Config::default();
        c.apply_env(|k| {
            (k == "COMMENTS_ALLOWED_ORIGINS")
                .then(|| "https://a.example, https://B.example/".into())
        })
        .unwrap();
        assert_eq!(
            c.sites.allowed_origins,
            ["https://a.example", "https://b.example"]
        );
        let e = c
            .apply_env(|k| (k == "COMMENTS_ALLOWED_ORIGINS").then(|| "a.example".into()))
            .unwrap_err();
        assert!(e.0.contains("allowed_origins"), "{}", e.0);
    }

    #[test]
    fn bad_values_are_reported_not_ignored() {
        assert!(Config::from_toml("listen = 5").is_err());
        assert!(Config::from_toml("unknown_key = 1").is_err());
        let mut c = Config::default();
        let e = c
            .apply_env(|k| (k == "COMMENTS_POST_BURST").then(|| "many".to_string()))
            .unwrap_err();
        assert!(e.0.contains("COMMENTS_POST_BURST"));
        let e = c
            .apply_env(|k| (k == "COMMENTS_MODERATION_TOKEN").then(|| "short".to_string()))
            .unwrap_err();
        assert!(e.0.contains("16"));
    }
}
