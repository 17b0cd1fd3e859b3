//! Accepting connections with limits: a client may not hold a socket without sending.
//!
//! `axum::serve` has no timeouts, so a few hundred silent sockets would use up the file
//! descriptors. Here every connection is HTTP/1.1 with a header-read timeout (which also
//! closes a keep-alive connection idle between requests), request bodies that stall are
//! cut off, and at most `max_connections` are open at once; more wait in the listen queue.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

use super::config::defaults;

/// How long a client may take and how many may be connected.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConnectionLimits {
    /// From the first byte awaited to the end of a request's headers; a connection that is
    /// idle, sends nothing or stops mid-header is closed after this long.
    pub header_timeout: Duration,
    /// The longest pause while a request body is being sent; the request is then answered
    /// 400 and the connection closed.
    pub body_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_timeout: Duration::from_secs_f64(defaults::HEADER_TIMEOUT_SECS),
            body_timeout: Duration::from_secs_f64(defaults::BODY_TIMEOUT_SECS),
            max_connections: defaults::MAX_CONNECTIONS as usize,
        }
    }
}

/// Serves `router` on `listener` until `stop` turns true, then stops accepting and waits
/// for open connections to finish their requests (the caller bounds how long).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
) {
    let router = router.layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        limits.body_timeout,
    ));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut last_warned: Option<std::time::Instant> = None;
    loop {
        // A free slot first: at the limit, new clients wait in the kernel's queue.
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                if last_warned.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                    tracing::warn!(
                        limit = limits.max_connections,
                        "connection limit reached; new connections wait"
                    );
                    last_warned = Some(std::time::Instant::now());
                }
                tokio::select! {
                    slot = slots.clone().acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => break,
                    },
                    _ = stop.wait_for(|s| *s) => break,
                }
            }
        };
        let (stream, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors, or a connection reset before it was taken: the
                    // listener itself is fine, so wait a moment and go on.
                    tracing::warn!("accepting a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stop.wait_for(|s| *s) => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                // Timeouts and clients that went away end up here; neither is the server's fault.
                tracing::debug!("connection closed: {e}");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
