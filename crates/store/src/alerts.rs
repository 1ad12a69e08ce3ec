//! Members' alert choices and the alerts already sent, per event, member and channel.

use crate::SqlStore;
use crate::errors::{backend, corrupt};
use crate::rows::{col, parsed, parsed_opt};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use leadline_core::alerts::{AlertChannel, AlertChoices, AlertKind, AlertRecipient, AlertStore, ClockTime, QuietHours};
use leadline_core::site::Timezone;
use leadline_core::store::{StoreError, StoreResult};
use leadline_core::summary::{SummaryFrequency, SummaryRecipient};
use leadline_core::{BusinessId, E164, Invalid, UserId};
use sqlx::any::AnyRow;

const CHOICE_COLUMNS: &str =
    "a.user_id, a.kinds, a.email, a.sms_number, a.quiet_start, a.quiet_end, a.time_zone, a.summary";

/// Kinds as stored: `,new_form,missed_call,`.
fn kinds_text(kinds: &[AlertKind]) -> String {
    let mut text = String::from(",");
    for kind in AlertKind::ALL.into_iter().filter(|k| kinds.contains(k)) {
        text.push_str(kind.as_str());
        text.push(',');
    }
    text
}

fn choices(row: &AnyRow) -> StoreResult<AlertChoices> {
    let kinds: String = col(row, "kinds")?;
    let kinds = kinds
        .split(',')
        .filter(|k| !k.is_empty())
        .map(AlertKind::parse)
        .collect::<Result<Vec<_>, _>>()
        .map_err(corrupt)?;
    let minutes = |name: &str| -> StoreResult<Option<ClockTime>> {
        let stored: Option<i64> = col(row, name)?;
        stored
            .map(|m| {
                u16::try_from(m)
                    .map_err(|_| Invalid::new("time of day", format!("{m} minutes")))
                    .and_then(ClockTime::from_minutes)
            })
            .transpose()
            .map_err(corrupt)
    };
    let quiet = match (minutes("quiet_start")?, minutes("quiet_end")?) {
        (Some(start), Some(end)) => Some(QuietHours::new(start, end).map_err(corrupt)?),
        _ => None,
    };
    Ok(AlertChoices {
        kinds,
        email: col::<i64>(row, "email")? != 0,
        sms: parsed_opt(row, "sms_number", E164::parse)?,
        quiet,
        zone: parsed(row, "time_zone", Timezone::parse)?,
        summary: parsed_opt(row, "summary", SummaryFrequency::parse)?,
    })
}

/// `NotFound` unless `user` is a member of `business` (what a member keeps is theirs there only).
pub(crate) async fn check_member(pool: &sqlx::AnyPool, business: BusinessId, user: UserId) -> StoreResult<()> {
    let member: Option<i64> =
        sqlx::query_scalar("SELECT user_id FROM memberships WHERE business_id = $1 AND user_id = $2")
            .bind(business.0)
            .bind(user.0)
            .fetch_optional(pool)
            .await
            .map_err(backend)?;
    member.map(|_| ()).ok_or(StoreError::NotFound)
}

#[async_trait]
impl AlertStore for SqlStore {
    async fn alert_choices(&self, business: BusinessId, user: UserId) -> StoreResult<Option<AlertChoices>> {
        let sql = format!("SELECT {CHOICE_COLUMNS} FROM alert_choices a WHERE a.business_id = $1 AND a.user_id = $2");
        let row = sqlx::query(&sql)
            .bind(business.0)
            .bind(user.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(choices).transpose()
    }

    async fn set_alert_choices(&self, business: BusinessId, user: UserId, chosen: &AlertChoices) -> StoreResult<()> {
        crate::alerts::check_member(&self.pool, business, user).await?;
        sqlx::query(
            "INSERT INTO alert_choices
                (business_id, user_id, kinds, email, sms_number, quiet_start, quiet_end, time_zone,
                 summary, summary_since, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $10, $9, $9)
             ON CONFLICT (business_id, user_id) DO UPDATE SET
                kinds = excluded.kinds, email = excluded.email, sms_number = excluded.sms_number,
                quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end,
                time_zone = excluded.time_zone, summary = excluded.summary,
                summary_since = CASE
                    WHEN COALESCE(alert_choices.summary, '') = COALESCE(excluded.summary, '')
                    THEN alert_choices.summary_since ELSE excluded.summary_since END,
                updated_at = excluded.updated_at",
        )
        .bind(business.0)
        .bind(user.0)
        .bind(kinds_text(&chosen.kinds))
        .bind(i64::from(chosen.email))
        .bind(chosen.sms.as_ref().map(|n| n.as_str().to_owned()))
        .bind(chosen.quiet.map(|q| i64::from(q.start().minutes())))
        .bind(chosen.quiet.map(|q| i64::from(q.end().minutes())))
        .bind(chosen.zone.name())
        .bind(crate::rows::now_millis())
        .bind(chosen.summary.map(|f| f.as_str()))
        .execute(&self.pool)
        .await
        .map_err(|e| crate::errors::classify(e, || "the member is gone".into()))?;
        Ok(())
    }

    async fn alert_recipients(&self, business: BusinessId) -> StoreResult<Vec<AlertRecipient>> {
        let sql = format!(
            "SELECT {CHOICE_COLUMNS}, u.email AS login FROM alert_choices a
             JOIN memberships m ON m.user_id = a.user_id AND m.business_id = a.business_id
             JOIN users u ON u.id = a.user_id
             WHERE a.business_id = $1 AND a.kinds <> ',' AND (a.email <> 0 OR a.sms_number IS NOT NULL
                 OR EXISTS (SELECT 1 FROM push_subscriptions p
                     WHERE p.business_id = a.business_id AND p.user_id = a.user_id))
             ORDER BY a.user_id"
        );
        let rows = sqlx::query(&sql)
            .bind(business.0)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|row| {
                Ok(AlertRecipient {
                    user_id: UserId(col(row, "user_id")?),
                    email: col(row, "login")?,
                    choices: choices(row)?,
                })
            })
            .collect()
    }

    async fn first_call_of_lead(&self, business: BusinessId, record_ref: u64) -> StoreResult<bool> {
        let record_ref = i64::try_from(record_ref).map_err(|_| StoreError::NotFound)?;
        let this: Option<(i64, i64)> =
            sqlx::query_as("SELECT id, lead_id FROM calls WHERE business_id = $1 AND record_ref = $2")
                .bind(business.0)
                .bind(record_ref)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        let (id, lead) = this.ok_or(StoreError::NotFound)?;
        let earlier: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM calls WHERE business_id = $1 AND lead_id = $2 AND id < $3")
                .bind(business.0)
                .bind(lead)
                .bind(id)
                .fetch_one(&self.pool)
                .await
                .map_err(backend)?;
        Ok(earlier == 0)
    }

    async fn alerts_sent(&self, business: BusinessId, event_id: &str) -> StoreResult<Vec<(UserId, AlertChannel)>> {
        let rows = sqlx::query(
            "SELECT user_id, channel FROM alert_sends WHERE business_id = $1 AND event_id = $2
             ORDER BY user_id, channel",
        )
        .bind(business.0)
        .bind(event_id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|row| {
                Ok((
                    UserId(col(row, "user_id")?),
                    parsed(row, "channel", AlertChannel::parse)?,
                ))
            })
            .collect()
    }

    async fn record_alert_sent(
        &self,
        business: BusinessId,
        event_id: &str,
        user: UserId,
        channel: AlertChannel,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let event: Option<i64> = sqlx::query_scalar("SELECT id FROM events WHERE business_id = $1 AND public_id = $2")
            .bind(business.0)
            .bind(event_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        if event.is_none() {
            return Err(StoreError::NotFound);
        }
        let done = sqlx::query(
            "INSERT INTO alert_sends (event_id, user_id, channel, business_id, sent_at)
             SELECT $1, m.user_id, $3, m.business_id, $5 FROM memberships m
             WHERE m.business_id = $4 AND m.user_id = $2
             ON CONFLICT (event_id, user_id, channel) DO NOTHING",
        )
        .bind(event_id)
        .bind(user.0)
        .bind(channel.as_str())
        .bind(business.0)
        .bind(at.timestamp_millis())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn summary_recipients(&self) -> StoreResult<Vec<SummaryRecipient>> {
        let rows = sqlx::query(
            "SELECT a.business_id, a.user_id, u.email AS login, a.summary, a.time_zone, a.summary_since
             FROM alert_choices a
             JOIN memberships m ON m.user_id = a.user_id AND m.business_id = a.business_id
             JOIN users u ON u.id = a.user_id
             WHERE a.summary IS NOT NULL AND m.role = 'owner'
             ORDER BY a.business_id, a.user_id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|row| {
                Ok(SummaryRecipient {
                    business_id: BusinessId(col(row, "business_id")?),
                    user_id: UserId(col(row, "user_id")?),
                    email: col(row, "login")?,
                    frequency: parsed(row, "summary", SummaryFrequency::parse)?,
                    zone: parsed(row, "time_zone", Timezone::parse)?,
                    since: crate::rows::time(row, "summary_since")?,
                })
            })
            .collect()
    }

    async fn summary_sent(
        &self,
        business: BusinessId,
        user: UserId,
        frequency: SummaryFrequency,
        from: NaiveDate,
    ) -> StoreResult<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT sent_at FROM summary_sends
             WHERE business_id = $1 AND user_id = $2 AND frequency = $3 AND period_from = $4
               AND sent_at IS NOT NULL",
        )
        .bind(business.0)
        .bind(user.0)
        .bind(frequency.as_str())
        .bind(from.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(found.is_some())
    }

    async fn claim_summary(
        &self,
        business: BusinessId,
        user: UserId,
        frequency: SummaryFrequency,
        from: NaiveDate,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO summary_sends (business_id, user_id, frequency, period_from, claimed_until)
             SELECT m.business_id, m.user_id, $3, $4, $5 FROM memberships m
             WHERE m.business_id = $1 AND m.user_id = $2
             ON CONFLICT (business_id, user_id, frequency, period_from) DO UPDATE
                SET claimed_until = excluded.claimed_until
                WHERE summary_sends.sent_at IS NULL AND summary_sends.claimed_until < $6",
        )
        .bind(business.0)
        .bind(user.0)
        .bind(frequency.as_str())
        .bind(from.to_string())
        .bind(until.timestamp_millis())
        .bind(now.timestamp_millis())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn release_summary(
        &self,
        business: BusinessId,
        user: UserId,
        frequency: SummaryFrequency,
        from: NaiveDate,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE summary_sends SET claimed_until = 0
             WHERE business_id = $1 AND user_id = $2 AND frequency = $3 AND period_from = $4
               AND sent_at IS NULL",
        )
        .bind(business.0)
        .bind(user.0)
        .bind(frequency.as_str())
        .bind(from.to_string())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn record_summary_sent(
        &self,
        business: BusinessId,
        user: UserId,
        frequency: SummaryFrequency,
        from: NaiveDate,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE summary_sends SET sent_at = $5
             WHERE business_id = $1 AND user_id = $2 AND frequency = $3 AND period_from = $4",
        )
        .bind(business.0)
        .bind(user.0)
        .bind(frequency.as_str())
        .bind(from.to_string())
        .bind(at.timestamp_millis())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }
}
