//! The permission matrix: every org route x every built-in role x (own org, another tenant's
//! org), generated from one table. The expectations below are written from `docs/roles.md`,
//! not computed from the domain's role table, so a wrong grant in either fails here.

use actix_http::Request;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};
use tenantry_domain::authz::BuiltinRole::{self, Admin, Auditor, Member, Owner, Viewer};
use tenantry_domain::plan::Plan;

use crate::helpers::{Account, TestApp, spawn_app_with};

/// The ids a request needs, fresh for every case.
struct World {
    org: String,
    target: String,
    role: String,
    second_org: String,
    /// A pending e-mail invitation of `org`.
    invitation: String,
}

struct Route {
    name: &'static str,
    allowed: &'static [BuiltinRole],
    success: StatusCode,
    /// A role outside `allowed` that gets another status than 403.
    exception: Option<(BuiltinRole, StatusCode)>,
    request: fn(&World) -> (Method, String, Option<Value>),
}

const EVERYONE: &[BuiltinRole] = &[Owner, Admin, Auditor, Member, Viewer];
const MANAGERS: &[BuiltinRole] = &[Owner, Admin];
const READERS_OF_MEMBERS: &[BuiltinRole] = &[Owner, Admin, Auditor];

const ROUTES: &[Route] = &[
    Route {
        name: "get org",
        allowed: EVERYONE,
        success: StatusCode::OK,
        exception: None,
        request: |w| (Method::GET, format!("/api/orgs/{}", w.org), None),
    },
    Route {
        name: "update org",
        allowed: MANAGERS,
        success: StatusCode::OK,
        exception: None,
        request: |w| {
            (
                Method::PUT,
                format!("/api/orgs/{}", w.org),
                Some(json!({"name": "Renamed"})),
            )
        },
    },
    Route {
        name: "delete org",
        allowed: &[Owner],
        success: StatusCode::NO_CONTENT,
        exception: None,
        request: |w| (Method::DELETE, format!("/api/orgs/{}", w.org), None),
    },
    Route {
        name: "list members",
        allowed: READERS_OF_MEMBERS,
        success: StatusCode::OK,
        exception: None,
        request: |w| (Method::GET, format!("/api/orgs/{}/members", w.org), None),
    },
    Route {
        name: "update member role",
        allowed: MANAGERS,
        success: StatusCode::OK,
        exception: None,
        request: |w| {
            (
                Method::PUT,
                format!("/api/orgs/{}/members/{}", w.org, w.target),
                Some(json!({"role": "member"})),
            )
        },
    },
    Route {
        name: "remove member",
        allowed: MANAGERS,
        success: StatusCode::NO_CONTENT,
        exception: None,
        request: |w| {
            (
                Method::DELETE,
                format!("/api/orgs/{}/members/{}", w.org, w.target),
                None,
            )
        },
    },
    Route {
        name: "move member",
        allowed: MANAGERS,
        success: StatusCode::OK,
        exception: None,
        request: |w| {
            (
                Method::POST,
                format!("/api/orgs/{}/members/{}/move", w.org, w.target),
                Some(json!({"targetOrgId": w.second_org})),
            )
        },
    },
    Route {
        name: "transfer ownership",
        allowed: &[Owner],
        success: StatusCode::NO_CONTENT,
        exception: None,
        request: |w| {
            (
                Method::POST,
                format!("/api/orgs/{}/transfer-ownership", w.org),
                Some(json!({"newOwnerId": w.target})),
            )
        },
    },
    Route {
        name: "leave",
        allowed: &[Admin, Auditor, Member, Viewer],
        success: StatusCode::NO_CONTENT,
        exception: Some((Owner, StatusCode::CONFLICT)),
        request: |w| (Method::POST, format!("/api/orgs/{}/leave", w.org), None),
    },
    Route {
        name: "list roles",
        allowed: READERS_OF_MEMBERS,
        success: StatusCode::OK,
        exception: None,
        request: |w| (Method::GET, format!("/api/orgs/{}/roles", w.org), None),
    },
    Route {
        name: "create role",
        allowed: MANAGERS,
        success: StatusCode::CREATED,
        exception: None,
        request: |w| {
            (
                Method::POST,
                format!("/api/orgs/{}/roles", w.org),
                Some(json!({"name": "New", "permissions": ["scans:read"]})),
            )
        },
    },
    Route {
        name: "update role",
        allowed: MANAGERS,
        success: StatusCode::OK,
        exception: None,
        request: |w| {
            (
                Method::PATCH,
                format!("/api/orgs/{}/roles/{}", w.org, w.role),
                Some(json!({"description": "changed"})),
            )
        },
    },
    Route {
        name: "delete role",
        allowed: MANAGERS,
        success: StatusCode::NO_CONTENT,
        exception: None,
        request: |w| {
            (
                Method::DELETE,
                format!("/api/orgs/{}/roles/{}", w.org, w.role),
                None,
            )
        },
    },
    Route {
        name: "list audit logs",
        allowed: READERS_OF_MEMBERS,
        success: StatusCode::OK,
        exception: None,
        request: |w| (Method::GET, format!("/api/orgs/{}/audit-logs", w.org), None),
    },
    Route {
        name: "verify audit logs",
        allowed: READERS_OF_MEMBERS,
        success: StatusCode::OK,
        exception: None,
        request: |w| {
            (
                Method::GET,
                format!("/api/orgs/{}/audit-logs/verify", w.org),
                None,
            )
        },
    },
    Route {
        name: "invite by e-mail",
        allowed: MANAGERS,
        success: StatusCode::CREATED,
        exception: None,
        request: |w| {
            (
                Method::POST,
                format!("/api/orgs/{}/invitations/email", w.org),
                Some(json!({"email": "new@example.com", "role": "viewer"})),
            )
        },
    },
    Route {
        name: "create join link",
        allowed: MANAGERS,
        success: StatusCode::CREATED,
        exception: None,
        request: |w| {
            (
                Method::POST,
                format!("/api/orgs/{}/invitations/link", w.org),
                Some(json!({"role": "viewer", "maxUses": 3})),
            )
        },
    },
    Route {
        name: "list invitations",
        allowed: READERS_OF_MEMBERS,
        success: StatusCode::OK,
        exception: None,
        request: |w| {
            (
                Method::GET,
                format!("/api/orgs/{}/invitations", w.org),
                None,
            )
        },
    },
    Route {
        name: "revoke invitation",
        allowed: MANAGERS,
        success: StatusCode::NO_CONTENT,
        exception: None,
        request: |w| {
            (
                Method::DELETE,
                format!("/api/orgs/{}/invitations/{}", w.org, w.invitation),
                None,
            )
        },
    },
    Route {
        name: "resend invitation",
        allowed: MANAGERS,
        success: StatusCode::OK,
        exception: None,
        request: |w| {
            (
                Method::POST,
                format!("/api/orgs/{}/invitations/{}/resend", w.org, w.invitation),
                None,
            )
        },
    },
];

impl Route {
    fn expected(&self, role: BuiltinRole) -> StatusCode {
        match self.exception {
            _ if self.allowed.contains(&role) => self.success,
            Some((exception, status)) if exception == role => status,
            _ => StatusCode::FORBIDDEN,
        }
    }
}

struct Cast {
    boss: Account,
    target: Account,
    actors: Vec<(BuiltinRole, Account)>,
}

impl<S, B> TestApp<S>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    /// An org on the team plan owned by `owner`, with `actor` in it as `role` (unless the
    /// actor is the owner), the target as a viewer if `target` is given, one custom role and
    /// one pending invitation; returns the org's, the role's and the invitation's ids.
    async fn team_org(
        &self,
        owner: &Account,
        actor: Option<(&Account, BuiltinRole)>,
        target: Option<&Account>,
    ) -> (String, String, String) {
        let org = self.create_org(owner, "Matrix").await;
        self.set_plan(&org, Plan::Team).await;
        if let Some((actor, role)) = actor.filter(|(_, role)| *role != Owner) {
            self.add_member(&org, actor, role).await;
        }
        if let Some(target) = target {
            self.add_member(&org, target, BuiltinRole::Viewer).await;
        }
        let role = self
            .post(
                &format!("/api/orgs/{org}/roles"),
                &owner.token,
                json!({"name": "Ops", "permissions": ["scans:read"]}),
            )
            .await;
        let invitation = self
            .post(
                &format!("/api/orgs/{org}/invitations/email"),
                &owner.token,
                json!({"email": "invitee@example.com", "role": "viewer"}),
            )
            .await;
        let id =
            |response: &crate::helpers::Response| response.body["_id"].as_str().unwrap().to_owned();
        (org, id(&role), id(&invitation))
    }

    /// What a refused request must leave as it was: the org, its members, its roles and its
    /// invitations.
    async fn snapshot(&self, org: &str, owner: &Account) -> [Value; 4] {
        let org_path = format!("/api/orgs/{org}");
        [
            self.get(&format!("{org_path}/invitations"), &owner.token)
                .await
                .body,
            self.get(&org_path, &owner.token).await.body,
            self.get(&format!("{org_path}/members"), &owner.token)
                .await
                .body,
            self.get(&format!("{org_path}/roles"), &owner.token)
                .await
                .body,
        ]
    }

    /// A fresh world where the actor holds `role` in the org the request names (`own`), or
    /// holds it only in an org of its own and asks about someone else's.
    async fn world(
        &self,
        cast: &Cast,
        actor: &Account,
        role: BuiltinRole,
        own: bool,
    ) -> (World, Account) {
        let owner = if own && role == Owner {
            actor
        } else {
            &cast.boss
        };
        let member = own.then_some((actor, role));
        let (org, custom_role, invitation) = self.team_org(owner, member, Some(&cast.target)).await;
        let (second_org, _, _) = self.team_org(owner, member, None).await;
        if !own {
            let own_org = self
                .create_org(if role == Owner { actor } else { &cast.boss }, "Mine")
                .await;
            if role != Owner {
                self.add_member(&own_org, actor, role).await;
            }
        }
        let world = World {
            org,
            target: cast.target.id.clone(),
            role: custom_role,
            second_org,
            invitation,
        };
        (world, owner.clone())
    }
}

#[actix_web::test]
async fn every_route_answers_every_role_in_own_and_foreign_orgs_as_documented() {
    let app = matrix_app().await;
    let mut actors = Vec::new();
    for role in EVERYONE {
        actors.push((
            *role,
            app.sign_up(&format!("{}@example.com", role.name())).await,
        ));
    }
    let cast = Cast {
        boss: app.sign_up("boss@example.com").await,
        target: app.sign_up("target@example.com").await,
        actors,
    };

    let mut failures = Vec::new();
    for route in ROUTES {
        for (role, actor) in &cast.actors {
            for own in [true, false] {
                let (world, owner) = app.world(&cast, actor, *role, own).await;
                let before = app.snapshot(&world.org, &owner).await;
                let (method, path, body) = (route.request)(&world);
                let response = app.send(method, &path, Some(&actor.token), body).await;
                let expected = if own {
                    route.expected(*role)
                } else {
                    StatusCode::NOT_FOUND
                };
                if response.status != expected {
                    failures.push(format!(
                        "{} as {} ({}): expected {expected}, got {} {}",
                        route.name,
                        role.name(),
                        if own { "own org" } else { "other org" },
                        response.status,
                        response.body
                    ));
                }
                if !response.status.is_success() {
                    let after = app.snapshot(&world.org, &owner).await;
                    let who = role.name();
                    assert_eq!(
                        before, after,
                        "a refused {} as {who} changed something",
                        route.name
                    );
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[actix_web::test]
async fn every_route_refuses_a_request_without_a_token() {
    let app = matrix_app().await;
    let world = World {
        org: uuid::Uuid::now_v7().to_string(),
        target: uuid::Uuid::now_v7().to_string(),
        role: uuid::Uuid::now_v7().to_string(),
        second_org: uuid::Uuid::now_v7().to_string(),
        invitation: uuid::Uuid::now_v7().to_string(),
    };
    for route in ROUTES {
        let (method, path, body) = (route.request)(&world);
        let response = app.send(method, &path, None, body).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{}", route.name);
        assert_eq!(response.code(), "unauthenticated", "{}", route.name);
    }
}

/// The matrix's owner makes an invitation for every cell, far past the default per-account
/// rate limit on invitations; the limit has tests of its own.
async fn matrix_app() -> TestApp<
    impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
    >,
> {
    let config = tenantry_server::Config {
        invitation_attempts_per_minute: std::num::NonZeroU32::MAX,
        ..tenantry_server::Config::default()
    };
    spawn_app_with(config, tenantry_persistence::testing::sqlite().await).await
}
