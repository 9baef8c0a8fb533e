//! How soon a reader sees comments: from navigation start to 100 approved comments in the widget's DOM, cold cache, in headless Chromium on loopback. A measurement for `cargo xtask bench`, not a test of the run (`--ignored`).

mod support;

use std::time::Duration;
use support::Server;
use support::browser::{Driver, HostPages, wait_js};

/// The host page: it notes the moment the widget's shadow root holds 100
/// comments, through a MutationObserver on the root as soon as it exists.
fn page(server: &Server) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Render</title>
<script>
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) {{
  const root = attach.call(this, init);
  new MutationObserver(() => {{
    if (!window.__rendered && root.querySelectorAll('.cw-item').length >= 100) window.__rendered = performance.now();
  }}).observe(root, {{ childList: true, subtree: true }});
  return root;
}};
</script></head>
<body><h1>An article</h1><p>Text.</p>
<div data-comments data-thread="render-bench"></div>
<script src="{}" async></script></body></html>"#,
        server.url("/embed.js")
    )
}

#[tokio::test]
#[ignore = "a measurement: cargo xtask bench runs it"]
async fn time_to_a_hundred_comments() {
    let host = HostPages::bind();
    let server = Server::start(&[]);
    for i in 0..100 {
        let (id, _) = server.post_comment(
            "render-bench",
            &format!("Reader {i}"),
            &format!(
                "Comment number {i}, with a link to https://news.example/{i} and a few more words."
            ),
        );
        assert_eq!(server.bearer_decide(id, "approve").status, 200);
    }
    let pages = host.serve(vec![
        ("/article.html", page(&server)),
        (
            "/warm.html",
            "<!doctype html><title>warm</title><p>warm".to_string(),
        ),
    ]);
    let mut driver = Driver::start();
    let c = driver.session().await;
    let session = c.session_id().await.ok().flatten().expect("session id");
    let driver_addr: std::net::SocketAddr = driver
        .url
        .trim_start_matches("http://")
        .parse()
        .expect("driver address");
    // Chromium's DevTools, through ChromeDriver: no HTTP cache, so that
    // every run fetches (and compiles) everything, as a first visit does.
    let cdp = |cmd: &str| {
        let body =
            serde_json::json!({ "cmd": cmd, "params": { "cacheDisabled": true } }).to_string();
        let r = support::request(
            driver_addr,
            "POST",
            &format!("/session/{session}/goog/cdp/execute"),
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
        assert_eq!(r.status, 200, "{cmd}: {}", r.text());
    };
    cdp("Network.enable");
    cdp("Network.setCacheDisabled");
    let mut times = Vec::new();
    // A first run warms the browser itself up; it does not count.
    for run in 0..8 {
        cdp("Network.clearBrowserCache");
        c.goto(&pages.url("/warm.html")).await.expect("warm up");
        c.goto(&pages.url("/article.html")).await.expect("open");
        // Asking the page while it loads would slow it down: wait first.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let t = wait_js(
            &c,
            Duration::from_secs(30),
            "100 comments",
            "return window.__rendered || null",
        )
        .await;
        if run > 0 {
            times.push(t.as_f64().unwrap_or(f64::NAN));
        }
        // RENDER_TRACE=1: each run's requests, [file, start, end] in ms
        // from navigation start, to see where the time goes.
        if std::env::var("RENDER_TRACE").is_ok() {
            let trace = c
                .execute(
                    "const n = performance.getEntriesByType('navigation')[0]; \
                     return [['page', 0, n.responseEnd | 0]].concat(performance.getEntriesByType('resource') \
                       .map(e => [e.name.split('/').pop().slice(0, 30), e.startTime | 0, e.responseEnd | 0]));",
                    vec![],
                )
                .await
                .expect("trace");
            println!("run {run}: 100 comments at {t} ms; requests {trace}");
        }
    }
    c.close().await.ok();
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    assert_eq!(sorted.len(), 7);
    let shown: Vec<String> = times.iter().map(|t| format!("{t:.0}")).collect();
    println!(
        "navigation start to 100 comments on screen, cold cache: median {:.0} ms (runs: {} ms; target 80 ms)",
        sorted[3],
        shown.join(", ")
    );
}
