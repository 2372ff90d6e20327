//! Demo scenarios: a simulated master plus a matching node (config, CA bundle, token,
//! checkpoints, logs) in a temporary directory, each showing one way a node fails to sync
//! — or none, for `healthy`. The list grows with the checks.

use crate::report::Code;
use std::path::{Path, PathBuf};

use super::{Options, SimMaster, TlsVariant};

/// A demo scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// Everything in order: every check passes.
    Healthy,
    /// The node config has a negative token TTL and a misspelt key.
    BrokenConfig,
    /// The CA bundle the config names is missing (after a CA rotation).
    MissingCa,
    /// The endpoint names a host that does not exist (NXDOMAIN).
    UnknownHost,
    /// A firewall silently drops the master's gRPC sync port.
    Firewalled,
    /// The master's certificate has expired.
    ExpiredCert,
    /// The node's client speaks API 2.5; the master requires 3.0 or newer (426).
    OldClient,
    /// The node's token TTL (1800 s) differs from the master's (3600 s).
    TtlMismatch,
    /// The node's token was signed with a key the master rotated out of its JWKS.
    RotatedKey,
    /// This node's clock runs 4 s ahead of NTP and of the master.
    SkewedClock,
    /// The master's gRPC sync port accepts connections and never answers.
    SyncBlackHole,
    /// The master's gRPC server reports NOT_SERVING on its health service.
    SyncNotServing,
    /// HTTPS_PROXY points at a loopback port where no proxy listens.
    DeadProxy,
    /// HTTPS_PROXY points at a proxy that refuses CONNECT (405).
    NoConnect,
}

impl Scenario {
    /// The code the report must name as the root cause (`None` for healthy).
    pub fn expected_root_cause(self) -> Option<&'static Code> {
        use crate::check::{
            api_version, auth_params, auth_token, config_credentials, config_schema, dns,
            grpc_health, ntp, proxy, tcp, tls,
        };
        match self {
            Self::Healthy => None,
            Self::BrokenConfig => Some(&config_schema::OUT_OF_RANGE),
            Self::MissingCa => Some(&config_credentials::FILE_MISSING),
            Self::UnknownHost => Some(&dns::NXDOMAIN),
            Self::Firewalled => Some(&tcp::FILTERED),
            Self::ExpiredCert => Some(&tls::EXPIRED),
            Self::OldClient => Some(&api_version::UPGRADE_REQUIRED),
            Self::TtlMismatch => Some(&auth_params::TTL_MISMATCH),
            Self::RotatedKey => Some(&auth_token::KID_UNKNOWN),
            Self::SkewedClock => Some(&ntp::SKEW),
            Self::SyncBlackHole => Some(&grpc_health::NO_RESPONSE),
            Self::SyncNotServing => Some(&grpc_health::NOT_SERVING),
            Self::DeadProxy => Some(&proxy::UNREACHABLE),
            Self::NoConnect => Some(&proxy::REFUSED),
        }
    }

    /// What the simulated master does in this scenario.
    pub fn options(self) -> Options {
        let mut o = Options {
            zone: super::dns::Zone::default().with_localhost(),
            ..Options::default()
        };
        if self == Self::ExpiredCert {
            o.tls = TlsVariant::Expired;
        }
        if self == Self::SyncNotServing {
            o.grpc_serving = false;
        }
        if self == Self::SkewedClock {
            // The servers are 4 s behind this node, i.e. this node is 4 s ahead.
            o.ntp.offset_ms = -4000;
            o.api.date_offset_ms = -4000;
        }
        o
    }
}

/// A running demo: the simulated master and the node written for it.
#[derive(Debug)]
pub struct Demo {
    pub sim: SimMaster,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    /// The proxy environment of the node's service in this scenario (none but in the
    /// proxy scenarios, where the demo runs with these instead of the machine's own).
    pub proxy_env: Vec<(String, String)>,
}

fn write(dir: &Path, name: &str, text: &str) -> std::io::Result<PathBuf> {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&p, text)?;
    Ok(p)
}

/// Start the simulated master and write the scenario's node.
pub fn start(scenario: Scenario) -> std::io::Result<Demo> {
    let sim = SimMaster::start(scenario.options())?;
    let dir = tempfile::Builder::new().prefix("autoglm-demo-").tempdir()?;
    let d = dir.path();
    let ca = write(d, "ca-v2.1.pem", &sim.pki.ca_pem)?;
    // A token as the master issues it; after a rotation the node still holds one signed
    // with the retired key.
    let retired;
    let (signer, kid) = if scenario == Scenario::RotatedKey {
        retired = super::signing_key("master-2026-10").map_err(std::io::Error::other)?;
        (&retired.private_pem, retired.kid.as_str())
    } else {
        (&sim.signing_key.private_pem, sim.signing_key.kid.as_str())
    };
    let iat = chrono::Utc::now().timestamp() - 60;
    let jwt = crate::jwt::sign_es256(
        &serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": kid}),
        &serde_json::json!({
            "iss": format!("https://{}", super::MASTER_HOST),
            "aud": "open-autoglm",
            "sub": "demo-compute-01",
            "iat": iat,
            "exp": iat + 3600,
        }),
        signer,
    )
    .map_err(std::io::Error::other)?;
    let token = write(d, "node.token", &format!("{jwt}\n"))?;
    // A token is a secret: only the service may read it.
    std::fs::set_permissions(&token, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    // A checkpoint written just now, with its manifest.
    let model = b"demo model weights\n";
    write(
        d,
        "checkpoints/step-000001/model.bin",
        std::str::from_utf8(model).unwrap_or_default(),
    )?;
    let digest = crate::encoding::hex(&<sha2::Sha256 as sha2::Digest>::digest(model));
    write(
        d,
        "checkpoints/step-000001/MANIFEST.sha256",
        &format!("{digest}  model.bin\n"),
    )?;
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
    write(
        d,
        "logs/sync.log",
        &format!("{now} INFO sync: round 1 done in 12ms\n"),
    )?;

    let ca_path = if scenario == Scenario::MissingCa {
        d.join("ca-v2.2.pem")
    } else {
        ca
    };
    // A negative TTL and, as after a hasty edit, a misspelt copy of the key.
    let ttl = if scenario == Scenario::BrokenConfig {
        "token_ttl: -3600\n  tokn_ttl: 1800"
    } else if scenario == Scenario::TtlMismatch {
        "token_ttl: 1800"
    } else {
        "token_ttl: 3600"
    };
    let host = if scenario == Scenario::UnknownHost {
        "master-old.autoglm.test"
    } else {
        "localhost"
    };
    let a = &sim.addrs;
    let grpc = match scenario {
        Scenario::Firewalled => a.dropped.port(),
        Scenario::SyncBlackHole => a.black_hole.port(),
        _ => a.grpc.port(),
    };
    let api_version = if scenario == Scenario::OldClient {
        "2.5"
    } else {
        "3.1"
    };
    let uid = rustix::process::getuid().as_raw();
    let config = format!(
        "# Node config written by `autoglm-doctor demo` for the simulated master.
endpoint: https://{host}:{https}
model_repo: /var/lib/open-autoglm/models
node:
  id: demo-compute-01
  role: compute
  service_user: \"{uid}\"
api:
  version: \"{api_version}\"
auth:
  api_key: demo-key-7d1c-not-a-real-secret
  {ttl}
  jwt:
    algorithm: ES256
    issuer: https://{master}
    audience: open-autoglm
    key_id: {kid}
    token_file: {token}
  ca_certificate:
    path: {ca}
    version: v2.1
sync:
  ports:
    http: {http}
    grpc: {grpc}
  interval_seconds: 30
  conflict_strategy: version
  version_field: revision
time:
  timezone: {zone}
  ntp_servers:
    - 127.0.0.1:{ntp}
checkpoint:
  enabled: true
  interval_seconds: 300
  storage_path: {checkpoints}
  retention_hours: 24
network:
  nameservers:
    - 127.0.0.1:{dns}
logging:
  paths:
    - {logs}
",
        master = super::MASTER_HOST,
        // The node's own zone: the demo shows the master's problems, not the machine's.
        zone = crate::check::timezone::node_zone(std::env::var("TZ").ok().as_deref())
            .map_or_else(|| "UTC".to_string(), |(z, _)| z),
        https = a.https.port(),
        http = a.http.port(),
        ntp = a.ntp.port(),
        dns = a.dns.port(),
        kid = sim.signing_key.kid,
        token = token.display(),
        ca = ca_path.display(),
        checkpoints = d.join("checkpoints").display(),
        logs = d.join("logs").display(),
    );
    let config_path = write(d, "open-autoglm.yaml", &config)?;
    let proxy_env = match scenario {
        Scenario::DeadProxy => vec![(
            "HTTPS_PROXY".to_string(),
            format!("http://127.0.0.1:{}", a.refused.port()),
        )],
        Scenario::NoConnect => vec![(
            "HTTPS_PROXY".to_string(),
            format!("http://127.0.0.1:{}", a.no_connect.port()),
        )],
        _ => Vec::new(),
    };
    Ok(Demo {
        sim,
        dir,
        config: config_path,
        proxy_env,
    })
}
