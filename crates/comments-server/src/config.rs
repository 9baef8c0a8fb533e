//! The server's settings, in layers (figment): the defaults, then the TOML
//! file, then `COMMENTS_*` environment variables. Every setting can come from
//! the environment as `COMMENTS_SECTION__KEY` without code here; the older
//! flat names (`COMMENTS_POST_BURST`) stay as aliases. Unknown keys are
//! refused by name, from the file or the environment alike.

use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use serde::de::value::SeqAccessDeserializer;
use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Everything the server can be told. Every field has a default, so the
/// server runs with no configuration at all.
#[derive(Clone, Debug, Serialize, Deserialize)]
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

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SitesConfig {
    /// Origins (`https://news.example`) of the sites that embed the widget.
    /// Only they get CORS answers, and a post must come from one of them.
    /// Empty: any site (fine for trying it out; set it in production).
    /// From the environment: comma-separated.
    #[serde(deserialize_with = "list_or_commas")]
    pub allowed_origins: Vec<String>,
    /// Let search engines index the plain thread pages (`/threads/{key}`);
    /// off by default, since the article itself is the page to find.
    pub index_thread_pages: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// SQLite database file; its directory is created if missing.
    pub path: PathBuf,
    /// `postgres://user:password@host/db` selects PostgreSQL, for several
    /// instances on one database; `sqlite:PATH` is the same as `path`.
    /// Unset: SQLite at `path`.
    pub url: Option<String>,
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

/// Where the comments are kept, as `database.url` or `database.path` say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseLocation {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseLocation {
    /// `postgres://…` (or `postgresql://…`), or `sqlite:PATH`.
    pub fn parse(url: &str) -> Result<Self, ConfigError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_string()));
        }
        match url
            .strip_prefix("sqlite:")
            .map(|p| p.strip_prefix("//").unwrap_or(p))
        {
            Some(path) if !path.is_empty() => Ok(Self::Sqlite(PathBuf::from(path))),
            _ => Err(ConfigError(format!(
                "database.url: {url:?} is neither postgres://user@host/db nor sqlite:PATH"
            ))),
        }
    }
}

impl DatabaseConfig {
    /// The database to open: `url` when set (checked when the settings
    /// were read), else the SQLite file at `path`.
    pub fn location(&self) -> DatabaseLocation {
        self.url
            .as_deref()
            .and_then(|u| DatabaseLocation::parse(u).ok())
            .unwrap_or_else(|| DatabaseLocation::Sqlite(self.path.clone()))
    }

    /// Where the key file is.
    pub fn key_file(&self) -> PathBuf {
        let beside = match self.location() {
            DatabaseLocation::Sqlite(path) => path,
            DatabaseLocation::Postgres(_) => self.path.clone(),
        };
        self.key_file
            .clone()
            .unwrap_or_else(|| beside.with_extension("key"))
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModerationConfig {
    /// Bearer token for the moderation HTTP API. Unset: the API answers 401.
    pub token: Option<String>,
    /// Who may sign in at `/admin`. From the environment: `name:hash[:email]`
    /// entries separated by spaces.
    #[serde(deserialize_with = "moderators_or_entries")]
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
    /// Words and phrases that keep a comment from being published: it goes
    /// to Rejected (signal `banned_word`), and its author sees it pending.
    /// Matched ignoring case and accents, as whole words, also when broken
    /// up ("i.d.i.o.t"). From the environment: comma-separated.
    #[serde(deserialize_with = "list_or_commas")]
    pub banned_words: Vec<String>,
    /// More banned words, one a line (`#` starts a comment), for long lists.
    pub banned_words_file: Option<PathBuf>,
    /// Words that flag a comment for the moderators (signal `suspect_word`).
    #[serde(deserialize_with = "list_or_commas")]
    pub suspect_words: Vec<String>,
    /// More suspect words, one a line.
    pub suspect_words_file: Option<PathBuf>,
    /// Close threads to new comments this many days after their first
    /// comment (a moderator may reopen one). 0: never.
    pub auto_close_days: u64,
    /// The label readers see on moderators' replies, unless a moderator
    /// has a `label` of their own.
    pub staff_label: String,
    /// Hide a published comment at once, pending review, when this many
    /// readers have reported it. 0: never (reports only list it).
    pub hide_after_reports: u32,
    /// Days a reader's address is kept for reply notifications, counted
    /// from their comment; unsubscribing erases it sooner.
    pub notify_keep_days: u64,
}

/// One moderator: a name for the audit log, an Argon2id hash made by
/// `comments-server hash-password`, and where to mail them (optional).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeratorConfig {
    pub name: String,
    pub password_hash: String,
    #[serde(default)]
    pub email: Option<String>,
    /// The label on this moderator's replies ("Rédaction", "Journaliste");
    /// unset: `moderation.staff_label`.
    #[serde(default)]
    pub label: Option<String>,
}

/// Where new pending comments are announced.
#[derive(Clone, Debug, Serialize, Deserialize)]
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

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
            banned_words: Vec::new(),
            banned_words_file: None,
            suspect_words: Vec::new(),
            suspect_words_file: None,
            auto_close_days: 0,
            staff_label: "Staff".into(),
            hide_after_reports: 0,
            notify_keep_days: 90,
        }
    }
}

impl Config {
    /// The label on `moderator`'s replies.
    pub fn staff_label(&self, moderator: &str) -> String {
        let m = &self.moderation;
        m.moderators
            .iter()
            .find(|o| o.name == moderator)
            .and_then(|o| o.label.as_deref())
            .unwrap_or(&m.staff_label)
            .trim()
            .to_string()
    }

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

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Comments one client network (IPv4 /24, IPv6 /64) may post in a burst.
    pub post_burst: u32,
    /// Seconds until a client network may post one more comment.
    pub post_refill_seconds: u64,
    /// Reports one client network may send in a burst.
    pub report_burst: u32,
    /// Seconds until a client network may send one more report.
    pub report_refill_seconds: u64,
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

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
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
            url: None,
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
            report_burst: 5,
            report_refill_seconds: 60,
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

impl From<figment::Error> for ConfigError {
    fn from(e: figment::Error) -> Self {
        // Every problem, not only the first, each with where it came from.
        Self(
            e.into_iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    }
}

/// The environment's prefix.
pub const ENV_PREFIX: &str = "COMMENTS_";

/// The documented flat variable names, kept working beside the generic
/// `COMMENTS_SECTION__KEY` ones: (name after the prefix, setting).
pub const ENV_ALIASES: &[(&str, &str)] = &[
    ("DATABASE_PATH", "database.path"),
    ("DATABASE_URL", "database.url"),
    ("DATABASE_BUSY_TIMEOUT_MS", "database.busy_timeout_ms"),
    ("DATABASE_REFRESH_MS", "database.refresh_ms"),
    ("KEY_FILE", "database.key_file"),
    ("MODERATION_TOKEN", "moderation.token"),
    ("MODERATORS", "moderation.moderators"),
    ("PUBLIC_URL", "moderation.public_url"),
    ("SESSION_HOURS", "moderation.session_hours"),
    ("LOGIN_PER_MINUTE", "moderation.login_per_minute"),
    ("TRUST_AFTER", "moderation.trust_after"),
    ("BANNED_WORDS", "moderation.banned_words"),
    ("BANNED_WORDS_FILE", "moderation.banned_words_file"),
    ("SUSPECT_WORDS", "moderation.suspect_words"),
    ("SUSPECT_WORDS_FILE", "moderation.suspect_words_file"),
    ("AUTO_CLOSE_DAYS", "moderation.auto_close_days"),
    ("STAFF_LABEL", "moderation.staff_label"),
    ("HIDE_AFTER_REPORTS", "moderation.hide_after_reports"),
    ("NOTIFY_KEEP_DAYS", "moderation.notify_keep_days"),
    ("ALLOWED_ORIGINS", "sites.allowed_origins"),
    ("POST_BURST", "limits.post_burst"),
    ("POST_REFILL_SECONDS", "limits.post_refill_seconds"),
    ("REPORT_BURST", "limits.report_burst"),
    ("REPORT_REFILL_SECONDS", "limits.report_refill_seconds"),
    ("READ_BURST", "limits.read_burst"),
    ("READ_PER_SECOND", "limits.read_per_second"),
    ("PENDING_PER_THREAD", "limits.pending_per_thread"),
    ("PENDING_TOTAL", "limits.pending_total"),
    ("MIN_COMPOSE_MS", "limits.min_compose_ms"),
    ("REQUEST_TIMEOUT_MS", "limits.request_timeout_ms"),
    ("HEADER_TIMEOUT_MS", "limits.header_timeout_ms"),
    ("TRUSTED_PROXIES", "limits.trusted_proxies"),
    ("WEBHOOK_URL", "notify.webhook_url"),
    ("WEBHOOK_FORMAT", "notify.webhook_format"),
    ("SMTP_URL", "notify.smtp_url"),
    ("MAIL_FROM", "notify.mail_from"),
    ("NOTIFY_RETRY_MS", "notify.retry_base_ms"),
    ("DEMO_ARTICLE", "demo.article"),
];

/// The setting (`limits.post_burst`) an environment variable stands for, if
/// it has the prefix: an alias, else `SECTION__KEY` lower-cased.
pub fn setting_of(variable: &str) -> Option<String> {
    let rest = variable.strip_prefix(ENV_PREFIX)?;
    if rest.is_empty() {
        return None;
    }
    Some(match ENV_ALIASES.iter().find(|(alias, _)| *alias == rest) {
        Some((_, key)) => (*key).to_string(),
        None => rest.to_ascii_lowercase().replace("__", "."),
    })
}

/// The environment as a figment layer. Values stay strings (numbers are
/// read from them when a setting wants one, by `extract_lossy`), so that a
/// token of digits stays a token: figment's own `Env` parses values as
/// numbers first, and would need its `pear` parser besides.
struct Environment(Vec<(String, String)>);

impl Provider for Environment {
    fn metadata(&self) -> Metadata {
        Metadata::named(format!("`{ENV_PREFIX}` environment variable(s)")).interpolater(
            |_: &Profile, keys: &[&str]| {
                let name = keys.join("__").to_ascii_uppercase();
                format!("{ENV_PREFIX}{name}")
            },
        )
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut dict = Dict::new();
        // The aliases first, so that a setting's own name wins over its
        // alias whatever the environment's order.
        let is_alias = |v: &str| {
            let rest = v.strip_prefix(ENV_PREFIX).unwrap_or(v);
            ENV_ALIASES.iter().any(|(alias, _)| *alias == rest)
        };
        let (aliases, names): (Vec<_>, Vec<_>) = self.0.iter().partition(|(v, _)| is_alias(v));
        for (variable, value) in aliases.into_iter().chain(names) {
            if let Some(key) = setting_of(variable) {
                let path: Vec<&str> = key.split('.').collect();
                insert(&mut dict, &path, Value::from(value.clone()));
            }
        }
        let mut data = Map::new();
        data.insert(Profile::Default, dict);
        Ok(data)
    }
}

/// Puts `value` at `path` in `dict`, making the tables on the way.
fn insert(dict: &mut Dict, path: &[&str], value: Value) {
    match path {
        [] => {}
        [last] => {
            dict.insert((*last).to_string(), value);
        }
        [first, rest @ ..] => {
            let entry = dict
                .entry((*first).to_string())
                .or_insert_with(|| Value::from(Dict::new()));
            if let Value::Dict(_, inner) = entry {
                insert(inner, rest, value);
            } else {
                let mut inner = Dict::new();
                insert(&mut inner, rest, value);
                *entry = Value::from(inner);
            }
        }
    }
}

/// A TOML file as a figment layer, through the `toml` crate the server
/// already has (figment's own TOML provider brings a second, older one).
struct TomlFile {
    path: PathBuf,
    text: String,
}

impl Provider for TomlFile {
    fn metadata(&self) -> Metadata {
        Metadata::from("TOML file", self.path.as_path())
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let dict: Dict = toml::from_str(&self.text)
            .map_err(|e| figment::Error::from(format!("{}: {e}", self.path.display())))?;
        let mut data = Map::new();
        data.insert(Profile::Default, dict);
        Ok(data)
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
        let file = match file {
            Some(p) => Some((
                p.to_path_buf(),
                std::fs::read_to_string(p)
                    .map_err(|e| ConfigError(format!("cannot read {}: {e}", p.display())))?,
            )),
            None => None,
        };
        Self::from_layers(file, std::env::vars())
    }

    /// The defaults, then `file` (its path and text), then the `COMMENTS_*`
    /// variables among `env`; then checks the whole.
    pub fn from_layers(
        file: Option<(PathBuf, String)>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut figment =
            Figment::from(figment::providers::Serialized::defaults(Config::default()));
        if let Some((path, text)) = file {
            figment = figment.merge(TomlFile { path, text });
        }
        let env = env
            .into_iter()
            .filter(|(k, _)| k.starts_with(ENV_PREFIX))
            .collect();
        let mut config: Config = figment.merge(Environment(env)).extract_lossy()?;
        config.normalise()?;
        Ok(config)
    }

    /// A TOML text alone over the defaults (for tests and checks).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        Self::from_layers(
            Some((PathBuf::from("comments.toml"), text.to_string())),
            std::iter::empty(),
        )
    }

    /// Empty values mean unset; origins are normalised; the rest is checked.
    fn normalise(&mut self) -> Result<(), ConfigError> {
        let unset_empty = |v: &mut Option<String>| {
            if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
                *v = None;
            }
        };
        unset_empty(&mut self.moderation.token);
        unset_empty(&mut self.database.url);
        if let Some(url) = &self.database.url {
            DatabaseLocation::parse(url)?;
        }
        unset_empty(&mut self.moderation.public_url);
        unset_empty(&mut self.notify.webhook_url);
        unset_empty(&mut self.notify.smtp_url);
        unset_empty(&mut self.notify.mail_from);
        for path in [&mut self.database.key_file, &mut self.demo.article] {
            if path.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
                *path = None;
            }
        }
        for origin in &mut self.sites.allowed_origins {
            *origin = normalize_origin(origin).ok_or_else(|| {
                ConfigError(format!(
                    "sites.allowed_origins: {origin:?} is not an origin like https://news.example"
                ))
            })?;
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
        let label = m.staff_label.trim().chars().count();
        if !(1..=32).contains(&label) {
            return Err(ConfigError(
                "moderation.staff_label must be 1 to 32 characters".into(),
            ));
        }
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
            if let Some(label) = &moderator.label
                && !(1..=32).contains(&label.trim().chars().count())
            {
                return Err(ConfigError(format!(
                    "moderation.moderators[{i}] ({name}): the label must be 1 to 32 characters"
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

/// A list of strings, or (from the environment) one comma-separated string.
fn list_or_commas<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct Visit;
    impl<'de> Visitor<'de> for Visit {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of strings, or one comma-separated string")
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
            Ok(text
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(String::from)
                .collect())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            Vec::deserialize(SeqAccessDeserializer::new(seq))
        }
    }
    d.deserialize_any(Visit)
}

/// Tables of moderators, or (from the environment) `name:hash[:email]`
/// entries separated by whitespace (an Argon2 hash has no colon or space).
fn moderators_or_entries<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<ModeratorConfig>, D::Error> {
    struct Visit;
    impl<'de> Visitor<'de> for Visit {
        type Value = Vec<ModeratorConfig>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("moderator tables, or name:argon2-hash[:email] entries")
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
            text.split_whitespace()
                .map(|entry| {
                    let mut parts = entry.split(':');
                    match (parts.next(), parts.next(), parts.next(), parts.next()) {
                        (Some(name), Some(hash), email, None) => Ok(ModeratorConfig {
                            name: name.to_string(),
                            password_hash: hash.to_string(),
                            email: email.map(String::from),
                            label: None,
                        }),
                        _ => Err(E::custom(format!(
                            "{entry:?} is not name:argon2-hash[:email]"
                        ))),
                    }
                })
                .collect()
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            Vec::deserialize(SeqAccessDeserializer::new(seq))
        }
    }
    d.deserialize_any(Visit)
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

    fn env(vars: &[(&str, &str)]) -> Vec<(String, String)> {
        vars.iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    fn with_env(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_layers(None, env(vars))
    }

    #[test]
    fn zero_config_listens_on_loopback_with_sqlite_under_data() {
        let c = with_env(&[]).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database.path, PathBuf::from("data/comments.db"));
        assert!(c.moderation.token.is_none());
        assert_eq!(c.limits.post_burst, 3);
    }

    #[test]
    fn toml_then_env_overrides() {
        let file = "listen = \"0.0.0.0:9000\"\n[limits]\npost_burst = 5\n[moderation]\ntoken = \"0123456789abcdef\"\n";
        let c = Config::from_toml(file).unwrap();
        assert_eq!(c.limits.post_burst, 5);
        assert_eq!(c.limits.post_refill_seconds, 20);
        let c = Config::from_layers(
            Some(("comments.toml".into(), file.into())),
            env(&[
                ("COMMENTS_LISTEN", "127.0.0.1:1234"),
                ("COMMENTS_POST_BURST", "9"),
            ]),
        )
        .unwrap();
        assert_eq!(c.listen.port(), 1234);
        assert_eq!(c.limits.post_burst, 9);
        assert_eq!(c.moderation.token.as_deref(), Some("0123456789abcdef"));
    }

    #[test]
    fn every_nested_setting_has_its_variable_without_code() {
        let c = with_env(&[
            ("COMMENTS_LIMITS__POST_BURST", "7"),
            ("COMMENTS_LIMITS__TRACKED_CLIENTS", "500"),
            ("COMMENTS_DATABASE__REFRESH_MS", "250"),
            ("COMMENTS_NOTIFY__WEBHOOK_FORMAT", "slack"),
            ("COMMENTS_SITES__ALLOWED_ORIGINS", "https://a.example"),
            // Other programs' variables are none of ours.
            ("PATH", "/bin"),
            ("COMMENTSX", "1"),
        ])
        .unwrap();
        assert_eq!(c.limits.post_burst, 7);
        assert_eq!(c.limits.tracked_clients, 500);
        assert_eq!(c.database.refresh_ms, 250);
        assert_eq!(c.notify.webhook_format, WebhookFormat::Slack);
        assert_eq!(c.sites.allowed_origins, ["https://a.example"]);
        // The generic name of a setting with an alias works too, and a
        // token made of digits stays a string.
        let c = with_env(&[("COMMENTS_MODERATION__TOKEN", "12345678901234567890")]).unwrap();
        assert_eq!(c.moderation.token.as_deref(), Some("12345678901234567890"));
        // A setting's own name wins over its alias, in either order.
        for vars in [
            [
                ("COMMENTS_POST_BURST", "2"),
                ("COMMENTS_LIMITS__POST_BURST", "8"),
            ],
            [
                ("COMMENTS_LIMITS__POST_BURST", "8"),
                ("COMMENTS_POST_BURST", "2"),
            ],
        ] {
            assert_eq!(with_env(&vars).unwrap().limits.post_burst, 8);
        }
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let e = Config::from_toml("[limits]\npost_brust = 3\n").unwrap_err();
        assert!(e.0.contains("post_brust"), "{}", e.0);
        assert!(e.0.contains("comments.toml"), "{}", e.0);
        let e = Config::from_toml("unknown_key = 1").unwrap_err();
        assert!(e.0.contains("unknown_key"), "{}", e.0);
        let e = with_env(&[("COMMENTS_LIMITS__POST_BRUST", "3")]).unwrap_err();
        assert!(e.0.contains("post_brust"), "{}", e.0);
        assert!(e.0.contains("environment"), "{}", e.0);
        let e = with_env(&[("COMMENTS_LISTN", "127.0.0.1:1")]).unwrap_err();
        assert!(e.0.contains("listn"), "{}", e.0);
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
        let c = with_env(&[(
            "COMMENTS_ALLOWED_ORIGINS",
            "https://a.example, https://B.example/",
        )])
        .unwrap();
        assert_eq!(
            c.sites.allowed_origins,
            ["https://a.example", "https://b.example"]
        );
        let c = Config::from_toml("[sites]\nallowed_origins = [\"https://C.example\"]\n").unwrap();
        assert_eq!(c.sites.allowed_origins, ["https://c.example"]);
        let e = with_env(&[("COMMENTS_ALLOWED_ORIGINS", "a.example")]).unwrap_err();
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
        let c = with_env(&[(
            "COMMENTS_MODERATORS",
            "ana:$argon2id$x:ana@news.example bob:$argon2id$y",
        )])
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
            assert!(with_env(&[("COMMENTS_MODERATORS", bad)]).is_err(), "{bad}");
        }
        assert_eq!(Config::default().public_url(), "http://127.0.0.1:8080");
    }

    #[test]
    fn bad_values_are_reported_not_ignored() {
        assert!(Config::from_toml("listen = 5").is_err());
        assert!(Config::from_toml("[limits\n").is_err());
        let e = with_env(&[("COMMENTS_POST_BURST", "many")]).unwrap_err();
        assert!(e.0.contains("COMMENTS_LIMITS__POST_BURST"), "{}", e.0);
        let e = with_env(&[("COMMENTS_MODERATION_TOKEN", "short")]).unwrap_err();
        assert!(e.0.contains("16"), "{}", e.0);
        let e = with_env(&[("COMMENTS_WEBHOOK_FORMAT", "xml")]).unwrap_err();
        assert!(e.0.contains("xml"), "{}", e.0);
        // Empty means unset, for optional settings.
        let c = with_env(&[("COMMENTS_MODERATION_TOKEN", ""), ("COMMENTS_KEY_FILE", "")]).unwrap();
        assert!(c.moderation.token.is_none() && c.database.key_file.is_none());
    }

    /// Every setting's dotted name, from the definitions themselves.
    fn settings() -> Vec<String> {
        fn walk(prefix: &str, v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(map) => {
                    for (k, v) in map {
                        let key = if prefix.is_empty() {
                            k.clone()
                        } else {
                            format!("{prefix}.{k}")
                        };
                        walk(&key, v, out);
                    }
                }
                _ => out.push(prefix.to_string()),
            }
        }
        let mut out = Vec::new();
        let value = serde_json::to_value(Config::default()).unwrap();
        walk("", &value, &mut out);
        out
    }

    /// The README's configuration section cannot drift from the settings:
    /// its example is a valid configuration (so names no unknown key), it
    /// shows every setting with its variable, and where it shows a
    /// setting's default value, that value is the default.
    #[test]
    fn the_readme_documents_every_setting_and_its_variable() {
        let readme = include_str!("../../../README.md");
        let section = &readme[readme.find("## Configuration").expect("section")..];
        let start = section.find("```toml\n").expect("toml block") + 8;
        let block = &section[start..start + section[start..].find("```").expect("end")];
        Config::from_toml(block).unwrap_or_else(|e| panic!("README example: {e}"));
        let example: toml::Table = toml::from_str(block).unwrap();
        let defaults = serde_json::to_value(Config::default()).unwrap();
        let mut table = "";
        for line in block.lines() {
            let line = line.trim();
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                table = name.trim_matches(['[', ']']);
                continue;
            }
            let Some((key, rest)) = line.split_once('=') else {
                continue;
            };
            if line.starts_with('#') {
                continue;
            }
            let key = key.trim();
            let full = if table.is_empty() {
                key.to_string()
            } else {
                format!("{table}.{key}")
            };
            let variable = rest
                .split('#')
                .nth(1)
                .and_then(|c| c.split_whitespace().next())
                .unwrap_or_else(|| panic!("README: {full} names no variable"))
                .trim_end_matches([':', ';', ',']);
            assert_eq!(
                setting_of(variable).as_deref(),
                Some(full.as_str()),
                "README: {variable} is not the variable of {full}"
            );
            let default = full.split('.').fold(&defaults, |v, k| &v[k]);
            let shown = full
                .split('.')
                .fold(toml::Value::Table(example.clone()), |v, k| {
                    v.get(k).cloned().unwrap_or(toml::Value::Boolean(false))
                });
            let is_set = !default.is_null() && default.as_array().is_none_or(|a| !a.is_empty());
            if is_set {
                assert_eq!(
                    serde_json::to_value(&shown).unwrap(),
                    *default,
                    "README: {full}'s default"
                );
            }
        }
        for setting in settings() {
            let (table, key) = setting.rsplit_once('.').unwrap_or(("", &setting));
            let shown = if table.is_empty() {
                block
                    .lines()
                    .take_while(|l| !l.starts_with('['))
                    .any(|l| l.starts_with(&format!("{key} ")))
            } else {
                block.contains(&format!("[{table}]")) && block.contains(&format!("{key} ="))
                    || block.contains(&format!("[[{setting}]]"))
            };
            assert!(shown, "README's configuration lacks {setting}");
        }
        assert!(
            section.contains("COMMENTS_SECTION__KEY"),
            "README: the generic variables"
        );
    }
}
