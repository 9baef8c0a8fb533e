//! End to end in real Chromium: a reader posts, a moderator triages at `/admin` by keyboard and by click (with undo), and the reader's open page follows without a reload.

mod support;

use fantoccini::{Client, Locator};
use std::time::Duration;
use support::browser::{Driver, HostPages, in_widget, sign_in, wait_js};
use support::{PASSWORD, Server, moderators_env};

fn article_page(server: &Server) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Marseille – Miami</title>
<link rel="canonical" href="/articles/marseille-miami"></head>
<body><h1>Marseille – Miami</h1><p>Text.</p>
<div data-comments data-thread="marseille-miami" data-poll-seconds="2"></div>
<script src="{}" async></script></body></html>"#,
        server.url("/embed.js")
    )
}

/// JS: the reader's widget items as `[id, pending]`, or null before mounting.
const ITEMS: &str = r#"
const root = document.querySelector('[data-comments]').shadowRoot;
if (!root || !root.querySelector('.cw-form')) return null;
return [...root.querySelectorAll('.cw-item')].map(li =>
  [Number(li.dataset.commentId), li.classList.contains('cw-pending')]);"#;

/// Waits until the reader's items (`i`, a list of `[id, pending]`) satisfy
/// the JS condition `cond`, and returns them.
async fn reader_items(c: &Client, what: &str, cond: &str) -> serde_json::Value {
    wait_js(
        c,
        Duration::from_secs(15),
        what,
        &format!("const i = (function(){{{ITEMS}}})(); return i && ({cond}) ? i : null;"),
    )
    .await
}

/// Waits until the moderation page's message starts with `text` and the
/// JS condition `and` holds.
async fn toast(c: &Client, text: &str, and: &str) {
    wait_js(
        c,
        Duration::from_secs(10),
        text,
        &format!(
            "return document.querySelector('.toast').textContent.startsWith({text:?}) && ({and}) || null"
        ),
    )
    .await;
}

async fn write(c: &Client, body: &str) {
    in_widget(c, 0, ".cw-textarea")
        .await
        .send_keys(body)
        .await
        .expect("type");
    in_widget(c, 0, ".cw-submit")
        .await
        .click()
        .await
        .expect("post");
}

/// The ids of the rows the queue page shows, in order.
async fn rows(c: &Client) -> Vec<i64> {
    let v = c
        .execute(
            "return [...document.querySelectorAll('article.item')].map(a => Number(a.dataset.id))",
            vec![],
        )
        .await
        .expect("rows");
    serde_json::from_value(v).expect("ids")
}

async fn press(c: &Client, key: &str) {
    c.active_element()
        .await
        .expect("focused element")
        .send_keys(key)
        .await
        .expect("key");
}

#[tokio::test]
async fn a_moderator_approves_by_keyboard_rejects_by_click_and_the_reader_sees_it_live() {
    let host = HostPages::bind();
    let moderators = moderators_env();
    let server = Server::start(&[
        ("COMMENTS_ALLOWED_ORIGINS", &host.base),
        ("COMMENTS_MODERATORS", &moderators),
    ]);
    let pages = host.serve(vec![("/article.html", article_page(&server))]);
    let mut driver = Driver::start();
    let reader = driver.session().await;
    let moderator = driver.session().await;

    // 1. A reader posts two comments.
    reader
        .goto(&pages.url("/article.html"))
        .await
        .expect("article");
    wait_js(&reader, Duration::from_secs(30), "widget", ITEMS).await;
    // This server cannot mail, so the widget offers no address field.
    let email_shown = reader
        .execute(
            "return document.querySelector('[data-comments]').shadowRoot \
             .querySelector('input[type=email]').offsetParent !== null",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(email_shown, false);
    in_widget(&reader, 0, ".cw-input")
        .await
        .send_keys("Ana")
        .await
        .expect("name");
    write(&reader, "Allez l'OM ! Belle victoire.").await;
    reader_items(&reader, "first pending", "i.length == 1").await;
    write(
        &reader,
        "Buy cheap watches http://a.example http://b.example http://c.example",
    )
    .await;
    let mine = reader_items(&reader, "two pending", "i.length == 2").await;
    let (keep, spam) = (mine[0][0].as_i64().unwrap(), mine[1][0].as_i64().unwrap());
    // Another reader's comment, so the queue has more than the two.
    let other = serde_json::json!({
        "author": "Bob", "body": "Quel match, quelle ambiance au Vélodrome.",
        "page_title": "Marseille – Miami", "reader": "b".repeat(32),
    });
    let r = server.request(
        "POST",
        "/api/v1/threads/marseille-miami/comments",
        &[("Content-Type", "application/json"), ("Origin", &pages.0)],
        other.to_string().as_bytes(),
    );
    assert_eq!(r.status, 202, "{}", r.text());
    let other_id = r.json()["id"].as_i64().expect("id");

    // 2. A moderator signs in.
    sign_in(&moderator, &server.url(""), "ana", PASSWORD).await;
    wait_js(
        &moderator,
        Duration::from_secs(10),
        "the queue",
        "return document.querySelectorAll('article.item').length == 3 && document.activeElement.matches('article.item') || null",
    )
    .await;
    assert_eq!(rows(&moderator).await[..2], [keep, spam], "oldest first");
    let page = moderator.source().await.expect("source");
    assert!(
        page.contains("Marseille – Miami"),
        "the article's title from the widget"
    );
    assert!(page.contains("many links"));
    if let Ok(dir) = std::env::var("SCREENSHOT_DIR") {
        screenshots(&moderator, &dir).await;
    }

    // 3a. Approve the first with the keyboard (it has the focus: `a`).
    press(&moderator, "a").await;
    toast(&moderator, "Approved 1 comment.", "true").await;
    assert_eq!(rows(&moderator).await.len(), 2);
    // `?` shows the keys.
    press(&moderator, "?").await;
    let open = moderator
        .execute("return document.querySelector('dialog.help').open", vec![])
        .await
        .unwrap();
    assert_eq!(open, true);
    moderator
        .find(Locator::Css("dialog.help button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // 3b. Reject the second with a click; undo; reject again.
    let reject = format!("article.item[data-id=\"{spam}\"] button[value=rejected]");
    moderator
        .find(Locator::Css(&reject))
        .await
        .expect("reject button")
        .click()
        .await
        .expect("click");
    toast(&moderator, "Rejected 1 comment.", "true").await;
    moderator
        .find(Locator::Css(".toast button.undo"))
        .await
        .expect("undo")
        .click()
        .await
        .expect("click undo");
    toast(
        &moderator,
        "Undone.",
        &format!("!!document.querySelector('#c-{spam}')"),
    )
    .await;
    assert!(
        server.listed("pending").contains(&spam),
        "undo put it back in the queue on the server"
    );
    moderator
        .find(Locator::Css(&reject))
        .await
        .expect("reject button again")
        .click()
        .await
        .expect("click");
    toast(&moderator, "Rejected 1 comment.", "true").await;

    // 4. The reader's open page shows the approved one and drops the
    // rejected one, without a reload.
    let marker = reader
        .execute("window.__sameDocument = true; return true", vec![])
        .await
        .unwrap();
    assert_eq!(marker, true);
    let after = reader_items(
        &reader,
        "the reader's page to follow",
        &format!("i.length == 1 && i[0][0] == {keep} && !i[0][1]"),
    )
    .await;
    assert_eq!(after[0][0], keep);
    let same = reader
        .execute("return window.__sameDocument === true", vec![])
        .await
        .unwrap();
    assert_eq!(same, true, "no reload happened");
    let notice = reader
        .execute("return document.querySelector('[data-comments]').shadowRoot.querySelector('[role=status]').textContent", vec![])
        .await
        .unwrap();
    assert_eq!(notice, "One of your comments was not published.");

    // 5. Undo reverts only what nobody changed since: the moderator rejects
    // Bob's comment, someone else approves it meanwhile, and undo says so.
    let reject_other = format!("article.item[data-id=\"{other_id}\"] button[value=rejected]");
    moderator
        .find(Locator::Css(&reject_other))
        .await
        .expect("reject Bob's comment")
        .click()
        .await
        .expect("click");
    toast(&moderator, "Rejected 1 comment.", "true").await;
    let approved_elsewhere = server.bearer_decide(other_id, "approve");
    assert_eq!(approved_elsewhere.status, 200);
    moderator
        .find(Locator::Css(".toast button.undo"))
        .await
        .expect("undo")
        .click()
        .await
        .expect("click undo");
    toast(
        &moderator,
        &format!("Undone, except #{other_id}: someone else changed it since."),
        &format!("!document.querySelector('#c-{other_id}')"),
    )
    .await;
    assert!(
        server.listed("approved").contains(&other_id),
        "the other decision stands"
    );

    // The audit log names the moderator for both decisions.
    moderator
        .goto(&server.url("/admin/audit"))
        .await
        .expect("audit");
    let audit = moderator.source().await.unwrap();
    assert!(audit.contains(&format!("#{keep}")) && audit.contains(&format!("#{spam}")));
    assert!(audit.contains("pending -&gt; approved") && audit.contains("pending -&gt; rejected"));

    reader.close().await.ok();
    moderator.close().await.ok();
}

/// The queue in light and dark, for the README.
async fn screenshots(c: &Client, dir: &str) {
    c.set_window_size(1000, 760).await.expect("window size");
    for (scheme, file) in [
        ("light", "moderation-light.png"),
        ("dark", "moderation-dark.png"),
    ] {
        c.execute(
            &format!("document.documentElement.style.colorScheme = '{scheme}'; return true"),
            vec![],
        )
        .await
        .expect("scheme");
        let png = c.screenshot().await.expect("screenshot");
        std::fs::write(format!("{dir}/{file}"), png).expect("write screenshot");
    }
    c.execute(
        "document.documentElement.style.colorScheme = ''; return true",
        vec![],
    )
    .await
    .expect("reset");
}

#[tokio::test]
async fn bulk_selection_by_keyboard_and_the_authors_opt_in_mail() {
    let smtp = support::sinks::SmtpSink::start();
    let host = HostPages::bind();
    let moderators = moderators_env();
    let smtp_url = smtp.url();
    let server = Server::start(&[
        ("COMMENTS_ALLOWED_ORIGINS", &host.base),
        ("COMMENTS_MODERATORS", &moderators),
        ("COMMENTS_SMTP_URL", &smtp_url),
        ("COMMENTS_MAIL_FROM", "Comments <comments@news.example>"),
    ]);
    let pages = host.serve(vec![("/article.html", article_page(&server))]);
    let mut driver = Driver::start();
    let reader = driver.session().await;
    let moderator = driver.session().await;

    // The server can mail, so the widget offers it; the reader gives an address.
    reader
        .goto(&pages.url("/article.html"))
        .await
        .expect("article");
    wait_js(
        &reader,
        Duration::from_secs(30),
        "the optional email field",
        "const r = document.querySelector('[data-comments]').shadowRoot; \
         const e = r && r.querySelector('input[type=email]'); \
         return e && e.offsetParent !== null || null",
    )
    .await;
    in_widget(&reader, 0, ".cw-input")
        .await
        .send_keys("Ana")
        .await
        .expect("name");
    in_widget(&reader, 0, "input[type=email]")
        .await
        .send_keys("not-an-address")
        .await
        .expect("email");
    write(&reader, "Tell me when it is out.").await;
    wait_js(
        &reader,
        Duration::from_secs(10),
        "the address refused in words, text kept",
        "const r = document.querySelector('[data-comments]').shadowRoot; \
         return r.querySelector('[role=status]').textContent.includes('email address') \
           && r.querySelector('.cw-textarea').value == 'Tell me when it is out.' || null",
    )
    .await;
    let email = in_widget(&reader, 0, "input[type=email]").await;
    email.clear().await.expect("clear");
    email.send_keys("ana@example.org").await.expect("email");
    in_widget(&reader, 0, ".cw-submit")
        .await
        .click()
        .await
        .expect("post");
    reader_items(&reader, "pending", "i.length == 1").await;
    write(&reader, "And a second thought.").await;
    reader_items(&reader, "two pending", "i.length == 2").await;

    // A third, withdrawn by its author before anyone moderates it.
    write(&reader, "On second thoughts, never mind.").await;
    let third = reader_items(&reader, "three pending", "i.length == 3").await[2][0].clone();
    in_widget(&reader, 0, ".cw-item:last-child .cw-withdraw")
        .await
        .click()
        .await
        .expect("withdraw");
    reader_items(
        &reader,
        "withdrawn",
        &format!("i.length == 2 && !i.some(x => x[0] == {third})"),
    )
    .await;
    let stored = reader
        .execute("return Object.keys(localStorage).filter(k => k.startsWith('comments:v1:http')).map(k => localStorage.getItem(k)).join('')", vec![])
        .await
        .unwrap();
    assert!(
        !stored.as_str().unwrap_or("").contains("never mind"),
        "forgotten locally too"
    );

    // The moderator selects both with x / j / x and approves them together.
    sign_in(&moderator, &server.url(""), "bob", PASSWORD).await;
    wait_js(
        &moderator,
        Duration::from_secs(10),
        "the queue",
        "return document.querySelectorAll('article.item').length == 2 && document.activeElement.matches('article.item') || null",
    )
    .await;
    for key in ["x", "j", "x"] {
        press(&moderator, key).await;
    }
    let picked = moderator
        .execute(
            "return document.querySelectorAll('.pick:checked').length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(picked, 2);
    moderator
        .find(Locator::Css("button.bulk[data-to=approved]"))
        .await
        .expect("bulk approve")
        .click()
        .await
        .expect("click");
    toast(
        &moderator,
        "Approved 2 comments.",
        "document.querySelectorAll('article.item').length == 0",
    )
    .await;

    // The reader's page shows both published; the address got its one mail.
    reader_items(
        &reader,
        "both published",
        "i.length == 2 && !i[0][1] && !i[1][1]",
    )
    .await;
    // The field keeps the address, like the name: one mail per comment.
    let mails = support::eventually(Duration::from_secs(10), "the author's mails", || {
        let m: Vec<_> = smtp
            .mails()
            .into_iter()
            .filter(|m| m.to == ["ana@example.org"])
            .collect();
        (m.len() == 2).then_some(m)
    });
    assert!(
        mails
            .iter()
            .any(|m| m.text.contains("Tell me when it is out."))
    );
    assert!(
        mails
            .iter()
            .any(|m| m.text.contains("And a second thought."))
    );
    reader.close().await.ok();
    moderator.close().await.ok();
}
