//! The accounts as storage keeps them.

use async_trait::async_trait;

use super::{StoreError, UserRow};
use crate::domain::{Email, UnixTime, UserId};

#[async_trait]
pub trait UserStore {
    /// `Ok(false)` when the e-mail is taken.
    async fn insert_user(&self, user: &UserRow) -> Result<bool, StoreError>;
    async fn user_by_email(&self, email: &Email) -> Result<Option<UserRow>, StoreError>;
    async fn user_by_id(&self, id: &UserId) -> Result<Option<UserRow>, StoreError>;
    /// Kills every session of the user: families revoked, earlier tokens dead. `Ok(false)` if no such user.
    async fn revoke_user_sessions(&self, id: &UserId, now: UnixTime) -> Result<bool, StoreError>;
    /// Disables the account and revokes its sessions. `Ok(false)` if no such user.
    async fn disable_user(&self, id: &UserId, now: UnixTime) -> Result<bool, StoreError>;
}
