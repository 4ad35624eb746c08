//! `SmtpMailer` against a real SMTP server: PyPI's aiosmtpd, run as a child process that
//! stores what it receives in a maildir. Install it with `pip install aiosmtpd`; without it
//! the tests that need it are skipped with a note, except under `CI`, where they fail.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tenantry_domain::mail::{InvitationMail, Mail, MailContent, Mailer};
use tenantry_domain::user::Email;
use tenantry_email::SmtpMailer;
use time::macros::datetime;

#[path = "support/mime.rs"]
mod mime;
#[path = "support/smtp_server.rs"]
mod smtp_server;

use smtp_server::{SmtpServer, free_port};

const FROM: &str = "Tenantry <no-reply@example.com>";
const LINK: &str = "http://127.0.0.1:8080/invitations/tok3n?ref=mail";

fn invitation() -> Mail {
    Mail {
        to: Email::try_from("jane@example.com").unwrap(),
        content: MailContent::Invitation(InvitationMail {
            org_name: "Acme".into(),
            inviter_name: "Ada Lovelace".into(),
            role: "Member".into(),
            expires_at: datetime!(2026-12-08 10:00 UTC),
            link: LINK.into(),
        }),
    }
}

#[tokio::test]
async fn an_invitation_reaches_a_real_smtp_server() {
    let Some(server) = SmtpServer::start() else {
        return;
    };
    let mailer = SmtpMailer::from_url(&server.url("?tls=none"), FROM).unwrap();

    mailer.send(&invitation()).await.unwrap();

    let message = mime::parse(&server.wait_for_message().await);
    // Set by aiosmtpd from the SMTP envelope, so this is where the server would deliver.
    assert_eq!(message.header("X-RcptTo"), Some("jane@example.com"));
    assert_eq!(message.header("X-MailFrom"), Some("no-reply@example.com"));
    assert_eq!(message.header("To"), Some("jane@example.com"));
    assert_eq!(
        message.header("Subject"),
        Some("Ada Lovelace invited you to Acme on Tenantry")
    );
    assert!(message.part("text/plain").contains(LINK));
    assert!(
        message
            .part("text/html")
            .contains(&format!(r#"<a href="{LINK}">{LINK}</a>"#))
    );
}

#[tokio::test]
async fn a_bare_smtp_url_refuses_a_server_without_starttls() {
    let Some(server) = SmtpServer::start() else {
        return;
    };
    let mailer = SmtpMailer::from_url(&server.url(""), FROM).unwrap();

    let error = mailer.send(&invitation()).await.unwrap_err();

    assert!(server.messages().is_empty(), "sent in plaintext: {error}");
}

#[tokio::test]
async fn without_a_server_send_fails_with_the_cause() {
    let port = free_port();
    let mailer = SmtpMailer::from_url(&format!("smtp://127.0.0.1:{port}?tls=none"), FROM)
        .unwrap()
        .with_timeout(Duration::from_secs(2));

    let outcome = tokio::time::timeout(Duration::from_secs(20), mailer.send(&invitation())).await;

    let error = outcome.expect("send hung").unwrap_err().to_string();
    assert!(error.contains(&format!("127.0.0.1:{port}")), "{error}");
    assert!(error.to_lowercase().contains("connection"), "{error}");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    // Never accepted, yet the kernel completes the TCP handshake: the client then waits for a
    // greeting that does not come.
    let silent = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = silent.local_addr().unwrap().port();
    let mailer = SmtpMailer::from_url(&format!("smtp://127.0.0.1:{port}?tls=none"), FROM)
        .unwrap()
        .with_timeout(Duration::from_secs(1));

    let started = Instant::now();
    let outcome = tokio::time::timeout(Duration::from_secs(20), mailer.send(&invitation())).await;

    assert!(outcome.expect("send hung").is_err());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_connection_abandoned_mid_message_is_not_reused() {
    let server = FakeServer::stalling_after_first_data();
    let mailer = SmtpMailer::from_url(&format!("smtp://127.0.0.1:{}?tls=none", server.port), FROM)
        .unwrap()
        .with_timeout(Duration::from_secs(1));

    assert!(mailer.send(&invitation()).await.is_err());
    // Lets the abandoned connection reach its pool, as it would between two deliveries.
    tokio::time::sleep(Duration::from_millis(200)).await;
    // On the first connection the server still waits to answer the first message's DATA.
    mailer.send(&invitation()).await.unwrap();

    assert_eq!(server.connections.load(Ordering::SeqCst), 2);
}

/// A scripted SMTP server that accepts every message but never answers the end of the first
/// one's DATA, the way a server that stalls mid-transaction looks to the client.
struct FakeServer {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl FakeServer {
    fn stalling_after_first_data() -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&connections);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let first = counter.fetch_add(1, Ordering::SeqCst) == 0;
                std::thread::spawn(move || converse(stream.unwrap(), first));
            }
        });
        Self { port, connections }
    }
}

fn converse(stream: TcpStream, stall_after_data: bool) {
    let mut reply = stream.try_clone().unwrap();
    let mut say = move |line: &str| reply.write_all(format!("{line}\r\n").as_bytes()).is_ok();
    say("220 fake.test ESMTP");
    let mut lines = BufReader::new(stream).lines();
    let mut in_data = false;
    let mut stalled = false;
    while let Some(Ok(line)) = lines.next() {
        if stalled {
            continue;
        }
        let answered = if in_data {
            if line != "." {
                continue;
            }
            in_data = false;
            stalled = stall_after_data;
            stalled || say("250 queued")
        } else {
            match line
                .get(..4)
                .unwrap_or_default()
                .to_ascii_uppercase()
                .as_str()
            {
                "EHLO" => say("250 fake.test"),
                "DATA" => {
                    in_data = true;
                    say("354 go ahead")
                }
                "QUIT" => {
                    say("221 bye");
                    break;
                }
                _ => say("250 ok"),
            }
        };
        if !answered {
            break;
        }
    }
}
