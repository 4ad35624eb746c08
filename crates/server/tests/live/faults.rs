//! The database goes away while requests run, and comes back. Between the server and
//! PostgreSQL sits a TCP relay that the test cuts (every connection dropped, new ones refused)
//! and restores: what the server sees when the database host fails or the network splits.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::join_all;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

use crate::support::Server;

/// A TCP relay to `upstream` that can be cut and restored.
struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Relay {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let links = Arc::new(Mutex::new(Vec::<AbortHandle>::new()));
        let (accepting, registry) = (up.clone(), links.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                if !accepting.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                registry.lock().unwrap().push(link.abort_handle());
            }
        });
        Self { port, up, links }
    }

    /// Every open connection is dropped and new ones are closed at once.
    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// `url` with its host and port replaced by the relay's.
fn through(url: &str, port: u16) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap();
    let credentials = authority
        .rsplit_once('@')
        .map_or(String::new(), |(who, _)| format!("{who}@"));
    format!("{scheme}://{credentials}127.0.0.1:{port}/{path}")
}

fn upstream_of(url: &str) -> SocketAddr {
    let rest = url.split_once("://").unwrap().1;
    let authority = rest.split('/').next().unwrap();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let (host, port) = host_port.rsplit_once(':').unwrap_or((host_port, "5432"));
    let host = if host == "localhost" {
        "127.0.0.1"
    } else {
        host
    };
    format!("{host}:{port}").parse().unwrap()
}

#[actix_web::test]
async fn while_the_database_is_gone_requests_get_503_nothing_is_half_written_and_it_recovers() {
    let Some(db) = tenantry_persistence::testing::postgres().await else {
        return;
    };
    let relay = Relay::start(upstream_of(&db.url)).await;
    let url = through(&db.url, relay.port);
    let server = Server::start_with(|config| {
        config.database_url = url;
        config.secret_key = Some(tenantry_server::Secret(
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into(),
        ));
        config.db_acquire_timeout_ms = std::num::NonZeroU64::new(2_000).unwrap();
        // Every request reads its session, so every request needs the database.
        config.session_cache_seconds = 0;
    })
    .await;
    let (owner, org) = server.owned_org("Olive Owner", "Acme").await;

    // Writes run while the database goes away under them.
    let writes = (0..24).map(|i| {
        let (server, owner) = (&server, &owner);
        async move {
            tokio::time::sleep(Duration::from_millis(i * 20)).await;
            let name = format!("During {i}");
            let (status, body) = server
                .api(
                    "POST",
                    "/api/orgs",
                    Some(owner),
                    Some(json!({ "name": name })),
                )
                .await;
            (name, status, body)
        }
    });
    let cut = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        relay.cut();
    };
    let (during, ()) = futures::join!(join_all(writes), cut);
    for (name, status, body) in &during {
        assert!(
            (200..300).contains(status) || *status == 503,
            "{name}: {status} {body}"
        );
        if *status == 503 {
            assert_eq!(body["error"]["code"], "unavailable", "{body}");
            assert!(body["error"]["requestId"].is_string(), "{body}");
        }
    }
    let refused = during
        .iter()
        .filter(|(_, status, _)| *status == 503)
        .count();
    assert!(refused > 0, "the cut came after every write");
    let _ = writeln!(
        std::io::stderr(),
        "database cut under {} writes: {} answered, {refused} refused with 503",
        during.len(),
        during.len() - refused
    );

    // While it is gone: 503 in the error shape, not ready, but alive.
    let (status, body) = server.api("GET", "/api/me", Some(&owner), None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("unavailable")),
        "{body}"
    );
    let (status, body) = server
        .api(
            "POST",
            &format!("/api/orgs/{org}/invitations/email"),
            Some(&owner),
            Some(json!({"email": "late@example.com", "role": "member"})),
        )
        .await;
    assert_eq!(status, 503, "{body}");
    let (status, _) = server.api("GET", "/readyz", None, None).await;
    assert_eq!(status, 503);
    let (status, _) = server.api("GET", "/healthz", None, None).await;
    assert_eq!(status, 200);

    // It comes back; the server recovers without a restart.
    relay.restore();
    let mut ready = false;
    for _ in 0..100 {
        if server.api("GET", "/readyz", None, None).await.0 == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        ready,
        "not ready again within 10 s of the database's return"
    );
    let (status, body) = server
        .api(
            "POST",
            "/api/orgs",
            Some(&owner),
            Some(json!({"name": "After"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    // Nothing half-written: each write answered 2xx is there once, none is there twice, and
    // every org that exists has its creation in its audit log, whose chain is intact.
    let (status, listed) = server.api("GET", "/api/orgs", Some(&owner), None).await;
    assert_eq!(status, 200, "{listed}");
    let mut found = BTreeMap::<String, Vec<String>>::new();
    for listed in listed["organizations"].as_array().unwrap() {
        found
            .entry(listed["name"].as_str().unwrap().to_owned())
            .or_default()
            .push(listed["_id"].as_str().unwrap().to_owned());
    }
    for (name, status, _) in &during {
        let times = found.get(name).map_or(0, Vec::len);
        assert!(times <= 1, "{name} exists {times} times");
        if (200..300).contains(status) {
            assert_eq!(times, 1, "{name} was answered {status} but is missing");
        }
    }
    for ids in found.values() {
        let id = &ids[0];
        let (status, verified) = server
            .api(
                "GET",
                &format!("/api/orgs/{id}/audit-logs/verify"),
                Some(&owner),
                None,
            )
            .await;
        assert_eq!(status, 200, "{verified}");
        assert_eq!(verified["intact"], true, "{verified}");
        let (status, logs) = server
            .api(
                "GET",
                &format!("/api/orgs/{id}/audit-logs?action=org.created"),
                Some(&owner),
                None,
            )
            .await;
        assert_eq!(status, 200, "{logs}");
        assert_eq!(logs["total"], 1, "{logs}");
    }
    let (status, invitations) = server
        .api(
            "GET",
            &format!("/api/orgs/{org}/invitations"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(status, 200, "{invitations}");
    assert_eq!(invitations["invitations"].as_array().unwrap().len(), 0);
    drop(db);
}
