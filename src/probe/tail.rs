//! The bounded tail of a file: seek to the last `max` bytes and read only those, so a
//! 1 GB log costs the same as a 4 MiB one.

use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::SystemTime;

/// The end of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tail {
    /// The bytes read: whole lines only (a line cut by the start of the window is dropped).
    pub bytes: Vec<u8>,
    /// Where in the file `bytes` starts.
    pub offset: u64,
    /// The file's length when it was opened.
    pub file_len: u64,
    /// Bytes read from the file (at most the bound plus one).
    pub read: u64,
    pub mtime: Option<SystemTime>,
}

/// Why a tail could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TailError {
    #[error("not a regular file ({0}); not read")]
    NotAFile(&'static str),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Read at most `max` bytes from the end of `path`. Only regular files are read: the file
/// is opened non-blocking and checked after opening, so a FIFO put in the log directory
/// can neither block the doctor nor be drained by it.
pub fn read_tail(path: &Path, max: u64) -> Result<Tail, TailError> {
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits().cast_signed())
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "a FIFO, socket or device"
        };
        return Err(TailError::NotAFile(what));
    }
    let file_len = meta.len();
    let offset = file_len.saturating_sub(max);
    // Read one byte more before the window, to know whether it starts at a line start.
    let start = offset.saturating_sub(u64::from(offset > 0));
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::with_capacity(usize::try_from(max.min(file_len) + 1).unwrap_or(0));
    (&mut file)
        .take(max + (offset - start))
        .read_to_end(&mut bytes)?;
    let read = bytes.len() as u64;
    let mut first = start;
    if offset > 0 {
        // Drop the byte before the window and, unless it was a newline, the cut line.
        let cut = if bytes.first() == Some(&b'\n') {
            1
        } else {
            bytes
                .iter()
                .position(|b| *b == b'\n')
                .map_or(bytes.len(), |i| i + 1)
        };
        bytes.drain(..cut);
        first = start + cut as u64;
    }
    Ok(Tail {
        bytes,
        offset: first,
        file_len,
        read,
        mtime: meta.modified().ok(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_whole_lines_of_the_tail_only() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        std::fs::write(&p, "first line\nsecond line\nthird\n").unwrap();
        let t = read_tail(&p, 10).unwrap();
        assert_eq!(t.bytes, b"third\n");
        assert_eq!(t.read, 11);
        assert_eq!(t.file_len, 29);
        assert_eq!(t.offset, 23);
        // A window that starts exactly at a line start keeps that line.
        let t = read_tail(&p, 6).unwrap();
        assert_eq!(t.bytes, b"third\n");
        let t = read_tail(&p, 1000).unwrap();
        assert_eq!(t.offset, 0);
        assert_eq!(t.bytes.len(), 29);
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("f.log");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        assert!(matches!(read_tail(&fifo, 10), Err(TailError::NotAFile(_))));
        assert!(matches!(
            read_tail(dir.path(), 10),
            Err(TailError::NotAFile(_))
        ));
    }
}
