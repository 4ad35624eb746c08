//! The operator's commands, run as the real binary against the database a running app uses.

use std::process::Command;

use actix_web::http::StatusCode;
use tenantry_persistence::testing;

use crate::helpers::spawn_app_on;

fn tenantry(database_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tenantry"))
        .args(args)
        .env("TENANTRY_DATABASE_URL", database_url)
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
