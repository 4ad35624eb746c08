//! The argon2id adapter of the password-hashing port.
//!
//! Hashing is slow and needs 19 MiB on purpose. Done naively (a fresh buffer per hash on
//! tokio's blocking pool) every concurrent sign-in allocates and frees that much, and glibc
//! keeps what was freed: resident memory grew by about 17 MiB per sign-up under load. So hashes
//! run at most one per CPU at a time, each in a memory buffer that is kept and reused; memory
//! stays at CPUs x 19 MiB however many people sign in, and excess requests queue instead of
//! oversubscribing the cores.

use std::sync::{Arc, Mutex, PoisonError};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash as Phc, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use async_trait::async_trait;
use tenantry_domain::user::{HashingFailed, Password, PasswordHash, PasswordHasher};
use tokio::sync::Semaphore;

/// Argon2id v19 with OWASP's parameters (19 MiB, 2 passes, 1 lane), as PHC strings.
#[derive(Clone)]
pub struct Argon2Hasher {
    pool: Arc<Pool>,
}

struct Pool {
    permits: Semaphore,
    buffers: Mutex<Vec<Vec<Block>>>,
}

impl Argon2Hasher {
    /// At most `concurrency` hashes at once.
    pub fn new(concurrency: usize) -> Self {
        Self {
            pool: Arc::new(Pool {
                permits: Semaphore::new(concurrency.max(1)),
                buffers: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Runs `work` on the blocking pool with a memory buffer from the pool.
    async fn with_memory<R: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> R + Send + 'static,
    ) -> Result<R, HashingFailed> {
        let _permit = self
            .pool
            .permits
            .acquire()
            .await
            .map_err(|error| HashingFailed(error.to_string()))?;
        let mut memory = self
            .pool
            .buffers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .unwrap_or_default();
        let (result, memory) = tokio::task::spawn_blocking(move || (work(&mut memory), memory))
            .await
            .map_err(|error| HashingFailed(error.to_string()))?;
        self.pool
            .buffers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(memory);
        Ok(result)
    }
}

impl Default for Argon2Hasher {
    fn default() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, usize::from))
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashingFailed> {
        let password = password.clone();
        self.with_memory(move |memory| hash(password.expose().as_bytes(), memory))
            .await?
            .map(PasswordHash::new)
            .map_err(HashingFailed)
    }

    async fn verify(&self, password: &Password, hash: &PasswordHash) -> bool {
        let (password, hash) = (password.clone(), hash.clone());
        self.with_memory(move |memory| verify(password.expose().as_bytes(), hash.as_str(), memory))
            .await
            .unwrap_or(false)
    }
}

/// Grows `memory` to what `params` need; it is kept for the next hash.
fn blocks<'a>(memory: &'a mut Vec<Block>, params: &Params) -> &'a mut [Block] {
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), Block::default());
    }
    &mut memory[..params.block_count()]
}

fn hash(password: &[u8], memory: &mut Vec<Block>) -> Result<String, String> {
    let params = Params::DEFAULT;
    let salt = Salt::generate();
    let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(
            password,
            salt.as_ref(),
            &mut output,
            blocks(memory, &params),
        )
        .map_err(|error| error.to_string())?;
    let phc = Phc {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|error| error.to_string())?,
        salt: Some(salt),
        hash: Some(Output::new(&output).map_err(|error| error.to_string())?),
    };
    Ok(phc.to_string())
}

/// Recomputes the stored hash with the stored algorithm, version and parameters, and compares
/// in constant time. Anything unparsable is simply a mismatch.
fn verify(password: &[u8], stored: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(phc) = Phc::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(phc.algorithm.as_str()),
        Params::try_from(&phc),
    ) else {
        return false;
    };
    let version = phc
        .version
        .map_or(Ok(Version::default()), Version::try_from);
    let Ok(version) = version else {
        return false;
    };
    let mut output = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params.clone())
        .hash_password_into_with_memory(
            password,
            salt.as_ref(),
            &mut output,
            blocks(memory, &params),
        )
        .is_ok()
        && Output::new(&output).is_ok_and(|computed| computed == *expected)
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};

    use super::*;

    fn password(text: &str) -> Password {
        Password::try_from(text).unwrap()
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hasher = Argon2Hasher::new(2);
        let hash = hasher
            .hash(&password("correct horse battery"))
            .await
            .unwrap();
        assert!(hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            hasher
                .verify(&password("correct horse battery"), &hash)
                .await
        );
        assert!(
            !hasher
                .verify(&password("correct horse battery!"), &hash)
                .await
        );
        let garbage = PasswordHash::new("garbage".into());
        assert!(
            !hasher
                .verify(&password("correct horse battery"), &garbage)
                .await
        );
    }

    #[tokio::test]
    async fn hashes_are_standard_phc_both_ways() {
        let hasher = Argon2Hasher::new(1);
        let ours = hasher.hash(&password("interoperable")).await.unwrap();
        Argon2::default()
            .verify_password(b"interoperable", ours.as_str())
            .expect("the stock verifier accepts our hash");

        // A hash made elsewhere with other parameters (and a larger buffer than ours).
        let params = Params::new(32 * 1024, 3, 1, None).unwrap();
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"interoperable")
            .unwrap()
            .to_string();
        let theirs = PasswordHash::new(theirs);
        assert!(hasher.verify(&password("interoperable"), &theirs).await);
        assert!(!hasher.verify(&password("interoperable?"), &theirs).await);
    }

    #[tokio::test]
    async fn memory_buffers_are_reused_not_multiplied() {
        let hasher = Argon2Hasher::new(2);
        let secret = password("reuse the buffer");
        let hashes = futures::future::join_all((0..6).map(|_| hasher.hash(&secret))).await;
        assert!(hashes.iter().all(Result::is_ok));
        let buffers = hasher.pool.buffers.lock().unwrap();
        assert!(
            buffers.len() <= 2,
            "{} buffers for 2 permits",
            buffers.len()
        );
    }
}
