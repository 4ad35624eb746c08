//! E-mail verification, verified domains, auto-join and the invite-only-within-domains policy,
//! through the real app. Domains are verified against a small DNS server running in the test
//! (UDP, on a free port), which the app reaches through `TENANTRY_DNS_SERVER` and the real
//! resolver adapter.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use actix_web::http::{Method, StatusCode};
use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{RData, Record, RecordType};
use serde_json::{Value, json};
use tenantry_domain::authz::BuiltinRole;
use tenantry_persistence::testing;
use tenantry_server::Config;
use tokio::net::UdpSocket;

use crate::helpers::{Account, spawn_app_with, verification_token_in};

/// TXT records by name (without the trailing dot), served over UDP.
#[derive(Clone, Default)]
struct Zone(Arc<Mutex<HashMap<String, Vec<String>>>>);

impl Zone {
    fn publish(&self, name: &str, value: &str) {
        self.0
            .lock()
            .unwrap()
            .entry(name.to_owned())
            .or_default()
            .push(value.to_owned());
    }

    /// Answers TXT questions from the zone until the test ends; other names are NXDOMAIN.
    async fn serve(&self) -> SocketAddr {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let address = socket.local_addr().unwrap();
        let zone = self.clone();
        actix_web::rt::spawn(async move {
            let mut buffer = [0u8; 1500];
            loop {
                let Ok((len, peer)) = socket.recv_from(&mut buffer).await else {
                    return;
                };
                let Ok(query) = Message::from_vec(&buffer[..len]) else {
                    continue;
                };
                let answer = zone.answer(&query);
                let _ = socket.send_to(&answer.to_vec().unwrap(), peer).await;
            }
        });
        address
    }

    fn answer(&self, query: &Message) -> Message {
        let mut answer = Message::new();
        answer
            .set_id(query.id())
            .set_message_type(MessageType::Response)
            .set_op_code(query.op_code())
            .set_recursion_desired(query.recursion_desired())
            .set_recursion_available(true)
            .set_authoritative(true);
        let mut found = false;
        for question in query.queries() {
            answer.add_query(question.clone());
            let name = question.name().to_ascii();
            let name = name.trim_end_matches('.');
            let records = self.0.lock().unwrap().get(name).cloned();
            if let Some(values) = records {
                found = true;
                if question.query_type() == RecordType::TXT {
                    for value in values {
                        answer.add_answer(Record::from_rdata(
                            question.name().clone(),
                            1,
                            RData::TXT(TXT::new(vec![value])),
                        ));
                    }
                }
            }
        }
        if !found {
            answer.set_response_code(ResponseCode::NXDomain);
        }
        answer
    }
}

macro_rules! app_with_dns {
    ($zone:expr) => {{
        let server = $zone.serve().await;
        let config = Config {
            dns_server: Some(server.to_string()),
            ..Config::default()
        };
        spawn_app_with(config, testing::sqlite().await).await
    }};
}

/// The verification token mailed to `email` in the mail delivered now.
async fn mailed_verification<S, B>(app: &crate::helpers::TestApp<S>, email: &str) -> String
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    app.deliver_mail()
        .await
        .iter()
        .rev()
        .filter(|mail| mail.to.as_str() == email)
        .find_map(verification_token_in)
        .unwrap_or_else(|| panic!("no verification mail to {email}"))
}

/// The status and HTML of a page of the verification link.
async fn page<S, B>(
    app: &crate::helpers::TestApp<S>,
    method: Method,
    path: &str,
) -> (StatusCode, String)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let request = actix_web::test::TestRequest::default()
        .method(method)
        .uri(path)
        .to_request();
    let response = actix_web::test::call_service(app.service(), request).await;
    let status = response.status();
    let body = actix_web::test::read_body(response).await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn actions(logs: &Value) -> Vec<String> {
    logs["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|log| log["action"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn sign_up_mails_a_link_that_verifies_the_address_once_and_a_get_uses_nothing_up() {
    let zone = Zone::default();
    let app = app_with_dns!(zone);
    let signed_up = app
        .post_sign_up(
            json!({"email": "Jane@Acme.test", "password": "correct horse", "name": "Jane"}),
        )
        .await;
    assert_eq!(signed_up.status, StatusCode::CREATED, "{}", signed_up.body);
    assert_eq!(signed_up.body["user"]["emailVerified"], false);
    assert_eq!(signed_up.body["joinableOrgs"], json!([]));
    assert!(
        signed_up.body["nextStep"]
            .as_str()
            .unwrap()
            .contains("jane@acme.test"),
        "{}",
        signed_up.body
    );
    let token = signed_up.body["token"].as_str().unwrap().to_owned();
    let link = mailed_verification(&app, "jane@acme.test").await;

    // Link scanners open links: the page shows the address and uses nothing up.
    for _ in 0..2 {
        let (status, html) = page(&app, Method::GET, &format!("/verify-email/{link}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("jane@acme.test"), "{html}");
    }
    let me = app.get("/api/me", &token).await;
    assert_eq!(me.body["user"]["emailVerified"], false, "{}", me.body);

    let verified = app
        .send(
            Method::POST,
            "/api/auth/verify-email",
            None,
            Some(json!({"token": link})),
        )
        .await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
    assert_eq!(verified.body["emailVerified"], true);
    assert_eq!(verified.body["email"], "jane@acme.test");

    let again = app
        .send(
            Method::POST,
            "/api/auth/verify-email",
            None,
            Some(json!({"token": link})),
        )
        .await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::NOT_FOUND, "verification_not_found")
    );
    let (status, _) = page(&app, Method::GET, &format!("/verify-email/{link}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let me = app.get("/api/me", &token).await;
    assert_eq!(me.body["user"]["emailVerified"], true, "{}", me.body);
    let session = app.get("/api/auth/session", &token).await;
    assert_eq!(
        session.body["user"]["emailVerified"], true,
        "{}",
        session.body
    );
    let resend = app
        .send(Method::POST, "/api/me/email/verify", Some(&token), None)
        .await;
    assert_eq!(
        (resend.status, resend.code()),
        (StatusCode::CONFLICT, "email_already_verified")
    );
}

#[actix_web::test]
async fn a_new_link_replaces_the_old_one_and_the_page_confirms_on_post() {
    let zone = Zone::default();
    let app = app_with_dns!(zone);
    let signed_up = app
        .post_sign_up(json!({"email": "sam@acme.test", "password": "correct horse", "name": "Sam"}))
        .await;
    let token = signed_up.body["token"].as_str().unwrap().to_owned();
    let first = mailed_verification(&app, "sam@acme.test").await;

    let resend = app
        .send(Method::POST, "/api/me/email/verify", Some(&token), None)
        .await;
    assert_eq!(resend.status, StatusCode::ACCEPTED, "{}", resend.body);
    let second = mailed_verification(&app, "sam@acme.test").await;
    assert_ne!(first, second);

    let old = app
        .send(
            Method::POST,
            "/api/auth/verify-email",
            None,
            Some(json!({"token": first})),
        )
        .await;
    assert_eq!(old.code(), "verification_not_found");
    let (status, html) = page(&app, Method::POST, &format!("/verify-email/{second}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("sam@acme.test is verified"), "{html}");
    let me = app.get("/api/me", &token).await;
    assert_eq!(me.body["user"]["emailVerified"], true);
}

/// Adds `domain` to `org` and answers its id and the TXT record to publish.
async fn add_domain<S, B>(
    app: &crate::helpers::TestApp<S>,
    org: &str,
    owner: &Account,
    domain: &str,
) -> (String, String, String)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let added = app
        .post(
            &format!("/api/orgs/{org}/domains"),
            &owner.token,
            json!({"domain": domain}),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    assert_eq!(added.body["status"], "pending");
    assert_eq!(added.body["verification"]["type"], "TXT");
    (
        added.body["_id"].as_str().unwrap().to_owned(),
        added.body["verification"]["name"]
            .as_str()
            .unwrap()
            .to_owned(),
        added.body["verification"]["value"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

#[actix_web::test]
async fn a_domain_is_verified_by_its_txt_record_and_belongs_to_one_org() {
    let zone = Zone::default();
    let app = app_with_dns!(zone);
    let owner = app.sign_up("owner@acme.test").await;
    let org = app.create_org(&owner, "Acme").await;

    let bad = app
        .post(
            &format!("/api/orgs/{org}/domains"),
            &owner.token,
            json!({"domain": "localhost"}),
        )
        .await;
    bad.assert_invalid("domain", "one label");
    let (id, name, value) = add_domain(&app, &org, &owner, "Acme.TEST.").await;
    assert_eq!(name, "_tenantry-challenge.acme.test");
    let again = app
        .post(
            &format!("/api/orgs/{org}/domains"),
            &owner.token,
            json!({"domain": "acme.test"}),
        )
        .await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "domain_exists")
    );

    let verify = format!("/api/orgs/{org}/domains/{id}/verify");
    let early = app.post(&verify, &owner.token, json!({})).await;
    assert_eq!(
        (early.status, early.code()),
        (StatusCode::CONFLICT, "domain_verification_failed"),
        "{}",
        early.body
    );
    zone.publish(&name, "something else");
    let wrong = app.post(&verify, &owner.token, json!({})).await;
    assert_eq!(wrong.code(), "domain_verification_failed");

    zone.publish(&name, &value);
    let verified = app.post(&verify, &owner.token, json!({})).await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
    assert_eq!(verified.body["status"], "verified");
    assert!(verified.body["verifiedAt"].is_string());

    let listed = app
        .get(&format!("/api/orgs/{org}/domains"), &owner.token)
        .await;
    assert_eq!(listed.body["domains"][0]["domain"], "acme.test");
    assert_eq!(listed.body["inviteOnlyVerifiedDomains"], false);

    // A second org may claim it, but not verify it while the first holds it.
    let rival = app.sign_up("rival@other.test").await;
    let rival_org = app.create_org(&rival, "Rival").await;
    let (rival_id, rival_name, rival_value) =
        add_domain(&app, &rival_org, &rival, "acme.test").await;
    zone.publish(&rival_name, &rival_value);
    let taken = app
        .post(
            &format!("/api/orgs/{rival_org}/domains/{rival_id}/verify"),
            &rival.token,
            json!({}),
        )
        .await;
    assert_eq!(
        (taken.status, taken.code()),
        (StatusCode::CONFLICT, "domain_taken")
    );

    // Once the first org gives it up, the second can.
    let deleted = app
        .send(
            Method::DELETE,
            &format!("/api/orgs/{org}/domains/{id}"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let now_theirs = app
        .post(
            &format!("/api/orgs/{rival_org}/domains/{rival_id}/verify"),
            &rival.token,
            json!({}),
        )
        .await;
    assert_eq!(now_theirs.status, StatusCode::OK, "{}", now_theirs.body);

    let logs = app
        .get(&format!("/api/orgs/{org}/audit-logs"), &owner.token)
        .await;
    let logged = actions(&logs.body);
    for action in ["domain.added", "domain.verified", "domain.removed"] {
        assert!(logged.contains(&action.to_owned()), "{logged:?}");
    }
}

#[actix_web::test]
async fn only_managers_see_or_change_domains_and_strangers_learn_nothing() {
    let zone = Zone::default();
    let app = app_with_dns!(zone);
    let owner = app.sign_up("owner@acme.test").await;
    let org = app.create_org(&owner, "Acme").await;
    let (id, _, _) = add_domain(&app, &org, &owner, "acme.test").await;
    let viewer = app.sign_up("viewer@acme.test").await;
    app.add_member(&org, &viewer, BuiltinRole::Viewer).await;
    let auditor = app.sign_up("auditor@acme.test").await;
    app.add_member(&org, &auditor, BuiltinRole::Auditor).await;
    let stranger = app.sign_up("stranger@else.test").await;

    let list = format!("/api/orgs/{org}/domains");
    assert_eq!(app.get(&list, &viewer.token).await.code(), "forbidden");
    assert_eq!(app.get(&list, &auditor.token).await.status, StatusCode::OK);
    assert_eq!(
        app.get(&list, &stranger.token).await.code(),
        "org_not_found"
    );
    let patch = format!("/api/orgs/{org}/domains/{id}");
    for (who, code) in [(&auditor, "forbidden"), (&stranger, "org_not_found")] {
        let changed = app
            .send(
                Method::PATCH,
                &patch,
                Some(&who.token),
                Some(json!({"autoJoin": true})),
            )
            .await;
        assert_eq!(changed.code(), code, "{}", changed.body);
    }
    let owner_role = app
        .send(
            Method::PATCH,
            &patch,
            Some(&owner.token),
            Some(json!({"defaultRole": "owner"})),
        )
        .await;
    owner_role.assert_invalid("defaultRole", "owner is never a default role");
}

#[actix_web::test]
async fn a_verified_sign_up_on_an_auto_join_domain_joins_with_the_default_role() {
    let zone = Zone::default();
    let app = app_with_dns!(zone);
    let owner = app.sign_up("owner@acme.test").await;
    let org = app.create_org(&owner, "Acme").await;
    let (id, name, value) = add_domain(&app, &org, &owner, "acme.test").await;
    zone.publish(&name, &value);
    let verified = app
        .post(
            &format!("/api/orgs/{org}/domains/{id}/verify"),
            &owner.token,
            json!({}),
        )
        .await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
    let updated = app
        .send(
            Method::PATCH,
            &format!("/api/orgs/{org}/domains/{id}"),
            Some(&owner.token),
            Some(json!({"autoJoin": true, "defaultRole": "viewer"})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(
        (
            updated.body["autoJoin"].clone(),
            updated.body["defaultRole"].clone()
        ),
        (json!(true), json!("viewer"))
    );

    let signed_up = app
        .post_sign_up(
            json!({"email": "someone@acme.test", "password": "correct horse", "name": "Someone"}),
        )
        .await;
    let token = signed_up.body["token"].as_str().unwrap().to_owned();
    let join = format!("/api/me/joinable-orgs/{org}/join");
    // Before the address is verified, nothing is offered and joining is refused.
    let me = app.get("/api/me", &token).await;
    assert_eq!(me.body["joinableOrgs"], json!([]));
    let early = app.post(&join, &token, json!({})).await;
    assert_eq!(
        (early.status, early.code()),
        (StatusCode::FORBIDDEN, "email_unverified")
    );

    let link = mailed_verification(&app, "someone@acme.test").await;
    let confirmed = app
        .send(
            Method::POST,
            "/api/auth/verify-email",
            None,
            Some(json!({"token": link})),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK);
    let me = app.get("/api/me", &token).await;
    assert_eq!(
        me.body["joinableOrgs"],
        json!([{"orgId": org, "name": "Acme", "domain": "acme.test", "role": "viewer"}])
    );

    let joined = app.post(&join, &token, json!({})).await;
    assert_eq!(joined.status, StatusCode::OK, "{}", joined.body);
    assert_eq!(joined.body["role"], "viewer");
    let twice = app.post(&join, &token, json!({})).await;
    assert_eq!(
        (twice.status, twice.code()),
        (StatusCode::CONFLICT, "already_member")
    );
    let me = app.get("/api/me", &token).await;
    assert_eq!(me.body["joinableOrgs"], json!([]));
    assert_eq!(me.body["memberships"][0]["role"], "viewer");

    let logs = app
        .get(
            &format!("/api/orgs/{org}/audit-logs?action=member.joined"),
            &owner.token,
        )
        .await;
    let event = &logs.body["logs"][0];
    assert_eq!(event["metadata"]["via"], "domain", "{}", logs.body);
    assert_eq!(event["metadata"]["domain"], "acme.test");
    assert_eq!(event["metadata"]["role"], "viewer");
    assert_eq!(event["target"]["email"], "someone@acme.test");

    // Someone verified on another domain is not admitted: the org is "not found" to them.
    let other = app
        .post_sign_up(json!({"email": "x@else.test", "password": "correct horse", "name": "X"}))
        .await;
    let other_token = other.body["token"].as_str().unwrap().to_owned();
    let link = mailed_verification(&app, "x@else.test").await;
    app.send(
        Method::POST,
        "/api/auth/verify-email",
        None,
        Some(json!({"token": link})),
    )
    .await;
    let refused = app.post(&join, &other_token, json!({})).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::NOT_FOUND, "org_not_found")
    );

    // Turning auto-join off ends the offer.
    app.send(
        Method::PATCH,
        &format!("/api/orgs/{org}/domains/{id}"),
        Some(&owner.token),
        Some(json!({"autoJoin": false})),
    )
    .await;
    let late = app
        .post_sign_up(
            json!({"email": "late@acme.test", "password": "correct horse", "name": "Late"}),
        )
        .await;
    let late_token = late.body["token"].as_str().unwrap().to_owned();
    let link = mailed_verification(&app, "late@acme.test").await;
    app.send(
        Method::POST,
        "/api/auth/verify-email",
        None,
        Some(json!({"token": link})),
    )
    .await;
    assert_eq!(
        app.post(&join, &late_token, json!({})).await.code(),
        "org_not_found"
    );
}

#[actix_web::test]
async fn invite_only_within_verified_domains_refuses_other_addresses_on_every_face() {
    let zone = Zone::default();
    let app = app_with_dns!(zone);
    let owner = app.sign_up("owner@acme.test").await;
    let org = app.create_org(&owner, "Acme").await;
    let (id, name, value) = add_domain(&app, &org, &owner, "acme.test").await;
    zone.publish(&name, &value);
    app.post(
        &format!("/api/orgs/{org}/domains/{id}/verify"),
        &owner.token,
        json!({}),
    )
    .await;
    let policy = app
        .put(
            &format!("/api/orgs/{org}/domain-policy"),
            &owner.token,
            json!({"inviteOnlyVerifiedDomains": true}),
        )
        .await;
    assert_eq!(policy.status, StatusCode::OK, "{}", policy.body);
    assert_eq!(policy.body["inviteOnlyVerifiedDomains"], true);

    let outside = app
        .post(
            &format!("/api/orgs/{org}/invitations/email"),
            &owner.token,
            json!({"email": "bob@elsewhere.test"}),
        )
        .await;
    assert_eq!(
        (outside.status, outside.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "domain_not_allowed")
    );
    assert_eq!(outside.body["error"]["field"], "email");
    let inside = app
        .post(
            &format!("/api/orgs/{org}/invitations/email"),
            &owner.token,
            json!({"email": "ann@acme.test"}),
        )
        .await;
    assert_eq!(inside.status, StatusCode::CREATED, "{}", inside.body);
    let bulk = app
        .post(
            &format!("/api/orgs/{org}/invitations/bulk"),
            &owner.token,
            json!({"invitations": [{"email": "cy@acme.test"}, {"email": "dan@elsewhere.test"}]}),
        )
        .await;
    assert_eq!(bulk.body["invited"], 1, "{}", bulk.body);
    assert_eq!(
        bulk.body["results"][1]["error"]["code"],
        "domain_not_allowed"
    );
    let tenant = app
        .post(
            "/api/org/members/invite",
            &owner.token,
            json!({"email": "eve@elsewhere.test", "role": "member"}),
        )
        .await;
    assert_eq!(tenant.code(), "domain_not_allowed", "{}", tenant.body);

    let off = app
        .put(
            &format!("/api/orgs/{org}/domain-policy"),
            &owner.token,
            json!({"inviteOnlyVerifiedDomains": false}),
        )
        .await;
    assert_eq!(off.body["inviteOnlyVerifiedDomains"], false);
    let allowed = app
        .post(
            &format!("/api/orgs/{org}/invitations/email"),
            &owner.token,
            json!({"email": "bob@elsewhere.test"}),
        )
        .await;
    assert_eq!(allowed.status, StatusCode::CREATED, "{}", allowed.body);
    let logs = app
        .get(
            &format!("/api/orgs/{org}/audit-logs?action=org.updated"),
            &owner.token,
        )
        .await;
    assert_eq!(
        logs.body["logs"][0]["metadata"]["settings"],
        "invite_only_verified_domains"
    );
}
