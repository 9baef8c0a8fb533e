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
    pub notify: NotifyConfig,
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
    /// The file of the installation's secrets (mode 0600), kept out of the
    /// database so that backups do not carry them. Unset: beside the
    /// database, with the extension `.key`.
    pub key_file: Option<PathBuf>,
}

impl DatabaseConfig {
    /// Where the key file is.
    pub fn key_file(&self) -> PathBuf {
        self.key_file
            .clone()
            .unwrap_or_else(|| self.path.with_extension("key"))
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModerationConfig {
    /// Bearer token for the moderation HTTP API. Unset: the API answers 401.
    pub token: Option<String>,
    /// Who may sign in at `/admin`.
    pub moderators: Vec<ModeratorConfig>,
    /// The address readers and moderators reach this server at
    /// (`https://comments.news.example`): mail links point there, and the
    /// session cookie is `Secure` when it is https. Unset: `http://{listen}`.
    pub public_url: Option<String>,
    /// Hours a moderator stays signed in.
    pub session_hours: u64,
    /// Sign-in attempts one client network may make per minute.
    pub login_per_minute: u32,
    /// Publish at once the comments of readers (by the widget's per-reader
    /// key) with at least this many approved comments. 0: off.
    pub trust_after: u64,
}

/// One moderator: a name for the audit log, an Argon2id hash made by
/// `comments-server hash-password`, and where to mail them (optional).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeratorConfig {
    pub name: String,
    pub password_hash: String,
    #[serde(default)]
    pub email: Option<String>,
}

/// Where new pending comments are announced.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// A URL that gets a JSON POST for each new pending comment.
    pub webhook_url: Option<String>,
    /// `json` (the full event) or `slack` (`{"text": …}`, which Slack,
    /// Mattermost and Matrix hookshot's generic webhooks accept).
    pub webhook_format: WebhookFormat,
    /// SMTP server for mail, as a URL: `smtp://host:25` (plain, for a local
    /// relay), `smtp://user:pass@host:587?tls=required`, `smtps://host:465`.
    /// Unset: no mail, and the widget does not offer authors a mail.
    pub smtp_url: Option<String>,
    /// The From of every mail, e.g. `Comments <comments@news.example>`.
    pub mail_from: Option<String>,
    /// First wait before retrying a failed delivery; it doubles each time,
    /// over 6 attempts (1 s: about a minute in all).
    pub retry_base_ms: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    #[default]
    Json,
    Slack,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            webhook_url: None,
            webhook_format: WebhookFormat::Json,
            smtp_url: None,
            mail_from: None,
            retry_base_ms: 1000,
        }
    }
}

impl Default for ModerationConfig {
    fn default() -> Self {
        Self {
            token: None,
            moderators: Vec::new(),
            public_url: None,
            session_hours: 12,
            login_per_minute: 5,
            trust_after: 0,
        }
    }
}

impl Config {
    /// Where mail links point: `moderation.public_url`, else `http://{listen}`.
    pub fn public_url(&self) -> String {
        match &self.moderation.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.listen),
        }
    }

    /// Whether mail can be sent (an SMTP server and a From are set).
    pub fn mail_enabled(&self) -> bool {
        self.notify.smtp_url.is_some() && self.notify.mail_from.is_some()
    }
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
    /// Longest a client may take to send a request's headers before the
    /// connection is closed (a slow-headers attack holds connections open).
    pub header_timeout_ms: u64,
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
            notify: NotifyConfig::default(),
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
            key_file: None,
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
            header_timeout_ms: 10_000,
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
        if let Some(v) = var("COMMENTS_DATABASE_BUSY_TIMEOUT_MS") {
            self.database.busy_timeout_ms = parsed("COMMENTS_DATABASE_BUSY_TIMEOUT_MS", v)?;
        }
        if let Some(v) = var("COMMENTS_KEY_FILE") {
            self.database.key_file = Some(PathBuf::from(v)).filter(|p| !p.as_os_str().is_empty());
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
        if let Some(v) = var("COMMENTS_HEADER_TIMEOUT_MS") {
            self.limits.header_timeout_ms = parsed("COMMENTS_HEADER_TIMEOUT_MS", v)?;
        }
        if let Some(v) = var("COMMENTS_TRUSTED_PROXIES") {
            self.limits.trusted_proxies = parsed("COMMENTS_TRUSTED_PROXIES", v)?;
        }
        if let Some(v) = var("COMMENTS_DEMO_ARTICLE") {
            self.demo.article = Some(PathBuf::from(v)).filter(|p| !p.as_os_str().is_empty());
        }
        if let Some(v) = var("COMMENTS_MODERATORS") {
            self.moderation.moderators = parse_moderators(&v)?;
        }
        if let Some(v) = var("COMMENTS_PUBLIC_URL") {
            self.moderation.public_url = Some(v).filter(|u| !u.is_empty());
        }
        if let Some(v) = var("COMMENTS_SESSION_HOURS") {
            self.moderation.session_hours = parsed("COMMENTS_SESSION_HOURS", v)?;
        }
        if let Some(v) = var("COMMENTS_LOGIN_PER_MINUTE") {
            self.moderation.login_per_minute = parsed("COMMENTS_LOGIN_PER_MINUTE", v)?;
        }
        if let Some(v) = var("COMMENTS_TRUST_AFTER") {
            self.moderation.trust_after = parsed("COMMENTS_TRUST_AFTER", v)?;
        }
        if let Some(v) = var("COMMENTS_WEBHOOK_URL") {
            self.notify.webhook_url = Some(v).filter(|u| !u.is_empty());
        }
        if let Some(v) = var("COMMENTS_WEBHOOK_FORMAT") {
            self.notify.webhook_format = match v.as_str() {
                "json" => WebhookFormat::Json,
                "slack" => WebhookFormat::Slack,
                _ => {
                    return Err(ConfigError(format!(
                        "COMMENTS_WEBHOOK_FORMAT={v:?}: use json or slack"
                    )));
                }
            };
        }
        if let Some(v) = var("COMMENTS_SMTP_URL") {
            self.notify.smtp_url = Some(v).filter(|u| !u.is_empty());
        }
        if let Some(v) = var("COMMENTS_MAIL_FROM") {
            self.notify.mail_from = Some(v).filter(|u| !u.is_empty());
        }
        if let Some(v) = var("COMMENTS_NOTIFY_RETRY_MS") {
            self.notify.retry_base_ms = parsed("COMMENTS_NOTIFY_RETRY_MS", v)?;
        }
        self.check_moderation()?;
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

impl Config {
    fn check_moderation(&self) -> Result<(), ConfigError> {
        let m = &self.moderation;
        for (i, moderator) in m.moderators.iter().enumerate() {
            let name = moderator.name.trim();
            if name.is_empty() || name.len() > 64 || name.chars().any(char::is_control) {
                return Err(ConfigError(format!(
                    "moderation.moderators[{i}]: the name must be 1 to 64 characters"
                )));
            }
            if !moderator.password_hash.starts_with("$argon2id$") {
                return Err(ConfigError(format!(
                    "moderation.moderators[{i}] ({name}): password_hash must be an Argon2id hash \
                     from `comments-server hash-password`"
                )));
            }
            if m.moderators[..i].iter().any(|o| o.name == moderator.name) {
                return Err(ConfigError(format!("two moderators are named {name:?}")));
            }
        }
        if let Some(url) = &m.public_url
            && normalize_origin(url).is_none()
        {
            return Err(ConfigError(format!(
                "moderation.public_url {url:?} must be like https://comments.news.example"
            )));
        }
        if m.session_hours == 0 || m.login_per_minute == 0 {
            return Err(ConfigError(
                "moderation.session_hours and login_per_minute must be positive".into(),
            ));
        }
        Ok(())
    }
}

/// `name:hash[:email]` entries separated by whitespace (an Argon2 hash has
/// no colon or space).
fn parse_moderators(v: &str) -> Result<Vec<ModeratorConfig>, ConfigError> {
    v.split_whitespace()
        .map(|entry| {
            let mut parts = entry.split(':');
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some(name), Some(hash), email, None) => Ok(ModeratorConfig {
                    name: name.to_string(),
                    password_hash: hash.to_string(),
                    email: email.map(String::from),
                }),
                _ => Err(ConfigError(format!(
                    "COMMENTS_MODERATORS: {entry:?} is not name:argon2-hash[:email]"
                ))),
            }
        })
        .collect()
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
    fn moderators_come_from_toml_or_env_and_are_checked() {
        let c = Config::from_toml(
            "[moderation]\ntrust_after = 3\n[[moderation.moderators]]\nname = \"ana\"\npassword_hash = \"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA\"\n",
        )
        .unwrap();
        assert_eq!(c.moderation.moderators[0].name, "ana");
        assert_eq!(c.moderation.trust_after, 3);
        let mut c = Config::default();
        c.apply_env(|k| {
            (k == "COMMENTS_MODERATORS")
                .then(|| "ana:$argon2id$x:ana@news.example bob:$argon2id$y".into())
        })
        .unwrap();
        assert_eq!(c.moderation.moderators.len(), 2);
        assert_eq!(
            c.moderation.moderators[0].email.as_deref(),
            Some("ana@news.example")
        );
        for bad in [
            "ana:plaintext",
            "ana",
            "ana:$argon2id$x bob:$argon2id$y ana:$argon2id$z",
        ] {
            let mut c = Config::default();
            assert!(
                c.apply_env(|k| (k == "COMMENTS_MODERATORS").then(|| bad.into()))
                    .is_err(),
                "{bad}"
            );
        }
        assert_eq!(Config::default().public_url(), "http://127.0.0.1:8080");
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
