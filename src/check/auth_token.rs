//! `auth-token`: decode the node's current token and say whether the master will take it —
//! well-formed, the configured algorithm, valid now by the master's clock (the time checks'
//! offset), a good signature, a `kid` the master still publishes, the master's TTL.
//!
//! The token is a secret: only header and claim names, times, `iss`, `aud` and `sub` are
//! shown, never the token or its signature.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::{CheckKind, Context, KindInfo, Text};
use crate::config::setting::{str_at, u64_at};
use crate::jwt::{self, Key, PublicKey, Token};
use crate::probe::fs;
use crate::report::Code;
use crate::report::{Evaluation, Finding, Status, keys};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Name of an environment variable holding the token (instead of `auth.jwt.token_file`).
    #[serde(default)]
    pub token_env: Option<Text>,
}

super::generated_codes!("auth-token");

/// No token: the token file or variable is unset, unreadable or empty.
/// No token is configured, so there is nothing to judge.
pub const NOT_CONFIGURED: Code = Code::new(
    "auth-token.not-configured",
    Status::Skip,
    "No token is configured: neither `auth.jwt.token_file` nor the check's `token_env` is set.",
    "Set `auth.jwt.token_file` in the node config to the file the service reads its token from.",
);

pub const MISSING: Code = Code::new(
    "auth-token.missing",
    Status::Fail,
    "No token: the token file or variable is unset, unreadable or empty.",
    "Fetch a token from the master into `auth.jwt.token_file`.",
)
.was(&["auth.token-missing"]);

/// The token is not a well-formed signed JWT.
pub const MALFORMED: Code = Code::new(
    "auth-token.malformed",
    Status::Fail,
    "The token is not a well-formed signed JWT.",
    "Fetch a new token from the master; do not edit the token file by hand.",
)
.was(&["auth.token-malformed"]);

/// The token's `alg` is not the configured `auth.jwt.algorithm`.
pub const ALG_MISMATCH: Code = Code::new(
"auth-token.alg-mismatch",
Status::Fail,
"The token's `alg` is not the configured `auth.jwt.algorithm`.",
"Fetch a new token signed with the configured algorithm, or align `auth.jwt.algorithm` with the master.",
)
.was(&["auth.token-alg-mismatch"]);

/// The token has expired by the master's clock.
pub const EXPIRED: Code = Code::new(
    "auth-token.expired",
    Status::Fail,
    "The token has expired by the master's clock.",
    "Fetch a new token from the master (and check the refresh job).",
)
.was(&["auth.token-expired"]);

/// The token is not valid yet by the master's clock (`nbf`/`iat` in the future).
pub const NOT_YET_VALID: Code = Code::new(
    "auth-token.not-yet-valid",
    Status::Fail,
    "The token is not valid yet by the master's clock (`nbf`/`iat` in the future).",
    "Fix clock synchronisation on the issuing side, then fetch a new token.",
)
.was(&["auth.token-not-yet-valid"]);

/// The token is valid by the master's clock but not by this node's: the clocks differ.
pub const CLOCK_SKEW: Code = Code::new(
    "auth-token.clock-skew",
    Status::Warn,
    "The token is valid by the master's clock but not by this node's: the clocks differ.",
    "Synchronise this node's clock (see the time checks).",
)
.was(&["auth.token-clock-skew"]);

/// The token's signature does not verify with the configured key or secret.
pub const BAD_SIGNATURE: Code = Code::new(
    "auth-token.bad-signature",
    Status::Fail,
    "The token's signature does not verify with the configured key or secret.",
    "Install the master's current public key or secret, then fetch a new token.",
)
.was(&["auth.token-bad-signature"]);

/// The token's `kid` is not in the master's JWKS: it was signed with a key the master retired (rotation not synchronised).
pub const KID_UNKNOWN: Code = Code::new(
"auth-token.kid-unknown",
Status::Fail,
"The token's `kid` is not in the master's JWKS: it was signed with a key the master retired (rotation not synchronised).",
"Fetch a new token signed with the master's current key.",
)
.was(&["auth.kid-unknown"]);

/// The token's `iss` is not the issuer the master (or `auth.jwt.issuer`) expects.
pub const ISSUER_MISMATCH: Code = Code::new(
    "auth-token.issuer-mismatch",
    Status::Fail,
    "The token's `iss` is not the issuer the master (or `auth.jwt.issuer`) expects.",
    "Fetch a new token from the master's issuer, or correct `auth.jwt.issuer`.",
);

/// The token's `aud` does not include the audience the master (or `auth.jwt.audience`) expects.
pub const AUDIENCE_MISMATCH: Code = Code::new(
    "auth-token.audience-mismatch",
    Status::Fail,
    "The token's `aud` does not include the audience the master (or `auth.jwt.audience`) expects.",
    "Fetch a new token for the master's audience, or correct `auth.jwt.audience`.",
);

/// The token's lifetime (`exp - iat`) differs from the master's `token_ttl`.
pub const TTL_MISMATCH: Code = Code::new(
    "auth-token.ttl-mismatch",
    Status::Warn,
    "The token's lifetime (`exp - iat`) differs from the master's `token_ttl`.",
    "Set `auth.token_ttl` to the master's value and fetch a new token.",
)
.was(&["auth.token-ttl-mismatch"]);

/// The configured public key or secret file cannot be read or parsed.
pub const KEY_UNREADABLE: Code = Code::new(
    "auth-token.key-unreadable",
    Status::Fail,
    "The configured public key or secret file cannot be read or parsed.",
    "Put a PEM public key at `auth.jwt.public_key_file` (or the secret at `auth.jwt.secret_file`).",
)
.was(&["auth.token-key-unreadable"]);

pub struct Kind;

impl CheckKind for Kind {
    type Spec = Spec;
    const INFO: KindInfo = KindInfo {
        name: "auth-token",
        category: "auth",
        summary: "The node's current JWT is well-formed, valid by the master's clock, correctly signed, with a kid and TTL the master uses",
        explain: "What it checks: the token in `auth.jwt.token_file` (or the environment variable named by `token_env`) is decoded without trusting it and judged: malformed; an `alg` other than `auth.jwt.algorithm`; expired or not yet valid — by the master's clock, using the offset the time checks measured (fact `time.offset_ms`), so a token that is valid for the master but expired by this node's clock is named as clock skew; a signature that does not verify with `auth.jwt.public_key_file`, `auth.jwt.secret_file` or the master's JWKS key for its `kid`; a `kid` the master's JWKS no longer lists (a key rotation this node missed); a lifetime (`exp - iat`) other than the master's `token_ttl`. Supports HS256/384/512, RS256/384/512, PS256/384/512, ES256/384 and EdDSA. The token is never shown: only its header, claim names, times, `iss`, `aud` and `sub`.\n\nWhy it matters: the master refuses a token that is expired by its clock, signed by a retired key or with the wrong algorithm — and the node sees only 401.\n\nHow to fix: fetch a new token from the master; after a key rotation, install the master's current key first; when the clock is off, fix time synchronisation (see the time checks).",
        default_timeout: Duration::from_secs(5),
        network: false,
        reads_config: true,
        codes: &[
            NOT_CONFIGURED,
            MISSING,
            MALFORMED,
            ALG_MISMATCH,
            EXPIRED,
            NOT_YET_VALID,
            CLOCK_SKEW,
            BAD_SIGNATURE,
            KID_UNKNOWN,
            ISSUER_MISMATCH,
            AUDIENCE_MISMATCH,
            TTL_MISMATCH,
            KEY_UNREADABLE,
        ],
        generated: GENERATED,
        aliases: &[],
        implicit_needs: &[],
        gates_config: false,
        uses_master_config: false,
        config_facts: &[],
    };

    async fn run(spec: &Spec, ctx: &Context) -> Evaluation {
        let Some(tree) = ctx.config.tree() else {
            return super::blocked(
                &BLOCKED,
                "not run: the node config is not readable YAML",
                "fix the config.file and config.syntax checks first",
            );
        };
        let src = &*ctx.config;
        let path = |p: &str| {
            str_at(tree, p)
                .value()
                .filter(|v| !v.trim().is_empty())
                .map(|v| file_of(src, v))
        };
        let raw = if let Some(var) = &spec.token_env {
            ctx.env.var(&var.0).ok_or_else(|| {
                (
                    format!("the variable {} is not set", var.0),
                    format!("export {} with the node's token", var.0),
                )
            })
        } else if let Some(p) = path("/auth/jwt/token_file") {
            fs::read_bounded_text(&p, fs::SECRET_CAP)
                .await
                .map_err(|e| {
                    (
                        format!("cannot read the token file {}: {e}", p.display()),
                        format!("fetch a token from the master into {}", p.display()),
                    )
                })
        } else {
            return Evaluation::single(Finding::new(
                &NOT_CONFIGURED,
                "no token to judge: neither `auth.jwt.token_file` nor the check's `token_env` is set",
                "set `auth.jwt.token_file` in the node config to the file the service reads its token from",
            ));
        };
        let key = if let Some(p) = path("/auth/jwt/public_key_file") {
            Some(
                fs::read_bounded(&p, fs::SECRET_CAP)
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|b| PublicKey::from_pem(&b))
                    .map(KeyMaterial::Public)
                    .map_err(|e| (p.display().to_string(), e)),
            )
        } else if let Some(p) = path("/auth/jwt/secret_file") {
            Some(
                fs::read_bounded_text(&p, fs::SECRET_CAP)
                    .await
                    .map(|s| KeyMaterial::Secret(s.trim().as_bytes().to_vec()))
                    .map_err(|e| (p.display().to_string(), e.to_string())),
            )
        } else {
            None
        };
        let f = &ctx.facts;
        let input = Input {
            raw,
            algorithm: str_at(tree, "/auth/jwt/algorithm").value().cloned(),
            key,
            jwks: f.get("auth.master.jwks").and_then(Value::as_array).cloned(),
            master_ttl: f.get("auth.master.token_ttl").and_then(Value::as_u64),
            issuer: expected(
                f.get("auth.master.issuer").and_then(Value::as_str),
                str_at(tree, "/auth/jwt/issuer").value().map(String::as_str),
            ),
            audience: expected(
                f.get("auth.master.audience").and_then(Value::as_str),
                str_at(tree, "/auth/jwt/audience")
                    .value()
                    .map(String::as_str),
            ),
            node_ttl: u64_at(tree, "/auth/token_ttl").value().copied(),
            // The master's own clock when its Date header was read (whole seconds, but it is
            // the clock that judges the token), else the NTP-corrected time.
            offset_ms: f
                .get(super::clock_http::MASTER_OFFSET_MS)
                .and_then(Value::as_f64)
                .or_else(|| f.get(keys::TIME_OFFSET_MS).and_then(Value::as_f64)),
            now: chrono::Utc::now().timestamp(),
        };
        judge(&input)
    }
}

/// The value a claim must have: the master's when known (it is what the master checks),
/// else this node's configured one.
fn expected(master: Option<&str>, node: Option<&str>) -> Option<(String, &'static str)> {
    let clean = |v: Option<&str>| {
        v.map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    clean(master)
        .map(|v| (v, "the master's"))
        .or_else(|| clean(node).map(|v| (v, "the configured")))
}

fn file_of(src: &crate::config::ConfigSource, v: &str) -> std::path::PathBuf {
    let v = std::path::Path::new(v);
    if v.is_absolute() {
        v.to_path_buf()
    } else {
        src.path
            .as_deref()
            .and_then(std::path::Path::parent)
            .map_or_else(|| v.to_path_buf(), |d| d.join(v))
    }
}

/// The key configured on this node.
#[derive(Debug)]
pub enum KeyMaterial {
    Public(PublicKey),
    Secret(Vec<u8>),
}

/// What the judge sees.
#[derive(Debug)]
pub struct Input {
    /// The raw token, or why there is none (message, remediation).
    pub raw: Result<String, (String, String)>,
    pub algorithm: Option<String>,
    /// The configured key, or (file, why it is unusable).
    pub key: Option<Result<KeyMaterial, (String, String)>>,
    /// The master's JWKS (public members), from `auth-params`.
    pub jwks: Option<Vec<Value>>,
    pub master_ttl: Option<u64>,
    /// The issuer the token must name, and whose value it is ("the master's", "the configured").
    pub issuer: Option<(String, &'static str)>,
    /// The audience the token must include, and whose value it is.
    pub audience: Option<(String, &'static str)>,
    pub node_ttl: Option<u64>,
    /// This node's clock minus the master's reference, ms (positive: node ahead).
    pub offset_ms: Option<f64>,
    /// This node's clock, unix seconds.
    pub now: i64,
}

fn utc(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).map_or_else(
        || t.to_string(),
        |d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

fn ago(secs: i64) -> String {
    let s = secs.abs();
    if s >= 3600 {
        format!("{} h {} min", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{} min {} s", s / 60, s % 60)
    } else {
        format!("{s} s")
    }
}

/// Judge the token.
pub fn judge(input: &Input) -> Evaluation {
    let raw = match &input.raw {
        Ok(r) if !r.trim().is_empty() => r,
        Ok(_) => {
            return Evaluation::single(Finding::new(
                &MISSING,
                "the token is empty",
                "fetch a token from the master into `auth.jwt.token_file`",
            ));
        }
        Err((msg, fix)) => {
            return Evaluation::single(Finding::new(&MISSING, msg.clone(), fix.clone()));
        }
    };
    let token = match jwt::parse(raw) {
        Ok(t) => t,
        Err(why) => {
            return Evaluation::single(Finding::new(
                &MALFORMED,
                format!("the node's token is not a signed JWT: {why}"),
                "fetch a new token from the master into `auth.jwt.token_file`; do not edit it by hand",
            ));
        }
    };
    if let Some((claim, value)) = token.bad_time() {
        return Evaluation::single(Finding::new(
            &MALFORMED,
            format!(
                "the node's token has `{claim}: {value}`, which is not a date between the years 0 and 9999"
            ),
            "fetch a new token from the master into `auth.jwt.token_file`; do not edit it by hand",
        ));
    }
    let mut findings = Vec::new();
    let mut evidence = crate::report::Evidence::new();
    describe(&token, &mut evidence);
    let alg = token.alg().unwrap_or_default().to_string();

    if let Some(want) = &input.algorithm
        && *want != alg
    {
        findings.push(Finding::new(&ALG_MISMATCH, format!("the token is signed with {alg}, the config says {want}"),
            format!("fetch a new {want} token from the master, or set `auth.jwt.algorithm` to the master's algorithm"),
        ));
    }

    // Times, by the master's clock when the offset is known.
    // An offset beyond a day is nonsense from a broken peer; clamping keeps every sum
    // below in range (times are within years 0..=9999, far from i64's limits).
    let offset_s = input.offset_ms.filter(|ms| ms.is_finite()).map(|ms| {
        #[allow(clippy::cast_possible_truncation)]
        let s = (ms / 1000.0).round().clamp(-1.0e9, 1.0e9) as i64;
        s
    });
    let master_now = input.now.saturating_sub(offset_s.unwrap_or(0));
    let skew = |s: i64| {
        if s >= 0 {
            format!("node is {s} s ahead")
        } else {
            format!("node is {} s behind", -s)
        }
    };
    let unknown = if offset_s.is_none() {
        " (judged by this node's clock: no clock offset measured; add the time checks to `needs`)"
    } else {
        ""
    };
    if let Some(exp) = token.time("exp") {
        if exp <= master_now {
            let also = match offset_s {
                Some(s) if exp > input.now => {
                    format!(", still valid by this node's clock ({})", skew(s))
                }
                _ => String::new(),
            };
            findings.push(Finding::new(&EXPIRED, format!("the token expired {} ({} ago) by the master's clock{also}{unknown}", utc(exp), ago(master_now.saturating_sub(exp))),
                format!("fetch a new token from the master (it expired {}), and check the job that refreshes it", utc(exp)),
            ));
        } else if exp <= input.now
            && let Some(s) = offset_s
        {
            findings.push(Finding::new(&CLOCK_SKEW, format!("the token is valid by the master's clock, expired by this node's clock ({}); it expires {}", skew(s), utc(exp)),
                format!("synchronise this node's clock (it is off by {s} s) — see the time checks"),
            ));
        }
    }
    let start = token.time("nbf").or_else(|| token.time("iat"));
    if let Some(nbf) = start {
        if nbf > master_now {
            let also = match offset_s {
                Some(s) if nbf <= input.now => {
                    format!(", already valid by this node's clock ({})", skew(s))
                }
                _ => String::new(),
            };
            findings.push(Finding::new(&NOT_YET_VALID, format!("the token is not valid until {} (in {}) by the master's clock{also}{unknown}", utc(nbf), ago(nbf.saturating_sub(master_now))),
                format!("check the clock of the host that issued the token; then fetch a new token valid from now (not {})", utc(nbf)),
            ));
        } else if nbf > input.now
            && let Some(s) = offset_s
        {
            findings.push(Finding::new(&CLOCK_SKEW, format!("the token is valid by the master's clock, not yet valid by this node's clock ({})", skew(s)),
                format!("synchronise this node's clock (it is off by {s} s) — see the time checks"),
            ));
        }
    }

    // Issuer and audience: the master rejects a token from another issuer or for another
    // audience, however well it is signed.
    if let Some((want, whose)) = &input.issuer {
        let got = token.text("iss");
        if got.as_deref() != Some(want.as_str()) {
            findings.push(Finding::new(
                &ISSUER_MISMATCH,
                format!(
                    "the token's issuer is {}, {whose} issuer is {want}",
                    got.map_or_else(|| "not set (no `iss`)".to_string(), |g| format!("`{g}`"))
                ),
                format!("fetch a new token issued by {want} (check `auth.jwt.issuer` on this node and the master)"),
            ));
        }
    }
    if let Some((want, whose)) = &input.audience {
        let got: Vec<String> = match token.claims.get("aud") {
            Some(Value::String(a)) => vec![a.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        if !got.iter().any(|a| a == want) {
            findings.push(Finding::new(
                &AUDIENCE_MISMATCH,
                format!(
                    "the token's audience is {}, {whose} audience is {want}",
                    if got.is_empty() { "not set (no `aud`)".to_string() } else { format!("`{}`", got.join("`, `")) }
                ),
                format!("fetch a new token for the audience {want} (check `auth.jwt.audience` on this node and the master)"),
            ));
        }
    }

    // Key rotation: the token's kid must still be published.
    let kid = token.kid().map(str::to_string);
    let jwk = match (&kid, &input.jwks) {
        (Some(k), Some(keys)) => {
            let found = keys
                .iter()
                .find(|j| j.get("kid").and_then(Value::as_str) == Some(k));
            if found.is_none() {
                let listed: Vec<&str> = keys
                    .iter()
                    .filter_map(|j| j.get("kid").and_then(Value::as_str))
                    .collect();
                findings.push(Finding::new(&KID_UNKNOWN, format!("the token's kid {k} is not in the master's JWKS (it lists {}): it was signed with a key the master no longer uses", listed.join(", ")),
                    format!("fetch a new token signed with the master's current key ({}); install that key and set `auth.jwt.key_id` to it", listed.join(", ")),
                ).with("kid", k.clone()).with("master_kids", listed));
            }
            found.cloned()
        }
        _ => None,
    };

    // Signature: the configured key, else the master's JWKS key for the token's kid.
    let want_alg = input.algorithm.clone().unwrap_or_else(|| alg.clone());
    let checked = match &input.key {
        Some(Err((file, why))) => {
            findings.push(Finding::new(
                &KEY_UNREADABLE,
                format!("cannot use the configured key {file}: {why}"),
                format!("put the master's PEM public key (or the shared secret) at {file}"),
            ));
            None
        }
        Some(Ok(KeyMaterial::Public(k))) => Some((
            jwt::verify(&token, &want_alg, &Key::Public(k)),
            "the configured public key".to_string(),
        )),
        Some(Ok(KeyMaterial::Secret(s))) => Some((
            jwt::verify(&token, &want_alg, &Key::Secret(s)),
            "the configured secret".to_string(),
        )),
        None => match (&kid, &input.jwks) {
            (Some(_), _) => jwk
                .as_ref()
                .and_then(|j| PublicKey::from_jwk(j).ok())
                .map(|k| {
                    (
                        jwt::verify(&token, &want_alg, &Key::Public(&k)),
                        format!("the master's JWKS key {}", kid.clone().unwrap_or_default()),
                    )
                }),
            // No kid: the master tries its keys, so must we; a token none of them verifies is
            // not passed unchecked.
            (None, Some(keys)) if !keys.is_empty() => {
                let usable: Vec<PublicKey> = keys
                    .iter()
                    .filter_map(|j| PublicKey::from_jwk(j).ok())
                    .collect();
                let verified = usable
                    .iter()
                    .any(|k| jwt::verify(&token, &want_alg, &Key::Public(k)).is_ok());
                Some((
                    if verified {
                        Ok(())
                    } else {
                        Err(format!(
                            "the token has no kid and none of the {} keys matches it",
                            usable.len()
                        ))
                    },
                    "the master's JWKS keys".to_string(),
                ))
            }
            _ => None,
        },
    };
    match &checked {
        Some((Err(why), with)) => findings.push(Finding::new(&BAD_SIGNATURE, format!("the token's signature does not verify with {with}: {why}"),
            "install the master's current public key (or secret) on this node, then fetch a new token signed with it",
        )),
        Some((Ok(()), with)) => {
            evidence.insert("signature".into(), format!("verified with {with}").into());
        }
        None => {
            evidence.insert("signature".into(), "not checked: no key configured and no JWKS key for the token's kid".into());
        }
    }

    // Lifetime.
    if let (Some(exp), Some(iat), Some(ttl)) = (
        token.time("exp"),
        token.time("iat"),
        input.master_ttl.or(input.node_ttl),
    ) {
        let life = exp.saturating_sub(iat);
        if i64::try_from(ttl).is_ok_and(|t| t != life) {
            let whose = if input.master_ttl.is_some() {
                "master's"
            } else {
                "configured"
            };
            findings.push(Finding::new(
                &TTL_MISMATCH,
                format!("the token lives {life} s (exp - iat), the {whose} token_ttl is {ttl} s"),
                format!("set `auth.token_ttl` to {ttl} on every node and fetch a new token"),
            ));
        }
    }

    if findings.is_empty() {
        let exp = token
            .time("exp")
            .map_or_else(|| "no expiry".into(), |e| format!("valid until {}", utc(e)));
        findings.push(Finding::pass(format!(
            "token {alg}{} {exp}, signature {}",
            kid.map(|k| format!(" kid {k}")).unwrap_or_default(),
            if matches!(checked, Some((Ok(()), _))) {
                "verified"
            } else {
                "not checked"
            }
        )));
    }
    let mut eval = Evaluation::of(findings);
    eval.evidence = evidence;
    eval
}

/// Header and non-secret claims for the evidence.
fn describe(token: &Token, evidence: &mut crate::report::Evidence) {
    evidence.insert("alg".into(), token.alg().unwrap_or_default().into());
    if let Some(k) = token.kid() {
        evidence.insert("kid".into(), k.into());
    }
    for c in ["iss", "aud", "sub"] {
        if let Some(v) = token.text(c) {
            evidence.insert(c.into(), v.into());
        }
    }
    for c in ["iat", "nbf", "exp"] {
        if let Some(t) = token.time(c) {
            evidence.insert(c.into(), crate::report::rfc3339(t).into());
        }
    }
    let mut names: Vec<&String> = token.claims.keys().collect();
    names.sort();
    evidence.insert(
        "claims".into(),
        names.into_iter().cloned().collect::<Vec<_>>().into(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000;

    fn token(kid: &str, iat: i64, exp: i64, key: &crate::sim::SigningKey) -> String {
        jwt::sign_es256(
            &json!({"alg": "ES256", "typ": "JWT", "kid": kid}),
            &json!({"sub": "compute-07", "iss": "https://m", "aud": "open-autoglm", "iat": iat, "exp": exp}),
            &key.private_pem,
        )
        .unwrap()
    }

    fn input(raw: String, key: &crate::sim::SigningKey) -> Input {
        Input {
            raw: Ok(raw),
            algorithm: Some("ES256".into()),
            key: None,
            jwks: Some(vec![key.jwk.clone()]),
            master_ttl: Some(3600),
            issuer: Some(("https://m".into(), "the master's")),
            audience: Some(("open-autoglm".into(), "the master's")),
            node_ttl: Some(3600),
            offset_ms: Some(0.0),
            now: NOW,
        }
    }

    fn token_with(header: &Value, claims: &Value, key: &crate::sim::SigningKey) -> String {
        jwt::sign_es256(header, claims, &key.private_pem).unwrap()
    }

    #[test]
    fn issuer_and_audience_are_compared_with_the_masters() {
        let k = crate::sim::signing_key("k1").unwrap();
        let h = json!({"alg": "ES256", "kid": "k1"});
        let claims = |iss: &str, aud: Value| json!({"iss": iss, "aud": aud, "iat": NOW - 60, "exp": NOW + 3540});
        let cases = [
            (claims("https://m", json!("open-autoglm")), vec![]),
            (claims("https://m", json!(["x", "open-autoglm"])), vec![]),
            (
                claims("https://rogue", json!("open-autoglm")),
                vec!["auth-token.issuer-mismatch"],
            ),
            (
                claims("https://m", json!("other")),
                vec!["auth-token.audience-mismatch"],
            ),
        ];
        for (c, want) in cases {
            let e = judge(&input(token_with(&h, &c, &k), &k));
            assert_eq!(codes(&e), want, "{c}: {:?}", e.findings);
        }
        let e = judge(&input(
            token_with(&h, &claims("https://rogue", json!("open-autoglm")), &k),
            &k,
        ));
        assert_eq!(
            e.findings[0].message,
            "the token's issuer is `https://rogue`, the master's issuer is https://m"
        );
    }

    #[test]
    fn a_token_without_kid_is_verified_against_every_published_key() {
        let k = crate::sim::signing_key("k1").unwrap();
        let rogue = crate::sim::signing_key("k9").unwrap();
        let h = json!({"alg": "ES256"});
        let c =
            json!({"iss": "https://m", "aud": "open-autoglm", "iat": NOW - 60, "exp": NOW + 3540});
        let e = judge(&input(token_with(&h, &c, &k), &k));
        assert_eq!(codes(&e), Vec::<&str>::new(), "{:?}", e.findings);
        assert!(e.findings[0].message.contains("signature verified"));
        let e = judge(&input(token_with(&h, &c, &rogue), &k));
        assert_eq!(codes(&e), ["auth-token.bad-signature"], "{:?}", e.findings);
        assert_eq!(e.findings[0].message.matches("does not verify").count(), 1);
    }

    fn codes(e: &Evaluation) -> Vec<&str> {
        e.findings.iter().filter_map(Finding::code_name).collect()
    }

    /// An unsigned token with these claims (the judge decodes before it verifies).
    fn with_claims(claims: &Value) -> String {
        use base64_free as b64;
        format!(
            "{}.{}.c2ln",
            b64(br#"{"alg":"ES256","typ":"JWT","kid":"k1"}"#),
            b64(claims.to_string().as_bytes())
        )
    }

    /// Base64url without padding, enough for test tokens.
    fn base64_free(bytes: &[u8]) -> String {
        const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..=chunk.len() {
                out.push(char::from(ABC[((n >> (18 - 6 * i)) & 63) as usize]));
            }
        }
        out
    }

    #[test]
    fn exp_1e300_is_malformed_not_a_negative_lifetime() {
        let k = crate::sim::signing_key("k1").unwrap();
        for claims in [
            json!({"iat": NOW, "exp": 1e300}),
            json!({"iat": -1e300, "exp": NOW}),
            json!({"iat": NOW, "exp": i64::MAX}),
            json!({"iat": NOW, "nbf": i64::MIN, "exp": NOW + 60}),
            json!({"iat": NOW, "exp": "tomorrow"}),
        ] {
            let e = judge(&input(with_claims(&claims), &k));
            assert_eq!(codes(&e), ["auth-token.malformed"], "{claims}");
            assert!(
                e.findings[0].message.contains("not a date"),
                "{}",
                e.findings[0].message
            );
        }
        // The largest date that is one is judged normally, without overflow.
        let far = with_claims(&json!({"iat": crate::jwt::MIN_TIME, "exp": crate::jwt::MAX_TIME}));
        let e = judge(&input(far, &k));
        assert!(!codes(&e).contains(&"auth-token.malformed"), "{e:?}");
    }

    #[test]
    fn an_absurd_clock_offset_cannot_overflow_the_judge() {
        let k = crate::sim::signing_key("k1").unwrap();
        for offset in [f64::MAX, f64::MIN, f64::NAN, f64::INFINITY, 1e300] {
            let i = Input {
                offset_ms: Some(offset),
                ..input(token("k1", NOW - 60, NOW + 3540, &k), &k)
            };
            let _ = judge(&i);
        }
    }

    #[test]
    fn judges_tokens() {
        let k = crate::sim::signing_key("k1").unwrap();
        let other = crate::sim::signing_key("k0").unwrap();
        let good = token("k1", NOW - 60, NOW + 3540, &k);
        let cases: Vec<(Input, Vec<&str>)> = vec![
            (input(good.clone(), &k), vec![]),
            (
                Input {
                    raw: Ok("abc".into()),
                    ..input(good.clone(), &k)
                },
                vec!["auth-token.malformed"],
            ),
            (
                input(token("k1", NOW - 4000, NOW - 400, &k), &k),
                vec!["auth-token.expired"],
            ),
            (
                input(token("k1", NOW + 600, NOW + 4200, &k), &k),
                vec!["auth-token.not-yet-valid"],
            ),
            (
                input(token("k0", NOW - 60, NOW + 3540, &other), &k),
                vec!["auth-token.kid-unknown"],
            ),
            (
                input(token("k1", NOW - 60, NOW + 3540, &other), &k),
                vec!["auth-token.bad-signature"],
            ),
            (
                input(token("k1", NOW - 60, NOW + 1740, &k), &k),
                vec!["auth-token.ttl-mismatch"],
            ),
            (
                Input {
                    algorithm: Some("RS256".into()),
                    ..input(good.clone(), &k)
                },
                vec!["auth-token.alg-mismatch", "auth-token.bad-signature"],
            ),
            // Node 95 s ahead: expired by its clock, valid by the master's.
            (
                Input {
                    offset_ms: Some(95_000.0),
                    ..input(token("k1", NOW - 3650, NOW - 50, &k), &k)
                },
                vec!["auth-token.clock-skew"],
            ),
            // Node 95 s behind: expired by the master's clock, valid by its own.
            (
                Input {
                    offset_ms: Some(-95_000.0),
                    ..input(token("k1", NOW - 3550, NOW + 50, &k), &k)
                },
                vec!["auth-token.expired"],
            ),
        ];
        for (i, (inp, want)) in cases.into_iter().enumerate() {
            let e = judge(&inp);
            assert_eq!(codes(&e), want, "case {i}: {:?}", e.findings);
        }
    }

    #[test]
    fn skew_message_names_both_clocks() {
        let k = crate::sim::signing_key("k1").unwrap();
        let e = judge(&Input {
            offset_ms: Some(95_000.0),
            ..input(token("k1", NOW - 3650, NOW - 50, &k), &k)
        });
        assert!(
            e.findings[0].message.contains(
                "valid by the master's clock, expired by this node's clock (node is 95 s ahead)"
            ),
            "{}",
            e.findings[0].message
        );
    }

    #[test]
    fn the_token_never_reaches_the_evaluation() {
        let k = crate::sim::signing_key("k1").unwrap();
        let t = token("k1", NOW - 4000, NOW - 400, &k);
        let e = judge(&input(t.clone(), &k));
        let all = format!("{e:?}");
        for part in t.split('.') {
            assert!(!all.contains(part), "a token part leaked");
        }
    }
}
