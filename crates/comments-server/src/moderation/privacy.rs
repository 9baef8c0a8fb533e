//! Client addresses as keyed hashes only (HMAC-SHA256 with a per-installation secret), forgotten after 30 days.

use crate::store::{PurgeBefore, Store};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// How long a comment keeps its address hash.
pub const IP_RETENTION_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// Hashes client addresses with the installation's secret: the same address
/// gives the same hash here, and nothing anyone can reverse without the key.
#[derive(Clone)]
pub struct IpHasher {
    key: Vec<u8>,
}

impl IpHasher {
    pub fn new(secret: &str) -> Self {
        Self {
            key: secret.as_bytes().to_vec(),
        }
    }

    pub fn hash(&self, ip: IpAddr) -> String {
        // HMAC accepts keys of any length; this cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return String::new();
        };
        mac.update(ip.to_string().as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// How long a moderator's deletion can be undone before the row goes.
pub const DELETED_RETENTION_MS: i64 = 24 * 60 * 60 * 1000;

/// Blanks address hashes older than [`IP_RETENTION_MS`], removes moderator
/// deletions older than a day, expired sessions and reply subscriptions
/// older than `keep_days`, now and then every `every`, until the task is
/// aborted.
pub fn spawn_purger(
    store: Arc<dyn Store>,
    every: Duration,
    keep_days: u64,
) -> tokio::task::JoinHandle<()> {
    let keep_ms = i64::try_from(keep_days.saturating_mul(86_400_000)).unwrap_or(i64::MAX);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let now = crate::clock::now_ms();
            match store
                .purge(PurgeBefore {
                    addresses: now - IP_RETENTION_MS,
                    deleted: now - DELETED_RETENTION_MS,
                    // Nonces outlive the links they belong to by a day.
                    link_nonces: now - crate::notify::links::LINK_VALIDITY_MS - 86_400_000,
                    sessions: now,
                    subscriptions: now.saturating_sub(keep_ms),
                })
                .await
            {
                Ok(p) if p == Default::default() => {}
                Ok(p) => tracing::info!(
                    addresses = p.addresses,
                    deleted_comments = p.deleted_comments,
                    sessions = p.sessions,
                    links = p.links,
                    subscriptions = p.subscriptions,
                    "purged old data"
                ),
                Err(e) => tracing::warn!(error = %e, "purge failed; will retry"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_keyed_stable_and_not_the_address() {
        let a = IpHasher::new("one secret");
        let b = IpHasher::new("another secret");
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(a.hash(ip), a.hash(ip));
        assert_ne!(a.hash(ip), b.hash(ip), "depends on the secret");
        assert_ne!(a.hash(ip), a.hash("203.0.113.10".parse().unwrap()));
        assert_eq!(a.hash(ip).len(), 64);
        assert!(!a.hash(ip).contains("203"));
    }
}
