use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};
use tenantry_domain::authz::BuiltinRole;
use tenantry_domain::plan::Plan;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn member_list_has_the_spec_fields_in_join_order() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let john = app.sign_up("john@example.com").await;
    let org = app.create_org(&jane, "Acme").await;
    app.add_member(&org, &john, BuiltinRole::Admin).await;

    let response = app
        .get(&format!("/api/orgs/{org}/members"), &jane.token)
        .await;
    assert_eq!(response.status, StatusCode::OK);
    let members = response.body["members"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(members[0]["userId"], jane.id.as_str());
    assert_eq!(members[0]["username"], "jane");
    assert_eq!(members[0]["email"], "jane@example.com");
    assert_eq!(members[0]["role"], "owner");
    assert_eq!(members[1]["role"], "admin");
    assert!(members[1]["joinedAt"].as_str().unwrap().ends_with('Z'));
    assert!(response.body.get("nextCursor").is_none());
}

#[actix_web::test]
async fn member_list_pages_with_limit_and_cursor() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let org = app.create_org(&jane, "Acme").await;
    app.set_plan(&org, Plan::Team).await;
    for i in 0..4 {
        let account = app.sign_up(&format!("user{i}@example.com")).await;
        app.add_member(&org, &account, BuiltinRole::Member).await;
    }
    let everyone = app
        .get(&format!("/api/orgs/{org}/members"), &jane.token)
        .await;
    let everyone: Vec<Value> = everyone.body["members"].as_array().unwrap().clone();
    assert_eq!(everyone.len(), 5);

    let mut seen = Vec::new();
    let mut path = format!("/api/orgs/{org}/members?limit=2");
    loop {
        let page = app.get(&path, &jane.token).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        seen.extend(page.body["members"].as_array().unwrap().iter().cloned());
        match page.body["nextCursor"].as_str() {
            Some(cursor) => path = format!("/api/orgs/{org}/members?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, everyone);

    let exact = app
        .get(&format!("/api/orgs/{org}/members?limit=5"), &jane.token)
        .await;
    assert_eq!(exact.body["members"].as_array().unwrap().len(), 5);
    assert!(exact.body.get("nextCursor").is_none(), "{}", exact.body);
}

#[actix_web::test]
async fn an_admin_changes_a_role_and_the_member_list_shows_it() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let john = app.sign_up("john@example.com").await;
    let ann = app.sign_up("ann@example.com").await;
    let org = app.create_org(&jane, "Acme").await;
    app.add_member(&org, &john, BuiltinRole::Admin).await;
    app.add_member(&org, &ann, BuiltinRole::Viewer).await;

    let response = app
        .send(
            Method::PUT,
            &format!("/api/orgs/{org}/members/{}", ann.id),
            Some(&john.token),
            Some(json!({"role": "auditor"})),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert_eq!(response.body["role"], "auditor");
    assert_eq!(
        app.role_of(&org, &jane, &ann).await.as_deref(),
        Some("auditor")
    );
}

#[actix_web::test]
async fn the_owner_cannot_be_demoted_removed_or_moved_and_owner_is_not_grantable() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let john = app.sign_up("john@example.com").await;
    let org = app.create_org(&jane, "Acme").await;
    let other = app.create_org(&john, "Globex").await;
    app.add_member(&org, &john, BuiltinRole::Admin).await;
    app.add_member(&other, &jane, BuiltinRole::Admin).await;
    let owner_path = format!("/api/orgs/{org}/members/{}", jane.id);

    let demote = app
        .send(
            Method::PUT,
            &owner_path,
            Some(&john.token),
            Some(json!({"role": "viewer"})),
        )
        .await;
    assert_eq!(
        (demote.status, demote.code()),
        (StatusCode::CONFLICT, "owner_immutable")
    );
    let remove = app
        .send(Method::DELETE, &owner_path, Some(&john.token), None)
        .await;
    assert_eq!(
        (remove.status, remove.code()),
        (StatusCode::CONFLICT, "owner_immutable")
    );
    let moved = app
        .post(
            &format!("{owner_path}/move"),
            &john.token,
            json!({"targetOrgId": other}),
        )
        .await;
    assert_eq!(
        (moved.status, moved.code()),
        (StatusCode::CONFLICT, "owner_immutable")
    );

    let grant = app
        .send(
            Method::PUT,
            &format!("/api/orgs/{org}/members/{}", john.id),
            Some(&jane.token),
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_eq!(grant.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(grant.body["error"]["field"], "role");
    assert_eq!(
        app.role_of(&org, &jane, &jane).await.as_deref(),
        Some("owner")
    );
    assert_eq!(
        app.role_of(&org, &jane, &john).await.as_deref(),
        Some("admin")
    );
}

#[actix_web::test]
async fn a_removed_member_loses_access_at_once() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let john = app.sign_up("john@example.com").await;
    let org = app.create_org(&jane, "Acme").await;
    app.add_member(&org, &john, BuiltinRole::Member).await;
    let removed = app
        .send(
            Method::DELETE,
            &format!("/api/orgs/{org}/members/{}", john.id),
            Some(&jane.token),
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/api/orgs/{org}"), &john.token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let again = app
        .send(
            Method::DELETE,
            &format!("/api/orgs/{org}/members/{}", john.id),
            Some(&jane.token),
            None,
        )
        .await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::NOT_FOUND, "member_not_found")
    );
}

#[actix_web::test]
async fn move_takes_the_member_out_of_one_org_and_into_the_other() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let john = app.sign_up("john@example.com").await;
    let from = app.create_org(&jane, "Acme").await;
    let to = app.create_org(&jane, "Acme Labs").await;
    app.add_member(&from, &john, BuiltinRole::Admin).await;

    let response = app
        .post(
            &format!("/api/orgs/{from}/members/{}/move", john.id),
            &jane.token,
            json!({"targetOrgId": to, "role": "viewer"}),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert_eq!(response.body["role"], "viewer");
    assert_eq!(app.role_of(&from, &jane, &john).await, None);
    assert_eq!(
        app.role_of(&to, &jane, &john).await.as_deref(),
        Some("viewer")
    );

    let default_role = app
        .post(
            &format!("/api/orgs/{to}/members/{}/move", john.id),
            &jane.token,
            json!({"targetOrgId": from}),
        )
        .await;
    assert_eq!(default_role.body["role"], "member");
}

#[actix_web::test]
async fn move_needs_members_write_in_the_target_org_too() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let john = app.sign_up("john@example.com").await;
    let mallory = app.sign_up("mallory@example.com").await;
    let from = app.create_org(&jane, "Acme").await;
    let foreign = app.create_org(&mallory, "Evil").await;
    let viewing = app.create_org(&mallory, "Viewing").await;
    app.add_member(&from, &john, BuiltinRole::Member).await;
    app.add_member(&viewing, &jane, BuiltinRole::Viewer).await;
    let path = format!("/api/orgs/{from}/members/{}/move", john.id);

    let not_in_target = app
        .post(&path, &jane.token, json!({"targetOrgId": foreign}))
        .await;
    assert_eq!(not_in_target.status, StatusCode::NOT_FOUND);
    let viewer_in_target = app
        .post(&path, &jane.token, json!({"targetOrgId": viewing}))
        .await;
    assert_eq!(viewer_in_target.status, StatusCode::FORBIDDEN);
    let same = app
        .post(&path, &jane.token, json!({"targetOrgId": from}))
        .await;
    assert_eq!(
        (same.status, same.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "same_org")
    );
    assert_eq!(
        app.role_of(&from, &jane, &john).await.as_deref(),
        Some("member")
    );
}

#[actix_web::test]
async fn move_refuses_an_existing_member_and_a_full_org() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let john = app.sign_up("john@example.com").await;
    let from = app.create_org(&jane, "Acme").await;
    let to = app.create_org(&jane, "Full").await;
    app.add_member(&from, &john, BuiltinRole::Member).await;
    app.add_member(&to, &john, BuiltinRole::Viewer).await;
    let path = format!("/api/orgs/{from}/members/{}/move", john.id);
    let twice = app
        .post(&path, &jane.token, json!({"targetOrgId": to}))
        .await;
    assert_eq!(
        (twice.status, twice.code()),
        (StatusCode::CONFLICT, "already_member")
    );

    // The free plan has 5 seats: fill the target, then try to move one more in.
    let full = app.create_org(&jane, "Five").await;
    for i in 0..4 {
        let account = app.sign_up(&format!("seat{i}@example.com")).await;
        app.add_member(&full, &account, BuiltinRole::Viewer).await;
    }
    let no_seat = app
        .post(&path, &jane.token, json!({"targetOrgId": full}))
        .await;
    assert_eq!(
        (no_seat.status, no_seat.code()),
        (StatusCode::CONFLICT, "seat_limit_reached")
    );
    assert_eq!(
        app.role_of(&from, &jane, &john).await.as_deref(),
        Some("member")
    );

    app.set_plan(&full, Plan::Team).await;
    let room = app
        .post(&path, &jane.token, json!({"targetOrgId": full}))
        .await;
    assert_eq!(room.status, StatusCode::OK, "{}", room.body);
}

#[actix_web::test]
async fn transfer_ownership_swaps_owner_and_admin() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let john = app.sign_up("john@example.com").await;
    let org = app.create_org(&jane, "Acme").await;
    app.add_member(&org, &john, BuiltinRole::Member).await;
    let path = format!("/api/orgs/{org}/transfer-ownership");

    let by_non_owner = app
        .post(&path, &john.token, json!({"newOwnerId": john.id}))
        .await;
    assert_eq!(by_non_owner.status, StatusCode::FORBIDDEN);
    let to_self = app
        .post(&path, &jane.token, json!({"newOwnerId": jane.id}))
        .await;
    assert_eq!(
        (to_self.status, to_self.code()),
        (StatusCode::CONFLICT, "already_owner")
    );
    let outsider = app.sign_up("out@example.com").await;
    let to_outsider = app
        .post(&path, &jane.token, json!({"newOwnerId": outsider.id}))
        .await;
    assert_eq!(
        (to_outsider.status, to_outsider.code()),
        (StatusCode::NOT_FOUND, "member_not_found")
    );

    let done = app
        .post(&path, &jane.token, json!({"newOwnerId": john.id}))
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);
    assert_eq!(
        app.role_of(&org, &john, &john).await.as_deref(),
        Some("owner")
    );
    assert_eq!(
        app.role_of(&org, &john, &jane).await.as_deref(),
        Some("admin")
    );
    let back = app
        .post(&path, &jane.token, json!({"newOwnerId": jane.id}))
        .await;
    assert_eq!(back.status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn the_owner_must_transfer_before_leaving_and_others_just_leave() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let john = app.sign_up("john@example.com").await;
    let org = app.create_org(&jane, "Acme").await;
    app.add_member(&org, &john, BuiltinRole::Admin).await;
    let path = format!("/api/orgs/{org}/leave");

    let owner = app.send(Method::POST, &path, Some(&jane.token), None).await;
    assert_eq!(
        (owner.status, owner.code()),
        (StatusCode::CONFLICT, "owner_must_transfer")
    );
    let admin = app.send(Method::POST, &path, Some(&john.token), None).await;
    assert_eq!(admin.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/api/orgs/{org}"), &john.token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/orgs/{org}"), &jane.token).await.body["memberCount"],
        1
    );
}
