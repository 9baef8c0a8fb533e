//! Per-network rate limiting of new comments (token bucket, bounded memory) and client-IP resolution.

use crate::app::AppState;
use crate::error::AppError;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use comments_api::ErrorCode;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A client network: IPv4 addresses are grouped per /24, IPv6 per /64, since
/// one client easily holds a whole IPv6 /64.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientNet(u128);

impl From<IpAddr> for ClientNet {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self(u128::from(u32::from(v4) & 0xffff_ff00)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self::from(IpAddr::V4(v4)),
                None => Self((u128::from(v6) & !0xffff_ffff_ffff_ffff) | 1 << 32),
            },
        }
    }
}

/// The client's address: the connection's peer, or, behind `trusted_proxies`
/// reverse proxies, the entry they appended to `X-Forwarded-For` (read from
/// the right, since everything to the left is client-controlled).
pub fn client_ip(peer: SocketAddr, headers: &HeaderMap, trusted_proxies: usize) -> IpAddr {
    if trusted_proxies == 0 {
        return peer.ip();
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    entries
        .len()
        .checked_sub(trusted_proxies)
        .and_then(|i| entries.get(i))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| peer.ip())
}

/// Extractor: the requesting client's address and network, behind trusted
/// proxies if configured.
pub struct Client {
    pub ip: IpAddr,
    pub net: ClientNet,
}

impl FromRequestParts<AppState> for Client {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, AppError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| *addr)
            .ok_or(ErrorCode::Internal)?;
        let ip = client_ip(peer, &parts.headers, app.config.limits.trusted_proxies);
        Ok(Self {
            ip,
            net: ClientNet::from(ip),
        })
    }
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// A token bucket per client network: `burst` requests at once, then one per
/// `refill`. Remembers at most `capacity` networks.
pub struct Limiter {
    buckets: Mutex<HashMap<ClientNet, Bucket>>,
    burst: f64,
    refill: Duration,
    capacity: usize,
}

impl Limiter {
    pub fn new(burst: u32, refill: Duration, capacity: usize) -> Self {
        Self {
            buckets: Mutex::new(HashMap::new()),
            burst: f64::from(burst.max(1)),
            refill: refill.max(Duration::from_millis(1)),
            capacity: capacity.max(1),
        }
    }

    /// Takes one token for `net` now, or answers 429 with `Retry-After`.
    pub fn admit(&self, client: &Client) -> Result<(), AppError> {
        self.check(client.net, Instant::now())
            .map_err(|wait| AppError::from(ErrorCode::RateLimited).retry_after(wait))
    }

    /// Takes one token for `net` at `now`, or says how many seconds until one is free.
    pub fn check(&self, net: ClientNet, now: Instant) -> Result<(), u64> {
        let mut buckets = match self.buckets.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        if buckets.len() >= self.capacity && !buckets.contains_key(&net) {
            // Forget networks whose bucket has refilled: they are like new ones.
            let full_after = self.refill.mul_f64(self.burst);
            buckets.retain(|_, b| now.saturating_duration_since(b.updated) < full_after);
            if buckets.len() >= self.capacity {
                return Err(self.refill.as_secs().max(1));
            }
        }
        let bucket = buckets.entry(net).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated);
        bucket.tokens =
            (bucket.tokens + elapsed.as_secs_f64() / self.refill.as_secs_f64()).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) * self.refill.as_secs_f64();
            Err(wait.ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> ClientNet {
        ClientNet::from(s.parse::<IpAddr>().unwrap())
    }

    #[test]
    fn networks_group_v4_by_24_and_v6_by_64() {
        assert_eq!(net("192.0.2.1"), net("192.0.2.254"));
        assert_ne!(net("192.0.2.1"), net("192.0.3.1"));
        assert_eq!(net("2001:db8::1"), net("2001:db8::ffff:1"));
        assert_ne!(net("2001:db8::1"), net("2001:db8:0:1::1"));
        assert_eq!(net("::ffff:192.0.2.9"), net("192.0.2.1"));
    }

    #[test]
    fn burst_then_refill() {
        let l = Limiter::new(3, Duration::from_secs(20), 10);
        let t0 = Instant::now();
        let n = net("198.51.100.7");
        for _ in 0..3 {
            assert!(l.check(n, t0).is_ok());
        }
        assert_eq!(l.check(n, t0), Err(20));
        assert_eq!(l.check(n, t0 + Duration::from_secs(15)), Err(5));
        assert!(l.check(n, t0 + Duration::from_secs(21)).is_ok());
        assert!(
            l.check(net("203.0.113.1"), t0).is_ok(),
            "other networks are not limited"
        );
    }

    #[test]
    fn memory_stays_bounded() {
        let l = Limiter::new(1, Duration::from_secs(20), 2);
        let t0 = Instant::now();
        assert!(l.check(net("10.0.1.1"), t0).is_ok());
        assert!(l.check(net("10.0.2.1"), t0).is_ok());
        assert!(
            l.check(net("10.0.3.1"), t0).is_err(),
            "full: refuse rather than grow"
        );
        // Once the first ones have refilled they are forgotten and room is made.
        assert!(
            l.check(net("10.0.3.1"), t0 + Duration::from_secs(21))
                .is_ok()
        );
        assert!(l.buckets.lock().unwrap().len() <= 2);
    }

    #[test]
    fn forwarded_for_is_read_from_the_right() {
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "6.6.6.6, 203.0.113.9".parse().unwrap());
        assert_eq!(client_ip(peer, &h, 0), peer.ip());
        assert_eq!(client_ip(peer, &h, 1).to_string(), "203.0.113.9");
        assert_eq!(client_ip(peer, &h, 2).to_string(), "6.6.6.6");
        assert_eq!(client_ip(peer, &h, 3), peer.ip());
        h.insert("x-forwarded-for", "garbage".parse().unwrap());
        assert_eq!(client_ip(peer, &h, 1), peer.ip());
    }
}
