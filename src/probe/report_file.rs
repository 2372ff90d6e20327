//! Reading report files for `compare`: regular files only, opened without blocking, with a
//! size cap checked before reading and enforced while reading; standard input through a
//! reader that stops at a cap. A FIFO, a device or a directory named as a report is refused
//! at once, never read (a FIFO without a writer would block; `/dev/zero` never ends).

use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::Path;

use rustix::fs::{Mode, OFlags};

/// Why a report file was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReportFileError {
    #[error("it is {0}, not a regular file")]
    NotAFile(&'static str),
    #[error("it is {size} bytes, more than the {cap} bytes a report may have")]
    TooLarge { size: u64, cap: u64 },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

fn what(ft: rustix::fs::FileType) -> &'static str {
    use rustix::fs::FileType as F;
    match ft {
        F::Directory => "a directory",
        F::Fifo => "a FIFO (named pipe)",
        F::Socket => "a socket",
        F::CharacterDevice | F::BlockDevice => "a device",
        _ => "not a regular file",
    }
}

/// Open `path` for reading if it is a regular file of at most `cap` bytes. `O_NONBLOCK`
/// keeps a FIFO from blocking the open; the type and size are judged on the descriptor.
pub fn open_regular(path: &Path, cap: u64) -> Result<(std::fs::File, u64), ReportFileError> {
    let fd: OwnedFd = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    )
    .map_err(std::io::Error::from)?;
    let st = rustix::fs::fstat(&fd).map_err(std::io::Error::from)?;
    let ft = rustix::fs::FileType::from_raw_mode(st.st_mode);
    if ft != rustix::fs::FileType::RegularFile {
        return Err(ReportFileError::NotAFile(what(ft)));
    }
    let size = u64::try_from(st.st_size).unwrap_or(0);
    if size > cap {
        return Err(ReportFileError::TooLarge { size, cap });
    }
    Ok((std::fs::File::from(fd), size))
}

/// Read a regular file of at most `cap` bytes into `buf` (cleared first; reused between
/// reports so memory stays at one report). A file that grows past the cap while being read
/// is refused too.
pub fn read_capped(path: &Path, cap: u64, buf: &mut Vec<u8>) -> Result<(), ReportFileError> {
    let (file, size) = open_regular(path, cap)?;
    buf.clear();
    buf.reserve(usize::try_from(size).unwrap_or(0));
    file.take(cap.saturating_add(1)).read_to_end(buf)?;
    let read = u64::try_from(buf.len()).unwrap_or(u64::MAX);
    if read > cap {
        return Err(ReportFileError::TooLarge { size: read, cap });
    }
    Ok(())
}

/// Whether `path` is a directory (following links), without opening it.
pub fn is_dir(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_dir())
}

/// The entries of a directory: regular files, and the others with what they are.
pub type Entries = (
    Vec<std::path::PathBuf>,
    Vec<(std::path::PathBuf, &'static str)>,
);

/// The `*.json` entries of a directory, sorted; entries that are not regular files are
/// returned apart with what they are, so they can be named and never opened.
pub fn json_entries(dir: &Path) -> std::io::Result<Entries> {
    let mut files = Vec::new();
    let mut others = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let p = e.path();
        if p.extension().is_none_or(|x| x != "json") {
            continue;
        }
        match std::fs::metadata(&p) {
            Ok(m) if m.is_file() => files.push(p),
            Ok(m) => {
                let ft =
                    rustix::fs::FileType::from_raw_mode(std::os::unix::fs::MetadataExt::mode(&m));
                others.push((p, what(ft)));
            }
            Err(_) => others.push((p, "unreadable")),
        }
    }
    files.sort();
    others.sort();
    Ok((files, others))
}

/// A reader that fails once more than `cap` bytes have been read since the last
/// [`Shared::mark`]: standard input carries a stream of reports, each capped.
#[derive(Debug)]
pub struct CappedReader<R> {
    inner: R,
    /// Bytes read in all.
    pub total: u64,
    start: u64,
    cap: u64,
    total_cap: u64,
}

impl<R: Read> CappedReader<R> {
    pub fn new(inner: R, cap: u64, total_cap: u64) -> Self {
        Self {
            inner,
            total: 0,
            start: 0,
            cap,
            total_cap,
        }
    }
}

/// A shared handle so the position can be marked while a deserializer owns the reader.
#[derive(Debug)]
pub struct Shared<R>(pub std::rc::Rc<std::cell::RefCell<CappedReader<R>>>);

impl<R> Clone for Shared<R> {
    fn clone(&self) -> Self {
        Self(std::rc::Rc::clone(&self.0))
    }
}

impl<R: Read> Shared<R> {
    /// A new report starts here.
    pub fn mark(&self) {
        let mut r = self.0.borrow_mut();
        r.start = r.total;
    }
}

impl<R: Read> Read for Shared<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut r = self.0.borrow_mut();
        let used = r.total - r.start;
        if used > r.cap {
            return Err(std::io::Error::other(format!(
                "a report on standard input is larger than {} bytes",
                r.cap
            )));
        }
        if r.total > r.total_cap {
            return Err(std::io::Error::other(format!(
                "standard input carries more than {} bytes of reports",
                r.total_cap
            )));
        }
        let n = r.inner.read(buf)?;
        r.total += u64::try_from(n).unwrap_or(0);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_fifos_devices_directories_and_large_files_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("r.json");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, Mode::from_raw_mode(0o600)).unwrap();
        let mut buf = Vec::new();
        let err = read_capped(&fifo, 100, &mut buf).unwrap_err();
        assert_eq!(
            err.to_string(),
            "it is a FIFO (named pipe), not a regular file"
        );
        let err = read_capped(Path::new("/dev/zero"), 100, &mut buf).unwrap_err();
        assert_eq!(err.to_string(), "it is a device, not a regular file");
        let err = read_capped(dir.path(), 100, &mut buf).unwrap_err();
        assert_eq!(err.to_string(), "it is a directory, not a regular file");
        let big = dir.path().join("big.json");
        std::fs::write(&big, vec![b' '; 101]).unwrap();
        let err = read_capped(&big, 100, &mut buf).unwrap_err();
        assert_eq!(
            err.to_string(),
            "it is 101 bytes, more than the 100 bytes a report may have"
        );
        std::fs::write(&big, b"{}").unwrap();
        read_capped(&big, 100, &mut buf).unwrap();
        assert_eq!(buf, b"{}");
        let (files, others) = json_entries(dir.path()).unwrap();
        assert_eq!(files, [big]);
        assert_eq!(others, [(fifo, "a FIFO (named pipe)")]);
    }

    #[test]
    fn the_capped_reader_stops_each_report_at_its_cap() {
        let data = [b'x'; 64];
        let shared = Shared(std::rc::Rc::new(std::cell::RefCell::new(
            CappedReader::new(&data[..], 10, 1000),
        )));
        let mut r = shared.clone();
        let mut buf = [0u8; 8];
        assert_eq!(r.read(&mut buf).unwrap(), 8);
        shared.mark();
        assert_eq!(r.read(&mut buf).unwrap(), 8);
        assert_eq!(r.read(&mut buf).unwrap(), 8);
        let err = r.read(&mut buf).unwrap_err();
        assert!(err.to_string().contains("larger than 10 bytes"), "{err}");
    }
}
