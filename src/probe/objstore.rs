//! What the object-store check looks at besides HTTP: the AWS credentials the service would
//! find (environment variables, the shared credentials and config files, a web identity
//! token file — their presence only, never a value), and whether an HDFS namenode accepts
//! connections on its RPC port.
//!
//! Credential files are read with [`super::fs::read_bounded`] and only their section
//! headers and key names are kept: a value is never stored, so it cannot reach a message,
//! the evidence or a log.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::env::Env;
use super::tcp::Outcome;

/// Largest credentials or config file read (real ones are a few KiB).
const MAX_FILE: u64 = super::fs::SECRET_CAP;

/// Where credentials for the object store were found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (with `AWS_SESSION_TOKEN` or not).
    Environment { session_token: bool },
    /// A profile section with keys in the shared credentials file.
    CredentialsFile { path: String, profile: String },
    /// A profile section with a credential setting in the config file (keys, a role, a
    /// `credential_process`, SSO).
    ConfigFile { path: String, profile: String },
    /// `AWS_WEB_IDENTITY_TOKEN_FILE` names a readable token (with `AWS_ROLE_ARN`).
    WebIdentity { path: String },
    /// A container credentials endpoint variable (ECS task role, EKS pod identity).
    Container { variable: &'static str },
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Environment { session_token } => write!(
                f,
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY{}",
                if *session_token {
                    " (with AWS_SESSION_TOKEN)"
                } else {
                    ""
                }
            ),
            Self::CredentialsFile { path, profile } => {
                write!(f, "profile `{profile}` in {path}")
            }
            Self::ConfigFile { path, profile } => write!(f, "profile `{profile}` in {path}"),
            Self::WebIdentity { path } => write!(f, "the web identity token file {path}"),
            Self::Container { variable } => write!(f, "{variable}"),
        }
    }
}

/// Something wrong with a credential source the environment names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// One of the two key variables is set without the other.
    EnvIncomplete {
        set: &'static str,
        unset: &'static str,
    },
    /// A file named by a variable (or the default one, present but unreadable) cannot be read.
    Unreadable {
        what: &'static str,
        path: String,
        why: String,
    },
    /// The profile in use has no section with credentials in either file.
    ProfileMissing {
        profile: String,
        from: &'static str,
        files: Vec<String>,
    },
    /// `AWS_WEB_IDENTITY_TOKEN_FILE` is set but `AWS_ROLE_ARN` is not.
    RoleArnUnset { path: String },
}

/// The credentials the service would find, as far as this node shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub sources: Vec<Source>,
    pub problems: Vec<Problem>,
    /// The profile in use and where its name came from (`AWS_PROFILE` or the default).
    pub profile: String,
    pub profile_from: &'static str,
}

/// Section names and, per section, the key names (never the values) of an INI file.
fn sections(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push((name.trim().to_string(), Vec::new()));
        } else if let (Some((key, _)), Some(last)) = (line.split_once('='), out.last_mut()) {
            last.1.push(key.trim().to_ascii_lowercase());
        }
    }
    out
}

/// Keys of a credentials-file section that give credentials.
fn has_keys(keys: &[String]) -> bool {
    keys.iter().any(|k| k == "aws_access_key_id")
        && keys.iter().any(|k| k == "aws_secret_access_key")
}

/// Keys of a config-file section that give credentials (directly or through a provider).
fn has_provider(keys: &[String]) -> bool {
    has_keys(keys)
        || keys.iter().any(|k| {
            matches!(
                k.as_str(),
                "credential_process"
                    | "role_arn"
                    | "sso_session"
                    | "sso_start_url"
                    | "web_identity_token_file"
            )
        })
}

/// Read one credentials or config file: `None` when it does not exist (and was not named
/// by a variable), its sections when it was read.
async fn read_sections(
    path: &std::path::Path,
    named_by: Option<&'static str>,
    what: &'static str,
    problems: &mut Vec<Problem>,
) -> Option<Vec<(String, Vec<String>)>> {
    match super::fs::read_bounded_text(path.to_path_buf(), MAX_FILE).await {
        Ok(text) => Some(sections(&text)),
        Err(e) if e.is_not_found() && named_by.is_none() => None,
        Err(e) => {
            problems.push(Problem::Unreadable {
                what: named_by.unwrap_or(what),
                path: path.display().to_string(),
                why: e.to_string(),
            });
            None
        }
    }
}

/// Look for AWS credentials as the SDKs do, in `env` and the files it points at.
pub async fn aws_credentials(env: &Env) -> Credentials {
    let set = |name: &str| env.get(name).is_some_and(|v| !v.trim().is_empty());
    let mut found = Credentials::default();
    match (set("AWS_ACCESS_KEY_ID"), set("AWS_SECRET_ACCESS_KEY")) {
        (true, true) => found.sources.push(Source::Environment {
            session_token: set("AWS_SESSION_TOKEN"),
        }),
        (true, false) => found.problems.push(Problem::EnvIncomplete {
            set: "AWS_ACCESS_KEY_ID",
            unset: "AWS_SECRET_ACCESS_KEY",
        }),
        (false, true) => found.problems.push(Problem::EnvIncomplete {
            set: "AWS_SECRET_ACCESS_KEY",
            unset: "AWS_ACCESS_KEY_ID",
        }),
        (false, false) => {}
    }
    if let Some(token) = env
        .get("AWS_WEB_IDENTITY_TOKEN_FILE")
        .filter(|v| !v.trim().is_empty())
    {
        let path = PathBuf::from(token.trim());
        match super::fs::read_bounded(path.clone(), MAX_FILE).await {
            Ok(bytes) if !bytes.iter().all(u8::is_ascii_whitespace) => {
                if set("AWS_ROLE_ARN") {
                    found.sources.push(Source::WebIdentity {
                        path: path.display().to_string(),
                    });
                } else {
                    found.problems.push(Problem::RoleArnUnset {
                        path: path.display().to_string(),
                    });
                }
            }
            Ok(_) => found.problems.push(Problem::Unreadable {
                what: "AWS_WEB_IDENTITY_TOKEN_FILE",
                path: path.display().to_string(),
                why: "it is empty".into(),
            }),
            Err(e) => found.problems.push(Problem::Unreadable {
                what: "AWS_WEB_IDENTITY_TOKEN_FILE",
                path: path.display().to_string(),
                why: e.to_string(),
            }),
        }
    }
    for variable in [
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ] {
        if set(variable) {
            found.sources.push(Source::Container { variable });
            break;
        }
    }
    let (profile, from) = match env.get("AWS_PROFILE").map(str::trim) {
        Some(p) if !p.is_empty() => (p.to_string(), "AWS_PROFILE"),
        _ => ("default".to_string(), "the default profile"),
    };
    found.profile.clone_from(&profile);
    found.profile_from = from;
    let home = env.get("HOME").filter(|h| !h.is_empty()).map(PathBuf::from);
    let file = |var: &'static str, default: &str| -> Option<(PathBuf, Option<&'static str>)> {
        match env.get(var).map(str::trim).filter(|v| !v.is_empty()) {
            Some(p) => Some((PathBuf::from(p), Some(var))),
            None => home.as_ref().map(|h| (h.join(".aws").join(default), None)),
        }
    };
    let mut looked = Vec::new();
    let mut profile_found = false;
    if let Some((path, named)) = file("AWS_SHARED_CREDENTIALS_FILE", "credentials") {
        looked.push(path.display().to_string());
        if let Some(s) = read_sections(
            &path,
            named,
            "the shared credentials file",
            &mut found.problems,
        )
        .await
            && let Some((_, keys)) = s.iter().find(|(name, _)| *name == profile)
        {
            {
                profile_found = true;
                if has_keys(keys) {
                    found.sources.push(Source::CredentialsFile {
                        path: path.display().to_string(),
                        profile: profile.clone(),
                    });
                }
            }
        }
    }
    if let Some((path, named)) = file("AWS_CONFIG_FILE", "config") {
        looked.push(path.display().to_string());
        if let Some(s) =
            read_sections(&path, named, "the AWS config file", &mut found.problems).await
        {
            let wanted = format!("profile {profile}");
            let section = s.iter().find(|(name, _)| {
                let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
                name == wanted || (profile == "default" && name == "default")
            });
            if let Some((_, keys)) = section {
                profile_found = true;
                if has_provider(keys) {
                    found.sources.push(Source::ConfigFile {
                        path: path.display().to_string(),
                        profile: profile.clone(),
                    });
                }
            }
        }
    }
    // A profile named explicitly must exist: the SDKs refuse to start without it.
    if from == "AWS_PROFILE" && !profile_found && !looked.is_empty() {
        found.problems.push(Problem::ProfileMissing {
            profile,
            from,
            files: looked,
        });
    }
    found
}

/// Whether a namenode (or any host) accepts TCP connections on a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// `addr` accepted; `from` says where the addresses came from.
    Open {
        addr: SocketAddr,
        from: &'static str,
        failed: Vec<(SocketAddr, Outcome)>,
    },
    /// The name has no address.
    Unresolved(String),
    /// No address accepted.
    Failed(Vec<(SocketAddr, Outcome)>),
    /// The loopback guard refused the name or every address.
    NotProbed(String),
}

/// Resolve `host` (a literal, the `dns` check's answer, or the system resolver) and connect
/// to its addresses in turn on `port`, all within `budget`.
pub async fn reach(host: &str, port: u16, facts: &crate::report::Facts, budget: Duration) -> Reach {
    let deadline = Instant::now() + budget;
    let (ips, from) = match super::resolve(host, facts, budget / 2).await {
        Ok(found) => found,
        Err(super::dns::Outcome::NotProbed(why)) => return Reach::NotProbed(why),
        Err(other) => return Reach::Unresolved(other.describe()),
    };
    let mut failed = Vec::new();
    let count = u32::try_from(ips.len()).unwrap_or(u32::MAX).max(1);
    for ip in ips {
        let addr = SocketAddr::new(ip, port);
        let left = deadline.saturating_duration_since(Instant::now());
        let limit = (budget / count).max(left / 2).min(left);
        match super::tcp::connect(addr, limit).await.0 {
            Outcome::Open => return Reach::Open { addr, from, failed },
            other => failed.push((addr, other)),
        }
    }
    if failed
        .iter()
        .all(|(_, o)| matches!(o, Outcome::NotProbed(_)))
        && let Some((_, Outcome::NotProbed(why))) = failed.first()
    {
        return Reach::NotProbed(why.clone());
    }
    Reach::Failed(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_keep_names_and_keys_never_values() {
        let s = sections(
            "# c\n[default]\naws_access_key_id = AKIAPLANTED\naws_secret_access_key=sEcReT\n\n[profile ci]\nrole_arn = arn:aws:iam::1:role/x\n",
        );
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].0, "default");
        assert_eq!(s[0].1, ["aws_access_key_id", "aws_secret_access_key"]);
        assert!(has_keys(&s[0].1));
        assert!(!has_keys(&s[1].1) && has_provider(&s[1].1));
        let dump = format!("{s:?}");
        assert!(
            !dump.contains("AKIAPLANTED") && !dump.contains("sEcReT"),
            "{dump}"
        );
    }

    #[tokio::test]
    async fn credentials_from_the_environment_and_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let aws = dir.path().join(".aws");
        std::fs::create_dir(&aws).unwrap();
        std::fs::write(
            aws.join("credentials"),
            "[default]\naws_access_key_id = A\naws_secret_access_key = B\n",
        )
        .unwrap();
        std::fs::write(aws.join("config"), "[profile ci]\nrole_arn = r\nsource_profile = default\n[profile bare]\nregion = eu-west-1\n").unwrap();
        let home = dir.path().display().to_string();

        let c = aws_credentials(&Env::from_pairs([("HOME", home.as_str())])).await;
        assert_eq!(c.problems, []);
        assert!(
            matches!(&c.sources[..], [Source::CredentialsFile { profile, .. }] if profile == "default"),
            "{c:?}"
        );

        let c = aws_credentials(&Env::from_pairs([
            ("HOME", home.as_str()),
            ("AWS_PROFILE", "ci"),
        ]))
        .await;
        assert!(
            matches!(&c.sources[..], [Source::ConfigFile { profile, .. }] if profile == "ci"),
            "{c:?}"
        );

        // A profile with only a region gives no credentials, but exists.
        let c = aws_credentials(&Env::from_pairs([
            ("HOME", home.as_str()),
            ("AWS_PROFILE", "bare"),
        ]))
        .await;
        assert!(c.sources.is_empty() && c.problems.is_empty(), "{c:?}");

        let c = aws_credentials(&Env::from_pairs([
            ("HOME", home.as_str()),
            ("AWS_PROFILE", "nope"),
        ]))
        .await;
        assert!(
            matches!(&c.problems[..], [Problem::ProfileMissing { profile, .. }] if profile == "nope"),
            "{c:?}"
        );

        let c = aws_credentials(&Env::from_pairs([
            ("AWS_ACCESS_KEY_ID", "x"),
            ("AWS_SECRET_ACCESS_KEY", "y"),
        ]))
        .await;
        assert_eq!(
            c.sources,
            [Source::Environment {
                session_token: false
            }]
        );

        let c = aws_credentials(&Env::from_pairs([("AWS_ACCESS_KEY_ID", "x")])).await;
        assert!(matches!(
            c.problems[..],
            [Problem::EnvIncomplete {
                unset: "AWS_SECRET_ACCESS_KEY",
                ..
            }]
        ));

        let missing = dir.path().join("nope").display().to_string();
        let c = aws_credentials(&Env::from_pairs([(
            "AWS_SHARED_CREDENTIALS_FILE",
            missing.as_str(),
        )]))
        .await;
        assert!(
            matches!(
                &c.problems[..],
                [Problem::Unreadable {
                    what: "AWS_SHARED_CREDENTIALS_FILE",
                    ..
                }]
            ),
            "{c:?}"
        );

        let token = dir.path().join("token");
        std::fs::write(&token, "eyJ.planted.token").unwrap();
        let t = token.display().to_string();
        let c = aws_credentials(&Env::from_pairs([
            ("AWS_WEB_IDENTITY_TOKEN_FILE", t.as_str()),
            ("AWS_ROLE_ARN", "arn:aws:iam::1:role/x"),
        ]))
        .await;
        assert!(
            matches!(&c.sources[..], [Source::WebIdentity { .. }]),
            "{c:?}"
        );
        assert!(!format!("{c:?}").contains("planted"));
    }

    #[tokio::test]
    async fn a_listening_port_is_open_and_a_closed_one_refused() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let facts = crate::report::Facts::default();
        let r = reach("127.0.0.1", port, &facts, Duration::from_secs(2)).await;
        assert!(matches!(r, Reach::Open { .. }), "{r:?}");
        drop(l);
        let r = reach("127.0.0.1", port, &facts, Duration::from_secs(2)).await;
        assert!(
            matches!(&r, Reach::Failed(f) if matches!(f[..], [(_, Outcome::Refused)])),
            "{r:?}"
        );
    }
}
