//! A 202 means the comment is on disk: the server is killed with SIGKILL mid-traffic, again and again.

mod support;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{Server, try_request};

/// A small xorshift generator seeded from the clock: random kill moments.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Posts comments until told to stop or the server dies; returns the ids
/// the server acknowledged with 202.
fn post_until_stopped(addr: SocketAddr, stop: Arc<AtomicBool>, round: usize) -> Vec<i64> {
    let mut acked = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let body = format!(r#"{{"author":"crash","body":"round {round} comment {n}"}}"#);
        let outcome = try_request(
            addr,
            "POST",
            "/api/v1/threads/crash/comments",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
        match outcome {
            Ok(r) if r.status == 202 => {
                // A body cut short by the kill is no acknowledgement.
                let id = serde_json::from_slice::<serde_json::Value>(&r.body)
                    .ok()
                    .and_then(|v| v["id"].as_i64());
                match id {
                    Some(id) => acked.push(id),
                    None => break,
                }
            }
            // The connection died with the server: not acknowledged.
            _ => break,
        }
    }
    acked
}

#[test]
fn every_acknowledged_comment_survives_twenty_kill_9s() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
        | 1;
    let mut rng = Rng(seed);
    let acked = Arc::new(Mutex::new(Vec::new()));
    for round in 0..20 {
        let mut server = Server::start_on(&db, &[]);
        let stop = Arc::new(AtomicBool::new(false));
        let client = {
            let (stop, acked, addr) = (Arc::clone(&stop), Arc::clone(&acked), server.addr);
            std::thread::spawn(move || {
                let ids = post_until_stopped(addr, stop, round);
                acked.lock().unwrap().extend(ids);
            })
        };
        std::thread::sleep(Duration::from_millis(30 + rng.next() % 250));
        server.kill9();
        stop.store(true, Ordering::SeqCst);
        client.join().unwrap();
    }

    let acked: BTreeSet<i64> = acked.lock().unwrap().iter().copied().collect();
    let (found, integrity) = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        let ids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM comments")
            .fetch_all(&pool)
            .await
            .unwrap();
        let (integrity,): (String,) = sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(&pool)
            .await
            .unwrap();
        (
            ids.into_iter().map(|(id,)| id).collect::<BTreeSet<i64>>(),
            integrity,
        )
    });
    let lost: Vec<_> = acked.difference(&found).collect();
    println!(
        "kill -9 x20: {} comments acknowledged with 202, {} found after restarts ({} rows in all), lost {}, integrity_check {integrity}",
        acked.len(),
        acked.len() - lost.len(),
        found.len(),
        lost.len()
    );
    assert!(
        acked.len() >= 20,
        "the client got comments through ({})",
        acked.len()
    );
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    assert_eq!(integrity, "ok");
}

#[test]
fn a_backup_taken_during_writes_restores_while_serving() {
    let server = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup.db");
    let (kept, _) = server.post_comment("keep", "a", "in the backup");
    assert!(server.moderate(&["approve", &kept.to_string()]).0);
    let before = server.get("/api/v1/threads/keep/comments");
    let tag = before.header("etag").unwrap().to_string();

    // Back up while another client keeps posting.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (stop, addr) = (Arc::clone(&stop), server.addr);
        std::thread::spawn(move || post_until_stopped(addr, stop, 0))
    };
    std::thread::sleep(Duration::from_millis(100));
    let (ok, out) = server.cli(&["backup", backup.to_str().unwrap()]);
    assert!(ok, "{out}");
    stop.store(true, Ordering::SeqCst);
    let written = writer.join().unwrap();
    let (again, out) = server.cli(&["backup", backup.to_str().unwrap()]);
    assert!(!again && out.contains("already exists"), "{out}");

    let in_backup: i64 = out_count(&server.cli(&["restore", backup.to_str().unwrap()]));
    assert!(
        in_backup >= 2,
        "the backup holds the first comments ({in_backup})"
    );
    assert!(in_backup <= written.len() as i64 + 1);

    // Made after the backup, so gone after the restore.
    let (after, _) = server.post_comment("keep", "b", "after the backup");
    assert!(server.moderate(&["approve", &after.to_string()]).0);
    let (ok, out) = server.cli(&["restore", backup.to_str().unwrap()]);
    assert!(ok, "{out}");
    let page = support::eventually(Duration::from_secs(5), "restored thread", || {
        let r = server.request(
            "GET",
            "/api/v1/threads/keep/comments",
            &[("If-None-Match", &tag)],
            b"",
        );
        (r.status == 200 && r.json()["comments"].as_array().map(Vec::len) == Some(1)).then_some(r)
    });
    assert_eq!(page.json()["comments"][0]["html"], "<p>in the backup</p>\n");
    assert_ne!(
        page.header("etag"),
        Some(tag.as_str()),
        "pollers see a new revision"
    );
    let (_, bad) = server.cli(&["restore", "/nonexistent/backup.db"]);
    assert!(bad.contains("no backup file"), "{bad}");
}

/// The number in "Restored N comment(s)".
fn out_count((ok, out): &(bool, String)) -> i64 {
    assert!(ok, "{out}");
    out.split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {out:?}"))
}
