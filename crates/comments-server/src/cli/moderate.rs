//! `moderate …`: the queue and decisions from the shell, on the configured
//! database. Approvals mail their authors from here, when mail is
//! configured, before the command ends; running servers learn of every
//! change by their own refresh.

use crate::config::Config;
use crate::moderation::{self, follow_up};
use crate::notify::Notifier;
use crate::store::keys::Keys;
use crate::store::revisions::Revisions;
use crate::store::{Decided, Decisions, Disposition, QueueQuery, Store};
use clap::Subcommand;
use comments_api::CommentStatus;
use std::sync::Arc;

#[derive(Subcommand)]
pub enum Action {
    /// List the comments awaiting moderation, oldest first (the default).
    List,
    /// Publish a comment.
    Approve {
        /// The comment's id, as `moderate list` shows it.
        #[arg(value_parser = clap::value_parser!(i64).range(1..))]
        id: i64,
    },
    /// Refuse a comment; it stays unpublished.
    Reject {
        /// The comment's id, as `moderate list` shows it.
        #[arg(value_parser = clap::value_parser!(i64).range(1..))]
        id: i64,
    },
    /// Delete every comment of one reader (audited).
    PurgeAuthor {
        /// The reader key: 64 hex digits, as the moderation page shows it.
        #[arg(value_parser = reader_key)]
        key: String,
    },
    /// End every session of a moderator at once.
    SignOut {
        /// The moderator's name, as in `[[moderation.moderators]]`.
        #[arg(value_parser = moderator_name)]
        name: String,
    },
}

fn reader_key(s: &str) -> Result<String, String> {
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s.to_ascii_lowercase())
    } else {
        Err("expected 64 hex digits, as the moderation page shows the reader key".into())
    }
}

fn moderator_name(s: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        Err("expected a moderator's name, e.g. `moderate sign-out ana`".into())
    } else {
        Ok(s.to_string())
    }
}

pub async fn run(config: &Config, store: Arc<dyn Store>, action: Action) -> Result<(), String> {
    let keys = Keys::load_or_create(&config.database.key_file(), store.as_ref()).await?;
    let notifier = moderation::cli_notifier(config, &keys, Arc::clone(&store))?;
    let out = act(store.as_ref(), notifier.as_ref(), action).await?;
    println!("{out}");
    Ok(())
}

async fn act(
    store: &dyn Store,
    notifier: Option<&Notifier>,
    action: Action,
) -> Result<String, String> {
    match action {
        Action::List => list(store).await,
        Action::Approve { id } => decide(store, notifier, id, CommentStatus::Approved).await,
        Action::Reject { id } => decide(store, notifier, id, CommentStatus::Rejected).await,
        Action::PurgeAuthor { key } => {
            let (count, _) = store
                .purge_author(&key, "cli")
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!("Deleted {count} comment(s) of reader {key}."))
        }
        Action::SignOut { name } => {
            let ended = store
                .end_sessions(&name, "cli")
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!("Ended {ended} session(s) of moderator {name:?}."))
        }
    }
}

/// The queue, oldest first, each comment's text shortened to one line.
async fn list(store: &dyn Store) -> Result<String, String> {
    let query = QueueQuery {
        status: Disposition::Pending,
        thread: None,
        author: None,
        section: None,
        site: None,
        newest_first: false,
        limit: 1000,
    };
    let items = store.queue(&query).await.map_err(|e| e.to_string())?;
    if items.is_empty() {
        return Ok("No comment awaits moderation.".into());
    }
    let mut out = format!("{} pending comment(s), oldest first:\n", items.len());
    for c in items {
        let body: String = c.body.chars().take(200).collect();
        let body = body.replace('\n', " ⏎ ");
        let flags = if c.flags.is_empty() {
            String::new()
        } else {
            format!("  [{}]", c.flags.join(", "))
        };
        out.push_str(&format!(
            "\n#{}  thread {:?}  by {:?}{flags}\n    {}\n",
            c.id, c.thread, c.author, body
        ));
    }
    out.push_str(
        "\nApprove with `comments-server moderate approve ID`, reject with `... reject ID`.",
    );
    Ok(out)
}

/// Approves or rejects one comment; mails its author before returning.
async fn decide(
    store: &dyn Store,
    notifier: Option<&Notifier>,
    id: i64,
    status: CommentStatus,
) -> Result<String, String> {
    let decisions = Decisions::one("cli", id, status.into());
    let decided = store.decide(&decisions).await.map_err(|e| e.to_string())?;
    // The running servers learn of it by their own refresh.
    follow_up(&Revisions::default(), notifier, "cli", &decided);
    let d = match decided {
        Decided::Done(mut results) => results.pop().flatten(),
        Decided::LinkUsed => None,
    }
    .ok_or_else(|| format!("No comment with id {id}."))?;
    if let Some(n) = notifier.filter(|_| d.mail_to.is_some()) {
        n.flush().await;
    }
    Ok(format!(
        "Comment #{id} on thread {:?}: {} -> {}.",
        d.thread,
        d.previous.as_str(),
        status.as_str()
    ))
}
