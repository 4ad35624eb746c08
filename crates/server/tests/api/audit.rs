//! The audit log through the API: what writes record, filters and pages, and the CSV export
//! read back with a real CSV reader; on SQLite and PostgreSQL.

use actix_web::http::{Method, StatusCode, header};
use actix_web::test;
use serde_json::json;
use tenantry_domain::authz::BuiltinRole;
use tenantry_domain::plan::Plan;
use tenantry_persistence::testing;

use crate::helpers::{spawn_app_on, tamper};

#[actix_web::test]
async fn writes_are_listed_newest_first_with_their_actor_and_filters_combine() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let auditor = app.sign_up("auditor@example.com").await;
        let org = app.create_org(&owner, "Acme").await;
        app.add_member(&org, &auditor, BuiltinRole::Auditor).await;
        app.invite(&org, &owner, "new@example.com", "viewer").await;
        app.send(
            Method::PUT,
            &format!("/api/orgs/{org}"),
            Some(&owner.token),
            Some(json!({"name": "Acme Corp"})),
        )
        .await;

        let logs = app
            .get(&format!("/api/orgs/{org}/audit-logs"), &auditor.token)
            .await;
        assert_eq!(logs.status, StatusCode::OK, "{}", logs.body);
        let actions: Vec<_> = logs.body["logs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|log| log["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "org.updated",
                "member.invited",
                "member.added",
                "org.created"
            ]
        );
        assert_eq!(
            (
                logs.body["total"].as_u64(),
                logs.body["page"].as_u64(),
                logs.body["pages"].as_u64()
            ),
            (Some(4), Some(1), Some(1))
        );
        let invited = &logs.body["logs"][1];
        assert_eq!(invited["actor"]["userId"], owner.id.as_str());
        assert_eq!(invited["actor"]["username"], "owner");
        assert_eq!(invited["target"]["email"], "new@example.com");
        assert_eq!(invited["metadata"]["role"], "viewer");
        assert!(invited["timestamp"].as_str().unwrap().ends_with('Z'));
        assert!(
            logs.body["logs"][2]["actor"].is_null(),
            "an operator added the auditor"
        );

        let path = format!("/api/orgs/{org}/audit-logs");
        let by_action = app
            .get(
                &format!("{path}?action=member.invited&actorId={}", owner.id),
                &auditor.token,
            )
            .await;
        assert_eq!(by_action.body["total"], 1);
        let nobody = app
            .get(
                &format!("{path}?action=member.invited&actorId={}", auditor.id),
                &auditor.token,
            )
            .await;
        assert_eq!(nobody.body["total"], 0);
        let paged = app
            .get(&format!("{path}?limit=3&page=2"), &auditor.token)
            .await;
        assert_eq!(
            (
                paged.body["pages"].as_u64(),
                paged.body["logs"].as_array().unwrap().len()
            ),
            (Some(2), 1)
        );
        assert_eq!(paged.body["logs"][0]["action"], "org.created");
        let today = time::OffsetDateTime::now_utc().date();
        let dated = app
            .get(&format!("{path}?from={today}&to={today}"), &auditor.token)
            .await;
        assert_eq!(dated.body["total"], 4);
        let later = app
            .get(
                &format!("{path}?from={}", today.next_day().unwrap()),
                &auditor.token,
            )
            .await;
        assert_eq!(later.body["total"], 0);
    }
}

#[actix_web::test]
async fn bad_filters_are_422_naming_the_parameter_and_members_without_audit_read_are_refused() {
    let app = spawn_app_on(testing::sqlite().await).await;
    let owner = app.sign_up("owner@example.com").await;
    let member = app.sign_up("member@example.com").await;
    let stranger = app.sign_up("stranger@example.com").await;
    let org = app.create_org(&owner, "Acme").await;
    app.add_member(&org, &member, BuiltinRole::Member).await;
    let path = format!("/api/orgs/{org}/audit-logs");
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("page=0", "page"),
        ("page=two", "page"),
        ("from=yesterday", "from"),
        ("to=2025-02-30", "to"),
        ("from=2025-02-01&to=2025-01-01", "to"),
        ("action=member.exploded", "action"),
        ("actorId=42", "actorId"),
        ("colour=blue", "colour"),
    ] {
        let response = app.get(&format!("{path}?{query}"), &owner.token).await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            response.body
        );
        assert_eq!(response.body["error"]["field"], field, "{query}");
    }
    let refused = app.get(&path, &member.token).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    let hidden = app.get(&path, &stranger.token).await;
    assert_eq!(
        (hidden.status, hidden.code()),
        (StatusCode::NOT_FOUND, "org_not_found")
    );
    // The permission comes before the plan: a member learns they may not, not the plan.
    let not_theirs = app.get(&format!("{path}/export"), &member.token).await;
    assert_eq!(
        (not_theirs.status, not_theirs.code()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    let export = app.get(&format!("{path}/export"), &owner.token).await;
    assert_eq!(
        (export.status, export.code()),
        (StatusCode::FORBIDDEN, "plan_upgrade_required")
    );
}

#[actix_web::test]
async fn the_export_is_csv_that_survives_hostile_names_and_is_itself_audited() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        // A display name a spreadsheet would run, with a comma and quotes in it.
        let boss = "=SUM(1,2) \"Boss\"";
        let signed_up = app
            .post_sign_up(
                json!({"email": "owner@example.com", "password": "correct horse", "name": boss}),
            )
            .await;
        assert_eq!(signed_up.status, StatusCode::CREATED, "{}", signed_up.body);
        let owner = crate::helpers::Account {
            id: signed_up.body["user"]["_id"].as_str().unwrap().to_owned(),
            email: "owner@example.com".into(),
            token: signed_up.body["token"].as_str().unwrap().to_owned(),
        };
        let org = app.create_org(&owner, "Acme").await;
        app.set_plan(&org, Plan::Team).await;
        let role = app
            .post(
                &format!("/api/orgs/{org}/roles"),
                &owner.token,
                json!({"name": "Ops, \"the\" team", "permissions": ["scans:read"]}),
            )
            .await;
        assert_eq!(role.status, StatusCode::CREATED, "{}", role.body);
        let renamed = app
            .send(
                Method::PUT,
                &format!("/api/orgs/{org}"),
                Some(&owner.token),
                Some(json!({"name": "-1+1, \"Acme\""})),
            )
            .await;
        assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);

        let request = test::TestRequest::get()
            .uri(&format!("/api/orgs/{org}/audit-logs/export"))
            .insert_header((header::AUTHORIZATION, format!("Bearer {}", owner.token)))
            .to_request();
        let response = test::call_service(app.service(), request).await;
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(content_type.starts_with("text/csv"), "{content_type}");
        let disposition = response
            .headers()
            .get(header::CONTENT_DISPOSITION)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            disposition.starts_with("attachment") && disposition.contains(".csv"),
            "{disposition}"
        );
        let body = test::read_body(response).await;

        let mut reader = csv::Reader::from_reader(body.as_ref());
        let headers = reader.headers().unwrap().clone();
        assert_eq!(
            headers.iter().collect::<Vec<_>>(),
            [
                "id",
                "timestamp",
                "action",
                "actorId",
                "actorName",
                "target",
                "metadata",
                "ip"
            ]
        );
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let actions: Vec<_> = rows.iter().map(|row| &row[2]).collect();
        assert_eq!(
            actions,
            [
                "org.updated",
                "role.created",
                "org.plan_changed",
                "org.created"
            ],
            "the export's own event comes after it"
        );
        // A cell that would start a formula is neutralised; commas and quotes survive. (Names
        // cannot hold line breaks, and target and metadata are JSON, where they are escaped.)
        assert_eq!(&rows[0][4], format!("'{boss}"));
        let metadata: serde_json::Value = serde_json::from_str(&rows[0][6]).unwrap();
        assert_eq!(metadata["name"], "-1+1, \"Acme\"");
        let created: serde_json::Value = serde_json::from_str(&rows[1][6]).unwrap();
        assert_eq!(created["name"], "Ops, \"the\" team");

        let logs = app
            .get(
                &format!("/api/orgs/{org}/audit-logs?action=audit.exported"),
                &owner.token,
            )
            .await;
        assert_eq!(logs.body["total"], 1);
        assert_eq!(logs.body["logs"][0]["metadata"]["rowCount"], "4");
    }
}

#[actix_web::test]
async fn the_ip_recorded_is_the_peer_or_the_client_a_trusted_proxy_names() {
    let config = tenantry_server::Config {
        trusted_proxies: "10.0.0.0/8".into(),
        ..tenantry_server::Config::default()
    };
    let app = crate::helpers::spawn_app_with(config, testing::sqlite().await).await;
    let owner = app.sign_up("owner@example.com").await;
    let org = app.create_org(&owner, "Acme").await;
    let rename = |peer: &str, forwarded: &str, name: &str| {
        test::TestRequest::put()
            .uri(&format!("/api/orgs/{org}"))
            .peer_addr(peer.parse().unwrap())
            .insert_header((header::AUTHORIZATION, format!("Bearer {}", owner.token)))
            .insert_header(("X-Forwarded-For", forwarded.to_owned()))
            .insert_header(header::ContentType::json())
            .set_payload(json!({ "name": name }).to_string())
            .to_request()
    };
    // Through the trusted proxy: the client it names. Straight from a client: the header is
    // the client's own claim and is ignored.
    app.raw(rename("10.0.0.5:4000", "6.6.6.6, 203.0.113.9", "Via proxy"))
        .await;
    app.raw(rename("198.51.100.7:4000", "1.2.3.4", "Direct"))
        .await;

    let logs = app
        .get(
            &format!("/api/orgs/{org}/audit-logs?action=org.updated"),
            &owner.token,
        )
        .await;
    let ips: Vec<_> = logs.body["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|log| log["ip"].as_str().unwrap())
        .collect();
    assert_eq!(ips, ["198.51.100.7", "203.0.113.9"]);
}

#[actix_web::test]
async fn verify_finds_an_edited_a_deleted_an_inserted_and_a_cut_off_row() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        // Four orgs with the same history: org.created and three renames.
        let mut orgs = Vec::new();
        for n in 0..4 {
            let org = app.create_org(&owner, &format!("Org {n}")).await;
            for name in ["One", "Two", "Three"] {
                app.send(
                    Method::PUT,
                    &format!("/api/orgs/{org}"),
                    Some(&owner.token),
                    Some(json!({"name": name})),
                )
                .await;
            }
            orgs.push(org);
        }
        let verify = |org: &str| format!("/api/orgs/{org}/audit-logs/verify");
        let intact = app.get(&verify(&orgs[0]), &owner.token).await;
        assert_eq!(intact.status, StatusCode::OK, "{}", intact.body);
        assert_eq!(
            (
                intact.body["intact"].as_bool(),
                intact.body["checked"].as_u64(),
                intact.body["headSeq"].as_u64()
            ),
            (Some(true), Some(4), Some(4))
        );
        assert!(intact.body["firstBreak"].is_null());

        // The id of the `seq`th event of an org.
        let event_at = |org: usize, seq: usize| {
            let (app, orgs, owner) = (&app, &orgs, &owner);
            async move {
                let logs = app
                    .get(&format!("/api/orgs/{}/audit-logs", orgs[org]), &owner.token)
                    .await;
                let logs = logs.body["logs"].as_array().unwrap().clone();
                logs[logs.len() - seq]["_id"]
                    .as_str()
                    .unwrap()
                    .parse::<uuid::Uuid>()
                    .unwrap()
            }
        };
        // Edited: the second event now says something else.
        let edited = event_at(0, 2).await;
        tamper(
            &app.db,
            "UPDATE audit_events SET metadata = ? WHERE id = ?",
            vec!["{\"name\":\"Evil\"}".into(), edited.into()],
        )
        .await;
        // Deleted: the second event is gone.
        let deleted = event_at(1, 2).await;
        tamper(
            &app.db,
            "DELETE FROM audit_events WHERE id = ?",
            vec![deleted.into()],
        )
        .await;
        // Inserted: a copy of an event slipped in with a fresh id.
        let copied = event_at(2, 2).await;
        tamper(
            &app.db,
            "INSERT INTO audit_events (id, org_id, actor_id, action, target, metadata, ip, created_at, created_at_us) \
             SELECT ?, org_id, actor_id, action, target, metadata, ip, created_at, created_at_us FROM audit_events WHERE id = ?",
            vec![uuid::Uuid::now_v7().into(), copied.into()],
        )
        .await;
        // Cut off: the newest event is gone.
        let newest = event_at(3, 4).await;
        tamper(
            &app.db,
            "DELETE FROM audit_events WHERE id = ?",
            vec![newest.into()],
        )
        .await;

        for (org, reason, seq, event) in [
            (0, "altered", 2, Some(edited)),
            (1, "missing", 2, Some(event_at(1, 2).await)),
            (2, "unchained", 5, None),
            (3, "truncated", 4, None),
        ] {
            let report = app.get(&verify(&orgs[org]), &owner.token).await;
            assert_eq!(report.body["intact"], false, "org {org}: {}", report.body);
            let broken = &report.body["firstBreak"];
            assert_eq!(
                (broken["reason"].as_str(), broken["seq"].as_u64()),
                (Some(reason), Some(seq)),
                "org {org}: {}",
                report.body
            );
            assert_eq!(
                broken["eventId"]
                    .as_str()
                    .map(|id| id.parse::<uuid::Uuid>().unwrap()),
                event,
                "org {org}"
            );
        }
    }
}

#[actix_web::test]
async fn retention_deletes_what_the_plan_no_longer_keeps_and_the_chain_still_verifies() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let free = app.create_org(&owner, "Free").await;
        let enterprise = app.create_org(&owner, "Enterprise").await;
        app.set_plan(&enterprise, Plan::Enterprise).await;
        for org in [&free, &enterprise] {
            for name in ["One", "Two", "Three", "Four"] {
                app.send(
                    Method::PUT,
                    &format!("/api/orgs/{org}"),
                    Some(&owner.token),
                    Some(json!({"name": name})),
                )
                .await;
            }
            // Its oldest three events are from 40 days ago (the free plan keeps 30).
            let logs = app
                .get(&format!("/api/orgs/{org}/audit-logs"), &owner.token)
                .await;
            let logs = logs.body["logs"].as_array().unwrap().clone();
            let old = time::OffsetDateTime::now_utc() - time::Duration::days(40);
            let micros = i64::try_from(old.unix_timestamp_nanos() / 1_000).unwrap();
            for log in &logs[logs.len() - 3..] {
                let id: uuid::Uuid = log["_id"].as_str().unwrap().parse().unwrap();
                tamper(
                    &app.db,
                    "UPDATE audit_events SET created_at_us = ? WHERE id = ?",
                    vec![micros.into(), id.into()],
                )
                .await;
            }
            // The hourly counts an append keeps follow the rows to their new hours.
            let org_id: uuid::Uuid = org.parse().unwrap();
            tamper(
                &app.db,
                "DELETE FROM audit_counts WHERE org_id = ?",
                vec![org_id.into()],
            )
            .await;
            tamper(
                &app.db,
                "INSERT INTO audit_counts (org_id, action, actor_id, hour, n) \
                 SELECT org_id, action, COALESCE(actor_id, ?), created_at_us / 3600000000, COUNT(*) \
                 FROM audit_events WHERE org_id = ? \
                 GROUP BY org_id, action, actor_id, created_at_us / 3600000000",
                vec![uuid::Uuid::nil().into(), org_id.into()],
            )
            .await;
        }

        // Each org's webhook tried to deliver 40 days ago and today.
        let mut hooks = Vec::new();
        for org in [&free, &enterprise] {
            hooks.push(webhook_tried_then_and_now(&app.db, org).await);
        }

        let pruned = app.services.audit.apply_retention().await.unwrap();
        assert_eq!(pruned.events, 3, "only the free org's old events");
        assert_eq!(pruned.delivery_attempts, 1, "and its old delivery attempt");
        for ((org, hook), left) in [&free, &enterprise].into_iter().zip(&hooks).zip([1, 2]) {
            let log = app
                .get(
                    &format!("/api/orgs/{org}/webhooks/{hook}/deliveries"),
                    &owner.token,
                )
                .await;
            assert_eq!(log.body["total"], left, "{}", log.body);
        }

        let free_log = app
            .get(&format!("/api/orgs/{free}/audit-logs"), &owner.token)
            .await;
        assert_eq!(free_log.body["total"], 2);
        let report = app
            .get(&format!("/api/orgs/{free}/audit-logs/verify"), &owner.token)
            .await;
        assert_eq!(
            (
                report.body["intact"].as_bool(),
                report.body["anchorSeq"].as_u64(),
                report.body["checked"].as_u64()
            ),
            (Some(true), Some(3), Some(2)),
            "{}",
            report.body
        );
        let kept = app
            .get(&format!("/api/orgs/{enterprise}/audit-logs"), &owner.token)
            .await;
        assert_eq!(kept.body["total"], 6, "enterprise keeps everything");
        assert_eq!(
            app.services.audit.apply_retention().await.unwrap(),
            tenantry_domain::audit::Pruned::default(),
            "nothing left to do"
        );
    }
}

/// A webhook of `org`, stored with a delivery attempt 40 days old and one of now (no audit
/// event: the test counts the org's events).
async fn webhook_tried_then_and_now(
    db: &tenantry_persistence::testing::TestDatabase,
    org: &str,
) -> tenantry_domain::ids::WebhookId {
    use tenantry_domain::audit::AuditAction;
    use tenantry_domain::ids::{AuditEventId, WebhookId};
    use tenantry_domain::ports::UnitOfWork;
    use tenantry_domain::webhook::{
        DeliveryAttempt, EventTypes, RoundOutcome, Webhook, WebhookUrl,
    };
    let now = time::OffsetDateTime::now_utc();
    let webhook = Webhook {
        id: WebhookId::generate(),
        org_id: org.parse().unwrap(),
        url: WebhookUrl::try_from("https://93.184.216.34/hooks").unwrap(),
        events: EventTypes::parse(["org.updated"]).unwrap(),
        active: true,
        previous_secret_expires_at: None,
        created_at: now - time::Duration::days(41),
    };
    let tried = |at| DeliveryAttempt {
        event_id: AuditEventId::generate(),
        action: AuditAction::OrgUpdated,
        attempt: 1,
        status: Some(204),
        error: None,
        at,
        duration_ms: 3,
    };
    let tx = db.database.begin().await.unwrap();
    let sealed = tenantry_domain::integration::SealedCredentials("sealed".into());
    tx.webhooks()
        .insert_webhook(&webhook, &sealed)
        .await
        .unwrap();
    let round = RoundOutcome {
        webhook: webhook.id,
        attempts: vec![tried(now - time::Duration::days(40)), tried(now)],
        delivered_through: None,
        failures: 0,
        retry_at: now,
    };
    tx.webhooks().record_round(&round).await.unwrap();
    tx.commit().await.unwrap();
    webhook.id
}

#[actix_web::test]
async fn each_change_records_exactly_one_event_and_a_refused_one_none() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let bob = app.sign_up("bob@example.com").await;
        let org = app.create_org(&owner, "Acme").await;
        let other = app.create_org(&owner, "Other").await;
        app.set_plan(&org, Plan::Team).await;
        let token = app.invite(&org, &owner, "bob@example.com", "viewer").await;
        app.send(
            Method::POST,
            &format!("/api/invitations/{token}/accept"),
            Some(&bob.token),
            None,
        )
        .await;
        let path = |rest: &str| format!("/api/orgs/{org}{rest}");
        app.send(
            Method::PUT,
            &path(&format!("/members/{}", bob.id)),
            Some(&owner.token),
            Some(json!({"role": "admin"})),
        )
        .await;
        let role = app
            .post(
                &path("/roles"),
                &owner.token,
                json!({"name": "Ops", "permissions": ["scans:read"]}),
            )
            .await;
        let role_id = role.body["_id"].as_str().unwrap().to_owned();
        app.send(
            Method::PATCH,
            &path(&format!("/roles/{role_id}")),
            Some(&owner.token),
            Some(json!({"description": "x"})),
        )
        .await;
        app.send(
            Method::DELETE,
            &path(&format!("/roles/{role_id}")),
            Some(&owner.token),
            None,
        )
        .await;
        let (link, _) = app.create_link(&org, &owner, json!({})).await;
        app.send(
            Method::DELETE,
            &path(&format!("/invitations/{link}")),
            Some(&owner.token),
            None,
        )
        .await;
        app.send(
            Method::POST,
            &path(&format!("/members/{}/move", bob.id)),
            Some(&owner.token),
            Some(json!({"targetOrgId": other})),
        )
        .await;

        let before = app.get(&path("/audit-logs"), &owner.token).await.body["total"].clone();
        // Refused: changing the owner's role, removing someone who is no member.
        app.send(
            Method::PUT,
            &path(&format!("/members/{}", owner.id)),
            Some(&owner.token),
            Some(json!({"role": "admin"})),
        )
        .await;
        app.send(
            Method::DELETE,
            &path(&format!("/members/{}", uuid::Uuid::now_v7())),
            Some(&owner.token),
            None,
        )
        .await;
        let after = app.get(&path("/audit-logs"), &owner.token).await;
        assert_eq!(
            after.body["total"], before,
            "refused changes leave no event"
        );

        let actions: Vec<_> = after.body["logs"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .map(|log| {
                (
                    log["action"].as_str().unwrap().to_owned(),
                    log["actor"]["userId"].as_str().map(str::to_owned),
                )
            })
            .collect();
        let by = |user: &crate::helpers::Account| Some(user.id.clone());
        assert_eq!(
            actions,
            vec![
                ("org.created".to_owned(), by(&owner)),
                ("org.plan_changed".to_owned(), None),
                ("member.invited".to_owned(), by(&owner)),
                ("member.joined".to_owned(), by(&bob)),
                ("member.role_updated".to_owned(), by(&owner)),
                ("role.created".to_owned(), by(&owner)),
                ("role.updated".to_owned(), by(&owner)),
                ("role.deleted".to_owned(), by(&owner)),
                ("invitation.link_created".to_owned(), by(&owner)),
                ("invitation.revoked".to_owned(), by(&owner)),
                ("member.moved_out".to_owned(), by(&owner)),
            ]
        );
        let moved_in = app
            .get(
                &format!("/api/orgs/{other}/audit-logs?action=member.moved_in"),
                &owner.token,
            )
            .await;
        assert_eq!(
            moved_in.body["logs"][0]["metadata"]["sourceOrgId"],
            org.as_str()
        );
    }
}
