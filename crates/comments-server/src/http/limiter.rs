//! Per-network rate limits (governor's GCRA over a bounded LRU map of networks) and client-address resolution.

use crate::http::error::AppError;
use crate::http::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use comments_api::ErrorCode;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::StateStore;
use governor::{Quota, RateLimiter};
use hashlink::LruCache;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

impl ClientNet {
    /// The network as one address (its prefix), for keys that outlive
    /// this process, such as the shared post allowance's.
    pub fn as_ip(self) -> IpAddr {
        IpAddr::V6(std::net::Ipv6Addr::from(self.0))
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

/// governor's per-key state (a GCRA theoretical arrival time) in an LRU
/// map of at most `capacity` networks. A full map forgets the network it
/// saw least recently, which is as good as new to it: nobody is refused for
/// the map being full, and no request scans the map.
#[derive(Clone)]
pub struct BoundedStore {
    map: Arc<Mutex<LruCache<ClientNet, Nanos>>>,
}

impl BoundedStore {
    fn new(capacity: usize) -> Self {
        Self {
            map: Arc::new(Mutex::new(LruCache::new(capacity.max(1)))),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<ClientNet, Nanos>> {
        match self.map.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

impl StateStore for BoundedStore {
    type Key = ClientNet;

    fn measure_and_replace<T, F, E>(&self, key: &ClientNet, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        let mut map = self.lock();
        let (outcome, next) = f(map.get(key).copied())?;
        // Inserting refreshes the key, and evicts the least recent one when full.
        map.insert(*key, next);
        Ok(outcome)
    }
}

/// Per-network limits: `burst` requests at once, then one per `refill`
/// (GCRA, by governor), for at most `capacity` networks at a time.
pub struct Limiter<C: Clock = DefaultClock> {
    limiter: RateLimiter<ClientNet, BoundedStore, C, NoOpMiddleware<C::Instant>>,
    /// The same map as the limiter's, to tell how many networks it holds.
    store: BoundedStore,
    clock: C,
    /// The quota again, for the allowance shared through the database.
    burst: u32,
    refill: Duration,
    /// The limit's name in the shared allowances' keys.
    name: &'static str,
}

impl Limiter {
    pub fn new(burst: u32, refill: Duration, capacity: usize) -> Self {
        Self::with_clock(burst, refill, capacity, DefaultClock::default())
    }
}

impl<C: Clock + Clone> Limiter<C> {
    pub fn with_clock(burst: u32, refill: Duration, capacity: usize, clock: C) -> Self {
        let (shared_burst, shared_refill) = (burst, refill);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(refill.max(Duration::from_millis(1)))
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        let store = BoundedStore::new(capacity);
        Self {
            limiter: RateLimiter::new(quota, store.clone(), clock.clone()),
            store,
            clock,
            burst: shared_burst,
            refill: shared_refill,
            name: "limit",
        }
    }

    /// Names the limit, for its shared allowance's keys (`post`, `login`…).
    pub fn named(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }

    /// How many networks it remembers now.
    pub fn tracked(&self) -> usize {
        self.store.lock().len()
    }

    /// Takes one request for `client`'s network now, or answers 429 with `Retry-After`.
    pub fn admit(&self, client: &Client) -> Result<(), AppError> {
        self.check(client.net)
            .map_err(|wait| AppError::from(ErrorCode::RateLimited).retry_after(wait))
    }

    /// [`admit`](Self::admit), then, where several instances share the
    /// store, the same quota's allowance in the database: a client that
    /// spreads its requests over N instances does not get N bursts.
    pub async fn admit_everywhere(&self, app: &AppState, client: &Client) -> Result<(), AppError> {
        self.admit(client)?;
        if !app.store.shared() {
            return Ok(());
        }
        let key = format!("{}:{}", self.name, app.ip_hasher.hash(client.net.as_ip()));
        let interval = i64::try_from(self.refill.as_millis()).unwrap_or(i64::MAX / 4);
        let now = crate::clock::now_ms();
        match app
            .store
            .take_allowance(&key, now, self.burst, interval.max(1))
            .await?
        {
            None => Ok(()),
            Some(wait_ms) => {
                let seconds = u64::try_from(wait_ms.saturating_add(999) / 1000).unwrap_or(1);
                Err(AppError::from(ErrorCode::RateLimited).retry_after(seconds))
            }
        }
    }

    /// Takes one request for `net`, or says how many seconds until one is allowed.
    pub fn check(&self, net: ClientNet) -> Result<(), u64> {
        match self.limiter.check_key(&net) {
            Ok(_) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                Err(wait.as_secs_f64().ceil().max(1.0) as u64)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

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

    fn fake(
        burst: u32,
        refill_secs: u64,
        capacity: usize,
    ) -> (Limiter<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        let l = Limiter::with_clock(
            burst,
            Duration::from_secs(refill_secs),
            capacity,
            clock.clone(),
        );
        (l, clock)
    }

    #[test]
    fn burst_then_refill() {
        let (l, clock) = fake(3, 20, 10);
        let n = net("198.51.100.7");
        for _ in 0..3 {
            assert!(l.check(n).is_ok());
        }
        assert_eq!(l.check(n), Err(20));
        clock.advance(Duration::from_secs(15));
        assert_eq!(l.check(n), Err(5));
        clock.advance(Duration::from_secs(6));
        assert!(l.check(n).is_ok());
        assert!(
            l.check(net("203.0.113.1")).is_ok(),
            "other networks are not limited"
        );
    }

    #[test]
    fn a_full_limiter_forgets_its_oldest_networks_and_never_refuses_newcomers() {
        let (l, _clock) = fake(1, 20, 2);
        assert!(l.check(net("10.0.1.1")).is_ok());
        assert!(l.check(net("10.0.2.1")).is_ok());
        assert!(
            l.check(net("10.0.3.1")).is_ok(),
            "full, yet a newcomer gets its burst"
        );
        assert_eq!(l.tracked(), 2, "memory stays bounded");
        // The most recently seen networks are remembered: 10.0.2 is still limited,
        assert!(l.check(net("10.0.2.1")).is_err());
        // while 10.0.1, the oldest, was forgotten and starts afresh.
        assert!(l.check(net("10.0.1.1")).is_ok());
        assert_eq!(l.tracked(), 2);
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
