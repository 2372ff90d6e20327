//! `checkpoint-store`: remote checkpoint storage, probed along the path the service takes.
//!
//! `checkpoint` judges a local storage directory; when `checkpoint.storage_path` (or a
//! checkpoint backend in `recovery.backends`) is a URL, this kind looks at the store: for
//! `s3://bucket/prefix` the S3 endpoint the service would use (`checkpoint.s3.endpoint`,
//! `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, else AWS in the configured region), reached
//! through the HTTP seam (DNS, TCP, TLS) with one unauthenticated `ListObjectsV2` request
//! that tells a missing bucket from one that needs credentials, and whether credentials are
//! there for the service to sign with (their presence only); for `hdfs://` the namenode's
//! RPC port. Other schemes are named and not probed.

use std::time::Duration;

use serde::Deserialize;

use super::endpoint::{self, Codes};
use super::{CheckKind, Context, KindInfo, Text};
use crate::config::ConfigSource;
use crate::config::setting::{self, Setting};
use crate::probe::env::Env;
use crate::probe::http::{Condition, Exchange, Failure, Host, HttpUrl, Redirects, Request};
use crate::probe::objstore::{self, Credentials, Problem, Reach};
use crate::report::{Code, Evaluation, Evidence, Finding, Status};
use crate::yaml::Node;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Also probe the checkpoint backends of `recovery.backends` that are URLs.
    #[serde(default = "yes")]
    pub backends: bool,
}

fn yes() -> bool {
    true
}

/// The default RPC port of an HDFS namenode.
pub const HDFS_PORT: u16 = 8020;
/// Most `recovery.backends` entries looked at.
const MAX_BACKENDS: usize = 16;

super::generated_codes!("checkpoint-store");

/// Checkpoints are off or have no storage path: nothing to probe.
pub const NOT_REMOTE: Code = Code::new(
    "checkpoint-store.not-remote",
    Status::Skip,
    "Checkpoints are off, or no storage path is set: there is no store to probe (the `checkpoint` check says what is missing).",
    "Nothing to do here: fix what the `checkpoint` check reports.",
);

/// The storage URL's scheme is one the doctor does not probe.
pub const SCHEME_UNSUPPORTED: Code = Code::new(
    "checkpoint-store.scheme-unsupported",
    Status::Skip,
    "The storage URL's scheme (`gs://`, `abfs://`, ...) is not probed: only `s3://`, `http(s)://` (an S3-compatible endpoint) and `hdfs://` are.",
    "Check the store by hand from this node (its CLI's list command with the service's credentials), or add an `exec` check that does.",
);

pub const BAD_URL: Code = Code::new(
    "checkpoint-store.bad-url",
    Status::Fail,
    "The storage URL or the S3 endpoint is not valid (no bucket, a bad port, a control character): the service cannot use it either.",
    "Correct `checkpoint.storage_path` (an `s3://` URL with a bucket, an `hdfs://` URL with the namenode and its port) or the endpoint named in the message.",
);

pub const UNRESOLVED: Code = Code::new(
    "checkpoint-store.unresolved",
    Status::Fail,
    "The object store's endpoint or the namenode's host name does not resolve on this node.",
    "Fix name resolution of the host named in the message, or correct the endpoint where the message says it came from.",
);

pub const CONNECTION_FAILED: Code = Code::new(
    "checkpoint-store.connection-failed",
    Status::Fail,
    "The object store's endpoint or the namenode's RPC port does not accept a TCP connection from this node: every address refused, dropped or was unreachable.",
    "Start the store (or namenode) or open the path to the address named in the message (firewall, security group, NetworkPolicy); or correct the endpoint or port.",
);

pub const TLS_FAILED: Code = Code::new(
    "checkpoint-store.tls-failed",
    Status::Fail,
    "The TLS handshake with the object store's endpoint failed (untrusted, expired or wrong-name certificate, or not TLS).",
    "Make the endpoint's certificate verify: set AWS_CA_BUNDLE to the CA bundle that signed it (the service's SDK reads it too), or fix the certificate.",
);

pub const CA_UNREADABLE: Code = Code::new(
    "checkpoint-store.ca-unreadable",
    Status::Fail,
    "The CA bundle for the object store (AWS_CA_BUNDLE, else the system's) cannot be read or holds no certificate.",
    "Point AWS_CA_BUNDLE at a readable PEM bundle, or unset it to use the system's (install ca-certificates).",
);

pub const NO_RESPONSE: Code = Code::new(
    "checkpoint-store.no-response",
    Status::Fail,
    "The object store's endpoint accepted the connection but sent no complete answer in time (a hung or overloaded store, or something in front of it).",
    "Check the store's load and whatever sits in front of it (load balancer, proxy).",
);

pub const NOT_HTTP: Code = Code::new(
    "checkpoint-store.not-http",
    Status::Fail,
    "The object store's endpoint answered something that is not HTTP: the endpoint names another service's port.",
    "Point the endpoint at the store's S3 API port.",
);

/// The bucket does not exist (404 NoSuchBucket).
pub const BUCKET_MISSING: Code = Code::new(
    "checkpoint-store.bucket-missing",
    Status::Fail,
    "The object store answers, but the bucket of the storage URL does not exist there (404 NoSuchBucket): every checkpoint write fails.",
    "Correct the bucket in `checkpoint.storage_path` if it is a typo, or create the bucket on that endpoint for the service.",
);

/// The store says the bucket is in another region than the one the endpoint serves.
pub const WRONG_REGION: Code = Code::new(
    "checkpoint-store.wrong-region",
    Status::Warn,
    "The store says the bucket lives in another region than the endpoint asked (a redirect or error with `x-amz-bucket-region`): requests signed for the wrong region fail.",
    "Set the bucket's region: `checkpoint.s3.region`, or AWS_REGION in the service's environment.",
);

/// 5xx from the store.
pub const SERVER_ERROR: Code = Code::new(
    "checkpoint-store.server-error",
    Status::Fail,
    "The object store answered with a server error (5xx): it cannot take checkpoints now.",
    "Look at the store's health and logs; the status and S3 error code are in the message.",
);

/// An answer the doctor cannot place (not S3's 200/403/404 NoSuchBucket).
pub const UNEXPECTED_ANSWER: Code = Code::new(
    "checkpoint-store.unexpected-answer",
    Status::Warn,
    "The endpoint answered, but not as an S3 API answers a bucket listing (another status, or a 404 without NoSuchBucket): it may be another service, or address buckets differently.",
    "Check that the endpoint is the store's S3 API (not a console or another service) and that it serves buckets in path style (`endpoint/bucket`).",
);

/// An `hdfs://` host without a port that does not resolve: maybe an HA nameservice.
pub const NAMESERVICE_UNRESOLVED: Code = Code::new(
    "checkpoint-store.nameservice-unresolved",
    Status::Warn,
    "The `hdfs://` URL names a host without a port that does not resolve: an HA nameservice (resolved by the service's hdfs-site.xml, not DNS), or a typo.",
    "If it is a nameservice, probe its namenodes (`dfs.namenode.rpc-address.*`) with `tcp` checks; otherwise fix the name, or write the namenode with its RPC port.",
);

/// No S3 credentials anywhere the SDKs look (as far as this node shows).
pub const CREDENTIALS_MISSING: Code = Code::new(
    "checkpoint-store.credentials-missing",
    Status::Warn,
    "No S3 credentials were found where the AWS SDKs look (environment, shared credentials and config files, web identity token, container credentials): unsigned writes are refused by any private bucket. An EC2 instance role is not looked at.",
    "Give the service credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile in ~/.aws/credentials, or a role); run the doctor as the service's account with its environment to see what it sees.",
);

/// Half of a credential pair, or a web identity token without a role.
pub const CREDENTIALS_INCOMPLETE: Code = Code::new(
    "checkpoint-store.credentials-incomplete",
    Status::Warn,
    "Credentials are half set: one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY without the other, or AWS_WEB_IDENTITY_TOKEN_FILE without AWS_ROLE_ARN.",
    "Set the missing variable in the service's environment, or unset the other.",
);

/// A credentials file or token file named by the environment cannot be read.
pub const CREDENTIALS_UNREADABLE: Code = Code::new(
    "checkpoint-store.credentials-unreadable",
    Status::Warn,
    "A credentials file, config file or web identity token file cannot be read (missing, not a regular file, permissions).",
    "Fix the path in the variable named in the message, or the file's permissions for the service's account.",
);

/// AWS_PROFILE names a profile neither file has.
pub const PROFILE_MISSING: Code = Code::new(
    "checkpoint-store.profile-missing",
    Status::Warn,
    "AWS_PROFILE names a profile that neither the shared credentials file nor the config file has: the SDKs refuse to start with it.",
    "Add the profile's section to ~/.aws/credentials (or `[profile NAME]` to ~/.aws/config), or correct AWS_PROFILE.",
);

super::seam_proxy_codes!("checkpoint-store");

super::seam_codes!();

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "checkpoint-store",
        category: "recovery",
        summary: "Remote checkpoint storage (s3://, https://, hdfs://) is reachable from this node, its bucket exists, and credentials for it are present",
        explain: "What it checks: remote checkpoint storage, when `checkpoint.storage_path` (or a checkpoint backend in `recovery.backends`) is a URL. For an `s3://` URL (bucket, then prefix): the S3 endpoint the service uses — `checkpoint.s3.endpoint`, else AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL (buckets addressed in path style, endpoint then bucket), else AWS's own endpoint for the region (`checkpoint.s3.region`, AWS_REGION or AWS_DEFAULT_REGION; us-east-1 when none is set) — its DNS, TCP connection and TLS handshake (trusting AWS_CA_BUNDLE, else the system's CAs), then one unsigned bucket listing asking for zero keys (through the proxy HTTPS_PROXY or HTTP_PROXY names when it captures the endpoint and NO_PROXY does not exclude it, as the SDKs' requests go) (`GET /BUCKET?list-type=2&max-keys=0`): 200 (the bucket exists and anyone may list it) and 401/403 (it exists and needs credentials) pass; 404 NoSuchBucket fails; an answer naming another `x-amz-bucket-region` warns; 5xx fails. Then whether credentials are present where the AWS SDKs look: AWS_ACCESS_KEY_ID with AWS_SECRET_ACCESS_KEY; the profile (AWS_PROFILE, else `default`) in the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials) or the config file (AWS_CONFIG_FILE, else ~/.aws/config); a web identity token file with AWS_ROLE_ARN; container credentials. Only names and section headers are read into the report, never a value; an EC2 instance role is not looked at. An `https://` (or `http://`) storage URL is its own S3-compatible endpoint, the bucket its first path segment. For an `hdfs://` URL: the namenode's name resolves and its RPC port (8020 when left out) accepts a TCP connection. Other schemes are named and skipped; a local directory passes here and is judged by the `checkpoint` check. Variables are read from the doctor's environment and files from its HOME: run it with the service's.\n\nWhy it matters: a node whose checkpoints go to an unreachable endpoint, to a bucket that does not exist, or through an SDK without credentials loses every checkpoint while the service keeps running; the failure surfaces at recovery, when there is nothing to restore. The local `checkpoint` check cannot see any of this.\n\nHow to fix: make the endpoint reachable from this node (start the store; open the firewall, security group or NetworkPolicy to the address named); correct the bucket or create it; set the bucket's region; give the service credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile in ~/.aws/credentials, or a role); for HDFS start the namenode or open its RPC port. Never create a local directory for a URL: the store holds the checkpoints.",
        default_timeout: Duration::from_secs(10),
        network: true,
        reads_config: true,
        codes: &[
            NOT_REMOTE,
            SCHEME_UNSUPPORTED,
            BAD_URL,
            UNRESOLVED,
            CONNECTION_FAILED,
            TLS_FAILED,
            CA_UNREADABLE,
            NO_RESPONSE,
            NOT_HTTP,
            PROXY_UNREACHABLE,
            PROXY_REFUSED,
            PROXY_AUTH_REQUIRED,
            PROXY_AUTH_REJECTED,
            PROXY_UPSTREAM,
            BUCKET_MISSING,
            WRONG_REGION,
            SERVER_ERROR,
            UNEXPECTED_ANSWER,
            NAMESERVICE_UNRESOLVED,
            CREDENTIALS_MISSING,
            CREDENTIALS_INCOMPLETE,
            CREDENTIALS_UNREADABLE,
            PROFILE_MISSING,
        ],
        generated: GENERATED,
        aliases: &[],
        implicit_needs: &["config-schema"],
        gates_config: false,
        uses_master_config: false,
        config_facts: &[("checkpoint.s3.region", "/checkpoint/s3/region")],
    };

    async fn run(spec: &Spec, ctx: &Context) -> Evaluation {
        let src = &ctx.config;
        let found = match targets(src, &ctx.env, spec.backends) {
            Ok(t) => t,
            Err(e) => return e,
        };
        // Side by side, each within the check's budget: two silent stores cost one timeout.
        let observed =
            futures_util::future::join_all(found.targets.iter().map(|t| observe(t, ctx))).await;
        let creds = if found
            .targets
            .iter()
            .any(|t| matches!(t.remote, Remote::S3 { .. }))
        {
            Some(objstore::aws_credentials(&ctx.env).await)
        } else {
            None
        };
        judge(src, &found, &observed, creds.as_ref())
    }
}

/// A remote location the checkpoints are written to or read from.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// The setting it came from, e.g. `checkpoint.storage_path`.
    pub setting: String,
    pub node: &'a Node,
    /// The URL as shown: no credentials, no query.
    pub shown: String,
    pub remote: Remote,
}

/// What a storage URL names.
#[derive(Debug, Clone, PartialEq)]
pub enum Remote {
    /// `s3://bucket/prefix` with the endpoint to ask (or why there is none).
    S3 {
        bucket: String,
        endpoint: Result<Endpoint, String>,
    },
    /// `https://host/bucket/prefix`: an S3-compatible endpoint named by the URL itself.
    Http {
        endpoint: Endpoint,
    },
    Hdfs {
        host: String,
        port: u16,
        explicit_port: bool,
    },
    Unsupported {
        scheme: String,
    },
    Invalid {
        why: String,
    },
}

/// The S3 request the service's bucket is probed with.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// `GET` this: the bucket listing, zero keys.
    pub url: HttpUrl,
    /// The bucket (empty when an `https://` URL has no path).
    pub bucket: String,
    /// Where the endpoint came from, for messages.
    pub source: String,
    /// The region asked for (AWS endpoints), with where it came from.
    pub region: Option<(String, String)>,
}

/// Everything the config says about remote storage.
#[derive(Debug, Clone)]
pub struct Found<'a> {
    pub targets: Vec<Target<'a>>,
    /// Why there is no target (checkpoints off, no storage path).
    pub local: Option<String>,
    /// The local storage directory, when checkpoints are enabled and written to one.
    pub local_dir: Option<String>,
}

fn blocked(message: String) -> Evaluation {
    super::blocked(
        &BLOCKED,
        message,
        "fix the config checks first (config.syntax, config.schema, config.credentials)",
    )
}

/// The storage URLs of the config, each with what it names.
pub fn targets<'a>(
    src: &'a ConfigSource,
    env: &Env,
    backends: bool,
) -> Result<Found<'a>, Evaluation> {
    let Some(tree) = src.tree() else {
        return Err(blocked("not run: the config is not readable YAML".into()));
    };
    let s3 = s3_settings(src, tree)?;
    let mut urls: Vec<(String, &Node, String)> = Vec::new();
    let mut local = None;
    let mut local_dir = None;
    let enabled = matches!(
        setting::bool_at(tree, "/checkpoint/enabled"),
        Setting::Present(true, _)
    );
    match setting::str_at(tree, "/checkpoint/storage_path") {
        Setting::Present(raw, n) => {
            let value = expand(&raw, env, "checkpoint.storage_path")?;
            if super::checkpoint::remote_scheme(&value).is_some() {
                urls.push(("checkpoint.storage_path".into(), n, value));
            } else if enabled {
                local_dir = Some(value.trim().to_string());
            } else {
                local = Some("checkpoints are not enabled (`checkpoint.enabled`)".into());
            }
        }
        Setting::Invalid(n) => {
            return Err(blocked(format!(
                "not judged: `checkpoint.storage_path` at {}:{} is not a string; config.schema reports it",
                src.display_path(),
                n.pos.line
            )));
        }
        Setting::Absent => {
            local = Some("no `checkpoint.storage_path` is set".into());
        }
    }
    if backends {
        for i in 0..MAX_BACKENDS {
            let Some(b) = tree.pointer(&format!("/recovery/backends/{i}")) else {
                break;
            };
            let is_checkpoint = b.get("type").and_then(Node::as_str) == Some("checkpoint");
            if let (true, Some(n)) = (is_checkpoint, b.get("target"))
                && let Some(raw) = n.as_str()
            {
                let setting = format!("recovery.backends[{i}].target");
                let value = expand(raw, env, &setting)?;
                if super::checkpoint::remote_scheme(&value).is_some()
                    && !urls.iter().any(|(_, _, v)| v.trim() == value.trim())
                {
                    urls.push((setting, n, value));
                }
            }
        }
    }
    let targets = urls
        .into_iter()
        .map(|(setting, node, value)| {
            let (shown, remote) = parse(&value, &s3, env);
            Target {
                setting,
                node,
                shown,
                remote,
            }
        })
        .collect();
    Ok(Found {
        targets,
        local,
        local_dir,
    })
}

/// A `${NAME}` value taken from the environment, as the service reads it.
fn expand(raw: &str, env: &Env, setting: &str) -> Result<String, Evaluation> {
    match crate::config::env_ref(raw) {
        Some(var) => env.var(var).ok_or_else(|| {
            blocked(format!(
                "not judged: `{setting}` refers to ${{{var}}}, which is not set; config.credentials reports it"
            ))
        }),
        None => Ok(raw.to_string()),
    }
}

/// `checkpoint.s3`: the endpoint and region as configured, with where they are.
#[derive(Debug, Clone, Default)]
pub struct S3Settings {
    pub endpoint: Option<(String, String)>,
    pub region: Option<(String, String)>,
}

fn s3_settings(src: &ConfigSource, tree: &Node) -> Result<S3Settings, Evaluation> {
    let mut out = S3Settings::default();
    for (pointer, key, slot) in [
        (
            "/checkpoint/s3/endpoint",
            "checkpoint.s3.endpoint",
            &mut out.endpoint,
        ),
        (
            "/checkpoint/s3/region",
            "checkpoint.s3.region",
            &mut out.region,
        ),
    ] {
        match setting::str_at(tree, pointer) {
            Setting::Present(v, n) if !v.trim().is_empty() => {
                *slot = Some((
                    v.trim().to_string(),
                    format!("`{key}` at {}:{}", src.display_path(), n.pos.line),
                ));
            }
            Setting::Present(..) | Setting::Absent => {}
            Setting::Invalid(n) => {
                return Err(blocked(format!(
                    "not judged: `{key}` at {}:{} is not a string; config.schema reports it",
                    src.display_path(),
                    n.pos.line
                )));
            }
        }
    }
    Ok(out)
}

/// What a storage URL names, and how it is shown (no credentials, no query).
pub fn parse(value: &str, s3: &S3Settings, env: &Env) -> (String, Remote) {
    let value = value.trim();
    let scheme = super::checkpoint::remote_scheme(value).unwrap_or_default();
    let Some((_, host, port, path)) = crate::probe::url::split_url(value) else {
        return (
            format!("{scheme}://…"),
            Remote::Invalid {
                why: format!("the {scheme}:// URL has no host or a port that is not a number"),
            },
        );
    };
    let path = path.split(['?', '#']).next().unwrap_or("").to_string();
    let creds = value
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(""))
        .is_some_and(|authority| authority.contains('@'));
    let host_shown = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.clone()
    };
    let shown = format!(
        "{scheme}://{}{host_shown}{}{path}",
        if creds { "<redacted>@" } else { "" },
        port.map(|p| format!(":{p}")).unwrap_or_default()
    );
    let remote = match scheme.as_str() {
        "s3" | "s3a" | "s3n" => {
            if let Some(p) = port {
                Remote::Invalid {
                    why: format!(
                        "an {scheme}:// URL names a bucket, not a server: `{host_shown}:{p}` looks like the store's endpoint; write the endpoint in `checkpoint.s3.endpoint` and the URL as {scheme}://BUCKET/PREFIX"
                    ),
                }
            } else if !valid_bucket(&host) {
                Remote::Invalid {
                    why: format!(
                        "`{host_shown}` is not a bucket name (letters, digits, `.`, `-` and `_`)"
                    ),
                }
            } else {
                Remote::S3 {
                    endpoint: s3_endpoint(&host, s3, env),
                    bucket: host,
                }
            }
        }
        "http" | "https" => match HttpUrl::parse(value) {
            Err(e) => Remote::Invalid { why: e.to_string() },
            Ok(url) => {
                let bucket = path
                    .trim_start_matches('/')
                    .split('/')
                    .next()
                    .unwrap_or("")
                    .to_string();
                let origin = format!(
                    "{}://{}",
                    if url.is_https() { "https" } else { "http" },
                    url.authority()
                );
                match listing(&origin, &bucket) {
                    Ok(list) => Remote::Http {
                        endpoint: Endpoint {
                            url: list,
                            bucket,
                            source: format!("the storage URL {shown}"),
                            region: None,
                        },
                    },
                    Err(why) => Remote::Invalid { why },
                }
            }
        },
        "hdfs" => Remote::Hdfs {
            host,
            port: port.unwrap_or(HDFS_PORT),
            explicit_port: port.is_some(),
        },
        other => Remote::Unsupported {
            scheme: other.to_string(),
        },
    };
    (shown, remote)
}

fn valid_bucket(b: &str) -> bool {
    !b.is_empty()
        && b.len() <= 255
        && b.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
}

/// The zero-key listing of `bucket` at `base` (path style); the base's own path is kept.
fn listing(base: &str, bucket: &str) -> Result<HttpUrl, String> {
    let base = base.trim_end_matches('/');
    let url = if bucket.is_empty() {
        format!("{base}/?list-type=2&max-keys=0")
    } else {
        format!("{base}/{bucket}?list-type=2&max-keys=0")
    };
    HttpUrl::parse(&url).map_err(|e| e.to_string())
}

/// The endpoint the service's S3 client uses for `bucket`: configured, from the
/// environment, or AWS in the configured region.
pub fn s3_endpoint(bucket: &str, s3: &S3Settings, env: &Env) -> Result<Endpoint, String> {
    let from_env = |name: &'static str| {
        env.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| (v.to_string(), name.to_string()))
    };
    let configured = s3
        .endpoint
        .clone()
        .or_else(|| from_env("AWS_ENDPOINT_URL_S3"))
        .or_else(|| from_env("AWS_ENDPOINT_URL"));
    if let Some((base, source)) = configured {
        let parsed =
            HttpUrl::parse(&base).map_err(|e| format!("the endpoint from {source}: {e}"))?;
        let origin_path = parsed.path().trim_end_matches('/').to_string();
        let origin = format!(
            "{}://{}{origin_path}",
            if parsed.is_https() { "https" } else { "http" },
            parsed.authority()
        );
        let url =
            listing(&origin, bucket).map_err(|e| format!("the endpoint from {source}: {e}"))?;
        return Ok(Endpoint {
            url,
            bucket: bucket.to_string(),
            source,
            region: s3.region.clone(),
        });
    }
    let (region, from) = s3
        .region
        .clone()
        .or_else(|| from_env("AWS_REGION"))
        .or_else(|| from_env("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|| {
            (
                "us-east-1".into(),
                "no region set: the SDKs' default".into(),
            )
        });
    if region.is_empty()
        || !region
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        return Err(format!("the region from {from} is not a region name"));
    }
    // Virtual-hosted style, as the SDKs address AWS; a bucket with dots would not match
    // the wildcard certificate, so it is addressed in path style (as the SDKs do too).
    let url = if bucket.contains('.') {
        listing(&format!("https://s3.{region}.amazonaws.com"), bucket)
    } else {
        listing(&format!("https://{bucket}.s3.{region}.amazonaws.com"), "")
    }?;
    Ok(Endpoint {
        url,
        bucket: bucket.to_string(),
        source: format!(
            "AWS in region {region} ({from}; no checkpoint.s3.endpoint or AWS_ENDPOINT_URL set)"
        ),
        region: Some((region, from)),
    })
}

/// What was seen for one target.
#[derive(Debug, Clone)]
pub enum Observed {
    /// The S3 listing: the exchange, or why no request was sent.
    Http(Box<Result<Exchange, Failure>>),
    Namenode(Reach),
    /// Nothing to probe (an unsupported scheme, an invalid URL).
    Nothing,
}

async fn observe(t: &Target<'_>, ctx: &Context) -> Observed {
    let endpoint = match &t.remote {
        Remote::S3 {
            endpoint: Ok(e), ..
        }
        | Remote::Http { endpoint: e } => e,
        Remote::Hdfs { host, port, .. } => {
            return Observed::Namenode(
                objstore::reach(
                    host,
                    *port,
                    &ctx.facts,
                    crate::probe::inner_timeout(ctx.timeout),
                )
                .await,
            );
        }
        _ => return Observed::Nothing,
    };
    // The SDKs trust AWS_CA_BUNDLE when it is set, else the system's CAs.
    let ca = ctx
        .env
        .var("AWS_CA_BUNDLE")
        .filter(|v| !v.trim().is_empty())
        .map(Text);
    match endpoint::setup(ctx, &endpoint.url, ca.as_ref(), None, Redirects::Never).await {
        Err(f) => Observed::Http(Box::new(Err(f))),
        Ok(setup) => {
            let client = setup.client(ctx, Redirects::Never);
            Observed::Http(Box::new(Ok(client
                .send(Request::get(endpoint.url.clone()))
                .await)))
        }
    }
}

/// The `<Code>` of an S3 error document, if the body is one (letters and digits only).
pub fn s3_error_code(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body.get(..body.len().min(16 * 1024))?).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let len = text[start..].find("</Code>")?;
    let code = &text[start..start + len];
    (!code.is_empty() && code.len() <= 64 && code.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| code.to_string())
}

fn origin(url: &HttpUrl) -> String {
    url.origin()
}

/// Judge what was seen for every target, and the credentials for the S3 ones.
pub fn judge(
    src: &ConfigSource,
    found: &Found<'_>,
    observed: &[Observed],
    creds: Option<&Credentials>,
) -> Evaluation {
    let mut findings = Vec::new();
    let mut evidence = Evidence::new();
    let mut facts = crate::report::Facts::new();
    if found.targets.is_empty() {
        // Local storage: the checkpoints depend on no remote store, which is what this
        // check asks; `checkpoint` judges the directory.
        if let Some(dir) = &found.local_dir {
            findings.push(Finding::pass(format!(
                "checkpoints are written to a local directory ({dir}), not a remote store; the `checkpoint` check judges it"
            )));
            return Evaluation::of(findings);
        }
        let why = found
            .local
            .clone()
            .unwrap_or_else(|| "no remote storage is configured".into());
        findings.push(Finding::new(
            &NOT_REMOTE,
            format!("no checkpoint storage to probe: {why}"),
            "nothing to do here: fix what the `checkpoint` check reports",
        ));
        return Evaluation::of(findings);
    }
    let mut stores = Vec::new();
    for (t, o) in found.targets.iter().zip(observed) {
        let loc = src.location(t.node.pos);
        let here = format!("`{}` at {}:{}", t.setting, loc.path, loc.line);
        stores.push(t.shown.clone());
        if t.setting == "checkpoint.storage_path" {
            let scheme = t.shown.split("://").next().unwrap_or_default().to_string();
            facts.insert("checkpoint.storage_scheme".into(), scheme.into());
        }
        let finding = match (&t.remote, o) {
            (Remote::Invalid { why }, _) => Finding::new(
                &BAD_URL,
                format!("{here} is not a usable storage URL: {why}"),
                format!(
                    "correct {here}: `s3://bucket/prefix`, `https://host:port/bucket/prefix` or `hdfs://namenode:8020/path`"
                ),
            ),
            (
                Remote::S3 {
                    endpoint: Err(why), ..
                },
                _,
            ) => Finding::new(
                &BAD_URL,
                format!("no S3 endpoint for {}: {why}", t.shown),
                "correct the endpoint or region named (an `http(s)://host:port` URL; a region like `eu-west-1`)",
            ),
            (Remote::Unsupported { scheme }, _) => Finding::new(
                &SCHEME_UNSUPPORTED,
                format!(
                    "{scheme}:// storage ({}) is not probed: only s3://, http(s):// and hdfs:// are",
                    t.shown
                ),
                format!(
                    "check {} by hand from this node with the store's own client and the service's credentials",
                    t.shown
                ),
            ),
            (
                Remote::S3 {
                    endpoint: Ok(e), ..
                }
                | Remote::Http { endpoint: e },
                Observed::Http(r),
            ) => {
                if t.setting == "checkpoint.storage_path" {
                    facts.insert("checkpoint.store_endpoint".into(), origin(&e.url).into());
                }
                evidence.insert(format!("{}.endpoint", t.setting), origin(&e.url).into());
                evidence.insert(
                    format!("{}.endpoint_source", t.setting),
                    e.source.clone().into(),
                );
                judge_http(t, e, r, &here)
            }
            (
                Remote::Hdfs {
                    host,
                    port,
                    explicit_port,
                },
                Observed::Namenode(r),
            ) => judge_namenode(t, host, *port, *explicit_port, r, &here),
            _ => Finding::new(
                &INTERNAL,
                format!("{} was not probed", t.shown),
                "report the bug with the JSON report attached",
            ),
        };
        findings.push(finding.at(loc));
    }
    evidence.insert("storage".into(), stores.into());
    let signs = found
        .targets
        .iter()
        .any(|t| matches!(t.remote, Remote::S3 { .. }));
    if let Some(c) = creds.filter(|_| signs) {
        findings.extend(judge_credentials(c, found));
        evidence.insert(
            "credentials".into(),
            c.sources
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .into(),
        );
    }
    let mut eval = Evaluation::of(findings);
    eval.evidence = evidence;
    eval.facts = facts;
    if eval.findings.iter().any(|f| {
        matches!(
            f.code.map(Code::condition),
            Some(
                "unresolved"
                    | "connection-failed"
                    | "tls-failed"
                    | "no-response"
                    | "not-http"
                    | "ca-unreadable"
            )
        )
    }) {
        eval.cause = Some(crate::report::Cause::ProbeError);
    }
    eval
}

fn judge_http(t: &Target<'_>, e: &Endpoint, r: &Result<Exchange, Failure>, here: &str) -> Finding {
    let store = origin(&e.url);
    let exchange = match r {
        Err(f) => return transport(t, e, None, f),
        Ok(x) => x,
    };
    let resp = match &exchange.result {
        Err(f) => return transport(t, e, exchange.addr, f),
        Ok(resp) => resp,
    };
    let at = exchange
        .addr
        .filter(|a| e.url.host() != &Host::Ip(a.ip()))
        .map(|a| format!(" at {a}"))
        .unwrap_or_default();
    let code = s3_error_code(&resp.body);
    let answer = format!(
        "HTTP {}{}{at}",
        resp.status,
        code.as_deref().map(|c| format!(" {c}")).unwrap_or_default()
    );
    let bucket = if e.bucket.is_empty() {
        "the store".to_string()
    } else {
        format!("bucket `{}`", e.bucket)
    };
    let finding = match resp.status {
        200..=299 => Finding::pass(format!(
            "object store {store} answers for {}: {bucket} exists and can be listed without credentials ({answer})",
            t.shown
        )),
        401 | 403 => Finding::pass(format!(
            "object store {store} answers for {}: {bucket} exists and requires credentials ({answer})",
            t.shown
        )),
        404 if code.as_deref() == Some("NoSuchBucket") => Finding::new(
            &BUCKET_MISSING,
            format!(
                "object store {store} answers, but {bucket} of {} does not exist there ({answer})",
                t.shown
            ),
            format!(
                "correct the bucket in {here} if `{b}` is a typo, or create bucket `{b}` on {store} for the service (e.g. `aws s3api create-bucket --bucket {b} --endpoint-url {store}`)",
                b = e.bucket
            ),
        ),
        s if resp
            .header("x-amz-bucket-region")
            .is_some_and(|r| e.region.as_ref().is_none_or(|(asked, _)| asked != r.trim()))
            && matches!(s, 301 | 307 | 400) =>
        {
            let actual = resp
                .header("x-amz-bucket-region")
                .map(|r| {
                    r.trim()
                        .chars()
                        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                        .take(32)
                        .collect::<String>()
                })
                .unwrap_or_default();
            let asked = e
                .region
                .as_ref()
                .map_or_else(|| "no region".into(), |(r, from)| format!("{r} ({from})"));
            Finding::new(
                &WRONG_REGION,
                format!(
                    "{bucket} of {} lives in region {actual}, but the endpoint asked is for {asked} ({answer})",
                    t.shown
                ),
                format!(
                    "set `checkpoint.s3.region: {actual}` in the node config, or AWS_REGION={actual} in the service's environment"
                ),
            )
        }
        500..=599 => Finding::new(
            &SERVER_ERROR,
            format!(
                "object store {store} cannot serve {} now ({answer})",
                t.shown
            ),
            format!("look at the health and logs of the store behind {store}"),
        ),
        _ => Finding::new(
            &UNEXPECTED_ANSWER,
            format!(
                "{store} answered the listing of {bucket} for {} with {answer}, not as an S3 API does (200, 403, or 404 NoSuchBucket)",
                t.shown
            ),
            format!(
                "check that {store} (from {}) is the store's S3 API, not a console or another service, and that it serves buckets in path style ({store}/{})",
                e.source, e.bucket
            ),
        ),
    };
    finding
        .with("endpoint", store)
        .with("endpoint_source", e.source.clone())
        .with("status", resp.status)
}

/// A failure before an answer: DNS, TCP, TLS, or no HTTP.
fn transport(
    t: &Target<'_>,
    e: &Endpoint,
    addr: Option<std::net::SocketAddr>,
    f: &Failure,
) -> Finding {
    let store = origin(&e.url);
    let at = addr
        .filter(|a| e.url.host() != &Host::Ip(a.ip()))
        .map(|a| format!(" (at {a})"))
        .unwrap_or_default();
    let message = format!(
        "object store endpoint {store}{at} for {} is unreachable: {f}",
        t.shown
    );
    let host = e.url.host_name();
    let remediation = match f {
        Failure::NotProbed(_) => format!("unset AUTOGLM_DOCTOR_LOOPBACK_ONLY to probe {host}"),
        Failure::BadRequest(_) => format!("correct the endpoint ({})", e.source),
        Failure::CaUnreadable(_) => {
            "point AWS_CA_BUNDLE at a readable PEM bundle, or unset it to use the system's CAs (install ca-certificates)".into()
        }
        Failure::Unresolved { .. } => format!(
            "fix name resolution of {host} on this node (`getent hosts {host}`), or correct the endpoint (from {})",
            e.source
        ),
        Failure::Connect(tried) => format!(
            "make {store} reachable from this node: start the object store, or open the path to {} (firewall, security group, NetworkPolicy); or correct the endpoint (from {})",
            tried
                .iter()
                .map(|(a, _)| a.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            e.source
        ),
        Failure::Tls(_) => format!(
            "make {store}'s certificate verify on this node: set AWS_CA_BUNDLE to the CA bundle that signed it (the service's SDK reads it too), or fix the certificate"
        ),
        Failure::NoResponse | Failure::Incomplete { .. } | Failure::Closed => format!(
            "check the load of the store behind {store} and whatever sits in front of it (a load balancer or proxy)"
        ),
        Failure::NotHttp(_) => format!(
            "point the endpoint (from {}) at the store's S3 API port, not {}",
            e.source,
            addr.map_or_else(|| store.clone(), |a| a.to_string())
        ),
        Failure::Proxy(p) => p.remediation(),
    };
    Finding::at_status(
        f.condition().status(),
        CODES(f.condition()),
        message,
        remediation,
    )
    .with("endpoint", store)
    .with("endpoint_source", e.source.clone())
}

fn judge_namenode(
    t: &Target<'_>,
    host: &str,
    port: u16,
    explicit_port: bool,
    r: &Reach,
    here: &str,
) -> Finding {
    let hp = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let f = match r {
        Reach::Open { addr, from, .. } => Finding::pass(format!(
            "namenode {hp} for {} accepts connections on its RPC port (at {addr}, addresses from {from})",
            t.shown
        )),
        Reach::NotProbed(why) => Finding::new(
            &NOT_PROBED,
            format!("namenode {hp} for {} not probed: {why}", t.shown),
            format!("unset AUTOGLM_DOCTOR_LOOPBACK_ONLY to probe {hp}"),
        ),
        Reach::Unresolved(why) if !explicit_port => Finding::new(
            &NAMESERVICE_UNRESOLVED,
            format!(
                "`{host}` in {} does not resolve ({why}) and has no port: an HA nameservice (resolved through hdfs-site.xml), or a typo",
                t.shown
            ),
            format!(
                "if `{host}` is a nameservice, add `tcp` checks for its namenodes (dfs.namenode.rpc-address.{host}.*); otherwise fix {here} to `hdfs://namenode:{HDFS_PORT}/path` or the name's resolution"
            ),
        ),
        Reach::Unresolved(why) => Finding::new(
            &UNRESOLVED,
            format!("namenode {hp} for {} does not resolve: {why}", t.shown),
            format!(
                "fix name resolution of {host} on this node (`getent hosts {host}`), or correct {here}"
            ),
        ),
        Reach::Failed(tried) => Finding::new(
            &CONNECTION_FAILED,
            format!(
                "namenode {hp} for {} is unreachable: {}",
                t.shown,
                tried
                    .iter()
                    .map(|(a, o)| format!("{a} {o}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            format!(
                "start the namenode or open the path to {hp} (firewall, security group, NetworkPolicy), or correct the port in {here} (the namenode's RPC port, `fs.defaultFS`; {HDFS_PORT} by default)"
            ),
        ),
    };
    f.with("namenode", hp)
}

fn judge_credentials(c: &Credentials, found: &Found<'_>) -> Vec<Finding> {
    let stores: Vec<&str> = found
        .targets
        .iter()
        .filter(|t| matches!(t.remote, Remote::S3 { .. }))
        .map(|t| t.shown.as_str())
        .collect();
    let stores = stores.join(", ");
    let env_keys = c
        .sources
        .iter()
        .any(|s| matches!(s, objstore::Source::Environment { .. }));
    let mut out = Vec::new();
    for p in &c.problems {
        out.push(match p {
            Problem::EnvIncomplete { set, unset } => Finding::new(
                &CREDENTIALS_INCOMPLETE,
                format!("{set} is set but {unset} is not: the SDKs ignore the pair"),
                format!("set {unset} in the service's environment, or unset {set}"),
            ),
            Problem::RoleArnUnset { path } => Finding::new(
                &CREDENTIALS_INCOMPLETE,
                format!("AWS_WEB_IDENTITY_TOKEN_FILE names {path} but AWS_ROLE_ARN is not set: no role to assume with it"),
                "set AWS_ROLE_ARN to the role the service assumes (on EKS, annotate its service account with the role)",
            ),
            Problem::Unreadable { what, path, why } => Finding::new(
                &CREDENTIALS_UNREADABLE,
                format!("{what} {path} cannot be read: {why}"),
                format!("fix {path} (or the variable that names it) so the service's account can read it"),
            ),
            Problem::ProfileMissing { .. } if env_keys => continue,
            Problem::ProfileMissing { profile, from, files } => Finding::new(
                &PROFILE_MISSING,
                format!("{from} names profile `{profile}`, which neither {} has", files.join(" nor ")),
                format!("add a `[{profile}]` section to the credentials file (or `[profile {profile}]` to the config file), or correct {from}"),
            ),
        });
    }
    if c.sources.is_empty() {
        if out.is_empty() {
            out.push(Finding::new(
                &CREDENTIALS_MISSING,
                format!(
                    "no S3 credentials for {stores}: no AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, no credentials for {} ({}) in the shared credentials or config file, no web identity token, no container credentials (an EC2 instance role is not looked at)",
                    c.profile, c.profile_from
                ),
                "give the service credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile in ~/.aws/credentials, or a role); run the doctor as the service's account with its environment (e.g. `sudo -u open-autoglm env $(cat /etc/open-autoglm/env) autoglm-doctor`) to see what it sees",
            ));
        }
    } else {
        out.push(Finding::pass(format!(
            "credentials for {stores} are present: {} (values not read into the report)",
            c.sources
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn the_kind_declares_a_code_for_every_seam_condition() {
        endpoint::assert_codes_declared(&Kind::INFO, CODES);
    }

    #[test]
    fn s3_endpoints_come_from_the_config_then_the_environment_then_aws() {
        let none = S3Settings::default();
        let e = s3_endpoint("ckpt", &none, &env(&[])).unwrap();
        assert_eq!(
            e.url.to_string(),
            "https://ckpt.s3.us-east-1.amazonaws.com:443/?list-type=2&max-keys=0"
        );
        let e = s3_endpoint(
            "ckpt.v2",
            &none,
            &env(&[("AWS_DEFAULT_REGION", "eu-west-1")]),
        )
        .unwrap();
        assert_eq!(
            e.url.to_string(),
            "https://s3.eu-west-1.amazonaws.com:443/ckpt.v2?list-type=2&max-keys=0"
        );
        let e = s3_endpoint(
            "ckpt",
            &none,
            &env(&[
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:9/"),
                ("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000"),
            ]),
        )
        .unwrap();
        assert_eq!(
            e.url.to_string(),
            "http://127.0.0.1:9000/ckpt?list-type=2&max-keys=0"
        );
        assert_eq!(e.source, "AWS_ENDPOINT_URL_S3");
        let configured = S3Settings {
            endpoint: Some((
                "https://minio.test:9000/".into(),
                "`checkpoint.s3.endpoint` at c.yaml:5".into(),
            )),
            region: None,
        };
        let e = s3_endpoint(
            "b",
            &configured,
            &env(&[("AWS_ENDPOINT_URL_S3", "http://x")]),
        )
        .unwrap();
        assert_eq!(
            e.url.to_string(),
            "https://minio.test:9000/b?list-type=2&max-keys=0"
        );
        assert!(s3_endpoint("b", &none, &env(&[("AWS_REGION", "EU WEST")])).is_err());
        let bad = S3Settings {
            endpoint: Some(("ftp://x".into(), "`checkpoint.s3.endpoint`".into())),
            region: None,
        };
        assert!(s3_endpoint("b", &bad, &env(&[])).is_err());
    }

    #[test]
    fn storage_urls_are_parsed_and_shown_without_credentials() {
        let s3 = S3Settings::default();
        let (shown, r) = parse("s3://ckpt/run-7?X-Amz-Signature=planted", &s3, &env(&[]));
        assert_eq!(shown, "s3://ckpt/run-7");
        assert!(matches!(r, Remote::S3 { ref bucket, .. } if bucket == "ckpt"));
        let (shown, r) = parse("hdfs://nn.test/ckpt", &s3, &env(&[]));
        assert_eq!(shown, "hdfs://nn.test/ckpt");
        assert_eq!(
            r,
            Remote::Hdfs {
                host: "nn.test".into(),
                port: 8020,
                explicit_port: false
            }
        );
        let (shown, r) = parse("https://user:planted@store.test:9000/bkt/x", &s3, &env(&[]));
        assert_eq!(shown, "https://<redacted>@store.test:9000/bkt/x");
        match r {
            Remote::Http { endpoint } => {
                assert_eq!(endpoint.bucket, "bkt");
                assert!(!endpoint.url.to_string().contains("planted"));
                assert_eq!(endpoint.url.path(), "/bkt");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse("gs://b/x", &s3, &env(&[])).1,
            Remote::Unsupported { .. }
        ));
        assert!(matches!(
            parse("s3://b:9/x", &s3, &env(&[])).1,
            Remote::Invalid { .. }
        ));
        assert!(matches!(
            parse("hdfs://nn:http/x", &s3, &env(&[])).1,
            Remote::Invalid { .. }
        ));
    }

    #[test]
    fn s3_error_codes_are_read_from_the_body_and_nothing_else() {
        assert_eq!(
            s3_error_code(b"<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code></Error>"),
            Some("NoSuchBucket".into())
        );
        assert_eq!(s3_error_code(b"<Code>\x1b[31m</Code>"), None);
        assert_eq!(s3_error_code(b"not found"), None);
    }

    fn config(text: &str) -> ConfigSource {
        ConfigSource::from_text("/etc/open-autoglm/config.yaml", text)
    }

    fn response(status: u16, body: &str, headers: &[(&str, &str)]) -> Observed {
        let url = HttpUrl::parse("http://127.0.0.1:9000/ckpt?list-type=2&max-keys=0").unwrap();
        Observed::Http(Box::new(Ok(Exchange {
            url,
            redirects: Vec::new(),
            unfollowed: None,
            addr: Some("127.0.0.1:9000".parse().unwrap()),
            addresses_from: "literal address",
            failed: Vec::new(),
            proxy: None,
            result: Ok(crate::probe::http::Response {
                status,
                reason: String::new(),
                version: "HTTP/1.1",
                headers: headers
                    .iter()
                    .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
                    .collect(),
                body: body.as_bytes().to_vec(),
                truncated: false,
                trailers: Vec::new(),
                sent: std::time::SystemTime::now(),
                ttfb: Duration::ZERO,
                total: Duration::ZERO,
            }),
        })))
    }

    const S3_CONFIG: &str = "checkpoint:\n  enabled: true\n  interval_seconds: 300\n  storage_path: s3://ckpt/run\n  retention_hours: 72\n  s3:\n    endpoint: http://127.0.0.1:9000\n";

    fn judged(
        text: &str,
        observed: &[Observed],
        creds: &Credentials,
    ) -> Vec<(Status, Option<&'static str>, String)> {
        let src = config(text);
        let found = targets(&src, &env(&[]), true).unwrap();
        judge(&src, &found, observed, Some(creds))
            .findings
            .into_iter()
            .map(|f| (f.status, f.code_name(), f.message))
            .collect()
    }

    fn with_keys() -> Credentials {
        Credentials {
            sources: vec![objstore::Source::Environment {
                session_token: false,
            }],
            ..Credentials::default()
        }
    }

    #[test]
    fn s3_answers_are_judged_by_status_and_error_code() {
        let creds = with_keys();
        let cases: &[(Observed, Status, Option<&str>, &str)] = &[
            (
                response(200, "<ListBucketResult/>", &[]),
                Status::Pass,
                None,
                "listed without credentials",
            ),
            (
                response(403, "<Error><Code>AccessDenied</Code></Error>", &[]),
                Status::Pass,
                None,
                "requires credentials (HTTP 403 AccessDenied)",
            ),
            (
                response(404, "<Error><Code>NoSuchBucket</Code></Error>", &[]),
                Status::Fail,
                Some("checkpoint-store.bucket-missing"),
                "bucket `ckpt` of s3://ckpt/run does not exist",
            ),
            (
                response(404, "<html>", &[]),
                Status::Warn,
                Some("checkpoint-store.unexpected-answer"),
                "HTTP 404",
            ),
            (
                response(
                    301,
                    "<Error><Code>PermanentRedirect</Code></Error>",
                    &[("x-amz-bucket-region", "eu-west-1")],
                ),
                Status::Warn,
                Some("checkpoint-store.wrong-region"),
                "lives in region eu-west-1",
            ),
            (
                response(503, "<Error><Code>SlowDown</Code></Error>", &[]),
                Status::Fail,
                Some("checkpoint-store.server-error"),
                "HTTP 503 SlowDown",
            ),
        ];
        for (o, status, code, words) in cases {
            let got = judged(S3_CONFIG, std::slice::from_ref(o), &creds);
            assert_eq!(got[0].0, *status, "{got:?}");
            assert_eq!(got[0].1, *code, "{got:?}");
            assert!(got[0].2.contains(words), "{got:?}");
            assert_eq!(got[1].0, Status::Pass, "credentials: {got:?}");
        }
    }

    #[test]
    fn an_unreachable_endpoint_fails_naming_it_and_missing_credentials_warn() {
        let url = HttpUrl::parse("http://127.0.0.1:9000/ckpt").unwrap();
        let refused = Observed::Http(Box::new(Ok(Exchange {
            url,
            redirects: Vec::new(),
            unfollowed: None,
            addr: None,
            addresses_from: "literal address",
            failed: Vec::new(),
            proxy: None,
            result: Err(Failure::Connect(vec![(
                "127.0.0.1:9000".parse().unwrap(),
                crate::probe::tcp::Outcome::Refused,
            )])),
        })));
        let got = judged(S3_CONFIG, &[refused], &Credentials::default());
        assert_eq!(got[0].1, Some("checkpoint-store.connection-failed"));
        assert!(
            got[0].2.contains(
                "object store endpoint http://127.0.0.1:9000 for s3://ckpt/run is unreachable"
            ),
            "{got:?}"
        );
        assert!(got[0].2.contains("127.0.0.1:9000 refused"), "{got:?}");
        assert_eq!(got[1].1, Some("checkpoint-store.credentials-missing"));
        assert_eq!(got[1].0, Status::Warn);
    }

    #[test]
    fn namenodes_and_other_schemes() {
        let text = |url: &str| format!("checkpoint:\n  enabled: true\n  storage_path: {url}\n");
        let open = Observed::Namenode(Reach::Open {
            addr: "127.0.0.1:8020".parse().unwrap(),
            from: "literal address",
            failed: Vec::new(),
        });
        let got = judged(&text("hdfs://127.0.0.1:8020/ckpt"), &[open], &with_keys());
        assert_eq!(got[0].0, Status::Pass, "{got:?}");
        assert_eq!(got.len(), 1, "no credentials judged for hdfs: {got:?}");
        let refused = Observed::Namenode(Reach::Failed(vec![(
            "127.0.0.1:8020".parse().unwrap(),
            crate::probe::tcp::Outcome::Refused,
        )]));
        let got = judged(
            &text("hdfs://127.0.0.1:8020/ckpt"),
            &[refused],
            &with_keys(),
        );
        assert_eq!(got[0].1, Some("checkpoint-store.connection-failed"));
        assert!(got[0].2.contains("namenode 127.0.0.1:8020"), "{got:?}");
        let nx = Observed::Namenode(Reach::Unresolved("NXDOMAIN".into()));
        let got = judged(
            &text("hdfs://ns1/ckpt"),
            std::slice::from_ref(&nx),
            &with_keys(),
        );
        assert_eq!(got[0].1, Some("checkpoint-store.nameservice-unresolved"));
        let got = judged(&text("hdfs://nn.test:8020/ckpt"), &[nx], &with_keys());
        assert_eq!(got[0].1, Some("checkpoint-store.unresolved"));
        let got = judged(
            &text("gs://bucket/ckpt"),
            &[Observed::Nothing],
            &with_keys(),
        );
        assert_eq!(got[0].1, Some("checkpoint-store.scheme-unsupported"));
        let got = judged(&text("/var/lib/ckpt"), &[], &with_keys());
        assert_eq!(got[0].0, Status::Pass, "{got:?}");
        assert!(
            got[0].2.contains("local directory (/var/lib/ckpt)"),
            "{got:?}"
        );
        let got = judged(
            "checkpoint:\n  enabled: false\n  storage_path: /d\n",
            &[],
            &with_keys(),
        );
        assert_eq!(got[0].1, Some("checkpoint-store.not-remote"));
        assert_eq!(got[0].0, Status::Skip);
    }

    #[test]
    fn no_remediation_tells_to_mkdir_a_url() {
        for c in Kind::INFO.all_codes() {
            assert!(!c.remediation.contains("mkdir"), "{}", c.name);
        }
        let refused = Observed::Namenode(Reach::Failed(vec![]));
        let src = config("checkpoint:\n  enabled: true\n  storage_path: hdfs://nn:1/x\n");
        let found = targets(&src, &env(&[]), true).unwrap();
        for f in judge(&src, &found, &[refused], None).findings {
            assert!(!f.remediation.unwrap_or_default().contains("mkdir"));
        }
    }

    #[test]
    fn checkpoint_backends_that_are_urls_are_probed_too() {
        let src = config(
            "checkpoint:\n  enabled: true\n  storage_path: /var/lib/ckpt\nrecovery:\n  backends:\n    - type: checkpoint\n      target: s3://backup/\n    - type: replica\n      location: [east]\n    - type: checkpoint\n      target: /local\n",
        );
        let found = targets(&src, &env(&[]), true).unwrap();
        assert_eq!(found.targets.len(), 1);
        assert_eq!(found.targets[0].setting, "recovery.backends[0].target");
        assert!(targets(&src, &env(&[]), false).unwrap().targets.is_empty());
    }

    #[test]
    fn an_unset_environment_reference_blocks() {
        let src = config("checkpoint:\n  enabled: true\n  storage_path: ${CKPT_URL}\n");
        let e = targets(&src, &env(&[]), true).unwrap_err();
        assert_eq!(e.findings[0].code_name(), Some("checkpoint-store.blocked"));
        let found = targets(&src, &env(&[("CKPT_URL", "s3://b/x")]), true).unwrap();
        assert_eq!(found.targets[0].shown, "s3://b/x");
    }
}
