//! Every repository method against real SQLite and, when `TENANTRY_TEST_POSTGRES_URL` is set,
//! a real PostgreSQL database.

#![allow(clippy::unwrap_used)]

mod audit;
mod directory;
mod domains;
mod idempotency;
mod invitations;
mod migrations;
mod outbox;
mod pool;
mod webhooks;
mod writer;

use tenantry_domain::audit::{AuditAction, AuditEvent};
use tenantry_domain::authz::{BuiltinRole, Permission, PermissionSet};
use tenantry_domain::clock::{Clock, SystemClock};
use tenantry_domain::error::StoreError;
use tenantry_domain::ids::{OrgId, RoleId, SessionId, UserId};
use tenantry_domain::member::{AssignedRole, MemberCursor, MemberPage, Membership};
use tenantry_domain::org::{Org, OrgName, OrgSettings};
use tenantry_domain::plan::Plan;
use tenantry_domain::ports::{Transaction, UnitOfWork};
use tenantry_domain::role::{CustomRole, RoleDescription, RoleName};
use tenantry_domain::user::{Email, PasswordHash, Session, SessionToken, User, UserName};
use tenantry_persistence::testing;
use time::{Duration, OffsetDateTime};

fn now() -> OffsetDateTime {
    SystemClock.now()
}

fn new_user(email: &str) -> User {
    User {
        id: UserId::generate(),
        email: Email::try_from(email).unwrap(),
        name: UserName::try_from("Test User").unwrap(),
        created_at: now(),
        last_login_at: None,
        mfa_enabled: false,
    }
}

async fn add_user(tx: &dyn Transaction, email: &str) -> User {
    let user = new_user(email);
    tx.users()
        .insert_user(&user, &PasswordHash::new("$argon2id$stub".into()))
        .await
        .unwrap();
    user
}

async fn add_org(tx: &dyn Transaction, owner: &User) -> Org {
    let org = Org {
        id: OrgId::generate(),
        name: OrgName::try_from("Acme").unwrap(),
        plan: Plan::Team,
        created_at: now(),
        settings: OrgSettings::default(),
    };
    tx.orgs().insert_org(&org).await.unwrap();
    join(
        tx,
        &org,
        owner,
        AssignedRole::Builtin(BuiltinRole::Owner),
        now(),
    )
    .await;
    org
}

async fn join(
    tx: &dyn Transaction,
    org: &Org,
    user: &User,
    role: AssignedRole,
    at: OffsetDateTime,
) {
    let membership = Membership {
        org_id: org.id,
        user_id: user.id,
        role,
        joined_at: at,
    };
    tx.members().insert_member(&membership).await.unwrap();
}

fn new_role(org: &Org, name: &str) -> CustomRole {
    CustomRole {
        id: RoleId::generate(),
        org_id: org.id,
        name: RoleName::try_from(name).unwrap(),
        description: RoleDescription::parse("does ops").unwrap(),
        permissions: PermissionSet::of(&[Permission::ScansRead, Permission::MembersRead]),
        created_at: now(),
    }
}

/// A custom role "Ops" in `org` and a member, m@example.com, who holds it.
async fn ops_member(tx: &dyn Transaction, org: &Org) -> (CustomRole, User) {
    let role = new_role(org, "Ops");
    tx.roles().insert_role(&role).await.unwrap();
    let member = add_user(tx, "m@example.com").await;
    join(tx, org, &member, AssignedRole::Custom(role.clone()), now()).await;
    (role, member)
}

#[tokio::test]
async fn users_are_found_by_id_and_normalised_email_and_emails_are_unique() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let user = add_user(&*tx, "Ada@Example.com").await;
        assert_eq!(
            tx.users().find_user(user.id).await.unwrap(),
            Some(user.clone())
        );
        let by_email = tx
            .users()
            .find_user_by_email(&Email::try_from("ada@example.com").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(by_email.user, user);
        assert_eq!(by_email.password_hash.as_str(), "$argon2id$stub");

        let twin = new_user("ada@example.com");
        let error = tx
            .users()
            .insert_user(&twin, &PasswordHash::new("x".into()))
            .await
            .unwrap_err();
        assert!(matches!(error, StoreError::Conflict(_)), "{error:?}");
    }
}

#[tokio::test]
async fn record_login_sets_the_last_login_time() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let user = add_user(&*tx, "a@example.com").await;
        let at = now();
        tx.users().record_login(user.id, at).await.unwrap();
        let found = tx.users().find_user(user.id).await.unwrap().unwrap();
        assert_eq!(found.last_login_at, Some(at));
    }
}

#[tokio::test]
async fn sessions_are_found_by_token_hash_until_deleted() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let user = add_user(&*tx, "a@example.com").await;
        let token = SessionToken::generate();
        let session = Session {
            id: SessionId::generate(),
            user_id: user.id,
            token_hash: token.hash(),
            created_at: now(),
            expires_at: now() + Duration::days(1),
            active_org: None,
            name: None,
            pinned_org: None,
            service: false,
        };
        tx.sessions().insert_session(&session).await.unwrap();
        assert_eq!(
            tx.sessions().find_session(&token.hash()).await.unwrap(),
            Some(session)
        );
        let other = SessionToken::generate();
        assert_eq!(
            tx.sessions().find_session(&other.hash()).await.unwrap(),
            None
        );
        tx.sessions().delete_session(&token.hash()).await.unwrap();
        assert_eq!(
            tx.sessions().find_session(&token.hash()).await.unwrap(),
            None
        );
    }
}

#[tokio::test]
async fn only_expired_sessions_are_deleted_at_sign_in_and_by_the_sweep() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let jane = add_user(&*tx, "jane@example.com").await;
        let john = add_user(&*tx, "john@example.com").await;
        let at = now();
        let session = |user: &User, expires_at| Session {
            id: SessionId::generate(),
            user_id: user.id,
            token_hash: SessionToken::generate().hash(),
            created_at: at - Duration::days(40),
            expires_at,
            active_org: None,
            name: None,
            pinned_org: None,
            service: false,
        };
        let dead = session(&jane, at - Duration::minutes(1));
        let live = session(&jane, at + Duration::days(1));
        let johns_dead = session(&john, at - Duration::days(1));
        for s in [&dead, &live, &johns_dead] {
            tx.sessions().insert_session(s).await.unwrap();
        }
        assert_eq!(
            tx.sessions()
                .delete_expired_sessions(jane.id, at)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            tx.sessions().find_session(&dead.token_hash).await.unwrap(),
            None
        );
        assert!(
            tx.sessions()
                .find_session(&live.token_hash)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            tx.sessions()
                .find_session(&johns_dead.token_hash)
                .await
                .unwrap()
                .is_some()
        );

        // The periodic sweep takes everyone's expired sessions, in batches, and nothing live.
        let johns_other_dead = session(&john, at - Duration::hours(2));
        tx.sessions()
            .insert_session(&johns_other_dead)
            .await
            .unwrap();
        let sweep = tx.sessions().sweep_expired_sessions(at, 1).await.unwrap();
        assert_eq!(sweep, 1, "one batch of one");
        let sweep = tx.sessions().sweep_expired_sessions(at, 10).await.unwrap();
        assert_eq!(sweep, 1, "the rest");
        for gone in [&johns_dead, &johns_other_dead] {
            let found = tx.sessions().find_session(&gone.token_hash).await.unwrap();
            assert_eq!(found, None);
        }
        let live_found = tx.sessions().find_session(&live.token_hash).await.unwrap();
        assert!(live_found.is_some());
    }
}

#[tokio::test]
async fn orgs_are_renamed_replanned_and_listed_with_role_and_member_count() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "owner@example.com").await;
        let viewer = add_user(&*tx, "viewer@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let other = add_org(&*tx, &viewer).await;
        join(
            &*tx,
            &org,
            &viewer,
            AssignedRole::Builtin(BuiltinRole::Viewer),
            now(),
        )
        .await;

        tx.orgs()
            .rename_org(org.id, &OrgName::try_from("Acme Corp").unwrap())
            .await
            .unwrap();
        tx.orgs().set_plan(org.id, Plan::Enterprise).await.unwrap();
        let locked = tx.orgs().lock_org(org.id).await.unwrap().unwrap();
        assert_eq!(locked.name.as_str(), "Acme Corp");
        assert_eq!(locked.plan, Plan::Enterprise);
        assert_eq!(tx.orgs().find_org(OrgId::generate()).await.unwrap(), None);

        let listed = tx.orgs().list_orgs_of(viewer.id).await.unwrap();
        let summary: Vec<_> = listed
            .iter()
            .map(|s| (s.org.id, s.role.key(), s.member_count))
            .collect();
        assert_eq!(
            summary,
            vec![
                (org.id, "viewer".to_owned(), 2),
                (other.id, "owner".to_owned(), 1)
            ]
        );
        assert_eq!(tx.orgs().list_orgs_of(owner.id).await.unwrap().len(), 1);
    }
}

/// PostgreSQL aborts a transaction after a failed statement, so each violation gets its own.
async fn expect_conflict<F>(db: &testing::TestDatabase, attempt: F)
where
    F: AsyncFnOnce(&dyn Transaction) -> Result<(), StoreError>,
{
    let tx = db.database.begin().await.unwrap();
    let error = attempt(&*tx).await.unwrap_err();
    assert!(matches!(error, StoreError::Conflict(_)), "{error:?}");
}

async fn audit_events_of(db: &testing::TestDatabase, org: OrgId) -> i64 {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let connection = db.database.connection();
    let backend = connection.get_database_backend();
    let placeholder = if backend == DbBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    let row = connection
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT COUNT(*) AS n FROM audit_events WHERE org_id = {placeholder}"),
            [org.as_uuid().into()],
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

#[tokio::test]
async fn deleting_an_org_removes_its_members_roles_and_audit_log_only() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "owner@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let kept = add_org(&*tx, &owner).await;
        let (_, member) = ops_member(&*tx, &org).await;
        for id in [org.id, kept.id] {
            let event = AuditEvent::new(id, None, AuditAction::OrgCreated, now());
            tx.audit().append(&event).await.unwrap();
        }
        tx.commit().await.unwrap();
        assert_eq!(audit_events_of(&db, org.id).await, 1);

        let tx = db.database.begin().await.unwrap();
        tx.orgs().delete_org(org.id).await.unwrap();
        tx.commit().await.unwrap();

        let tx = db.database.read().await.unwrap();
        assert_eq!(tx.orgs().find_org(org.id).await.unwrap(), None);
        assert_eq!(tx.members().count_members(org.id).await.unwrap(), 0);
        assert_eq!(tx.roles().count_roles(org.id).await.unwrap(), 0);
        assert_eq!(audit_events_of(&db, org.id).await, 0);
        assert!(tx.users().find_user(member.id).await.unwrap().is_some());
        assert_eq!(tx.members().count_members(kept.id).await.unwrap(), 1);
        assert_eq!(audit_events_of(&db, kept.id).await, 1);
    }
}

#[tokio::test]
async fn a_user_joins_an_org_once_and_an_org_has_at_most_one_owner() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "owner@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let admin = add_user(&*tx, "admin@example.com").await;
        join(
            &*tx,
            &org,
            &admin,
            AssignedRole::Builtin(BuiltinRole::Admin),
            now(),
        )
        .await;
        let outsider = add_user(&*tx, "outsider@example.com").await;
        tx.commit().await.unwrap();

        let membership = |user: &User, role| Membership {
            org_id: org.id,
            user_id: user.id,
            role: AssignedRole::Builtin(role),
            joined_at: now(),
        };
        let again = membership(&admin, BuiltinRole::Viewer);
        expect_conflict(&db, async |tx| tx.members().insert_member(&again).await).await;
        let second_owner = membership(&outsider, BuiltinRole::Owner);
        expect_conflict(&db, async |tx| {
            tx.members().insert_member(&second_owner).await
        })
        .await;
        let promote = AssignedRole::Builtin(BuiltinRole::Owner);
        expect_conflict(&db, async |tx| {
            tx.members()
                .set_member_role(org.id, admin.id, &promote)
                .await
        })
        .await;
    }
}

#[tokio::test]
async fn members_carry_their_custom_role_and_fall_back_when_it_is_reassigned() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "owner@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let role = new_role(&org, "Ops");
        tx.roles().insert_role(&role).await.unwrap();
        let member = add_user(&*tx, "m@example.com").await;
        join(
            &*tx,
            &org,
            &member,
            AssignedRole::Builtin(BuiltinRole::Viewer),
            now(),
        )
        .await;
        tx.members()
            .set_member_role(org.id, member.id, &AssignedRole::Custom(role.clone()))
            .await
            .unwrap();

        let found = tx
            .members()
            .find_member(org.id, member.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.role, AssignedRole::Custom(role.clone()));
        let roles = tx.roles().list_roles(org.id).await.unwrap();
        assert_eq!(roles[0].member_count, 1);

        let moved = tx
            .members()
            .reassign_custom_role(org.id, role.id, BuiltinRole::Member)
            .await
            .unwrap();
        assert_eq!(moved, 1);
        let found = tx
            .members()
            .find_member(org.id, member.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.role, AssignedRole::Builtin(BuiltinRole::Member));

        tx.members().delete_member(org.id, member.id).await.unwrap();
        assert_eq!(
            tx.members().find_member(org.id, member.id).await.unwrap(),
            None
        );
    }
}

#[tokio::test]
async fn member_list_pages_in_join_order_without_gaps_or_repeats() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "owner@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let base = now() + Duration::seconds(1);
        for i in 0..7 {
            let user = add_user(&*tx, &format!("u{i}@example.com")).await;
            // Two members share each instant, so the cursor must break ties by user id.
            let at = base + Duration::seconds(i / 2);
            join(
                &*tx,
                &org,
                &user,
                AssignedRole::Builtin(BuiltinRole::Member),
                at,
            )
            .await;
        }
        let everyone = tx
            .members()
            .list_members(org.id, MemberPage::default())
            .await
            .unwrap();
        assert_eq!(everyone.len(), 8);
        assert_eq!(everyone[0].user.id, owner.id);

        let mut paged = Vec::new();
        let mut page = MemberPage::new(None, Some(3)).unwrap();
        loop {
            let batch = tx.members().list_members(org.id, page).await.unwrap();
            let Some(last) = batch.last() else { break };
            page = MemberPage::new(Some(MemberCursor::after(last)), Some(3)).unwrap();
            paged.extend(batch);
        }
        let ids = |members: &[tenantry_domain::member::Member]| {
            members.iter().map(|m| m.user.id).collect::<Vec<_>>()
        };
        assert_eq!(ids(&paged), ids(&everyone));
        assert_eq!(tx.members().count_members(org.id).await.unwrap(), 8);
    }
}

#[tokio::test]
async fn members_are_listed_in_true_join_order_even_within_one_second() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "owner@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let second = OffsetDateTime::from_unix_timestamp(now().unix_timestamp() + 10).unwrap();
        // As RFC 3339 text these sort wrongly: "…Z" after "….5Z", "….47968Z" after "….479685Z".
        let offsets = [0, 5, 479_680, 479_685, 500_000];
        let mut joined = Vec::new();
        for (i, micros) in offsets.into_iter().enumerate().rev() {
            let user = add_user(&*tx, &format!("u{i}@example.com")).await;
            let at = second + Duration::microseconds(micros);
            join(
                &*tx,
                &org,
                &user,
                AssignedRole::Builtin(BuiltinRole::Member),
                at,
            )
            .await;
            joined.push((at, user.id));
        }
        joined.sort();
        let listed: Vec<_> = tx
            .members()
            .list_members(org.id, MemberPage::default())
            .await
            .unwrap()
            .into_iter()
            .skip(1)
            .map(|m| (m.joined_at, m.user.id))
            .collect();
        assert_eq!(listed, joined);
    }
}

#[tokio::test]
async fn role_names_are_unique_per_org_in_any_case() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "owner@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let other = add_org(&*tx, &owner).await;
        tx.roles()
            .insert_role(&new_role(&org, "Ops"))
            .await
            .unwrap();
        tx.roles()
            .insert_role(&new_role(&other, "Ops"))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let shouting = new_role(&org, "OPS");
        expect_conflict(&db, async |tx| tx.roles().insert_role(&shouting).await).await;
        let tx = db.database.begin().await.unwrap();
        tx.roles()
            .insert_role(&new_role(&org, "Équipe"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let accented = new_role(&org, "ÉQUIPE");
        expect_conflict(&db, async |tx| tx.roles().insert_role(&accented).await).await;
        let tx = db.database.read().await.unwrap();
        assert_eq!(tx.roles().count_roles(org.id).await.unwrap(), 2);
    }
}

#[tokio::test]
async fn roles_are_updated_found_only_in_their_org_and_deleted() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "owner@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let other = add_org(&*tx, &owner).await;
        let mut role = new_role(&org, "Ops");
        tx.roles().insert_role(&role).await.unwrap();
        role.name = RoleName::try_from("Platform").unwrap();
        role.description = None;
        role.permissions = PermissionSet::of(&[Permission::AuditRead]);
        tx.roles().update_role(&role).await.unwrap();

        assert_eq!(
            tx.roles().find_role(org.id, role.id).await.unwrap(),
            Some(role.clone())
        );
        assert_eq!(tx.roles().find_role(other.id, role.id).await.unwrap(), None);
        tx.roles().delete_role(org.id, role.id).await.unwrap();
        assert_eq!(tx.roles().find_role(org.id, role.id).await.unwrap(), None);
    }
}

/// A slug stored by an older version, no longer in the catalogue, grants nothing and breaks
/// nothing: the role and its members still load, with the permissions that are known.
#[tokio::test]
async fn a_stored_permission_the_catalogue_no_longer_knows_grants_nothing() {
    use sea_orm::ConnectionTrait;
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "owner@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let (role, member) = ops_member(&*tx, &org).await;
        tx.commit().await.unwrap();
        db.database
            .connection()
            .execute_unprepared(
                "UPDATE custom_roles SET permissions = 'scans:read,legacy:retired,members:read'",
            )
            .await
            .unwrap();

        let tx = db.database.read().await.unwrap();
        let found = tx
            .roles()
            .find_role(org.id, role.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.permissions, role.permissions);
        let access = tx
            .members()
            .find_access(org.id, member.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(access.membership.role.permissions(), role.permissions);
    }
}

/// Keys stored before look-alikes were folded are brought up to date at start-up, so an old
/// role still blocks a new one that only looks like it.
#[tokio::test]
async fn role_name_keys_from_before_are_rekeyed_at_start_up() {
    use sea_orm::ConnectionTrait;
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "owner@example.com").await;
        let org = add_org(&*tx, &owner).await;
        tx.roles()
            .insert_role(&new_role(&org, "R\u{0435}viewers"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        db.database
            .connection()
            .execute_unprepared("UPDATE custom_roles SET name_key = 'r\u{0435}viewers'")
            .await
            .unwrap();

        db.database.migrate().await.unwrap();
        let look_alike = new_role(&org, "Reviewers");
        expect_conflict(&db, async |tx| tx.roles().insert_role(&look_alike).await).await;
    }
}

#[tokio::test]
async fn a_transaction_dropped_without_commit_leaves_nothing() {
    for db in testing::all().await {
        let user_id = {
            let tx = db.database.begin().await.unwrap();
            add_user(&*tx, "gone@example.com").await.id
        };
        let tx = db.database.read().await.unwrap();
        assert_eq!(tx.users().find_user(user_id).await.unwrap(), None);
        drop(tx);

        let tx = db.database.begin().await.unwrap();
        let kept = add_user(&*tx, "kept@example.com").await;
        tx.commit().await.unwrap();
        let tx = db.database.read().await.unwrap();
        assert!(tx.users().find_user(kept.id).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn accesses_of_several_users_are_read_at_once_for_members_of_that_org_only() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "o@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let (role, member) = ops_member(&*tx, &org).await;
        let elsewhere = add_user(&*tx, "e@example.com").await;
        add_org(&*tx, &elsewhere).await;
        let users = [owner.id, member.id, elsewhere.id, UserId::generate()];

        let mut found = tx.members().find_accesses(org.id, &users).await.unwrap();
        found.sort_by_key(|access| access.membership.user_id != owner.id);

        let roles: Vec<_> = found
            .iter()
            .map(|a| (a.membership.user_id, a.membership.role.clone()))
            .collect();
        assert_eq!(
            roles,
            [
                (owner.id, AssignedRole::Builtin(BuiltinRole::Owner)),
                (member.id, AssignedRole::Custom(role)),
            ]
        );
        assert_eq!(
            tx.members()
                .find_access(org.id, member.id)
                .await
                .unwrap()
                .as_ref(),
            found.get(1)
        );
        assert!(
            tx.members()
                .find_accesses(org.id, &[])
                .await
                .unwrap()
                .is_empty()
        );
    }
}
