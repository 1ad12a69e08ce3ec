//! Assembling a claimed delivery's event from the current rows: the lead as it is now, and
//! the visitor's identifiers from the visit the record came from (else the lead's latest
//! visit; else, for a print source, the source's UTM fields).

use crate::errors::{backend, corrupt};
use crate::leads::rows::{LEAD_COLUMNS, lead};
use crate::rows::{col, parsed, time};
use crate::visits::records::visit_from;
use leadline_core::channel::Attribution;
use leadline_core::event::{Event, EventData, EventKind, LeadSnapshot, VisitorIds};
use leadline_core::store::StoreResult;
use leadline_core::{BusinessId, Invalid, SiteId};
use sqlx::AnyConnection;

/// The event with row id `event_id`, assembled for the delivery with row id `delivery_id`:
/// an erasure's event carries what that delivery's system erases the person by (the
/// identifiers are the delivery's, forgotten once the system has confirmed).
pub(crate) async fn delivered_event(conn: &mut AnyConnection, event_id: i64, delivery_id: i64) -> StoreResult<Event> {
    let mut assembled = event(conn, event_id).await?;
    if let EventData::LeadErased(erased) = &mut assembled.data {
        let stored: Option<String> = sqlx::query_scalar("SELECT subjects FROM deliveries WHERE id = $1")
            .bind(delivery_id)
            .fetch_one(&mut *conn)
            .await
            .map_err(backend)?;
        if let Some(stored) = stored {
            erased.subjects = serde_json::from_str(&stored)
                .map_err(|e| corrupt(Invalid::new("stored erasure subjects", e.to_string())))?;
        }
    }
    Ok(assembled)
}

/// The event with row id `event_id`, assembled for delivery.
async fn event(conn: &mut AnyConnection, event_id: i64) -> StoreResult<Event> {
    let row = sqlx::query(
        "SELECT e.*, c.record_ref AS call_ref, c.visit_id AS call_visit, c.source_label, s.visit_id AS form_visit
         FROM events e LEFT JOIN calls c ON c.id = e.call_id LEFT JOIN submissions s ON s.id = e.submission_id
         WHERE e.id = $1",
    )
    .bind(event_id)
    .fetch_one(&mut *conn)
    .await
    .map_err(backend)?;
    let business = BusinessId(col(&row, "business_id")?);
    let lead_id: Option<i64> = col(&row, "lead_id")?;
    let lead = match lead_id {
        Some(id) => Some(snapshot(conn, id).await?),
        None => None,
    };
    let visit_id = col::<Option<i64>>(&row, "visit_id")?
        .or(col::<Option<i64>>(&row, "call_visit")?)
        .or(col::<Option<i64>>(&row, "form_visit")?);
    let mut visitor = match visit_id {
        Some(id) => visit_ids(conn, "SELECT * FROM visits WHERE id = $1", id, None).await?,
        None => None,
    };
    if visitor.is_none()
        && let Some(key) = lead.as_ref().and_then(|(_, key)| key.clone())
    {
        let latest = "SELECT v.* FROM visits v JOIN sites st ON st.id = v.site_id
             WHERE st.business_id = $1 AND v.visitor_key = $2 ORDER BY v.started_at DESC, v.id DESC LIMIT 1";
        visitor = visit_ids(conn, latest, business.0, Some(&key)).await?;
    }
    let mut visitor = visitor.unwrap_or_default();
    // A lead whose key matches no stored visit (a form processor sent the key) keeps it.
    if visitor.visitor_key.is_none() {
        visitor.visitor_key = lead.as_ref().and_then(|(_, key)| key.clone());
    }
    if visitor.attribution.is_none()
        && let Some(label) = col::<Option<String>>(&row, "source_label")?
    {
        visitor.attribution = source_utm(conn, business, &label).await?;
    }
    let call_ref: Option<i64> = col(&row, "call_ref")?;
    let record_ref = call_ref
        .and_then(|r| u64::try_from(r).ok())
        .or(lead.as_ref().map(|(l, _)| l.record_ref));
    let kind = parsed(&row, "kind", EventKind::parse)?;
    let data: String = col(&row, "data")?;
    let data = serde_json::from_str(&data)
        .map_err(|e| Invalid::new("stored event data", e.to_string()))
        .and_then(|data| EventData::from_json(kind, data))
        .map_err(corrupt)?;
    Ok(Event {
        id: col(&row, "public_id")?,
        occurred_at: time(&row, "occurred_at")?,
        business_id: business,
        site_id: col::<Option<i64>>(&row, "site_id")?.map(SiteId),
        record_ref,
        lead: lead.map(|(l, _)| l),
        visitor,
        data,
    })
}

/// The lead as it is now, and its visitor key.
async fn snapshot(conn: &mut AnyConnection, id: i64) -> StoreResult<(LeadSnapshot, Option<String>)> {
    let row = sqlx::query(&format!("SELECT {LEAD_COLUMNS} FROM leads l WHERE l.id = $1"))
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .map_err(backend)?;
    let lead = lead(&row, Vec::new())?;
    let snapshot = LeadSnapshot {
        id: lead.id,
        record_ref: lead.record_ref,
        status: lead.status.as_str().to_owned(),
        name: lead.contact.name,
        email: lead.contact.email.map(|e| e.as_str().to_owned()),
        phone: lead.contact.phone.map(|p| p.as_str().to_owned()),
        company: lead.contact.company,
        source: lead.source,
        tags: lead.tags,
    };
    Ok((snapshot, lead.visitor_key))
}

/// The identifiers of the visit the query finds (`$1` an id, `$2` an optional key).
async fn visit_ids(
    conn: &mut AnyConnection,
    sql: &str,
    first: i64,
    key: Option<&str>,
) -> StoreResult<Option<VisitorIds>> {
    let mut query = sqlx::query(sql).bind(first);
    if let Some(key) = key {
        query = query.bind(key);
    }
    let Some(row) = query.fetch_optional(&mut *conn).await.map_err(backend)? else {
        return Ok(None);
    };
    let visit = visit_from(&row)?;
    Ok(Some(VisitorIds {
        visitor_key: Some(visit.visitor_key.as_str().to_owned()),
        ga_cookie: visit.ga_cookie,
        ga_streams: visit.ga_streams,
        click_ids: visit.click_ids,
        attribution: Some(visit.attribution),
        visit_started_at: Some(visit.started_at),
        landing_url: Some(visit.landing_url),
    }))
}

/// The UTM fields of the business's print or foreign-domain source with this name.
async fn source_utm(conn: &mut AnyConnection, business: BusinessId, name: &str) -> StoreResult<Option<Attribution>> {
    let row = sqlx::query(
        "SELECT utm_source, utm_medium, utm_campaign, utm_term, utm_content FROM sources
         WHERE business_id = $1 AND name = $2 ORDER BY id LIMIT 1",
    )
    .bind(business.0)
    .bind(name)
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    row.map(|row| {
        Ok(Attribution {
            source: col(&row, "utm_source")?,
            medium: col(&row, "utm_medium")?,
            campaign: col(&row, "utm_campaign")?,
            term: col(&row, "utm_term")?,
            content: col(&row, "utm_content")?,
        })
    })
    .transpose()
}
