use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::ids::{SessionId, UserId};

/// Declares a secret handed to a client once and stored only as its [`TokenHash`]: made by
/// `generate`, wrapped as presented by `from_presented`, and hidden from `Debug`.
macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident, $prefix:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// 32 bytes from the operating system's CSPRNG, base64url, after a prefix that
            /// secret scanners can match.
            pub fn generate() -> Self {
                Self($crate::user::random_secret($prefix))
            }

            /// Wraps what a client presented; whether it is valid is decided by looking up its
            /// hash.
            pub fn from_presented(raw: &str) -> Self {
                Self(raw.to_owned())
            }

            /// The secret itself, to hand to the client once; never log or store it.
            pub fn expose(&self) -> &str {
                &self.0
            }

            /// Its SHA-256 (hex), under which the store keeps and finds it.
            pub fn hash(&self) -> $crate::user::TokenHash {
                $crate::user::TokenHash::of(&self.0)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "(..)"))
            }
        }
    };
}
pub(crate) use secret_type;

const PREFIX: &str = "tnt_";

secret_type!(
    /// A bearer token as handed to the client once. Only its [`TokenHash`] is ever stored.
    SessionToken,
    PREFIX
);

/// `prefix` followed by 32 bytes (256 bits) from the operating system's CSPRNG, base64url.
pub(crate) fn random_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    // Without an OS random source no secret can be safe; there is nothing to fall back to.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The SHA-256 of a token, hex-encoded: what the store keeps and looks up.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    /// The hash of a secret as presented or generated.
    pub(crate) fn of(secret: &str) -> Self {
        Self(hex(&Sha256::digest(secret.as_bytes())))
    }

    /// Wraps a hash read back from the store; nothing is checked.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    /// The hex digest, as the store keeps it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A bearer token: issued at sign-in, or made as an API token (named, maybe pinned).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// For an API token, what
    /// [`AuthService::revoke_api_token`](crate::user::AuthService::revoke_api_token) takes.
    pub id: SessionId,
    /// The account the token acts for.
    pub user_id: UserId,
    /// The hash of its secret; the secret itself is never stored.
    pub token_hash: TokenHash,
    /// When it was issued.
    pub created_at: OffsetDateTime,
    /// When it stops working: issue time plus
    /// [`ServicesConfig::token_ttl`](crate::ServicesConfig::token_ttl) for a sign-in session, plus
    /// its [`TokenLifetime`](super::TokenLifetime) for an API token. Fixed, never extended.
    pub expires_at: OffsetDateTime,
    /// The org `/api/org` works on for this session, once chosen (see
    /// [`OrgService::current`](crate::org::OrgService::current)).
    pub active_org: Option<crate::ids::OrgId>,
    /// An API token's name; `None` for a sign-in session.
    pub name: Option<super::TokenName>,
    /// The only org an API token works in, when pinned.
    pub pinned_org: Option<crate::ids::OrgId>,
    /// A service token (always pinned, made by the org's owner): it may ask permission checks
    /// about any member of its org, and nothing else.
    pub service: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_random_bits_and_differ() {
        let a = SessionToken::generate();
        let b = SessionToken::generate();
        assert_ne!(a, b);
        assert!(a.expose().starts_with(PREFIX));
        let body = &a.expose()[PREFIX.len()..];
        assert_eq!(URL_SAFE_NO_PAD.decode(body).unwrap().len(), 32);
    }

    #[test]
    fn hash_is_the_sha256_hex_of_the_token() {
        let token = SessionToken::from_presented("abc");
        assert_eq!(
            token.hash().as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
