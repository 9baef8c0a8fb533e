//! Moderation: what follows a decision (revisions, the author's mail),
//! the spam signals a new comment is flagged with, and what is kept about
//! authors and for how long. No HTTP types: it may use `notify` and
//! `store` (and the foundations: config, clock, token), nothing above.

pub mod privacy;
pub mod signals;
pub mod threads;
pub mod words;

use crate::config::Config;
use crate::notify::Notifier;
use crate::notify::links::LinkSigner;
use crate::store::keys::Keys;
use crate::store::revisions::Revisions;
use crate::store::{Decided, Disposition, Store};
use std::sync::Arc;

/// What follows a committed decision: pollers learn the new revisions,
/// authors of newly published comments get their one mail, and the
/// authors newly published replies answer get theirs, if they asked.
pub fn follow_up(
    revisions: &Revisions,
    notifier: Option<&Notifier>,
    actor: &str,
    decided: &Decided,
) {
    let Decided::Done(results) = decided else {
        return;
    };
    for d in results.iter().flatten() {
        if let Some(rev) = d.revision {
            revisions.apply([(d.thread.clone(), rev)]);
        }
        if let (Some(address), Some(notifier)) = (&d.mail_to, notifier) {
            notifier.comment_published(d.id, address.clone());
        }
        // A reply newly published: its parent's author may have asked.
        if let Some(notifier) = notifier
            .filter(|_| d.is_reply && d.status == Disposition::Approved && d.previous != d.status)
        {
            notifier.reply_published(d.id);
        }
        if d.previous != d.status {
            tracing::info!(id = d.id, status = d.status.as_str(), actor, thread = %d.thread, "moderation decision");
        }
    }
}

/// The notifier the command line mails authors with, when mail is configured.
pub fn cli_notifier(
    config: &Config,
    keys: &Keys,
    store: Arc<dyn Store>,
) -> Result<Option<Notifier>, String> {
    if !config.mail_enabled() {
        return Ok(None);
    }
    let signer = LinkSigner::new(&keys.mail_link_key);
    Notifier::new(config, signer, store).map(Some)
}
