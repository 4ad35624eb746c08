//! Authorise first, then lock: while another writer holds an org's lock (PostgreSQL) or the
//! database's write turn (SQLite), a caller from outside the org is still answered at once,
//! because it is refused on a read before it asks for either. Were the check made under the
//! lock, these requests would wait for it, and the test would give up on them.

use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use serde_json::json;
use tenantry_domain::ids::OrgId;
use tenantry_domain::ports::UnitOfWork;
use tenantry_persistence::testing;

use crate::helpers::spawn_app_on;

/// Long enough for any request here on a loaded machine; only a request stuck behind the
/// lock takes longer (it would wait for ever).
const PATIENCE: Duration = Duration::from_secs(20);

#[actix_web::test]
async fn a_stranger_is_refused_while_the_orgs_lock_is_held_by_another_writer() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let stranger = app.sign_up("stranger@example.com").await;
        let org = app.create_org(&owner, "Acme").await;
        let members = format!("/api/orgs/{org}/members/{}", owner.id);
        let post = |path: &str, body| (Method::POST, format!("/api/orgs/{org}/{path}"), body);
        let requests = [
            (
                Method::PUT,
                members.clone(),
                Some(json!({"role": "viewer"})),
            ),
            (Method::DELETE, members, None),
            post(
                "invitations/email",
                Some(json!({"email": "x@example.com", "role": "member"})),
            ),
            post("invitations/link", Some(json!({"role": "member"}))),
            post(
                "transfer-ownership",
                Some(json!({"newOwnerId": stranger.id})),
            ),
            post("leave", None),
            post(
                "roles",
                Some(json!({"name": "Scanner", "permissions": ["scans:read"]})),
            ),
            (
                Method::PUT,
                format!("/api/orgs/{org}"),
                Some(json!({"name": "Mine"})),
            ),
            (Method::DELETE, format!("/api/orgs/{org}"), None),
        ];

        let held = app.db.database.begin().await.unwrap();
        let org_id: OrgId = org.parse().unwrap();
        assert!(held.orgs().lock_org(org_id).await.unwrap().is_some());
        for (method, path, body) in &requests {
            let answer = tokio::time::timeout(
                PATIENCE,
                app.send(method.clone(), path, Some(&stranger.token), body.clone()),
            )
            .await
            .unwrap_or_else(|_| panic!("{method} {path} waited for the lock"));
            assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {path}");
            assert_eq!(answer.code(), "org_not_found", "{method} {path}");
        }
        drop(held);

        // The lock was real and is gone: the owner's write goes through.
        let renamed = app
            .send(
                Method::PUT,
                &format!("/api/orgs/{org}"),
                Some(&owner.token),
                Some(json!({"name": "Acme 2"})),
            )
            .await;
        assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    }
}
