//! The Open-AutoGLM node config schema (SPEC §6), as Rust types.
//!
//! The JSON Schema that `schema config` prints and `config.schema` validates against is
//! generated from these types (and checked in under `schema/` with a freshness test), so
//! the documentation, the validator and the code that reads typed values cannot drift.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A duration written as a number and a unit: `500ms`, `5s`, `2m`, `1h`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct DurationText(#[schemars(pattern(r"^[0-9]+(ms|s|m|h)([0-9]+(ms|s|m|h))*$"))] pub String);

/// The configuration of one Open-AutoGLM node (master or compute).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Open-AutoGLM node configuration")]
pub struct NodeConfig {
    /// The master's URL, e.g. `https://master.autoglm.example:8443`. Every sync starts here.
    #[schemars(pattern(
        r"^(https?|grpcs?)://(\[[0-9A-Fa-f:.]+\]|[^\s/:\[\]]+)(:[0-9]{1,5})?(/\S*)?$"
    ))]
    pub endpoint: String,
    /// Where models are pulled from: a URL or an absolute path.
    #[schemars(length(min = 1))]
    pub model_repo: String,
    pub node: Node,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<Api>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Auth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<Sync>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<Checkpoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication: Option<Replication>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<Recovery>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<Network>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging: Option<Logging>,
}

/// Where the service writes its logs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Logging {
    /// Log files or directories (default: /var/log/open-autoglm/).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
}

/// How this node reaches the master.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// DNS servers the node uses, as `ip` or `ip:port` (default: /etc/resolv.conf).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nameservers: Vec<String>,
}

/// Who this node is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// A name unique in the cluster, e.g. `compute-07`.
    #[schemars(length(min = 1, max = 253), pattern(r"^[A-Za-z0-9][A-Za-z0-9._-]*$"))]
    pub id: String,
    pub role: Role,
    /// The account the Open-AutoGLM service runs as (name or uid; default `open-autoglm`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub service_user: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Master,
    #[default]
    Compute,
}

/// The API version this node speaks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Api {
    /// The client API version sent as `X-API-Version`, e.g. `"2.5"` or `"3.0.1"`. Quote it:
    /// an unquoted `2.5` is a number in YAML.
    #[schemars(pattern(r"^v?[0-9]+(\.[0-9]+){0,2}$"))]
    pub version: String,
}

/// How this node authenticates to the master.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    /// The API key (secret). Prefer a `${ENV_VAR}` reference to a literal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// Lifetime of issued tokens in seconds; must equal the master's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 31_536_000))]
    pub token_ttl: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt: Option<Jwt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_certificate: Option<CaCertificate>,
}

/// JWT parameters; they must match the master's after every key rotation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Jwt {
    pub algorithm: JwtAlgorithm,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub audience: Option<String>,
    /// The `kid` of the key tokens are signed with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// PEM public key for RS/ES/EdDSA algorithms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub public_key_file: Option<String>,
    /// File holding the shared secret for HS algorithms (the secret never goes in this file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub secret_file: Option<String>,
    /// File holding this node's current token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub token_file: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum JwtAlgorithm {
    HS256,
    HS384,
    HS512,
    #[default]
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    EdDSA,
}

/// The CA bundle that signs the master's certificate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaCertificate {
    /// PEM bundle path.
    #[schemars(length(min = 1))]
    pub path: String,
    /// The CA version label (e.g. `v2.1`); must match the master's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Sync with the master.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sync {
    /// Named ports on the master, e.g. `{http: 8080, grpc: 9090}`.
    #[serde(default)]
    pub ports: BTreeMap<String, Port>,
    /// Seconds between sync rounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 86_400))]
    pub interval_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflict_strategy: Option<ConflictStrategy>,
    /// With `conflict_strategy: priority`: the field that orders two updates of equal
    /// priority, e.g. `node_id`. It must be unique per writer, or equal priorities are
    /// resolved in whatever order updates happen to arrive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(r"^[A-Za-z_][A-Za-z0-9_.-]*$"))]
    pub tie_breaker: Option<String>,
    /// The record field used for optimistic concurrency, e.g. `version`: a write carries
    /// the version it read and is refused when the stored version has moved on, instead of
    /// silently overwriting a concurrent update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(r"^[A-Za-z_][A-Za-z0-9_.-]*$"))]
    pub version_field: Option<String>,
}

/// A TCP port number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Port(#[schemars(range(min = 1, max = 65_535))] pub u32);

/// How concurrent updates are reconciled: `last-write-wins` (needs synchronised clocks),
/// `version` (optimistic locking on a version field), `priority` (needs a tie-breaker),
/// `manual`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ConflictStrategy {
    LastWriteWins,
    Version,
    Priority,
    Manual,
}

/// Time settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Time {
    /// IANA zone, e.g. `Asia/Shanghai` or `UTC`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^([A-Za-z_]+(/[A-Za-z0-9_+-]+)*|UTC)$"))]
    pub timezone: Option<String>,
    /// NTP servers as `host` or `host:port`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ntp_servers: Vec<String>,
}

/// Periodic checkpoints for recovery.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub enabled: bool,
    /// Seconds between checkpoints: the most work a crash can lose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub interval_seconds: Option<u64>,
    /// Directory the checkpoints are written to (relative paths are taken from the
    /// config file's directory). One entry per checkpoint: a file or a directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub storage_path: Option<String>,
    /// Hours a checkpoint is kept before it is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub retention_hours: Option<u64>,
    /// How the service reaches an `s3://` storage path: the S3 API endpoint and region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<CheckpointS3>,
}

/// The S3 API the checkpoints are written to, when `storage_path` is `s3://bucket/prefix`.
/// Unset values fall back to `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, `AWS_REGION` and
/// `AWS_DEFAULT_REGION`, then to AWS itself (`https://s3.<region>.amazonaws.com`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckpointS3 {
    /// The S3 API endpoint of an S3-compatible store (MinIO, Ceph RGW, a private AWS
    /// endpoint), e.g. `https://minio.storage.example:9000`; buckets are addressed in path
    /// style (`endpoint/bucket`, after the endpoint's own path if it has one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(
        r"^https?://(\[[0-9A-Fa-f:.]+\]|[^\s/:\[\]@]+)(:[0-9]{1,5})?(/[^\s?#]*)?$"
    ))]
    pub endpoint: Option<String>,
    /// The bucket's region, e.g. `eu-west-1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1), pattern(r"^[a-z0-9-]+$"))]
    pub region: Option<String>,
}

/// Cross-cluster replication.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Replication {
    pub mode: ReplicationMode,
    /// How often changes are shipped to the replicas, e.g. `5s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_interval: Option<DurationText>,
    /// How long a replica may stay silent before it is declared failed, e.g. `30s`; must
    /// be several sync intervals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_threshold: Option<DurationText>,
    /// Whether a failed side is failed over to the replica cluster.
    #[serde(default)]
    pub enable_failover: bool,
    /// Endpoints of the replica cluster, e.g. `https://dr-master.autoglm.example:8443`:
    /// where replication sends data and where failover goes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replicas: Vec<ReplicaUrl>,
}

/// How the node recovers from a failed task: the strategy, when to give up on a backend,
/// and where state is restored from. Its keys are camelCase, as Open-AutoGLM writes them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Recovery {
    /// `adaptive` picks a backend by the observed failure rate; `checkpoint` always
    /// restores from the newest checkpoint; `replica` always fails over to a replica.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<RecoveryStrategy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<RecoveryThresholds>,
    /// Where state is restored from, in order of preference.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backends: Vec<RecoveryBackend>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RecoveryStrategy {
    Adaptive,
    Checkpoint,
    Replica,
}

/// When recovery switches backend.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RecoveryThresholds {
    /// Share of failed attempts (0 to 1) above which the next backend is tried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub failure_rate: Option<f64>,
    /// Wait between recovery attempts, e.g. `5s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_delay: Option<DurationText>,
}

/// One place state is restored from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoveryBackend {
    #[serde(rename = "type")]
    pub kind: RecoveryBackendKind,
    /// Where checkpoints are read from: a path or an object-store URL (`s3://bucket/prefix`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub target: Option<String>,
    /// Replica locations (cluster or region names).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub location: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RecoveryBackendKind {
    Checkpoint,
    Replica,
}

/// A replica endpoint URL (same form as `endpoint`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct ReplicaUrl(
    #[schemars(pattern(
        r"^(https?|grpcs?)://(\[[0-9A-Fa-f:.]+\]|[^\s/:\[\]]+)(:[0-9]{1,5})?(/\S*)?$"
    ))]
    pub String,
);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ReplicationMode {
    #[default]
    Async,
    Sync,
    SemiSync,
}

/// The JSON Schema of the node config.
pub fn json_schema() -> serde_json::Value {
    // Optional settings are simply not required; `null` is not an accepted value, and no
    // `anyOf` wrapping hides the real error behind "does not match any of".
    let mut schema = schemars::schema_for!(NodeConfig).to_value();
    strip_null(&mut schema);
    if let Some(obj) = schema.as_object_mut() {
        obj.insert(
            "$id".into(),
            "https://open-autoglm.invalid/schema/config.schema.json".into(),
        );
    }
    schema
}

/// Whether the schema knows the key path `path` (mapping keys from the top, sequence levels
/// left out): each key is a declared property, or sits in a map of free keys
/// (`additionalProperties` with a schema, e.g. `sync.ports`).
pub fn is_known_path(path: &[&str]) -> bool {
    static SCHEMA: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    let root = SCHEMA.get_or_init(json_schema);
    let deref = |mut node: &'static serde_json::Value| -> &'static serde_json::Value {
        for _ in 0..16 {
            if let Some(r) = node.get("$ref").and_then(serde_json::Value::as_str)
                && let Some(name) = r.strip_prefix("#/$defs/")
                && let Some(def) = root.get("$defs").and_then(|d| d.get(name))
            {
                node = def;
            } else if node.get("properties").is_none()
                && let Some(items) = node.get("items")
            {
                node = items;
            } else {
                break;
            }
        }
        node
    };
    let mut node = deref(root);
    for key in path {
        if let Some(p) = node.get("properties").and_then(|p| p.get(*key)) {
            node = deref(p);
        } else if let Some(extra) = node.get("additionalProperties").filter(|a| a.is_object()) {
            node = deref(extra);
        } else {
            return false;
        }
    }
    true
}

/// Turn `anyOf: [X, {type: null}]` into `X` and `type: [T, "null"]` into `T`.
fn strip_null(v: &mut serde_json::Value) {
    use serde_json::Value as J;
    match v {
        J::Object(map) => {
            if let Some(J::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types[0].clone();
                    map.insert("type".into(), only);
                }
            }
            let any_of = map.get("anyOf").and_then(J::as_array).cloned();
            if let Some(options) = any_of {
                let rest: Vec<J> = options
                    .into_iter()
                    .filter(|o| o.get("type") != Some(&J::from("null")))
                    .collect();
                if let [only] = rest.as_slice()
                    && let Some(only) = only.as_object()
                {
                    map.remove("anyOf");
                    for (k, val) in only {
                        map.entry(k.clone()).or_insert_with(|| val.clone());
                    }
                }
            }
            for val in map.values_mut() {
                strip_null(val);
            }
        }
        J::Array(items) => items.iter_mut().for_each(strip_null),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_forbids_unknown_keys_and_requires_the_basics() {
        let schema = json_schema();
        assert_eq!(schema["additionalProperties"], false);
        let required = schema["required"].as_array().unwrap();
        for key in ["endpoint", "model_repo", "node"] {
            assert!(required.iter().any(|r| r == key), "{key} not required");
        }
    }
}
