//! `serve`: the HTTP server with its background work (revision refresh,
//! address purge), until Ctrl-C or SIGTERM; then a clean stop.

use crate::config::Config;
use crate::store::Store;
use crate::{http::assets, http::routes, http::state};
use std::sync::Arc;
use std::time::Duration;

pub async fn serve(mut config: Config, store: Arc<dyn Store>) -> Result<(), String> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let listen = config.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    if config.moderation.public_url.is_none() {
        // Links in mail need the real port (the configured one may be 0).
        config.moderation.public_url = Some(format!("http://{addr}"));
    }
    let refresh = Duration::from_millis(config.database.refresh_ms.max(50));
    let header_timeout = Duration::from_millis(config.limits.header_timeout_ms.max(1));
    let keep_days = config.moderation.notify_keep_days;
    let state = state::AppState::new(config, Arc::clone(&store)).await?;
    let notifier = Arc::clone(&state.notifier);
    let state_allows_any_origin = state.origins.any();
    let refresher = state.revisions.spawn_refresher(Arc::clone(&store), refresh);
    // Other instances' commits, at once where the database announces them.
    let follower = store.follow(Arc::clone(&state.revisions), Arc::clone(&store));
    let purger =
        crate::moderation::privacy::spawn_purger(store, Duration::from_secs(3600), keep_days);
    // Tests and scripts read this line to find the port.
    println!("listening on http://{addr}");
    if state_allows_any_origin {
        tracing::warn!(
            "any site may embed the widget and post: list yours in sites.allowed_origins (COMMENTS_ALLOWED_ORIGINS)"
        );
    }
    if assets::EMBED_JS.is_none() {
        tracing::warn!("this binary was built without the widget: run `cargo xtask build` first");
    }
    crate::http::serve::serve(
        listener,
        routes::router(state),
        header_timeout,
        shutdown_signal(),
    )
    .await;
    refresher.abort();
    if let Some(follower) = follower {
        follower.abort();
    }
    purger.abort();
    tracing::info!("stopped accepting requests; in-flight requests finished");
    // Mails and webhooks under way get a little time to go out.
    if tokio::time::timeout(Duration::from_secs(5), notifier.flush())
        .await
        .is_err()
    {
        tracing::warn!("stopping with notifications still being retried");
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
