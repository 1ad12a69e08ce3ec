//! Erasing one person in SQL: every row that holds their data is emptied in one transaction
//! (rows that reports count stay, without what names the person), the erasure is recorded and
//! the outside systems' requests are queued as deliveries of one `lead.erased` event.

use crate::SqlStore;
use crate::errors::backend;
use crate::leads::rows::identity_json;
use crate::rows::{col, now_millis, time};
use async_trait::async_trait;
use leadline_core::erasure::{
    Erasure, ErasureNotice, ErasureStore, Leftovers, OutsideErasure, PersonIds, origin_only, page_only,
};
use leadline_core::event::{EventData, LeadErased, new_event_id};
use leadline_core::form::FormIdentity;
use leadline_core::lead::Author;
use leadline_core::outbox::{DeliveryStatus, IntegrationId};
use leadline_core::retention::ExpiredRecording;
use leadline_core::store::{StoreError, StoreResult};
use leadline_core::visitor::ga_client_id;
use leadline_core::{BusinessId, LeadId, NumberId};
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// [`leadline_core::erasure::CALL_IN_PROGRESS`] in milliseconds.
const CALL_IN_PROGRESS_MS: i64 = leadline_core::erasure::CALL_IN_PROGRESS.num_milliseconds();

/// The ids of the person's visits: those their calls and forms came from, those with the
/// lead's visitor key, and every other visit of the same browsers (`$1` the business, `$2`
/// the lead).
const PERSON_VISITS: &str = "WITH own AS (
         SELECT visit_id AS id FROM calls WHERE business_id = $1 AND lead_id = $2 AND visit_id IS NOT NULL
         UNION SELECT visit_id FROM submissions WHERE business_id = $1 AND lead_id = $2 AND visit_id IS NOT NULL),
     keys AS (
         SELECT visitor_key AS k FROM leads WHERE id = $2 AND business_id = $1 AND visitor_key IS NOT NULL
         UNION SELECT v.visitor_key FROM visits v WHERE v.id IN (SELECT id FROM own))
     SELECT v.id, v.visitor_key, v.landing_url, v.referrer, v.ga_cookie FROM visits v JOIN sites s ON s.id = v.site_id
     WHERE s.business_id = $1 AND (v.id IN (SELECT id FROM own) OR v.visitor_key IN (SELECT k FROM keys))
     ORDER BY v.id";

/// A visit of the person, as read before it is emptied.
struct PersonVisit {
    id: i64,
    landing_url: String,
    referrer: Option<String>,
    ga_cookie: Option<String>,
}

async fn person_visits(conn: &mut AnyConnection, business: BusinessId, lead: LeadId) -> StoreResult<Vec<PersonVisit>> {
    let rows = sqlx::query(PERSON_VISITS)
        .bind(business.0)
        .bind(lead.0)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?;
    rows.iter()
        .map(|row| {
            Ok(PersonVisit {
                id: col(row, "id")?,
                landing_url: col(row, "landing_url")?,
                referrer: col(row, "referrer")?,
                ga_cookie: col(row, "ga_cookie")?,
            })
        })
        .collect()
}

/// Runs `sql` with `id` as `$1`.
async fn by_id(conn: &mut AnyConnection, sql: &str, id: i64) -> StoreResult<()> {
    sqlx::query(sql).bind(id).execute(&mut *conn).await.map_err(backend)?;
    Ok(())
}

/// Rewrites the text column `column` of `table`'s rows matching `filter` (`$1` = `id`) with
/// `rewrite`.
async fn rewrite_urls(
    conn: &mut AnyConnection,
    table: &str,
    column: &str,
    filter: &str,
    id: i64,
    rewrite: fn(&str) -> String,
) -> StoreResult<()> {
    let rows: Vec<(i64, Option<String>)> = sqlx::query_as(&format!("SELECT id, {column} FROM {table} WHERE {filter}"))
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?;
    for (row_id, url) in rows {
        let Some(url) = url else { continue };
        let kept = rewrite(&url);
        if kept != url {
            sqlx::query(&format!("UPDATE {table} SET {column} = $1 WHERE id = $2"))
                .bind(kept)
                .bind(row_id)
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
        }
    }
    Ok(())
}

/// Empties the person's visits and what hangs off them: each gets a fresh key of its own, so
/// nothing ties them to each other or to the browser any more.
async fn empty_visits(conn: &mut AnyConnection, visits: &[PersonVisit]) -> StoreResult<()> {
    for visit in visits {
        let key = format!("erased:{}", leadline_core::secret::random_token(16));
        sqlx::query(
            "UPDATE visits SET visitor_key = $1, landing_url = $2, referrer = $3, gclid = NULL, gbraid = NULL,
                 wbraid = NULL, msclkid = NULL, fbclid = NULL, ga_cookie = NULL, ga_streams = '{}', utma = NULL,
                 custom = '{}', temp_id = NULL
             WHERE id = $4",
        )
        .bind(key.as_str())
        .bind(page_only(&visit.landing_url))
        .bind(visit.referrer.as_deref().map(origin_only))
        .bind(visit.id)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
        sqlx::query("UPDATE live_codes SET visitor_key = $1 WHERE visit_id = $2")
            .bind(key.as_str())
            .bind(visit.id)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        by_id(conn, "UPDATE page_views SET title = NULL WHERE visit_id = $1", visit.id).await?;
        rewrite_urls(conn, "page_views", "url", "visit_id = $1", visit.id, page_only).await?;
        rewrite_urls(conn, "call_intents", "page_url", "visit_id = $1", visit.id, page_only).await?;
        // A click's event names the page it was on.
        by_id(conn, "DELETE FROM events WHERE visit_id = $1", visit.id).await?;
    }
    Ok(())
}

/// Empties the lead's calls, forms and their files' rows, notes and changes, events and
/// record ids, then the lead itself.
async fn empty_records(conn: &mut AnyConnection, business: BusinessId, lead: LeadId, now: i64) -> StoreResult<()> {
    let statements = [
        "UPDATE calls SET caller = '', recording_url = NULL, from_city = NULL, from_state = NULL,
             from_country = NULL
         WHERE business_id = $1 AND lead_id = $2",
        // What was said on their calls (issue 17): the redacted text still names and quotes them.
        "DELETE FROM transcripts WHERE business_id = $1
             AND call_id IN (SELECT id FROM calls WHERE business_id = $1 AND lead_id = $2)",
        "DELETE FROM attachments WHERE submission_id IN (
             SELECT id FROM submissions WHERE business_id = $1 AND lead_id = $2)",
        // What people wrote or changed (notes, contact fields, tags); statuses, sales and
        // conversions say nothing of the person and stay.
        "UPDATE activities SET detail = '{\"erased\":true}'
         WHERE business_id = $1 AND lead_id = $2 AND kind IN ('note', 'fields', 'tags')",
        "DELETE FROM events WHERE business_id = $1 AND (lead_id = $2
             OR call_id IN (SELECT id FROM calls WHERE business_id = $1 AND lead_id = $2)
             OR submission_id IN (SELECT id FROM submissions WHERE business_id = $1 AND lead_id = $2))",
        "DELETE FROM external_ids WHERE lead_id = $2
             AND integration_id IN (SELECT id FROM integrations WHERE business_id = $1)",
    ];
    for sql in statements {
        sqlx::query(sql)
            .bind(business.0)
            .bind(lead.0)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
    }
    sqlx::query("UPDATE submissions SET fields = '[]', identity = $1 WHERE business_id = $2 AND lead_id = $3")
        .bind(identity_json(&FormIdentity::default()))
        .bind(business.0)
        .bind(lead.0)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    let filter = "lead_id = $1";
    rewrite_urls(conn, "submissions", "page_url", filter, lead.0, page_only).await?;
    sqlx::query(
        "UPDATE leads SET name = NULL, email = NULL, phone = NULL, company = NULL, visitor_key = NULL,
             custom = '{}', erased_at = $1
         WHERE id = $2 AND business_id = $3",
    )
    .bind(now)
    .bind(lead.0)
    .bind(business.0)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

/// Records the `lead.erased` event and one delivery per outside system of the business,
/// each with what that system erases by; answers the event's row id.
async fn queue_outside(
    conn: &mut AnyConnection,
    business: BusinessId,
    record_ref: u64,
    outside: &[OutsideErasure],
    now: i64,
) -> StoreResult<Option<i64>> {
    if outside.is_empty() {
        return Ok(None);
    }
    let data = EventData::LeadErased(LeadErased {
        record_ref,
        subjects: Vec::new(),
    });
    let event_id: i64 = sqlx::query_scalar(
        "INSERT INTO events (public_id, business_id, kind, data, occurred_at) VALUES ($1, $2, $3, $4, $5)
         RETURNING id",
    )
    .bind(new_event_id())
    .bind(business.0)
    .bind(data.kind().as_str())
    .bind(data.to_json().to_string())
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(backend)?;
    for request in outside {
        let subjects = serde_json::to_string(&request.subjects).expect("subjects serialise");
        sqlx::query(
            "INSERT INTO deliveries (event_id, integration_id, business_id, status, attempts, next_attempt_at,
                 created_at, subjects)
             SELECT $1, id, business_id, 'pending', 0, $2, $2, $3 FROM integrations WHERE id = $4 AND business_id = $5",
        )
        .bind(event_id)
        .bind(now)
        .bind(subjects)
        .bind(request.integration.0)
        .bind(business.0)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    }
    Ok(Some(event_id))
}

/// The erasures of the business matching `filter` (`$1` the business, `$2` its argument),
/// newest first, with each system's answer.
async fn read_erasures(
    store: &SqlStore,
    filter: &str,
    business: BusinessId,
    argument: i64,
) -> StoreResult<Vec<Erasure>> {
    let rows = sqlx::query(&format!(
        "SELECT e.id, e.record_ref, e.erased_by, e.erased_at, d.integration_id, d.status, d.delivered_at,
             d.last_error, i.name, i.kind
         FROM erasures e LEFT JOIN deliveries d ON d.event_id = e.event_id
             LEFT JOIN integrations i ON i.id = d.integration_id
         WHERE e.business_id = $1 AND {filter} ORDER BY e.id DESC, d.id"
    ))
    .bind(business.0)
    .bind(argument)
    .fetch_all(&store.pool)
    .await
    .map_err(backend)?;
    let mut erasures: Vec<(i64, Erasure)> = Vec::new();
    for row in &rows {
        let id: i64 = col(row, "id")?;
        if erasures.last().is_none_or(|(last, _)| *last != id) {
            let record_ref: i64 = col(row, "record_ref")?;
            erasures.push((
                id,
                Erasure {
                    record_ref: u64::try_from(record_ref).unwrap_or_default(),
                    erased_by: Author::from_stored(&col::<String>(row, "erased_by")?),
                    erased_at: time(row, "erased_at")?,
                    systems: Vec::new(),
                },
            ));
        }
        if let Some(integration) = col::<Option<i64>>(row, "integration_id")? {
            let status: String = col(row, "status")?;
            let confirmed: Option<i64> = col(row, "delivered_at")?;
            let notice = ErasureNotice {
                integration: IntegrationId(integration),
                name: col(row, "name")?,
                kind: col(row, "kind")?,
                status: DeliveryStatus::parse(&status).map_err(crate::errors::corrupt)?,
                confirmed_at: confirmed.and_then(chrono::DateTime::from_timestamp_millis),
                last_error: col(row, "last_error")?,
            };
            erasures.last_mut().expect("pushed above").1.systems.push(notice);
        }
    }
    Ok(erasures.into_iter().map(|(_, erasure)| erasure).collect())
}

#[async_trait]
impl ErasureStore for SqlStore {
    async fn person_leftovers(&self, business: BusinessId, lead: LeadId) -> StoreResult<Leftovers> {
        let recordings: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT id, number_id, recording_url FROM calls
             WHERE business_id = $1 AND lead_id = $2 AND recording_url IS NOT NULL ORDER BY id",
        )
        .bind(business.0)
        .bind(lead.0)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        let files: Vec<String> = sqlx::query_scalar(
            "SELECT a.stored_name FROM attachments a JOIN submissions s ON s.id = a.submission_id
             WHERE s.business_id = $1 AND s.lead_id = $2 ORDER BY a.id",
        )
        .bind(business.0)
        .bind(lead.0)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(Leftovers {
            recordings: recordings
                .into_iter()
                .map(|(call_id, number, url)| ExpiredRecording {
                    call_id,
                    number_id: NumberId(number),
                    url,
                })
                .collect(),
            files,
        })
    }

    async fn person_ids(&self, business: BusinessId, lead: LeadId) -> StoreResult<PersonIds> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        let email: Option<Option<String>> =
            sqlx::query_scalar("SELECT email FROM leads WHERE id = $1 AND business_id = $2")
                .bind(lead.0)
                .bind(business.0)
                .fetch_optional(&mut *conn)
                .await
                .map_err(backend)?;
        let email = email.ok_or(StoreError::NotFound)?;
        let mut ga_client_ids: Vec<String> = person_visits(&mut conn, business, lead)
            .await?
            .iter()
            .filter_map(|v| v.ga_cookie.as_deref().and_then(ga_client_id))
            .collect();
        let identities: Vec<String> =
            sqlx::query_scalar("SELECT identity FROM submissions WHERE business_id = $1 AND lead_id = $2")
                .bind(business.0)
                .bind(lead.0)
                .fetch_all(&mut *conn)
                .await
                .map_err(backend)?;
        for stored in identities {
            let identity: serde_json::Value = serde_json::from_str(&stored).unwrap_or_default();
            if let Some(id) = identity["ga_client_id"].as_str() {
                ga_client_ids.push(id.to_owned());
            }
        }
        ga_client_ids.sort();
        ga_client_ids.dedup();
        let record_ids: Vec<(i64, String)> = sqlx::query_as(
            "SELECT x.integration_id, x.external_id FROM external_ids x JOIN integrations i ON i.id = x.integration_id
             WHERE x.lead_id = $1 AND i.business_id = $2",
        )
        .bind(lead.0)
        .bind(business.0)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?;
        Ok(PersonIds {
            email,
            ga_client_ids,
            record_ids: record_ids
                .into_iter()
                .map(|(id, external)| (IntegrationId(id), external))
                .collect::<BTreeMap<_, _>>(),
        })
    }

    async fn erase_person(
        &self,
        business: BusinessId,
        lead: LeadId,
        by: &Author,
        outside: &[OutsideErasure],
    ) -> StoreResult<Erasure> {
        let now = now_millis();
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let found: Option<(i64, Option<i64>)> =
            sqlx::query_as("SELECT record_ref, erased_at FROM leads WHERE id = $1 AND business_id = $2")
                .bind(lead.0)
                .bind(business.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        let (record_ref, erased_at) = found.ok_or(StoreError::NotFound)?;
        let record_ref = u64::try_from(record_ref).unwrap_or_default();
        if erased_at.is_some() {
            return Err(StoreError::Conflict(format!("lead {record_ref} was erased already")));
        }
        let in_call: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM calls WHERE business_id = $1 AND lead_id = $2 AND status = 'in_call' AND started_at > $3
             LIMIT 1",
        )
        .bind(business.0)
        .bind(lead.0)
        .bind(now - CALL_IN_PROGRESS_MS)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        if in_call.is_some() {
            return Err(StoreError::Conflict(format!(
                "a call of lead {record_ref} is in progress: erase the person once it has ended"
            )));
        }
        let visits = person_visits(&mut tx, business, lead).await?;
        empty_visits(&mut tx, &visits).await?;
        empty_records(&mut tx, business, lead, now).await?;
        let event = queue_outside(&mut tx, business, record_ref, outside, now).await?;
        sqlx::query(
            "INSERT INTO erasures (business_id, record_ref, erased_by, erased_at, event_id) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(business.0)
        .bind(i64::try_from(record_ref).unwrap_or(i64::MAX))
        .bind(by.as_str())
        .bind(now)
        .bind(event)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        self.erasure_of(business, record_ref)
            .await?
            .ok_or_else(|| StoreError::Backend("the erasure just recorded is not there".into()))
    }

    async fn erasures(&self, business: BusinessId, limit: u32) -> StoreResult<Vec<Erasure>> {
        let limit = i64::from(limit.clamp(1, 1000));
        let filter = "e.id IN (SELECT id FROM erasures WHERE business_id = $1 ORDER BY id DESC LIMIT $2)";
        read_erasures(self, filter, business, limit).await
    }

    async fn erasure_of(&self, business: BusinessId, record_ref: u64) -> StoreResult<Option<Erasure>> {
        let record_ref = i64::try_from(record_ref).map_err(|_| StoreError::NotFound)?;
        Ok(read_erasures(self, "e.record_ref = $2", business, record_ref)
            .await?
            .into_iter()
            .next())
    }
}
