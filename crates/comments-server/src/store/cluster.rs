//! A throwaway PostgreSQL cluster for tests and benchmarks, never the
//! system's: `initdb` into a fresh temporary folder, a server listening
//! only on a Unix socket in that folder (mode 0700: trust authentication
//! then admits this user alone, no one over TCP).
//! A watchdog shell holds the cluster's life: when this process ends, by
//! any means, its pipe closes and the watchdog stops the server and
//! removes the folder. Run as root, it all runs as the `postgres` user,
//! since PostgreSQL refuses root.
//!
//! The binaries come from `PATH`, else from Debian's
//! `/usr/lib/postgresql/<version>/bin` (`cargo xtask setup` installs them);
//! `COMMENTS_PG_BIN` names their folder explicitly.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
    /// The watchdog; its stdin is the pipe whose end stops everything.
    watchdog: Child,
}

static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// The folder of PostgreSQL's server binaries.
fn binaries() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("COMMENTS_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let has = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) =
        std::env::var_os("PATH").and_then(|path| std::env::split_paths(&path).find(|d| has(d)))
    {
        return Ok(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, dir)| has(dir))
        .collect();
    versions.sort();
    versions.pop().map(|(_, dir)| dir).ok_or_else(|| {
        "PostgreSQL's initdb and pg_ctl were not found (on PATH, in /usr/lib/postgresql/*/bin \
         or COMMENTS_PG_BIN): `cargo xtask setup` installs them"
            .to_string()
    })
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

impl Cluster {
    /// Creates and starts a cluster. `durable`: fsync as in production
    /// (benchmarks); off, for tests that need speed and never crash the OS.
    pub fn start(durable: bool) -> Result<Self, String> {
        let bin = binaries()?;
        let as_postgres = is_root();
        let dir = std::env::temp_dir().join(format!(
            "comments-pg-{}-{}",
            std::process::id(),
            crate::token::generate()
                .map_err(|e| e.to_string())?
                .get(..8)
                .unwrap_or("0")
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        if as_postgres {
            run(Command::new("chown").arg("postgres:").arg(&dir))?;
        }
        let port = free_port()?;
        let mut cluster = Self {
            watchdog: watchdog(&dir, as_postgres)?,
            bin,
            dir,
            port,
            as_postgres,
        };
        let data = cluster.data();
        cluster.command("initdb", |c| {
            c.args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .arg("-D")
            .arg(&data)
        })?;
        let conf = format!(
            "listen_addresses = ''\nport = {port}\nunix_socket_directories = '{}'\n\
             unix_socket_permissions = 0700\n\
             fsync = {}\nsynchronous_commit = {}\nfull_page_writes = {}\nmax_connections = 200\n\
             shared_buffers = 64MB\n",
            cluster.dir.display(),
            if durable { "on" } else { "off" },
            if durable { "on" } else { "off" },
            if durable { "on" } else { "off" },
        );
        let conf_path = cluster.data().join("postgresql.auto.conf");
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&conf_path)
            .map_err(|e| format!("{}: {e}", conf_path.display()))?;
        f.write_all(conf.as_bytes()).map_err(|e| e.to_string())?;
        cluster.pg_start()?;
        Ok(cluster)
    }

    /// This process's cluster, started on first use (tests share it, each
    /// with its own [`database`](Self::database)); it goes with the process.
    pub fn shared() -> Result<&'static Self, String> {
        static SHARED: std::sync::OnceLock<Result<Cluster, String>> = std::sync::OnceLock::new();
        SHARED
            .get_or_init(|| Self::start(false))
            .as_ref()
            .map_err(Clone::clone)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Runs one of the cluster's binaries as the cluster's owner.
    fn command(
        &mut self,
        name: &str,
        args: impl FnOnce(&mut Command) -> &mut Command,
    ) -> Result<(), String> {
        let program = self.bin.join(name);
        let mut c = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        args(&mut c);
        run(&mut c)
    }

    /// Starts the server, and waits until it accepts connections.
    pub fn pg_start(&mut self) -> Result<(), String> {
        let data = self.data();
        let log = self.dir.join("server.log");
        self.command("pg_ctl", |c| {
            c.arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", "60", "start"])
        })
    }

    /// Stops the server: `fast` as an operator's restart does (clients are
    /// cut off, the data is flushed).
    pub fn pg_stop(&mut self) -> Result<(), String> {
        let data = self.data();
        self.command("pg_ctl", |c| {
            c.arg("-D")
                .arg(&data)
                .args(["-w", "-t", "60", "-m", "fast", "stop"])
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of `database` on this cluster (its socket's folder as `host`).
    pub fn url(&self, database: &str) -> String {
        let folder = percent_encoding::utf8_percent_encode(
            &self.dir.to_string_lossy(),
            percent_encoding::NON_ALPHANUMERIC,
        )
        .to_string();
        format!(
            "postgres://postgres@localhost:{}/{database}?host={folder}",
            self.port
        )
    }

    /// A new, empty database; returns its URL.
    pub async fn database(&self) -> Result<String, String> {
        use sqlx::Connection;
        let name = format!(
            "comments_{}_{}",
            std::process::id(),
            DATABASES.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = sqlx::postgres::PgConnection::connect(&self.url("postgres"))
            .await
            .map_err(|e| format!("cannot reach the test cluster: {e}"))?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .map_err(|e| format!("CREATE DATABASE {name}: {e}"))?;
        let _ = admin.close().await;
        Ok(self.url(&name))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Closing the pipe tells the watchdog; waiting lets it finish.
        drop(self.watchdog.stdin.take());
        let _ = self.watchdog.wait();
    }
}

/// A shell that waits for its stdin to close, then stops the server
/// (immediately: it is a throwaway) and removes the folder.
fn watchdog(dir: &Path, as_postgres: bool) -> Result<Child, String> {
    // Deaf to the terminal's signals: Ctrl-C on the tests must not kill it
    // before its cleaning up.
    let script = "trap '' INT TERM HUP; cat >/dev/null; \
        if [ -f \"$1/data/postmaster.pid\" ]; then \
          kill -QUIT \"$(head -1 \"$1/data/postmaster.pid\")\" 2>/dev/null; \
          for i in $(seq 50); do [ -f \"$1/data/postmaster.pid\" ] || break; sleep 0.1; done; \
        fi; rm -rf \"$1\"";
    let mut c = if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", "sh", "-c", script, "sh"]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", script, "sh"]);
        c
    };
    c.arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the cluster's watchdog: {e}"))
}

fn run(c: &mut Command) -> Result<(), String> {
    let out = c
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{c:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{c:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}
