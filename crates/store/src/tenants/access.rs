//! Memberships, the business a session works in, and the one-time links (invitations and
//! password resets), each used at most once by a conditional update.

use super::users::{MEMBER_COLUMNS, insert_user, user};
use crate::errors::{backend, classify, not_found_or_backend};
use crate::rows::{now_millis, parsed, time};
use crate::{Engine, SqlStore};
use async_trait::async_trait;
use leadline_core::access::{AccessStore, Invitation, MemberChange, Membership, NewInvitation, check_member_change};
use leadline_core::names::{Name, Slug};
use leadline_core::net::Email;
use leadline_core::secret::Secret;
use leadline_core::store::{StoreError, StoreResult};
use leadline_core::tenant::{Business, Destination, NewUser, Role, User};
use leadline_core::{BusinessId, UserId};
use sqlx::AnyConnection;

/// Claims an unused, unexpired one-time link of `table`: `NotFound` when there is none.
async fn claim(conn: &mut AnyConnection, table: &str, token_hash: &str, now_ms: i64) -> StoreResult<()> {
    let done = sqlx::query(&format!(
        "UPDATE {table} SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2"
    ))
    .bind(token_hash)
    .bind(now_ms)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

#[async_trait]
impl AccessStore for SqlStore {
    async fn memberships(&self, user_id: UserId) -> StoreResult<Vec<Membership>> {
        let rows = sqlx::query(
            "SELECT b.id, b.slug, b.name, b.created_at, m.role FROM memberships m
             JOIN businesses b ON b.id = m.business_id
             WHERE m.user_id = $1 ORDER BY m.created_at, b.id",
        )
        .bind(user_id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|row| {
                Ok(Membership {
                    business: Business {
                        id: BusinessId(crate::rows::col(row, "id")?),
                        slug: parsed(row, "slug", Slug::parse)?,
                        name: parsed(row, "name", |s| Name::parse_as("business name", s))?,
                        created_at: time(row, "created_at")?,
                    },
                    role: parsed(row, "role", Role::parse)?,
                })
            })
            .collect()
    }

    async fn add_membership(&self, user_id: UserId, business: BusinessId, role: Role) -> StoreResult<()> {
        sqlx::query("INSERT INTO memberships (user_id, business_id, role, created_at) VALUES ($1, $2, $3, $4)")
            .bind(user_id.0)
            .bind(business.0)
            .bind(role.as_str())
            .bind(now_millis())
            .execute(&self.pool)
            .await
            .map_err(|e| classify(e, || "that user is a member of this business already".to_owned()))?;
        Ok(())
    }

    async fn member(&self, business: BusinessId, user_id: UserId) -> StoreResult<User> {
        let row = sqlx::query(&format!(
            "SELECT {MEMBER_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.business_id = $1 AND m.user_id = $2"
        ))
        .bind(business.0)
        .bind(user_id.0)
        .fetch_one(&self.pool)
        .await
        .map_err(not_found_or_backend)?;
        user(&row)
    }

    async fn change_member(
        &self,
        business: BusinessId,
        user_id: UserId,
        change: MemberChange,
    ) -> StoreResult<Vec<Destination>> {
        // A removed member's destinations are disabled: whom calls ring changes.
        self.tenant_write(async {
            let mut tx = self.pool.begin().await.map_err(backend)?;
            // Two owners demoting each other at once must not both pass the count below: the
            // business is locked first. On SQLite the first statement must also write: a
            // transaction that reads first fails at once, without waiting, when another writer
            // (the report rebuild, a call) commits before its first write.
            let lock = match self.engine_kind() {
                Engine::Postgres => "SELECT id FROM businesses WHERE id = $1 FOR UPDATE",
                Engine::Sqlite => "UPDATE memberships SET role = role WHERE business_id = $1",
            };
            sqlx::query(lock)
                .bind(business.0)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            let current: String =
                sqlx::query_scalar("SELECT role FROM memberships WHERE business_id = $1 AND user_id = $2")
                    .bind(business.0)
                    .bind(user_id.0)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(not_found_or_backend)?;
            let current = Role::parse(&current).map_err(crate::errors::corrupt)?;
            let owners: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE business_id = $1 AND role = 'owner'")
                    .bind(business.0)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(backend)?;
            check_member_change(usize::try_from(owners).unwrap_or(0), current, change)?;
            let mut disabled = Vec::new();
            match change {
                MemberChange::Role(role) => {
                    sqlx::query("UPDATE memberships SET role = $3 WHERE business_id = $1 AND user_id = $2")
                        .bind(business.0)
                        .bind(user_id.0)
                        .bind(role.as_str())
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                }
                MemberChange::Remove => {
                    for sql in [
                        "DELETE FROM memberships WHERE business_id = $1 AND user_id = $2",
                        "DELETE FROM sessions WHERE business_id = $1 AND user_id = $2",
                    ] {
                        sqlx::query(sql)
                            .bind(business.0)
                            .bind(user_id.0)
                            .execute(&mut *tx)
                            .await
                            .map_err(backend)?;
                    }
                    // Their phone stops ringing with the membership: its destinations are disabled
                    // (an owner may enable one again, e.g. for whoever takes the phone over).
                    let rows = sqlx::query(&format!(
                        "UPDATE destinations SET disabled_at = $3
                     WHERE business_id = $1 AND user_id = $2 AND disabled_at IS NULL AND removed_at IS NULL
                     RETURNING {}",
                        super::destinations::COLUMNS
                    ))
                    .bind(business.0)
                    .bind(user_id.0)
                    .bind(now_millis())
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(backend)?;
                    disabled = rows
                        .iter()
                        .map(super::destinations::destination)
                        .collect::<StoreResult<Vec<_>>>()?;
                    disabled.sort_by_key(|d| d.id.0);
                }
            }
            tx.commit().await.map_err(backend)?;
            Ok(disabled)
        })
        .await
    }

    async fn rename_user(&self, user_id: UserId, name: &Name) -> StoreResult<()> {
        let done = sqlx::query("UPDATE users SET name = $2 WHERE id = $1")
            .bind(user_id.0)
            .bind(name.as_str())
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn switch_session(&self, token_hash: &str, business: BusinessId) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE sessions SET business_id = $2 WHERE token_hash = $1
             AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = sessions.user_id AND m.business_id = $2)",
        )
        .bind(token_hash)
        .bind(business.0)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn create_invitation(&self, new: &NewInvitation) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO invitations (token_hash, business_id, email, name, role, invited_by, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new.token_hash.as_str())
        .bind(new.business_id.0)
        .bind(new.email.as_str())
        .bind(new.name.as_str())
        .bind(new.role.as_str())
        .bind(new.invited_by.as_str())
        .bind(now_millis())
        .bind(new.expires_at_ms)
        .execute(&self.pool)
        .await
        .map_err(|e| classify(e, || "that invitation exists already".to_owned()))?;
        Ok(())
    }

    async fn invitation(&self, token_hash: &str, now_ms: i64) -> StoreResult<Invitation> {
        let row = sqlx::query(
            "SELECT business_id, email, name, role, expires_at FROM invitations
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now_ms)
        .fetch_one(&self.pool)
        .await
        .map_err(not_found_or_backend)?;
        Ok(Invitation {
            business_id: BusinessId(crate::rows::col(&row, "business_id")?),
            email: parsed(&row, "email", Email::parse)?,
            name: parsed(&row, "name", |s| Name::parse_as("user name", s))?,
            role: parsed(&row, "role", Role::parse)?,
            expires_at: time(&row, "expires_at")?,
        })
    }

    async fn accept_invitation(
        &self,
        token_hash: &str,
        now_ms: i64,
        name: &Name,
        password_hash: &Secret,
    ) -> StoreResult<User> {
        let invitation = self.invitation(token_hash, now_ms).await?;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        claim(&mut tx, "invitations", token_hash, now_ms).await?;
        let new = NewUser {
            business_id: invitation.business_id,
            email: invitation.email,
            name: name.clone(),
            role: invitation.role,
            password_hash: password_hash.clone(),
        };
        let created = insert_user(&mut tx, &new).await?;
        tx.commit().await.map_err(backend)?;
        Ok(created)
    }

    async fn create_password_reset(&self, user_id: UserId, token_hash: &str, expires_at_ms: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id.0)
        .bind(now_millis())
        .bind(expires_at_ms)
        .execute(&self.pool)
        .await
        .map_err(|e| classify(e, || "that reset link exists already".to_owned()))?;
        Ok(())
    }

    async fn reset_password(&self, token_hash: &str, now_ms: i64, password_hash: &Secret) -> StoreResult<UserId> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        claim(&mut tx, "password_resets", token_hash, now_ms).await?;
        let user_id: i64 = sqlx::query_scalar("SELECT user_id FROM password_resets WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(user_id)
            .bind(password_hash.expose())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(UserId(user_id))
    }
}
