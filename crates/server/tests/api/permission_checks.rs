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

/// The mover is an auditor (reads members, may not change them) on one side of the move and
/// an admin on the other: refused either way, and the viewer stays where they were.
#[actix_web::test]
async fn a_move_needs_members_write_in_both_the_source_and_the_target_org() {
    for (in_source, in_target) in [
        (BuiltinRole::Admin, BuiltinRole::Auditor),
        (BuiltinRole::Auditor, BuiltinRole::Admin),
    ] {
        let app = spawn_app().await;
        let owner = app.sign_up("owner@example.com").await;
        let mover = app.sign_up("mover@example.com").await;
        let viewer = app.sign_up("viewer@example.com").await;
        let source = app.create_org(&owner, "Source").await;
        let target = app.create_org(&owner, "Target").await;
        app.add_member(&source, &mover, in_source).await;
        app.add_member(&target, &mover, in_target).await;
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
            (StatusCode::FORBIDDEN, "forbidden"),
            "{in_source:?} in the source, {in_target:?} in the target"
        );
        assert_eq!(
            app.role_of(&source, &owner, &viewer).await.as_deref(),
            Some("viewer")
        );
        assert_eq!(app.role_of(&target, &owner, &viewer).await, None);
    }
}
