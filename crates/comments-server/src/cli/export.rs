//! `export FILE`: every comment as JSON Lines.

use crate::store::sql::SqlStore;
use std::path::Path;

pub async fn run(_store: &SqlStore, _file: &Path) -> Result<(), String> {
    Err("export: to be written".into())
}
