//! Service accounts and Unix permission classes.
//!
//! The doctor usually runs as root, for whom `access(2)` proves nothing about what the
//! service account may do. So access is computed the way the kernel does it for an
//! unprivileged process: the owner class if the account owns the file, else the group
//! class if one of its groups owns it, else the other class. POSIX ACLs are not read.

use std::fmt;

/// Largest `/etc/passwd` or `/etc/group` read.
const MAX_DB_BYTES: u64 = 16 * 1024 * 1024;

/// An account with the groups it runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The name, or the number when no name is known.
    pub name: String,
    pub uid: u32,
    /// Primary group first, then supplementary groups.
    pub gids: Vec<u32>,
}

impl Account {
    pub fn is_root(&self) -> bool {
        self.uid == 0
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (uid {})", self.name, self.uid)
    }
}

/// Owner, group and mode bits of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Perm {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

impl Perm {
    pub fn of(meta: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self {
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
        }
    }
}

impl fmt::Display for Perm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "mode {:04o}, owner uid {} gid {}",
            self.mode, self.uid, self.gid
        )
    }
}

/// What an access needs: bits of `rwx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Want(pub u32);

impl Want {
    pub const READ: Self = Self(4);
    pub const WRITE: Self = Self(2);
    pub const SEARCH: Self = Self(1);
    /// List a directory's entries and open them.
    pub const LIST: Self = Self(5);
    /// Create and remove entries in a directory.
    pub const CREATE: Self = Self(3);
}

/// Whether `account` may access a file with `perm` as `want` asks, by mode bits alone.
/// Root may read, write and search anything (CAP_DAC_OVERRIDE).
pub fn permits(account: &Account, perm: Perm, want: Want) -> bool {
    if account.is_root() {
        return true;
    }
    let shift = if account.uid == perm.uid {
        6
    } else if account.gids.contains(&perm.gid) {
        3
    } else {
        0
    };
    (perm.mode >> shift) & want.0 == want.0
}

/// Which permission class applies, for messages: `owner`, `group`, `other`.
pub fn class(account: &Account, perm: Perm) -> &'static str {
    if account.uid == perm.uid {
        "owner"
    } else if account.gids.contains(&perm.gid) {
        "group"
    } else {
        "other"
    }
}

/// Look up `user` (a name, or a numeric uid) in passwd and group database texts.
/// A number with no passwd entry is an account with that uid and no groups.
pub fn lookup(user: &str, passwd: &str, group: &str) -> Option<Account> {
    let user = user.trim();
    let numeric = user.parse::<u32>().ok();
    let entry = passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() < 4 || line.starts_with('#') {
            return None;
        }
        let uid = fields[2].parse::<u32>().ok()?;
        let gid = fields[3].parse::<u32>().ok()?;
        (fields[0] == user || numeric == Some(uid)).then(|| (fields[0].to_string(), uid, gid))
    });
    let Some((name, uid, gid)) = entry else {
        return numeric.map(|uid| Account {
            name: uid.to_string(),
            uid,
            gids: Vec::new(),
        });
    };
    let mut gids = vec![gid];
    for line in group.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() < 4 || line.starts_with('#') {
            continue;
        }
        let Ok(g) = fields[2].parse::<u32>() else {
            continue;
        };
        if fields[3].split(',').any(|m| m.trim() == name) && !gids.contains(&g) {
            gids.push(g);
        }
    }
    Some(Account { name, uid, gids })
}

fn read_db(path: &str) -> Result<String, String> {
    let bytes = super::fs::read_bounded_now(std::path::Path::new(path), MAX_DB_BYTES)
        .map_err(|e| format!("cannot read {path}: {e}"))?;
    String::from_utf8(bytes).map_err(|_| format!("cannot read {path}: not UTF-8 text"))
}

/// Look `user` up in `/etc/passwd` and `/etc/group`. `Ok(None)`: no such account there
/// (accounts served only by LDAP or SSSD are not seen; give the numeric uid instead).
pub fn lookup_system(user: &str) -> Result<Option<Account>, String> {
    let passwd = read_db("/etc/passwd")?;
    let group = read_db("/etc/group").unwrap_or_default();
    Ok(lookup(user, &passwd, &group))
}

/// The account the doctor itself runs as (effective ids).
pub fn current() -> Account {
    let uid = rustix::process::geteuid().as_raw();
    let mut gids = vec![rustix::process::getegid().as_raw()];
    for g in rustix::process::getgroups().unwrap_or_default() {
        if !gids.contains(&g.as_raw()) {
            gids.push(g.as_raw());
        }
    }
    let name = read_db("/etc/passwd")
        .ok()
        .and_then(|p| lookup(&uid.to_string(), &p, ""))
        .map_or_else(|| uid.to_string(), |a| a.name);
    Account { name, uid, gids }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n# comment\nopen-autoglm:x:998:997::/var/lib/open-autoglm:/usr/sbin/nologin\nbroken-line\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
    const GROUP: &str =
        "root:x:0:\nopen-autoglm:x:997:\nstorage:x:1500:alice,open-autoglm\nother:x:1600:alice\n";

    fn svc() -> Account {
        lookup("open-autoglm", PASSWD, GROUP).unwrap()
    }

    #[test]
    fn looks_up_names_numbers_and_groups() {
        assert_eq!(
            svc(),
            Account {
                name: "open-autoglm".into(),
                uid: 998,
                gids: vec![997, 1500]
            }
        );
        assert_eq!(lookup("998", PASSWD, GROUP).unwrap().name, "open-autoglm");
        assert_eq!(
            lookup("4242", PASSWD, GROUP),
            Some(Account {
                name: "4242".into(),
                uid: 4242,
                gids: vec![]
            })
        );
        assert_eq!(lookup("ghost", PASSWD, GROUP), None);
    }

    #[test]
    fn permission_classes_are_exclusive_like_the_kernel() {
        let a = svc();
        let cases = [
            // (mode, owner uid, owner gid, want, expected)
            (0o755, 998, 0, Want::CREATE, true),
            (0o555, 998, 0, Want::CREATE, false),
            // Owner class applies even when the group class would allow more.
            (0o077, 998, 997, Want::READ, false),
            (0o770, 0, 1500, Want::CREATE, true), // supplementary group
            (0o750, 0, 997, Want::CREATE, false), // group may not write
            (0o757, 0, 0, Want::CREATE, true),    // other
            (0o700, 0, 0, Want::SEARCH, false),
            (0o711, 0, 0, Want::SEARCH, true),
            (0o644, 0, 0, Want::READ, true),
            (0o640, 0, 0, Want::READ, false),
        ];
        for (mode, uid, gid, want, expected) in cases {
            let perm = Perm { mode, uid, gid };
            assert_eq!(permits(&a, perm, want), expected, "{perm} {want:?}");
        }
        let root = Account {
            name: "root".into(),
            uid: 0,
            gids: vec![0],
        };
        assert!(permits(
            &root,
            Perm {
                mode: 0o000,
                uid: 5,
                gid: 5
            },
            Want::CREATE
        ));
        assert_eq!(
            class(
                &a,
                Perm {
                    mode: 0,
                    uid: 0,
                    gid: 1500
                }
            ),
            "group"
        );
    }
}
