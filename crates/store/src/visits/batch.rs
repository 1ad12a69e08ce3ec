//! Group commit for registrations: registrations that arrive together are written in one
//! transaction, and each is answered only once that transaction has committed.
//!
//! A registration waits in [`Registrations`] (`group_commit.rs`); one driver task at a time
//! takes up to [`MAX_BATCH`] of those waiting and writes them together: one commit, one pass
//! over the pools' locks, and a few statements for all of a site's new visitors (`bulk.rs`).
//! When a batch fails, each of its registrations is written again alone, so one bad
//! registration fails only itself.

use super::activity::HeldCode;
use super::allocation::{Holder, LockedPool, allocate, lock_pool};
use super::{bulk, code_i64, codes, records};
use crate::SqlStore;
use crate::errors::backend;
use crate::group_commit::Waiting;
use crate::number_pool;
use crate::reports::marks::StaleMarks;
use crate::rows::now_millis;
use leadline_core::store::{StoreError, StoreResult};
use leadline_core::visit::{CodeOutcome, CodePlan, CodeRequest, NewVisit, PoolKey, VisitState};
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};

/// The most registrations one transaction writes.
pub(crate) const MAX_BATCH: usize = 64;

/// Registrations waiting for their batch's commit.
pub(crate) type Registrations = crate::group_commit::Queue<Waiting<(NewVisit, CodePlan), VisitState>>;

/// One code group of a batch: the new visits of one site in one pool under one policy.
struct Group {
    site_id: i64,
    request: CodeRequest,
    items: Vec<usize>,
}

impl SqlStore {
    /// Registers a visit in the next batch; answers once that batch has committed.
    pub(crate) async fn register_in_batch(&self, new: &NewVisit, plan: CodePlan) -> StoreResult<VisitState> {
        self.registrations
            .submit((new.clone(), plan), || {
                let store = self.clone();
                tokio::spawn(async move {
                    store
                        .registrations
                        .drive(MAX_BATCH, |batch| store.commit_batch(batch))
                        .await;
                });
            })
            .await
    }

    async fn commit_batch(&self, batch: Vec<Waiting<(NewVisit, CodePlan), VisitState>>) {
        let items: Vec<(&NewVisit, CodePlan)> = batch.iter().map(|w| (&w.item.0, w.item.1)).collect();
        let written = self.register_visits(&items).await;
        drop(items);
        match written {
            Ok(states) => {
                for (waiting, state) in batch.into_iter().zip(states) {
                    waiting.answer(Ok(state));
                }
            }
            Err(error) if batch.len() == 1 => {
                if let Some(waiting) = batch.into_iter().next() {
                    waiting.answer(Err(error));
                }
            }
            Err(_) => {
                for waiting in batch {
                    let alone = self.register_visits(&[(&waiting.item.0, waiting.item.1)]).await;
                    waiting.answer(alone.map(|mut states| states.remove(0)));
                }
            }
        }
    }

    /// Writes registrations in one transaction, as if each had been written alone in the
    /// order given; their states in the same order. Public for the conformance tests, which
    /// drive one batch at a time; the server goes through the queue.
    #[doc(hidden)]
    pub async fn register_visits(&self, items: &[(&NewVisit, CodePlan)]) -> StoreResult<Vec<VisitState>> {
        let now = now_millis();
        let (epoch, generation) = (self.activity.epoch(), self.coherent_generation());
        let mut tx = self.writers.begin().await.map_err(backend)?;
        // The pools' locks come first, in one order: on SQLite the transaction's first
        // statement must write, and on PostgreSQL two servers' batches must not deadlock.
        let mut pools = lock_pools(&mut tx, items).await?;
        let pool_sites = lock_pool_sites(&mut tx, items).await?;
        let news: Vec<&NewVisit> = items.iter().map(|(new, _)| *new).collect();
        let ids = records::insert_visits(&mut tx, &news, now).await?;
        let landing: Vec<records::PageRow<'_>> = news
            .iter()
            .zip(&ids)
            .map(|(new, id)| (*id, new.landing_url.as_str(), new.title.as_deref(), now))
            .collect();
        records::insert_pages(&mut tx, &landing).await?;
        let mut states: Vec<VisitState> = news
            .iter()
            .map(|new| VisitState {
                visit: new.public_id.clone(),
                code: None,
                outcome: CodeOutcome::None,
                evicted: false,
                pool_number: None,
            })
            .collect();
        for group in groups(items) {
            let pool = pools.get_mut(&group.request.pool).ok_or(StoreError::NotFound)?;
            self.give_codes(&mut tx, pool, &group, &news, &ids, &mut states, now)
                .await?;
        }
        for (i, (new, plan)) in items.iter().enumerate() {
            if let CodePlan::Pool { idle_ms } = plan
                && pool_sites.contains(&new.site_id.0)
                && let Some(held) = number_pool::hold(&mut tx, new.site_id.0, ids[i], now, *idle_ms).await?
            {
                states[i].outcome = CodeOutcome::Allocated;
                states[i].evicted = held.overwrote;
                states[i].pool_number = Some(held.number);
            }
        }
        let grew = pools.values().any(|pool| pool.grew);
        if grew {
            self.codes_grew_in(&mut tx).await?;
        }
        let marks = news
            .iter()
            .fold(StaleMarks::default(), |marks, new| marks.at(new.site_id.0, now));
        marks.write(&mut tx, self.report_marks()).await?;
        tx.commit().await.map_err(backend)?;
        if grew {
            self.tenants.changed();
        }
        if let Some(generation) = generation {
            self.hold_registered(items, &ids, &states, &pools, (generation, epoch), now)?;
        }
        Ok(states)
    }

    /// Leaves the codes just handed out in the ledger: a visit's first heartbeat or page view
    /// is answered from memory.
    fn hold_registered(
        &self,
        items: &[(&NewVisit, CodePlan)],
        ids: &[i64],
        states: &[VisitState],
        pools: &HashMap<PoolKey, LockedPool>,
        (generation, epoch): (u64, u64),
        now: i64,
    ) -> StoreResult<()> {
        for (i, (new, plan)) in items.iter().enumerate() {
            let (CodePlan::Visit(request), Some(code)) = (plan, states[i].code) else {
                continue;
            };
            let Some(pool) = pools.get(&request.pool) else {
                continue;
            };
            let held = HeldCode {
                visit_id: ids[i],
                pool: request.pool,
                pool_id: pool.id,
                code: code_i64(code)?,
                idle_ms: request.policy.idle_ms,
                until_ms: now + request.policy.idle_ms,
            };
            let key = (new.site_id.0, new.public_id.as_str().to_owned());
            self.activity.hold(key, held, generation, epoch);
        }
        Ok(())
    }

    /// Codes for one group: the first visit of each new visitor takes one of the smallest
    /// free codes together, when the site's cap leaves room for all; the others (returning
    /// visitors, a visitor's second visit in the batch, a site at its cap) one by one.
    #[allow(clippy::too_many_arguments)]
    async fn give_codes(
        &self,
        conn: &mut AnyConnection,
        pool: &mut LockedPool,
        group: &Group,
        news: &[&NewVisit],
        ids: &[i64],
        states: &mut [VisitState],
        now: i64,
    ) -> StoreResult<()> {
        let holder = |i: usize| Holder {
            site_id: group.site_id,
            visit_id: ids[i],
            intent_id: None,
            visitor_key: news[i].visitor_key.as_str(),
        };
        let keys: Vec<&str> = group.items.iter().map(|&i| news[i].visitor_key.as_str()).collect();
        let returning = bulk::returning_visitors(conn, group.site_id, pool, &keys).await?;
        let mut seen = HashSet::new();
        let (fresh, mut alone): (Vec<usize>, Vec<usize>) = group.items.iter().partition(|&&i| {
            !returning.contains(news[i].visitor_key.as_str()) && seen.insert(news[i].visitor_key.as_str())
        });
        let policy = &group.request.policy;
        let room = i64::from(policy.max_live) - bulk::live_count(conn, group.site_id).await?;
        if i64::try_from(fresh.len()).unwrap_or(i64::MAX) <= room {
            let holders: Vec<Holder<'_>> = fresh.iter().map(|&i| holder(i)).collect();
            let codes = bulk::allocate_many(conn, pool, &holders, policy, now).await?;
            for (&i, code) in fresh.iter().zip(codes) {
                states[i].code = u64::try_from(code).ok();
                states[i].outcome = CodeOutcome::Allocated;
            }
        } else {
            alone.extend(fresh);
            alone.sort_unstable();
        }
        for i in alone {
            self.code_alone(conn, pool, &holder(i), &group.request, &mut states[i], now)
                .await?;
        }
        Ok(())
    }

    /// One visit's code as a registration alone takes it: a returning visitor's live code,
    /// or a new one (evicting the site's idlest when it is at its cap).
    async fn code_alone(
        &self,
        conn: &mut AnyConnection,
        pool: &mut LockedPool,
        holder: &Holder<'_>,
        request: &CodeRequest,
        state: &mut VisitState,
        now: i64,
    ) -> StoreResult<()> {
        let (site, key, visit) = (holder.site_id, holder.visitor_key, holder.visit_id);
        if let Some(code) = codes::adopt_returning(conn, pool, site, key, visit, request, now).await? {
            // The code leaves the visitor's earlier visit: no server answers it from memory.
            self.code_left(conn, pool.id, code_i64(code)?).await?;
            state.code = Some(code);
            state.outcome = CodeOutcome::Returning;
            return Ok(());
        }
        let (code, evicted) = allocate(conn, pool, holder, &request.policy, now, &self.activity).await?;
        if let Some(evicted) = evicted {
            self.code_left(conn, pool.id, evicted).await?;
        }
        state.code = Some(code);
        state.outcome = CodeOutcome::Allocated;
        state.evicted = evicted.is_some();
        Ok(())
    }
}

/// Locks every pool the batch allocates from, ordered by number and selector.
async fn lock_pools(
    conn: &mut AnyConnection,
    items: &[(&NewVisit, CodePlan)],
) -> StoreResult<HashMap<PoolKey, LockedPool>> {
    let mut keys: Vec<PoolKey> = items
        .iter()
        .filter_map(|(_, plan)| match plan {
            CodePlan::Visit(request) => Some(request.pool),
            _ => None,
        })
        .collect();
    keys.sort_by(|a, b| (a.number.0, a.selector.as_str()).cmp(&(b.number.0, b.selector.as_str())));
    keys.dedup();
    let mut pools = HashMap::with_capacity(keys.len());
    for key in keys {
        pools.insert(key, lock_pool(conn, key).await?);
    }
    Ok(pools)
}

/// Locks the pools of the batch's number-pool sites, in site order (two servers' batches
/// must not deadlock); answers those sites.
async fn lock_pool_sites(conn: &mut AnyConnection, items: &[(&NewVisit, CodePlan)]) -> StoreResult<Vec<i64>> {
    let mut sites: Vec<i64> = items
        .iter()
        .filter(|(_, plan)| matches!(plan, CodePlan::Pool { .. }))
        .map(|(new, _)| new.site_id.0)
        .collect();
    sites.sort_unstable();
    sites.dedup();
    for &site in &sites {
        number_pool::lock_site(conn, site).await?;
    }
    Ok(sites)
}

/// The batch's visits that take a code (page-load mode), grouped by site, pool and policy,
/// each group in arrival order.
fn groups(items: &[(&NewVisit, CodePlan)]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for (i, (new, plan)) in items.iter().enumerate() {
        let CodePlan::Visit(request) = plan else {
            continue;
        };
        let site_id = new.site_id.0;
        let same = |g: &&mut Group| g.site_id == site_id && g.request == *request;
        match groups.iter_mut().find(same) {
            Some(group) => group.items.push(i),
            None => groups.push(Group {
                site_id,
                request: *request,
                items: vec![i],
            }),
        }
    }
    groups
}
