//! The Open-AutoGLM node config: where it is found, how it is read, its parsed tree.
//!
//! Reading happens once, before any check runs ("validate input, do nothing else"): the
//! config checks judge what was read here, and suite parameters that reference the config
//! (`${config.endpoint.host}`) resolve against the same tree. Nothing here fails the run: a
//! missing or broken config is a finding of the `config.*` checks.

pub mod model;
pub mod setting;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use crate::probe::fs::ReadError;
use crate::yaml::{self, LoadError, Node, Pos};

/// The variable that names the config file when `--config` is absent.
pub const ENV_VAR: &str = "AUTOGLM_CONFIG";
/// Looked for in the working directory.
pub const LOCAL_PATH: &str = "open-autoglm.yaml";
/// The system-wide location.
pub const SYSTEM_PATH: &str = "/etc/open-autoglm/config.yaml";
/// Files larger than this are never read, whatever the suite says.
pub const HARD_LIMIT: u64 = 64 * 1024 * 1024;
/// Files larger than this are not read unless the suite's `config-file` check raises its
/// `max_bytes` (a node config is a few KiB; megabytes mean a wrong file).
pub const DEFAULT_LIMIT: u64 = 4 * 1024 * 1024;

/// Where a config path came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Env,
    WorkingDir,
    System,
}

impl Origin {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Flag => "--config",
            Self::Env => "$AUTOGLM_CONFIG",
            Self::WorkingDir => "the working directory",
            Self::System => "the system location",
        }
    }
}

/// One place discovery looked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tried {
    pub label: String,
    pub outcome: String,
}

/// The outcome of reading the chosen file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadOutcome {
    /// No candidate existed.
    NotFound,
    NotAFile {
        what: String,
    },
    Unreadable {
        error: String,
    },
    TooLarge {
        size: u64,
    },
    NotUtf8 {
        pos: Pos,
    },
    Read {
        text: String,
        size: u64,
    },
}

/// The node config as discovered and read.
#[derive(Debug)]
pub struct ConfigSource {
    /// The chosen path (present even when reading it failed).
    pub path: Option<PathBuf>,
    pub origin: Option<Origin>,
    /// Every place looked at, in discovery order.
    pub tried: Vec<Tried>,
    pub read: ReadOutcome,
    pub sha256: Option<String>,
    doc: OnceLock<Result<Node, LoadError>>,
}

impl ConfigSource {
    /// Discover and read the config (`--config` value first, then the SPEC §2 order),
    /// reading at most [`DEFAULT_LIMIT`] bytes.
    pub fn discover(flag: Option<&Path>, env: Option<&str>, cwd: &Path) -> Self {
        Self::discover_within(flag, env, cwd, DEFAULT_LIMIT)
    }

    /// [`ConfigSource::discover`], reading at most `limit` bytes (never more than
    /// [`HARD_LIMIT`]): a larger file is [`ReadOutcome::TooLarge`] without being read.
    pub fn discover_within(flag: Option<&Path>, env: Option<&str>, cwd: &Path, limit: u64) -> Self {
        let mut tried = Vec::new();
        let pick = |tried: &mut Vec<Tried>,
                    path: PathBuf,
                    origin: Origin,
                    label: String,
                    required: bool| {
            let exists = path.exists() || path.symlink_metadata().is_ok();
            tried.push(Tried {
                label,
                outcome: if exists { "found" } else { "not found" }.into(),
            });
            (exists || required).then_some((path, origin))
        };
        let chosen = if let Some(p) = flag {
            pick(
                &mut tried,
                p.to_path_buf(),
                Origin::Flag,
                format!("{} (--config)", p.display()),
                true,
            )
        } else if let Some(e) = env.filter(|e| !e.is_empty()) {
            pick(
                &mut tried,
                PathBuf::from(e),
                Origin::Env,
                format!("{e} (${ENV_VAR})"),
                true,
            )
        } else {
            tried.push(Tried {
                label: format!("${ENV_VAR}"),
                outcome: "unset".into(),
            });
            pick(
                &mut tried,
                cwd.join(LOCAL_PATH),
                Origin::WorkingDir,
                format!("./{LOCAL_PATH}"),
                false,
            )
            .or_else(|| {
                pick(
                    &mut tried,
                    PathBuf::from(SYSTEM_PATH),
                    Origin::System,
                    SYSTEM_PATH.to_string(),
                    false,
                )
            })
        };
        match chosen {
            None => Self::with(None, None, tried, ReadOutcome::NotFound, None),
            Some((path, origin)) => {
                let (read, sha) = read_file(&path, limit.min(HARD_LIMIT));
                Self::with(Some(path), Some(origin), tried, read, sha)
            }
        }
    }

    /// A config given as text (tests, benches).
    pub fn from_text(path: &str, text: &str) -> Self {
        Self::with(
            Some(PathBuf::from(path)),
            Some(Origin::Flag),
            Vec::new(),
            ReadOutcome::Read {
                text: text.to_string(),
                size: text.len() as u64,
            },
            Some(crate::encoding::hex(&Sha256::digest(text.as_bytes()))),
        )
    }

    fn with(
        path: Option<PathBuf>,
        origin: Option<Origin>,
        tried: Vec<Tried>,
        read: ReadOutcome,
        sha256: Option<String>,
    ) -> Self {
        Self {
            path,
            origin,
            tried,
            read,
            sha256,
            doc: OnceLock::new(),
        }
    }

    /// The path for messages and locations.
    pub fn display_path(&self) -> String {
        self.path
            .as_ref()
            .map_or_else(|| "<no config>".to_string(), |p| p.display().to_string())
    }

    /// The text, when the file was read and is UTF-8.
    pub fn text(&self) -> Option<&str> {
        match &self.read {
            ReadOutcome::Read { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The parsed document (parsed once, on first use). `None` when the file was not read.
    pub fn document(&self) -> Option<&Result<Node, LoadError>> {
        let text = self.text()?;
        Some(self.doc.get_or_init(|| yaml::load_one(text)))
    }

    /// The parsed document when reading and parsing succeeded.
    pub fn tree(&self) -> Option<&Node> {
        self.document().and_then(|d| d.as_ref().ok())
    }

    /// A location in the config with its source line (secrets redacted, including passwords
    /// in URLs and tokens in query strings) for display.
    pub fn location(&self, pos: Pos) -> crate::report::Location {
        crate::report::Location {
            path: self.display_path(),
            line: pos.line,
            column: pos.column,
            snippet: self.text().and_then(|t| {
                crate::secret::redact_source_line(t, pos.line, &|path| {
                    model::is_known_path(path)
                        && !path.iter().any(|k| crate::secret::is_secret_key(k))
                })
            }),
        }
    }

    /// The discovery trail as one phrase: `./open-autoglm.yaml (not found), ...`.
    pub fn tried_phrase(&self) -> String {
        self.tried
            .iter()
            .map(|t| format!("{} ({})", t.label, t.outcome))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn read_file(path: &Path, limit: u64) -> (ReadOutcome, Option<String>) {
    // Bounded: a FIFO is refused without waiting for a writer, a device is never opened,
    // and the size is checked before a byte is read.
    let bytes = match crate::probe::fs::read_bounded_now(path, limit) {
        Ok(b) => b,
        Err(ReadError::NotFound) => {
            let outcome = if path.symlink_metadata().is_ok() {
                ReadOutcome::Unreadable {
                    error: "dangling symbolic link".into(),
                }
            } else {
                ReadOutcome::NotFound
            };
            return (outcome, None);
        }
        Err(ReadError::NotAFile(what)) => {
            let what = if what == "a directory" {
                what
            } else {
                "not a regular file"
            };
            return (
                ReadOutcome::NotAFile {
                    what: what.to_string(),
                },
                None,
            );
        }
        Err(ReadError::TooLarge { size, .. }) => return (ReadOutcome::TooLarge { size }, None),
        Err(ReadError::Io(e)) => {
            return (
                ReadOutcome::Unreadable {
                    error: e.to_string(),
                },
                None,
            );
        }
    };
    let size = bytes.len() as u64;
    if size > HARD_LIMIT {
        return (ReadOutcome::TooLarge { size }, None);
    }
    let sha = Some(crate::encoding::hex(&Sha256::digest(&bytes)));
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    match std::str::from_utf8(body) {
        Ok(text) => (
            ReadOutcome::Read {
                text: text.to_string(),
                size,
            },
            sha,
        ),
        Err(e) => {
            let valid = &body[..e.valid_up_to()];
            let line = bytecount_newlines(valid) + 1;
            let line_start = valid.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            let column = String::from_utf8_lossy(&valid[line_start..])
                .chars()
                .count()
                + 1;
            (
                ReadOutcome::NotUtf8 {
                    pos: Pos { line, column },
                },
                sha,
            )
        }
    }
}

fn bytecount_newlines(bytes: &[u8]) -> usize {
    bytes.split(|b| *b == b'\n').count() - 1
}

/// `NAME` when `s` is exactly `${NAME}` (a plain environment reference in a node config).
pub fn env_ref(s: &str) -> Option<&str> {
    let name = s.strip_prefix("${")?.strip_suffix('}')?;
    let name = name.split_once(":-").map_or(name, |(n, _)| n);
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_wins_and_missing_flag_path_is_reported_not_skipped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(LOCAL_PATH), "a: 1\n").unwrap();
        let src = ConfigSource::discover(Some(Path::new("/nonexistent/x.yaml")), None, dir.path());
        assert_eq!(src.read, ReadOutcome::NotFound);
        assert_eq!(src.origin, Some(Origin::Flag));
    }

    #[test]
    fn env_then_working_dir() {
        let dir = tempfile::tempdir().unwrap();
        let local = dir.path().join(LOCAL_PATH);
        std::fs::write(&local, "a: 1\n").unwrap();
        let src = ConfigSource::discover(None, None, dir.path());
        assert_eq!(src.path.as_deref(), Some(local.as_path()));
        assert_eq!(src.origin, Some(Origin::WorkingDir));
        assert!(src.tree().is_some());
        assert!(src.sha256.as_ref().is_some_and(|s| s.len() == 64));

        let other = dir.path().join("other.yaml");
        std::fs::write(&other, "b: 2\n").unwrap();
        let src = ConfigSource::discover(None, other.to_str(), dir.path());
        assert_eq!(src.origin, Some(Origin::Env));
    }

    #[test]
    fn nothing_found_lists_every_place_looked() {
        let dir = tempfile::tempdir().unwrap();
        let src = ConfigSource::discover(None, None, dir.path());
        if Path::new(SYSTEM_PATH).exists() {
            return; // a real node: discovery legitimately finds the system config
        }
        assert_eq!(src.read, ReadOutcome::NotFound);
        assert_eq!(
            src.tried_phrase(),
            "$AUTOGLM_CONFIG (unset), ./open-autoglm.yaml (not found), /etc/open-autoglm/config.yaml (not found)"
        );
    }

    #[test]
    fn directory_and_invalid_utf8_are_distinguished() {
        let dir = tempfile::tempdir().unwrap();
        let src = ConfigSource::discover(Some(dir.path()), None, dir.path());
        assert!(matches!(src.read, ReadOutcome::NotAFile { .. }));
        let bad = dir.path().join("bad.yaml");
        std::fs::write(&bad, b"a: 1\nb: \xff\xfe\n").unwrap();
        let src = ConfigSource::discover(Some(&bad), None, dir.path());
        assert_eq!(
            src.read,
            ReadOutcome::NotUtf8 {
                pos: Pos { line: 2, column: 4 }
            }
        );
    }
}
