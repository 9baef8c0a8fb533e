//! A throwaway PostgreSQL cluster for `cargo xtask bench --postgres`:
//! `pg_cluster N` starts one (fsync on, as in production), prints the URLs
//! of N new, empty databases, one per line, then keeps the cluster until
//! its standard input closes; then the cluster and its folder are gone.

use comments_server::store::cluster::Cluster;
use std::io::Read;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .ok_or("usage: pg_cluster NUMBER-OF-DATABASES")?;
    let cluster = Cluster::start(true)?;
    for _ in 0..n {
        println!("{}", cluster.database().await?);
    }
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
    drop(cluster);
    Ok(())
}
