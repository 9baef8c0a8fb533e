//! `cargo xtask bench`: polling throughput and latency of the release server, on loopback only.

use crate::{Failure, Step, root, run, target};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-moderation-token-0123456789";
const THREAD: &str = "bench-thread";

pub struct Server(Child);

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
/// status, headers and body (de-chunked).
fn read_full(reader: &mut BufReader<TcpStream>) -> std::io::Result<(u16, Vec<String>, Vec<u8>)> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut headers = Vec::new();
    let mut length = 0usize;
    let mut chunked = false;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let h = line.trim_end().to_string();
        if h.is_empty() {
            break;
        }
        let lower = h.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
        headers.push(h);
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    }
    Ok((status, headers, body))
}

fn read_response(reader: &mut BufReader<TcpStream>) -> std::io::Result<(u16, Vec<String>)> {
    read_full(reader).map(|(status, headers, _)| (status, headers))
}

/// The value of header `name` (lower case) in `headers`.
fn header<'a>(headers: &'a [String], name: &str) -> Option<&'a str> {
    headers.iter().find_map(|h| {
        let (k, v) = h.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn request(addr: SocketAddr, head: &str, body: &str) -> Result<(u16, Vec<String>), Failure> {
    request_full(addr, head, body).map(|(status, headers, _)| (status, headers))
}

pub fn request_full(
    addr: SocketAddr,
    head: &str,
    body: &str,
) -> Result<(u16, Vec<String>, Vec<u8>), Failure> {
    let stream = TcpStream::connect(addr).map_err(fail("connect"))?;
    let mut w = stream.try_clone().map_err(fail("clone"))?;
    write!(
        w,
        "{head}Host: {addr}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .map_err(fail("write"))?;
    read_full(&mut BufReader::new(stream)).map_err(fail("read"))
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
    load_over(&[addr], head, None, expect, connections, seconds)
}

/// [`load`] over several instances, connection `i` on `addrs[i % n]` (a
/// round-robin balancer's way), each request with `body` (made fresh per
/// request from the connection and request numbers) if given.
fn load_over(
    addrs: &[SocketAddr],
    head: &str,
    body: Option<fn(usize, usize) -> String>,
    expect: u16,
    connections: usize,
    seconds: u64,
) -> (usize, bool, Vec<u32>) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..connections)
        .map(|c| {
            let addr = addrs[c % addrs.len()];
            let head = head.to_string();
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
                let mut n = 0;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    n += 1;
                    let request = match body {
                        None => format!("{head}Host: {addr}\r\n\r\n"),
                        Some(make) => {
                            let b = make(c, n);
                            format!(
                                "{head}Host: {addr}\r\nContent-Length: {}\r\n\r\n{b}",
                                b.len()
                            )
                        }
                    };
                    if w.write_all(request.as_bytes()).is_err() {
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

/// Builds and starts the release server on a free port with a fresh
/// database under `target/bench`, with `env` on top of the defaults.
fn start_server(env: &[(&str, &str)]) -> Result<(Server, SocketAddr), Failure> {
    run(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(root())
            .args([
                "build",
                "--quiet",
                "--release",
                "--package",
                "comments-server",
                "--bins",
                "--examples",
            ]),
    )?;
    let dir = target().join("bench");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(fail("create target/bench"))?;
    start_on(&dir.join("bench.db"), env)
}

/// The server binary measured: the release build, or `BENCH_SERVER_BIN`
/// (to measure another build the same way).
fn server_bin() -> std::path::PathBuf {
    std::env::var_os("BENCH_SERVER_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| target().join("release/comments-server"))
}

/// Starts the server (already built) on the database `db`.
fn start_on(db: &std::path::Path, env: &[(&str, &str)]) -> Result<(Server, SocketAddr), Failure> {
    let mut cmd = Command::new(server_bin());
    cmd.env("COMMENTS_LISTEN", "127.0.0.1:0")
        .env("COMMENTS_DATABASE_PATH", db)
        .env("COMMENTS_MODERATION_TOKEN", TOKEN)
        // The bench's posts carry no compose time; it is no bot.
        .env("COMMENTS_MIN_COMPOSE_MS", "0")
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    listening(cmd)
}

/// Spawns `cmd` and reads the `listening on http://ADDR` line it prints.
pub fn listening(mut cmd: Command) -> Result<(Server, SocketAddr), Failure> {
    cmd.stdout(Stdio::piped());
    let mut child = cmd.spawn().map_err(fail("start the server"))?;
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
    Ok((server, addr))
}

pub fn bench(args: &[String]) -> Step {
    let mut seconds = 5u64;
    let mut connections = 8usize;
    let mut scale_comments = 1_000_000u64;
    let mut render = true;
    let mut postgres = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--no-render" {
            render = false;
            continue;
        }
        if a == "--postgres" {
            postgres = true;
            continue;
        }
        let v = it.next().and_then(|v| v.parse::<u64>().ok());
        match (a.as_str(), v) {
            ("--seconds", Some(v)) => seconds = v.clamp(1, 60),
            ("--connections", Some(v)) => {
                connections = usize::try_from(v).unwrap_or(8).clamp(1, 64)
            }
            ("--scale", Some(v)) => scale_comments = v.clamp(0, 10_000_000),
            _ => {
                return Err(Failure(format!(
                    "usage: cargo xtask bench [--seconds 1-60] [--connections 1-64] [--scale COMMENTS, 0 for none] [--no-render] [--postgres] (got {a})"
                )));
            }
        }
    }
    // One client machine stands for many readers here: lift the per-network
    // limits (still checked on every request, so their cost is measured).
    let (server, addr) = start_server(&[
        ("COMMENTS_POST_BURST", "1000"),
        ("COMMENTS_READ_BURST", "1000000000"),
        ("COMMENTS_READ_PER_SECOND", "1000000000"),
    ])?;

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
            "304 (If-None-Match hit, from memory) ",
            format!("GET {path} HTTP/1.1\r\nIf-None-Match: {etag}\r\n"),
            304,
        ),
        (
            "200 (first page, cached per revision)",
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
    full_answers(addr, seconds)?;
    drop(server);
    if postgres {
        backends(seconds, connections)?;
    }
    word_lists()?;
    if render {
        time_to_comments()?;
    }
    if scale_comments == 0 {
        return Ok(());
    }
    big_thread(100_000)?;
    scale(scale_comments)
}

/// Posting with word lists: the p99 of a post with 50,000 banned and
/// 50,000 suspect words against none, each on a fresh database, one
/// post at a time.
fn word_lists() -> Step {
    let dir = target().join("bench");
    let list = dir.join("words.txt");
    let words: String = (0..50_000).map(|i| format!("mot{i}x\n")).collect();
    std::fs::write(&list, words).map_err(fail("write the word list"))?;
    let list = list.to_string_lossy().into_owned();
    println!("\nPosting with word lists (400 posts of 600 characters, one at a time):");
    let mut p99s = Vec::new();
    for (name, lists) in [
        ("no list", vec![]),
        (
            "50,000 banned + 50,000 suspect words",
            vec![
                ("COMMENTS_BANNED_WORDS_FILE", list.as_str()),
                ("COMMENTS_SUSPECT_WORDS_FILE", list.as_str()),
            ],
        ),
    ] {
        let db = dir.join(format!("words-{}.db", p99s.len()));
        let mut env = vec![
            ("COMMENTS_POST_BURST", "1000000"),
            ("COMMENTS_PENDING_PER_THREAD", "1000000"),
            ("COMMENTS_PENDING_TOTAL", "1000000"),
        ];
        env.extend(lists);
        let (server, addr) = start_on(&db, &env)?;
        let mut lat = Vec::new();
        for i in 0..400 {
            let text = format!(
                "Comment {i}: {}",
                "un texte ordinaire, avec des mots et des accents é à ù. ".repeat(11)
            );
            let body = format!(r#"{{"author":"Reader {i}","body":"{text}"}}"#);
            let t = Instant::now();
            let (status, _) = request(
                addr,
                "POST /api/v1/threads/words/comments HTTP/1.1\r\nContent-Type: application/json\r\n",
                &body,
            )?;
            lat.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
            if status != 202 {
                return Err(Failure(format!("posting answered {status}")));
            }
        }
        drop(server);
        lat.sort_unstable();
        println!(
            "  {name:>38}: p50 {:.3} ms  p99 {:.3} ms",
            pct(&lat, 0.5),
            pct(&lat, 0.99)
        );
        p99s.push(pct(&lat, 0.99));
    }
    if let [none, lists] = p99s[..] {
        println!(
            "  the lists' p99 against none: {:.2}×",
            lists / none.max(0.001)
        );
    }
    Ok(())
}

/// How soon a reader sees comments: the ignored test `tests/render.rs`, run
/// against the release server (and the widget it embeds) in Chromium. It
/// prints its runs and their median.
fn time_to_comments() -> Step {
    let tools = crate::setup::ensure(crate::setup::Need::Test)?;
    crate::build_widget(&tools)?;
    // The widget just built goes into the release server measured.
    crate::build_server(true)?;
    println!(
        "\nFrom navigation to 100 comments on screen, cold HTTP cache, headless Chromium, loopback:"
    );
    run(crate::cargo()
        .env("TEST_SERVER_BIN", server_bin())
        .env("CHROMEDRIVER", &tools.chromedriver)
        .env("CHROME", &tools.chromium)
        .args([
            "test",
            "--quiet",
            "--package",
            "comments-server",
            "--test",
            "render",
            "--",
            "--ignored",
            "--nocapture",
        ]))
}

/// Posts `n` comments to `thread` and approves them.
fn fill_thread(addr: SocketAddr, thread: &str, n: usize) -> Step {
    let path = format!("/api/v1/threads/{thread}/comments");
    for i in 0..n {
        let body = format!(
            r#"{{"author":"Reader {i}","body":"Comment number {i} on this story, long enough to look like one a reader would write, with a second sentence."}}"#
        );
        let (status, _, answer) = request_full(
            addr,
            &format!("POST {path} HTTP/1.1\r\nContent-Type: application/json\r\n"),
            &body,
        )?;
        let text = String::from_utf8_lossy(&answer);
        let id = text
            .split("\"id\":")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .filter(|_| status == 202)
            .ok_or_else(|| Failure(format!("posting answered {status}: {text}")))?;
        let approve = format!(
            "POST /api/v1/moderation/comments/{id}/approve HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\n"
        );
        request(addr, &approve, "")?;
    }
    Ok(())
}

/// A 100-comment thread's full answer, gzip, with 64 connections: the
/// server against a bare axum handler answering the same bytes.
fn full_answers(addr: SocketAddr, seconds: u64) -> Step {
    let thread = "bench-hundred";
    fill_thread(addr, thread, 100)?;
    let path = format!("/api/v1/threads/{thread}/comments");
    let head = format!("GET {path} HTTP/1.1\r\nAccept-Encoding: gzip\r\n");
    let (status, headers, gz) = request_full(addr, &head, "")?;
    let (_, _, plain) = request_full(addr, &format!("GET {path} HTTP/1.1\r\n"), "")?;
    if status != 200 || header(&headers, "content-encoding") != Some("gzip") {
        return Err(Failure(format!(
            "the 100-comment thread answered {status} without gzip"
        )));
    }
    let dir = target().join("bench");
    let file = dir.join("hundred.json.gz");
    std::fs::write(&file, &gz).map_err(fail("write the answer"))?;
    let mut bare_cmd = Command::new(target().join("release/examples/bare"));
    bare_cmd.arg(&file).arg("gzip");
    let (bare, bare_addr) = listening(bare_cmd)?;
    let connections = 64;
    println!(
        "\nFirst answer of a 100-comment thread, its first page ({} bytes JSON, {} bytes gzip), {connections} keep-alive connections, 3 rounds of {seconds} s each, taking turns:",
        plain.len(),
        gz.len()
    );
    // Three rounds, taking turns, so that both see the same machine; the
    // median round of each counts.
    let targets = [
        ("comment server (cached per revision)", addr),
        ("bare axum handler, same bytes       ", bare_addr),
    ];
    let mut rounds: Vec<Vec<(f64, f64, f64, bool)>> = vec![Vec::new(); targets.len()];
    for _ in 0..3 {
        for (i, (_, at)) in targets.iter().enumerate() {
            let (n, ok, lat) = load(*at, &head, 200, connections, seconds);
            rounds[i].push((
                n as f64 / seconds as f64,
                pct(&lat, 0.50),
                pct(&lat, 0.99),
                ok,
            ));
        }
    }
    let mut rates = Vec::new();
    for ((name, _), mut runs) in targets.iter().zip(rounds) {
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (rate, p50, p99, _) = runs[1];
        let ok = runs.iter().all(|r| r.3);
        let all: Vec<String> = runs.iter().map(|r| format!("{:.0}", r.0)).collect();
        rates.push(rate);
        println!(
            "  {name}: {rate:>8.0} req/s  p50 {p50:.3} ms  p99 {p99:.3} ms  {} (rounds: {})",
            if ok { "all 200" } else { "UNEXPECTED STATUSES" },
            all.join(", ")
        );
    }
    drop(bare);
    let ratio = rates[0] / rates[1].max(1.0);
    let pass = rates[0] >= 12_000.0 && ratio >= 0.8;
    println!(
        "  {:.0} % of the bare handler (target: at least 12,000 req/s and 80 %): {}",
        ratio * 100.0,
        if pass { "PASS" } else { "FAIL" }
    );
    Ok(())
}

/// Median milliseconds of `runs` requests made by `make(i)`.
fn median_ms(
    runs: usize,
    mut make: impl FnMut(usize) -> Result<u16, Failure>,
) -> Result<f64, Failure> {
    let mut times = Vec::with_capacity(runs);
    for i in 0..runs {
        let t = Instant::now();
        let status = make(i)?;
        if status != 200 {
            return Err(Failure(format!("a timed request answered {status}")));
        }
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// A new database `bench/NAME.db`, filled by the `seed` example with `args`.
fn seeded(name: &str, args: &[&str]) -> Result<std::path::PathBuf, Failure> {
    let db = target().join(format!("bench/{name}.db"));
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let _ = std::fs::remove_file(db.with_extension("key"));
    run(Command::new(target().join("release/examples/seed"))
        .arg(&db)
        .args(args))?;
    Ok(db)
}

/// The first page of a thread of 10 comments, of one of 100 (just enough
/// to fill a page: 20 top-level comments with 4 replies each) and of one of
/// `big`, four in five of them replies: server time (median of 21 reads
/// from the database, each asked with a cursor of its own so that none is
/// answered from memory) and bytes. A page must cost the same whatever the
/// thread holds: the big thread's page is compared with the full one's (the
/// 10-comment thread's page holds only those 10).
fn big_thread(big: u64) -> Step {
    println!(
        "\nOne page of a thread (20 top-level comments, 3 replies each; SQLite, median of 21 uncached reads):"
    );
    println!(
        "  {:>10} | {:>10} {:>11} | {:>21}",
        "comments", "first page", "page bytes", "widget's first answer"
    );
    let mut figures = Vec::new();
    for comments in [10, 100, big] {
        let db = seeded(
            &format!("thread-{comments}"),
            &[&comments.to_string(), "1", "--replies"],
        )?;
        let (server, addr) = start_on(
            &db,
            &[
                ("COMMENTS_READ_BURST", "1000000000"),
                ("COMMENTS_READ_PER_SECOND", "1000000000"),
            ],
        )?;
        let path = "/api/v1/threads/t-0/comments";
        let mut bytes = 0;
        let ms = median_ms(21, |i| {
            let head = format!("GET {path}?order=oldest&after=0.{i} HTTP/1.1\r\n");
            let (status, _, body) = request_full(addr, &head, "")?;
            bytes = body.len();
            Ok(status)
        })?;
        // What the widget asks first (no query: the first page), once,
        // uncached: it no longer grows with the thread either.
        let t = Instant::now();
        let (_, _, first) = request_full(addr, &format!("GET {path} HTTP/1.1\r\n"), "")?;
        let first_ms = t.elapsed().as_secs_f64() * 1000.0;
        drop(server);
        println!(
            "  {comments:>10} | {ms:>7.2} ms {bytes:>11} | {first_ms:>8.2} ms {:>9} B",
            first.len()
        );
        figures.push((ms, bytes));
    }
    if let [(tiny_ms, tiny_b), (full_ms, full_b), (big_ms, big_b)] = figures[..] {
        let ratio = |a: f64, b: f64| a / b.max(0.001);
        let (time, bytes) = (ratio(big_ms, full_ms), ratio(big_b as f64, full_b as f64));
        println!(
            "  {big} against 100 (the same full page): {time:.2}× the time, {bytes:.2}× the bytes: {}",
            if time < 2.0 && bytes < 2.0 {
                "PASS (target: under 2×)"
            } else {
                "FAIL (target: under 2×)"
            }
        );
        println!(
            "  {big} against 10 (a page of only 10): {:.2}× the time, {:.2}× the bytes",
            ratio(big_ms, tiny_ms),
            ratio(big_b as f64, tiny_b as f64)
        );
    }
    Ok(())
}

/// The queue page, a thread page and a status check at 1,000 comments and
/// at `big` comments (in a tenth as many threads), median of 21 each.
fn scale(big: u64) -> Step {
    let password = "bench password, not a secret";
    let mut hash_cmd = Command::new(server_bin());
    let mut child = hash_cmd
        .arg("hash-password")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(fail("hash-password"))?;
    if let Some(mut stdin) = child.stdin.take() {
        writeln!(stdin, "{password}").map_err(fail("write the password"))?;
    }
    let out = child.wait_with_output().map_err(fail("hash-password"))?;
    let hash = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let moderators = format!("bench:{hash}");
    println!("\nAt scale (SQLite, median of 21 requests, one at a time):");
    println!(
        "  {:>10} {:>9} | {:>10} {:>12} {:>11} {:>13}",
        "comments", "threads", "queue page", "thread page", "thread list", "status (50)"
    );
    for comments in [1_000, big] {
        let threads = (comments / 10).max(1);
        let db = seeded(
            &format!("scale-{comments}"),
            &[&comments.to_string(), &threads.to_string()],
        )?;
        let (server, addr) = start_on(
            &db,
            &[
                ("COMMENTS_MODERATORS", &moderators),
                ("COMMENTS_READ_BURST", "1000000000"),
                ("COMMENTS_READ_PER_SECOND", "1000000000"),
            ],
        )?;
        let form = format!("name=bench&password={}", password.replace(' ', "+"));
        let (status, headers) = request(
            addr,
            "POST /admin/login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n",
            &form,
        )?;
        let cookie = header(&headers, "set-cookie")
            .and_then(|c| c.split(';').next())
            .filter(|_| status == 303)
            .ok_or_else(|| Failure(format!("signing in answered {status}")))?
            .to_string();
        let queue = median_ms(21, |_| {
            request(
                addr,
                &format!("GET /admin HTTP/1.1\r\nCookie: {cookie}\r\n"),
                "",
            )
            .map(|r| r.0)
        })?;
        let thread_page = median_ms(21, |i| {
            let head = format!(
                "GET /admin/thread?key=t-{} HTTP/1.1\r\nCookie: {cookie}\r\n",
                (i as u64 * 7919) % threads
            );
            request(addr, &head, "").map(|r| r.0)
        })?;
        // Every thread once: the first read of each goes to the database.
        let thread_list = median_ms(21, |i| {
            let head = format!(
                "GET /api/v1/threads/t-{}/comments HTTP/1.1\r\n",
                (i as u64 * 7919 + 1) % threads
            );
            request(addr, &head, "").map(|r| r.0)
        })?;
        let tokens: Vec<String> = (0..50).map(|k| format!("\"bench-token-{k}\"")).collect();
        let body = format!("{{\"tokens\":[{}]}}", tokens.join(","));
        let status = median_ms(21, |_| {
            request(
                addr,
                "POST /api/v1/comments/status HTTP/1.1\r\nContent-Type: application/json\r\n",
                &body,
            )
            .map(|r| r.0)
        })?;
        drop(server);
        println!(
            "  {comments:>10} {threads:>9} | {queue:>7.2} ms {thread_page:>9.2} ms {thread_list:>8.2} ms {status:>10.2} ms"
        );
    }
    Ok(())
}

/// Pollers from `networks` distinct client networks (told apart by
/// `X-Forwarded-For`, the server trusting one proxy), each polling `path`
/// conditionally every `every` until `deadline`. Returns sorted latencies (µs)
/// and how many answers were not 304.
fn pollers(
    addr: SocketAddr,
    path: &str,
    etag: &str,
    networks: u8,
    every: Duration,
    deadline: Instant,
) -> (Vec<u32>, usize) {
    let workers: Vec<_> = (0..networks)
        .map(|n| {
            let head = format!(
                "GET {path} HTTP/1.1\r\nHost: {addr}\r\nIf-None-Match: {etag}\r\nX-Forwarded-For: 10.0.{n}.1\r\n\r\n"
            );
            std::thread::spawn(move || {
                let mut lat = Vec::new();
                let mut other = 0;
                let Ok(stream) = TcpStream::connect(addr) else { return (lat, usize::MAX) };
                let Ok(mut w) = stream.try_clone() else { return (lat, usize::MAX) };
                let mut r = BufReader::new(stream);
                while Instant::now() < deadline {
                    let t = Instant::now();
                    if w.write_all(head.as_bytes()).is_err() {
                        break;
                    }
                    match read_response(&mut r) {
                        Ok((304, _)) => {}
                        Ok(_) => other += 1,
                        Err(_) => break,
                    }
                    let took = t.elapsed();
                    lat.push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
                    std::thread::sleep(every.saturating_sub(took));
                }
                (lat, other)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut other = 0usize;
    for w in workers {
        let (lat, o) = w.join().unwrap_or_default();
        all.extend(lat);
        other = other.saturating_add(o);
    }
    all.sort_unstable();
    (all, other)
}

/// `cargo xtask flood`: one network sends 1,000 posts in 10 s while readers
/// on other networks poll; prints how many posts got through and the
/// pollers' p99 with and without the flood.
pub fn flood(_args: &[String]) -> Step {
    let (server, addr) = start_server(&[("COMMENTS_TRUSTED_PROXIES", "1")])?;
    let path = format!("/api/v1/threads/{THREAD}/comments");
    let post_head = |ip: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nContent-Type: application/json\r\nX-Forwarded-For: {ip}\r\n"
        )
    };
    let (status, _) = request(
        addr,
        &post_head("192.0.2.1"),
        r#"{"author":"a","body":"seed"}"#,
    )?;
    if status != 202 {
        return Err(Failure(format!("seeding answered {status}")));
    }
    let approve = format!(
        "POST /api/v1/moderation/comments/1/approve HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\n"
    );
    request(addr, &approve, "")?;
    let (_, headers) = request(
        addr,
        &format!("GET {path} HTTP/1.1\r\nX-Forwarded-For: 192.0.2.1\r\n"),
        "",
    )?;
    let etag = headers
        .iter()
        .find_map(|h| h.strip_prefix("etag: "))
        .ok_or_else(|| Failure("no ETag".into()))?
        .to_string();
    let seconds = Duration::from_secs(10);
    let every = Duration::from_millis(100);
    println!(
        "\nFlood: 16 reader networks poll every 100 ms for 10 s, first alone, then while one network posts 1,000 times."
    );
    let (quiet, quiet_other) = pollers(addr, &path, &etag, 16, every, Instant::now() + seconds);

    let deadline = Instant::now() + seconds;
    let flooder = {
        let body = r#"{"author":"x","body":"spam"}"#;
        let head = format!(
            "{}Host: {addr}\r\nContent-Length: {}\r\n\r\n{body}",
            post_head("198.51.100.7"),
            body.len()
        );
        std::thread::spawn(move || {
            let (mut sent, mut accepted, mut limited) = (0u32, 0u32, 0u32);
            let Ok(stream) = TcpStream::connect(addr) else {
                return (0, 0, 0);
            };
            let Ok(mut w) = stream.try_clone() else {
                return (0, 0, 0);
            };
            let mut r = BufReader::new(stream);
            let start = Instant::now();
            while sent < 1000 && Instant::now() < deadline + Duration::from_secs(1) {
                if w.write_all(head.as_bytes()).is_err() {
                    break;
                }
                sent += 1;
                match read_response(&mut r) {
                    Ok((202, _)) => accepted += 1,
                    Ok((429, _)) => limited += 1,
                    Ok(_) => {}
                    Err(_) => break,
                }
                // 1,000 posts spread over 10 s.
                let due = Duration::from_millis(10) * sent;
                std::thread::sleep(due.saturating_sub(start.elapsed()));
            }
            (sent, accepted, limited)
        })
    };
    let (flooded, flooded_other) = pollers(addr, &path, &etag, 16, every, deadline);
    let (sent, accepted, limited) = flooder.join().unwrap_or_default();
    drop(server);

    let (p99_quiet, p99_flood) = (pct(&quiet, 0.99), pct(&flooded, 0.99));
    println!(
        "  flood: {sent} posts sent, {accepted} accepted (burst 3), {limited} refused with 429"
    );
    println!(
        "  pollers without flood: {} polls, p50 {:.3} ms, p99 {:.3} ms, {} not 304",
        quiet.len(),
        pct(&quiet, 0.5),
        p99_quiet,
        quiet_other
    );
    println!(
        "  pollers during flood:  {} polls, p50 {:.3} ms, p99 {:.3} ms, {} not 304",
        flooded.len(),
        pct(&flooded, 0.5),
        p99_flood,
        flooded_other
    );
    let ratio = if p99_quiet > 0.0 {
        p99_flood / p99_quiet
    } else {
        0.0
    };
    let ok = accepted <= 3 && quiet_other == 0 && flooded_other == 0 && ratio <= 2.0;
    println!(
        "  p99 ratio {ratio:.2} (target at most 2): {}",
        if ok { "PASS" } else { "FAIL" }
    );
    if ok {
        Ok(())
    } else {
        Err(Failure("the flood figures miss their targets".into()))
    }
}

/// The server process's resident memory, in KiB, from `/proc`.
fn rss_kib(server: &Server) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.0.id())).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// `cargo xtask soak [--seconds N]`: readers on 50 networks poll 20 threads
/// while writers post, for N seconds (default 60, at most 3600), on loopback
/// only. Prints errors, latency percentiles and the server's RSS at start
/// and end.
pub fn soak(args: &[String]) -> Step {
    let seconds = match args {
        [] => 60,
        [flag, n] if flag == "--seconds" => n
            .parse::<u64>()
            .map_err(|_| Failure(format!("--seconds takes a number, not {n}")))?
            .clamp(1, 3600),
        _ => return Err(Failure("usage: cargo xtask soak [--seconds 1-3600]".into())),
    };
    let (server, addr) = start_server(&[
        ("COMMENTS_TRUSTED_PROXIES", "1"),
        ("COMMENTS_MIN_COMPOSE_MS", "0"),
    ])?;
    let start_rss = rss_kib(&server);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let threads = 20;
    // Posters: one network each, at a pace the post limiter allows (burst 3,
    // then one per 20 s), so every post should be accepted.
    let posters: Vec<_> = (0..threads)
        .map(|t| {
            std::thread::spawn(move || {
                let (mut ok, mut errors) = (0u32, 0u32);
                let mut n = 0u32;
                while Instant::now() < deadline {
                    n += 1;
                    let head = format!(
                        "POST /api/v1/threads/soak-{t}/comments HTTP/1.1\r\nContent-Type: application/json\r\nX-Forwarded-For: 172.16.{t}.1\r\n"
                    );
                    let body = format!(r#"{{"author":"soak {t}","body":"comment {n} on thread {t}"}}"#);
                    match request(addr, &head, &body) {
                        Ok((202, _)) => ok += 1,
                        _ => errors += 1,
                    }
                    let pause = if n < 3 { 1 } else { 21 };
                    let until = Instant::now() + Duration::from_secs(pause);
                    while Instant::now() < until.min(deadline) {
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
                (ok, errors)
            })
        })
        .collect();
    // Readers: 50 networks, each polling one thread every 200 ms.
    let readers: Vec<_> = (0..50u32)
        .map(|r| {
            std::thread::spawn(move || {
                let path = format!("/api/v1/threads/soak-{}/comments", r % threads);
                let mut lat = Vec::new();
                let mut errors = 0u32;
                let mut etag = String::new();
                while Instant::now() < deadline {
                    let head = format!(
                        "GET {path} HTTP/1.1\r\nIf-None-Match: {etag}\r\nX-Forwarded-For: 10.1.{r}.1\r\n"
                    );
                    let t = Instant::now();
                    match request(addr, &head, "") {
                        Ok((200 | 304, headers)) => {
                            if let Some(tag) = headers.iter().find_map(|h| h.strip_prefix("etag: ")) {
                                etag = tag.to_string();
                            }
                        }
                        _ => errors += 1,
                    }
                    lat.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
                    std::thread::sleep(Duration::from_millis(200));
                }
                (lat, errors)
            })
        })
        .collect();
    let (mut posted, mut post_errors) = (0u32, 0u32);
    for p in posters {
        let (ok, errors) = p.join().unwrap_or_default();
        posted += ok;
        post_errors += errors;
    }
    let mut lat = Vec::new();
    let mut read_errors = 0u32;
    for r in readers {
        let (l, e) = r.join().unwrap_or_default();
        lat.extend(l);
        read_errors += e;
    }
    lat.sort_unstable();
    let end_rss = rss_kib(&server);
    drop(server);
    let kib =
        |v: Option<u64>| v.map_or("?".to_string(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
    println!(
        "\nSoak, {seconds} s on 127.0.0.1: 50 reader networks polling 20 threads every 200 ms, 20 writers posting."
    );
    println!("  posts: {posted} accepted, {post_errors} errors");
    println!(
        "  polls: {} (conditional), {read_errors} errors, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        lat.len(),
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        pct(&lat, 1.0)
    );
    println!(
        "  server RSS: {} at start, {} at end",
        kib(start_rss),
        kib(end_rss)
    );
    if post_errors + read_errors == 0 {
        Ok(())
    } else {
        Err(Failure("the soak saw errors".into()))
    }
}

/// `--postgres`: posting and polling throughput on SQLite (one instance),
/// and on PostgreSQL with one and three instances behind a round-robin
/// client, in the same run. PostgreSQL is a throwaway cluster of the
/// `pg_cluster` example, with fsync on as SQLite's `synchronous=FULL` is.
fn backends(seconds: u64, connections: usize) -> Step {
    let mut cluster = Command::new(target().join("release/examples/pg_cluster"))
        .arg("2")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(fail("start the PostgreSQL cluster"))?;
    let mut urls = Vec::new();
    if let Some(out) = cluster.stdout.take() {
        let mut lines = BufReader::new(out).lines();
        for _ in 0..2 {
            match lines.next() {
                Some(Ok(url)) => urls.push(url),
                _ => return Err(Failure("the PostgreSQL cluster did not start".into())),
            }
        }
    }
    let limits = [
        ("COMMENTS_POST_BURST", "1000000000"),
        ("COMMENTS_READ_BURST", "1000000000"),
        ("COMMENTS_READ_PER_SECOND", "1000000000"),
        ("COMMENTS_PENDING_PER_THREAD", "1000000000"),
        ("COMMENTS_PENDING_TOTAL", "1000000000"),
    ];
    println!(
        "\nBackends: {connections} keep-alive connections round-robin over the instances, {seconds} s each, 127.0.0.1:"
    );
    println!(
        "  {:<26} {:>10} {:>9} {:>9} | {:>10} {:>9}",
        "", "posts/s", "p50 ms", "p99 ms", "304 /s", "p99 ms"
    );
    let dir = target().join("bench");
    std::fs::create_dir_all(&dir).map_err(fail("create target/bench"))?;
    let sqlite = dir.join("backends.db");
    for ext in ["db", "db-wal", "db-shm", "key"] {
        let _ = std::fs::remove_file(sqlite.with_extension(ext));
    }
    let runs: [(&str, Option<&str>, usize); 3] = [
        ("SQLite, 1 instance", None, 1),
        ("PostgreSQL, 1 instance", Some(&urls[0]), 1),
        ("PostgreSQL, 3 instances", Some(&urls[1]), 3),
    ];
    for (name, url, instances) in runs {
        let mut env: Vec<(&str, &str)> = limits.to_vec();
        if let Some(url) = url {
            env.push(("COMMENTS_DATABASE_URL", url));
        }
        let db = match url {
            None => sqlite.clone(),
            Some(_) => dir.join(format!("backends-pg-{instances}.db")),
        };
        let mut servers = Vec::new();
        let mut addrs = Vec::new();
        for _ in 0..instances {
            let (server, addr) = start_on(&db, &env)?;
            servers.push(server);
            addrs.push(addr);
        }
        let path = "/api/v1/threads/backends/comments";
        let (posts, posted_ok, post_lat) = load_over(
            &addrs,
            &format!("POST {path} HTTP/1.1\r\nContent-Type: application/json\r\n"),
            Some(|c, n| {
                format!(
                    r#"{{"author":"Reader {c}","body":"Comment {n} from connection {c}, long enough to look real."}}"#
                )
            }),
            202,
            connections,
            seconds,
        );
        // One approved comment, then conditional polls of its list.
        let approve = format!(
            "POST /api/v1/moderation/comments/1/approve HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\n"
        );
        request(addrs[0], &approve, "")?;
        std::thread::sleep(Duration::from_millis(300));
        let mut tags = Vec::new();
        for addr in &addrs {
            let (_, headers) = request(*addr, &format!("GET {path} HTTP/1.1\r\n"), "")?;
            tags.push(header(&headers, "etag").unwrap_or("").to_string());
        }
        if tags.iter().any(|t| t.is_empty() || *t != tags[0]) {
            return Err(Failure(format!(
                "{name}: the instances disagree on the list: {tags:?}"
            )));
        }
        let (polls, polled_ok, poll_lat) = load_over(
            &addrs,
            &format!("GET {path} HTTP/1.1\r\nIf-None-Match: {}\r\n", tags[0]),
            None,
            304,
            connections,
            seconds,
        );
        drop(servers);
        println!(
            "  {name:<26} {:>10.0} {:>9.2} {:>9.2} | {:>10.0} {:>9.3}{}",
            posts as f64 / seconds as f64,
            pct(&post_lat, 0.50),
            pct(&post_lat, 0.99),
            polls as f64 / seconds as f64,
            pct(&poll_lat, 0.99),
            if posted_ok && polled_ok {
                ""
            } else {
                "  UNEXPECTED STATUSES"
            }
        );
    }
    drop(cluster.stdin.take());
    let _ = cluster.wait();
    Ok(())
}
