//! The operator's commands, run as the real binary against the database a running app uses.

use std::process::Command;

use actix_web::http::StatusCode;
use tenantry_persistence::testing;

use crate::helpers::{TEST_SECRET_KEY, spawn_app_on};

fn tenantry(database_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tenantry"))
        .args(args)
        .env("TENANTRY_DATABASE_URL", database_url)
        .env("TENANTRY_SECRET_KEY", TEST_SECRET_KEY)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the tenantry binary runs")
}

#[actix_web::test]
async fn set_plan_and_add_member_work_while_the_app_has_the_database_open() {
    let db = testing::sqlite().await;
    let url = db.url.clone();
    let app = spawn_app_on(db).await;
    let jane = app.sign_up("jane@example.com").await;
    let john = app.sign_up("john@example.com").await;
    let org = app.create_org(&jane, "Acme").await;

    let set_plan = tenantry(&url, &["set-plan", &org, "team"]);
    assert!(
        set_plan.status.success(),
        "{}",
        String::from_utf8_lossy(&set_plan.stderr)
    );
    assert_eq!(
        app.get(&format!("/api/orgs/{org}"), &jane.token).await.body["plan"],
        "team"
    );

    let add = tenantry(
        &url,
        &["add-member", &org, "JOHN@example.com", "--role", "auditor"],
    );
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    assert_eq!(
        app.role_of(&org, &jane, &john).await.as_deref(),
        Some("auditor")
    );

    let twice = tenantry(&url, &["add-member", &org, "john@example.com"]);
    assert!(!twice.status.success());
    assert!(String::from_utf8_lossy(&twice.stderr).contains("already a member"));
    let bad_plan = tenantry(&url, &["set-plan", &org, "gold"]);
    assert!(!bad_plan.status.success());
    assert_eq!(
        app.get(&format!("/api/orgs/{org}"), &jane.token)
            .await
            .status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn import_members_adds_who_is_missing_within_the_seats_and_audits_each() {
    for db in testing::all().await {
        let url = db.url.clone();
        let app = spawn_app_on(db).await;
        let jane = app.sign_up("jane@example.com").await;
        let john = app.sign_up("john@example.com").await;
        let org = app.create_org(&jane, "Acme").await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("people.csv");
        std::fs::write(
            &file,
            "email,name,role\nJOHN@example.com,John,admin\nann@example.com,Ann,\n\
             bob@example.com,Bob,viewer\n",
        )
        .unwrap();
        let file = file.to_str().unwrap();

        let import = tenantry(&url, &["import-members", &org, file]);
        assert!(
            import.status.success(),
            "{}",
            String::from_utf8_lossy(&import.stderr)
        );
        let members = app
            .get(&format!("/api/orgs/{org}/members"), &jane.token)
            .await;
        let listed: Vec<(&str, &str)> = members.body["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["email"].as_str().unwrap(), m["role"].as_str().unwrap()))
            .collect();
        assert_eq!(listed.len(), 4);
        for expected in [
            ("john@example.com", "admin"),
            ("ann@example.com", "member"),
            ("bob@example.com", "viewer"),
        ] {
            assert!(listed.contains(&expected), "{expected:?} in {listed:?}");
        }
        assert_eq!(
            app.role_of(&org, &jane, &john).await.as_deref(),
            Some("admin")
        );
        let audit = app
            .get(
                &format!("/api/orgs/{org}/audit-logs?action=member.added"),
                &jane.token,
            )
            .await;
        assert_eq!(audit.body["total"], 3);
        // A made account has no password: nothing signs it in.
        let ann = app
            .post_sign_up(serde_json::json!({"email": "ann@example.com", "password": "whatever1", "name": "Ann"}))
            .await;
        assert_eq!(ann.status, StatusCode::CONFLICT);
        let sign_in = app
            .send(
                actix_web::http::Method::POST,
                "/api/auth/login",
                None,
                Some(serde_json::json!({"email": "ann@example.com", "password": "!"})),
            )
            .await;
        assert_eq!(sign_in.status, StatusCode::UNAUTHORIZED);

        // Again: nobody twice. Then past the free plan's 5 seats: nothing of that file lands.
        let again = tenantry(&url, &["import-members", &org, file]);
        assert!(again.status.success());
        let over = dir.path().join("over.csv");
        std::fs::write(&over, "email,name\nc@example.com,C\nd@example.com,D\n").unwrap();
        let refused = tenantry(&url, &["import-members", &org, over.to_str().unwrap()]);
        assert!(!refused.status.success());
        assert!(String::from_utf8_lossy(&refused.stderr).contains("seat"));
        let members = app
            .get(&format!("/api/orgs/{org}/members"), &jane.token)
            .await;
        assert_eq!(members.body["members"].as_array().unwrap().len(), 4);
    }
}
