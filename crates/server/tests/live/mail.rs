//! Mail is never lost: an invitation made while the SMTP server is down succeeds, its message
//! waits in the outbox with its failed attempts counted, and goes out once the server is back.

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::support::mime;
use crate::support::smtp_server::{SmtpServer, aiosmtpd_installed};
use crate::support::{Server, free_port};

/// (undelivered messages, failed attempts recorded on them).
async fn outbox(database_url: &str) -> (i64, i64) {
    let database = tenantry_persistence::Database::connect(database_url)
        .await
        .unwrap();
    let row = database
        .connection()
        .query_one_raw(Statement::from_string(
            database.backend(),
            "SELECT COUNT(*) AS pending, COALESCE(SUM(attempts), 0) AS attempts \
             FROM outbox WHERE sent_at IS NULL",
        ))
        .await
        .unwrap()
        .unwrap();
    (
        row.try_get("", "pending").unwrap(),
        row.try_get("", "attempts").unwrap(),
    )
}

#[actix_web::test]
async fn an_invitation_made_while_the_mail_server_is_down_is_delivered_once_it_is_back() {
    if !aiosmtpd_installed() {
        // SmtpServer::start_on says why, and fails under CI.
        assert!(SmtpServer::start().is_none());
        return;
    }
    let port = free_port();
    let server = Server::start_with(|config| {
        config.smtp_url = Some(format!("smtp://127.0.0.1:{port}?tls=none"));
        config.mail_retry_delay_ms = std::num::NonZeroU64::new(200).unwrap();
    })
    .await;
    let (owner, org) = server.owned_org("Olivia", "Acme").await;
    // Inviting does not wait for the mail server.
    server
        .invite(
            &org,
            &owner,
            json!({"email": "new@example.com", "role": "viewer"}),
        )
        .await;

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (pending, attempts) = outbox(&server.database_url).await;
        // The invitation, and the owner's verification link from sign-up.
        assert_eq!(pending, 2);
        if attempts >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "the worker never tried");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Both pending messages may arrive in one batch, so wait for the invitation itself.
    let smtp = SmtpServer::start_on(port).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let invitation = loop {
        let found = smtp.messages().into_iter().find(|raw| {
            mime::parse(raw)
                .header("To")
                .is_some_and(|to| to.contains("new@example.com"))
        });
        if let Some(raw) = found {
            break raw;
        }
        assert!(Instant::now() < deadline, "the invitation never came");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let message = mime::parse(&invitation);
    assert!(message.header("To").unwrap().contains("new@example.com"));
    assert!(
        message
            .header("Subject")
            .unwrap()
            .contains("Olivia invited you to Acme"),
        "{:?}",
        message.header("Subject")
    );
    assert!(
        message
            .part("text/plain")
            .contains(&format!("{}/invitations/inv_", server.base))
    );
    assert!(
        message
            .part("text/html")
            .contains(&format!("{}/invitations/inv_", server.base))
    );

    let deadline = Instant::now() + Duration::from_secs(10);
    while outbox(&server.database_url).await.0 > 0 {
        assert!(
            Instant::now() < deadline,
            "the message was never marked sent"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Marked sent, it is not sent again.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(smtp.messages().len(), 2);
}
