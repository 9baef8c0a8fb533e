//! Finishing the trunk-built widget for readers: what trunk cannot do.
//!
//! 1. `glue.mjs prune` refuses a glue that exports JavaScript classes
//!    (server_fn's wasm-streams brought three that nothing calls: the
//!    patched copy in `vendor/wasm_streams` has none), trims the glue and
//!    lists the wasm exports it still uses.
//! 2. wasm-opt removes every other export, optimises for size (`-Os`: it
//!    compresses 0.3 KB smaller than `-Oz`; either drops the code and imports
//!    only those exports needed; then `--flatten --rereloop -Os --converge`,
//!    0.4 KB less again) and
//!    minifies import, export and module names, printing the mapping, and
//!    strips the custom sections browsers ignore (producers, target features).
//! 3. `glue.mjs rename` rewrites the glue to those names, drops the imports
//!    that are gone, and checks that glue and wasm agree.
//! 4. terser minifies the glue and the loader, `glue.mjs css` the stylesheet.

use crate::setup::Tools;
use crate::{Failure, Step, root, target};
use std::path::Path;
use std::process::Command;

/// The wasm features the build targets (as trunk's defaults did).
const FEATURES: &[&str] = &["--enable-bulk-memory", "--enable-nontrapping-float-to-int"];

/// Runs `cmd`, returning its standard output; its standard error passes through.
fn output(cmd: &mut Command) -> Result<String, Failure> {
    let shown = format!("{cmd:?}").replace('"', "");
    eprintln!("xtask: $ {shown}");
    let out = cmd
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| Failure(format!("cannot start {shown}: {e}")))?;
    if !out.status.success() {
        return Err(Failure(format!("{shown} failed ({})", out.status)));
    }
    String::from_utf8(out.stdout).map_err(|_| Failure(format!("{shown} printed no UTF-8")))
}

fn node(tools: &Tools, args: &[&Path]) -> Command {
    let mut c = Command::new("node");
    c.arg(root().join("xtask/glue.mjs")).arg(&tools.npm_dir);
    c.args(args);
    c
}

pub fn finish(tools: &Tools) -> Step {
    let dist = root().join("dist");
    let glue = dist.join("comments-widget.js");
    let wasm = dist.join("comments-widget_bg.wasm");
    let used = output(&mut node(tools, &[Path::new("prune"), &glue]))?;
    let used: Vec<&str> = used.lines().collect();
    let all = output(&mut node(tools, &[Path::new("exports"), &wasm]))?;
    let mut opt = Command::new(tools.npm_bin.join("wasm-opt"));
    opt.arg(&wasm).args(FEATURES);
    for name in all.lines().filter(|n| !used.contains(n)) {
        opt.arg("--remove-exports")
            .arg("--pass-arg")
            .arg(format!("remove-exports@{name}"));
    }
    let optimised = dist.join("comments-widget_bg.wasm.opt");
    // Then flattened, its control flow rebuilt (rereloop) and optimised
    // again until nothing changes: 0.4 KB gzip less than `-Os` alone.
    opt.args(["-Os", "--flatten", "--rereloop", "-Os", "--converge", "-o"])
        .arg(&optimised);
    output(&mut opt)?;
    // Names last, on their own: `--converge` would repeat the pass and
    // print its mapping twice.
    let finished = dist.join("comments-widget_bg.wasm.tmp");
    let mapping = output(
        Command::new(tools.npm_bin.join("wasm-opt"))
            .arg(&optimised)
            .args(FEATURES)
            .args(["--minify-imports-and-exports-and-modules"])
            // And the custom sections no browser reads: which tools made
            // it, which features it was built for (0.2 KB gzip together).
            .args([
                "--strip-producers",
                "--strip-target-features",
                "--strip-toolchain-annotations",
                "-o",
            ])
            .arg(&finished),
    )?;
    let _ = std::fs::remove_file(&optimised);
    std::fs::rename(&finished, &wasm).map_err(|e| Failure(format!("{}: {e}", wasm.display())))?;
    let map = target().join("widget-names.json");
    std::fs::write(&map, mapping).map_err(|e| Failure(format!("{}: {e}", map.display())))?;
    output(&mut node(tools, &[Path::new("rename"), &glue, &wasm, &map]))?;
    output(
        Command::new(tools.npm_bin.join("terser"))
            .arg(&glue)
            .args([
                "--module",
                "--ecma",
                "2020",
                "--compress",
                "passes=2,unsafe_arrows=true",
            ])
            .args(["--mangle", "--output"])
            .arg(&glue),
    )?;
    output(&mut node(
        tools,
        &[Path::new("css"), &dist.join("widget.css")],
    ))?;
    let counts = dist.join("counts.js");
    output(
        Command::new(tools.npm_bin.join("terser"))
            .arg(&counts)
            .args([
                "--module",
                "--ecma",
                "2020",
                "--compress",
                "--mangle",
                "--output",
            ])
            .arg(&counts),
    )?;
    // The loader's placeholders are in strings or bare names terser keeps.
    let loader = dist.join("embed.js");
    output(
        Command::new(tools.npm_bin.join("terser"))
            .arg(&loader)
            .args(["--ecma", "2020", "--compress", "--mangle", "--output"])
            .arg(&loader),
    )?;
    Ok(())
}
