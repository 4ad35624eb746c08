use std::sync::Arc;

use time::Duration;

use super::*;
use crate::error::StoreError;
use crate::ids::{SessionId, UserId};
use crate::testing::fixtures::NOW;
use crate::testing::{FixedClock, MockTransaction, unit_of_work};

const TTL: Duration = Duration::days(30);

fn auth(
    transactions: Vec<MockTransaction>,
    hasher: MockPasswordHasher,
) -> (AuthService, Vec<crate::testing::Committed>) {
    auth_sealed(transactions, hasher, crate::integration::MockSealer::new())
}

fn auth_sealed(
    transactions: Vec<MockTransaction>,
    hasher: MockPasswordHasher,
    sealer: crate::integration::MockSealer,
) -> (AuthService, Vec<crate::testing::Committed>) {
    let (uow, committed) = unit_of_work(transactions);
    let service = AuthService::new(
        Arc::new(uow),
        Arc::new(hasher),
        Arc::new(FixedClock(NOW)),
        Arc::new(sealer),
        TTL,
        Duration::ZERO,
    );
    (service, committed)
}

fn hasher() -> MockPasswordHasher {
    let mut hasher = MockPasswordHasher::new();
    hasher
        .expect_hash()
        .returning(|password| Ok(PasswordHash::new(format!("hashed:{}", password.expose()))));
    hasher
        .expect_verify()
        .returning(|password, hash| hash.as_str() == format!("hashed:{}", password.expose()));
    hasher
}

fn account() -> NewAccount {
    NewAccount {
        email: Email::try_from("jane@example.com").unwrap(),
        password: Password::try_from("correct horse").unwrap(),
        name: UserName::try_from("Jane").unwrap(),
    }
}

fn stored(password: &str) -> UserWithPassword {
    UserWithPassword {
        email_verified: false,
        user: User {
            id: UserId::generate(),
            email: Email::try_from("jane@example.com").unwrap(),
            name: UserName::try_from("Jane").unwrap(),
            created_at: NOW,
            last_login_at: None,
            mfa_enabled: false,
        },
        password_hash: PasswordHash::new(format!("hashed:{password}")),
    }
}

#[test]
fn sign_up_stores_the_hash_never_the_password_and_issues_a_token() {
    let mut tx = MockTransaction::default();
    tx.users
        .expect_insert_user()
        .withf(|user, hash| {
            user.email.as_str() == "jane@example.com" && hash.as_str() == "hashed:correct horse"
        })
        .times(1)
        .returning(|_, _| Ok(()));
    tx.sessions
        .expect_insert_session()
        .withf(|session| session.expires_at == NOW + TTL)
        .times(1)
        .returning(|_| Ok(()));
    let saved = Arc::new(std::sync::Mutex::new(None));
    let keep = saved.clone();
    tx.users
        .expect_save_email_verification()
        .withf(|_, _, expires_at| *expires_at == NOW + crate::user::EMAIL_VERIFICATION_TTL)
        .times(1)
        .returning(move |_, hash, _| {
            *keep.lock().unwrap() = Some(hash.clone());
            Ok(())
        });
    let queued = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = queued.clone();
    tx.outbox
        .expect_enqueue()
        .times(1)
        .returning(move |mail, about, _| {
            assert!(about.is_none());
            sink.lock().unwrap().push(mail.clone());
            Ok(())
        });
    let (service, committed) = auth(vec![tx], hasher());

    let signed_in = pollster::block_on(service.sign_up(account())).unwrap();

    assert_eq!(signed_in.expires_at, NOW + TTL);
    assert_eq!(signed_in.user.last_login_at, Some(NOW));
    assert!(!signed_in.email_verified);
    assert!(committed[0].get());
    // The mail carries the token whose hash was stored, under the public URL.
    let mail = queued.lock().unwrap().pop().unwrap();
    assert_eq!(mail.to.as_str(), "jane@example.com");
    let crate::mail::MailContent::EmailVerification(content) = mail.content else {
        panic!("not a verification mail: {:?}", mail.content);
    };
    let token = content
        .link
        .strip_prefix("http://127.0.0.1:8080/verify-email/")
        .unwrap();
    let presented = crate::user::EmailVerificationToken::from_presented(token);
    assert_eq!(Some(presented.hash()), saved.lock().unwrap().clone());
    assert_eq!(
        content.expires_at,
        NOW + crate::user::EMAIL_VERIFICATION_TTL
    );
}

#[test]
fn a_taken_email_is_email_taken_and_nothing_is_committed() {
    let mut tx = MockTransaction::default();
    tx.users
        .expect_insert_user()
        .returning(|_, _| Err(StoreError::Conflict("users_email_key".into())));
    let (service, committed) = auth(vec![tx], hasher());
    let error = pollster::block_on(service.sign_up(account())).unwrap_err();
    assert!(matches!(error, AuthError::EmailTaken));
    assert!(!committed[0].get());
}

#[test]
fn log_in_checks_the_password_records_the_login_and_issues_a_token() {
    let mut read = MockTransaction::default();
    let found = stored("correct horse");
    let id = found.user.id;
    read.users
        .expect_find_user_by_email()
        .returning(move |_| Ok(Some(found.clone())));
    let mut write = MockTransaction::default();
    write
        .users
        .expect_record_login()
        .withf(move |u, at| *u == id && *at == NOW)
        .times(1)
        .returning(|_, _| Ok(()));
    write
        .sessions
        .expect_insert_session()
        .times(1)
        .returning(|_| Ok(()));
    write
        .sessions
        .expect_delete_expired_sessions()
        .withf(move |u, now| *u == id && *now == NOW)
        .times(1)
        .returning(|_, _| Ok(1));
    let (service, committed) = auth(vec![read, write], hasher());

    let email = Email::try_from("JANE@example.com").unwrap();
    let signed_in = pollster::block_on(service.log_in(
        &email,
        &Password::presented("correct horse").unwrap(),
        None,
        None,
    ))
    .unwrap();

    assert_eq!(signed_in.user.id, id);
    assert!(committed[1].get());
}

#[test]
fn unknown_email_and_wrong_password_fail_alike_and_both_pay_for_a_hash() {
    let mut unknown = MockTransaction::default();
    unknown
        .users
        .expect_find_user_by_email()
        .returning(|_| Ok(None));
    let mut hashes = MockPasswordHasher::new();
    hashes
        .expect_hash()
        .times(1)
        .returning(|_| Ok(PasswordHash::new("x".into())));
    let (service, _) = auth(vec![unknown], hashes);
    let email = Email::try_from("nobody@example.com").unwrap();
    let error = pollster::block_on(service.log_in(
        &email,
        &Password::presented("whatever1").unwrap(),
        None,
        None,
    ))
    .unwrap_err();
    assert!(matches!(error, AuthError::InvalidCredentials));

    let mut known = MockTransaction::default();
    known
        .users
        .expect_find_user_by_email()
        .returning(|_| Ok(Some(stored("correct horse"))));
    let (service, _) = auth(vec![known], hasher());
    let email = Email::try_from("jane@example.com").unwrap();
    let error = pollster::block_on(service.log_in(
        &email,
        &Password::presented("wrong horse").unwrap(),
        None,
        None,
    ))
    .unwrap_err();
    assert!(matches!(error, AuthError::InvalidCredentials));
}

fn session(expires_at: time::OffsetDateTime) -> Session {
    Session {
        id: SessionId::generate(),
        user_id: UserId::generate(),
        token_hash: SessionToken::generate().hash(),
        created_at: NOW - Duration::days(1),
        expires_at,
        active_org: None,
        name: None,
        pinned_org: None,
        service: false,
    }
}

#[test]
fn authenticate_accepts_a_live_token_only() {
    let token = SessionToken::generate();
    for (name, found, ok) in [
        ("unknown", None, false),
        ("expired", Some(session(NOW)), false),
        ("live", Some(session(NOW + Duration::seconds(1))), true),
    ] {
        let mut tx = MockTransaction::default();
        let expected_hash = token.hash();
        let user = found.as_ref().map(|s| s.user_id);
        tx.sessions
            .expect_find_current_session()
            .withf(move |hash| *hash == expected_hash)
            .returning(move |_| {
                Ok(found.clone().map(|session| CurrentSession {
                    email_verified: false,
                    user: stored("x").user,
                    session,
                }))
            });
        let (service, _) = auth(vec![tx], hasher());
        let result = pollster::block_on(service.authenticate(&token));
        assert_eq!(result.is_ok(), ok, "{name}");
        if ok {
            assert_eq!(Some(result.unwrap().user_id), user);
        } else {
            assert!(matches!(result, Err(AuthError::Unauthenticated)), "{name}");
        }
    }
}

#[test]
fn log_out_deletes_the_session_by_its_hash() {
    let token = SessionToken::generate();
    let mut tx = MockTransaction::default();
    let expected = token.hash();
    tx.sessions
        .expect_delete_session()
        .withf(move |h| *h == expected)
        .times(1)
        .returning(|_| Ok(()));
    let (service, committed) = auth(vec![tx], hasher());
    pollster::block_on(service.log_out(&token)).unwrap();
    assert!(committed[0].get());
}

/// At a fixed clock, a code made from a known secret signs in once; the same code again, a
/// wrong code, or none, do not.
#[test]
fn a_second_factor_code_signs_in_once_at_a_fixed_clock() {
    use std::collections::BTreeMap;

    use crate::integration::{Credentials, MockSealer, SealedCredentials};
    use crate::user::{TotpSecret, TotpState};

    let secret = TotpSecret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
    let step = u64::try_from(NOW.unix_timestamp() / 30).unwrap();
    let code = secret.code(step);
    let attempt = |code: Option<&str>, step_is_new: bool| {
        let mut found = stored("correct horse");
        found.user.mfa_enabled = true;
        let id = found.user.id;
        let mut read = MockTransaction::default();
        read.users
            .expect_find_user_by_email()
            .returning(move |_| Ok(Some(found.clone())));
        let mut write = MockTransaction::default();
        write.users.expect_totp().returning(|_| {
            Ok(TotpState {
                active: Some(SealedCredentials("sealed".into())),
                pending: None,
            })
        });
        write
            .users
            .expect_use_totp_step()
            .withf(move |u, s| *u == id && *s == step)
            .returning(move |_, _| Ok(step_is_new));
        write.users.expect_record_login().returning(|_, _| Ok(()));
        write
            .sessions
            .expect_delete_expired_sessions()
            .returning(|_, _| Ok(0));
        write.sessions.expect_insert_session().returning(|_| Ok(()));
        let mut sealer = MockSealer::new();
        let base32 = secret.base32();
        sealer.expect_open().returning(move |_, _| {
            Ok(Credentials::from_trusted(BTreeMap::from([(
                "totp_secret".to_owned(),
                base32.clone(),
            )])))
        });
        let (service, committed) = auth_sealed(vec![read, write], hasher(), sealer);
        let result = pollster::block_on(service.log_in(
            &Email::try_from("jane@example.com").unwrap(),
            &Password::presented("correct horse").unwrap(),
            None,
            code,
        ));
        (result, committed[1].get())
    };

    let (signed_in, committed) = attempt(Some(&code), true);
    assert!(signed_in.is_ok() && committed);
    let (replayed, committed) = attempt(Some(&code), false);
    assert!(matches!(replayed, Err(AuthError::InvalidMfaCode)) && !committed);
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let wrong = if secret.matching_step(&wrong, NOW).is_some() {
        "abcdef".to_owned()
    } else {
        wrong
    };
    let (refused, _) = attempt(Some(&wrong), true);
    assert!(matches!(refused, Err(AuthError::InvalidMfaCode)));
    let (missing, _) = attempt(None, true);
    assert!(matches!(missing, Err(AuthError::MfaCodeRequired)));
}

/// A clock the test moves.
struct MovableClock(std::sync::Mutex<time::OffsetDateTime>);

impl MovableClock {
    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl crate::clock::Clock for MovableClock {
    fn now(&self) -> time::OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

const CACHE_TTL: Duration = Duration::seconds(5);

/// An auth service whose session cache trusts a check for [`CACHE_TTL`], on a movable clock.
fn cached_auth(transactions: Vec<MockTransaction>) -> (AuthService, Arc<MovableClock>) {
    let (uow, _) = unit_of_work(transactions);
    let clock = Arc::new(MovableClock(std::sync::Mutex::new(NOW)));
    let service = AuthService::new(
        Arc::new(uow),
        Arc::new(hasher()),
        clock.clone(),
        Arc::new(crate::integration::MockSealer::new()),
        TTL,
        CACHE_TTL,
    );
    (service, clock)
}

/// A read that finds `found` for `token`, exactly once.
fn lookup(token: &SessionToken, found: Option<Session>) -> MockTransaction {
    let mut tx = MockTransaction::default();
    let expected = token.hash();
    tx.sessions
        .expect_find_current_session()
        .withf(move |hash| *hash == expected)
        .times(1)
        .returning(move |_| {
            Ok(found.clone().map(|session| CurrentSession {
                email_verified: false,
                user: stored("x").user,
                session,
            }))
        });
    tx
}

fn live_session(token: &SessionToken) -> Session {
    Session {
        token_hash: token.hash(),
        ..session(NOW + Duration::days(1))
    }
}

#[test]
fn a_checked_token_is_trusted_from_memory_for_the_cache_ttl_only() {
    let token = SessionToken::generate();
    // One read at first, none for the repeat, one again once the time to live has passed
    // (where the session has meanwhile been revoked on another instance).
    let (service, clock) = cached_auth(vec![
        lookup(&token, Some(live_session(&token))),
        lookup(&token, None),
    ]);
    let first = pollster::block_on(service.authenticate(&token)).unwrap();
    clock.advance(CACHE_TTL - Duration::MILLISECOND);
    let again = pollster::block_on(service.authenticate(&token)).unwrap();
    assert_eq!(first.user_id, again.user_id);
    clock.advance(Duration::MILLISECOND);
    let later = pollster::block_on(service.authenticate(&token));
    assert!(matches!(later, Err(AuthError::Unauthenticated)));
}

#[test]
fn a_cached_token_stops_working_when_it_expires() {
    let token = SessionToken::generate();
    let expiring = Session {
        expires_at: NOW + Duration::seconds(1),
        ..live_session(&token)
    };
    let (service, clock) = cached_auth(vec![
        lookup(&token, Some(expiring.clone())),
        lookup(&token, Some(expiring)),
    ]);
    pollster::block_on(service.authenticate(&token)).unwrap();
    clock.advance(Duration::seconds(1));
    let expired = pollster::block_on(service.authenticate(&token));
    assert!(matches!(expired, Err(AuthError::Unauthenticated)));
}

#[test]
fn signing_out_forgets_the_cached_token_at_once() {
    let token = SessionToken::generate();
    let mut log_out = MockTransaction::default();
    log_out
        .sessions
        .expect_delete_session()
        .times(1)
        .returning(|_| Ok(()));
    let (service, _) = cached_auth(vec![
        lookup(&token, Some(live_session(&token))),
        log_out,
        lookup(&token, None),
    ]);
    pollster::block_on(service.authenticate(&token)).unwrap();
    pollster::block_on(service.log_out(&token)).unwrap();
    let after = pollster::block_on(service.authenticate(&token));
    assert!(matches!(after, Err(AuthError::Unauthenticated)));
}

#[test]
fn revoking_an_api_token_forgets_it_at_once() {
    let token = SessionToken::generate();
    let issued = live_session(&token);
    let (id, owner) = (issued.id, issued.user_id);
    let mut revoke = MockTransaction::default();
    revoke
        .sessions
        .expect_delete_api_token()
        .withf(move |user, session| *user == owner && *session == id)
        .times(1)
        .returning(|_, _| Ok(true));
    let (service, _) = cached_auth(vec![
        lookup(&token, Some(issued)),
        revoke,
        lookup(&token, None),
    ]);
    let actor = pollster::block_on(service.authenticate(&token)).unwrap();
    pollster::block_on(service.revoke_api_token(&actor, id)).unwrap();
    let after = pollster::block_on(service.authenticate(&token));
    assert!(matches!(after, Err(AuthError::Unauthenticated)));
}

#[test]
fn the_sweep_deletes_batch_after_batch_until_one_comes_back_short() {
    let batch = |deleted: u64| {
        let mut tx = MockTransaction::default();
        tx.sessions
            .expect_sweep_expired_sessions()
            .withf(|at, limit| *at == NOW && *limit == 1_000)
            .times(1)
            .returning(move |_, _| Ok(deleted));
        tx
    };
    let (service, committed) = auth(vec![batch(1_000), batch(1_000), batch(7)], hasher());
    assert_eq!(
        pollster::block_on(service.sweep_expired_sessions()).unwrap(),
        2_007
    );
    assert!(committed.iter().all(crate::testing::Committed::get));
}

fn verification_lookup(tx: &mut MockTransaction, user: UserId, expires_at: time::OffsetDateTime) {
    tx.users
        .expect_find_email_verification()
        .returning(move |_| Ok(Some((user, expires_at))));
}

#[test]
fn a_live_verification_token_verifies_the_address_once() {
    let found = stored("x");
    let id = found.user.id;
    let mut tx = MockTransaction::default();
    verification_lookup(&mut tx, id, NOW + Duration::seconds(1));
    let token = crate::user::EmailVerificationToken::generate();
    let expected = token.hash();
    tx.users
        .expect_delete_email_verification()
        .withf(move |hash| *hash == expected)
        .times(1)
        .returning(|_| Ok(true));
    let user = found.user.clone();
    tx.users
        .expect_find_user()
        .returning(move |_| Ok(Some(user.clone())));
    tx.users
        .expect_mark_email_verified()
        .withf(move |user, at| *user == id && *at == NOW)
        .times(1)
        .returning(|_, _| Ok(()));
    let (service, committed) = auth(vec![tx], hasher());

    let user = pollster::block_on(service.verify_email(&token)).unwrap();

    assert_eq!(user.id, id);
    assert!(committed[0].get());
}

#[test]
fn an_expired_or_used_verification_token_is_refused_and_changes_nothing() {
    let id = UserId::generate();
    // Expired: refused before it is used up.
    let mut expired = MockTransaction::default();
    verification_lookup(&mut expired, id, NOW);
    // Used by a concurrent request between the read and the delete.
    let mut raced = MockTransaction::default();
    verification_lookup(&mut raced, id, NOW + Duration::hours(1));
    raced
        .users
        .expect_delete_email_verification()
        .returning(|_| Ok(false));
    // Unknown.
    let mut unknown = MockTransaction::default();
    unknown
        .users
        .expect_find_email_verification()
        .returning(|_| Ok(None));
    for (name, tx) in [("expired", expired), ("raced", raced), ("unknown", unknown)] {
        let (service, committed) = auth(vec![tx], hasher());
        let token = crate::user::EmailVerificationToken::generate();
        let error = pollster::block_on(service.verify_email(&token)).unwrap_err();
        assert!(matches!(error, AuthError::VerificationNotFound), "{name}");
        assert_eq!(
            crate::error::DomainError::code(&error),
            "verification_not_found"
        );
        assert!(!committed[0].get(), "{name}");
    }
}

#[test]
fn a_verified_address_gets_no_new_link() {
    let found = stored("x");
    let mut tx = MockTransaction::default();
    let user = found.user.clone();
    tx.users
        .expect_find_user()
        .returning(move |_| Ok(Some(user.clone())));
    tx.users.expect_email_verified().returning(|_| Ok(true));
    let (service, committed) = auth(vec![tx], hasher());
    let actor = crate::authz::Actor::new(found.user.id);
    let error = pollster::block_on(service.resend_verification(&actor)).unwrap_err();
    assert!(matches!(error, AuthError::EmailAlreadyVerified));
    assert!(!committed[0].get());
}

#[test]
fn a_new_link_replaces_the_old_one_and_is_mailed() {
    let found = stored("x");
    let id = found.user.id;
    let mut tx = MockTransaction::default();
    let user = found.user.clone();
    tx.users
        .expect_find_user()
        .returning(move |_| Ok(Some(user.clone())));
    tx.users.expect_email_verified().returning(|_| Ok(false));
    tx.users
        .expect_save_email_verification()
        .withf(move |user, _, _| *user == id)
        .times(1)
        .returning(|_, _, _| Ok(()));
    tx.outbox
        .expect_enqueue()
        .withf(|mail, _, _| {
            matches!(mail.content, crate::mail::MailContent::EmailVerification(_))
                && mail.to.as_str() == "jane@example.com"
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    let (service, committed) = auth(vec![tx], hasher());
    pollster::block_on(service.resend_verification(&crate::authz::Actor::new(id))).unwrap();
    assert!(committed[0].get());
}

#[test]
fn asking_for_a_reset_of_an_address_without_an_account_mails_nothing() {
    let mut tx = MockTransaction::default();
    tx.users.expect_find_user_by_email().returning(|_| Ok(None));
    tx.users.expect_save_password_reset().never();
    tx.outbox.expect_enqueue().never();
    let (service, committed) = auth(vec![tx], hasher());
    let email = Email::try_from("nobody@example.com").unwrap();

    pollster::block_on(service.request_password_reset(&email)).unwrap();

    assert!(!committed[0].get());
}

#[test]
fn a_reset_link_is_saved_as_a_hash_and_mailed_for_an_hour() {
    let found = stored("old");
    let id = found.user.id;
    let mut tx = MockTransaction::default();
    tx.users
        .expect_find_user_by_email()
        .returning(move |_| Ok(Some(found.clone())));
    // An earlier link went out longer ago than the interval.
    tx.users
        .expect_password_reset_expiry()
        .returning(|_| Ok(Some(NOW + Duration::minutes(54))));
    let saved = Arc::new(std::sync::Mutex::new(None));
    let kept = saved.clone();
    tx.users
        .expect_save_password_reset()
        .withf(move |user, _, until| *user == id && *until == NOW + Duration::hours(1))
        .times(1)
        .returning(move |_, hash, _| {
            *kept.lock().unwrap() = Some(hash.clone());
            Ok(())
        });
    let mailed = Arc::new(std::sync::Mutex::new(None));
    let sent = mailed.clone();
    tx.outbox
        .expect_enqueue()
        .times(1)
        .returning(move |mail, _, _| {
            *sent.lock().unwrap() = Some(mail.clone());
            Ok(())
        });
    let (service, committed) = auth(vec![tx], hasher());

    let email = Email::try_from("jane@example.com").unwrap();
    pollster::block_on(service.request_password_reset(&email)).unwrap();

    assert!(committed[0].get());
    let mail = mailed.lock().unwrap().clone().unwrap();
    let crate::mail::MailContent::PasswordReset(reset) = mail.content else {
        panic!("{mail:?}");
    };
    let (_, token) = reset.link.rsplit_once("/reset-password/").unwrap();
    let token = PasswordResetToken::from_presented(token);
    assert_eq!(
        saved.lock().unwrap().clone(),
        Some(token.hash()),
        "only the hash is kept"
    );
}

#[test]
fn an_expired_reset_token_costs_no_hash_and_changes_nothing() {
    let mut read = MockTransaction::default();
    read.users
        .expect_find_password_reset()
        .returning(|_| Ok(Some((UserId::generate(), NOW))));
    let mut never_hashes = MockPasswordHasher::new();
    never_hashes.expect_hash().never();
    let (service, committed) = auth(vec![read], never_hashes);
    let token = PasswordResetToken::generate();
    let password = Password::try_from("a brand new horse").unwrap();

    let error = pollster::block_on(service.reset_password(&token, &password)).unwrap_err();

    assert!(
        matches!(error, AuthError::PasswordResetNotFound),
        "{error:?}"
    );
    assert!(!committed[0].get());
}

#[test]
fn a_link_mailed_minutes_ago_is_neither_replaced_nor_mailed_again() {
    let found = stored("old");
    let mut tx = MockTransaction::default();
    tx.users
        .expect_find_user_by_email()
        .returning(move |_| Ok(Some(found.clone())));
    // Mailed four minutes ago: the interval is five.
    tx.users
        .expect_password_reset_expiry()
        .returning(|_| Ok(Some(NOW + Duration::minutes(56))));
    tx.users.expect_save_password_reset().never();
    tx.outbox.expect_enqueue().never();
    let (service, committed) = auth(vec![tx], hasher());
    let email = Email::try_from("jane@example.com").unwrap();

    pollster::block_on(service.request_password_reset(&email)).unwrap();

    assert!(!committed[0].get());
}

/// A reset of an account whose address was `verified` before: the sign-in sessions always go;
/// API tokens and the second factor only when it was never verified (a squatter's).
fn reset_of(verified: bool) {
    let found = stored("old");
    let id = found.user.id;
    let live = move |tx: &mut MockTransaction| {
        tx.users
            .expect_find_password_reset()
            .returning(move |_| Ok(Some((id, NOW + Duration::minutes(5)))));
    };
    let mut read = MockTransaction::default();
    live(&mut read);
    let mut tx = MockTransaction::default();
    live(&mut tx);
    tx.users
        .expect_delete_password_reset()
        .times(1)
        .returning(|_| Ok(true));
    let user = found.user.clone();
    tx.users
        .expect_find_user()
        .returning(move |_| Ok(Some(user.clone())));
    tx.users
        .expect_email_verified()
        .returning(move |_| Ok(verified));
    tx.users
        .expect_set_password_hash()
        .withf(move |user, hash| *user == id && hash.as_str() == "hashed:a brand new horse")
        .times(1)
        .returning(|_, _| Ok(()));
    tx.users
        .expect_mark_email_verified()
        .times(1)
        .returning(|_, _| Ok(()));
    tx.sessions
        .expect_delete_user_sessions()
        .withf(move |user, tokens_too| *user == id && *tokens_too != verified)
        .times(1)
        .returning(|_, _| Ok(2));
    tx.users
        .expect_disable_totp()
        .times(usize::from(!verified))
        .returning(|_| Ok(()));
    let (service, committed) = auth(vec![read, tx], hasher());
    let password = Password::try_from("a brand new horse").unwrap();

    let token = PasswordResetToken::generate();
    pollster::block_on(service.reset_password(&token, &password)).unwrap();

    assert!(committed[1].get());
}

#[test]
fn a_reset_of_an_owned_account_ends_its_sign_in_sessions_and_keeps_tokens_and_totp() {
    reset_of(true);
}

#[test]
fn a_reset_of_a_never_verified_account_also_takes_its_tokens_and_totp() {
    reset_of(false);
}
