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

/// Every comment id a PostgreSQL database holds.
fn stored_on(url: &str) -> BTreeSet<i64> {
    use comments_server::store::Store;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let store =
            comments_server::store::sql::SqlStore::connect_postgres(url, Duration::from_secs(10))
                .await
                .expect("connect");
        let mut ids = BTreeSet::new();
        let mut after = 0;
        loop {
            let page = store.export(after, 1000).await.expect("export");
            let Some(last) = page.last() else { break };
            after = last.id;
            ids.extend(page.iter().map(|c| c.id));
        }
        store.close().await.expect("close");
        ids
    })
}

/// What one client saw while posting through an instance.
#[derive(Default)]
struct Seen {
    acked: Vec<i64>,
    /// 503 `unavailable` answers, each with its Retry-After.
    unavailable: usize,
    /// Anything else: another status, no Retry-After, a dead connection.
    wrong: Vec<String>,
}

/// Posts until told to stop, through answers of any kind.
fn post_through(addr: SocketAddr, stop: Arc<AtomicBool>, name: &str) -> Seen {
    let mut seen = Seen::default();
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let body = format!(r#"{{"author":"load","body":"{name} comment {n}"}}"#);
        let outcome = try_request(
            addr,
            "POST",
            "/api/v1/threads/load/comments",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
        match outcome {
            Ok(r) if r.status == 202 => {
                match serde_json::from_slice::<serde_json::Value>(&r.body)
                    .ok()
                    .and_then(|v| v["id"].as_i64())
                {
                    Some(id) => seen.acked.push(id),
                    None => seen.wrong.push("202 without an id".into()),
                }
            }
            Ok(r) if r.status == 503 && r.header("retry-after").is_some() => {
                let code = serde_json::from_slice::<serde_json::Value>(&r.body)
                    .ok()
                    .and_then(|v| v["error"]["code"].as_str().map(String::from));
                if code.as_deref() == Some("unavailable") {
                    seen.unavailable += 1;
                } else {
                    seen.wrong.push(format!("503 with {code:?}"));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Ok(r) => seen
                .wrong
                .push(format!("{} {}", r.status, String::from_utf8_lossy(&r.body))),
            Err(e) => seen.wrong.push(format!("no answer: {e}")),
        }
    }
    seen
}

#[test]
fn on_postgresql_an_instance_killed_under_load_loses_no_acknowledged_comment() {
    let url = support::pg_database();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("comments.db");
    let env = [("COMMENTS_DATABASE_URL", url.as_str())];
    let mut instances: Vec<Server> = (0..3).map(|_| Server::start_on(&db, &env)).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let posters: Vec<_> = (0..6)
        .map(|i| {
            let (addr, stop, acked) = (instances[i % 3].addr, stop.clone(), acked.clone());
            std::thread::spawn(move || {
                let ids = post_until_stopped(addr, stop, i);
                acked.lock().unwrap().extend(ids);
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(800));
    instances[1].kill9();
    std::thread::sleep(Duration::from_millis(800));
    stop.store(true, Ordering::SeqCst);
    for p in posters {
        p.join().unwrap();
    }
    let acked: BTreeSet<i64> = acked.lock().unwrap().iter().copied().collect();
    let stored = stored_on(&url);
    let lost: Vec<_> = acked.difference(&stored).collect();
    println!(
        "{} comments acknowledged by three instances, one killed with SIGKILL mid-load; {} stored",
        acked.len(),
        stored.len()
    );
    assert!(acked.len() > 20, "too little load to mean anything");
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    // The others never noticed.
    instances[0].post_comment("after", "Ana", "still here");
    instances[2].post_comment("after", "Ana", "still here");
}

#[test]
fn when_postgresql_restarts_instances_answer_503_recover_alone_and_lose_nothing() {
    // A cluster of its own: other tests share theirs.
    let mut cluster =
        comments_server::store::cluster::Cluster::start(false).expect("a test cluster");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let url = rt.block_on(cluster.database()).expect("a database");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("comments.db");
    let env = [
        ("COMMENTS_DATABASE_URL", url.as_str()),
        ("COMMENTS_DATABASE_BUSY_TIMEOUT_MS", "1000"),
        // Only the change notifications, listened for again, can carry
        // one instance's approval to the other in time below.
        ("COMMENTS_DATABASE_REFRESH_MS", "60000"),
    ];
    let instances: Vec<Server> = (0..2).map(|_| Server::start_on(&db, &env)).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|i| {
            let (addr, stop) = (instances[i % 2].addr, stop.clone());
            std::thread::spawn(move || post_through(addr, stop, &format!("client {i}")))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(700));
    cluster.pg_stop().expect("stop PostgreSQL");
    std::thread::sleep(Duration::from_secs(1));
    // The health check says so, as an answer a load balancer understands.
    let health = instances[0].get("/healthz");
    assert_eq!(health.status, 503, "{}", health.text());
    assert_eq!(health.json()["error"]["code"], "unavailable");
    std::thread::sleep(Duration::from_secs(1));
    cluster.pg_start().expect("start PostgreSQL");
    // Each instance takes posts again by itself.
    for s in &instances {
        support::eventually(Duration::from_secs(30), "posting again", || {
            let json = r#"{"author":"Ana","body":"back"}"#;
            let r = s.post_json("/api/v1/threads/after/comments", json);
            (r.status == 202).then_some(())
        });
    }
    assert_eq!(instances[1].get("/healthz").status, 200);
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::SeqCst);
    let seen: Vec<Seen> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    // Each instance listens again: an approval on one shows on the other.
    let path = "/api/v1/threads/relisten/comments";
    let first = instances[0].get(path);
    assert_eq!(first.status, 200);
    let etag = first.header("etag").unwrap_or_default().to_string();
    let (id, _) = instances[0].post_comment("relisten", "Ana", "after the restart");
    assert_eq!(instances[1].bearer_decide(id, "approve").status, 200);
    support::eventually(
        Duration::from_secs(3),
        "the approval on the other instance",
        || {
            let r = instances[0].request("GET", path, &[("If-None-Match", &etag)], b"");
            (r.status == 200 && support::ids(&r.json()) == vec![id]).then_some(())
        },
    );
    let wrong: Vec<&String> = seen.iter().flat_map(|s| &s.wrong).collect();
    let unavailable: usize = seen.iter().map(|s| s.unavailable).sum();
    let acked: BTreeSet<i64> = seen.iter().flat_map(|s| s.acked.iter().copied()).collect();
    let stored = stored_on(&url);
    let lost: Vec<_> = acked.difference(&stored).collect();
    println!(
        "PostgreSQL stopped for 2 s under load: {} posts acknowledged, {unavailable} answered \
         503 with Retry-After, {} otherwise",
        acked.len(),
        wrong.len()
    );
    assert!(wrong.is_empty(), "answers other than 202 or 503: {wrong:?}");
    assert!(unavailable > 0, "the outage went unnoticed");
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
}
