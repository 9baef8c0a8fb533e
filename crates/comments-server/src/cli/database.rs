//! `backup FILE` and `restore FILE`: SQLite's online backup, both ways;
//! `migrate --to URL`: the whole database onto the other backend.

use crate::store::Store;
use crate::store::sql::SqlStore;
use std::path::Path;

pub async fn backup(store: &SqlStore, file: &Path) -> Result<(), String> {
    let n = store.backup(file).await.map_err(|e| e.to_string())?;
    println!("Backed up {n} comment(s) to {}.", file.display());
    Ok(())
}

pub async fn restore(store: &SqlStore, file: &Path) -> Result<(), String> {
    let n = store.restore(file).await.map_err(|e| e.to_string())?;
    println!(
        "Restored {n} comment(s) from {}. Open pages reload their threads on their next poll.",
        file.display()
    );
    Ok(())
}

/// `migrate --to URL`: the whole configured database into an empty one on
/// the other backend, checked table by table.
pub async fn migrate(
    store: &SqlStore,
    to: &str,
    config: &crate::config::DatabaseConfig,
) -> Result<(), String> {
    let location = crate::config::DatabaseLocation::parse(to).map_err(|e| e.to_string())?;
    if location == config.location() {
        return Err("--to names the configured database itself".into());
    }
    let target = crate::store::open(&crate::config::DatabaseConfig {
        url: Some(to.to_string()),
        ..config.clone()
    })
    .await
    .map_err(|e| format!("cannot open {to}: {e}"))?;
    let copied = crate::store::copy::copy(store, &target).await;
    let _ = target.close().await;
    let copied = copied.map_err(|e| format!("migrate failed, the target is as it was: {e}"))?;
    for (table, tally) in &copied {
        println!(
            "{table:<20} {:>9} rows  checksum {:016x}",
            tally.rows, tally.checksum
        );
    }
    println!(
        "Copied and checked. Point database.url at the new database; the key file stays the same."
    );
    Ok(())
}
