//! Reads the socket tables of the target's network namespace (/proc/PID/net/*), streaming,
//! and hands on only the rows the caller asks for: a busy namespace can list tens of
//! thousands of sockets that are not the target's.

use std::io::{BufRead, BufReader};

use crate::collect::process::Target;
use crate::error::CollectError;
use crate::model::socket::{InetProto, SocketRow, SocketSink, TcpState};
use crate::parse::net::{
    parse_inet_row, parse_netlink_row, parse_packet_row, parse_raw_row, parse_unix_row,
};

const TABLES: [&str; 11] = [
    "tcp", "tcp6", "udp", "udp6", "unix", "netlink", "raw", "raw6", "icmp", "icmp6", "packet",
];

/// Hands `sink` every row whose inode it wants, and every listening TCP row of the namespace
/// (they tell inbound connections from outbound ones). The kernel lists a table's listeners
/// before its other sockets.
pub fn read_socket_tables(target: &Target, sink: &mut impl SocketSink) -> Result<(), CollectError> {
    let mut line = String::with_capacity(256);
    for table in TABLES {
        let rel = format!("net/{table}");
        let file = match target.open_relative(&rel) {
            Ok(file) => file,
            // A kernel without IPv6 (or without netlink diag) has no such table.
            Err(CollectError::Io { .. }) | Err(CollectError::NoSuchProcess { .. }) => continue,
            Err(other) => return Err(other),
        };
        let mut reader = BufReader::with_capacity(64 * 1024, file);
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) => break,
                Ok(_) => {}
                Err(err) => return Err(target.io_error(&rel, err)),
            }
            let row = match table {
                "tcp" | "tcp6" => parse_inet_row(InetProto::Tcp, &line).map(SocketRow::Inet),
                "udp" | "udp6" => parse_inet_row(InetProto::Udp, &line).map(SocketRow::Inet),
                "unix" => parse_unix_row(&line).map(SocketRow::Unix),
                "netlink" => parse_netlink_row(&line).map(SocketRow::Netlink),
                "icmp" | "icmp6" => {
                    parse_inet_row(InetProto::Udp, &line).map(|s| SocketRow::Other {
                        inode: s.inode,
                        label: "icmp (ping socket)".to_string(),
                    })
                }
                "raw" | "raw6" => {
                    parse_raw_row(&line).map(|(inode, label)| SocketRow::Other { inode, label })
                }
                _ => parse_packet_row(&line).map(|inode| SocketRow::Other {
                    inode,
                    label: "packet".to_string(),
                }),
            };
            let Some(row) = row else { continue };
            let listening = matches!(&row, SocketRow::Inet(s) if s.proto == InetProto::Tcp && s.state == TcpState::Listen);
            if listening || sink.wants(row.inode()) {
                sink.add(row);
            }
        }
    }
    Ok(())
}
