//! Test harness shared by the integration tests: a real server process on a real port and database file, and a small HTTP client.
#![allow(dead_code)]

pub mod browser;
pub mod sinks;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_comments-server");

/// The server binary under test: this build's, or `TEST_SERVER_BIN`
/// (the bench points it at the release build).
pub fn bin() -> String {
    std::env::var("TEST_SERVER_BIN").unwrap_or_else(|_| BIN.to_string())
}
pub const MOD_TOKEN: &str = "test-moderation-token-0123456789";
/// The test moderators' password.
pub const PASSWORD: &str = "correct horse battery staple";

/// An Argon2id hash of [`PASSWORD`], made once by `comments-server hash-password`.
pub fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        let mut child = Command::new(bin())
            .arg("hash-password")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run hash-password");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .expect("write password");
        let out = child.wait_with_output().expect("hash-password output");
        assert!(out.status.success());
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .trim()
            .to_string()
    })
}

/// `COMMENTS_MODERATORS` for moderators `ana` (mailed at ana@news.example)
/// and `bob`, both with [`PASSWORD`].
pub fn moderators_env() -> String {
    let h = password_hash();
    format!("ana:{h}:ana@news.example bob:{h}")
}

/// A signed-in moderator: the session cookie and the page's CSRF token.
#[derive(Clone, Debug)]
pub struct ModSession {
    pub cookie: String,
    pub csrf: String,
}

/// A running `comments-server` with its own database file; killed on drop.
pub struct Server {
    pub addr: SocketAddr,
    pub db: PathBuf,
    child: Child,
    _dir: Option<tempfile::TempDir>,
    env: Vec<(String, String)>,
}

impl Server {
    /// Starts a server on a free port with a fresh database.
    pub fn start(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("comments.db");
        let mut s = Self::start_on(&db, env);
        s._dir = Some(dir);
        s
    }

    /// Starts a server that knows its own public URL (`moderation.public_url`),
    /// on a port picked beforehand.
    pub fn start_public(env: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let listen = format!("127.0.0.1:{port}");
        let public = format!("http://{listen}");
        let mut env = env.to_vec();
        env.extend([
            ("COMMENTS_LISTEN", listen.as_str()),
            ("COMMENTS_PUBLIC_URL", public.as_str()),
        ]);
        Self::start(&env)
    }

    /// Starts a server on an existing (or new) database file.
    pub fn start_on(db: &Path, env: &[(&str, &str)]) -> Self {
        let mut env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        for (k, v) in [
            ("COMMENTS_LISTEN", "127.0.0.1:0"),
            ("COMMENTS_DATABASE_REFRESH_MS", "200"),
            ("COMMENTS_MODERATION_TOKEN", MOD_TOKEN),
            ("COMMENTS_POST_BURST", "1000"),
            ("COMMENTS_READ_BURST", "100000"),
            ("COMMENTS_READ_PER_SECOND", "100000"),
            ("COMMENTS_PENDING_PER_THREAD", "1000000"),
            ("COMMENTS_PENDING_TOTAL", "1000000"),
            // Tests type faster than people; the bot check has its own test.
            ("COMMENTS_MIN_COMPOSE_MS", "0"),
        ] {
            if !env.iter().any(|(ek, _)| ek == k) {
                env.push((k.into(), v.into()));
            }
        }
        let mut cmd = Command::new(bin());
        cmd.env("COMMENTS_DATABASE_PATH", db)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start comments-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read listening line");
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .expect("address");
        Self {
            addr,
            db: db.to_path_buf(),
            child,
            _dir: None,
            env,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Runs `comments-server moderate ARGS` on this server's database.
    pub fn moderate(&self, args: &[&str]) -> (bool, String) {
        let mut all = vec!["moderate"];
        all.extend_from_slice(args);
        self.cli(&all)
    }

    /// Runs `comments-server ARGS` with this server's configuration.
    pub fn cli(&self, args: &[&str]) -> (bool, String) {
        let mut cmd = Command::new(bin());
        cmd.args(args).env("COMMENTS_DATABASE_PATH", &self.db);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run moderate");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text)
    }

    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        request(self.addr, method, path, headers, body)
    }

    pub fn get(&self, path: &str) -> Resp {
        self.request("GET", path, &[], b"")
    }

    pub fn post_json(&self, path: &str, json: &str) -> Resp {
        self.request(
            "POST",
            path,
            &[("Content-Type", "application/json")],
            json.as_bytes(),
        )
    }

    /// Posts a comment and returns `(id, token)`.
    pub fn post_comment(&self, thread: &str, author: &str, body: &str) -> (i64, String) {
        let json = serde_json::json!({ "author": author, "body": body }).to_string();
        let r = self.post_json(&format!("/api/v1/threads/{thread}/comments"), &json);
        assert_eq!(r.status, 202, "{}", r.text());
        let v = r.json();
        (
            v["id"].as_i64().expect("id"),
            v["token"].as_str().expect("token").to_string(),
        )
    }

    /// `POST /api/v1/moderation/comments/{id}/{verb}` with the bearer token.
    pub fn bearer_decide(&self, id: i64, verb: &str) -> Resp {
        let auth = format!("Bearer {MOD_TOKEN}");
        self.request(
            "POST",
            &format!("/api/v1/moderation/comments/{id}/{verb}"),
            &[("Authorization", &auth)],
            b"",
        )
    }

    /// The ids the bearer API lists with `status`.
    pub fn listed(&self, status: &str) -> Vec<i64> {
        let auth = format!("Bearer {MOD_TOKEN}");
        let r = self.request(
            "GET",
            &format!("/api/v1/moderation/comments?status={status}"),
            &[("Authorization", &auth)],
            b"",
        );
        ids(&r.json())
    }

    /// Signs in at `/admin/login` as `name` with [`PASSWORD`].
    pub fn sign_in(&self, name: &str) -> ModSession {
        let form = format!("name={name}&password={}", PASSWORD.replace(' ', "+"));
        let r = self.request(
            "POST",
            "/admin/login",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            form.as_bytes(),
        );
        assert_eq!(r.status, 303, "{}", r.text());
        let cookie = r
            .header("set-cookie")
            .and_then(|c| c.split(';').next())
            .expect("session cookie")
            .to_string();
        let page = self.request("GET", "/admin", &[("Cookie", &cookie)], b"");
        assert_eq!(page.status, 200);
        let html = page.text();
        let csrf = html
            .split("name=\"csrf-token\" content=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("csrf meta")
            .to_string();
        ModSession { cookie, csrf }
    }

    /// `POST /admin/api/decide` as a signed-in moderator, from our own origin.
    pub fn decide(&self, s: &ModSession, changes: serde_json::Value) -> Resp {
        let origin = format!("http://{}", self.addr);
        self.request(
            "POST",
            "/admin/api/decide",
            &[
                ("Cookie", &s.cookie),
                ("X-CSRF-Token", &s.csrf),
                ("Origin", &origin),
                ("Content-Type", "application/json"),
            ],
            serde_json::json!({ "changes": changes })
                .to_string()
                .as_bytes(),
        )
    }

    /// Sends SIGKILL and waits.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A parsed HTTP response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// The `error.code` of an error body.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {}", self.text()))
            .to_string()
    }
}

/// One HTTP/1.1 request on a fresh connection.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    try_request(addr, method, path, headers, body).expect("HTTP request")
}

/// [`request`], with connection failures returned instead of panicking.
pub fn try_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Resp> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let mut buf = [0u8; 16384];
    // To the end of the connection, or of a body whose length is given
    // (some servers, ChromeDriver among them, keep the connection open).
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            if length.is_some_and(|len| raw.len() >= split + 4 + len) {
                break;
            }
        }
    }
    if !raw.windows(4).any(|w| w == b"\r\n\r\n") {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed before a response",
        ));
    }
    Ok(parse_response(&raw))
}

fn parse_response(raw: &[u8]) -> Resp {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Resp {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&data[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = eol + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
}

/// The ids of a thread answer's comments, in order.
pub fn ids(list: &serde_json::Value) -> Vec<i64> {
    list["comments"]
        .as_array()
        .expect("comments array")
        .iter()
        .map(|c| c["id"].as_i64().expect("id"))
        .collect()
}

/// Polls `f` until it returns `Some`, or panics after `timeout`.
pub fn eventually<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Posts `body` by `author` into `thread` from `origin`, as a reply to
/// `parent`, and publishes it.
pub fn published(
    server: &Server,
    origin: &str,
    thread: &str,
    author: &str,
    body: &str,
    parent: Option<i64>,
) -> i64 {
    let json = serde_json::json!({ "author": author, "body": body, "parent": parent });
    let r = server.request(
        "POST",
        &format!("/api/v1/threads/{thread}/comments"),
        &[("Content-Type", "application/json"), ("Origin", origin)],
        json.to_string().as_bytes(),
    );
    assert_eq!(r.status, 202, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(server.bearer_decide(id, "approve").status, 200);
    id
}

/// A fresh, empty database on this test binary's throwaway PostgreSQL
/// cluster (started on first use, gone with the process): its URL.
pub fn pg_database() -> String {
    let cluster = comments_server::store::cluster::Cluster::shared().expect("a test cluster");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(cluster.database())
        .expect("a database")
}
