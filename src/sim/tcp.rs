//! TCP ports that behave the way sync paths fail: open, refused, silently dropped (the
//! firewall/NetworkPolicy drop), a black hole that accepts and never answers,
//! and a trickler that sends one byte a second.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// A loopback address nothing listens on (connections are refused).
pub fn refused_addr() -> io::Result<SocketAddr> {
    let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = probe.local_addr()?;
    drop(probe);
    Ok(addr)
}

/// A listener behind a packet filter that drops every packet to it (a classic BPF socket
/// filter returning 0, which any process may attach to its own socket): SYNs vanish before
/// TCP sees them, so a connect waits until its timeout — what a silent DROP rule looks like,
/// from outside and from this host's kernel alike (the listener's queue stays empty, no SYN
/// is dropped for a full queue). Keep the listener alive as long as the port.
pub fn dropped_listener() -> io::Result<(TcpListener, SocketAddr)> {
    use socket2::{Domain, SockFilter, Socket, Type};
    /// `BPF_RET | BPF_K` with 0: keep 0 bytes of the packet, i.e. drop it.
    const DROP_ALL: [SockFilter; 1] = [SockFilter::new(0x06, 0, 0, 0)];
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.set_nonblocking(true)?;
    socket.attach_filter(&DROP_ALL)?;
    socket.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
    socket.listen(128)?;
    let listener = TcpListener::from_std(std::net::TcpListener::from(socket))?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
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
