//! `backup FILE` and `restore FILE`: SQLite's online backup, both ways.

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
