//! End to end in real Chromium: the widget embedded on a page of another origin, against the real server.

mod support;

use fantoccini::Locator;
use fantoccini::key::Key;
use std::time::Duration;
use support::browser::{Driver, HostPages, in_widget, wait_js};
use support::{Server, published};

const PENDING_EN: &str = "Thank you for your comment. It will be visible soon, pending validation.";

/// The host page a site owner would write, with the public script tag.
fn article_page(server: &Server, thread: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Article</title></head>
<body><h1>An article</h1><p>Text.</p>
<div data-comments data-thread="{thread}" data-poll-seconds="2"></div>
<script src="{}" async></script></body></html>"#,
        server.url("/embed.js")
    )
}

/// JS: the widget items of the first host, as `[id, pending, text]`.
const ITEMS: &str = r#"
const root = document.querySelector('[data-comments]').shadowRoot;
if (!root || !root.querySelector('.cw-form')) return null;
// Author, body and pending note; not the relative date, which depends on the clock.
return [...root.querySelectorAll('.cw-item')].map(li => [
  Number(li.dataset.commentId), li.classList.contains('cw-pending'),
  [...li.querySelectorAll('.cw-author, .cw-body, .cw-pending-note')].map(e => e.textContent).join('\n')]);"#;

fn items(v: &serde_json::Value) -> Vec<(i64, bool, String)> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|i| {
                    (
                        i[0].as_i64().unwrap_or(0),
                        i[1].as_bool().unwrap_or(false),
                        i[2].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Types into widget `host` as a reader would (name only if given) and
/// clicks the button.
async fn write_comment(c: &fantoccini::Client, host: usize, name: Option<&str>, body: &str) {
    if let Some(name) = name {
        in_widget(c, host, ".cw-input")
            .await
            .send_keys(name)
            .await
            .unwrap();
    }
    in_widget(c, host, ".cw-textarea")
        .await
        .send_keys(body)
        .await
        .unwrap();
    in_widget(c, host, ".cw-submit")
        .await
        .click()
        .await
        .unwrap();
}

#[tokio::test]
async fn reader_posts_sees_pending_across_reload_and_approval_reaches_every_reader() {
    let host = HostPages::bind();
    let server = Server::start(&[("COMMENTS_ALLOWED_ORIGINS", &host.base)]);
    let pages = host.serve(vec![("/article.html", article_page(&server, "e2e-thread"))]);
    let mut driver = Driver::start();
    let a = driver.session().await;
    let b = driver.session().await;
    let body = "Très bon article <b>not bold</b>\nsecond line";

    // 1. A reader posts a comment, with the keyboard only, and sees the pending text.
    a.goto(&pages.url("/article.html"))
        .await
        .expect("open article");
    wait_js(&a, Duration::from_secs(30), "widget mounted", ITEMS).await;
    let name = in_widget(&a, 0, ".cw-input").await;
    name.send_keys("Ana").await.expect("type name");
    name.send_keys(&Key::Tab.to_string()).await.expect("tab");
    let textarea = in_widget(&a, 0, ".cw-textarea").await;
    textarea.send_keys(body).await.expect("type body");
    let submit = in_widget(&a, 0, ".cw-submit").await;
    submit
        .send_keys(&Key::Enter.to_string())
        .await
        .expect("press enter");
    let status_js = "return document.querySelector('[data-comments]').shadowRoot.querySelector('[role=status]').textContent";
    let status = wait_js(
        &a,
        Duration::from_secs(10),
        "pending notice",
        &format!(
            "const t = (function(){{{status_js}}})(); return t.includes('pending') ? t : null;"
        ),
    )
    .await;
    assert_eq!(status, PENDING_EN);
    let mine = items(&wait_js(&a, Duration::from_secs(5), "pending item", ITEMS).await);
    assert_eq!(mine.len(), 1, "{mine:?}");
    let (id, pending, text) = mine[0].clone();
    assert!(pending, "marked pending");
    assert!(
        text.contains("Ana") && text.contains("<b>not bold</b>") && text.contains(PENDING_EN),
        "{text}"
    );
    let bold_elements = a
        .execute("return document.querySelector('[data-comments]').shadowRoot.querySelectorAll('.cw-body b').length", vec![])
        .await
        .unwrap();
    assert_eq!(bold_elements, 0, "reader HTML is never interpreted");
    assert_eq!(
        in_widget(&a, 0, ".cw-textarea")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("")
    );

    // 2. After a reload the comment is still there, still pending.
    a.refresh().await.expect("reload");
    let after = wait_js(
        &a,
        Duration::from_secs(30),
        "pending after reload",
        &format!("const r = (function(){{{ITEMS}}})(); return r && r.length ? r : null;"),
    )
    .await;
    assert_eq!(items(&after), vec![(id, true, text.clone())]);

    // 3. Another reader does not see it.
    b.goto(&pages.url("/article.html"))
        .await
        .expect("open article in B");
    let empty = wait_js(&b, Duration::from_secs(30), "B loaded", &format!(
        "const r = (function(){{{ITEMS}}})(); const root = document.querySelector('[data-comments]').shadowRoot; \
         return r && root.querySelector('.cw-empty:not([hidden])') ? r : null;"
    ))
    .await;
    assert!(items(&empty).is_empty());

    // 4. Approved from the CLI: both sessions show it within a poll, without reload.
    let (ok, out) = server.moderate(&["approve", &id.to_string()]);
    assert!(ok, "{out}");
    let approved = format!(
        "const r = (function(){{{ITEMS}}})(); return r && r.length === 1 && r[0][0] === {id} && !r[0][1] ? r : null;"
    );
    // One poll interval (2 s) plus the server's 0.2 s refresh, with slack for CI.
    let approved_at = std::time::Instant::now();
    let in_a = items(&wait_js(&a, Duration::from_secs(6), "approved in A", &approved).await);
    let seen_a = approved_at.elapsed();
    let in_b = items(&wait_js(&b, Duration::from_secs(6), "approved in B", &approved).await);
    println!(
        "approval visible without reload: reader A after {seen_a:?}, reader B after {:?} (poll interval 2 s)",
        approved_at.elapsed()
    );
    assert!(
        !in_a[0].2.contains(PENDING_EN),
        "pending mark gone: {}",
        in_a[0].2
    );
    assert_eq!(in_a[0].2, in_b[0].2);
    let stored = a
        .execute(
            "return Object.keys(localStorage).filter(k => k.startsWith('comments:v1:http')).length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(stored, 0, "localStorage cleaned after approval");

    a.close().await.ok();
    b.close().await.ok();
}

#[tokio::test]
async fn rejected_comment_disappears_with_a_neutral_note() {
    let host = HostPages::bind();
    let server = Server::start(&[("COMMENTS_ALLOWED_ORIGINS", &host.base)]);
    let pages = host.serve(vec![("/article.html", article_page(&server, "e2e-reject"))]);
    let mut driver = Driver::start();
    let a = driver.session().await;
    a.goto(&pages.url("/article.html")).await.unwrap();
    wait_js(&a, Duration::from_secs(30), "widget mounted", ITEMS).await;
    write_comment(&a, 0, Some("Bo"), "spam spam").await;
    let mine = items(
        &wait_js(
            &a,
            Duration::from_secs(10),
            "pending item",
            &format!("const r = (function(){{{ITEMS}}})(); return r && r.length ? r : null;"),
        )
        .await,
    );
    let (ok, out) = server.moderate(&["reject", &mine[0].0.to_string()]);
    assert!(ok, "{out}");
    let note = wait_js(&a, Duration::from_secs(6), "rejection note", &format!(
        "const r = (function(){{{ITEMS}}})(); const s = document.querySelector('[data-comments]').shadowRoot.querySelector('[role=status]').textContent; \
         return r && r.length === 0 && s.includes('not published') ? s : null;"
    )).await;
    assert_eq!(note, "One of your comments was not published.");
    a.close().await.ok();
}

#[tokio::test]
async fn a_reader_with_sixty_pending_comments_keeps_polling_without_errors() {
    let host = HostPages::bind();
    let server = Server::start(&[("COMMENTS_ALLOWED_ORIGINS", &host.base)]);
    let pages = host.serve(vec![("/article.html", article_page(&server, "sixty"))]);
    // Sixty comments this reader posted, as the widget remembers them.
    let origin = [
        ("Content-Type", "application/json"),
        ("Origin", host_origin(&pages)),
    ];
    let mine: Vec<serde_json::Value> = (0..60)
        .map(|i| {
            let body = format!("mine {i}");
            let json = serde_json::json!({ "author": "Ana", "body": body }).to_string();
            let r = server.request(
                "POST",
                "/api/v1/threads/sixty/comments",
                &origin,
                json.as_bytes(),
            );
            assert_eq!(r.status, 202, "{}", r.text());
            let v = r.json();
            serde_json::json!({
                "id": v["id"], "token": v["token"], "author": "Ana", "body": body,
                "created_at": 1_700_000_000_000i64 + i,
            })
        })
        .collect();
    let mut driver = Driver::start();
    let a = driver.session().await;
    a.goto(&pages.url("/article.html")).await.unwrap();
    wait_js(&a, Duration::from_secs(30), "widget mounted", ITEMS).await;
    let key = format!("comments:v1:{}:sixty", server.url("/"));
    a.execute(
        "localStorage.setItem(arguments[0], arguments[1]); return true;",
        vec![
            key.into(),
            serde_json::Value::String(serde_json::Value::Array(mine.clone()).to_string()),
        ],
    )
    .await
    .unwrap();
    a.refresh().await.unwrap();
    let shown = items(
        &wait_js(
            &a,
            Duration::from_secs(30),
            "sixty pending",
            &format!(
                "const r = (function(){{{ITEMS}}})(); return r && r.length === 60 ? r : null;"
            ),
        )
        .await,
    );
    assert!(shown.iter().all(|(_, pending, _)| *pending));
    // One in the second batch of status tokens is approved.
    let last = mine[55]["id"].as_i64().unwrap();
    let (ok, out) = server.moderate(&["approve", &last.to_string()]);
    assert!(ok, "{out}");
    let approved = format!(
        "const r = (function(){{{ITEMS}}})(); return r && r.length === 60 && r.some(i => i[0] === {last} && !i[1]) ? r : null;"
    );
    let after = items(
        &wait_js(
            &a,
            Duration::from_secs(10),
            "the approval among sixty",
            &approved,
        )
        .await,
    );
    assert_eq!(after.iter().filter(|(_, pending, _)| *pending).count(), 59);
    // Several polls later, still no error.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let failed = a
        .execute(
            "return document.querySelector('[data-comments]').shadowRoot.querySelectorAll('.cw-load-failed:not([hidden])').length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(failed, 0, "the polls kept succeeding");
    a.close().await.ok();
}

fn host_origin(pages: &support::browser::Origin) -> &str {
    &pages.0
}

/// A long article with the widget at its end: `extra` goes on the container.
fn long_article(server: &Server, extra: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Long read</title></head>
<body><h1>A long read</h1><div style="height:9000px">Many paragraphs.</div>
<div data-comments data-thread="long-read" {extra}></div>
<script src="{}" async></script></body></html>"#,
        server.url("/embed.js")
    )
}

/// JS: the resources the page fetched that end with `suffix`.
fn fetched(suffix: &str) -> String {
    format!(
        "return performance.getEntriesByType('resource').filter(e => e.name.endsWith('{suffix}')).length"
    )
}

const MOUNTED: &str = "const h = document.querySelector('[data-comments]');     return !!(h.shadowRoot && h.shadowRoot.querySelector('.cw-form')) || null";

#[tokio::test]
async fn the_widget_loads_only_when_the_reader_nears_the_comments() {
    let host = HostPages::bind();
    let server = Server::start(&[("COMMENTS_ALLOWED_ORIGINS", &host.base)]);
    let pages = host.serve(vec![
        ("/long.html", long_article(&server, "")),
        ("/eager.html", long_article(&server, "data-load=\"eager\"")),
    ]);
    let mut driver = Driver::start();
    let a = driver.session().await;

    // Far from the comments: the loader only.
    a.goto(&pages.url("/long.html")).await.unwrap();
    wait_js(
        &a,
        Duration::from_secs(10),
        "the loader",
        &format!(
            "return {} || null",
            fetched("/embed.js").trim_start_matches("return ")
        ),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let wasm_before = a.execute(&fetched(".wasm"), vec![]).await.unwrap();
    assert_eq!(
        wasm_before, 0,
        "no wasm before the reader nears the comments"
    );
    assert_eq!(a.execute(&fetched(".json"), vec![]).await.unwrap(), 0);
    assert_eq!(
        a.execute(MOUNTED, vec![]).await.unwrap(),
        serde_json::Value::Null
    );

    // Scrolling toward them loads and shows the widget.
    a.execute(
        "window.scrollTo(0, document.body.scrollHeight); return true",
        vec![],
    )
    .await
    .unwrap();
    wait_js(
        &a,
        Duration::from_secs(30),
        "the widget after scrolling",
        MOUNTED,
    )
    .await;
    assert_eq!(a.execute(&fetched(".wasm"), vec![]).await.unwrap(), 1);

    // data-load="eager", and a link to a comment, load at once.
    for page in ["/eager.html", "/long.html#comment-1"] {
        let b = driver.session().await;
        b.goto(&pages.url(page)).await.unwrap();
        wait_js(&b, Duration::from_secs(30), page, MOUNTED).await;
        let y = b.execute("return window.scrollY", vec![]).await.unwrap();
        assert!(
            y.as_f64().unwrap_or(0.0) < 9000.0,
            "{page}: not scrolled down ({y})"
        );
        b.close().await.ok();
    }
    a.close().await.ok();
}

/// Computed styles of the widget's parts, and its size, as JSON.
const STYLE_PROBE: &str = r#"
const host = document.querySelector('[data-comments]');
const root = host.shadowRoot;
if (!root || !root.querySelector('.cw-form')) return null;
const props = ['color','font-size','font-family','font-weight','line-height','padding-top','margin-top',
  'background-color','border-top-width','border-top-style','display','text-transform','letter-spacing'];
const out = {};
for (const sel of ['.cw','.cw-heading','.cw-form','.cw-label','.cw-input','.cw-textarea','.cw-submit','.cw-empty','.cw-status']) {
  const el = root.querySelector(sel);
  const cs = getComputedStyle(el);
  out[sel] = props.map(p => p + ':' + cs.getPropertyValue(p)).join(';');
}
const r = root.querySelector('.cw').getBoundingClientRect();
out.size = Math.round(r.width) + 'x' + Math.round(r.height);
return out;"#;

#[tokio::test]
async fn hostile_host_css_cannot_restyle_the_widget_and_ours_does_not_leak() {
    let host = HostPages::bind();
    let server = Server::start(&[("COMMENTS_ALLOWED_ORIGINS", &host.base)]);
    let embed = server.url("/embed.js");
    let body = |css: &str| {
        format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><style>{css}</style></head><body>
<main style="width:700px"><div data-comments data-thread="e2e-style"></div></main>
<button class="cw-submit" id="light-button">light DOM</button><h2 class="cw-heading" id="light-heading">x</h2>
<script src="{embed}" async></script></body></html>"#
        )
    };
    let hostile = "* { color: red !important; font: italic 31px/3 Impact, serif !important; padding: 13px !important; \
        margin: 7px !important; background: yellow !important; border: 5px dashed red !important; \
        text-transform: uppercase !important; letter-spacing: 4px !important; }\n\
        div, p, button, form, textarea, input, label, h2, section, ol, li { display: inline !important; color: lime !important; \
        font-size: 9px !important; background-color: black !important; }\n\
        [data-comments] { display: none !important; all: unset !important; }";
    let pages = host.serve(vec![
        ("/plain.html", body("")),
        ("/hostile.html", body(hostile)),
    ]);
    let mut driver = Driver::start();
    let c = driver.session().await;

    c.goto(&pages.url("/plain.html")).await.unwrap();
    let plain = wait_js(
        &c,
        Duration::from_secs(30),
        "widget on plain page",
        STYLE_PROBE,
    )
    .await;
    let light_plain = c
        .execute(
            "const s = getComputedStyle(document.getElementById('light-button')); \
                  return [s.backgroundColor, s.color, s.fontWeight, s.borderTopWidth];",
            vec![],
        )
        .await
        .unwrap();
    c.goto(&pages.url("/hostile.html")).await.unwrap();
    let hostile_styles = wait_js(
        &c,
        Duration::from_secs(30),
        "widget on hostile page",
        STYLE_PROBE,
    )
    .await;

    let (p, h) = (
        plain.as_object().unwrap(),
        hostile_styles.as_object().unwrap(),
    );
    for (part, style) in p {
        assert_eq!(
            Some(style),
            h.get(part),
            "{part} differs on the hostile page"
        );
    }
    // Our widget CSS did not reach the page's own `.cw-submit` button.
    let ours = p[".cw-submit"].as_str().unwrap();
    assert!(ours.contains("background-color:rgb(11, 87, 208)"), "{ours}");
    assert!(
        !light_plain[0].as_str().unwrap().contains("11, 87, 208"),
        "leak: {light_plain}"
    );
    c.close().await.ok();
}

#[tokio::test]
async fn several_widgets_per_page_script_twice_and_canonical_thread() {
    let host = HostPages::bind();
    let server = Server::start(&[("COMMENTS_ALLOWED_ORIGINS", &host.base)]);
    let embed = server.url("/embed.js");
    let page = format!(
        r#"<!doctype html><html lang="fr"><head><meta charset="utf-8">
<link rel="canonical" href="https://news.example/2026/11/article-x?utm=1"></head><body>
<div data-comments data-thread="first"></div>
<div data-comments data-thread="second" data-lang="en"></div>
<div data-comments id="by-canonical"></div>
<script src="{embed}" async></script><script src="{embed}" async></script></body></html>"#
    );
    let pages = host.serve(vec![("/multi.html", page)]);
    let mut driver = Driver::start();
    let c = driver.session().await;
    c.goto(&pages.url("/multi.html")).await.unwrap();
    let headings = wait_js(&c, Duration::from_secs(30), "three widgets", r#"
        const hosts = [...document.querySelectorAll('[data-comments]')];
        if (!hosts.every(h => h.shadowRoot && h.shadowRoot.querySelector('.cw-form'))) return null;
        return hosts.map(h => [h.shadowRoot.querySelectorAll('.cw-thread').length, h.shadowRoot.querySelector('.cw-heading').textContent]);"#)
    .await;
    assert_eq!(
        headings,
        serde_json::json!([[1, "Commentaires"], [1, "Comments"], [1, "Commentaires"]]),
        "one widget per host, language from data-lang or <html lang>"
    );
    // Give a duplicate mount a chance to happen, then check it did not.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let wasm_loads = c
        .execute("return performance.getEntriesByType('resource').filter(e => e.name.endsWith('.wasm')).length", vec![])
        .await
        .unwrap();
    assert_eq!(wasm_loads, 1, "the wasm is fetched once");
    let count = c
        .execute("return [...document.querySelectorAll('[data-comments]')].map(h => h.shadowRoot.querySelectorAll('.cw-thread').length)", vec![])
        .await
        .unwrap();
    assert_eq!(count, serde_json::json!([1, 1, 1]));

    // The third widget's thread is the canonical URL's path.
    write_comment(&c, 2, Some("Zoé"), "sur le chemin canonique").await;
    wait_js(&c, Duration::from_secs(10), "pending in third widget", r#"
        return document.getElementById('by-canonical').shadowRoot.querySelector('.cw-pending') !== null;"#)
    .await;
    let (_, out) = server.moderate(&["list"]);
    assert!(out.contains("thread \"/2026/11/article-x\""), "{out}");
    let elements = c.find_all(Locator::Css(".cw-item")).await.unwrap();
    assert!(
        elements.is_empty(),
        "widget markup stays inside shadow roots"
    );
    c.close().await.ok();
}

#[tokio::test]
async fn rate_limit_is_explained_with_the_wait_and_the_text_is_kept() {
    let host = HostPages::bind();
    let server = Server::start(&[
        ("COMMENTS_POST_BURST", "1"),
        ("COMMENTS_POST_REFILL_SECONDS", "60"),
        ("COMMENTS_ALLOWED_ORIGINS", &host.base),
    ]);
    let pages = host.serve(vec![("/article.html", article_page(&server, "e2e-limit"))]);
    let mut driver = Driver::start();
    let c = driver.session().await;
    c.goto(&pages.url("/article.html")).await.unwrap();
    wait_js(&c, Duration::from_secs(30), "widget mounted", ITEMS).await;
    write_comment(&c, 0, Some("Ana"), "first").await;
    wait_js(
        &c,
        Duration::from_secs(10),
        "first comment pending",
        &format!("const r = (function(){{{ITEMS}}})(); return r && r.length === 1 ? r : null;"),
    )
    .await;

    write_comment(&c, 0, None, "second, too soon").await;
    let status = wait_js(&c, Duration::from_secs(10), "rate-limit message", r#"
        const s = document.querySelector('[data-comments]').shadowRoot.querySelector('[role=status]');
        return s.classList.contains('cw-status-error') ? s.textContent : null;"#).await;
    let status = status.as_str().unwrap();
    assert!(
        status.starts_with("You are posting too fast. Please wait "),
        "{status}"
    );
    let seconds: u32 = status
        .trim_start_matches("You are posting too fast. Please wait ")
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a number of seconds");
    assert!((50..=60).contains(&seconds), "{status}");
    let kept = in_widget(&c, 0, ".cw-textarea")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("second, too soon"));
    c.close().await.ok();
}

#[tokio::test]
async fn the_demo_page_works_under_its_content_security_policy() {
    let article = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../demo/tramway-de-nuit.txt"
    );
    let server = Server::start(&[("COMMENTS_DEMO_ARTICLE", article)]);
    let csp = server
        .get("/")
        .header("content-security-policy")
        .map(String::from);
    let csp = csp.expect("the page sends a CSP");
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self' 'wasm-unsafe-eval'")
    );
    let mut driver = Driver::start();
    let c = driver.session().await;
    c.goto(&server.url("/")).await.unwrap();
    let heading = wait_js(&c, Duration::from_secs(30), "widget on the demo page", r#"
        const root = document.querySelector('[data-comments]').shadowRoot;
        return root && root.querySelector('.cw-form') ? root.querySelector('.cw-heading').textContent : null;"#)
    .await;
    assert_eq!(heading, "Commentaires", "French, from <html lang=fr>");
    // An inline script is refused by the policy.
    let blocked = c
        .execute(
            "const s = document.createElement('script'); s.textContent = 'window.__inline = 1'; \
             document.body.appendChild(s); return window.__inline === undefined;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(blocked, true, "inline scripts are blocked");
    c.close().await.ok();
}

#[tokio::test]
async fn the_widget_reports_compose_time_and_its_trap_catches_bots() {
    let host = HostPages::bind();
    let server = Server::start(&[
        ("COMMENTS_ALLOWED_ORIGINS", &host.base),
        // Long enough that typing through WebDriver on a loaded machine
        // stays under it.
        ("COMMENTS_MIN_COMPOSE_MS", "4000"),
    ]);
    // Slow polls: a dropped post's "not published" note must not race the test.
    let page = article_page(&server, "e2e-bots")
        .replace("data-poll-seconds=\"2\"", "data-poll-seconds=\"60\"");
    let pages = host.serve(vec![("/article.html", page)]);
    let mut driver = Driver::start();
    let c = driver.session().await;
    c.goto(&pages.url("/article.html")).await.unwrap();
    wait_js(&c, Duration::from_secs(30), "widget mounted", ITEMS).await;
    let pending_count = format!(
        "const r = (function(){{{ITEMS}}})(); return r ? r.filter(i => i[1]).length : null;"
    );

    // Posted at once, the way a script would: answered, shown pending, dropped.
    write_comment(&c, 0, Some("Quick"), "too fast").await;
    wait_js(
        &c,
        Duration::from_secs(10),
        "first shown pending",
        &format!("const n = (function(){{{pending_count}}})(); return n === 1 ? n : null;"),
    )
    .await;

    // The hidden trap, filled as form-filling bots do, after a human pause.
    tokio::time::sleep(Duration::from_millis(4100)).await;
    c.execute(
        "const r = document.querySelector('[data-comments]').shadowRoot; \
         r.querySelector('.cw-trap').value = 'http://spam.example';",
        vec![],
    )
    .await
    .unwrap();
    write_comment(&c, 0, None, "trapped").await;
    wait_js(
        &c,
        Duration::from_secs(10),
        "second shown pending",
        &format!("const n = (function(){{{pending_count}}})(); return n === 2 ? n : null;"),
    )
    .await;

    // A person: slow enough, trap empty. Only this one is stored.
    c.execute(
        "document.querySelector('[data-comments]').shadowRoot.querySelector('.cw-trap').value = '';",
        vec![],
    )
    .await
    .unwrap();
    write_comment(&c, 0, None, "a real comment").await;
    wait_js(
        &c,
        Duration::from_secs(10),
        "third shown pending",
        &format!("const n = (function(){{{pending_count}}})(); return n === 3 ? n : null;"),
    )
    .await;
    let (_, out) = server.moderate(&["list"]);
    assert!(out.starts_with("1 pending comment(s)"), "{out}");
    assert!(
        out.contains("a real comment") && !out.contains("too fast") && !out.contains("trapped"),
        "{out}"
    );
    let trap_focusable = c
        .execute(
            "return document.querySelector('[data-comments]').shadowRoot.querySelector('.cw-trap').tabIndex",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(trap_focusable, -1, "keyboard users never land in the trap");
    c.close().await.ok();
}

/// The body's HTML in the widget, for the item with `id`.
fn body_html(id: i64) -> String {
    format!(
        "const r = document.querySelector('[data-comments]').shadowRoot; \
         const li = r && r.querySelector('.cw-item[data-comment-id=\"{id}\"]'); \
         return li ? [li.classList.contains('cw-pending'), li.querySelector('.cw-body').innerHTML] : null;"
    )
}

#[tokio::test]
async fn markdown_shows_the_same_pending_and_published() {
    let host = HostPages::bind();
    let server = Server::start(&[("COMMENTS_ALLOWED_ORIGINS", &host.base)]);
    let pages = host.serve(vec![(
        "/article.html",
        article_page(&server, "e2e-markdown"),
    )]);
    let mut driver = Driver::start();
    let c = driver.session().await;
    c.goto(&pages.url("/article.html")).await.unwrap();
    wait_js(&c, Duration::from_secs(30), "widget mounted", ITEMS).await;
    write_comment(
        &c,
        0,
        Some("Ana"),
        "**Bravo** pour *l'enquête*\n> une citation\n\n- un\n- deux\n\nvoir [la source](https://a.example/s) et `code` ![img](https://a.example/i.png) <b>brut</b>",
    )
    .await;
    let pending = wait_js(
        &c,
        Duration::from_secs(10),
        "pending comment",
        "const r = document.querySelector('[data-comments]').shadowRoot; \
         const li = r.querySelector('.cw-item.cw-pending'); \
         return li ? [Number(li.dataset.commentId), li.querySelector('.cw-body').innerHTML] : null;",
    )
    .await;
    let id = pending[0].as_i64().expect("id");
    let html = pending[1].as_str().expect("html").to_string();
    for part in [
        "<strong>Bravo</strong>",
        "<em>l'enquête</em>",
        "<blockquote>",
        "<li>un</li>",
        "<a href=\"https://a.example/s\" target=\"_blank\" rel=\"nofollow ugc noopener noreferrer\">la source</a>",
        "<code>code</code>",
        "img &lt;b&gt;brut&lt;/b&gt;",
    ] {
        assert!(html.contains(part), "pending lacks {part}: {html}");
    }
    assert!(!html.contains("<img") && !html.contains("<b>"), "{html}");
    assert_eq!(server.bearer_decide(id, "approve").status, 200);
    let published = wait_js(
        &c,
        Duration::from_secs(20),
        "published",
        &format!(
            "const v = (function(){{{}}})(); return v && !v[0] ? v[1] : null;",
            body_html(id)
        ),
    )
    .await;
    assert_eq!(
        published.as_str(),
        Some(html.as_str()),
        "looks the same once published"
    );
    c.close().await.ok();
}

/// A listing page: 30 article links, each with its comment count.
fn listing_page(server: &Server, lang: &str) -> String {
    let links: String = (0..30)
        .map(|i| {
            format!("<li><a href=\"/a{i}#comments\" data-comments-count=\"list-{i}\">…</a></li>\n")
        })
        .collect();
    format!(
        r#"<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Listing</title></head>
<body><h1>Articles</h1><ul>{links}</ul><script src="{}" async></script></body></html>"#,
        server.url("/embed.js")
    )
}

#[tokio::test]
async fn a_listing_page_gets_every_count_in_one_request_without_the_widget() {
    let host = HostPages::bind();
    let server = Server::start(&[("COMMENTS_ALLOWED_ORIGINS", &host.base)]);
    for (thread, n) in [("list-1", 1), ("list-2", 12)] {
        for i in 0..n {
            let body = serde_json::json!({ "author": "Ana", "body": format!("Comment {i}"), "compose_ms": 5000 });
            let r = server.request(
                "POST",
                &format!("/api/v1/threads/{thread}/comments"),
                &[("Content-Type", "application/json"), ("Origin", &host.base)],
                body.to_string().as_bytes(),
            );
            assert_eq!(r.status, 202, "{}", r.text());
            let id = r.json()["id"].as_i64().expect("id");
            assert_eq!(server.bearer_decide(id, "approve").status, 200);
        }
    }
    let pages = host.serve(vec![
        ("/fr.html", listing_page(&server, "fr")),
        ("/en.html", listing_page(&server, "en-GB")),
    ]);
    let mut driver = Driver::start();
    let c = driver.session().await;
    for (page, zero, one, twelve) in [
        (
            "/fr.html",
            "0 commentaire",
            "1 commentaire",
            "12 commentaires",
        ),
        ("/en.html", "0 comments", "1 comment", "12 comments"),
    ] {
        c.goto(&pages.url(page)).await.unwrap();
        let texts = wait_js(
            &c,
            Duration::from_secs(20),
            "counts filled",
            "const t = [...document.querySelectorAll('[data-comments-count]')].map(a => a.textContent); \
             return t.every(x => x !== '…') ? t : null;",
        )
        .await;
        let texts: Vec<String> = serde_json::from_value(texts).unwrap();
        assert_eq!(texts.len(), 30);
        assert_eq!(texts[0], zero, "{page}");
        assert_eq!(texts[1], one, "{page}");
        assert_eq!(texts[2], twelve, "{page}");
        assert!(texts[3..].iter().all(|t| t == zero), "{page}: {texts:?}");
        let fetched = c
            .execute(
                "return performance.getEntriesByType('resource').map(e => e.name);",
                vec![],
            )
            .await
            .unwrap();
        let fetched: Vec<String> = serde_json::from_value(fetched).unwrap();
        let counts = fetched
            .iter()
            .filter(|u| u.contains("/api/v1/counts"))
            .count();
        assert_eq!(counts, 1, "{page}: one request for the counts: {fetched:?}");
        assert!(
            !fetched
                .iter()
                .any(|u| u.ends_with(".wasm") || u.contains("/threads/")),
            "{page}: no widget, no thread: {fetched:?}"
        );
    }
    c.close().await.ok();
}

#[tokio::test]
async fn readers_without_javascript_follow_the_fallback_link_to_a_plain_page() {
    let host = HostPages::bind();
    let server = Server::start(&[("COMMENTS_ALLOWED_ORIGINS", &host.base)]);
    for i in 0..3 {
        let body = serde_json::json!({ "author": format!("Reader {i}"), "body": format!("**Avis** numéro {i}"), "compose_ms": 5000 });
        let r = server.request(
            "POST",
            "/api/v1/threads/nojs/comments",
            &[("Content-Type", "application/json"), ("Origin", &host.base)],
            body.to_string().as_bytes(),
        );
        let id = r.json()["id"].as_i64().expect("id");
        assert_eq!(server.bearer_decide(id, "approve").status, 200);
    }
    let fallback = server.url("/threads/nojs");
    let page = format!(
        r#"<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Article</title></head>
<body><p>Texte.</p><div data-comments data-thread="nojs"><a class="fallback" href="{fallback}">Lire les commentaires</a></div>
<script src="{}" async></script></body></html>"#,
        server.url("/embed.js")
    );
    let pages = host.serve(vec![("/article.html", page)]);
    let mut driver = Driver::start();
    let c = driver.session().await;
    c.goto(&pages.url("/article.html")).await.unwrap();
    wait_js(&c, Duration::from_secs(30), "widget mounted", ITEMS).await;
    let hidden = c
        .execute(
            "return document.querySelector('.fallback').getClientRects().length === 0;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(hidden, true, "the widget replaces the fallback link");
    // The link itself, as a reader without JavaScript follows it.
    c.goto(&fallback).await.unwrap();
    let seen = c
        .execute(
            "return { items: [...document.querySelectorAll('li')].map(li => li.textContent.trim()), \
              strong: document.querySelectorAll('.body strong').length, \
              scripts: document.scripts.length, \
              styled: getComputedStyle(document.body).maxWidth, \
              robots: document.querySelector('meta[name=robots]')?.content };",
            vec![],
        )
        .await
        .unwrap();
    let items: Vec<String> = serde_json::from_value(seen["items"].clone()).unwrap();
    assert_eq!(items.len(), 3, "{seen}");
    assert!(
        items[0].contains("Reader 0") && items[0].contains("Avis numéro 0"),
        "{seen}"
    );
    assert_eq!(seen["strong"], 3, "Markdown rendered: {seen}");
    assert_eq!(seen["scripts"], 0, "{seen}");
    assert_eq!(
        seen["styled"], "672px",
        "our stylesheet applies under our CSP: {seen}"
    );
    assert_eq!(seen["robots"], "noindex");
    c.close().await.ok();
}

#[tokio::test]
async fn site_owners_theme_the_widget_with_custom_properties_and_their_font() {
    let host = HostPages::bind();
    let server = Server::start(&[("COMMENTS_ALLOWED_ORIGINS", &host.base)]);
    for (who, text) in [
        ("Camille", "Enfin un tramway de nuit ! **Merci** à la RTM."),
        (
            "Yanis",
            "> Un coût qui fait débat\n\nIl faudrait comparer avec le prix des VTC.",
        ),
    ] {
        let body = serde_json::json!({ "author": who, "body": text, "compose_ms": 5000 });
        let r = server.request(
            "POST",
            "/api/v1/threads/themed/comments",
            &[("Content-Type", "application/json"), ("Origin", &host.base)],
            body.to_string().as_bytes(),
        );
        let id = r.json()["id"].as_i64().expect("id");
        assert_eq!(server.bearer_decide(id, "approve").status, 200);
    }
    let page = format!(
        r#"<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Themed</title>
<style>
body {{ font-family: Georgia, serif; background: #fbf7ef; margin: 2rem; }}
.comments {{ --comments-accent: rgb(160, 30, 40); --comments-text: rgb(40, 30, 20);
  --comments-border: rgb(220, 200, 170); --comments-radius: 0px; --comments-font-size: 17px;
  --comments-background: rgb(255, 252, 245); }}
</style></head>
<body><div class="comments" data-comments data-thread="themed" data-font="inherit"></div>
<script src="{}" async></script></body></html>"#,
        server.url("/embed.js")
    );
    let pages = host.serve(vec![("/themed.html", page)]);
    let mut driver = Driver::start();
    let c = driver.session().await;
    c.set_window_size(760, 900).await.expect("window size");
    c.goto(&pages.url("/themed.html")).await.unwrap();
    wait_js(&c, Duration::from_secs(30), "widget mounted", ITEMS).await;
    let seen = c
        .execute(
            "const r = document.querySelector('[data-comments]').shadowRoot; \
             const s = (sel) => getComputedStyle(r.querySelector(sel)); \
             return { font: s('.cw').fontFamily, size: s('.cw').fontSize, text: s('.cw').color, \
               submit: s('.cw-submit').backgroundColor, radius: s('.cw-submit').borderTopLeftRadius, \
               line: s('.cw-item').borderTopColor, form: s('.cw-form').backgroundColor };",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        seen["font"].as_str().unwrap_or("").contains("Georgia"),
        "{seen}"
    );
    assert_eq!(seen["size"], "17px", "{seen}");
    assert_eq!(seen["text"], "rgb(40, 30, 20)", "{seen}");
    assert_eq!(seen["submit"], "rgb(160, 30, 40)", "{seen}");
    assert_eq!(seen["radius"], "0px", "{seen}");
    assert_eq!(seen["line"], "rgb(220, 200, 170)", "{seen}");
    assert_eq!(seen["form"], "rgb(255, 252, 245)", "{seen}");
    if let Ok(dir) = std::env::var("SCREENSHOT_DIR") {
        let png = c.screenshot().await.expect("screenshot");
        std::fs::write(format!("{dir}/widget-themed.png"), png).expect("write screenshot");
    }
    // Without the properties, the defaults hold.
    c.execute(
        "const h = document.querySelector('[data-comments]'); h.removeAttribute('class'); h.removeAttribute('data-font'); return true;",
        vec![],
    )
    .await
    .unwrap();
    let plain = c
        .execute(
            "const r = document.querySelector('[data-comments]').shadowRoot; \
             return [getComputedStyle(r.querySelector('.cw')).fontFamily, getComputedStyle(r.querySelector('.cw-submit')).backgroundColor];",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        plain[0].as_str().unwrap_or("").contains("system-ui"),
        "{plain}"
    );
    assert_eq!(plain[1], "rgb(11, 87, 208)", "{plain}");
    c.close().await.ok();
}

/// JS: every item of the first widget as `[id, depth, id of the item it is
/// nested in (0: top), pending, removed, "in reply to" line, body]`.
const TREE: &str = r#"
const root = document.querySelector('[data-comments]').shadowRoot;
if (!root || !root.querySelector('.cw-form')) return null;
return [...root.querySelectorAll('.cw-item')].map(li => [
  Number(li.dataset.commentId), Number(li.dataset.depth),
  Number(li.parentElement.closest('.cw-item')?.dataset.commentId || 0),
  li.classList.contains('cw-pending'), li.classList.contains('cw-removed'),
  li.querySelector(':scope > .cw-to')?.textContent || '',
  li.querySelector(':scope > .cw-body').textContent.trim()]);"#;

type Node = (i64, i64, i64, bool, bool, String, String);

fn tree(v: &serde_json::Value) -> Vec<Node> {
    serde_json::from_value(v.clone()).unwrap_or_default()
}

#[tokio::test]
async fn readers_reply_under_a_comment_and_see_it_pending_there_then_published() {
    let host = HostPages::bind();
    let server = Server::start(&[("COMMENTS_ALLOWED_ORIGINS", &host.base)]);
    let t = "e2e-replies";
    let origin = host.base.clone();
    let pages = host.serve(vec![("/article.html", article_page(&server, t))]);
    let root = published(&server, &origin, t, "Ana", "Root", None);
    let r2 = published(&server, &origin, t, "Bea", "Depth two", Some(root));
    let r3 = published(&server, &origin, t, "Cy", "Depth three", Some(r2));
    let r4 = published(&server, &origin, t, "Dee", "Answer to three", Some(r3));
    let gone = published(&server, &origin, t, "Eve", "To be removed", None);
    let kept = published(
        &server,
        &origin,
        t,
        "Fay",
        "Answer to the removed one",
        Some(gone),
    );
    assert_eq!(server.bearer_decide(gone, "reject").status, 200);
    let other = published(
        &server,
        &origin,
        t,
        "Gus",
        "Another top-level comment",
        None,
    );

    let mut driver = Driver::start();
    let a = driver.session().await;
    a.goto(&pages.url("/article.html")).await.unwrap();
    let shown = |v: &serde_json::Value| tree(v).len() == 7;
    let v = wait_js(&a, Duration::from_secs(30), "the thread", TREE).await;
    let v = if shown(&v) {
        v
    } else {
        wait_js(
            &a,
            Duration::from_secs(10),
            "7 items",
            &format!("const r = (function(){{{TREE}}})(); return r && r.length == 7 ? r : null;"),
        )
        .await
    };
    let s = |x: &str| x.to_string();
    assert_eq!(
        tree(&v),
        [
            (root, 1, 0, false, false, s(""), s("Root")),
            (r2, 2, root, false, false, s(""), s("Depth two")),
            (r3, 3, r2, false, false, s(""), s("Depth three")),
            // Three deep at most: beside the one it answers, naming it.
            (
                r4,
                3,
                r2,
                false,
                false,
                s("in reply to Cy"),
                s("Answer to three")
            ),
            (gone, 1, 0, false, true, s(""), s("Comment removed.")),
            (
                kept,
                2,
                gone,
                false,
                false,
                s(""),
                s("Answer to the removed one")
            ),
            (
                other,
                1,
                0,
                false,
                false,
                s(""),
                s("Another top-level comment")
            ),
        ]
    );
    let buttons = a
        .execute("return [...document.querySelector('[data-comments]').shadowRoot.querySelectorAll('.cw-reply')].map(b => Number(b.closest('.cw-item').dataset.commentId))", vec![])
        .await
        .unwrap();
    assert_eq!(
        buttons,
        serde_json::json!([root, r2, r3, r4, kept, other]),
        "a removed comment takes no reply"
    );

    // Reply opens the form under the comment, with the focus in the text;
    // Cancel puts it back.
    let form_at = "const f = document.querySelector('[data-comments]').shadowRoot.querySelector('.cw-form'); \
                   return Number(f.parentElement.closest('.cw-item')?.dataset.commentId || 0);";
    let reply_button = |id: i64| {
        format!(
            "document.querySelector('[data-comments]').shadowRoot.querySelector('[data-comment-id=\"{id}\"] > .cw-reply').click(); return true;"
        )
    };
    a.execute(&reply_button(r2), vec![]).await.unwrap();
    assert_eq!(a.execute(form_at, vec![]).await.unwrap(), r2);
    let focused = a
        .execute(
            "return document.querySelector('[data-comments]').shadowRoot.activeElement?.className",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(focused, "cw-textarea");
    in_widget(&a, 0, ".cw-cancel").await.click().await.unwrap();
    assert_eq!(a.execute(form_at, vec![]).await.unwrap(), 0);

    // A reply to `other`: pending under it, the form back in its place.
    a.execute(&reply_button(other), vec![]).await.unwrap();
    write_comment(&a, 0, Some("Hal"), "My reply").await;
    let pending = |v: &serde_json::Value| tree(v).into_iter().find(|n| n.3);
    let waiting =
        format!("const r = (function(){{{TREE}}})(); return r && r.some(n => n[3]) ? r : null;");
    let v = wait_js(&a, Duration::from_secs(10), "the pending reply", &waiting).await;
    let mine = pending(&v).expect("pending");
    assert_eq!(
        (mine.1, mine.2, mine.6.starts_with("My reply")),
        (2, other, true),
        "{mine:?}"
    );
    assert_eq!(a.execute(form_at, vec![]).await.unwrap(), 0);
    let status = a.execute("return document.querySelector('[data-comments]').shadowRoot.querySelector('[role=status]').textContent", vec![]).await.unwrap();
    assert_eq!(status, PENDING_EN);

    // Still there, still under it, after a reload.
    a.refresh().await.unwrap();
    let v = wait_js(
        &a,
        Duration::from_secs(30),
        "the pending reply after a reload",
        &waiting,
    )
    .await;
    assert_eq!(pending(&v).map(|n| (n.0, n.2)), Some((mine.0, other)));

    // Published: the same item, no longer pending, in the same place.
    assert_eq!(server.bearer_decide(mine.0, "approve").status, 200);
    let published_js = format!(
        "const r = (function(){{{TREE}}})(); return r && r.some(n => n[0] == {} && !n[3]) ? r : null;",
        mine.0
    );
    let v = wait_js(
        &a,
        Duration::from_secs(10),
        "the reply published",
        &published_js,
    )
    .await;
    let now = tree(&v).into_iter().find(|n| n.0 == mine.0).unwrap();
    assert_eq!((now.1, now.2, now.3), (2, other, false));
    a.close().await.ok();
}

#[tokio::test]
async fn a_reply_being_typed_survives_a_poll_that_brings_a_new_comment() {
    let host = HostPages::bind();
    let server = Server::start(&[("COMMENTS_ALLOWED_ORIGINS", &host.base)]);
    let t = "e2e-typing";
    let origin = host.base.clone();
    let pages = host.serve(vec![("/article.html", article_page(&server, t))]);
    let first = published(&server, &origin, t, "Ana", "First", None);
    let mut driver = Driver::start();
    let a = driver.session().await;
    a.goto(&pages.url("/article.html")).await.unwrap();
    wait_js(
        &a,
        Duration::from_secs(30),
        "the thread",
        &format!("const r = (function(){{{TREE}}})(); return r && r.length == 1 ? r : null;"),
    )
    .await;
    a.execute(&format!("document.querySelector('[data-comments]').shadowRoot.querySelector('[data-comment-id=\"{first}\"] > .cw-reply').click(); return true;"), vec![]).await.unwrap();
    let textarea = in_widget(&a, 0, ".cw-textarea").await;
    textarea
        .send_keys("Half a thought, and the rest")
        .await
        .unwrap();
    // The caret after "Half a thought", as a reader going back to edit.
    a.execute("const t = document.querySelector('[data-comments]').shadowRoot.querySelector('.cw-textarea'); t.setSelectionRange(14, 14); window.__mark = t; return true;", vec![]).await.unwrap();

    // Another reader's comment is published meanwhile; the next poll brings it.
    published(&server, &origin, t, "Bea", "Meanwhile", None);
    wait_js(
        &a,
        Duration::from_secs(10),
        "the new comment",
        &format!("const r = (function(){{{TREE}}})(); return r && r.length == 2 ? r : null;"),
    )
    .await;

    let state = a
        .execute(
            "const root = document.querySelector('[data-comments]').shadowRoot; const t = root.querySelector('.cw-textarea'); \
             return [t === window.__mark, root.activeElement === t, t.value, t.selectionStart, t.selectionEnd, \
                     Number(t.closest('.cw-item')?.dataset.commentId || 0)];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        state,
        serde_json::json!([true, true, "Half a thought, and the rest", 14, 14, first])
    );
    a.close().await.ok();
}

#[tokio::test]
async fn arabic_lays_the_widget_out_right_to_left_and_any_tag_finds_its_language() {
    let host = HostPages::bind();
    let server = Server::start(&[("COMMENTS_ALLOWED_ORIGINS", &host.base)]);
    let origin = host.base.clone();
    let t = "e2e-arabic";
    let page = |lang: &str, attr: &str| {
        format!(
            r#"<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>مقال</title></head>
<body style="width:700px"><h1>مقال</h1><div data-comments data-thread="{t}" {attr}></div>
<script src="{}" async></script></body></html>"#,
            server.url("/embed.js")
        )
    };
    let pages = host.serve(vec![
        ("/ar.html", page("ar", "")),
        ("/de.html", page("en", r#"data-lang="de-AT""#)),
        ("/xx.html", page("tlh", "")),
    ]);
    published(&server, &origin, t, "سارة", "مقال رائع، شكرًا.", None);
    let mut driver = Driver::start();
    let c = driver.session().await;
    c.goto(&pages.url("/ar.html")).await.unwrap();
    let layout = wait_js(
        &c,
        Duration::from_secs(30),
        "the widget in Arabic",
        "const root = document.querySelector('[data-comments]').shadowRoot; \
         const s = root && root.querySelector('.cw-form') && root.querySelector('.cw-thread'); \
         const item = s && s.querySelector('.cw-item'); if (!item) return null; \
         const a = item.querySelector('.cw-author').getBoundingClientRect(), i = item.getBoundingClientRect(); \
         return {dir: s.getAttribute('dir'), lang: s.getAttribute('lang'), direction: getComputedStyle(s).direction, \
                 heading: s.querySelector('.cw-heading').textContent, submit: s.querySelector('.cw-submit').textContent.trim(), \
                 date: item.querySelector('.cw-date').textContent, \
                 authorAtRight: Math.abs(a.right - i.right) < 2 && a.left > i.left + 100};",
    )
    .await;
    assert_eq!(layout["dir"], "rtl", "{layout}");
    assert_eq!(layout["lang"], "ar");
    assert_eq!(layout["direction"], "rtl");
    assert_eq!(layout["heading"], "التعليقات");
    assert_eq!(layout["submit"], "نشر التعليق");
    assert_eq!(
        layout["authorAtRight"], true,
        "the name starts at the right: {layout}"
    );
    // The relative date comes from Intl, in Arabic.
    let date = layout["date"].as_str().unwrap_or("");
    assert!(
        date.chars()
            .any(|ch| ('\u{0600}'..='\u{06FF}').contains(&ch)),
        "{date}"
    );
    let png = c.screenshot().await.expect("screenshot");
    assert_eq!(&png[..4], b"\x89PNG");
    if let Ok(dir) = std::env::var("SCREENSHOT_DIR") {
        std::fs::write(format!("{dir}/widget-rtl.png"), png).expect("write screenshot");
    }

    // data-lang="de-AT" finds German; a language nobody wrote falls back to English.
    for (path, heading, dir) in [
        ("/de.html", "Kommentare", "ltr"),
        ("/xx.html", "Comments", "ltr"),
    ] {
        c.goto(&pages.url(path)).await.unwrap();
        let seen = wait_js(
            &c,
            Duration::from_secs(30),
            path,
            "const root = document.querySelector('[data-comments]').shadowRoot; \
             const s = root && root.querySelector('.cw-form') && root.querySelector('.cw-thread'); \
             return s && [s.querySelector('.cw-heading').textContent, s.getAttribute('dir')];",
        )
        .await;
        assert_eq!(seen, serde_json::json!([heading, dir]), "{path}");
    }
    c.close().await.ok();
}

/// JS: the CSP violations this document reported (a watcher records them).
const VIOLATIONS: &str =
    "return (window.__violations || []).map(v => v.violatedDirective + ' ' + v.blockedURI);";

#[tokio::test]
async fn hosts_that_allow_no_wasm_or_no_script_get_the_widget_in_an_iframe() {
    let host = HostPages::bind();
    let origin = host.base.clone();
    // The frame posts from the server's own origin: its public URL's.
    let server = Server::start_public(&[("COMMENTS_ALLOWED_ORIGINS", &origin)]);
    let ours = server.url("").trim_end_matches('/').to_string();
    let watch = r#"<script nonce="n0nce">window.__violations = [];
document.addEventListener('securitypolicyviolation', e => window.__violations.push(e));</script>"#;
    // Our script allowed, but no wasm-unsafe-eval and no unsafe-inline.
    let strict = format!(
        "default-src 'none'; script-src 'self' {ours} 'nonce-n0nce'; frame-src {ours}; style-src 'self'; base-uri 'none'"
    );
    let strict_page = format!(
        r#"<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Strict</title>{watch}</head>
<body><main><h1>Article</h1><div data-comments data-mode="iframe" data-thread="framed"></div></main>
<script src="{}"></script></body></html>"#,
        server.url("/embed.js")
    );
    // No script at all: the plain iframe snippet.
    let plain_page = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Plain</title></head>
<body><iframe src="{ours}/embed/frame?thread=framed&amp;lang=en" title="Comments" style="width:100%;height:600px;border:0"></iframe></body></html>"#
    );
    let pages = host.serve_with_policy(vec![
        ("/strict.html", strict_page, strict),
        (
            "/plain.html",
            plain_page,
            format!("default-src 'none'; frame-src {ours}; style-src 'unsafe-inline'"),
        ),
    ]);
    let mut driver = Driver::start();
    let c = driver.session().await;
    c.goto(&pages.url("/strict.html")).await.unwrap();
    let src = wait_js(
        &c,
        Duration::from_secs(20),
        "the iframe",
        "const f = document.querySelector('[data-comments] iframe'); return f && f.src;",
    )
    .await;
    let src = src.as_str().unwrap_or("");
    assert!(
        src.starts_with(&format!("{ours}/embed/frame?"))
            && src.contains("thread=framed")
            && src.contains("lang=fr"),
        "{src}"
    );
    let before = wait_js(&c, Duration::from_secs(30), "the first size", "const f = document.querySelector('[data-comments] iframe'); return f.style.height != '24em' && f.getBoundingClientRect().height;").await;

    // The widget's events reach the container on the host page too.
    c.execute(
        "window.__heard = []; document.querySelector('[data-comments]').addEventListener('comments:posted', e => window.__heard.push(e.detail.id)); return true;",
        vec![],
    )
    .await
    .unwrap();
    // Inside the frame: the widget, in French, posting as anywhere else.
    c.enter_frame(0).await.unwrap();
    wait_js(&c, Duration::from_secs(30), "the widget in the frame", "const r = document.querySelector('[data-comments]').shadowRoot; return !!(r && r.querySelector('.cw-form')) || null;").await;
    c.execute("window.__violations = []; document.addEventListener('securitypolicyviolation', e => window.__violations.push(e)); return true;", vec![]).await.unwrap();
    write_comment(&c, 0, Some("Zoé"), "Depuis un cadre").await;
    let notice = wait_js(&c, Duration::from_secs(10), "the pending notice", "const s = document.querySelector('[data-comments]').shadowRoot.querySelector('[role=status]').textContent; return s.includes('validation') ? s : null;").await;
    assert_eq!(
        notice,
        "Merci pour votre commentaire. Il sera visible prochainement sous réserve de validation."
    );
    let inside = c
        .execute(
            "return Math.ceil(document.body.getBoundingClientRect().height);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        c.execute(VIOLATIONS, vec![]).await.unwrap(),
        serde_json::json!([]),
        "none in the frame"
    );
    c.enter_parent_frame().await.unwrap();

    // The frame grew with the pending comment, to its content's height.
    let js = format!(
        "const h = document.querySelector('[data-comments] iframe').getBoundingClientRect().height; return h == {inside} && h;"
    );
    let after = wait_js(&c, Duration::from_secs(10), "the frame resized", &js).await;
    assert!(after.as_f64() > before.as_f64(), "{before} -> {after}");
    let heard = wait_js(
        &c,
        Duration::from_secs(10),
        "comments:posted on the host page",
        "return window.__heard.length ? window.__heard : null;",
    )
    .await;
    assert!(heard[0].as_i64().is_some_and(|id| id > 0), "{heard}");
    if let Ok(dir) = std::env::var("SCREENSHOT_DIR") {
        c.set_window_size(1000, 900).await.unwrap();
        let png = c.screenshot().await.expect("screenshot");
        std::fs::write(format!("{dir}/widget-iframe.png"), png).expect("write screenshot");
    }
    assert_eq!(
        c.execute(VIOLATIONS, vec![]).await.unwrap(),
        serde_json::json!([]),
        "none on the host page"
    );
    // The moderators see the article it was posted under, not the frame.
    let auth = format!("Bearer {}", support::MOD_TOKEN);
    let queue = server
        .request(
            "GET",
            "/api/v1/moderation/comments?status=pending",
            &[("Authorization", &auth)],
            b"",
        )
        .json();
    let item = &queue["comments"][0];
    assert_eq!(
        (
            item["thread"].as_str(),
            item["page_url"].as_str(),
            item["page_title"].as_str()
        ),
        (
            Some("framed"),
            Some(pages.url("/strict.html").as_str()),
            Some("Strict")
        ),
        "{queue}"
    );

    // The plain snippet: no script on the page, the widget inside.
    c.goto(&pages.url("/plain.html")).await.unwrap();
    c.enter_frame(0).await.unwrap();
    wait_js(&c, Duration::from_secs(30), "the widget in the plain iframe", "const r = document.querySelector('[data-comments]') && document.querySelector('[data-comments]').shadowRoot; return !!(r && r.querySelector('.cw-form')) || null;").await;
    c.close().await.ok();
}

/// JS: a snippet run inside the widget's shadow root, as `root`.
fn in_root(body: &str) -> String {
    format!(
        "const root = document.querySelector('[data-comments]').shadowRoot; if (!root) return null; {body}"
    )
}

/// JS: the thread requests the page made so far, as their query strings.
const THREAD_QUERIES: &str = "return performance.getEntriesByType('resource').map(e => new URL(e.name)) \
     .filter(u => /\\/comments$/.test(u.pathname)).map(u => u.search);";

#[tokio::test]
async fn a_big_thread_comes_a_page_at_a_time_and_polls_bring_only_what_changed() {
    let host = HostPages::bind();
    let server = Server::start(&[("COMMENTS_ALLOWED_ORIGINS", &host.base)]);
    let t = "e2e-pages";
    let origin = host.base.clone();
    let pages = host.serve(vec![("/article.html", article_page(&server, t))]);
    let roots: Vec<i64> = (0..23)
        .map(|i| published(&server, &origin, t, "Ana", &format!("Top {i}"), None))
        .collect();
    let replies: Vec<i64> = (0..5)
        .map(|i| {
            published(
                &server,
                &origin,
                t,
                "Bea",
                &format!("Reply {i}"),
                Some(roots[0]),
            )
        })
        .collect();
    let mut driver = Driver::start();
    let a = driver.session().await;
    a.goto(&pages.url("/article.html")).await.unwrap();

    // The first page: 20 top-level comments, the first with 3 of its 5
    // replies and a button for the other two, and Load more.
    let v = wait_js(
        &a,
        Duration::from_secs(30),
        "the first page",
        &format!("const r = (function(){{{TREE}}})(); return r && r.length == 23 ? r : null;"),
    )
    .await;
    let ids: Vec<i64> = tree(&v).iter().map(|n| n.0).collect();
    assert_eq!(ids[..4], [roots[0], replies[0], replies[1], replies[2]]);
    assert!(!ids.contains(&roots[20]), "the second page is not read yet");
    let buttons = a
        .execute(
            &in_root(
                "return [root.querySelector('.cw-more-replies')?.textContent, \
                 Number(root.querySelector('.cw-more-replies')?.closest('.cw-item').dataset.commentId), \
                 root.querySelector('.cw-more').hidden, root.querySelector('.cw-more').textContent];",
            ),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        buttons,
        serde_json::json!(["Show 2 more replies", roots[0], false, "Show more comments"])
    );

    // Show 2 more replies: the whole conversation, in place, the rest untouched.
    a.execute(
        &in_root("root.querySelector('[data-comment-id]').__mark = 1; root.querySelector('.cw-more-replies').click(); return true;"),
        vec![],
    )
    .await
    .unwrap();
    let v = wait_js(
        &a,
        Duration::from_secs(10),
        "the whole conversation",
        &format!("const r = (function(){{{TREE}}})(); return r && r.length == 25 ? r : null;"),
    )
    .await;
    let nodes = tree(&v);
    assert_eq!(
        nodes[..6].iter().map(|n| (n.0, n.2)).collect::<Vec<_>>(),
        [(roots[0], 0)]
            .into_iter()
            .chain(replies.iter().map(|r| (*r, roots[0])))
            .collect::<Vec<_>>()
    );
    assert_eq!(nodes[6].0, roots[1]);
    let kept = a
        .execute(
            &in_root("return [root.querySelector('[data-comment-id]').__mark, !!root.querySelector('.cw-more-replies')];"),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        kept,
        serde_json::json!([1, false]),
        "items kept, button gone"
    );

    // Load more: the last three top-level comments; no more button.
    in_widget(&a, 0, ".cw-more").await.click().await.unwrap();
    let v = wait_js(
        &a,
        Duration::from_secs(10),
        "the second page",
        &format!("const r = (function(){{{TREE}}})(); return r && r.length == 28 ? r : null;"),
    )
    .await;
    assert_eq!(
        tree(&v)[25..].iter().map(|n| n.0).collect::<Vec<_>>(),
        roots[20..]
    );
    assert_eq!(
        a.execute(
            &in_root("return root.querySelector('.cw-more').hidden;"),
            vec![]
        )
        .await
        .unwrap(),
        true
    );

    // Polls ask what changed since the list's revision: a reply published
    // under the second comment, a comment rejected; nothing else is rebuilt.
    a.execute(
        &in_root("for (const li of root.querySelectorAll('.cw-item')) li.__mark = 1; return true;"),
        vec![],
    )
    .await
    .unwrap();
    let late = published(&server, &origin, t, "Cy", "Late reply", Some(roots[1]));
    assert_eq!(server.bearer_decide(roots[5], "reject").status, 200);
    let v = wait_js(
        &a,
        Duration::from_secs(10),
        "the changes",
        &format!(
            "const r = (function(){{{TREE}}})(); return r && r.some(n => n[0] == {late}) && !r.some(n => n[0] == {}) ? r : null;",
            roots[5]
        ),
    )
    .await;
    let late_node = tree(&v).into_iter().find(|n| n.0 == late).unwrap();
    assert_eq!((late_node.1, late_node.2), (2, roots[1]));
    let rebuilt = a
        .execute(
            &in_root(
                "return [...root.querySelectorAll('.cw-item')].filter(li => !li.__mark).map(li => Number(li.dataset.commentId));",
            ),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        rebuilt,
        serde_json::json!([late]),
        "only the new item is new"
    );
    let queries: Vec<String> =
        serde_json::from_value(a.execute(THREAD_QUERIES, vec![]).await.unwrap()).unwrap();
    let revision_polls = queries.iter().filter(|q| q.starts_with("?since=")).count();
    assert!(revision_polls >= 1, "{queries:?}");
    assert_eq!(
        queries.iter().filter(|q| q.is_empty()).count(),
        1,
        "one first page, then changes only: {queries:?}"
    );
    // The comment the late reply answers is unpublished: it stays as a
    // placeholder, its reply under it, the reply's item kept.
    a.execute(
        &in_root(&format!(
            "root.querySelector('[data-comment-id=\"{late}\"]').__mark = 2; return true;"
        )),
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(server.bearer_decide(roots[1], "reject").status, 200);
    let v = wait_js(
        &a,
        Duration::from_secs(10),
        "the placeholder",
        &format!(
            "const r = (function(){{{TREE}}})(); return r && r.some(n => n[0] == {} && n[4]) ? r : null;",
            roots[1]
        ),
    )
    .await;
    let late_node = tree(&v).into_iter().find(|n| n.0 == late).unwrap();
    assert_eq!((late_node.1, late_node.2), (2, roots[1]));
    let late_kept = a
        .execute(
            &in_root(&format!(
                "return root.querySelector('[data-comment-id=\"{late}\"]').__mark || 0;"
            )),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(late_kept, 2, "the reply's item is the same one");
    let conversation = format!("?root={}", roots[0]);
    assert!(
        queries.iter().any(|q| q.starts_with(&conversation)),
        "{queries:?}"
    );
    assert!(
        queries.iter().any(|q| q.starts_with("?after=")),
        "{queries:?}"
    );
    a.close().await.ok();
}

#[tokio::test]
async fn a_permalink_opens_the_page_that_holds_its_comment_and_link_copies_it() {
    let host = HostPages::bind();
    let server = Server::start(&[("COMMENTS_ALLOWED_ORIGINS", &host.base)]);
    let t = "e2e-permalink";
    let origin = host.base.clone();
    // A French article whose address bar the reader can copy from; the
    // clipboard, recorded for the test.
    let page = format!(
        r#"<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Article</title>
<link rel="canonical" href="{origin}/articles/tramway">
<script>Object.defineProperty(navigator, 'clipboard', {{ value: {{ writeText: t => {{ window.__copied = t; return Promise.resolve(); }} }} }});</script></head>
<body><h1>Un article</h1><p style="height:3000px">Texte.</p>
<div data-comments data-thread="{t}" data-poll-seconds="2"></div>
<script src="{}" async></script></body></html>"#,
        server.url("/embed.js")
    );
    let pages = host.serve(vec![("/article.html", page)]);
    let roots: Vec<i64> = (0..25)
        .map(|i| published(&server, &origin, t, "Ana", &format!("Numéro {i}"), None))
        .collect();
    let target = roots[22];
    let answer = published(&server, &origin, t, "Bea", "Une réponse", Some(target));
    let mut driver = Driver::start();
    let a = driver.session().await;
    a.goto(&format!("{}#comment-{answer}", pages.url("/article.html")))
        .await
        .unwrap();
    // The page that starts with its conversation: shown, marked, on screen.
    let v = wait_js(
        &a,
        Duration::from_secs(30),
        "the comment",
        &in_root(
            "const li = root.querySelector('.cw-target'); if (!li) return null; const b = li.getBoundingClientRect(); \
             return [Number(li.dataset.commentId), b.top >= 0 && b.bottom <= innerHeight, \
                     Number(root.querySelector('.cw-item').dataset.commentId)];",
        ),
    )
    .await;
    assert_eq!(v, serde_json::json!([answer, true, target]));
    let more = a
        .execute(&in_root("return [root.querySelector('.cw-more').hidden, root.querySelector('.cw-more').textContent];"), vec![])
        .await
        .unwrap();
    assert_eq!(
        more,
        serde_json::json!([true, "Afficher plus de commentaires"]),
        "the last page"
    );

    // Lien: the permalink on the clipboard, the comment marked.
    let link = a
        .execute(
            &in_root(&format!(
                "const a = root.querySelector('[data-comment-id=\"{}\"] > .cw-link'); a.click(); \
                 return [a.textContent, a.getAttribute('href')];",
                roots[23]
            )),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        link,
        serde_json::json!(["Lien", format!("#comment-{}", roots[23])])
    );
    let copied = wait_js(
        &a,
        Duration::from_secs(5),
        "the copy",
        "return window.__copied;",
    )
    .await;
    assert_eq!(
        copied,
        format!("{origin}/articles/tramway#comment-{}", roots[23])
    );
    assert_eq!(
        a.execute(
            &in_root(&format!(
                "return root.querySelector('[data-comment-id=\"{}\"]').matches('.cw-target');",
                roots[23]
            )),
            vec![]
        )
        .await
        .unwrap(),
        true
    );
    a.close().await.ok();
}

#[tokio::test]
async fn a_french_conversation_on_the_demo_article_nests_names_and_offers_the_rest() {
    let article = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../demo/tramway-de-nuit.txt"
    );
    let server = Server::start(&[("COMMENTS_DEMO_ARTICLE", article)]);
    let origin = server.url("");
    let origin = origin.trim_end_matches('/');
    let t = "tramway-de-nuit";
    let say = |who: &str, text: &str, to: Option<i64>| published(&server, origin, t, who, text, to);
    let claire = say(
        "Claire M.",
        "Je le prends **tous les samedis** en rentrant du travail : vingt minutes d'attente au lieu d'une heure de marche.",
        None,
    );
    let jl = say(
        "Jean-Luc",
        "Et le coût ? La Métropole n'a toujours pas publié les chiffres de fréquentation par arrêt.",
        Some(claire),
    );
    let claire2 = say(
        "Claire M.",
        "Ils sont dans le rapport de septembre, page 12.",
        Some(jl),
    );
    let marc = say("Marc", "Merci, je ne l'avais pas trouvé.", Some(claire2));
    for (who, text) in [
        ("Inès", "Même constat à la Blancarde."),
        ("Paul", "Il faudrait le prolonger le jeudi."),
    ] {
        say(who, text, Some(claire));
    }
    let gone = say("Anonyme", "Message retiré par la modération.", None);
    say(
        "Sophie",
        "Pour répondre à la question plus haut : oui, la ligne est surveillée.",
        Some(gone),
    );
    assert_eq!(server.bearer_decide(gone, "reject").status, 200);

    let mut driver = Driver::start();
    let c = driver.session().await;
    c.goto(&server.url("/")).await.unwrap();
    let v = wait_js(
        &c,
        Duration::from_secs(30),
        "the conversation",
        &format!("const r = (function(){{{TREE}}})(); return r && r.length == 6 ? r : null;"),
    )
    .await;
    let nodes = tree(&v);
    // The first 3 replies of the conversation, then the button for the rest.
    assert_eq!(
        nodes
            .iter()
            .map(|n| (n.0, n.1, n.5.as_str()))
            .take(4)
            .collect::<Vec<_>>(),
        [
            (claire, 1, ""),
            (jl, 2, ""),
            (claire2, 3, ""),
            (marc, 3, "en réponse à Claire M.")
        ]
    );
    assert_eq!(nodes[4].6, "Commentaire retiré.");
    let words = c
        .execute(
            &in_root(
                "return [root.querySelector('.cw-reply').textContent, root.querySelector('.cw-link').textContent, \
                 root.querySelector('.cw-more-replies').textContent, root.querySelector('.cw-item strong')?.textContent];",
            ),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        words,
        serde_json::json!([
            "Répondre",
            "Lien",
            "Afficher 2 autres réponses",
            "tous les samedis"
        ])
    );
    if let Ok(dir) = std::env::var("SCREENSHOT_DIR") {
        c.execute(
            "document.querySelector('.comments').scrollIntoView(); return true;",
            vec![],
        )
        .await
        .unwrap();
        let png = c.screenshot().await.expect("screenshot");
        std::fs::write(format!("{dir}/widget-conversation.png"), png).expect("write screenshot");
    }
    c.close().await.ok();
}

#[tokio::test]
async fn staff_replies_carry_their_badge_and_a_closed_thread_keeps_the_readers_text() {
    let host = HostPages::bind();
    let server = Server::start(&[("COMMENTS_ALLOWED_ORIGINS", &host.base)]);
    let pages = host.serve(vec![("/article.html", article_page(&server, "newsroom"))]);
    let mut driver = Driver::start();
    let a = driver.session().await;
    a.goto(&pages.url("/article.html")).await.unwrap();
    wait_js(&a, Duration::from_secs(30), "widget mounted", ITEMS).await;
    write_comment(&a, 0, Some("Ana"), "A question for the newsroom").await;
    let mine = items(
        &wait_js(
            &a,
            Duration::from_secs(10),
            "pending item",
            &format!("const r = (function(){{{ITEMS}}})(); return r && r.length ? r : null;"),
        )
        .await,
    );
    let (ok, out) = server.moderate(&["approve", &mine[0].0.to_string()]);
    assert!(ok, "{out}");
    let auth = format!("Bearer {}", support::MOD_TOKEN);
    let bearer = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let reply = server.request(
        "POST",
        &format!("/api/v1/moderation/comments/{}/reply", mine[0].0),
        &bearer,
        br#"{"body":"Thank you, we corrected it."}"#,
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    const ROOT: &str = "const root = document.querySelector('[data-comments]').shadowRoot;";
    let badge = wait_js(
        &a,
        Duration::from_secs(10),
        "staff badge",
        &format!("{ROOT} const b = root.querySelector('.cw-replies .cw-staff'); return b ? b.textContent : null;"),
    )
    .await;
    assert_eq!(badge, "Staff");
    if let Ok(dir) = std::env::var("SCREENSHOT_DIR") {
        a.set_window_size(1000, 900).await.unwrap();
        let png = in_widget(&a, 0, ".cw-thread")
            .await
            .screenshot()
            .await
            .expect("screenshot");
        std::fs::write(format!("{dir}/widget-staff.png"), png).expect("write screenshot");
    }

    // The reader is typing when a moderator closes the thread.
    in_widget(&a, 0, ".cw-textarea")
        .await
        .send_keys("Typed before the close")
        .await
        .unwrap();
    let close = server.request(
        "POST",
        "/api/v1/moderation/threads/state",
        &bearer,
        br#"{"thread":"newsroom","state":"closed"}"#,
    );
    assert_eq!(close.status, 200, "{}", close.text());
    let shown = wait_js(
        &a,
        Duration::from_secs(10),
        "closed notice",
        &format!("{ROOT} const p = root.querySelector('.cw-closed'); return p && !p.hidden ? p.textContent : null;"),
    )
    .await;
    assert_eq!(shown, "Comments are closed.");
    let state = a
        .execute(
            &format!(
                "{ROOT} const shown = (s) => getComputedStyle(root.querySelector(s)).display !== 'none'; \
                 return [shown('.cw-form'), shown('.cw-reply')];"
            ),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        state,
        serde_json::json!([true, false]),
        "the form holds text; no Reply"
    );
    in_widget(&a, 0, ".cw-submit").await.click().await.unwrap();
    let kept = wait_js(
        &a,
        Duration::from_secs(10),
        "refused post",
        &format!(
            "{ROOT} const s = root.querySelector('[role=status]').textContent; \
             return s.includes('closed') ? [s, root.querySelector('.cw-textarea').value] : null;"
        ),
    )
    .await;
    assert_eq!(
        kept,
        serde_json::json!(["Comments are closed.", "Typed before the close"])
    );
    // Emptied, the form gives way to the notice.
    let hidden = a
        .execute(
            &format!(
                "{ROOT} const t = root.querySelector('.cw-textarea'); t.value = ''; \
                 return getComputedStyle(root.querySelector('.cw-form')).display;"
            ),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(hidden, "none");
    a.close().await.ok();
}

#[tokio::test]
async fn readers_see_editors_picks_report_a_comment_and_ask_for_replies_by_mail() {
    let host = HostPages::bind();
    let smtp = support::sinks::SmtpSink::start();
    let smtp_url = smtp.url();
    let moderators = support::moderators_env();
    let server = Server::start(&[
        ("COMMENTS_ALLOWED_ORIGINS", &host.base),
        ("COMMENTS_MODERATORS", &moderators),
        ("COMMENTS_HIDE_AFTER_REPORTS", "2"),
        ("COMMENTS_SMTP_URL", &smtp_url),
        ("COMMENTS_MAIL_FROM", "Comments <comments@news.example>"),
    ]);
    let origin = host.base.clone();
    let pages = host.serve(vec![("/article.html", article_page(&server, "picks"))]);
    let first = published(&server, &origin, "picks", "Ana", "A first view", None);
    let second = published(
        &server,
        &origin,
        "picks",
        "Bob",
        "The best comment here",
        None,
    );
    let mut driver = Driver::start();
    let c = driver.session().await;
    c.goto(&pages.url("/article.html")).await.unwrap();
    wait_js(&c, Duration::from_secs(30), "widget mounted", ITEMS).await;
    const ROOT: &str = "const root = document.querySelector('[data-comments]').shadowRoot;";
    let picks = &format!(
        "{ROOT} const s = root.querySelector('.cw-featured'); \
         return s && !s.hidden ? [s.querySelector('h3').textContent, \
           [...s.querySelectorAll('.cw-item')].map(li => Number(li.dataset.commentId))] : null;"
    );
    let none = c.execute(picks, vec![]).await.unwrap();
    assert_eq!(none, serde_json::Value::Null, "no heading without picks");

    // A moderator features Bob's comment: it shows first, under its heading.
    let auth = format!("Bearer {}", support::MOD_TOKEN);
    let bearer = [("Authorization", auth.as_str())];
    let r = server.request(
        "POST",
        &format!("/api/v1/moderation/comments/{second}/feature"),
        &bearer,
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let shown = wait_js(&c, Duration::from_secs(10), "the editors' picks", picks).await;
    assert_eq!(shown, serde_json::json!(["Editors' picks", [second]]));
    let above = c
        .execute(
            &format!(
                "{ROOT} return !!(root.querySelector('.cw-featured').compareDocumentPosition(\
                 root.querySelector('.cw-list')) & Node.DOCUMENT_POSITION_FOLLOWING);"
            ),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(above, true, "over the thread");
    // Its link goes to its place in the thread.
    in_widget(&c, 0, ".cw-featured .cw-link")
        .await
        .click()
        .await
        .unwrap();
    let target = wait_js(
        &c,
        Duration::from_secs(10),
        "the pick's place in the thread",
        &format!("{ROOT} const t = root.querySelector('.cw-list .cw-target'); return t ? Number(t.dataset.commentId) : null;"),
    )
    .await;
    assert_eq!(target, second);

    // Report Ana's comment from its own button: a dialog with the server's form.
    let report_button = format!(".cw-list [data-comment-id=\"{first}\"] .cw-report");
    in_widget(&c, 0, &report_button)
        .await
        .click()
        .await
        .unwrap();
    let open = wait_js(
        &c,
        Duration::from_secs(10),
        "the report dialog",
        &format!("{ROOT} const d = root.querySelector('.cw-dialog'); return d && d.open ? d.querySelector('iframe').src : null;"),
    )
    .await;
    let src = open.as_str().unwrap_or("");
    assert!(
        src.contains(&format!("/report/{first}?lang=en&reader=")),
        "{src}"
    );
    let frame = in_widget(&c, 0, ".cw-dialog iframe").await;
    frame.enter_frame().await.unwrap();
    wait_js(
        &c,
        Duration::from_secs(10),
        "the report form",
        "return document.querySelector('form') && document.title == 'Report a comment' || null",
    )
    .await;
    let quoted = c
        .execute(
            "return document.querySelector('.reported').textContent",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        quoted.as_str().unwrap_or("").contains("A first view"),
        "{quoted}"
    );
    c.find(Locator::Css("input[value=spam]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let thanks = wait_js(
        &c,
        Duration::from_secs(10),
        "the thanks",
        "const p = document.querySelector('.done'); return p ? p.textContent : null;",
    )
    .await;
    assert_eq!(
        thanks,
        "Thank you. The moderators will review this comment."
    );
    c.enter_parent_frame().await.unwrap();
    in_widget(&c, 0, ".cw-close").await.click().await.unwrap();
    let closed = c
        .execute(
            &format!("{ROOT} return root.querySelector('.cw-dialog').open;"),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(closed, false, "Close closes it");
    let reported = server
        .request("GET", "/api/v1/moderation/reported", &bearer, b"")
        .json();
    assert_eq!(reported[0]["comment"]["id"], first);
    assert_eq!(reported[0]["reports"][0]["reason"], "spam");
    // The moderators' Reported view lists it (and pictures it for the README).
    let moderator = driver.session().await;
    support::browser::sign_in(&moderator, &server.url(""), "ana", support::PASSWORD).await;
    moderator
        .goto(&server.url("/admin/reported"))
        .await
        .unwrap();
    let listed = wait_js(
        &moderator,
        Duration::from_secs(10),
        "the Reported view",
        "const r = document.querySelector('.reported .reports'); return r ? r.textContent : null;",
    )
    .await;
    let listed = listed.as_str().unwrap_or("");
    assert!(
        listed.contains("1 report") && listed.contains("spam"),
        "{listed}"
    );
    if let Ok(dir) = std::env::var("SCREENSHOT_DIR") {
        moderator.set_window_size(1000, 760).await.unwrap();
        let png = moderator.screenshot().await.expect("screenshot");
        std::fs::write(format!("{dir}/moderation-reported.png"), png).expect("write screenshot");
    }
    moderator.close().await.ok();

    // A second reader's report hides the comment: it goes from the page.
    let r = server.request(
        "POST",
        &format!("/api/v1/comments/{first}/report"),
        &[("Content-Type", "application/json"), ("Origin", &origin)],
        br#"{"reason":"abuse","reader":"bbbbbbbbbbbbbbbbbbbbbbbb"}"#,
    );
    assert_eq!(r.status, 202, "{}", r.text());
    let left = wait_js(
        &c,
        Duration::from_secs(10),
        "the hidden comment gone",
        &format!(
            "{ROOT} const ids = [...root.querySelectorAll('.cw-list .cw-item')].map(li => Number(li.dataset.commentId)); \
             return ids.length == 1 ? ids : null;"
        ),
    )
    .await;
    assert_eq!(left, serde_json::json!([second]));

    // With mail on, the form offers replies by mail, with the address.
    let offered = wait_js(
        &c,
        Duration::from_secs(10),
        "the replies box",
        &format!("{ROOT} const b = root.querySelector('.cw-check'); return b && !b.hidden ? b.textContent.trim() : null;"),
    )
    .await;
    assert_eq!(offered, "Also email me the replies to my comment");
    in_widget(&c, 0, "input[type=email]")
        .await
        .send_keys("reader@example.org")
        .await
        .unwrap();
    in_widget(&c, 0, ".cw-check input")
        .await
        .click()
        .await
        .unwrap();
    write_comment(&c, 0, Some("Zoé"), "Tell me when someone answers").await;
    let token = wait_js(
        &c,
        Duration::from_secs(10),
        "the pending comment kept",
        "for (let i = 0; i < localStorage.length; i++) { const k = localStorage.key(i); \
         if (k.endsWith(':picks')) return JSON.parse(localStorage.getItem(k))[0].token; } return null;",
    )
    .await;
    let export = server.request(
        "POST",
        "/api/v1/comments/export",
        &[("Content-Type", "application/json"), ("Origin", &origin)],
        serde_json::json!({ "token": token }).to_string().as_bytes(),
    );
    assert_eq!(export.json()["replies_email"], "reader@example.org");
    c.close().await.ok();
}

#[tokio::test]
async fn a_host_that_enforces_trusted_types_gets_the_widget_with_no_violation() {
    let host = HostPages::bind();
    let origin = host.base.clone();
    let server = Server::start(&[("COMMENTS_ALLOWED_ORIGINS", &origin)]);
    published(
        &server,
        &origin,
        "typed",
        "Ana",
        "A **bold** first comment",
        None,
    );
    let ours = server.url("").trim_end_matches('/').to_string();
    let watch = r#"<script nonce="n0nce">window.__violations = [];
document.addEventListener('securitypolicyviolation', e => window.__violations.push(e));</script>"#;
    // Trusted Types enforced, our policy name allowed; our script and wasm.
    let policy = format!(
        "require-trusted-types-for 'script'; trusted-types comments; \
         script-src {ours} 'nonce-n0nce' 'wasm-unsafe-eval'; connect-src {ours}; \
         style-src 'unsafe-inline'; frame-src {ours}; default-src 'none'"
    );
    let page = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Typed</title>{watch}</head>
<body><h1>Article</h1><div data-comments data-thread="typed" data-poll-seconds="2"></div>
<script src="{}"></script></body></html>"#,
        server.url("/embed.js")
    );
    let pages = host.serve_with_policy(vec![("/typed.html", page, policy)]);
    let mut driver = Driver::start();
    let c = driver.session().await;
    c.goto(&pages.url("/typed.html")).await.unwrap();
    wait_js(&c, Duration::from_secs(30), "widget mounted", ITEMS).await;
    const ROOT: &str = "const root = document.querySelector('[data-comments]').shadowRoot;";
    let body = wait_js(
        &c,
        Duration::from_secs(10),
        "the server's HTML, through the policy",
        &format!("{ROOT} const b = root.querySelector('.cw-body strong'); return b ? b.textContent : null;"),
    )
    .await;
    assert_eq!(body, "bold");
    write_comment(&c, 0, Some("Zoé"), "Posted under *Trusted Types*").await;
    let pending = wait_js(
        &c,
        Duration::from_secs(10),
        "the pending comment, rendered",
        &format!("{ROOT} const p = root.querySelector('.cw-pending .cw-body em'); return p ? p.textContent : null;"),
    )
    .await;
    assert_eq!(pending, "Trusted Types");
    let enforced = c
        .execute(
            "try { document.createElement('div').innerHTML = '<b>x</b>'; return false; } catch { return true; }",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(enforced, true, "the page does enforce Trusted Types");
    // Only the probe above, the page's own, broke the policy.
    let ours_only = c
        .execute(
            "return window.__violations.filter(v => v.sourceFile && !v.sourceFile.startsWith(location.origin)).map(v => v.violatedDirective + ' ' + v.sourceFile);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        ours_only,
        serde_json::json!([]),
        "no violation from our code"
    );
    let violations = c.execute(VIOLATIONS, vec![]).await.unwrap();
    assert_eq!(
        violations.as_array().map(Vec::len),
        Some(1),
        "one violation, the probe's: {violations}"
    );
    c.close().await.ok();
}

#[tokio::test]
async fn single_page_apps_mount_and_unmount_without_leaving_pollers_and_hear_events() {
    let host = HostPages::bind();
    let origin = host.base.clone();
    let server = Server::start(&[("COMMENTS_ALLOWED_ORIGINS", &origin)]);
    published(&server, &origin, "spa-9", "Ana", "Already here", None);
    // A single-page app: no container in the HTML; its router makes one
    // per article and mounts the widget into it.
    let page = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>App</title></head>
<body><main id="app"></main><script src="{}"></script>
<script>
window.__events = [];
window.show = (n) => {{
  const old = document.querySelector('#article');
  if (old) {{ Comments.unmount(old); old.remove(); }}
  const el = document.createElement('div');
  el.id = 'article';
  for (const name of ['comments:loaded', 'comments:posted', 'comments:approved'])
    el.addEventListener(name, (e) => window.__events.push([name, n, e.detail.id ?? null]));
  document.querySelector('#app').append(el);
  Comments.mount(el, {{ thread: 'spa-' + n, pollSeconds: '2' }});
}};
</script></body></html>"#,
        server.url("/embed.js")
    );
    let pages = host.serve(vec![("/app.html", page)]);
    let mut driver = Driver::start();
    let c = driver.session().await;
    c.goto(&pages.url("/app.html")).await.unwrap();
    wait_js(
        &c,
        Duration::from_secs(20),
        "the API",
        "return !!window.Comments || null",
    )
    .await;
    // Ten articles, one after the other: each widget mounts, loads, goes.
    for n in 0..10 {
        c.execute(&format!("window.show({n}); return true;"), vec![])
            .await
            .unwrap();
        wait_js(
            &c,
            Duration::from_secs(30),
            "the widget mounted",
            &format!(
                "return window.__events.some(e => e[0] == 'comments:loaded' && e[1] == {n}) || null"
            ),
        )
        .await;
    }
    let loaded = c
        .execute(
            "return window.__events.filter(e => e[0] == 'comments:loaded').map(e => e[1]);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(loaded, serde_json::json!([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    let shown = c
        .execute(
            "const r = document.querySelector('#article').shadowRoot; return [...r.querySelectorAll('.cw-item .cw-body')].map(b => b.textContent.trim());",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        shown,
        serde_json::json!(["Already here"]),
        "the last one's thread"
    );
    // One poller left: over six seconds of two-second polls, a handful of
    // requests, not ten pollers' worth.
    c.execute("performance.clearResourceTimings(); return true;", vec![])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(6)).await;
    let polls = c
        .execute(
            "return performance.getEntriesByType('resource').filter(e => e.name.includes('/comments?since=')).length;",
            vec![],
        )
        .await
        .unwrap();
    let polls = polls.as_i64().unwrap_or(-1);
    assert!((1..=4).contains(&polls), "{polls} polls in 6 s");
    // And no listener left by the widgets that went: the page going
    // hidden and visible again wakes one poller only.
    c.execute("performance.clearResourceTimings(); document.dispatchEvent(new Event('visibilitychange')); return true;", vec![])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let woken = c
        .execute(
            "return performance.getEntriesByType('resource').filter(e => e.name.includes('/comments?since=')).length;",
            vec![],
        )
        .await
        .unwrap();
    assert!(woken.as_i64().unwrap_or(99) <= 1, "{woken}");

    // Posting, then an approval: the page hears of both, with the id.
    let el = c.find(Locator::Css("#article")).await.unwrap();
    let root = el.shadow_root().await.unwrap();
    root.find(Locator::Css(".cw-input"))
        .await
        .unwrap()
        .send_keys("Zoé")
        .await
        .unwrap();
    root.find(Locator::Css(".cw-textarea"))
        .await
        .unwrap()
        .send_keys("From the app")
        .await
        .unwrap();
    root.find(Locator::Css(".cw-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let posted = wait_js(
        &c,
        Duration::from_secs(10),
        "comments:posted",
        "const e = window.__events.find(e => e[0] == 'comments:posted'); return e ? e[2] : null;",
    )
    .await;
    let id = posted.as_i64().expect("the new comment's id");
    assert_eq!(server.bearer_decide(id, "approve").status, 200);
    let approved = wait_js(
        &c,
        Duration::from_secs(15),
        "comments:approved",
        "const e = window.__events.find(e => e[0] == 'comments:approved'); return e ? e[2] : null;",
    )
    .await;
    assert_eq!(approved, id);
    // Unmounted, a container is empty and can take the widget again.
    let again = c
        .execute(
            "const el = document.querySelector('#article'); Comments.unmount(el); \
             const empty = el.shadowRoot.childNodes.length == 0; \
             Comments.mount(el, { thread: 'spa-9' }); return empty;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(again, true);
    wait_js(
        &c,
        Duration::from_secs(20),
        "mounted again",
        "return document.querySelector('#article').shadowRoot.querySelectorAll('.cw-form').length == 1 || null",
    )
    .await;
    c.close().await.ok();
}
