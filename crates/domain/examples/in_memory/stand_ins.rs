//! Stand-ins for the ports that are not storage: password hashing, sealing and webhook
//! sending. None of them is fit for production; each says why.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tenantry_domain::integration::{Credentials, SealError, SealedCredentials, Sealer};
use tenantry_domain::user::{HashingFailed, Password, PasswordHash, PasswordHasher};
use tenantry_domain::validation::ValidationError;
use tenantry_domain::webhook::{WebhookSender, WebhookUrl};

/// NOT FOR PRODUCTION: one salted SHA-256 is fast, and a password hash must be slow so that a
/// stolen store cannot be guessed through. It stands in for the server's argon2 hasher to keep
/// this example free of that dependency and instant to run.
pub struct ExampleHasher;

/// The scheme name in the stored string, so that no one mistakes it for a real hash.
const SCHEME: &str = "sha256-example-not-for-production";

impl ExampleHasher {
    fn digest(salt: &str, password: &Password) -> String {
        let digest = Sha256::new()
            .chain_update(SCHEME)
            .chain_update(salt)
            .chain_update(password.expose())
            .finalize();
        hex(&digest)
    }
}

#[async_trait]
impl PasswordHasher for ExampleHasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashingFailed> {
        // A fresh salt, as the port asks: equal passwords must not give equal hashes.
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|error| HashingFailed(error.to_string()))?;
        let salt = hex(&salt);
        let digest = Self::digest(&salt, password);
        Ok(PasswordHash::new(format!("${SCHEME}${salt}${digest}")))
    }

    async fn verify(&self, password: &Password, hash: &PasswordHash) -> bool {
        let mut parts = hash.as_str().split('$');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(""), Some(SCHEME), Some(salt), Some(digest)) if parts.next().is_none() => {
                digest == Self::digest(salt, password)
            }
            _ => false,
        }
    }
}

/// NOT ENCRYPTION: "seals" credentials by writing them out as JSON, readable by anyone who
/// reads the store (the server uses tenantry-vault's AES-GCM sealer). It keeps the port's
/// other promise, that a value opens only under the context it was sealed under, so that
/// code tested over it would not come to rely on moving sealed values between rows.
pub struct PlainSealer;

/// Marks every value this sealer makes as plain text.
const PLAIN: &str = "plain-json-not-encrypted:";

#[derive(Serialize, Deserialize)]
struct Plain {
    context: String,
    credentials: BTreeMap<String, String>,
}

impl Sealer for PlainSealer {
    fn seal(
        &self,
        credentials: &Credentials,
        context: &[u8],
    ) -> Result<SealedCredentials, SealError> {
        let plain = Plain {
            context: hex(context),
            credentials: credentials.expose().clone(),
        };
        let json = serde_json::to_string(&plain).map_err(|error| SealError(error.to_string()))?;
        Ok(SealedCredentials(format!("{PLAIN}{json}")))
    }

    fn open(&self, sealed: &SealedCredentials, context: &[u8]) -> Result<Credentials, SealError> {
        let json = sealed
            .0
            .strip_prefix(PLAIN)
            .ok_or_else(|| SealError("not made by the example's plain sealer".into()))?;
        let plain: Plain =
            serde_json::from_str(json).map_err(|error| SealError(error.to_string()))?;
        if plain.context != hex(context) {
            return Err(SealError("sealed under another context".into()));
        }
        Ok(Credentials::from_trusted(plain.credentials))
    }
}

/// Sends no webhook: this example reaches no network, so it refuses every target up front
/// rather than accept webhooks whose deliveries could only fail.
pub struct NoWebhooks;

const NO_WEBHOOKS: &str = "the in-memory example sends no webhooks";

#[async_trait]
impl WebhookSender for NoWebhooks {
    async fn check_target(&self, _: &WebhookUrl) -> Result<(), ValidationError> {
        Err(ValidationError::new("url", NO_WEBHOOKS))
    }

    async fn post(
        &self,
        _: &WebhookUrl,
        _: Vec<(&'static str, String)>,
        _: Vec<u8>,
    ) -> Result<u16, String> {
        Err(NO_WEBHOOKS.into())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Answers every DNS question with an error: the example verifies no domain, and a stand-in
/// that made up records would verify anything.
pub struct NoDns;

#[async_trait]
impl tenantry_domain::domains::DnsResolver for NoDns {
    async fn txt_records(
        &self,
        _: &str,
    ) -> Result<Vec<String>, tenantry_domain::domains::DnsError> {
        Err(tenantry_domain::domains::DnsError(
            "the example has no DNS resolver".into(),
        ))
    }
}
