//! Fills a new database with a big newsroom's comments for `cargo xtask bench`: `seed DB COMMENTS THREADS [--replies]`. Comments spread evenly over the threads, 2 % pending, about 8 % rejected, the rest approved, from 50,000 readers; tokens `bench-token-0` … `bench-token-49` belong to 50 of them. With `--replies` (for one thread), four comments in five answer the top-level comment before them.

use comments_server::store::Store;
use comments_server::store::sql::SqlStore;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (db, comments, threads, replies) = match args.as_slice() {
        [db, comments, threads] => (db, comments, threads, false),
        [db, comments, threads, flag] if flag == "--replies" => (db, comments, threads, true),
        _ => return Err("usage: seed DB COMMENTS THREADS [--replies]".into()),
    };
    let comments: i64 = comments.parse().map_err(|_| "COMMENTS is a number")?;
    let threads: i64 = threads.parse().map_err(|_| "THREADS is a number")?;
    let started = Instant::now();
    // The server's own migrations make the schema.
    let store = SqlStore::open_sqlite(std::path::Path::new(db), Duration::from_secs(30))
        .await
        .map_err(|e| e.to_string())?;
    store.close().await.map_err(|e| e.to_string())?;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{db}"))
        .await
        .map_err(|e| e.to_string())?;
    let mut tx = pool.begin().await.map_err(|e| e.to_string())?;
    sqlx::query(
        "INSERT INTO comments (thread_key, author, body, status, token_hash, created_at, \
         decided_at, body_hash, author_key, page_title) \
         WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < $1) \
         SELECT 't-' || (i % $2), 'Reader ' || (i % 997), \
           'Comment number ' || i || ', about as long as the comments readers write under \
            a news article, with a second sentence to make it so.', \
           CASE WHEN i % 50 = 0 THEN 'pending' WHEN i % 12 = 0 THEN 'rejected' ELSE 'approved' END, \
           'seed-' || i, 1700000000000 + i * 1000, \
           CASE WHEN i % 50 = 0 THEN NULL ELSE 1700000000000 + i * 1000 + 60000 END, \
           'body-' || i, 'reader-' || (i % 50000), 'Article ' || (i % $2) \
         FROM seq",
    )
    .bind(comments)
    .bind(threads)
    .execute(&mut *tx)
    .await
    .map_err(|e| e.to_string())?;
    if replies {
        sqlx::query(
            "UPDATE comments SET parent_id = id - id % 5, root_id = id - id % 5 \
             WHERE id % 5 != 0 AND id > 5",
        )
        .execute(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
        // The count each top-level comment keeps, as the store would have.
        sqlx::query(
            "UPDATE comments SET reply_count = (SELECT count(*) FROM comments r \
             WHERE r.root_id = comments.id AND r.status = 'approved') WHERE parent_id IS NULL",
        )
        .execute(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    }
    sqlx::query(
        "INSERT INTO threads (thread_key, revision) \
         SELECT DISTINCT thread_key, 1 FROM comments WHERE status = 'approved'",
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| e.to_string())?;
    sqlx::query("UPDATE counters SET value = 1 WHERE name = 'thread_revision'")
        .execute(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    for k in 0..50i64 {
        sqlx::query("UPDATE comments SET token_hash = $1 WHERE id = $2")
            .bind(sha256_hex(&format!("bench-token-{k}")))
            .bind(1 + k * (comments / 50).max(1))
            .execute(&mut *tx)
            .await
            .map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    pool.close().await;
    println!(
        "seeded {comments} comments in {threads} threads in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
