//! `widget-size [--check]`: what a reader downloads, against the budgets.

use crate::http::assets;
use std::process::ExitCode;

/// `widget-size [--check]`: raw, gzip and brotli sizes per file; with
/// `--check`, fails when the widget or the loader is over its budget.
pub fn widget_size(check: bool) -> ExitCode {
    let Some(s) = assets::transfer_size() else {
        eprintln!("this binary was built without the widget: run `cargo xtask build` first");
        return ExitCode::FAILURE;
    };
    let kb = |n: usize| n as f64 / 1024.0;
    println!("{:<40} {:>9} {:>9} {:>9}", "file", "raw", "gzip", "brotli");
    for a in assets::widget_files() {
        println!(
            "  {:<38} {:>9} {:>9} {:>9}",
            a.path,
            a.raw.len(),
            a.gzip.len(),
            a.brotli.len()
        );
    }
    let w = s.widget;
    println!(
        "{:<40} {:>9} {:>9} {:>9}   ({:.1} KB gzip, {:.1} KB brotli; budgets {:.0} and {:.0} KB)",
        "widget (wasm + JS + CSS)",
        w.raw,
        w.gzip,
        w.brotli,
        kb(w.gzip),
        kb(w.brotli),
        kb(assets::WIDGET_GZIP_BUDGET),
        kb(assets::WIDGET_BROTLI_BUDGET),
    );
    if let Some(a) = assets::counts_file() {
        println!(
            "{:<40} {:>9} {:>9} {:>9}   (listing pages only)",
            "counts module (counts.js)",
            a.raw.len(),
            a.gzip.len(),
            a.brotli.len()
        );
    }
    let l = s.loader;
    println!(
        "{:<40} {:>9} {:>9} {:>9}   (budget {} bytes gzip)",
        "loader (embed.js)",
        l.raw,
        l.gzip,
        l.brotli,
        assets::LOADER_GZIP_BUDGET
    );
    let over = s.over_budget();
    if check && !over.is_empty() {
        eprintln!("over budget: {}", over.join("; "));
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
