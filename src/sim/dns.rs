//! A DNS responder for the test zone, over UDP, with per-name behaviours so one server shows
//! every failure the doctor tells apart: an answer, NXDOMAIN, NODATA, SERVFAIL, REFUSED, and
//! never answering.

use std::net::IpAddr;

impl Zone {
    /// Add `localhost` with the addresses the system resolver gives it, so a direct query
    /// agrees with /etc/hosts.
    #[must_use]
    pub fn with_localhost(mut self) -> Self {
        use std::net::ToSocketAddrs;
        let mut addrs: Vec<IpAddr> = Vec::new();
        if let Ok(found) = ("localhost", 0).to_socket_addrs() {
            for a in found {
                if !addrs.contains(&a.ip()) {
                    addrs.push(a.ip());
                }
            }
        }
        if addrs.is_empty() {
            addrs.push(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
        }
        self.names
            .push(("localhost".into(), Behaviour::Answer(addrs)));
        self
    }
}

/// What the responder does for a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behaviour {
    /// Answer with these addresses (A for IPv4, AAAA for IPv6).
    Answer(Vec<IpAddr>),
    /// The name exists but has no record of the asked type.
    NoData,
    NxDomain,
    ServFail,
    Refused,
    /// Never answer (the client times out).
    Silent,
}

/// The test zone: name → behaviour; names not listed are NXDOMAIN.
#[derive(Debug, Clone)]
pub struct Zone {
    pub names: Vec<(String, Behaviour)>,
    /// Overrides every name (a whole server that fails).
    pub all: Option<Behaviour>,
}

impl Default for Zone {
    fn default() -> Self {
        use std::net::{Ipv4Addr, Ipv6Addr};
        Self {
            names: vec![
                (
                    "master.autoglm.test".into(),
                    Behaviour::Answer(vec![
                        IpAddr::V4(Ipv4Addr::LOCALHOST),
                        IpAddr::V6(Ipv6Addr::LOCALHOST),
                    ]),
                ),
                (
                    "v4only.autoglm.test".into(),
                    Behaviour::Answer(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]),
                ),
                ("nodata.autoglm.test".into(), Behaviour::NoData),
                ("servfail.autoglm.test".into(), Behaviour::ServFail),
                ("refused.autoglm.test".into(), Behaviour::Refused),
                ("silent.autoglm.test".into(), Behaviour::Silent),
            ],
            all: None,
        }
    }
}

const TYPE_A: u16 = 1;
const TYPE_AAAA: u16 = 28;

/// A parsed question.
#[derive(Debug, PartialEq, Eq)]
struct Question {
    id: u16,
    flags: u16,
    name: String,
    qtype: u16,
    /// Bytes of the question section, echoed back.
    raw: Vec<u8>,
}

fn parse(packet: &[u8]) -> Option<Question> {
    if packet.len() < 12 {
        return None;
    }
    let id = u16::from_be_bytes([packet[0], packet[1]]);
    let flags = u16::from_be_bytes([packet[2], packet[3]]);
    let qdcount = u16::from_be_bytes([packet[4], packet[5]]);
    if qdcount != 1 || flags & 0x8000 != 0 {
        return None;
    }
    let mut i = 12;
    let mut labels = Vec::new();
    loop {
        let len = usize::from(*packet.get(i)?);
        i += 1;
        if len == 0 {
            break;
        }
        if len > 63 {
            return None;
        }
        labels.push(String::from_utf8_lossy(packet.get(i..i + len)?).to_ascii_lowercase());
        i += len;
    }
    let qtype = u16::from_be_bytes([*packet.get(i)?, *packet.get(i + 1)?]);
    let end = i + 4;
    packet.get(end - 1)?;
    Some(Question {
        id,
        flags,
        name: labels.join("."),
        qtype,
        raw: packet[12..end].to_vec(),
    })
}

/// Build the answer to a query, or `None` to stay silent.
pub fn answer(packet: &[u8], zone: &Zone) -> Option<Vec<u8>> {
    let q = parse(packet)?;
    let behaviour = zone.all.clone().unwrap_or_else(|| {
        zone.names
            .iter()
            .find(|(n, _)| *n == q.name.trim_end_matches('.'))
            .map_or(Behaviour::NxDomain, |(_, b)| b.clone())
    });
    let (rcode, records): (u16, Vec<IpAddr>) = match behaviour {
        Behaviour::Silent => return None,
        Behaviour::Answer(addrs) => (
            0,
            addrs
                .into_iter()
                .filter(|a| {
                    matches!(
                        (a, q.qtype),
                        (IpAddr::V4(_), TYPE_A) | (IpAddr::V6(_), TYPE_AAAA)
                    )
                })
                .collect(),
        ),
        Behaviour::NoData => (0, vec![]),
        Behaviour::NxDomain => (3, vec![]),
        Behaviour::ServFail => (2, vec![]),
        Behaviour::Refused => (5, vec![]),
    };
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&q.id.to_be_bytes());
    // QR, opcode copied, AA, RD copied, RA, rcode.
    let flags = 0x8000 | (q.flags & 0x7800) | 0x0400 | (q.flags & 0x0100) | 0x0080 | rcode;
    out.extend_from_slice(&flags.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    let count = u16::try_from(records.len()).unwrap_or(0);
    out.extend_from_slice(&count.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&q.raw);
    for addr in records {
        out.extend_from_slice(&[0xC0, 0x0C]); // pointer to the question name
        let (ty, data): (u16, Vec<u8>) = match addr {
            IpAddr::V4(a) => (TYPE_A, a.octets().to_vec()),
            IpAddr::V6(a) => (TYPE_AAAA, a.octets().to_vec()),
        };
        out.extend_from_slice(&ty.to_be_bytes());
        out.extend_from_slice(&1u16.to_be_bytes()); // IN
        out.extend_from_slice(&60u32.to_be_bytes()); // TTL
        out.extend_from_slice(&u16::try_from(data.len()).unwrap_or(0).to_be_bytes());
        out.extend_from_slice(&data);
    }
    Some(out)
}

/// Serve queries until the socket errors.
pub async fn serve(socket: tokio::net::UdpSocket, zone: Zone) {
    let mut buf = [0u8; 512];
    loop {
        let Ok((n, from)) = socket.recv_from(&mut buf).await else {
            return;
        };
        if let Some(reply) = answer(&buf[..n], &zone) {
            let _ = socket.send_to(&reply, from).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(name: &str, qtype: u16) -> Vec<u8> {
        let mut p = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        for label in name.split('.') {
            p.push(u8::try_from(label.len()).unwrap());
            p.extend_from_slice(label.as_bytes());
        }
        p.push(0);
        p.extend_from_slice(&qtype.to_be_bytes());
        p.extend_from_slice(&1u16.to_be_bytes());
        p
    }

    fn rcode_and_count(reply: &[u8]) -> (u16, u16) {
        (
            u16::from_be_bytes([reply[2], reply[3]]) & 0xF,
            u16::from_be_bytes([reply[6], reply[7]]),
        )
    }

    #[test]
    fn behaviours_by_name() {
        let z = Zone::default();
        let r = answer(&query("master.autoglm.test", TYPE_A), &z).unwrap();
        assert_eq!(rcode_and_count(&r), (0, 1));
        assert_eq!(&r[r.len() - 4..], &[127, 0, 0, 1]);
        assert_eq!(&r[..2], &[0x12, 0x34]);
        let r = answer(&query("MASTER.autoglm.test", TYPE_AAAA), &z).unwrap();
        assert_eq!(rcode_and_count(&r), (0, 1));
        assert_eq!(
            rcode_and_count(&answer(&query("v4only.autoglm.test", TYPE_AAAA), &z).unwrap()),
            (0, 0)
        );
        assert_eq!(
            rcode_and_count(&answer(&query("nope.autoglm.test", TYPE_A), &z).unwrap()),
            (3, 0)
        );
        assert_eq!(
            rcode_and_count(&answer(&query("servfail.autoglm.test", TYPE_A), &z).unwrap()),
            (2, 0)
        );
        assert_eq!(
            rcode_and_count(&answer(&query("refused.autoglm.test", TYPE_A), &z).unwrap()),
            (5, 0)
        );
        assert!(answer(&query("silent.autoglm.test", TYPE_A), &z).is_none());
    }

    #[test]
    fn garbage_is_ignored_not_a_panic() {
        let z = Zone::default();
        for p in [
            &[][..],
            &[0u8; 11][..],
            &[0xff; 40][..],
            &query("a", 1)[..14],
        ] {
            assert!(answer(p, &z).is_none());
        }
    }
}
