//! The multi-process contract: several `comments-server serve` processes on one database, each with its own in-memory revisions, must all show readers every change, whoever made it. Any backend must pass it.

mod support;

use comments_api::ThreadKey;
use comments_server::store::Store;
use comments_server::store::sql::SqlStore;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use support::{Server, eventually, ids};

const THREADS: usize = 6;
const READERS: [&str; 4] = [
    "readeraaaaaaaaaaaaaaaaaa",
    "readerbbbbbbbbbbbbbbbbbb",
    "readercccccccccccccccccc",
    "readerdddddddddddddddddd",
];

fn sha256_hex(s: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A small deterministic generator: the same run every time.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// What one reader's page holds for one thread on one instance: the
/// widget's view, kept up to date by conditional GETs.
#[derive(Default)]
struct Page {
    etag: Option<String>,
    ids: Vec<i64>,
}

fn poll(s: &Server, thread: usize, page: &mut Page) {
    let path = format!("/api/v1/threads/t{thread}/comments");
    let headers: Vec<(&str, &str)> = page
        .etag
        .as_deref()
        .map(|t| vec![("If-None-Match", t)])
        .unwrap_or_default();
    let r = s.request("GET", &path, &headers, b"");
    match r.status {
        304 => {}
        200 => {
            page.etag = r.header("etag").map(String::from);
            page.ids = ids(&r.json());
        }
        other => panic!("poll answered {other}: {}", r.text()),
    }
}

fn moderate(s: &Server, id: i64, verb: &str) {
    let r = s.bearer_decide(id, verb);
    assert!(
        r.status == 200 || r.status == 404,
        "{verb} {id}: {} {}",
        r.status,
        r.text()
    );
}

/// Runs the contract against `instances` that share one database, whose
/// truth `approved(thread)` reads.
fn contract(instances: &[&Server], approved: &dyn Fn(&str) -> Vec<i64>, ops: usize) {
    let n = instances.len();
    // Post through one, approve through another: a poller on the first sees it.
    let mut page = Page::default();
    poll(instances[0], 0, &mut page);
    let (id, _) = instances[0].post_comment("t0", "Ana", "first");
    moderate(instances[n - 1], id, "approve");
    let started = Instant::now();
    eventually(Duration::from_secs(3), "an approval made elsewhere", || {
        poll(instances[0], 0, &mut page);
        (page.ids == vec![id]).then_some(())
    });
    println!(
        "posted on instance 1, approved on instance {n}: seen on instance 1 after {:?}",
        started.elapsed()
    );

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut pages: HashMap<(usize, usize), Page> = HashMap::new();
    let mut comments: Vec<(i64, String)> = vec![(id, String::new())];
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for i in 0..ops {
        let at = instances[rng.below(n)];
        let op = match rng.below(100) {
            0..40 => "post",
            40..70 => "approve",
            70..82 => "reject",
            82..97 => "delete",
            _ => "purge",
        };
        *counts.entry(op).or_default() += 1;
        match op {
            "post" => {
                let thread = rng.below(THREADS);
                let reader = READERS[rng.below(READERS.len())];
                let json = serde_json::json!({
                    "author": "Ana", "body": format!("comment {i}"), "reader": reader,
                });
                let r = at.post_json(
                    &format!("/api/v1/threads/t{thread}/comments"),
                    &json.to_string(),
                );
                assert_eq!(r.status, 202, "{}", r.text());
                let v = r.json();
                comments.push((
                    v["id"].as_i64().expect("id"),
                    v["token"].as_str().expect("token").to_string(),
                ));
            }
            "approve" | "reject" => {
                let (id, _) = &comments[rng.below(comments.len())];
                moderate(at, *id, op);
            }
            "delete" => {
                let (_, token) = &comments[rng.below(comments.len())];
                if !token.is_empty() {
                    let json = serde_json::json!({ "token": token }).to_string();
                    let r = at.post_json("/api/v1/comments/delete", &json);
                    assert!(r.status == 200 || r.status == 404, "{}", r.text());
                }
            }
            _ => {
                let key = sha256_hex(READERS[rng.below(READERS.len())]);
                let (ok, out) = at.moderate(&["purge-author", &key]);
                assert!(ok, "{out}");
            }
        }
        // Readers poll all along, on every instance, as open pages do.
        let (reader_at, thread) = (rng.below(n), rng.below(THREADS));
        poll(
            instances[reader_at],
            thread,
            pages.entry((reader_at, thread)).or_default(),
        );
    }
    println!("{ops} random operations on {n} instances: {counts:?}");

    // Every page on every instance ends equal to the database.
    let started = Instant::now();
    for thread in 0..THREADS {
        let truth = approved(&format!("t{thread}"));
        for (k, s) in instances.iter().enumerate() {
            let page = pages.entry((k, thread)).or_default();
            eventually(
                Duration::from_secs(5),
                &format!("instance {} to show thread t{thread} as stored", k + 1),
                || {
                    poll(s, thread, page);
                    (page.ids == truth).then_some(())
                },
            );
        }
    }
    println!(
        "every instance's pages equal the database {:?} after the last operation",
        started.elapsed()
    );
}

/// The database itself, read directly: what every page must end up showing.
struct Truth {
    rt: tokio::runtime::Runtime,
    store: SqlStore,
}

impl Truth {
    fn open<F: std::future::Future<Output = comments_server::store::StoreResult<SqlStore>>>(
        open: impl FnOnce() -> F,
    ) -> Self {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let store = rt.block_on(open()).expect("open the database");
        Self { rt, store }
    }

    /// A thread's published comments, by id.
    fn approved(&self, thread: &str) -> Vec<i64> {
        let key = ThreadKey::parse(thread).expect("key");
        self.rt
            .block_on(self.store.approved(&key))
            .expect("read")
            .comments
            .into_iter()
            .map(|c| c.id)
            .collect()
    }
}

#[test]
fn two_processes_on_one_sqlite_file_show_readers_every_change() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("comments.db");
    let a = Server::start_on(&db, &[]);
    let b = Server::start_on(&db, &[]);
    let truth = Truth::open(|| SqlStore::open_sqlite(&db, Duration::from_secs(5)));
    contract(&[&a, &b], &|t| truth.approved(t), 300);
}

/// The same contract on PostgreSQL, with three instances, and their
/// periodic refresh slowed to a minute: only the database's change
/// notifications can bring one instance's commits to another in time.
#[test]
fn three_instances_on_one_postgresql_database_show_readers_every_change() {
    let url = support::pg_database();
    let dir = tempfile::tempdir().expect("dir");
    // The key file's home, shared by the three as a deployment shares it.
    let db = dir.path().join("comments.db");
    let env = [
        ("COMMENTS_DATABASE_URL", url.as_str()),
        ("COMMENTS_DATABASE_REFRESH_MS", "60000"),
    ];
    let (a, b, c) = (
        Server::start_on(&db, &env),
        Server::start_on(&db, &env),
        Server::start_on(&db, &env),
    );
    let truth = Truth::open(|| SqlStore::connect_postgres(&url, Duration::from_secs(5)));
    contract(&[&a, &b, &c], &|t| truth.approved(t), 300);
    // What carried it shows in each instance's metrics.
    let auth = format!("Bearer {}", support::MOD_TOKEN);
    for s in [&a, &b, &c] {
        let r = s.request("GET", "/metrics", &[("Authorization", &auth)], b"");
        assert_eq!(r.status, 200, "{}", r.text());
        let text = r.text();
        let value = |name: &str| -> f64 {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
                .unwrap_or_else(|| panic!("{name} in {text}"))
        };
        assert!(value("comments_notifications_total ") > 0.0, "{text}");
        assert!(value("comments_notify_lag_seconds ") < 1.0, "{text}");
        assert!(
            text.contains(
                "comments_http_requests_total{route=\"/api/v1/threads/{thread}/comments\",status=\"304\"}"
            ),
            "{text}"
        );
        let ratio = value("comments_poll_not_modified_ratio ");
        assert!(ratio > 0.0 && ratio < 1.0, "{text}");
        let unauthorised = s.get("/metrics");
        assert_eq!(unauthorised.status, 401);
    }
}

/// The post and sign-in allowances are the database's: three posts
/// through one instance use a burst of three for the others too.
#[test]
fn instances_on_postgresql_share_the_post_and_sign_in_allowances() {
    let url = support::pg_database();
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("comments.db");
    let env = [
        ("COMMENTS_DATABASE_URL", url.as_str()),
        ("COMMENTS_POST_BURST", "3"),
        ("COMMENTS_POST_REFILL_SECONDS", "600"),
        ("COMMENTS_LOGIN_PER_MINUTE", "2"),
    ];
    let (a, b) = (Server::start_on(&db, &env), Server::start_on(&db, &env));
    for i in 0..3 {
        a.post_comment("t", "Ana", &format!("post {i}"));
    }
    let json = serde_json::json!({ "author": "Ana", "body": "one more" }).to_string();
    let r = b.post_json("/api/v1/threads/t/comments", &json);
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(r.json()["error"]["code"], "rate_limited", "{}", r.text());
    let wait: u64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=600).contains(&wait), "{wait}");
    // Sign-ins too: two guesses on one instance use the minute's two.
    let guess = |s: &Server| {
        s.request(
            "POST",
            "/admin/login",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"name=ana&password=guess",
        )
        .status
    };
    assert_eq!(guess(&a), 401);
    assert_eq!(guess(&a), 401);
    assert_eq!(guess(&b), 429);
}

/// Instances on several machines must share the key file: one with
/// another refuses to start rather than sign links the others refuse.
#[test]
fn an_instance_with_another_key_file_refuses_to_start() {
    let url = support::pg_database();
    let (one, two) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let env = [("COMMENTS_DATABASE_URL", url.as_str())];
    let _a = Server::start_on(&one.path().join("comments.db"), &env);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_comments-server"))
        .env("COMMENTS_DATABASE_URL", &url)
        .env("COMMENTS_DATABASE_PATH", two.path().join("comments.db"))
        .env("COMMENTS_LISTEN", "127.0.0.1:0")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("not the one the other instances"), "{text}");
}

/// PostgreSQL refuses NUL characters that SQLite stores: wherever one can
/// reach a query, the answer is a 400 (or the request's own checks), not
/// a 500.
#[test]
fn nul_characters_on_postgresql_are_refused_not_a_500() {
    let url = support::pg_database();
    let dir = tempfile::tempdir().expect("dir");
    let s = Server::start_on(
        &dir.path().join("comments.db"),
        &[("COMMENTS_DATABASE_URL", url.as_str())],
    );
    let auth = format!("Bearer {}", support::MOD_TOKEN);
    for path in [
        "/api/v1/moderation/comments?author=a%00b",
        "/api/v1/moderation/comments?section=a%00",
        "/api/v1/moderation/comments?site=https://a%00",
    ] {
        let r = s.request("GET", path, &[("Authorization", &auth)], b"");
        println!("{path}: {}", r.status);
        assert!(
            r.status == 400 || r.status == 200,
            "{path}: {} {}",
            r.status,
            r.text()
        );
    }
    for json in [
        r#"{"author":"A\u0000na","body":"hello"}"#,
        r#"{"author":"Ana","body":"hel\u0000lo"}"#,
        r#"{"author":"Ana","body":"hello","reader":"k\u0000"}"#,
        r#"{"author":"Ana","body":"hello","email":"a\u0000@b.example"}"#,
        r#"{"author":"Ana","body":"hello","page":{"title":"t\u0000","url":"https://a.example/\u0000"}}"#,
    ] {
        let r = s.post_json("/api/v1/threads/t/comments", json);
        println!("{json}: {}", r.status);
        assert!(
            r.status == 400 || r.status == 422 || r.status == 202,
            "{json}: {} {}",
            r.status,
            r.text()
        );
    }
}
