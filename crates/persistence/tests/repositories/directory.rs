//! Directories (SCIM) on both databases: user names are unique per org without regard to
//! case, replaces only win at the version they read, a group keeps its members, a member's
//! record and group seats go with the membership, and suspension shows in access and lists.

use tenantry_domain::authz::BuiltinRole;
use tenantry_domain::directory::{
    Attributes, DirectoryGroup, DirectoryGroupRecord, DirectoryName, DirectoryToken,
    DirectoryTokenInfo, DirectoryUser, DirectoryUserRecord, ExternalId, GroupRole,
    ProvisioningSettings,
};
use tenantry_domain::error::StoreError;
use tenantry_domain::ids::{ScimGroupId, ScimTokenId};
use tenantry_domain::member::{AssignedRole, MemberPage, RoleChoice};
use tenantry_domain::ports::{Transaction, UnitOfWork};
use tenantry_domain::user::TokenName;
use tenantry_persistence::testing;

use super::{add_org, add_user, join, now};

fn record(
    org: &tenantry_domain::org::Org,
    user: &tenantry_domain::user::User,
    name: &str,
) -> DirectoryUserRecord {
    DirectoryUserRecord {
        org_id: org.id,
        user_id: user.id,
        user: DirectoryUser {
            user_name: DirectoryName::parse("userName", name).unwrap(),
            external_id: Some(ExternalId::parse("00u1abc").unwrap()),
            email: None,
            name: None,
            active: true,
            attributes: Attributes::new("attributes", r#"{"displayName":"Dana"}"#.into()).unwrap(),
        },
        created_at: now(),
        updated_at: now(),
        version: 1,
    }
}

async fn member(
    tx: &dyn Transaction,
    org: &tenantry_domain::org::Org,
    email: &str,
) -> tenantry_domain::user::User {
    let user = add_user(tx, email).await;
    join(
        tx,
        org,
        &user,
        AssignedRole::Builtin(BuiltinRole::Member),
        now(),
    )
    .await;
    user
}

#[tokio::test]
async fn user_records_are_unique_per_org_and_replaced_only_at_their_version() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "o@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let other = add_org(&*tx, &add_user(&*tx, "p@example.com").await).await;
        let dana = member(&*tx, &org, "dana@example.com").await;
        let eve = member(&*tx, &org, "eve@example.com").await;
        let dana_elsewhere = {
            join(
                &*tx,
                &other,
                &dana,
                AssignedRole::Builtin(BuiltinRole::Member),
                now(),
            )
            .await;
            record(&other, &dana, "Dana")
        };
        let stored = record(&org, &dana, "Dana");
        tx.directory().insert_user(&stored).await.unwrap();
        // Another org's directory may use the same user name.
        tx.directory().insert_user(&dana_elsewhere).await.unwrap();
        tx.commit().await.unwrap();

        let tx = db.database.begin().await.unwrap();
        let clash = tx
            .directory()
            .insert_user(&record(&org, &eve, "DANA"))
            .await;
        assert!(
            matches!(clash, Err(StoreError::Conflict(_))),
            "{}: {clash:?}",
            db.url
        );
        drop(tx);

        let tx = db.database.begin().await.unwrap();
        let found = tx
            .directory()
            .find_user_by_name(org.id, "dana")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.user_id, dana.id);
        assert_eq!(found.user.attributes.as_str(), r#"{"displayName":"Dana"}"#);
        assert_eq!(found.user.external_id.as_ref().unwrap().as_str(), "00u1abc");
        let mut changed = found.clone();
        changed.user.active = false;
        changed.version = 2;
        assert!(
            !tx.directory().update_user(&changed, 7).await.unwrap(),
            "{}",
            db.url
        );
        assert!(
            tx.directory().update_user(&changed, 1).await.unwrap(),
            "{}",
            db.url
        );
        let again = tx
            .directory()
            .find_user(org.id, dana.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((again.version, again.user.active), (2, false));
        assert_eq!(tx.directory().list_users(org.id).await.unwrap().len(), 1);
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn suspension_shows_in_access_and_the_list_and_the_record_goes_with_the_membership() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "o@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let dana = member(&*tx, &org, "dana@example.com").await;
        tx.directory()
            .insert_user(&record(&org, &dana, "dana"))
            .await
            .unwrap();
        tx.members()
            .set_suspended(org.id, dana.id, Some(now()))
            .await
            .unwrap();
        let access = tx
            .members()
            .find_access(org.id, dana.id)
            .await
            .unwrap()
            .unwrap();
        assert!(access.suspended, "{}", db.url);
        let listed = tx
            .members()
            .list_members(org.id, MemberPage::default())
            .await
            .unwrap();
        let shown: Vec<_> = listed.iter().map(|m| (m.user.id, m.suspended)).collect();
        assert_eq!(shown, [(owner.id, false), (dana.id, true)], "{}", db.url);
        tx.members()
            .set_suspended(org.id, dana.id, None)
            .await
            .unwrap();
        assert!(
            !tx.members()
                .find_access(org.id, dana.id)
                .await
                .unwrap()
                .unwrap()
                .suspended
        );

        let group = DirectoryGroupRecord {
            id: ScimGroupId::generate(),
            org_id: org.id,
            group: DirectoryGroup {
                display_name: DirectoryName::parse("displayName", "Engineering").unwrap(),
                external_id: None,
                members: vec![dana.id],
                attributes: Attributes::default(),
            },
            created_at: now(),
            updated_at: now(),
            version: 1,
        };
        tx.directory().insert_group(&group).await.unwrap();
        assert_eq!(
            tx.directory().group_keys_of(org.id, dana.id).await.unwrap(),
            ["engineering"]
        );
        // Removing the member by any path takes the record and the group seat with it.
        tx.members().delete_member(org.id, dana.id).await.unwrap();
        assert!(
            tx.directory()
                .find_user(org.id, dana.id)
                .await
                .unwrap()
                .is_none(),
            "{}",
            db.url
        );
        let group = tx
            .directory()
            .find_group(org.id, group.id)
            .await
            .unwrap()
            .unwrap();
        assert!(group.group.members.is_empty(), "{}", db.url);
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn groups_keep_members_names_are_unique_and_tokens_and_settings_round_trip() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "o@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let a = member(&*tx, &org, "a@example.com").await;
        let b = member(&*tx, &org, "b@example.com").await;
        for (user, name) in [(&a, "a"), (&b, "b")] {
            tx.directory()
                .insert_user(&record(&org, user, name))
                .await
                .unwrap();
        }
        let mut group = DirectoryGroupRecord {
            id: ScimGroupId::generate(),
            org_id: org.id,
            group: DirectoryGroup {
                display_name: DirectoryName::parse("displayName", "Admins").unwrap(),
                external_id: Some(ExternalId::parse("grp-1").unwrap()),
                members: vec![a.id],
                attributes: Attributes::default(),
            },
            created_at: now(),
            updated_at: now(),
            version: 1,
        };
        tx.directory().insert_group(&group).await.unwrap();
        group.group.members = vec![b.id];
        group.version = 2;
        assert!(tx.directory().update_group(&group, 1).await.unwrap());
        assert!(
            !tx.directory().update_group(&group, 1).await.unwrap(),
            "{}",
            db.url
        );
        let found = tx
            .directory()
            .find_group(org.id, group.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.group.members, [b.id], "{}", db.url);
        assert_eq!(tx.directory().list_groups(org.id).await.unwrap().len(), 1);

        let token = DirectoryToken::generate();
        let info = DirectoryTokenInfo {
            id: ScimTokenId::generate(),
            org_id: org.id,
            name: TokenName::try_from("okta").unwrap(),
            created_at: now(),
        };
        tx.directory()
            .insert_token(&info, &token.hash())
            .await
            .unwrap();
        let found = tx
            .directory()
            .find_token(&token.hash())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((found.id, found.org_id), (info.id, org.id));
        let settings = ProvisioningSettings {
            default_role: RoleChoice::Builtin(BuiltinRole::Viewer),
            group_roles: vec![GroupRole {
                group: DirectoryName::parse("group", "Admins").unwrap(),
                role: RoleChoice::Builtin(BuiltinRole::Admin),
            }],
        };
        assert_eq!(tx.directory().settings(org.id).await.unwrap(), None);
        tx.directory()
            .save_settings(org.id, &settings)
            .await
            .unwrap();
        tx.directory()
            .save_settings(org.id, &settings)
            .await
            .unwrap();
        assert_eq!(
            tx.directory().settings(org.id).await.unwrap(),
            Some(settings)
        );
        tx.commit().await.unwrap();

        let tx = db.database.begin().await.unwrap();
        let clash = DirectoryGroupRecord {
            id: ScimGroupId::generate(),
            ..group.clone()
        };
        let mut clash = clash;
        clash.group.display_name = DirectoryName::parse("displayName", "ADMINS").unwrap();
        let refused = tx.directory().insert_group(&clash).await;
        assert!(
            matches!(refused, Err(StoreError::Conflict(_))),
            "{}: {refused:?}",
            db.url
        );
        drop(tx);

        let tx = db.database.begin().await.unwrap();
        assert!(tx.directory().delete_token(org.id, info.id).await.unwrap());
        assert!(
            tx.directory()
                .find_token(&token.hash())
                .await
                .unwrap()
                .is_none()
        );
        assert!(tx.directory().delete_group(org.id, group.id).await.unwrap());
        assert!(!tx.directory().delete_group(org.id, group.id).await.unwrap());
        tx.commit().await.unwrap();
    }
}
