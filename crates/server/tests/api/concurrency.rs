//! The one-owner invariant under concurrent requests: transfers racing each other and
//! removals, fired at once at SQLite and (when configured) PostgreSQL.

use actix_web::http::{Method, StatusCode};
use futures::future::join_all;
use serde_json::json;
use tenantry_domain::authz::BuiltinRole;
use tenantry_persistence::testing;

use crate::helpers::spawn_app_on;

#[actix_web::test]
async fn an_org_keeps_exactly_one_owner_under_racing_transfers_and_removals() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let a = app.sign_up("a@example.com").await;
        let b = app.sign_up("b@example.com").await;
        for round in 0..8 {
            let org = app.create_org(&owner, &format!("Race {round}")).await;
            app.add_member(&org, &a, BuiltinRole::Admin).await;
            app.add_member(&org, &b, BuiltinRole::Admin).await;
            let transfer = format!("/api/orgs/{org}/transfer-ownership");
            let requests = [
                (
                    Method::POST,
                    transfer.clone(),
                    Some(json!({"newOwnerId": a.id})),
                ),
                (
                    Method::POST,
                    transfer.clone(),
                    Some(json!({"newOwnerId": b.id})),
                ),
                (
                    Method::DELETE,
                    format!("/api/orgs/{org}/members/{}", a.id),
                    None,
                ),
                (
                    Method::DELETE,
                    format!("/api/orgs/{org}/members/{}", b.id),
                    None,
                ),
                (Method::POST, format!("/api/orgs/{org}/leave"), None),
            ];
            let responses = join_all(requests.iter().map(|(method, path, body)| {
                app.send(method.clone(), path, Some(&owner.token), body.clone())
            }))
            .await;
            for response in &responses {
                assert!(
                    response.status.is_success() || response.status.is_client_error(),
                    "{} {}",
                    response.status,
                    response.body
                );
            }
            let transfers_won = responses[..2]
                .iter()
                .filter(|r| r.status == StatusCode::NO_CONTENT)
                .count();
            assert!(transfers_won <= 1, "both transfers succeeded");

            let owners = count_owners(app.db.database.connection(), &org).await;
            assert_eq!(owners, 1, "round {round}: {owners} owners");
        }
    }
}

async fn count_owners(connection: &sea_orm::DatabaseConnection, org: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = connection.get_database_backend();
    let placeholder = match backend {
        sea_orm::DbBackend::Postgres => "$1",
        _ => "?",
    };
    let org: uuid::Uuid = org.parse().unwrap();
    let row = connection
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT COUNT(*) AS owners FROM memberships WHERE org_id = {placeholder} AND role = 'owner'"),
            [org.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "owners").unwrap()
}
