//! `comments-server import` and `export`, as an operator runs them: the
//! Disqus, WordPress and Isso samples (reports, parents, statuses, the
//! second run, `--dry-run`, `--map`, `--keep-emails`), bad files refused
//! with their place and nothing changed, our own export brought into empty
//! databases on SQLite and PostgreSQL giving the same public lists, and a
//! 200 MB WordPress export read under a fixed memory limit.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use support::{MOD_TOKEN, Server, bin};

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/import/samples");

fn sample(name: &str) -> PathBuf {
    Path::new(SAMPLES).join(name)
}

/// What a command printed, and how it ended.
struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// A database for the binary: a SQLite file in a temporary folder, or a
/// fresh database on this run's PostgreSQL cluster.
struct Db {
    dir: tempfile::TempDir,
    url: Option<String>,
}

impl Db {
    fn sqlite() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            url: None,
        }
    }

    fn postgres() -> Self {
        let url = support::pg_database();
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            url: Some(url),
        }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("comments.db")
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        self.url
            .iter()
            .map(|u| ("COMMENTS_DATABASE_URL", u.clone()))
            .collect()
    }

    /// Runs `comments-server ARGS` on this database.
    fn cli(&self, args: &[&str]) -> Out {
        let out = Command::new(bin())
            .args(args)
            .current_dir(self.dir.path())
            .env("COMMENTS_DATABASE_PATH", self.path())
            .env("RUST_LOG", "warn")
            .envs(self.env())
            .output()
            .expect("run comments-server");
        Out {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `import ARGS`, which must succeed; its report.
    fn import(&self, args: &[&str]) -> String {
        let mut all = vec!["import"];
        all.extend_from_slice(args);
        let out = self.cli(&all);
        assert!(
            out.ok,
            "import {args:?} failed:\n{}{}",
            out.stdout, out.stderr
        );
        out.stdout
    }

    /// The whole export, as `export -` writes it.
    fn export(&self) -> String {
        let out = self.cli(&["export", "-"]);
        assert!(out.ok, "export failed: {}", out.stderr);
        out.stdout
    }

    /// The export's comments.
    fn comments(&self) -> Vec<serde_json::Value> {
        comments(&self.export())
    }

    fn serve(&self) -> Server {
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Server::start_on(&self.path(), &env)
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// The comment lines of an export (neither header nor trailer).
fn comments(export: &str) -> Vec<serde_json::Value> {
    let lines: Vec<&str> = export.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some(r#"{"format":"comments-export","version":1}"#)
    );
    let end = format!(r#"{{"end":{}}}"#, lines.len().saturating_sub(2));
    assert_eq!(lines.last().copied(), Some(end.as_str()), "{export}");
    lines[1..lines.len() - 1]
        .iter()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// A number of the report: the one on the line that starts with `name`.
fn count(report: &str, name: &str) -> u64 {
    report
        .lines()
        .find_map(|l| {
            let rest = l.trim_start().strip_prefix(name)?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .unwrap_or_else(|| panic!("no {name:?} in the report:\n{report}"))
}

/// The comment with this creation time.
fn at(comments: &[serde_json::Value], created_at: i64) -> &serde_json::Value {
    comments
        .iter()
        .find(|c| c["created_at"] == created_at)
        .unwrap_or_else(|| panic!("no comment at {created_at}"))
}

/// A thread's public list, as a reader's widget fetches it.
fn list(server: &Server, thread: &str) -> serde_json::Value {
    let r = server.get(&thread_path(thread, ""));
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn thread_path(thread: &str, suffix: &str) -> String {
    let key = percent_encoding::utf8_percent_encode(thread, percent_encoding::NON_ALPHANUMERIC);
    format!("/api/v1/threads/{key}/comments{suffix}")
}

/// The Isso sample as the SQLite file Isso keeps.
fn isso_database(dir: &Path) -> PathBuf {
    use sqlx::{ConnectOptions, Connection};
    let path = dir.join("isso.db");
    runtime().block_on(async {
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .foreign_keys(false)
            .connect()
            .await
            .expect("create isso.db");
        sqlx::raw_sql(include_str!("../src/import/samples/isso.sql"))
            .execute(&mut conn)
            .await
            .expect("the Isso sample");
        conn.close().await.expect("close");
    });
    path
}

/// `notify_email` of every comment of a SQLite database, by creation time.
fn addresses(db: &Db) -> Vec<(i64, String)> {
    let url = format!("sqlite://{}", db.path().display());
    runtime().block_on(async {
        let pool = sqlx::SqlitePool::connect(&url).await.expect("open");
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT created_at, notify_email FROM comments ORDER BY id")
                .fetch_all(&pool)
                .await
                .expect("read");
        pool.close().await;
        rows
    })
}

#[test]
fn a_disqus_export_imports_once_with_its_replies_and_statuses() {
    let db = Db::sqlite();
    let file = sample("disqus.xml");
    let file = file.to_str().expect("path");
    let report = db.import(&["disqus", file]);
    assert!(report.starts_with("Imported from "), "{report}");
    assert_eq!(count(&report, "threads"), 2, "{report}");
    assert_eq!(count(&report, "comments"), 7, "{report}");
    assert!(report.contains("(5 approved, 2 rejected)"), "{report}");
    assert_eq!(count(&report, "replies"), 4, "{report}");
    assert_eq!(count(&report, "orphans"), 0, "{report}");
    assert_eq!(count(&report, "already there"), 0, "{report}");
    assert_eq!(count(&report, "skipped"), 1, "{report}");
    assert!(
        report.contains("1  its text is empty once converted: 7008"),
        "{report}"
    );

    let comments = db.comments();
    assert_eq!(comments.len(), 7);
    // Threads by their URL's path, as the widget's default key.
    let (first, reply, reply_to_reply) = (
        at(&comments, 1_710_495_000_000),
        at(&comments, 1_710_498_600_000),
        at(&comments, 1_710_502_200_000),
    );
    assert_eq!(first["thread"], "/2024/03/cafe-filtre/");
    assert_eq!(first["page_title"], "Le café filtre, encore");
    assert_eq!(first["author"], "Élodie Marchand");
    assert_eq!(reply["parent"], first["id"]);
    assert_eq!(reply_to_reply["parent"], reply["id"]);
    // Spam and deleted are rejected; HTML became our Markdown.
    assert_eq!(at(&comments, 1_710_505_800_000)["status"], "rejected");
    assert_eq!(at(&comments, 1_710_509_400_000)["status"], "rejected");
    assert_eq!(at(&comments, 1_710_509_400_000)["parent"], first["id"]);
    assert!(
        first["body"]
            .as_str()
            .is_some_and(|b| b.contains("**V60**") && !b.contains('<')),
        "{first}"
    );
    let bench = at(&comments, 1_715_000_000_000);
    assert_eq!(bench["thread"], "/2024/05/bancs-publics/");
    assert_eq!(bench["author"], "hugo_l");

    // A second run adds nothing.
    let before = db.export();
    let again = db.import(&["disqus", file]);
    assert_eq!(count(&again, "comments"), 0, "{again}");
    assert_eq!(count(&again, "threads"), 0, "{again}");
    assert_eq!(count(&again, "already there"), 7, "{again}");
    assert_eq!(db.export(), before);

    // Readers see the approved ones, replies under their parents.
    let server = db.serve();
    let page = list(&server, "/2024/03/cafe-filtre/");
    let listed: Vec<(i64, Option<i64>)> = page["comments"]
        .as_array()
        .expect("comments")
        .iter()
        .map(|c| (c["id"].as_i64().expect("id"), c["parent"].as_i64()))
        .collect();
    let id = |c: &serde_json::Value| c["id"].as_i64().expect("id");
    assert_eq!(
        listed,
        [
            (id(first), None),
            (id(reply), Some(id(first))),
            (id(reply_to_reply), Some(id(reply)))
        ]
    );
    drop(server);
    // Another site's export of the same format is told apart by its name.
    let other = db.import(&["disqus", file, "--source", "disqus-sport"]);
    assert_eq!(count(&other, "comments"), 7, "{other}");
    assert_eq!(db.comments().len(), 14);
    let once_more = db.import(&["disqus", file, "--source", "disqus-sport"]);
    assert_eq!(count(&once_more, "already there"), 7, "{once_more}");
    assert_eq!(db.comments().len(), 14);
}

#[test]
fn a_wordpress_export_follows_the_map_and_keeps_addresses_only_when_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let map = dir.path().join("map.csv");
    std::fs::write(
        &map,
        "# WordPress posts to our slugs\nold,new\n41,jardin/confiture\n\
         \"https://jardin.example/2023/11/tailler-la-haie/\",jardin/haie\n/never/used/,x\n",
    )
    .expect("write map");
    let file = sample("wordpress.xml");
    let file = file.to_str().expect("path");
    let map = map.to_str().expect("path");

    let db = Db::sqlite();
    let report = db.import(&["wxr", file, "--map", map]);
    assert_eq!(count(&report, "threads"), 2, "{report}");
    assert_eq!(count(&report, "comments"), 7, "{report}");
    assert!(
        report.contains("(4 approved, 1 pending, 2 rejected)"),
        "{report}"
    );
    assert_eq!(count(&report, "replies"), 4, "{report}");
    assert_eq!(count(&report, "skipped"), 2, "{report}");
    assert!(
        report.contains("a pingback, not a comment: 105"),
        "{report}"
    );
    assert!(
        report.contains("--map rows no comment used: 1: line 5 (/never/used/)"),
        "{report}"
    );
    let comments = db.comments();
    let threads: std::collections::BTreeSet<&str> = comments
        .iter()
        .filter_map(|c| c["thread"].as_str())
        .collect();
    assert_eq!(
        threads.into_iter().collect::<Vec<_>>(),
        ["jardin/confiture", "jardin/haie"]
    );
    // Pending stays pending (a reply to a reply); trash is rejected.
    let pending = at(&comments, 1_694_613_600_000);
    assert_eq!(pending["status"], "pending");
    assert_eq!(
        pending["parent"],
        at(&comments, 1_694_606_400_000)["id"],
        "{pending}"
    );
    assert_eq!(at(&comments, 1_699_011_000_000)["status"], "rejected");
    // No address without --keep-emails.
    assert!(
        addresses(&db).iter().all(|(_, email)| email.is_empty()),
        "{:?}",
        addresses(&db)
    );

    // With it, the pending comment keeps its author's (for the mail that
    // tells them it is published); decided ones never keep one.
    let kept = Db::sqlite();
    kept.import(&["wordpress", file, "--keep-emails"]);
    let with: Vec<(i64, String)> = addresses(&kept)
        .into_iter()
        .filter(|(_, email)| !email.is_empty())
        .collect();
    assert_eq!(
        with,
        [(1_694_613_600_000, "josiane@mail.example".to_string())]
    );
    // Without the map: the permalinks' paths.
    let keys: std::collections::BTreeSet<String> = kept
        .comments()
        .iter()
        .filter_map(|c| c["thread"].as_str().map(String::from))
        .collect();
    assert_eq!(
        keys.into_iter().collect::<Vec<_>>(),
        ["/2023/09/confiture-de-figues/", "/2023/11/tailler-la-haie/"]
    );
}

#[test]
fn an_isso_database_imports_with_its_removed_placeholder() {
    let db = Db::sqlite();
    let isso = isso_database(db.dir.path());
    let isso = isso.to_str().expect("path");
    let report = db.import(&["isso", isso]);
    assert_eq!(count(&report, "threads"), 2, "{report}");
    assert_eq!(count(&report, "comments"), 6, "{report}");
    assert!(
        report.contains("(4 approved, 1 pending, 1 rejected)"),
        "{report}"
    );
    assert_eq!(count(&report, "replies"), 3, "{report}");
    assert_eq!(count(&report, "skipped"), 2, "{report}");
    assert!(
        report.contains("its thread (tid 99) is not in the threads table: 8"),
        "{report}"
    );
    let again = db.import(&["isso", isso]);
    assert_eq!(count(&again, "already there"), 6, "{again}");

    // Isso's uri is the key, as Isso's own default; the deleted comment
    // stays above its published reply, removed.
    let server = db.serve();
    let page = list(&server, "/2024/01/premier-billet/");
    let items = page["comments"].as_array().expect("comments");
    let removed: Vec<&serde_json::Value> = items.iter().filter(|c| c["removed"] == true).collect();
    assert_eq!(removed.len(), 1, "{page}");
    assert!(
        items
            .iter()
            .any(|c| c["parent"] == removed[0]["id"] && c["author"] == "Léa"),
        "{page}"
    );
    assert_eq!(
        items.len(),
        4,
        "two approved, a reply, and the placeholder: {page}"
    );
}

#[test]
fn a_dry_run_reports_the_same_and_stores_nothing() {
    let db = Db::sqlite();
    let file = sample("disqus.xml");
    let out = db.cli(&[
        "import",
        "disqus",
        file.to_str().expect("path"),
        "--dry-run",
    ]);
    assert!(out.ok, "{}", out.stderr);
    let report = out.stdout;
    assert!(report.starts_with("Dry run, nothing stored."), "{report}");
    assert_eq!(count(&report, "threads"), 2, "{report}");
    assert_eq!(count(&report, "comments"), 7, "{report}");
    assert_eq!(count(&report, "replies"), 4, "{report}");
    assert_eq!(count(&report, "skipped"), 1, "{report}");
    assert!(db.comments().is_empty());
}

/// A WordPress export whose replies come before their parents (across
/// batches of the store), and one whose parent is not in the file.
#[test]
fn replies_wait_for_parents_that_come_later_and_orphans_go_to_the_top() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("late.xml");
    let mut xml = String::from(
        "<?xml version=\"1.0\"?>\n<rss version=\"2.0\" xmlns:wp=\"http://wordpress.org/export/1.2/\">\n\
         <channel><item><title>T</title><link>https://s.example/t/</link><wp:post_id>1</wp:post_id>\n",
    );
    let comment = |id: u32, parent: u32| {
        format!(
            "<wp:comment><wp:comment_id>{id}</wp:comment_id><wp:comment_author>R{id}</wp:comment_author>\
             <wp:comment_date_gmt>2023-01-01 00:{:02}:{:02}</wp:comment_date_gmt>\
             <wp:comment_content>c{id}</wp:comment_content><wp:comment_approved>1</wp:comment_approved>\
             <wp:comment_parent>{parent}</wp:comment_parent></wp:comment>\n",
            id / 60 % 60,
            id % 60
        )
    };
    // 1 answers 2000, which comes 1,200 comments later (three batches);
    // 3 answers 1; 9999 answers a comment the file does not hold.
    xml += &comment(1, 2000);
    xml += &comment(3, 1);
    for id in 100..1300 {
        xml += &comment(id, 0);
    }
    xml += &comment(2000, 0);
    xml += &comment(9999, 5000);
    xml += "</item></channel></rss>\n";
    std::fs::write(&file, xml).expect("write");
    let file = file.to_str().expect("path");

    let db = Db::sqlite();
    let dry = db.cli(&["import", "wxr", file, "--dry-run"]);
    assert!(dry.ok, "{}", dry.stderr);
    assert_eq!(count(&dry.stdout, "replies"), 2, "{}", dry.stdout);
    assert_eq!(count(&dry.stdout, "orphans"), 1, "{}", dry.stdout);
    let report = db.import(&["wxr", file]);
    assert_eq!(count(&report, "comments"), 1204, "{report}");
    assert_eq!(count(&report, "replies"), 2, "{report}");
    assert_eq!(count(&report, "orphans"), 1, "{report}");
    let comments = db.comments();
    let by_author = |name: &str| {
        comments
            .iter()
            .find(|c| c["author"] == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(by_author("R1")["parent"], by_author("R2000")["id"]);
    assert_eq!(by_author("R3")["parent"], by_author("R1")["id"]);
    assert_eq!(by_author("R9999")["parent"], serde_json::Value::Null);
    let again = db.import(&["wxr", file]);
    assert_eq!(count(&again, "already there"), 1204, "{again}");
}

#[test]
fn bad_files_are_refused_with_their_place_and_change_nothing() {
    let db = Db::sqlite();
    let dir = db.dir.path().to_path_buf();
    let disqus = sample("disqus.xml");
    let wxr = sample("wordpress.xml");
    db.import(&["disqus", disqus.to_str().expect("path")]);
    let before = db.export();
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    };
    let wxr_text = std::fs::read_to_string(&wxr).expect("sample");
    // Valid comments first, then a closing tag that does not match: the
    // first pass finds it before anything is stored.
    let needle = "<wp:comment_parent>201</wp:comment_parent>";
    let at = wxr_text.find(needle).expect("a reply in the sample");
    let line = wxr_text[..at].matches('\n').count() + 1;
    let column = wxr_text[..at]
        .rsplit('\n')
        .next()
        .unwrap_or("")
        .chars()
        .count()
        + "<wp:comment_parent>201".len()
        + 1;
    let malformed_at = format!("line {line}, column {column}: ");
    let malformed = write(
        "malformed.xml",
        &wxr_text.replacen(needle, "<wp:comment_parent>201</wp:comment_date>", 1),
    );
    let truncated = write("truncated.xml", &wxr_text[..wxr_text.len() * 2 / 3]);
    let own = db.export();
    let own_truncated = write(
        "own-truncated.jsonl",
        &own[..own.rfind("{\"end\"").expect("trailer")],
    );
    let own_cut = write("own-cut.jsonl", &own[..own.len() / 2]);
    let isso = isso_database(&dir);
    let cases: Vec<(&str, &Path, &str, &str)> = vec![
        ("wxr", &malformed, &malformed_at, "malformed XML"),
        ("wxr", &truncated, "line ", "truncated"),
        ("disqus", &wxr, "line 5, column 1", "not a Disqus export"),
        ("wxr", &disqus, "line 4, column 1", "not a WordPress export"),
        ("wxr", &isso, "line 1, column ", "XML"),
        ("own", &disqus, "line 1", "not an export of comments-server"),
        ("own", &own_truncated, "line 9", "truncated"),
        ("own", &own_cut, "line ", "not a comment of our export"),
        ("isso", &disqus, "", "not an Isso database"),
        ("disqus", Path::new("missing.xml"), "", "cannot open"),
    ];
    for (format, file, place, what) in cases {
        let out = db.cli(&["import", format, file.to_str().expect("path")]);
        assert!(!out.ok, "{format} {file:?} was accepted:\n{}", out.stdout);
        assert!(
            out.stderr.contains(place) && out.stderr.contains(what),
            "{format} {file:?}: expected {place:?} and {what:?} in:\n{}",
            out.stderr
        );
        assert!(
            out.stderr.contains("Nothing was imported."),
            "{}",
            out.stderr
        );
        assert!(out.stdout.is_empty(), "no report: {}", out.stdout);
        assert_eq!(
            db.export(),
            before,
            "{format} {file:?} changed the database"
        );
    }
    // A bad --map line: its number, before reading anything.
    let map = write("map.csv", "old,new\ncafe-2024,ok\nsolo\n");
    let out = db.cli(&[
        "import",
        "wxr",
        wxr.to_str().expect("path"),
        "--map",
        map.to_str().expect("path"),
    ]);
    assert!(!out.ok);
    assert!(
        out.stderr.contains("line 3: expected two fields"),
        "{}",
        out.stderr
    );
    assert_eq!(db.export(), before);
}

/// A database with every kind of comment: the three samples imported,
/// then, through the server, replies, a staff reply, a pick, a pending
/// and a rejected comment, and a deleted parent whose reply stays.
fn populated(db: &Db) {
    db.import(&["disqus", sample("disqus.xml").to_str().expect("path")]);
    db.import(&["wxr", sample("wordpress.xml").to_str().expect("path")]);
    let isso = isso_database(db.dir.path());
    db.import(&["isso", isso.to_str().expect("path")]);
    let server = db.serve();
    let approve = |id: i64| assert_eq!(server.bearer_decide(id, "approve").status, 200);
    let post = |thread: &str, author: &str, body: &str, parent: Option<i64>| -> (i64, String) {
        let json = serde_json::json!({ "author": author, "body": body, "parent": parent });
        let r = server.post_json(
            &format!("/api/v1/threads/{thread}/comments"),
            &json.to_string(),
        );
        assert_eq!(r.status, 202, "{}", r.text());
        let v = r.json();
        (
            v["id"].as_i64().expect("id"),
            v["token"].as_str().expect("token").to_string(),
        )
    };
    let (top, top_token) = post(
        "live",
        "Ana",
        "First, with *emphasis* and a [link](https://a.example).",
        None,
    );
    approve(top);
    let (reply, _) = post("live", "Bruno", "A reply.", Some(top));
    approve(reply);
    let (other, _) = post("live", "Chloé", "Another one.", None);
    approve(other);
    let auth = format!("Bearer {MOD_TOKEN}");
    let staff = server.request(
        "POST",
        &format!("/api/v1/moderation/comments/{other}/reply"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        br#"{"body":"Thanks, from the desk."}"#,
    );
    assert_eq!(staff.status, 200, "{}", staff.text());
    let featured = server.request(
        "POST",
        &format!("/api/v1/moderation/comments/{other}/feature"),
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(featured.status, 200, "{}", featured.text());
    post("live", "Dan", "Still waiting.", None);
    let (refused, _) = post("live", "Eve", "Refused.", None);
    assert_eq!(server.bearer_decide(refused, "reject").status, 200);
    let (gone, gone_token) = post("live", "Fay", "Deleted, no replies.", None);
    approve(gone);
    // Ana deletes her comment; Bruno's reply keeps it, removed.
    for token in [top_token, gone_token] {
        let r = server.post_json(
            "/api/v1/comments/delete",
            &serde_json::json!({ "token": token }).to_string(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
    }
    drop(server);
}

/// Every thread's public list (the JSON and the HTML items), with the
/// revision (which counts this database's own history) left out.
fn public_lists(db: &Db, threads: &[String]) -> Vec<String> {
    let server = db.serve();
    let mut out = Vec::new();
    for thread in threads {
        for suffix in ["", ".html"] {
            let r = server.get(&thread_path(thread, suffix));
            assert_eq!(r.status, 200, "{thread}{suffix}: {}", r.text());
            out.push(format!("{thread}{suffix}: {}", without_revision(&r.text())));
        }
    }
    out
}

fn without_revision(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("\"revision\":") {
        let (head, tail) = rest.split_at(i + "\"revision\":".len());
        out.push_str(head);
        out.push('_');
        rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

#[test]
fn our_export_into_empty_databases_gives_the_same_lists_on_sqlite_and_postgresql() {
    let started = Instant::now();
    let source = Db::sqlite();
    populated(&source);
    let export = source.export();
    let entries = comments(&export);
    let statuses: std::collections::BTreeSet<&str> = entries
        .iter()
        .filter_map(|c| c["status"].as_str())
        .collect();
    assert_eq!(
        statuses.into_iter().collect::<Vec<_>>(),
        ["approved", "deleted", "pending", "rejected"]
    );
    assert!(entries.iter().any(|c| c["staff"] != ""), "a staff reply");
    assert!(
        entries.iter().any(|c| !c["featured_at"].is_null()),
        "a pick"
    );
    assert!(
        entries
            .iter()
            .any(|c| c["status"] == "deleted" && c["body"] == ""),
        "an erased parent"
    );
    let file = source.dir.path().join("export.jsonl");
    let out = source.cli(&["export", file.to_str().expect("path")]);
    assert!(out.ok, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with(&format!("Exported {} comment(s) in ", entries.len())),
        "{}",
        out.stdout
    );
    assert_eq!(std::fs::read_to_string(&file).expect("export"), export);

    let mut threads: Vec<String> = entries
        .iter()
        .filter_map(|c| c["thread"].as_str().map(String::from))
        .collect();
    threads.sort();
    threads.dedup();
    let expected = public_lists(&source, &threads);
    assert!(
        expected.iter().any(|l| l.contains("\"removed\":true")),
        "{expected:?}"
    );

    for target in [Db::sqlite(), Db::postgres()] {
        let backend = if target.url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        };
        let report = target.import(&["own", file.to_str().expect("path")]);
        assert_eq!(
            count(&report, "comments"),
            entries.len() as u64,
            "{backend}: {report}"
        );
        assert_eq!(count(&report, "skipped"), 0, "{backend}: {report}");
        if target.url.is_some() {
            assert!(!target.path().exists(), "PostgreSQL, not a SQLite file");
        }
        // The same comments, ids, parents, statuses and dates: the same file.
        assert_eq!(target.export(), export, "{backend}");
        assert_eq!(public_lists(&target, &threads), expected, "{backend}");
        // Again: nothing added.
        let again = target.import(&["own", file.to_str().expect("path")]);
        assert_eq!(count(&again, "comments"), 0, "{backend}: {again}");
        assert_eq!(
            count(&again, "already there"),
            entries.len() as u64,
            "{backend}: {again}"
        );
        assert_eq!(target.export(), export, "{backend}");
    }
    // Brought back into the database it came from: nothing added either.
    let back = source.import(&["own", file.to_str().expect("path")]);
    assert_eq!(count(&back, "comments"), 0, "{back}");
    assert_eq!(source.export(), export);
    eprintln!("round trip on both backends: {:?}", started.elapsed());
}

/// Writes a WordPress export of about `bytes` bytes: posts of 4 KB, ten
/// comments each, replies answering the comment before.
fn large_wxr(path: &Path, bytes: u64) -> u64 {
    let file = std::fs::File::create(path).expect("create");
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut written: u64 = 0;
    let mut put = |text: &str| {
        out.write_all(text.as_bytes()).expect("write");
        written += text.len() as u64;
        written
    };
    put(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" \
         xmlns:wp=\"http://wordpress.org/export/1.2/\" \
         xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\n<channel>\n",
    );
    let content = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(70);
    let mut comments = 0;
    let mut post = 0;
    loop {
        put(&format!(
            "<item><title>Post {post}</title><link>https://blog.example/{post}/</link>\
             <content:encoded><![CDATA[<p>{content}</p>]]></content:encoded>\
             <wp:post_id>{post}</wp:post_id>\n"
        ));
        for c in 0..10 {
            comments += 1;
            let id = comments;
            let parent = if c == 0 { 0 } else { id - 1 };
            put(&format!(
                "<wp:comment><wp:comment_id>{id}</wp:comment_id>\
                 <wp:comment_author><![CDATA[Reader {id}]]></wp:comment_author>\
                 <wp:comment_author_email>r{id}@mail.example</wp:comment_author_email>\
                 <wp:comment_date>2023-01-01 10:00:00</wp:comment_date>\
                 <wp:comment_date_gmt>2023-01-01 09:00:00</wp:comment_date_gmt>\
                 <wp:comment_content><![CDATA[Comment {id}: <b>bold</b> &amp; text.\n\n\
                 Second paragraph.]]></wp:comment_content>\
                 <wp:comment_approved>1</wp:comment_approved>\
                 <wp:comment_type>comment</wp:comment_type>\
                 <wp:comment_parent>{parent}</wp:comment_parent></wp:comment>\n"
            ));
        }
        post += 1;
        if put("</item>\n") >= bytes {
            break;
        }
    }
    put("</channel>\n</rss>\n");
    out.flush().expect("flush");
    comments
}

/// The memory the import may take, in KiB of address space: the binary
/// at rest needs about 60 MB (its code, the runtime's two threads, the
/// allocator's arenas), and 80 MB read the file below. Reading the file
/// into memory would take 200 MB.
const ADDRESS_SPACE_KIB: u64 = 150 * 1024;
/// The peak resident memory allowed, when `/usr/bin/time` can tell it.
const PEAK_RSS_KIB: u64 = 100 * 1024;

#[test]
fn a_200_mb_wordpress_export_streams_in_bounded_memory() {
    let started = Instant::now();
    let db = Db::sqlite();
    let file = db.dir.path().join("large.xml");
    let comments = large_wxr(&file, 200 * 1024 * 1024);
    let size = std::fs::metadata(&file).expect("size").len();
    assert!(size >= 200 * 1024 * 1024, "{size}");
    let generated = started.elapsed();

    let time = Path::new("/usr/bin/time");
    let mut cmd = if time.is_file() {
        let mut c = Command::new(time);
        c.arg("-v").arg("sh");
        c
    } else {
        Command::new("sh")
    };
    cmd.arg("-c")
        .arg(format!(
            "ulimit -v {ADDRESS_SPACE_KIB} && exec \"$0\" \"$@\""
        ))
        .arg(bin())
        .args(["import", "wxr"])
        .arg(&file)
        .arg("--dry-run")
        .current_dir(db.dir.path())
        .env("COMMENTS_DATABASE_PATH", db.path())
        // The runtime's threads, whatever the machine's cores.
        .env("TOKIO_WORKER_THREADS", "2")
        .env("RUST_LOG", "warn");
    let out = cmd.output().expect("run the import");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the import failed under {ADDRESS_SPACE_KIB} KiB:\n{stdout}{stderr}"
    );
    assert_eq!(count(&stdout, "comments"), comments, "{stdout}");
    assert_eq!(count(&stdout, "replies"), comments / 10 * 9, "{stdout}");
    assert_eq!(count(&stdout, "threads"), comments / 10, "{stdout}");
    let peak = stderr.lines().find_map(|l| {
        l.trim()
            .strip_prefix("Maximum resident set size (kbytes): ")?
            .parse::<u64>()
            .ok()
    });
    eprintln!(
        "{} MB, {comments} comments: written in {generated:?}, read in {:?}, peak RSS {}",
        size / 1_000_000,
        started.elapsed() - generated,
        peak.map_or("unknown".into(), |kib| format!("{} MiB", kib / 1024))
    );
    if let Some(peak) = peak {
        assert!(peak < PEAK_RSS_KIB, "peak RSS {peak} KiB");
    }
}
