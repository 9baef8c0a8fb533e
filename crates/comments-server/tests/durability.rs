//! A 202 means the comment is on disk: the server is killed with SIGKILL mid-traffic, again and again.

mod support;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{Server, request};

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
        let outcome = std::panic::catch_unwind(|| {
            request(
                addr,
                "POST",
                "/api/v1/threads/crash/comments",
                &[("Content-Type", "application/json")],
                body.as_bytes(),
            )
        });
        match outcome {
            Ok(r) if r.status == 202 => acked.push(r.json()["id"].as_i64().expect("id")),
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
    // The panic hook would print every refused connection; keep the output readable.
    std::panic::set_hook(Box::new(|_| {}));
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
    let _ = std::panic::take_hook();

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
