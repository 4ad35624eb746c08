//! Invitations end to end through the HTTP API: issued by managers, delivered through the
//! outbox, previewed, accepted, declined, revoked, resent; join links; on SQLite and PostgreSQL.

use actix_web::http::{Method, StatusCode};
use serde_json::json;
use tenantry_domain::authz::BuiltinRole;
use tenantry_domain::mail::MailContent;
use tenantry_domain::plan::Plan;
use tenantry_persistence::testing::{self, TestDatabase};

use crate::helpers::{spawn_app_on, tamper};

/// Moves an invitation's expiry an hour into the past, as time passing would.
async fn expire(db: &TestDatabase, invitation: &str) {
    let past = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let micros = i64::try_from(past.unix_timestamp_nanos() / 1_000).unwrap();
    let id: uuid::Uuid = invitation.parse().unwrap();
    tamper(
        db,
        "UPDATE invitations SET expires_at = ?, expires_at_us = ? WHERE id = ?",
        vec![past.into(), micros.into(), id.into()],
    )
    .await;
}

#[actix_web::test]
async fn an_invitee_without_an_account_registers_through_the_mailed_link_and_joins() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let org = app.create_org(&owner, "Acme").await;

        let created = app
            .post(
                &format!("/api/orgs/{org}/invitations/email"),
                &owner.token,
                json!({"email": " New@Example.com ", "role": "viewer"}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        assert_eq!(created.body["email"], "new@example.com");
        assert_eq!(created.body["role"], "viewer");
        assert_eq!(created.body["status"], "pending");
        assert!(created.body["expiresAt"].is_string());
        assert!(
            created.body.get("link").is_none(),
            "the token goes only to the inbox"
        );

        let mail = app.deliver_mail().await;
        assert_eq!(mail.len(), 1);
        assert_eq!(mail[0].to.as_str(), "new@example.com");
        let MailContent::Invitation(content) = &mail[0].content else {
            panic!("not an invitation: {:?}", mail[0]);
        };
        assert_eq!(
            (content.org_name.as_str(), content.inviter_name.as_str()),
            ("Acme", "owner")
        );
        assert!(
            content
                .link
                .starts_with("http://127.0.0.1:8080/invitations/inv_"),
            "{}",
            content.link
        );
        let token = crate::helpers::token_in(&mail[0]);
        assert!(app.deliver_mail().await.is_empty(), "sent once");

        // Opening the link, however often, uses nothing up.
        for _ in 0..2 {
            let preview = app
                .send(
                    Method::GET,
                    &format!("/api/invitations/{token}"),
                    None,
                    None,
                )
                .await;
            assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
            assert_eq!(preview.body["orgName"], "Acme");
            assert_eq!(preview.body["inviterName"], "owner");
            assert_eq!(preview.body["role"], "viewer");
            assert_eq!(preview.body["email"], "new@example.com");
            assert_eq!(preview.body["status"], "pending");
        }

        let accept = format!("/api/invitations/{token}/accept");
        let registered = app
            .send(
                Method::POST,
                &accept,
                None,
                Some(json!({"name": "Newcomer", "password": "correct horse"})),
            )
            .await;
        assert_eq!(
            registered.status,
            StatusCode::CREATED,
            "{}",
            registered.body
        );
        assert_eq!(registered.body["user"]["email"], "new@example.com");
        let token_of_new = registered.body["token"].as_str().unwrap();
        let me = app.get("/api/me", token_of_new).await;
        assert_eq!(me.body["memberships"][0]["orgId"], org.as_str());
        assert_eq!(me.body["memberships"][0]["role"], "viewer");

        let again = app
            .send(
                Method::POST,
                &accept,
                None,
                Some(json!({"name": "Twice", "password": "correct horse"})),
            )
            .await;
        assert_eq!(
            (again.status, again.code()),
            (StatusCode::GONE, "invitation_used")
        );
        let listed = app
            .get(&format!("/api/orgs/{org}/invitations"), &owner.token)
            .await;
        assert_eq!(listed.body["invitations"][0]["status"], "accepted");
        let members = app
            .get(&format!("/api/orgs/{org}/members"), &owner.token)
            .await;
        assert_eq!(members.body["members"].as_array().unwrap().len(), 2);
    }
}

#[actix_web::test]
async fn only_the_invited_account_can_accept_and_an_existing_account_must_sign_in() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let bob = app.sign_up("bob@example.com").await;
        let carol = app.sign_up("carol@example.com").await;
        let org = app.create_org(&owner, "Acme").await;
        let token = app.invite(&org, &owner, "bob@example.com", "member").await;
        let accept = format!("/api/invitations/{token}/accept");

        let stranger = app.post(&accept, &carol.token, json!({})).await;
        assert_eq!(
            (stranger.status, stranger.code()),
            (StatusCode::FORBIDDEN, "invitation_wrong_account")
        );
        let anonymous = app
            .send(
                Method::POST,
                &accept,
                None,
                Some(json!({"name": "Bob", "password": "correct horse"})),
            )
            .await;
        assert_eq!(
            (anonymous.status, anonymous.code()),
            (StatusCode::CONFLICT, "account_exists")
        );
        let missing = app.send(Method::POST, &accept, None, Some(json!({}))).await;
        assert_eq!(
            (missing.status, missing.body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("name"))
        );
        let bad_token = app
            .send(Method::POST, &accept, Some("tnt_forged"), None)
            .await;
        assert_eq!(bad_token.status, StatusCode::UNAUTHORIZED);
        assert_eq!(app.role_of(&org, &owner, &carol).await, None);

        let accepted = app
            .send(Method::POST, &accept, Some(&bob.token), None)
            .await;
        assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
        assert_eq!(accepted.body["role"], "member");
        assert_eq!(
            app.role_of(&org, &owner, &bob).await.as_deref(),
            Some("member")
        );
    }
}

#[actix_web::test]
async fn revoked_expired_used_and_declined_invitations_each_say_so() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let org = app.create_org(&owner, "Acme").await;
        let body = json!({"name": "Someone", "password": "correct horse"});

        let revoked = app
            .invite(&org, &owner, "revoked@example.com", "member")
            .await;
        let id = app
            .get(&format!("/api/invitations/{revoked}"), &owner.token)
            .await
            .body["_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let revoke = app
            .send(
                Method::DELETE,
                &format!("/api/orgs/{org}/invitations/{id}"),
                Some(&owner.token),
                None,
            )
            .await;
        assert_eq!(revoke.status, StatusCode::NO_CONTENT);
        let again = app
            .send(
                Method::DELETE,
                &format!("/api/orgs/{org}/invitations/{id}"),
                Some(&owner.token),
                None,
            )
            .await;
        assert_eq!(
            again.status,
            StatusCode::NO_CONTENT,
            "revoking twice is no error"
        );

        let expired = app
            .invite(&org, &owner, "expired@example.com", "member")
            .await;
        let expired_id = app
            .get(&format!("/api/invitations/{expired}"), &owner.token)
            .await
            .body["_id"]
            .as_str()
            .unwrap()
            .to_owned();
        expire(&app.db, &expired_id).await;

        let declined = app
            .invite(&org, &owner, "declined@example.com", "member")
            .await;
        let decline = app
            .send(
                Method::POST,
                &format!("/api/invitations/{declined}/decline"),
                None,
                None,
            )
            .await;
        assert_eq!(decline.status, StatusCode::NO_CONTENT);

        for (token, code, status) in [
            (&revoked, "invitation_revoked", "revoked"),
            (&expired, "invitation_expired", "expired"),
            (&declined, "invitation_declined", "declined"),
        ] {
            let preview = app
                .send(
                    Method::GET,
                    &format!("/api/invitations/{token}"),
                    None,
                    None,
                )
                .await;
            assert_eq!(preview.body["status"], status);
            let accept = app
                .send(
                    Method::POST,
                    &format!("/api/invitations/{token}/accept"),
                    None,
                    Some(body.clone()),
                )
                .await;
            assert_eq!(
                (accept.status, accept.code()),
                (StatusCode::GONE, code),
                "{status}"
            );
        }
        let unknown = app
            .send(Method::GET, "/api/invitations/inv_unknown", None, None)
            .await;
        assert_eq!(
            (unknown.status, unknown.code()),
            (StatusCode::NOT_FOUND, "invitation_not_found")
        );

        let statuses: Vec<_> = app
            .get(&format!("/api/orgs/{org}/invitations"), &owner.token)
            .await
            .body["invitations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["status"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(statuses, ["declined", "expired", "revoked"]);
        // Nobody signed up through any of them.
        let members = app
            .get(&format!("/api/orgs/{org}/members"), &owner.token)
            .await;
        assert_eq!(members.body["members"].as_array().unwrap().len(), 1);
    }
}

#[actix_web::test]
async fn an_address_is_invited_once_members_are_not_invited_and_roles_stay_within_reach() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let admin = app.sign_up("admin@example.com").await;
        let org = app.create_org(&owner, "Acme").await;
        app.set_plan(&org, Plan::Team).await;
        app.add_member(&org, &admin, BuiltinRole::Admin).await;
        let invite = |role: serde_json::Value, email: &str| json!({"email": email, "role": role});
        let path = format!("/api/orgs/{org}/invitations/email");

        app.invite(&org, &owner, "new@example.com", "member").await;
        let twice = app
            .post(
                &path,
                &owner.token,
                invite(json!("viewer"), "NEW@example.com"),
            )
            .await;
        assert_eq!(
            (twice.status, twice.code()),
            (StatusCode::CONFLICT, "already_invited")
        );
        let member = app
            .post(
                &path,
                &owner.token,
                invite(json!("viewer"), "admin@example.com"),
            )
            .await;
        assert_eq!(
            (member.status, member.code()),
            (StatusCode::CONFLICT, "already_member")
        );
        let owner_role = app
            .post(&path, &owner.token, invite(json!("owner"), "x@example.com"))
            .await;
        assert_eq!(
            (
                owner_role.status,
                owner_role.body["error"]["field"].as_str()
            ),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("role"))
        );
        let link_owner = app
            .post(
                &format!("/api/orgs/{org}/invitations/link"),
                &owner.token,
                json!({"role": "owner"}),
            )
            .await;
        assert_eq!(link_owner.status, StatusCode::UNPROCESSABLE_ENTITY);
        let bad_email = app
            .post(
                &path,
                &owner.token,
                invite(json!("viewer"), "not-an-address"),
            )
            .await;
        assert_eq!(bad_email.body["error"]["field"], "email");

        // Admins lack billing:write, so they cannot offer a role that holds it.
        let billing = app
            .post(
                &format!("/api/orgs/{org}/roles"),
                &owner.token,
                json!({"name": "Billing", "permissions": ["billing:write"]}),
            )
            .await;
        let role_id = billing.body["_id"].as_str().unwrap();
        let escalation = app
            .post(&path, &admin.token, invite(json!(role_id), "y@example.com"))
            .await;
        assert_eq!(
            (escalation.status, escalation.code()),
            (StatusCode::FORBIDDEN, "privilege_escalation")
        );
        let link_escalation = app
            .post(
                &format!("/api/orgs/{org}/invitations/link"),
                &admin.token,
                json!({"role": role_id}),
            )
            .await;
        assert_eq!(link_escalation.code(), "privilege_escalation");
        let by_owner = app
            .post(&path, &owner.token, invite(json!(role_id), "y@example.com"))
            .await;
        assert_eq!(by_owner.status, StatusCode::CREATED, "{}", by_owner.body);
        assert_eq!(by_owner.body["roleName"], "Billing");
        // The admin may not revoke it either: revoking acts on a role beyond their reach.
        let id = by_owner.body["_id"].as_str().unwrap();
        let revoke = app
            .send(
                Method::DELETE,
                &format!("/api/orgs/{org}/invitations/{id}"),
                Some(&admin.token),
                None,
            )
            .await;
        assert_eq!(revoke.code(), "privilege_escalation");

        // Once expired, the same address may be invited afresh.
        let expired_one = app.invitation_id(&org, &owner, "new@example.com").await;
        expire(&app.db, &expired_one).await;
        let fresh = app
            .post(
                &path,
                &owner.token,
                invite(json!("viewer"), "new@example.com"),
            )
            .await;
        assert_eq!(fresh.status, StatusCode::CREATED, "{}", fresh.body);
    }
}

#[actix_web::test]
async fn pending_email_invitations_hold_seats() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let org = app.create_org(&owner, "Acme").await;
        for n in 0..4 {
            app.invite(&org, &owner, &format!("{n}@example.com"), "member")
                .await;
        }
        let fifth = app
            .post(
                &format!("/api/orgs/{org}/invitations/email"),
                &owner.token,
                json!({"email": "5@example.com"}),
            )
            .await;
        assert_eq!(
            (fifth.status, fifth.code()),
            (StatusCode::CONFLICT, "seat_limit_reached")
        );

        // A join link can be made, but nobody can take a seat through it while all are held.
        let (_, code) = app.create_link(&org, &owner, json!({})).await;
        let late = app.sign_up("late@example.com").await;
        let join = app
            .post(&format!("/api/join/{code}"), &late.token, json!({}))
            .await;
        assert_eq!(
            (join.status, join.code()),
            (StatusCode::CONFLICT, "seat_limit_reached")
        );
        // The invitees themselves still fit: their invitations hold their seats.
        let token = app
            .invite_token_for_resend(&org, &owner, "0@example.com")
            .await;
        let joined = app
            .send(
                Method::POST,
                &format!("/api/invitations/{token}/accept"),
                None,
                Some(json!({"name": "Zero", "password": "correct horse"})),
            )
            .await;
        assert_eq!(joined.status, StatusCode::CREATED, "{}", joined.body);
    }
}

#[actix_web::test]
async fn resending_gives_a_new_link_and_kills_the_old_one() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let org = app.create_org(&owner, "Acme").await;
        let old = app.invite(&org, &owner, "new@example.com", "member").await;
        let new = app
            .invite_token_for_resend(&org, &owner, "new@example.com")
            .await;
        assert_ne!(old, new);
        let stale = app
            .send(Method::GET, &format!("/api/invitations/{old}"), None, None)
            .await;
        assert_eq!(stale.status, StatusCode::NOT_FOUND);
        let live = app
            .send(Method::GET, &format!("/api/invitations/{new}"), None, None)
            .await;
        assert_eq!(live.body["status"], "pending");
        for action in ["accept", "decline"] {
            let dead = app
                .send(
                    Method::POST,
                    &format!("/api/invitations/{old}/{action}"),
                    None,
                    Some(json!({"name": "New", "password": "correct horse"})),
                )
                .await;
            assert_eq!(
                dead.status,
                StatusCode::NOT_FOUND,
                "{action} with the old token"
            );
        }

        let (id, _) = app.create_link(&org, &owner, json!({})).await;
        let resend = app
            .send(
                Method::POST,
                &format!("/api/orgs/{org}/invitations/{id}/resend"),
                Some(&owner.token),
                None,
            )
            .await;
        assert_eq!(
            (resend.status, resend.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "not_an_email_invitation")
        );
    }
}

#[actix_web::test]
async fn my_invitations_list_across_orgs_and_are_answered_by_id() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let acme_owner = app.sign_up("acme@example.com").await;
        let globex_owner = app.sign_up("globex@example.com").await;
        let bob = app.sign_up("bob@example.com").await;
        let acme = app.create_org(&acme_owner, "Acme").await;
        let globex = app.create_org(&globex_owner, "Globex").await;
        app.invite(&acme, &acme_owner, "bob@example.com", "viewer")
            .await;
        app.invite(&globex, &globex_owner, "bob@example.com", "admin")
            .await;
        app.invite(&globex, &globex_owner, "carol@example.com", "member")
            .await;

        // Anyone can sign up with any address: until Bob shows he reads his mailbox, invitations
        // are not matched to his account by address.
        let unverified = app.get("/api/me/invitations", &bob.token).await;
        assert_eq!(
            (unverified.status, unverified.code()),
            (StatusCode::FORBIDDEN, "email_unverified")
        );
        // Taking up an e-mailed token is that proof.
        let initech = app.create_org(&acme_owner, "Initech").await;
        let token = app
            .invite(&initech, &acme_owner, "bob@example.com", "viewer")
            .await;
        let accepted = app
            .send(
                Method::POST,
                &format!("/api/invitations/{token}/accept"),
                Some(&bob.token),
                None,
            )
            .await;
        assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);

        let mine = app.get("/api/me/invitations", &bob.token).await;
        let invitations = mine.body["invitations"].as_array().unwrap();
        let orgs: Vec<_> = invitations
            .iter()
            .map(|i| i["orgName"].as_str().unwrap())
            .collect();
        assert_eq!(orgs, ["Globex", "Acme"]);
        assert_eq!(invitations[0]["inviterName"], "globex");
        assert_eq!(invitations[0]["role"], "admin");
        let (globex_invite, acme_invite) = (
            invitations[0]["_id"].as_str().unwrap().to_owned(),
            invitations[1]["_id"].as_str().unwrap().to_owned(),
        );
        let carols = app
            .invitation_id(&globex, &globex_owner, "carol@example.com")
            .await;

        let not_mine = app
            .post(
                &format!("/api/me/invitations/{carols}/accept"),
                &bob.token,
                json!({}),
            )
            .await;
        assert_eq!(
            (not_mine.status, not_mine.code()),
            (StatusCode::NOT_FOUND, "invitation_not_found")
        );
        let accepted = app
            .post(
                &format!("/api/me/invitations/{globex_invite}/accept"),
                &bob.token,
                json!({}),
            )
            .await;
        assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
        assert_eq!(
            app.role_of(&globex, &globex_owner, &bob).await.as_deref(),
            Some("admin")
        );
        let declined = app
            .post(
                &format!("/api/me/invitations/{acme_invite}/decline"),
                &bob.token,
                json!({}),
            )
            .await;
        assert_eq!(declined.status, StatusCode::NO_CONTENT);
        assert!(
            app.get("/api/me/invitations", &bob.token).await.body["invitations"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        let listed = app
            .get(&format!("/api/orgs/{acme}/invitations"), &acme_owner.token)
            .await;
        assert_eq!(listed.body["invitations"][0]["status"], "declined");
    }
}

#[actix_web::test]
async fn a_join_link_admits_signed_in_people_until_used_up_or_revoked() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let org = app.create_org(&owner, "Acme").await;
        let created = app
            .post(
                &format!("/api/orgs/{org}/invitations/link"),
                &owner.token,
                json!({"role": "viewer", "maxUses": 2}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let link = created.body["link"].as_str().unwrap();
        assert!(link.starts_with("http://127.0.0.1:8080/join/"), "{link}");
        assert_eq!(
            (
                created.body["role"].as_str(),
                created.body["maxUses"].as_u64()
            ),
            (Some("viewer"), Some(2))
        );
        let code = link.rsplit_once("/join/").unwrap().1.to_owned();
        let join = format!("/api/join/{code}");

        let preview = app.send(Method::GET, &join, None, None).await;
        assert_eq!(
            (
                preview.body["orgName"].as_str(),
                preview.body["type"].as_str()
            ),
            (Some("Acme"), Some("link"))
        );
        let anonymous = app.send(Method::POST, &join, None, None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        let owner_again = app.post(&join, &owner.token, json!({})).await;
        assert_eq!(
            (owner_again.status, owner_again.code()),
            (StatusCode::CONFLICT, "already_member")
        );

        let mut joiners = Vec::new();
        for name in ["a", "b", "c"] {
            joiners.push(app.sign_up(&format!("{name}@example.com")).await);
        }
        for joiner in &joiners[..2] {
            let joined = app.post(&join, &joiner.token, json!({})).await;
            assert_eq!(joined.status, StatusCode::OK, "{}", joined.body);
            assert_eq!(
                app.role_of(&org, &owner, joiner).await.as_deref(),
                Some("viewer")
            );
        }
        let third = app.post(&join, &joiners[2].token, json!({})).await;
        assert_eq!(
            (third.status, third.code()),
            (StatusCode::GONE, "invitation_used")
        );
        let listed = app
            .get(&format!("/api/orgs/{org}/invitations"), &owner.token)
            .await;
        assert_eq!(
            (
                listed.body["invitations"][0]["uses"].as_u64(),
                listed.body["invitations"][0]["status"].as_str()
            ),
            (Some(2), Some("accepted"))
        );
        // The link's code is never shown again.
        assert!(listed.body["invitations"][0].get("link").is_none());

        let (id, code) = app.create_link(&org, &owner, json!({})).await;
        app.send(
            Method::DELETE,
            &format!("/api/orgs/{org}/invitations/{id}"),
            Some(&owner.token),
            None,
        )
        .await;
        let revoked = app
            .post(&format!("/api/join/{code}"), &joiners[2].token, json!({}))
            .await;
        assert_eq!(
            (revoked.status, revoked.code()),
            (StatusCode::GONE, "invitation_revoked")
        );
        // An e-mail invitation's token is no join code, and the other way round.
        let email_token = app.invite(&org, &owner, "mail@example.com", "member").await;
        let crossed = app
            .post(
                &format!("/api/join/{email_token}"),
                &joiners[2].token,
                json!({}),
            )
            .await;
        assert_eq!(crossed.status, StatusCode::NOT_FOUND);
        let crossed = app
            .send(Method::GET, &format!("/api/invitations/{code}"), None, None)
            .await;
        assert_eq!(crossed.status, StatusCode::NOT_FOUND);
    }
}

#[actix_web::test]
async fn a_custom_role_offered_before_a_downgrade_is_not_granted_after_it() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let bob = app.sign_up("bob@example.com").await;
        let org = app.create_org(&owner, "Acme").await;
        app.set_plan(&org, Plan::Team).await;
        let role = app
            .post(
                &format!("/api/orgs/{org}/roles"),
                &owner.token,
                json!({"name": "Ops", "permissions": ["scans:read"]}),
            )
            .await;
        let role_id = role.body["_id"].as_str().unwrap();
        let token = app.invite(&org, &owner, "bob@example.com", role_id).await;
        app.set_plan(&org, Plan::Free).await;

        let accept = app
            .send(
                Method::POST,
                &format!("/api/invitations/{token}/accept"),
                Some(&bob.token),
                None,
            )
            .await;
        assert_eq!(
            (accept.status, accept.code()),
            (StatusCode::FORBIDDEN, "plan_upgrade_required")
        );
        assert_eq!(app.role_of(&org, &owner, &bob).await, None);
        let preview = app
            .send(
                Method::GET,
                &format!("/api/invitations/{token}"),
                None,
                None,
            )
            .await;
        assert_eq!(
            preview.body["status"], "pending",
            "still there for after an upgrade"
        );
    }
}

#[actix_web::test]
async fn signing_up_with_someone_elses_address_does_not_reach_their_invitations() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let org = app.create_org(&owner, "Acme").await;
        app.invite(&org, &owner, "alice@example.com", "admin").await;
        let id = app
            .get(&format!("/api/orgs/{org}/invitations"), &owner.token)
            .await
            .body["invitations"][0]["_id"]
            .as_str()
            .unwrap()
            .to_owned();

        // Mallory registers Alice's address before Alice does.
        let mallory = app.sign_up("alice@example.com").await;
        let listed = app.get("/api/me/invitations", &mallory.token).await;
        assert_eq!(listed.code(), "email_unverified");
        for action in ["accept", "decline"] {
            let taken = app
                .post(
                    &format!("/api/me/invitations/{id}/{action}"),
                    &mallory.token,
                    json!({}),
                )
                .await;
            assert_eq!(
                (taken.status, taken.code()),
                (StatusCode::FORBIDDEN, "email_unverified"),
                "{action}"
            );
        }
        assert_eq!(app.role_of(&org, &owner, &mallory).await, None);
        let invitation = app
            .get(&format!("/api/orgs/{org}/invitations"), &owner.token)
            .await;
        assert_eq!(invitation.body["invitations"][0]["status"], "pending");
    }
}

#[actix_web::test]
async fn an_invitee_who_joined_another_way_holds_one_seat_not_two() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let bob = app.sign_up("bob@example.com").await;
        let org = app.create_org(&owner, "Acme").await;
        app.invite(&org, &owner, "bob@example.com", "member").await;
        let (_, code) = app.create_link(&org, &owner, json!({})).await;
        let joined = app
            .post(&format!("/api/join/{code}"), &bob.token, json!({}))
            .await;
        assert_eq!(joined.status, StatusCode::OK, "{}", joined.body);
        // Owner and Bob hold two of five seats: three more people fit.
        for n in 0..3 {
            app.invite(&org, &owner, &format!("{n}@example.com"), "member")
                .await;
        }
        let full = app
            .post(
                &format!("/api/orgs/{org}/invitations/email"),
                &owner.token,
                json!({"email": "4@example.com"}),
            )
            .await;
        assert_eq!(full.code(), "seat_limit_reached");
        // Resending Bob's invitation would mail a member.
        let id = app.invitation_id(&org, &owner, "bob@example.com").await;
        let resend = app
            .send(
                Method::POST,
                &format!("/api/orgs/{org}/invitations/{id}/resend"),
                Some(&owner.token),
                None,
            )
            .await;
        assert_eq!(
            (resend.status, resend.code()),
            (StatusCode::CONFLICT, "already_member")
        );
    }
}

#[actix_web::test]
async fn a_bulk_invitation_applies_the_rows_that_pass_and_says_why_the_others_did_not() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let member = app.sign_up("member@example.com").await;
        let org = app.create_org(&owner, "Acme").await;
        app.add_member(&org, &member, BuiltinRole::Member).await;
        let bulk = format!("/api/orgs/{org}/invitations/bulk");
        // Free plan: 5 seats, 2 taken. Three more fit; the fourth new address does not.
        let rows = json!({"invitations": [
            {"email": "a@example.com", "role": "viewer"},
            {"email": "not an address"},
            {"email": "A@example.com"},
            {"email": "member@example.com"},
            {"email": "b@example.com", "role": "owner"},
            {"email": "b@example.com", "role": "admin"},
            {"email": "c@example.com"},
            {"email": "d@example.com"},
        ]});
        let answer = app.post(&bulk, &owner.token, rows).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        let outcome: Vec<(u64, &str, &str)> = answer.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                (
                    row["row"].as_u64().unwrap(),
                    row["status"].as_str().unwrap(),
                    row["error"]["code"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            outcome,
            [
                (1, "invited", ""),
                (2, "failed", "validation_failed"),
                (3, "failed", "already_invited"),
                (4, "failed", "already_member"),
                (5, "failed", "validation_failed"),
                (6, "invited", ""),
                (7, "invited", ""),
                (8, "failed", "seat_limit_reached"),
            ]
        );
        assert_eq!(
            (
                answer.body["invited"].as_u64(),
                answer.body["failed"].as_u64()
            ),
            (Some(3), Some(5))
        );
        assert_eq!(answer.body["results"][1]["error"]["field"], "email");

        let listed = app
            .get(&format!("/api/orgs/{org}/invitations"), &owner.token)
            .await;
        let invited: Vec<&str> = listed.body["invitations"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["email"].as_str())
            .collect();
        assert_eq!(invited.len(), 3, "{invited:?}");
        assert_eq!(
            app.deliver_mail().await.len(),
            3,
            "one e-mail per invitation"
        );
        let audit = app
            .get(
                &format!("/api/orgs/{org}/audit-logs?action=member.invited"),
                &owner.token,
            )
            .await;
        assert_eq!(audit.body["total"], 3);

        // A member may not invite at all; the rows say nothing then: the request is refused.
        let refused = app
            .post(
                &bulk,
                &member.token,
                json!({"invitations": [{"email": "e@example.com"}]}),
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        // No rows, or too many, is a malformed request.
        let empty = app
            .post(&bulk, &owner.token, json!({"invitations": []}))
            .await;
        empty.assert_invalid("invitations", "no rows");
        let many: Vec<_> = (0..=tenantry_domain::invitation::MAX_BULK_ROWS)
            .map(|i| json!({"email": format!("u{i}@example.com")}))
            .collect();
        let over = app
            .post(&bulk, &owner.token, json!({"invitations": many}))
            .await;
        over.assert_invalid("invitations", "1,001 rows");
    }
}

#[actix_web::test]
async fn a_bulk_invitation_of_the_most_rows_fits_in_one_request() {
    let app = crate::helpers::spawn_app().await;
    let owner = app.sign_up("owner@example.com").await;
    let org = app.create_org(&owner, "Acme").await;
    app.set_plan(&org, Plan::Team).await;
    let role = app
        .post(
            &format!("/api/orgs/{org}/roles"),
            &owner.token,
            json!({"name": "Scanner", "permissions": ["scans:read"]}),
        )
        .await;
    let role = role.body["_id"].as_str().unwrap().to_owned();
    // Long addresses and a custom role's id on every row: about 100 KB, over the 64 KiB
    // every other request may send.
    let rows: Vec<_> = (0..tenantry_domain::invitation::MAX_BULK_ROWS)
        .map(|i| json!({"email": format!("someone.with.a.long.name.{i}@subsidiary.example.com"), "role": role}))
        .collect();
    let body = json!({"invitations": rows});
    assert!(body.to_string().len() > tenantry_http::BODY_LIMIT);
    let answer = app
        .post(
            &format!("/api/orgs/{org}/invitations/bulk"),
            &owner.token,
            body,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body["error"]);
    // The team plan's 50 seats, the owner's among them.
    assert_eq!(answer.body["invited"], 49);
    assert_eq!(
        answer.body["results"][999]["error"]["code"],
        "seat_limit_reached"
    );
}
