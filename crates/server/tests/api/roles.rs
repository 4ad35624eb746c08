use actix_web::http::{Method, StatusCode};
use serde_json::json;
use tenantry_domain::authz::BuiltinRole;
use tenantry_domain::plan::Plan;

use crate::helpers::spawn_app;

fn devops() -> serde_json::Value {
    json!({
        "name": "DevOps Lead",
        "description": "Full access to scans and guardrails, read-only members",
        "permissions": ["repositories:read", "repositories:write", "scans:read", "scans:write",
                        "guardrails:read", "guardrails:write", "members:read"]
    })
}

#[actix_web::test]
async fn custom_roles_need_the_team_plan() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let org = app.create_org(&jane, "Acme").await;
    let some_role = uuid::Uuid::now_v7();
    for (method, path, body) in [
        (Method::GET, format!("/api/orgs/{org}/roles"), None),
        (
            Method::POST,
            format!("/api/orgs/{org}/roles"),
            Some(devops()),
        ),
        (
            Method::PATCH,
            format!("/api/orgs/{org}/roles/{some_role}"),
            Some(json!({"name": "x"})),
        ),
        (
            Method::DELETE,
            format!("/api/orgs/{org}/roles/{some_role}"),
            None,
        ),
    ] {
        let response = app
            .send(method.clone(), &path, Some(&jane.token), body)
            .await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(response.code(), "plan_upgrade_required", "{method} {path}");
    }
}

#[actix_web::test]
async fn a_custom_role_is_created_listed_assigned_updated_and_deleted() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let john = app.sign_up("john@example.com").await;
    let org = app.create_org(&jane, "Acme").await;
    app.set_plan(&org, Plan::Team).await;
    app.add_member(&org, &john, BuiltinRole::Member).await;
    let roles = format!("/api/orgs/{org}/roles");

    // A plain member cannot read the member list...
    let members = format!("/api/orgs/{org}/members");
    assert_eq!(
        app.get(&members, &john.token).await.status,
        StatusCode::FORBIDDEN
    );

    let created = app.post(&roles, &jane.token, devops()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["name"], "DevOps Lead");
    assert_eq!(created.body["memberCount"], 0);
    assert_eq!(created.body["permissions"], devops()["permissions"]);
    let role_id = created.body["_id"].as_str().unwrap().to_owned();

    // ...until given a custom role that includes members:read.
    let assigned = app
        .send(
            Method::PUT,
            &format!("{members}/{}", john.id),
            Some(&jane.token),
            Some(json!({ "role": role_id })),
        )
        .await;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.body);
    assert_eq!(assigned.body["role"], role_id.as_str());
    assert_eq!(assigned.body["roleName"], "DevOps Lead");
    assert_eq!(app.get(&members, &john.token).await.status, StatusCode::OK);
    let listed = app.get(&roles, &jane.token).await;
    assert_eq!(listed.body["roles"][0]["memberCount"], 1);

    let updated = app
        .send(
            Method::PATCH,
            &format!("{roles}/{role_id}"),
            Some(&jane.token),
            Some(json!({"permissions": ["scans:read"], "description": null})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(updated.body["permissions"], json!(["scans:read"]));
    assert_eq!(updated.body["description"], json!(null));
    assert_eq!(updated.body["name"], "DevOps Lead");
    assert_eq!(
        app.get(&members, &john.token).await.status,
        StatusCode::FORBIDDEN
    );

    let deleted = app
        .send(
            Method::DELETE,
            &format!("{roles}/{role_id}"),
            Some(&jane.token),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.role_of(&org, &jane, &john).await.as_deref(),
        Some("member")
    );
    assert_eq!(app.get(&roles, &jane.token).await.body["roles"], json!([]));
}

#[actix_web::test]
async fn role_input_is_validated_naming_the_field() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let org = app.create_org(&jane, "Acme").await;
    app.set_plan(&org, Plan::Team).await;
    let roles = format!("/api/orgs/{org}/roles");

    let unknown = app
        .post(
            &roles,
            &jane.token,
            json!({"name": "Ops", "permissions": ["scans:read", "root:all"]}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.body["error"]["field"], "permissions");
    assert!(
        unknown.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("root:all")
    );

    let empty = app
        .post(
            &roles,
            &jane.token,
            json!({"name": "Ops", "permissions": []}),
        )
        .await;
    assert_eq!(empty.body["error"]["field"], "permissions");
    let builtin = app
        .post(
            &roles,
            &jane.token,
            json!({"name": "Admin", "permissions": ["scans:read"]}),
        )
        .await;
    assert_eq!(builtin.body["error"]["field"], "name");
    let wrong_type = app
        .post(
            &roles,
            &jane.token,
            json!({"name": "Ops", "permissions": "scans:read"}),
        )
        .await;
    assert_eq!(wrong_type.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong_type.body["error"]["field"], "permissions");

    app.post(&roles, &jane.token, devops()).await;
    let taken = app
        .post(
            &roles,
            &jane.token,
            json!({"name": "devops lead", "permissions": ["scans:read"]}),
        )
        .await;
    assert_eq!(
        (taken.status, taken.code()),
        (StatusCode::CONFLICT, "role_name_taken")
    );
    assert_eq!(
        app.get(&roles, &jane.token).await.body["roles"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[actix_web::test]
async fn nobody_grants_permissions_they_do_not_hold() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let admin = app.sign_up("admin@example.com").await;
    let recruiter = app.sign_up("recruiter@example.com").await;
    let target = app.sign_up("target@example.com").await;
    let org = app.create_org(&jane, "Acme").await;
    app.set_plan(&org, Plan::Team).await;
    app.add_member(&org, &admin, BuiltinRole::Admin).await;
    app.add_member(&org, &target, BuiltinRole::Viewer).await;
    let roles = format!("/api/orgs/{org}/roles");

    // An admin lacks billing:write, so cannot put it in a role.
    let billing = app
        .post(
            &roles,
            &admin.token,
            json!({"name": "Billing", "permissions": ["billing:write"]}),
        )
        .await;
    assert_eq!(
        (billing.status, billing.code()),
        (StatusCode::FORBIDDEN, "privilege_escalation")
    );

    // A recruiter may manage members but holds nothing else.
    let recruiting = app
        .post(
            &roles,
            &jane.token,
            json!({"name": "Recruiter", "permissions": ["members:read", "members:write"]}),
        )
        .await;
    let recruiter_role = recruiting.body["_id"].as_str().unwrap();
    app.add_member(&org, &recruiter, BuiltinRole::Viewer).await;
    let assigned = app
        .send(
            Method::PUT,
            &format!("/api/orgs/{org}/members/{}", recruiter.id),
            Some(&jane.token),
            Some(json!({ "role": recruiter_role })),
        )
        .await;
    assert_eq!(assigned.status, StatusCode::OK);

    let target_path = format!("/api/orgs/{org}/members/{}", target.id);
    for role in ["admin", "member"] {
        let response = app
            .send(
                Method::PUT,
                &target_path,
                Some(&recruiter.token),
                Some(json!({ "role": role })),
            )
            .await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{role}");
        assert_eq!(response.code(), "privilege_escalation", "{role}");
    }
    let remove_admin = app
        .send(
            Method::DELETE,
            &format!("/api/orgs/{org}/members/{}", admin.id),
            Some(&recruiter.token),
            None,
        )
        .await;
    assert_eq!(remove_admin.code(), "privilege_escalation");
    let widen_own_role = app
        .send(
            Method::PATCH,
            &format!("{roles}/{recruiter_role}"),
            Some(&recruiter.token),
            Some(json!({"permissions": ["members:read", "members:write", "settings:write"]})),
        )
        .await;
    assert_eq!(widen_own_role.code(), "privilege_escalation");

    // Deleting a role turns its holders into `member`, which holds more than a recruiter does.
    let own_role = app
        .send(
            Method::DELETE,
            &format!("{roles}/{recruiter_role}"),
            Some(&recruiter.token),
            None,
        )
        .await;
    assert_eq!(
        (own_role.status, own_role.code()),
        (StatusCode::FORBIDDEN, "privilege_escalation")
    );
    assert_eq!(
        app.role_of(&org, &jane, &recruiter).await.as_deref(),
        Some(recruiter_role)
    );
    assert_eq!(
        app.role_of(&org, &jane, &target).await.as_deref(),
        Some("viewer")
    );
    assert_eq!(
        app.role_of(&org, &jane, &admin).await.as_deref(),
        Some("admin")
    );
}

#[actix_web::test]
async fn the_team_plan_allows_twenty_custom_roles() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let org = app.create_org(&jane, "Acme").await;
    app.set_plan(&org, Plan::Team).await;
    let roles = format!("/api/orgs/{org}/roles");
    for i in 0..20 {
        let response = app
            .post(
                &roles,
                &jane.token,
                json!({"name": format!("Role {i}"), "permissions": ["scans:read"]}),
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::CREATED,
            "{i}: {}",
            response.body
        );
    }
    let over = app
        .post(
            &roles,
            &jane.token,
            json!({"name": "Role 20", "permissions": ["scans:read"]}),
        )
        .await;
    assert_eq!(
        (over.status, over.code()),
        (StatusCode::CONFLICT, "custom_role_limit_reached")
    );
}
