//! OWASP API Security Top 10 (2023) against the real binary:
//! - BFLA: every org route (`/api/orgs/{orgId}/...` and the tenant face `/api/org/...`, checked
//!   against the binary's own OpenAPI document so that no route is left out) x every built-in
//!   role and a custom role, in the caller's own org and from another tenant, from one table;
//! - BOLA: the ids of one tenant's members, roles, invitations, integrations, tokens and org,
//!   used through another tenant's org or account;
//! - tokens: revoked, tampered, pinned to another org, and a removed member's.
//!
//! A refused request must leave both orgs as they were (members, roles, invitations,
//! integrations, audit log). The expectations are written from `docs/roles.md`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::support::{Process, Server, free_port, tenantry};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Owner,
    Admin,
    Auditor,
    Member,
    Viewer,
    /// The custom role [`SUPPORT`].
    Support,
}

use Who::{Admin, Auditor, Member, Owner, Support, Viewer};

const CAST: [Who; 6] = [Owner, Admin, Auditor, Member, Viewer, Support];
/// A custom role that reads the member list and the audit log, and nothing of the settings.
const SUPPORT: [&str; 3] = ["members:read", "audit:read", "scans:read"];
const MANAGERS: &[Who] = &[Owner, Admin];
const MEMBER_READERS: &[Who] = &[Owner, Admin, Auditor, Support];

struct Route {
    method: &'static str,
    /// With `{org}`, `{second}` (another org where the caller holds the same role),
    /// `{target}` (a viewer), `{role}` (a custom role), `{invitation}` (a pending e-mail
    /// invitation), `{integration}`, `{webhook}`, `{scim_token}` and `{domain}` filled in, in
    /// the path and the body alike.
    path: &'static str,
    body: Option<&'static str>,
    allowed: &'static [Who],
    success: u16,
    /// A role outside `allowed` that gets another refusal than `403 forbidden`.
    exception: Option<(Who, u16, &'static str)>,
}

impl Route {
    /// The tenant face works on the caller's current org, which is always their own.
    fn tenant(&self) -> bool {
        self.path.starts_with("/api/org/")
    }

    fn expected(&self, who: Who, own: bool) -> (u16, Option<&'static str>) {
        match self.exception {
            _ if !own => (404, Some("org_not_found")),
            _ if self.allowed.contains(&who) => (self.success, None),
            Some((exception, status, code)) if exception == who => (status, Some(code)),
            _ => (403, Some("forbidden")),
        }
    }
}

const fn route(
    method: &'static str,
    path: &'static str,
    body: Option<&'static str>,
    allowed: &'static [Who],
    success: u16,
) -> Route {
    Route {
        method,
        path,
        body,
        allowed,
        success,
        exception: None,
    }
}

const ROUTES: &[Route] = &[
    route("GET", "/api/orgs/{org}", None, &CAST, 200),
    route(
        "PUT",
        "/api/orgs/{org}",
        Some(r#"{"name": "Renamed"}"#),
        MANAGERS,
        200,
    ),
    route("DELETE", "/api/orgs/{org}", None, &[Owner], 204),
    route("GET", "/api/orgs/{org}/members", None, MEMBER_READERS, 200),
    route(
        "PUT",
        "/api/orgs/{org}/members/{target}",
        Some(r#"{"role": "member"}"#),
        MANAGERS,
        200,
    ),
    route(
        "DELETE",
        "/api/orgs/{org}/members/{target}",
        None,
        MANAGERS,
        204,
    ),
    route(
        "POST",
        "/api/orgs/{org}/members/{target}/move",
        Some(r#"{"targetOrgId": "{second}"}"#),
        MANAGERS,
        200,
    ),
    route(
        "POST",
        "/api/orgs/{org}/transfer-ownership",
        Some(r#"{"newOwnerId": "{target}"}"#),
        &[Owner],
        204,
    ),
    Route {
        exception: Some((Owner, 409, "owner_must_transfer")),
        ..route(
            "POST",
            "/api/orgs/{org}/leave",
            None,
            &[Admin, Auditor, Member, Viewer, Support],
            204,
        )
    },
    route("GET", "/api/orgs/{org}/roles", None, MEMBER_READERS, 200),
    route(
        "POST",
        "/api/orgs/{org}/roles",
        Some(r#"{"name": "New", "permissions": ["scans:read"]}"#),
        MANAGERS,
        201,
    ),
    route(
        "PATCH",
        "/api/orgs/{org}/roles/{role}",
        Some(r#"{"description": "changed"}"#),
        MANAGERS,
        200,
    ),
    route(
        "DELETE",
        "/api/orgs/{org}/roles/{role}",
        None,
        MANAGERS,
        204,
    ),
    route(
        "GET",
        "/api/orgs/{org}/audit-logs",
        None,
        MEMBER_READERS,
        200,
    ),
    route(
        "GET",
        "/api/orgs/{org}/audit-logs/verify",
        None,
        MEMBER_READERS,
        200,
    ),
    route(
        "GET",
        "/api/orgs/{org}/audit-logs/export",
        None,
        MEMBER_READERS,
        200,
    ),
    route(
        "POST",
        "/api/orgs/{org}/invitations/email",
        Some(r#"{"email": "new@example.com", "role": "viewer"}"#),
        MANAGERS,
        201,
    ),
    route(
        "POST",
        "/api/orgs/{org}/invitations/link",
        Some(r#"{"role": "viewer", "maxUses": 3}"#),
        MANAGERS,
        201,
    ),
    route(
        "POST",
        "/api/orgs/{org}/invitations/bulk",
        Some(r#"{"invitations": [{"email": "bulk@example.com", "role": "viewer"}]}"#),
        MANAGERS,
        200,
    ),
    route(
        "GET",
        "/api/orgs/{org}/invitations",
        None,
        MEMBER_READERS,
        200,
    ),
    route(
        "DELETE",
        "/api/orgs/{org}/invitations/{invitation}",
        None,
        MANAGERS,
        204,
    ),
    route(
        "POST",
        "/api/orgs/{org}/invitations/{invitation}/resend",
        None,
        MANAGERS,
        200,
    ),
    route(
        "POST",
        "/api/orgs/{org}/permissions/check",
        Some(r#"{"userId": "{target}", "permissions": ["scans:read"]}"#),
        MEMBER_READERS,
        200,
    ),
    route(
        "POST",
        "/api/orgs/{org}/permissions/check-batch",
        Some(r#"{"checks": [{"userId": "{target}", "permission": "scans:read"}]}"#),
        MEMBER_READERS,
        200,
    ),
    route("GET", "/api/orgs/{org}/webhooks", None, MANAGERS, 200),
    route(
        "POST",
        "/api/orgs/{org}/webhooks",
        Some(r#"{"url": "http://127.0.0.1:9/new", "events": ["member.joined"]}"#),
        MANAGERS,
        201,
    ),
    route(
        "PATCH",
        "/api/orgs/{org}/webhooks/{webhook}",
        Some(r#"{"events": ["member.left"]}"#),
        MANAGERS,
        200,
    ),
    route(
        "POST",
        "/api/orgs/{org}/webhooks/{webhook}/secret",
        None,
        MANAGERS,
        200,
    ),
    route(
        "POST",
        "/api/orgs/{org}/webhooks/{webhook}/test",
        None,
        MANAGERS,
        202,
    ),
    route(
        "DELETE",
        "/api/orgs/{org}/webhooks/{webhook}",
        None,
        MANAGERS,
        204,
    ),
    route(
        "GET",
        "/api/orgs/{org}/webhooks/{webhook}/deliveries",
        None,
        MANAGERS,
        200,
    ),
    route("GET", "/api/orgs/{org}/scim/tokens", None, &[Owner], 200),
    route(
        "POST",
        "/api/orgs/{org}/scim/tokens",
        Some(r#"{"name": "idp"}"#),
        &[Owner],
        201,
    ),
    route(
        "DELETE",
        "/api/orgs/{org}/scim/tokens/{scim_token}",
        None,
        &[Owner],
        204,
    ),
    route("GET", "/api/orgs/{org}/scim/settings", None, &[Owner], 200),
    route(
        "PUT",
        "/api/orgs/{org}/scim/settings",
        Some(r#"{"defaultRole": "viewer", "groupRoles": []}"#),
        &[Owner],
        200,
    ),
    route(
        "GET",
        "/api/orgs/{org}/domains",
        None,
        &[Owner, Admin, Auditor],
        200,
    ),
    route(
        "POST",
        "/api/orgs/{org}/domains",
        Some(r#"{"domain": "new.example"}"#),
        MANAGERS,
        201,
    ),
    // Nothing publishes the record here: the managers get as far as the look-up, which finds
    // nothing (409 domain_verification_failed).
    route(
        "POST",
        "/api/orgs/{org}/domains/{domain}/verify",
        None,
        MANAGERS,
        409,
    ),
    route(
        "PATCH",
        "/api/orgs/{org}/domains/{domain}",
        Some(r#"{"autoJoin": true}"#),
        MANAGERS,
        200,
    ),
    route(
        "DELETE",
        "/api/orgs/{org}/domains/{domain}",
        None,
        MANAGERS,
        204,
    ),
    route(
        "PUT",
        "/api/orgs/{org}/domain-policy",
        Some(r#"{"inviteOnlyVerifiedDomains": true}"#),
        MANAGERS,
        200,
    ),
    route("GET", "/api/org/profile", None, &CAST, 200),
    route(
        "PUT",
        "/api/org/profile",
        Some(r#"{"settings": {"region": "eu-west-1"}}"#),
        MANAGERS,
        200,
    ),
    route("GET", "/api/org/members", None, MEMBER_READERS, 200),
    route(
        "POST",
        "/api/org/members/invite",
        Some(r#"{"email": "new@example.com", "role": "member"}"#),
        MANAGERS,
        201,
    ),
    route(
        "GET",
        "/api/org/integrations",
        None,
        &[Owner, Admin, Auditor],
        200,
    ),
    route(
        "POST",
        "/api/org/integrations",
        Some(r#"{"type": "github", "config": {"owner": "acme"}, "credentials": {"token": "t"}}"#),
        MANAGERS,
        201,
    ),
    route(
        "PATCH",
        "/api/org/integrations/{integration}",
        Some(r#"{"status": "connected"}"#),
        MANAGERS,
        200,
    ),
    route(
        "DELETE",
        "/api/org/integrations/{integration}",
        None,
        MANAGERS,
        204,
    ),
];

/// A signed-up account.
#[derive(Clone)]
struct Account {
    id: String,
    token: String,
}

/// One tenant's people: the owner, one member per other role of [`CAST`], and a viewer that
/// routes act on.
struct Tenant {
    people: Vec<(Who, Account)>,
    target: Account,
}

impl Tenant {
    fn owner(&self) -> &Account {
        self.of(Owner)
    }

    fn of(&self, who: Who) -> &Account {
        &self.people.iter().find(|(w, _)| *w == who).unwrap().1
    }
}

/// The ids of one org built for a case.
struct World {
    ids: BTreeMap<&'static str, String>,
}

impl World {
    fn org(&self) -> &str {
        &self.ids["org"]
    }

    fn fill(&self, template: &str) -> String {
        self.ids
            .iter()
            .fold(template.to_owned(), |text, (name, id)| {
                text.replace(&format!("{{{name}}}"), id)
            })
    }
}

/// The binary on SQLite, with the rate limits lifted (every request here comes from one
/// address), and a client of it whose mail directory is the binary's outbox.
struct Binary {
    server: Server,
    database_url: String,
    dir: tempfile::TempDir,
    _process: Process,
}

impl Binary {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let database_url = format!("sqlite://{}", dir.path().join("t.db").display());
        let listen = format!("127.0.0.1:{port}");
        let base = format!("http://127.0.0.1:{port}");
        let outbox = dir.path().join("mail");
        let log = std::fs::File::create(dir.path().join("tenantry.log")).unwrap();
        let process = tenantry(
            dir.path(),
            &[
                ("RUST_LOG", "warn"),
                ("TENANTRY_DATABASE_URL", &database_url),
                ("TENANTRY_LISTEN", &listen),
                ("TENANTRY_PUBLIC_URL", &base),
                ("TENANTRY_MAIL_OUTBOX", outbox.to_str().unwrap()),
                ("TENANTRY_MAIL_POLL_INTERVAL_MS", "100"),
                ("TENANTRY_AUTH_ATTEMPTS_PER_MINUTE", "100000"),
                ("TENANTRY_INVITATION_ATTEMPTS_PER_MINUTE", "100000"),
                // Webhooks post to 127.0.0.1's discard port: refused at once, nothing leaves.
                ("TENANTRY_WEBHOOK_ALLOW_PRIVATE", "true"),
                // Domain look-ups go to 127.0.0.1's discard port: no record, nothing leaves.
                ("TENANTRY_DNS_SERVER", "127.0.0.1:9"),
            ],
        )
        .stderr(log)
        .spawn()
        .unwrap();
        let mut server = Server::attach(port).await;
        server.mail = outbox;
        Self {
            server,
            database_url,
            dir,
            _process: Process(process),
        }
    }

    /// Any request; a body that is not JSON (the CSV export) comes back as a string.
    async fn send(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&str>,
    ) -> (u16, Value) {
        let body = body.map(|text| serde_json::from_str(text).unwrap());
        let (status, _, bytes) = self
            .server
            .request(method, path, Some(token), &[], body)
            .await;
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, value)
    }

    /// A request that must succeed with `status`; its body.
    async fn ok(&self, status: u16, method: &str, path: &str, token: &str, body: Value) -> Value {
        let body = (!body.is_null()).then(|| body.to_string());
        let (got, answer) = self.send(method, path, token, body.as_deref()).await;
        assert_eq!(got, status, "{method} {path}: {answer}");
        answer
    }

    async fn sign_up(&self, email: &str) -> Account {
        let (status, body) = self
            .server
            .api(
                "POST",
                "/api/auth/signup",
                None,
                Some(json!({"email": email, "password": "correct horse", "name": email})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        Account {
            id: body["user"]["_id"].as_str().unwrap().to_owned(),
            token: body["token"].as_str().unwrap().to_owned(),
        }
    }

    async fn tenant(&self, name: &str) -> Tenant {
        let mut people = Vec::new();
        for who in CAST {
            let email = format!("{who:?}@{name}.example").to_lowercase();
            people.push((who, self.sign_up(&email).await));
        }
        let target = self.sign_up(&format!("target@{name}.example")).await;
        Tenant { people, target }
    }

    /// `tenantry set-plan`, as an operator runs it beside the server.
    fn set_plan(&self, org: &str, plan: &str) {
        let status = tenantry(
            self.dir.path(),
            &[("TENANTRY_DATABASE_URL", &self.database_url)],
        )
        .args(["set-plan", org, plan])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
        assert!(status.success());
    }

    /// An enterprise-plan org of `tenant`'s owner where everyone holds their role (the target, a
    /// viewer, only if `with_target`), with a custom role `Ops`, a pending e-mail invitation
    /// and an integration. It becomes everyone's current org when `current`.
    async fn org(&self, tenant: &Tenant, with_target: bool, current: bool) -> World {
        let owner = &tenant.owner().token;
        let org = self
            .ok(201, "POST", "/api/orgs", owner, json!({"name": "Acme"}))
            .await["_id"]
            .as_str()
            .unwrap()
            .to_owned();
        // Enterprise: every feature, the directory (SCIM) included.
        self.set_plan(&org, "enterprise");
        let roles = format!("/api/orgs/{org}/roles");
        let support = self
            .ok(
                201,
                "POST",
                &roles,
                owner,
                json!({"name": "Support", "permissions": SUPPORT}),
            )
            .await["_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let ops = self
            .ok(
                201,
                "POST",
                &roles,
                owner,
                json!({"name": "Ops", "permissions": ["scans:read"]}),
            )
            .await["_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let link = self
            .ok(
                201,
                "POST",
                &format!("/api/orgs/{org}/invitations/link"),
                owner,
                json!({"role": "viewer"}),
            )
            .await["link"]
            .as_str()
            .unwrap()
            .to_owned();
        let (_, code) = link.rsplit_once("/join/").unwrap();
        let joining = tenant.people.iter().filter(|(who, _)| *who != Owner);
        let joining = joining
            .map(|(who, account)| (Some(*who), account))
            .chain(with_target.then_some((None, &tenant.target)));
        for (who, account) in joining {
            let join = format!("/api/join/{code}");
            self.ok(200, "POST", &join, &account.token, Value::Null)
                .await;
            let role = match who {
                Some(Admin) => "admin",
                Some(Auditor) => "auditor",
                Some(Member) => "member",
                Some(Support) => &support,
                _ => continue,
            };
            let path = format!("/api/orgs/{org}/members/{}", account.id);
            self.ok(200, "PUT", &path, owner, json!({ "role": role }))
                .await;
        }
        let invitation = self
            .ok(
                201,
                "POST",
                &format!("/api/orgs/{org}/invitations/email"),
                owner,
                json!({"email": "invitee@example.com", "role": "viewer"}),
            )
            .await["_id"]
            .as_str()
            .unwrap()
            .to_owned();
        if current {
            for (_, account) in &tenant.people {
                let body = json!({ "orgId": org });
                self.ok(204, "PUT", "/api/me/active-org", &account.token, body)
                    .await;
            }
        }
        let webhook = self
            .ok(
                201,
                "POST",
                &format!("/api/orgs/{org}/webhooks"),
                owner,
                json!({"url": "http://127.0.0.1:9/hook", "events": ["role.created"]}),
            )
            .await["_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let scim_token = self
            .ok(
                201,
                "POST",
                &format!("/api/orgs/{org}/scim/tokens"),
                owner,
                json!({"name": "idp"}),
            )
            .await["_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let domain = self
            .ok(
                201,
                "POST",
                &format!("/api/orgs/{org}/domains"),
                owner,
                json!({"domain": "home.example"}),
            )
            .await["_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut ids = BTreeMap::from([
            ("domain", domain),
            ("scim_token", scim_token),
            ("webhook", webhook),
            ("org", org),
            ("target", tenant.target.id.clone()),
            ("role", ops),
            ("invitation", invitation),
        ]);
        if current {
            let integration = self
                .ok(
                    201,
                    "POST",
                    "/api/org/integrations",
                    owner,
                    json!({"type": "aws", "config": {"region": "eu-west-1"}}),
                )
                .await["id"]
                .as_str()
                .unwrap()
                .to_owned();
            ids.insert("integration", integration);
        }
        World { ids }
    }

    /// Everything of `org` that a refused request must leave as it was, read by its owner
    /// (whose current org it is).
    async fn snapshot(&self, org: &str, owner: &Account) -> Vec<Value> {
        let mut state = Vec::new();
        for path in [
            format!("/api/orgs/{org}"),
            format!("/api/orgs/{org}/members"),
            format!("/api/orgs/{org}/roles"),
            format!("/api/orgs/{org}/invitations"),
            format!("/api/orgs/{org}/audit-logs?limit=200"),
            format!("/api/orgs/{org}/webhooks"),
            format!("/api/orgs/{org}/scim/tokens"),
            format!("/api/orgs/{org}/scim/settings"),
            format!("/api/orgs/{org}/domains"),
            "/api/org/profile".to_owned(),
            "/api/org/integrations".to_owned(),
            "/api/me/tokens".to_owned(),
        ] {
            state.push(self.ok(200, "GET", &path, &owner.token, Value::Null).await);
        }
        state
    }
}

/// The operations of the binary's OpenAPI document that act on one org.
async fn documented_org_routes(binary: &Binary) -> BTreeSet<String> {
    let (status, document) = binary
        .server
        .api("GET", "/api/openapi.json", None, None)
        .await;
    assert_eq!(status, 200);
    let mut routes = BTreeSet::new();
    for (path, operations) in document["paths"].as_object().unwrap() {
        if !(path.starts_with("/api/orgs/{") || path.starts_with("/api/org/")) {
            continue;
        }
        for method in operations.as_object().unwrap().keys() {
            routes.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    routes
}

/// A table path in the document's spelling.
fn documented(route: &Route) -> String {
    let path = [
        ("{org}", "{orgId}"),
        ("{target}", "{userId}"),
        ("{role}", "{roleId}"),
        ("{invitation}", "{id}"),
        ("{integration}", "{id}"),
        ("{webhook}", "{id}"),
        ("{scim_token}", "{id}"),
        ("{domain}", "{id}"),
    ]
    .iter()
    .fold(route.path.to_owned(), |path, (ours, theirs)| {
        path.replace(ours, theirs)
    });
    format!("{} {path}", route.method)
}

#[actix_web::test]
async fn every_org_route_answers_every_role_as_documented_and_another_tenant_404() {
    let binary = Binary::start().await;
    let listed: BTreeSet<String> = ROUTES.iter().map(documented).collect();
    assert_eq!(
        listed,
        documented_org_routes(&binary).await,
        "the table must hold every org route the binary documents"
    );
    let home = binary.tenant("home").await;
    let away = binary.tenant("away").await;
    // The other tenant's people hold the same roles in an org of their own.
    binary.org(&away, true, true).await;

    let mut failures = Vec::new();
    let mut cases = 0;
    for route in ROUTES {
        let mut world: Option<World> = None;
        for who in CAST {
            for own in [true, false] {
                if !own && route.tenant() {
                    continue;
                }
                if world.is_none() {
                    let second = match route.body.is_some_and(|body| body.contains("{second}")) {
                        true => Some(binary.org(&home, false, false).await.ids["org"].clone()),
                        false => None,
                    };
                    let mut built = binary.org(&home, true, true).await;
                    built.ids.extend(second.map(|org| ("second", org)));
                    world = Some(built);
                }
                let current = world.as_ref().unwrap();
                let before = binary.snapshot(current.org(), home.owner()).await;
                let caller = if own { home.of(who) } else { away.of(who) };
                let path = current.fill(route.path);
                let body = route.body.map(|body| current.fill(body));
                let (status, answer) = binary
                    .send(route.method, &path, &caller.token, body.as_deref())
                    .await;
                cases += 1;
                let (expected, code) = route.expected(who, own);
                let got_code = answer["error"]["code"].as_str();
                if status != expected || (code.is_some() && got_code != code) {
                    failures.push(format!(
                        "{} {} as {who:?} ({}): expected {expected} {code:?}, got {status} {answer}",
                        route.method,
                        route.path,
                        if own { "own org" } else { "another tenant" },
                    ));
                }
                if (200..300).contains(&status) {
                    if route.method != "GET" {
                        world = None;
                    }
                } else {
                    let after = binary.snapshot(current.org(), home.owner()).await;
                    if before != after {
                        failures.push(format!(
                            "a refused {} {} as {who:?} changed the org",
                            route.method, route.path
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The ids of tenant A's objects, used by tenant B's owner in B's own org (where B's owner
/// holds every permission) or through B's own account. An id in the path is `404`; a role id
/// in a body gets what any role id unknown to that org gets (`422 unknown_role`, as
/// documented). Either way the answer is the one a made-up id gets, so it tells nothing.
const FOREIGN_IDS: &[(&str, &str, Option<&str>, u16)] = &[
    (
        "PUT",
        "/api/orgs/{b}/members/{target}",
        Some(r#"{"role": "member"}"#),
        404,
    ),
    ("DELETE", "/api/orgs/{b}/members/{target}", None, 404),
    (
        "POST",
        "/api/orgs/{b}/members/{target}/move",
        Some(r#"{"targetOrgId": "{b2}"}"#),
        404,
    ),
    (
        "POST",
        "/api/orgs/{b}/members/{b_viewer}/move",
        Some(r#"{"targetOrgId": "{org}"}"#),
        404,
    ),
    (
        "POST",
        "/api/orgs/{b}/transfer-ownership",
        Some(r#"{"newOwnerId": "{target}"}"#),
        404,
    ),
    (
        "PUT",
        "/api/orgs/{b}/members/{b_viewer}",
        Some(r#"{"role": "{role}"}"#),
        422,
    ),
    (
        "PATCH",
        "/api/orgs/{b}/roles/{role}",
        Some(r#"{"description": "mine now"}"#),
        404,
    ),
    ("DELETE", "/api/orgs/{b}/roles/{role}", None, 404),
    (
        "POST",
        "/api/orgs/{b}/invitations/email",
        Some(r#"{"email": "x@example.com", "role": "{role}"}"#),
        422,
    ),
    (
        "POST",
        "/api/orgs/{b}/invitations/link",
        Some(r#"{"role": "{role}"}"#),
        422,
    ),
    (
        "DELETE",
        "/api/orgs/{b}/invitations/{invitation}",
        None,
        404,
    ),
    (
        "POST",
        "/api/orgs/{b}/invitations/{invitation}/resend",
        None,
        404,
    ),
    (
        "PATCH",
        "/api/org/integrations/{integration}",
        Some(r#"{"status": "connected"}"#),
        404,
    ),
    ("DELETE", "/api/org/integrations/{integration}", None, 404),
    (
        "PATCH",
        "/api/orgs/{b}/webhooks/{webhook}",
        Some(r#"{"url": "http://127.0.0.1:9/stolen"}"#),
        404,
    ),
    ("DELETE", "/api/orgs/{b}/webhooks/{webhook}", None, 404),
    ("POST", "/api/orgs/{b}/webhooks/{webhook}/secret", None, 404),
    ("POST", "/api/orgs/{b}/webhooks/{webhook}/test", None, 404),
    (
        "PATCH",
        "/api/orgs/{b}/domains/{domain}",
        Some(r#"{"autoJoin": true}"#),
        404,
    ),
    ("DELETE", "/api/orgs/{b}/domains/{domain}", None, 404),
    ("POST", "/api/orgs/{b}/domains/{domain}/verify", None, 404),
    (
        "GET",
        "/api/orgs/{b}/webhooks/{webhook}/deliveries",
        None,
        404,
    ),
    ("DELETE", "/api/me/tokens/{token}", None, 404),
    (
        "POST",
        "/api/me/tokens",
        Some(r#"{"name": "mine", "orgId": "{org}"}"#),
        404,
    ),
    (
        "PUT",
        "/api/me/active-org",
        Some(r#"{"orgId": "{org}"}"#),
        404,
    ),
    (
        "GET",
        "/api/orgs/{org}/audit-logs?actorId={target}",
        None,
        404,
    ),
    ("POST", "/api/me/invitations/{invitation}/accept", None, 404),
    (
        "POST",
        "/api/me/invitations/{invitation}/decline",
        None,
        404,
    ),
];

/// The ids of tenant A that [`FOREIGN_IDS`] uses.
const A_IDS: [&str; 7] = [
    "org",
    "target",
    "role",
    "invitation",
    "integration",
    "webhook",
    "token",
];

#[actix_web::test]
async fn another_tenants_ids_are_not_found_and_change_nothing() {
    let binary = Binary::start().await;
    let a = binary.tenant("a").await;
    let b = binary.tenant("b").await;
    let b2 = binary.org(&b, false, false).await;
    let mut world = binary.org(&b, true, true).await;
    let b_ids = std::mem::take(&mut world.ids);
    let mut world = binary.org(&a, true, true).await;
    // B's owner has an address verified by an e-mail invitation (to A, then removed), so that
    // the invitation routes by id judge the invitation, not the account.
    let b_owner = b.owner();
    binary
        .ok(
            201,
            "POST",
            &format!("/api/orgs/{}/invitations/email", world.org()),
            &a.owner().token,
            json!({"email": "owner@b.example", "role": "viewer"}),
        )
        .await;
    let link = binary.server.link_mailed_to("owner@b.example").await;
    let (_, secret) = link.rsplit_once("/invitations/").unwrap();
    let accept = format!("/api/invitations/{secret}/accept");
    binary
        .ok(200, "POST", &accept, &b_owner.token, Value::Null)
        .await;
    let remove = format!("/api/orgs/{}/members/{}", world.org(), b_owner.id);
    binary
        .ok(204, "DELETE", &remove, &a.owner().token, Value::Null)
        .await;
    let body = json!({ "orgId": b_ids["org"] });
    binary
        .ok(204, "PUT", "/api/me/active-org", &b_owner.token, body)
        .await;

    let body = json!({"name": "ci", "orgId": world.org()});
    let token = binary
        .ok(201, "POST", "/api/me/tokens", &a.owner().token, body)
        .await["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    world.ids.insert("token", token);
    let mut made_up = World {
        ids: world.ids.clone(),
    };
    for name in A_IDS {
        made_up.ids.insert(name, uuid::Uuid::now_v7().to_string());
    }
    for (name, id) in [
        ("b", b_ids["org"].clone()),
        ("b2", b2.ids["org"].clone()),
        ("b_viewer", b.of(Viewer).id.clone()),
    ] {
        world.ids.insert(name, id.clone());
        made_up.ids.insert(name, id);
    }

    let mut failures = Vec::new();
    for (method, path, body, expected) in FOREIGN_IDS {
        let before = (
            binary.snapshot(world.org(), a.owner()).await,
            binary.snapshot(&b_ids["org"], b_owner).await,
        );
        let request = |ids: &World| (ids.fill(path), body.map(|body| ids.fill(body)));
        let (path, body) = request(&world);
        let (status, answer) = binary
            .send(method, &path, &b_owner.token, body.as_deref())
            .await;
        let (made_up_path, made_up_body) = request(&made_up);
        let (made_up_status, made_up_answer) = binary
            .send(
                method,
                &made_up_path,
                &b_owner.token,
                made_up_body.as_deref(),
            )
            .await;
        if status != *expected {
            failures.push(format!(
                "{method} {path}: expected {expected}, got {status} {answer}"
            ));
        }
        if (status, &answer["error"]["code"]) != (made_up_status, &made_up_answer["error"]["code"])
        {
            failures.push(format!(
                "{method} {path}: {status} {answer}, but a made-up id gets {made_up_status} {made_up_answer}"
            ));
        }
        let after = (
            binary.snapshot(world.org(), a.owner()).await,
            binary.snapshot(&b_ids["org"], b_owner).await,
        );
        if before != after {
            failures.push(format!("{method} {path} changed an org"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Tokens that must stop working the moment something happens: each refused on the next
/// request to the same binary (expiry is covered in the domain's tests, with a fixed clock).
#[actix_web::test]
async fn revoked_tampered_foreign_and_removed_members_tokens_are_refused_at_once() {
    let binary = Binary::start().await;
    let tenant = binary.tenant("t").await;
    let first = binary.org(&tenant, true, true).await;
    let second = binary.org(&tenant, false, false).await;
    let owner = &tenant.owner().token;
    let body = json!({"name": "pinned", "orgId": first.org()});
    let issued = binary.ok(201, "POST", "/api/me/tokens", owner, body).await;
    let pinned = issued["token"].as_str().unwrap();
    let first_org = format!("/api/orgs/{}", first.org());
    let second_org = format!("/api/orgs/{}", second.org());
    let refused = |status: u16, code: &str| (status, Some(code.to_owned()));
    let answer =
        |(status, body): (u16, Value)| (status, body["error"]["code"].as_str().map(str::to_owned));

    assert_eq!(binary.send("GET", &first_org, pinned, None).await.0, 200);
    assert_eq!(
        answer(binary.send("GET", &second_org, pinned, None).await),
        refused(404, "org_not_found"),
        "a token pinned to one org is a stranger to the owner's other org"
    );
    let mut tampered = pinned.to_owned();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(
        answer(binary.send("GET", &first_org, &tampered, None).await),
        refused(401, "unauthenticated")
    );
    let revoke = format!("/api/me/tokens/{}", issued["_id"].as_str().unwrap());
    binary.ok(204, "DELETE", &revoke, owner, Value::Null).await;
    assert_eq!(
        answer(binary.send("GET", &first_org, pinned, None).await),
        refused(401, "unauthenticated"),
        "revoked"
    );

    let admin = tenant.of(Admin);
    let remove = format!("{first_org}/members/{}", admin.id);
    binary.ok(204, "DELETE", &remove, owner, Value::Null).await;
    assert_eq!(
        answer(binary.send("GET", &first_org, &admin.token, None).await),
        refused(404, "org_not_found"),
        "removed from the org"
    );
    let viewer = &tenant.of(Viewer).token;
    binary
        .ok(204, "POST", "/api/auth/logout", viewer, Value::Null)
        .await;
    assert_eq!(
        answer(binary.send("GET", "/api/me", viewer, None).await),
        refused(401, "unauthenticated"),
        "signed out"
    );
}
