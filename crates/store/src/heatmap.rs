//! The call-element heatmap's rows: every click on a call element or `tel:` link keeps its
//! site, its page (as reports group pages) and, for a pointer's click, where it landed.

use crate::SqlStore;
use crate::errors::{backend, corrupt, not_found_or_backend};
use crate::reports::marks::StaleMarks;
use crate::rows::{col, now_millis};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use leadline_core::SiteId;
use leadline_core::heatmap::{
    ClickSpot, ElementHeat, HeatPage, HeatQuery, HeatSpot, Heatmap, HeatmapStore, MAX_SPOTS, PageClick, RawSpot,
};
use leadline_core::report::rollup::page_key;
use leadline_core::store::StoreResult;
use leadline_core::visit::VisitRef;
use leadline_core::visitor::Device;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::sync::LazyLock;

/// How many pages the list of clicked pages shows.
const MAX_PAGES: u32 = 200;

/// The clicks of one site's page in a period, of one device class or (`$5` empty) any.
const CLICKS_OF_PAGE: &str = "FROM call_intents ci JOIN visits v ON v.id = ci.visit_id
     WHERE ci.site_id = $1 AND ci.page_key = $2 AND ci.at >= $3 AND ci.at < $4
       AND ($5 = '' OR v.device = $5)";

/// The newest placed clicks.
static SPOTS_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT ci.element, v.device, ci.spot_x, ci.spot_y, ci.page_x, ci.page_y, ci.page_w, ci.page_h,
                ci.view_w, ci.view_h
         {CLICKS_OF_PAGE} AND ci.spot_x IS NOT NULL ORDER BY ci.at DESC, ci.id DESC LIMIT {MAX_SPOTS}"
    )
});

/// Each element's clicks, and how many of them a call of the same visit followed.
static ELEMENTS_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT ci.element, COUNT(*) AS clicks,
                CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM calls c WHERE c.visit_id = ci.visit_id
                                             AND c.started_at >= ci.at) THEN 1 ELSE 0 END) AS BIGINT) AS followed
         {CLICKS_OF_PAGE} GROUP BY ci.element ORDER BY clicks DESC, ci.element"
    )
});

/// Stores one click of the site's visit (row id `visit_id`) at `now`; its row id.
pub(crate) async fn insert_click(
    conn: &mut AnyConnection,
    site: SiteId,
    visit_id: i64,
    click: &PageClick,
    now: i64,
) -> StoreResult<i64> {
    let spot = click.spot.as_ref().map(ClickSpot::raw);
    let value = |f: fn(&RawSpot) -> i64| spot.as_ref().map(f);
    let key = (!click.url.is_empty()).then(|| page_key(&click.url));
    sqlx::query_scalar(
        "INSERT INTO call_intents (visit_id, site_id, element, page_url, at, page_key,
             spot_x, spot_y, page_x, page_y, page_w, page_h, view_w, view_h)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         RETURNING id",
    )
    .bind(visit_id)
    .bind(site.0)
    .bind(click.element.as_str())
    .bind(click.url.as_str())
    .bind(now)
    .bind(key)
    .bind(value(|s| s.x))
    .bind(value(|s| s.y))
    .bind(value(|s| s.page_x))
    .bind(value(|s| s.page_y))
    .bind(value(|s| s.page_width))
    .bind(value(|s| s.page_height))
    .bind(value(|s| s.view_width))
    .bind(value(|s| s.view_height))
    .fetch_one(&mut *conn)
    .await
    .map_err(backend)
}

#[async_trait]
impl HeatmapStore for SqlStore {
    async fn record_page_clicks(&self, site: SiteId, visit: &VisitRef, clicks: &[PageClick]) -> StoreResult<()> {
        let now = now_millis();
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // The first statement writes, as SQLite needs; no row means no such visit here.
        let (visit_id, started): (i64, i64) = sqlx::query_as(
            "UPDATE visits SET last_seen_at = last_seen_at WHERE public_id = $1 AND site_id = $2
             RETURNING id, started_at",
        )
        .bind(visit.as_str())
        .bind(site.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(not_found_or_backend)?;
        for click in clicks {
            insert_click(&mut tx, site, visit_id, click, now).await?;
        }
        // A click names the visit's call element in reports, on the visit's day.
        StaleMarks::default()
            .at(site.0, started)
            .write(&mut tx, self.report_marks())
            .await?;
        tx.commit().await.map_err(backend)
    }

    async fn heat_pages(&self, site: SiteId, from: DateTime<Utc>, to: DateTime<Utc>) -> StoreResult<Vec<HeatPage>> {
        let sql = format!(
            "SELECT p.page_key, p.clicks, c.page_url FROM (
                 SELECT page_key, COUNT(*) AS clicks, MAX(id) AS newest FROM call_intents
                 WHERE site_id = $1 AND page_key IS NOT NULL AND at >= $2 AND at < $3
                 GROUP BY page_key) p
             JOIN call_intents c ON c.id = p.newest
             ORDER BY p.clicks DESC, p.page_key LIMIT {MAX_PAGES}"
        );
        sqlx::query(&sql)
            .bind(site.0)
            .bind(from.timestamp_millis())
            .bind(to.timestamp_millis())
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(|row| {
                Ok(HeatPage {
                    page: col(row, "page_key")?,
                    url: col(row, "page_url")?,
                    clicks: count(row, "clicks")?,
                })
            })
            .collect()
    }

    async fn heatmap(&self, query: &HeatQuery) -> StoreResult<Heatmap> {
        let device = query.device.map_or("", Device::as_str);
        let run = |sql: &'static str| {
            sqlx::query(sql)
                .bind(query.site.0)
                .bind(query.page.clone())
                .bind(query.from.timestamp_millis())
                .bind(query.to.timestamp_millis())
                .bind(device)
                .fetch_all(&self.pool)
        };
        let spots = run(&SPOTS_SQL).await.map_err(backend)?;
        let elements = run(&ELEMENTS_SQL).await.map_err(backend)?;
        Ok(Heatmap {
            spots: spots.iter().map(heat_spot).collect::<StoreResult<_>>()?,
            elements: elements
                .iter()
                .map(|row| {
                    Ok(ElementHeat {
                        element: col(row, "element")?,
                        clicks: count(row, "clicks")?,
                        followed: count(row, "followed")?,
                    })
                })
                .collect::<StoreResult<_>>()?,
        })
    }
}

fn heat_spot(row: &AnyRow) -> StoreResult<HeatSpot> {
    let raw = RawSpot {
        x: col(row, "spot_x")?,
        y: col(row, "spot_y")?,
        page_x: col(row, "page_x")?,
        page_y: col(row, "page_y")?,
        page_width: col(row, "page_w")?,
        page_height: col(row, "page_h")?,
        view_width: col(row, "view_w")?,
        view_height: col(row, "view_h")?,
    };
    Ok(HeatSpot {
        element: col(row, "element")?,
        device: crate::rows::parsed(row, "device", Device::parse)?,
        spot: ClickSpot::new(raw).map_err(corrupt)?,
    })
}

fn count(row: &AnyRow, name: &str) -> StoreResult<u64> {
    let n: i64 = col(row, name)?;
    u64::try_from(n).map_err(|_| corrupt(leadline_core::Invalid::new("count", format!("{n} is negative"))))
}
