//! The connection loop: the poem application served by hyper directly, because poem's `Server`
//! gives hyper no timer and so sets no deadline on a request's headers. A client that opens a
//! connection and sends half a request (or nothing) is dropped after
//! `server.header_read_timeout_seconds`, idle keep-alive connections after the same time, and at
//! most `server.max_connections` connections are served at once (further ones wait in the
//! kernel's backlog). Bodies have their own deadline where they are read (`http::graphql`).
//!
//! HTTP/1.1 only: Chorus sits behind a TLS-terminating proxy, which is where HTTP/2 belongs, and
//! hyper's HTTP/1-or-2 detection waits for a connection's first bytes with no deadline at all.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use poem::endpoint::BoxEndpoint;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Endpoint, EndpointExt, Response};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// What the loop enforces.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub max_connections: usize,
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets in-flight requests finish for
/// at most `grace`.
pub async fn serve(
    listener: TcpListener,
    app: impl Endpoint<Output = Response> + 'static,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> std::io::Result<()> {
    let app: Arc<BoxEndpoint<'static, Response>> = Arc::new(app.boxed());
    let local = listener.local_addr()?;
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, a reset before accept: wait a moment, go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let app = app.clone();
            async move {
                let req: poem::Request = (req, LocalAddr(local.into()), RemoteAddr(remote.into()), Scheme::HTTP).into();
                let resp = app.get_response(req).await;
                Ok::<_, Infallible>(hyper::Response::from(resp))
            }
        });
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // Errors are the client's (a reset, a timeout): nothing to report.
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => {}
    }
    Ok(())
}
