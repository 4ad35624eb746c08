//! Verified domains end to end: the `tenantry` binary asks a real DNS server (dnslib, started
//! on a free port on 127.0.0.1, see `dns_server.py`) through `TENANTRY_DNS_SERVER`; an org
//! verifies its domain, turns auto-join on, and a new sign-up on that domain confirms its
//! address through the link in the mail outbox and joins with the default role. A second
//! domain is verified by the periodic check, without anyone asking.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Process, Server, free_port, mime, needed, tenantry};

fn dnslib_installed() -> bool {
    Command::new("python3")
        .args(["-c", "import dnslib"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The DNS server, serving the TXT records of `zone` (rewritten by [`publish`]); its port.
fn dns_server(zone: &std::path::Path) -> (Process, u16) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/live/dns_server.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(zone)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().parse().unwrap();
    (Process(child), port)
}

fn publish(zone: &std::path::Path, records: &Value) {
    // Written whole, then renamed: the server never reads half a file.
    let next = zone.with_extension("next");
    std::fs::write(&next, records.to_string()).unwrap();
    std::fs::rename(next, zone).unwrap();
}

/// Waits for the mail worker to write a message to `to` with a verification link, and
/// returns the link as the plain-text part shows it.
async fn verification_link(server: &Server, to: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    let prefix = format!("{}/verify-email/", server.base);
    loop {
        for entry in std::fs::read_dir(&server.mail)
            .into_iter()
            .flatten()
            .flatten()
        {
            let raw = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let message = mime::parse(&raw);
            if !message.header("To").is_some_and(|value| value.contains(to)) {
                continue;
            }
            let text = message.part("text/plain");
            if let Some(start) = text.find(&prefix) {
                return text[start..]
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .collect();
            }
        }
        assert!(Instant::now() < deadline, "no verification mail to {to}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn a_domain_verified_by_dns_lets_a_confirmed_sign_up_join_with_the_default_role() {
    if !needed(dnslib_installed(), "PyPI's dnslib (pip install dnslib)") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let zone = dir.path().join("zone.json");
    publish(&zone, &json!({}));
    let (_dns, dns_port) = dns_server(&zone);

    let port = free_port();
    let database_url = format!("sqlite://{}", dir.path().join("t.db").display());
    let listen = format!("127.0.0.1:{port}");
    let base = format!("http://127.0.0.1:{port}");
    let outbox = dir.path().join("mail");
    let dns = format!("127.0.0.1:{dns_port}");
    let log = std::fs::File::create(dir.path().join("tenantry.log")).unwrap();
    let process = tenantry(
        dir.path(),
        &[
            ("RUST_LOG", "warn"),
            ("TENANTRY_DATABASE_URL", &database_url),
            ("TENANTRY_LISTEN", &listen),
            ("TENANTRY_PUBLIC_URL", &base),
            ("TENANTRY_MAIL_OUTBOX", outbox.to_str().unwrap()),
            ("TENANTRY_MAIL_POLL_INTERVAL_MS", "100"),
            ("TENANTRY_DNS_SERVER", &dns),
            ("TENANTRY_DOMAIN_RECHECK_INTERVAL_S", "1"),
        ],
    )
    .stderr(log)
    .spawn()
    .unwrap();
    let _process = Process(process);
    let mut server = Server::attach(port).await;
    server.mail = outbox;

    let owner = server.sign_up("olive@acme.test", "Olive").await;
    let (status, org) = server
        .api(
            "POST",
            "/api/orgs",
            Some(&owner),
            Some(json!({"name": "Acme"})),
        )
        .await;
    assert_eq!(status, 201, "{org}");
    let org = org["_id"].as_str().unwrap().to_owned();

    // The org adds its domain and is told which TXT record to publish.
    let (status, added) = server
        .api(
            "POST",
            &format!("/api/orgs/{org}/domains"),
            Some(&owner),
            Some(json!({"domain": "acme.test"})),
        )
        .await;
    assert_eq!(status, 201, "{added}");
    let id = added["_id"].as_str().unwrap().to_owned();
    let record = &added["verification"];
    assert_eq!(record["name"], "_tenantry-challenge.acme.test");
    let verify = format!("/api/orgs/{org}/domains/{id}/verify");
    let (status, early) = server.api("POST", &verify, Some(&owner), None).await;
    assert_eq!(status, 409, "{early}");
    assert_eq!(early["error"]["code"], "domain_verification_failed");

    publish(
        &zone,
        &json!({"_tenantry-challenge.acme.test": [record["value"]]}),
    );
    let (status, verified) = server.api("POST", &verify, Some(&owner), None).await;
    assert_eq!(status, 200, "{verified}");
    assert_eq!(verified["status"], "verified");

    let (status, updated) = server
        .api(
            "PATCH",
            &format!("/api/orgs/{org}/domains/{id}"),
            Some(&owner),
            Some(json!({"autoJoin": true, "defaultRole": "viewer"})),
        )
        .await;
    assert_eq!(status, 200, "{updated}");

    // A second domain is published after it is added, and the periodic check verifies it.
    let (status, labs) = server
        .api(
            "POST",
            &format!("/api/orgs/{org}/domains"),
            Some(&owner),
            Some(json!({"domain": "labs.acme.test"})),
        )
        .await;
    assert_eq!(status, 201, "{labs}");
    publish(
        &zone,
        &json!({
            "_tenantry-challenge.acme.test": [record["value"]],
            "_tenantry-challenge.labs.acme.test": [labs["verification"]["value"]],
        }),
    );

    // Someone on the domain signs up; confirming the address offers the org.
    let (status, signed_up) = server
        .api(
            "POST",
            "/api/auth/signup",
            None,
            Some(json!({"email": "someone@acme.test", "password": "correct horse", "name": "Someone"})),
        )
        .await;
    assert_eq!(status, 201, "{signed_up}");
    assert_eq!(signed_up["user"]["emailVerified"], false);
    let someone = signed_up["token"].as_str().unwrap().to_owned();
    let (_, me) = server.api("GET", "/api/me", Some(&someone), None).await;
    assert_eq!(me["joinableOrgs"], json!([]));

    let link = verification_link(&server, "someone@acme.test").await;
    let path = link.strip_prefix(&server.base).unwrap().to_owned();
    // Opening the link confirms nothing; its button does.
    let (status, _, page) = server.request("GET", &path, None, &[], None).await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&page).contains("someone@acme.test"));
    let (_, me) = server.api("GET", "/api/me", Some(&someone), None).await;
    assert_eq!(me["user"]["emailVerified"], false, "{me}");
    let (status, _, page) = server.request("POST", &path, None, &[], None).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&page));

    let (_, me) = server.api("GET", "/api/me", Some(&someone), None).await;
    assert_eq!(me["user"]["emailVerified"], true, "{me}");
    assert_eq!(
        me["joinableOrgs"],
        json!([{"orgId": org, "name": "Acme", "domain": "acme.test", "role": "viewer"}])
    );
    let (status, joined) = server
        .api(
            "POST",
            &format!("/api/me/joinable-orgs/{org}/join"),
            Some(&someone),
            None,
        )
        .await;
    assert_eq!(status, 200, "{joined}");
    assert_eq!(joined["role"], "viewer");

    assert_eq!(
        server.role_of(&org, &owner, "someone@acme.test").await,
        Some("viewer".to_owned())
    );
    let (_, logs) = server
        .api(
            "GET",
            &format!("/api/orgs/{org}/audit-logs?limit=100"),
            Some(&owner),
            None,
        )
        .await;
    let logs = logs["logs"].as_array().unwrap();
    let joined = logs
        .iter()
        .find(|log| log["action"] == "member.joined")
        .expect("member.joined is recorded");
    assert_eq!(joined["metadata"]["via"], "domain");
    assert_eq!(joined["metadata"]["role"], "viewer");
    assert_eq!(joined["target"]["email"], "someone@acme.test");
    for action in ["domain.added", "domain.verified", "domain.updated"] {
        assert!(
            logs.iter().any(|log| log["action"] == action),
            "{action} missing"
        );
    }

    // By now the periodic check has looked the second domain up (every second here).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, listed) = server
            .api(
                "GET",
                &format!("/api/orgs/{org}/domains"),
                Some(&owner),
                None,
            )
            .await;
        let labs_now = listed["domains"]
            .as_array()
            .unwrap()
            .iter()
            .find(|domain| domain["domain"] == "labs.acme.test")
            .cloned()
            .unwrap();
        if labs_now["status"] == "verified" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the periodic check never verified it"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (_, logs) = server
        .api(
            "GET",
            &format!("/api/orgs/{org}/audit-logs?action=domain.verified"),
            Some(&owner),
            None,
        )
        .await;
    assert!(
        logs["logs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|log| log["metadata"]["via"] == "recheck" && log["actor"].is_null()),
        "{logs}"
    );
}
