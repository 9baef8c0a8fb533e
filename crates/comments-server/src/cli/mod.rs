//! The command line (clap): each command, its options and its `--help`,
//! and running it. The top of the crate: it may use every module below
//! (settings, the HTTP server, moderation, the store); none uses it.

mod database;
mod export;
mod import;
mod moderate;
mod password;
mod serve;
mod widget_size;

use crate::config::Config;
use crate::store::Store;
use clap::{CommandFactory, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

const EXAMPLES: &str = "\
Examples:
  comments-server                              serve, with ./comments.toml if present
  comments-server --config /etc/comments.toml serve
  COMMENTS_LISTEN=0.0.0.0:8080 comments-server  any setting from the environment
  comments-server moderate list                 the queue, oldest first
  comments-server moderate approve 12
  comments-server hash-password                 for [[moderation.moderators]]
  comments-server backup /var/backups/comments.db

Settings: defaults, then the TOML file, then COMMENTS_* variables
(COMMENTS_SECTION__KEY for any setting, e.g. COMMENTS_LIMITS__POST_BURST=5).
With none at all the server listens on 127.0.0.1:8080 and keeps its SQLite
database in ./data. See the README's Configuration section.";

const MODERATE_EXAMPLES: &str = "\
Examples:
  comments-server moderate                 the queue, oldest first, with ids
  comments-server moderate approve 12      publish #12 (mails its author, if asked)
  comments-server moderate reject 13
  comments-server moderate purge-author 3f…(64 hex digits)
  comments-server moderate sign-out ana    ana's sessions end now

Running servers show each change within database.refresh_ms.";

/// A self-hosted, pre-moderated comment server with its embeddable widget.
#[derive(Parser)]
#[command(name = "comments-server", version, after_help = EXAMPLES)]
pub struct Cli {
    /// The settings file (TOML). Without it, ./comments.toml is read if it exists.
    #[arg(long, short, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the reader API, the moderation pages and the widget (the default).
    Serve,
    /// Moderate from the shell, on the configured database.
    #[command(after_help = MODERATE_EXAMPLES)]
    Moderate {
        #[command(subcommand)]
        action: Option<moderate::Action>,
    },
    /// Read a password on stdin and print its Argon2id hash, for
    /// `[[moderation.moderators]] password_hash`.
    HashPassword,
    /// Copy the database to FILE, safely while the server runs.
    Backup {
        /// Where to write the copy; it must not exist.
        file: PathBuf,
    },
    /// Replace every comment with those of a backup made by `backup`.
    Restore {
        /// A file written by `comments-server backup`.
        file: PathBuf,
    },
    /// Copy everything from the configured database into an empty one on
    /// the other backend, then check counts and checksums. Safe to run
    /// again after a failure: the copy is one transaction.
    Migrate {
        /// `postgres://user@host/db`, or `sqlite:PATH`.
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Bring in the comments of another system's export, or of ours.
    /// Running it again with the same file adds nothing.
    Import {
        /// disqus, wxr (WordPress), isso (its SQLite file) or own (our JSON Lines export).
        format: crate::import::Format,
        file: PathBuf,
        /// Read and check the whole file, print the report, store nothing.
        #[arg(long)]
        dry_run: bool,
        /// A CSV of `old,new` rows: the source's thread id, URL or URL path,
        /// and our key. Without a row, a thread's key is its URL's path
        /// (as the widget's default `data-thread`), else the source's id.
        #[arg(long, value_name = "CSV")]
        map: Option<PathBuf>,
        /// Keep commenters' addresses (for the publication mail of pending comments).
        #[arg(long)]
        keep_emails: bool,
        /// The name this file's ids are remembered under (default: the
        /// format). Give each site its own when importing several sites'
        /// exports of one format: a second run of the same file and name
        /// adds nothing.
        #[arg(long, value_name = "NAME")]
        source: Option<String>,
    },
    /// Write every thread and comment, with replies and statuses, as JSON Lines.
    Export {
        /// Where to write; `-` for standard output.
        file: PathBuf,
    },
    /// Print the widget's transfer size per file (raw, gzip, brotli).
    WidgetSize {
        /// Fail when the widget or the loader is over its budget.
        #[arg(long)]
        check: bool,
    },
    /// Print a completion script for SHELL, e.g.
    /// `comments-server completions bash > /etc/bash_completion.d/comments-server`.
    Completions {
        /// bash, elvish, fish, powershell or zsh.
        shell: clap_complete::Shell,
    },
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    match command {
        Command::HashPassword => return password::hash_password(),
        Command::WidgetSize { check } => return widget_size::widget_size(check),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "comments-server",
                &mut std::io::stdout(),
            );
            return ExitCode::SUCCESS;
        }
        Command::Serve
        | Command::Moderate { .. }
        | Command::Backup { .. }
        | Command::Restore { .. }
        | Command::Migrate { .. }
        | Command::Import { .. }
        | Command::Export { .. } => {}
    }
    let config = match Config::load(cli.config.as_deref()) {
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
        let store = crate::store::open(&config.database)
            .await
            .map_err(|e| format!("cannot open the database: {e}"))?;
        let backup = match &command {
            Command::Backup { file } => Some(database::backup(&store, file).await),
            Command::Restore { file } => Some(database::restore(&store, file).await),
            Command::Migrate { to } => Some(database::migrate(&store, to, &config.database).await),
            Command::Import {
                format,
                file,
                dry_run,
                map,
                keep_emails,
                source,
            } => Some(
                import::run(
                    &store,
                    *format,
                    file,
                    import::Options {
                        dry_run: *dry_run,
                        map: map.clone(),
                        keep_emails: *keep_emails,
                        source: source.clone(),
                    },
                )
                .await,
            ),
            Command::Export { file } => Some(export::run(&store, file).await),
            _ => None,
        };
        if let Some(outcome) = backup {
            let _ = store.close().await;
            return outcome;
        }
        let store: Arc<dyn Store> = Arc::new(store);
        let outcome = match command {
            Command::Moderate { action } => {
                let action = action.unwrap_or(moderate::Action::List);
                moderate::run(&config, Arc::clone(&store), action).await
            }
            _ => serve::serve(config, Arc::clone(&store)).await,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
