//! `import FORMAT FILE`: other systems' exports (and ours) into the store.

use crate::store::sql::SqlStore;
use std::path::{Path, PathBuf};

pub struct Options {
    pub dry_run: bool,
    pub map: Option<PathBuf>,
    pub keep_emails: bool,
}

pub async fn run(
    _store: &SqlStore,
    _format: crate::import::Format,
    _file: &Path,
    _options: Options,
) -> Result<(), String> {
    Err("import: to be written".into())
}
