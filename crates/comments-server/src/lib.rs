//! The comment server, layer by layer. A comment goes from the widget's
//! textarea to `http::reader` (parsed, limited, trapped), is flagged by
//! `moderation::signals`, written by the `store`, announced by `notify`,
//! decided in `http::admin` (or `cli`, or a mail link) through
//! `http::moderation` and `moderation`, and reaches readers again through
//! `store::revisions` and `http::reader`'s cached answers.
//!
//! Dependencies run one way, top to bottom (a test checks it):
//! `cli` → `http` → `moderation` → `notify` → `store`; `import` (other
//! systems' exports read as records) sits beside `http`, under `cli`.
//! `config`, `clock` and `token` are foundations any layer may use. The binary (`main.rs`)
//! only calls `cli`; the modules are a library so that tests, fuzz targets
//! and benchmarks can reach them.

pub mod cli;
pub mod clock;
pub mod config;
pub mod http;
pub mod import;
pub mod moderation;
pub mod notify;
pub mod store;
pub mod token;

#[cfg(test)]
mod layering {
    use std::path::Path;

    /// Each layer (a folder, or a foundation file) and the modules it must
    /// not use.
    const RULES: &[(&str, &[&str])] = &[
        ("http", &["cli"]),
        ("import", &["cli", "http"]),
        ("moderation", &["cli", "http"]),
        ("notify", &["cli", "http", "moderation"]),
        ("store", &["cli", "http", "moderation", "notify"]),
        (
            "config.rs",
            &["cli", "http", "moderation", "notify", "store"],
        ),
        (
            "clock.rs",
            &["cli", "http", "moderation", "notify", "store"],
        ),
        (
            "token.rs",
            &["cli", "http", "moderation", "notify", "store"],
        ),
    ];

    fn sources(path: &Path, out: &mut Vec<(String, String)>) {
        if path.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(path)
                .expect("read src")
                .flatten()
                .map(|e| e.path())
                .collect();
            entries.sort();
            for p in entries {
                sources(&p, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(path).expect("read source");
            out.push((path.display().to_string(), text));
        }
    }

    /// The modules a source names through `crate::`, grouped imports too.
    fn used(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let inner = group.split('}').next().unwrap_or("");
                for item in inner.split(',') {
                    out.push(item.trim().split("::").next().unwrap_or("").to_string());
                }
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                out.push(name);
            }
        }
        out
    }

    #[test]
    fn dependencies_run_one_way() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut broken = Vec::new();
        for (layer, forbidden) in RULES {
            let mut files = Vec::new();
            sources(&src.join(layer), &mut files);
            assert!(!files.is_empty(), "no sources for {layer}");
            for (path, text) in files {
                for module in used(&text) {
                    if forbidden.contains(&module.as_str()) {
                        broken.push(format!("{path} uses crate::{module}"));
                    }
                }
            }
        }
        assert!(
            broken.is_empty(),
            "layers used upwards:\n{}",
            broken.join("\n")
        );
    }

    #[test]
    fn the_check_sees_every_form_of_use() {
        assert_eq!(
            used("use crate::http::x; use crate::{store::y, cli}; crate::notify::f()"),
            ["http", "store", "cli", "notify"]
        );
    }
}
