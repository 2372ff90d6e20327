//! A small SNTP client (RFC 4330; NTPv4 client mode) over UDP: one request per sample, the
//! four timestamps of each exchange turned into an offset and a round-trip delay. It only
//! reads the server's clock; it never sets this node's.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant, SystemTime};

/// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01.
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// One exchange with a server, in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Server clock minus this node's clock, corrected by half the round trip (NTP's θ).
    pub offset: f64,
    /// Round-trip delay without the server's processing time (NTP's δ).
    pub delay: f64,
    pub stratum: u8,
    /// Leap indicator: 0–2 synchronised, 3 alarm (server clock not synchronised).
    pub leap: u8,
    /// The server's delay to its primary reference.
    pub root_delay: f64,
    /// The server's estimate of its own error to its primary reference.
    pub root_dispersion: f64,
    /// Reference id (an address for stratum ≥ 2, a source name for stratum 1, a kiss code for 0).
    pub reference_id: String,
}

/// Why a sample is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Refused by the loopback-only guard.
    NotProbed(String),
    /// No answer within the time allowed (a silent server or dropped packets).
    NoAnswer,
    /// ICMP said no one is there (port unreachable) or there is no route.
    Unreachable(String),
    /// The server answered with stratum 0: a kiss-o'-death (`RATE`, `DENY`, ...).
    KissOfDeath(String),
    /// Something that is not a valid server reply.
    BadReply(String),
    /// A local socket error.
    Io(String),
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

/// `a - b` in seconds for two NTP timestamps (exact in fixed point, then converted).
#[allow(clippy::cast_precision_loss)]
pub fn diff(a: u64, b: u64) -> f64 {
    let d = i128::from(a) - i128::from(b);
    d as f64 / 4_294_967_296.0
}

fn be32(b: &[u8]) -> u32 {
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[..4]);
    u32::from_be_bytes(x)
}

fn be64(b: &[u8]) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[..8]);
    u64::from_be_bytes(x)
}

/// A client request whose transmit timestamp is `t1`.
pub fn request(t1: u64) -> [u8; 48] {
    let mut r = [0u8; 48];
    r[0] = (4 << 3) | 3; // LI 0, version 4, mode 3 (client)
    r[40..48].copy_from_slice(&t1.to_be_bytes());
    r
}

/// Decode a reply to the request sent at `t1` and received at `t4`.
pub fn decode(reply: &[u8], t1: u64, t4: u64) -> Result<Sample, Failure> {
    if reply.len() < 48 {
        return Err(Failure::BadReply(format!(
            "{} bytes, an NTP reply has at least 48",
            reply.len()
        )));
    }
    let leap = reply[0] >> 6;
    let mode = reply[0] & 7;
    if mode != 4 {
        return Err(Failure::BadReply(format!(
            "mode {mode}, expected 4 (server)"
        )));
    }
    if be64(&reply[24..32]) != t1 {
        return Err(Failure::BadReply(
            "the originate timestamp does not echo the request (a stray or spoofed reply)".into(),
        ));
    }
    let stratum = reply[1];
    let refid = &reply[12..16];
    let reference_id = if stratum <= 1 {
        refid
            .iter()
            .take_while(|b| **b != 0)
            .map(|b| {
                if b.is_ascii_graphic() {
                    char::from(*b)
                } else {
                    '?'
                }
            })
            .collect()
    } else {
        Ipv4Addr::new(refid[0], refid[1], refid[2], refid[3]).to_string()
    };
    if stratum == 0 {
        return Err(Failure::KissOfDeath(reference_id));
    }
    let t2 = be64(&reply[32..40]);
    let t3 = be64(&reply[40..48]);
    if t3 == 0 {
        return Err(Failure::BadReply("the transmit timestamp is zero".into()));
    }
    let offset = f64::midpoint(diff(t2, t1), diff(t3, t4));
    let delay = (diff(t4, t1) - diff(t3, t2)).max(0.0);
    Ok(Sample {
        offset,
        delay,
        stratum,
        leap,
        root_delay: f64::from(be32(&reply[4..8])) / 65536.0,
        root_dispersion: f64::from(be32(&reply[8..12])) / 65536.0,
        reference_id,
    })
}

/// One exchange with `addr`, waiting at most `timeout` for the answer.
pub async fn sample(addr: SocketAddr, timeout: Duration) -> Result<Sample, Failure> {
    if let Err(e) = super::guard(addr.ip()) {
        return Err(Failure::NotProbed(e.to_string()));
    }
    let local: SocketAddr = match addr.ip() {
        IpAddr::V4(ip) if ip.is_loopback() => (Ipv4Addr::LOCALHOST, 0).into(),
        IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        IpAddr::V6(ip) if ip.is_loopback() => (Ipv6Addr::LOCALHOST, 0).into(),
        IpAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::ConnectionRefused => {
            Failure::Unreachable("port unreachable: nothing serves NTP there".into())
        }
        std::io::ErrorKind::HostUnreachable | std::io::ErrorKind::NetworkUnreachable => {
            Failure::Unreachable(e.to_string())
        }
        _ => Failure::Io(e.to_string()),
    };
    let socket = tokio::net::UdpSocket::bind(local).await.map_err(io)?;
    socket.connect(addr).await.map_err(io)?;
    let deadline = Instant::now() + timeout;
    let t1 = to_ntp(SystemTime::now());
    socket.send(&request(t1)).await.map_err(io)?;
    let mut buf = [0u8; 512];
    // A reply whose originate timestamp is not ours: kept, so that a server that only ever
    // answers so is reported as answering bogus replies, not as silent.
    let mut bogus: Option<String> = None;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let n = match tokio::time::timeout(left, socket.recv(&mut buf)).await {
            Err(_) => {
                return Err(bogus.map_or(Failure::NoAnswer, |why| {
                    Failure::BadReply(format!("bogus reply: {why}"))
                }));
            }
            Ok(r) => r.map_err(io)?,
        };
        let t4 = to_ntp(SystemTime::now());
        match decode(&buf[..n], t1, t4) {
            // A late answer to an earlier request on a reused port: keep waiting.
            Err(Failure::BadReply(why)) if why.contains("originate") => bogus = Some(why),
            other => return other,
        }
    }
}

/// What several exchanges with one server gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// The sample with the lowest round-trip delay (the least disturbed by queueing).
    pub best: Sample,
    pub answered: usize,
    pub sent: usize,
}

/// `samples` exchanges with `addr` within `budget`; the lowest-delay one is kept.
pub async fn measure(
    addr: SocketAddr,
    samples: usize,
    budget: Duration,
) -> Result<Measurement, Failure> {
    let samples = samples.max(1);
    let per = budget / u32::try_from(samples).unwrap_or(u32::MAX);
    let per = per.max(Duration::from_millis(20));
    let mut best: Option<Sample> = None;
    let mut answered = 0;
    let mut last = Failure::NoAnswer;
    for _ in 0..samples {
        match sample(addr, per).await {
            Ok(s) => {
                answered += 1;
                if best.as_ref().is_none_or(|b| s.delay < b.delay) {
                    best = Some(s);
                }
            }
            // Nothing more to learn from a server that refuses or is out of bounds.
            Err(f @ (Failure::NotProbed(_) | Failure::KissOfDeath(_))) => return Err(f),
            Err(f) => last = f,
        }
    }
    best.map_or(Err(last), |best| {
        Ok(Measurement {
            best,
            answered,
            sent: samples,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(t1: u64, t2: u64, t3: u64, stratum: u8, leap: u8) -> [u8; 48] {
        let mut r = [0u8; 48];
        r[0] = (leap << 6) | (4 << 3) | 4;
        r[1] = stratum;
        r[4..8].copy_from_slice(&(1u32 << 15).to_be_bytes()); // 0.5 s
        r[8..12].copy_from_slice(&(1u32 << 14).to_be_bytes()); // 0.25 s
        r[12..16].copy_from_slice(b"RATE");
        r[24..32].copy_from_slice(&t1.to_be_bytes());
        r[32..40].copy_from_slice(&t2.to_be_bytes());
        r[40..48].copy_from_slice(&t3.to_be_bytes());
        r
    }

    const S: u64 = 1 << 32;

    #[test]
    fn offset_and_delay_follow_the_four_timestamps() {
        // Server 4 s ahead, 100 ms each way, 10 ms processing.
        let t1 = 1000 * S;
        let t2 = t1 + 4 * S + S / 10;
        let t3 = t2 + S / 100;
        let t4 = t1 + S / 5 + S / 100;
        let s = decode(&reply(t1, t2, t3, 2, 0), t1, t4).unwrap();
        assert!((s.offset - 4.0).abs() < 1e-6, "{s:?}");
        assert!((s.delay - 0.2).abs() < 1e-6, "{s:?}");
        assert!((s.root_delay - 0.5).abs() < 1e-9);
        assert!((s.root_dispersion - 0.25).abs() < 1e-9);
    }

    #[test]
    fn kiss_of_death_stray_and_short_replies_are_not_samples() {
        let t1 = 1000 * S;
        assert_eq!(
            decode(&reply(t1, t1, t1, 0, 3), t1, t1),
            Err(Failure::KissOfDeath("RATE".into()))
        );
        assert!(matches!(
            decode(&reply(t1 + 1, t1, t1, 2, 0), t1, t1),
            Err(Failure::BadReply(_))
        ));
        assert!(matches!(
            decode(&[0u8; 20], t1, t1),
            Err(Failure::BadReply(_))
        ));
        let mut client = reply(t1, t1, t1, 2, 0);
        client[0] = (4 << 3) | 3;
        assert!(matches!(decode(&client, t1, t1), Err(Failure::BadReply(_))));
    }

    #[test]
    fn requests_are_version_4_client_mode() {
        let r = request(42);
        assert_eq!(r[0], 0x23);
        assert_eq!(be64(&r[40..48]), 42);
    }
}
