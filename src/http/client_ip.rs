//! The client's address: the socket's peer, or, when the peer is a trusted proxy, the address
//! the proxies name in `X-Forwarded-For` (or `Forwarded`), read from the right and skipping the
//! trusted hops, so a client cannot pose as someone else by sending the header itself.

use std::net::IpAddr;

use actix_web::http::header::HeaderMap;
use actix_web::HttpRequest;

use crate::config::networks::{canonical, Networks};

pub fn client_ip(req: &HttpRequest, trusted: &Networks) -> Option<IpAddr> {
    let peer = canonical(req.peer_addr()?.ip());
    Some(resolve(peer, req.headers(), trusted))
}

fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &Networks) -> IpAddr {
    if !trusted.contains(peer) {
        return peer;
    }
    let hops = forwarded_for(headers);
    // From the nearest hop outwards: the first address no trusted proxy owns is the client.
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop {
            Some(ip) => {
                client = canonical(*ip);
                if !trusted.contains(client) {
                    return client;
                }
            }
            // An unreadable hop: nothing further out can be believed.
            None => return client,
        }
    }
    client
}

/// The hops, nearest last, from every `X-Forwarded-For` header, or else from `Forwarded`.
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let xff: Vec<Option<IpAddr>> = headers
        .get_all("x-forwarded-for")
        .flat_map(|v| v.to_str().unwrap_or("?").split(','))
        .map(|hop| parse_hop(hop.trim()))
        .collect();
    if !xff.is_empty() {
        return xff;
    }
    headers
        .get_all("forwarded")
        .flat_map(|v| v.to_str().unwrap_or("for=?").split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| parse_hop(v.trim().trim_matches('"')))
            })
        })
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:443`, `[2001:db8::1]`, `[2001:db8::1]:443` or `2001:db8::1`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    hop.rsplit_once(':')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let trusted = Networks::new(&["10.0.0.0/8".into()]);
        let h = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(resolve(ip("203.0.113.9"), &h, &trusted), ip("203.0.113.9"));
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() {
        let trusted = Networks::new(&["10.0.0.0/8".into(), "192.0.2.10".into()]);
        // The client forged the first entry; the proxies appended the rest.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.7, 192.0.2.10")]);
        assert_eq!(resolve(ip("10.1.2.3"), &h, &trusted), ip("198.51.100.7"));
        let h = headers(&[(
            "forwarded",
            "for=1.2.3.4, for=\"[2001:db8::7]:4711\";proto=https",
        )]);
        assert_eq!(resolve(ip("10.1.2.3"), &h, &trusted), ip("2001:db8::7"));
        let h = headers(&[("x-forwarded-for", "garbage, 198.51.100.8")]);
        assert_eq!(resolve(ip("10.1.2.3"), &h, &trusted), ip("198.51.100.8"));
        let none = headers(&[]);
        assert_eq!(resolve(ip("10.1.2.3"), &none, &trusted), ip("10.1.2.3"));
    }
}
