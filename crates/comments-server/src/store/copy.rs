//! `comments-server migrate --to`: a whole database copied from one backend
//! to the other (SQLite to PostgreSQL, or back), table by table, in one
//! transaction on the target, then checked: each table's row count and an
//! order-free checksum of its rows must be the same on both sides. A
//! failure leaves the target as it was, so the command can simply be run
//! again. The secrets stay in the key file, which both sides share.

use super::sql::{SqlStore, high_water, raise_high_water};
use super::{StoreError, StoreResult};
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{Column, Row};

/// Every table, in an order where nothing refers to a later one.
pub const TABLES: &[&str] = &[
    "comments",
    "threads",
    "counters",
    "meta",
    "sessions",
    "audit",
    "used_links",
    "changes",
    "bans",
    "thread_modes",
    "thread_states",
    "reader_notes",
    "reports",
    "reply_subscriptions",
    "reply_mails",
    "allowances",
    "imported",
];

/// Tables whose ids come from an identity that must follow the copy.
const IDENTITIES: &[&str] = &["comments", "audit", "bans", "reports"];

/// Rows per `INSERT`: well under SQLite's limit on parameters.
const BATCH: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
}

/// One table's rows: how many, and the sum of their hashes (order-free).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub rows: u64,
    pub checksum: u64,
}

/// What was copied, table by table.
pub type Copied = Vec<(&'static str, Tally)>;

fn values(row: &AnyRow) -> StoreResult<(Vec<String>, Vec<Value>)> {
    let mut names = Vec::with_capacity(row.columns().len());
    let mut out = Vec::with_capacity(row.columns().len());
    for col in row.columns() {
        let i = col.ordinal();
        names.push(col.name().to_string());
        let value = match row.try_get::<Option<i64>, _>(i) {
            Ok(v) => Value::Int(v),
            Err(_) => Value::Text(row.try_get::<Option<String>, _>(i).map_err(|e| {
                StoreError::Other(format!("column {} cannot be copied: {e}", col.name()))
            })?),
        };
        out.push(value);
    }
    Ok((names, out))
}

/// A row's hash, by column name (the two schemas may order them apart).
fn row_hash(names: &[String], values: &[Value]) -> u64 {
    let mut pairs: Vec<(&String, &Value)> = names.iter().zip(values).collect();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let mut h = Sha256::new();
    for (name, value) in pairs {
        h.update(name.as_bytes());
        match value {
            Value::Int(Some(i)) => h.update(format!("=i{i};")),
            Value::Text(Some(t)) => {
                h.update(format!("=t{};", t.len()));
                h.update(t.as_bytes());
            }
            Value::Int(None) | Value::Text(None) => h.update("=null;"),
        }
    }
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// Counts and checksums every table, as `conn` sees them.
pub async fn tally(conn: &mut sqlx::AnyConnection) -> StoreResult<Copied> {
    let mut out = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let mut tally = Tally::default();
        let sql = format!("SELECT * FROM {table}");
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *conn);
        while let Some(row) = rows.try_next().await? {
            let (names, values) = values(&row)?;
            tally.rows += 1;
            tally.checksum = tally.checksum.wrapping_add(row_hash(&names, &values));
        }
        out.push((*table, tally));
    }
    Ok(out)
}

/// Copies everything from `from` into `to`, which must hold no comment,
/// and commits only once both sides agree: the source is read in one
/// snapshot (a server may go on writing to it meanwhile; what it writes
/// after the snapshot is not copied), the target checked inside its own
/// transaction. Returns what was copied.
pub async fn copy(from: &SqlStore, to: &SqlStore) -> StoreResult<Copied> {
    let (present,): (i64,) = sqlx::query_as("SELECT count(*) FROM comments")
        .fetch_one(&to.pool)
        .await?;
    if present > 0 {
        return Err(StoreError::Other(format!(
            "the target already holds {present} comments: migrate copies into an empty database"
        )));
    }
    let mut source = from.read().await?;
    let mut tx = to.write().await?;
    for table in TABLES {
        // The target's own migrations seed some rows (the revision counter).
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
            .execute(&mut *tx)
            .await?;
        let sql = format!("SELECT * FROM {table}");
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *source);
        let mut batch: Vec<Vec<Value>> = Vec::with_capacity(BATCH);
        let mut names: Vec<String> = Vec::new();
        loop {
            let row = rows.try_next().await?;
            if let Some(row) = &row {
                let (n, v) = values(row)?;
                names = n;
                batch.push(v);
            }
            if batch.len() == BATCH || (row.is_none() && !batch.is_empty()) {
                insert(&mut tx, table, &names, &batch).await?;
                batch.clear();
            }
            if row.is_none() {
                break;
            }
        }
    }
    // Identities go on from the source's highest id ever given, not from
    // the highest left: a deleted comment's id must not come back.
    for table in IDENTITIES {
        let given = high_water(from.backend(), &mut source, table).await?;
        let sql = format!("SELECT coalesce(max(id), 0) FROM {table}");
        let (max,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *tx)
            .await?;
        raise_high_water(to.backend(), &mut tx, table, given.max(max)).await?;
    }
    let (before, after) = (tally(&mut source).await?, tally(&mut tx).await?);
    for ((table, a), (_, b)) in before.iter().zip(&after) {
        if a != b {
            return Err(StoreError::Other(format!(
                "{table}: {} rows (checksum {:016x}) in the source, {} ({:016x}) in the target",
                a.rows, a.checksum, b.rows, b.checksum
            )));
        }
    }
    tx.commit().await?;
    source.rollback().await?;
    Ok(before)
}

async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    table: &str,
    names: &[String],
    rows: &[Vec<Value>],
) -> StoreResult<()> {
    let width = names.len();
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", names.join(", "));
    for r in 0..rows.len() {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", r * width + c + 1));
        }
        sql.push(')');
    }
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for row in rows {
        for v in row {
            q = match v {
                Value::Int(i) => q.bind(*i),
                Value::Text(t) => q.bind(t.clone()),
            };
        }
    }
    q.execute(&mut **tx).await?;
    Ok(())
}
