//! `export FILE`: every comment, of every status, with its thread, parent,
//! dates, staff label and pick, as JSON Lines (`import::own` describes the
//! format and reads it back: `import own FILE`). Streamed a page of 1,000
//! comments at a time, by id, whatever the database's size. A file is
//! written beside FILE and renamed onto it once complete, so FILE is
//! never half an export; `-` writes to standard output (and the summary
//! to standard error).

use crate::import::own::{Trailer, header_line};
use crate::store::Store;
use crate::store::sql::SqlStore;
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Comments per page read from the store.
const PAGE: u32 = 1000;

pub async fn run(store: &SqlStore, file: &Path) -> Result<(), String> {
    if file == Path::new("-") {
        let stdout = std::io::stdout();
        let (comments, threads) = write(store, &mut stdout.lock())
            .await
            .map_err(|e| format!("export to standard output failed: {e}"))?;
        eprintln!("Exported {comments} comment(s) in {threads} thread(s).");
        return Ok(());
    }
    let partial = partial_path(file);
    let outcome = async {
        let f =
            std::fs::File::create(&partial).map_err(|e| format!("{}: {e}", partial.display()))?;
        let mut out = std::io::BufWriter::with_capacity(256 * 1024, f);
        let counts = write(store, &mut out).await?;
        let f = out
            .into_inner()
            .map_err(|e| format!("{}: {}", partial.display(), e.error()))?;
        f.sync_all()
            .map_err(|e| format!("{}: {e}", partial.display()))?;
        std::fs::rename(&partial, file).map_err(|e| format!("{}: {e}", file.display()))?;
        Ok::<_, String>(counts)
    }
    .await;
    match outcome {
        Ok((comments, threads)) => {
            println!(
                "Exported {comments} comment(s) in {threads} thread(s) to {}.",
                file.display()
            );
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(format!(
                "export failed, {} is as it was: {e}",
                file.display()
            ))
        }
    }
}

/// `FILE.partial`, beside FILE (the same file system, for the rename).
fn partial_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    file.with_file_name(name)
}

/// Writes the whole export to `out`; returns how many comments and threads.
async fn write(store: &SqlStore, out: &mut impl Write) -> Result<(u64, usize), String> {
    let io = |e: std::io::Error| e.to_string();
    writeln!(out, "{}", header_line()).map_err(io)?;
    let mut after = 0;
    let mut comments: u64 = 0;
    let mut threads: HashSet<String> = HashSet::new();
    loop {
        let page = store
            .export(after, PAGE)
            .await
            .map_err(|e| format!("the database failed: {e}"))?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let full = page.len() == PAGE as usize;
        for c in page {
            if !threads.contains(&c.thread) {
                threads.insert(c.thread.clone());
            }
            serde_json::to_writer(&mut *out, &c).map_err(|e| e.to_string())?;
            out.write_all(b"\n").map_err(io)?;
            comments += 1;
        }
        if !full {
            break;
        }
    }
    serde_json::to_writer(&mut *out, &Trailer { end: comments }).map_err(|e| e.to_string())?;
    out.write_all(b"\n").map_err(io)?;
    out.flush().map_err(io)?;
    Ok((comments, threads.len()))
}
