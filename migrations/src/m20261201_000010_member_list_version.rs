use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each org keeps its member count and a version of its member list, both moved by triggers in
/// the transaction of every change that alters what the list shows (a membership, a custom
/// role's name, a user's name or e-mail). Triggers rather than code so that no write path, now
/// or later, can change the list without moving the version that caches and ETags trust.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut statements = vec![
            "ALTER TABLE orgs ADD COLUMN member_count BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE orgs ADD COLUMN members_version BIGINT NOT NULL DEFAULT 0",
            "UPDATE orgs SET member_count = \
             (SELECT COUNT(*) FROM memberships m WHERE m.org_id = orgs.id)",
        ];
        statements.extend_from_slice(match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES,
            _ => SQLITE,
        });
        crate::execute_all(manager, statements).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut statements: Vec<&str> = match manager.get_database_backend() {
            DbBackend::Postgres => vec![
                "DROP TRIGGER memberships_version ON memberships",
                "DROP TRIGGER custom_roles_version ON custom_roles",
                "DROP TRIGGER users_version ON users",
                "DROP FUNCTION bump_members_version()",
                "DROP FUNCTION bump_members_version_of_role()",
                "DROP FUNCTION bump_members_version_of_user()",
            ],
            _ => vec![
                "DROP TRIGGER memberships_version_insert",
                "DROP TRIGGER memberships_version_update",
                "DROP TRIGGER memberships_version_delete",
                "DROP TRIGGER custom_roles_version",
                "DROP TRIGGER users_version",
            ],
        };
        statements.extend([
            "ALTER TABLE orgs DROP COLUMN members_version",
            "ALTER TABLE orgs DROP COLUMN member_count",
        ]);
        crate::execute_all(manager, statements).await
    }
}

const SQLITE: &[&str] = &[
    "CREATE TRIGGER memberships_version_insert AFTER INSERT ON memberships BEGIN \
     UPDATE orgs SET member_count = member_count + 1, members_version = members_version + 1 \
     WHERE id = NEW.org_id; END",
    "CREATE TRIGGER memberships_version_update AFTER UPDATE ON memberships BEGIN \
     UPDATE orgs SET member_count = member_count - 1 WHERE id = OLD.org_id; \
     UPDATE orgs SET member_count = member_count + 1 WHERE id = NEW.org_id; \
     UPDATE orgs SET members_version = members_version + 1 WHERE id IN (OLD.org_id, NEW.org_id); \
     END",
    "CREATE TRIGGER memberships_version_delete AFTER DELETE ON memberships BEGIN \
     UPDATE orgs SET member_count = member_count - 1, members_version = members_version + 1 \
     WHERE id = OLD.org_id; END",
    "CREATE TRIGGER custom_roles_version AFTER UPDATE OF name ON custom_roles BEGIN \
     UPDATE orgs SET members_version = members_version + 1 WHERE id = NEW.org_id; END",
    "CREATE TRIGGER users_version AFTER UPDATE OF name, email ON users BEGIN \
     UPDATE orgs SET members_version = members_version + 1 \
     WHERE id IN (SELECT org_id FROM memberships WHERE user_id = NEW.id); END",
];

const POSTGRES: &[&str] = &[
    "CREATE FUNCTION bump_members_version() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       IF TG_OP <> 'INSERT' THEN \
         UPDATE orgs SET member_count = member_count - 1, members_version = members_version + 1 \
         WHERE id = OLD.org_id; \
       END IF; \
       IF TG_OP <> 'DELETE' THEN \
         UPDATE orgs SET member_count = member_count + 1, members_version = members_version + 1 \
         WHERE id = NEW.org_id; \
       END IF; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER memberships_version AFTER INSERT OR UPDATE OR DELETE ON memberships \
     FOR EACH ROW EXECUTE FUNCTION bump_members_version()",
    "CREATE FUNCTION bump_members_version_of_role() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       UPDATE orgs SET members_version = members_version + 1 WHERE id = NEW.org_id; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER custom_roles_version AFTER UPDATE OF name ON custom_roles \
     FOR EACH ROW EXECUTE FUNCTION bump_members_version_of_role()",
    "CREATE FUNCTION bump_members_version_of_user() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       UPDATE orgs SET members_version = members_version + 1 \
       WHERE id IN (SELECT org_id FROM memberships WHERE user_id = NEW.id); \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER users_version AFTER UPDATE OF name, email ON users \
     FOR EACH ROW EXECUTE FUNCTION bump_members_version_of_user()",
];
