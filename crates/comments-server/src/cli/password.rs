//! `hash-password`: a moderator's Argon2id hash, from a password on stdin.

use std::process::ExitCode;

/// Reads one line (the password) from stdin and prints its Argon2id hash,
/// for `[[moderation.moderators]] password_hash`.
pub fn hash_password() -> ExitCode {
    use std::io::{BufRead, IsTerminal};
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    // Keep the password off the screen while it is typed.
    let stty = |arg: &str| {
        let _ = std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status();
    };
    if interactive {
        eprint!("Password (not shown): ");
        stty("-echo");
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if interactive {
        stty("echo");
        eprintln!();
    }
    let password = line.trim_end_matches(['\r', '\n']);
    if read.is_err() || password.chars().count() < 10 {
        eprintln!("error: give a password of at least 10 characters on stdin");
        return ExitCode::from(2);
    }
    match crate::http::admin::auth::hash_password(password) {
        Ok(hash) => {
            println!("{hash}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
