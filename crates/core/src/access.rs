//! People and access: a user's memberships (one per business, each with its role), the
//! one-time links that invite someone or reset a password, and the rule that a business
//! always keeps an owner.

use crate::names::Name;
use crate::net::Email;
use crate::secret::Secret;
use crate::store::StoreResult;
use crate::tenant::{Business, Role, User};
use crate::{BusinessId, Invalid, UserId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// How long an invitation link may be used.
pub const INVITATION_TTL: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// How long a password-reset link may be used.
pub const RESET_TTL: Duration = Duration::from_secs(60 * 60);
/// The length of a one-time link's random token.
pub const LINK_TOKEN_CHARS: usize = 43;

/// A business a user belongs to, and what they may do there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub business: Business,
    pub role: Role,
}

/// A live login session: who, in which business (chosen at login, switchable), with the
/// role of that membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOf {
    pub user: User,
    pub business: BusinessId,
    pub role: Role,
}

/// Input for an invitation to a business; only the token's SHA-256 is stored.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub business_id: BusinessId,
    pub email: Email,
    pub name: Name,
    pub role: Role,
    /// Who invited (an `Author`'s stored form).
    pub invited_by: String,
    pub token_hash: String,
    pub expires_at_ms: i64,
}

/// An invitation that may still be accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub business_id: BusinessId,
    pub email: Email,
    pub name: Name,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
}

/// A change to one member of a business: a new role, or removal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberChange {
    Role(Role),
    Remove,
}

/// Whether `change` to a member whose role is `current` may be made when the business has
/// `owners` owners: the last owner can be neither demoted nor removed (nobody could manage
/// the business afterwards).
pub fn check_member_change(owners: usize, current: Role, change: MemberChange) -> Result<(), Invalid> {
    let loses_owner = current == Role::Owner && change != MemberChange::Role(Role::Owner);
    if loses_owner && owners <= 1 {
        let what = match change {
            MemberChange::Remove => "removed",
            MemberChange::Role(_) => "made an operator",
        };
        return Err(Invalid::new(
            "member",
            format!("the business's last owner cannot be {what}: make someone else an owner first"),
        ));
    }
    Ok(())
}

/// Memberships, sessions' businesses and the one-time links (the ports of `app::people`).
#[async_trait]
pub trait AccessStore {
    /// The businesses `user` belongs to, in the order joined (the first is where a login
    /// starts).
    async fn memberships(&self, user: UserId) -> StoreResult<Vec<Membership>>;
    /// Makes `user` a member of `business`; `Conflict` when already one, `NotFound` for an
    /// unknown user or business.
    async fn add_membership(&self, user: UserId, business: BusinessId, role: Role) -> StoreResult<()>;
    /// A member of `business` with their role there; `NotFound` for anyone else.
    async fn member(&self, business: BusinessId, user: UserId) -> StoreResult<User>;
    /// Gives a member another role, or removes them (ending their sessions in `business` at
    /// once, and disabling the business's destinations that are theirs, so their phone is no
    /// longer rung), in one transaction that refuses (`Invalid`, nothing changed) to leave the
    /// business without an owner (`check_member_change`). Answers the destinations it disabled
    /// (none for a role change). `NotFound` for a non-member.
    async fn change_member(
        &self,
        business: BusinessId,
        user: UserId,
        change: MemberChange,
    ) -> StoreResult<Vec<crate::tenant::Destination>>;
    /// Renames a user (everywhere: the name is the person's).
    async fn rename_user(&self, user: UserId, name: &Name) -> StoreResult<()>;
    /// Moves a session to another business of its user; `NotFound` unless a membership
    /// exists (or the session is unknown).
    async fn switch_session(&self, token_hash: &str, business: BusinessId) -> StoreResult<()>;
    /// Records an invitation; `NotFound` for an unknown business.
    async fn create_invitation(&self, new: &NewInvitation) -> StoreResult<()>;
    /// The invitation of `token_hash` if unused and unexpired at `now_ms`; else `NotFound`.
    async fn invitation(&self, token_hash: &str, now_ms: i64) -> StoreResult<Invitation>;
    /// Uses an invitation once: creates its user (with `name` and the password hash) and
    /// the membership, in one transaction. `NotFound` when used, expired or unknown;
    /// `Conflict` when the e-mail became a user meanwhile (the invitation stays unused).
    async fn accept_invitation(
        &self,
        token_hash: &str,
        now_ms: i64,
        name: &Name,
        password_hash: &Secret,
    ) -> StoreResult<User>;
    /// Records a password-reset link for `user`.
    async fn create_password_reset(&self, user: UserId, token_hash: &str, expires_at_ms: i64) -> StoreResult<()>;
    /// Uses a reset link once: sets the password and ends every session of its user, in one
    /// transaction. `NotFound` when used, expired or unknown.
    async fn reset_password(&self, token_hash: &str, now_ms: i64, password_hash: &Secret) -> StoreResult<UserId>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_owner_can_be_neither_removed_nor_demoted() {
        assert!(check_member_change(1, Role::Owner, MemberChange::Remove).is_err());
        assert!(check_member_change(1, Role::Owner, MemberChange::Role(Role::Operator)).is_err());
        assert!(check_member_change(0, Role::Owner, MemberChange::Remove).is_err());
    }

    #[test]
    fn an_owner_among_several_and_any_operator_may_change() {
        assert!(check_member_change(2, Role::Owner, MemberChange::Remove).is_ok());
        assert!(check_member_change(2, Role::Owner, MemberChange::Role(Role::Operator)).is_ok());
        assert!(check_member_change(1, Role::Operator, MemberChange::Remove).is_ok());
        assert!(check_member_change(1, Role::Operator, MemberChange::Role(Role::Owner)).is_ok());
        assert!(check_member_change(1, Role::Owner, MemberChange::Role(Role::Owner)).is_ok());
    }
}
