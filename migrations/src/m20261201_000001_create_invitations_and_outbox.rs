use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("invitations")
                    .col(pk_uuid("id"))
                    .col(uuid("org_id"))
                    // 'email' (single use, `email` set) or 'link' (`max_uses`, `uses`).
                    .col(string("kind"))
                    .col(string_null("email"))
                    // A built-in role name, or 'custom' with custom_role_id set.
                    .col(string("role"))
                    .col(uuid_null("custom_role_id"))
                    .col(uuid_null("invited_by"))
                    // SHA-256 of the e-mailed token or the link code; the secret itself is
                    // never stored.
                    .col(string_uniq("secret_hash"))
                    // pending, accepted, declined, revoked, or expired (only when replaced):
                    // a pending row past expires_at reads as expired.
                    .col(string("status"))
                    .col(integer_null("max_uses"))
                    .col(integer("uses").default(0))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    // expires_at in microseconds since 1970, the key expiry is compared on:
                    // SQLite's text times do not compare as times.
                    .col(big_integer("expires_at_us"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_invitations_org")
                            .from("invitations", "org_id")
                            .to("orgs", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_invitations_custom_role")
                            .from("invitations", "custom_role_id")
                            .to("custom_roles", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_invitations_inviter")
                            .from("invitations", "invited_by")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("outbox")
                    .col(pk_uuid("id"))
                    // The invitation a message carries a link to: the message is dropped with
                    // it (org deleted) or when its link dies (revoked, resent) before delivery.
                    .col(uuid_null("invitation_id"))
                    .col(string("recipient"))
                    // The message as JSON tagged by template; emptied once delivered, since it
                    // may carry a live invitation link.
                    .col(text("content"))
                    .col(timestamp_with_time_zone("created_at"))
                    // When the next attempt is due (or the lease of a claimed message ends),
                    // in microseconds since 1970.
                    .col(big_integer("next_attempt_us"))
                    .col(integer("attempts").default(0))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_outbox_invitation")
                            .from("outbox", "invitation_id")
                            .to("invitations", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        crate::execute_all(manager, [
            // One pending invitation per address and org, whatever the application does.
            "CREATE UNIQUE INDEX uq_invitations_pending_email ON invitations (org_id, email) WHERE status = 'pending'",
            "CREATE INDEX idx_invitations_org ON invitations (org_id, id)",
            "CREATE INDEX idx_invitations_to ON invitations (email, expires_at_us) WHERE status = 'pending'",
            "CREATE INDEX idx_invitations_custom_role ON invitations (custom_role_id)",
            "CREATE INDEX idx_outbox_due ON outbox (next_attempt_us) WHERE sent_at IS NULL",
            "CREATE INDEX idx_outbox_invitation ON outbox (invitation_id)",
        ])
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["outbox", "invitations"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
