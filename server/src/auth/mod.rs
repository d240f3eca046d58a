//! Authentication and authorisation: accounts, sessions, API tokens, login rate limiting, and
//! the policy that decides every action (`policy`).
//!
//! Tokens are 32 random bytes, shown once and stored only as SHA-256 hashes (they carry enough
//! entropy that a fast hash is safe); passwords are argon2id hashes. Nothing here records client
//! addresses: login attempts are limited per account.

pub mod accounts;
pub mod limiter;
pub mod policy;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

pub use policy::{Action, Field, Principal, Scope};

/// The password checks one HTTP request may still ask for: one. A request carrying many aliased
/// or batched sign-ins is refused after the first, so one request cannot buy many slow checks.
#[derive(Clone, Debug, Default)]
pub struct PasswordBudget(Arc<AtomicBool>);

impl PasswordBudget {
    /// Takes the request's one check; false when it was taken.
    pub fn take(&self) -> bool {
        !self.0.swap(true, Ordering::SeqCst)
    }
}

/// Prefix of session tokens.
pub const SESSION_PREFIX: &str = "chs_";
/// Prefix of API tokens.
pub const API_TOKEN_PREFIX: &str = "cht_";

/// A new opaque token with a recognisable prefix.
pub fn new_token(prefix: &str) -> AppResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::internal(format!("random source: {e}")))?;
    Ok(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hashed() {
        let a = new_token(SESSION_PREFIX).unwrap();
        let b = new_token(SESSION_PREFIX).unwrap();
        assert!(a.starts_with("chs_") && a.len() > 40);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
        assert_eq!(token_hash(&a).len(), 64);
    }
}
