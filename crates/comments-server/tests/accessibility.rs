//! Accessibility, measured: axe-core (from npm, `AXE_JS`) in real Chromium over the widget in each of its states and over every moderation page. The target is no violation of any impact; the count per page is printed.

mod support;

use fantoccini::Client;
use std::time::Duration;
use support::browser::{Driver, HostPages, in_widget, sign_in, wait_js};
use support::{PASSWORD, Server, moderators_env, published};

/// axe-core's script: `AXE_JS`, as `cargo xtask test` installs it.
fn axe_source() -> String {
    let path = std::env::var("AXE_JS").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
        format!("{home}/.cache/comments-tools/npm/node_modules/axe-core/axe.min.js")
    });
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("axe-core at {path} ({e}): run `cargo xtask setup`"))
}

/// Runs axe over the page as it is now (open shadow roots included) and
/// returns its violations as `id (impact): targets`, printing the count.
async fn violations(c: &Client, axe: &str, page: &str) -> Vec<String> {
    // WebDriver's scripts run outside the page's policy: the moderation
    // pages' strict CSP allows no injected script, and needs to allow none.
    c.execute(&format!("{axe}\nreturn true;"), vec![])
        .await
        .expect("inject axe-core");
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' +
                 v.nodes.map(n => JSON.stringify(n.target) + ' ' + n.failureSummary).join(' | '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("run axe-core");
    let found: Vec<String> = serde_json::from_value(found).unwrap_or_default();
    println!("axe-core: {page}: {} violation(s)", found.len());
    for v in &found {
        println!("  {v}");
    }
    found
}

/// A host page a site owner would write around the widget.
fn article(server: &Server, thread: &str, theme: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>An article</title></head>
<body><main><h1>An article</h1><p>Text of the article.</p>
<div data-comments data-thread="{thread}" data-theme="{theme}" data-poll-seconds="2"></div></main>
<script src="{}" async></script></body></html>"#,
        server.url("/embed.js")
    )
}

const MOUNTED: &str = "const r = document.querySelector('[data-comments]').shadowRoot; \
                       return !!(r && r.querySelector('.cw-form')) || null;";

#[tokio::test]
async fn the_widget_and_the_moderation_pages_have_no_accessibility_violations() {
    let axe = axe_source();
    let host = HostPages::bind();
    let origin = host.base.clone();
    let server = Server::start(&[
        ("COMMENTS_ALLOWED_ORIGINS", &origin),
        ("COMMENTS_MODERATORS", &moderators_env()),
    ]);
    let root = published(
        &server,
        &origin,
        "talk",
        "Ana",
        "A *first* comment, with a [link](https://example.org).",
        None,
    );
    let reply = published(
        &server,
        &origin,
        "talk",
        "Ana",
        "A reply to it.",
        Some(root),
    );
    published(
        &server,
        &origin,
        "talk",
        "Ana",
        "A reply to the reply.",
        Some(reply),
    );
    let pages = host.serve(vec![
        ("/empty.html", article(&server, "nothing-yet", "light")),
        ("/talk.html", article(&server, "talk", "light")),
        ("/dark.html", article(&server, "talk", "dark")),
    ]);
    let mut driver = Driver::start();
    let c = driver.session().await;
    let mut all = Vec::new();
    let mut check = async |c: &Client, page: &str| {
        all.push((page.to_string(), violations(c, &axe, page).await))
    };

    for (path, what) in [
        ("/empty.html", "widget, empty"),
        ("/talk.html", "widget, with comments and replies"),
        ("/dark.html", "widget, dark"),
    ] {
        c.goto(&pages.url(path)).await.unwrap();
        wait_js(&c, Duration::from_secs(30), what, MOUNTED).await;
        if path != "/empty.html" {
            wait_js(&c, Duration::from_secs(10), "the replies", "return document.querySelector('[data-comments]').shadowRoot.querySelectorAll('.cw-item').length == 3 || null").await;
        }
        check(&c, what).await;
    }
    // An error: a post without a name.
    c.goto(&pages.url("/talk.html")).await.unwrap();
    wait_js(&c, Duration::from_secs(30), "mounted", MOUNTED).await;
    in_widget(&c, 0, ".cw-textarea")
        .await
        .send_keys("No name given")
        .await
        .unwrap();
    in_widget(&c, 0, ".cw-submit").await.click().await.unwrap();
    wait_js(&c, Duration::from_secs(10), "the error", "return document.querySelector('[data-comments]').shadowRoot.querySelector('.cw-status-error') && true || null").await;
    check(&c, "widget, error").await;
    // Pending, with the reply form open under a comment.
    in_widget(&c, 0, ".cw-input")
        .await
        .send_keys("Bea")
        .await
        .unwrap();
    in_widget(&c, 0, ".cw-submit").await.click().await.unwrap();
    wait_js(&c, Duration::from_secs(10), "pending", "return document.querySelector('[data-comments]').shadowRoot.querySelector('.cw-pending') && true || null").await;
    in_widget(&c, 0, ".cw-reply").await.click().await.unwrap();
    check(&c, "widget, pending, replying").await;
    // An editor's pick over the thread, and the report dialog open on a comment.
    let auth = format!("Bearer {}", support::MOD_TOKEN);
    let featured = server.request(
        "POST",
        &format!("/api/v1/moderation/comments/{reply}/feature"),
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(featured.status, 200);
    c.goto(&pages.url("/talk.html")).await.unwrap();
    wait_js(&c, Duration::from_secs(30), "the picks", "const r = document.querySelector('[data-comments]').shadowRoot; return r && r.querySelector('.cw-featured:not([hidden])') && true || null").await;
    in_widget(&c, 0, ".cw-list .cw-report")
        .await
        .click()
        .await
        .unwrap();
    wait_js(&c, Duration::from_secs(10), "the report dialog", "return document.querySelector('[data-comments]').shadowRoot.querySelector('.cw-dialog[open]') && true || null").await;
    check(&c, "widget, picks, report dialog").await;
    // The report page itself, as the dialog frames it.
    c.goto(&server.url(&format!("/report/{root}?lang=en")))
        .await
        .unwrap();
    check(&c, "report page").await;

    // The moderation pages, signed in (and the sign-in page before).
    c.goto(&server.url("/admin/login")).await.unwrap();
    check(&c, "moderation: sign-in").await;
    sign_in(&c, &server.url(""), "ana", PASSWORD).await;
    for (path, what) in [
        ("/admin".to_string(), "moderation: queue"),
        (
            "/admin/comments?status=approved".to_string(),
            "moderation: published",
        ),
        (
            "/admin/comments?status=rejected".to_string(),
            "moderation: rejected",
        ),
        ("/admin/thread?key=talk".to_string(), "moderation: thread"),
        ("/admin/audit".to_string(), "moderation: audit"),
    ] {
        c.goto(&server.url(&path)).await.unwrap();
        check(&c, what).await;
    }
    // A reader's history and private note, by the link on the comment the
    // widget posted above.
    c.goto(&server.url("/admin")).await.unwrap();
    let reader = c
        .execute("return document.querySelector('.reader a').href", vec![])
        .await
        .unwrap();
    c.goto(reader.as_str().expect("a reader's link"))
        .await
        .unwrap();
    check(&c, "moderation: reader").await;
    // Reported comments, after a reader's report.
    let r = server.request(
        "POST",
        &format!("/api/v1/comments/{root}/report"),
        &[("Content-Type", "application/json"), ("Origin", &origin)],
        br#"{"reason":"illegal","explanation":"It names a private person."}"#,
    );
    assert_eq!(r.status, 202, "{}", r.text());
    c.goto(&server.url("/admin/reported")).await.unwrap();
    check(&c, "moderation: reported").await;
    c.close().await.ok();
    let failing: Vec<_> = all.iter().filter(|(_, v)| !v.is_empty()).collect();
    assert!(failing.is_empty(), "violations: {failing:#?}");
    assert_eq!(all.len(), 15, "every page was checked");
}
