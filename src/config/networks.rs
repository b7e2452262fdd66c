//! Lists of IP networks from the settings: trusted proxies, blocked networks.

use std::net::IpAddr;

use ipnet::IpNet;

/// An address (`192.0.2.1`) or a network (`192.0.2.0/24`, `2001:db8::/32`).
pub fn parse_network(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

/// Parsed once from configuration.
#[derive(Debug, Clone, Default)]
pub struct Networks(Vec<IpNet>);

impl Networks {
    /// Entries that do not parse are left out (configuration validation has named them).
    pub fn new(list: &[String]) -> Networks {
        Networks(list.iter().filter_map(|n| parse_network(n)).collect())
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// IPv4 seen through an IPv6 socket (`::ffff:192.0.2.1`) is IPv4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The network one client holds: an IPv4 address, or an IPv6 /64 (what one subscriber is
/// given whole).
pub fn subscriber(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_parse_addresses_and_prefixes() {
        assert!(parse_network("203.0.113.0/24").is_some());
        assert!(parse_network("2001:db8::1").is_some());
        assert!(parse_network("not-a-net").is_none());
        let nets = Networks::new(&["203.0.113.0/24".into()]);
        assert!(nets.contains(ip("::ffff:203.0.113.5")));
        assert!(!nets.contains(ip("203.0.114.5")));
    }

    #[test]
    fn an_ipv6_client_is_its_64() {
        assert_eq!(subscriber(ip("2001:db8:1:2:3:4:5:6")), ip("2001:db8:1:2::"));
        assert_eq!(subscriber(ip("::ffff:198.51.100.7")), ip("198.51.100.7"));
    }
}
