//! Correct under concurrency, abuse and more than one process: changes made elsewhere reach readers, work after a commit always runs, decisions cannot half-happen, and abuse is bounded. Real server processes, real ports, real SQLite files.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::sinks::SmtpSink;
use support::{Server, eventually, ids, moderators_env};

fn with_moderators(extra: &[(&str, &str)]) -> Server {
    let moderators = moderators_env();
    let mut env = vec![("COMMENTS_MODERATORS", moderators.as_str())];
    env.extend_from_slice(extra);
    Server::start(&env)
}

/// Runs `f` on a throwaway runtime (the tests are synchronous).
fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// One column of every comment, read straight from the database file.
fn column(db: &std::path::Path, sql: &'static str) -> Vec<String> {
    block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
            .await
            .expect("open db");
        let rows: Vec<(String,)> = sqlx::query_as(sql).fetch_all(&pool).await.expect("query");
        pool.close().await;
        rows.into_iter().map(|(v,)| v).collect()
    })
}

#[test]
fn a_cli_approval_reaches_readers_even_when_the_server_changed_another_thread_meanwhile() {
    let refresh_ms = 1500;
    let s = Server::start(&[("COMMENTS_DATABASE_REFRESH_MS", "1500")]);
    // Three rounds, so that a refresh falling by chance between the two
    // approvals cannot hide the fault.
    for round in 0..3 {
        let (x, _) = s.post_comment(&format!("x{round}"), "Ana", "on x");
        let (y, _) = s.post_comment(&format!("y{round}"), "Bo", "on y");
        let path = format!("/api/v1/threads/x{round}/comments");
        let first = s.get(&path);
        let tag = first.header("etag").expect("etag").to_string();
        // Another process approves x, and this server publishes y at once.
        let (ok, out) = s.moderate(&["approve", &x.to_string()]);
        assert!(ok, "{out}");
        assert_eq!(s.bearer_decide(y, "approve").status, 200);
        // A poller of x, with its ETag, sees x's comment within refresh_ms plus one poll.
        let started = Instant::now();
        eventually(
            Duration::from_millis(refresh_ms + 1000),
            "x's approval by another process",
            || {
                let r = s.request("GET", &path, &[("If-None-Match", &tag)], b"");
                (r.status == 200 && ids(&r.json()) == vec![x]).then_some(())
            },
        );
        println!(
            "round {round}: another process's approval seen after {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn sign_in_runs_a_bounded_number_of_password_checks_and_answers_429_beyond() {
    let s = with_moderators(&[("COMMENTS_LOGIN_PER_MINUTE", "1000")]);
    let addr = s.addr;
    let attempts: Vec<_> = (0..16)
        .map(|_| {
            std::thread::spawn(move || {
                support::request(
                    addr,
                    "POST",
                    "/admin/login",
                    &[("Content-Type", "application/x-www-form-urlencoded")],
                    b"name=ana&password=wrong+password+here",
                )
            })
        })
        .collect();
    let answers: Vec<support::Resp> = attempts
        .into_iter()
        .map(|t| t.join().expect("attempt"))
        .collect();
    let refused = answers.iter().filter(|r| r.status == 429).count();
    let checked = answers.iter().filter(|r| r.status == 401).count();
    println!("16 simultaneous sign-ins: {checked} checked, {refused} refused at once");
    assert!(refused > 0, "no bound on Argon2 work");
    assert!(checked > 0, "some attempts are checked");
    assert_eq!(refused + checked, 16);
    for r in answers.iter().filter(|r| r.status == 429) {
        assert!(r.text().contains("rate_limited"), "{}", r.text());
        assert!(r.header("retry-after").is_some());
    }
    // Once the checks are done, signing in works again.
    s.sign_in("ana");
}

#[test]
fn a_malformed_sign_in_form_takes_no_attempt_from_the_limit() {
    let s = with_moderators(&[]);
    for _ in 0..6 {
        let r = s.request(
            "POST",
            "/admin/login",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"garbage",
        );
        assert_eq!(r.status, 400, "{}", r.text());
    }
    // Five attempts a minute, and none was used.
    s.sign_in("ana");
}

#[test]
fn a_client_that_sends_its_headers_slowly_is_cut_off() {
    let s = Server::start(&[("COMMENTS_HEADER_TIMEOUT_MS", "1000")]);
    let mut c = TcpStream::connect(s.addr).expect("connect");
    c.set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .expect("write");
    let started = Instant::now();
    let header =
        b"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let mut buf = [0u8; 512];
    for byte in header.iter().cycle() {
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "still connected after 4 s of a trickle of header bytes"
        );
        if c.write_all(&[*byte]).is_err() {
            break;
        }
        match c.read(&mut buf) {
            Ok(_) => break,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    let took = started.elapsed();
    println!("slow headers cut off after {took:?} (header timeout 1 s)");
    assert!(took >= Duration::from_millis(800), "{took:?}");
}

#[test]
fn a_dropped_bot_post_stays_pending_for_its_token_without_being_stored() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("c.db");
    let s = Server::start_on(&db, &[("COMMENTS_MIN_COMPOSE_MS", "3000")]);
    let person = s.post_json(
        "/api/v1/threads/t/comments",
        r#"{"author":"Ana","body":"a person","compose_ms":45000}"#,
    );
    assert_eq!(person.status, 202);
    let real = person.json()["id"].as_i64().expect("id");
    let r = s.post_json(
        "/api/v1/threads/t/comments",
        r#"{"author":"bot","body":"buy now","website":"http://spam.example","compose_ms":9000}"#,
    );
    assert_eq!(r.status, 202);
    let id = r.json()["id"].as_i64().expect("id");
    let token = r.json()["token"].as_str().expect("token").to_string();
    assert!(
        id > real,
        "the id looks like the next one: {id} after {real}"
    );
    let status = |s: &Server, token: &str| {
        let r = s.post_json(
            "/api/v1/comments/status",
            &serde_json::json!({ "tokens": [token] }).to_string(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["statuses"][0].clone()
    };
    let answer = status(&s, &token);
    assert_eq!(answer["status"], "pending");
    assert_eq!(answer["id"], id);
    // After a restart too, and on another instance of the same database.
    drop(s);
    let s = Server::start_on(&db, &[]);
    assert_eq!(status(&s, &token)["status"], "pending");
    // A made-up token is unknown; nothing of the bot's was stored.
    let made_up = "ab".repeat(32);
    assert!(status(&s, &made_up)["status"].is_null());
    let bodies = column(&db, "SELECT body FROM comments");
    assert_eq!(bodies, ["a person"]);
}

#[test]
fn a_readers_address_is_sent_once_and_erased_on_every_path() {
    let smtp = SmtpSink::start();
    let smtp_url = smtp.url();
    let s = with_moderators(&[
        ("COMMENTS_SMTP_URL", &smtp_url),
        ("COMMENTS_MAIL_FROM", "Comments <comments@news.example>"),
        ("COMMENTS_NOTIFY_RETRY_MS", "100"),
        ("COMMENTS_TRUST_AFTER", "1"),
    ]);
    let n = std::cell::Cell::new(0);
    let post = |email: &str, reader: &str| {
        n.set(n.get() + 1);
        let json = serde_json::json!({
            "author": "Ana", "body": format!("comment {}", n.get()),
            "email": email, "reader": reader,
        });
        let r = s.post_json("/api/v1/threads/t/comments", &json.to_string());
        assert_eq!(r.status, 202, "{}", r.text());
        (
            r.json()["id"].as_i64().expect("id"),
            r.json()["status"].clone(),
        )
    };
    let session = s.sign_in("ana");
    let reader = "r".repeat(40);

    // The bearer API.
    let (api, _) = post("api@example.org", &reader);
    assert_eq!(s.bearer_decide(api, "approve").status, 200);
    // The trust rule: the reader now has one approved comment.
    let (_, status) = post("trust@example.org", &reader);
    assert_eq!(status, "approved");
    // The command line.
    let (cli, _) = post("cli@example.org", "");
    let (ok, out) = s.moderate(&["approve", &cli.to_string()]);
    assert!(ok, "{out}");
    // The moderation pages.
    let (web, _) = post("web@example.org", "");
    let r = s.decide(
        &session,
        serde_json::json!([{ "id": web, "to": "approved" }]),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    // A mail link.
    let (link, _) = post("link@example.org", "");
    let moderator_mail = eventually(Duration::from_secs(10), "the moderator mail", || {
        smtp.mails().into_iter().find(|m| {
            m.to == ["ana@news.example"] && m.text.contains(&format!("comment {}", n.get()))
        })
    });
    let base = format!("http://{}", s.addr);
    let approve = moderator_mail
        .text
        .lines()
        .find_map(|l| l.strip_prefix("Approve:"))
        .and_then(|l| l.trim().strip_prefix(base.as_str()))
        .expect("approve link")
        .to_string();
    let r = s.request("POST", &approve, &[("Origin", base.as_str())], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let _ = link;
    // Rejected and deleted: erased, never sent.
    let (rejected, _) = post("rejected@example.org", "");
    assert_eq!(s.bearer_decide(rejected, "reject").status, 200);
    let (deleted, _) = post("deleted@example.org", "");
    let r = s.decide(
        &session,
        serde_json::json!([{ "id": deleted, "to": "deleted" }]),
    );
    assert_eq!(r.status, 200);

    let sent = [
        "api@example.org",
        "trust@example.org",
        "cli@example.org",
        "web@example.org",
        "link@example.org",
    ];
    for address in sent {
        eventually(Duration::from_secs(10), address, || {
            smtp.mails().iter().any(|m| m.to == [address]).then_some(())
        });
    }
    // Give a second mail time to show up, if one were coming.
    std::thread::sleep(Duration::from_millis(1500));
    let mails = smtp.mails();
    for address in sent {
        let count = mails.iter().filter(|m| m.to == [address]).count();
        assert_eq!(count, 1, "{address} mailed once");
    }
    for address in ["rejected@example.org", "deleted@example.org"] {
        assert!(!mails.iter().any(|m| m.to == [address]), "{address}");
    }
    let kept = column(
        &s.db,
        "SELECT notify_email FROM comments WHERE notify_email != ''",
    );
    assert!(kept.is_empty(), "addresses still stored: {kept:?}");
}

#[test]
fn secrets_live_in_a_private_key_file_that_backups_do_not_carry() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("comments.db");
    // A database from before the key file: its secrets are in the database.
    let old_secret = "0123456789abcdef".repeat(4);
    block_on(async {
        use comments_server::store::Store;
        let store = comments_server::store::sql::SqlStore::open_sqlite(&db, Duration::from_secs(5))
            .await
            .expect("open");
        store
            .set_meta_once("mail_link_secret", &old_secret)
            .await
            .expect("meta");
        store.close().await.expect("close");
    });
    let moderators = moderators_env();
    let s = Server::start_on(&db, &[("COMMENTS_MODERATORS", moderators.as_str())]);
    let key_file = dir.path().join("comments.key");
    let meta = std::fs::metadata(&key_file).expect("a key file next to the database");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let keys = std::fs::read_to_string(&key_file).expect("read keys");
    assert!(keys.contains(&old_secret), "the existing secret moved over");
    // Links signed with it still work.
    let (id, _) = s.post_comment("t", "Ana", "hello");
    let token = comments_server::notify::links::LinkSigner::new(&old_secret).sign(
        &comments_server::notify::links::Link {
            comment_id: id,
            to: comments_server::store::Disposition::Approved,
            moderator: "ana".into(),
            expires_at: i64::MAX,
            nonce: "n1".into(),
        },
    );
    let r = s.get(&format!("/admin/mail/{token}"));
    assert_eq!(r.status, 200, "{}", r.text());

    let backup = dir.path().join("backup.db");
    let (ok, out) = s.cli(&["backup", backup.to_str().expect("utf-8")]);
    assert!(ok, "{out}");
    let names = column(&backup, "SELECT name FROM meta");
    assert!(names.is_empty(), "secrets in the backup: {names:?}");
    let raw = std::fs::read(&backup).expect("read backup");
    for line in keys.lines().filter_map(|l| l.split_once('"')) {
        let value = line.1.trim_end_matches('"');
        if value.len() >= 32 {
            assert!(
                !raw.windows(value.len()).any(|w| w == value.as_bytes()),
                "a key is inside the backup"
            );
        }
    }
}

#[test]
fn a_moderator_removed_from_the_configuration_loses_access_at_once() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("comments.db");
    let hash = support::password_hash();
    let both = format!("ana:{hash} bob:{hash}");
    let s = Server::start_on(&db, &[("COMMENTS_MODERATORS", both.as_str())]);
    let ana = s.sign_in("ana");
    let bob = s.sign_in("bob");
    let (id, _) = s.post_comment("t", "Reader", "hello");
    drop(s);
    let keys = std::fs::read_to_string(dir.path().join("comments.key")).expect("key file");
    let secret = keys
        .lines()
        .find_map(|l| l.strip_prefix("mail_link_key = "))
        .map(|v| v.trim_matches('"').to_string())
        .expect("mail link key");
    let link = comments_server::notify::links::LinkSigner::new(&secret).sign(
        &comments_server::notify::links::Link {
            comment_id: id,
            to: comments_server::store::Disposition::Approved,
            moderator: "ana".into(),
            expires_at: i64::MAX,
            nonce: "n2".into(),
        },
    );

    let only_bob = format!("bob:{hash}");
    let s = Server::start_on(&db, &[("COMMENTS_MODERATORS", only_bob.as_str())]);
    let page = s.request("GET", "/admin", &[("Cookie", &ana.cookie)], b"");
    assert_eq!(page.status, 401, "ana's session ended");
    let base = format!("http://{}", s.addr);
    let r = s.request(
        "POST",
        &format!("/admin/mail/{link}"),
        &[("Origin", &base)],
        b"",
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(s.get(&format!("/admin/mail/{link}")).status, 403);
    assert_eq!(
        s.request("GET", "/admin", &[("Cookie", &bob.cookie)], b"")
            .status,
        200
    );

    // `moderate sign-out NAME` ends a moderator's sessions.
    let (ok, out) = s.moderate(&["sign-out", "bob"]);
    assert!(ok && out.contains('1'), "{out}");
    assert_eq!(
        s.request("GET", "/admin", &[("Cookie", &bob.cookie)], b"")
            .status,
        401
    );
    let (ok, out) = s.moderate(&["sign-out", "nobody"]);
    assert!(ok && out.contains('0'), "{out}");
    let fresh = s.sign_in("bob");
    let audit = s
        .request("GET", "/admin/audit", &[("Cookie", &fresh.cookie)], b"")
        .text();
    assert!(audit.contains("sign_out"), "{audit}");
}

#[test]
fn an_export_holds_everything_stored_about_the_comment() {
    let s = Server::start(&[]);
    let json = serde_json::json!({
        "author": "Ana",
        "body": "see https://a.example https://b.example https://c.example",
        "page_title": "Marseille – Miami",
        "page_url": "https://news.example/om",
        "reader": "k".repeat(40),
    });
    let r = s.post_json("/api/v1/threads/t/comments", &json.to_string());
    let id = r.json()["id"].as_i64().expect("id");
    let token = r.json()["token"].as_str().expect("token").to_string();
    assert_eq!(s.bearer_decide(id, "approve").status, 200);
    let r = s.post_json(
        "/api/v1/comments/export",
        &serde_json::json!({ "token": token }).to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let e = r.json();
    assert_eq!(e["id"], id);
    assert_eq!(e["page_title"], "Marseille – Miami");
    assert_eq!(e["page_url"], "https://news.example/om");
    assert_eq!(e["flags"], serde_json::json!(["many_links"]));
    assert_eq!(e["status"], "approved");
    assert!(e["decided_at"].as_i64().is_some());
    assert_eq!(e["address_hash"].as_str().map(str::len), Some(64));
    assert_eq!(e["reader_hash"].as_str().map(str::len), Some(64));
    let history = e["history"].as_array().expect("status history");
    let statuses: Vec<&str> = history
        .iter()
        .filter_map(|h| h["status"].as_str())
        .collect();
    assert_eq!(statuses, ["pending", "approved"], "{history:?}");
    assert!(history.iter().all(|h| h["at"].as_i64().is_some()));
}

#[test]
fn author_deletions_are_in_the_audit_log() {
    let s = with_moderators(&[]);
    let (_, token) = s.post_comment("t", "Ana", "mine");
    let r = s.post_json(
        "/api/v1/comments/delete",
        &serde_json::json!({ "token": token }).to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let session = s.sign_in("ana");
    let audit = s
        .request("GET", "/admin/audit", &[("Cookie", &session.cookie)], b"")
        .text();
    assert!(audit.contains("deleted_by_author"), "{audit}");
}

#[test]
fn a_bulk_decision_happens_whole_even_when_the_deadline_fires() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("comments.db");
    let moderators = moderators_env();
    let a = Server::start_on(&db, &[("COMMENTS_MODERATORS", moderators.as_str())]);
    let session = a.sign_in("ana");
    let posted: Vec<i64> = (0..300)
        .map(|i| {
            a.post_comment(&format!("t{}", i % 7), "Ana", &format!("c{i}"))
                .0
        })
        .collect();
    // The same database, served with a 50 ms deadline.
    let b = Server::start_on(
        &db,
        &[
            ("COMMENTS_MODERATORS", moderators.as_str()),
            ("COMMENTS_REQUEST_TIMEOUT_MS", "50"),
        ],
    );
    let changes: Vec<serde_json::Value> = posted
        .iter()
        .map(|id| serde_json::json!({ "id": id, "to": "approved" }))
        .collect();
    // The session lives in the database: it works on both servers.
    let r = b.decide(&session, serde_json::Value::Array(changes));
    println!(
        "a bulk approval of 300 under a 50 ms deadline answered {}",
        r.status
    );
    let approved = eventually(Duration::from_secs(10), "the bulk decision", || {
        let n = column(&db, "SELECT status FROM comments WHERE status = 'approved'").len();
        std::thread::sleep(Duration::from_millis(300));
        let again = column(&db, "SELECT status FROM comments WHERE status = 'approved'").len();
        (n == again).then_some(n)
    });
    assert_eq!(approved, 300, "all of it, never part");
}

#[test]
fn undo_reverts_only_what_nobody_changed_since() {
    let s = with_moderators(&[]);
    let ana = s.sign_in("ana");
    let bob = s.sign_in("bob");
    let (first, _) = s.post_comment("t", "Reader", "one");
    let (second, _) = s.post_comment("t", "Reader", "two");
    let r = s.decide(
        &ana,
        serde_json::json!([{ "id": first, "to": "approved" }, { "id": second, "to": "approved" }]),
    );
    assert_eq!(r.status, 200);
    // Someone else unpublishes the first one meanwhile.
    let r = s.decide(&bob, serde_json::json!([{ "id": first, "to": "rejected" }]));
    assert_eq!(r.status, 200);
    // Ana's undo: back to pending, only where her decision still stands.
    let r = s.decide(
        &ana,
        serde_json::json!([
            { "id": first, "to": "pending", "from": "approved" },
            { "id": second, "to": "pending", "from": "approved" },
        ]),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let results = r.json()["results"].clone();
    assert_eq!(results[0]["id"], first);
    assert_eq!(results[0]["conflict"], true, "{results}");
    assert_eq!(results[0]["status"], "rejected", "{results}");
    assert_eq!(results[1]["conflict"], false);
    assert_eq!(results[1]["status"], "pending");
    assert_eq!(s.listed("rejected"), vec![first], "bob's decision stands");
}

#[test]
fn full_answers_are_cached_and_every_json_answer_is_compressed_when_accepted() {
    let s = Server::start(&[]);
    let mut tokens = Vec::new();
    for i in 0..40 {
        let (id, token) = s.post_comment(
            "big",
            "Ana",
            &format!("comment number {i}, with some words"),
        );
        assert_eq!(s.bearer_decide(id, "approve").status, 200);
        tokens.push(token);
    }
    let path = "/api/v1/threads/big/comments";
    let plain = s.get(path);
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-encoding"), None);
    let json = plain.json();
    for (encoding, decode) in [
        ("gzip", decode_gzip as fn(&[u8]) -> Vec<u8>),
        ("br", decode_br),
    ] {
        let r = s.request("GET", path, &[("Accept-Encoding", encoding)], b"");
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-encoding"), Some(encoding));
        assert!(
            r.header("vary")
                .is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")),
            "{:?}",
            r.headers
        );
        assert!(r.body.len() * 2 < plain.body.len(), "{encoding} compresses");
        let decoded: serde_json::Value =
            serde_json::from_slice(&decode(&r.body)).expect("decoded JSON");
        assert_eq!(decoded, json);
        assert_eq!(r.header("etag"), plain.header("etag"));
    }
    // The browser's usual header picks brotli.
    let r = s.request(
        "GET",
        path,
        &[("Accept-Encoding", "gzip, deflate, br, zstd")],
        b"",
    );
    assert_eq!(r.header("content-encoding"), Some("br"));
    // Other JSON answers too.
    let r = s.request(
        "POST",
        "/api/v1/comments/status",
        &[
            ("Content-Type", "application/json"),
            ("Accept-Encoding", "gzip"),
        ],
        serde_json::json!({ "tokens": tokens })
            .to_string()
            .as_bytes(),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let decoded: serde_json::Value =
        serde_json::from_slice(&decode_gzip(&r.body)).expect("decoded JSON");
    assert_eq!(decoded["statuses"].as_array().map(Vec::len), Some(40));
}

fn decode_gzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

fn decode_br(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(b, 4096)
        .read_to_end(&mut out)
        .expect("brotli");
    out
}
