//! Developer commands: `cargo xtask setup | build | demo | test | size`.
//!
//! Everything the commands need is installed on first use, idempotently:
//! the wasm target, wasm-bindgen-cli and trunk (pinned), wasm-opt (npm
//! `binaryen`), and Chromium with ChromeDriver (Debian packages).

mod bench;
mod setup;
mod widget;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const USAGE: &str = "\
cargo xtask <command>

  setup   install the toolchain pieces (idempotent)
  build   build the widget with trunk (release, wasm-opt) and the server
  demo    build, then serve the demo article with the widget on http://127.0.0.1:8080
          options: --listen ADDR, --article FILE (default demo/tramway-de-nuit.txt),
          --db FILE; --smoke starts it on a free port, checks it answers, stops
  test    build, then run every test: unit, server integration, widget in
          Chromium (wasm-bindgen-test), end-to-end in Chromium, fmt, clippy
  size    print the widget's transfer size, raw, gzip and brotli per file
          (after build); --check fails above the budgets
  bench   polling throughput and latency (304 from memory vs full answers), a
          100-comment thread's cached answer against a bare axum handler, and
          the moderation and reader pages at 1,000 and 1,000,000 comments
          options: --seconds N, --connections N, --scale COMMENTS
  flood   one network posts 1,000 times in 10 s while others poll: posts
          accepted, and the pollers' p99 with and without the flood
  soak    mixed polling and posting for --seconds N (default 60): errors,
          p99, and the server's memory at start and end";

/// A failed step, with what to do about it.
pub struct Failure(pub String);

pub type Step = Result<(), Failure>;

/// The checkout xtask runs for. `cargo run` says at run time: checkouts
/// that share a target directory (`.ci/run`'s fresh clone) share the
/// uplifted `target/debug/xtask`, so the path compiled in may be another's.
pub fn root() -> PathBuf {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Runs a command to completion, failing with its name if it fails.
pub fn run(cmd: &mut Command) -> Step {
    let shown = format!("{cmd:?}");
    eprintln!("xtask: $ {}", shown.replace('"', ""));
    let status = cmd
        .status()
        .map_err(|e| Failure(format!("cannot start {shown}: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Failure(format!("{shown} failed ({status})")))
    }
}

/// Cargo's target directory: `CARGO_TARGET_DIR`, else `target/`.
pub fn target() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root().join(p) })
        .unwrap_or_else(|| root().join("target"))
}

pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Builds the widget into `dist/`: trunk (release), then the finishing
/// steps (wasm-opt, minified names, terser; see `widget.rs`).
pub fn build_widget(tools: &setup::Tools) -> Step {
    run(cargo().args(["fetch", "--quiet"]))?;
    run(Command::new(&tools.trunk)
        .current_dir(root())
        .env("PATH", tools.path_with_tools())
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
            short_source_paths(),
        )
        .args(["build", "--release"]))?;
    widget::finish(tools)
}

/// `--remap-path-prefix` for each crate registry's source folder: the
/// panic locations the wasm keeps then name `gloo-net-0.6.0/src/…` rather
/// than a 60-character folder first (0.1 KB gzip). Only the shipped
/// widget's build sets it; tests build without it.
fn short_source_paths() -> String {
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cargo")));
    let Some(src) = home.map(|h| h.join("registry").join("src")) else {
        return String::new();
    };
    let Ok(entries) = std::fs::read_dir(src) else {
        return String::new();
    };
    entries
        .flatten()
        .map(|e| format!("--remap-path-prefix={}/=", e.path().display()))
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn build_server(release: bool) -> Step {
    let mut c = cargo();
    c.args(["build", "--package", "comments-server"]);
    if release {
        c.arg("--release");
    }
    run(&mut c)
}

/// The widget's transfer size; with `check`, fails above the budgets.
/// `release` picks the release build (which `build` makes anyway) over the
/// debug one (which the tests make anyway): both embed the same files.
fn size(check: bool, release: bool) -> Step {
    let mut c = cargo();
    c.args(["run", "--quiet", "--package", "comments-server"]);
    if release {
        c.arg("--release");
    }
    c.args(["--", "widget-size"]);
    if check {
        c.arg("--check");
    }
    run(&mut c)
}

fn demo(args: &[String]) -> Step {
    let mut listen = "127.0.0.1:8080".to_string();
    let mut article = root().join("demo/tramway-de-nuit.txt");
    let mut db = root().join("data/demo.db");
    let mut smoke = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| Failure(format!("{a} needs a value")))
        };
        match a.as_str() {
            "--listen" => listen = value()?,
            "--article" => article = PathBuf::from(value()?),
            "--db" => db = PathBuf::from(value()?),
            "--smoke" => smoke = true,
            other => return Err(Failure(format!("unknown demo option {other}\n\n{USAGE}"))),
        }
    }
    if !article.is_file() {
        return Err(Failure(format!(
            "demo article not found at {}; pass --article FILE",
            article.display()
        )));
    }
    let tools = setup::ensure(setup::Need::Build)?;
    build_widget(&tools)?;
    build_server(true)?;
    let server = target().join("release/comments-server");
    if smoke {
        return demo_smoke(&server, &article);
    }
    eprintln!();
    size(false, true)?;
    let shown_db = db.display().to_string();
    println!(
        "\nDemo: open http://{listen}/ (the article, with the widget embedded by its public script tag).\n\
         Post a comment there, then approve it from another terminal:\n\
         \n    COMMENTS_DATABASE_PATH={shown_db} {bin} moderate list\n    COMMENTS_DATABASE_PATH={shown_db} {bin} moderate approve ID\n\
         \nOpen readers see it within one poll (15 s) without reloading. Ctrl-C stops the server.\n",
        bin = server.display()
    );
    run(Command::new(&server)
        .current_dir(root())
        .env("COMMENTS_LISTEN", &listen)
        .env("COMMENTS_DATABASE_PATH", &db)
        .env("COMMENTS_DEMO_ARTICLE", &article))
}

/// `demo --smoke`: the demo's server on a free port and a throwaway
/// database; checks that `/healthz`, the article at `/`, the loader and the
/// widget answer, then stops it.
fn demo_smoke(server: &Path, article: &Path) -> Step {
    let dir = target().join("demo-smoke");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| Failure(format!("{}: {e}", dir.display())))?;
    let mut cmd = Command::new(server);
    cmd.current_dir(root())
        .env("COMMENTS_LISTEN", "127.0.0.1:0")
        .env("COMMENTS_DATABASE_PATH", dir.join("demo.db"))
        .env("COMMENTS_DEMO_ARTICLE", article);
    let (running, addr) = bench::listening(cmd)?;
    let get = |path: &str| {
        let (status, _, body) = bench::request_full(addr, &format!("GET {path} HTTP/1.1\r\n"), "")?;
        let body = String::from_utf8_lossy(&body).into_owned();
        if status == 200 {
            Ok(body)
        } else {
            Err(Failure(format!("demo smoke: GET {path} answered {status}")))
        }
    };
    let health = get("/healthz")?;
    let page = get("/")?;
    let loader = get("/embed.js")?;
    let checks = [
        ("/healthz says ok", health.trim() == "ok"),
        (
            "/ shows the article",
            page.contains("<article>") && page.contains("<h1>"),
        ),
        (
            "/ embeds the widget",
            page.contains("data-comments") && page.contains("/embed.js"),
        ),
        ("/embed.js is the loader", loader.contains("data-comments")),
    ];
    drop(running);
    let failed: Vec<&str> = checks
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(what, _)| *what)
        .collect();
    if !failed.is_empty() {
        return Err(Failure(format!("demo smoke failed: {}", failed.join("; "))));
    }
    println!("demo smoke: {addr} answered /healthz, / (the article) and /embed.js; stopped");
    Ok(())
}

fn test() -> Step {
    let tools = setup::ensure(setup::Need::Test)?;
    build_widget(&tools)?;
    // The size budgets first: a widget over budget fails the run at once.
    size(true, false)?;
    run(cargo().args(["fmt", "--all", "--check"]))?;
    // Clippy on both targets: the native workspace and the widget as wasm.
    let native: &[&str] = &["--workspace"];
    let wasm: &[&str] = &[
        "--package",
        "comments-widget",
        "--target",
        "wasm32-unknown-unknown",
    ];
    for target in [native, wasm] {
        run(cargo().arg("clippy").args(target).args([
            "--all-targets",
            "--quiet",
            "--",
            "-D",
            "warnings",
        ]))?;
    }
    // Widget components in headless Chromium.
    run(cargo()
        .env("PATH", tools.path_with_tools())
        .env("CHROMEDRIVER", &tools.chromedriver)
        .env("WASM_BINDGEN_TEST_DRIVER_TIMEOUT", "60")
        .args([
            "test",
            "--package",
            "comments-widget",
            "--target",
            "wasm32-unknown-unknown",
        ]))?;
    // Unit tests, server integration over a real port and file, and the
    // end-to-end browser tests; last, so the run ends with cargo's summary.
    run(cargo()
        .env("CHROMEDRIVER", &tools.chromedriver)
        .env("CHROME", &tools.chromium)
        .env("AXE_JS", &tools.axe)
        // Two at a time: each browser test runs one or two Chromiums, and
        // CI has two cores. --show-output prints the measured figures.
        .args([
            "test",
            "--workspace",
            "--exclude",
            "comments-widget",
            "--",
            "--test-threads=2",
            "--show-output",
        ]))?;
    // The widget's pure-Rust unit tests (i18n, backoff, dates) run natively too.
    run(cargo().args(["test", "--package", "comments-widget", "--lib"]))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::ensure(setup::Need::Test).map(|_| ()),
        Some("build") => setup::ensure(setup::Need::Build)
            .and_then(|t| build_widget(&t))
            .and_then(|()| build_server(true))
            .and_then(|()| size(false, true)),
        Some("demo") => demo(&args[1..]),
        Some("test") => test(),
        Some("size") => size(args.iter().any(|a| a == "--check"), true),
        Some("bench") => bench::bench(&args[1..]),
        Some("flood") => bench::flood(&args[1..]),
        Some("soak") => bench::soak(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(msg)) => {
            eprintln!("xtask: error: {msg}");
            ExitCode::FAILURE
        }
    }
}
