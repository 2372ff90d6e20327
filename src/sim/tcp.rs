//! TCP ports that behave the way sync paths fail: open, refused, silently dropped (the
//! firewall/NetworkPolicy drop), a black hole that accepts and never answers,
//! and a trickler that sends one byte a second.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpSocket, TcpStream};

/// A loopback address nothing listens on (connections are refused).
pub fn refused_addr() -> io::Result<SocketAddr> {
    let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = probe.local_addr()?;
    drop(probe);
    Ok(addr)
}

/// A listener whose accept queue is full and never drained: the kernel drops further SYNs,
/// so a connect waits until its timeout — what a silent DROP rule looks like from outside.
/// Keep the listener and the returned filler streams alive as long as the port.
pub async fn dropped_listener() -> io::Result<(TcpListener, SocketAddr, Vec<TcpStream>)> {
    // A backlog of 0 holds at most one pending connection; it is never accepted.
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let addr = socket.local_addr()?;
    let listener = socket.listen(0)?;
    let mut fillers = Vec::new();
    for _ in 0..8 {
        match tokio::time::timeout(Duration::from_millis(300), TcpStream::connect(addr)).await {
            Ok(Ok(s)) => fillers.push(s),
            // A connect that does not complete: the queue is full, SYNs are now dropped.
            _ => break,
        }
    }
    Ok((listener, addr, fillers))
}

/// Accept and hold connections without ever answering.
pub async fn black_hole(listener: TcpListener) {
    let mut held = Vec::new();
    while let Ok((s, _)) = listener.accept().await {
        held.push(s);
        if held.len() > 256 {
            held.remove(0);
        }
    }
}

/// Accept and send one byte a second, forever (until the client or the server goes).
pub async fn trickle(listener: TcpListener) {
    while let Ok((mut s, _)) = listener.accept().await {
        tokio::spawn(async move {
            loop {
                if s.write_all(b".").await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}

/// Accept, then close after a short while (a healthy port that speaks no protocol).
pub async fn open(listener: TcpListener) {
    while let Ok((s, _)) = listener.accept().await {
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            drop(s);
        });
    }
}
