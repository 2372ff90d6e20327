//! `${config.…}` and `${env.…}` references in suite parameters.
//!
//! A value that is exactly one reference takes the referenced value with its type (a port
//! stays a number, a list stays a list); a reference inside a longer string is replaced by
//! the scalar's text. `${env.NAME:-fallback}` gives a fallback; `$${` writes a literal `${`.
//! `${config.endpoint.host}` (also `.port`, `.scheme`, `.path`) reads the parts of a URL.

use serde_json::Value as J;

/// The namespace a reference reads from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    Config,
    Env,
}

/// One `${…}` reference as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ref {
    pub namespace: Namespace,
    pub path: String,
    pub fallback: Option<String>,
    /// The reference as written, for messages: `${config.endpoint.host}`.
    pub raw: String,
}

/// A piece of a string with references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Ref(Ref),
}

/// Split a string into text and references. Errors name the malformed reference.
pub fn parse(s: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        text.push_str(&rest[..i]);
        rest = &rest[i..];
        if let Some(after) = rest.strip_prefix("$${") {
            text.push_str("${");
            rest = after;
        } else if let Some(after) = rest.strip_prefix("${") {
            // The closing brace that balances `${` (a fallback may hold `{}`).
            let mut depth = 0usize;
            let end = after.char_indices().find_map(|(i, c)| match c {
                '{' => {
                    depth += 1;
                    None
                }
                '}' if depth == 0 => Some(i),
                '}' => {
                    depth -= 1;
                    None
                }
                _ => None,
            });
            let Some(end) = end else {
                return Err(format!(
                    "unterminated reference `{rest}`: add the closing `}}`"
                ));
            };
            let inner = &after[..end];
            let raw = format!("${{{inner}}}");
            let (body, fallback) = match inner.split_once(":-") {
                Some((b, f)) => (b, Some(f.to_string())),
                None => (inner, None),
            };
            let (namespace, path) = if let Some(p) = body.strip_prefix("config.") {
                (Namespace::Config, p)
            } else if let Some(p) = body.strip_prefix("env.") {
                (Namespace::Env, p)
            } else {
                return Err(format!(
                    "unknown reference `{raw}`: write `${{config.path.to.value}}` or `${{env.NAME}}`"
                ));
            };
            let valid = !path.is_empty()
                && path.split('.').all(|seg| {
                    !seg.is_empty()
                        && seg
                            .chars()
                            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
                });
            if !valid {
                return Err(format!("malformed reference `{raw}`"));
            }
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            pieces.push(Piece::Ref(Ref {
                namespace,
                path: path.to_string(),
                fallback,
                raw,
            }));
            rest = &after[end + 1..];
        } else {
            text.push('$');
            rest = &rest[1..];
        }
    }
    text.push_str(rest);
    if !text.is_empty() || pieces.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

/// Why a reference did not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unresolved {
    /// `${env.NAME}` with NAME unset and no fallback.
    EnvUnset { raw: String },
    /// The node config is not available (missing, unreadable, invalid YAML).
    NoConfig { raw: String },
    /// The config has no such value.
    ConfigMissing { raw: String },
    /// The config value is itself an `${ENV}` reference whose variable is unset.
    ConfigEnvUnset { raw: String, var: String },
    /// A non-scalar value used inside a longer string.
    NotScalar { raw: String },
}

/// A fallback is written as YAML: `${config.x:-[]}` is an empty list, `:-53` a number.
fn fallback_value(f: &str) -> J {
    crate::yaml::load_one(f)
        .ok()
        .filter(|n| !matches!(&n.value, crate::yaml::Value::Mapping(m) if m.is_empty()))
        .map_or_else(|| J::String(f.to_string()), |n| n.to_json())
}

/// Resolve one reference.
pub fn resolve(
    r: &Ref,
    config: Option<&J>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<J, Unresolved> {
    let found = match r.namespace {
        Namespace::Env => env(&r.path).map(J::String),
        Namespace::Config => {
            let Some(cfg) = config else {
                return match &r.fallback {
                    Some(f) => Ok(fallback_value(f)),
                    None => Err(Unresolved::NoConfig { raw: r.raw.clone() }),
                };
            };
            lookup(cfg, &r.path)
        }
    };
    let value = match (found, &r.fallback) {
        (Some(v), _) if !v.is_null() => v,
        (_, Some(f)) => return Ok(fallback_value(f)),
        (_, None) => {
            return Err(match r.namespace {
                Namespace::Env => Unresolved::EnvUnset { raw: r.raw.clone() },
                Namespace::Config => Unresolved::ConfigMissing { raw: r.raw.clone() },
            });
        }
    };
    // A config value written as `${NAME}` is expanded from the environment, as the node does.
    if r.namespace == Namespace::Config
        && let J::String(s) = &value
        && let Some(var) = crate::config::env_ref(s)
    {
        return env(var).map(J::String).ok_or(Unresolved::ConfigEnvUnset {
            raw: r.raw.clone(),
            var: var.to_string(),
        });
    }
    Ok(value)
}

fn lookup(cfg: &J, path: &str) -> Option<J> {
    let segs: Vec<&str> = path.split('.').collect();
    let mut node = cfg;
    for (i, seg) in segs.iter().enumerate() {
        node = match node {
            J::Object(map) => map.get(*seg)?,
            J::Array(items) => items.get(seg.parse::<usize>().ok()?)?,
            J::String(s) if i + 1 == segs.len() => return url_part(s, seg),
            _ => return None,
        };
    }
    Some(node.clone())
}

fn url_part(s: &str, part: &str) -> Option<J> {
    let (scheme, host, explicit_port, url_path) = crate::probe::url::split_url(s)?;
    match part {
        "scheme" => Some(J::String(scheme)),
        "host" => Some(J::String(host)),
        "path" => Some(J::String(url_path)),
        "port" => explicit_port
            .or(match scheme.as_str() {
                "http" => Some(80),
                "https" => Some(443),
                _ => None,
            })
            .map(J::from),
        _ => None,
    }
}

/// Substitute a string. A lone reference keeps the referenced type.
pub fn substitute(
    s: &str,
    config: Option<&J>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Result<J, Unresolved>, String> {
    let pieces = parse(s)?;
    if let [Piece::Ref(r)] = pieces.as_slice() {
        return Ok(resolve(r, config, env));
    }
    let mut out = String::new();
    for p in &pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Ref(r) => match resolve(r, config, env) {
                Ok(J::String(v)) => out.push_str(&v),
                Ok(v @ (J::Number(_) | J::Bool(_))) => out.push_str(&v.to_string()),
                Ok(_) => return Ok(Err(Unresolved::NotScalar { raw: r.raw.clone() })),
                Err(e) => return Ok(Err(e)),
            },
        }
    }
    Ok(Ok(J::String(out)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(name: &str) -> Option<String> {
        (name == "HOME_DIR").then(|| "/home/x".to_string())
    }

    #[test]
    fn lone_reference_keeps_type() {
        let cfg = json!({"sync": {"ports": {"http": 8080}}});
        let v = substitute("${config.sync.ports.http}", Some(&cfg), &env).unwrap();
        assert_eq!(v, Ok(json!(8080)));
    }

    #[test]
    fn embedded_references_become_text() {
        let cfg = json!({"node": {"id": "c1"}});
        let v = substitute(
            "id=${config.node.id} home=${env.HOME_DIR} $${literal}",
            Some(&cfg),
            &env,
        );
        assert_eq!(v.unwrap(), Ok(json!("id=c1 home=/home/x ${literal}")));
    }

    #[test]
    fn url_parts() {
        let cfg = json!({"endpoint": "https://master.autoglm.test:8443/api"});
        let host = substitute("${config.endpoint.host}", Some(&cfg), &env).unwrap();
        assert_eq!(host, Ok(json!("master.autoglm.test")));
        let port = substitute("${config.endpoint.port}", Some(&cfg), &env).unwrap();
        assert_eq!(port, Ok(json!(8443)));
        let cfg = json!({"endpoint": "http://[::1]/"});
        assert_eq!(
            substitute("${config.endpoint.host}", Some(&cfg), &env).unwrap(),
            Ok(json!("::1"))
        );
        assert_eq!(
            substitute("${config.endpoint.port}", Some(&cfg), &env).unwrap(),
            Ok(json!(80))
        );
    }

    #[test]
    fn unresolved_cases_are_distinguished() {
        let cfg = json!({"auth": {"api_key": "${NOPE_KEY}"}});
        assert_eq!(
            substitute("${config.a:-[]}", Some(&cfg), &env).unwrap(),
            Ok(json!([]))
        );
        assert_eq!(
            substitute("${config.a:-53}", Some(&cfg), &env).unwrap(),
            Ok(json!(53))
        );
        assert_eq!(
            substitute("${env.NOPE}", None, &env).unwrap(),
            Err(Unresolved::EnvUnset {
                raw: "${env.NOPE}".into()
            })
        );
        assert_eq!(
            substitute("${env.NOPE:-x}", None, &env).unwrap(),
            Ok(json!("x"))
        );
        assert_eq!(
            substitute("${config.a}", None, &env).unwrap(),
            Err(Unresolved::NoConfig {
                raw: "${config.a}".into()
            })
        );
        assert_eq!(
            substitute("${config.auth.token_ttl}", Some(&cfg), &env).unwrap(),
            Err(Unresolved::ConfigMissing {
                raw: "${config.auth.token_ttl}".into()
            })
        );
        assert_eq!(
            substitute("${config.auth.api_key}", Some(&cfg), &env).unwrap(),
            Err(Unresolved::ConfigEnvUnset {
                raw: "${config.auth.api_key}".into(),
                var: "NOPE_KEY".into()
            })
        );
    }

    #[test]
    fn malformed_references_are_errors() {
        assert!(parse("${config.").is_err());
        assert!(
            parse("${foo.bar}")
                .unwrap_err()
                .contains("unknown reference")
        );
        assert!(parse("${config..x}").is_err());
        assert_eq!(
            parse("cost $5").unwrap(),
            vec![Piece::Text("cost $5".into())]
        );
    }
}
