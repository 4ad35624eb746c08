//! Invitations made, looked up and taken up are rate limited, per signed-in account and per
//! client address (`TENANTRY_INVITATION_ATTEMPTS_PER_MINUTE`): 429 with `Retry-After`.

use std::num::NonZeroU32;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::json;
use tenantry_domain::authz::BuiltinRole;
use tenantry_domain::plan::Plan;
use tenantry_persistence::testing;
use tenantry_server::Config;

use crate::helpers::spawn_app_with;

const PER_MINUTE: u32 = 3;

fn config() -> Config {
    Config {
        invitation_attempts_per_minute: NonZeroU32::new(PER_MINUTE).unwrap(),
        ..Config::default()
    }
}

#[actix_web::test]
async fn one_account_makes_so_many_invitations_a_minute_and_others_are_not_held_up() {
    let app = spawn_app_with(config(), testing::sqlite().await).await;
    let owner = app.sign_up("owner@example.com").await;
    let admin = app.sign_up("admin@example.com").await;
    let org = app.create_org(&owner, "Acme").await;
    app.add_member(&org, &admin, BuiltinRole::Admin).await;
    app.set_plan(&org, Plan::Team).await;
    let path = format!("/api/orgs/{org}/invitations/email");
    let body = |n: u32| json!({"email": format!("new{n}@example.com"), "role": "member"});
    for n in 0..PER_MINUTE {
        let made = app.post(&path, &owner.token, body(n)).await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    }
    let refused = app.post(&path, &owner.token, body(99)).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    assert_eq!(refused.code(), "rate_limited");
    // Nothing was made by the refused request.
    let listed = app
        .get(&format!("/api/orgs/{org}/invitations"), &owner.token)
        .await;
    assert_eq!(listed.body["invitations"].as_array().unwrap().len(), 3);
    // Another account of the same org has its own allowance.
    let made = app.post(&path, &admin.token, body(50)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
}

#[actix_web::test]
async fn one_client_looks_up_so_many_invitation_tokens_a_minute() {
    let app = spawn_app_with(config(), testing::sqlite().await).await;
    let guess = |peer: &str, n: u32| {
        TestRequest::get()
            .uri(&format!("/api/invitations/inv_guess{n}"))
            .peer_addr(format!("{peer}:40000").parse().unwrap())
            .to_request()
    };
    for n in 0..PER_MINUTE {
        let answer = app.raw(guess("203.0.113.5", n)).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
    }
    let refused = actix_web::test::call_service(app.service(), guess("203.0.113.5", 9)).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().get("retry-after").is_some());
    let elsewhere = app.raw(guess("198.51.100.7", 10)).await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
}
