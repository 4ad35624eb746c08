//! The DNS adapter: TXT look-ups through hickory's stub resolver, against one configured
//! server (`TENANTRY_DNS_SERVER`) or the system's resolvers (`/etc/resolv.conf`).

use std::net::SocketAddr;
use std::time::Duration;

use async_trait::async_trait;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::{ResolveError, TokioResolver};
use tenantry_domain::domains::{DnsError, DnsResolver};

/// How long one query waits for an answer before it is tried again (twice in all).
const QUERY_TIMEOUT: Duration = Duration::from_secs(3);

/// Looks up TXT records for domain verification.
pub struct HickoryDns {
    resolver: TokioResolver,
}

impl HickoryDns {
    /// Asks `server` only, over UDP, and over TCP when an answer is too long for UDP.
    pub fn with_server(server: SocketAddr) -> Self {
        let mut config = ResolverConfig::new();
        config.add_name_server(NameServerConfig::new(server, Protocol::Udp));
        config.add_name_server(NameServerConfig::new(server, Protocol::Tcp));
        let resolver =
            TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
                .with_options(options())
                .build();
        Self { resolver }
    }

    /// Asks the resolvers the system is configured with (`/etc/resolv.conf` on Unix).
    pub fn system() -> Result<Self, DnsError> {
        let resolver = TokioResolver::builder_tokio()
            .map_err(|error| DnsError(format!("cannot read the system's DNS settings: {error}")))?
            .with_options(options())
            .build();
        Ok(Self { resolver })
    }
}

fn options() -> ResolverOpts {
    let mut options = ResolverOpts::default();
    options.timeout = QUERY_TIMEOUT;
    options.attempts = 2;
    // A record just published must be seen on the next try: no answer is kept, positive or
    // negative (the server asked may still cache by the record's TTL).
    options.cache_size = 0;
    options
}

#[async_trait]
impl DnsResolver for HickoryDns {
    async fn txt_records(&self, name: &str) -> Result<Vec<String>, DnsError> {
        // A fully qualified name: no search domain of the host is appended.
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        match self.resolver.txt_lookup(fqdn).await {
            Ok(lookup) => Ok(lookup
                .iter()
                .map(|txt| {
                    // A TXT record is a list of strings of up to 255 bytes each; a long value
                    // is split across several, which readers join.
                    txt.txt_data()
                        .iter()
                        .map(|part| String::from_utf8_lossy(part).into_owned())
                        .collect::<String>()
                })
                .collect()),
            Err(error) if absent(&error) => Ok(Vec::new()),
            Err(error) => {
                tracing::warn!(%error, name, "TXT lookup failed");
                Err(DnsError(error.to_string()))
            }
        }
    }
}

/// "No such name" and "no TXT record" are answers, not failures.
fn absent(error: &ResolveError) -> bool {
    error.is_nx_domain() || error.is_no_records_found()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use hickory_resolver::proto::op::{Message, MessageType, ResponseCode};
    use hickory_resolver::proto::rr::rdata::TXT;
    use hickory_resolver::proto::rr::{RData, Record};
    use tokio::net::UdpSocket;

    use super::*;

    /// Answers `_tenantry-challenge.acme.test` with one TXT record split into two strings,
    /// and NXDOMAIN for anything else.
    async fn server() -> SocketAddr {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let address = socket.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buffer = [0u8; 1500];
            while let Ok((len, peer)) = socket.recv_from(&mut buffer).await {
                let query = Message::from_vec(&buffer[..len]).unwrap();
                let mut answer = Message::new();
                answer
                    .set_id(query.id())
                    .set_message_type(MessageType::Response)
                    .set_recursion_desired(query.recursion_desired())
                    .set_recursion_available(true);
                for question in query.queries() {
                    answer.add_query(question.clone());
                    if question.name().to_ascii() == "_tenantry-challenge.acme.test." {
                        let txt = TXT::new(vec!["tenantry-".into(), "verification=x".into()]);
                        answer.add_answer(Record::from_rdata(
                            question.name().clone(),
                            1,
                            RData::TXT(txt),
                        ));
                    } else {
                        answer.set_response_code(ResponseCode::NXDomain);
                    }
                }
                let _ = socket.send_to(&answer.to_vec().unwrap(), peer).await;
            }
        });
        address
    }

    #[tokio::test]
    async fn a_split_record_is_joined_and_a_missing_name_is_no_record() {
        let dns = HickoryDns::with_server(server().await);
        assert_eq!(
            dns.txt_records("_tenantry-challenge.acme.test")
                .await
                .unwrap(),
            vec!["tenantry-verification=x".to_owned()]
        );
        assert_eq!(
            dns.txt_records("_tenantry-challenge.nowhere.test.")
                .await
                .unwrap(),
            Vec::<String>::new()
        );
    }

    #[tokio::test]
    async fn a_server_that_does_not_answer_is_a_failure_not_an_empty_answer() {
        // A bound socket that never answers: every query times out.
        let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let dns = HickoryDns::with_server(silent.local_addr().unwrap());
        assert!(
            dns.txt_records("_tenantry-challenge.acme.test")
                .await
                .is_err()
        );
    }
}
