use crate::SqlStore;
use crate::errors::{backend, classify, not_found_or_backend};
use crate::rows::{col, now_millis, parsed, time};
use async_trait::async_trait;
use leadline_core::access::SessionOf;
use leadline_core::names::Name;
use leadline_core::net::Email;
use leadline_core::secret::Secret;
use leadline_core::store::{StoreResult, UserStore};
use leadline_core::tenant::{NewUser, Role, User, UserCredentials};
use leadline_core::{BusinessId, UserId};
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, business_id, email, name, role, created_at";
/// A user as a member of the business joined as `m`: that business and the role there.
pub(super) const MEMBER_COLUMNS: &str = "u.id, m.business_id, u.email, u.name, m.role, u.created_at";

pub(super) fn user(row: &AnyRow) -> StoreResult<User> {
    Ok(User {
        id: UserId(col(row, "id")?),
        business_id: BusinessId(col(row, "business_id")?),
        email: parsed(row, "email", Email::parse)?,
        name: parsed(row, "name", |s| Name::parse_as("user name", s))?,
        role: parsed(row, "role", Role::parse)?,
        created_at: time(row, "created_at")?,
    })
}

/// Inserts a user and their membership of the business they are created in.
pub(super) async fn insert_user(conn: &mut sqlx::AnyConnection, new: &NewUser) -> StoreResult<User> {
    let now = now_millis();
    let row = sqlx::query(&format!(
        "INSERT INTO users (business_id, email, name, role, password_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
    ))
    .bind(new.business_id.0)
    .bind(new.email.as_str())
    .bind(new.name.as_str())
    .bind(new.role.as_str())
    .bind(new.password_hash.expose())
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| classify(e, || format!("a user with e-mail {} already exists", new.email)))?;
    let created = user(&row)?;
    sqlx::query("INSERT INTO memberships (user_id, business_id, role, created_at) VALUES ($1, $2, $3, $4)")
        .bind(created.id.0)
        .bind(new.business_id.0)
        .bind(new.role.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(created)
}

#[async_trait]
impl UserStore for SqlStore {
    async fn create_user(&self, new: &NewUser) -> StoreResult<User> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let created = insert_user(&mut tx, new).await?;
        tx.commit().await.map_err(backend)?;
        Ok(created)
    }

    async fn user_credentials(&self, email: &Email) -> StoreResult<UserCredentials> {
        let row = sqlx::query(&format!("SELECT {COLUMNS}, password_hash FROM users WHERE email = $1"))
            .bind(email.as_str())
            .fetch_one(&self.pool)
            .await
            .map_err(not_found_or_backend)?;
        Ok(UserCredentials {
            user: user(&row)?,
            password_hash: Secret::new(col::<String>(&row, "password_hash")?),
        })
    }

    async fn list_users(&self, business: BusinessId) -> StoreResult<Vec<User>> {
        sqlx::query(&format!(
            "SELECT {MEMBER_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.business_id = $1 ORDER BY u.id"
        ))
        .bind(business.0)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(user)
        .collect()
    }

    async fn create_session(
        &self,
        user_id: UserId,
        business: BusinessId,
        token_hash: &str,
        expires_at_ms: i64,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, business_id, expires_at)
             SELECT $1, m.user_id, m.business_id, $4 FROM memberships m
             WHERE m.user_id = $2 AND m.business_id = $3",
        )
        .bind(token_hash)
        .bind(user_id.0)
        .bind(business.0)
        .bind(expires_at_ms)
        .execute(&self.pool)
        .await
        .map_err(|e| classify(e, || "that session exists already".to_owned()))?;
        if done.rows_affected() == 0 {
            return Err(leadline_core::store::StoreError::NotFound);
        }
        Ok(())
    }

    async fn session(&self, token_hash: &str, now_ms: i64) -> StoreResult<SessionOf> {
        let row = sqlx::query(&format!(
            "SELECT {MEMBER_COLUMNS}, u.business_id AS home_business, u.role AS home_role
             FROM sessions s JOIN users u ON u.id = s.user_id
             JOIN memberships m ON m.user_id = s.user_id AND m.business_id = s.business_id
             WHERE s.token_hash = $1 AND s.expires_at > $2"
        ))
        .bind(token_hash)
        .bind(now_ms)
        .fetch_one(&self.pool)
        .await
        .map_err(not_found_or_backend)?;
        let member = user(&row)?;
        let (business, role) = (member.business_id, member.role);
        Ok(SessionOf {
            user: User {
                business_id: BusinessId(col(&row, "home_business")?),
                role: parsed(&row, "home_role", Role::parse)?,
                ..member
            },
            business,
            role,
        })
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
