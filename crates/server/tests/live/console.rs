//! The web console in a real browser: an owner signs up, creates an org, invites someone by
//! e-mail (who accepts from the `.eml`), changes her role, gets the team plan from an operator,
//! defines a custom role and gives it to her, then reads and downloads the audit log. The
//! invitee, signed in beside, sees no admin action, and her forged posts, like posts without
//! the session's CSRF token, are refused with 403 and change nothing.
//!
//! Screenshots of the main pages land in `$TENANTRY_CONSOLE_SCREENSHOTS` when it is set
//! (`docs/console`, relative to the workspace's root).

use crate::support::{Browser, Server, browser_available};
use serde_json::Value;

const OWNER: &str = "owner@example.com";
const IVY: &str = "ivy@example.com";
const PASSWORD: &str = "correct horse battery";
const SESSION: &str = "tenantry_console";

/// A console screenshot, kept when `TENANTRY_CONSOLE_SCREENSHOTS` names a directory.
async fn shot(browser: &Browser, name: &str) {
    browser
        .screenshot_into("TENANTRY_CONSOLE_SCREENSHOTS", name)
        .await;
}

/// Like [`shot`], with the window made `height` pixels tall first, for a page longer than the
/// window.
async fn tall_shot(browser: &Browser, name: &str, height: u32) {
    browser.client.set_window_size(1280, height).await.unwrap();
    shot(browser, name).await;
    browser.client.set_window_size(1280, 1000).await.unwrap();
}

/// A browser with a window wide enough for the console's tables.
async fn wide_browser() -> Browser {
    let browser = Browser::start().await;
    browser.client.set_window_size(1280, 1000).await.unwrap();
    browser
}

/// `application/x-www-form-urlencoded`, as a browser encodes a form.
fn encoded(fields: &[(&str, &str)]) -> String {
    let escape = |text: &str| -> String {
        text.bytes()
            .map(|byte| match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                    char::from(byte).to_string()
                }
                b' ' => "+".to_owned(),
                other => format!("%{other:02X}"),
            })
            .collect()
    };
    fields
        .iter()
        .map(|(key, value)| format!("{}={}", escape(key), escape(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A form posted straight to the console with `cookie` (a `cookie` header's value), as a page
/// of another site or a hand-made request would post it: the status and the body.
async fn post(server: &Server, path: &str, cookie: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let (status, _, body) = server
        .send(
            "POST",
            path,
            &[
                ("cookie", cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            encoded(fields),
        )
        .await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// A page fetched with `cookie`: the status, the response's headers and the body.
async fn get(server: &Server, path: &str, cookie: &str) -> (u16, hyper::HeaderMap, String) {
    let (status, headers, body) = server
        .send("GET", path, &[("cookie", cookie)], String::new())
        .await;
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

/// The row of `email` in the members table.
fn member_row(email: &str) -> String {
    format!("#members tr[data-email=\"{email}\"]")
}

/// Signs in on the console's sign-in page.
async fn sign_in(browser: &Browser, server: &Server, email: &str) {
    browser
        .open(&format!("{}/console/sign-in", server.base))
        .await;
    browser.fill("email", email).await;
    browser.fill("password", PASSWORD).await;
    browser.submit("sign-in").await;
    assert!(
        browser.url().await.ends_with("/console/orgs"),
        "{}",
        browser.text().await
    );
}

#[actix_web::test]
async fn an_owner_runs_an_org_from_the_console_and_a_member_can_do_only_what_her_role_allows() {
    if !browser_available() {
        return;
    }
    let server = Server::start().await;
    let base = server.base.clone();
    let owner = wide_browser().await;

    // Sign-up, then a first org.
    owner.open(&format!("{base}/console")).await;
    assert!(owner.url().await.ends_with("/console/sign-in"));
    assert!(owner.text().await.contains("Sign in"));
    shot(&owner, "sign-in").await;
    owner.click("a[href=\"/console/sign-up\"]").await;
    owner.fill("name", "Olivia Owner").await;
    owner.fill("email", OWNER).await;
    owner.fill("password", PASSWORD).await;
    owner.submit("sign-up").await;
    assert!(owner.url().await.ends_with("/console/orgs"));
    assert!(
        owner
            .text()
            .await
            .contains("You belong to no organization yet")
    );
    owner.fill("org-name", "Acme Labs").await;
    owner.submit("create-org").await;
    let url = owner.url().await;
    let org = url
        .split("/console/orgs/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_owned();
    assert!(url.ends_with("/members?done=created"), "{url}");
    assert_eq!(owner.count("#members tbody tr").await, 1);
    let orgs = format!("{base}/console/orgs/{org}");
    let path = format!("/console/orgs/{org}");
    let owner_cookie = owner.cookie(SESSION).await;

    // Ivy is invited as a viewer and accepts from the e-mail.
    owner.open(&format!("{orgs}/invitations")).await;
    owner.fill("invite-email", IVY).await;
    owner.select("#invite-role", "viewer").await;
    owner.submit("send-invite").await;
    assert!(owner.text().await.contains("Invitation sent."));
    let pending = "#invitations tr[data-email=\"ivy@example.com\"]";
    assert_eq!(
        owner.texts(&format!("{pending} td.status")).await,
        ["pending"]
    );
    assert_eq!(owner.texts(&format!("{pending} td.role")).await, ["viewer"]);
    let link = server.link_mailed_to(IVY).await;
    let ivy = wide_browser().await;
    ivy.open(&link).await;
    assert!(
        ivy.text()
            .await
            .contains("Olivia Owner invited you to join Acme Labs as viewer")
    );
    ivy.fill("name", "Ivy Invitee").await;
    ivy.fill("new-password", PASSWORD).await;
    ivy.submit("register").await;
    assert!(
        ivy.text()
            .await
            .contains("You are now a member of Acme Labs as viewer")
    );
    owner.open(&format!("{orgs}/invitations")).await;
    assert_eq!(
        owner.texts(&format!("{pending} td.status")).await,
        ["accepted"]
    );

    // Ivy signs in to the console. As a viewer she may not read the member list: its tab is
    // hidden and the page itself is refused.
    sign_in(&ivy, &server, IVY).await;
    let ivy_cookie = ivy.cookie(SESSION).await;
    assert!(ivy.text().await.contains("Acme Labs"));
    ivy.open(&format!("{orgs}/members")).await;
    assert!(
        ivy.text().await.contains("does not allow"),
        "{}",
        ivy.text().await
    );
    let (status, _, _) = get(&server, &format!("{path}/members"), &ivy_cookie).await;
    assert_eq!(status, 403);
    ivy.open(&format!("{orgs}/settings")).await;
    assert_eq!(
        ivy.texts("nav.tabs a").await,
        ["Settings"],
        "a viewer's only tab"
    );

    // The owner sees Ivy and makes her a member.
    owner.open(&format!("{orgs}/members")).await;
    assert_eq!(
        owner.texts(&format!("{} td.role", member_row(IVY))).await,
        ["viewer"]
    );
    owner
        .select(&format!("{} select[name=role]", member_row(IVY)), "member")
        .await;
    owner
        .click(&format!(
            "{} form[action$=\"/role\"] button",
            member_row(IVY)
        ))
        .await;
    assert!(owner.text().await.contains("Saved."));
    assert_eq!(
        owner.texts(&format!("{} td.role", member_row(IVY))).await,
        ["member"]
    );
    shot(&owner, "members").await;

    // Custom roles need the team plan: the page says so until an operator sets it.
    owner.open(&format!("{orgs}/roles")).await;
    assert_eq!(owner.count("#roles-upgrade").await, 1);
    server.set_plan(&org, "team");
    owner.open(&format!("{orgs}/roles")).await;
    assert_eq!(owner.count("#roles-upgrade").await, 0);
    owner.fill("role-name", "Scanner").await;
    owner
        .fill("role-description", "Reads scans and who is in the team")
        .await;
    owner.tick("#perm-scans-read").await;
    owner.tick("#perm-members-read").await;
    owner.click("#create-role").await;
    assert!(owner.text().await.contains("Created."));
    assert_eq!(
        owner
            .texts("#roles tr[data-role=\"Scanner\"] td.permissions")
            .await,
        ["scans:read members:read"]
    );
    tall_shot(&owner, "roles", 1350).await;

    // …and gives it to Ivy.
    owner.open(&format!("{orgs}/members")).await;
    owner
        .select(&format!("{} select[name=role]", member_row(IVY)), "Scanner")
        .await;
    owner
        .click(&format!(
            "{} form[action$=\"/role\"] button",
            member_row(IVY)
        ))
        .await;
    assert_eq!(
        owner.texts(&format!("{} td.role", member_row(IVY))).await,
        ["Scanner"]
    );
    owner.open(&format!("{orgs}/roles")).await;
    assert_eq!(
        owner
            .texts("#roles tr[data-role=\"Scanner\"] td.count")
            .await,
        ["1"]
    );

    // As a Scanner Ivy reads the member list, but the pages offer her no admin action.
    ivy.open(&format!("{orgs}/members")).await;
    assert_eq!(ivy.count("#members tbody tr").await, 2);
    assert_eq!(
        ivy.texts(&format!("{} td.role", member_row(IVY))).await,
        ["Scanner"]
    );
    assert_eq!(ivy.count("form[action$=\"/role\"]").await, 0);
    assert_eq!(ivy.count("form[action$=\"/remove\"]").await, 0);
    assert_eq!(ivy.count("form[action$=\"/move\"]").await, 0);
    assert_eq!(ivy.count("a[href$=\"/transfer\"]").await, 0);
    assert!(!ivy.text().await.contains("Actions"));
    assert_eq!(
        ivy.texts("nav.tabs a").await,
        ["Members", "Invitations", "Roles", "Settings"],
        "no audit log without audit:read"
    );
    shot(&ivy, "members-read-only").await;
    ivy.open(&format!("{orgs}/invitations")).await;
    assert_eq!(ivy.count("#invitations tbody tr").await, 1);
    for absent in [
        "#invite-email",
        "#send-invite",
        "#create-link",
        "#bulk-invite",
        "form[action$=\"/revoke\"]",
        "form[action$=\"/resend\"]",
    ] {
        assert_eq!(ivy.count(absent).await, 0, "{absent} shown to a Scanner");
    }
    ivy.open(&format!("{orgs}/roles")).await;
    assert_eq!(ivy.count("#create-role").await, 0);
    ivy.open(&format!("{orgs}/settings")).await;
    assert_eq!(ivy.count("#rename").await, 0);
    assert_eq!(ivy.count("#delete-org").await, 0);

    // Her forged posts carry her own valid CSRF token, read off a form of hers; the server
    // refuses each with 403 all the same.
    let ivy_token = ivy
        .attr("input[type=hidden][name=csrf]", "value")
        .await
        .unwrap();
    let ids = member_ids(&server, &owner_cookie, &org).await;
    let (owner_id, ivy_id) = (&ids[OWNER], &ids[IVY]);
    let forged: [(String, Vec<(&str, &str)>); 5] = [
        (format!("{path}/members/{owner_id}/remove"), vec![]),
        (
            format!("{path}/members/{ivy_id}/role"),
            vec![("role", "admin")],
        ),
        (
            format!("{path}/invitations/email"),
            vec![("email", "mallory@example.com"), ("role", "admin")],
        ),
        (
            format!("{path}/settings/rename"),
            vec![("name", "Mallory Labs")],
        ),
        (format!("{path}/delete"), vec![("confirm", "Acme Labs")]),
    ];
    for (target, fields) in &forged {
        let mut fields = fields.clone();
        fields.push(("csrf", &ivy_token));
        let (status, body) = post(&server, target, &ivy_cookie, &fields).await;
        assert_eq!(status, 403, "{target}: {body}");
        assert!(body.contains("does not allow"), "{target}: {body}");
    }
    // Nor may she download the audit log.
    let (status, _, _) = get(&server, &format!("{path}/audit.csv"), &ivy_cookie).await;
    assert_eq!(status, 403);

    // A post with the owner's cookie but no token, or another session's token, is refused
    // before anything is read.
    let remove_ivy = format!("{path}/members/{ivy_id}/remove");
    for fields in [
        vec![],
        vec![("csrf", "")],
        vec![("csrf", ivy_token.as_str())],
    ] {
        let (status, body) = post(&server, &remove_ivy, &owner_cookie, &fields).await;
        assert_eq!(status, 403, "{fields:?}: {body}");
        assert!(body.contains("did not come from this console"), "{body}");
    }

    // Nothing changed.
    owner.open(&format!("{orgs}/members")).await;
    assert_eq!(owner.count("#members tbody tr").await, 2);
    assert_eq!(
        owner.texts(&format!("{} td.role", member_row(OWNER))).await,
        ["owner"]
    );
    assert_eq!(
        owner.texts(&format!("{} td.role", member_row(IVY))).await,
        ["Scanner"]
    );
    owner.open(&format!("{orgs}/invitations")).await;
    assert_eq!(owner.count("#invitations tbody tr").await, 1);

    // A join link, shown once on the page that created it.
    owner.select("#link-role", "Scanner").await;
    owner.fill("link-max-uses", "5").await;
    owner.click("#create-link").await;
    assert!(owner.text().await.contains("Join link created."));
    let join = owner.attr("#join-link", "value").await.unwrap();
    assert!(join.starts_with(&format!("{base}/join/")), "{join}");
    assert!(
        owner
            .text()
            .await
            .contains("Up to 5 people can join through it as Scanner")
    );
    let links = "#invitations tr[data-kind=\"link\"]";
    assert_eq!(owner.texts(&format!("{links} td.uses")).await, ["0 / 5"]);
    tall_shot(&owner, "invitations", 1150).await;
    owner.open(&format!("{orgs}/invitations")).await;
    assert_eq!(owner.count("#join-link").await, 0, "shown only once");
    owner.open(&format!("{orgs}/settings")).await;
    assert_eq!(
        owner.attr("#org-name", "value").await.as_deref(),
        Some("Acme Labs")
    );
    assert!(owner.text().await.contains("on the team plan"));
    tall_shot(&owner, "settings", 1100).await;

    // The audit log shows what happened, and downloads as CSV.
    owner.open(&format!("{orgs}/audit")).await;
    let actions = owner.attrs("#audit tbody tr", "data-action").await;
    for action in [
        "member.invited",
        "member.joined",
        "member.role_updated",
        "role.created",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "member.role_updated")
            .count(),
        2,
        "viewer to member, member to Scanner: {actions:?}"
    );
    shot(&owner, "audit").await;
    let download = owner.attr("#download-csv", "href").await.unwrap();
    assert_eq!(download, format!("{path}/audit.csv"));
    let (status, headers, csv) = get(&server, &download, &owner_cookie).await;
    assert_eq!(status, 200, "{csv}");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"),
        "{headers:?}"
    );
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("audit-logs-{org}.csv")),
        "{headers:?}"
    );
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("id,timestamp,action,actorId,actorName,target,metadata,ip")
    );
    let rows: Vec<&str> = lines.collect();
    for action in [
        "member.invited",
        "member.joined",
        "member.role_updated",
        "role.created",
    ] {
        assert!(
            rows.iter().any(|row| row.contains(&format!(",{action},"))),
            "{action} in {csv}"
        );
    }
    assert!(
        rows.iter()
            .any(|row| row.contains(",role.created,") && row.contains("Olivia Owner")),
        "{csv}"
    );
    assert_eq!(
        rows.len(),
        actions.len(),
        "the page and the file list the same events"
    );

    // The org list, with the org on its new plan.
    owner.open(&format!("{base}/console/orgs")).await;
    let list = owner.text().await;
    assert!(
        list.contains("Acme Labs") && list.contains("owner") && list.contains("team"),
        "{list}"
    );
    shot(&owner, "orgs").await;

    ivy.close().await;
    owner.close().await;
}

/// The org's members' user ids by e-mail, read through the API with the owner's console
/// session: the console's cookie holds an API session token.
async fn member_ids(
    server: &Server,
    owner_cookie: &str,
    org: &str,
) -> std::collections::HashMap<String, String> {
    let token = owner_cookie.trim_start_matches(&format!("{SESSION}="));
    let (status, body) = server
        .api(
            "GET",
            &format!("/api/orgs/{org}/members"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|member: &Value| {
            (
                member["email"].as_str().unwrap().to_owned(),
                member["userId"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}
