//! `auth-params`: this node's auth parameters side by side with the master's — token TTL,
//! CA certificate version and fingerprint, signing algorithm, issuer, audience, key id and
//! signing-key fingerprint — one failing finding per parameter that differs.
//!
//! After a key rotation that did not reach every node, or with
//! `auth_token_ttl` 3600 on the master and 1800 on a compute node, the node is refused.
//! The master's values come from a copy of its config (`--master-config`, no network) and
//! from the master itself (`/api/auth/params`, `/.well-known/jwks.json`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::endpoint::{self, Codes};
use super::{CheckKind, Context, KindInfo, Text, seam_code};
use crate::config::ConfigSource;
use crate::config::setting::{str_at, u64_at};
use crate::jwt::PublicKey;
use crate::probe::fs;
use crate::probe::http::{Condition, HttpUrl, Redirects, Request, UrlPath, describe};
use crate::report::Code;
use crate::report::{Cause, Evaluation, Finding, Status};
use crate::secret::fingerprint;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The master's URL (e.g. `${config.endpoint}`); its auth parameters and JWKS are read
    /// from it unless the run is `--offline`.
    #[serde(default)]
    pub url: Option<HttpUrl>,
    /// PEM CA bundle for https (relative paths from the node config's directory).
    #[serde(default)]
    pub ca_file: Option<Text>,
    /// Where the master serves its auth parameters.
    #[serde(default = "params_path")]
    pub params_path: UrlPath,
    /// Where the master serves its signing keys.
    #[serde(default = "jwks_path")]
    pub jwks_path: UrlPath,
}

fn params_path() -> UrlPath {
    UrlPath::parse("/api/auth/params").unwrap_or_else(|_| unreachable!())
}

fn jwks_path() -> UrlPath {
    UrlPath::parse("/.well-known/jwks.json").unwrap_or_else(|_| unreachable!())
}

/// One side's auth parameters. Secrets are held as fingerprints only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Side {
    pub token_ttl: Option<u64>,
    pub ca_version: Option<String>,
    /// Full SHA-256 (hex) of the first certificate of the CA bundle.
    pub ca_sha256: Option<String>,
    pub algorithm: Option<String>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub key_id: Option<String>,
    /// Fingerprint of the signature-verifying public key.
    pub key_fingerprint: Option<String>,
    /// Fingerprint of the shared HS secret.
    pub secret_fingerprint: Option<String>,
}

impl Side {
    /// Fill what this side lacks from `other` (a master config first, then the master).
    fn or(mut self, other: Side) -> Self {
        self.token_ttl = self.token_ttl.or(other.token_ttl);
        self.ca_version = self.ca_version.or(other.ca_version);
        self.ca_sha256 = self.ca_sha256.or(other.ca_sha256);
        self.algorithm = self.algorithm.or(other.algorithm);
        self.issuer = self.issuer.or(other.issuer);
        self.audience = self.audience.or(other.audience);
        self.key_id = self.key_id.or(other.key_id);
        self.key_fingerprint = self.key_fingerprint.or(other.key_fingerprint);
        self.secret_fingerprint = self.secret_fingerprint.or(other.secret_fingerprint);
        self
    }

    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The master's signing keys as published in its JWKS (public members only).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Jwks {
    pub keys: Vec<Value>,
}

impl Jwks {
    pub fn kids(&self) -> Vec<String> {
        self.keys
            .iter()
            .filter_map(|k| k.get("kid").and_then(Value::as_str).map(str::to_string))
            .collect()
    }

    pub fn key(&self, kid: &str) -> Option<&Value> {
        self.keys
            .iter()
            .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid))
    }
}

super::generated_codes!("auth-params");

/// `auth.token_ttl` differs from the master's.
pub const TTL_MISMATCH: Code = Code::new(
    "auth-params.ttl-mismatch",
    Status::Fail,
    "`auth.token_ttl` differs from the master's.",
    "Set `auth.token_ttl` to the master's value and restart the service.",
)
.was(&["auth.ttl-mismatch"]);

/// `auth.ca_certificate.version` differs from the master's (a CA rotation this node missed).
pub const CA_VERSION_MISMATCH: Code = Code::new(
    "auth-params.ca-version-mismatch",
    Status::Fail,
    "`auth.ca_certificate.version` differs from the master's (a CA rotation this node missed).",
    "Install the master's CA version and set `auth.ca_certificate.version` to it.",
)
.was(&["auth.ca-version-mismatch"]);

/// The CA certificate in this node's bundle is not the one in the master's (fingerprints differ).
pub const CA_MISMATCH: Code = Code::new(
"auth-params.ca-mismatch",
Status::Fail,
"The CA certificate in this node's bundle is not the one in the master's (fingerprints differ).",
"Copy the master's CA bundle to `auth.ca_certificate.path`.",
)
.was(&["auth.ca-mismatch"]);

/// `auth.jwt.algorithm` differs from the master's.
pub const ALG_MISMATCH: Code = Code::new(
    "auth-params.alg-mismatch",
    Status::Fail,
    "`auth.jwt.algorithm` differs from the master's.",
    "Set `auth.jwt.algorithm` to the master's algorithm.",
)
.was(&["auth.alg-mismatch"]);

/// `auth.jwt.issuer` differs from the master's.
pub const ISSUER_MISMATCH: Code = Code::new(
    "auth-params.issuer-mismatch",
    Status::Fail,
    "`auth.jwt.issuer` differs from the master's.",
    "Set `auth.jwt.issuer` to the master's issuer.",
)
.was(&["auth.issuer-mismatch"]);

/// `auth.jwt.audience` differs from the master's.
pub const AUDIENCE_MISMATCH: Code = Code::new(
    "auth-params.audience-mismatch",
    Status::Fail,
    "`auth.jwt.audience` differs from the master's.",
    "Set `auth.jwt.audience` to the master's audience.",
)
.was(&["auth.audience-mismatch"]);

/// `auth.jwt.key_id` is not the master's signing key, and the master's JWKS does not list it (a key rotation not synchronised).
pub const KEY_ID_MISMATCH: Code = Code::new(
"auth-params.key-id-mismatch",
Status::Fail,
"`auth.jwt.key_id` is not the master's signing key, and the master's JWKS does not list it (a key rotation not synchronised).",
"Install the master's current public key, set `auth.jwt.key_id` to its kid and fetch a new token.",
)
.was(&["auth.key-id-mismatch"]);

/// `auth.jwt.key_id` is still in the master's JWKS, but the master now signs with another key: this node breaks when the old key is retired.
pub const KEY_ID_RETIRING: Code = Code::new(
"auth-params.key-id-retiring",
Status::Warn,
"`auth.jwt.key_id` is still in the master's JWKS, but the master now signs with another key: this node breaks when the old key is retired.",
"Switch `auth.jwt.key_id` and the public key to the master's current key before the old one is retired.",
)
.was(&["auth.key-id-retiring"]);

/// The public key this node verifies with is not the master's signing key (fingerprints differ).
pub const KEY_MISMATCH: Code = Code::new(
    "auth-params.key-mismatch",
    Status::Fail,
    "The public key this node verifies with is not the master's signing key (fingerprints differ).",
    "Replace `auth.jwt.public_key_file` with the master's current public key.",
)
.was(&["auth.key-mismatch"]);

/// The shared HS secret differs from the master's (fingerprints differ).
pub const SECRET_MISMATCH: Code = Code::new(
    "auth-params.secret-mismatch",
    Status::Fail,
    "The shared HS secret differs from the master's (fingerprints differ).",
    "Copy the master's current secret into `auth.jwt.secret_file`.",
)
.was(&["auth.secret-mismatch"]);

/// Nothing to compare with: no `--master-config` was given and the master was not asked (offline, or no `url`).
pub const NO_MASTER_VALUES: Code = Code::new(
"auth-params.no-master-values",
Status::Skip,
"Nothing to compare with: no `--master-config` was given and the master was not asked (offline, or no `url`).",
"Run with --master-config PATH (a copy of the master's config), or online with the check's `url` set.",
)
.was(&["auth.no-master-values"]);

/// The master answered, but not with usable auth parameters.
pub const MASTER_UNAVAILABLE: Code = Code::new(
    "auth-params.master-unavailable",
    Status::Fail,
    "The master answered, but its auth parameters and JWKS are not usable (an error status, not JSON, or neither endpoint exists).",
    "Fix the connection to the master (see the tls and http checks), or give --master-config PATH.",
)
.was(&["auth.master-unavailable"]);

/// The file given with --master-config cannot be read or is not valid YAML.
pub const MASTER_CONFIG_UNREADABLE: Code = Code::new(
    "auth-params.master-config-unreadable",
    Status::Fail,
    "The file given with --master-config cannot be read or is not valid YAML.",
    "Give --master-config the path of a readable copy of the master's config.",
)
.was(&["auth.master-config-unreadable"]);

/// The copy of the master's config does not match the config schema.
pub const MASTER_CONFIG_INVALID: Code = Code::new(
    "auth-params.master-config-invalid",
    Status::Warn,
    "The copy of the master's config given with --master-config does not match the config schema (`autoglm-doctor schema config`): a key the schema does not know (often a typo the master ignores), a value of the wrong type, a missing or out-of-range setting. The comparison uses the values that are valid; a parameter written with the wrong type or under a misspelt key is compared as not set.",
    "Correct the master's config at the file:line:col named (and this copy of it), or give --master-config a current copy of the master's config.",
);

pub const CA_UNREADABLE: Code =
    seam_code!("auth-params.ca-unreadable", CaUnreadable).was(&["auth.ca-unreadable"]);
pub const BAD_URL: Code = seam_code!("auth-params.bad-url", BadUrl);
pub const UNRESOLVED: Code = seam_code!("auth-params.unresolved", Unresolved);
pub const CONNECTION_FAILED: Code = seam_code!("auth-params.connection-failed", ConnectionFailed);
pub const TLS_FAILED: Code = seam_code!("auth-params.tls-failed", TlsFailed);
pub const NO_RESPONSE: Code = seam_code!("auth-params.no-response", NoResponse);
pub const NOT_HTTP: Code = seam_code!("auth-params.not-http", NotHttp);

super::seam_proxy_codes!("auth-params");

super::seam_codes!();

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "auth-params",
        category: "auth",
        summary: "This node's auth parameters (token TTL, CA version, JWT algorithm, issuer, audience, key) match the master's",
        explain: "What it checks: this node's `auth` settings side by side with the master's, as a table — parameter | master | this node | match: `token_ttl`, `ca_certificate.version` and the CA certificate's fingerprint, `jwt.algorithm`, `jwt.issuer`, `jwt.audience`, `jwt.key_id` (and whether the master's JWKS still lists it), the fingerprint of the signature-verifying public key and of the shared HS secret. The master's values come from a copy of its config given with `--master-config PATH` (read locally, so the comparison also runs under `--offline`) and, when online, from the master itself: `/api/auth/params` and `/.well-known/jwks.json`. A copy of the master's config wins over what the master serves. Secrets are compared by SHA-256 fingerprint and never shown.\n\nWhy it matters: nodes authenticate with JWTs. After a key rotation that did not reach every node, or with a token TTL or CA version that differs (for example a master `auth_token_ttl` of 3600 and a node's of 1800), the master refuses the node's tokens and sync fails with 401 — and every parameter looks plausible on its own.\n\nHow to fix: copy the master's value of each mismatching parameter (the table names both) into this node's config and restart the service; after a key rotation, install the new key, set `auth.jwt.key_id` to the master's current kid and fetch a new token.",
        default_timeout: Duration::from_secs(10),
        network: false,
        reads_config: true,
        codes: &[
            TTL_MISMATCH,
            CA_VERSION_MISMATCH,
            CA_MISMATCH,
            ALG_MISMATCH,
            ISSUER_MISMATCH,
            AUDIENCE_MISMATCH,
            KEY_ID_MISMATCH,
            KEY_ID_RETIRING,
            KEY_MISMATCH,
            SECRET_MISMATCH,
            NO_MASTER_VALUES,
            MASTER_UNAVAILABLE,
            MASTER_CONFIG_UNREADABLE,
            MASTER_CONFIG_INVALID,
            CA_UNREADABLE,
            PROXY_UNREACHABLE,
            PROXY_REFUSED,
            PROXY_AUTH_REQUIRED,
            PROXY_AUTH_REJECTED,
            PROXY_UPSTREAM,
            BAD_URL,
            UNRESOLVED,
            CONNECTION_FAILED,
            TLS_FAILED,
            NO_RESPONSE,
            NOT_HTTP,
        ],
        generated: GENERATED,
        aliases: &[],
        // The proxy check judges the path through the proxy first: when it fails, it is
        // the root cause and this check waits.
        implicit_needs: &["proxy"],
        gates_config: false,
        uses_master_config: true,
        config_facts: &[
            ("auth.token_ttl", "/auth/token_ttl"),
            (
                "auth.ca_certificate.version",
                "/auth/ca_certificate/version",
            ),
            ("auth.jwt.algorithm", "/auth/jwt/algorithm"),
        ],
    };

    fn network(_spec: &Spec) -> bool {
        // Runs under --offline too (with --master-config); it asks the master only online.
        false
    }

    async fn run(spec: &Spec, ctx: &Context) -> Evaluation {
        let Some(node_src) = ctx.config.tree().map(|_| &*ctx.config) else {
            return super::blocked(
                &BLOCKED,
                "not run: the node config is not readable YAML",
                "fix the config.file and config.syntax checks first",
            );
        };
        let env = |n: &str| ctx.env.var(n);
        let node = side_from_config(node_src, &env).await;
        let mut sources = Vec::new();
        let mut problems = Vec::new();
        let mut master = Side::default();
        if let Some(m) = &ctx.master_config {
            if m.tree().is_some() {
                master = side_from_config(m, &env).await;
                sources.push(format!("--master-config {}", m.display_path()));
            } else {
                problems.push(Finding::new(&MASTER_CONFIG_UNREADABLE, format!(
                        "--master-config {} cannot be read as YAML",
                        m.display_path()
                    ),
                    format!(
                        "give --master-config the path of a readable copy of the master's config (not {})",
                        m.display_path()
                    ),
                ));
            }
        }
        let mut jwks = None;
        if let Some(url) = spec.url.as_ref().filter(|_| !ctx.offline) {
            match Box::pin(fetch(spec, url, ctx)).await {
                Ok((mut served, keys, from)) => {
                    // The CA the master presented in its TLS chain (published by the tls check).
                    if served.ca_sha256.is_none() {
                        served.ca_sha256 = ctx
                            .facts
                            .get("tls.master_ca.sha256")
                            .and_then(|v| v.as_str())
                            .map(str::to_string);
                    }
                    master = master.or(served);
                    jwks = keys;
                    sources.push(from);
                }
                Err(mut w) if ctx.master_config.is_some() && problems.is_empty() => {
                    // The copy of the master's config still gives a comparison.
                    if w.status == Status::Fail {
                        w.status = Status::Warn;
                    }
                    problems.push(w);
                }
                Err(e) => problems.push(e),
            }
        }
        let mut eval = judge(&node, &master, jwks.as_ref(), &sources.join(" and "));
        if !problems.is_empty() {
            let only_problems = master.is_empty();
            if only_problems {
                eval.findings.clear();
                eval.cause = Some(Cause::ProbeError);
            }
            eval.findings.splice(0..0, problems);
        }
        // The copy of the master's config against the same schema as the node's own: a
        // misspelt key or a wrong type there would otherwise be compared as "not set".
        if let Some(m) = ctx.master_config.as_ref().filter(|m| m.tree().is_some()) {
            let m = Arc::clone(m);
            let schema =
                super::on_blocking_pool(&INTERNAL, "master config validation", move || {
                    Evaluation::of(master_config_problems(&m))
                })
                .await;
            eval.findings.extend(
                schema
                    .findings
                    .into_iter()
                    .filter(|f| f.status != Status::Pass),
            );
        }
        eval
    }
}

fn resolve(raw: &str, env: &(dyn Fn(&str) -> Option<String> + Sync)) -> Option<String> {
    match crate::config::env_ref(raw) {
        Some(var) => env(var),
        None => Some(raw.to_string()),
    }
}

fn file_of(src: &ConfigSource, value: &str) -> PathBuf {
    if Path::new(value).is_absolute() {
        PathBuf::from(value)
    } else {
        src.path
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default()
            .join(value)
    }
}

/// Read one side's parameters from a node config (this node's or a copy of the master's).
pub async fn side_from_config(
    src: &ConfigSource,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Side {
    let Some(tree) = src.tree() else {
        return Side::default();
    };
    let text = |p: &str| {
        str_at(tree, p)
            .value()
            .and_then(|v| resolve(v, env))
            .filter(|v| !v.trim().is_empty())
    };
    // Files named by the config are read bounded and off the runtime thread: a FIFO or
    // `/dev/zero` named as the master's secret file is refused, not waited on.
    let read = |p: &str| {
        let path = text(p).map(|v| file_of(src, &v));
        async move {
            match path {
                Some(path) => fs::read_bounded(path, fs::BUNDLE_CAP).await.ok(),
                None => None,
            }
        }
    };
    let ca_sha256 = read("/auth/ca_certificate/path").await.and_then(|b| {
        crate::probe::tls::load_pem(&b)
            .first()
            .map(|c| crate::encoding::hex(&<sha2::Sha256 as sha2::Digest>::digest(c.as_ref())))
    });
    let key_fingerprint = read("/auth/jwt/public_key_file")
        .await
        .and_then(|b| PublicKey::from_pem(&b).ok())
        .map(|k| k.fingerprint());
    let secret_fingerprint = read("/auth/jwt/secret_file")
        .await
        .and_then(|b| String::from_utf8(b).ok())
        .map(|s| fingerprint(s.trim()));
    Side {
        token_ttl: u64_at(tree, "/auth/token_ttl").value().copied(),
        ca_version: text("/auth/ca_certificate/version"),
        ca_sha256,
        algorithm: text("/auth/jwt/algorithm"),
        issuer: text("/auth/jwt/issuer"),
        audience: text("/auth/jwt/audience"),
        key_id: text("/auth/jwt/key_id"),
        key_fingerprint,
        secret_fingerprint,
    }
}

/// The master's parameters as it serves them (`/api/auth/params`, `/.well-known/jwks.json`).
pub fn side_from_master(params: Option<&Value>, jwks: Option<&Jwks>) -> Side {
    let s = |k: &str| {
        params
            .and_then(|p| p.get(k))
            .and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|v| !v.is_empty())
    };
    let key_id = s("key_id").or_else(|| {
        // One key and no parameters: that key is the signing key.
        jwks.filter(|j| j.keys.len() == 1)
            .and_then(|j| j.kids().into_iter().next())
    });
    let key_fingerprint = key_id
        .as_deref()
        .and_then(|kid| jwks.and_then(|j| j.key(kid)))
        .and_then(|k| PublicKey::from_jwk(k).ok())
        .map(|k| k.fingerprint());
    Side {
        token_ttl: params
            .and_then(|p| p.get("token_ttl"))
            .and_then(Value::as_u64),
        ca_version: s("ca_version"),
        ca_sha256: None,
        algorithm: s("algorithm"),
        issuer: s("issuer"),
        audience: s("audience"),
        key_id,
        key_fingerprint,
        secret_fingerprint: None,
    }
}

async fn fetch(
    spec: &Spec,
    url: &HttpUrl,
    ctx: &Context,
) -> Result<(Side, Option<Jwks>, String), Finding> {
    let unavailable = |why: String| {
        Finding::new(
            &MASTER_UNAVAILABLE,
            format!("cannot read the master's auth parameters: {why}"),
            format!(
                "fix what the master serves at {} (see the http check), or run with --master-config PATH (a copy of the master's config)",
                url.origin()
            ),
        )
    };
    let policy = Redirects::SameHost;
    let setup = endpoint::setup(ctx, url, spec.ca_file.as_ref(), None, policy)
        .await
        .map_err(|f| endpoint::finding(CODES, describe(url, None, &f)))?;
    let http = setup.client(ctx, policy);
    let get = |path: &UrlPath| {
        let request = Request::get(url.with_path(path));
        let http = &http;
        async move {
            let x = http.send(request).await;
            match &x.result {
                Ok(resp) if resp.status == 200 => serde_json::from_slice::<Value>(&resp.body)
                    .map(Some)
                    .map_err(|_| unavailable(format!("{} did not answer JSON", x.url))),
                Ok(resp) if resp.status == 404 => Ok(None),
                Ok(resp) => Err(unavailable(format!("{} answered {}", x.url, resp.status))),
                Err(f) => Err(endpoint::finding(CODES, describe(&x.url, x.addr, f))),
            }
        }
    };
    let (params, keys) = tokio::join!(get(&spec.params_path), get(&spec.jwks_path));
    let params = params?;
    let keys = keys?;
    let jwks = keys.map(|k| Jwks {
        keys: k
            .get("keys")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(crate::jwt::public_jwk).collect())
            .unwrap_or_default(),
    });
    if params.is_none() && jwks.is_none() {
        return Err(unavailable(format!(
            "neither {} nor {} exists on the master",
            spec.params_path, spec.jwks_path
        )));
    }
    Ok((
        side_from_master(params.as_ref(), jwks.as_ref()),
        jwks,
        format!("the master at {}", url.origin()),
    ))
}

fn shown<T: ToString>(v: Option<&T>) -> Value {
    v.map_or(Value::Null, |v| Value::String(v.to_string()))
}

fn short_sha(hex: &str) -> String {
    format!("sha256:{}", hex.get(..12).unwrap_or(hex))
}

/// (parameter, setting, code, master, node, required).
type Row = (
    &'static str,
    &'static str,
    &'static Code,
    Option<String>,
    Option<String>,
    bool,
);

/// Compare the two sides. `jwks` is the master's key set when it was fetched; `source`
/// says where the master's values came from.
pub fn judge(node: &Side, master: &Side, jwks: Option<&Jwks>, source: &str) -> Evaluation {
    if master.is_empty() {
        let mut e = Evaluation::single(Finding::new(
            &NO_MASTER_VALUES,
            "nothing to compare with: no --master-config given and the master was not asked",
            "run with --master-config /path/to/master-config.yaml (a copy of the master's config), or online with `url: ${config.endpoint}` in the check",
        ));
        e.cause = Some(Cause::Dependency);
        return e;
    }
    let mut rows = Vec::new();
    let mut findings = Vec::new();
    // (parameter, setting, code, master, node, required): `required` parameters fail when
    // this node does not set what the master does; fingerprints are compared only when
    // both sides are known.
    let ttl = |s: &Side| s.token_ttl.map(|t| t.to_string());
    let ca = |s: &Side| s.ca_sha256.as_deref().map(short_sha);
    let params: [Row; 9] = [
        (
            "token_ttl",
            "auth.token_ttl",
            &TTL_MISMATCH,
            ttl(master),
            ttl(node),
            true,
        ),
        (
            "ca_certificate.version",
            "auth.ca_certificate.version",
            &CA_VERSION_MISMATCH,
            master.ca_version.clone(),
            node.ca_version.clone(),
            true,
        ),
        (
            "CA certificate fingerprint",
            "auth.ca_certificate.path",
            &CA_MISMATCH,
            ca(master),
            ca(node),
            false,
        ),
        (
            "jwt.algorithm",
            "auth.jwt.algorithm",
            &ALG_MISMATCH,
            master.algorithm.clone(),
            node.algorithm.clone(),
            true,
        ),
        (
            "jwt.issuer",
            "auth.jwt.issuer",
            &ISSUER_MISMATCH,
            master.issuer.clone(),
            node.issuer.clone(),
            true,
        ),
        (
            "jwt.audience",
            "auth.jwt.audience",
            &AUDIENCE_MISMATCH,
            master.audience.clone(),
            node.audience.clone(),
            true,
        ),
        (
            "jwt.key_id",
            "auth.jwt.key_id",
            &KEY_ID_MISMATCH,
            master.key_id.clone(),
            node.key_id.clone(),
            true,
        ),
        (
            "signing key fingerprint",
            "auth.jwt.public_key_file",
            &KEY_MISMATCH,
            master.key_fingerprint.clone(),
            node.key_fingerprint.clone(),
            false,
        ),
        (
            "HS secret fingerprint",
            "auth.jwt.secret_file",
            &SECRET_MISMATCH,
            master.secret_fingerprint.clone(),
            node.secret_fingerprint.clone(),
            false,
        ),
    ];
    let kids = jwks.map(Jwks::kids);
    for (parameter, setting, code, m, n, required) in params {
        let matched = match (&m, &n) {
            (Some(a), Some(b)) => Some(a == b),
            (Some(_), None) if required => Some(false),
            _ => None,
        };
        if m.is_none() && n.is_none() {
            continue;
        }
        rows.push(json!({
            "parameter": parameter,
            "master": shown(m.as_ref()),
            "node": shown(n.as_ref()),
            "match": matched,
        }));
        if matched != Some(false) {
            continue;
        }
        let master_v = m.clone().unwrap_or_default();
        let node_v = n.clone().unwrap_or_else(|| "not set".into());
        let finding = if code == &KEY_ID_MISMATCH {
            let listed = kids
                .as_ref()
                .is_some_and(|k| n.as_ref().is_some_and(|n| k.contains(n)));
            if listed {
                Finding::new(
                    &KEY_ID_RETIRING,
                    format!(
                        "{parameter}: this node uses key {node_v}, the master now signs with {master_v} (the master's JWKS still lists {node_v})"
                    ),
                    format!(
                        "set `{setting}` to {master_v}, install the master's public key for {master_v} and fetch a new token before {node_v} is retired"
                    ),
                )
            } else {
                let why = if kids.is_some() {
                    format!(
                        " and the master's JWKS does not list {node_v}: the key rotation did not reach this node"
                    )
                } else {
                    String::new()
                };
                Finding::new(
                    code,
                    format!("{parameter}: master {master_v}, this node {node_v}{why}"),
                    format!(
                        "set `{setting}` to {master_v}, install the master's public key for {master_v} and fetch a new token"
                    ),
                )
            }
        } else if code == &CA_MISMATCH || code == &KEY_MISMATCH || code == &SECRET_MISMATCH {
            Finding::new(
                code,
                format!("{parameter}: master {master_v}, this node {node_v}"),
                format!(
                    "copy the master's file into `{setting}` (its fingerprint must be {master_v}) and restart the service"
                ),
            )
        } else {
            Finding::new(
                code,
                format!("{parameter}: master {master_v}, this node {node_v}"),
                format!(
                    "set `{setting}` to {master_v} (the master's value) and restart the service"
                ),
            )
        };
        findings.push(
            finding
                .with("parameter", parameter)
                .with("master", master_v)
                .with("node", node_v),
        );
    }
    let compared = rows.iter().filter(|r| r["match"].is_boolean()).count();
    let differing = findings.iter().filter(|f| f.status == Status::Fail).count();
    if findings.is_empty() {
        findings.push(Finding::pass(format!(
            "{compared} auth parameters match the master's ({source})"
        )));
    }
    let mut eval = Evaluation::of(findings);
    if differing > 1 {
        eval.message = Some(format!(
            "{differing} of {compared} auth parameters differ from the master's ({source})"
        ));
    }
    eval.evidence
        .insert("comparison".into(), Value::Array(rows));
    eval.evidence.insert("master_source".into(), source.into());
    let mut fact = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            eval.facts.insert(k.to_string(), v);
        }
    };
    fact("auth.master.token_ttl", master.token_ttl.map(Into::into));
    fact(
        "auth.master.ca_version",
        master.ca_version.clone().map(Into::into),
    );
    fact(
        "auth.master.algorithm",
        master.algorithm.clone().map(Into::into),
    );
    fact("auth.master.issuer", master.issuer.clone().map(Into::into));
    fact(
        "auth.master.audience",
        master.audience.clone().map(Into::into),
    );
    fact("auth.master.key_id", master.key_id.clone().map(Into::into));
    fact(
        "auth.master.key_fingerprint",
        master.key_fingerprint.clone().map(Into::into),
    );
    fact("auth.master.jwks.kids", kids.map(Into::into));
    fact(
        "auth.master.jwks",
        jwks.map(|j| Value::Array(j.keys.clone())),
    );
    fact("auth.jwt.issuer", node.issuer.clone().map(Into::into));
    fact("auth.jwt.audience", node.audience.clone().map(Into::into));
    fact("auth.jwt.key_id", node.key_id.clone().map(Into::into));
    fact(
        "auth.jwt.key_fingerprint",
        node.key_fingerprint.clone().map(Into::into),
    );
    fact(
        "auth.jwt.secret_fingerprint",
        node.secret_fingerprint.clone().map(Into::into),
    );
    fact(
        "auth.ca_certificate.sha256",
        node.ca_sha256.clone().map(Into::into),
    );
    eval
}

/// The schema violations of the master's config (`config.schema`'s judge on the
/// --master-config file), as findings of this check naming the file, line and column.
pub fn master_config_problems(m: &ConfigSource) -> Vec<Finding> {
    let path = m.display_path();
    super::config_schema::judge(m)
        .findings
        .into_iter()
        .filter(|f| f.status != Status::Pass && f.code.is_some_and(|c| c.name.starts_with("config-schema.") && !c.name.ends_with(".blocked")))
        .map(|f| {
            // The line and column are the finding's location, shown beside the message.
            let mut out = Finding::new(
                &MASTER_CONFIG_INVALID,
                format!("--master-config {path}: {}", f.message),
                format!(
                    "{} (in the master's config and this copy of it); until then the comparison treats the value as not set",
                    f.remediation.as_deref().unwrap_or("correct the value at that line")
                ),
            );
            out.location = f.location;
            out.evidence = f.evidence;
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed_side(ttl: u64) -> Side {
        Side {
            token_ttl: Some(ttl),
            ca_version: Some("v2.1".into()),
            algorithm: Some("ES256".into()),
            issuer: Some("https://master.autoglm.test".into()),
            audience: Some("open-autoglm".into()),
            key_id: Some("k2".into()),
            ..Side::default()
        }
    }

    fn codes(e: &Evaluation) -> Vec<&str> {
        e.findings.iter().filter_map(Finding::code_name).collect()
    }

    #[test]
    fn each_differing_parameter_is_one_finding_with_its_own_code() {
        let jwks = Jwks {
            keys: vec![json!({"kid": "k1"}), json!({"kid": "k2"})],
        };
        let cases: Vec<(Side, Vec<&str>)> = vec![
            (seed_side(3600), vec![]),
            (seed_side(1800), vec!["auth-params.ttl-mismatch"]),
            (
                Side {
                    ca_version: Some("v2.0".into()),
                    ..seed_side(3600)
                },
                vec!["auth-params.ca-version-mismatch"],
            ),
            (
                Side {
                    algorithm: Some("RS256".into()),
                    ..seed_side(3600)
                },
                vec!["auth-params.alg-mismatch"],
            ),
            (
                Side {
                    issuer: Some("https://old".into()),
                    ..seed_side(3600)
                },
                vec!["auth-params.issuer-mismatch"],
            ),
            (
                Side {
                    audience: None,
                    ..seed_side(3600)
                },
                vec!["auth-params.audience-mismatch"],
            ),
            (
                Side {
                    key_id: Some("k0".into()),
                    ..seed_side(3600)
                },
                vec!["auth-params.key-id-mismatch"],
            ),
            (
                Side {
                    key_id: Some("k1".into()),
                    ..seed_side(3600)
                },
                vec!["auth-params.key-id-retiring"],
            ),
            (
                Side {
                    key_id: Some("k0".into()),
                    ..seed_side(1800)
                },
                vec!["auth-params.ttl-mismatch", "auth-params.key-id-mismatch"],
            ),
        ];
        for (node, want) in cases {
            let e = judge(&node, &seed_side(3600), Some(&jwks), "test");
            assert_eq!(codes(&e), want, "{node:?}");
        }
    }

    #[test]
    fn seed_example_gives_one_mismatching_row_with_both_values() {
        let e = judge(&seed_side(1800), &seed_side(3600), None, "test");
        let rows = e.evidence["comparison"].as_array().unwrap();
        let bad: Vec<&Value> = rows.iter().filter(|r| r["match"] == json!(false)).collect();
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0]["master"], "3600");
        assert_eq!(bad[0]["node"], "1800");
        assert_eq!(e.status(), Status::Fail);
        assert!(
            e.findings[0]
                .remediation
                .as_deref()
                .unwrap()
                .contains("3600")
        );
    }

    #[test]
    fn fingerprints_only_when_both_sides_know_them() {
        let master = Side {
            key_fingerprint: Some("sha256:aaa".into()),
            ..seed_side(3600)
        };
        assert!(codes(&judge(&seed_side(3600), &master, None, "t")).is_empty());
        let node = Side {
            key_fingerprint: Some("sha256:bbb".into()),
            ..seed_side(3600)
        };
        assert_eq!(
            codes(&judge(&node, &master, None, "t")),
            ["auth-params.key-mismatch"]
        );
    }

    #[test]
    fn nothing_to_compare_is_a_skip() {
        let e = judge(&seed_side(3600), &Side::default(), None, "");
        assert_eq!(e.status(), Status::Skip);
        assert_eq!(codes(&e), ["auth-params.no-master-values"]);
    }

    #[test]
    fn master_side_from_params_and_jwks() {
        let key = crate::sim::signing_key("k9").unwrap();
        let jwks = Jwks {
            keys: vec![key.jwk.clone()],
        };
        let s = side_from_master(
            Some(&json!({"token_ttl": 3600, "algorithm": "ES256"})),
            Some(&jwks),
        );
        assert_eq!(s.token_ttl, Some(3600));
        assert_eq!(s.key_id.as_deref(), Some("k9"));
        assert!(s.key_fingerprint.unwrap().starts_with("sha256:"));
    }

    #[test]
    fn every_condition_of_the_seam_is_declared() {
        super::super::endpoint::assert_codes_declared(&Kind::INFO, CODES);
    }
}
