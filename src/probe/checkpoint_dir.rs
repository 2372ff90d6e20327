//! A checkpoint storage directory as the file system shows it: the account it is judged
//! for, the directory's modes and those of every directory above it, its free space, the
//! checkpoints in it (newest first, walked within bounds) and, for the newest, the files'
//! permissions, whether they can be read, and their `MANIFEST.sha256` checksums. Blocking
//! and read-only: nothing is written, no file is opened for writing. The `checkpoint` kind
//! judges what is found here.

use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::time::{Instant, SystemTime};

use sha2::{Digest, Sha256};

use super::account::{self, Account, Perm};
use super::disk::Space;
use super::fs;

/// The manifest file name (sha256sum format), in a checkpoint directory or in the storage
/// directory (for checkpoints that are single files).
pub const MANIFEST: &str = "MANIFEST.sha256";
/// Most entries listed in the storage directory.
const MAX_ENTRIES: usize = 10_000;
/// Most files and directories visited in all checkpoint directories together.
const MAX_WALK: usize = 200_000;
/// Deepest nesting followed inside a checkpoint directory.
const MAX_DEPTH: usize = 8;
/// Most files of the newest checkpoint whose permissions are judged and that are opened.
const MAX_NEWEST_FILES: usize = 1_000;
/// Largest manifest read.
const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;
/// Name endings of checkpoints still being written (ignored).
const IN_PROGRESS: &[&str] = &[".tmp", ".partial", ".part", ".lock", ".inprogress"];

/// Who the storage is judged for.
#[derive(Debug, Clone, PartialEq)]
pub enum Service {
    /// The configured `service_user`.
    Account(Account),
    /// No `service_user`: the account running the doctor.
    Doctor(Account),
    /// `service_user` could not be resolved.
    Unknown { name: String, why: String },
}

/// What was found at the storage path.
#[derive(Debug, Clone, PartialEq)]
pub enum Storage {
    Missing,
    NotDir(&'static str),
    Inaccessible(String),
    Dir(Box<DirState>),
}

/// A storage directory.
#[derive(Debug, Clone, PartialEq)]
pub struct DirState {
    pub perm: Perm,
    /// The directories above it (of its real path), from `/` down; each must be searchable.
    pub ancestors: Vec<(PathBuf, Perm)>,
    pub space: Result<Space, String>,
    pub listing: Result<Listing, String>,
}

/// The checkpoints in the storage directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    /// Newest first.
    pub checkpoints: Vec<Entry>,
    /// The directory held more than could be looked at; counts are lower bounds.
    pub truncated: bool,
    /// Details of `checkpoints[0]`.
    pub newest: Option<Newest>,
}

/// One checkpoint: a file or a directory directly under the storage path.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub name: String,
    /// The latest modification time of the entry and everything in it.
    pub mtime: SystemTime,
    pub bytes: u64,
    pub files: u64,
    pub is_dir: bool,
}

/// What was found in the newest checkpoint.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Newest {
    /// The checkpoint directory's own permissions (directory checkpoints).
    pub dir_perm: Option<Perm>,
    /// Files with their permissions, paths relative to the storage directory.
    pub files: Vec<(String, Perm)>,
    /// Files the doctor could not read: (path, error).
    pub unreadable: Vec<(String, String)>,
    pub verification: Option<Verification>,
}

/// The newest checkpoint against its manifest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verification {
    /// The manifest, relative to the storage directory.
    pub manifest: String,
    /// Entries that apply to this checkpoint.
    pub listed: usize,
    pub verified: usize,
    /// (file, expected, actual) digests.
    pub mismatched: Vec<(String, String, String)>,
    pub missing: Vec<String>,
    /// Line numbers that are not `<hex>  <path>`.
    pub malformed: Vec<usize>,
    /// Entries naming absolute paths or `..`.
    pub outside: Vec<String>,
    /// Entries not hashed because the byte budget or time budget ran out.
    pub over_budget: usize,
}

/// Everything looked at, for the `checkpoint` kind to judge.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub now: SystemTime,
    pub service: Service,
    pub storage: Storage,
}

fn resolve_service(user: Option<&str>) -> Service {
    match user {
        None => Service::Doctor(account::current()),
        Some(name) => match account::lookup_system(name) {
            Ok(Some(a)) => Service::Account(a),
            Ok(None) => Service::Unknown {
                name: name.to_string(),
                why: "not found in /etc/passwd".into(),
            },
            Err(why) => Service::Unknown {
                name: name.to_string(),
                why,
            },
        },
    }
}

/// Look at the storage directory (blocking; read-only).
pub fn observe(
    storage: &Path,
    service_user: Option<&str>,
    verify_max_bytes: u64,
    deadline: Instant,
) -> Observation {
    let now = SystemTime::now();
    let service = resolve_service(service_user);
    let storage = match std::fs::metadata(storage) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Storage::Missing,
        Err(e) => Storage::Inaccessible(e.to_string()),
        Ok(m) if !m.is_dir() => Storage::NotDir(if m.is_file() {
            "a regular file"
        } else {
            "not a directory"
        }),
        Ok(m) => {
            let real = std::fs::canonicalize(storage).unwrap_or_else(|_| storage.to_path_buf());
            let ancestors = real
                .ancestors()
                .skip(1)
                .filter_map(|a| {
                    std::fs::metadata(a)
                        .ok()
                        .map(|m| (a.to_path_buf(), Perm::of(&m)))
                })
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            Storage::Dir(Box::new(DirState {
                perm: Perm::of(&m),
                ancestors,
                space: super::disk::space(storage).map_err(|e| e.to_string()),
                listing: list(storage, verify_max_bytes, deadline),
            }))
        }
    };
    Observation {
        now,
        service,
        storage,
    }
}

fn ignored(name: &str) -> bool {
    name.starts_with('.')
        || name == MANIFEST
        || name == "lost+found"
        || IN_PROGRESS.iter().any(|s| name.ends_with(s))
}

/// Totals of a walk over a checkpoint directory.
struct Walk {
    bytes: u64,
    files: u64,
    mtime: SystemTime,
    truncated: bool,
}

/// Walk a checkpoint directory (bounded), calling `each` for every file with its path
/// relative to `dir` and its metadata (symbolic links to files followed, to directories not).
fn walk(
    dir: &Path,
    dir_mtime: SystemTime,
    visits: &mut usize,
    each: &mut dyn FnMut(&Path, &std::fs::Metadata),
) -> Walk {
    let mut w = Walk {
        bytes: 0,
        files: 0,
        mtime: dir_mtime,
        truncated: false,
    };
    let mut stack = vec![(dir.to_path_buf(), 0usize)];
    while let Some((d, depth)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in rd.flatten() {
            if *visits >= MAX_WALK {
                w.truncated = true;
                return w;
            }
            *visits += 1;
            let path = entry.path();
            let Ok(mut meta) = entry.metadata() else {
                continue;
            };
            if meta.file_type().is_symlink() {
                match std::fs::metadata(&path) {
                    Ok(m) if m.is_file() => meta = m,
                    _ => continue,
                }
            }
            if let Ok(t) = meta.modified() {
                w.mtime = w.mtime.max(t);
            }
            if meta.is_dir() {
                if depth + 1 < MAX_DEPTH {
                    stack.push((path, depth + 1));
                } else {
                    w.truncated = true;
                }
            } else if meta.is_file() {
                w.bytes = w.bytes.saturating_add(meta.len());
                w.files += 1;
                if let Ok(rel) = path.strip_prefix(dir) {
                    each(rel, &meta);
                }
            }
        }
    }
    w
}

fn list(storage: &Path, verify_max_bytes: u64, deadline: Instant) -> Result<Listing, String> {
    let rd = std::fs::read_dir(storage).map_err(|e| format!("cannot list it: {e}"))?;
    let mut checkpoints = Vec::new();
    let mut truncated = false;
    let mut visits = 0usize;
    for entry in rd {
        let entry = entry.map_err(|e| format!("cannot list it: {e}"))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if ignored(&name) {
            continue;
        }
        if checkpoints.len() >= MAX_ENTRIES {
            truncated = true;
            break;
        }
        let path = entry.path();
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if meta.is_dir() {
            let w = walk(&path, mtime, &mut visits, &mut |_, _| {});
            truncated |= w.truncated;
            checkpoints.push(Entry {
                name,
                mtime: w.mtime,
                bytes: w.bytes,
                files: w.files,
                is_dir: true,
            });
        } else if meta.is_file() {
            checkpoints.push(Entry {
                name,
                mtime,
                bytes: meta.len(),
                files: 1,
                is_dir: false,
            });
        }
    }
    checkpoints.sort_by(|a, b| b.mtime.cmp(&a.mtime).then_with(|| b.name.cmp(&a.name)));
    let newest = checkpoints
        .first()
        .map(|e| inspect_newest(storage, e, verify_max_bytes, deadline));
    Ok(Listing {
        checkpoints,
        truncated,
        newest,
    })
}

/// Permissions, readability and manifest of the newest checkpoint.
fn inspect_newest(storage: &Path, entry: &Entry, budget: u64, deadline: Instant) -> Newest {
    let root = storage.join(&entry.name);
    let mut newest = Newest::default();
    let mut files: Vec<(String, Perm)> = Vec::new();
    if entry.is_dir {
        newest.dir_perm = std::fs::metadata(&root).ok().map(|m| Perm::of(&m));
        let mut visits = 0usize;
        walk(
            &root,
            SystemTime::UNIX_EPOCH,
            &mut visits,
            &mut |rel, meta| {
                if files.len() < MAX_NEWEST_FILES {
                    files.push((format!("{}/{}", entry.name, rel.display()), Perm::of(meta)));
                }
            },
        );
        files.sort_by(|a, b| a.0.cmp(&b.0));
    } else if let Ok(m) = std::fs::metadata(&root) {
        files.push((entry.name.clone(), Perm::of(&m)));
    }
    // The manifest that covers this checkpoint, and the directory its paths are relative to.
    let manifest_dir = if entry.is_dir {
        root.clone()
    } else {
        storage.to_path_buf()
    };
    let manifest_path = manifest_dir.join(MANIFEST);
    let mut hashed: std::collections::HashSet<String> = std::collections::HashSet::new();
    if let Ok(text) = read_manifest(&manifest_path) {
        let mut v = Verification {
            manifest: if entry.is_dir {
                format!("{}/{MANIFEST}", entry.name)
            } else {
                MANIFEST.to_string()
            },
            ..Verification::default()
        };
        let (entries, malformed) = parse_manifest(&text);
        v.malformed = malformed;
        let mut spent = 0u64;
        for (_, expected, rel) in entries {
            if !is_inside(&rel) {
                v.outside.push(rel);
                continue;
            }
            if !entry.is_dir && rel != entry.name {
                continue; // an older file checkpoint in the storage-level manifest
            }
            v.listed += 1;
            let shown = if entry.is_dir {
                format!("{}/{rel}", entry.name)
            } else {
                rel.clone()
            };
            let file = manifest_dir.join(&rel);
            if spent >= budget || Instant::now() >= deadline {
                v.over_budget += 1;
                continue;
            }
            match hash_file(&file, budget - spent, deadline) {
                Hashed::Missing => v.missing.push(shown.clone()),
                Hashed::Error(e) => newest.unreadable.push((shown.clone(), e)),
                Hashed::OverBudget(n) => {
                    spent = spent.saturating_add(n);
                    v.over_budget += 1;
                }
                Hashed::Digest(actual, n) => {
                    spent = spent.saturating_add(n);
                    if actual == expected {
                        v.verified += 1;
                    } else {
                        v.mismatched.push((shown.clone(), expected, actual));
                    }
                }
            }
            hashed.insert(shown);
        }
        newest.verification = Some(v);
    }
    // Every other file is opened and its first block read: readable by the doctor.
    for (shown, _) in &files {
        if hashed.contains(shown) {
            continue;
        }
        let path = storage.join(shown);
        let mut buf = [0u8; 4096];
        let opened = fs::open_regular(&path, u64::MAX)
            .map_err(|e| e.to_string())
            .and_then(|(mut f, _)| f.read(&mut buf).map_err(|e| e.to_string()));
        if let Err(e) = opened {
            newest.unreadable.push((shown.clone(), e));
        }
    }
    newest.files = files;
    newest
}

fn read_manifest(path: &Path) -> std::io::Result<String> {
    let mut text = String::new();
    fs::open_regular(path, u64::MAX)
        .map_err(|e| match e {
            fs::ReadError::NotFound => std::io::Error::from(std::io::ErrorKind::NotFound),
            fs::ReadError::Io(e) => e,
            other => std::io::Error::other(other.to_string()),
        })?
        .0
        .take(MAX_MANIFEST_BYTES)
        .read_to_string(&mut text)?;
    Ok(text)
}

/// Whether a manifest path stays inside the directory it is relative to.
fn is_inside(rel: &str) -> bool {
    !rel.is_empty()
        && Path::new(rel)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// Parse a manifest: `(line, lower-case hex digest, path)` entries and malformed line
/// numbers. Accepts sha256sum output (`<hex>  <path>` or `<hex> *<path>`) and BSD tags
/// (`SHA256 (<path>) = <hex>`); blank lines and `#` comments are skipped.
pub fn parse_manifest(text: &str) -> (Vec<(usize, String, String)>, Vec<usize>) {
    let mut entries = Vec::new();
    let mut malformed = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let is_hex = |h: &str| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit());
        let parsed = if let Some(rest) = line.strip_prefix("SHA256 (") {
            rest.rsplit_once(") = ")
                .filter(|(_, h)| is_hex(h))
                .map(|(p, h)| (h.to_ascii_lowercase(), p.to_string()))
        } else {
            line.get(..64).filter(|h| is_hex(h)).and_then(|h| {
                let rest = &line[64..];
                rest.strip_prefix("  ")
                    .or_else(|| rest.strip_prefix(" *"))
                    .map(|p| (h.to_ascii_lowercase(), p.to_string()))
            })
        };
        match parsed {
            Some((h, p)) if !p.is_empty() => {
                let p = p.strip_prefix("./").unwrap_or(&p).to_string();
                entries.push((i + 1, h, p));
            }
            _ => malformed.push(i + 1),
        }
    }
    (entries, malformed)
}

enum Hashed {
    Missing,
    Error(String),
    /// Bytes read before the budget ran out.
    OverBudget(u64),
    Digest(String, u64),
}

fn hash_file(path: &Path, budget: u64, deadline: Instant) -> Hashed {
    let mut file = match fs::open_regular(path, budget) {
        Ok((f, _)) => f,
        Err(fs::ReadError::NotFound) => return Hashed::Missing,
        Err(fs::ReadError::NotAFile(_)) => return Hashed::Error("not a regular file".into()),
        Err(fs::ReadError::TooLarge { .. }) => return Hashed::OverBudget(0),
        Err(e) => return Hashed::Error(e.to_string()),
    };
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buf[..n]);
                total += n as u64;
                if total > budget || Instant::now() >= deadline {
                    return Hashed::OverBudget(total);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Hashed::Error(e.to_string()),
        }
    }
    Hashed::Digest(crate::encoding::hex(&hasher.finalize()), total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn manifest_formats() {
        let h = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let text = format!(
            "# made by sha256sum\n{h}  model.bin\n{}  ./sub/opt.bin\n{h} *bin.dat\nSHA256 (tag.bin) = {h}\n\nnot a line\n{h} one-space\n",
            h.to_uppercase()
        );
        let (entries, malformed) = parse_manifest(&text);
        let paths: Vec<&str> = entries.iter().map(|(_, _, p)| p.as_str()).collect();
        assert_eq!(paths, ["model.bin", "sub/opt.bin", "bin.dat", "tag.bin"]);
        assert!(entries.iter().all(|(_, d, _)| d == h));
        assert_eq!(malformed, [7, 8]);
        assert!(is_inside("a/b.bin") && is_inside("./a"));
        assert!(!is_inside("../etc/passwd") && !is_inside("/etc/passwd") && !is_inside(""));
    }

    #[test]
    fn observes_a_real_directory_read_only() {
        let dir = tempfile::tempdir().unwrap();
        let ck = dir.path().join("step-1");
        std::fs::create_dir(&ck).unwrap();
        std::fs::write(ck.join("model.bin"), b"weights").unwrap();
        std::fs::write(ck.join("opt.bin"), b"state").unwrap();
        let good = crate::encoding::hex(&Sha256::digest(b"weights"));
        std::fs::write(
            ck.join(MANIFEST),
            format!(
                "{good}  model.bin\n{}  opt.bin\n{good}  gone.bin\n{good}  ../escape\n",
                "0".repeat(64)
            ),
        )
        .unwrap();
        std::fs::write(dir.path().join("ckpt.tmp"), b"in progress").unwrap();
        let before: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        let o = observe(
            dir.path(),
            None,
            1 << 20,
            Instant::now() + Duration::from_secs(10),
        );
        let Storage::Dir(d) = &o.storage else {
            panic!("{o:?}")
        };
        let l = d.listing.as_ref().unwrap();
        assert_eq!(l.checkpoints.len(), 1, "the .tmp entry is ignored");
        assert_eq!(
            l.checkpoints[0].bytes,
            12 + std::fs::metadata(ck.join(MANIFEST)).unwrap().len()
        );
        let v = l.newest.as_ref().unwrap().verification.as_ref().unwrap();
        assert_eq!((v.listed, v.verified), (3, 1));
        assert_eq!(v.mismatched.len(), 1);
        assert_eq!(v.missing, ["step-1/gone.bin"]);
        assert_eq!(v.outside, ["../escape"]);
        let after: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(before, after, "nothing was written");
        assert!(matches!(
            observe(&dir.path().join("nope"), None, 1, Instant::now()).storage,
            Storage::Missing
        ));
    }
}
