//! Master ads with their rules and master phrases with their variants (ad aggregation).
//! Rules and variants are rows of their own; every statement is scoped by business.

use crate::SqlStore;
use crate::errors::{backend, classify, corrupt};
use crate::rows::now_millis;
use async_trait::async_trait;
use leadline_core::BusinessId;
use leadline_core::adgroup::AdGroupStore;
use leadline_core::adgroup::{AdGrouping, AdRule, MasterAd, MasterPhrase, NewMasterAd, NewMasterPhrase, Pattern};
use leadline_core::names::Name;
use leadline_core::routing::Move;
use leadline_core::store::{StoreError, StoreResult};
use sqlx::{AnyConnection, AnyPool};

fn stored_name(text: &str) -> StoreResult<Name> {
    Name::parse_as("stored name", text).map_err(corrupt)
}

fn stored_pattern(text: Option<String>) -> StoreResult<Option<Pattern>> {
    text.map(|t| Pattern::parse_as("stored pattern", &t).map_err(corrupt))
        .transpose()
}

fn ad_name_taken(name: &Name) -> impl FnOnce() -> String + '_ {
    move || format!("a master ad named '{name}' already exists")
}

fn phrase_name_taken(name: &Name) -> impl FnOnce() -> String + '_ {
    move || format!("a master phrase named '{name}' already exists")
}

/// Writes the rules of a master ad, in order.
async fn insert_rules(conn: &mut AnyConnection, ad: i64, rules: &[AdRule]) -> StoreResult<()> {
    for (position, rule) in (1_i64..).zip(rules) {
        let text = |p: &Option<Pattern>| p.as_ref().map(|p| p.as_str().to_owned());
        sqlx::query(
            "INSERT INTO master_ad_rules (master_ad_id, position, source, campaign, content)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(ad)
        .bind(position)
        .bind(text(&rule.source))
        .bind(text(&rule.campaign))
        .bind(text(&rule.content))
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    }
    Ok(())
}

/// The variant a failed insert tripped over: written to another phrase of the business
/// (`Some` of that phrase's name), or no clash at all.
enum VariantClash {
    Taken(String),
    Failed(StoreError),
}

/// Writes a phrase's variants; stops at the first that is another phrase's.
async fn insert_variants(
    conn: &mut AnyConnection,
    business: BusinessId,
    phrase: i64,
    variants: &[String],
) -> Result<(), VariantClash> {
    for variant in variants {
        let inserted = sqlx::query(
            "INSERT INTO master_phrase_variants (master_phrase_id, business_id, variant) VALUES ($1, $2, $3)",
        )
        .bind(phrase)
        .bind(business.0)
        .bind(variant.as_str())
        .execute(&mut *conn)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if e.as_database_error().is_some_and(|db| db.is_unique_violation()) => {
                return Err(VariantClash::Taken(variant.clone()));
            }
            Err(e) => return Err(VariantClash::Failed(backend(e))),
        }
    }
    Ok(())
}

impl SqlStore {
    /// Says which phrase already holds `variant` (read after the failed transaction ended).
    async fn variant_conflict(&self, business: BusinessId, variant: &str) -> StoreError {
        let owner: Option<String> = sqlx::query_scalar(
            "SELECT p.name FROM master_phrase_variants v JOIN master_phrases p ON p.id = v.master_phrase_id
             WHERE v.business_id = $1 AND v.variant = $2",
        )
        .bind(business.0)
        .bind(variant)
        .fetch_optional(&self.pool)
        .await
        .unwrap_or_default();
        match owner {
            Some(name) => StoreError::Conflict(format!("'{variant}' is already a variant of '{name}'")),
            None => StoreError::Conflict(format!("'{variant}' is already a variant of another phrase")),
        }
    }

    /// Writes the variants, or answers the conflict once the transaction is rolled back.
    async fn write_variants(
        &self,
        mut tx: sqlx::Transaction<'_, sqlx::Any>,
        business: BusinessId,
        phrase: i64,
        variants: &[String],
    ) -> StoreResult<()> {
        match insert_variants(&mut tx, business, phrase, variants).await {
            Ok(()) => tx.commit().await.map_err(backend),
            Err(VariantClash::Failed(e)) => Err(e),
            Err(VariantClash::Taken(variant)) => {
                tx.rollback().await.map_err(backend)?;
                Err(self.variant_conflict(business, &variant).await)
            }
        }
    }
}

#[async_trait]
impl AdGroupStore for SqlStore {
    async fn ad_grouping(&self, business: BusinessId) -> StoreResult<AdGrouping> {
        let ads: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, name FROM master_ads WHERE business_id = $1 ORDER BY position, id")
                .bind(business.0)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        type RuleRow = (i64, Option<String>, Option<String>, Option<String>);
        let rules: Vec<RuleRow> = sqlx::query_as(
            "SELECT r.master_ad_id, r.source, r.campaign, r.content FROM master_ad_rules r
             JOIN master_ads a ON a.id = r.master_ad_id WHERE a.business_id = $1
             ORDER BY r.master_ad_id, r.position, r.id",
        )
        .bind(business.0)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        let mut grouping = AdGrouping::default();
        for (id, name) in ads {
            let mut ad = MasterAd {
                id,
                name: stored_name(&name)?,
                rules: Vec::new(),
            };
            for (_, source, campaign, content) in rules.iter().filter(|r| r.0 == id) {
                ad.rules.push(AdRule {
                    source: stored_pattern(source.clone())?,
                    campaign: stored_pattern(campaign.clone())?,
                    content: stored_pattern(content.clone())?,
                });
            }
            grouping.ads.push(ad);
        }
        let phrases: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM master_phrases WHERE business_id = $1")
            .bind(business.0)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let variants: Vec<(i64, String)> =
            sqlx::query_as("SELECT master_phrase_id, variant FROM master_phrase_variants WHERE business_id = $1")
                .bind(business.0)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        for (id, name) in phrases {
            let mut own: Vec<String> = variants.iter().filter(|v| v.0 == id).map(|v| v.1.clone()).collect();
            own.sort();
            grouping.phrases.push(MasterPhrase {
                id,
                name: stored_name(&name)?,
                variants: own,
            });
        }
        // Sorted here, not in SQL: the engines' collations differ.
        grouping.phrases.sort_by(|a, b| {
            let key = |p: &MasterPhrase| (p.name.as_str().to_lowercase(), p.name.as_str().to_owned(), p.id);
            key(a).cmp(&key(b))
        });
        Ok(grouping)
    }

    async fn create_master_ad(&self, business: BusinessId, new: &NewMasterAd) -> StoreResult<MasterAd> {
        new.validate()?;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO master_ads (business_id, name, position, created_at)
             SELECT $1, $2, (SELECT COALESCE(MAX(position), 0) + 1 FROM master_ads WHERE business_id = $1), $3
             RETURNING id",
        )
        .bind(business.0)
        .bind(new.name.as_str())
        .bind(now_millis())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| classify(e, ad_name_taken(&new.name)))?;
        insert_rules(&mut tx, id, &new.rules).await?;
        tx.commit().await.map_err(backend)?;
        Ok(MasterAd {
            id,
            name: new.name.clone(),
            rules: new.rules.clone(),
        })
    }

    async fn edit_master_ad(&self, business: BusinessId, id: i64, edit: &NewMasterAd) -> StoreResult<MasterAd> {
        edit.validate()?;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let changed = sqlx::query("UPDATE master_ads SET name = $1 WHERE id = $2 AND business_id = $3")
            .bind(edit.name.as_str())
            .bind(id)
            .bind(business.0)
            .execute(&mut *tx)
            .await
            .map_err(|e| classify(e, ad_name_taken(&edit.name)))?;
        if changed.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM master_ad_rules WHERE master_ad_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        insert_rules(&mut tx, id, &edit.rules).await?;
        tx.commit().await.map_err(backend)?;
        Ok(MasterAd {
            id,
            name: edit.name.clone(),
            rules: edit.rules.clone(),
        })
    }

    async fn remove_master_ad(&self, business: BusinessId, id: i64) -> StoreResult<()> {
        remove_owned(
            &self.pool,
            business,
            id,
            "master_ads",
            "master_ad_rules",
            "master_ad_id",
        )
        .await
    }

    async fn move_master_ad(&self, business: BusinessId, id: i64, direction: Move) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // The first statement writes, so that SQLite takes its lock before reading the order.
        let position: i64 = sqlx::query_scalar(
            "UPDATE master_ads SET position = position WHERE id = $1 AND business_id = $2 RETURNING position",
        )
        .bind(id)
        .bind(business.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or(StoreError::NotFound)?;
        let neighbour = match direction {
            Move::Earlier => {
                "SELECT id, position FROM master_ads WHERE business_id = $1 AND position < $2
                 ORDER BY position DESC, id DESC LIMIT 1"
            }
            Move::Later => {
                "SELECT id, position FROM master_ads WHERE business_id = $1 AND position > $2
                 ORDER BY position, id LIMIT 1"
            }
        };
        let other: Option<(i64, i64)> = sqlx::query_as(neighbour)
            .bind(business.0)
            .bind(position)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
        if let Some((other_id, other_position)) = other {
            for (ad, at) in [(id, other_position), (other_id, position)] {
                sqlx::query("UPDATE master_ads SET position = $1 WHERE id = $2")
                    .bind(at)
                    .bind(ad)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
            }
        }
        tx.commit().await.map_err(backend)
    }

    async fn create_master_phrase(&self, business: BusinessId, new: &NewMasterPhrase) -> StoreResult<MasterPhrase> {
        let variants = new.variants()?;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO master_phrases (business_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(business.0)
        .bind(new.name.as_str())
        .bind(now_millis())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| classify(e, phrase_name_taken(&new.name)))?;
        self.write_variants(tx, business, id, &variants).await?;
        Ok(MasterPhrase {
            id,
            name: new.name.clone(),
            variants,
        })
    }

    async fn edit_master_phrase(
        &self,
        business: BusinessId,
        id: i64,
        edit: &NewMasterPhrase,
    ) -> StoreResult<MasterPhrase> {
        let variants = edit.variants()?;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let changed = sqlx::query("UPDATE master_phrases SET name = $1 WHERE id = $2 AND business_id = $3")
            .bind(edit.name.as_str())
            .bind(id)
            .bind(business.0)
            .execute(&mut *tx)
            .await
            .map_err(|e| classify(e, phrase_name_taken(&edit.name)))?;
        if changed.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM master_phrase_variants WHERE master_phrase_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        self.write_variants(tx, business, id, &variants).await?;
        Ok(MasterPhrase {
            id,
            name: edit.name.clone(),
            variants,
        })
    }

    async fn remove_master_phrase(&self, business: BusinessId, id: i64) -> StoreResult<()> {
        remove_owned(
            &self.pool,
            business,
            id,
            "master_phrases",
            "master_phrase_variants",
            "master_phrase_id",
        )
        .await
    }
}

/// Deletes the business's row `id` of `table` and the rows of `children` whose `key` points to
/// it, in one transaction; `NotFound` when the business has no such row. The names are this
/// module's constants, never input.
async fn remove_owned(
    pool: &AnyPool,
    business: BusinessId,
    id: i64,
    table: &'static str,
    children: &'static str,
    key: &'static str,
) -> StoreResult<()> {
    let mut tx = pool.begin().await.map_err(backend)?;
    let removed = sqlx::query(&format!("DELETE FROM {table} WHERE id = $1 AND business_id = $2"))
        .bind(id)
        .bind(business.0)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    if removed.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    sqlx::query(&format!("DELETE FROM {children} WHERE {key} = $1"))
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    tx.commit().await.map_err(backend)
}
