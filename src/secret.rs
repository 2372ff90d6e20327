//! Secrets never leave the doctor: API keys, JWT secrets, tokens and private keys are shown
//! as `<redacted>` or as a short SHA-256 fingerprint (so two nodes' values can still be
//! compared). Everything that prints text from a config line goes through here.

use sha2::{Digest, Sha256};

/// What a redacted value is shown as.
pub const REDACTED: &str = "<redacted>";

const EXACT: &[&str] = &[
    "token",
    "secret",
    "password",
    "passwd",
    "credentials",
    "bearer",
    "authorization",
];

/// Whether a config key names a secret value (not a path to one, not a TTL or key id).
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase().replace('-', "_");
    if k.ends_with("_file")
        || k.ends_with("_path")
        || k.ends_with("_ttl")
        || k.ends_with("_id")
        || k.ends_with("_version")
        || k == "public_key"
    {
        return false;
    }
    EXACT.contains(&k.as_str())
        || k.ends_with("_key")
        || k.ends_with("apikey")
        || k.ends_with("_secret")
        || k.ends_with("_password")
        || k.ends_with("_token")
        || k.contains("private_key")
}

/// First 12 hex digits of the SHA-256 of a value: comparable, not reversible.
pub fn fingerprint(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    let hex = crate::encoding::hex(&digest);
    format!("sha256:{}", &hex[..12])
}

/// Hide the value of a `key: value` line whose key names a secret.
pub fn redact_line(line: &str) -> String {
    let trimmed = line.trim_start();
    let body = trimmed.strip_prefix("- ").unwrap_or(trimmed);
    if let Some((key, value)) = body.split_once(':') {
        let key = key.trim().trim_matches(['"', '\'']);
        if is_secret_key(key) && !value.trim().is_empty() {
            let cut = line.len() - value.len();
            let lead = &value[..value.len() - value.trim_start().len()];
            return format!("{}{lead}{REDACTED}", &line[..cut]);
        }
    }
    line.to_string()
}

/// Keys that name a secret in free text (query strings, log fields) though not in config.
const TEXT_KEYS: &[&str] = &[
    "key",
    "sig",
    "signature",
    "sessionid",
    "jwt",
    "passphrase",
    "pwd",
];

/// HTTP authentication schemes, shown before a hidden credential.
const AUTH_SCHEMES: &[&str] = &["bearer", "basic", "token", "digest", "apikey", "negotiate"];

/// Whether `key` before `sep` names a secret. The extra free-text keys count only before
/// `=` (query strings, key=value logs): `jwt: token expired` is prose, `jwt=eyJ…` is not.
fn is_secret_text_key(key: &str, sep: u8) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key);
    let lower = last.to_ascii_lowercase();
    is_secret_key(last) || (sep == b'=' && TEXT_KEYS.contains(&lower.as_str()))
}

/// Hide secrets anywhere in a free-form line, such as a log line: `key=value`,
/// `key: value` and `"key": "value"` pairs whose key names a secret (also in URL query
/// strings: `?api_key=…&token=…`), `Authorization:` values, bearer tokens, passwords in
/// URLs (`https://user:pass@host`) and anything shaped like a JWT.
pub fn redact_text(line: &str) -> String {
    let s = redact_line(line);
    let s = redact_url_passwords(&s);
    let s = redact_bearer(&s);
    let s = redact_pairs(&s);
    redact_jwts(&s)
}

/// Replace byte ranges (sorted, non-overlapping, on char boundaries) with [`REDACTED`].
fn replace_ranges(s: &str, ranges: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for &(a, b) in ranges {
        if a < last {
            continue;
        }
        out.push_str(&s[last..a]);
        out.push_str(REDACTED);
        last = b;
    }
    out.push_str(&s[last..]);
    out
}

fn ends_value(b: u8) -> bool {
    b.is_ascii_whitespace() || b"&,;)]}\"'<>".contains(&b)
}

/// The end of a value starting at `start` (unquoted: up to a delimiter).
fn value_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < bytes.len() && !ends_value(bytes[i]) {
        i += 1;
    }
    i
}

fn redact_url_passwords(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut ranges = Vec::new();
    let mut from = 0;
    while let Some(i) = s[from..].find("://") {
        let start = from + i + 3;
        let mut end = start;
        while end < bytes.len() && !ends_value(bytes[end]) && !b"/?#".contains(&bytes[end]) {
            end += 1;
        }
        let authority = &s[start..end];
        if let Some(at) = authority.rfind('@')
            && let Some(colon) = authority[..at].find(':')
            && colon + 1 < at
        {
            ranges.push((start + colon + 1, start + at));
        }
        from = end.max(start);
    }
    replace_ranges(s, &ranges)
}

fn redact_bearer(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let bytes = s.as_bytes();
    let mut ranges = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find("bearer") {
        let mut start = from + i + "bearer".len();
        from = start;
        let sep = if lower[start..].starts_with("%20") {
            3
        } else {
            1
        };
        match bytes.get(start) {
            Some(b' ' | b'=' | b':' | b'+') => start += 1,
            Some(b'%') if sep == 3 => start += 3,
            _ => continue,
        }
        while bytes.get(start) == Some(&b' ') {
            start += 1;
        }
        let end = value_end(bytes, start);
        if end > start && !s[start..].starts_with(REDACTED) {
            ranges.push((start, end));
            from = end;
        }
    }
    replace_ranges(s, &ranges)
}

fn redact_pairs(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for (sep, &b) in bytes.iter().enumerate() {
        if b != b'=' && b != b':' {
            continue;
        }
        if b == b':' && s[sep..].starts_with("://") {
            continue;
        }
        // The key: identifier characters before the separator (past a closing quote).
        let mut k_end = sep;
        while k_end > 0 && bytes[k_end - 1] == b' ' {
            k_end -= 1;
        }
        if k_end > 0 && matches!(bytes[k_end - 1], b'"' | b'\'') {
            k_end -= 1;
        }
        let mut k_start = k_end;
        while k_start > 0
            && (bytes[k_start - 1].is_ascii_alphanumeric() || b"_-.".contains(&bytes[k_start - 1]))
        {
            k_start -= 1;
        }
        let key = &s[k_start..k_end];
        if key.is_empty() || !key.bytes().any(|c| c.is_ascii_alphabetic()) {
            continue;
        }
        let is_authorization = key.eq_ignore_ascii_case("authorization")
            || key.eq_ignore_ascii_case("proxy-authorization");
        if !is_authorization && !is_secret_text_key(key, b) {
            continue;
        }
        let mut start = sep + 1;
        while bytes.get(start) == Some(&b' ') {
            start += 1;
        }
        let quote = match bytes.get(start) {
            Some(q @ (b'"' | b'\'')) => {
                start += 1;
                Some(*q)
            }
            _ => None,
        };
        let end = if let Some(q) = quote {
            bytes[start..]
                .iter()
                .position(|c| *c == q)
                .map_or(bytes.len(), |p| start + p)
        } else {
            // `Authorization: Bearer <credentials>`: keep the scheme, hide what follows.
            let word = value_end(bytes, start);
            if is_authorization
                && bytes.get(word) == Some(&b' ')
                && AUTH_SCHEMES
                    .iter()
                    .any(|m| s[start..word].eq_ignore_ascii_case(m))
            {
                start = word;
                while bytes.get(start) == Some(&b' ') {
                    start += 1;
                }
            }
            value_end(bytes, start)
        };
        let end = s[start..end].trim_end().len() + start;
        if end > start && !s[start..end].eq(REDACTED) && ranges.last().is_none_or(|r| r.1 <= start)
        {
            ranges.push((start, end));
        }
    }
    replace_ranges(s, &ranges)
}

fn redact_jwts(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut ranges = Vec::new();
    let mut from = 0;
    while let Some(i) = s[from..].find("eyJ") {
        let start = from + i;
        let mut end = start;
        while end < bytes.len()
            && (bytes[end].is_ascii_alphanumeric() || b"-_.".contains(&bytes[end]))
        {
            end += 1;
        }
        let token = &s[start..end];
        if token.matches('.').count() >= 2 && token.len() >= 20 {
            ranges.push((start, end));
        }
        from = end.max(start + 3);
    }
    replace_ranges(s, &ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_keys() {
        for k in [
            "api_key",
            "apiKey",
            "secret",
            "token",
            "signing_key",
            "client_secret",
            "private_key_pem",
            "password",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in [
            "token_ttl",
            "token_file",
            "key_id",
            "secret_file",
            "public_key",
            "public_key_file",
            "endpoint",
            "version",
        ] {
            assert!(!is_secret_key(k), "{k}");
        }
    }

    #[test]
    fn redacts_lines() {
        assert_eq!(
            redact_line("  api_key: sk-live-123  "),
            "  api_key: <redacted>"
        );
        assert_eq!(redact_line("  token_ttl: 3600"), "  token_ttl: 3600");
        assert_eq!(redact_line("api_key:"), "api_key:");
    }

    #[test]
    fn redacts_secrets_inside_free_text() {
        let cases = [
            (
                "2026-11-22T08:00:00Z ERROR GET https://m:8443/v1/sync?api_key=sk-live-1&node=c7&token=t0k3n failed",
                "2026-11-22T08:00:00Z ERROR GET https://m:8443/v1/sync?api_key=<redacted>&node=c7&token=<redacted> failed",
            ),
            (
                "sending Authorization: Bearer abc.def-ghi to master",
                "sending Authorization: Bearer <redacted> to master",
            ),
            (
                "header authorization=Basic c3ZjOnB3 rejected",
                "header authorization=Basic <redacted> rejected",
            ),
            (
                r#"{"Authorization": "Bearer abc def"}"#,
                r#"{"Authorization": "<redacted>"}"#,
            ),
            (
                "jwt: token used before issued; retry with jwt=abc.def",
                "jwt: token used before issued; retry with jwt=<redacted>",
            ),
            (
                "retry with bearer=abc123, attempt 2",
                "retry with bearer=<redacted>, attempt 2",
            ),
            (
                r#"{"level":"error","api_key":"sk-json-9","msg":"401"}"#,
                r#"{"level":"error","api_key":"<redacted>","msg":"401"}"#,
            ),
            (
                "dial https://svc:hunter2@master:8443/x refused",
                "dial https://svc:<redacted>@master:8443/x refused",
            ),
            (
                "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjNyJ9.c2lnbmF0dXJl expired",
                "token <redacted> expired",
            ),
            (
                "client_secret = 's3 cr3t' rejected; password:hunter2",
                "client_secret = '<redacted>' rejected; password:<redacted>",
            ),
            // Not secrets: TTLs, key ids, times, ports, URLs.
            (
                "token_ttl=3600 key_id=k1 at 08:00:01 to master:9090 via https://m:8443/",
                "token_ttl=3600 key_id=k1 at 08:00:01 to master:9090 via https://m:8443/",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(redact_text(input), want, "{input}");
        }
    }

    #[test]
    fn fingerprint_is_short_and_stable() {
        assert_eq!(fingerprint("abc"), "sha256:ba7816bf8f01");
    }
}
