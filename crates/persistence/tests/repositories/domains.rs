//! Domains and e-mail verification links on both databases: one claim per org and domain,
//! one org holding a domain verified, pending domains taken by the periodic check least
//! recently checked first; one live verification link per account, used up once.

use tenantry_domain::domains::{DomainName, OrgDomain};
use tenantry_domain::error::StoreError;
use tenantry_domain::ids::DomainId;
use tenantry_domain::member::RoleChoice;
use tenantry_domain::ports::{Transaction, UnitOfWork};
use tenantry_domain::user::EmailVerificationToken;
use tenantry_persistence::testing;
use time::Duration;

use super::{add_org, add_user, now};

fn claim(org: &tenantry_domain::org::Org, domain: &str) -> OrgDomain {
    OrgDomain {
        id: DomainId::generate(),
        org_id: org.id,
        domain: DomainName::try_from(domain).unwrap(),
        challenge: format!("tenantry-verification={domain}"),
        verified_at: None,
        auto_join: false,
        default_role: RoleChoice::default(),
        created_at: now(),
    }
}

async fn insert(tx: &dyn Transaction, domain: &OrgDomain) {
    tx.domains().insert_domain(domain).await.unwrap();
}

#[tokio::test]
async fn a_domain_is_claimed_once_per_org_and_verified_by_one_org_only() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let a_owner = add_user(&*tx, "a@example.com").await;
        let a = add_org(&*tx, &a_owner).await;
        let b_owner = add_user(&*tx, "b@example.com").await;
        let b = add_org(&*tx, &b_owner).await;
        let mine = claim(&a, "acme.test");
        insert(&*tx, &mine).await;
        let theirs = claim(&b, "acme.test");
        insert(&*tx, &theirs).await;
        tx.commit().await.unwrap();

        let tx = db.database.begin().await.unwrap();
        let twice = tx.domains().insert_domain(&claim(&a, "acme.test")).await;
        assert!(
            matches!(twice, Err(StoreError::Conflict(_))),
            "{}: {twice:?}",
            db.url
        );
        drop(tx);

        let tx = db.database.begin().await.unwrap();
        let name = DomainName::try_from("acme.test").unwrap();
        assert_eq!(tx.domains().find_verified(&name).await.unwrap(), None);
        tx.domains().mark_verified(mine.id, now()).await.unwrap();
        let held = tx.domains().find_verified(&name).await.unwrap().unwrap();
        assert_eq!((held.id, held.org_id), (mine.id, a.id), "{}", db.url);
        assert!(held.is_verified());
        tx.commit().await.unwrap();

        // The unique index on verified domains refuses the second org.
        let tx = db.database.begin().await.unwrap();
        let second = tx.domains().mark_verified(theirs.id, now()).await;
        assert!(
            matches!(second, Err(StoreError::Conflict(_))),
            "{}: {second:?}",
            db.url
        );
        drop(tx);

        // Settings are stored; another org's id finds nothing; a delete frees the domain.
        let tx = db.database.begin().await.unwrap();
        let changed = OrgDomain {
            auto_join: true,
            default_role: RoleChoice::try_from("viewer").unwrap(),
            ..held
        };
        tx.domains().update_domain(&changed).await.unwrap();
        let found = tx.domains().find_domain(a.id, mine.id).await.unwrap();
        assert_eq!(
            found.map(|d| (d.auto_join, d.default_role)),
            Some((true, RoleChoice::try_from("viewer").unwrap())),
            "{}",
            db.url
        );
        assert_eq!(tx.domains().find_domain(b.id, mine.id).await.unwrap(), None);
        assert!(!tx.domains().delete_domain(b.id, mine.id).await.unwrap());
        assert!(tx.domains().delete_domain(a.id, mine.id).await.unwrap());
        tx.domains().mark_verified(theirs.id, now()).await.unwrap();
        let listed = tx.domains().list_domains(b.id).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].is_verified(), "{}", db.url);
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn the_periodic_check_takes_pending_domains_least_recently_checked_first() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "o@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let first = claim(&org, "one.test");
        let second = claim(&org, "two.test");
        let verified = claim(&org, "three.test");
        for domain in [&first, &second, &verified] {
            insert(&*tx, domain).await;
        }
        tx.domains()
            .mark_verified(verified.id, now())
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let tx = db.database.begin().await.unwrap();
        let round = tx.domains().claim_pending(now(), 1).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(round.len(), 1, "{}", db.url);
        let tx = db.database.begin().await.unwrap();
        let next = tx
            .domains()
            .claim_pending(now() + Duration::seconds(1), 5)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let ids: Vec<DomainId> = next.iter().map(|d| d.id).collect();
        // The one not yet checked comes first; the verified one never.
        assert_eq!(ids.len(), 2, "{}", db.url);
        assert_ne!(ids[0], round[0].id, "{}", db.url);
        assert!(!ids.contains(&verified.id));
    }
}

#[tokio::test]
async fn one_live_verification_link_per_account_used_up_once() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let user = add_user(&*tx, "v@example.com").await;
        let old = EmailVerificationToken::generate();
        let new = EmailVerificationToken::generate();
        let expires = now() + Duration::hours(1);
        tx.users()
            .save_email_verification(user.id, &old.hash(), expires)
            .await
            .unwrap();
        tx.users()
            .save_email_verification(user.id, &new.hash(), expires)
            .await
            .unwrap();
        assert_eq!(
            tx.users()
                .find_email_verification(&old.hash())
                .await
                .unwrap(),
            None,
            "{}: the newer link replaces the older",
            db.url
        );
        let (found, at) = tx
            .users()
            .find_email_verification(&new.hash())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found, user.id);
        assert!(
            (at - expires).abs() < Duration::milliseconds(1),
            "{}",
            db.url
        );
        assert!(
            tx.users()
                .delete_email_verification(&new.hash())
                .await
                .unwrap()
        );
        assert!(
            !tx.users()
                .delete_email_verification(&new.hash())
                .await
                .unwrap(),
            "{}: used once",
            db.url
        );
        assert!(!tx.users().email_verified(user.id).await.unwrap());
        tx.users()
            .mark_email_verified(user.id, now())
            .await
            .unwrap();
        assert!(tx.users().email_verified(user.id).await.unwrap());
        tx.commit().await.unwrap();
    }
}
