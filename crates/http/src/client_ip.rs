//! Which address a request comes from. Behind a proxy or load balancer every request's socket
//! peer is the proxy; `X-Forwarded-For` names the client, but anyone can send that header, so
//! it is believed only from proxies the operator lists in `TENANTRY_TRUSTED_PROXIES`.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header::HeaderName;
use ipnet::IpNet;

const FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The proxies whose `X-Forwarded-For` is believed: addresses or CIDR ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Addresses (`10.0.0.7`, `::1`) or ranges (`10.0.0.0/8`), separated by commas or spaces.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split([',', ' '])
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("`{item}` is not an IP address or CIDR range"))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client: the socket peer, unless the peer is a trusted proxy; then the nearest
    /// address in `X-Forwarded-For`, read from the right, that is not itself a trusted proxy.
    /// Entries left of that one were written by the client and prove nothing.
    pub fn client(&self, peer: Option<IpAddr>, forwarded_for: &[&str]) -> Option<IpAddr> {
        let peer = peer?;
        if !self.trusts(peer) {
            return Some(peer);
        }
        let mut client = peer;
        let hops = forwarded_for
            .iter()
            .rev()
            .flat_map(|header| header.rsplit(','));
        for hop in hops {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip;
                    if !self.trusts(ip) {
                        break;
                    }
                }
                // A hop that is no address ends what can be believed.
                Err(_) => break,
            }
        }
        Some(client)
    }

    /// The client of `request`.
    pub fn client_of(&self, request: &HttpRequest) -> Option<IpAddr> {
        let headers: Vec<&str> = request
            .headers()
            .get_all(FORWARDED_FOR)
            .filter_map(|value| value.to_str().ok())
            .collect();
        self.client(request.peer_addr().map(|address| address.ip()), &headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(raw: &str) -> Option<IpAddr> {
        Some(raw.parse().unwrap())
    }

    #[test]
    fn the_header_is_believed_only_from_a_trusted_proxy() {
        let trusted = TrustedProxies::parse("10.0.0.0/8, 192.168.1.1").unwrap();
        // A client that is no proxy cannot claim another address.
        assert_eq!(
            trusted.client(ip("203.0.113.9"), &["1.2.3.4"]),
            ip("203.0.113.9")
        );
        // Through one proxy.
        assert_eq!(
            trusted.client(ip("192.168.1.1"), &["203.0.113.9"]),
            ip("203.0.113.9")
        );
        // Through two; what the client wrote itself (the leftmost) is ignored.
        assert_eq!(
            trusted.client(ip("10.1.1.1"), &["6.6.6.6, 203.0.113.9, 10.2.2.2"]),
            ip("203.0.113.9")
        );
        // Several header lines read as one list.
        assert_eq!(
            trusted.client(ip("10.1.1.1"), &["6.6.6.6", "203.0.113.9"]),
            ip("203.0.113.9")
        );
        // A garbled hop stops the walk at the last address believed.
        assert_eq!(
            trusted.client(ip("10.1.1.1"), &["203.0.113.9, junk"]),
            ip("10.1.1.1")
        );
        // No header: the proxy itself.
        assert_eq!(trusted.client(ip("10.1.1.1"), &[]), ip("10.1.1.1"));
        // Nothing trusted by default.
        assert_eq!(
            TrustedProxies::default().client(ip("10.1.1.1"), &["1.2.3.4"]),
            ip("10.1.1.1")
        );
    }

    #[test]
    fn a_bad_entry_is_refused_with_its_text() {
        assert!(
            TrustedProxies::parse("10.0.0.0/8,nonsense")
                .unwrap_err()
                .contains("nonsense")
        );
        assert_eq!(
            TrustedProxies::parse(" ").unwrap(),
            TrustedProxies::default()
        );
        assert!(TrustedProxies::parse("::1 fd00::/8").is_ok());
    }
}
