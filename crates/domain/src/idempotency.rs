//! Idempotent writes: a client that retries a request with the same `Idempotency-Key` gets
//! the first answer again instead of a second change. The HTTP adapter keys, fingerprints and
//! replays; this module holds the rules and the port of the store that remembers.

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::error::StoreError;
use crate::validation::ValidationError;

/// How long an answer is kept for replay.
pub const RETENTION: Duration = Duration::hours(24);
/// The longest key accepted.
pub const MAX_KEY_CHARS: usize = 255;

/// A client's key: 1 to [`MAX_KEY_CHARS`] printable ASCII characters (a UUID, typically).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The characters a key may hold, as a regular expression: printable ASCII, no space
    /// (the rule of `try_from`, for the API document).
    pub const PATTERN: &str = "^[!-~]+$";

    /// The key as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for IdempotencyKey {
    type Error = ValidationError;

    fn try_from(raw: &str) -> Result<Self, Self::Error> {
        let printable = raw.bytes().all(|byte| byte.is_ascii_graphic());
        if raw.is_empty() || raw.len() > MAX_KEY_CHARS || !printable {
            return Err(ValidationError::new(
                "Idempotency-Key",
                format!("must be 1 to {MAX_KEY_CHARS} printable ASCII characters, no spaces"),
            ));
        }
        Ok(Self(raw.to_owned()))
    }
}

/// Whose keys these are: the SHA-256 of the caller's bearer token, so that two callers (two
/// users, or two tokens of one user) never meet each other's keys. Callers without a token
/// share one scope; a replay there also needs the same request, which for sign-in means the
/// same password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyScope(String);

impl IdempotencyScope {
    /// The scope of a caller presenting `bearer`, or of callers without a token.
    pub fn of(bearer: Option<&str>) -> Self {
        Self(match bearer {
            Some(token) => format!("token:{}", hex(&Sha256::digest(token.as_bytes()))),
            None => "anonymous".to_owned(),
        })
    }

    /// The scope as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a key was first used for: the SHA-256 of the method, the path with its query, and
/// the body. The same key with another fingerprint is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestFingerprint(String);

impl RequestFingerprint {
    /// The fingerprint of one request.
    pub fn of(method: &str, path_and_query: &str, body: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        for part in [method.as_bytes(), path_and_query.as_bytes()] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
        hasher.update(body);
        Self(hex(&hasher.finalize()))
    }

    /// A fingerprint as stored.
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    /// The fingerprint as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// An answer kept for replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type`, if the answer had one.
    pub content_type: Option<String>,
    /// The body, byte for byte.
    pub body: Vec<u8>,
}

impl StoredResponse {
    /// Whether an answer with `status` is kept. A server error (nothing was done, or it is
    /// unknown what was), a refused token and a rate limit say nothing final about the
    /// request: a retry with the same key must be served afresh.
    pub fn is_final(status: u16) -> bool {
        status < 500 && status != 401 && status != 429
    }
}

/// What the store says about a key when a request arrives with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// First use (or the earlier use expired): the caller serves the request, then
    /// [`IdempotencyStore::complete`]s or [`IdempotencyStore::release`]s the key.
    Fresh,
    /// Served before for the same request: answer this again.
    Replay(StoredResponse),
    /// A request with this key is being served right now.
    InProgress,
    /// The key was used for another request.
    Mismatch,
}

/// The port of the store that remembers keys and answers (the persistence adapter, in its own
/// short statements, outside any use case's transaction).
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` in `scope` for the request `fingerprint`, atomically: of two concurrent
    /// claims of one key, one is [`Claim::Fresh`] and the other [`Claim::InProgress`].
    async fn claim(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        fingerprint: &RequestFingerprint,
        now: OffsetDateTime,
    ) -> Result<Claim, StoreError>;

    /// Keeps `response` as the answer of a claimed key, for [`RETENTION`] from the claim.
    async fn complete(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> Result<(), StoreError>;

    /// Lets a claimed key go without an answer, so that a retry is served afresh.
    async fn release(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
    ) -> Result<(), StoreError>;

    /// Deletes up to `limit` keys past their retention; how many it deleted.
    async fn sweep(&self, now: OffsetDateTime, limit: u64) -> Result<u64, StoreError>;
}

/// An [`IdempotencyStore`] that seals every kept answer before it reaches `inner`, and opens it
/// on replay. Answers can hold secrets shown once (a sign-in's bearer token, an API token, a
/// webhook's signing secret); sealed, a copy of the table does not give them away. Each answer
/// is sealed under its scope and key, so it does not open as another caller's.
pub struct SealedAnswers {
    inner: std::sync::Arc<dyn IdempotencyStore>,
    sealer: std::sync::Arc<dyn crate::integration::Sealer>,
}

const SEALED_BODY: &str = "body";

impl SealedAnswers {
    /// Seals what `inner` keeps with `sealer`.
    pub fn new(
        inner: std::sync::Arc<dyn IdempotencyStore>,
        sealer: std::sync::Arc<dyn crate::integration::Sealer>,
    ) -> Self {
        Self { inner, sealer }
    }

    fn context(scope: &IdempotencyScope, key: &IdempotencyKey) -> Vec<u8> {
        format!(
            "tenantry-idempotency-v1\n{}\n{}",
            scope.as_str(),
            key.as_str()
        )
        .into_bytes()
    }
}

#[async_trait]
impl IdempotencyStore for SealedAnswers {
    async fn claim(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        fingerprint: &RequestFingerprint,
        now: OffsetDateTime,
    ) -> Result<Claim, StoreError> {
        let claim = self.inner.claim(scope, key, fingerprint, now).await?;
        let Claim::Replay(mut stored) = claim else {
            return Ok(claim);
        };
        let sealed = crate::integration::SealedCredentials(
            String::from_utf8(std::mem::take(&mut stored.body)).unwrap_or_default(),
        );
        let opened = self
            .sealer
            .open(&sealed, &Self::context(scope, key))
            .ok()
            .and_then(|credentials| credentials.expose().get(SEALED_BODY).cloned())
            .and_then(|text| BASE64.decode(text).ok())
            .ok_or_else(|| StoreError::Unavailable("a kept answer cannot be opened".into()))?;
        stored.body = opened;
        Ok(Claim::Replay(stored))
    }

    async fn complete(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        let wrapped = crate::integration::Credentials::from_trusted(
            [(SEALED_BODY.to_owned(), BASE64.encode(&response.body))].into(),
        );
        let sealed = self
            .sealer
            .seal(&wrapped, &Self::context(scope, key))
            .map_err(|error| StoreError::Unavailable(error.to_string()))?;
        let kept = StoredResponse {
            body: sealed.0.into_bytes(),
            ..response.clone()
        };
        self.inner.complete(scope, key, &kept).await
    }

    async fn release(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
    ) -> Result<(), StoreError> {
        self.inner.release(scope, key).await
    }

    async fn sweep(&self, now: OffsetDateTime, limit: u64) -> Result<u64, StoreError> {
        self.inner.sweep(now, limit).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_printable_ascii_within_the_limit() {
        assert!(IdempotencyKey::try_from("0b6d1f9e-2c4a-4f7e-9a53-6f1d2c3b4a5e").is_ok());
        for bad in [
            "",
            "has space",
            "tab\t",
            "ünïcode",
            &"k".repeat(MAX_KEY_CHARS + 1),
        ] {
            assert!(IdempotencyKey::try_from(bad).is_err(), "{bad:?}");
        }
        assert!(IdempotencyKey::try_from("k".repeat(MAX_KEY_CHARS).as_str()).is_ok());
    }

    #[test]
    fn scopes_differ_per_token_and_never_show_it() {
        let a = IdempotencyScope::of(Some("tnt_a"));
        assert_ne!(a, IdempotencyScope::of(Some("tnt_b")));
        assert_ne!(a, IdempotencyScope::of(None));
        assert!(!a.as_str().contains("tnt_a"));
    }

    #[test]
    fn fingerprints_tell_method_path_and_body_apart() {
        let base = RequestFingerprint::of("POST", "/api/orgs", b"{}");
        assert_eq!(base, RequestFingerprint::of("POST", "/api/orgs", b"{}"));
        assert_ne!(base, RequestFingerprint::of("PUT", "/api/orgs", b"{}"));
        assert_ne!(base, RequestFingerprint::of("POST", "/api/orgs/x", b"{}"));
        assert_ne!(base, RequestFingerprint::of("POST", "/api/orgs", b"{ }"));
        // The parts are length-prefixed: moving bytes from the path to the body changes it.
        assert_ne!(
            RequestFingerprint::of("POST", "/a", b"b"),
            RequestFingerprint::of("POST", "/", b"ab")
        );
    }

    #[test]
    fn only_final_answers_are_kept() {
        for status in [200, 201, 204, 400, 403, 404, 409, 422] {
            assert!(StoredResponse::is_final(status), "{status}");
        }
        for status in [401, 429, 500, 503] {
            assert!(!StoredResponse::is_final(status), "{status}");
        }
    }
}
