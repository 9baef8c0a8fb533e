//! The public and moderation HTTP API, over a real port against a real SQLite file.

mod support;

use std::time::Duration;
use support::{MOD_TOKEN, Server, eventually, ids};

#[test]
fn post_is_pending_until_approved_from_the_cli_then_public() {
    let server = Server::start(&[]);
    let (id, token) = server.post_comment("marseille-miami", "Ana", "  Bravo ! \r\nDeux lignes.  ");
    assert_eq!(token.len(), 64);

    let list = server.get("/api/v1/threads/marseille-miami/comments");
    assert_eq!(list.status, 200);
    assert!(
        ids(&list.json()).is_empty(),
        "pending comments are not public"
    );

    let status = server.post_json(
        "/api/v1/comments/status",
        &format!(r#"{{"tokens":["{token}","unknown-token"]}}"#),
    );
    assert_eq!(status.status, 200, "{}", status.text());
    let v = status.json();
    assert_eq!(v["statuses"][0]["id"], id);
    assert_eq!(v["statuses"][0]["status"], "pending");
    assert!(v["statuses"][1]["status"].is_null());

    let (ok, out) = server.moderate(&["list"]);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("#{id}")) && out.contains("Bravo"),
        "{out}"
    );
    let (ok, out) = server.moderate(&["approve", &id.to_string()]);
    assert!(ok && out.contains("pending -> approved"), "{out}");

    // The running server notices the CLI's change by itself.
    let page = eventually(Duration::from_secs(5), "approved comment", || {
        let v = server
            .get("/api/v1/threads/marseille-miami/comments")
            .json();
        (ids(&v) == vec![id]).then_some(v)
    });
    let c = &page["comments"][0];
    assert_eq!(c["author"], "Ana");
    assert_eq!(
        c["html"], "<p>Bravo !<br>\nDeux lignes.</p>\n",
        "trimmed, CRLF folded, rendered"
    );
    assert!(c["created_at"].as_i64().unwrap() > 1_700_000_000_000);
    let status = server.post_json(
        "/api/v1/comments/status",
        &format!(r#"{{"tokens":["{token}"]}}"#),
    );
    assert_eq!(status.json()["statuses"][0]["status"], "approved");
}

#[test]
fn etag_gives_304_until_the_thread_changes() {
    let server = Server::start(&[]);
    let path = "/api/v1/threads/t%2Fwith%2Fslashes/comments";
    let first = server.get(path);
    assert_eq!(first.status, 200);
    assert_eq!(first.json()["thread"], "t/with/slashes");
    let tag = first.header("etag").expect("etag").to_string();
    assert_eq!(first.header("cache-control"), Some("no-cache"));

    let again = server.request("GET", path, &[("If-None-Match", &tag)], b"");
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(tag.as_str()));

    // A pending comment does not change the public list, so still 304.
    let (id, _) = server.post_comment("t%2Fwith%2Fslashes", "Bo", "hello");
    assert_eq!(
        server
            .request("GET", path, &[("If-None-Match", &tag)], b"")
            .status,
        304
    );

    // Approving over HTTP changes it at once.
    let auth = format!("Bearer {MOD_TOKEN}");
    let r = server.request(
        "POST",
        &format!("/api/v1/moderation/comments/{id}/approve"),
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["thread"], "t/with/slashes");
    let changed = server.request("GET", path, &[("If-None-Match", &tag)], b"");
    assert_eq!(changed.status, 200);
    assert_ne!(changed.header("etag"), Some(tag.as_str()));
    assert_eq!(ids(&changed.json()), vec![id]);
    let weak = format!("W/{}", changed.header("etag").unwrap());
    assert_eq!(
        server
            .request("GET", path, &[("If-None-Match", &weak)], b"")
            .status,
        304
    );
}

#[test]
fn every_validation_error_has_its_code_and_status() {
    let server = Server::start(&[]);
    let post = "/api/v1/threads/t/comments";
    let json = [("Content-Type", "application/json")];
    let long_thread = format!("/api/v1/threads/{}/comments", "a".repeat(513));
    // (case, path, headers, body, expected status, expected code)
    type Case<'a> = (
        &'a str,
        String,
        Vec<(&'a str, &'a str)>,
        Vec<u8>,
        u16,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "empty author",
            post.into(),
            json.to_vec(),
            br#"{"author":"  ","body":"x"}"#.to_vec(),
            422,
            "author_empty",
        ),
        (
            "long author",
            post.into(),
            json.to_vec(),
            format!(r#"{{"author":"{}","body":"x"}}"#, "é".repeat(65)).into_bytes(),
            422,
            "author_too_long",
        ),
        (
            "empty body",
            post.into(),
            json.to_vec(),
            br#"{"author":"a","body":"\n\t "}"#.to_vec(),
            422,
            "body_empty",
        ),
        (
            "long body",
            post.into(),
            json.to_vec(),
            format!(r#"{{"author":"a","body":"{}"}}"#, "x".repeat(5001)).into_bytes(),
            422,
            "body_too_long",
        ),
        (
            "control char",
            post.into(),
            json.to_vec(),
            br#"{"author":"a","body":"bell\u0007"}"#.to_vec(),
            422,
            "control_character",
        ),
        (
            "newline in author",
            post.into(),
            json.to_vec(),
            br#"{"author":"a\nb","body":"x"}"#.to_vec(),
            422,
            "control_character",
        ),
        (
            "malformed json",
            post.into(),
            json.to_vec(),
            b"{\"author\":".to_vec(),
            400,
            "invalid_json",
        ),
        (
            "wrong type",
            post.into(),
            json.to_vec(),
            br#"{"author":1,"body":"x"}"#.to_vec(),
            400,
            "invalid_json",
        ),
        (
            "missing field",
            post.into(),
            json.to_vec(),
            br#"{"author":"a"}"#.to_vec(),
            400,
            "invalid_json",
        ),
        (
            "unknown field",
            post.into(),
            json.to_vec(),
            br#"{"author":"a","body":"x","admin":true}"#.to_vec(),
            400,
            "invalid_json",
        ),
        (
            "invalid utf-8",
            post.into(),
            json.to_vec(),
            b"{\"author\":\"\xff\",\"body\":\"x\"}".to_vec(),
            400,
            "invalid_json",
        ),
        (
            "no content type",
            post.into(),
            vec![],
            br#"{"author":"a","body":"x"}"#.to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "text/plain",
            post.into(),
            vec![("Content-Type", "text/plain")],
            br#"{"author":"a","body":"x"}"#.to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "oversized",
            post.into(),
            json.to_vec(),
            vec![b' '; 70 * 1024],
            413,
            "payload_too_large",
        ),
        (
            "long thread",
            long_thread,
            json.to_vec(),
            br#"{"author":"a","body":"x"}"#.to_vec(),
            400,
            "invalid_thread",
        ),
        (
            "bad utf-8 thread",
            "/api/v1/threads/%FF/comments".into(),
            json.to_vec(),
            br#"{"author":"a","body":"x"}"#.to_vec(),
            400,
            "invalid_thread",
        ),
        (
            "control in thread",
            "/api/v1/threads/a%01/comments".into(),
            json.to_vec(),
            br#"{"author":"a","body":"x"}"#.to_vec(),
            400,
            "invalid_thread",
        ),
        (
            "too many tokens",
            "/api/v1/comments/status".into(),
            json.to_vec(),
            format!(r#"{{"tokens":[{}]}}"#, vec!["\"t\""; 51].join(",")).into_bytes(),
            422,
            "too_many_tokens",
        ),
        (
            "unknown route",
            "/api/v1/nope".into(),
            vec![],
            vec![],
            404,
            "not_found",
        ),
    ];
    for (name, path, headers, body, status, code) in cases {
        let r = server.request("POST", &path, &headers, &body);
        assert_eq!(r.status, status, "{name}: {}", r.text());
        assert_eq!(r.code(), code, "{name}");
        assert!(
            !r.json()["error"]["message"].as_str().unwrap().is_empty(),
            "{name}"
        );
    }
    let r = server.request("DELETE", post, &[], b"");
    assert_eq!((r.status, r.code().as_str()), (405, "method_not_allowed"));
    let r = server.get(&format!("/api/v1/threads/{}/comments", "a".repeat(513)));
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_thread"));
    // Nothing invalid was stored.
    let (_, out) = server.moderate(&["list"]);
    assert!(out.contains("No comment awaits moderation"), "{out}");
}

#[test]
fn cors_lets_any_page_read_threads_and_etags() {
    let server = Server::start(&[]);
    let origin = [("Origin", "http://news.example")];
    let pre = server.request(
        "OPTIONS",
        "/api/v1/threads/t/comments",
        &[
            ("Origin", "http://news.example"),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "content-type,if-none-match",
            ),
        ],
        b"",
    );
    assert!(pre.status < 300, "{}", pre.status);
    assert_eq!(pre.header("access-control-allow-origin"), Some("*"));
    let allowed = pre
        .header("access-control-allow-headers")
        .unwrap()
        .to_lowercase();
    assert!(
        allowed.contains("content-type") && allowed.contains("if-none-match"),
        "{allowed}"
    );
    assert!(
        pre.header("access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );

    let get = server.request("GET", "/api/v1/threads/t/comments", &origin, b"");
    assert_eq!(get.header("access-control-allow-origin"), Some("*"));
    let exposed = get
        .header("access-control-expose-headers")
        .unwrap()
        .to_lowercase();
    assert!(
        exposed.contains("etag") && exposed.contains("retry-after"),
        "{exposed}"
    );

    let js = server.request("GET", "/embed.js", &origin, b"");
    assert_eq!(js.status, 200);
    assert_eq!(js.header("access-control-allow-origin"), Some("*"));
}

#[test]
fn widget_assets_are_served_with_types_caching_and_compression() {
    let server = Server::start(&[]);
    let loader = server.get("/embed.js");
    assert_eq!(loader.status, 200, "{}", loader.text());
    assert!(
        loader
            .header("content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    assert_eq!(loader.header("cache-control"), Some("public, max-age=300"));
    let text = loader.text();
    assert!(text.contains(".currentScript.src"), "finds its own URL");
    assert!(!text.contains("__ASSET_DIR__"), "placeholders are filled");
    let dir = text
        .split('"')
        .find(|s| s.starts_with("w/"))
        .expect("asset dir in loader")
        .to_string();
    let wasm_name = text
        .split('"')
        .find(|s| s.ends_with("_bg.wasm"))
        .expect("wasm name")
        .to_string();
    let wasm = server.get(&format!("/{dir}{wasm_name}"));
    assert_eq!(wasm.status, 200);
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
    assert_eq!(
        wasm.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(&wasm.body[..4], b"\0asm");
    // Pre-compressed: brotli when accepted, else gzip, each with Vary.
    let br = server.request(
        "GET",
        &format!("/{dir}{wasm_name}"),
        &[("Accept-Encoding", "gzip, deflate, br")],
        b"",
    );
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert_eq!(br.header("vary"), Some("Accept-Encoding"));
    let gz = server.request(
        "GET",
        &format!("/{dir}{wasm_name}"),
        &[("Accept-Encoding", "gzip")],
        b"",
    );
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert!(br.body.len() < gz.body.len() && gz.body.len() < wasm.body.len() / 2);
    let mut unpacked = Vec::new();
    std::io::Read::read_to_end(
        &mut brotli::Decompressor::new(&br.body[..], 4096),
        &mut unpacked,
    )
    .expect("brotli");
    assert_eq!(unpacked, wasm.body, "the same file");
    let css = server.get(&format!("/{dir}widget.css"));
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    assert_eq!(server.get("/w/000000000000/widget.css").status, 404);
    let bad = server.get("/w/%FF/widget.css");
    assert_eq!((bad.status, bad.code().as_str()), (404, "not_found"));

    // The closest language file to any BCP 47 tag: the whole tag, its
    // language, else English (the loader carries no list of languages).
    let lang = |tag: &str| {
        let r = server.get(&format!("/{dir}i18n/{tag}.json"));
        assert_eq!(r.status, 200, "{tag}");
        assert_eq!(
            r.header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        r.json()["lang"].as_str().unwrap_or("").to_string()
    };
    for (tag, file) in [
        ("fr", "fr"),
        ("pt-br", "pt"),
        ("AR-EG", "ar"),
        ("ja-jp-u-ca-japanese", "ja"),
        ("uk", "uk"),
        ("zz", "en"),
        ("%2E%2E%2Fembed", "en"),
        ("", "en"),
    ] {
        assert_eq!(lang(tag), file, "{tag}");
    }
}

#[test]
fn posting_is_rate_limited_per_network_with_retry_after() {
    let server = Server::start(&[
        ("COMMENTS_POST_BURST", "2"),
        ("COMMENTS_POST_REFILL_SECONDS", "30"),
    ]);
    server.post_comment("t", "a", "one");
    server.post_comment("t", "a", "two");
    let r = server.post_json(
        "/api/v1/threads/t/comments",
        r#"{"author":"a","body":"three"}"#,
    );
    assert_eq!(r.status, 429);
    assert_eq!(r.code(), "rate_limited");
    let wait: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=30).contains(&wait), "{wait}");
}

#[test]
fn reading_is_rate_limited_per_network_too() {
    let server = Server::start(&[
        ("COMMENTS_READ_BURST", "5"),
        ("COMMENTS_READ_PER_SECOND", "1"),
    ]);
    let path = "/api/v1/threads/t/comments";
    let tag = server.get(path).header("etag").unwrap().to_string();
    for _ in 0..4 {
        // 304s count: a poller that never gets a change still polls.
        assert_eq!(
            server
                .request("GET", path, &[("If-None-Match", &tag)], b"")
                .status,
            304
        );
    }
    let limited = server.get(path);
    assert_eq!(
        (limited.status, limited.code().as_str()),
        (429, "rate_limited")
    );
    assert_eq!(limited.header("retry-after"), Some("1"));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(server.get(path).status, 200, "one more per second");
}

#[test]
fn moderation_over_http_needs_the_bearer_token() {
    let server = Server::start(&[]);
    let (id, _) = server.post_comment("t", "a", "x");
    let list = "/api/v1/moderation/comments";
    assert_eq!(server.get(list).status, 401);
    let wrong = server.request("GET", list, &[("Authorization", "Bearer nope")], b"");
    assert_eq!((wrong.status, wrong.code().as_str()), (401, "unauthorized"));
    let reject = format!("/api/v1/moderation/comments/{id}/reject");
    assert_eq!(server.request("POST", &reject, &[], b"").status, 401);

    let auth = format!("Bearer {MOD_TOKEN}");
    let ok = server.request("GET", list, &[("Authorization", &auth)], b"");
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json()["comments"][0]["id"], id);
    let r = server.request("POST", &reject, &[("Authorization", &auth)], b"");
    assert_eq!(r.json()["status"], "rejected");
    let missing = server.request(
        "POST",
        "/api/v1/moderation/comments/999999/approve",
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(
        (missing.status, missing.code().as_str()),
        (404, "not_found")
    );
    let bad_id = server.request(
        "POST",
        "/api/v1/moderation/comments/abc/approve",
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(
        (bad_id.status, bad_id.code().as_str()),
        (400, "invalid_parameter")
    );
    for query in ["?status=nope", "?limit=lots"] {
        let path = format!("{list}{query}");
        let r = server.request("GET", &path, &[("Authorization", &auth)], b"");
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "invalid_parameter"),
            "{query}"
        );
    }

    let without = Server::start(&[("COMMENTS_MODERATION_TOKEN", "")]);
    let r = without.request("GET", list, &[("Authorization", "Bearer anything")], b"");
    assert_eq!(r.status, 401);
    assert!(r.text().contains("disabled"), "{}", r.text());
}

#[test]
fn acknowledged_comments_survive_kill_9_and_sigterm_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let mut server = Server::start_on(&db, &[]);
    let (id, _) = server.post_comment("t", "a", "survives");
    server.kill9();
    let server = Server::start_on(&db, &[]);
    let (_, out) = server.moderate(&["list"]);
    assert!(
        out.contains(&format!("#{id}")) && out.contains("survives"),
        "{out}"
    );
    assert_eq!(server.get("/healthz").status, 200);
    let status = server.terminate();
    assert!(status.success(), "SIGTERM exits cleanly: {status}");
}

#[test]
fn cli_reports_bad_ids_and_unknown_commands() {
    let server = Server::start(&[]);
    let (ok, out) = server.moderate(&["approve", "abc"]);
    assert!(
        !ok && out.contains("invalid value 'abc' for '<ID>'"),
        "{out}"
    );
    let (ok, out) = server.moderate(&["approve", "424242"]);
    assert!(!ok && out.contains("No comment with id 424242"), "{out}");
    let (ok, out) = server.moderate(&["frobnicate"]);
    assert!(
        !ok && out.contains("unrecognized subcommand 'frobnicate'"),
        "{out}"
    );
}

#[test]
fn demo_page_shows_the_article_and_the_public_script_tag() {
    let article = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../demo/tramway-de-nuit.txt"
    );
    let server = Server::start(&[("COMMENTS_DEMO_ARTICLE", article)]);
    let page = server.get("/");
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains(
        "<h1>À Marseille, le tramway de nuit tient ses promesses après six mois d'essai</h1>"
    ));
    assert!(html.contains("<p class=\"standfirst\">Lancé au printemps"));
    assert!(html.contains("<h2>Un coût qui fait débat</h2>"));
    assert!(html.contains(r#"<div data-comments data-thread="tramway-de-nuit"></div>"#));
    assert!(html.contains(r#"<script src="/embed.js" async></script>"#));
    assert!(!html.contains("%ARTICLE"));
    // Without a demo article, `/` is a landing page with the snippet.
    let plain = Server::start(&[]);
    assert!(plain.get("/").text().contains("data-comments"));
}

#[test]
fn only_allowed_sites_may_post_or_read_across_origins() {
    let server = Server::start(&[("COMMENTS_ALLOWED_ORIGINS", "http://news.example")]);
    let post = "/api/v1/threads/t/comments";
    let good = br#"{"author":"a","body":"x"}"#;
    let json = ("Content-Type", "application/json");
    for (origin, body) in [
        (None, &good[..]),
        (Some("http://evil.example"), &good[..]),
        (Some("http://evil.example"), &b"{not json"[..]),
        (Some("https://news.example"), &good[..]),
    ] {
        let mut headers = vec![json];
        if let Some(o) = origin {
            headers.push(("Origin", o));
        }
        let r = server.request("POST", post, &headers, body);
        assert_eq!(
            (r.status, r.code().as_str()),
            (403, "origin_not_allowed"),
            "{origin:?}"
        );
        let s = server.request(
            "POST",
            "/api/v1/comments/status",
            &headers,
            br#"{"tokens":[]}"#,
        );
        assert_eq!(s.status, 403, "{origin:?}");
    }
    let ok = server.request(
        "POST",
        post,
        &[json, ("Origin", "http://news.example")],
        good,
    );
    assert_eq!(ok.status, 202, "{}", ok.text());
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some("http://news.example")
    );

    let preflight = |origin: &str| {
        server.request(
            "OPTIONS",
            post,
            &[
                ("Origin", origin),
                ("Access-Control-Request-Method", "POST"),
            ],
            b"",
        )
    };
    assert_eq!(
        preflight("http://news.example").header("access-control-allow-origin"),
        Some("http://news.example")
    );
    assert_eq!(
        preflight("http://evil.example").header("access-control-allow-origin"),
        None
    );
    let read = server.request("GET", post, &[("Origin", "http://evil.example")], b"");
    assert_eq!(
        read.header("access-control-allow-origin"),
        None,
        "a foreign page cannot read"
    );
}

#[test]
fn a_full_moderation_queue_answers_503_until_moderators_catch_up() {
    let server = Server::start(&[
        ("COMMENTS_PENDING_PER_THREAD", "2"),
        ("COMMENTS_PENDING_TOTAL", "3"),
    ]);
    let post = |thread: &str| {
        server.post_json(
            &format!("/api/v1/threads/{thread}/comments"),
            r#"{"author":"a","body":"x"}"#,
        )
    };
    let (first, _) = server.post_comment("t1", "a", "one");
    server.post_comment("t1", "a", "two");
    let full = post("t1");
    assert_eq!((full.status, full.code().as_str()), (503, "queue_full"));
    assert_eq!(full.header("retry-after"), Some("300"));
    assert_eq!(post("t2").status, 202, "other threads still have room");
    assert_eq!(
        post("t3").code(),
        "queue_full",
        "the whole queue is full now"
    );
    assert!(server.moderate(&["approve", &first.to_string()]).0);
    assert_eq!(post("t3").status, 202);
}

#[test]
fn spam_signals_flag_comments_in_the_queue() {
    let server = Server::start(&[]);
    let (links, _) = server.post_comment(
        "t",
        "a",
        "buy https://a.example https://b.example www.c.example",
    );
    let (first, _) = server.post_comment("t", "b", "Same words again");
    let (again, _) = server.post_comment("u", "c", "  Same words again ");
    let (plain, _) = server.post_comment("t", "d", "one link https://ok.example is fine");
    let auth = format!("Bearer {MOD_TOKEN}");
    let queue = server
        .request(
            "GET",
            "/api/v1/moderation/comments",
            &[("Authorization", &auth)],
            b"",
        )
        .json();
    let flags = |id: i64| {
        queue["comments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .map(|c| c["flags"].clone())
            .unwrap()
    };
    assert_eq!(flags(links), serde_json::json!(["many_links"]));
    assert_eq!(flags(first), serde_json::json!([]));
    assert_eq!(
        flags(again),
        serde_json::json!(["repeated_body"]),
        "trimmed text compares equal"
    );
    assert_eq!(flags(plain), serde_json::json!([]));
    let (_, out) = server.moderate(&["list"]);
    assert!(
        out.contains(&format!("#{links}  thread \"t\"  by \"a\"  [many_links]")),
        "{out}"
    );
}

#[test]
fn banned_words_reject_at_once_and_suspect_words_are_shown_to_moderators() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("suspect.txt");
    // A long list: one pass finds any of them.
    let mut list: String = (0..50_000).map(|i| format!("mot{i}\n")).collect();
    list.push_str("# and a real one\nimbécile\n");
    std::fs::write(&file, list).unwrap();
    let server = Server::start(&[
        ("COMMENTS_BANNED_WORDS", "idiot, go die"),
        ("COMMENTS_SUSPECT_WORDS_FILE", file.to_str().unwrap()),
    ]);
    let (banned, token) = server.post_comment("t", "Ana", "You are an I.D.I.O.T, really.");
    let (phrase, _) = server.post_comment("t", "Bea", "Just GO   die");
    let (suspect, _) = server.post_comment("t", "Cy", "Quel IMBECILE, et mot49999 aussi");
    let (plain, _) = server.post_comment("t", "Dee", "Idiotic idioms are fine.");
    // The author learns nothing: still pending to their token.
    let status = server.post_json(
        "/api/v1/comments/status",
        &format!(r#"{{"tokens":["{token}"]}}"#),
    );
    assert_eq!(
        status.json()["statuses"][0]["status"],
        "pending",
        "{}",
        status.text()
    );
    let auth = format!("Bearer {MOD_TOKEN}");
    let list = |status: &str| {
        server
            .request(
                "GET",
                &format!("/api/v1/moderation/comments?status={status}"),
                &[("Authorization", &auth)],
                b"",
            )
            .json()
    };
    let find = |v: &serde_json::Value, id: i64| {
        v["comments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
    };
    let pending = list("pending");
    assert!(find(&pending, banned).is_none() && find(&pending, phrase).is_none());
    let rejected = list("rejected");
    for id in [banned, phrase] {
        let c = find(&rejected, id).expect("rejected");
        assert_eq!(c["flags"], serde_json::json!(["banned_word"]), "{c}");
    }
    assert_eq!(
        find(&rejected, banned).unwrap()["words"],
        serde_json::json!(["idiot"])
    );
    let s = find(&pending, suspect).expect("pending");
    assert_eq!(s["flags"], serde_json::json!(["suspect_word"]));
    assert_eq!(s["words"], serde_json::json!(["imbécile", "mot49999"]));
    let p = find(&pending, plain).expect("pending");
    assert_eq!(
        (p["flags"].clone(), p.get("words")),
        (serde_json::json!([]), None)
    );
}

#[test]
fn a_banned_reader_stays_pending_to_themselves_until_the_ban_is_lifted() {
    let server = Server::start(&[]);
    let auth = format!("Bearer {MOD_TOKEN}");
    let post = |reader: &str, body: &str| {
        let json = serde_json::json!({ "author": "Eve", "body": body, "reader": reader });
        let r = server.post_json("/api/v1/threads/t/comments", &json.to_string());
        assert_eq!(r.status, 202, "{}", r.text());
        let v = r.json();
        (
            v["id"].as_i64().unwrap(),
            v["token"].as_str().unwrap().to_string(),
        )
    };
    let bearer = |method: &str, path: &str, body: &str| {
        server.request(
            method,
            path,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            body.as_bytes(),
        )
    };
    let in_list = |status: &str, id: i64| {
        bearer(
            "GET",
            &format!("/api/v1/moderation/comments?status={status}"),
            "",
        )
        .json()["comments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
    };
    let key = "evereaderkey0123456789";
    let (first, _) = post(key, "First");
    let (second, _) = post(key, "Second");
    let ban = bearer(
        "POST",
        &format!("/api/v1/moderation/comments/{first}/ban"),
        r#"{"days":7}"#,
    );
    assert_eq!(ban.status, 200, "{}", ban.text());
    let ban = ban.json();
    assert_eq!(
        (ban["comment_id"].as_i64(), ban["network"].as_bool()),
        (Some(first), Some(true))
    );
    assert!(ban["expires_at"].as_i64().unwrap() > 0);

    // Their next comment goes to Rejected at once, and looks pending to them.
    let (third, token) = post(key, "Third");
    let status = server.post_json(
        "/api/v1/comments/status",
        &format!(r#"{{"tokens":["{token}"]}}"#),
    );
    assert_eq!(status.json()["statuses"][0]["status"], "pending");
    assert_eq!(
        in_list("rejected", third).unwrap()["flags"],
        serde_json::json!(["banned"])
    );
    // The network is banned with the key: a new key from it fares the same.
    let (other, _) = post("anotherkey0123456789ab", "From the same network");
    assert!(in_list("rejected", other).is_some());

    // "Reject all pending from this reader", in one action.
    let rejected = bearer(
        "POST",
        &format!("/api/v1/moderation/comments/{first}/reject-reader-pending"),
        "",
    );
    assert_eq!(
        rejected.json()["rejected"],
        serde_json::json!([first, second])
    );
    assert!(in_list("pending", second).is_none());

    // Listed, then lifted: posting works as before.
    let bans = bearer("GET", "/api/v1/moderation/bans", "").json();
    assert_eq!(bans["bans"].as_array().map(Vec::len), Some(1));
    assert_eq!(bans["bans"][0]["author"], "Eve");
    let id = bans["bans"][0]["id"].as_i64().unwrap();
    assert_eq!(
        bearer("POST", &format!("/api/v1/moderation/bans/{id}/lift"), "").status,
        200
    );
    let (after, _) = post(key, "After the ban");
    assert!(in_list("pending", after).is_some());
    assert_eq!(
        bearer("GET", "/api/v1/moderation/bans", "").json()["bans"],
        serde_json::json!([])
    );
    let again = bearer("POST", &format!("/api/v1/moderation/bans/{id}/lift"), "");
    assert_eq!((again.status, again.code().as_str()), (404, "not_found"));

    // A ban for good (no body), and bad requests.
    let forever = bearer(
        "POST",
        &format!("/api/v1/moderation/comments/{after}/ban"),
        "",
    );
    assert_eq!(forever.json()["expires_at"], serde_json::Value::Null);
    for (path, body, status, code) in [
        (
            format!("/api/v1/moderation/comments/{first}/ban"),
            r#"{"days":0}"#,
            400,
            "invalid_parameter",
        ),
        (
            format!("/api/v1/moderation/comments/{first}/ban"),
            r#"{"days":"x"}"#,
            400,
            "invalid_json",
        ),
        (
            "/api/v1/moderation/comments/999999/ban".to_string(),
            "{}",
            404,
            "not_found",
        ),
        (
            "/api/v1/moderation/comments/x/ban".to_string(),
            "{}",
            400,
            "invalid_parameter",
        ),
    ] {
        let r = bearer("POST", &path, body);
        assert_eq!(
            (r.status, r.code().as_str()),
            (status, code),
            "{path} {body}"
        );
    }
    let anonymous = server.request("GET", "/api/v1/moderation/bans", &[], b"");
    assert_eq!(anonymous.status, 401);
}

#[test]
fn authors_export_and_delete_their_own_comments_with_their_token() {
    let server = Server::start(&[]);
    let (id, token) = server.post_comment("t", "Ana", "mine");
    let body = format!(r#"{{"token":"{token}"}}"#);
    let export = server.post_json("/api/v1/comments/export", &body);
    assert_eq!(export.status, 200, "{}", export.text());
    let v = export.json();
    assert_eq!(
        (v["id"].as_i64(), v["thread"].as_str()),
        (Some(id), Some("t"))
    );
    assert_eq!(
        (v["author"].as_str(), v["body"].as_str()),
        (Some("Ana"), Some("mine"))
    );
    assert_eq!(v["status"], "pending");
    // Everything stored, but the token's hash (the author holds the token).
    assert!(v.get("token_hash").is_none());
    assert_eq!(v["flags"], serde_json::json!([]));

    assert!(server.moderate(&["approve", &id.to_string()]).0);
    let path = "/api/v1/threads/t/comments";
    let page = support::eventually(Duration::from_secs(5), "approved", || {
        let r = server.get(path);
        (ids(&r.json()) == vec![id]).then_some(r)
    });
    let tag = page.header("etag").unwrap().to_string();

    let deleted = server.post_json("/api/v1/comments/delete", &body);
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert_eq!(deleted.json()["status"], "approved");
    let after = server.request("GET", path, &[("If-None-Match", &tag)], b"");
    assert_eq!(after.status, 200, "pollers see the deletion at once");
    assert!(ids(&after.json()).is_empty());
    for endpoint in ["/api/v1/comments/export", "/api/v1/comments/delete"] {
        let gone = server.post_json(endpoint, &body);
        assert_eq!(
            (gone.status, gone.code().as_str()),
            (404, "not_found"),
            "{endpoint}"
        );
    }
    let wrong = server.post_json("/api/v1/comments/delete", r#"{"token":"guess"}"#);
    assert_eq!(wrong.status, 404);
}

#[test]
fn client_addresses_are_stored_only_as_keyed_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let server = Server::start_on(&db, &[]);
    server.post_comment("t", "a", "first");
    drop(server);
    let server = Server::start_on(&db, &[]);
    server.post_comment("t", "a", "after a restart");
    drop(server);
    let (hashes, raw): (Vec<String>, i64) = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        let rows: Vec<(String,)> = sqlx::query_as("SELECT ip_hmac FROM comments ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
        let (raw,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM comments WHERE author || body || ip_hmac || flags LIKE '%127.0.0.1%'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        (rows.into_iter().map(|(h,)| h).collect(), raw)
    });
    assert_eq!(raw, 0, "the address itself is nowhere");
    assert_eq!(hashes.len(), 2);
    assert_eq!(hashes[0].len(), 64);
    assert_eq!(hashes[0], hashes[1], "the secret survives restarts");
}

#[test]
fn a_body_that_never_finishes_gets_408_not_a_held_connection() {
    use std::io::{Read, Write};
    let server = Server::start(&[("COMMENTS_REQUEST_TIMEOUT_MS", "300")]);
    let mut s = std::net::TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "POST /api/v1/threads/t/comments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"author\":"
    )
    .unwrap();
    let started = std::time::Instant::now();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"request_timeout\""), "{text}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn bots_that_fill_the_trap_or_post_instantly_are_answered_but_dropped() {
    let server = Server::start(&[("COMMENTS_MIN_COMPOSE_MS", "3000")]);
    let post = "/api/v1/threads/t/comments";
    for body in [
        r#"{"author":"bot","body":"buy now","website":"http://spam.example"}"#,
        r#"{"author":"bot","body":"buy now","compose_ms":400}"#,
    ] {
        let r = server.post_json(post, body);
        assert_eq!(r.status, 202, "{}", r.text());
        assert_eq!(r.json()["status"], "pending");
        assert_eq!(r.json()["token"].as_str().map(str::len), Some(64));
    }
    let person = server.post_json(
        post,
        r#"{"author":"Ana","body":"hello","website":"","compose_ms":45000}"#,
    );
    assert_eq!(person.status, 202);
    // A post that says nothing of its timing is taken for a bot's too.
    let untimed = server.post_json(post, r#"{"author":"Bo","body":"no timing sent"}"#);
    assert_eq!(untimed.status, 202);
    let (_, out) = server.moderate(&["list"]);
    assert!(
        out.starts_with("1 pending comment(s)"),
        "only the person's: {out}"
    );
    assert!(
        !out.contains("buy now") && !out.contains("no timing"),
        "{out}"
    );
}

#[test]
fn counts_answer_many_threads_at_once_with_an_etag_from_memory() {
    let server = Server::start(&[]);
    for (thread, n) in [("a", 2), ("b", 1)] {
        for i in 0..n {
            let (id, _) = server.post_comment(thread, "Ana", &format!("Comment {i}"));
            assert_eq!(server.bearer_decide(id, "approve").status, 200);
        }
    }
    // A pending comment does not count.
    server.post_comment("b", "Bob", "Not yet");
    let r = server.get("/api/v1/counts?thread=a&thread=b&thread=%2Fnone%2Fyet&thread=a");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        serde_json::json!({ "counts": { "a": 2, "b": 1, "/none/yet": 0 } })
    );
    let tag = r.header("etag").expect("etag").to_string();
    let again = server.request(
        "GET",
        "/api/v1/counts?thread=a&thread=b&thread=%2Fnone%2Fyet",
        &[("If-None-Match", &tag)],
        b"",
    );
    assert_eq!(again.status, 304);
    let (id, _) = server.post_comment("b", "Cleo", "Another");
    assert_eq!(server.bearer_decide(id, "approve").status, 200);
    let changed = server.request(
        "GET",
        "/api/v1/counts?thread=a&thread=b&thread=%2Fnone%2Fyet",
        &[("If-None-Match", &tag)],
        b"",
    );
    assert_eq!(changed.status, 200);
    assert_eq!(changed.json()["counts"]["b"], 2);
    let many: String = (0..101).map(|i| format!("thread=t{i}&")).collect();
    for (query, code) in [
        ("", "invalid_parameter"),
        ("page=2", "invalid_parameter"),
        (many.as_str(), "invalid_parameter"),
        ("thread=%20", "invalid_thread"),
    ] {
        let r = server.get(&format!("/api/v1/counts?{query}"));
        assert_eq!(r.status, 400, "{query}: {}", r.text());
        assert_eq!(r.json()["error"]["code"], code, "{query}");
    }
}

#[test]
fn the_plain_thread_page_pages_and_refuses_bad_input() {
    let server = Server::start(&[]);
    for i in 0..55 {
        let (id, _) = server.post_comment("plain", "Ana", &format!("Comment {i}"));
        assert_eq!(server.bearer_decide(id, "approve").status, 200);
    }
    let first = server.get("/threads/plain");
    assert_eq!(first.status, 200);
    let csp = first
        .header("content-security-policy")
        .unwrap_or_default()
        .to_string();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert_eq!(first.header("x-robots-tag"), Some("noindex"));
    let html = first.text();
    assert!(
        html.contains("55 published comments · page 1 of 2"),
        "{html}"
    );
    assert!(html.contains("href=\"?page=2\""));
    let second = server.get("/threads/plain?page=2").text();
    assert!(second.contains("Comment 54") && !second.contains("Comment 49<"));
    assert_eq!(server.get("/threads.css").status, 200);
    for (path, code) in [
        ("/threads/plain?page=two", "invalid_parameter"),
        ("/threads/plain?sort=x", "invalid_parameter"),
        ("/threads/%20", "invalid_thread"),
    ] {
        let r = server.get(path);
        assert_eq!(r.status, 400, "{path}: {}", r.text());
        assert_eq!(r.json()["error"]["code"], code, "{path}");
    }
    let indexed = Server::start(&[("COMMENTS_SITES__INDEX_THREAD_PAGES", "true")]);
    let r = indexed.get("/threads/plain");
    assert_eq!(r.header("x-robots-tag"), Some("all"));
    assert!(!r.text().contains("noindex"));
}

#[test]
fn replies_nest_under_published_comments_and_outlive_their_removal() {
    let server = Server::start(&[]);
    let reply = |parent: serde_json::Value, body: &str| {
        let json = serde_json::json!({ "author": "Bea", "body": body, "parent": parent });
        server.post_json("/api/v1/threads/talk/comments", &json.to_string())
    };
    let (root, _) = server.post_comment("talk", "Ana", "Root");
    // Replying to a comment nobody can see yet, or that does not exist.
    for parent in [
        serde_json::json!(root),
        serde_json::json!(987654),
        serde_json::json!(0),
    ] {
        let r = reply(parent.clone(), "Too soon");
        assert_eq!(
            (r.status, r.code()),
            (422, "invalid_parent".into()),
            "{parent}"
        );
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("reply")
        );
    }
    let r = reply(serde_json::json!("seven"), "Not a number");
    assert_eq!((r.status, r.code()), (400, "invalid_json".into()));
    assert_eq!(server.bearer_decide(root, "approve").status, 200);
    let (other, _) = server.post_comment("elsewhere", "Ana", "Other thread");
    assert_eq!(server.bearer_decide(other, "approve").status, 200);
    let r = reply(serde_json::json!(other), "Wrong thread");
    assert_eq!(r.code(), "invalid_parent");

    let r = reply(serde_json::json!(root), "First reply");
    assert_eq!(r.status, 202, "{}", r.text());
    let first = r.json()["id"].as_i64().unwrap();
    assert_eq!(server.bearer_decide(first, "approve").status, 200);
    let deeper = reply(serde_json::json!(first), "Deeper").json()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(server.bearer_decide(deeper, "approve").status, 200);

    let page = eventually(Duration::from_secs(5), "three comments", || {
        let v = server.get("/api/v1/threads/talk/comments").json();
        (ids(&v).len() == 3).then_some(v)
    });
    assert_eq!(
        page["comments"][0].get("parent"),
        None,
        "top level: no parent"
    );
    assert_eq!(page["comments"][1]["parent"], root);
    assert_eq!(page["comments"][2]["parent"], first);

    // The middle one is unpublished: its reply stays, under a placeholder.
    assert_eq!(server.bearer_decide(first, "reject").status, 200);
    let page = eventually(Duration::from_secs(5), "a placeholder", || {
        let v = server.get("/api/v1/threads/talk/comments").json();
        (v["comments"][1]["removed"] == true).then_some(v)
    });
    let removed = &page["comments"][1];
    assert_eq!(
        (
            removed["id"].as_i64(),
            removed["author"].as_str(),
            removed["html"].as_str()
        ),
        (Some(first), Some(""), Some(""))
    );
    assert_eq!(page["comments"][2]["parent"], first);
    let html = server.get("/api/v1/threads/talk/comments.html").text();
    assert!(!html.contains("First reply"), "{html}");
    let nested = format!(
        "<ol class=\"cw-replies\"><li class=\"cw-item cw-removed\" data-key=\"r{first}\" \
         data-comment-id=\"{first}\" data-depth=\"2\"><div class=\"cw-body\"></div>\
         <ol class=\"cw-replies\"><li class=\"cw-item\" data-key=\"a{deeper}\""
    );
    assert!(html.contains(&nested), "{html}");
    let page = server.get("/threads/talk").text();
    assert!(
        page.contains("Comment removed.") && page.contains("in reply to a removed comment"),
        "{page}"
    );
}

#[test]
fn big_threads_come_a_page_at_a_time_and_polls_bring_only_changes() {
    let server = Server::start(&[]);
    let publish = |body: &str, parent: Option<i64>| {
        let json = serde_json::json!({ "author": "Ana", "body": body, "parent": parent });
        let r = server.post_json("/api/v1/threads/big/comments", &json.to_string());
        assert_eq!(r.status, 202, "{}", r.text());
        let id = r.json()["id"].as_i64().unwrap();
        assert_eq!(server.bearer_decide(id, "approve").status, 200);
        id
    };
    let roots: Vec<i64> = (0..23)
        .map(|i| publish(&format!("root {i}"), None))
        .collect();
    let replies: Vec<i64> = (0..5)
        .map(|i| publish(&format!("reply {i}"), Some(roots[0])))
        .collect();
    let page = eventually(Duration::from_secs(5), "the first page", || {
        let v = server
            .get("/api/v1/threads/big/comments?order=oldest")
            .json();
        (v["comments"][0]["replies"] == 5).then_some(v)
    });
    // Without a query, the same first page: what the widget reads first.
    // No answer holds the whole thread.
    assert_eq!(
        ids(&server.get("/api/v1/threads/big/comments").json()),
        ids(&page)
    );
    // 20 top-level comments, the first with 3 of its 5 replies, and a cursor.
    assert_eq!(ids(&page).len(), 23);
    assert_eq!(
        ids(&page)[..4],
        [roots[0], replies[0], replies[1], replies[2]]
    );
    let next = page["next"].as_str().expect("a next page").to_string();
    let second = server
        .get(&format!("/api/v1/threads/big/comments?after={next}"))
        .json();
    assert_eq!(ids(&second), roots[20..].to_vec());
    assert!(second.get("next").is_none());
    let newest = server
        .get("/api/v1/threads/big/comments?order=newest")
        .json();
    assert_eq!(ids(&newest)[0], roots[22]);
    // Most replies first: the conversation of five, then the others oldest first.
    let most = server
        .get("/api/v1/threads/big/comments?order=replies")
        .json();
    assert_eq!((ids(&most)[0], ids(&most)[4]), (roots[0], roots[1]));
    let cursor = most["next"].as_str().expect("a next page").to_string();
    assert_eq!(cursor.split('.').count(), 3, "{cursor}");
    let rest = server
        .get(&format!(
            "/api/v1/threads/big/comments?order=replies&after={cursor}"
        ))
        .json();
    assert_eq!(ids(&rest), roots[20..].to_vec());
    let all = server
        .get(&format!("/api/v1/threads/big/comments?root={}", roots[0]))
        .json();
    assert_eq!(ids(&all), [vec![roots[0]], replies.clone()].concat());
    // A permalink to the last reply: its conversation in full, then the page after it.
    let around = server
        .get(&format!(
            "/api/v1/threads/big/comments?around={}",
            replies[4]
        ))
        .json();
    assert_eq!(
        ids(&around)[..6],
        [vec![roots[0]], replies.clone()].concat()[..]
    );
    assert_eq!(ids(&around).len(), 6 + 19);
    let html = server
        .get(&format!(
            "/api/v1/threads/big/comments.html?around={}",
            replies[4]
        ))
        .text();
    assert!(html.contains(&format!("data-comment-id=\"{}\"", replies[4])));
    assert!(html.contains("data-replies=\"5\""), "{html}");

    // A poll with its revision: 304 when nothing changed, else only the changes.
    let revision = page["revision"].as_u64().unwrap();
    let etag = format!("\"r{revision}\"");
    let poll = |since: u64, tag: &str| {
        server.request(
            "GET",
            &format!("/api/v1/threads/big/comments?since={since}"),
            &[("If-None-Match", tag)],
            b"",
        )
    };
    assert_eq!(poll(revision, &etag).status, 304);
    let late = publish("late reply", Some(roots[1]));
    assert_eq!(server.bearer_decide(roots[2], "reject").status, 200);
    let changes = eventually(Duration::from_secs(5), "the changes", || {
        let r = poll(revision, &etag);
        (r.status == 200)
            .then(|| r.json())
            .filter(|v| v["removed"].is_array())
    });
    assert_eq!(changes["changes"], true);
    assert_eq!(ids(&changes), vec![late], "only what changed: {changes}");
    assert_eq!(changes["comments"][0]["parent"], roots[1]);
    assert_eq!(changes["removed"], serde_json::json!([roots[2]]));
    // A revision the log cannot answer for (here: one it never had) gets
    // the first page, marked as a new start.
    let unknown = poll(revision + 1000, "\"x\"").json();
    assert_eq!(
        (unknown.get("changes"), unknown["reset"].clone()),
        (None, true.into())
    );
    let first = server.get("/api/v1/threads/big/comments").json();
    assert_eq!(ids(&unknown), ids(&first));
    assert_eq!(unknown["next"], first["next"]);
    // A link to a comment that is not published: the first page too.
    assert_eq!(
        ids(&server
            .get("/api/v1/threads/big/comments?around=999999")
            .json()),
        ids(&first)
    );

    for (query, code) in [
        ("order=best", "invalid_parameter"),
        ("after=nope", "invalid_parameter"),
        ("root=0", "invalid_parameter"),
        ("since=1&root=2", "invalid_parameter"),
        ("since=x", "invalid_parameter"),
        ("unknown=1", "invalid_parameter"),
        ("root=999999", "not_found"),
    ] {
        let r = server.get(&format!("/api/v1/threads/big/comments?{query}"));
        assert_eq!(r.code(), code, "{query}: {}", r.text());
        assert!(r.status == 400 || r.status == 404, "{query}");
    }
    let reply_root = server.get(&format!("/api/v1/threads/big/comments?root={}", replies[0]));
    assert_eq!(
        reply_root.code(),
        "not_found",
        "a reply is no conversation's top"
    );
}

#[test]
fn the_frame_page_is_framed_only_by_allowed_sites_and_refuses_bad_input() {
    let server = Server::start(&[("COMMENTS_ALLOWED_ORIGINS", "https://news.example")]);
    let r = server.get("/embed/frame?thread=a%2Fb&lang=pt-BR&theme=dark&origin=https://news.example&url=https://news.example/a&title=An%20article");
    assert_eq!(r.status, 200, "{}", r.text());
    let csp = r
        .header("content-security-policy")
        .unwrap_or("")
        .to_string();
    assert!(
        csp.contains("frame-ancestors https://news.example") && csp.contains("'wasm-unsafe-eval'"),
        "{csp}"
    );
    let html = r.text();
    for needle in [
        "data-thread=\"a/b\"",
        "data-lang=\"pt-BR\"",
        "data-theme=\"dark\"",
        "<link rel=\"canonical\" href=\"https://news.example/a\">",
        "<script src=\"/embed.js\"></script>",
        "<script src=\"/embed/frame.js\" data-parent=\"https://news.example\"></script>",
        "<title>An article</title>",
    ] {
        assert!(html.contains(needle), "{needle} in {html}");
    }
    for (query, status, code) in [
        (
            "thread=x&origin=https://evil.example",
            403,
            "origin_not_allowed",
        ),
        (
            "thread=x&origin=javascript:alert(1)",
            400,
            "invalid_parameter",
        ),
        ("thread=x&theme=neon", 400, "invalid_parameter"),
        ("lang=en", 400, "invalid_parameter"),
        ("thread=", 400, "invalid_thread"),
    ] {
        let r = server.get(&format!("/embed/frame?{query}"));
        assert_eq!((r.status, r.code()), (status, code.to_string()), "{query}");
    }
    // A javascript: article URL is dropped, not linked.
    let r = server.get("/embed/frame?thread=x&url=javascript:alert(1)");
    assert!(!r.text().contains("javascript:"));
    for path in ["/embed/frame.js", "/embed/host.js"] {
        let r = server.get(path);
        assert_eq!(r.status, 200);
        assert!(
            r.header("content-type")
                .unwrap_or("")
                .starts_with("text/javascript")
        );
    }
}
