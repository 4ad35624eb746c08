//! Tenantry's schema. The same migrations serve SQLite and PostgreSQL: tables through SeaQuery's
//! builder, the few indexes it cannot express (partial, expression) as SQL both databases accept.
//! Migrations never import entities, so old migrations keep compiling as entities change.

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_create_accounts;
mod m20261124_000002_create_orgs;
mod m20261124_000003_create_audit_events;
mod m20261201_000001_create_invitations_and_outbox;
mod m20261201_000002_add_email_verified_at;
mod m20261201_000003_audit_event_time_key;
mod m20261201_000004_audit_chain;
mod m20261201_000005_audit_counts;
mod m20261201_000006_tenant_face;
mod m20261201_000007_integrations;
mod m20261201_000008_api_tokens;
mod m20261201_000009_totp;
mod m20261201_000010_member_list_version;
mod m20261201_000011_audit_append_triggers;
mod m20261201_000012_session_expiry_index;
mod m20261201_000013_service_tokens;
mod m20261201_000014_idempotency_keys;
mod m20261202_000001_webhooks;
mod m20261202_000002_scim;
mod m20261202_000003_domains;
mod m20261202_000004_audit_totals;
mod m20261203_000001_webhook_pause_and_rotation;
mod m20261203_000002_password_resets;

/// The column type SeaQuery gives a UUID on this backend, for columns added in raw SQL.
pub(crate) fn uuid_type(manager: &SchemaManager) -> &'static str {
    match manager.get_database_backend() {
        sea_orm_migration::sea_orm::DbBackend::Postgres => "uuid",
        _ => "uuid_text",
    }
}

/// Runs SQL statements in order: the parts of a migration SeaQuery cannot express, or that
/// differ between the backends.
pub(crate) async fn execute_all<S: AsRef<str>>(
    manager: &SchemaManager<'_>,
    statements: impl IntoIterator<Item = S>,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for statement in statements {
        db.execute_unprepared(statement.as_ref()).await?;
    }
    Ok(())
}

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_accounts::Migration),
            Box::new(m20261124_000002_create_orgs::Migration),
            Box::new(m20261124_000003_create_audit_events::Migration),
            Box::new(m20261201_000001_create_invitations_and_outbox::Migration),
            Box::new(m20261201_000002_add_email_verified_at::Migration),
            Box::new(m20261201_000003_audit_event_time_key::Migration),
            Box::new(m20261201_000004_audit_chain::Migration),
            Box::new(m20261201_000005_audit_counts::Migration),
            Box::new(m20261201_000006_tenant_face::Migration),
            Box::new(m20261201_000007_integrations::Migration),
            Box::new(m20261201_000008_api_tokens::Migration),
            Box::new(m20261201_000009_totp::Migration),
            Box::new(m20261201_000010_member_list_version::Migration),
            Box::new(m20261201_000011_audit_append_triggers::Migration),
            Box::new(m20261201_000012_session_expiry_index::Migration),
            Box::new(m20261201_000013_service_tokens::Migration),
            Box::new(m20261201_000014_idempotency_keys::Migration),
            Box::new(m20261202_000001_webhooks::Migration),
            Box::new(m20261202_000002_scim::Migration),
            Box::new(m20261202_000003_domains::Migration),
            Box::new(m20261202_000004_audit_totals::Migration),
            Box::new(m20261203_000001_webhook_pause_and_rotation::Migration),
            Box::new(m20261203_000002_password_resets::Migration),
        ]
    }
}
