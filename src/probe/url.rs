//! Splitting a URL into its parts, without I/O; shared by the probes and the suite
//! references (`${config.endpoint.host}`).

/// Split `scheme://host:port/path` (IPv6 hosts in brackets).
pub fn split_url(s: &str) -> Option<(String, String, Option<u16>, String)> {
    let (scheme, rest) = s.split_once("://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']')?;
        (h, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok()?),
        None => None,
    };
    Some((
        scheme.to_ascii_lowercase(),
        host.to_string(),
        port,
        path.to_string(),
    ))
}
