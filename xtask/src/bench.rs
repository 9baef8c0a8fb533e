//! `cargo xtask bench`: polling throughput and latency of the release server, on loopback only.

use crate::{Failure, Step, root, run};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-moderation-token-0123456789";
const THREAD: &str = "bench-thread";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn fail(what: &str) -> impl Fn(std::io::Error) -> Failure + '_ {
    move |e| Failure(format!("{what}: {e}"))
}

/// Reads one HTTP/1.1 response from a keep-alive connection; returns the
/// status and headers.
fn read_response(reader: &mut BufReader<TcpStream>) -> std::io::Result<(u16, Vec<String>)> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let h = line.trim_end().to_string();
        if h.is_empty() {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        headers.push(h);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok((status, headers))
}

fn request(addr: SocketAddr, head: &str, body: &str) -> Result<(u16, Vec<String>), Failure> {
    let stream = TcpStream::connect(addr).map_err(fail("connect"))?;
    let mut w = stream.try_clone().map_err(fail("clone"))?;
    write!(
        w,
        "{head}Host: {addr}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .map_err(fail("write"))?;
    read_response(&mut BufReader::new(stream)).map_err(fail("read"))
}

/// `connections` keep-alive clients send `head` for `seconds`; returns
/// (requests, statuses all as expected, sorted latencies in µs).
fn load(
    addr: SocketAddr,
    head: &str,
    expect: u16,
    connections: usize,
    seconds: u64,
) -> (usize, bool, Vec<u32>) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let head = format!("{head}Host: {addr}\r\n\r\n");
            std::thread::spawn(move || {
                let mut lat = Vec::new();
                let mut ok = true;
                let Ok(stream) = TcpStream::connect(addr) else {
                    return (lat, false);
                };
                let Ok(mut w) = stream.try_clone() else {
                    return (lat, false);
                };
                let mut r = BufReader::new(stream);
                while Instant::now() < deadline {
                    let t = Instant::now();
                    if w.write_all(head.as_bytes()).is_err() {
                        return (lat, false);
                    }
                    match read_response(&mut r) {
                        Ok((status, _)) => ok &= status == expect,
                        Err(_) => return (lat, false),
                    }
                    lat.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
                }
                (lat, ok)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut ok = true;
    for w in workers {
        let (lat, good) = w.join().unwrap_or_default();
        ok &= good;
        all.extend(lat);
    }
    all.sort_unstable();
    (all.len(), ok, all)
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

pub fn bench(args: &[String]) -> Step {
    let mut seconds = 5u64;
    let mut connections = 8usize;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = it.next().and_then(|v| v.parse::<u64>().ok());
        match (a.as_str(), v) {
            ("--seconds", Some(v)) => seconds = v.clamp(1, 60),
            ("--connections", Some(v)) => {
                connections = usize::try_from(v).unwrap_or(8).clamp(1, 64)
            }
            _ => {
                return Err(Failure(format!(
                    "usage: cargo xtask bench [--seconds 1-60] [--connections 1-64] (got {a})"
                )));
            }
        }
    }
    run(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(root())
            .args([
                "build",
                "--quiet",
                "--release",
                "--package",
                "comments-server",
            ]),
    )?;
    let dir = root().join("target/bench");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(fail("create target/bench"))?;
    let mut child = Command::new(root().join("target/release/comments-server"))
        .env("COMMENTS_LISTEN", "127.0.0.1:0")
        .env("COMMENTS_DATABASE_PATH", dir.join("bench.db"))
        .env("COMMENTS_MODERATION_TOKEN", TOKEN)
        .env("COMMENTS_POST_BURST", "1000")
        // One client machine stands for many readers here: lift the per-network
        // limits (still checked on every request, so their cost is measured).
        .env("COMMENTS_READ_BURST", "1000000000")
        .env("COMMENTS_READ_PER_SECOND", "1000000000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .map_err(fail("start the server"))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| Failure("no stdout".into()))?;
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(fail("read the address"))?;
    let addr: SocketAddr = line
        .trim()
        .trim_start_matches("listening on http://")
        .parse()
        .map_err(|_| Failure(format!("unexpected server output {line:?}")))?;

    // A thread with ten approved comments.
    let path = format!("/api/v1/threads/{THREAD}/comments");
    for i in 0..10 {
        let body = format!(
            r#"{{"author":"Reader {i}","body":"Comment number {i}, long enough to look like a real one."}}"#
        );
        let (status, _) = request(
            addr,
            &format!("POST {path} HTTP/1.1\r\nContent-Type: application/json\r\n"),
            &body,
        )?;
        if status != 202 {
            return Err(Failure(format!("posting answered {status}")));
        }
        let approve = format!(
            "POST /api/v1/moderation/comments/{}/approve HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\n",
            i + 1
        );
        request(addr, &approve, "")?;
    }
    let (_, headers) = request(addr, &format!("GET {path} HTTP/1.1\r\n"), "")?;
    let etag = headers
        .iter()
        .find_map(|h| {
            h.strip_prefix("etag: ")
                .or_else(|| h.strip_prefix("ETag: "))
        })
        .ok_or_else(|| Failure("no ETag".into()))?
        .to_string();

    println!(
        "\nPolling one thread of 10 comments, {connections} keep-alive connections, {seconds} s each, 127.0.0.1:"
    );
    for (name, head, expect) in [
        (
            "304 (If-None-Match hit, from memory)",
            format!("GET {path} HTTP/1.1\r\nIf-None-Match: {etag}\r\n"),
            304,
        ),
        (
            "200 (full list, from SQLite)       ",
            format!("GET {path} HTTP/1.1\r\n"),
            200,
        ),
    ] {
        let (n, ok, lat) = load(addr, &head, expect, connections, seconds);
        println!(
            "  {name}: {:>8.0} req/s  p50 {:.3} ms  p99 {:.3} ms  {}",
            n as f64 / seconds as f64,
            pct(&lat, 0.50),
            pct(&lat, 0.99),
            if ok {
                "all as expected"
            } else {
                "UNEXPECTED STATUSES"
            }
        );
    }
    drop(server);
    Ok(())
}
