use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::transport::smtp::AsyncSmtpTransportBuilder;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tenantry_domain::mail::{Mail, MailError, Mailer};

use crate::message;

mod connection_url;

use connection_url::{Security, SmtpUrl};

type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// Delivers through an SMTP server, over a pool of reused connections.
///
/// Configured by one URL, `scheme://[user:password@]host[:port][/ehlo-name][?tls=mode]`:
///
/// | URL | connection | default port |
/// |---|---|---|
/// | `smtp://user:pass@host` or `…?tls=required` | plaintext, then `STARTTLS`, which the server must offer | 587 |
/// | `smtps://user:pass@host` | TLS from the first byte (implicit TLS) | 465 |
/// | `smtp://host?tls=opportunistic` | `STARTTLS` if offered, else plaintext: open to downgrade, avoid | 587 |
/// | `smtp://host:port?tls=none` | plaintext, for a local relay or a test server | 25 |
///
/// Unlike lettre's own `from_url`, a bare `smtp://` is encrypted: plaintext has to be asked for.
/// User name and password are percent-decoded (write `@` as `%40`, `:` as `%3A`); they are
/// refused with `tls=none`, never logged and never quoted in errors. An unknown query
/// parameter is an error, as a misspelt `tls` would otherwise silently change security.
/// Certificates are checked against the Mozilla roots built in (webpki-roots), so the host in
/// the URL must be the name on the server's certificate.
///
/// Handing one message over (connecting, TLS, authenticating, the SMTP dialogue) gives up
/// after [`Self::DEFAULT_TIMEOUT`] unless [`with_timeout`](Self::with_timeout) says otherwise.
pub struct SmtpMailer {
    from: Mailbox,
    url: SmtpUrl,
    builder: AsyncSmtpTransportBuilder,
    timeout: Duration,
    // Built on first use, as the pool spawns its clean-up task on the Tokio runtime and
    // `from_url` may run before there is one; dropped after a timeout (see `send`).
    transport: Mutex<Option<Arc<Transport>>>,
}

impl SmtpMailer {
    /// Far below lettre's 60 s: a stuck server must not hold a delivery run for minutes.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// `from` is an address such as `Tenantry <no-reply@example.com>`. Nothing is connected
    /// yet: a wrong host or password shows on the first `send`.
    pub fn from_url(url: &str, from: &str) -> Result<Self, MailError> {
        let from = message::sender(from)?;
        let url = connection_url::parse(url)?;
        let builder = transport_builder(&url)?;
        Ok(Self {
            from,
            url,
            builder,
            timeout: Self::DEFAULT_TIMEOUT,
            transport: Mutex::new(None),
        }
        .with_timeout(Self::DEFAULT_TIMEOUT))
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.builder = self.builder.timeout(Some(timeout));
        self.timeout = timeout;
        self.transport = Mutex::new(None);
        self
    }

    fn transport(&self) -> Arc<Transport> {
        let mut slot = self
            .transport
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(slot.get_or_insert_with(|| Arc::new(self.builder.clone().build())))
    }

    /// Later sends get a new pool; the old one closes its connections once unused.
    fn discard(&self, transport: &Arc<Transport>) {
        let mut slot = self
            .transport
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if slot
            .as_ref()
            .is_some_and(|current| Arc::ptr_eq(current, transport))
        {
            *slot = None;
        }
    }

    fn server(&self) -> String {
        format!("{}:{}", self.url.host, self.url.port)
    }
}

fn transport_builder(url: &SmtpUrl) -> Result<AsyncSmtpTransportBuilder, MailError> {
    let parameters = || {
        TlsParameters::new(url.host.clone())
            .map_err(|error| MailError(format!("cannot set up TLS for {}: {error}", url.host)))
    };
    let tls = match url.security {
        Security::StartTls => Tls::Required(parameters()?),
        Security::Opportunistic => Tls::Opportunistic(parameters()?),
        Security::ImplicitTls => Tls::Wrapper(parameters()?),
        Security::Plaintext => Tls::None,
    };
    // "Dangerous" only in that lettre leaves TLS to us; it is set explicitly just above.
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(url.host.clone())
        .port(url.port)
        .tls(tls);
    if let Some((user, password)) = &url.credentials {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    if let Some(name) = &url.hello_name {
        builder = builder.hello_name(ClientId::Domain(name.clone()));
    }
    Ok(builder)
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let (email, rendered) = message::build(&self.from, mail)?;
        let transport = self.transport();
        // lettre's async client applies its own timeout to the TCP connect only: a server that
        // accepts and then stalls would hold this send for ever.
        match tokio::time::timeout(self.timeout, transport.send(email)).await {
            Ok(Ok(_response)) => {}
            Ok(Err(error)) => {
                return Err(MailError(format!(
                    "SMTP server {} did not take the message: {error}",
                    self.server()
                )));
            }
            Err(_elapsed) => {
                // The abandoned connection goes back to its pool, possibly mid-DATA; reused,
                // it would feed the next message's commands into this one's body.
                self.discard(&transport);
                return Err(MailError(format!(
                    "SMTP server {} did not take the message within {:?}",
                    self.server(),
                    self.timeout
                )));
            }
        }
        tracing::info!(
            to = %mail.to,
            subject = %rendered.subject,
            server = %self.server(),
            "mail accepted by the SMTP server"
        );
        Ok(())
    }
}

// By hand: the parsed URL holds the password.
impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("server", &self.server())
            .field("security", &self.url.security)
            .field("user", &self.url.credentials.as_ref().map(|(user, _)| user))
            .field("from", &self.from.to_string())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn debug_output_shows_the_user_but_not_the_password() {
        let mailer = SmtpMailer::from_url(
            "smtps://mailer:hunter2@mail.example.com",
            "Tenantry <no-reply@example.com>",
        )
        .unwrap();
        let debug = format!("{mailer:?}");
        assert!(debug.contains("mailer"), "{debug}");
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn can_be_configured_outside_a_tokio_runtime() {
        assert!(SmtpMailer::from_url("smtp://mail.example.com", "no-reply@example.com").is_ok());
    }

    #[test]
    fn a_bad_sender_address_is_refused_up_front() {
        assert!(SmtpMailer::from_url("smtp://mail.example.com", "not an address").is_err());
    }
}
