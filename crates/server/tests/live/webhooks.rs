//! Webhooks end to end: the server's own workers post to a receiver on 127.0.0.1 that fails
//! its first tries; every event still arrives, once answered, in the org's order, and every
//! signature checks out under an implementation of Standard Webhooks written here on `ring`
//! (the server signs with the `hmac` crate).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::Server;

/// One request as the receiver got it, and what it answered.
#[derive(Clone, Debug)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
    answered: u16,
    at: Instant,
}

/// An HTTP/1.1 receiver on 127.0.0.1 that answers 500 to its first `failures` requests and
/// 204 after, keeping each request.
async fn receiver(failures: usize) -> (u16, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::<Received>::new()));
    let kept = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let kept = kept.clone();
            tokio::spawn(async move {
                let mut data = Vec::new();
                let mut buffer = [0u8; 8192];
                // Head first, then as many body bytes as content-length says.
                let (head_end, length) = loop {
                    let n = stream.read(&mut buffer).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    data.extend_from_slice(&buffer[..n]);
                    if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&data[..end]).to_lowercase();
                        let length = head
                            .lines()
                            .find_map(|line| line.strip_prefix("content-length:"))
                            .and_then(|value| value.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        break (end + 4, length);
                    }
                };
                while data.len() < head_end + length {
                    let n = stream.read(&mut buffer).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    data.extend_from_slice(&buffer[..n]);
                }
                let head = String::from_utf8_lossy(&data[..head_end]).to_string();
                let header = |name: &str| {
                    head.lines()
                        .find_map(|line| {
                            let (key, value) = line.split_once(':')?;
                            key.eq_ignore_ascii_case(name)
                                .then(|| value.trim().to_owned())
                        })
                        .unwrap_or_default()
                };
                let answered = {
                    let mut all = kept.lock().unwrap();
                    let answered = if all.len() < failures { 500 } else { 204 };
                    all.push(Received {
                        id: header("webhook-id"),
                        timestamp: header("webhook-timestamp"),
                        signature: header("webhook-signature"),
                        body: data[head_end..head_end + length].to_vec(),
                        answered,
                        at: Instant::now(),
                    });
                    answered
                };
                let response = format!(
                    "HTTP/1.1 {answered} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    (port, received)
}

/// Standard Webhooks verification, written from the specification on `ring`.
fn signed_by(secret: &str, received: &Received) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key);
    let mut content = format!("{}.{}.", received.id, received.timestamp).into_bytes();
    content.extend_from_slice(&received.body);
    let expected = STANDARD.encode(ring::hmac::sign(&key, &content).as_ref());
    received
        .signature
        .split(' ')
        .any(|candidate| candidate == format!("v1,{expected}"))
}

#[actix_web::test]
async fn a_failing_receiver_gets_every_event_once_it_recovers_in_order_and_signed() {
    let (port, received) = receiver(3).await;
    let server = Server::start_with(|config| {
        config.webhook_allow_private = true;
        config.webhook_retry_delay_ms = std::num::NonZeroU64::new(100).unwrap();
        config.webhook_poll_interval_ms = std::num::NonZeroU64::new(50).unwrap();
    })
    .await;
    let (owner, org) = server.owned_org("Olga Owner", "Hooked").await;
    let hooks = format!("/api/orgs/{org}/webhooks");
    let (status, created) = server
        .api(
            "POST",
            &hooks,
            Some(&owner),
            Some(json!({
                "url": format!("http://127.0.0.1:{port}/in"),
                "events": ["member.invited", "invitation.link_created", "org.updated"],
            })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    let hook = created["_id"].as_str().unwrap().to_owned();

    // Three subscribed events, and one that is not (a revocation).
    let invitation = server
        .invite(
            &org,
            &owner,
            json!({"email": "ivy@example.com", "role": "member"}),
        )
        .await;
    let (status, _) = server
        .api(
            "POST",
            &format!("/api/orgs/{org}/invitations/link"),
            Some(&owner),
            Some(json!({"role": "viewer"})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = server
        .api(
            "DELETE",
            &format!("/api/orgs/{org}/invitations/{invitation}"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = server
        .api(
            "PUT",
            &format!("/api/orgs/{org}"),
            Some(&owner),
            Some(json!({"name": "Hooked Inc"})),
        )
        .await;
    assert_eq!(status, 200);

    let deadline = Instant::now() + Duration::from_secs(30);
    let all = loop {
        let all = received.lock().unwrap().clone();
        if all.iter().filter(|r| r.answered == 204).count() >= 3 {
            break all;
        }
        assert!(Instant::now() < deadline, "not delivered in time: {all:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Nothing more comes: no duplicate, and the revocation was never subscribed.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let all_after = received.lock().unwrap().clone();
    assert_eq!(all_after.len(), all.len(), "{all_after:?}");
    let failures = metric(&server, "tenantry_webhook_delivery_failures_total").await;
    assert_eq!(failures, 3.0);
    assert_eq!(metric(&server, "tenantry_webhook_queued").await, 0.0);
    assert_eq!(metric(&server, "tenantry_webhooks_failing").await, 0.0);

    for request in &all {
        assert!(signed_by(&secret, request), "bad signature: {request:?}");
        let sent: i64 = request.timestamp.parse().unwrap();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        assert!((now - sent).abs() < 300, "timestamp {sent} vs {now}");
    }
    let bodies: Vec<Value> = all
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    let types: Vec<&str> = bodies.iter().map(|b| b["type"].as_str().unwrap()).collect();
    // The first event is retried until taken; the others wait behind it.
    assert_eq!(
        types,
        [
            "member.invited",
            "member.invited",
            "member.invited",
            "member.invited",
            "invitation.link_created",
            "org.updated"
        ]
    );
    let answers: Vec<u16> = all.iter().map(|r| r.answered).collect();
    assert_eq!(answers, [500, 500, 500, 204, 204, 204]);
    let first_ids: Vec<&str> = all[..4].iter().map(|r| r.id.as_str()).collect();
    assert!(
        first_ids.iter().all(|id| *id == first_ids[0]),
        "{first_ids:?}"
    );
    for (request, body) in all.iter().zip(&bodies) {
        assert_eq!(body["data"]["_id"], request.id.as_str());
        assert_eq!(body["data"]["orgId"], org.as_str());
        assert_eq!(body["data"]["action"], body["type"]);
    }
    assert_eq!(bodies[5]["data"]["metadata"]["name"], "Hooked Inc");
    assert_eq!(bodies[0]["data"]["target"]["email"], "ivy@example.com");
    // Backoff doubles from the configured 100 ms: each wait is at least the one before.
    let waits: Vec<Duration> = all[..4].windows(2).map(|w| w[1].at - w[0].at).collect();
    for (wait, least) in waits.iter().zip([100, 200, 400]) {
        assert!(*wait >= Duration::from_millis(least - 20), "{waits:?}");
    }

    let (status, log) = server
        .api(
            "GET",
            &format!("{hooks}/{hook}/deliveries"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(status, 200, "{log}");
    assert_eq!(log["total"], 6);
    let statuses: Vec<u64> = log["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|d| d["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [500, 500, 500, 204, 204, 204]);
    let first = &log["deliveries"][5];
    assert_eq!(
        (first["attempt"].as_u64(), first["delivered"].as_bool()),
        (Some(1), Some(false))
    );
    assert_eq!(log["deliveries"][2]["attempt"], 4);
    assert_eq!(log["deliveries"][2]["eventType"], "member.invited");
}

/// The value of the sample `name` (no labels) on `/metrics`.
async fn metric(server: &Server, name: &str) -> f64 {
    let (status, _, body) = server.request("GET", "/metrics", None, &[], None).await;
    assert_eq!(status, 200);
    let text = String::from_utf8(body.to_vec()).unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

/// Waits until `received` holds `count` requests, and returns them.
async fn first_received(received: &Mutex<Vec<Received>>, count: usize) -> Vec<Received> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all = received.lock().unwrap().clone();
        if all.len() >= count {
            return all;
        }
        assert!(Instant::now() < deadline, "not delivered in time: {all:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn a_paused_webhook_keeps_its_events_until_resumed_and_a_rotated_secret_signs_beside_the_old()
{
    let (port, received) = receiver(0).await;
    let server = Server::start_with(|config| {
        config.webhook_allow_private = true;
        config.webhook_poll_interval_ms = std::num::NonZeroU64::new(50).unwrap();
    })
    .await;
    let (owner, org) = server.owned_org("Olga Owner", "Paused").await;
    let (status, created) = server
        .api(
            "POST",
            &format!("/api/orgs/{org}/webhooks"),
            Some(&owner),
            Some(json!({"url": format!("http://127.0.0.1:{port}/in"), "events": ["org.updated"]})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let first_secret = created["secret"].as_str().unwrap().to_owned();
    let hook = format!(
        "/api/orgs/{org}/webhooks/{}",
        created["_id"].as_str().unwrap()
    );
    let rename = |name: &'static str| {
        let org = org.clone();
        let owner = owner.clone();
        let server = &server;
        async move {
            let path = format!("/api/orgs/{org}");
            let (status, _) = server
                .api("PUT", &path, Some(&owner), Some(json!({"name": name})))
                .await;
            assert_eq!(status, 200);
        }
    };

    let (status, paused) = server
        .api("PATCH", &hook, Some(&owner), Some(json!({"active": false})))
        .await;
    assert_eq!(
        (status, &paused["active"]),
        (200, &json!(false)),
        "{paused}"
    );
    rename("Paused One").await;
    rename("Paused Two").await;
    // Ten times the workers' poll interval: a worker would have posted by now.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(received.lock().unwrap().is_empty(), "posted while paused");
    assert_eq!(metric(&server, "tenantry_webhooks_paused").await, 1.0);
    assert_eq!(metric(&server, "tenantry_webhook_queued").await, 2.0);
    let oldest = metric(&server, "tenantry_webhook_oldest_age_seconds").await;
    assert_eq!(oldest, 0.0, "a paused webhook's queue is meant to wait");

    let (status, resumed) = server
        .api("PATCH", &hook, Some(&owner), Some(json!({"active": true})))
        .await;
    assert_eq!(
        (status, &resumed["active"]),
        (200, &json!(true)),
        "{resumed}"
    );
    let waited = first_received(&received, 2).await;
    let names: Vec<Value> = waited
        .iter()
        .map(|r| {
            serde_json::from_slice::<Value>(&r.body).unwrap()["data"]["metadata"]["name"].clone()
        })
        .collect();
    assert_eq!(
        names,
        [json!("Paused One"), json!("Paused Two")],
        "in order"
    );
    assert!(waited.iter().all(|r| signed_by(&first_secret, r)));
    assert!(
        waited.iter().all(|r| !r.signature.contains(' ')),
        "one signature"
    );
    assert_eq!(metric(&server, "tenantry_webhooks_paused").await, 0.0);

    let (status, rotated) = server
        .api("POST", &format!("{hook}/secret"), Some(&owner), None)
        .await;
    assert_eq!(status, 200, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, first_secret);
    let until = time::OffsetDateTime::parse(
        rotated["previousSecretExpiresAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let day_ahead = time::OffsetDateTime::now_utc() + time::Duration::hours(24);
    assert!(
        (until - day_ahead).abs() < time::Duration::minutes(1),
        "{until}"
    );
    rename("Rotated").await;
    let after = first_received(&received, 3).await;
    let during_overlap = &after[2];
    assert_eq!(during_overlap.signature.split(' ').count(), 2);
    assert!(
        signed_by(&new_secret, during_overlap),
        "the new secret verifies"
    );
    assert!(
        signed_by(&first_secret, during_overlap),
        "so does the old one, for now"
    );

    let (_, listed) = server
        .api(
            "GET",
            &format!("/api/orgs/{org}/webhooks"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(
        listed["webhooks"][0]["previousSecretExpiresAt"],
        rotated["previousSecretExpiresAt"]
    );
    assert!(
        !listed.to_string().contains(&new_secret[6..]),
        "never listed"
    );
    let (_, audit) = server
        .api(
            "GET",
            &format!("/api/orgs/{org}/audit-logs?action=webhook.secret_rotated"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(audit["total"], 1, "{audit}");
    assert!(!audit.to_string().contains(&new_secret[6..]));
}

#[actix_web::test]
async fn a_test_event_reaches_a_webhook_that_does_not_subscribe_to_it_signed() {
    let (port, received) = receiver(0).await;
    let server = Server::start_with(|config| {
        config.webhook_allow_private = true;
        config.webhook_poll_interval_ms = std::num::NonZeroU64::new(50).unwrap();
    })
    .await;
    let (owner, org) = server.owned_org("Olga Owner", "Tested").await;
    let (status, created) = server
        .api(
            "POST",
            &format!("/api/orgs/{org}/webhooks"),
            Some(&owner),
            Some(
                json!({"url": format!("http://127.0.0.1:{port}/in"), "events": ["member.joined"]}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = created["_id"].as_str().unwrap().to_owned();
    let hook = format!("/api/orgs/{org}/webhooks/{id}");

    let (status, queued) = server
        .api("POST", &format!("{hook}/test"), Some(&owner), None)
        .await;
    assert_eq!(status, 202, "{queued}");
    let event = queued["eventId"].as_str().unwrap();
    let got = first_received(&received, 1).await;
    assert_eq!(got[0].id, event);
    assert!(signed_by(&secret, &got[0]));
    let body: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body["type"], "webhook.tested");
    assert_eq!(body["data"]["target"]["webhookId"], id.as_str());

    let (_, log) = server
        .api("GET", &format!("{hook}/deliveries"), Some(&owner), None)
        .await;
    assert_eq!(log["deliveries"][0]["eventId"], event, "{log}");
    assert_eq!(log["deliveries"][0]["delivered"], true);
    // Sent once: the test did not queue it twice, nor for anyone else.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(received.lock().unwrap().len(), 1);
}
