//! A corpus of classic XSS vectors, posted, approved and rendered in real Chromium by the widget and by the moderation pages: no script may run.

mod support;

use std::time::Duration;
use support::browser::{Driver, HostPages, sign_in, wait_js};
use support::{MOD_TOKEN, PASSWORD, Server, moderators_env};

/// Markup that runs `P` when interpreted: script tags, event attributes,
/// `javascript:` URLs, SVG/MathML and parser-mutation tricks, entity and
/// encoding tricks.
const TEMPLATES: &[&str] = &[
    "<script>P</script>",
    "<SCRIPT SRC=data:text/javascript,P></SCRIPT>",
    "<img src=x onerror=\"P\">",
    "<img src=x onerror=P//",
    "<svg onload=P>",
    "<svg><script>P</script></svg>",
    "<svg><animate onbegin=P attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=P>",
    "<svg></p><style><a id=\"</style><img src=1 onerror=P>\">",
    "<noscript><p title=\"</noscript><img src=x onerror=P>\">",
    "<iframe src=\"javascript:P\"></iframe>",
    "<iframe srcdoc=\"<script>parent.P</script>\"></iframe>",
    "<a href=\"javascript:P\">click</a>",
    "<a href=\"jav&#x09;ascript:P\">tab</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;P\">ent</a>",
    "<a href=\"JaVaScRiPt:P\">case</a>",
    "<body onload=P>",
    "<details open ontoggle=P>",
    "<input autofocus onfocus=P>",
    "<video><source onerror=\"P\"></video>",
    "<object data=\"javascript:P\"></object>",
    "<embed src=\"javascript:P\">",
    "<form><button formaction=javascript:P>go</button></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:P\">",
    // Against the widget's autolinks.
    "https://a.example/\"onmouseover=\"P",
    "http://a.example/'><svg onload=P>",
    "see https://a.example/<img src=x onerror=P>.",
    "\"><script>P</script>",
    "'><img src=x onerror=P>",
    "<img src=\"x` `<script>P</script>\"` `>",
    "&lt;script&gt;P&lt;/script&gt;",
    "\\u003cscript\\u003eP\\u003c/script\\u003e",
    "<template><img src=x onerror=P></template>",
    "<style>@import 'javascript:P';</style>",
    "<div style=\"background:url(javascript:P)\">",
    "<marquee onstart=P>",
    "<base href=\"javascript:P//\">",
    // Against the Markdown renderer: link and autolink schemes, entity and
    // whitespace tricks in link targets, reference links, images, emphasis
    // and code around HTML.
    "[x](javascript:P)",
    "[x](jav&#x61;script:P)",
    "[x](&#106;avascript:P)",
    "[x](&#0000106avascript:P)",
    "[x](java&#9;script:P)",
    "[x]( javascript:P )",
    "[x](<javascript:P>)",
    "[x](vbscript:P)",
    "[x](data:text/html,<script>P</script>)",
    "<javascript:P>",
    "[ref][r]\n\n[r]: javascript:P",
    "[ref]\n\n[ref]: &#106;avascript:P \"t\"",
    "![x](javascript:P)",
    "![x](https://a.example/x.png\"onerror=\"P)",
    "[x](https://a.example \"t\" onmouseover=P)",
    "[x](https://a.example\"onmouseover=\"P)",
    "[<img src=x onerror=P>](https://a.example)",
    "*<img src=x onerror=P>*",
    "**_<svg onload=P>_**",
    "_a <a href=\"javascript:P\">b</a> c_",
    "***<script>P</script>***",
    "`<script>P</script>`",
    "```\n<script>P</script>\n```",
    "> <img src=x onerror=P>\n> - <svg onload=P>",
    "- [x](javascript:P)\n- <script>P</script>",
    "# <script>P</script>",
    "<https://a.example/\"onmouseover=\"P>",
    "[x](mailto:a@b.example\"onmouseover=\"P)",
    "<!-- --><script>P</script><!-- -->",
];

/// Payloads that mark the page when they run.
const PAYLOADS: &[&str] = &["window.__xss=1", "alert(1)", "top.__xss=2"];

/// At most 200, the most one moderation view lists.
fn corpus() -> Vec<String> {
    TEMPLATES
        .iter()
        .flat_map(|t| PAYLOADS.iter().map(move |p| t.replace('P', p)))
        .collect()
}

#[tokio::test]
async fn no_vector_runs_or_reaches_the_dom_as_markup() {
    let vectors = corpus();
    assert!(vectors.len() >= 100, "{} vectors", vectors.len());
    let host = HostPages::bind();
    let moderators = moderators_env();
    let server = Server::start(&[
        ("COMMENTS_ALLOWED_ORIGINS", &host.base),
        ("COMMENTS_MODERATORS", &moderators),
    ]);
    let auth = format!("Bearer {MOD_TOKEN}");
    for (i, v) in vectors.iter().enumerate() {
        // Short one-line vectors go in the author name too.
        let author = if v.chars().count() <= 64 && !v.contains('\n') {
            v.clone()
        } else {
            format!("Reader {i}")
        };
        // The page's title and URL reach the moderation pages too.
        let json = serde_json::json!({
            "author": author, "body": v, "page_title": v, "page_url": format!("javascript:{i}"),
        })
        .to_string();
        let r = server.request(
            "POST",
            "/api/v1/threads/xss/comments",
            &[("Content-Type", "application/json"), ("Origin", &host.base)],
            json.as_bytes(),
        );
        assert_eq!(r.status, 202, "{v}: {}", r.text());
        let id = r.json()["id"].as_i64().unwrap();
        let a = server.request(
            "POST",
            &format!("/api/v1/moderation/comments/{id}/approve"),
            &[("Authorization", &auth)],
            b"",
        );
        assert_eq!(a.status, 200);
    }
    let page = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><script>
window.__alerts = 0; window.alert = () => {{ window.__alerts++; }};
</script></head><body><div data-comments data-thread="xss"></div>
<script src="{}" async></script></body></html>"#,
        server.url("/embed.js")
    );
    let pages = host.serve(vec![("/xss.html", page)]);
    let mut driver = Driver::start();
    let c = driver.session().await;
    c.goto(&pages.url("/xss.html")).await.unwrap();
    // A page at a time: Load more until every vector is on screen.
    let count = wait_js(
        &c,
        Duration::from_secs(60),
        "all comments rendered",
        &format!(
            "const r = document.querySelector('[data-comments]').shadowRoot; \
         const n = r ? r.querySelectorAll('.cw-item').length : 0; if (n === {}) return n; \
         r?.querySelector('.cw-more:not([hidden])')?.click(); return null;",
            vectors.len()
        ),
    )
    .await;
    assert_eq!(count, vectors.len());
    // Give anything that could fire (onerror, onload, autofocus, timers) time to.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let report = c
        .execute(
            r#"
            const root = document.querySelector('[data-comments]').shadowRoot;
            const all = [...root.querySelectorAll('*'), ...document.querySelectorAll('*')];
            const onAttrs = all.flatMap(el => [...el.attributes].filter(a => /^on/i.test(a.name)).map(a => el.tagName + ' ' + a.name));
            const jsUrls = all.flatMap(el => [...el.attributes].filter(a => /^\s*javascript:/i.test(a.value)).map(a => el.tagName + ' ' + a.name));
            // The markup allowed in comment text: the Markdown subset, with
            // links to http(s) or mailto only, with our rel.
            const SUBSET = ['P', 'BR', 'EM', 'STRONG', 'CODE', 'PRE', 'BLOCKQUOTE', 'UL', 'OL', 'LI'];
            const safe = el => el.tagName === 'A'
              ? /^(https?:\/\/|mailto:)/i.test(el.getAttribute('href'))
                && el.getAttribute('rel') === 'nofollow ugc noopener noreferrer'
                && [...el.attributes].every(a => ['href', 'rel', 'target'].includes(a.name))
              : SUBSET.includes(el.tagName)
                && [...el.attributes].every(a => el.tagName === 'OL' && a.name === 'start');
            const links = root.querySelectorAll('.cw-body a').length;
            const tags = [...root.querySelectorAll('.cw-body *')].filter(el => !safe(el)).map(el => el.tagName)
              .concat([...root.querySelectorAll('.cw-author *')].map(el => el.tagName));
            const bodies = [...root.querySelectorAll('.cw-body')].map(el => el.textContent);
            return { xss: window.__xss ?? null, alerts: window.__alerts, onAttrs, jsUrls, tags, bodies, links };"#,
            vec![],
        )
        .await
        .unwrap();
    println!(
        "XSS corpus: {} vectors ({} templates x {} payloads) rendered in the widget; scripts run: {}, alerts: {}, on* attributes: {}, javascript: URLs: {}, elements inside comment text outside the Markdown subset: {} (safe links: {})",
        vectors.len(),
        TEMPLATES.len(),
        PAYLOADS.len(),
        report["xss"],
        report["alerts"],
        report["onAttrs"].as_array().map_or(0, Vec::len),
        report["jsUrls"].as_array().map_or(0, Vec::len),
        report["tags"].as_array().map_or(0, Vec::len),
        report["links"],
    );
    assert!(
        report["links"].as_u64().unwrap_or(0) >= 9,
        "the link vectors became links: {report}"
    );
    assert!(report["xss"].is_null(), "a script ran: {report}");
    assert_eq!(report["alerts"], 0, "{report}");
    assert_eq!(report["onAttrs"], serde_json::json!([]), "{report}");
    assert_eq!(report["jsUrls"], serde_json::json!([]), "{report}");
    assert_eq!(report["tags"], serde_json::json!([]), "{report}");
    // Every vector is shown: raw HTML as the text the reader typed.
    let bodies: Vec<String> = serde_json::from_value(report["bodies"].clone()).unwrap();
    assert!(
        bodies.iter().all(|b| !b.trim().is_empty()),
        "an empty comment"
    );
    for v in vectors.iter().filter(|v| v.starts_with("<script>")) {
        assert!(
            bodies.iter().any(|b| b.trim() == v.trim()),
            "not shown as text: {v}"
        );
    }
    c.close().await.ok();

    // The same comments in the moderation pages, as a signed-in moderator sees them.
    let m = driver.session().await;
    sign_in(&m, &server.url(""), "ana", PASSWORD).await;
    for path in ["/admin/thread?key=xss", "/admin/comments?status=approved"] {
        m.goto(&server.url(path)).await.unwrap();
        let n = wait_js(
            &m,
            Duration::from_secs(30),
            "every comment listed",
            &format!(
                "const n = document.querySelectorAll('article.item').length; return n === {} ? n : null;",
                vectors.len()
            ),
        )
        .await;
        assert_eq!(n, vectors.len());
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let report = m
            .execute(
                r#"
                const all = [...document.querySelectorAll('*')];
                const onAttrs = all.flatMap(el => [...el.attributes].filter(a => /^on/i.test(a.name)).map(a => el.tagName + ' ' + a.name));
                const jsUrls = all.flatMap(el => [...el.attributes].filter(a => /^\s*javascript:/i.test(a.value)).map(a => el.tagName + ' ' + a.name));
                const SUBSET = ['P', 'BR', 'EM', 'STRONG', 'CODE', 'PRE', 'BLOCKQUOTE', 'UL', 'OL', 'LI'];
                const safe = el => el.tagName === 'A'
                  ? /^(https?:\/\/|mailto:)/i.test(el.getAttribute('href'))
                    && el.getAttribute('rel') === 'nofollow ugc noopener noreferrer'
                  : SUBSET.includes(el.tagName);
                const tags = [...document.querySelectorAll('.body *')].filter(el => !safe(el)).map(el => el.tagName)
                  .concat([...document.querySelectorAll('.author *, .title *, .source pre *')].map(el => el.tagName));
                const sources = [...document.querySelectorAll('.source pre')].map(el => el.textContent);
                const bodies = [...document.querySelectorAll('.body')].map(el => el.textContent);
                return { xss: window.__xss ?? null, onAttrs, jsUrls, tags, bodies, sources };"#,
                vec![],
            )
            .await
            .unwrap();
        let alert_open = m.get_alert_text().await.is_ok();
        println!(
            "XSS corpus in {path}: {} comments; scripts run: {}, alerts open: {alert_open}, on* attributes: {}, javascript: URLs: {}, elements inside comment text: {}",
            vectors.len(),
            report["xss"],
            report["onAttrs"].as_array().map_or(0, Vec::len),
            report["jsUrls"].as_array().map_or(0, Vec::len),
            report["tags"].as_array().map_or(0, Vec::len),
        );
        assert!(report["xss"].is_null(), "a script ran in {path}: {report}");
        assert!(!alert_open, "an alert opened in {path}");
        assert_eq!(report["onAttrs"], serde_json::json!([]), "{path}: {report}");
        assert_eq!(report["jsUrls"], serde_json::json!([]), "{path}: {report}");
        assert_eq!(report["tags"], serde_json::json!([]), "{path}: {report}");
        // The source, as the reader typed it, is one click away.
        let sources: Vec<String> = serde_json::from_value(report["sources"].clone()).unwrap();
        for v in &vectors {
            assert!(
                sources.iter().any(|b| b == v.trim()),
                "{path}: source not shown verbatim: {v}"
            );
        }
    }
    m.close().await.ok();
}
