//! Against a hand-rolled HTTP/1.1 receiver on 127.0.0.1: the only address these tests reach.
#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use tenantry_domain::webhook::{WebhookSender, WebhookUrl};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tower_service::Service;

use super::{HttpSender, SenderSettings, timed_out};
use crate::resolver::PublicResolver;
use crate::target::judge;

/// What the receiver got.
struct Received {
    head: String,
    body: Vec<u8>,
}

fn url(text: &str) -> WebhookUrl {
    WebhookUrl::try_from(text).unwrap()
}

fn sender(allow_private: bool) -> HttpSender {
    HttpSender::new(SenderSettings {
        allow_private,
        ..SenderSettings::default()
    })
}

async fn listener() -> (TcpListener, u16) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// Reads one request (head and `content-length` body) from `stream`.
async fn read_request(stream: &mut TcpStream) -> Received {
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed before the request head ended");
        data.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(data[..end].to_vec()).unwrap();
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().unwrap())
        })
        .unwrap_or(0);
    let mut body = data[end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed before the body ended");
        body.extend_from_slice(&chunk[..n]);
    }
    Received { head, body }
}

/// Answers one request with `answer` (status line and headers, without the blank line).
fn respond_once(listener: TcpListener, answer: impl Into<String>) -> JoinHandle<Received> {
    let answer = answer.into();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let received = read_request(&mut stream).await;
        let reply = format!("{answer}\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello");
        stream.write_all(reply.as_bytes()).await.unwrap();
        stream.shutdown().await.unwrap();
        received
    })
}

/// Asserts that nothing connected to `listener` within a moment.
async fn assert_no_connection(listener: &TcpListener) {
    let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
    assert!(accepted.is_err(), "a connection was made");
}

#[tokio::test]
async fn post_delivers_body_and_headers_and_returns_the_status() {
    let (listener, port) = listener().await;
    let receiver = respond_once(listener, "HTTP/1.1 204 No Content");
    let status = sender(true)
        .post(
            &url(&format!("http://127.0.0.1:{port}/hooks?x=1")),
            vec![
                ("webhook-id", "evt_1".to_owned()),
                ("webhook-signature", "v1,abc=".to_owned()),
            ],
            br#"{"type":"org.created"}"#.to_vec(),
        )
        .await;
    assert_eq!(status, Ok(204));
    let received = receiver.await.unwrap();
    let head = received.head.to_ascii_lowercase();
    assert!(head.starts_with("post /hooks?x=1 http/1.1\r\n"), "{head}");
    assert!(
        head.contains("\r\ncontent-type: application/json\r\n"),
        "{head}"
    );
    assert!(
        head.contains("\r\nuser-agent: tenantry-webhooks/1.0\r\n"),
        "{head}"
    );
    assert!(head.contains("\r\nwebhook-id: evt_1\r\n"), "{head}");
    assert!(
        head.contains("\r\nwebhook-signature: v1,abc=\r\n"),
        "{head}"
    );
    assert_eq!(received.body, br#"{"type":"org.created"}"#);
}

#[tokio::test]
async fn post_returns_an_error_status_as_the_answer() {
    let (listener, port) = listener().await;
    let receiver = respond_once(listener, "HTTP/1.1 500 Internal Server Error");
    let status = sender(true)
        .post(
            &url(&format!("http://127.0.0.1:{port}/")),
            vec![],
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(status, Ok(500));
    receiver.await.unwrap();
}

#[tokio::test]
async fn post_does_not_follow_redirects() {
    let (elsewhere, other_port) = listener().await;
    let (listener, port) = listener().await;
    let answer = format!("HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:{other_port}/");
    let receiver = respond_once(listener, answer);
    let status = sender(true)
        .post(
            &url(&format!("http://127.0.0.1:{port}/")),
            vec![],
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(status, Ok(302));
    receiver.await.unwrap();
    assert_no_connection(&elsewhere).await;
}

#[tokio::test]
async fn post_refuses_a_loopback_literal_without_connecting() {
    let (listener, port) = listener().await;
    let error = sender(false)
        .post(
            &url(&format!("http://127.0.0.1:{port}/")),
            vec![],
            b"{}".to_vec(),
        )
        .await
        .unwrap_err();
    assert!(error.contains("127.0.0.1 may not be reached"), "{error}");
    assert_no_connection(&listener).await;
}

#[tokio::test]
async fn post_refuses_a_name_resolving_to_loopback_at_connection_time() {
    let (listener, port) = listener().await;
    let error = sender(false)
        .post(
            &url(&format!("http://localhost:{port}/")),
            vec![],
            b"{}".to_vec(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        error,
        "localhost resolves only to addresses that may not be reached"
    );
    assert_no_connection(&listener).await;
}

#[tokio::test]
async fn post_times_out_when_the_receiver_never_answers() {
    let (listener, port) = listener().await;
    let silent = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let _request = read_request(&mut stream).await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(stream);
    });
    let sender = HttpSender::new(SenderSettings {
        allow_private: true,
        timeout: Duration::from_millis(300),
    });
    let started = std::time::Instant::now();
    let error = sender
        .post(
            &url(&format!("http://127.0.0.1:{port}/")),
            vec![],
            b"{}".to_vec(),
        )
        .await
        .unwrap_err();
    assert_eq!(error, "timed out after 300 ms");
    assert!(started.elapsed() < Duration::from_secs(3));
    silent.abort();
}

#[tokio::test]
async fn post_reports_a_failed_tls_handshake() {
    let (listener, port) = listener().await;
    let plain = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buffer = [0u8; 1024];
        let _ = stream.read(&mut buffer).await;
        let _ = stream
            .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
            .await;
    });
    let error = sender(true)
        .post(
            &url(&format!("https://127.0.0.1:{port}/")),
            vec![],
            b"{}".to_vec(),
        )
        .await
        .unwrap_err();
    assert!(error.starts_with("connection failed: "), "{error}");
    plain.await.unwrap();
}

#[tokio::test]
async fn post_reports_a_refused_connection() {
    let (listener, port) = listener().await;
    drop(listener);
    let error = sender(true)
        .post(
            &url(&format!("http://127.0.0.1:{port}/")),
            vec![],
            b"{}".to_vec(),
        )
        .await
        .unwrap_err();
    assert!(error.starts_with("connection failed: "), "{error}");
}

#[tokio::test]
async fn post_refuses_an_invalid_header_value_without_panicking() {
    let (listener, port) = listener().await;
    let error = sender(true)
        .post(
            &url(&format!("http://127.0.0.1:{port}/")),
            vec![("webhook-id", "a\r\nb".to_owned())],
            b"{}".to_vec(),
        )
        .await
        .unwrap_err();
    assert!(error.starts_with("header webhook-id"), "{error}");
    assert_no_connection(&listener).await;
}

#[tokio::test]
async fn check_target_refuses_internal_addresses() {
    let sender = sender(false);
    for (target, named) in [
        ("http://127.0.0.1/", "127.0.0.1"),
        ("http://localhost/", "localhost"),
        ("http://LocalHost./", "localhost"),
        ("http://[::1]/", "::1"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254",
        ),
        ("https://10.0.0.1:8443/", "10.0.0.1"),
        ("http://[::ffff:192.168.1.1]/", "192.168.1.1"),
        ("http://0.0.0.0/", "0.0.0.0"),
    ] {
        let error = sender.check_target(&url(target)).await.unwrap_err();
        assert_eq!(error.field, "url", "{target}");
        assert!(error.message.contains(named), "{target}: {}", error.message);
        assert!(
            error
                .message
                .ends_with("set TENANTRY_WEBHOOK_ALLOW_PRIVATE=true to allow such targets"),
            "{target}: {}",
            error.message
        );
    }
}

#[tokio::test]
async fn check_target_names_the_literal_address() {
    let error = sender(false)
        .check_target(&url("http://10.0.0.1/"))
        .await
        .unwrap_err();
    assert_eq!(
        error.message,
        "points to 10.0.0.1, a private, loopback or link-local address; \
         set TENANTRY_WEBHOOK_ALLOW_PRIVATE=true to allow such targets"
    );
}

#[tokio::test]
async fn check_target_accepts_public_literals_and_anything_when_allowed() {
    assert_eq!(
        sender(false)
            .check_target(&url("https://93.184.216.34/"))
            .await,
        Ok(())
    );
    let allowing = sender(true);
    for target in [
        "http://127.0.0.1/",
        "http://localhost/",
        "http://[::1]/",
        "http://169.254.169.254/",
    ] {
        assert_eq!(
            allowing.check_target(&url(target)).await,
            Ok(()),
            "{target}"
        );
    }
}

#[test]
fn judge_names_a_literal_address_but_never_what_a_name_resolves_to() {
    let ips: Vec<IpAddr> = ["10.0.0.1", "93.184.216.34", "127.0.0.1", "10.0.0.1"]
        .iter()
        .map(|ip| ip.parse().unwrap())
        .collect();
    let error = judge("resolves to", &ips).unwrap_err();
    assert_eq!(
        error.message,
        "resolves to a private, loopback or link-local address; \
         set TENANTRY_WEBHOOK_ALLOW_PRIVATE=true to allow such targets"
    );
    let error = judge("points to", &ips[..1]).unwrap_err();
    assert!(error.message.starts_with("points to 10.0.0.1, "), "{error}");
    assert_eq!(judge("resolves to", &ips[1..2]), Ok(()));
}

#[tokio::test]
async fn resolver_keeps_loopback_only_when_allowed() {
    let name = "localhost".parse().unwrap();
    let addrs: Vec<_> = PublicResolver {
        allow_private: true,
    }
    .call(name)
    .await
    .unwrap()
    .collect();
    assert!(
        addrs.iter().all(|addr| addr.ip().is_loopback()),
        "{addrs:?}"
    );
    assert!(!addrs.is_empty());

    let name = "localhost".parse().unwrap();
    let error = PublicResolver {
        allow_private: false,
    }
    .call(name)
    .await
    .unwrap_err();
    assert!(error.to_string().contains("may not be reached"), "{error}");
}

#[test]
fn timeouts_read_in_seconds_or_milliseconds() {
    assert_eq!(timed_out(Duration::from_secs(10)), "timed out after 10 s");
    assert_eq!(
        timed_out(Duration::from_millis(300)),
        "timed out after 300 ms"
    );
    assert_eq!(
        timed_out(Duration::from_millis(1500)),
        "timed out after 1500 ms"
    );
}

#[test]
fn settings_default_to_public_targets_and_ten_seconds() {
    let settings = SenderSettings::default();
    assert!(!settings.allow_private);
    assert_eq!(settings.timeout, Duration::from_secs(10));
}
