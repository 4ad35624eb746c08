//! The idempotency store on both databases: one winner among concurrent claims, replays of
//! the same request only, keys that belong to their caller, retention.

use futures::future::join_all;
use tenantry_domain::idempotency::{
    Claim, IdempotencyKey, IdempotencyScope, IdempotencyStore, RETENTION, RequestFingerprint,
    StoredResponse,
};
use tenantry_persistence::testing;
use time::{Duration, OffsetDateTime};

fn key(text: &str) -> IdempotencyKey {
    IdempotencyKey::try_from(text).unwrap()
}

fn created() -> StoredResponse {
    StoredResponse {
        status: 201,
        content_type: Some("application/json".into()),
        body: br#"{"_id":"x"}"#.to_vec(),
    }
}

#[tokio::test]
async fn a_key_is_claimed_once_then_replays_its_answer_to_the_same_request_only() {
    for db in testing::all().await {
        let store = &db.database;
        let (scope, k) = (IdempotencyScope::of(Some("tnt_one")), key("k-1"));
        let request = RequestFingerprint::of("POST", "/api/orgs", b"{\"name\":\"A\"}");
        let other = RequestFingerprint::of("POST", "/api/orgs", b"{\"name\":\"B\"}");
        let now = OffsetDateTime::now_utc();

        assert_eq!(
            store.claim(&scope, &k, &request, now).await.unwrap(),
            Claim::Fresh
        );
        assert_eq!(
            store.claim(&scope, &k, &request, now).await.unwrap(),
            Claim::InProgress
        );
        assert_eq!(
            store.claim(&scope, &k, &other, now).await.unwrap(),
            Claim::Mismatch
        );
        store.complete(&scope, &k, &created()).await.unwrap();
        assert_eq!(
            store.claim(&scope, &k, &request, now).await.unwrap(),
            Claim::Replay(created())
        );
        assert_eq!(
            store.claim(&scope, &k, &other, now).await.unwrap(),
            Claim::Mismatch
        );
        // Another caller's same key is theirs alone.
        let stranger = IdempotencyScope::of(Some("tnt_two"));
        assert_eq!(
            store.claim(&stranger, &k, &request, now).await.unwrap(),
            Claim::Fresh
        );
        // Past its retention the key is free again.
        let later = now + RETENTION + Duration::seconds(1);
        assert_eq!(
            store.claim(&scope, &k, &other, later).await.unwrap(),
            Claim::Fresh
        );
    }
}

#[tokio::test]
async fn a_released_key_is_served_afresh_and_an_answered_one_is_not_released() {
    for db in testing::all().await {
        let store = &db.database;
        let (scope, k) = (IdempotencyScope::of(None), key("k-2"));
        let request = RequestFingerprint::of("POST", "/api/auth/login", b"{}");
        let now = OffsetDateTime::now_utc();
        assert_eq!(
            store.claim(&scope, &k, &request, now).await.unwrap(),
            Claim::Fresh
        );
        store.release(&scope, &k).await.unwrap();
        assert_eq!(
            store.claim(&scope, &k, &request, now).await.unwrap(),
            Claim::Fresh
        );
        store.complete(&scope, &k, &created()).await.unwrap();
        store.release(&scope, &k).await.unwrap();
        assert_eq!(
            store.claim(&scope, &k, &request, now).await.unwrap(),
            Claim::Replay(created())
        );
    }
}

#[tokio::test]
async fn of_many_concurrent_claims_of_one_key_exactly_one_wins() {
    for db in testing::all().await {
        let store = &db.database;
        let (scope, k) = (IdempotencyScope::of(Some("tnt_race")), key("race"));
        let request = RequestFingerprint::of("POST", "/api/orgs", b"{}");
        let now = OffsetDateTime::now_utc();
        let claims = join_all((0..16).map(|_| store.claim(&scope, &k, &request, now))).await;
        let fresh = claims
            .iter()
            .filter(|claim| matches!(claim, Ok(Claim::Fresh)))
            .count();
        assert_eq!(fresh, 1, "{claims:?}");
        assert!(
            claims
                .iter()
                .all(|claim| matches!(claim, Ok(Claim::Fresh | Claim::InProgress))),
            "{claims:?}"
        );
    }
}

#[tokio::test]
async fn the_sweep_deletes_expired_keys_in_batches_and_keeps_live_ones() {
    for db in testing::all().await {
        let store = &db.database;
        let scope = IdempotencyScope::of(Some("tnt_sweep"));
        let request = RequestFingerprint::of("POST", "/x", b"");
        let long_ago = OffsetDateTime::now_utc() - RETENTION - Duration::hours(1);
        for i in 0..3 {
            let k = key(&format!("old-{i}"));
            store.claim(&scope, &k, &request, long_ago).await.unwrap();
        }
        let now = OffsetDateTime::now_utc();
        store
            .claim(&scope, &key("live"), &request, now)
            .await
            .unwrap();
        assert_eq!(store.sweep(now, 2).await.unwrap(), 2);
        assert_eq!(store.sweep(now, 2).await.unwrap(), 1);
        assert_eq!(store.sweep(now, 2).await.unwrap(), 0);
        assert_eq!(
            store
                .claim(&scope, &key("live"), &request, now)
                .await
                .unwrap(),
            Claim::InProgress
        );
    }
}
