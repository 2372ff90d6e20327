//! Bounded file reads: the one way the doctor reads a file named by a config, a suite, a
//! flag or the environment.
//!
//! A path can name anything: a FIFO with no writer (an `open` or `read` that never
//! returns), `/dev/zero` (endless), a character device, a directory, or a 3 GB file. So a
//! read here
//!
//! - refuses anything but a regular file, without blocking: the path is looked at first
//!   (`stat`, following links) and the file is then opened non-blocking and looked at again
//!   (`fstat`), so a FIFO swapped in between cannot block the open or be drained;
//! - checks the size before reading, and reads at most `cap + 1` bytes even if the file
//!   grows meanwhile;
//! - runs on the blocking pool ([`read_bounded`]), so the caller's timeout, the run's
//!   deadline and signals are still served while a slow disk answers.
//!
//! [`read_bounded_now`] is the same read on the calling thread, for stages that run before
//! the async runtime (suite and config loading), where nothing else waits on the thread.

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("not found")]
    NotFound,
    /// A FIFO, socket, device or directory: never opened for reading.
    #[error("it is {0}, not a regular file; not read")]
    NotAFile(&'static str),
    #[error("it is {size} bytes, over the limit of {cap} bytes; not read")]
    TooLarge { size: u64, cap: u64 },
    #[error("{0}")]
    Io(std::io::Error),
}

impl ReadError {
    /// Whether the file does not exist (as opposed to existing and being refused).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound)
    }

    fn from_io(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::NotFound {
            Self::NotFound
        } else {
            Self::Io(e)
        }
    }
}

/// What kind of thing a non-regular file is, for messages.
pub fn describe(ft: std::fs::FileType) -> &'static str {
    if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO (named pipe)"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// Open the regular file at `path` for reading without ever blocking on a FIFO or device,
/// for callers that stream it (hashing a checkpoint) under a budget of their own. Refused
/// when larger than `cap`.
pub fn open_regular(
    path: &Path,
    cap: u64,
) -> Result<(std::fs::File, std::fs::Metadata), ReadError> {
    // Look before opening: opening a device can have effects of its own (a tape rewinds, a
    // terminal becomes the controlling one).
    let before = std::fs::metadata(path).map_err(ReadError::from_io)?;
    if !before.is_file() {
        return Err(ReadError::NotAFile(describe(before.file_type())));
    }
    if before.len() > cap {
        return Err(ReadError::TooLarge {
            size: before.len(),
            cap,
        });
    }
    let flags = rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits().cast_signed())
        .open(path)
        .map_err(ReadError::from_io)?;
    // Look again at what was opened: the path may have been replaced in between.
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile(describe(meta.file_type())));
    }
    if meta.len() > cap {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            cap,
        });
    }
    Ok((file, meta))
}

/// Read the regular file at `path`, at most `cap` bytes, on the calling thread without ever
/// blocking on a FIFO or device. See the module documentation.
pub fn read_bounded_now(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let (file, meta) = open_regular(path, cap)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    let read = bytes.len() as u64;
    if read > cap {
        // The file grew past the limit while it was read.
        return Err(ReadError::TooLarge { size: read, cap });
    }
    Ok(bytes)
}

/// [`read_bounded_now`] on the blocking pool: the caller's `tokio::time::timeout` (a
/// check's timeout, the run's deadline) can give up on it while the read still waits on a
/// slow disk.
pub async fn read_bounded(path: impl Into<PathBuf>, cap: u64) -> Result<Vec<u8>, ReadError> {
    let path = path.into();
    match tokio::task::spawn_blocking(move || read_bounded_now(&path, cap)).await {
        Ok(r) => r,
        Err(e) => Err(ReadError::Io(std::io::Error::other(format!(
            "the read was abandoned: {e}"
        )))),
    }
}

/// [`read_bounded`] as UTF-8 text.
pub async fn read_bounded_text(path: impl Into<PathBuf>, cap: u64) -> Result<String, ReadError> {
    let bytes = read_bounded(path, cap).await?;
    String::from_utf8(bytes).map_err(|_| {
        ReadError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not UTF-8 text",
        ))
    })
}

/// `stat` of `path`, following symlinks; never opens the file (so never blocks on a FIFO).
pub fn metadata(path: &Path) -> std::io::Result<std::fs::Metadata> {
    std::fs::metadata(path)
}

/// The permission bits (`0o7777`) of `meta`.
pub fn mode(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

/// Where the symlink at `path` points, if it is one.
pub fn read_link(path: &Path) -> Option<PathBuf> {
    std::fs::read_link(path).ok()
}

/// The paths of at most `max` entries of the directory at `path`, sorted by name; none when
/// it cannot be listed.
pub fn list_dir(path: &Path, max: usize) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(path) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .take(max)
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

/// Most entries of one directory a check lists (`/proc`, a daemon's `conf.d`).
pub const LIST_CAP: usize = 65_536;

/// The limit for small secret and credential files (tokens, keys, JWT secrets): real
/// ones are a few KiB.
pub const SECRET_CAP: u64 = 1024 * 1024;
/// The limit for CA bundles (the full Mozilla bundle is about 220 KiB).
pub const BUNDLE_CAP: u64 = 8 * 1024 * 1024;
/// The limit for small system files (`/etc/timezone`, daemon configs, `/proc` entries).
pub const SYSTEM_CAP: u64 = 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    fn mkfifo(path: &Path) {
        rustix::fs::mknodat(
            rustix::fs::CWD,
            path,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
    }

    #[test]
    fn reads_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"hello").unwrap();
        assert_eq!(read_bounded_now(&p, 5).unwrap(), b"hello");
        assert!(matches!(
            read_bounded_now(&p, 4),
            Err(ReadError::TooLarge { size: 5, cap: 4 })
        ));
    }

    #[test]
    fn a_fifo_without_a_writer_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fifo");
        mkfifo(&p);
        let e = read_bounded_now(&p, 100).unwrap_err();
        assert!(
            matches!(e, ReadError::NotAFile("a FIFO (named pipe)")),
            "{e}"
        );
    }

    #[test]
    fn dev_zero_is_refused_not_read() {
        let e = read_bounded_now(Path::new("/dev/zero"), 100).unwrap_err();
        assert!(
            matches!(e, ReadError::NotAFile("a character device")),
            "{e}"
        );
    }

    #[test]
    fn a_directory_and_a_missing_file_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            read_bounded_now(dir.path(), 100),
            Err(ReadError::NotAFile("a directory"))
        ));
        assert!(
            read_bounded_now(&dir.path().join("nope"), 100)
                .unwrap_err()
                .is_not_found()
        );
    }

    #[test]
    fn a_huge_sparse_file_is_refused_by_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("huge");
        let f = std::fs::File::create(&p).unwrap();
        f.set_len(3 * 1024 * 1024 * 1024).unwrap();
        let e = read_bounded_now(&p, SECRET_CAP).unwrap_err();
        assert!(matches!(e, ReadError::TooLarge { .. }), "{e}");
    }

    #[test]
    fn a_symbolic_link_to_a_regular_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"x").unwrap();
        let l = dir.path().join("l");
        std::os::unix::fs::symlink(&p, &l).unwrap();
        assert_eq!(read_bounded_now(&l, 5).unwrap(), b"x");
    }

    #[tokio::test]
    async fn the_async_read_runs_off_the_runtime_thread() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(read_bounded(&p, 10).await.unwrap(), b"abc");
        let fifo = dir.path().join("fifo");
        mkfifo(&fifo);
        assert!(matches!(
            read_bounded(fifo, 10).await,
            Err(ReadError::NotAFile(_))
        ));
    }
}
