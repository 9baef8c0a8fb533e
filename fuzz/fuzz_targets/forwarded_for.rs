//! Fuzz target: `X-Forwarded-For` reading never panics and only yields the peer or a listed address.
#![no_main]

use comments_server::http::limiter::client_ip;
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, SocketAddr};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = HeaderValue::from_bytes(data) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert("x-forwarded-for", value);
    let peer: SocketAddr = "127.0.0.1:4000".parse().unwrap();
    let listed: Vec<IpAddr> = String::from_utf8_lossy(data)
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    for trusted in 0..4 {
        let ip = client_ip(peer, &headers, trusted);
        assert!(ip == peer.ip() || listed.contains(&ip), "{ip} came from nowhere");
    }
});
