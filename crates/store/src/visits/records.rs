//! The visit rows: writing a visit, its pages and clicks; reading them back.

use crate::errors::{backend, corrupt, not_found_or_backend};
use crate::params::Params;
use crate::rows::{col, parsed, parsed_opt, time};
use leadline_core::ad_consent::AdConsent;
use leadline_core::channel::{Attribution, ClickIds};
use leadline_core::click_id::{ClickId, ClickKind};
use leadline_core::event::{CallInitiated, EventData};
use leadline_core::store::{StoreError, StoreResult};
use leadline_core::visit::{CallIntent, NewVisit, PageView, Visit, VisitRef};
use leadline_core::visitor::{Device, VisitorKey};
use leadline_core::{IntentId, Invalid, SiteId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool};
use std::collections::BTreeMap;

/// Writes new visits in one statement; their row ids, in the order given.
pub(crate) async fn insert_visits(conn: &mut AnyConnection, news: &[&NewVisit], now: i64) -> StoreResult<Vec<i64>> {
    let sql = format!(
        "INSERT INTO visits (public_id, site_id, visitor_key, landing_url, referrer, source, medium, campaign, term,
             content, gclid, gbraid, wbraid, msclkid, fbclid, ga_cookie, ga_streams, utma, device, started_at,
             last_seen_at, temp_id, ads_consent)
         VALUES {} RETURNING id, public_id",
        Params::on(conn).rows(news.len(), 23, "{}")
    );
    let mut query = sqlx::query_as::<_, (i64, String)>(&sql);
    for new in news {
        let a = &new.attribution;
        let click_id = |kind| new.click_ids.get(kind).map(ClickId::as_str);
        query = query
            .bind(new.public_id.as_str())
            .bind(new.site_id.0)
            .bind(new.visitor_key.as_str())
            .bind(new.landing_url.as_str())
            .bind(new.referrer.as_deref())
            .bind(a.source.as_str())
            .bind(a.medium.as_str())
            .bind(a.campaign.as_deref())
            .bind(a.term.as_deref())
            .bind(a.content.as_deref())
            .bind(click_id(ClickKind::Gclid))
            .bind(click_id(ClickKind::Gbraid))
            .bind(click_id(ClickKind::Wbraid))
            .bind(click_id(ClickKind::Msclkid))
            .bind(click_id(ClickKind::Fbclid))
            .bind(new.ga_cookie.as_deref())
            .bind(serde_json::to_string(&new.ga_streams).unwrap_or_else(|_| "{}".into()))
            .bind(new.utma.as_deref())
            .bind(new.device.as_str())
            .bind(now)
            .bind(now)
            .bind(new.temp_id.as_ref().map(|t| t.as_str()))
            .bind(new.ads_consent.as_stored());
    }
    let written: BTreeMap<String, i64> = query
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?
        .into_iter()
        .map(|(id, public_id)| (public_id, id))
        .collect();
    // RETURNING's order is not promised on either engine: the public id says which is which.
    news.iter()
        .map(|new| {
            written
                .get(new.public_id.as_str())
                .copied()
                .ok_or_else(|| StoreError::Backend("a visit was written without its row id".into()))
        })
        .collect()
}

/// Writes the landing page of each new visit (its row id, given in the same order).
/// A page view to write: its visit's row id, the page's address and title, and when.
pub(crate) type PageRow<'a> = (i64, &'a str, Option<&'a str>, i64);

/// Page views written per statement (four parameters each).
const PAGES_PER_STATEMENT: usize = 500;

/// Writes page views, a few hundred per statement: new visits' landing pages, and the pages
/// a flush writes from memory.
pub(crate) async fn insert_pages(conn: &mut AnyConnection, pages: &[PageRow<'_>]) -> StoreResult<()> {
    for chunk in pages.chunks(PAGES_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO page_views (visit_id, url, title, at) VALUES {}",
            Params::on(conn).rows(chunk.len(), 4, "{}")
        );
        let mut query = sqlx::query(&sql);
        for (visit_id, url, title, at) in chunk {
            query = query.bind(*visit_id).bind(*url).bind(*title).bind(*at);
        }
        query.execute(&mut *conn).await.map_err(backend)?;
    }
    Ok(())
}

pub(crate) async fn insert_page_view(
    conn: &mut AnyConnection,
    visit_id: i64,
    url: &str,
    title: Option<&str>,
    now: i64,
) -> StoreResult<()> {
    insert_pages(conn, &[(visit_id, url, title, now)]).await
}

/// `call.initiated`: a call element was clicked during the visit.
pub(crate) async fn clicked(
    conn: &mut AnyConnection,
    visit_id: i64,
    element: &str,
    url: &str,
    now: i64,
) -> StoreResult<()> {
    let (business, site): (i64, i64) =
        sqlx::query_as("SELECT s.business_id, s.id FROM visits v JOIN sites s ON s.id = v.site_id WHERE v.id = $1")
            .bind(visit_id)
            .fetch_one(&mut *conn)
            .await
            .map_err(backend)?;
    let event = leadline_core::event::NewEvent {
        business_id: leadline_core::BusinessId(business),
        site_id: Some(SiteId(site)),
        lead_id: None,
        call_id: None,
        submission_id: None,
        visit_id: Some(visit_id),
        data: EventData::CallInitiated(CallInitiated {
            element: element.to_owned(),
            page_url: url.to_owned(),
        }),
    };
    crate::outbox::enqueue::enqueue(conn, &event, now).await
}

pub(crate) async fn set_custom(
    conn: &mut AnyConnection,
    visit_id: i64,
    vars: &BTreeMap<String, String>,
) -> StoreResult<()> {
    sqlx::query("UPDATE visits SET custom = $1 WHERE id = $2")
        .bind(serde_json::to_string(vars).unwrap_or_else(|_| "{}".into()))
        .bind(visit_id)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(())
}

fn json_map(row: &AnyRow, name: &str) -> StoreResult<BTreeMap<String, String>> {
    let text: String = col(row, name)?;
    serde_json::from_str(&text).map_err(|e| corrupt(Invalid::new("stored JSON", e.to_string())))
}

/// A `visits` row (all its columns) as a visit.
pub(crate) fn visit_from(row: &AnyRow) -> StoreResult<Visit> {
    Ok(Visit {
        public_id: parsed(row, "public_id", VisitRef::parse)?,
        site_id: SiteId(col(row, "site_id")?),
        visitor_key: parsed(row, "visitor_key", VisitorKey::from_stored)?,
        landing_url: col(row, "landing_url")?,
        referrer: col(row, "referrer")?,
        attribution: Attribution {
            source: col(row, "source")?,
            medium: col(row, "medium")?,
            campaign: col(row, "campaign")?,
            term: col(row, "term")?,
            content: col(row, "content")?,
        },
        click_ids: ClickIds::from_stored(|kind| col(row, kind.param()))?,
        ga_cookie: col(row, "ga_cookie")?,
        ga_streams: json_map(row, "ga_streams")?,
        utma: col(row, "utma")?,
        device: parsed(row, "device", Device::parse)?,
        ads_consent: parsed_opt(row, "ads_consent", AdConsent::parse)?.unwrap_or_default(),
        custom: json_map(row, "custom")?,
        page_views: u32::try_from(col::<i64>(row, "page_views")?).unwrap_or(u32::MAX),
        started_at: time(row, "started_at")?,
        last_seen_at: time(row, "last_seen_at")?,
    })
}

pub(crate) async fn visit(pool: &AnyPool, site: SiteId, visit: &VisitRef) -> StoreResult<Visit> {
    let row = sqlx::query("SELECT * FROM visits WHERE public_id = $1 AND site_id = $2")
        .bind(visit.as_str())
        .bind(site.0)
        .fetch_one(pool)
        .await
        .map_err(not_found_or_backend)?;
    visit_from(&row)
}

async fn visit_row_id(pool: &AnyPool, site: SiteId, visit: &VisitRef) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT id FROM visits WHERE public_id = $1 AND site_id = $2")
        .bind(visit.as_str())
        .bind(site.0)
        .fetch_one(pool)
        .await
        .map_err(not_found_or_backend)
}

pub(crate) async fn pages(pool: &AnyPool, site: SiteId, visit: &VisitRef) -> StoreResult<Vec<PageView>> {
    let id = visit_row_id(pool, site, visit).await?;
    sqlx::query("SELECT url, title, at FROM page_views WHERE visit_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(pool)
        .await
        .map_err(backend)?
        .iter()
        .map(|row| {
            Ok(PageView {
                url: col(row, "url")?,
                title: col(row, "title")?,
                at: time(row, "at")?,
            })
        })
        .collect()
}

pub(crate) async fn clicks(pool: &AnyPool, site: SiteId, visit: &VisitRef) -> StoreResult<Vec<CallIntent>> {
    let id = visit_row_id(pool, site, visit).await?;
    sqlx::query("SELECT id, element, page_url, at FROM call_intents WHERE visit_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(pool)
        .await
        .map_err(backend)?
        .iter()
        .map(|row| {
            Ok(CallIntent {
                id: IntentId(col(row, "id")?),
                element: col(row, "element")?,
                page_url: col(row, "page_url")?,
                at: time(row, "at")?,
            })
        })
        .collect()
}
