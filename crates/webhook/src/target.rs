//! The check of a URL when it is set: an early, friendly refusal. It is not the defence
//! itself (a name may resolve elsewhere later); the resolver of the connector is.

use std::net::IpAddr;
use std::time::Duration;

use tenantry_domain::validation::ValidationError;
use tenantry_domain::webhook::{WebhookUrl, is_public_address};

/// How long a name may take to resolve when a URL is set: the API waits for it.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(3);

/// What the operator sets to let webhooks reach internal services.
const ALLOW_HINT: &str = "set TENANTRY_WEBHOOK_ALLOW_PRIVATE=true to allow such targets";

/// Refuses `url` when its host is, or now resolves to, an address that may not be reached.
pub(crate) async fn check(url: &WebhookUrl, allow_private: bool) -> Result<(), ValidationError> {
    if allow_private {
        return Ok(());
    }
    let host = url.host();
    if let Ok(ip) = host.parse::<IpAddr>() {
        return judge("points to", &[ip]);
    }
    if is_localhost(&host) {
        return Err(ValidationError::new(
            "url",
            format!("points to {host}, a loopback name; {ALLOW_HINT}"),
        ));
    }
    let lookup = tokio::net::lookup_host((host.as_str(), url.port()));
    match tokio::time::timeout(LOOKUP_TIMEOUT, lookup).await {
        Ok(Ok(addrs)) => {
            let ips: Vec<IpAddr> = addrs.map(|addr| addr.ip()).collect();
            judge("resolves to", &ips)
        }
        // Deliveries will fail, and be retried, until the name resolves; the resolver of
        // the connector judges its addresses then.
        Ok(Err(error)) => {
            tracing::debug!(host, %error, "webhook host does not resolve now; accepted");
            Ok(())
        }
        Err(_) => {
            tracing::debug!(host, "webhook host did not resolve in time; accepted");
            Ok(())
        }
    }
}

/// Refuses when any of `ips` may not be reached. A literal address is the caller's own input
/// and is named; what a name resolves to is not, so the check does not tell an org admin how
/// the operator's internal names resolve.
pub(crate) fn judge(verb: &str, ips: &[IpAddr]) -> Result<(), ValidationError> {
    let Some(refused) = ips.iter().find(|ip| !is_public_address(**ip)) else {
        return Ok(());
    };
    let message = match verb {
        "points to" => {
            format!("points to {refused}, a private, loopback or link-local address; {ALLOW_HINT}")
        }
        _ => format!("{verb} a private, loopback or link-local address; {ALLOW_HINT}"),
    };
    Err(ValidationError::new("url", message))
}

/// `localhost` and its subdomains, which resolvers answer with loopback without asking DNS
/// (RFC 6761): refused even where the lookup fails or is slow.
fn is_localhost(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost")
}
