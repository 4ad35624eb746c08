//! What an operator relies on: `/metrics` read by a real Prometheus parser, request ids, and
//! logs that hold no secret, from the real binary.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::support::{Server, free_port, needed, tenantry};

/// Whether python3 can import `module` (from PyPI's `package`). Without it the test says so
/// and passes, except in CI (`CI` set), where `.ci/run` installs it.
fn python_has(module: &str, package: &str) -> bool {
    let installed = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .status()
        .is_ok_and(|status| status.success());
    needed(installed, &format!("{package} (PyPI) for python3"))
}

/// Parses `/metrics` with prometheus_client (PyPI); `None` when it is not installed.
fn parse_metrics(text: &str) -> Option<Vec<Value>> {
    if !python_has("prometheus_client", "prometheus-client") {
        return None;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/live/parse_metrics.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the parser refused /metrics: {}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect(),
    )
}

fn sample(samples: &[Value], name: &str, labels: &Value) -> Option<f64> {
    samples
        .iter()
        .find(|s| s["name"] == name && labels_match(&s["labels"], labels))
        .and_then(|s| s["value"].as_f64())
}

fn labels_match(have: &Value, want: &Value) -> bool {
    want.as_object()
        .unwrap()
        .iter()
        .all(|(key, value)| have.get(key) == Some(value))
}

#[actix_web::test]
async fn metrics_count_requests_per_route_template_and_show_the_pool_outbox_and_sessions() {
    let server = Server::start_with(|config| {
        // No delivery during the test: the invitations stay in the outbox.
        config.mail_poll_interval_ms = std::num::NonZeroU64::new(3_600_000).unwrap();
    })
    .await;
    let (owner, org) = server.owned_org("Olive Owner", "Acme").await;
    for n in 0..3 {
        let (status, _) = server
            .api("GET", &format!("/api/orgs/{org}"), Some(&owner), None)
            .await;
        assert_eq!(status, 200, "request {n}");
    }
    for email in ["a@example.com", "b@example.com"] {
        server
            .invite(&org, &owner, json!({"email": email, "role": "member"}))
            .await;
    }
    let (status, _) = server.api("GET", "/no/such/route", None, None).await;
    assert_eq!(status, 404);

    let (status, headers, body) = server.request("GET", "/metrics", None, &[], None).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"),
        "{headers:?}"
    );
    let text = String::from_utf8(body.to_vec()).unwrap();
    let Some(samples) = parse_metrics(&text) else {
        return;
    };

    let get_org = json!({"method": "GET", "route": "/api/orgs/{org_id}", "status": "200"});
    assert_eq!(
        sample(&samples, "tenantry_http_requests_total", &get_org),
        Some(3.0)
    );
    assert_eq!(
        sample(
            &samples,
            "tenantry_http_request_duration_seconds_count",
            &get_org
        ),
        Some(3.0)
    );
    let unmatched = json!({"route": "(no route)", "status": "404"});
    assert_eq!(
        sample(&samples, "tenantry_http_requests_total", &unmatched),
        Some(1.0)
    );
    // Paths never become labels: no id, no token.
    assert!(!text.contains(&org), "{text}");
    assert!(!text.contains("/no/such/route"), "{text}");

    let gauge = |name: &str| {
        sample(&samples, name, &json!({})).unwrap_or_else(|| panic!("{name} missing from\n{text}"))
    };
    // The two invitations, and the owner's verification link from sign-up.
    assert_eq!(gauge("tenantry_outbox_undelivered"), 3.0);
    assert_eq!(gauge("tenantry_outbox_failing"), 0.0);
    assert!(gauge("tenantry_outbox_oldest_age_seconds") >= 0.0);
    assert_eq!(gauge("tenantry_active_sessions"), 1.0);
    assert!(gauge("tenantry_db_pool_connections") >= 1.0);
    assert_eq!(
        gauge("tenantry_db_pool_in_use") + gauge("tenantry_db_pool_idle"),
        gauge("tenantry_db_pool_connections")
    );
    assert_eq!(gauge("tenantry_db_pool_waiting"), 0.0);
    assert_eq!(gauge("tenantry_mail_delivery_failures_total"), 0.0);
    for webhooks in [
        "tenantry_webhook_queued",
        "tenantry_webhook_oldest_age_seconds",
        "tenantry_webhooks_failing",
        "tenantry_webhooks_paused",
        "tenantry_webhook_delivery_failures_total",
    ] {
        assert_eq!(gauge(webhooks), 0.0, "{webhooks}");
    }
}

#[actix_web::test]
async fn a_request_id_is_taken_or_made_and_echoed_in_the_header_and_error_bodies() {
    let server = Server::start().await;
    let id_of = |headers: &hyper::HeaderMap| headers["x-request-id"].to_str().unwrap().to_owned();

    let given = [("x-request-id", "trace-42.abc_DEF:1")];
    let (status, headers, body) = server.request("GET", "/api/me", None, &given, None).await;
    assert_eq!(status, 401);
    assert_eq!(id_of(&headers), "trace-42.abc_DEF:1");
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["requestId"], "trace-42.abc_DEF:1", "{body}");
    assert_eq!(body["error"]["code"], "unauthenticated");

    // An id that could forge a log line or is too long is replaced by a fresh one.
    let long = "a".repeat(tenantry_http::REQUEST_ID_MAX_LEN + 1);
    for unsafe_id in ["two words", "x\"}{\"admin\":true", long.as_str()] {
        let headers = [("x-request-id", unsafe_id)];
        let (_, answered, _) = server
            .request("GET", "/healthz", None, &headers, None)
            .await;
        let made = id_of(&answered);
        assert_ne!(made, unsafe_id);
        assert!(uuid::Uuid::parse_str(&made).is_ok(), "{made}");
    }

    let (_, first, body) = server.request("GET", "/healthz", None, &[], None).await;
    let (_, second, _) = server.request("GET", "/healthz", None, &[], None).await;
    assert_ne!(id_of(&first), id_of(&second));
    // A success carries the id in its header only.
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json!({"status": "ok"})
    );
}

/// The real binary with JSON logs at debug level: requests that carry a password, tokens,
/// an invitation secret and integration credentials leave none of them in any log line, and
/// every line is one JSON object.
#[actix_web::test]
async fn no_secret_reaches_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let database_url = format!("sqlite://{}", dir.path().join("t.db").display());
    let outbox = dir.path().join("mail");
    let mut child = tenantry(
        dir.path(),
        &[
            ("TENANTRY_LOG_FORMAT", "json"),
            ("RUST_LOG", "debug"),
            ("TENANTRY_LISTEN", &listen),
            ("TENANTRY_DATABASE_URL", &database_url),
            ("TENANTRY_MAIL_OUTBOX", outbox.to_str().unwrap()),
            ("TENANTRY_MAIL_POLL_INTERVAL_MS", "100"),
        ],
    )
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let stderr = child.stderr.take().unwrap();
    let lines = std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    let server = Server::attach(port).await;

    const PASSWORD: &str = "planted-Password-7f3a";
    const CREDENTIAL: &str = "planted-credential-9c2e";
    let (status, signed_up) = server
        .api(
            "POST",
            "/api/auth/signup",
            None,
            Some(json!({"email": "olive@example.com", "password": PASSWORD, "name": "Olive"})),
        )
        .await;
    assert_eq!(status, 201, "{signed_up}");
    let token = signed_up["token"].as_str().unwrap().to_owned();
    let (status, login) = server
        .api(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({"email": "olive@example.com", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, 200, "{login}");
    let (status, wrong) = server
        .api(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({"email": "olive@example.com", "password": format!("{PASSWORD}-x")})),
        )
        .await;
    assert_eq!(status, 401, "{wrong}");
    let (_, org) = server
        .api(
            "POST",
            "/api/orgs",
            Some(&token),
            Some(json!({"name": "Acme"})),
        )
        .await;
    let org = org["_id"].as_str().unwrap().to_owned();
    let (status, _) = server
        .api(
            "PUT",
            "/api/me/active-org",
            Some(&token),
            Some(json!({"orgId": org})),
        )
        .await;
    assert_eq!(status, 204);
    let (status, created) = server
        .api(
            "POST",
            "/api/org/integrations",
            Some(&token),
            Some(json!({
                "type": "aws",
                "config": {"region": "eu-west-1"},
                "credentials": {"secret_access_key": CREDENTIAL},
            })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let (status, link) = server
        .api(
            "POST",
            &format!("/api/orgs/{org}/invitations/link"),
            Some(&token),
            Some(json!({"role": "member"})),
        )
        .await;
    assert_eq!(status, 201, "{link}");
    let (_, code) = link["link"]
        .as_str()
        .unwrap()
        .rsplit_once("/join/")
        .unwrap();
    let code = code.to_owned();
    let (status, _) = server
        .api("GET", &format!("/api/join/{code}"), None, None)
        .await;
    assert_eq!(status, 200);
    let (status, _) = server
        .api("GET", &format!("/api/join/{code}x"), None, None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = server
        .api("GET", "/api/me", Some(&format!("{token}x")), None)
        .await;
    assert_eq!(status, 401);
    let (status, _) = server
        .api("POST", "/api/auth/logout", Some(&token), None)
        .await;
    assert_eq!(status, 204);

    // SIGTERM, then read everything the process wrote.
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    let lines = lines.join().unwrap();
    let log = lines.join("\n");

    assert!(lines.len() > 10, "{log}");
    for line in &lines {
        let parsed: Result<Value, _> = serde_json::from_str(line);
        assert!(
            parsed.is_ok_and(|v| v.is_object()),
            "not a JSON object: {line}"
        );
    }
    let requests = lines
        .iter()
        .filter(|line| line.contains("\"message\":\"request\""))
        .count();
    assert!(requests >= 10, "one line per request expected:\n{log}");
    for planted in [PASSWORD, CREDENTIAL, token.as_str(), code.as_str()] {
        assert!(!log.contains(planted), "{planted} is in the log:\n{log}");
    }
}

/// The document the binary prints (and serves) passes openapi-spec-validator (PyPI).
#[test]
fn the_openapi_document_passes_a_standard_validator() {
    if !python_has("openapi_spec_validator", "openapi-spec-validator") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    let printed = Command::new(env!("CARGO_BIN_EXE_tenantry"))
        .arg("openapi")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(printed.status.success());
    std::fs::write(&file, &printed.stdout).unwrap();
    let checked = Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "{}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
}
