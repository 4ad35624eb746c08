//! The argon2id adapter of the password-hashing port, run on tokio's blocking pool so that a
//! sign-in never stalls the request threads.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash as Phc;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use async_trait::async_trait;
use tenantry_domain::user::{HashingFailed, Password, PasswordHash, PasswordHasher};

/// Argon2id with the crate's defaults (19 MiB, 2 passes, 1 lane: OWASP's recommendation).
#[derive(Clone, Copy, Debug, Default)]
pub struct Argon2Hasher;

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashingFailed> {
        let password = password.clone();
        tokio::task::spawn_blocking(move || {
            Argon2::default()
                .hash_password(password.expose().as_bytes())
                .map(|phc| PasswordHash::new(phc.to_string()))
                .map_err(|error| HashingFailed(error.to_string()))
        })
        .await
        .map_err(|error| HashingFailed(error.to_string()))?
    }

    async fn verify(&self, password: &Password, hash: &PasswordHash) -> bool {
        let password = password.clone();
        let hash = hash.clone();
        tokio::task::spawn_blocking(move || {
            Phc::new(hash.as_str()).is_ok_and(|parsed| {
                Argon2::default()
                    .verify_password(password.expose().as_bytes(), &parsed)
                    .is_ok()
            })
        })
        .await
        .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let password = Password::try_from("correct horse battery").unwrap();
        let hash = Argon2Hasher.hash(&password).await.unwrap();
        assert!(hash.as_str().starts_with("$argon2id$"));
        assert!(Argon2Hasher.verify(&password, &hash).await);
        let wrong = Password::try_from("correct horse battery!").unwrap();
        assert!(!Argon2Hasher.verify(&wrong, &hash).await);
        assert!(
            !Argon2Hasher
                .verify(&password, &PasswordHash::new("garbage".into()))
                .await
        );
    }
}
