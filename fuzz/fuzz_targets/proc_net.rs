//! /proc/PID/net/{tcp,tcp6,udp,udp6,raw,raw6,unix,netlink,packet}: every line through every
//! row parser (the kernel's formats differ, a parser must reject the others' rows, not panic).
#![no_main]

use libfuzzer_sys::fuzz_target;
use steady::model::socket::InetProto;
use steady::parse::net::{
    parse_inet_row, parse_netlink_row, parse_packet_row, parse_raw_row, parse_unix_row,
};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for line in text.lines() {
        let _ = parse_inet_row(InetProto::Tcp, line);
        let _ = parse_inet_row(InetProto::Udp, line);
        let _ = parse_unix_row(line);
        let _ = parse_raw_row(line);
        let _ = parse_packet_row(line);
        let _ = parse_netlink_row(line);
    }
});
