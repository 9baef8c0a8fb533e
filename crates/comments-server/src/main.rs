//! `comments-server`: the binary's command line (serve, moderate, hash-password, backup, restore, widget-size).

use comments_server::config::Config;
use comments_server::keys::Keys;
use comments_server::store::Store;
use comments_server::store::sqlite::SqliteStore;
use comments_server::{assets, moderation, routes, state};
use std::path::PathBuf;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

const USAGE: &str = "\
comments-server: a self-hosted comment server with its embeddable widget

USAGE:
    comments-server [--config FILE] [serve]
    comments-server [--config FILE] moderate list
    comments-server [--config FILE] moderate approve ID
    comments-server [--config FILE] moderate reject ID
    comments-server [--config FILE] moderate purge-author KEY   delete all of one reader's comments
    comments-server [--config FILE] moderate sign-out NAME      end every session of a moderator
    comments-server hash-password                   read a password on stdin, print its Argon2id hash
    comments-server [--config FILE] backup FILE     copy the database, safe while serving
    comments-server [--config FILE] restore FILE    replace all comments with a backup's
    comments-server widget-size [--check]                fail above the size budgets

Without --config, ./comments.toml is read if it exists. COMMENTS_* environment
variables override the file (see README). With no configuration at all the
server listens on 127.0.0.1:8080 and keeps its SQLite database in ./data.";

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut config_path = None;
    if let Some(i) = args.iter().position(|a| a == "--config") {
        if i + 1 >= args.len() {
            eprintln!("error: --config needs a file\n\n{USAGE}");
            return ExitCode::from(2);
        }
        config_path = Some(PathBuf::from(args.remove(i + 1)));
        args.remove(i);
    }
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let command = args.first().cloned().unwrap_or_else(|| "serve".into());
    if command == "widget-size" {
        return widget_size(args.iter().any(|a| a == "--check"));
    }
    if command == "hash-password" {
        return hash_password();
    }
    if !["serve", "moderate", "backup", "restore"].contains(&command.as_str()) {
        eprintln!("error: unknown command {command:?}\n\n{USAGE}");
        return ExitCode::from(2);
    }
    let config = match Config::load(config_path.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let store = SqliteStore::open(
            &config.database.path,
            Duration::from_millis(config.database.busy_timeout_ms),
        )
        .await
        .map_err(|e| format!("cannot open {}: {e}", config.database.path.display()))?;
        if command == "backup" || command == "restore" {
            let outcome = backup_or_restore(&store, &command, args.get(1)).await;
            let _ = store.close().await;
            return outcome;
        }
        let store: Arc<dyn Store> = Arc::new(store);
        let outcome = if command == "moderate" {
            moderate(&config, Arc::clone(&store), &args[1..]).await
        } else {
            serve(config, Arc::clone(&store)).await
        };
        let _ = store.close().await;
        outcome
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(mut config: Config, store: Arc<dyn Store>) -> Result<(), String> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let listen = config.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    if config.moderation.public_url.is_none() {
        // Links in mail need the real port (the configured one may be 0).
        config.moderation.public_url = Some(format!("http://{addr}"));
    }
    let refresh = Duration::from_millis(config.database.refresh_ms.max(50));
    let header_timeout = Duration::from_millis(config.limits.header_timeout_ms.max(1));
    let state = state::AppState::new(config, Arc::clone(&store)).await?;
    let notifier = Arc::clone(&state.notifier);
    let state_allows_any_origin = state.origins.any();
    let refresher = state.revisions.spawn_refresher(Arc::clone(&store), refresh);
    let purger = comments_server::privacy::spawn_purger(store, Duration::from_secs(3600));
    // Tests and scripts read this line to find the port.
    println!("listening on http://{addr}");
    if state_allows_any_origin {
        tracing::warn!(
            "any site may embed the widget and post: list yours in sites.allowed_origins (COMMENTS_ALLOWED_ORIGINS)"
        );
    }
    if assets::EMBED_JS.is_none() {
        tracing::warn!("this binary was built without the widget: run `cargo xtask build` first");
    }
    comments_server::serve::serve(
        listener,
        routes::router(state),
        header_timeout,
        shutdown_signal(),
    )
    .await;
    refresher.abort();
    purger.abort();
    tracing::info!("stopped accepting requests; in-flight requests finished");
    // Mails and webhooks under way get a little time to go out.
    if tokio::time::timeout(Duration::from_secs(5), notifier.flush())
        .await
        .is_err()
    {
        tracing::warn!("stopping with notifications still being retried");
    }
    Ok(())
}

/// `moderate …`: approvals mail their authors from here when mail is configured.
async fn moderate(config: &Config, store: Arc<dyn Store>, args: &[String]) -> Result<(), String> {
    let keys = Keys::load_or_create(&config.database.key_file(), store.as_ref()).await?;
    let notifier = moderation::cli_notifier(config, &keys, Arc::clone(&store))?;
    let out = moderation::run_cli(store.as_ref(), notifier.as_ref(), args).await?;
    println!("{out}");
    Ok(())
}

/// `backup FILE` and `restore FILE`.
async fn backup_or_restore(
    store: &SqliteStore,
    command: &str,
    file: Option<&String>,
) -> Result<(), String> {
    let file = PathBuf::from(file.ok_or_else(|| format!("{command} needs a file\n\n{USAGE}"))?);
    if command == "backup" {
        let n = store.backup(&file).await.map_err(|e| e.to_string())?;
        println!("Backed up {n} comment(s) to {}.", file.display());
    } else {
        let n = store.restore(&file).await.map_err(|e| e.to_string())?;
        println!(
            "Restored {n} comment(s) from {}. Open pages reload their threads on their next poll.",
            file.display()
        );
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Reads one line (the password) from stdin and prints its Argon2id hash,
/// for `[[moderation.moderators]] password_hash`.
fn hash_password() -> ExitCode {
    use std::io::{BufRead, IsTerminal};
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    // Keep the password off the screen while it is typed.
    let stty = |arg: &str| {
        let _ = std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status();
    };
    if interactive {
        eprint!("Password (not shown): ");
        stty("-echo");
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if interactive {
        stty("echo");
        eprintln!();
    }
    let password = line.trim_end_matches(['\r', '\n']);
    if read.is_err() || password.chars().count() < 10 {
        eprintln!("error: give a password of at least 10 characters on stdin");
        return ExitCode::from(2);
    }
    match comments_server::auth::hash_password(password) {
        Ok(hash) => {
            println!("{hash}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `widget-size [--check]`: raw, gzip and brotli sizes per file; with
/// `--check`, fails when the widget or the loader is over its budget.
fn widget_size(check: bool) -> ExitCode {
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
