//! The master's gRPC sync port: TLS with ALPN `h2`, serving the standard health service
//! (`grpc.health.v1.Health/Check`) with a chosen serving status for the whole server
//! (service ""); other services are NOT_FOUND and other methods UNIMPLEMENTED, as grpcio
//! and grpc-go answer.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::net::TcpListener;

/// `HealthCheckResponse.ServingStatus` values the simulated master reports.
pub const SERVING: u8 = 1;
pub const NOT_SERVING: u8 = 2;

/// Serve the health service on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, tls: tokio_rustls::TlsAcceptor, status: u8) {
    while let Ok((stream, _)) = listener.accept().await {
        let tls = tls.clone();
        tokio::spawn(async move {
            let Ok(Ok(stream)) =
                tokio::time::timeout(Duration::from_secs(5), tls.accept(stream)).await
            else {
                return;
            };
            let _ = tokio::time::timeout(Duration::from_secs(30), connection(stream, status)).await;
        });
    }
}

/// A TLS server configuration for the sync port: the certificate, offering `h2` only.
pub fn acceptor(config: &Arc<rustls::ServerConfig>) -> tokio_rustls::TlsAcceptor {
    let mut config = (**config).clone();
    config.alpn_protocols = vec![b"h2".to_vec()];
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

async fn connection<S>(stream: S, status: u8)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let Ok(mut conn) = h2::server::handshake(stream).await else {
        return;
    };
    // The connection is driven by `accept`; each request is answered on a task of its own so
    // that its body keeps arriving while the loop waits for the next stream.
    while let Some(Ok((request, respond))) = conn.accept().await {
        tokio::spawn(answer(request, respond, status));
    }
}

async fn answer(
    request: http::Request<h2::RecvStream>,
    mut respond: h2::server::SendResponse<Bytes>,
    status: u8,
) {
    let (parts, mut body) = request.into_parts();
    let mut received = Vec::new();
    while let Some(Ok(chunk)) = body.data().await {
        let _ = body.flow_control().release_capacity(chunk.len());
        received.extend_from_slice(&chunk);
        if received.len() > 64 * 1024 {
            break;
        }
    }
    let answer = if parts.uri.path() == crate::probe::grpc::CHECK_PATH {
        match requested_service(&received) {
            Some(s) if s.is_empty() => Ok(status),
            Some(_) => Err((5, "unknown service")),
            None => Err((13, "malformed request")),
        }
    } else {
        Err((12, "Method not found!"))
    };
    let response = http::Response::builder()
        .status(200)
        .header("content-type", "application/grpc")
        .body(());
    let Ok(response) = response else { return };
    let Ok(mut send) = respond.send_response(response, false) else {
        return;
    };
    let mut trailers = http::HeaderMap::new();
    match answer {
        Ok(s) => {
            let _ = send.send_data(Bytes::from(vec![0, 0, 0, 0, 2, 0x08, s]), false);
            trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
        }
        Err((code, message)) => {
            if let Ok(v) = http::HeaderValue::from_str(&code.to_string()) {
                trailers.insert("grpc-status", v);
            }
            trailers.insert("grpc-message", http::HeaderValue::from_static(message));
        }
    }
    let _ = send.send_trailers(trailers);
}

/// The `service` field of a `HealthCheckRequest` frame (None: not one).
fn requested_service(frame: &[u8]) -> Option<String> {
    let msg = frame.get(5..)?;
    if msg.is_empty() {
        return Some(String::new());
    }
    // Field 1, length-delimited, a length below 128 (enough for the simulated master).
    match msg {
        [0x0a, len, rest @ ..] if usize::from(*len) == rest.len() => {
            String::from_utf8(rest.to_vec()).ok()
        }
        _ => None,
    }
}
