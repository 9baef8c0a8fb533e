//! Readers' reports and reply notifications over real HTTP and a real
//! database file: the report API and its errors, the report page the
//! widget's dialog shows, hiding after N reports, the Reported view, and
//! reply mail with one-click unsubscribe through an SMTP sink.

mod support;

use std::time::Duration;
use support::sinks::SmtpSink;
use support::{MOD_TOKEN, Server, eventually, moderators_env};

fn server(extra: &[(&str, &str)]) -> Server {
    let moderators = moderators_env();
    let mut env = vec![
        ("COMMENTS_MODERATORS", moderators.as_str()),
        ("COMMENTS_REPORT_BURST", "1000"),
    ];
    env.extend_from_slice(extra);
    Server::start(&env)
}

/// A published comment's id (posted from the site the tests allow, if any).
fn published(s: &Server, thread: &str, body: &str) -> i64 {
    let json = serde_json::json!({ "author": "Ana", "body": body }).to_string();
    let r = s.request(
        "POST",
        &format!("/api/v1/threads/{thread}/comments"),
        &[
            ("Content-Type", "application/json"),
            ("Origin", "https://news.example"),
        ],
        json.as_bytes(),
    );
    assert_eq!(r.status, 202, "{}", r.text());
    let id = r.json()["id"].as_i64().expect("id");
    assert_eq!(s.bearer_decide(id, "approve").status, 200);
    id
}

fn report(s: &Server, id: i64, json: serde_json::Value) -> support::Resp {
    s.post_json(&format!("/api/v1/comments/{id}/report"), &json.to_string())
}

fn bearer(s: &Server, method: &str, path: &str) -> support::Resp {
    let auth = format!("Bearer {MOD_TOKEN}");
    s.request(method, path, &[("Authorization", &auth)], b"")
}

fn form_post(s: &Server, path: &str, headers: &[(&str, &str)], form: &str) -> support::Resp {
    let mut all = vec![("Content-Type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    s.request("POST", path, &all, form.as_bytes())
}

fn public_ids(s: &Server, thread: &str) -> Vec<i64> {
    support::ids(&s.get(&format!("/api/v1/threads/{thread}/comments")).json())
}

#[test]
fn reports_count_once_hide_at_the_threshold_and_moderators_review_them() {
    let s = server(&[("COMMENTS_HIDE_AFTER_REPORTS", "2")]);
    let id = published(&s, "t", "Something to report");
    let (waiting, _) = s.post_comment("t", "Bob", "not published yet");
    let reader = |c: char| c.to_string().repeat(24);

    // Every error, each with its code; none counts as a report.
    let r = s.request(
        "POST",
        &format!("/api/v1/comments/{id}/report"),
        &[("Content-Type", "text/plain")],
        b"{}",
    );
    assert_eq!((r.status, r.code()), (415, "unsupported_media_type".into()));
    let r = s.post_json(&format!("/api/v1/comments/{id}/report"), "{not json");
    assert_eq!((r.status, r.code()), (400, "invalid_json".into()));
    let r = report(&s, id, serde_json::json!({ "reason": "boring" }));
    assert_eq!((r.status, r.code()), (400, "invalid_json".into()));
    let r = report(
        &s,
        id,
        serde_json::json!({ "reason": "illegal", "explanation": "  " }),
    );
    assert_eq!((r.status, r.code()), (422, "explanation_required".into()));
    let long = "x".repeat(2001);
    let r = report(
        &s,
        id,
        serde_json::json!({ "reason": "illegal", "explanation": long }),
    );
    assert_eq!((r.status, r.code()), (422, "explanation_too_long".into()));
    let r = report(
        &s,
        id,
        serde_json::json!({ "reason": "spam", "explanation": "a\u{0007}" }),
    );
    assert_eq!((r.status, r.code()), (422, "control_character".into()));
    let r = report(&s, 0, serde_json::json!({ "reason": "spam" }));
    assert_eq!((r.status, r.code()), (400, "invalid_parameter".into()));
    let r = s.post_json("/api/v1/comments/abc/report", "{\"reason\":\"spam\"}");
    assert_eq!((r.status, r.code()), (400, "invalid_parameter".into()));
    for unpublished in [waiting, 999_999] {
        let r = report(&s, unpublished, serde_json::json!({ "reason": "spam" }));
        assert_eq!(
            (r.status, r.code()),
            (404, "not_found".into()),
            "{unpublished}"
        );
    }
    let none = bearer(&s, "GET", "/api/v1/moderation/reported").json();
    assert_eq!(none, serde_json::json!([]), "nothing counted yet");

    // One reader counts once, however often they report.
    for _ in 0..3 {
        let r = report(
            &s,
            id,
            serde_json::json!({ "reason": "abuse", "reader": reader('a') }),
        );
        assert_eq!(r.status, 202, "{}", r.text());
        assert_eq!(r.json(), serde_json::json!({ "received": true }));
    }
    let listed = bearer(&s, "GET", "/api/v1/moderation/reported").json();
    assert_eq!(listed[0]["comment"]["id"], id);
    assert_eq!(listed[0]["reports"].as_array().map(Vec::len), Some(1));
    assert!(
        public_ids(&s, "t").contains(&id),
        "one report hides nothing"
    );

    // A second reader: two reports, hidden at once, pending review.
    let r = report(
        &s,
        id,
        serde_json::json!({
            "reason": "illegal", "reader": reader('b'),
            "explanation": "<script>alert(1)</script> defamation",
        }),
    );
    assert_eq!(r.status, 202);
    assert_eq!(
        r.json(),
        serde_json::json!({ "received": true }),
        "the reporter learns nothing of others"
    );
    assert!(!public_ids(&s, "t").contains(&id), "hidden from readers");
    let listed = bearer(&s, "GET", "/api/v1/moderation/reported").json();
    assert_eq!(listed[0]["hidden"], true);
    assert_eq!(listed[0]["comment"]["status"], "pending");

    // The Reported view: count, reasons, the explanation as text.
    let session = s.sign_in("ana");
    let own = format!("http://{}", s.addr);
    let cookie = [("Cookie", session.cookie.as_str())];
    let page = s.request("GET", "/admin/reported", &cookie, b"").text();
    assert!(page.contains("2 reports"), "{page}");
    assert!(page.contains("hidden pending review"), "{page}");
    assert!(
        page.contains("illegal content") && page.contains(">abuse<"),
        "{page}"
    );
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt; defamation"),
        "{page}"
    );
    assert!(!page.contains("<script>alert"), "{page}");
    let queue = s.request("GET", "/admin", &cookie, b"").text();
    assert!(queue.contains("1 reported"), "the queue links it: {queue}");
    let audit = s.request("GET", "/admin/audit", &cookie, b"").text();
    assert!(audit.contains("hidden after 2 reports"), "{audit}");

    // Dismissed from the page (a forged form is refused): published again.
    let forged = form_post(
        &s,
        "/admin/reported",
        &[("Cookie", &session.cookie)],
        &format!("id={id}&act=dismiss&csrf=wrong"),
    );
    assert_eq!(forged.status, 403);
    let r = form_post(
        &s,
        "/admin/reported",
        &[("Cookie", &session.cookie), ("Origin", &own)],
        &format!("id={id}&act=dismiss&csrf={}", session.csrf),
    );
    assert_eq!(
        (r.status, r.header("location")),
        (303, Some("/admin/reported"))
    );
    assert!(public_ids(&s, "t").contains(&id), "published again");
    let page = s.request("GET", "/admin/reported", &cookie, b"").text();
    assert!(page.contains("No comment awaits review"), "{page}");
    let r = bearer(
        &s,
        "POST",
        &format!("/api/v1/moderation/comments/{id}/dismiss-reports"),
    );
    assert_eq!(
        (r.status, r.code()),
        (404, "not_found".into()),
        "no open report"
    );

    // A third reader, then a moderator unpublishes it: reviewed.
    let r = report(
        &s,
        id,
        serde_json::json!({ "reason": "spam", "reader": reader('c') }),
    );
    assert_eq!(r.status, 202);
    assert_eq!(s.bearer_decide(id, "reject").status, 200);
    let listed = bearer(&s, "GET", "/api/v1/moderation/reported").json();
    assert_eq!(listed, serde_json::json!([]));
    // The bearer API dismisses too.
    let other = published(&s, "t", "Another one");
    report(&s, other, serde_json::json!({ "reason": "off_topic" }));
    let r = bearer(
        &s,
        "POST",
        &format!("/api/v1/moderation/comments/{other}/dismiss-reports"),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        bearer(&s, "GET", "/api/v1/moderation/reported").json(),
        serde_json::json!([])
    );
    let r = s.get("/api/v1/moderation/reported");
    assert_eq!((r.status, r.code()), (401, "unauthorized".into()));
}

#[test]
fn reports_are_limited_per_network_and_only_from_allowed_sites() {
    let s = Server::start(&[
        ("COMMENTS_REPORT_BURST", "2"),
        ("COMMENTS_REPORT_REFILL_SECONDS", "3600"),
    ]);
    let id = published(&s, "t", "Reported often");
    for reader in ["a", "b"] {
        let r = report(
            &s,
            id,
            serde_json::json!({ "reason": "spam", "reader": reader.repeat(24) }),
        );
        assert_eq!(r.status, 202);
    }
    let r = report(&s, id, serde_json::json!({ "reason": "spam" }));
    assert_eq!((r.status, r.code()), (429, "rate_limited".into()));
    assert!(r.header("retry-after").is_some());

    let site = Server::start(&[("COMMENTS_ALLOWED_ORIGINS", "https://news.example")]);
    let id = published(&site, "t", "From a site");
    let r = report(&site, id, serde_json::json!({ "reason": "spam" }));
    assert_eq!((r.status, r.code()), (403, "origin_not_allowed".into()));
    let r = site.request(
        "POST",
        &format!("/api/v1/comments/{id}/report"),
        &[
            ("Content-Type", "application/json"),
            ("Origin", "https://news.example"),
        ],
        b"{\"reason\":\"spam\"}",
    );
    assert_eq!(r.status, 202, "{}", r.text());
}

/// The hidden fields of the report form in `page`.
fn field(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        .to_string()
}

#[test]
fn the_report_page_speaks_the_readers_language_and_takes_only_its_own_form() {
    let s = Server::start(&[("COMMENTS_ALLOWED_ORIGINS", "https://news.example")]);
    let id = published(&s, "t", "Un commentaire **gras**");
    let reader = "r".repeat(24);
    let path = format!("/report/{id}");
    let r = s.get(&format!("{path}?lang=fr-CA&reader={reader}&theme=dark"));
    assert_eq!(r.status, 200);
    let csp = r.header("content-security-policy").unwrap_or("");
    assert!(
        csp.contains("frame-ancestors 'self' https://news.example")
            && csp.contains("form-action 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("script-src"), "no script at all: {csp}");
    let page = r.text();
    assert!(
        page.contains("<html lang=\"fr\" dir=\"ltr\" class=\"dark\">"),
        "{page}"
    );
    assert!(page.contains("Signaler un commentaire"), "{page}");
    assert!(
        page.contains("<strong>gras</strong>"),
        "the comment, quoted: {page}"
    );
    assert!(!page.contains("<script"), "{page}");
    let token = field(&page, "token");
    assert_eq!(field(&page, "reader"), reader);
    let arabic = s.get(&format!("{path}?lang=ar")).text();
    assert!(arabic.contains("lang=\"ar\" dir=\"rtl\""), "{arabic}");

    let send = |form: &str, site: &str| form_post(&s, &path, &[("Sec-Fetch-Site", site)], form);
    // Illegal content needs its explanation: the page says so, in French,
    // and keeps what the reader chose and typed.
    let r = send(
        &format!("token={token}&reader={reader}&lang=fr&theme=dark&reason=illegal&explanation=++"),
        "same-origin",
    );
    assert_eq!(r.status, 422);
    let page = r.text();
    assert!(page.contains("role=\"alert\""), "{page}");
    assert!(
        page.contains("value=\"illegal\" required checked"),
        "{page}"
    );
    // Another site's form, or a forged token: refused.
    let form = format!("token={token}&reader={reader}&lang=fr&reason=spam");
    assert_eq!(send(&form, "cross-site").status, 403);
    let forged = format!("token=1.0.abc&reader={reader}&lang=fr&reason=spam");
    assert_eq!(send(&forged, "same-origin").status, 403);
    let bearer_list = || bearer(&s, "GET", "/api/v1/moderation/reported").json();
    assert_eq!(bearer_list(), serde_json::json!([]), "nothing counted");
    // The page's own form, sent: thanks, in French.
    let r = send(&form, "same-origin");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("Merci"), "{}", r.text());
    assert_eq!(bearer_list()[0]["reports"][0]["reason"], "spam");
    // Without the page's lang: English. A comment no longer published: 404.
    assert_eq!(s.bearer_decide(id, "reject").status, 200);
    let r = s.get(&path);
    assert_eq!(r.status, 404);
    assert!(
        r.text().contains("This comment is no longer published."),
        "{}",
        r.text()
    );
    let r = s.get(&format!("{path}?evil=1"));
    assert_eq!((r.status, r.code()), (400, "invalid_parameter".into()));
    // The page for readers without JavaScript links to it.
    let other = published(&s, "t", "No script here");
    let thread = s.get("/threads/t").text();
    assert!(
        thread.contains(&format!("href=\"/report/{other}\"")),
        "{thread}"
    );
}

/// The first link in `text` that starts with `prefix`.
fn link_from(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {text}"));
    text[start..]
        .split(|c: char| c.is_whitespace() || c == '>')
        .next()
        .unwrap_or("")
        .to_string()
}

#[test]
fn readers_who_ask_get_each_reply_by_mail_once_until_they_unsubscribe() {
    let smtp = SmtpSink::start();
    let smtp_url = smtp.url();
    let s = Server::start_public(&[
        ("COMMENTS_MODERATORS", &moderators_env()),
        ("COMMENTS_SMTP_URL", &smtp_url),
        ("COMMENTS_MAIL_FROM", "Comments <comments@news.example>"),
        ("COMMENTS_NOTIFY_RETRY_MS", "100"),
    ]);
    let base = format!("http://{}", s.addr);
    let post = |json: serde_json::Value| {
        let r = s.post_json("/api/v1/threads/t/comments", &json.to_string());
        assert_eq!(r.status, 202, "{}", r.text());
        r.json()["id"].as_i64().expect("id")
    };
    let ana = "a".repeat(24);
    let first = post(serde_json::json!({
        "author": "Ana", "body": "Bravo l'OM", "email": "ana@example.org",
        "notify_replies": true, "reader": ana,
        "page_title": "Marseille – Miami", "page_url": "https://news.example/om",
    }));
    // A reader who gave an address but asked for no replies.
    let quiet = post(serde_json::json!({
        "author": "Eve", "body": "Just once", "email": "eve@example.org",
    }));
    for id in [first, quiet] {
        assert_eq!(s.bearer_decide(id, "approve").status, 200);
    }
    // The publication mail says how to stop the replies' mail.
    let published = eventually(Duration::from_secs(10), "Ana's publication mail", || {
        smtp.mails()
            .into_iter()
            .find(|m| m.to == ["ana@example.org"])
    });
    assert!(
        published.text.contains("hear of replies"),
        "{}",
        published.text
    );
    let unsubscribe = link_from(&published.text, &format!("{base}/unsubscribe/"));

    let reply = |parent: i64, reader: &str, body: &str| {
        post(serde_json::json!({
            "author": "Bob", "body": body, "parent": parent, "reader": reader,
            "page_title": "Marseille – Miami", "page_url": "https://news.example/om",
        }))
    };
    let r1 = reply(first, &"b".repeat(24), "Pas d'accord *du tout*");
    let to_eve = reply(quiet, &"b".repeat(24), "Eve asked for nothing");
    let own = reply(first, &ana, "Ana answers herself");
    for id in [r1, to_eve, own] {
        assert_eq!(s.bearer_decide(id, "approve").status, 200);
    }
    let mail = eventually(Duration::from_secs(10), "the reply's mail", || {
        smtp.mails()
            .into_iter()
            .find(|m| m.to == ["ana@example.org"] && m.text.contains("replied"))
    });
    assert!(
        mail.text.contains("Pas d'accord *du tout*"),
        "the reply, as text: {}",
        mail.text
    );
    assert!(
        mail.text
            .contains(&format!("https://news.example/om#comment-{r1}")),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("Marseille – Miami"), "{}", mail.text);
    assert!(
        mail.text
            .contains(&format!("List-Unsubscribe: <{unsubscribe}>")),
        "{}",
        mail.text
    );
    assert!(
        mail.text
            .contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{}",
        mail.text
    );
    // A staff reply is published at once: its mail goes too.
    let session = s.sign_in("ana");
    let r = form_post(
        &s,
        "/admin/staff",
        &[("Cookie", &session.cookie), ("Origin", &base)],
        &format!("id={first}&act=reply&body=Merci+Ana&csrf={}", session.csrf),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    eventually(Duration::from_secs(10), "the staff reply's mail", || {
        smtp.mails()
            .into_iter()
            .find(|m| m.to == ["ana@example.org"] && m.text.contains("Merci Ana"))
    });
    // Unpublished and published again: no second mail for it.
    assert_eq!(s.bearer_decide(r1, "reject").status, 200);
    assert_eq!(s.bearer_decide(r1, "approve").status, 200);
    std::thread::sleep(Duration::from_millis(800));
    let to_ana =
        |m: &support::sinks::Mail| m.to == ["ana@example.org"] && m.text.contains("replied");
    assert_eq!(
        smtp.mails().iter().filter(|m| to_ana(m)).count(),
        2,
        "r1 and the staff reply"
    );
    assert!(
        !smtp
            .mails()
            .iter()
            .any(|m| m.to == ["eve@example.org"] && m.text.contains("replied")),
        "no reply mail without asking"
    );

    // The link asks first (a mail scanner's GET changes nothing)…
    let path = unsubscribe.trim_start_matches(&base).to_string();
    let english = s.get(&path);
    assert_eq!(english.status, 200);
    assert!(
        english.text().contains("Stop emailing you"),
        "{}",
        english.text()
    );
    let french = s.request("GET", &path, &[("Accept-Language", "fr-FR,fr;q=0.9")], b"");
    assert!(french.text().contains("lang=\"fr\""), "{}", french.text());
    // …then one POST, as a mail reader's one-click button sends it.
    let r = form_post(&s, &path, &[], "List-Unsubscribe=One-Click");
    assert_eq!(r.status, 200);
    assert!(
        r.text().contains("your address has been erased"),
        "{}",
        r.text()
    );
    let r = form_post(&s, &path, &[], "List-Unsubscribe=One-Click");
    assert!(r.text().contains("already ended"), "{}", r.text());
    let r3 = reply(first, &"c".repeat(24), "After the unsubscribe");
    assert_eq!(s.bearer_decide(r3, "approve").status, 200);
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(
        smtp.mails().iter().filter(|m| to_ana(m)).count(),
        2,
        "no more"
    );
    // A forged link is refused.
    let forged = format!("/unsubscribe/{first}.0000");
    let r = s.get(&forged);
    assert_eq!((r.status, r.code()), (403, "forbidden".into()));
}
