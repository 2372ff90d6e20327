//! Writing the report file (`--output`) without giving anyone who can write its directory a
//! way to make the doctor — often run as root — change some other file.
//!
//! The report is written to a new temporary file in the target's directory, created with
//! `O_CREAT|O_EXCL|O_NOFOLLOW` under a random name (a planted symbolic link or file at that
//! name makes the open fail; another name is tried), its mode and owner set on the open
//! descriptor (`fchmod`/`fchown`, never by path), synced, and renamed over the target
//! relative to the directory opened once. So:
//!
//! - nothing is ever opened, chmod-ed or chown-ed through a name another user controls;
//! - a symbolic link at the output path is refused unless `--output-follow-symlink` is
//!   given, and even then only when the link belongs to the user running the doctor or to
//!   the owner of its directory (the rule of the kernel's `fs.protected_symlinks`, applied
//!   whatever that setting is);
//! - a directory, FIFO, socket or device at the output path is refused before the run and
//!   never opened (a FIFO without a reader would block the doctor forever);
//! - replacing an earlier report keeps its permission bits (never set-id bits) and, when the
//!   doctor may, its owner and group, on the new file only; a first report gets the mode
//!   any new file would (0666 less the umask). The temporary file is 0600 until then.

use std::ffi::OsString;
use std::io::Write as _;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Mode, OFlags};

/// Why the report cannot be written to the path given.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(
        "cannot write report to {0}: it is a symbolic link; give the path of the file itself, or --output-follow-symlink to write where the link points"
    )]
    Symlink(PathBuf),
    #[error(
        "cannot write report to {path}: it is a symbolic link owned by uid {link_uid} in a directory owned by uid {dir_uid}; the doctor follows only links that belong to its own user or to the directory's owner"
    )]
    ForeignSymlink {
        path: PathBuf,
        link_uid: u32,
        dir_uid: u32,
    },
    #[error(
        "cannot write report to {path}: it is {what}, not a regular file; give a file path, or leave out --output to write to standard output"
    )]
    NotAFile { path: PathBuf, what: &'static str },
    #[error("cannot write report to {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write report to {0}: not a file name")]
    NoFileName(PathBuf),
}

fn io(path: &Path, source: impl Into<std::io::Error>) -> OutputError {
    OutputError::Io {
        path: path.to_path_buf(),
        source: source.into(),
    }
}

/// A regular file, or what it is instead.
fn kind_of(meta: &std::fs::Metadata) -> Result<(), &'static str> {
    use std::os::unix::fs::FileTypeExt as _;
    let t = meta.file_type();
    if t.is_file() {
        Ok(())
    } else if t.is_dir() {
        Err("a directory")
    } else if t.is_fifo() {
        Err("a FIFO (named pipe)")
    } else if t.is_socket() {
        Err("a socket")
    } else if t.is_char_device() || t.is_block_device() {
        Err("a device")
    } else {
        Err("not a regular file")
    }
}

/// Where the report goes: the directory, the name in it, and what is there now.
#[derive(Debug, Clone)]
struct Target {
    dir: PathBuf,
    name: OsString,
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Resolve `path` to the file to replace, refusing what must not be written. Nothing is
/// opened: only `lstat`, and `readlink` when following a link is allowed.
fn resolve(path: &Path, follow_symlink: bool) -> Result<Target, OutputError> {
    let mut current = path.to_path_buf();
    // A chain of links is followed link by link, each judged by the same rule.
    for _ in 0..16 {
        let meta = match std::fs::symlink_metadata(&current) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return split(&current);
            }
            Err(e) => return Err(io(path, e)),
        };
        if meta.file_type().is_symlink() {
            if !follow_symlink {
                return Err(OutputError::Symlink(path.to_path_buf()));
            }
            let dir = parent_dir(&current);
            let dir_uid = std::fs::metadata(&dir).map_err(|e| io(path, e))?.uid();
            let me = rustix::process::geteuid().as_raw();
            if meta.uid() != me && meta.uid() != dir_uid {
                return Err(OutputError::ForeignSymlink {
                    path: current,
                    link_uid: meta.uid(),
                    dir_uid,
                });
            }
            let to = std::fs::read_link(&current).map_err(|e| io(path, e))?;
            current = dir.join(to);
            continue;
        }
        return match kind_of(&meta) {
            Ok(()) => split(&current),
            Err(what) => Err(OutputError::NotAFile {
                path: path.to_path_buf(),
                what,
            }),
        };
    }
    Err(io(
        path,
        std::io::Error::other("too many levels of symbolic links"),
    ))
}

fn split(path: &Path) -> Result<Target, OutputError> {
    let name = path
        .file_name()
        .ok_or_else(|| OutputError::NoFileName(path.to_path_buf()))?;
    Ok(Target {
        dir: parent_dir(path),
        name: name.to_os_string(),
    })
}

/// Check the output path before the run, so a path that will be refused fails fast (exit 2)
/// instead of after every check has run.
pub fn check_target(path: &Path, follow_symlink: bool) -> Result<(), OutputError> {
    resolve(path, follow_symlink).map(|_| ())
}

/// A random name for the temporary file: `.NAME.<16 hex>.tmp`.
fn random_name(name: &OsString) -> OsString {
    let mut buf = [0u8; 8];
    let random = rustix::rand::getrandom(&mut buf, rustix::rand::GetRandomFlags::empty())
        .ok()
        .filter(|n| *n == buf.len())
        .map(|_| u64::from_le_bytes(buf));
    // Without the kernel's generator (very old kernels), std's per-process random hash keys.
    let n = random.unwrap_or_else(|| {
        use std::hash::{BuildHasher as _, Hasher as _};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        h.finish()
    });
    let mut s = OsString::from(".");
    s.push(name);
    s.push(format!(".{n:016x}.tmp"));
    s
}

/// Write `bytes` to `path` so readers never see half a report and nothing but the report
/// file changes (see the module documentation).
pub fn write_report(path: &Path, bytes: &[u8], follow_symlink: bool) -> Result<(), OutputError> {
    let target = resolve(path, follow_symlink)?;
    write_in(path, &target, bytes, &mut || random_name(&target.name))
}

fn write_in(
    shown: &Path,
    target: &Target,
    bytes: &[u8],
    next_name: &mut dyn FnMut() -> OsString,
) -> Result<(), OutputError> {
    let dir = rustix::fs::open(
        &target.dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| io(shown, e))?;
    // What is at the name now, seen from the directory just opened and without following.
    let previous =
        match rustix::fs::statat(&dir, target.name.as_os_str(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => {
                let is_file = rustix::fs::FileType::from_raw_mode(st.st_mode)
                    == rustix::fs::FileType::RegularFile;
                if !is_file {
                    // Replaced since the check before the run (by a link, a FIFO, ...).
                    return Err(OutputError::NotAFile {
                        path: shown.to_path_buf(),
                        what: "no longer a regular file",
                    });
                }
                Some(st)
            }
            Err(rustix::io::Errno::NOENT) => None,
            Err(e) => return Err(io(shown, e)),
        };
    let (tmp_name, fd) = create_temp(shown, &dir, next_name)?;
    let result = fill(&fd, bytes, previous.as_ref())
        .and_then(|()| {
            rustix::fs::renameat(&dir, tmp_name.as_os_str(), &dir, target.name.as_os_str())
                .map_err(std::io::Error::from)
        })
        .and_then(|()| rustix::fs::fsync(&dir).map_err(std::io::Error::from));
    if let Err(e) = result {
        let _ = rustix::fs::unlinkat(&dir, tmp_name.as_os_str(), AtFlags::empty());
        return Err(io(shown, e));
    }
    Ok(())
}

/// Create the temporary file: a new inode or nothing. A name already taken (by a planted
/// link or file) is never opened; another random name is tried.
fn create_temp(
    shown: &Path,
    dir: &OwnedFd,
    next_name: &mut dyn FnMut() -> OsString,
) -> Result<(OsString, OwnedFd), OutputError> {
    let mut last = rustix::io::Errno::EXIST;
    for _ in 0..16 {
        let name = next_name();
        if name.as_bytes().contains(&b'/') {
            return Err(OutputError::NoFileName(shown.to_path_buf()));
        }
        match rustix::fs::openat(
            dir,
            name.as_os_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        ) {
            Ok(fd) => return Ok((name, fd)),
            Err(e @ (rustix::io::Errno::EXIST | rustix::io::Errno::LOOP)) => last = e,
            Err(e) => return Err(io(shown, e)),
        }
    }
    Err(io(shown, last))
}

/// The mode a new file gets from `creat`: 0666 less the process's umask, read from
/// /proc/self/status (setting the umask to learn it would race with other threads).
fn default_mode() -> u32 {
    crate::probe::fs::read_bounded_now(Path::new("/proc/self/status"), 64 * 1024)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .map_or(0o644, |umask| 0o666 & !umask)
}

/// Write, then give the new file the earlier report's permission bits and owner — or, for
/// a first report, the mode a new file would have — on the descriptor, then make it durable.
/// The temporary file stays 0600 while it is written.
fn fill(fd: &OwnedFd, bytes: &[u8], previous: Option<&rustix::fs::Stat>) -> std::io::Result<()> {
    let mut file = std::fs::File::from(fd.try_clone()?);
    file.write_all(bytes)?;
    let mode = if let Some(st) = previous {
        // Only root may give a file away; anyone else keeps their own ownership.
        let _ = rustix::fs::fchown(
            fd,
            Some(rustix::fs::Uid::from_raw(st.st_uid)),
            Some(rustix::fs::Gid::from_raw(st.st_gid)),
        );
        // After chown, which clears set-id bits; those are never copied anyway.
        st.st_mode & 0o777
    } else {
        default_mode()
    };
    rustix::fs::fchmod(fd, Mode::from_raw_mode(mode))?;
    file.sync_all()
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests read what they wrote
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn a_planted_link_at_the_temporary_name_is_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim_dir = tempfile::tempdir().unwrap();
        let victim = victim_dir.path().join("victim");
        std::fs::write(&victim, "victim").unwrap();
        std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
        // The first names tried are taken by links to the victim and by a file.
        std::os::unix::fs::symlink(&victim, dir.path().join(".r.json.1.tmp")).unwrap();
        std::fs::write(dir.path().join(".r.json.2.tmp"), "theirs").unwrap();
        let mut names = [".r.json.1.tmp", ".r.json.2.tmp", ".r.json.3.tmp"].into_iter();
        let target = Target {
            dir: dir.path().to_path_buf(),
            name: "r.json".into(),
        };
        let out = dir.path().join("r.json");
        write_in(&out, &target, b"report", &mut || {
            names.next().unwrap_or(".r.json.x.tmp").into()
        })
        .unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "report");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "victim");
        assert_eq!(
            std::fs::metadata(&victim).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join(".r.json.2.tmp")).unwrap(),
            "theirs"
        );
        assert!(!dir.path().join(".r.json.3.tmp").exists(), "renamed away");
    }

    #[test]
    fn every_name_taken_is_an_error_not_a_follow() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "victim").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join(".t")).unwrap();
        let target = Target {
            dir: dir.path().to_path_buf(),
            name: "r.json".into(),
        };
        let err = write_in(&dir.path().join("r.json"), &target, b"x", &mut || {
            ".t".into()
        })
        .unwrap_err();
        assert!(err.to_string().contains("cannot write report to"), "{err}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "victim");
    }

    #[test]
    fn the_earlier_reports_mode_is_kept_without_set_id_bits() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r.json");
        std::fs::write(&out, "old").unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o4640)).unwrap();
        write_report(&out, b"new", false).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "new");
        assert_eq!(
            std::fs::metadata(&out).unwrap().permissions().mode() & 0o7777,
            0o640
        );
    }

    #[test]
    fn a_first_report_gets_the_mode_of_a_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r.json");
        write_report(&out, b"new", false).unwrap();
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "x").unwrap();
        assert_eq!(
            std::fs::metadata(&out).unwrap().permissions().mode(),
            std::fs::metadata(&plain).unwrap().permissions().mode()
        );
    }

    #[test]
    fn random_names_differ_and_stay_in_the_directory() {
        let a = random_name(&"r.json".into());
        let b = random_name(&"r.json".into());
        assert_ne!(a, b);
        let a = a.to_string_lossy().into_owned();
        assert!(a.starts_with(".r.json.") && a.rsplit('.').next() == Some("tmp"));
        assert!(!a.contains('/'));
    }

    #[test]
    fn refuses_what_is_not_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = check_target(dir.path(), false).unwrap_err();
        assert!(err.to_string().contains("it is a directory"), "{err}");
        let err = check_target(Path::new("/dev/null"), false).unwrap_err();
        assert!(err.to_string().contains("it is a device"), "{err}");
        let link = dir.path().join("l");
        std::os::unix::fs::symlink("/dev/null", &link).unwrap();
        assert!(matches!(
            check_target(&link, false),
            Err(OutputError::Symlink(_))
        ));
        let err = check_target(&link, true).unwrap_err();
        assert!(err.to_string().contains("it is a device"), "{err}");
        assert!(check_target(&dir.path().join("new.json"), false).is_ok());
    }
}
