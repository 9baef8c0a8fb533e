//! Embeds the trunk-built widget (`dist/`) into the server binary, content-hashed and pre-compressed (brotli and gzip, at their best: gzip by zopfli), and the language files (`i18n/`) for the server's own pages.

use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn files_under(dir: &Path, base: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_under(&path, base, out);
        } else if let Ok(rel) = path.strip_prefix(base) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            out.push((rel, path));
        }
    }
}

fn mime(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

/// gzip by zopfli: the format every browser reads, 5 % smaller than zlib's best.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    zopfli::compress(
        zopfli::Options::default(),
        zopfli::Format::Gzip,
        bytes,
        &mut out,
    )
    .expect("gzip into memory");
    out
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        w.write_all(bytes).expect("brotli into memory");
    }
    out
}

fn write(path: &Path, bytes: &[u8]) {
    fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets it"));
    let dist = env::var_os("WIDGET_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../dist"));
    println!("cargo:rerun-if-env-changed=WIDGET_DIST");
    println!("cargo:rerun-if-changed={}", dist.display());

    // The language files, always (the server's own pages use their
    // `pages` strings, with or without a built widget).
    let i18n = manifest.join("../../i18n");
    println!("cargo:rerun-if-changed={}", i18n.display());
    let mut languages = Vec::new();
    files_under(&i18n, &i18n, &mut languages);
    let mut table = String::from("pub static LANGUAGES: &[(&str, &str)] = &[\n");
    for (name, path) in &languages {
        if let Some(tag) = name.strip_suffix(".json") {
            writeln!(
                table,
                "    ({tag:?}, include_str!({:?})),",
                path.display().to_string()
            )
            .expect("write to string");
        }
    }
    table.push_str("];\n");
    write(&out.join("languages.rs"), table.as_bytes());

    let mut files = Vec::new();
    files_under(&dist, &dist, &mut files);
    let wasm = files
        .iter()
        .find(|(p, _)| p.ends_with("_bg.wasm"))
        .map(|(p, _)| p.clone());
    let template = files
        .iter()
        .find(|(p, _)| p == "index.html")
        .map(|(_, f)| f.clone());
    let loader = files
        .iter()
        .find(|(p, _)| p == "embed.js")
        .map(|(_, f)| f.clone());
    let css = files
        .iter()
        .find(|(p, _)| p == "widget.css")
        .map(|(p, _)| p.clone());

    let mut code = String::new();
    let (Some(wasm), Some(loader), Some(css)) = (wasm, loader, css) else {
        println!(
            "cargo:warning=no built widget in {} (run `cargo xtask build`); the server will answer 404 widget_not_built for it",
            dist.display()
        );
        code.push_str("pub const BUILD_ID: &str = \"\";\npub static FILES: &[Asset] = &[];\npub static EMBED_JS: Option<Asset> = None;\npub static DEMO_TEMPLATE: Option<&str> = None;\n");
        write(&out.join("assets.rs"), code.as_bytes());
        return;
    };
    let glue = wasm.trim_end_matches("_bg.wasm").to_string() + ".js";

    // Every file that readers fetch, under one content-hashed directory.
    let served: Vec<(String, Vec<u8>)> = files
        .iter()
        .filter(|(p, _)| p != "index.html" && p != "embed.js")
        .map(|(p, f)| {
            (
                p.clone(),
                fs::read(f).unwrap_or_else(|e| panic!("read {}: {e}", f.display())),
            )
        })
        .collect();
    let mut hasher = Sha256::new();
    for (p, bytes) in &served {
        hasher.update(p.as_bytes());
        hasher.update([0]);
        hasher.update(bytes);
    }
    let digest = hasher.finalize();
    let build_id: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();

    let asset = |code: &mut String, path: &str, raw: &Path, gz: &Path, br: &Path| {
        write!(
            code,
            "Asset {{ path: {path:?}, mime: {:?}, raw: include_bytes!({:?}), gzip: include_bytes!({:?}), brotli: include_bytes!({:?}) }}",
            mime(path),
            raw.display().to_string(),
            gz.display().to_string(),
            br.display().to_string()
        )
        .expect("write to string");
    };

    fs::create_dir_all(out.join("gz")).expect("create OUT_DIR/gz");
    writeln!(code, "pub const BUILD_ID: &str = {build_id:?};").expect("write to string");
    code.push_str("pub static FILES: &[Asset] = &[\n");
    for (i, (path, bytes)) in served.iter().enumerate() {
        let raw = out.join(format!("gz/{i}.raw"));
        let gz = out.join(format!("gz/{i}.gz"));
        let br = out.join(format!("gz/{i}.br"));
        write(&raw, bytes);
        write(&gz, &gzip(bytes));
        write(&br, &brotli(bytes));
        code.push_str("    ");
        asset(&mut code, path, &raw, &gz, &br);
        code.push_str(",\n");
    }
    code.push_str("];\n");

    let loader_src = fs::read_to_string(&loader).expect("read embed.js");
    let loader_src = loader_src
        .replace("__ASSET_DIR__", &format!("w/{build_id}/"))
        .replace("__WIDGET_JS__", &glue)
        .replace("__WIDGET_WASM__", &wasm)
        .replace("__WIDGET_CSS__", &css);
    let raw = out.join("embed.js");
    let gz = out.join("embed.js.gz");
    let br = out.join("embed.js.br");
    write(&raw, loader_src.as_bytes());
    write(&gz, &gzip(loader_src.as_bytes()));
    write(&br, &brotli(loader_src.as_bytes()));
    code.push_str("pub static EMBED_JS: Option<Asset> = Some(");
    asset(&mut code, "embed.js", &raw, &gz, &br);
    code.push_str(");\n");

    match template {
        Some(t) => writeln!(
            code,
            "pub static DEMO_TEMPLATE: Option<&str> = Some(include_str!({:?}));",
            t.display().to_string()
        ),
        None => writeln!(code, "pub static DEMO_TEMPLATE: Option<&str> = None;"),
    }
    .expect("write to string");
    write(&out.join("assets.rs"), code.as_bytes());
}
