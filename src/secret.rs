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
    let hex = crate::config::hex(&digest);
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
    fn fingerprint_is_short_and_stable() {
        assert_eq!(fingerprint("abc"), "sha256:ba7816bf8f01");
    }
}
