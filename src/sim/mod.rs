//! A simulated Open-AutoGLM master on loopback, for tests and `autoglm-doctor demo`.
//!
//! It serves the master API over HTTP and HTTPS (version negotiation, JWKS, auth
//! parameters, a skewable `Date`), TLS with every certificate problem the doctor names, an
//! SNTP server with a clock offset, a DNS responder for the test zone, and TCP ports that
//! are open, refused, silently dropped, a black hole and a trickler, and a forward proxy
//! that refuses CONNECT. Every server binds a
//! port of its own choosing on 127.0.0.1, runs on a thread of its own, and stops when the
//! `SimMaster` is dropped or its lifetime ends, whichever comes first.

// The simulated master and its peers are test and demo infrastructure serving on loopback,
// not checks: they bind, accept and read their own files directly.
#![allow(clippy::disallowed_methods)]

pub mod dns;
pub mod grpc;
pub mod http;
pub mod ntp;
pub mod pki;
pub mod proxy;
pub mod scenario;
pub mod tcp;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, UdpSocket};

pub use pki::{MASTER_HOST, TestPki, TlsVariant};

/// What the master's HTTP API says.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    pub server_version: String,
    /// Clients older than this get 426 Upgrade Required.
    pub min_client_version: String,
    pub max_client_version: String,
    /// Paths answered 410 Gone.
    pub retired_paths: Vec<String>,
    /// Paths answered 503 Service Unavailable (an outage, not a version problem).
    pub unavailable_paths: Vec<String>,
    /// Paths answered 302 Found, to the `Location` given.
    pub redirects: Vec<(String, String)>,
    /// Send `Deprecation` (RFC 9745) dated this many days from now.
    pub deprecation_in_days: Option<u64>,
    /// Send `Sunset` (RFC 8594) dated this many days from now.
    pub sunset_in_days: Option<u64>,
    /// Added to the clock in the `Date` header (and dates the API reports).
    pub date_offset_ms: i64,
    /// Public keys served at /.well-known/jwks.json.
    pub jwks: Vec<serde_json::Value>,
    /// Parameters served at /api/auth/params.
    pub auth_params: serde_json::Value,
}

impl Default for ApiOptions {
    fn default() -> Self {
        Self {
            server_version: "3.1.0".into(),
            min_client_version: "3.0".into(),
            max_client_version: "3.9".into(),
            retired_paths: vec!["/api/v2/sync".into()],
            unavailable_paths: Vec::new(),
            redirects: Vec::new(),
            deprecation_in_days: None,
            sunset_in_days: None,
            date_offset_ms: 0,
            jwks: Vec::new(),
            auth_params: serde_json::json!({}),
        }
    }
}

/// Everything the simulated master does, selected per scenario.
#[derive(Debug, Clone)]
pub struct Options {
    pub api: ApiOptions,
    /// The certificate presented on the main HTTPS port (every variant also has a port).
    pub tls: TlsVariant,
    pub ntp: ntp::NtpOptions,
    pub zone: dns::Zone,
    /// What the gRPC sync port's health service reports for the whole server.
    pub grpc_serving: bool,
    /// The servers stop by themselves after this long.
    pub lifetime: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            api: ApiOptions::default(),
            tls: TlsVariant::Valid,
            ntp: ntp::NtpOptions::default(),
            zone: dns::Zone::default(),
            grpc_serving: true,
            lifetime: Duration::from_secs(300),
        }
    }
}

/// Where each server listens (all on 127.0.0.1).
#[derive(Debug, Clone)]
pub struct Addresses {
    pub http: SocketAddr,
    pub https: SocketAddr,
    /// The gRPC sync port (TLS, ALPN h2, the health service).
    pub grpc: SocketAddr,
    /// One HTTPS port per certificate variant.
    pub tls: Vec<(TlsVariant, SocketAddr)>,
    pub ntp: SocketAddr,
    pub dns: SocketAddr,
    pub open: SocketAddr,
    pub refused: SocketAddr,
    pub dropped: SocketAddr,
    pub black_hole: SocketAddr,
    pub trickle: SocketAddr,
    /// A forward proxy that refuses CONNECT (405).
    pub no_connect: SocketAddr,
}

impl Addresses {
    pub fn tls(&self, variant: TlsVariant) -> Option<SocketAddr> {
        self.tls
            .iter()
            .find(|(v, _)| *v == variant)
            .map(|(_, a)| *a)
    }
}

/// The key the master signs node tokens with (its public half is in the JWKS).
#[derive(Debug, Clone)]
pub struct SigningKey {
    pub kid: String,
    /// PKCS#8 PEM of the ES256 private key.
    pub private_pem: String,
    pub jwk: serde_json::Value,
}

/// A running simulated master.
#[derive(Debug)]
pub struct SimMaster {
    pub addrs: Addresses,
    pub pki: TestPki,
    pub signing_key: SigningKey,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Generate an ES256 signing key and its JWK.
pub fn signing_key(kid: &str) -> Result<SigningKey, rcgen::Error> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    // Uncompressed point: 0x04 || x || y.
    let raw = key.public_key_raw();
    let (x, y) = if raw.len() == 65 {
        (&raw[1..33], &raw[33..65])
    } else {
        (&raw[..0], &raw[..0])
    };
    Ok(SigningKey {
        kid: kid.to_string(),
        private_pem: key.serialize_pem(),
        jwk: serde_json::json!({"kty": "EC", "crv": "P-256", "x": crate::encoding::b64url(x), "y": crate::encoding::b64url(y), "kid": kid, "alg": "ES256", "use": "sig"}),
    })
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

impl SimMaster {
    /// Start every server; returns once all are listening.
    pub fn start(mut opts: Options) -> io::Result<Self> {
        let pki = TestPki::generate().map_err(other)?;
        let key = signing_key("master-2026-11").map_err(other)?;
        if opts.api.jwks.is_empty() {
            opts.api.jwks.push(key.jwk.clone());
        }
        if opts
            .api
            .auth_params
            .as_object()
            .is_none_or(serde_json::Map::is_empty)
        {
            opts.api.auth_params = serde_json::json!({
                "token_ttl": 3600,
                "ca_version": "v2.1",
                "algorithm": "ES256",
                "issuer": format!("https://{MASTER_HOST}"),
                "audience": "open-autoglm",
                "key_id": key.kid,
            });
        }
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let pki_for_thread = pki.clone();
        let thread = std::thread::Builder::new()
            .name("sim-master".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = addr_tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(async move {
                    match bind_all(&opts, &pki_for_thread).await {
                        Err(e) => {
                            let _ = addr_tx.send(Err(e));
                        }
                        Ok((addrs, servers)) => {
                            let _ = addr_tx.send(Ok(addrs));
                            tokio::select! {
                                _ = stop => {}
                                () = tokio::time::sleep(opts.lifetime) => {}
                            }
                            drop(servers);
                        }
                    }
                });
            })?;
        let addrs = addr_rx.recv().map_err(other)??;
        Ok(Self {
            addrs,
            pki,
            signing_key: key,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }
}

impl Drop for SimMaster {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Tasks and sockets that must live as long as the servers.
struct Servers {
    tasks: tokio::task::JoinSet<()>,
    _dropped: TcpListener,
}

impl Drop for Servers {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

async fn http_server(
    listener: TcpListener,
    api: Arc<ApiOptions>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    while let Ok((stream, _)) = listener.accept().await {
        let api = Arc::clone(&api);
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => http::serve(stream, &api).await,
                Some(acceptor) => {
                    if let Ok(Ok(s)) =
                        tokio::time::timeout(Duration::from_secs(5), acceptor.accept(stream)).await
                    {
                        http::serve(s, &api).await;
                    }
                }
            }
        });
    }
}

/// The same port on ::1, when IPv6 loopback exists and the port is free there: a client
/// that resolves `localhost` to both addresses finds the server on both.
async fn also_v6(port: u16) -> Option<TcpListener> {
    TcpListener::bind(SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port)))
        .await
        .ok()
}

async fn bind_all(opts: &Options, pki: &TestPki) -> io::Result<(Addresses, Servers)> {
    let lo = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut tasks = tokio::task::JoinSet::new();
    let api = Arc::new(opts.api.clone());

    let http = TcpListener::bind(lo).await?;
    let http_addr = http.local_addr()?;
    if let Some(v6) = also_v6(http_addr.port()).await {
        tasks.spawn(http_server(v6, Arc::clone(&api), None));
    }
    tasks.spawn(http_server(http, Arc::clone(&api), None));

    let mut tls_addrs = Vec::new();
    let mut main_tls = None;
    for variant in TlsVariant::ALL {
        let leaf = pki
            .leaf(variant)
            .ok_or_else(|| other("missing certificate"))?;
        let acceptor = tokio_rustls::TlsAcceptor::from(leaf.server_config().map_err(other)?);
        let l = TcpListener::bind(lo).await?;
        let a = l.local_addr()?;
        tls_addrs.push((variant, a));
        tasks.spawn(http_server(l, Arc::clone(&api), Some(acceptor.clone())));
        if variant == opts.tls {
            let main = TcpListener::bind(lo).await?;
            main_tls = Some(main.local_addr()?);
            if let Some(v6) = also_v6(main.local_addr()?.port()).await {
                tasks.spawn(http_server(v6, Arc::clone(&api), Some(acceptor.clone())));
            }
            tasks.spawn(http_server(main, Arc::clone(&api), Some(acceptor)));
        }
    }

    let grpc_config = pki
        .leaf(TlsVariant::Valid)
        .ok_or_else(|| other("missing certificate"))?
        .server_config()
        .map_err(other)?;
    let grpc_acceptor = grpc::acceptor(&grpc_config);
    let grpc_status = if opts.grpc_serving {
        grpc::SERVING
    } else {
        grpc::NOT_SERVING
    };
    let grpc_listener = TcpListener::bind(lo).await?;
    let grpc_addr = grpc_listener.local_addr()?;
    if let Some(v6) = also_v6(grpc_addr.port()).await {
        tasks.spawn(grpc::serve(v6, grpc_acceptor.clone(), grpc_status));
    }
    tasks.spawn(grpc::serve(grpc_listener, grpc_acceptor, grpc_status));

    let ntp = UdpSocket::bind(lo).await?;
    let ntp_addr = ntp.local_addr()?;
    tasks.spawn(ntp::serve(ntp, opts.ntp));

    let dns = UdpSocket::bind(lo).await?;
    let dns_addr = dns.local_addr()?;
    tasks.spawn(dns::serve(dns, opts.zone.clone()));

    let open = TcpListener::bind(lo).await?;
    let open_addr = open.local_addr()?;
    if let Some(v6) = also_v6(open_addr.port()).await {
        tasks.spawn(tcp::open(v6));
    }
    tasks.spawn(tcp::open(open));
    let hole = TcpListener::bind(lo).await?;
    let hole_addr = hole.local_addr()?;
    tasks.spawn(tcp::black_hole(hole));
    let trickle = TcpListener::bind(lo).await?;
    let trickle_addr = trickle.local_addr()?;
    tasks.spawn(tcp::trickle(trickle));
    let no_connect = TcpListener::bind(lo).await?;
    let no_connect_addr = no_connect.local_addr()?;
    tasks.spawn(proxy::no_connect(no_connect));
    let (dropped, dropped_addr) = tcp::dropped_listener()?;
    let refused = tcp::refused_addr()?;

    let addrs = Addresses {
        http: http_addr,
        https: main_tls.ok_or_else(|| other("no HTTPS port"))?,
        grpc: grpc_addr,
        tls: tls_addrs,
        ntp: ntp_addr,
        dns: dns_addr,
        open: open_addr,
        refused,
        dropped: dropped_addr,
        black_hole: hole_addr,
        trickle: trickle_addr,
        no_connect: no_connect_addr,
    };
    Ok((
        addrs,
        Servers {
            tasks,
            _dropped: dropped,
        },
    ))
}
