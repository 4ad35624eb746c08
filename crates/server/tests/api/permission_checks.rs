//! Cases where the permission check alone stands in the way: the caller holds every
//! permission of the roles involved (so the anti-escalation rule passes) but lacks
//! `members:write`. Each fails if its use case asked for `members:read` instead.

use actix_web::http::{Method, StatusCode};
use serde_json::json;
use tenantry_domain::authz::BuiltinRole;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn an_auditor_cannot_change_a_viewers_role_even_to_one_within_their_own_permissions() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner@example.com").await;
    let auditor = app.sign_up("auditor@example.com").await;
    let viewer = app.sign_up("viewer@example.com").await;
    let org = app.create_org(&owner, "Acme").await;
    app.add_member(&org, &auditor, BuiltinRole::Auditor).await;
    app.add_member(&org, &viewer, BuiltinRole::Viewer).await;

    let path = format!("/api/orgs/{org}/members/{}", viewer.id);
    let refused = app
        .put(&path, &auditor.token, json!({"role": "viewer"}))
        .await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    let removed = app
        .send(Method::DELETE, &path, Some(&auditor.token), None)
        .await;
    assert_eq!(
        (removed.status, removed.code()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    assert_eq!(
        app.role_of(&org, &owner, &viewer).await.as_deref(),
        Some("viewer")
    );
}

#[actix_web::test]
async fn a_move_needs_members_write_in_the_target_org_too() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner@example.com").await;
    let mover = app.sign_up("mover@example.com").await;
    let viewer = app.sign_up("viewer@example.com").await;
    let source = app.create_org(&owner, "Source").await;
    let target = app.create_org(&owner, "Target").await;
    app.add_member(&source, &mover, BuiltinRole::Admin).await;
    app.add_member(&target, &mover, BuiltinRole::Auditor).await;
    app.add_member(&source, &viewer, BuiltinRole::Viewer).await;

    let moved = app
        .post(
            &format!("/api/orgs/{source}/members/{}/move", viewer.id),
            &mover.token,
            json!({"targetOrgId": target, "role": "viewer"}),
        )
        .await;
    assert_eq!(
        (moved.status, moved.code()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    assert_eq!(
        app.role_of(&source, &owner, &viewer).await.as_deref(),
        Some("viewer")
    );
    assert_eq!(app.role_of(&target, &owner, &viewer).await, None);
}

#[actix_web::test]
async fn a_move_needs_members_write_in_the_source_org_too() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner@example.com").await;
    let mover = app.sign_up("mover@example.com").await;
    let viewer = app.sign_up("viewer@example.com").await;
    let source = app.create_org(&owner, "Source").await;
    let target = app.create_org(&owner, "Target").await;
    // An auditor reads the source's members but may not change them; in the target the mover
    // may do anything a viewer's move needs.
    app.add_member(&source, &mover, BuiltinRole::Auditor).await;
    app.add_member(&target, &mover, BuiltinRole::Admin).await;
    app.add_member(&source, &viewer, BuiltinRole::Viewer).await;

    let moved = app
        .post(
            &format!("/api/orgs/{source}/members/{}/move", viewer.id),
            &mover.token,
            json!({"targetOrgId": target, "role": "viewer"}),
        )
        .await;
    assert_eq!(
        (moved.status, moved.code()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    assert_eq!(
        app.role_of(&source, &owner, &viewer).await.as_deref(),
        Some("viewer")
    );
    assert_eq!(app.role_of(&target, &owner, &viewer).await, None);
}
