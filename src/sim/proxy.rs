//! A forward proxy that refuses every tunnel: it reads a request head and answers
//! `405 Method Not Allowed` to `CONNECT` (403 to anything else), as a proxy configured
//! without CONNECT does.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Largest request head read.
const MAX_HEAD: usize = 16 * 1024;

/// Serve until the listener's task is aborted; each connection is bounded in time.
pub async fn no_connect(listener: TcpListener) {
    while let Ok((mut stream, _)) = listener.accept().await {
        tokio::spawn(async move {
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            let read = async {
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return false,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                true
            };
            if !matches!(
                tokio::time::timeout(Duration::from_secs(5), read).await,
                Ok(true)
            ) {
                return;
            }
            let answer: &[u8] = if head.starts_with(b"CONNECT ") {
                b"HTTP/1.1 405 Method Not Allowed\r\nServer: autoglm-sim-proxy\r\nAllow: GET, HEAD\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            } else {
                b"HTTP/1.1 403 Forbidden\r\nServer: autoglm-sim-proxy\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            };
            let _ = tokio::time::timeout(Duration::from_secs(5), stream.write_all(answer)).await;
        });
    }
}
