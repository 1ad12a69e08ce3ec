//! Secrets at rest, as the store keeps them: every value of a secret column is sealed on its
//! way in and opened on its way out (`leadline_core::sealing`), with the sealer the store was
//! opened with. [`SqlStore::reseal_secrets`] seals what is still clear (rows from before
//! sealing) and re-seals what a previous install secret sealed, in small batches.

use crate::SqlStore;
use crate::errors::backend;
use leadline_core::sealing::{Column, Sealer};
use leadline_core::store::{StoreError, StoreResult};

/// Each secret column: its table, the key column, the secret column, and how it is labelled.
const SECRET_COLUMNS: [(&str, &str, &str, Column); 5] = [
    ("tracking_numbers", "id", "auth_token", Column::NumberAuthToken),
    (
        "provider_accounts",
        "business_id",
        "auth_token",
        Column::ProviderAuthToken,
    ),
    ("integrations", "id", "config", Column::IntegrationConfig),
    ("businesses", "id", "attachment_storage", Column::AttachmentStorage),
    ("transcription_services", "business_id", "api_key", Column::SpeechApiKey),
];

/// Rows re-sealed per statement batch: each row is its own short write.
const BATCH: i64 = 100;

/// Why a secret could not be kept or read: said so an operator can act.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct SealingError(String);

fn sealing_error(reason: impl Into<String>) -> StoreError {
    StoreError::Backend(Box::new(SealingError(reason.into())))
}

impl SqlStore {
    fn sealer(&self) -> StoreResult<&Sealer> {
        self.sealer.as_deref().ok_or_else(|| {
            sealing_error("this store was opened without the install secret, so it cannot keep or read secrets")
        })
    }

    /// The id of the key this store seals with (`None`: opened without one).
    pub fn sealing_key_id(&self) -> Option<&str> {
        self.sealer.as_deref().map(Sealer::key_id)
    }

    /// `plain` sealed for `column`, as it is stored.
    pub(crate) fn seal(&self, column: Column, plain: &str) -> StoreResult<String> {
        Ok(self.sealer()?.seal(column, plain))
    }

    /// A stored value of `column`, opened.
    pub(crate) fn unseal(&self, column: Column, stored: &str) -> StoreResult<String> {
        self.sealer()?
            .open(column, stored)
            .map_err(|e| sealing_error(e.to_string()))
    }

    /// Seals every secret still stored in clear and re-seals every one sealed under a previous
    /// install secret (the sealer's `previous`), a row at a time in batches, so no lock is
    /// held long. Answers how many values were sealed. Run at start-up, and by `leadline
    /// secrets rotate`.
    pub async fn reseal_secrets(&self) -> StoreResult<u64> {
        let sealer = self.sealer()?;
        let current = format!("{}%", sealer.current_prefix());
        let mut sealed = 0;
        for (table, key, column, label) in SECRET_COLUMNS {
            loop {
                let rows: Vec<(i64, String)> = sqlx::query_as(&format!(
                    "SELECT {key}, {column} FROM {table}
                     WHERE {column} IS NOT NULL AND {column} NOT LIKE $1 ORDER BY {key} LIMIT $2"
                ))
                .bind(&current)
                .bind(BATCH)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
                if rows.is_empty() {
                    break;
                }
                for (id, stored) in rows {
                    let plain = self.unseal(label, &stored)?;
                    // Only the value read is replaced: a change made meanwhile stays.
                    sqlx::query(&format!(
                        "UPDATE {table} SET {column} = $1 WHERE {key} = $2 AND {column} = $3"
                    ))
                    .bind(sealer.seal(label, &plain))
                    .bind(id)
                    .bind(&stored)
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                    sealed += 1;
                }
            }
        }
        if sealed > 0 && self.engine == crate::Engine::Sqlite {
            self.drop_old_pages().await;
        }
        Ok(sealed)
    }

    /// Rewrites the SQLite file so that the pages that held the secrets in clear are gone
    /// from it and from its log (the sealed rows replaced them, but the old bytes stay in free
    /// pages until reused). Once per install, when secrets are first sealed; when the file is
    /// busy a warning says so, and a `VACUUM` run later does the same.
    async fn drop_old_pages(&self) {
        for statement in ["VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"] {
            if let Err(e) = sqlx::raw_sql(statement).execute(&self.pool).await {
                tracing::warn!(error = %e, statement, "the pages of secrets once kept in clear are still in the file");
                return;
            }
        }
    }
}
