//! Visits, page views, call clicks and the live codes they hold.

pub(crate) mod activity;
pub(crate) mod allocation;
pub(crate) mod batch;
pub(crate) mod bulk;
pub(crate) mod codes;
pub(crate) mod records;

use crate::SqlStore;
use crate::errors::{backend, not_found_or_backend};
use crate::reports::marks::StaleMarks;
use crate::rows::now_millis;
use activity::HeldCode;
use allocation::{Holder, LockedPool, Only, allocate, lock_pool};
use async_trait::async_trait;
use leadline_core::SiteId;
use leadline_core::heatmap::PageClick;
use leadline_core::names::Name;
use leadline_core::store::{StoreError, StoreResult, VisitStore};
use leadline_core::visit::{
    CallIntent, CodeOutcome, CodePlan, CodeRequest, LiveCode, NewVisit, PageView, PoolKey, Touch, Visit, VisitRef,
    VisitState, apply_vars,
};
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// The visit a touch is about, as read at its start.
struct Touched {
    id: i64,
    visitor_key: String,
    custom: String,
}

#[async_trait]
impl VisitStore for SqlStore {
    async fn register_visit(&self, new: &NewVisit, plan: CodePlan) -> StoreResult<VisitState> {
        self.register_in_batch(new, plan).await
    }

    async fn touch_visit(
        &self,
        site: SiteId,
        visit: &VisitRef,
        touch: &Touch,
        plan: CodePlan,
    ) -> StoreResult<VisitState> {
        let now = now_millis();
        let key = (site.0, visit.as_str().to_owned());
        let beat = match (touch, plan) {
            (Touch::Heartbeat | Touch::PageView { .. }, CodePlan::Visit(request)) => Some(request),
            _ => None,
        };
        let coherent = self.coherent_generation();
        if let (Some(request), Some(generation)) = (beat, coherent)
            && let Some(code) = self.answer_from_memory(&key, touch, request.pool, now, generation)
        {
            return Ok(VisitState {
                visit: visit.clone(),
                code: u64::try_from(code).ok(),
                outcome: CodeOutcome::Kept,
                evicted: false,
                pool_number: None,
            });
        }
        let epoch = self.activity.epoch();
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let touched = mark_seen(&mut tx, site, visit, touch, now).await?;
        let intent = record_touch(&mut tx, site, &touched, touch, now).await?;
        let holder = Holder {
            site_id: site.0,
            visit_id: touched.id,
            intent_id: intent,
            visitor_key: &touched.visitor_key,
        };
        let coded = match plan {
            CodePlan::None => Coded::default(),
            CodePlan::Peek => Coded {
                code: codes::click_code(&mut tx, touched.id).await?,
                outcome: CodeOutcome::Kept,
                ..Coded::default()
            },
            CodePlan::Visit(request) => visit_code(&mut tx, &holder, &request, now, &self.activity).await?,
            CodePlan::Click(request) => click_code(&mut tx, &holder, &request, now, &self.activity).await?,
            CodePlan::Pool { idle_ms } => pool_number(&mut tx, &holder, now, idle_ms).await?,
        };
        if let (Some(pool_id), Some(evicted)) = (coded.pool_id, coded.evicted) {
            self.code_left(&mut tx, pool_id, evicted).await?;
        }
        if coded.grew {
            self.codes_grew_in(&mut tx).await?;
        }
        // A click names the visit's call element and variables are a dimension: both change
        // the visit's day in reports. Page views and heartbeats change nothing there.
        if matches!(touch, Touch::Click { .. } | Touch::SetVars { .. }) {
            StaleMarks::default()
                .visit(&mut tx, touched.id)
                .await?
                .write(&mut tx, self.report_marks())
                .await?;
        }
        tx.commit().await.map_err(backend)?;
        if coded.grew {
            self.tenants.changed();
        }
        if let (Some(request), Some(generation), Some(code), Some(pool_id)) =
            (beat, coherent, coded.code, coded.pool_id)
        {
            let held = HeldCode {
                visit_id: touched.id,
                pool: request.pool,
                pool_id,
                code: code_i64(code)?,
                idle_ms: request.policy.idle_ms,
                until_ms: now + request.policy.idle_ms,
            };
            self.activity.hold(key, held, generation, epoch);
        }
        let outcome = if coded.code.is_none() && coded.pool_number.is_none() {
            CodeOutcome::None
        } else {
            coded.outcome
        };
        Ok(VisitState {
            visit: visit.clone(),
            code: coded.code,
            outcome,
            evicted: coded.evicted.is_some() || coded.overwrote,
            pool_number: coded.pool_number,
        })
    }

    async fn visit(&self, site: SiteId, visit: &VisitRef) -> StoreResult<Visit> {
        // What this server answered from memory for it is written first: a visit reads as
        // it was last seen here.
        self.write_activity_of(site.0, visit.as_str()).await?;
        records::visit(&self.pool, site, visit).await
    }

    async fn visit_pages(&self, site: SiteId, visit: &VisitRef) -> StoreResult<Vec<PageView>> {
        self.write_activity_of(site.0, visit.as_str()).await?;
        records::pages(&self.pool, site, visit).await
    }

    async fn visit_clicks(&self, site: SiteId, visit: &VisitRef) -> StoreResult<Vec<CallIntent>> {
        records::clicks(&self.pool, site, visit).await
    }

    async fn live_code(&self, pool: PoolKey, code: u64) -> StoreResult<LiveCode> {
        codes::holder(&self.pool, pool, code).await
    }

    async fn free_code(&self, pool: PoolKey, code: u64) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let locked = lock_pool(&mut tx, pool).await?;
        let freed = allocation::release(&mut tx, &locked, code_i64(code)?, now_millis(), Only::Any).await?;
        if freed {
            self.code_left(&mut tx, locked.id, code_i64(code)?).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(freed)
    }

    async fn flush_activity(&self) -> StoreResult<u32> {
        self.write_activity().await
    }

    async fn sweep_expired(&self, now_ms: i64, limit: u32) -> StoreResult<u32> {
        // This server's unwritten beats first: a code they keep must not look expired.
        self.write_activity().await?;
        let expired: Vec<(i64, i64)> =
            sqlx::query_as("SELECT pool_id, code FROM live_codes WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2")
                .bind(now_ms)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        let mut freed = 0;
        for (pool_id, code) in expired {
            let mut tx = self.pool.begin().await.map_err(backend)?;
            let locked = allocation::lock_pool_by_id(&mut tx, pool_id).await?;
            if allocation::release(&mut tx, &locked, code, now_millis(), Only::ExpiredBy(now_ms)).await? {
                // Not announced: no server answers a code this close to its expiry from memory.
                self.activity.forget_code(pool_id, code);
                freed += 1;
            }
            tx.commit().await.map_err(backend)?;
        }
        // Pool numbers held past the idle time, in one statement (a site's pool is small).
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        freed += crate::number_pool::release_idle(&mut conn, now_ms).await?;
        Ok(freed)
    }

    async fn visit_by_temp_id(
        &self,
        site: SiteId,
        temp: &leadline_core::form::TempId,
    ) -> StoreResult<Option<VisitRef>> {
        let found: Option<String> =
            sqlx::query_scalar("SELECT public_id FROM visits WHERE site_id = $1 AND temp_id = $2 ORDER BY id LIMIT 1")
                .bind(site.0)
                .bind(temp.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        found
            .map(|v| VisitRef::parse(&v).map_err(|e| StoreError::Backend(Box::new(e))))
            .transpose()
    }

    async fn free_code_of_visit(&self, pool: PoolKey, code: u64, visit: &VisitRef) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let locked = lock_pool(&mut tx, pool).await?;
        let freed = allocation::release(
            &mut tx,
            &locked,
            code_i64(code)?,
            now_millis(),
            Only::HeldBy(visit.as_str()),
        )
        .await?;
        if freed {
            self.code_left(&mut tx, locked.id, code_i64(code)?).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(freed)
    }

    async fn reserve_code(&self, pool: PoolKey, code: u64, label: &Name) -> StoreResult<()> {
        let code = code_i64(code)?;
        // A reserved code can be keyed: the voice webhook's cached code spans are forgotten.
        self.tenant_write(async {
            let mut tx = self.pool.begin().await.map_err(backend)?;
            let locked = lock_pool(&mut tx, pool).await?;
            codes::reserve(&mut tx, &locked, code, label.as_str()).await?;
            tx.commit().await.map_err(backend)
        })
        .await
    }

    async fn live_codes_of_site(&self, site: SiteId) -> StoreResult<u64> {
        let live: Option<i64> = sqlx::query_scalar("SELECT live FROM site_live_counts WHERE site_id = $1")
            .bind(site.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        Ok(u64::try_from(live.unwrap_or(0)).unwrap_or(0))
    }
}

impl SqlStore {
    /// A heartbeat or page view answered from the ledger, if it holds the visit's code.
    fn answer_from_memory(
        &self,
        key: &(i64, String),
        touch: &Touch,
        pool: PoolKey,
        now: i64,
        generation: u64,
    ) -> Option<i64> {
        match touch {
            Touch::PageView { url, title } => {
                self.activity
                    .page_view(key, pool, now, generation, (url, title.as_deref()))
            }
            _ => self.activity.heartbeat(key, pool, now, generation),
        }
    }
}

fn code_i64(code: u64) -> StoreResult<i64> {
    i64::try_from(code).map_err(|_| StoreError::NotFound)
}

/// Updates the visit's last activity (its first statement is a write, as SQLite needs) and
/// reads what the touch needs; `NotFound` for a visit of another site.
async fn mark_seen(
    conn: &mut AnyConnection,
    site: SiteId,
    visit: &VisitRef,
    touch: &Touch,
    now: i64,
) -> StoreResult<Touched> {
    let page = i64::from(matches!(touch, Touch::PageView { .. }));
    let (id, visitor_key, custom): (i64, String, String) = sqlx::query_as(
        "UPDATE visits SET last_seen_at = $1, page_views = page_views + $2
         WHERE public_id = $3 AND site_id = $4 RETURNING id, visitor_key, custom",
    )
    .bind(now)
    .bind(page)
    .bind(visit.as_str())
    .bind(site.0)
    .fetch_one(&mut *conn)
    .await
    .map_err(not_found_or_backend)?;
    Ok(Touched {
        id,
        visitor_key,
        custom,
    })
}

/// Stores what the touch says; returns the new call intent's id for a click.
async fn record_touch(
    conn: &mut AnyConnection,
    site: SiteId,
    touched: &Touched,
    touch: &Touch,
    now: i64,
) -> StoreResult<Option<i64>> {
    match touch {
        Touch::PageView { url, title } => {
            records::insert_page_view(conn, touched.id, url, title.as_deref(), now).await?;
        }
        Touch::Heartbeat => {}
        Touch::SetVars { vars, replace } => {
            let current: BTreeMap<String, String> = serde_json::from_str(&touched.custom)
                .map_err(|e| crate::errors::corrupt(leadline_core::Invalid::new("stored variables", e.to_string())))?;
            let next = apply_vars(&current, vars, *replace)?;
            records::set_custom(conn, touched.id, &next).await?;
        }
        Touch::Click { element, url, spot } => {
            let click = PageClick {
                element: element.clone(),
                url: url.clone(),
                spot: *spot,
            };
            let intent = crate::heatmap::insert_click(conn, site, touched.id, &click, now).await?;
            records::clicked(conn, touched.id, element, url, now).await?;
            return Ok(Some(intent));
        }
    }
    Ok(None)
}

/// What a touch did to the visit's code.
struct Coded {
    code: Option<u64>,
    outcome: CodeOutcome,
    /// A code taken from another visit to stay within the site's cap.
    evicted: Option<i64>,
    /// The pool the code is in, where the touch locked or refreshed it.
    pool_id: Option<i64>,
    /// Whether the pool's codes grew a digit ([`LockedPool::grew`]).
    grew: bool,
    /// The pool number held (pool sites).
    pool_number: Option<leadline_core::E164>,
    /// The pool number was taken from another visit still holding it.
    overwrote: bool,
}

impl Default for Coded {
    fn default() -> Self {
        Self {
            code: None,
            outcome: CodeOutcome::None,
            evicted: None,
            pool_id: None,
            grew: false,
            pool_number: None,
            overwrote: false,
        }
    }
}

/// Pool sites: the visit's pool number, its hold refreshed, or one taken.
async fn pool_number(conn: &mut AnyConnection, holder: &Holder<'_>, now: i64, idle_ms: i64) -> StoreResult<Coded> {
    let Some(held) = crate::number_pool::hold(conn, holder.site_id, holder.visit_id, now, idle_ms).await? else {
        return Ok(Coded::default());
    };
    Ok(Coded {
        outcome: if held.kept {
            CodeOutcome::Kept
        } else {
            CodeOutcome::Allocated
        },
        pool_number: Some(held.number),
        overwrote: held.overwrote,
        ..Coded::default()
    })
}

/// Page-load mode: refresh the visit's code, or allocate one if it was freed meanwhile.
async fn visit_code(
    conn: &mut AnyConnection,
    holder: &Holder<'_>,
    request: &CodeRequest,
    now: i64,
    ledger: &activity::Ledger,
) -> StoreResult<Coded> {
    if let Some((pool_id, code)) = codes::refresh_visit_code(conn, holder.visit_id, request, now).await? {
        return Ok(Coded {
            code: u64::try_from(code).ok(),
            outcome: CodeOutcome::Kept,
            pool_id: Some(pool_id),
            ..Coded::default()
        });
    }
    let mut pool: LockedPool = lock_pool(conn, request.pool).await?;
    let visit_holder = Holder {
        intent_id: None,
        ..*holder
    };
    let (code, evicted) = allocate(conn, &mut pool, &visit_holder, &request.policy, now, ledger).await?;
    Ok(Coded {
        code: Some(code),
        outcome: CodeOutcome::Allocated,
        evicted,
        pool_id: Some(pool.id),
        grew: pool.grew,
        ..Coded::default()
    })
}

/// Click mode: the visit's live click code moves to the new click, else one is allocated.
async fn click_code(
    conn: &mut AnyConnection,
    holder: &Holder<'_>,
    request: &CodeRequest,
    now: i64,
    ledger: &activity::Ledger,
) -> StoreResult<Coded> {
    if let Some(code) = codes::move_click_code(conn, holder, request, now).await? {
        return Ok(Coded {
            code: Some(code),
            outcome: CodeOutcome::Kept,
            ..Coded::default()
        });
    }
    let mut pool = lock_pool(conn, request.pool).await?;
    let (code, evicted) = allocate(conn, &mut pool, holder, &request.policy, now, ledger).await?;
    Ok(Coded {
        code: Some(code),
        outcome: CodeOutcome::Allocated,
        evicted,
        pool_id: Some(pool.id),
        grew: pool.grew,
        ..Coded::default()
    })
}
