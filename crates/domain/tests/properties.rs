//! Property tests of the parsers and validators every API face goes through: whatever the
//! input, they answer (never panic), and what they accept obeys the rule they stand for.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use tenantry_domain::audit::AuditFilter;
use tenantry_domain::authz::{BuiltinRole, Permission, PermissionSet};
use tenantry_domain::ids::{OrgId, UserId};
use tenantry_domain::member::{MemberCursor, RoleChoice};
use tenantry_domain::org::OrgName;
use tenantry_domain::role::RoleName;
use tenantry_domain::user::{Email, TokenName, UserName};
use time::OffsetDateTime;
use unicode_normalization::UnicodeNormalization;

/// Characters that hide or reorder text: controls, zero-width, bidi controls, the BOM, the
/// soft hyphen. Listed here, apart from the code under test.
fn hides_text(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Text mixing ASCII, accented and full-width letters, look-alikes, spaces and hidden
/// characters: what an attacker or a sloppy client sends.
fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            4 => proptest::char::range('a', 'z'),
            1 => proptest::char::range('A', 'Z'),
            1 => Just(' '),
            1 => proptest::sample::select(vec![
                'é', 'Ａ', 'А', 'о', 'ﬁ', '\u{200B}', '\u{202E}', '\u{FEFF}', '\t', '\n', '\0',
                '\u{00AD}', '\u{2066}', '😀', '\u{0301}',
            ]),
            1 => any::<char>(),
        ],
        0..120,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

/// What every accepted name shares: trimmed, NFKC, nothing hidden, within its length, and
/// accepted again unchanged.
fn check_name(accepted: &str, max_chars: usize, again: impl Fn(&str) -> Option<String>) {
    assert_eq!(accepted, accepted.trim());
    assert!(!accepted.is_empty());
    assert_eq!(accepted, accepted.nfkc().collect::<String>());
    assert!(!accepted.chars().any(hides_text), "{accepted:?}");
    assert!(accepted.chars().count() <= max_chars);
    assert_eq!(again(accepted).as_deref(), Some(accepted));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn names_are_clean_or_refused(raw in text()) {
        if let Ok(name) = OrgName::try_from(raw.as_str()) {
            check_name(name.as_str(), OrgName::MAX_CHARS, |s| {
                OrgName::try_from(s).ok().map(|n| n.as_str().to_owned())
            });
        }
        if let Ok(name) = UserName::try_from(raw.as_str()) {
            check_name(name.as_str(), 100, |s| {
                UserName::try_from(s).ok().map(|n| n.as_str().to_owned())
            });
        }
        if let Ok(name) = TokenName::try_from(raw.as_str()) {
            check_name(name.as_str(), TokenName::MAX_CHARS, |s| {
                TokenName::try_from(s).ok().map(|n| n.as_str().to_owned())
            });
        }
        if let Ok(name) = RoleName::try_from(raw.as_str()) {
            check_name(name.as_str(), 50, |s| {
                RoleName::try_from(s).ok().map(|n| n.as_str().to_owned())
            });
        }
    }

    #[test]
    fn a_built_in_role_name_in_any_disguise_is_refused(
        role in proptest::sample::select(BuiltinRole::ALL.to_vec()),
        upper in proptest::collection::vec(any::<bool>(), 16),
        hidden in proptest::sample::select(vec!["", "\u{200B}", "\u{FEFF}", "\u{2060}"]),
        at in 0usize..16,
    ) {
        let mut disguised: String = role
            .name()
            .chars()
            .zip(upper.iter().cycle())
            .map(|(c, up)| if *up { c.to_ascii_uppercase() } else { c })
            .collect();
        let at = disguised.char_indices().nth(at % disguised.len()).map_or(0, |(i, _)| i);
        disguised.insert_str(at, hidden);
        prop_assert!(RoleName::try_from(disguised.as_str()).is_err(), "{disguised:?} was taken");
        // Full-width letters fold to the same name too.
        let wide: String = role
            .name()
            .chars()
            .map(|c| char::from_u32(c as u32 - 0x61 + 0xFF41).unwrap())
            .collect();
        prop_assert!(RoleName::try_from(wide.as_str()).is_err(), "{wide:?} was taken");
    }

    #[test]
    fn what_the_domain_accepts_matches_the_documented_name_pattern(raw in text()) {
        let pattern = regex::Regex::new(&tenantry_domain::validation::visible_text_pattern()).unwrap();
        if let Ok(name) = OrgName::try_from(raw.as_str()) {
            prop_assert!(pattern.is_match(name.as_str()), "{:?}", name);
        }
    }

    #[test]
    fn emails_are_normalised_or_refused(raw in text()) {
        if let Ok(email) = Email::try_from(raw.as_str()) {
            let text = email.as_str();
            prop_assert_eq!(text, text.trim().to_lowercase());
            prop_assert!(text.len() <= 254);
            prop_assert_eq!(text.matches('@').count(), 1);
            prop_assert_eq!(Email::try_from(text).unwrap(), email.clone());
        }
    }

    #[test]
    fn a_plain_address_in_any_case_and_padding_is_one_address(
        local in "[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]",
        domain in "[a-z0-9]{1,20}\\.[a-z]{2,6}",
        shout in any::<bool>(),
        pad in "[ \t]{0,3}",
    ) {
        let address = format!("{local}@{domain}");
        prop_assume!(!address.contains(".."));
        let sent = if shout { address.to_uppercase() } else { address.clone() };
        let email = Email::try_from(format!("{pad}{sent}{pad}").as_str()).unwrap();
        prop_assert_eq!(email.as_str(), address.as_str());
    }

    #[test]
    fn permission_slugs_round_trip_and_nothing_else_is_a_slug(raw in "[a-z:_]{0,24}|.{0,24}") {
        for permission in Permission::ALL {
            prop_assert_eq!(permission.slug().parse::<Permission>().ok(), Some(permission));
        }
        if let Ok(permission) = raw.parse::<Permission>() {
            prop_assert_eq!(permission.slug(), raw.as_str());
        }
        match PermissionSet::parse([raw.as_str()]) {
            Ok(set) => prop_assert!(set.iter().all(|p| p.slug() == raw)),
            Err(unknown) => prop_assert_eq!(unknown.len(), 1),
        }
    }

    #[test]
    fn ownership_is_never_a_role_choice(raw in text()) {
        if let Ok(choice) = RoleChoice::try_from(raw.as_str()) {
            prop_assert_ne!(choice, RoleChoice::Builtin(BuiltinRole::Owner), "{:?}", raw);
        }
    }

    #[test]
    fn member_cursors_round_trip_and_anything_else_is_refused_without_a_panic(
        micros in 0i64..=253_402_300_799_999_999,
        id in any::<u128>(),
        raw in ".{0,80}",
    ) {
        let joined_at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000).unwrap();
        let cursor: MemberCursor = format!("{micros}.{}", UserId::from_uuid(uuid::Uuid::from_u128(id)))
            .parse()
            .unwrap();
        prop_assert_eq!(cursor.joined_at, joined_at);
        prop_assert_eq!(cursor.to_string().parse::<MemberCursor>().unwrap(), cursor);
        if let Ok(parsed) = raw.parse::<MemberCursor>() {
            prop_assert_eq!(parsed.to_string().parse::<MemberCursor>().unwrap(), parsed);
        }
    }

    #[test]
    fn every_cursor_the_document_allows_is_taken(
        raw in proptest::string::string_regex(
            MemberCursor::PATTERN.trim_start_matches('^').trim_end_matches('$'),
        )
        .unwrap()
    ) {
        prop_assert!(raw.parse::<MemberCursor>().is_ok(), "{}", raw);
    }

    #[test]
    fn ids_round_trip_and_garbage_is_refused(id in any::<u128>(), raw in ".{0,40}") {
        let org = OrgId::from_uuid(uuid::Uuid::from_u128(id));
        prop_assert_eq!(org.to_string().parse::<OrgId>().unwrap(), org);
        if let Ok(parsed) = raw.parse::<OrgId>() {
            prop_assert_eq!(parsed.to_string().parse::<OrgId>().unwrap(), parsed);
        }
    }

    #[test]
    fn audit_filters_take_real_dates_in_order_and_refuse_the_rest(
        from in ".{0,30}",
        to in ".{0,30}",
        y1 in 1970i32..9999, d1 in 1u8..=28,
        y2 in 1970i32..9999, d2 in 1u8..=28,
    ) {
        if let Ok(AuditFilter { from: Some(from), until: Some(until), .. }) =
            AuditFilter::parse(None, None, Some(&from), Some(&to))
        {
            prop_assert!(from < until);
        }
        let first = format!("{y1:04}-01-{d1:02}");
        let second = format!("{y2:04}-01-{d2:02}");
        let parsed = AuditFilter::parse(None, None, Some(&first), Some(&second));
        // A date alone covers its whole day, so a range may start and end on the same day.
        prop_assert_eq!(parsed.is_ok(), (y1, d1) <= (y2, d2), "{} .. {}", first, second);
    }
}

proptest! {
    // Random Unicode often changes length under NFKC; those inputs are set aside.
    #![proptest_config(ProptestConfig { cases: 2_000, max_global_rejects: 20_000, ..ProptestConfig::default() })]

    #[test]
    fn the_documented_name_pattern_admits_what_the_domain_accepts(
        raw in proptest::string::string_regex(
            // The generator takes no anchors; what it makes is a whole match anyway.
            tenantry_domain::validation::visible_text_pattern()
                .trim_start_matches('^')
                .trim_end_matches('$'),
        )
        .unwrap()
    ) {
        let chars = raw.chars().count();
        prop_assume!((1..=OrgName::MAX_CHARS).contains(&chars));
        // NFKC may turn a character into a space or a hidden one; that is the domain's to
        // refuse, and no plain text does it.
        prop_assume!(raw.nfkc().collect::<String>().chars().count() == chars);
        prop_assert!(OrgName::try_from(raw.as_str()).is_ok(), "{:?}", raw);
    }
}
