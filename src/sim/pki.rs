//! An ephemeral test PKI: a CA and leaf certificates for every TLS failure the doctor
//! distinguishes (valid, expired, not yet valid, wrong host name, self-signed).

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

/// The host name the simulated master's certificates are issued for.
pub const MASTER_HOST: &str = "master.autoglm.test";

/// Which certificate the TLS port presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlsVariant {
    /// Issued by the test CA for master.autoglm.test, localhost, 127.0.0.1 and ::1.
    Valid,
    /// Expired 1 day ago.
    Expired,
    /// Valid only from 30 days from now.
    NotYetValid,
    /// Issued for other.autoglm.test only.
    WrongHost,
    /// Not issued by the test CA: signs itself.
    SelfSigned,
    /// Valid but expires in 5 days (for "expiring soon" warnings).
    ExpiringSoon,
}

impl TlsVariant {
    pub const ALL: [Self; 6] = [
        Self::Valid,
        Self::Expired,
        Self::NotYetValid,
        Self::WrongHost,
        Self::SelfSigned,
        Self::ExpiringSoon,
    ];
}

/// A generated certificate with its key.
#[derive(Debug, Clone)]
pub struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
    pub chain: Vec<CertificateDer<'static>>,
    key_der: Vec<u8>,
}

impl Leaf {
    /// A rustls server configuration presenting this certificate.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, rustls::Error> {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()));
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(self.chain.clone(), key)?;
        Ok(Arc::new(config))
    }
}

/// The test CA and one leaf per variant.
#[derive(Debug, Clone)]
pub struct TestPki {
    /// PEM of the CA certificate: what a node config's `auth.ca_certificate.path` holds.
    pub ca_pem: String,
    pub leaves: Vec<(TlsVariant, Leaf)>,
}

fn names(sans: &[&str]) -> Vec<String> {
    sans.iter().map(|s| (*s).to_string()).collect()
}

impl TestPki {
    /// Generate a fresh CA and leaves. Takes a few milliseconds (ECDSA P-256).
    pub fn generate() -> Result<Self, rcgen::Error> {
        let now = OffsetDateTime::now_utc();
        let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Open-AutoGLM Test CA v2.1");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca_params.not_before = now - Duration::days(365);
        ca_params.not_after = now + Duration::days(3650);
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let ca_pem = ca_cert.pem();
        let issuer = Issuer::new(ca_params, ca_key);

        let good = names(&[MASTER_HOST, "localhost", "127.0.0.1", "::1"]);
        let mut leaves = Vec::new();
        for variant in TlsVariant::ALL {
            let (sans, not_before, not_after) = match variant {
                TlsVariant::Valid | TlsVariant::SelfSigned => (
                    good.clone(),
                    now - Duration::days(30),
                    now + Duration::days(365),
                ),
                TlsVariant::Expired => (
                    good.clone(),
                    now - Duration::days(90),
                    now - Duration::days(1),
                ),
                TlsVariant::NotYetValid => (
                    good.clone(),
                    now + Duration::days(30),
                    now + Duration::days(395),
                ),
                TlsVariant::WrongHost => (
                    names(&["other.autoglm.test"]),
                    now - Duration::days(30),
                    now + Duration::days(365),
                ),
                TlsVariant::ExpiringSoon => (
                    good.clone(),
                    now - Duration::days(360),
                    now + Duration::days(5),
                ),
            };
            let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
            let mut params = CertificateParams::new(sans)?;
            params
                .distinguished_name
                .push(DnType::CommonName, MASTER_HOST);
            params.not_before = not_before;
            params.not_after = not_after;
            let cert = if variant == TlsVariant::SelfSigned {
                params.self_signed(&key)?
            } else {
                params.signed_by(&key, &issuer)?
            };
            let mut chain = vec![cert.der().clone()];
            if variant != TlsVariant::SelfSigned {
                chain.push(ca_cert.der().clone());
            }
            leaves.push((
                variant,
                Leaf {
                    cert_pem: cert.pem(),
                    key_pem: key.serialize_pem(),
                    chain,
                    key_der: key.serialize_der(),
                },
            ));
        }
        Ok(Self { ca_pem, leaves })
    }

    pub fn leaf(&self, variant: TlsVariant) -> Option<&Leaf> {
        self.leaves
            .iter()
            .find(|(v, _)| *v == variant)
            .map(|(_, l)| l)
    }
}
