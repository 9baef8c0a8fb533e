//! Local stand-ins for the outside world in tests: an SMTP sink and a webhook receiver, each on a loopback port in the test process.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One mail as the sink received it.
#[derive(Clone, Debug)]
pub struct Mail {
    pub to: Vec<String>,
    /// The message with quoted-printable undone.
    pub text: String,
}

/// A minimal SMTP server that accepts every mail and keeps it.
pub struct SmtpSink {
    pub addr: SocketAddr,
    pub mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind smtp sink");
        let addr = listener.local_addr().expect("addr");
        let mails = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&mails);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let kept = Arc::clone(&kept);
                std::thread::spawn(move || {
                    let _ = smtp_session(stream, &kept);
                });
            }
        });
        Self { addr, mails }
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().expect("lock").clone()
    }
}

fn smtp_session(stream: TcpStream, kept: &Mutex<Vec<Mail>>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut out = stream.try_clone()?;
    let mut input = BufReader::new(stream);
    out.write_all(b"220 sink ESMTP\r\n")?;
    let mut to = Vec::new();
    loop {
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            out.write_all(b"250-sink\r\n250 8BITMIME\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            let addr = line[8..]
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>');
            to.push(addr.to_string());
            out.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("DATA") {
            out.write_all(b"354 go ahead\r\n")?;
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if input.read_line(&mut l)? == 0 || l == ".\r\n" {
                    break;
                }
                data.push_str(&l);
            }
            kept.lock().expect("lock").push(Mail {
                to: std::mem::take(&mut to),
                text: unquote_printable(&data),
            });
            out.write_all(b"250 queued\r\n")?;
        } else if upper.starts_with("QUIT") {
            out.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            // MAIL FROM, RSET, NOOP…
            out.write_all(b"250 OK\r\n")?;
        }
    }
}

/// Undoes quoted-printable soft breaks and `=XX` escapes.
fn unquote_printable(s: &str) -> String {
    let joined = s.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One request the webhook receiver got.
#[derive(Clone, Debug)]
pub struct Hook {
    pub content_type: String,
    pub body: serde_json::Value,
}

/// An HTTP endpoint that records POSTs and answers with scripted statuses
/// (then 200), optionally after a delay.
pub struct WebhookReceiver {
    pub addr: SocketAddr,
    pub hooks: Arc<Mutex<Vec<Hook>>>,
}

impl WebhookReceiver {
    pub fn start(statuses: &[u16], delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind webhook receiver");
        let addr = listener.local_addr().expect("addr");
        let hooks = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&hooks);
        let script = Arc::new(Mutex::new(statuses.to_vec()));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (kept, script) = (Arc::clone(&kept), Arc::clone(&script));
                std::thread::spawn(move || {
                    let _ = hook_request(stream, &kept, &script, delay);
                });
            }
        });
        Self { addr, hooks }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn hooks(&self) -> Vec<Hook> {
        self.hooks.lock().expect("lock").clone()
    }
}

fn hook_request(
    stream: TcpStream,
    kept: &Mutex<Vec<Hook>>,
    script: &Mutex<Vec<u16>>,
    delay: Duration,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut out = stream.try_clone()?;
    let mut input = BufReader::new(stream);
    let (mut length, mut content_type) = (0usize, String::new());
    loop {
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = v.trim().parse().unwrap_or(0),
                "content-type" => content_type = v.trim().to_string(),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body)?;
    std::thread::sleep(delay);
    let status = {
        let mut s = script.lock().expect("lock");
        if s.is_empty() { 200 } else { s.remove(0) }
    };
    kept.lock().expect("lock").push(Hook {
        content_type,
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    });
    write!(
        out,
        "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
}
