//! Finding or installing the build and test tools, pinned to the versions the project needs.

use crate::{Failure, run};
use std::path::{Path, PathBuf};
use std::process::Command;

const WASM_BINDGEN: &str = "0.2.130";
const TRUNK: &str = "0.21.14";
const BINARYEN: &str = "132";
const TERSER: &str = "5.51.4";
/// The accessibility checker the browser tests inject (`tests/accessibility.rs`).
const AXE: &str = "4.14.1";

/// What the caller is about to do.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Build,
    Test,
}

pub struct Tools {
    pub trunk: PathBuf,
    /// The npm prefix the tools are installed under (its `node_modules` has acorn, for `glue.mjs`).
    pub npm_dir: PathBuf,
    /// Holds `wasm-opt` (npm binaryen) and `terser`; goes first on PATH for trunk.
    pub npm_bin: PathBuf,
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
    /// axe-core's `axe.min.js`, for the accessibility tests.
    pub axe: PathBuf,
}

impl Tools {
    pub fn path_with_tools(&self) -> String {
        let mut dirs = vec![self.npm_bin.clone()];
        if let Some(cargo_bin) = cargo_bin() {
            dirs.push(cargo_bin);
        }
        let old = std::env::var_os("PATH").unwrap_or_default();
        dirs.extend(std::env::split_paths(&old));
        std::env::join_paths(dirs)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

fn home() -> PathBuf {
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("/root"), PathBuf::from)
}

fn cargo_bin() -> Option<PathBuf> {
    let cargo_home =
        std::env::var_os("CARGO_HOME").map_or_else(|| home().join(".cargo"), PathBuf::from);
    Some(cargo_home.join("bin"))
}

/// The first line a tool prints for `--version`, if it runs.
fn version_of(program: &Path) -> Option<String> {
    let out = Command::new(program).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    out.status
        .success()
        .then(|| text.lines().next().unwrap_or("").to_string())
}

fn in_cargo_bin(name: &str) -> PathBuf {
    cargo_bin().map_or_else(|| PathBuf::from(name), |b| b.join(name))
}

fn ensure_cargo_tool(
    bin: &str,
    krate: &str,
    version: &str,
    locked: bool,
) -> Result<PathBuf, Failure> {
    let path = in_cargo_bin(bin);
    let ok = version_of(&path).is_some_and(|v| v.split_whitespace().any(|w| w == version));
    if !ok {
        eprintln!("xtask: installing {krate} {version} (once; this takes a while)");
        let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        c.args(["install", krate, "--version", version]);
        if locked {
            c.arg("--locked");
        }
        run(&mut c)?;
    }
    Ok(path)
}

fn ensure_wasm_target() -> Result<(), Failure> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| Failure(format!("rustup is needed: {e}")))?;
    if !String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    Ok(())
}

/// wasm-opt from npm's binaryen (Debian's is too old for current Chromium)
/// and terser, which minifies the wasm-bindgen glue.
fn npm_prefix() -> PathBuf {
    home().join(".cache/comments-tools/npm")
}

fn ensure_npm_tools() -> Result<PathBuf, Failure> {
    let prefix = npm_prefix();
    let bin = prefix.join("node_modules/.bin");
    let wasm_opt_ok = version_of(&bin.join("wasm-opt"))
        .is_some_and(|v| v.contains(&format!("version {BINARYEN}")));
    let terser_ok = version_of(&bin.join("terser")).is_some_and(|v| v.ends_with(TERSER));
    let axe_ok = std::fs::read_to_string(prefix.join("node_modules/axe-core/package.json"))
        .is_ok_and(|p| p.contains(&format!("\"version\": \"{AXE}\"")));
    if !(wasm_opt_ok && terser_ok && axe_ok) {
        std::fs::create_dir_all(&prefix)
            .map_err(|e| Failure(format!("{}: {e}", prefix.display())))?;
        run(Command::new("npm")
            .arg("install")
            .arg("--prefix")
            .arg(&prefix)
            .args([
                "--no-audit",
                "--no-fund",
                &format!("binaryen@{BINARYEN}"),
                &format!("terser@{TERSER}"),
                &format!("axe-core@{AXE}"),
            ]))?;
    }
    Ok(bin)
}

/// Chromium and ChromeDriver from Debian's packages.
fn ensure_chromium() -> Result<(PathBuf, PathBuf), Failure> {
    let chromium = PathBuf::from("/usr/bin/chromium");
    let driver = PathBuf::from("/usr/bin/chromedriver");
    if !(chromium.exists() && driver.exists()) {
        apt_install("Chromium", &["chromium", "chromium-driver"])?;
    }
    Ok((chromium, driver))
}

/// Installs Debian packages, as root; anyone else is told the command.
fn apt_install(what: &str, packages: &[&str]) -> Result<(), Failure> {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !is_root {
        return Err(Failure(format!(
            "{what} is needed: run `sudo apt-get install -y {}`",
            packages.join(" ")
        )));
    }
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "--no-install-recommends"])
        .args(packages))
}

/// PostgreSQL's server binaries from Debian's packages: the store's tests
/// start throwaway clusters with them (never the system's cluster).
fn ensure_postgres() -> Result<(), Failure> {
    let has = |dir: &std::path::Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    let on_path =
        std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| has(&d)));
    let in_lib = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| has(&e.path().join("bin")));
    if on_path || in_lib {
        return Ok(());
    }
    apt_install("PostgreSQL", &["postgresql"])
}

pub fn ensure(need: Need) -> Result<Tools, Failure> {
    ensure_wasm_target()?;
    // wasm-bindgen-cli also brings wasm-bindgen-test-runner; trunk finds it on PATH.
    ensure_cargo_tool("wasm-bindgen", "wasm-bindgen-cli", WASM_BINDGEN, false)?;
    let trunk = ensure_cargo_tool("trunk", "trunk", TRUNK, true)?;
    let npm_bin = ensure_npm_tools()?;
    let (chromium, chromedriver) = if need == Need::Test {
        ensure_postgres()?;
        ensure_chromium()?
    } else {
        (
            PathBuf::from("/usr/bin/chromium"),
            PathBuf::from("/usr/bin/chromedriver"),
        )
    };
    Ok(Tools {
        trunk,
        npm_dir: npm_prefix(),
        npm_bin,
        chromium,
        chromedriver,
        axe: npm_prefix().join("node_modules/axe-core/axe.min.js"),
    })
}
