//! The installation's secrets (the mail-link signing key and the address-hashing key), kept in a private key file beside the database, never inside it, so that a backup gives no one the power to mint links or reverse hashes.

use crate::store::{Store, StoreResult};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The names the secrets had in the database's `meta` table, before the key file.
const LEGACY_MAIL_LINK: &str = "mail_link_secret";
const LEGACY_ADDRESS: &str = "ip_secret";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// Signs the approve and reject links in moderators' mail.
    pub mail_link_key: String,
    /// Keys the hash of client addresses.
    pub address_key: String,
}

const HEADER: &str = "\
# Secrets of this comment server. Keep this file private (mode 0600), with the
# database but out of its backups. Every process that serves or moderates the
# same database needs the same file. Replacing mail_link_key invalidates the
# mail links already sent; replacing address_key stops matching new comments'
# addresses with older ones (they are erased after 30 days anyway).
";

fn fresh() -> Result<String, String> {
    crate::token::generate().map_err(|e| format!("OS random generator failed: {e}"))
}

/// The `meta` entry that names the key file every instance must share.
const FINGERPRINT: &str = "key_fingerprint";

impl Keys {
    /// A short hash that tells key files apart without revealing them.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(format!(
            "comments key fingerprint\n{}\n{}",
            self.mail_link_key, self.address_key
        ));
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }

    /// Reads the key file at `path`, or creates it (mode 0600), taking over
    /// the secrets an older version kept in the database so that links and
    /// address hashes stay valid. Either way the database keeps no secret.
    /// Safe when several processes start at once: one file wins.
    pub async fn load_or_create(path: &Path, store: &dyn Store) -> Result<Self, String> {
        let keys = match read(path)? {
            Some(keys) => keys,
            None => {
                let from_db = |v: StoreResult<Option<String>>| v.map_err(|e| e.to_string());
                let keys = Keys {
                    mail_link_key: match from_db(store.meta(LEGACY_MAIL_LINK).await)? {
                        Some(k) => k,
                        None => fresh()?,
                    },
                    address_key: match from_db(store.meta(LEGACY_ADDRESS).await)? {
                        Some(k) => k,
                        None => fresh()?,
                    },
                };
                create(path, &keys)?
            }
        };
        if store.shared() {
            // Instances on several machines each read their own copy: a
            // different one would sign links the others refuse.
            let mine = keys.fingerprint();
            let theirs = store
                .set_meta_once(FINGERPRINT, &mine)
                .await
                .map_err(|e| e.to_string())?;
            if theirs != mine {
                return Err(format!(
                    "the key file {} is not the one the other instances on this database use \
                     (fingerprint {mine}, theirs {theirs}): copy theirs here",
                    path.display()
                ));
            }
        }
        for name in [LEGACY_MAIL_LINK, LEGACY_ADDRESS] {
            store.delete_meta(name).await.map_err(|e| {
                format!("cannot remove the old secret {name} from the database: {e}")
            })?;
        }
        Ok(keys)
    }
}

fn parse(path: &Path, text: &str) -> Result<Keys, String> {
    let keys: Keys = toml::from_str(text).map_err(|e| format!("{}: {e}", path.display()))?;
    if keys.mail_link_key.len() < 32 || keys.address_key.len() < 32 {
        return Err(format!(
            "{}: each key must be at least 32 characters",
            path.display()
        ));
    }
    Ok(keys)
}

fn read(path: &Path) -> Result<Option<Keys>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(path, &text).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read the key file {}: {e}", path.display())),
    }
}

/// Writes the file whole, then links it into place, so that no process
/// ever reads half a key file; if another process linked its file first,
/// that one is the installation's.
fn create(path: &Path, keys: &Keys) -> Result<Keys, String> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let body = toml::to_string(keys).map_err(|e| e.to_string())?;
    let temp = temp_path(path)?;
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp)
        .and_then(|mut f| {
            f.write_all(HEADER.as_bytes())?;
            f.write_all(body.as_bytes())?;
            f.sync_all()
        });
    let linked = written.and_then(|()| std::fs::hard_link(&temp, path));
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => Ok(keys.clone()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read(path)?.ok_or_else(|| format!("the key file {} vanished", path.display()))
        }
        Err(e) => Err(format!("cannot write the key file {}: {e}", path.display())),
    }
}

fn temp_path(path: &Path) -> Result<PathBuf, String> {
    let name = path
        .file_name()
        .ok_or_else(|| format!("{} is not a file name", path.display()))?;
    let mut temp = name.to_os_string();
    temp.push(format!(".{}.tmp", fresh()?.get(..12).unwrap_or("0")));
    Ok(path.with_file_name(temp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::SqlStore;
    use std::os::unix::fs::PermissionsExt;
    use std::time::Duration;

    #[tokio::test]
    async fn keys_are_made_once_privately_and_taken_over_from_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open_sqlite(&dir.path().join("c.db"), Duration::from_secs(5))
            .await
            .unwrap();
        let legacy = "a".repeat(64);
        store.set_meta_once(LEGACY_ADDRESS, &legacy).await.unwrap();
        let path = dir.path().join("c.key");
        let keys = Keys::load_or_create(&path, &store).await.unwrap();
        assert_eq!(keys.address_key, legacy, "the old secret carries over");
        assert_eq!(keys.mail_link_key.len(), 64);
        assert_eq!(store.meta(LEGACY_ADDRESS).await.unwrap(), None);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(Keys::load_or_create(&path, &store).await.unwrap(), keys);
        // A second file cannot replace the first.
        let other = Keys {
            mail_link_key: "b".repeat(64),
            address_key: "c".repeat(64),
        };
        assert_eq!(create(&path, &other).unwrap(), keys);
        std::fs::write(&path, "mail_link_key = \"short\"\naddress_key = \"x\"\n").unwrap();
        assert!(Keys::load_or_create(&path, &store).await.is_err());
    }
}
