//! A business's rules on what was said, kept in the order they were added.

use crate::SqlStore;
use crate::errors::{backend, corrupt};
use crate::rows::now_millis;
use async_trait::async_trait;
use leadline_core::BusinessId;
use leadline_core::lead::LeadStatus;
use leadline_core::speech_rules::{NewSpeechRule, SpeechRule, SpeechRuleStore, Who, parse_phrases};
use leadline_core::store::{StoreError, StoreResult};

type RuleRow = (i64, String, String, Option<String>, Option<String>, i64);

fn rule((id, phrases, speaker, tag, status, weight): RuleRow) -> StoreResult<SpeechRule> {
    Ok(SpeechRule {
        id,
        rule: NewSpeechRule {
            phrases: parse_phrases(&phrases).map_err(corrupt)?,
            who: Who::parse(&speaker).map_err(corrupt)?,
            tag,
            status: status.as_deref().map(LeadStatus::parse).transpose().map_err(corrupt)?,
            weight,
        },
    })
}

#[async_trait]
impl SpeechRuleStore for SqlStore {
    async fn speech_rules(&self, business: BusinessId) -> StoreResult<Vec<SpeechRule>> {
        let rows: Vec<RuleRow> = sqlx::query_as(
            "SELECT id, phrases, speaker, tag, status, weight FROM speech_rules WHERE business_id = $1 ORDER BY id",
        )
        .bind(business.0)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.into_iter().map(rule).collect()
    }

    async fn add_speech_rule(&self, business: BusinessId, new: &NewSpeechRule) -> StoreResult<SpeechRule> {
        let phrases: Vec<String> = new.phrases.iter().map(|p| p.as_text()).collect();
        let row: RuleRow = sqlx::query_as(
            "INSERT INTO speech_rules (business_id, phrases, speaker, tag, status, weight, created_at)
             SELECT id, $2, $3, $4, $5, $6, $7 FROM businesses WHERE id = $1
             RETURNING id, phrases, speaker, tag, status, weight",
        )
        .bind(business.0)
        .bind(phrases.join(", "))
        .bind(new.who.as_str())
        .bind(new.tag.clone())
        .bind(new.status.map(|s| s.as_str()))
        .bind(new.weight)
        .bind(now_millis())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .ok_or(StoreError::NotFound)?;
        rule(row)
    }

    async fn remove_speech_rule(&self, business: BusinessId, id: i64) -> StoreResult<()> {
        let removed = sqlx::query("DELETE FROM speech_rules WHERE id = $1 AND business_id = $2")
            .bind(id)
            .bind(business.0)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        if removed.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
