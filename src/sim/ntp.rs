//! An SNTP server (RFC 4330 server mode) whose clock is offset by a configured amount, with
//! a configurable stratum and leap indicator to play an unsynchronised server.

use std::time::{Duration, SystemTime};

/// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01.
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// How the server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NtpOptions {
    /// Added to the real clock in every timestamp the server sends.
    pub offset_ms: i64,
    /// 1–15 synchronised; 16 unsynchronised; 0 kiss-of-death.
    pub stratum: u8,
    /// 0 no warning, 3 alarm (clock not synchronised).
    pub leap: u8,
    /// Never answer.
    pub silent: bool,
}

impl Default for NtpOptions {
    fn default() -> Self {
        Self {
            offset_ms: 0,
            stratum: 2,
            leap: 0,
            silent: false,
        }
    }
}

/// NTP 64-bit timestamp of a time.
pub fn to_ntp(t: SystemTime) -> u64 {
    let d = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    let secs = d.as_secs() + NTP_UNIX_OFFSET;
    let frac = (u64::from(d.subsec_nanos()) << 32) / 1_000_000_000;
    (secs << 32) | frac
}

fn shifted(offset_ms: i64) -> SystemTime {
    let now = SystemTime::now();
    let d = Duration::from_millis(offset_ms.unsigned_abs());
    if offset_ms >= 0 {
        now + d
    } else {
        now.checked_sub(d).unwrap_or(SystemTime::UNIX_EPOCH)
    }
}

/// The reply to a client request, or `None` for anything that is not a client request.
pub fn reply(request: &[u8], opts: &NtpOptions) -> Option<[u8; 48]> {
    if request.len() < 48 || opts.silent {
        return None;
    }
    let mode = request[0] & 0x7;
    let version = (request[0] >> 3) & 0x7;
    if mode != 3 {
        return None;
    }
    let receive = to_ntp(shifted(opts.offset_ms));
    let mut out = [0u8; 48];
    out[0] = (opts.leap << 6) | (version.max(1) << 3) | 4;
    out[1] = opts.stratum;
    out[2] = request[2];
    out[3] = 0xEC; // precision 2^-20
    out[4..8].copy_from_slice(&(1u32 << 6).to_be_bytes()); // root delay ~1 ms
    out[8..12].copy_from_slice(&(1u32 << 6).to_be_bytes()); // root dispersion ~1 ms
    out[12..16].copy_from_slice(b"SIM\0");
    out[16..24].copy_from_slice(&receive.to_be_bytes()); // reference
    out[24..32].copy_from_slice(&request[40..48]); // originate = client's transmit
    out[32..40].copy_from_slice(&receive.to_be_bytes());
    out[40..48].copy_from_slice(&to_ntp(shifted(opts.offset_ms)).to_be_bytes());
    Some(out)
}

/// Serve requests until the socket errors.
pub async fn serve(socket: tokio::net::UdpSocket, opts: NtpOptions) {
    let mut buf = [0u8; 256];
    loop {
        let Ok((n, from)) = socket.recv_from(&mut buf).await else {
            return;
        };
        if let Some(r) = reply(&buf[..n], &opts) {
            let _ = socket.send_to(&r, from).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> [u8; 48] {
        let mut r = [0u8; 48];
        r[0] = (4 << 3) | 3;
        r[40..48].copy_from_slice(&to_ntp(SystemTime::now()).to_be_bytes());
        r
    }

    #[test]
    fn answers_client_requests_with_the_offset() {
        let req = request();
        let opts = NtpOptions {
            offset_ms: 4000,
            ..NtpOptions::default()
        };
        let r = reply(&req, &opts).unwrap();
        assert_eq!(r[0] & 7, 4);
        assert_eq!(r[1], 2);
        assert_eq!(&r[24..32], &req[40..48]);
        let server = u64::from_be_bytes(r[40..48].try_into().unwrap()) >> 32;
        let client = u64::from_be_bytes(req[40..48].try_into().unwrap()) >> 32;
        assert!((3..=5).contains(&(server - client)), "{}", server - client);
    }

    #[test]
    fn ignores_non_requests_and_can_be_silent() {
        let mut req = request();
        req[0] = (4 << 3) | 4;
        assert!(reply(&req, &NtpOptions::default()).is_none());
        assert!(
            reply(
                &request(),
                &NtpOptions {
                    silent: true,
                    ..NtpOptions::default()
                }
            )
            .is_none()
        );
        assert!(reply(&[0u8; 10], &NtpOptions::default()).is_none());
    }
}
