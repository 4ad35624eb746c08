use std::sync::{Arc, Mutex};

use super::*;
use crate::audit::AuditAction;
use crate::authz::{Access, AccessDenied, BuiltinRole, Requirement};
use crate::ids::{ScimTokenId, UserId};
use crate::member::{MemberAccess, MembersVersion, RoleChoice};
use crate::plan::Plan;
use crate::testing::fixtures::{NOW, actor, builtin, membership, org};
use crate::testing::{FixedClock, MockTransaction, unit_of_work};
use crate::user::{Email, TokenName, UserName};

fn caller(org: &crate::org::Org) -> DirectoryCaller {
    DirectoryCaller {
        org_id: org.id,
        token_id: ScimTokenId::generate(),
        ip: None,
    }
}

fn person(user_name: &str, active: bool) -> DirectoryUser {
    DirectoryUser {
        user_name: DirectoryName::parse("userName", user_name).unwrap(),
        external_id: None,
        email: None,
        name: None,
        active,
        attributes: Attributes::default(),
    }
}

fn record(org: &crate::org::Org, user: UserId, active: bool) -> DirectoryUserRecord {
    DirectoryUserRecord {
        org_id: org.id,
        user_id: user,
        user: person("someone@example.com", active),
        created_at: NOW,
        updated_at: NOW,
        version: 4,
    }
}

fn service(uow: crate::ports::MockUnitOfWork) -> DirectoryService {
    DirectoryService::new(Arc::new(uow), Arc::new(FixedClock(NOW)))
}

#[test]
fn a_suspended_member_is_refused_everything_as_a_stranger_is() {
    let org = org(Plan::Enterprise);
    let access = MemberAccess {
        membership: membership(&org, UserId::generate(), builtin(BuiltinRole::Admin)),
        org_requires_mfa: false,
        has_mfa: false,
        members_version: MembersVersion(1),
        suspended: true,
        name: UserName::from_trusted("Ada".into()),
    };
    let judged = Access::judge(Some(access.clone()), Requirement::Membership);
    assert_eq!(judged.unwrap_err(), AccessDenied::NotMember);
    let restored = MemberAccess {
        suspended: false,
        ..access
    };
    assert!(Access::judge(Some(restored), Requirement::Membership).is_ok());
}

#[test]
fn provisioning_makes_a_passwordless_account_and_a_member_with_the_default_role() {
    let org = org(Plan::Enterprise);
    let caller = caller(&org);
    let mut tx = MockTransaction::default();
    tx.given_org(&org);
    let events = tx.record_audit();
    tx.directory
        .expect_find_user_by_name()
        .withf(|_, key| key == "dana@example.com")
        .returning(|_, _| Ok(None));
    tx.directory.expect_settings().returning(|_| {
        Ok(Some(ProvisioningSettings {
            default_role: RoleChoice::Builtin(BuiltinRole::Viewer),
            group_roles: Vec::new(),
        }))
    });
    tx.users.expect_find_user_by_email().returning(|_| Ok(None));
    let made = Arc::new(Mutex::new(None));
    let sink = made.clone();
    tx.users
        .expect_insert_user()
        .withf(|user, hash| {
            user.email.as_str() == "dana@example.com" && *hash == crate::user::PasswordHash::none()
        })
        .times(1)
        .returning(move |user, _| {
            *sink.lock().unwrap() = Some(user.id);
            Ok(())
        });
    tx.members.expect_find_member().returning(|_, _| Ok(None));
    tx.members
        .expect_insert_member()
        .withf(|m| m.role == builtin(BuiltinRole::Viewer))
        .times(1)
        .returning(|_| Ok(()));
    tx.members.expect_set_suspended().never();
    tx.directory
        .expect_insert_user()
        .times(1)
        .returning(|_| Ok(()));
    let (uow, committed) = unit_of_work(vec![tx]);

    let created =
        pollster::block_on(service(uow).create_user(&caller, person("Dana@Example.com", true)))
            .unwrap();

    assert!(committed[0].get());
    assert_eq!(Some(created.user_id), *made.lock().unwrap());
    let events = events.lock().unwrap();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.action, AuditAction::MemberProvisioned);
    assert_eq!(event.actor_id, None);
    assert_eq!(event.metadata["via"], "scim");
    assert_eq!(event.metadata["scimTokenId"], caller.token_id.to_string());
    assert_eq!(event.metadata["role"], "viewer");
    assert_eq!(event.target["email"], "dana@example.com");
}

#[test]
fn a_person_without_an_address_is_refused_before_anything_is_read() {
    let org = org(Plan::Enterprise);
    let (uow, _) = unit_of_work(Vec::new());
    let refused =
        pollster::block_on(service(uow).create_user(&caller(&org), person("no-address", true)));
    assert!(matches!(refused, Err(DirectoryError::EmailRequired)));
}

#[test]
fn the_owner_is_never_suspended_nor_removed_by_the_directory() {
    let org = org(Plan::Enterprise);
    let owner = UserId::generate();
    let attempt = |suspend: bool| {
        let mut tx = MockTransaction::default();
        tx.given_org(&org);
        tx.given_role(&org, owner, builtin(BuiltinRole::Owner));
        tx.directory
            .expect_find_user()
            .returning(move |org_id, user| Ok(Some(record_for(org_id, user))));
        tx.members.expect_set_suspended().never();
        tx.members.expect_delete_member().never();
        tx.directory.expect_update_user().never();
        tx.audit.expect_append().never();
        let committed = tx.committed();
        let (uow, _) = unit_of_work(vec![tx]);
        let service = service(uow);
        let result = if suspend {
            pollster::block_on(service.replace_user(&caller(&org), owner, person("o", false), None))
                .map(|_| ())
        } else {
            pollster::block_on(service.delete_user(&caller(&org), owner))
        };
        (result, committed.get())
    };
    for suspend in [true, false] {
        let (result, committed) = attempt(suspend);
        assert!(
            matches!(result, Err(DirectoryError::OwnerImmutable)),
            "{result:?}"
        );
        assert!(!committed);
    }
}

fn record_for(org: crate::ids::OrgId, user: UserId) -> DirectoryUserRecord {
    DirectoryUserRecord {
        org_id: org,
        user_id: user,
        user: person("owner@example.com", true),
        created_at: NOW,
        updated_at: NOW,
        version: 1,
    }
}

#[test]
fn suspending_records_the_change_and_a_stale_version_is_refused() {
    let org = org(Plan::Enterprise);
    let member = UserId::generate();
    let current = record(&org, member, true);

    let mut stale = MockTransaction::default();
    stale.given_org(&org);
    let found = current.clone();
    stale
        .directory
        .expect_find_user()
        .returning(move |_, _| Ok(Some(found.clone())));
    stale.members.expect_set_suspended().never();
    let (uow, _) = unit_of_work(vec![stale]);
    let refused = pollster::block_on(service(uow).replace_user(
        &caller(&org),
        member,
        person("someone@example.com", false),
        Some(3),
    ));
    assert!(matches!(refused, Err(DirectoryError::VersionMismatch)));

    let mut tx = MockTransaction::default();
    tx.given_org(&org);
    tx.given_role(&org, member, builtin(BuiltinRole::Member));
    let events = tx.record_audit();
    let found = current.clone();
    tx.directory
        .expect_find_user()
        .returning(move |_, _| Ok(Some(found.clone())));
    tx.members
        .expect_set_suspended()
        .withf(|_, _, at| *at == Some(NOW))
        .times(1)
        .returning(|_, _, _| Ok(()));
    tx.directory
        .expect_update_user()
        .withf(|record, expected| *expected == 4 && record.version == 5 && !record.user.active)
        .times(1)
        .returning(|_, _| Ok(true));
    let (uow, committed) = unit_of_work(vec![tx]);
    let updated = pollster::block_on(service(uow).replace_user(
        &caller(&org),
        member,
        person("someone@example.com", false),
        Some(4),
    ))
    .unwrap();
    assert!(committed[0].get());
    assert_eq!(updated.version, 5);
    let actions: Vec<_> = events.lock().unwrap().iter().map(|e| e.action).collect();
    assert_eq!(actions, [AuditAction::MemberSuspended]);
}

#[test]
fn a_mapped_group_gives_its_members_the_role_but_leaves_the_owner_alone() {
    let org = org(Plan::Enterprise);
    let (member, owner) = (UserId::generate(), UserId::generate());
    let mut tx = MockTransaction::default();
    tx.given_org(&org);
    tx.given_role(&org, member, builtin(BuiltinRole::Member));
    tx.given_role(&org, owner, builtin(BuiltinRole::Owner));
    let events = tx.record_audit();
    tx.directory
        .expect_find_user()
        .returning(|org_id, user| Ok(Some(record_for(org_id, user))));
    tx.directory
        .expect_insert_group()
        .times(1)
        .returning(|_| Ok(()));
    tx.directory.expect_settings().returning(|_| {
        Ok(Some(ProvisioningSettings {
            default_role: RoleChoice::Builtin(BuiltinRole::Member),
            group_roles: vec![GroupRole {
                group: DirectoryName::parse("group", "Engineering Admins").unwrap(),
                role: RoleChoice::Builtin(BuiltinRole::Admin),
            }],
        }))
    });
    tx.directory
        .expect_group_keys_of()
        .returning(|_, _| Ok(vec!["engineering admins".to_owned()]));
    tx.members
        .expect_set_member_role()
        .withf(move |_, user, role| *user == member && *role == builtin(BuiltinRole::Admin))
        .times(1)
        .returning(|_, _, _| Ok(()));
    let (uow, committed) = unit_of_work(vec![tx]);
    let group = DirectoryGroup {
        display_name: DirectoryName::parse("displayName", "Engineering Admins").unwrap(),
        external_id: None,
        // Listed twice: kept once.
        members: vec![member, owner, member],
        attributes: Attributes::default(),
    };

    let created = pollster::block_on(service(uow).create_group(&caller(&org), group)).unwrap();

    assert!(committed[0].get());
    assert_eq!(created.group.members, [member, owner]);
    let events = events.lock().unwrap();
    let actions: Vec<_> = events.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        [
            AuditAction::DirectoryGroupCreated,
            AuditAction::MemberRoleUpdated
        ]
    );
    assert_eq!(events[1].metadata["from"], "member");
    assert_eq!(events[1].metadata["role"], "admin");
}

#[test]
fn the_first_mapping_holding_the_member_decides_else_the_default() {
    let mapping = |group: &str, role| GroupRole {
        group: DirectoryName::parse("group", group).unwrap(),
        role: RoleChoice::Builtin(role),
    };
    let settings = ProvisioningSettings {
        default_role: RoleChoice::Builtin(BuiltinRole::Viewer),
        group_roles: vec![
            mapping("Admins", BuiltinRole::Admin),
            mapping("Auditors", BuiltinRole::Auditor),
        ],
    };
    let keys = |names: &[&str]| names.iter().map(|n| n.to_lowercase()).collect::<Vec<_>>();
    assert_eq!(
        settings.role_for(&keys(&["auditors", "admins"])),
        RoleChoice::Builtin(BuiltinRole::Admin)
    );
    assert_eq!(
        settings.role_for(&keys(&["Auditors"])),
        RoleChoice::Builtin(BuiltinRole::Auditor)
    );
    assert_eq!(
        settings.role_for(&keys(&["Sales"])),
        RoleChoice::Builtin(BuiltinRole::Viewer)
    );
}

#[test]
fn tokens_and_settings_need_the_owner_on_enterprise() {
    let name = || TokenName::try_from("okta").unwrap();
    let (admin, team_owner) = (actor(), actor());
    let enterprise = org(Plan::Enterprise);
    let mut check = MockTransaction::default();
    check.given_role(&enterprise, admin.user_id, builtin(BuiltinRole::Admin));
    let (uow, _) = unit_of_work(vec![check]);
    let refused = pollster::block_on(service(uow).create_token(&admin, enterprise.id, name()));
    assert!(
        matches!(refused, Err(DirectoryError::Forbidden)),
        "{refused:?}"
    );

    let team = org(Plan::Team);
    let mut check = MockTransaction::default();
    check.given_role(&team, team_owner.user_id, builtin(BuiltinRole::Owner));
    let mut tx = MockTransaction::default();
    tx.given_org(&team);
    tx.given_role(&team, team_owner.user_id, builtin(BuiltinRole::Owner));
    tx.directory.expect_insert_token().never();
    let (uow, _) = unit_of_work(vec![check, tx]);
    let refused = pollster::block_on(service(uow).create_token(&team_owner, team.id, name()));
    assert!(
        matches!(refused, Err(DirectoryError::PlanUpgradeRequired)),
        "{refused:?}"
    );
}

#[test]
fn an_account_address_comes_from_emails_or_an_address_like_user_name() {
    let mut user = person("Bo@Example.com", true);
    assert_eq!(
        user.account_email(),
        Some(Email::try_from("bo@example.com").unwrap())
    );
    user.email = Some(Email::try_from("work@example.org").unwrap());
    assert_eq!(user.account_email().unwrap().as_str(), "work@example.org");
    assert_eq!(person("bo", true).account_email(), None);
    assert_eq!(person("bo", true).account_name().as_str(), "bo");
}

#[test]
fn one_more_member_of_a_group_is_looked_up_and_given_a_role_alone() {
    let org = org(Plan::Enterprise);
    let (a, b, newcomer) = (UserId::generate(), UserId::generate(), UserId::generate());
    let group_id = crate::ids::ScimGroupId::generate();
    let current = DirectoryGroupRecord {
        id: group_id,
        org_id: org.id,
        group: DirectoryGroup {
            display_name: DirectoryName::parse("displayName", "Admins").unwrap(),
            external_id: None,
            members: vec![a, b],
            attributes: Attributes::default(),
        },
        created_at: NOW,
        updated_at: NOW,
        version: 2,
    };
    let mut tx = MockTransaction::default();
    tx.given_org(&org);
    tx.given_role(&org, newcomer, builtin(BuiltinRole::Member));
    let events = tx.record_audit();
    let found = current.clone();
    tx.directory
        .expect_find_group()
        .returning(move |_, _| Ok(Some(found.clone())));
    tx.directory
        .expect_find_user()
        .withf(move |_, user| *user == newcomer)
        .times(1)
        .returning(|org_id, user| Ok(Some(record_for(org_id, user))));
    tx.directory
        .expect_update_group()
        .withf(|record, expected| *expected == 2 && record.group.members.len() == 3)
        .times(1)
        .returning(|_, _| Ok(true));
    tx.directory.expect_settings().returning(|_| {
        Ok(Some(ProvisioningSettings {
            default_role: RoleChoice::Builtin(BuiltinRole::Member),
            group_roles: vec![GroupRole {
                group: DirectoryName::parse("group", "admins").unwrap(),
                role: RoleChoice::Builtin(BuiltinRole::Admin),
            }],
        }))
    });
    tx.directory
        .expect_group_keys_of()
        .withf(move |_, user| *user == newcomer)
        .times(1)
        .returning(|_, _| Ok(vec!["admins".to_owned()]));
    tx.members
        .expect_set_member_role()
        .withf(move |_, user, role| *user == newcomer && *role == builtin(BuiltinRole::Admin))
        .times(1)
        .returning(|_, _, _| Ok(()));
    let (uow, committed) = unit_of_work(vec![tx]);
    let group = DirectoryGroup {
        members: vec![a, b, newcomer],
        ..current.group.clone()
    };

    let replaced =
        pollster::block_on(service(uow).replace_group(&caller(&org), group_id, group, None))
            .unwrap();

    assert!(committed[0].get());
    assert_eq!(replaced.version, 3);
    let actions: Vec<_> = events.lock().unwrap().iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        [
            AuditAction::DirectoryGroupUpdated,
            AuditAction::MemberRoleUpdated
        ]
    );
}
