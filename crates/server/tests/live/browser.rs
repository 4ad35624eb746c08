//! The invitation pages in a real browser: a person follows the e-mailed link or a join link,
//! fills the form and submits; the member list, read through the API, shows them with the
//! offered role. Spent links show why they no longer work.

use crate::support::{Browser, Server, browser_available};
use serde_json::json;

#[actix_web::test]
async fn a_newcomer_accepts_an_emailed_invitation_and_a_second_person_joins_by_link() {
    if !browser_available() {
        return;
    }
    let server = Server::start().await;
    let (owner, org) = server.owned_org("Olivia <Owner>", "Acme & Co").await;
    server
        .invite(
            &org,
            &owner,
            json!({"email": "new@example.com", "role": "viewer"}),
        )
        .await;
    let link = server.link_mailed_to("new@example.com").await;
    let browser = Browser::start().await;

    // The e-mailed link: the page shows who invites to what, and takes a name and password.
    browser.open(&link).await;
    let offer = browser.text().await;
    assert!(
        offer.contains("Olivia <Owner> invited you to join Acme & Co as viewer"),
        "{offer}"
    );
    assert!(offer.contains("new@example.com"), "{offer}");
    browser.screenshot("invitation").await;
    browser.fill("name", "Newcomer").await;
    browser.fill("new-password", "correct horse battery").await;
    browser.submit("register").await;
    let welcome = browser.text().await;
    assert!(
        welcome.contains("You are now a member of Acme & Co as viewer"),
        "{welcome}"
    );
    browser.screenshot("invitation-accepted").await;
    assert_eq!(
        server
            .role_of(&org, &owner, "new@example.com")
            .await
            .as_deref(),
        Some("viewer")
    );

    // The same link again: used.
    browser.open(&link).await;
    let used = browser.text().await;
    assert!(
        used.contains("This invitation has already been used"),
        "{used}"
    );
    browser.screenshot("invitation-used").await;

    // A join link for a second person, who creates an account on the page.
    let (_, created) = server
        .api(
            "POST",
            &format!("/api/orgs/{org}/invitations/link"),
            Some(&owner),
            Some(json!({"role": "member"})),
        )
        .await;
    let join = created["link"].as_str().unwrap().to_owned();
    browser.open(&join).await;
    let offer = browser.text().await;
    assert!(offer.contains("to join Acme & Co as member"), "{offer}");
    browser.screenshot("join").await;
    browser.fill("name", "Second").await;
    browser.fill("new-email", "second@example.com").await;
    browser.fill("new-password", "correct horse battery").await;
    browser.submit("sign-up").await;
    assert!(
        browser
            .text()
            .await
            .contains("You are now a member of Acme & Co as member")
    );
    assert_eq!(
        server
            .role_of(&org, &owner, "second@example.com")
            .await
            .as_deref(),
        Some("member")
    );

    // Someone who already has an account signs in on the join page instead.
    server.sign_up("third@example.com", "Third").await;
    browser.open(&join).await;
    browser.fill("email", "third@example.com").await;
    browser.fill("password", "wrong password").await;
    browser.submit("sign-in").await;
    let refused = browser.text().await;
    assert!(refused.contains("wrong e-mail or password"), "{refused}");
    browser.fill("email", "third@example.com").await;
    browser.fill("password", "correct horse").await;
    browser.submit("sign-in").await;
    assert!(
        browser
            .text()
            .await
            .contains("You are now a member of Acme & Co as member")
    );
    assert_eq!(
        server
            .role_of(&org, &owner, "third@example.com")
            .await
            .as_deref(),
        Some("member")
    );
    browser.close().await;
}

#[actix_web::test]
async fn revoked_and_expired_invitations_and_unknown_links_are_refused_with_a_clear_message() {
    if !browser_available() {
        return;
    }
    let server = Server::start().await;
    let (owner, org) = server.owned_org("Olivia", "Acme").await;
    let invite = |email: &'static str| {
        let (server, owner, org) = (&server, &owner, &org);
        async move {
            let id = server.invite(org, owner, json!({ "email": email })).await;
            (id, server.link_mailed_to(email).await)
        }
    };
    let (revoked_id, revoked) = invite("revoked@example.com").await;
    let (status, _) = server
        .api(
            "DELETE",
            &format!("/api/orgs/{org}/invitations/{revoked_id}"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (expired_id, expired) = invite("expired@example.com").await;
    expire(&server.database_url, &expired_id).await;

    let browser = Browser::start().await;
    browser.open(&revoked).await;
    let text = browser.text().await;
    assert!(
        text.contains("This invitation was revoked")
            && text.contains("Ask Olivia for a new invitation"),
        "{text}"
    );
    browser.screenshot("invitation-revoked").await;
    browser.open(&expired).await;
    let text = browser.text().await;
    assert!(text.contains("This invitation has expired"), "{text}");
    browser.screenshot("invitation-expired").await;
    browser
        .open(&format!("{}/join/inv_nothing_here", server.base))
        .await;
    assert!(browser.text().await.contains("This link is not valid"));
    browser.close().await;

    let (_, members) = server
        .api(
            "GET",
            &format!("/api/orgs/{org}/members"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(
        members["members"].as_array().unwrap().len(),
        1,
        "nobody joined"
    );
}

/// Moves an invitation's expiry into the past, as time passing would.
async fn expire(database_url: &str, invitation: &str) {
    use sea_orm::{ConnectionTrait, Statement};
    let database = tenantry_persistence::Database::connect(database_url)
        .await
        .unwrap();
    let past = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let micros = i64::try_from(past.unix_timestamp_nanos() / 1_000).unwrap();
    let id: uuid::Uuid = invitation.parse().unwrap();
    database
        .connection()
        .execute_raw(Statement::from_sql_and_values(
            database.backend(),
            "UPDATE invitations SET expires_at = ?, expires_at_us = ? WHERE id = ?",
            [past.into(), micros.into(), id.into()],
        ))
        .await
        .unwrap();
}

#[actix_web::test]
async fn a_person_who_forgot_their_password_sets_a_new_one_from_the_mailed_link() {
    if !browser_available() {
        return;
    }
    let server = Server::start().await;
    server.owned_org("Olivia Owner", "Acme").await;
    let email = "owner@example.com";
    let browser = Browser::start().await;

    browser
        .open(&format!("{}/console/sign-in", server.base))
        .await;
    browser.click("#forgot-password").await;
    browser.fill("email", email).await;
    browser.submit("send-reset").await;
    assert!(
        browser
            .text()
            .await
            .contains("a link to choose a new password is on its way"),
        "{}",
        browser.text().await
    );

    let link = server.mailed_link(email, "reset-password").await;
    browser.open(&link).await;
    assert!(browser.text().await.contains(email));
    browser.screenshot("reset-password").await;
    browser.fill("new-password", "a brand new horse").await;
    browser.submit("set-password").await;
    assert!(
        browser.text().await.contains("Password set"),
        "{}",
        browser.text().await
    );

    // The new password signs in; the link is spent.
    browser
        .open(&format!("{}/console/sign-in", server.base))
        .await;
    browser.fill("email", email).await;
    browser.fill("password", "a brand new horse").await;
    browser.submit("sign-in").await;
    assert!(
        browser.url().await.ends_with("/console/orgs"),
        "{}",
        browser.url().await
    );
    browser.open(&link).await;
    assert!(browser.text().await.contains("This link is not valid"));
}
