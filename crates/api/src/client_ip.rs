use actix_web::HttpRequest;
use actix_web::http::header::{FORWARDED, HeaderName};
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// The proxies whose forwarding header is believed (`server.trusted_proxies`), and which header they set
/// (`server.client_ip_header`). Empty (the default): the client is the peer address, whatever the
/// request's headers say.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    header: ForwardedHeader,
}

/// The header the trusted proxies append the client's address to. Only that one is read: a proxy that
/// appends to `X-Forwarded-For` passes a client's own `Forwarded` header on untouched, so reading
/// both would let a client choose its address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ForwardedHeader {
    #[default]
    XForwardedFor,
    Forwarded,
}

impl ForwardedHeader {
    pub fn parse(name: &str) -> Result<Self, String> {
        match name.to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(Self::XForwardedFor),
            "forwarded" => Ok(Self::Forwarded),
            _ => Err(format!("{name:?} is neither X-Forwarded-For nor Forwarded")),
        }
    }
}

impl TrustedProxies {
    /// Parses CIDRs (`10.0.0.0/8`) or single addresses; every bad entry is named.
    pub fn parse(entries: &[String], header: ForwardedHeader) -> Result<Self, Vec<String>> {
        let mut nets = Vec::new();
        let mut bad = Vec::new();
        for entry in entries {
            match entry.parse::<IpNet>().or_else(|_| entry.parse::<IpAddr>().map(IpNet::from)) {
                Ok(net) => nets.push(net),
                Err(_) => bad.push(format!("{entry:?} is not an IP network (CIDR) or address")),
            }
        }
        if bad.is_empty() { Ok(Self { nets, header }) } else { Err(bad) }
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy; then the address the
    /// header's trusted hops recorded, read from the right (the last hop's entry first) and skipping
    /// trusted proxies. An entry that does not parse ends the walk at the last trusted hop.
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr().map(|addr| canonical(addr.ip()))?;
        if !self.trusts(peer) {
            return Some(peer);
        }
        let name: HeaderName = match self.header {
            ForwardedHeader::XForwardedFor => HeaderName::from_static("x-forwarded-for"),
            ForwardedHeader::Forwarded => FORWARDED,
        };
        let mut entries: Vec<&str> = Vec::new();
        for value in req.headers().get_all(name) {
            let Ok(value) = value.to_str() else { return Some(peer) };
            entries.extend(value.split(',').map(str::trim));
        }
        let mut client = peer;
        for entry in entries.iter().rev() {
            let parsed = match self.header {
                ForwardedHeader::XForwardedFor => parse_address(entry),
                ForwardedHeader::Forwarded => forwarded_for(entry).and_then(parse_address),
            };
            let Some(ip) = parsed else { break };
            client = canonical(ip);
            if !self.trusts(client) {
                break;
            }
        }
        Some(client)
    }
}

/// An IPv4 address mapped into IPv6 is counted as the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// `203.0.113.7`, `203.0.113.7:4711`, `2001:db8::1`, `[2001:db8::1]:4711`, with or without quotes.
fn parse_address(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim().trim_matches('"');
    raw.parse::<IpAddr>()
        .ok()
        .or_else(|| raw.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')).and_then(|r| r.parse().ok()))
}

/// The `for=` parameter of one `Forwarded` element (RFC 7239).
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim().eq_ignore_ascii_case("for").then_some(value.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn proxies(nets: &[&str], header: ForwardedHeader) -> TrustedProxies {
        TrustedProxies::parse(&nets.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(), header).unwrap()
    }

    fn from(peer: &str) -> TestRequest {
        TestRequest::default().peer_addr(peer.parse().unwrap())
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_headers_say() {
        let req = from("198.51.100.9:5000").insert_header(("X-Forwarded-For", "1.2.3.4")).to_http_request();
        assert_eq!(TrustedProxies::default().client_ip(&req), ip("198.51.100.9"));
    }

    #[test]
    fn an_untrusted_peer_cannot_choose_its_address() {
        let req = from("198.51.100.9:5000").insert_header(("X-Forwarded-For", "1.2.3.4")).to_http_request();
        assert_eq!(proxies(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor).client_ip(&req), ip("198.51.100.9"));
    }

    #[test]
    fn a_trusted_proxy_names_the_client_by_its_last_entry() {
        let p = proxies(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        // the client sent "1.2.3.4" itself; the proxy appended the address it saw
        let req = from("10.0.0.2:5000").insert_header(("X-Forwarded-For", "1.2.3.4, 203.0.113.7")).to_http_request();
        assert_eq!(p.client_ip(&req), ip("203.0.113.7"));
        // two trusted hops: skipped from the right
        let req = from("10.0.0.2:5000")
            .insert_header(("X-Forwarded-For", "1.2.3.4, 203.0.113.7, 10.0.0.5"))
            .to_http_request();
        assert_eq!(p.client_ip(&req), ip("203.0.113.7"));
        // garbage where the proxy's entry should be: the proxy itself is the client
        let req = from("10.0.0.2:5000").insert_header(("X-Forwarded-For", "1.2.3.4, nonsense")).to_http_request();
        assert_eq!(p.client_ip(&req), ip("10.0.0.2"));
        // no header at all
        assert_eq!(p.client_ip(&from("10.0.0.2:5000").to_http_request()), ip("10.0.0.2"));
        // the other header is not read
        let req = from("10.0.0.2:5000").insert_header(("Forwarded", "for=1.2.3.4")).to_http_request();
        assert_eq!(p.client_ip(&req), ip("10.0.0.2"));
    }

    #[test]
    fn forwarded_elements_give_their_for_parameter() {
        let p = proxies(&["10.0.0.2"], ForwardedHeader::Forwarded);
        let req = from("10.0.0.2:5000")
            .insert_header(("Forwarded", r#"for=1.2.3.4, for="[2001:db8::7]:4711";proto=https"#))
            .to_http_request();
        assert_eq!(p.client_ip(&req), ip("2001:db8::7"));
        let req =
            from("[::ffff:10.0.0.2]:5000").insert_header(("Forwarded", "proto=http;for=203.0.113.7")).to_http_request();
        assert_eq!(p.client_ip(&req), ip("203.0.113.7"));
    }

    #[test]
    fn bad_entries_are_named() {
        let err =
            TrustedProxies::parse(&["10.0.0.0/8".into(), "nope".into()], ForwardedHeader::XForwardedFor).unwrap_err();
        assert_eq!(err, [r#""nope" is not an IP network (CIDR) or address"#]);
        assert_eq!(ForwardedHeader::parse("Forwarded"), Ok(ForwardedHeader::Forwarded));
        assert!(ForwardedHeader::parse("X-Real-IP").is_err());
    }
}
