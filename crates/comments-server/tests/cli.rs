//! The command line and the settings, as an operator meets them: `--help`,
//! clap's errors, completions, and settings from the environment reaching a
//! running server.

mod support;

use std::process::Command;
use support::{Server, bin};

fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(bin())
        .args(args)
        .current_dir(dir.path())
        .env("COMMENTS_DATABASE_PATH", dir.path().join("c.db"))
        .envs(env.iter().copied())
        .output()
        .expect("run comments-server");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn help_names_every_command_and_shows_examples() {
    let (code, out, _) = run(&["--help"], &[]);
    assert_eq!(code, 0);
    for word in [
        "serve",
        "moderate",
        "hash-password",
        "backup",
        "restore",
        "completions",
        "--config",
        "COMMENTS_SECTION__KEY",
        "Examples:",
    ] {
        assert!(out.contains(word), "--help lacks {word}:\n{out}");
    }
    let (code, out, _) = run(&["moderate", "--help"], &[]);
    assert_eq!(code, 0);
    for word in [
        "list",
        "approve",
        "reject",
        "purge-author",
        "sign-out",
        "moderate approve 12",
    ] {
        assert!(out.contains(word), "moderate --help lacks {word}:\n{out}");
    }
    let (code, out, _) = run(&["moderate", "purge-author", "--help"], &[]);
    assert_eq!(code, 0);
    assert!(out.contains("64 hex digits"), "{out}");
}

#[test]
fn mistakes_get_clap_errors_that_say_what_was_expected() {
    let (code, _, err) = run(&["moderate", "approve"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("required") && err.contains("<ID>"), "{err}");
    let (code, _, err) = run(&["moderate", "approve", "twelve"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid value 'twelve'"), "{err}");
    let (code, _, err) = run(&["moderate", "purge-author", "abc"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("64 hex digits"), "{err}");
    let (code, _, err) = run(&["--bogus"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("unexpected argument '--bogus'"), "{err}");
    let (code, _, err) = run(&["moderat"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("similar") && err.contains("moderate"), "{err}");
    let (code, _, err) = run(&["backup"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("<FILE>"), "{err}");
}

#[test]
fn completions_come_for_each_shell() {
    for (shell, mark) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef comments-server"),
        ("fish", "complete -c comments-server"),
    ] {
        let (code, out, err) = run(&["completions", shell], &[]);
        assert_eq!(code, 0, "{err}");
        assert!(
            out.contains(mark) && out.contains("purge-author"),
            "{shell}: {out}"
        );
    }
    let (code, _, err) = run(&["completions", "tcsh"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("possible values"), "{err}");
}

#[test]
fn unknown_settings_are_refused_by_name_before_anything_starts() {
    let (code, _, err) = run(
        &["moderate", "list"],
        &[("COMMENTS_LIMITS__POST_BRUST", "3")],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("post_brust") && err.contains("COMMENTS_"),
        "{err}"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("comments.toml");
    std::fs::write(&file, "[database]\nrefrsh_ms = 5\n").expect("write");
    let (code, _, err) = run(
        &["--config", file.to_str().expect("utf-8"), "moderate"],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("refrsh_ms") && err.contains("comments.toml"),
        "{err}"
    );
    let (code, _, err) = run(&["moderate"], &[("COMMENTS_LIMITS__POST_BURST", "lots")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("COMMENTS_LIMITS__POST_BURST"), "{err}");
}

/// `limits.post_burst`, two levels down, from its generic variable: the
/// running server holds a client to it (the harness sets the alias to
/// 1000; the setting's own name wins).
#[test]
fn a_nested_setting_from_the_environment_reaches_the_running_server() {
    let server = Server::start(&[("COMMENTS_LIMITS__POST_BURST", "2")]);
    let post = || {
        server
            .post_json(
                "/api/v1/threads/t/comments",
                r#"{"author":"Ana","body":"A comment to count.","compose_ms":5000}"#,
            )
            .status
    };
    assert_eq!(post(), 202);
    assert_eq!(post(), 202);
    assert_eq!(post(), 429);
}
