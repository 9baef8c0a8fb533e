//! The moderation side over real HTTP and a real database file: sign-in, sessions, CSRF, the queue's content, bulk and undo, the trust rule, webhooks, and mail with single-use links.

mod support;

use comments_server::notify::links::{Link, LinkSigner};
use comments_server::store::Disposition;
use comments_server::store::keys::Keys;
use std::time::{Duration, Instant};
use support::sinks::{SmtpSink, WebhookReceiver};
use support::{MOD_TOKEN, Server, eventually, moderators_env};

fn server(extra: &[(&str, &str)]) -> Server {
    let moderators = moderators_env();
    let mut env = vec![("COMMENTS_MODERATORS", moderators.as_str())];
    env.extend_from_slice(extra);
    Server::start(&env)
}

fn status_of(s: &Server, token: &str) -> String {
    let r = s.post_json(
        "/api/v1/comments/status",
        &serde_json::json!({ "tokens": [token] }).to_string(),
    );
    r.json()["statuses"][0]["status"]
        .as_str()
        .unwrap_or("gone")
        .to_string()
}

fn form_post(s: &Server, path: &str, headers: &[(&str, &str)], form: &str) -> support::Resp {
    let mut all = vec![("Content-Type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    s.request("POST", path, &all, form.as_bytes())
}

#[test]
fn every_moderation_endpoint_needs_a_session() {
    let s = server(&[]);
    let (id, _) = s.post_comment("t", "Ana", "hello");
    for path in [
        "/admin",
        "/admin/comments?status=approved",
        "/admin/thread?key=t",
        "/admin/audit",
        "/admin/reader?key=x",
    ] {
        let r = s.get(path);
        assert_eq!(r.status, 401, "GET {path}");
        assert!(
            r.text().contains("action=\"/admin/login\""),
            "{path} offers sign-in"
        );
        let r = s.request("GET", path, &[("Cookie", "comments_session=forged")], b"");
        assert_eq!(r.status, 401, "GET {path} with a made-up cookie");
    }
    for (path, body) in [
        ("/admin/decide", format!("id={id}&to=approved&csrf=x")),
        ("/admin/logout", "csrf=x".to_string()),
        ("/admin/reader/note", "key=x&note=y&csrf=x".to_string()),
    ] {
        assert_eq!(form_post(&s, path, &[], &body).status, 401, "POST {path}");
    }
    let r = s.post_json(
        "/admin/api/decide",
        &format!(r#"{{"changes":[{{"id":{id},"to":"approved"}}]}}"#),
    );
    assert_eq!((r.status, r.code().as_str()), (401, "unauthorized"));
    let r = s.get("/api/v1/moderation/comments");
    assert_eq!(r.status, 401, "the bearer API needs its token");
    assert!(
        s.get("/api/v1/threads/t/comments").json()["comments"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing was approved"
    );
}

#[test]
fn forged_cross_site_posts_are_refused() {
    let s = server(&[]);
    let session = s.sign_in("ana");
    let (id, token) = s.post_comment("t", "Ana", "hello");
    let body = serde_json::json!({ "changes": [{ "id": id, "to": "approved" }] }).to_string();
    let own = format!("http://{}", s.addr);
    let attempts: [(&str, Vec<(&str, &str)>); 3] = [
        (
            "foreign Origin",
            vec![
                ("Origin", "https://evil.example"),
                ("X-CSRF-Token", &session.csrf),
            ],
        ),
        (
            "cross-site fetch",
            vec![
                ("Sec-Fetch-Site", "cross-site"),
                ("X-CSRF-Token", &session.csrf),
            ],
        ),
        ("no CSRF token", vec![("Origin", &own)]),
    ];
    for (what, extra) in attempts {
        let mut headers = vec![
            ("Cookie", session.cookie.as_str()),
            ("Content-Type", "application/json"),
        ];
        headers.extend(extra);
        let r = s.request("POST", "/admin/api/decide", &headers, body.as_bytes());
        assert_eq!((r.status, r.code().as_str()), (403, "forbidden"), "{what}");
    }
    // The no-script form, as a cross-site page would send it.
    let r = form_post(
        &s,
        "/admin/decide",
        &[
            ("Cookie", &session.cookie),
            ("Origin", "https://evil.example"),
        ],
        &format!("id={id}&to=approved&csrf={}", session.csrf),
    );
    assert_eq!(r.status, 403);
    let r = form_post(
        &s,
        "/admin/decide",
        &[("Cookie", &session.cookie)],
        &format!("id={id}&to=approved&csrf=wrong"),
    );
    assert_eq!(r.status, 403);
    assert_eq!(status_of(&s, &token), "pending", "nothing changed");

    // The real page's form works, and sends the moderator back.
    let r = form_post(
        &s,
        "/admin/decide",
        &[("Cookie", &session.cookie), ("Origin", &own)],
        &format!("id={id}&to=approved&csrf={}&back=%2Fadmin", session.csrf),
    );
    assert_eq!((r.status, r.header("location")), (303, Some("/admin")));
    assert_eq!(status_of(&s, &token), "approved");
}

#[test]
fn wrong_passwords_are_throttled_and_sessions_are_strict_cookies() {
    let s = server(&[]);
    let wrong = |name: &str, pw: &str| {
        form_post(
            &s,
            "/admin/login",
            &[],
            &format!("name={name}&password={pw}"),
        )
    };
    for _ in 0..5 {
        let r = wrong("ana", "nope");
        assert_eq!(r.status, 401);
        assert!(r.text().contains("Wrong name or password."));
    }
    let r = wrong("ana", "nope");
    assert_eq!(r.status, 429, "the sixth attempt in a minute");
    assert!(r.header("retry-after").is_some());
    let right = format!("name=ana&password={}", support::PASSWORD.replace(' ', "+"));
    assert_eq!(
        form_post(&s, "/admin/login", &[], &right).status,
        429,
        "even the right password waits"
    );

    let s = server(&[]);
    let r = form_post(
        &s,
        "/admin/login",
        &[],
        &format!("name=ana&password={}", support::PASSWORD.replace(' ', "+")),
    );
    assert_eq!(r.status, 303);
    let cookie = r.header("set-cookie").unwrap();
    for flag in [
        "HttpOnly",
        "SameSite=Strict",
        "Max-Age=43200",
        "Path=/admin",
    ] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http here");
    let unknown = format!(
        "name=mallory&password={}",
        support::PASSWORD.replace(' ', "+")
    );
    assert_eq!(
        form_post(&s, "/admin/login", &[], &unknown).status,
        401,
        "unknown names fail like wrong passwords"
    );

    let https = server(&[("COMMENTS_PUBLIC_URL", "https://comments.news.example")]);
    let r = form_post(
        &https,
        "/admin/login",
        &[],
        &format!("name=bob&password={}", support::PASSWORD.replace(' ', "+")),
    );
    assert!(r.header("set-cookie").unwrap().contains("; Secure"));

    // Signing out ends the session on the server, not only in the browser.
    let session = s.sign_in("bob");
    let r = form_post(
        &s,
        "/admin/logout",
        &[("Cookie", &session.cookie)],
        &format!("csrf={}", session.csrf),
    );
    assert_eq!(r.status, 303);
    let r = s.request("GET", "/admin", &[("Cookie", &session.cookie)], b"");
    assert_eq!(r.status, 401);
}

#[test]
fn the_queue_shows_context_history_and_signals_as_text() {
    let s = server(&[]);
    let reader = "r".repeat(32);
    let post = |body: &str, reader: &str| {
        let json = serde_json::json!({
            "author": "Ana <b>",
            "body": body,
            "page_title": "Marseille – Miami",
            "page_url": "https://news.example/marseille-miami",
            "reader": reader,
        });
        let r = s.post_json(
            "/api/v1/threads/marseille-miami/comments",
            &json.to_string(),
        );
        assert_eq!(r.status, 202, "{}", r.text());
        r.json()["id"].as_i64().unwrap()
    };
    let earlier = post("first", &reader);
    let rejected = post("second", &reader);
    let session = s.sign_in("ana");
    let r = s.decide(
        &session,
        serde_json::json!([
            { "id": earlier, "to": "approved" },
            { "id": rejected, "to": "rejected" },
        ]),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let spam = post(
        "<script>alert(1)</script> http://a.example http://b.example http://c.example",
        &reader,
    );
    let stranger = post("hello", "");

    let page = s
        .request("GET", "/admin", &[("Cookie", &session.cookie)], b"")
        .text();
    let at = |needle: &str| {
        page.find(needle)
            .unwrap_or_else(|| panic!("{needle} in queue"))
    };
    assert!(
        at(&format!("id=\"c-{spam}\"")) < at(&format!("id=\"c-{stranger}\"")),
        "oldest first"
    );
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.contains("<script>alert"), "reader text is only text");
    assert!(page.contains("Ana &lt;b&gt;"));
    assert!(page.contains(
        "href=\"https://news.example/marseille-miami\" rel=\"noopener noreferrer nofollow\""
    ));
    assert!(page.contains("Marseille – Miami"));
    assert!(
        page.contains("1 approved · 1 rejected before"),
        "the reader's history"
    );
    assert!(
        page.contains("first seen"),
        "no history without a reader key"
    );
    assert!(page.contains("many links"), "the server's signal");
    assert!(page.contains("2 pending"));
    assert!(page.contains("1 approved today") && page.contains("1 rejected today"));

    // Published list, searchable by author and thread; the thread view has all.
    let list = |q: &str| {
        s.request(
            "GET",
            &format!("/admin/comments?{q}"),
            &[("Cookie", &session.cookie)],
            b"",
        )
        .text()
    };
    assert!(list("status=approved&author=ana").contains(&format!("c-{earlier}")));
    assert!(!list("status=approved&author=zed").contains(&format!("c-{earlier}")));
    assert!(!list("status=approved&thread=other").contains(&format!("c-{earlier}")));
    assert!(list("status=rejected").contains(&format!("c-{rejected}")));
    let thread = s
        .request(
            "GET",
            "/admin/thread?key=marseille-miami",
            &[("Cookie", &session.cookie)],
            b"",
        )
        .text();
    for id in [earlier, rejected, spam, stranger] {
        assert!(
            thread.contains(&format!("id=\"c-{id}\"")),
            "{id} in the thread view"
        );
    }
    let audit = s
        .request("GET", "/admin/audit", &[("Cookie", &session.cookie)], b"")
        .text();
    assert!(audit.contains("pending -&gt; approved") && audit.contains("<td>ana</td>"));
    assert!(audit.contains("sign_in"));
}

#[test]
fn bulk_decisions_undo_delete_and_unpublish() {
    let s = server(&[]);
    let session = s.sign_in("ana");
    let comments: Vec<(i64, String)> = (0..3)
        .map(|i| s.post_comment("t", "Ana", &format!("comment {i}")))
        .collect();
    let ids: Vec<i64> = comments.iter().map(|(id, _)| *id).collect();
    let published = || {
        s.get("/api/v1/threads/t/comments").json()["comments"]
            .as_array()
            .unwrap()
            .len()
    };
    let all = |to: &str| {
        serde_json::json!(
            ids.iter()
                .map(|id| serde_json::json!({"id": id, "to": to}))
                .collect::<Vec<_>>()
        )
    };
    let r = s.decide(&session, all("approved"));
    let results = r.json()["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|r| r["previous"] == "pending"));
    assert_eq!(published(), 3);
    // Undo: each back to where it was.
    s.decide(&session, all("pending"));
    assert_eq!(published(), 0);
    assert_eq!(status_of(&s, &comments[0].1), "pending");

    s.decide(
        &session,
        serde_json::json!([{ "id": ids[0], "to": "approved" }]),
    );
    s.decide(
        &session,
        serde_json::json!([{ "id": ids[0], "to": "rejected" }]),
    );
    assert_eq!(published(), 0, "unpublished");
    let r = s.decide(
        &session,
        serde_json::json!([{ "id": ids[1], "to": "deleted" }]),
    );
    assert_eq!(r.json()["results"][0]["previous"], "pending");
    assert_eq!(
        status_of(&s, &comments[1].1),
        "gone",
        "deleted is gone for its author"
    );
    s.decide(
        &session,
        serde_json::json!([{ "id": ids[1], "to": "pending" }]),
    );
    assert_eq!(status_of(&s, &comments[1].1), "pending", "and undoable");
    let r = s.decide(
        &session,
        serde_json::json!([{ "id": 999_999, "to": "approved" }]),
    );
    assert_eq!(r.json()["results"][0]["previous"], serde_json::Value::Null);
    let r = s.decide(
        &session,
        serde_json::json!([{ "id": ids[2], "to": "published" }]),
    );
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_json"));
}

#[test]
fn the_trust_rule_publishes_known_readers_only_when_switched_on() {
    let s = server(&[("COMMENTS_TRUST_AFTER", "2")]);
    let session = s.sign_in("ana");
    let n = std::cell::Cell::new(0);
    let post = |reader: &str| {
        // Different texts: a repeated body is flagged, and flagged comments always wait.
        n.set(n.get() + 1);
        let body = format!("comment number {}", n.get());
        let json = serde_json::json!({ "author": "Ana", "body": body, "reader": reader });
        s.post_json("/api/v1/threads/t/comments", &json.to_string())
            .json()
    };
    let reader = "k".repeat(40);
    for _ in 0..2 {
        let id = post(&reader)["id"].as_i64().unwrap();
        s.decide(
            &session,
            serde_json::json!([{ "id": id, "to": "approved" }]),
        );
    }
    let third = post(&reader);
    assert_eq!(third["status"], "approved", "two approved before: trusted");
    assert_eq!(
        s.get("/api/v1/threads/t/comments").json()["comments"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        post(&"n".repeat(40))["status"],
        "pending",
        "a new reader waits"
    );
    assert_eq!(post("")["status"], "pending", "no key, no trust");
    let audit = s
        .request("GET", "/admin/audit", &[("Cookie", &session.cookie)], b"")
        .text();
    assert!(audit.contains("trust rule"));

    // Off by default.
    let s = server(&[]);
    let session = s.sign_in("ana");
    for _ in 0..3 {
        let id = post_as(&s, &reader);
        s.decide(
            &session,
            serde_json::json!([{ "id": id, "to": "approved" }]),
        );
    }
    let json = serde_json::json!({ "author": "Ana", "body": "one more", "reader": reader });
    let r = s.post_json("/api/v1/threads/t/comments", &json.to_string());
    assert_eq!(r.json()["status"], "pending");

    // And the reader's data can be purged by key.
    let key = sha256_hex(&reader);
    let (ok, out) = s.moderate(&["purge-author", &key]);
    assert!(ok, "{out}");
    assert!(out.contains("Deleted 4 comment(s)"), "{out}");
    assert!(
        s.get("/api/v1/threads/t/comments").json()["comments"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

fn post_as(s: &Server, reader: &str) -> i64 {
    let body = format!("hi at {:?}", Instant::now());
    let json = serde_json::json!({ "author": "Ana", "body": body, "reader": reader });
    s.post_json("/api/v1/threads/t/comments", &json.to_string())
        .json()["id"]
        .as_i64()
        .unwrap()
}

fn sha256_hex(s: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The approve and reject links in a moderator mail.
fn links(mail: &str, base: &str) -> (String, String) {
    let find = |label: &str| {
        mail.lines()
            .find_map(|l| l.strip_prefix(label))
            .map(|l| l.trim().strip_prefix(base).expect("our URL").to_string())
            .unwrap_or_else(|| panic!("{label} in {mail}"))
    };
    (find("Approve:"), find("Reject:"))
}

#[test]
fn webhooks_retry_and_mail_links_work_once_by_post_only() {
    let smtp = SmtpSink::start();
    // The receiver fails once, then accepts; each answer takes 300 ms.
    let hook = WebhookReceiver::start(&[500], Duration::from_millis(300));
    let (smtp_url, hook_url) = (smtp.url(), hook.url());
    let s = server(&[
        ("COMMENTS_SMTP_URL", &smtp_url),
        ("COMMENTS_MAIL_FROM", "Comments <comments@news.example>"),
        ("COMMENTS_WEBHOOK_URL", &hook_url),
        ("COMMENTS_NOTIFY_RETRY_MS", "100"),
    ]);
    let base = format!("http://{}", s.addr);
    let json = serde_json::json!({
        "author": "Ana", "body": "Bravo l'OM", "email": "reader@example.org",
        "page_title": "Marseille – Miami",
    });
    let started = Instant::now();
    let r = s.post_json("/api/v1/threads/t/comments", &json.to_string());
    let took = started.elapsed();
    assert_eq!(r.status, 202);
    assert!(
        took < Duration::from_millis(300),
        "202 before the webhook answers: {took:?}"
    );
    let token = r.json()["token"].as_str().unwrap().to_string();
    let page = s.get("/api/v1/threads/t/comments").json();
    assert_eq!(page["mail"], true, "the widget may offer the author a mail");

    let hooks = eventually(Duration::from_secs(10), "a retried webhook", || {
        let h = hook.hooks();
        (h.len() >= 2).then_some(h)
    });
    assert_eq!(hooks.len(), 2, "one failure, one success, no more");
    assert_eq!(hooks[1].content_type, "application/json");
    assert_eq!(hooks[1].body["event"], "comment.pending");
    assert_eq!(hooks[1].body["comment"]["body"], "Bravo l'OM");

    let mail = eventually(Duration::from_secs(10), "the moderator mail", || {
        smtp.mails()
            .into_iter()
            .find(|m| m.to == ["ana@news.example"])
    });
    assert!(mail.text.contains("Bravo l'OM") && mail.text.contains("Marseille – Miami"));
    let (approve, reject) = links(&mail.text, &base);

    // A GET (a mail scanner's prefetch) changes nothing.
    for _ in 0..2 {
        let r = s.get(&approve);
        assert_eq!(r.status, 200);
        assert!(r.text().contains("Approve this comment"));
    }
    assert_eq!(status_of(&s, &token), "pending");

    let origin = [("Origin", base.as_str())];
    let r = s.request("POST", &approve, &origin, b"");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("Done: the comment is approved."));
    assert_eq!(status_of(&s, &token), "approved");
    let r = s.request("POST", &approve, &origin, b"");
    assert_eq!(r.status, 403, "second use");
    assert!(r.text().contains("already used"));
    let r = s.request("POST", &reject, &origin, b"");
    assert!(
        r.text()
            .contains("Nothing changed: the comment was already approved.")
    );
    assert_eq!(
        status_of(&s, &token),
        "approved",
        "a stale link cannot undo a decision"
    );

    // The author asked for one mail on publication.
    let author_mail = eventually(Duration::from_secs(10), "the author's mail", || {
        smtp.mails()
            .into_iter()
            .find(|m| m.to == ["reader@example.org"])
    });
    assert!(author_mail.text.contains("is now published"));

    // Expired and altered links fail, on GET and POST alike.
    let (id, token) = s.post_comment("t", "Bob", "later");
    let secret = secret_of(&s);
    let signer = LinkSigner::new(&secret);
    let expired = signer.sign(&Link {
        comment_id: id,
        to: Disposition::Approved,
        moderator: "ana".into(),
        expires_at: 1_000,
        nonce: "n-expired".into(),
    });
    let r = s.get(&format!("/admin/mail/{expired}"));
    assert_eq!(r.status, 403);
    assert!(r.text().contains("expired"));
    let r = s.request("POST", &format!("/admin/mail/{expired}"), &origin, b"");
    assert_eq!(r.status, 403);
    let forged = expired.replacen(".1000.", ".99999999999999.", 1);
    assert_eq!(
        s.request("POST", &format!("/admin/mail/{forged}"), &origin, b"")
            .status,
        403
    );
    assert_eq!(status_of(&s, &token), "pending");
    let audit = s
        .request(
            "GET",
            "/admin/audit",
            &[("Cookie", &s.sign_in("bob").cookie)],
            b"",
        )
        .text();
    assert!(audit.contains("ana (mail link)"));
}

/// The mail-link key, from the key file beside the database.
fn secret_of(s: &Server) -> String {
    let text = std::fs::read_to_string(s.db.with_extension("key")).expect("the key file");
    let keys: Keys = toml::from_str(&text).expect("keys");
    keys.mail_link_key
}

#[test]
fn moderators_ban_a_reader_from_the_queue_list_and_lift_it() {
    let s = server(&[]);
    let session = s.sign_in("ana");
    let own = format!("http://{}", s.addr);
    let reader = "b".repeat(24);
    let first = post_as(&s, &reader);
    let second = post_as(&s, &reader);
    // The queue offers it on each row, with a CSRF token.
    let queue = s
        .request("GET", "/admin", &[("Cookie", &session.cookie)], b"")
        .text();
    assert!(queue.contains("action=\"/admin/reader\""), "{queue}");
    let act = |form: &str| {
        form_post(
            &s,
            "/admin/reader",
            &[("Cookie", &session.cookie), ("Origin", &own)],
            &format!("{form}&csrf={}&back=%2Fadmin", session.csrf),
        )
    };
    let forged = form_post(
        &s,
        "/admin/reader",
        &[("Cookie", &session.cookie)],
        &format!("id={first}&act=ban&days=7&csrf=wrong"),
    );
    assert_eq!(forged.status, 403);
    let r = act(&format!("id={first}&act=ban&days=0"));
    assert_eq!((r.status, r.header("location")), (303, Some("/admin")));
    let r = act(&format!("id={first}&act=reject-pending"));
    assert_eq!(r.status, 303);
    let bans = s
        .request("GET", "/admin/bans", &[("Cookie", &session.cookie)], b"")
        .text();
    assert!(
        bans.contains("for good") && bans.contains(&format!("#{first}")),
        "{bans}"
    );
    assert!(bans.contains("and their network"), "{bans}");
    // Both waiting comments were rejected in one action, and audited.
    let audit = s
        .request("GET", "/admin/audit", &[("Cookie", &session.cookie)], b"")
        .text();
    assert!(audit.contains("reader banned for good"), "{audit}");
    for id in [first, second] {
        assert!(audit.contains(&format!("#{id}")), "{audit}");
    }
    let later = post_as(&s, &reader);
    let rejected = s
        .request(
            "GET",
            "/admin/comments?status=rejected",
            &[("Cookie", &session.cookie)],
            b"",
        )
        .text();
    assert!(
        rejected.contains(&format!("id=\"c-{later}\"")),
        "banned: straight to Rejected"
    );
    assert!(rejected.contains(">banned<"), "its signal: {rejected}");
    // Lifted from the Bans page.
    let id = bans
        .split("name=\"id\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a ban id")
        .to_string();
    let r = form_post(
        &s,
        "/admin/bans/lift",
        &[("Cookie", &session.cookie), ("Origin", &own)],
        &format!("id={id}&csrf={}", session.csrf),
    );
    assert_eq!((r.status, r.header("location")), (303, Some("/admin/bans")));
    let bans = s
        .request("GET", "/admin/bans", &[("Cookie", &session.cookie)], b"")
        .text();
    assert!(bans.contains("No reader is banned."), "{bans}");
    let after = post_as(&s, &reader);
    let queue = s
        .request("GET", "/admin", &[("Cookie", &session.cookie)], b"")
        .text();
    assert!(
        queue.contains(&format!("id=\"c-{after}\"")),
        "posting as before"
    );
}

#[test]
fn a_private_note_on_a_reader_shows_in_the_queue_and_their_history_only() {
    let s = server(&[]);
    let session = s.sign_in("ana");
    let own = format!("http://{}", s.addr);
    let reader = "n".repeat(24);
    let key = sha256_hex(&reader);
    let first = post_as(&s, &reader);
    let second = post_as(&s, &reader);
    let stranger = post_as(&s, &"z".repeat(24));
    let cookie = [("Cookie", session.cookie.as_str())];
    let note = |key: &str, note: &str, csrf: &str| {
        form_post(
            &s,
            "/admin/reader/note",
            &[("Cookie", &session.cookie), ("Origin", &own)],
            &format!(
                "key={key}&note={}&csrf={csrf}",
                comments_server::notify::links::query_value(note)
            ),
        )
    };
    // The queue links each reader to their history page.
    let queue = s.request("GET", "/admin", &cookie, b"").text();
    let history = format!("/admin/reader?key={key}");
    assert!(queue.contains(&format!("href=\"{history}\"")), "{queue}");
    assert_eq!(note(&key, "warned", "forged").status, 403);
    let r = note(&key, "  warned on 12 Nov <b>  ", &session.csrf);
    assert_eq!(
        (r.status, r.header("location")),
        (303, Some(history.as_str()))
    );
    let queue = s.request("GET", "/admin", &cookie, b"").text();
    let shown = "Note: warned on 12 Nov &lt;b&gt;</span>";
    assert_eq!(queue.matches(shown).count(), 2, "beside both: {queue}");
    let page = s.request("GET", &history, &cookie, b"");
    assert_eq!(page.status, 200);
    let page = page.text();
    for id in [first, second] {
        assert!(page.contains(&format!("id=\"c-{id}\"")), "{page}");
    }
    assert!(!page.contains(&format!("id=\"c-{stranger}\"")), "{page}");
    assert!(
        page.contains(">warned on 12 Nov &lt;b&gt;</textarea>"),
        "{page}"
    );
    assert!(page.contains("Last written by ana"), "{page}");
    // Readers never see it: not in the thread's answers, nor its page.
    assert_eq!(
        s.bearer_decide(first, "approve").status,
        200,
        "published, note and all"
    );
    for path in [
        "/api/v1/threads/t/comments",
        "/threads/t",
        "/api/v1/threads/t/comments.html",
    ] {
        let public = s.get(path).text();
        assert!(!public.contains("warned"), "{path}: {public}");
    }
    // Bad notes change nothing.
    let long = "x".repeat(501);
    for (bad, status, code) in [
        (long.as_str(), 400, "invalid_parameter"),
        ("bell \u{7}", 422, "control_character"),
    ] {
        let r = note(&key, bad, &session.csrf);
        assert_eq!(r.status, status, "{bad:?}: {}", r.text());
        assert!(r.text().contains(code), "{}", r.text());
    }
    assert_eq!(note("0123abcd", "who?", &session.csrf).status, 404);
    assert_eq!(
        s.request("GET", "/admin/reader?key=0123abcd", &cookie, b"")
            .status,
        404
    );
    assert_eq!(s.request("GET", "/admin/reader", &cookie, b"").status, 400);
    let queue = s.request("GET", "/admin", &cookie, b"").text();
    assert!(queue.contains(shown), "still the first note");
    // The bearer API: the same checks, and an empty note removes it.
    let api = |body: String, token: &str| {
        s.request(
            "POST",
            "/api/v1/moderation/readers/note",
            &[
                ("Content-Type", "application/json"),
                ("Authorization", &format!("Bearer {token}")),
            ],
            body.as_bytes(),
        )
    };
    let body =
        |key: &str, note: &str| serde_json::json!({ "reader": key, "note": note }).to_string();
    for (r, status, code) in [
        (api(body(&key, "x"), "wrong"), 401, "unauthorized"),
        (api("{".into(), MOD_TOKEN), 400, "invalid_json"),
        (
            api(r#"{"reader":"a"}"#.into(), MOD_TOKEN),
            400,
            "invalid_json",
        ),
        (api(body(&key, &long), MOD_TOKEN), 400, "invalid_parameter"),
        (
            api(body(&key, "\u{1b}[31m"), MOD_TOKEN),
            422,
            "control_character",
        ),
        (api(body("", "x"), MOD_TOKEN), 404, "not_found"),
    ] {
        assert_eq!(
            (r.status, r.code()),
            (status, code.to_string()),
            "{}",
            r.text()
        );
    }
    let r = api(body(&key, "escalated"), MOD_TOKEN);
    assert_eq!(r.status, 200, "{}", r.text());
    let r = api(body(&key, ""), MOD_TOKEN);
    assert_eq!(r.status, 200, "{}", r.text());
    let queue = s.request("GET", "/admin", &cookie, b"").text();
    assert!(!queue.contains("Note: "), "removed: {queue}");
    let audit = s.request("GET", "/admin/audit", &cookie, b"").text();
    let short = &key[..8];
    for line in [
        format!("note on reader {short}: warned on 12 Nov &lt;b&gt;"),
        format!("note on reader {short}: escalated"),
        format!("note on reader {short} removed"),
    ] {
        assert!(audit.contains(&line), "{line} in {audit}");
    }
}

#[test]
fn desks_filter_the_queue_by_section_and_site() {
    let s = server(&[]);
    let post = |thread: &str, url: &str| {
        let json =
            serde_json::json!({ "author": "Ana", "body": format!("on {thread}"), "page_url": url });
        let r = s.post_json(
            &format!("/api/v1/threads/{}/comments", thread.replace('/', "%2F")),
            &json.to_string(),
        );
        assert_eq!(r.status, 202, "{}", r.text());
        r.json()["id"].as_i64().unwrap()
    };
    let match_a = post("sport/om-psg", "https://news.example/sport/om-psg");
    let other_site = post("sport/ol", "https://other.example/sport/ol");
    let other_section = post("culture/expo", "https://news.example/culture/expo");
    let lookalike = post("sportif", "https://news.example.evil/x");
    let auth = format!("Bearer {MOD_TOKEN}");
    let ids = |query: &str| -> Vec<i64> {
        let r = s.request(
            "GET",
            &format!("/api/v1/moderation/comments?{query}"),
            &[("Authorization", &auth)],
            b"",
        );
        assert_eq!(r.status, 200, "{query}: {}", r.text());
        r.json()["comments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(ids("section=sport%2F"), [match_a, other_site]);
    assert_eq!(
        ids("site=https%3A%2F%2FNEWS.example%2F"),
        [match_a, other_section]
    );
    assert_eq!(
        ids("section=sport%2F&site=https%3A%2F%2Fnews.example"),
        [match_a]
    );
    assert_eq!(
        ids("section=&site="),
        [match_a, other_site, other_section, lookalike]
    );
    let bad = s.request(
        "GET",
        "/api/v1/moderation/comments?site=news.example%2Fpath",
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(
        (bad.status, bad.code().as_str()),
        (400, "invalid_parameter")
    );
    // The queue page filters the same way, and keeps the filter in its form.
    let session = s.sign_in("ana");
    let page = s
        .request(
            "GET",
            "/admin?section=sport%2F&site=https%3A%2F%2Fnews.example",
            &[("Cookie", &session.cookie)],
            b"",
        )
        .text();
    assert!(page.contains(&format!("id=\"c-{match_a}\"")), "{page}");
    for id in [other_site, other_section, lookalike] {
        assert!(
            !page.contains(&format!("id=\"c-{id}\"")),
            "{id} filtered out"
        );
    }
    assert!(
        page.contains("name=\"section\" placeholder=\"sport/\" value=\"sport/\""),
        "{page}"
    );
}

#[test]
fn a_section_can_be_post_moderated_and_one_thread_kept_pre_moderated() {
    let s = server(&[]);
    let auth = format!("Bearer {MOD_TOKEN}");
    let set = |pattern: &str, mode: &str| {
        s.request(
            "POST",
            "/api/v1/moderation/modes",
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            serde_json::json!({ "pattern": pattern, "mode": mode })
                .to_string()
                .as_bytes(),
        )
    };
    let post = |thread: &str, body: &str| {
        let json = serde_json::json!({ "author": "Ana", "body": body });
        let r = s.post_json(
            &format!("/api/v1/threads/{}/comments", thread.replace('/', "%2F")),
            &json.to_string(),
        );
        assert_eq!(r.status, 202, "{}", r.text());
        r.json()["status"].as_str().unwrap().to_string()
    };
    assert_eq!(post("sport/om", "before"), "pending");
    assert_eq!(set("sport/*", "post").status, 200);
    let r = set("sport/derby", "pre");
    assert_eq!(r.json()["modes"].as_array().map(Vec::len), Some(2));
    assert_eq!(post("sport/om", "published at once"), "approved");
    assert_eq!(post("sport/derby", "this one waits"), "pending");
    assert_eq!(post("sportif", "not in the section"), "pending");
    assert_eq!(
        post(
            "sport/om",
            "buy https://a.example https://b.example https://c.example"
        ),
        "pending",
        "a comment with a signal still waits"
    );
    // The trusted mode needs the trust rule, which is off here.
    assert_eq!(set("culture/*", "trusted").status, 200);
    assert_eq!(post("culture/expo", "waits"), "pending");
    // Removed: back to the default.
    assert_eq!(set("sport/*", "default").status, 200);
    assert_eq!(post("sport/om", "waits again"), "pending");
    for (pattern, mode) in [("", "post"), ("sport/*", "fast"), ("a\u{7}b", "pre")] {
        let r = set(pattern, mode);
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "invalid_parameter"),
            "{pattern} {mode}"
        );
    }
    // The moderation pages show and set them, and the audit log says who.
    let session = s.sign_in("ana");
    let own = format!("http://{}", s.addr);
    let r = form_post(
        &s,
        "/admin/modes",
        &[("Cookie", &session.cookie), ("Origin", &own)],
        &format!("pattern=news%2F*&mode=post&csrf={}", session.csrf),
    );
    assert_eq!(
        (r.status, r.header("location")),
        (303, Some("/admin/modes"))
    );
    let page = s
        .request("GET", "/admin/modes", &[("Cookie", &session.cookie)], b"")
        .text();
    assert!(
        page.contains("<code>news/*</code>") && page.contains("<code>sport/derby</code>"),
        "{page}"
    );
    let audit = s
        .request("GET", "/admin/audit", &[("Cookie", &session.cookie)], b"")
        .text();
    assert!(audit.contains("news/*: default -&gt; post"), "{audit}");
    assert!(audit.contains("post-moderation"), "{audit}");
    let thread = s
        .request(
            "GET",
            "/admin/thread?key=sport%2Fderby",
            &[("Cookie", &session.cookie)],
            b"",
        )
        .text();
    assert!(
        thread.contains("<option value=\"pre\" selected>"),
        "{thread}"
    );
}
