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

/// The shape of one line of block YAML, as far as redaction needs it.
#[derive(Debug)]
struct LineShape<'a> {
    /// Column of the first character (of the `-` for a sequence item).
    indent: usize,
    /// A sequence item (`- …`).
    dash: bool,
    /// The mapping key on the line, unquoted, and the byte offset where its value starts.
    key: Option<(&'a str, usize)>,
    /// Byte offset of the line's content after indentation and `- `.
    content: usize,
}

/// `None` for blank lines and comments.
fn line_shape(line: &str) -> Option<LineShape<'_>> {
    let trimmed = line.trim_start_matches(' ');
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return None;
    }
    let indent = line.len() - trimmed.len();
    let mut content = indent;
    let dash = trimmed == "-" || trimmed.starts_with("- ");
    if dash {
        content += 1;
        while line.as_bytes().get(content) == Some(&b' ') {
            content += 1;
        }
    }
    let rest = &line[content..];
    let key = if let Some(q @ ('"' | '\'')) = rest.chars().next() {
        rest[1..].find(q).and_then(|end| {
            let after = &rest[end + 2..];
            (after.starts_with(':') && (after.len() == 1 || after[1..].starts_with([' ', '\t'])))
                .then(|| (&rest[1..=end], content + end + 3))
        })
    } else if rest.starts_with(['{', '[', '&', '*', '!', '|', '>', '%', '@', '`', '?']) {
        None
    } else {
        rest.char_indices()
            .find(|&(i, c)| {
                c == ':'
                    && rest[i + 1..]
                        .chars()
                        .next()
                        .is_none_or(|n| n == ' ' || n == '\t')
            })
            .map(|(i, _)| i)
            .filter(|&i| !rest[..i].contains(" #"))
            .map(|i| (rest[..i].trim_end(), content + i + 1))
    };
    Some(LineShape {
        indent,
        dash,
        key,
        content,
    })
}

/// The mapping keys enclosing line `t` (outermost first), found by indentation.
fn enclosing_keys<'a>(lines: &[&'a str], t: usize, shape: &LineShape<'_>) -> Vec<&'a str> {
    let mut chain = Vec::new();
    let mut col = shape.indent;
    // A sequence at column c may sit under a key at the same column (`key:\n- item`).
    let mut in_sequence = shape.dash;
    for line in lines[..t].iter().rev() {
        let trimmed = line.trim_start_matches(' ');
        if trimmed.starts_with("---") || trimmed.starts_with("...") {
            break;
        }
        let Some(s) = line_shape(line) else { continue };
        let compact_parent = in_sequence && s.indent == col && !s.dash && s.key.is_some();
        if s.indent >= col && !compact_parent {
            continue;
        }
        col = s.indent;
        if s.dash && !compact_parent {
            // The item whose mapping holds this line: its own key is a sibling.
            in_sequence = true;
            continue;
        }
        in_sequence = false;
        if let Some((k, _)) = s.key {
            chain.push(k);
        }
        if col == 0 {
            break;
        }
    }
    chain.reverse();
    chain
}

/// Whether a flow collection (`{a: 1, b: [2]}`) names only keys `allowed` under `path`.
fn flow_keys_allowed(flow: &str, path: &[&str], allowed: &dyn Fn(&[&str]) -> bool) -> bool {
    let mut ok = true;
    for part in flow.split([',', '{', '}', '[', ']']) {
        if let Some((k, _)) = part.split_once(':') {
            let k = k.trim().trim_matches(['"', '\'']);
            if !k.is_empty() {
                let mut p = path.to_vec();
                p.push(k);
                ok &= allowed(&p);
            }
        }
    }
    ok
}

/// Line `line` (1-based) of a YAML document, ready to be shown under a caret: the value of
/// every key `allowed` refuses (keys the schema does not know, secret keys — judged with the
/// enclosing keys, so a list item or a block-scalar line under such a key is hidden too),
/// every anchored value (`&k …`, which an alias may carry into a secret key), then what
/// [`redact_text`] hides. The key, the indentation and the line's length up to the value stay,
/// so a caret still points at the right column.
pub fn redact_source_line(
    text: &str,
    line: usize,
    allowed: &dyn Fn(&[&str]) -> bool,
) -> Option<String> {
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    let t = line.checked_sub(1)?;
    let raw = *lines.get(t)?;
    let Some(shape) = line_shape(raw) else {
        return Some(redact_text(raw));
    };
    let mut path = enclosing_keys(&lines, t, &shape);
    let (value_at, hide) = match shape.key {
        Some((key, at)) => {
            path.push(key);
            let value = raw[at..].trim();
            let hide = !allowed(&path)
                || ((value.starts_with('{') || value.starts_with('['))
                    && !flow_keys_allowed(value, &path, allowed));
            (at, hide)
        }
        None => (shape.content, !allowed(&path)),
    };
    let value = &raw[value_at..];
    let lead = value.len() - value.trim_start().len();
    let mut start = value_at + lead;
    // Keep an anchor or a tag before the value; hide the value itself when anchored.
    let mut anchored = false;
    while let Some(rest) = raw.get(start..)
        && (rest.starts_with('&') || rest.starts_with('!'))
    {
        anchored |= rest.starts_with('&');
        let word = rest.find([' ', '\t']).unwrap_or(rest.len());
        start += word;
        while raw.as_bytes().get(start) == Some(&b' ') {
            start += 1;
        }
    }
    let shown_value = raw[start..].trim();
    let structural = shown_value.is_empty()
        || shown_value.starts_with('#')
        || (shape.key.is_some() && ["|", ">", "|-", ">-", "|+", ">+"].contains(&shown_value));
    if (hide || anchored) && !structural {
        return Some(format!("{}{REDACTED}", &raw[..start]));
    }
    Some(redact_text(raw))
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
    let s = redact_urls(&s);
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

/// Query (and fragment) parameters whose values are credentials, compared
/// case-insensitively with `-` read as `_`. Any name that [`is_secret_key`] calls secret,
/// or that contains one of [`SENSITIVE_PARAM_PARTS`], counts too.
pub const SENSITIVE_PARAMS: &[&str] = &[
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "api_key",
    "apikey",
    "key",
    "secret",
    "client_secret",
    "password",
    "passwd",
    "pwd",
    "pass",
    "sig",
    "signature",
    "auth",
    "authorization",
    "credential",
    "credentials",
    "session",
    "sessionid",
    "session_id",
    "jwt",
    "code",
];

/// Parts of a parameter name that make it sensitive wherever they appear
/// (`x_amz_signature`, `X-Goog-Credential`, `private_token`, `sessionToken`).
pub const SENSITIVE_PARAM_PARTS: &[&str] = &[
    "token",
    "secret",
    "passw",
    "signature",
    "credential",
    "session",
    "apikey",
    "api_key",
    "private",
    "auth",
];

/// Whether a URL query or fragment parameter carries a credential.
pub fn is_sensitive_param(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase().replace('-', "_");
    if n.is_empty() {
        return false;
    }
    SENSITIVE_PARAMS.contains(&n.as_str())
        || is_secret_key(&n)
        || SENSITIVE_PARAM_PARTS.iter().any(|p| n.contains(p))
}

/// Redact one URL: its userinfo (`user:password@`, or a token as the user name) becomes
/// `<redacted>@`, the values of sensitive query and fragment parameters become `<redacted>`.
/// The host is what follows the last `@` of the authority, so a password containing `@`
/// (`http://u:p@ss@proxy:3128`) is hidden whole. Text that is not a URL is returned as is
/// (apart from sensitive `name=value` parameters after a `?`).
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => (&url[..i + 3], &url[i + 3..]),
        // `user:pass@host:port` without a scheme (proxy variables allow it).
        None => ("", url),
    };
    // The query and fragment start at the first `?` or `#` (a password holding them is
    // malformed anyway; the `@` rule below still hides what precedes the host).
    let head_end = rest.find(['?', '#']).unwrap_or(rest.len());
    let (head, tail) = rest.split_at(head_end);
    let head = match userinfo_end(head, !scheme.is_empty()) {
        Some(at) => format!("{REDACTED}{}", &head[at..]),
        None => head.to_string(),
    };
    format!("{scheme}{head}{}", redact_params(tail))
}

/// Where the userinfo of `head` (authority and path, no query) ends: the index of the `@`
/// before the host. An `@` inside a path (`/users/@me`) after a plain `host[:port]` is not one.
fn userinfo_end(head: &str, has_scheme: bool) -> Option<usize> {
    let at = head.rfind('@')?;
    if let Some(slash) = head.find('/')
        && slash < at
    {
        let first = &head[..slash];
        let plain_host = !first.contains('@')
            && !first.contains(':')
            && !first.is_empty()
            && first
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._[]".contains(&b));
        let plain_host_port = first.split_once(':').is_some_and(|(h, p)| {
            !h.is_empty() && !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())
        }) && !first.contains('@');
        if plain_host || plain_host_port {
            return None;
        }
    }
    if !has_scheme && at == 0 {
        return None;
    }
    Some(at)
}

/// Redact sensitive `name=value` parameters in a query/fragment tail (`?a=1&token=x#s=y`).
fn redact_params(tail: &str) -> String {
    let mut out = String::with_capacity(tail.len());
    let mut rest = tail;
    while !rest.is_empty() {
        let cut = rest[1..]
            .find(['&', ';', '#'])
            .map_or(rest.len(), |i| i + 1);
        let (part, next) = rest.split_at(cut);
        // `part` starts with its separator (`?`, `&`, `;`, `#`), except at the very start.
        let (sep, pair) = match part.chars().next() {
            Some(c @ ('?' | '&' | ';' | '#')) => (&part[..c.len_utf8()], &part[c.len_utf8()..]),
            _ => ("", part),
        };
        out.push_str(sep);
        match pair.split_once('=') {
            Some((name, value)) if !value.is_empty() && is_sensitive_param(name) => {
                out.push_str(name);
                out.push('=');
                out.push_str(REDACTED);
            }
            _ => out.push_str(pair),
        }
        rest = next;
    }
    out
}

/// Whether `b` ends a URL written inside free text.
fn ends_url(b: u8) -> bool {
    b.is_ascii_whitespace() || b"\"'<>`|{}\\^".contains(&b)
}

/// Redact every URL inside free text (see [`redact_url`]): `scheme://…` and, for the
/// query part only, paths such as `/v1/sync?token=…`.
pub fn redact_urls(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    let mut i = 0;
    while i < bytes.len() {
        // The start of a token: after a delimiter, or a `scheme://` inside one.
        let starts = i == 0 || ends_url(bytes[i - 1]) || b"(=,;[".contains(&bytes[i - 1]);
        if !starts || ends_url(bytes[i]) {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < bytes.len() && !ends_url(bytes[end]) {
            end += 1;
        }
        let token = &s[i..end];
        let has_scheme = token.find("://").is_some_and(|p| {
            p > 0
                && token[..p]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        });
        // A trailing `)`, `,`, `.` or `;` closes the sentence, not the URL.
        let trimmed = token.trim_end_matches([')', ',', '.', ';', ']']);
        let after = &token[trimmed.len()..];
        let redacted = if has_scheme {
            Some(format!("{}{after}", redact_url(trimmed)))
        } else {
            trimmed
                .find('?')
                .map(|q| format!("{}{}{after}", &trimmed[..q], redact_params(&trimmed[q..])))
        };
        if let Some(r) = redacted
            && r != token
        {
            out.push_str(&s[last..i]);
            out.push_str(&r);
            last = end;
        }
        i = end;
    }
    out.push_str(&s[last..]);
    out
}

/// Redact the values of a JSON value in place: every string goes through
/// [`redact_message`]; an object member whose key names a secret becomes `<redacted>`.
pub fn redact_json(v: &mut serde_json::Value) {
    match v {
        // Only a URL, a query string or a JWT can hold what redact_message hides.
        serde_json::Value::String(s)
            if s.contains(['?', '@']) || s.contains("://") || s.contains("eyJ") =>
        {
            let r = redact_message(s);
            if r != *s {
                *s = r;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        serde_json::Value::Object(map) => {
            for (k, item) in map.iter_mut() {
                if is_secret_key(k) && !item.is_null() {
                    *item = REDACTED.into();
                } else {
                    redact_json(item);
                }
            }
        }
        _ => {}
    }
}

/// The policy for text the doctor wrote itself around values it saw (messages,
/// remediations, evidence, facts, errors): every URL's userinfo and sensitive parameters,
/// bearer tokens and anything shaped like a JWT. Unlike [`redact_text`] (for lines read
/// from files), `key: value` prose is left alone: the doctor's own sentences name keys.
pub fn redact_message(s: &str) -> String {
    redact_jwts(&redact_urls(s))
}

/// Redact everything a check produced before it enters a report.
pub fn redact_result(r: &mut crate::report::CheckResult) {
    let fix = |s: &mut String| {
        let red = redact_message(s);
        if red != *s {
            *s = red;
        }
    };
    fix(&mut r.message);
    if let Some(x) = r.remediation.as_mut() {
        fix(x);
    }
    for v in r.evidence.values_mut() {
        redact_json(v);
    }
    for v in r.facts.values_mut() {
        redact_json(v);
    }
    for f in &mut r.findings {
        fix(&mut f.message);
        if let Some(x) = f.remediation.as_mut() {
            fix(x);
        }
        for v in f.evidence.values_mut() {
            redact_json(v);
        }
        if let Some(snippet) = f.location.as_mut().and_then(|l| l.snippet.as_mut()) {
            let red = redact_text(snippet);
            if red != *snippet {
                *snippet = red;
            }
        }
    }
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
                "dial https://<redacted>@master:8443/x refused",
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

    fn known(path: &[&str]) -> bool {
        const KNOWN: &[&[&str]] = &[
            &["endpoint"],
            &["auth"],
            &["auth", "api_key"],
            &["auth", "token_ttl"],
            &["time"],
            &["time", "ntp_servers"],
            &["replication"],
            &["replication", "replicas"],
        ];
        KNOWN.contains(&path) && !path.iter().any(|k| is_secret_key(k))
    }

    #[test]
    fn source_lines_hide_unknown_and_secret_values_and_keep_the_key() {
        let text = [
            "endpoint: https://u:SECRET1@m:8443/x?token=SECRET2&node=c1",
            "auth:",
            "  api_kye: SECRET3",
            "  passphrase: 'SECRET4'   # note",
            "  api_key: *k",
            "  token_ttl: 3600",
            "  \"secret_value\": SECRET5",
            "x-anchors:",
            "  k: &k SECRET6",
            "time:",
            "  ntp_servers:",
            "  - pool.ntp.org",
            "unknown:",
            "  - SECRET7",
            "  - inner: SECRET8",
            "    more: SECRET9",
            "known_block: |",
            "  SECRET10",
            "replication:",
            "  replicas: [{url: x, key: SECRET11}]",
            "model_repo: &r SECRET12",
        ]
        .join("\n");
        let text = text.as_str();
        let line = |n| redact_source_line(text, n, &known).unwrap();
        assert_eq!(
            line(1),
            "endpoint: https://<redacted>@m:8443/x?token=<redacted>&node=c1"
        );
        assert_eq!(line(3), "  api_kye: <redacted>");
        assert_eq!(line(4), "  passphrase: <redacted>");
        assert_eq!(line(5), "  api_key: <redacted>");
        assert_eq!(line(6), "  token_ttl: 3600");
        assert_eq!(line(7), "  \"secret_value\": <redacted>");
        assert_eq!(line(8), "x-anchors:");
        assert_eq!(line(9), "  k: &k <redacted>");
        assert_eq!(line(12), "  - pool.ntp.org");
        assert_eq!(line(14), "  - <redacted>");
        assert_eq!(line(15), "  - inner: <redacted>");
        assert_eq!(line(16), "    more: <redacted>");
        assert_eq!(line(17), "known_block: |");
        assert_eq!(line(18), "  <redacted>");
        assert_eq!(line(20), "  replicas: <redacted>");
        assert_eq!(line(21), "model_repo: &r <redacted>");
        assert_eq!(redact_source_line(text, 99, &known), None);
    }

    #[test]
    fn urls_lose_userinfo_and_sensitive_parameters() {
        let cases = [
            ("http://u:p@ss@127.0.0.1:2", "http://<redacted>@127.0.0.1:2"),
            ("u:p@ss@proxy:3128", "<redacted>@proxy:3128"),
            ("https://TOKEN@host/x", "https://<redacted>@host/x"),
            ("https://host/users/@me", "https://host/users/@me"),
            ("https://host:8443/p@x?a=1", "https://host:8443/p@x?a=1"),
            (
                "https://h/x?Token=a&API_KEY=b&Sig=c&X-Amz-Signature=d&sessionId=e&page=2#access_token=f",
                "https://h/x?Token=<redacted>&API_KEY=<redacted>&Sig=<redacted>&X-Amz-Signature=<redacted>&sessionId=<redacted>&page=2#access_token=<redacted>",
            ),
            ("https://h/x?password=&q=1", "https://h/x?password=&q=1"),
            ("no url here", "no url here"),
        ];
        for (input, want) in cases {
            assert_eq!(redact_url(input), want, "{input}");
        }
        assert_eq!(
            redact_urls(
                "GET https://a:b@h/p?key=K failed (see `https://h/?secret=S`), and /v1/x?pwd=P."
            ),
            "GET https://<redacted>@h/p?key=<redacted> failed (see `https://h/?secret=<redacted>`), and /v1/x?pwd=<redacted>."
        );
        assert_eq!(
            redact_message("token: expired; endpoint https://h:1/?auth=Z"),
            "token: expired; endpoint https://h:1/?auth=<redacted>"
        );
    }

    #[test]
    fn fingerprint_is_short_and_stable() {
        assert_eq!(fingerprint("abc"), "sha256:ba7816bf8f01");
    }
}
