//! The check side of the HTTP seam (`probe::http`), shared by the `http`, `api-version`,
//! `clock-http` and `auth-params` kinds: the CA bundle resolved from the node config's
//! directory, the client with the check's deadlines, and a failure turned into a finding
//! with the kind's code for the failure's condition. Each kind keeps only what it judges.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Context, Text};
use crate::probe::http::{
    Client, Condition, Deadlines, Described, Exchange, Failure, HttpUrl, Redirects,
};
use crate::probe::inner_timeout;
use crate::probe::tls::{CaError, Trust};
use crate::report::{Cause, Code, Evaluation, Finding};

/// The kind's code for each condition of the seam (an exhaustive match in each kind).
pub type Codes = fn(Condition) -> &'static Code;

/// The CA bundle path of a check: `ca_file` relative to the node config's directory;
/// `None` for the system's bundle.
pub fn ca_path(ctx: &Context, ca_file: Option<&Text>) -> Option<PathBuf> {
    let p = ca_file.map(|t| t.0.trim()).filter(|p| !p.is_empty())?;
    if Path::new(p).is_absolute() {
        return Some(PathBuf::from(p));
    }
    let dir = ctx
        .config
        .path
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    Some(dir.join(p))
}

/// Load the check's CA bundle (the one loader `tls` uses too).
pub async fn trust(ctx: &Context, ca_file: Option<&Text>) -> Result<Trust, CaError> {
    crate::probe::tls::load_trust(ca_path(ctx, ca_file), ctx.env.var("SSL_CERT_FILE")).await
}

/// Everything a kind needs to send requests to `url`.
pub struct Setup {
    pub trust: Option<Arc<Trust>>,
    pub address: Option<IpAddr>,
}

/// Load what `url` needs: the CA bundle for https (or when redirects may lead to https),
/// and the `address` override.
pub async fn setup(
    ctx: &Context,
    url: &HttpUrl,
    ca_file: Option<&Text>,
    address: Option<IpAddr>,
    redirects: Redirects,
) -> Result<Setup, Failure> {
    let trust = if url.is_https() {
        Some(Arc::new(
            trust(ctx, ca_file).await.map_err(Failure::CaUnreadable)?,
        ))
    } else if redirects == Redirects::Any {
        trust(ctx, ca_file).await.ok().map(Arc::new)
    } else {
        None
    };
    Ok(Setup { trust, address })
}

impl Setup {
    /// A client for the check, its deadlines within the check's budget.
    pub fn client<'a>(&self, ctx: &'a Context, redirects: Redirects) -> Client<'a> {
        Client {
            trust: self.trust.clone(),
            address: self.address,
            facts: &ctx.facts,
            deadlines: Deadlines::within(inner_timeout(ctx.timeout)),
            redirects,
            env: &ctx.env,
        }
    }
}

/// A failure as a finding with the kind's code.
pub fn finding(codes: Codes, d: Described) -> Finding {
    Finding::at_status(d.status, codes(d.condition), d.message, d.remediation)
}

/// A failure before or instead of an answer, as the check's whole evaluation.
pub fn failed(codes: Codes, url: &HttpUrl, f: &Failure) -> Evaluation {
    evaluation(codes, crate::probe::http::describe(url, None, f))
}

/// The failure of an exchange as the check's whole evaluation.
pub fn exchange_failed(codes: Codes, x: &Exchange, f: &Failure) -> Evaluation {
    evaluation(codes, crate::probe::http::describe(&x.url, x.addr, f))
}

/// A described failure as the check's whole evaluation (cause: probe error).
pub fn evaluation(codes: Codes, d: Described) -> Evaluation {
    let mut e = Evaluation::single(finding(codes, d));
    e.cause = Some(Cause::ProbeError);
    e
}

/// Assert that a kind declares a code for every condition of the seam, with its status.
#[cfg(test)]
#[allow(clippy::missing_panics_doc)]
pub fn assert_codes_declared(info: &super::KindInfo, codes: Codes) {
    for c in Condition::ALL {
        let code = codes(c);
        assert!(
            info.all_codes().any(|i| i == code),
            "{} does not declare {code}",
            info.name
        );
        assert_eq!(code.status, c.status(), "{code}");
        assert_eq!(code.name, format!("{}.{}", info.name, c.name()));
    }
}
