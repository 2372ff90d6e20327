//! Free space and mount flags of the file system holding a path (statvfs).

use std::path::Path;

/// What statvfs reports, in bytes and inodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Space {
    /// Bytes an unprivileged account may still use (`f_bavail`).
    pub avail_bytes: u64,
    /// Bytes free including the reserve only root may use (`f_bfree`).
    pub free_bytes: u64,
    pub total_bytes: u64,
    /// Inodes an unprivileged account may still use (`f_favail`).
    pub avail_inodes: u64,
    /// Total inodes; 0 on file systems without a fixed inode table.
    pub total_inodes: u64,
    pub read_only: bool,
}

/// statvfs(3) of `path`.
pub fn space(path: &Path) -> std::io::Result<Space> {
    let s = rustix::fs::statvfs(path)?;
    let unit = if s.f_frsize > 0 {
        s.f_frsize
    } else {
        s.f_bsize
    };
    Ok(Space {
        avail_bytes: s.f_bavail.saturating_mul(unit),
        free_bytes: s.f_bfree.saturating_mul(unit),
        total_bytes: s.f_blocks.saturating_mul(unit),
        avail_inodes: s.f_favail,
        total_inodes: s.f_files,
        read_only: s.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_the_temp_file_system() {
        let dir = tempfile::tempdir().unwrap();
        let s = space(dir.path()).unwrap();
        assert!(s.total_bytes > 0 && s.free_bytes >= s.avail_bytes);
        assert!(!s.read_only);
        assert!(space(Path::new("/nonexistent/x")).is_err());
    }
}
