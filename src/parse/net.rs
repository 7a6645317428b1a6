//! Parses rows of /proc/PID/net/{tcp,tcp6,udp,udp6,unix,netlink}. Header and malformed rows
//! give None: the tables are read while the kernel changes them, so a torn row is skipped.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::model::socket::{
    InetProto, InetSocket, NetlinkSocket, TcpState, UnixSocket, UnixState, UnixType,
};

/// `__SO_ACCEPTCON` in the Flags column: the socket is listening.
const UNIX_ACCEPTCON: u32 = 0x0001_0000;

/// A row of tcp, tcp6, udp or udp6:
/// `0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 12345 …`
pub fn parse_inet_row(proto: InetProto, line: &str) -> Option<InetSocket> {
    let mut fields = line.split_ascii_whitespace();
    let slot = fields.next()?;
    if !slot.ends_with(':') {
        return None;
    }
    let local = parse_hex_endpoint(fields.next()?)?;
    let remote = parse_hex_endpoint(fields.next()?)?;
    let state = u8::from_str_radix(fields.next()?, 16).ok()?;
    let inode = fields.nth(5)?.parse().ok()?;
    Some(InetSocket {
        proto,
        inode,
        state: TcpState::from_code(state),
        local,
        remote,
    })
}

/// `ADDR:PORT` in the kernel's hex: the address as native-endian 32-bit words.
fn parse_hex_endpoint(text: &str) -> Option<SocketAddr> {
    let (addr, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    // Checked before slicing by byte offsets below: a multi-byte character there would
    // split (found by fuzzing, tests/fixtures/fuzz-regressions/proc_net-*).
    if !addr.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let ip = match addr.len() {
        8 => IpAddr::V4(Ipv4Addr::from(hex_word(addr)?.to_ne_bytes())),
        32 => {
            let mut bytes = [0u8; 16];
            for (i, chunk) in bytes.chunks_exact_mut(4).enumerate() {
                chunk.copy_from_slice(&hex_word(&addr[i * 8..i * 8 + 8])?.to_ne_bytes());
            }
            let v6 = Ipv6Addr::from(bytes);
            // Dual-stack sockets show IPv4 peers as ::ffff:a.b.c.d; print them as IPv4.
            match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(v6),
            }
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

fn hex_word(text: &str) -> Option<u32> {
    u32::from_str_radix(text, 16).ok()
}

/// A row of unix: `Num RefCount Protocol Flags Type St Inode [Path]`; the path may hold spaces.
pub fn parse_unix_row(line: &str) -> Option<UnixSocket> {
    let mut rest = line.trim_start().trim_end_matches(['\n', '\r']);
    let mut field = || -> Option<&str> {
        let end = rest.find(' ').unwrap_or(rest.len());
        let (head, tail) = rest.split_at(end);
        rest = tail.trim_start_matches(' ');
        (!head.is_empty()).then_some(head)
    };
    let num = field()?;
    if !num.ends_with(':') {
        return None;
    }
    let _refcount = field()?;
    let _protocol = field()?;
    let flags = u32::from_str_radix(field()?, 16).ok()?;
    let ty = u16::from_str_radix(field()?, 16).ok()?;
    let st = u8::from_str_radix(field()?, 16).ok()?;
    let inode = field()?.parse().ok()?;
    let path = rest;
    let ty = match ty {
        1 => UnixType::Stream,
        2 => UnixType::Dgram,
        5 => UnixType::SeqPacket,
        other => UnixType::Other(other),
    };
    let state = if flags & UNIX_ACCEPTCON != 0 {
        UnixState::Listening
    } else {
        match st {
            1 => UnixState::Unconnected,
            2 => UnixState::Connecting,
            3 => UnixState::Connected,
            4 => UnixState::Disconnecting,
            other => UnixState::Other(other),
        }
    };
    Some(UnixSocket {
        inode,
        ty,
        state,
        path: (!path.is_empty()).then(|| path.to_string()),
    })
}

/// A row of raw or raw6: the layout of udp, with the IP protocol number where the local port
/// would be (1 icmp, 58 ipv6-icmp, 255 raw).
pub fn parse_raw_row(line: &str) -> Option<(u64, String)> {
    let row = parse_inet_row(InetProto::Udp, line)?;
    let label = match row.local.port() {
        1 => "raw icmp".to_string(),
        6 => "raw tcp".to_string(),
        17 => "raw udp".to_string(),
        58 => "raw ipv6-icmp".to_string(),
        255 => "raw ip".to_string(),
        n => format!("raw protocol {n}"),
    };
    Some((row.inode, label))
}

/// A row of packet: `sk RefCnt Type Proto Iface R Rmem User Inode`.
pub fn parse_packet_row(line: &str) -> Option<u64> {
    let mut fields = line.split_ascii_whitespace();
    let sk = fields.next()?;
    if !sk.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    fields.nth(7)?.parse().ok()
}

/// A row of netlink: `sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode`.
pub fn parse_netlink_row(line: &str) -> Option<NetlinkSocket> {
    let mut fields = line.split_ascii_whitespace();
    let sk = fields.next()?;
    if !sk.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let protocol = fields.next()?.parse().ok()?;
    let inode = fields.nth(7)?.parse().ok()?;
    Some(NetlinkSocket { inode, protocol })
}

/// Names from include/uapi/linux/netlink.h.
pub fn netlink_protocol_name(protocol: u32) -> String {
    let name = match protocol {
        0 => "route",
        1 => "unused",
        2 => "usersock",
        3 => "firewall",
        4 => "sock_diag",
        5 => "nflog",
        6 => "xfrm",
        7 => "selinux",
        8 => "iscsi",
        9 => "audit",
        10 => "fib_lookup",
        11 => "connector",
        12 => "netfilter",
        13 => "ip6_fw",
        14 => "dnrtmsg",
        15 => "kobject_uevent",
        16 => "generic",
        18 => "scsitransport",
        19 => "ecryptfs",
        20 => "rdma",
        21 => "crypto",
        22 => "smc",
        other => return format!("protocol {other}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn tcp4_rows() {
        let row = "   3: 0100007F:A3B2 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 54321 1 0000000000000000 20 4 30 10 -1";
        let got = parse_inet_row(InetProto::Tcp, row).unwrap();
        assert_eq!(got.inode, 54321);
        assert_eq!(got.state, TcpState::Established);
        assert_eq!(got.local, addr("127.0.0.1:41906"));
        assert_eq!(got.remote, addr("127.0.0.1:8080"));

        let listen = "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 777 1 0000000000000000 100 0 0 10 0";
        let got = parse_inet_row(InetProto::Tcp, listen).unwrap();
        assert_eq!(got.state, TcpState::Listen);
        assert_eq!(got.local, addr("0.0.0.0:8080"));
    }

    #[test]
    fn tcp6_rows_including_mapped_ipv4() {
        let row = "   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 900 1 0000000000000000 100 0 0 10 0";
        let got = parse_inet_row(InetProto::Tcp, row).unwrap();
        assert_eq!(got.local, addr("[::1]:8080"));
        let mapped = "   1: 0000000000000000FFFF00000700030A:E2A4 0000000000000000FFFF00000A00030A:1538 01 00000000:00000000 00:00000000 00000000     0        0 901 1 0000000000000000 20 4 30 10 -1";
        let got = parse_inet_row(InetProto::Tcp, mapped).unwrap();
        assert_eq!(got.local, addr("10.3.0.7:58020"));
        assert_eq!(got.remote, addr("10.3.0.10:5432"));
    }

    #[test]
    fn udp_row_and_rejects() {
        let row = "  826: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000   104        0 4242 2 0000000000000000 0";
        let got = parse_inet_row(InetProto::Udp, row).unwrap();
        assert_eq!(got.state, TcpState::Close);
        assert_eq!(got.local.port(), 5353);
        let header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
        assert_eq!(parse_inet_row(InetProto::Tcp, header), None);
        assert_eq!(
            parse_inet_row(InetProto::Tcp, "   3: 0100007F:A3B2 0100"),
            None
        );
        assert_eq!(parse_inet_row(InetProto::Tcp, ""), None);
        assert_eq!(
            parse_inet_row(
                InetProto::Tcp,
                "   3: 0100007F:ZZZZ 0100007F:1F90 01 0:0 0:0 0 0 0 1"
            ),
            None
        );
    }

    #[test]
    fn unix_rows() {
        let cases = [
            (
                "0000000031cc90f0: 00000003 00000000 00000000 0001 03  1595\n",
                UnixSocket {
                    inode: 1595,
                    ty: UnixType::Stream,
                    state: UnixState::Connected,
                    path: None,
                },
            ),
            (
                "ffff8880b1a2c000: 00000002 00000000 00010000 0001 01 20001 /run/app/api.sock",
                UnixSocket {
                    inode: 20001,
                    ty: UnixType::Stream,
                    state: UnixState::Listening,
                    path: Some("/run/app/api.sock".into()),
                },
            ),
            (
                "ffff8880b1a2c400: 00000002 00000000 00000000 0002 01 20002 @/tmp/.X11 dir/x",
                UnixSocket {
                    inode: 20002,
                    ty: UnixType::Dgram,
                    state: UnixState::Unconnected,
                    path: Some("@/tmp/.X11 dir/x".into()),
                },
            ),
        ];
        for (row, want) in cases {
            assert_eq!(parse_unix_row(row).as_ref(), Some(&want), "{row}");
        }
        assert_eq!(
            parse_unix_row("Num       RefCount Protocol Flags    Type St Inode Path"),
            None
        );
        assert_eq!(parse_unix_row("0000: 00000002"), None);
    }

    #[test]
    fn raw_and_packet_rows() {
        let raw = "   1: 00000000:0001 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 48211 2 0000000000000000 0";
        assert_eq!(parse_raw_row(raw), Some((48211, "raw icmp".to_string())));
        let raw6 = "  58: 00000000000000000000000000000000:003A 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 48212 2 0000000000000000 0";
        assert_eq!(
            parse_raw_row(raw6),
            Some((48212, "raw ipv6-icmp".to_string()))
        );
        let packet = "ffff8f2b4a3c1000 3      3     0003   2     1     0      0   48213";
        assert_eq!(parse_packet_row(packet), Some(48213));
        assert_eq!(
            parse_packet_row("sk       RefCnt Type Proto  Iface R Rmem   User   Inode"),
            None
        );
    }

    #[test]
    fn fuzz_regressions_are_rejected_not_panics() {
        // 32 bytes but not 32 hex digits, a character across byte 8: once sliced through it.
        let row =
            "   0: 0000000\u{e9}00000000000000000000000:1F90 00000000:0000 0A 0:0 0:0 0 0 0 1";
        assert_eq!(parse_inet_row(InetProto::Tcp, row), None);
        let found =
            include_bytes!("../../tests/fixtures/fuzz-regressions/proc_net-multibyte-address");
        for line in String::from_utf8_lossy(found).lines() {
            for proto in [InetProto::Tcp, InetProto::Udp] {
                let _ = parse_inet_row(proto, line);
            }
            let _ = (parse_raw_row(line), parse_unix_row(line));
            let _ = (parse_packet_row(line), parse_netlink_row(line));
        }
    }

    #[test]
    fn netlink_rows() {
        let row = "00000000c66b42c4 4   0          00000000 0        0        0     2        0        1507    ";
        assert_eq!(
            parse_netlink_row(row),
            Some(NetlinkSocket {
                inode: 1507,
                protocol: 4
            })
        );
        assert_eq!(
            parse_netlink_row("sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode"),
            None
        );
        assert_eq!(netlink_protocol_name(0), "route");
        assert_eq!(netlink_protocol_name(99), "protocol 99");
    }
}
