//! The name resolver of the connector: the check of the address actually connected to, so a
//! name that passed the check when its URL was set and later resolves to an internal address
//! (DNS rebinding) is still refused.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper_util::client::legacy::connect::dns::Name;
use tenantry_domain::webhook::is_public_address;
use tower_service::Service;

/// Resolves with the system resolver and drops the addresses that may not be reached, unless
/// the operator allowed private targets.
#[derive(Clone, Debug)]
pub(crate) struct PublicResolver {
    pub(crate) allow_private: bool,
}

/// A host whose every address was dropped: told apart from other connection errors so that
/// the delivery log says why in plain words.
#[derive(Debug)]
pub(crate) struct Unreachable(pub(crate) String);

impl fmt::Display for Unreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for Unreachable {}

type BoxError = Box<dyn Error + Send + Sync>;

impl Service<Name> for PublicResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str();
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await?.collect();
            if resolved.is_empty() {
                return Err(format!("{host} resolves to no address").into());
            }
            if allow_private {
                return Ok(resolved.into_iter());
            }
            let (public, refused): (Vec<SocketAddr>, Vec<SocketAddr>) = resolved
                .into_iter()
                .partition(|addr| is_public_address(addr.ip()));
            if public.is_empty() {
                let refused: Vec<IpAddr> = refused.iter().map(SocketAddr::ip).collect();
                return Err(Box::new(Unreachable(only_unreachable(host, &refused))) as BoxError);
            }
            if !refused.is_empty() {
                tracing::warn!(
                    host,
                    ?refused,
                    "skipping webhook addresses that may not be reached"
                );
            }
            Ok(public.into_iter())
        })
    }
}

/// What a delivery to `host` fails with when it resolves only to addresses that may not be
/// reached. The addresses are logged for the operator, not put in the deliveries log an org
/// admin reads: that would tell them how internal names resolve.
pub(crate) fn only_unreachable(host: &str, addresses: &[IpAddr]) -> String {
    tracing::warn!(
        host,
        ?addresses,
        "webhook host resolves only to refused addresses"
    );
    format!("{host} resolves only to addresses that may not be reached")
}
