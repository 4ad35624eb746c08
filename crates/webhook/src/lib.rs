//! The outgoing HTTP adapter of webhooks: posts deliveries with hyper over rustls (ring, with
//! the Mozilla roots compiled in) and keeps them away from internal services. A URL's target
//! is checked when it is set, and again at every connection by the resolver of the connector,
//! against the address actually connected to, so that a name rebound to an internal address
//! later is still refused. Redirects are never followed: a receiver cannot bounce a delivery
//! inwards.

mod resolver;
mod target;
#[cfg(test)]
mod tests;

use std::error::Error;
use std::net::IpAddr;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue, USER_AGENT};
use hyper::{Method, Request, Uri};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tenantry_domain::validation::ValidationError;
use tenantry_domain::webhook::{WebhookSender, WebhookUrl, is_public_address};
use tokio::time::Instant;

use resolver::{PublicResolver, Unreachable};

/// How much of a response body is read: enough to let a small answer finish cleanly (and
/// the connection be reused), never so much that a receiver can make a worker read forever.
const MAX_RESPONSE_BODY: usize = 64 * 1024;

/// Who is calling, for receivers' logs and firewalls.
const AGENT: &str = "Tenantry-Webhooks/1.0";

/// How long idle connections are kept for the next delivery to the same receiver.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The operator's choices for outgoing webhooks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SenderSettings {
    /// Lets webhooks reach private, loopback and link-local addresses: for deployments whose
    /// receivers live on the internal network, at the price of the SSRF defence.
    pub allow_private: bool,
    /// The bound on one delivery (connection, TLS, request and response), so that a slow
    /// receiver holds a worker no longer than this.
    pub timeout: Duration,
}

impl Default for SenderSettings {
    /// Public targets only, 10 s per delivery.
    fn default() -> Self {
        Self {
            allow_private: false,
            timeout: Duration::from_secs(10),
        }
    }
}

type Connector = HttpsConnector<HttpConnector<PublicResolver>>;

/// The [`WebhookSender`] over HTTP(S). One client is shared by all deliveries so that
/// connections to a receiver are pooled.
pub struct HttpSender {
    /// The client, or why TLS could not be set up: then every delivery fails with that
    /// reason instead of the process panicking.
    client: Result<Client<Connector, Full<Bytes>>, String>,
    settings: SenderSettings,
}

impl HttpSender {
    /// Builds the client once. TLS uses ring explicitly, not a process-wide default provider,
    /// so it does not depend on what else the process installed.
    pub fn new(settings: SenderSettings) -> Self {
        let mut http = HttpConnector::new_with_resolver(PublicResolver {
            allow_private: settings.allow_private,
        });
        // The same connector serves https URLs, through the TLS layer around it.
        http.enforce_http(false);
        http.set_nodelay(true);
        let client = HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .map(|builder| {
                let https = builder.https_or_http().enable_http1().wrap_connector(http);
                Client::builder(TokioExecutor::new())
                    .pool_timer(TokioTimer::new())
                    .pool_idle_timeout(IDLE_TIMEOUT)
                    .build(https)
            })
            .map_err(|error| {
                tracing::error!(%error, "TLS for outgoing webhooks could not be set up");
                format!("TLS could not be set up: {error}")
            });
        Self { client, settings }
    }

    /// The request to send, or why it cannot be made (a header value that is not valid).
    fn request(
        uri: Uri,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    ) -> Result<Request<Full<Bytes>>, String> {
        let mut request = Request::new(Full::new(Bytes::from(body)));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = uri;
        let map = request.headers_mut();
        map.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        map.insert(USER_AGENT, HeaderValue::from_static(AGENT));
        for (name, value) in headers {
            let name = HeaderName::try_from(name).map_err(|e| format!("header {name}: {e}"))?;
            let value = HeaderValue::try_from(value).map_err(|e| format!("header {name}: {e}"))?;
            map.insert(name, value);
        }
        Ok(request)
    }
}

#[async_trait]
impl WebhookSender for HttpSender {
    async fn check_target(&self, url: &WebhookUrl) -> Result<(), ValidationError> {
        target::check(url, self.settings.allow_private).await
    }

    async fn post(
        &self,
        url: &WebhookUrl,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    ) -> Result<u16, String> {
        let client = self.client.as_ref().map_err(Clone::clone)?;
        let uri: Uri = url
            .as_str()
            .parse()
            .map_err(|e| format!("invalid URL: {e}"))?;
        // The connector skips the resolver for an address literal, so it is judged here, on
        // the host exactly as the connector will read it.
        if !self.settings.allow_private
            && let Some(ip) = literal_ip(&uri)
            && !is_public_address(ip)
        {
            return Err(format!(
                "{ip} may not be reached: a private, loopback or link-local address"
            ));
        }
        let request = Self::request(uri, headers, body)?;
        let deadline = Instant::now() + self.settings.timeout;
        let response = match tokio::time::timeout_at(deadline, client.request(request)).await {
            Ok(Ok(response)) => response,
            Ok(Err(error)) => return Err(describe(&error)),
            Err(_) => return Err(timed_out(self.settings.timeout)),
        };
        let status = response.status().as_u16();
        // The status is the answer; a body that is slow or broken does not undo it.
        match tokio::time::timeout_at(deadline, drain(response.into_body())).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::debug!(%error, "webhook response body failed"),
            Err(_) => tracing::debug!("webhook response body did not end in time"),
        }
        Ok(status)
    }
}

/// The host of `uri` when it is an IP address literal.
fn literal_ip(uri: &Uri) -> Option<IpAddr> {
    uri.host()?.trim_matches(['[', ']']).parse().ok()
}

/// Reads and discards up to [`MAX_RESPONSE_BODY`] bytes of a response.
async fn drain(mut body: Incoming) -> Result<(), hyper::Error> {
    let mut read = 0;
    while read < MAX_RESPONSE_BODY {
        let Some(frame) = body.frame().await else {
            break;
        };
        if let Some(data) = frame?.data_ref() {
            read += data.len();
        }
    }
    Ok(())
}

/// A client error in a few words: the refusal of the resolver as it is, other errors with
/// their causes.
fn describe(error: &hyper_util::client::legacy::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(unreachable) = cause.downcast_ref::<Unreachable>() {
            return unreachable.to_string();
        }
        let text = cause.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = cause.source();
    }
    let what = if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    if parts.is_empty() {
        format!("{what}: {error}")
    } else {
        format!("{what}: {}", parts.join(": "))
    }
}

/// `timed out after 10 s`, or in milliseconds for a bound under a second or not whole.
fn timed_out(timeout: Duration) -> String {
    if timeout.subsec_millis() == 0 && timeout.as_secs() > 0 {
        format!("timed out after {} s", timeout.as_secs())
    } else {
        format!("timed out after {} ms", timeout.as_millis())
    }
}
