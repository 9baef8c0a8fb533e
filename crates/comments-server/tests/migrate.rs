//! `comments-server migrate --to`: a database moved from SQLite to
//! PostgreSQL and back serves the same lists, byte for byte, and a
//! target that already holds comments is refused untouched.

mod support;

use std::path::Path;
use std::process::Command;
use support::{MOD_TOKEN, Server};

const THREADS: [&str; 3] = ["news-one", "news-two", "sport-three"];

fn migrate(db: &Path, url: Option<&str>, to: &str) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_comments-server"));
    cmd.args(["migrate", "--to", to])
        .env("COMMENTS_DATABASE_PATH", db);
    if let Some(url) = url {
        cmd.env("COMMENTS_DATABASE_URL", url);
    }
    let out = cmd.output().expect("run migrate");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// Every thread's public list and count, as readers get them.
fn lists(s: &Server) -> Vec<Vec<u8>> {
    THREADS
        .iter()
        .flat_map(|t| {
            [
                s.get(&format!("/api/v1/threads/{t}/comments")).body,
                s.get(&format!("/api/v1/threads/{t}/comments?sort=newest"))
                    .body,
            ]
        })
        .collect()
}

#[test]
fn a_database_moves_to_postgresql_and_back_with_the_same_lists() {
    let (url, busy) = (support::pg_database(), support::pg_database());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("comments.db");

    // Comments of every status, replies, a pick, an audit trail.
    let s = Server::start_on(&db, &[]);
    let auth = format!("Bearer {MOD_TOKEN}");
    for (i, t) in THREADS.iter().enumerate() {
        for j in 0..4 {
            let (id, _) = s.post_comment(t, "Ana", &format!("comment {j} on *{t}*"));
            match (i + j) % 3 {
                0 | 1 => assert_eq!(s.bearer_decide(id, "approve").status, 200),
                _ => assert_eq!(s.bearer_decide(id, "reject").status, 200),
            }
            if (i + j) % 3 == 0 {
                let json = serde_json::json!({
                    "author": "Bo", "body": format!("a reply to {id}"), "parent": id,
                })
                .to_string();
                let r = s.post_json(&format!("/api/v1/threads/{t}/comments"), &json);
                assert_eq!(r.status, 202, "{}", r.text());
                let reply = r.json()["id"].as_i64().expect("id");
                assert_eq!(s.bearer_decide(reply, "approve").status, 200);
            }
        }
        s.post_comment(t, "Cy", "still pending");
    }
    let r = s.request(
        "POST",
        "/api/v1/moderation/comments/1/feature",
        &[("Authorization", &auth)],
        b"",
    );
    assert!(r.status == 200 || r.status == 404, "{}", r.text());
    // The newest comment is withdrawn by its author: its id must not be
    // given again after the move.
    let (withdrawn, token) = s.post_comment("news-two", "Eve", "never mind");
    let json = serde_json::json!({ "token": token }).to_string();
    assert_eq!(s.post_json("/api/v1/comments/delete", &json).status, 200);
    let before = lists(&s);
    drop(s);

    // A target with comments already is refused, and left as it was.
    let p = Server::start_on(
        &dir.path().join("other.db"),
        &[("COMMENTS_DATABASE_URL", &busy)],
    );
    p.post_comment("x", "Ana", "already here");
    drop(p);
    let (ok, out) = migrate(&db, None, &busy);
    assert!(!ok, "{out}");
    assert!(out.contains("already holds 1 comments"), "{out}");

    // SQLite to PostgreSQL.
    let (ok, out) = migrate(&db, None, &url);
    assert!(ok, "{out}");
    assert!(
        out.contains("comments") && out.contains("checksum"),
        "{out}"
    );
    println!("{out}");
    let pg = Server::start_on(&db, &[("COMMENTS_DATABASE_URL", &url)]);
    assert_eq!(lists(&pg), before, "PostgreSQL serves what SQLite served");
    // It goes on taking comments after the copied ids.
    let (id, _) = pg.post_comment("news-one", "Di", "after the move");
    assert_eq!(id, withdrawn + 1);
    drop(pg);

    // And back, to a new SQLite file.
    let back = dir.path().join("back.db");
    let (ok, out) = migrate(&db, Some(&url), &format!("sqlite:{}", back.display()));
    assert!(ok, "{out}");
    let s = Server::start_on(&back, &[]);
    let after = lists(&s);
    let (next, _) = s.post_comment("news-two", "Fa", "back on SQLite");
    assert_eq!(next, id + 1);
    let mut expected = before.clone();
    // The list of news-one has the comment posted on PostgreSQL; the others match.
    assert_eq!(after[2..], expected.split_off(2)[..]);
}
