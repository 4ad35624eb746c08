//! Reads the SMTP URL ourselves instead of handing it to lettre's `from_url`: there a bare
//! `smtp://` means plaintext, so a URL that looks like ordinary submission on port 587 would
//! send the password in clear. Here encryption is the default and plaintext must be asked for.

use percent_encoding::percent_decode_str;
use tenantry_domain::mail::MailError;
use url::{Host, Url};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Security {
    /// `STARTTLS`, and the connection fails if the server does not offer it.
    StartTls,
    /// `STARTTLS` when the server offers it, plaintext otherwise.
    Opportunistic,
    /// TLS from the first byte (SMTPS).
    ImplicitTls,
    Plaintext,
}

// No `Debug`: it holds the password.
pub(super) struct SmtpUrl {
    pub(super) host: String,
    pub(super) port: u16,
    pub(super) security: Security,
    pub(super) credentials: Option<(String, String)>,
    pub(super) hello_name: Option<String>,
}

const SUBMISSION_PORT: u16 = 587;
const SUBMISSIONS_PORT: u16 = 465;
const RELAY_PORT: u16 = 25;

// Error messages never quote the URL: it may carry a password.
pub(super) fn parse(raw: &str) -> Result<SmtpUrl, MailError> {
    let url = Url::parse(raw).map_err(|error| invalid(format!("not a URL ({error})")))?;
    let tls = tls_parameter(&url)?;
    let security = match (url.scheme(), tls.as_deref()) {
        ("smtp", None | Some("required")) => Security::StartTls,
        ("smtp", Some("opportunistic")) => Security::Opportunistic,
        ("smtp", Some("none")) => Security::Plaintext,
        ("smtps", None | Some("required")) => Security::ImplicitTls,
        ("smtp" | "smtps", Some(other)) => {
            return Err(invalid(format!(
                "tls={other} is not one of required, opportunistic, none (smtp://) \
                 or required (smtps://)"
            )));
        }
        (scheme, _) => {
            return Err(invalid(format!(
                "the scheme is `{scheme}`, not smtp or smtps"
            )));
        }
    };
    let host = match url.host() {
        Some(Host::Domain(domain)) if !domain.is_empty() => domain.to_owned(),
        // Without brackets: the name is resolved and checked against the certificate as is.
        Some(Host::Ipv4(address)) => address.to_string(),
        Some(Host::Ipv6(address)) => address.to_string(),
        _ => return Err(invalid("it names no host".into())),
    };
    let port = url.port().unwrap_or(match security {
        Security::StartTls | Security::Opportunistic => SUBMISSION_PORT,
        Security::ImplicitTls => SUBMISSIONS_PORT,
        Security::Plaintext => RELAY_PORT,
    });
    let credentials = credentials(&url)?;
    if credentials.is_some() && security == Security::Plaintext {
        return Err(invalid(
            "credentials with tls=none would cross the network in clear".into(),
        ));
    }
    let hello_name = Some(url.path().trim_matches('/'))
        .filter(|name| !name.is_empty())
        .map(str::to_owned);
    Ok(SmtpUrl {
        host,
        port,
        security,
        credentials,
        hello_name,
    })
}

fn tls_parameter(url: &Url) -> Result<Option<String>, MailError> {
    let mut tls = None;
    for (key, value) in url.query_pairs() {
        // An unknown key is most likely a typo of `tls`, which would silently change security.
        if key != "tls" {
            return Err(invalid(format!("unknown parameter `{key}`")));
        }
        if tls.replace(value.into_owned()).is_some() {
            return Err(invalid("`tls` is given twice".into()));
        }
    }
    Ok(tls)
}

fn credentials(url: &Url) -> Result<Option<(String, String)>, MailError> {
    let decode = |part: &str, what: &str| {
        percent_decode_str(part)
            .decode_utf8()
            .map(|decoded| decoded.into_owned())
            .map_err(|_| invalid(format!("the {what} is not UTF-8 once percent-decoded")))
    };
    match (url.username(), url.password()) {
        ("", None) => Ok(None),
        (user, Some(password)) if !user.is_empty() => Ok(Some((
            decode(user, "user name")?,
            decode(password, "password")?,
        ))),
        _ => Err(invalid(
            "it needs both a user name and a password, or neither".into(),
        )),
    }
}

fn invalid(reason: String) -> MailError {
    MailError(format!("invalid SMTP URL: {reason}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn parsed(raw: &str) -> SmtpUrl {
        parse(raw).unwrap()
    }

    #[test]
    fn plain_smtp_means_starttls_required_on_the_submission_port() {
        let url = parsed("smtp://mailer:s3cret@mail.example.com");
        assert_eq!(url.host, "mail.example.com");
        assert_eq!(url.port, 587);
        assert_eq!(url.security, Security::StartTls);
        assert_eq!(url.credentials, Some(("mailer".into(), "s3cret".into())));
        assert_eq!(url.hello_name, None);
        assert_eq!(
            parsed("smtp://mail.example.com:2525?tls=required").security,
            Security::StartTls
        );
        assert_eq!(parsed("smtp://mail.example.com:2525").port, 2525);
    }

    #[test]
    fn smtps_means_implicit_tls_on_port_465() {
        let url = parsed("smtps://mailer:pw@mail.example.com");
        assert_eq!((url.port, url.security), (465, Security::ImplicitTls));
        assert_eq!(parsed("smtps://mail.example.com:1465").port, 1465);
    }

    #[test]
    fn plaintext_and_opportunistic_must_be_asked_for() {
        let url = parsed("smtp://127.0.0.1:1025?tls=none");
        assert_eq!(url.host, "127.0.0.1");
        assert_eq!((url.port, url.security), (1025, Security::Plaintext));
        assert_eq!(parsed("smtp://localhost?tls=none").port, 25);
        let url = parsed("smtp://relay.internal?tls=opportunistic");
        assert_eq!((url.port, url.security), (587, Security::Opportunistic));
    }

    #[test]
    fn credentials_are_percent_decoded() {
        let url = parsed("smtp://me%40example.com:p%40ss%3Aw%2Frd%25@mail.example.com");
        assert_eq!(
            url.credentials,
            Some(("me@example.com".into(), "p@ss:w/rd%".into()))
        );
    }

    #[test]
    fn ipv6_hosts_lose_their_brackets_and_a_path_names_the_client() {
        let url = parsed("smtp://[::1]:2525/client.example.com?tls=none");
        assert_eq!(url.host, "::1");
        assert_eq!(url.hello_name.as_deref(), Some("client.example.com"));
    }

    #[test]
    fn doubtful_urls_are_refused_without_echoing_the_password() {
        for raw in [
            "http://user:hunter2@mail.example.com",
            "smtp://user:hunter2@mail.example.com?tls=maybe",
            "smtps://user:hunter2@mail.example.com?tls=none",
            "smtp://user:hunter2@mail.example.com?tsl=none",
            "smtp://user:hunter2@mail.example.com?tls=none&tls=required",
            "smtp://user:hunter2@mail.example.com:25?tls=none",
            "smtp://user@mail.example.com",
            "smtp://:hunter2@mail.example.com",
            "smtp://user:hunter2@:25",
            "not a url hunter2",
        ] {
            let error = parse(raw).err().expect("refused").to_string();
            assert!(!error.contains("hunter2"), "{raw}: {error}");
        }
    }
}
