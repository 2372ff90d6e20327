//! Demo scenarios: a simulated master plus a matching node config, each showing one way a
//! node fails to sync (or none, for `healthy`). The list grows with the checks.

use std::path::{Path, PathBuf};

use super::{Options, SimMaster};

/// A demo scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// Everything in order: every check passes.
    Healthy,
    /// The node config has a negative token TTL and a misspelt key.
    BrokenConfig,
    /// The CA bundle the config names is missing (after a CA rotation).
    MissingCa,
}

impl Scenario {
    /// The code the report must name as the root cause (`None` for healthy).
    pub fn expected_root_cause(self) -> Option<&'static str> {
        match self {
            Self::Healthy => None,
            Self::BrokenConfig => Some("config.schema.out-of-range"),
            Self::MissingCa => Some("config.credentials.file-missing"),
        }
    }

    /// What the simulated master does in this scenario.
    pub fn options(self) -> Options {
        Options::default()
    }
}

/// A running demo: the simulated master and the node config written for it.
#[derive(Debug)]
pub struct Demo {
    pub sim: SimMaster,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
}

fn write(dir: &Path, name: &str, text: &str) -> std::io::Result<PathBuf> {
    let p = dir.join(name);
    std::fs::write(&p, text)?;
    Ok(p)
}

/// Start the simulated master and write the scenario's node config.
pub fn start(scenario: Scenario) -> std::io::Result<Demo> {
    let sim = SimMaster::start(scenario.options())?;
    let dir = tempfile::Builder::new().prefix("autoglm-demo-").tempdir()?;
    let ca = write(dir.path(), "ca-v2.1.pem", &sim.pki.ca_pem)?;
    let token = write(
        dir.path(),
        "node.token",
        "eyJhbGciOiJFUzI1NiJ9.demo.token\n",
    )?;
    let ca_path = if scenario == Scenario::MissingCa {
        dir.path().join("ca-v2.2.pem")
    } else {
        ca
    };
    // A negative TTL and, as after a hasty edit, a misspelt copy of the key.
    let ttl = if scenario == Scenario::BrokenConfig {
        "token_ttl: -3600\n  tokn_ttl: 1800"
    } else {
        "token_ttl: 3600"
    };
    let a = &sim.addrs;
    let config = format!(
        "# Node config written by `autoglm-doctor demo` for the simulated master.
endpoint: https://{host}:{https}
model_repo: /var/lib/open-autoglm/models
node:
  id: demo-compute-01
  role: compute
api:
  version: \"3.1\"
auth:
  api_key: demo-key-7d1c-not-a-real-secret
  {ttl}
  jwt:
    algorithm: ES256
    issuer: https://{host}
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
time:
  timezone: UTC
  ntp_servers:
    - 127.0.0.1:{ntp}
",
        host = super::MASTER_HOST,
        https = a.https.port(),
        http = a.http.port(),
        grpc = a.open.port(),
        ntp = a.ntp.port(),
        kid = sim.signing_key.kid,
        token = token.display(),
        ca = ca_path.display(),
        ttl = ttl,
    );
    let config_path = write(dir.path(), "open-autoglm.yaml", &config)?;
    Ok(Demo {
        sim,
        dir,
        config: config_path,
    })
}
