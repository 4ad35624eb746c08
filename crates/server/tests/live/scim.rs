//! The SCIM endpoint against an independent conformance suite: PyPI's `scim2-cli` runs
//! `scim2-tester` (discovery, create, read with attribute filtering, search, replace, PATCH
//! add/replace/remove of every attribute, delete, unknown paths) against the real server.

use std::process::Command;

use serde_json::json;

use crate::support::{Server, needed};

/// Whether `scim2` (PyPI `scim2-cli`) runs here; `.ci/run` installs it.
fn scim2_available() -> bool {
    let runs = Command::new("scim2")
        .arg("--help")
        .output()
        .is_ok_and(|output| output.status.success());
    needed(runs, "scim2-cli (PyPI)")
}

#[actix_web::test]
async fn scim2_tester_passes_every_check() {
    if !scim2_available() {
        return;
    }
    let server = Server::start().await;
    let (owner, org) = server.owned_org("Olga", "Acme").await;
    server.set_plan(&org, "enterprise");
    let (status, made) = server
        .api(
            "POST",
            &format!("/api/orgs/{org}/scim/tokens"),
            Some(&owner),
            Some(json!({"name": "scim2-tester"})),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let token = made["token"].as_str().unwrap().to_owned();
    let base = format!("{}/scim/v2/{org}", server.base);

    // The token goes in the environment, not on the command line other users can read.
    let output = tokio::task::spawn_blocking(move || {
        Command::new("scim2")
            .args(["--url", &base, "test"])
            .env("SCIM_CLI_HEADERS", format!("Authorization: Bearer {token}"))
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    let verdicts: Vec<&str> = report
        .lines()
        .filter(|line| !line.starts_with(' ') && !line.starts_with("Performing"))
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    let passed = verdicts.iter().filter(|v| **v == "SUCCESS").count();
    let other: Vec<&str> = report
        .lines()
        .filter(|line| {
            line.split_whitespace()
                .next()
                .is_some_and(|v| matches!(v, "ERROR" | "CRITICAL" | "SKIPPED"))
        })
        .collect();
    assert!(
        output.status.success() && other.is_empty() && passed >= 60,
        "scim2 test: {passed} passed, not passed: {other:?}\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
