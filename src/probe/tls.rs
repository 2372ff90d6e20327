//! TLS handshakes that keep what they saw: the peer's chain (even when verification
//! fails), the verification error as rustls classified it, the negotiated version and
//! cipher suite.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// A certificate, described for evidence and messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    pub sans: Vec<String>,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    pub serial: String,
    /// Hex SHA-256 of the DER.
    pub sha256: String,
    pub self_signed: bool,
}

/// Describe a DER certificate (None if it does not parse).
pub fn describe(der: &[u8]) -> Option<CertInfo> {
    use sha2::Digest;
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let sans = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|ext| {
            ext.value
                .general_names
                .iter()
                .filter_map(|g| match g {
                    x509_parser::extensions::GeneralName::DNSName(n) => Some((*n).to_string()),
                    x509_parser::extensions::GeneralName::IPAddress(b) => match b.len() {
                        4 => Some(std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string()),
                        16 => <[u8; 16]>::try_from(*b)
                            .ok()
                            .map(|a| std::net::Ipv6Addr::from(a).to_string()),
                        _ => None,
                    },
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let subject = cert.subject().to_string();
    let issuer = cert.issuer().to_string();
    Some(CertInfo {
        self_signed: subject == issuer,
        subject,
        issuer,
        sans,
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        serial: cert.raw_serial_as_string(),
        sha256: crate::encoding::hex(&sha2::Sha256::digest(der)),
    })
}

/// Load the certificates of a PEM bundle.
pub fn load_pem(bytes: &[u8]) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(bytes)
        .filter_map(Result::ok)
        .collect()
}

/// The system's CA bundle: `$SSL_CERT_FILE` or the usual distribution paths, read
/// bounded.
pub fn system_bundle(ssl_cert_file: Option<String>) -> Option<(String, Vec<u8>)> {
    let candidates = ssl_cert_file.into_iter().chain(
        [
            "/etc/ssl/certs/ca-certificates.crt",
            "/etc/pki/tls/certs/ca-bundle.crt",
            "/etc/ssl/cert.pem",
            "/etc/ssl/ca-bundle.pem",
        ]
        .iter()
        .map(|s| (*s).to_string()),
    );
    candidates
        .into_iter()
        .find_map(|p| read_bundle(std::path::Path::new(&p)).ok().map(|b| (p, b)))
}

/// Largest CA bundle read (a distribution's full bundle is about 200 KiB).
pub const MAX_CA_BUNDLE: u64 = 4 * 1024 * 1024;

/// The CA bundle a check trusts, loaded once for `tls` and the HTTP kinds alike.
#[derive(Debug, Clone)]
pub struct Trust {
    /// Where it came from (a path), for messages.
    pub name: String,
    pub roots: Arc<RootCertStore>,
    /// The bundle's certificates, described.
    pub certs: Vec<CertInfo>,
}

/// Why the CA bundle cannot be used: every kind reports it as condition `ca-unreadable`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaError {
    #[error("cannot read the CA bundle {path}: {why}")]
    Unreadable { path: String, why: String },
    #[error("no CA bundle configured and no system CA bundle found")]
    NoBundle,
    #[error("the CA bundle {0} holds no usable certificate")]
    NoCertificate(String),
}

impl CaError {
    /// What to do about it.
    pub fn remediation(&self) -> String {
        match self {
            Self::Unreadable { path, .. } => {
                format!("put a readable PEM CA bundle at {path}, or fix `auth.ca_certificate.path`")
            }
            Self::NoBundle => {
                "set `auth.ca_certificate.path` in the node config, or install ca-certificates"
                    .into()
            }
            Self::NoCertificate(path) => format!("write the CA certificate (PEM) into {path}"),
        }
    }
}

/// Read a CA bundle: a regular file of at most [`MAX_CA_BUNDLE`] bytes, on the blocking
/// pool (a FIFO or a device at the path cannot hang the run).
fn read_bundle(path: &std::path::Path) -> Result<Vec<u8>, String> {
    super::fs::read_bounded_now(path, MAX_CA_BUNDLE).map_err(|e| e.to_string())
}

/// Load the CA bundle at `path`, or the system's when `None`.
pub async fn load_trust(
    path: Option<std::path::PathBuf>,
    ssl_cert_file: Option<String>,
) -> Result<Trust, CaError> {
    let loaded = tokio::task::spawn_blocking(move || match path {
        Some(p) => read_bundle(&p)
            .map(|b| (p.display().to_string(), b))
            .map_err(|why| CaError::Unreadable {
                path: p.display().to_string(),
                why,
            }),
        None => system_bundle(ssl_cert_file).ok_or(CaError::NoBundle),
    })
    .await
    .map_err(|e| CaError::Unreadable {
        path: "(the CA bundle)".into(),
        why: e.to_string(),
    })??;
    let (name, bytes) = loaded;
    let certs = load_pem(&bytes);
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(certs.iter().cloned());
    if added == 0 {
        return Err(CaError::NoCertificate(name));
    }
    Ok(Trust {
        name,
        roots: Arc::new(roots),
        certs: certs.iter().filter_map(|c| describe(c)).collect(),
    })
}

/// How the handshake ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Verified,
    /// The chain did not verify; rustls's classification.
    Certificate(CertProblem),
    /// The peer answered, but not with TLS (e.g. a plain HTTP port).
    NotTls(String),
    /// TLS alert, no shared version or cipher, or the peer closed the connection.
    Handshake(String),
    /// The peer reset or closed the connection during the handshake without a TLS alert.
    Reset(String),
    /// TCP connected, but no handshake completed in time.
    NoAnswer,
    Connect(super::tcp::Outcome),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertProblem {
    Expired,
    NotYetValid,
    WrongHost,
    UnknownIssuer,
    /// A CA of the issuer's name is trusted, but the signature is not its: a re-keyed CA.
    IssuerKeyMismatch,
    Other(String),
}

/// Everything one handshake showed.
#[derive(Debug, Clone)]
pub struct Observation {
    pub outcome: Outcome,
    pub chain: Vec<CertInfo>,
    pub version: Option<String>,
    pub cipher: Option<String>,
    pub took: Duration,
}

#[derive(Debug)]
struct Recorder {
    inner: Arc<WebPkiServerVerifier>,
    seen: Mutex<(Vec<CertificateDer<'static>>, Option<rustls::Error>)>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result =
            self.inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now);
        if let Ok(mut seen) = self.seen.lock() {
            seen.0 = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.clone().into_owned())
                .collect();
            seen.1 = result.as_ref().err().cloned();
        }
        result
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client configuration trusting `roots`, offering `alpn` (e.g. `h2`) when not empty.
pub fn client_config(
    roots: Arc<RootCertStore>,
    alpn: &[&[u8]],
) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

pub(crate) fn classify_cert(e: &CertificateError) -> CertProblem {
    match e {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => CertProblem::Expired,
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            CertProblem::NotYetValid
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            CertProblem::WrongHost
        }
        CertificateError::UnknownIssuer => CertProblem::UnknownIssuer,
        CertificateError::BadSignature => CertProblem::IssuerKeyMismatch,
        other => CertProblem::Other(format!("{other:?}")),
    }
}

/// Connect to `addr` and handshake for `server_name`, trusting `roots`.
pub async fn handshake(
    addr: SocketAddr,
    server_name: &str,
    roots: Arc<RootCertStore>,
    timeout: Duration,
) -> Observation {
    let start = Instant::now();
    let done = |outcome, chain, version, cipher| Observation {
        outcome,
        chain,
        version,
        cipher,
        took: start.elapsed(),
    };
    let stream = match super::tcp::open(addr, timeout).await {
        Ok((s, _)) => s,
        Err(o) => return done(Outcome::Connect(o), vec![], None, None),
    };
    let verifier = match WebPkiServerVerifier::builder_with_provider(roots, provider()).build() {
        Ok(v) => v,
        Err(e) => {
            return done(
                Outcome::Handshake(format!("no usable CA certificate: {e}")),
                vec![],
                None,
                None,
            );
        }
    };
    let recorder = Arc::new(Recorder {
        inner: verifier,
        seen: Mutex::new((Vec::new(), None)),
    });
    let config = match rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
    {
        Ok(b) => b
            .dangerous()
            .with_custom_certificate_verifier(Arc::clone(&recorder) as Arc<dyn ServerCertVerifier>)
            .with_no_client_auth(),
        Err(e) => return done(Outcome::Handshake(e.to_string()), vec![], None, None),
    };
    let name = match ServerName::try_from(server_name.to_string()) {
        Ok(n) => n,
        Err(e) => {
            return done(
                Outcome::Handshake(format!("`{server_name}` is not a valid server name: {e}")),
                vec![],
                None,
                None,
            );
        }
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let remaining = timeout.saturating_sub(start.elapsed());
    let result = tokio::time::timeout(remaining, connector.connect(name, stream)).await;
    let (certs, verify_error) = recorder
        .seen
        .lock()
        .map(|s| (s.0.clone(), s.1.clone()))
        .unwrap_or_default();
    let chain: Vec<CertInfo> = certs.iter().filter_map(|c| describe(c)).collect();
    match result {
        Err(_) => done(Outcome::NoAnswer, chain, None, None),
        Ok(Ok(tls)) => {
            let (_, conn) = tls.get_ref();
            let version = conn.protocol_version().map(|v| format!("{v:?}"));
            let cipher = conn
                .negotiated_cipher_suite()
                .map(|c| format!("{:?}", c.suite()));
            done(Outcome::Verified, chain, version, cipher)
        }
        Ok(Err(e)) => {
            let outcome = match (
                &verify_error,
                e.get_ref()
                    .and_then(|inner| inner.downcast_ref::<rustls::Error>()),
            ) {
                (Some(rustls::Error::InvalidCertificate(c)), _)
                | (_, Some(rustls::Error::InvalidCertificate(c))) => {
                    Outcome::Certificate(classify_cert(c))
                }
                (_, Some(rustls::Error::InvalidMessage(m))) => Outcome::NotTls(format!("{m:?}")),
                (_, Some(other)) => Outcome::Handshake(other.to_string()),
                (_, None)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::ConnectionReset
                            | std::io::ErrorKind::ConnectionAborted
                            | std::io::ErrorKind::UnexpectedEof
                            | std::io::ErrorKind::BrokenPipe
                    ) =>
                {
                    Outcome::Reset(e.to_string())
                }
                (_, None) => Outcome::Handshake(e.to_string()),
            };
            done(outcome, chain, None, None)
        }
    }
}
