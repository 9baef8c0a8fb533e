//! Real Chromium for end-to-end tests: ChromeDriver, fantoccini sessions, and a host-page server on another origin.

use fantoccini::{Client, ClientBuilder, Locator};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A ChromeDriver process; killed on drop.
pub struct Driver {
    pub url: String,
    child: Child,
    dirs: Vec<tempfile::TempDir>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl Driver {
    pub fn start() -> Self {
        let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = free_port();
        let child = Command::new(&bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin} ({e}); run `cargo xtask setup`"));
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            url: format!("http://127.0.0.1:{port}"),
            child,
            dirs: Vec::new(),
        }
    }

    /// A new headless Chromium with its own profile (so its own localStorage).
    pub async fn session(&mut self) -> Client {
        let profile = tempfile::tempdir().expect("profile dir");
        let chrome = std::env::var("CHROME").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let caps = serde_json::json!({
            "goog:chromeOptions": {
                "binary": chrome,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1000,1800",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        });
        self.dirs.push(profile);
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("webdriver session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Serves fixed HTML pages on `localhost` (the comment server is on
/// `127.0.0.1`, so the two are different origins). Bind first, so the
/// server can be told the pages' origin, then serve.
pub struct HostPages {
    /// The pages' origin, e.g. `http://localhost:41234`.
    pub base: String,
    listener: TcpListener,
}

impl HostPages {
    pub fn bind() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind host pages");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        Self {
            base: format!("http://localhost:{}", addr.port()),
            listener,
        }
    }

    /// Serves `pages` (path, HTML) until the test ends; returns the origin.
    pub fn serve(self, pages: Vec<(&'static str, String)>) -> Origin {
        self.serve_with_policy(
            pages
                .into_iter()
                .map(|(p, h)| (p, h, String::new()))
                .collect(),
        )
    }

    /// Serves `pages` (path, HTML, the `Content-Security-Policy` to send
    /// with it, or nothing when empty) until the test ends.
    pub fn serve_with_policy(self, pages: Vec<(&'static str, String, String)>) -> Origin {
        let pages = Arc::new(pages);
        let listener = self.listener;
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let pages = Arc::clone(&pages);
                std::thread::spawn(move || answer(stream, &pages));
            }
        });
        Origin(self.base)
    }
}

/// Where the host pages are served.
pub struct Origin(pub String);

impl Origin {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

fn answer(mut stream: TcpStream, pages: &[(&'static str, String, String)]) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" => break,
            Ok(_) => {}
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let (status, body, policy) = match pages.iter().find(|(p, _, _)| *p == path) {
        Some((_, html, policy)) => ("200 OK", html.as_str(), policy.as_str()),
        None => ("404 Not Found", "not found", ""),
    };
    let policy = if policy.is_empty() {
        String::new()
    } else {
        format!("Content-Security-Policy: {policy}\r\n")
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n{policy}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// Runs `script` (with `arguments`) until it returns something other than
/// `null`/`false`, or panics after `timeout`.
pub async fn wait_js(
    client: &Client,
    timeout: Duration,
    what: &str,
    script: &str,
) -> serde_json::Value {
    let deadline = Instant::now() + timeout;
    loop {
        let v = client
            .execute(script, vec![])
            .await
            .expect("execute script");
        if !(v.is_null() || v == serde_json::Value::Bool(false)) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Finds an element inside the widget's shadow root (the `n`th host).
pub async fn in_widget(client: &Client, host: usize, css: &str) -> fantoccini::elements::Element {
    let hosts = client
        .find_all(Locator::Css("[data-comments]"))
        .await
        .expect("hosts");
    let root = hosts[host].shadow_root().await.expect("shadow root");
    root.find(Locator::Css(css)).await.expect(css)
}

/// Signs in at the server's `/admin/login` as a moderator would, and waits
/// until the queue has loaded (so the session cookie is set).
pub async fn sign_in(client: &Client, server_root: &str, name: &str, password: &str) {
    client
        .goto(&format!("{server_root}/admin/login"))
        .await
        .expect("sign-in page");
    let form = client
        .form(Locator::Css("form.login"))
        .await
        .expect("sign-in form");
    form.set_by_name("name", name).await.expect("name");
    form.set_by_name("password", password)
        .await
        .expect("password");
    form.submit().await.expect("sign in");
    wait_js(
        client,
        Duration::from_secs(15),
        "the queue after signing in",
        "return location.pathname == '/admin' && document.readyState == 'complete' && !!document.querySelector('nav') || null",
    )
    .await;
}
