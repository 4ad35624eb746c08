//! The deployment of `docker-compose.yml`, without Docker: two `tenantry` processes on one
//! PostgreSQL database, Debian's nginx balancing between them (trusted as the only proxy), and
//! aiosmtpd as the mail server. A mixed workload goes through nginx from another loopback
//! address (127.0.0.2), then one replica is stopped in the middle of more load.
//!
//! Needs PostgreSQL (`TENANTRY_TEST_POSTGRES_URL`), nginx and aiosmtpd; without them it says
//! so and passes, except in CI, where `.ci/run` provides all three.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::IpAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use futures::future::join_all;
use serde_json::{Value, json};

use crate::support::mime;
use crate::support::smtp_server::SmtpServer;
use crate::support::{Process, Server, free_port, needed, tenantry};

const NGINX: &str = "/usr/sbin/nginx";
/// The clients' own address: nginx (127.0.0.1) is the only trusted proxy, so this is the
/// address the audit log must show.
const CLIENT: &str = "127.0.0.2";
/// The replicas trust a checked token for this long: the documented bound on how late one
/// replica sees a sign-out made on the other.
const SESSION_CACHE_SECONDS: u64 = 1;
const SECRET_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn nginx_available() -> bool {
    needed(Path::new(NGINX).exists(), "Debian's nginx")
}

fn replica(dir: &Path, name: &str, port: u16, database_url: &str, smtp_url: &str) -> Process {
    let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
    let listen = format!("127.0.0.1:{port}");
    let session_cache = SESSION_CACHE_SECONDS.to_string();
    let child = tenantry(
        dir,
        &[
            ("RUST_LOG", "warn"),
            ("TENANTRY_DATABASE_URL", database_url),
            ("TENANTRY_LISTEN", &listen),
            ("TENANTRY_PUBLIC_URL", "http://tenantry.test"),
            ("TENANTRY_SECRET_KEY", SECRET_KEY),
            ("TENANTRY_TRUSTED_PROXIES", "127.0.0.1"),
            ("TENANTRY_SMTP_URL", smtp_url),
            ("TENANTRY_MAIL_POLL_INTERVAL_MS", "100"),
            ("TENANTRY_MAIL_RETRY_DELAY_MS", "200"),
            ("TENANTRY_SESSION_CACHE_SECONDS", &session_cache),
            ("TENANTRY_AUTH_ATTEMPTS_PER_MINUTE", "10000"),
            ("TENANTRY_WORKERS", "2"),
        ],
    )
    .stderr(log)
    .spawn()
    .unwrap();
    Process(child)
}

fn nginx(dir: &Path, port: u16, upstreams: [u16; 2]) -> Process {
    let conf = dir.join("nginx.conf");
    let dir_text = dir.display();
    std::fs::write(
        &conf,
        format!(
            r#"
worker_processes 1;
pid {dir_text}/nginx.pid;
error_log {dir_text}/nginx-error.log;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {dir_text}/nginx-body;
    proxy_temp_path {dir_text}/nginx-proxy;
    fastcgi_temp_path {dir_text}/nginx-fastcgi;
    uwsgi_temp_path {dir_text}/nginx-uwsgi;
    scgi_temp_path {dir_text}/nginx-scgi;
    upstream tenantry {{
        server 127.0.0.1:{a} max_fails=1 fail_timeout=30s;
        server 127.0.0.1:{b} max_fails=1 fail_timeout=30s;
        keepalive 16;
        keepalive_timeout 4s;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://tenantry;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_bind 127.0.0.1;
            proxy_buffering off;
            proxy_request_buffering off;
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 2;
        }}
    }}
}}
"#,
            a = upstreams[0],
            b = upstreams[1],
        ),
    )
    .unwrap();
    let child = Command::new(NGINX)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&conf)
        .args(["-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Process(child)
}

fn sigterm(process: &Process) {
    Command::new("kill")
        .args(["-TERM", &process.0.id().to_string()])
        .status()
        .unwrap();
}

/// Signs up through `server`; the bearer token and the account's id.
async fn sign_up(server: &Server, email: &str) -> (String, String) {
    let (status, body) = server
        .api(
            "POST",
            "/api/auth/signup",
            None,
            Some(json!({"email": email, "password": "correct horse", "name": email})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    (
        body["token"].as_str().unwrap().to_owned(),
        body["user"]["_id"].as_str().unwrap().to_owned(),
    )
}

/// The invitation tokens mailed to each address so far, as the mail server received them.
fn mailed_tokens(smtp: &SmtpServer) -> BTreeMap<String, Vec<String>> {
    let mut tokens = BTreeMap::<String, Vec<String>>::new();
    for raw in smtp.messages() {
        let message = mime::parse(&raw);
        let to = message.header("To").unwrap().trim().to_owned();
        let text = message.part("text/plain");
        // Sign-ups are mailed a verification link: only invitations are counted here.
        let Some((_, after)) = text.split_once("/invitations/") else {
            continue;
        };
        let token: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        tokens.entry(to).or_default().push(token);
    }
    tokens
}

async fn wait_for_mail(smtp: &SmtpServer, count: usize) -> BTreeMap<String, Vec<String>> {
    for _ in 0..200 {
        if mailed_tokens(smtp).values().map(Vec::len).sum::<usize>() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Time for a duplicate to show, were there one: many poll intervals of both workers.
    tokio::time::sleep(Duration::from_secs(1)).await;
    mailed_tokens(smtp)
}

/// One org's life through nginx: four invitations taken up, role changes, two transfers.
async fn org_workload(lb: &Server, owner: &str, n: usize) -> String {
    let (status, _, org) = lb
        .request(
            "POST",
            "/api/orgs",
            Some(owner),
            // A client's own X-Forwarded-For is kept by nginx but never believed.
            &[("x-forwarded-for", "198.51.100.9")],
            Some(json!({"name": format!("Org {n}")})),
        )
        .await;
    assert_eq!(status, 201, "{org:?}");
    let org: Value = serde_json::from_slice(&org).unwrap();
    let org = org["_id"].as_str().unwrap().to_owned();
    for i in 0..4 {
        let (status, body) = lb
            .api(
                "POST",
                &format!("/api/orgs/{org}/invitations/email"),
                Some(owner),
                Some(json!({"email": format!("m{i}.org{n}@example.com"), "role": "member"})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    org
}

#[actix_web::test]
async fn two_replicas_behind_nginx_share_one_postgresql_and_lose_nothing_when_one_stops() {
    let Some(db) = tenantry_persistence::testing::postgres().await else {
        return;
    };
    if !nginx_available() {
        return;
    }
    let Some(smtp) = SmtpServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (a_port, b_port, lb_port) = (free_port(), free_port(), free_port());
    let smtp_url = smtp.url("?tls=none");
    let _a = replica(dir.path(), "a", a_port, &db.url, &smtp_url);
    let mut b = replica(dir.path(), "b", b_port, &db.url, &smtp_url);
    let _nginx = nginx(dir.path(), lb_port, [a_port, b_port]);
    let client: IpAddr = CLIENT.parse().unwrap();
    let lb = Server::attach_from(lb_port, Some(client)).await;
    let a = Server::attach(a_port).await;
    let b_direct = Server::attach(b_port).await;

    // A token issued by one replica works on the other.
    let (token, _) = sign_up(&a, "cross@example.com").await;
    let (status, me) = b_direct.api("GET", "/api/me", Some(&token), None).await;
    assert_eq!(status, 200, "{me}");
    // A sign-out on one is honoured by the other within the documented bound.
    let (status, _) = a.api("POST", "/api/auth/logout", Some(&token), None).await;
    assert_eq!(status, 204);
    tokio::time::sleep(Duration::from_millis(SESSION_CACHE_SECONDS * 1000 + 300)).await;
    let (status, _) = b_direct.api("GET", "/api/me", Some(&token), None).await;
    assert_eq!(
        status, 401,
        "the other replica still took a signed-out token"
    );

    // The mixed workload, three orgs at once, through nginx.
    let (owner, _) = sign_up(&lb, "owner@example.com").await;
    let orgs: Vec<String> = join_all((0..3).map(|n| org_workload(&lb, &owner, n))).await;

    // Every invitation is mailed exactly once, though both replicas run a mail worker.
    let mailed = wait_for_mail(&smtp, 12).await;
    assert_eq!(mailed.len(), 12, "{mailed:?}\n{}", smtp.log_text());
    for (to, tokens) in &mailed {
        assert_eq!(tokens.len(), 1, "{to} got {} messages", tokens.len());
    }

    // The invitees sign up and accept through nginx, concurrently.
    let accepted = join_all(mailed.iter().map(|(to, tokens)| {
        let lb = &lb;
        async move {
            let (invitee, id) = sign_up(lb, to).await;
            let (status, body) = lb
                .api(
                    "POST",
                    &format!("/api/invitations/{}/accept", tokens[0]),
                    Some(&invitee),
                    None,
                )
                .await;
            assert_eq!(status, 200, "{body}");
            (
                body["orgId"].as_str().unwrap_or_default().to_owned(),
                id,
                invitee,
            )
        }
    }))
    .await;

    // Role changes and two transfers per org, racing each other.
    for org in &orgs {
        let members: Vec<&(String, String, String)> =
            accepted.iter().filter(|(o, _, _)| o == org).collect();
        assert_eq!(members.len(), 4, "{accepted:?}");
        let paths: Vec<String> = members
            .iter()
            .map(|(_, id, _)| format!("/api/orgs/{org}/members/{id}"))
            .collect();
        let roles = ["admin", "viewer", "auditor", "admin"];
        let changes = paths
            .iter()
            .zip(roles)
            .map(|(path, role)| lb.api("PUT", path, Some(&owner), Some(json!({"role": role}))));
        for (status, body) in join_all(changes).await {
            assert_eq!(status, 200, "{body}");
        }
        let transfer = format!("/api/orgs/{org}/transfer-ownership");
        let transfers = members[..2].iter().map(|(_, heir, _)| {
            lb.api(
                "POST",
                &transfer,
                Some(&owner),
                Some(json!({ "newOwnerId": heir })),
            )
        });
        let results = join_all(transfers).await;
        let won = results.iter().filter(|(status, _)| *status == 204).count();
        assert_eq!(won, 1, "exactly one transfer wins: {results:?}");
    }

    // Then one replica stops in the middle of more load: org creations (not idempotent,
    // never retried by nginx once sent) and reads (retried on the other replica).
    let load = (0..80).map(|i| {
        let (lb, owner) = (&lb, &owner);
        async move {
            tokio::time::sleep(Duration::from_millis(i * 25)).await;
            let name = format!("Load {i}");
            let create = lb.api(
                "POST",
                "/api/orgs",
                Some(owner),
                Some(json!({ "name": name })),
            );
            let read = lb.api("GET", "/api/me", Some(owner), None);
            // Both orders, so that round-robin does not send every creation to one replica.
            let (created, read) = if i % 3 == 0 {
                let read = read.await;
                (create.await, read)
            } else {
                (create.await, read.await)
            };
            (name, created.0, read.0)
        }
    });
    let stop = async {
        tokio::time::sleep(Duration::from_millis(800)).await;
        // It was serving its share of the load when it was told to stop.
        let served = org_creations_served(&b_direct).await;
        sigterm(&b);
        served
    };
    let (results, served_by_b) = futures::join!(join_all(load), stop);
    assert!(
        served_by_b > 0.0,
        "the stopped replica had served none of the load"
    );
    let exited = wait_for_exit(&mut b.0).await;
    assert!(
        exited.success(),
        "SIGTERM under load must end in exit 0: {exited}"
    );

    let (status, listed) = lb.api("GET", "/api/orgs", Some(&owner), None).await;
    assert_eq!(status, 200, "{listed}");
    let mut applied = BTreeMap::<String, usize>::new();
    for org in listed["organizations"].as_array().unwrap() {
        *applied
            .entry(org["name"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    let mut failed = 0;
    for (name, created, read) in &results {
        let times = applied.get(name).copied().unwrap_or(0);
        assert!(times <= 1, "{name} was applied {times} times");
        if (200..300).contains(created) {
            assert_eq!(times, 1, "{name} was answered {created} but is not there");
        } else {
            failed += 1;
        }
        assert_eq!(*read, 200, "a read must be retried on the replica left");
    }
    let _ = writeln!(
        std::io::stderr(),
        "replica stopped mid-load after serving {served_by_b} creations: {} answered, \
         {failed} refused",
        results.len() - failed
    );

    // Afterwards, through the replica left: one owner per org, intact audit chains, and the
    // client's address (not nginx's, not the forged one) in the audit log.
    for org in &orgs {
        let members = org_members(&lb, org, &accepted).await;
        let owners = members
            .iter()
            .filter(|member| member["role"] == "owner")
            .count();
        assert_eq!(owners, 1, "{members:?}");
        let auditor = auditor_of(&accepted, org);
        let (status, verified) = lb
            .api(
                "GET",
                &format!("/api/orgs/{org}/audit-logs/verify"),
                Some(auditor),
                None,
            )
            .await;
        assert_eq!(status, 200, "{verified}");
        assert_eq!(verified["intact"], true, "{verified}");
        let (status, logs) = lb
            .api(
                "GET",
                &format!("/api/orgs/{org}/audit-logs?limit=200"),
                Some(auditor),
                None,
            )
            .await;
        assert_eq!(status, 200, "{logs}");
        let entries = logs["logs"].as_array().unwrap();
        assert!(entries.len() >= 10, "{logs}");
        for entry in entries {
            assert_eq!(entry["ip"], CLIENT, "{entry}");
        }
    }
    drop(db);
}

/// How many `POST /api/orgs` a replica has answered, from its own `/metrics`.
async fn org_creations_served(replica: &Server) -> f64 {
    let (status, _, body) = replica.request("GET", "/metrics", None, &[], None).await;
    assert_eq!(status, 200);
    String::from_utf8(body.to_vec())
        .unwrap()
        .lines()
        .filter(|line| {
            line.starts_with("tenantry_http_requests_total{")
                && line.contains(r#"method="POST""#)
                && line.contains(r#"route="/api/orgs""#)
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn wait_for_exit(child: &mut std::process::Child) -> std::process::ExitStatus {
    for _ in 0..400 {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the replica did not exit within 40 s of SIGTERM");
}

/// The member list of `org`, read by one of its members.
async fn org_members(lb: &Server, org: &str, accepted: &[(String, String, String)]) -> Vec<Value> {
    let reader = auditor_of(accepted, org);
    let (status, body) = lb
        .api(
            "GET",
            &format!("/api/orgs/{org}/members"),
            Some(reader),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["members"].as_array().unwrap().clone()
}

/// The invitee who was made the org's auditor (the third of its four).
fn auditor_of<'a>(accepted: &'a [(String, String, String)], org: &str) -> &'a str {
    accepted
        .iter()
        .filter(|(o, _, _)| o == org)
        .nth(2)
        .map(|(_, _, token)| token.as_str())
        .unwrap()
}
