//! CSRF tokens. A signed-in form carries a token derived from the session's secret, which a
//! page of another site cannot read (the cookie is `HttpOnly`); the sign-in and sign-up forms,
//! before any session, carry a random token that must match a cookie of its own (double
//! submit). `SameSite=Lax` cookies are a second layer, not the defence.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// The cookie of the token of the forms shown before sign-in.
pub(crate) const ANONYMOUS_COOKIE: &str = "tenantry_console_csrf";

/// The form token of the session whose secret is `session`.
pub(crate) fn for_session(session: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"tenantry-console-csrf\n")
        .chain_update(session.as_bytes())
        .finalize();
    URL_SAFE_NO_PAD.encode(digest)
}

/// A fresh token for the forms shown before sign-in.
///
/// # Panics
/// When the operating system's random source fails, as every secret of Tenantry does.
pub(crate) fn fresh() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `given` is `expected`, compared in constant time.
pub(crate) fn matches(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    !a.is_empty()
        && a.len() == b.len()
        && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ_per_session_and_compare_exactly() {
        let (a, b) = (for_session("tnt_a"), for_session("tnt_b"));
        assert_ne!(a, b);
        assert!(matches(&a, &for_session("tnt_a")));
        assert!(!matches(&a, &b));
        assert!(!matches(&a, ""));
        assert!(!matches("", ""));
        assert_ne!(fresh(), fresh());
    }
}
