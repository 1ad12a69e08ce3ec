//! Spam: a business's block list (numbers a person blocked and its uploaded list), its spam
//! settings, and the calls' spam marks (which mark their days for the reports, since reports
//! leave spam out).

use crate::SqlStore;
use crate::errors::backend;
use crate::outbox::enqueue::enqueue;
use crate::reports::marks::StaleMarks;
use crate::rows::{col, now_millis, parsed, parsed_opt, time};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use leadline_core::event::{Authored, CallSpamChanged, EventData, NewEvent};
use leadline_core::interaction::CallResult;
use leadline_core::lead::Author;
use leadline_core::phone::E164;
use leadline_core::spam::{
    BlockSource, BlockedAnswer, BlockedNumber, CallSpamFacts, RepeatRule, SpamMark, SpamReason, SpamSettings, SpamStore,
};
use leadline_core::store::{StoreError, StoreResult};
use leadline_core::{BusinessId, Invalid, LeadId, SiteId};

/// The rows one statement of a list upload inserts.
const LIST_CHUNK: usize = 500;

#[async_trait]
impl SpamStore for SqlStore {
    async fn blocked_reason(&self, business: BusinessId, caller: &str) -> StoreResult<Option<SpamReason>> {
        let sources: Vec<String> =
            sqlx::query_scalar("SELECT source FROM blocked_numbers WHERE business_id = $1 AND number = $2")
                .bind(business.0)
                .bind(caller)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        let sources = sources
            .iter()
            .map(|s| BlockSource::parse(s))
            .collect::<Result<Vec<_>, Invalid>>()?;
        Ok([BlockSource::Operator, BlockSource::List]
            .into_iter()
            .find(|s| sources.contains(s))
            .map(|s| s.reason()))
    }

    async fn block_number(&self, business: BusinessId, number: &E164, source: BlockSource) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO blocked_numbers (business_id, number, source, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (business_id, number, source) DO NOTHING",
        )
        .bind(business.0)
        .bind(number.as_str())
        .bind(source.as_str())
        .bind(now_millis())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn unblock_number(&self, business: BusinessId, number: &E164) -> StoreResult<()> {
        let removed =
            sqlx::query("DELETE FROM blocked_numbers WHERE business_id = $1 AND number = $2 AND source = 'operator'")
                .bind(business.0)
                .bind(number.as_str())
                .execute(&self.pool)
                .await
                .map_err(backend)?;
        if removed.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn replace_spam_list(&self, business: BusinessId, numbers: &[E164]) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query("DELETE FROM blocked_numbers WHERE business_id = $1 AND source = 'list'")
            .bind(business.0)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let now = now_millis();
        let mut stored = 0;
        for chunk in numbers.chunks(LIST_CHUNK) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|i| format!("($1, ${}, 'list', $2)", i + 3))
                .collect();
            let sql = format!(
                "INSERT INTO blocked_numbers (business_id, number, source, created_at) VALUES {}
                 ON CONFLICT (business_id, number, source) DO NOTHING",
                rows.join(", ")
            );
            let mut query = sqlx::query(&sql).bind(business.0).bind(now);
            for number in chunk {
                query = query.bind(number.as_str());
            }
            stored += query.execute(&mut *tx).await.map_err(backend)?.rows_affected();
        }
        tx.commit().await.map_err(backend)?;
        Ok(stored)
    }

    async fn blocked_numbers(&self, business: BusinessId) -> StoreResult<Vec<BlockedNumber>> {
        let rows = sqlx::query(
            "SELECT number, source, created_at FROM blocked_numbers WHERE business_id = $1
             ORDER BY CASE WHEN source = 'operator' THEN 0 ELSE 1 END, number",
        )
        .bind(business.0)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|row| {
                Ok(BlockedNumber {
                    number: parsed(row, "number", E164::from_stored)?,
                    source: parsed(row, "source", BlockSource::parse)?,
                    created_at: time(row, "created_at")?,
                })
            })
            .collect()
    }

    async fn spam_settings(&self, business: BusinessId) -> StoreResult<SpamSettings> {
        let row = sqlx::query(
            "SELECT spam_answer, spam_message, spam_repeat_calls, spam_repeat_seconds, spam_repeat_hours
             FROM businesses WHERE id = $1",
        )
        .bind(business.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .ok_or(StoreError::NotFound)?;
        let answer = BlockedAnswer::parse(
            &col::<String>(&row, "spam_answer")?,
            col::<Option<String>>(&row, "spam_message")?.as_deref(),
        )?;
        let calls: i64 = col(&row, "spam_repeat_calls")?;
        let repeat = match calls {
            0 => None,
            _ => Some(RepeatRule::new(
                stored_u32(calls)?,
                stored_u32(col(&row, "spam_repeat_seconds")?)?,
                stored_u32(col(&row, "spam_repeat_hours")?)?,
            )?),
        };
        Ok(SpamSettings { answer, repeat })
    }

    async fn set_spam_settings(&self, business: BusinessId, settings: &SpamSettings) -> StoreResult<()> {
        let message = match &settings.answer {
            BlockedAnswer::Message(text) => Some(text.as_str()),
            BlockedAnswer::Reject => None,
        };
        let rule = settings.repeat.unwrap_or(RepeatRule::DEFAULT);
        let calls = settings.repeat.map_or(0, |r| r.calls);
        let updated = sqlx::query(
            "UPDATE businesses SET spam_answer = $1, spam_message = $2, spam_repeat_calls = $3,
                 spam_repeat_seconds = $4, spam_repeat_hours = $5 WHERE id = $6",
        )
        .bind(settings.answer.kind())
        .bind(message)
        .bind(i64::from(calls))
        .bind(i64::from(rule.max_seconds))
        .bind(i64::from(rule.within_hours))
        .bind(business.0)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn caller_calls_since(
        &self,
        business: BusinessId,
        caller: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<CallSpamFacts>> {
        let rows = sqlx::query(
            "SELECT record_ref, started_at, result, duration_seconds, spam FROM calls
             WHERE business_id = $1 AND caller = $2 AND started_at >= $3 ORDER BY started_at, id LIMIT 1000",
        )
        .bind(business.0)
        .bind(caller)
        .bind(since.timestamp_millis())
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|row| {
                Ok(CallSpamFacts {
                    record_ref: u64::try_from(col::<i64>(row, "record_ref")?).unwrap_or_default(),
                    started_at: time(row, "started_at")?,
                    result: parsed(row, "result", CallResult::parse)?,
                    duration_seconds: col::<Option<i64>>(row, "duration_seconds")?.and_then(|d| u32::try_from(d).ok()),
                    spam: parsed_opt(row, "spam", SpamMark::parse)?,
                })
            })
            .collect()
    }

    async fn mark_calls_spam(
        &self,
        business: BusinessId,
        refs: &[u64],
        mark: Option<SpamMark>,
        author: &Author,
    ) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let mut marks = StaleMarks::default();
        let mut changed = 0;
        for record_ref in refs {
            let Ok(record_ref) = i64::try_from(*record_ref) else {
                continue;
            };
            // The update comes first, so SQLite takes its write lock at once (a read first could
            // not be upgraded while another connection writes).
            let row: Option<(i64, i64, i64, i64)> = sqlx::query_as(
                "UPDATE calls SET spam = $1 WHERE business_id = $2 AND record_ref = $3
                     AND COALESCE(spam, '') <> COALESCE($1, '')
                 RETURNING id, site_id, started_at, lead_id",
            )
            .bind(mark.as_ref().map(SpamMark::as_str))
            .bind(business.0)
            .bind(record_ref)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            let Some((call, site, started, lead)) = row else {
                continue;
            };
            let event = NewEvent {
                business_id: business,
                site_id: Some(SiteId(site)),
                lead_id: Some(LeadId(lead)),
                call_id: Some(call),
                submission_id: None,
                visit_id: None,
                data: EventData::CallSpamChanged(Authored {
                    author: author.clone(),
                    change: CallSpamChanged {
                        spam: SpamMark::reason(mark),
                    },
                }),
            };
            enqueue(&mut tx, &event, now_millis()).await?;
            changed += 1;
            marks = marks.at(site, started).lead(&mut tx, lead).await?;
        }
        marks.write(&mut tx, changed > 0 && self.report_marks()).await?;
        tx.commit().await.map_err(backend)?;
        Ok(changed)
    }
}

fn stored_u32(value: i64) -> StoreResult<u32> {
    u32::try_from(value).map_err(|_| StoreError::Backend(format!("a spam setting of {value} is out of range").into()))
}
