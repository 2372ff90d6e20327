//! JSON Web Tokens as the auth checks need them: split and decode a compact JWS without
//! trusting it, verify its signature (HS, RS, PS, ES, EdDSA) with ring, read public keys
//! from PEM files and JWKS entries, and fingerprint keys so two sides can be compared
//! without showing either.
//!
//! Built on ring (already linked for rustls) instead of a JWT crate: the checks need the
//! header and claims of tokens that fail verification (expired, unknown `kid`), which a
//! verifying decoder hides behind one error, and ring covers every algorithm Open-AutoGLM
//! configures. Error messages never contain the token or any part of it.

use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use rustls::pki_types::SubjectPublicKeyInfoDer;
use rustls::pki_types::pem::PemObject;
use serde_json::{Map, Value};

/// A decoded, unverified token. `Debug` shows names and claims, never the signature.
pub struct Token {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    signing_input: String,
    signature: Vec<u8>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("header", &self.header)
            .field("claims", &self.claims.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// The earliest date claim the doctor computes with: 0000-01-01T00:00:00Z.
pub const MIN_TIME: i64 = -62_167_219_200;
/// The latest date claim the doctor computes with: 9999-12-31T23:59:59Z.
pub const MAX_TIME: i64 = 253_402_300_799;

impl Token {
    /// The `alg` header.
    pub fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }

    /// The `kid` header.
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    /// A numeric date claim (`exp`, `nbf`, `iat`) in unix seconds; `None` when absent or
    /// outside [`MIN_TIME`]..=[`MAX_TIME`] (see [`Token::bad_time`]).
    pub fn time(&self, claim: &str) -> Option<i64> {
        let v = self.claims.get(claim)?;
        let t = v.as_i64().or_else(|| {
            let f = v.as_f64()?.floor();
            // In range, the conversion is exact; out of range it is refused, never saturated.
            #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
            ((MIN_TIME as f64..=MAX_TIME as f64).contains(&f)).then_some(f as i64)
        })?;
        (MIN_TIME..=MAX_TIME).contains(&t).then_some(t)
    }

    /// The first of `exp`, `nbf`, `iat` that is present but not a date the doctor can
    /// compute with (not a number, or outside years 0..=9999): such a token is malformed.
    pub fn bad_time(&self) -> Option<(&'static str, String)> {
        ["exp", "nbf", "iat"].into_iter().find_map(|claim| {
            let v = self.claims.get(claim)?;
            if self.time(claim).is_some() {
                return None;
            }
            let shown: String = v.to_string().chars().take(40).collect();
            Some((claim, shown))
        })
    }

    /// A string claim (`iss`, `sub`), or the first of an `aud` array.
    pub fn text(&self, claim: &str) -> Option<String> {
        match self.claims.get(claim)? {
            Value::String(s) => Some(s.clone()),
            Value::Array(items) => {
                let all: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                (!all.is_empty()).then(|| all.join(", "))
            }
            _ => None,
        }
    }
}

/// Decode unpadded (or padded) base64url.
pub fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    (bits < 6).then_some(out)
}

/// Why a token cannot even be decoded (never quotes the token).
pub fn parse(raw: &str) -> Result<Token, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("the token is empty".into());
    }
    let parts: Vec<&str> = raw.split('.').collect();
    if parts.len() != 3 {
        return Err(format!(
            "a signed JWT has 3 dot-separated parts, this one has {}",
            parts.len()
        ));
    }
    let json = |part: &str, what: &str| -> Result<Map<String, Value>, String> {
        let bytes = b64url_decode(part).ok_or_else(|| format!("the {what} is not base64url"))?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(format!("the {what} is not a JSON object")),
            Err(_) => Err(format!("the {what} is not JSON")),
        }
    };
    let header = json(parts[0], "header")?;
    let claims = json(parts[1], "claims part")?;
    let signature = b64url_decode(parts[2]).ok_or("the signature is not base64url")?;
    if header.get("alg").and_then(Value::as_str).is_none() {
        return Err("the header has no `alg`".into());
    }
    Ok(Token {
        header,
        claims,
        signing_input: format!("{}.{}", parts[0], parts[1]),
        signature,
    })
}

/// A public key, from a PEM file or a JWK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// Uncompressed point (0x04 || x || y) on P-256 (65 bytes) or P-384 (97 bytes).
    Ec(Vec<u8>),
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    Ed25519(Vec<u8>),
}

fn strip_zeros(b: &[u8]) -> Vec<u8> {
    let first = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    b[first..].to_vec()
}

impl PublicKey {
    /// Read a PEM `PUBLIC KEY` (SubjectPublicKeyInfo).
    pub fn from_pem(pem: &[u8]) -> Result<Self, String> {
        use x509_parser::prelude::FromDer;
        let der = SubjectPublicKeyInfoDer::from_pem_slice(pem)
            .map_err(|_| "no PEM `PUBLIC KEY` block".to_string())?;
        let (_, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(der.as_ref())
            .map_err(|_| "the PEM block is not a SubjectPublicKeyInfo".to_string())?;
        if spki.algorithm.algorithm.to_id_string() == "1.3.101.112" {
            return Ok(Self::Ed25519(spki.subject_public_key.data.to_vec()));
        }
        match spki.parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(k)) => Ok(Self::Rsa {
                n: strip_zeros(k.modulus),
                e: strip_zeros(k.exponent),
            }),
            Ok(x509_parser::public_key::PublicKey::EC(p)) => Ok(Self::Ec(p.data().to_vec())),
            _ => Err("unsupported public key type (want EC, RSA or Ed25519)".into()),
        }
    }

    /// Read the public members of a JWK (`kty` EC, RSA or OKP/Ed25519).
    pub fn from_jwk(jwk: &Value) -> Result<Self, String> {
        let field = |name: &str| {
            jwk.get(name)
                .and_then(Value::as_str)
                .and_then(b64url_decode)
                .ok_or_else(|| format!("the JWK has no valid `{name}`"))
        };
        match jwk.get("kty").and_then(Value::as_str) {
            Some("EC") => {
                let mut point = vec![4];
                point.extend(field("x")?);
                point.extend(field("y")?);
                Ok(Self::Ec(point))
            }
            Some("RSA") => Ok(Self::Rsa {
                n: strip_zeros(&field("n")?),
                e: strip_zeros(&field("e")?),
            }),
            Some("OKP") if jwk.get("crv").and_then(Value::as_str) == Some("Ed25519") => {
                Ok(Self::Ed25519(field("x")?))
            }
            other => Err(format!("unsupported JWK key type {other:?}")),
        }
    }

    /// A short fingerprint of the key material, the same whether read from PEM or JWK.
    pub fn fingerprint(&self) -> String {
        let hex = crate::encoding::hex;
        let canon = match self {
            Self::Ec(p) => format!("ec:{}", hex(p)),
            Self::Rsa { n, e } => format!("rsa:{}:{}", hex(n), hex(e)),
            Self::Ed25519(k) => format!("ed25519:{}", hex(k)),
        };
        crate::secret::fingerprint(&canon)
    }
}

/// The key a signature is checked with.
#[derive(Debug)]
pub enum Key<'a> {
    Public(&'a PublicKey),
    /// A shared HMAC secret (HS algorithms).
    Secret(&'a [u8]),
}

/// Verify the token's signature with `key` for the algorithm `alg` (the configured one, not
/// the token's: a token must not choose how it is checked).
pub fn verify(token: &Token, alg: &str, key: &Key<'_>) -> Result<(), String> {
    use ring::hmac;
    let msg = token.signing_input.as_bytes();
    let sig = token.signature.as_slice();
    let bad = || "it was signed with another key, or altered".to_string();
    let mismatch = |want: &str| format!("{alg} needs {want}");
    match (alg, key) {
        ("HS256" | "HS384" | "HS512", Key::Secret(secret)) => {
            let a = match alg {
                "HS256" => hmac::HMAC_SHA256,
                "HS384" => hmac::HMAC_SHA384,
                _ => hmac::HMAC_SHA512,
            };
            hmac::verify(&hmac::Key::new(a, secret), msg, sig).map_err(|_| bad())
        }
        ("HS256" | "HS384" | "HS512", Key::Public(_)) => Err(mismatch("a shared secret")),
        (_, Key::Secret(_)) => Err(mismatch("a public key")),
        ("ES256" | "ES384", Key::Public(PublicKey::Ec(point))) => {
            let a = if alg == "ES256" {
                &signature::ECDSA_P256_SHA256_FIXED
            } else {
                &signature::ECDSA_P384_SHA384_FIXED
            };
            UnparsedPublicKey::new(a, point)
                .verify(msg, sig)
                .map_err(|_| bad())
        }
        ("EdDSA", Key::Public(PublicKey::Ed25519(k))) => {
            UnparsedPublicKey::new(&signature::ED25519, k)
                .verify(msg, sig)
                .map_err(|_| bad())
        }
        (
            "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512",
            Key::Public(PublicKey::Rsa { n, e }),
        ) => {
            let params: &signature::RsaParameters = match alg {
                "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
                "RS384" => &signature::RSA_PKCS1_2048_8192_SHA384,
                "RS512" => &signature::RSA_PKCS1_2048_8192_SHA512,
                "PS256" => &signature::RSA_PSS_2048_8192_SHA256,
                "PS384" => &signature::RSA_PSS_2048_8192_SHA384,
                _ => &signature::RSA_PSS_2048_8192_SHA512,
            };
            RsaPublicKeyComponents { n, e }
                .verify(params, msg, sig)
                .map_err(|_| bad())
        }
        (a, Key::Public(k)) => Err(format!(
            "{a} cannot be checked with this {} key",
            match k {
                PublicKey::Ec(_) => "EC",
                PublicKey::Rsa { .. } => "RSA",
                PublicKey::Ed25519(_) => "Ed25519",
            }
        )),
    }
}

/// The public members of a JWK: whatever else a JWKS entry carries (a private `d`, `p`,
/// `q` by mistake) is dropped before it can reach a fact or a report.
pub fn public_jwk(jwk: &Value) -> Value {
    const PUBLIC: &[&str] = &["kty", "crv", "x", "y", "n", "e", "kid", "alg", "use"];
    let mut out = Map::new();
    if let Some(m) = jwk.as_object() {
        for k in PUBLIC {
            if let Some(v) = m.get(*k) {
                out.insert((*k).to_string(), v.clone());
            }
        }
    }
    Value::Object(out)
}

/// Sign an ES256 token with a PKCS#8 PEM private key (the simulated master and tests).
pub fn sign_es256(header: &Value, claims: &Value, private_pem: &str) -> Result<String, String> {
    use ring::rand::SystemRandom;
    use rustls::pki_types::PrivatePkcs8KeyDer;
    let der = PrivatePkcs8KeyDer::from_pem_slice(private_pem.as_bytes())
        .map_err(|_| "no PKCS#8 private key in the PEM".to_string())?;
    let rng = SystemRandom::new();
    let pair = signature::EcdsaKeyPair::from_pkcs8(
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        der.secret_pkcs8_der(),
        &rng,
    )
    .map_err(|e| format!("not a P-256 key: {e}"))?;
    let input = format!(
        "{}.{}",
        crate::encoding::b64url(header.to_string().as_bytes()),
        crate::encoding::b64url(claims.to_string().as_bytes())
    );
    let sig = pair
        .sign(&rng, input.as_bytes())
        .map_err(|_| "signing failed".to_string())?;
    Ok(format!("{input}.{}", crate::encoding::b64url(sig.as_ref())))
}

/// Sign an HS256 token (tests).
pub fn sign_hs256(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        crate::encoding::b64url(header.to_string().as_bytes()),
        crate::encoding::b64url(claims.to_string().as_bytes())
    );
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let tag = ring::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", crate::encoding::b64url(tag.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn base64url_round_trips() {
        for s in [&b""[..], b"f", b"fo", b"foo", b"foob", &[0xfb, 0xff, 0x00]] {
            assert_eq!(b64url_decode(&crate::encoding::b64url(s)).unwrap(), s);
        }
        assert!(b64url_decode("a*b").is_none());
    }

    #[test]
    fn es256_sign_verify_and_jwk_pem_fingerprints_agree() {
        let key = crate::sim::signing_key("k1").unwrap();
        let t = sign_es256(
            &json!({"alg": "ES256", "kid": "k1", "typ": "JWT"}),
            &json!({"sub": "n1", "exp": 2_000_000_000_i64}),
            &key.private_pem,
        )
        .unwrap();
        let tok = parse(&t).unwrap();
        assert_eq!(tok.kid(), Some("k1"));
        assert_eq!(tok.time("exp"), Some(2_000_000_000));
        let pk = PublicKey::from_jwk(&key.jwk).unwrap();
        assert_eq!(verify(&tok, "ES256", &Key::Public(&pk)), Ok(()));
        let pem = rcgen::KeyPair::from_pem(&key.private_pem)
            .unwrap()
            .public_key_pem();
        let from_pem = PublicKey::from_pem(pem.as_bytes()).unwrap();
        assert_eq!(from_pem.fingerprint(), pk.fingerprint());
        let other = PublicKey::from_jwk(&crate::sim::signing_key("k2").unwrap().jwk).unwrap();
        assert!(verify(&tok, "ES256", &Key::Public(&other)).is_err());
        assert!(verify(&tok, "HS256", &Key::Public(&pk)).is_err());
    }

    #[test]
    fn hs256_verifies_only_with_the_same_secret() {
        let t = sign_hs256(&json!({"alg": "HS256"}), &json!({"sub": "x"}), b"s3cret");
        let tok = parse(&t).unwrap();
        assert!(verify(&tok, "HS256", &Key::Secret(b"s3cret")).is_ok());
        assert!(verify(&tok, "HS256", &Key::Secret(b"other")).is_err());
    }

    #[test]
    fn malformed_tokens_are_named_without_quoting_them() {
        let cases = [
            ("", "empty"),
            ("abc", "3 dot-separated parts"),
            ("a.b.c", "header is not"),
            ("eyJ4IjoxfQ.eyJ4IjoxfQ.AA", "no `alg`"),
        ];
        for (raw, want) in cases {
            let e = parse(raw).unwrap_err();
            assert!(e.contains(want), "{raw}: {e}");
        }
    }

    #[test]
    fn private_members_never_leave_a_jwk() {
        let j = public_jwk(&json!({"kty": "EC", "x": "a", "y": "b", "d": "SECRET"}));
        assert!(!j.to_string().contains("SECRET"));
    }
}
