//! Heartbeats and page views without a write each. Every open tab beats once a minute and
//! every click through a site shows a page; writing each would make the database, not the
//! machine, the limit on how many pages a server carries.
//!
//! A registration or a touch that went through the database leaves its visit's live code here
//! (`hold`). The next heartbeats and page views of that visit on this server are answered from
//! memory (`heartbeat`, `page_view`) and noted as pending; [`SqlStore::flush_activity`], run at
//! least every second by the server's job and before every sweep, writes all pending activity
//! in one transaction (the visits' `last_seen_at` and page counts, their pages, the codes'
//! idle time: `flush.rs`) and learns which codes are still held. A crash loses at most that
//! second of activity, never a registration, call or form.
//!
//! Safety of a code answered from memory:
//! - it is answered only while the database's own expiry of the code is more than
//!   [`SWEEP_MARGIN_MS`] away, so the pending activity is written long before any server's
//!   sweeper could free the code: a code is freed only when no server has seen activity within
//!   the idle time;
//! - a code freed, evicted or moved to another visit is forgotten at once on this server and,
//!   on PostgreSQL, on every server (`NOTIFY leadline_codes`, heard by `live.rs`);
//! - on PostgreSQL nothing is answered from memory while that `LISTEN` connection is down,
//!   and everything held is forgotten when it reconnects (the tenant cache's generation).

mod flush;

pub(crate) use flush::{NowHeld, write_beats_on};
use leadline_core::visit::PoolKey;
use std::collections::HashMap;
use std::sync::Mutex;

/// The PostgreSQL channel on which a freed or moved code is announced (`pool_id:code`).
pub(crate) const CHANNEL: &str = "leadline_codes";
/// A code is answered from memory only while its database expiry is further away than this:
/// far more than the flush interval, so no sweep can come between a beat and its write.
pub(crate) const SWEEP_MARGIN_MS: i64 = 15_000;
/// Visits held at most; past it the ledger is emptied (they go through the database again).
const CAPACITY: usize = 200_000;
/// Page views waiting at most; past it page views go through the database until the flush.
const PAGES_WAITING: usize = 50_000;

/// A visit as the hot path names it: its site and public id.
type VisitKey = (i64, String);

/// What a heartbeat through the database taught this server about a visit.
#[derive(Debug, Clone)]
struct Held {
    key: VisitKey,
    pool: PoolKey,
    pool_id: i64,
    code: i64,
    idle_ms: i64,
    /// When the database's copy of the code expires, as last seen.
    until_ms: i64,
    generation: u64,
}

/// One visit's activity not yet written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pending {
    pub visit_id: i64,
    pub seen_ms: i64,
    pub idle_ms: i64,
    /// Page views among it, added to the visit's count when written.
    pub pages: i64,
}

/// A page view answered from memory, not yet written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PendingPage {
    pub visit_id: i64,
    pub url: String,
    pub title: Option<String>,
    pub at_ms: i64,
}

/// Everything answered from memory and not yet written.
#[derive(Debug, Default)]
pub(crate) struct Unwritten {
    pub beats: Vec<Pending>,
    /// In the order they were seen.
    pub pages: Vec<PendingPage>,
}

/// A visit's code as the database holds it after a heartbeat through it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeldCode {
    pub visit_id: i64,
    pub pool: PoolKey,
    pub pool_id: i64,
    pub code: i64,
    pub idle_ms: i64,
    pub until_ms: i64,
}

#[derive(Debug, Default)]
struct Inner {
    /// By visit id.
    held: HashMap<i64, Held>,
    by_key: HashMap<VisitKey, i64>,
    by_code: HashMap<(i64, i64), i64>,
    pending: HashMap<i64, Pending>,
    pages: Vec<PendingPage>,
    /// Moves on with every code forgotten: a heartbeat through the database that began
    /// before a code was forgotten must not hold it afterwards.
    epoch: u64,
}

impl Inner {
    fn drop_held(&mut self, visit_id: i64) {
        if let Some(held) = self.held.remove(&visit_id) {
            self.by_key.remove(&held.key);
            self.by_code.remove(&(held.pool_id, held.code));
        }
    }
}

/// The server's memory of visits' codes and their unwritten activity.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    inner: Mutex<Inner>,
}

impl Ledger {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Answers a heartbeat from memory: the visit's code, when it is held here for `pool`,
    /// in `generation`, with its database expiry safely ahead; the beat is then pending.
    pub(crate) fn heartbeat(&self, key: &VisitKey, pool: PoolKey, now_ms: i64, generation: u64) -> Option<i64> {
        self.seen(key, pool, now_ms, generation, None)
    }

    /// Answers a page view from memory, as [`Ledger::heartbeat`] does; the page waits with
    /// the beat (unless too many pages wait already: then it goes through the database).
    pub(crate) fn page_view(
        &self,
        key: &VisitKey,
        pool: PoolKey,
        now_ms: i64,
        generation: u64,
        page: (&str, Option<&str>),
    ) -> Option<i64> {
        self.seen(key, pool, now_ms, generation, Some(page))
    }

    fn seen(
        &self,
        key: &VisitKey,
        pool: PoolKey,
        now_ms: i64,
        generation: u64,
        page: Option<(&str, Option<&str>)>,
    ) -> Option<i64> {
        let mut inner = self.lock();
        let visit_id = *inner.by_key.get(key)?;
        let held = inner.held.get(&visit_id)?;
        if held.pool != pool || held.generation != generation || now_ms >= held.until_ms - SWEEP_MARGIN_MS {
            return None;
        }
        if page.is_some() && inner.pages.len() >= PAGES_WAITING {
            return None;
        }
        let (code, idle_ms) = (held.code, held.idle_ms);
        let pages = i64::from(page.is_some());
        let pending = inner.pending.entry(visit_id).or_insert(Pending {
            visit_id,
            seen_ms: now_ms,
            idle_ms,
            pages: 0,
        });
        pending.seen_ms = pending.seen_ms.max(now_ms);
        pending.idle_ms = idle_ms;
        pending.pages += pages;
        if let Some((url, title)) = page {
            inner.pages.push(PendingPage {
                visit_id,
                url: url.to_owned(),
                title: title.map(str::to_owned),
                at_ms: now_ms,
            });
        }
        Some(code)
    }

    /// Where forgetting has got to: taken before a heartbeat goes through the database.
    pub(crate) fn epoch(&self) -> u64 {
        self.lock().epoch
    }

    /// Remembers a visit's code as the database had it for a heartbeat that began at `epoch`
    /// (nothing, if a code was forgotten since: it may have been this one).
    pub(crate) fn hold(&self, key: VisitKey, code: HeldCode, generation: u64, epoch: u64) {
        let mut inner = self.lock();
        if inner.epoch != epoch {
            return;
        }
        if inner.held.len() >= CAPACITY && !inner.held.contains_key(&code.visit_id) {
            inner.held.clear();
            inner.by_key.clear();
            inner.by_code.clear();
        }
        inner.drop_held(code.visit_id);
        if let Some(other) = inner.by_code.get(&(code.pool_id, code.code)).copied() {
            inner.drop_held(other);
        }
        inner.by_key.insert(key.clone(), code.visit_id);
        inner.by_code.insert((code.pool_id, code.code), code.visit_id);
        inner.held.insert(
            code.visit_id,
            Held {
                key,
                pool: code.pool,
                pool_id: code.pool_id,
                code: code.code,
                idle_ms: code.idle_ms,
                until_ms: code.until_ms,
                generation,
            },
        );
    }

    /// A code was freed, evicted or moved: whoever held it here is answered through the
    /// database next time. (Its pending activity stays: it is still the visit's.)
    pub(crate) fn forget_code(&self, pool_id: i64, code: i64) {
        let mut inner = self.lock();
        inner.epoch += 1;
        if let Some(visit_id) = inner.by_code.get(&(pool_id, code)).copied() {
            inner.drop_held(visit_id);
        }
    }

    /// Takes every pending beat and page, to be written.
    pub(crate) fn take_pending(&self) -> Unwritten {
        let mut inner = self.lock();
        Unwritten {
            beats: inner.pending.drain().map(|(_, p)| p).collect(),
            pages: std::mem::take(&mut inner.pages),
        }
    }

    /// The pending beat and pages of the visit `key` names, when this server holds its code:
    /// taken to be written before the visit is read.
    pub(crate) fn take_pending_of(&self, key: &VisitKey) -> Unwritten {
        let mut inner = self.lock();
        let Some(visit_id) = inner.by_key.get(key).copied() else {
            return Unwritten::default();
        };
        let beats = inner.pending.remove(&visit_id).into_iter().collect();
        let (pages, others) = std::mem::take(&mut inner.pages)
            .into_iter()
            .partition(|page| page.visit_id == visit_id);
        inner.pages = others;
        Unwritten { beats, pages }
    }

    /// Every pending beat of `site`, left pending and without its pages: written by an
    /// eviction inside its own transaction (so the longest idle code is chosen by activity
    /// this server has seen) and again, at no harm, by the next flush.
    pub(crate) fn pending_now(&self, site_id: i64) -> Vec<Pending> {
        let inner = self.lock();
        inner
            .pending
            .values()
            .filter(|p| inner.held.get(&p.visit_id).is_some_and(|h| h.key.0 == site_id))
            .map(|p| Pending { pages: 0, ..*p })
            .collect()
    }

    /// Puts back what failed to be written: beats merge with newer ones of the same visit,
    /// pages go back before the newer ones.
    pub(crate) fn restore_pending(&self, failed: Unwritten) {
        let mut inner = self.lock();
        for beat in failed.beats {
            let pending = inner
                .pending
                .entry(beat.visit_id)
                .or_insert(Pending { pages: 0, ..beat });
            pending.seen_ms = pending.seen_ms.max(beat.seen_ms);
            pending.pages += beat.pages;
        }
        let newer = std::mem::replace(&mut inner.pages, failed.pages);
        inner.pages.extend(newer);
    }

    /// After a write: the visit's code as the database holds it now (`None`: it holds none).
    /// A held code that changed or vanished is forgotten; one that is the same runs on.
    pub(crate) fn confirm(&self, visit_id: i64, now_held: Option<NowHeld>) {
        let mut inner = self.lock();
        let Some(held) = inner.held.get_mut(&visit_id) else {
            return;
        };
        match now_held {
            Some(now) if now.pool_id == held.pool_id && now.code == held.code => {
                held.until_ms = held.until_ms.max(now.until_ms);
            }
            _ => inner.drop_held(visit_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadline_core::NumberId;
    use leadline_core::visit::Selector;

    const POOL: PoolKey = PoolKey {
        number: NumberId(1),
        selector: Selector::Plain,
    };

    fn key(visit: &str) -> VisitKey {
        (1, visit.to_owned())
    }

    fn code(visit_id: i64, code: i64, until_ms: i64) -> HeldCode {
        HeldCode {
            visit_id,
            pool: POOL,
            pool_id: 9,
            code,
            idle_ms: 60_000,
            until_ms,
        }
    }

    #[test]
    fn a_held_code_answers_beats_until_its_expiry_is_within_the_margin() {
        let ledger = Ledger::default();
        ledger.hold(key("v1"), code(1, 42, 100_000), 0, ledger.epoch());
        assert_eq!(ledger.heartbeat(&key("v1"), POOL, 50_000, 0), Some(42));
        assert_eq!(ledger.heartbeat(&key("v1"), POOL, 100_000 - SWEEP_MARGIN_MS, 0), None);
        assert_eq!(ledger.heartbeat(&key("v2"), POOL, 50_000, 0), None, "never held");
        assert_eq!(
            ledger.heartbeat(&key("v1"), POOL, 50_000, 1),
            None,
            "another generation"
        );
        let pending = ledger.take_pending().beats;
        assert_eq!(
            pending,
            vec![Pending {
                visit_id: 1,
                seen_ms: 50_000,
                idle_ms: 60_000,
                pages: 0,
            }]
        );
        assert!(ledger.take_pending().beats.is_empty());
    }

    #[test]
    fn a_forgotten_code_is_not_answered_nor_held_by_a_beat_that_began_before() {
        let ledger = Ledger::default();
        let before = ledger.epoch();
        ledger.hold(key("v1"), code(1, 42, 100_000), 0, before);
        ledger.forget_code(9, 42);
        assert_eq!(ledger.heartbeat(&key("v1"), POOL, 50_000, 0), None);
        ledger.hold(key("v1"), code(1, 42, 100_000), 0, before);
        assert_eq!(
            ledger.heartbeat(&key("v1"), POOL, 50_000, 0),
            None,
            "held after the forget"
        );
        ledger.hold(key("v1"), code(1, 43, 100_000), 0, ledger.epoch());
        assert_eq!(ledger.heartbeat(&key("v1"), POOL, 50_000, 0), Some(43));
    }

    #[test]
    fn a_flush_extends_a_code_still_held_and_forgets_one_that_changed() {
        let ledger = Ledger::default();
        ledger.hold(key("v1"), code(1, 42, 100_000), 0, ledger.epoch());
        ledger.hold(key("v2"), code(2, 43, 100_000), 0, ledger.epoch());
        let now = |code, until_ms| {
            Some(NowHeld {
                pool_id: 9,
                code,
                until_ms,
            })
        };
        ledger.confirm(1, now(42, 500_000));
        ledger.confirm(2, now(7, 500_000));
        assert_eq!(ledger.heartbeat(&key("v1"), POOL, 400_000, 0), Some(42));
        assert_eq!(ledger.heartbeat(&key("v2"), POOL, 50_000, 0), None);
        ledger.confirm(1, None);
        assert_eq!(ledger.heartbeat(&key("v1"), POOL, 50_000, 0), None);
    }

    #[test]
    fn beats_that_failed_to_be_written_wait_for_the_next_flush_unless_a_newer_one_came() {
        let ledger = Ledger::default();
        ledger.hold(key("v1"), code(1, 42, 100_000), 0, ledger.epoch());
        ledger.heartbeat(&key("v1"), POOL, 10_000, 0);
        let failed = ledger.take_pending();
        ledger.heartbeat(&key("v1"), POOL, 20_000, 0);
        ledger.restore_pending(failed);
        assert_eq!(ledger.take_pending().beats[0].seen_ms, 20_000);
    }

    #[test]
    fn page_views_wait_in_order_with_their_count_and_come_back_first_when_a_write_fails() {
        let ledger = Ledger::default();
        ledger.hold(key("v1"), code(1, 42, 100_000), 0, ledger.epoch());
        assert_eq!(
            ledger.page_view(&key("v1"), POOL, 10_000, 0, ("/a", Some("A"))),
            Some(42)
        );
        ledger.heartbeat(&key("v1"), POOL, 15_000, 0);
        ledger.page_view(&key("v1"), POOL, 20_000, 0, ("/b", None));
        let failed = ledger.take_pending();
        assert_eq!((failed.beats[0].pages, failed.beats[0].seen_ms), (2, 20_000));
        let urls: Vec<&str> = failed.pages.iter().map(|p| p.url.as_str()).collect();
        assert_eq!(urls, ["/a", "/b"]);
        ledger.page_view(&key("v1"), POOL, 30_000, 0, ("/c", None));
        ledger.restore_pending(failed);
        let again = ledger.take_pending();
        assert_eq!((again.beats[0].pages, again.beats[0].seen_ms), (3, 30_000));
        let urls: Vec<&str> = again.pages.iter().map(|p| p.url.as_str()).collect();
        assert_eq!(urls, ["/a", "/b", "/c"]);
    }

    #[test]
    fn a_visit_read_takes_only_its_own_pending_activity() {
        let ledger = Ledger::default();
        ledger.hold(key("v1"), code(1, 42, 100_000), 0, ledger.epoch());
        ledger.hold(key("v2"), code(2, 43, 100_000), 0, ledger.epoch());
        ledger.page_view(&key("v1"), POOL, 10_000, 0, ("/a", None));
        ledger.page_view(&key("v2"), POOL, 10_000, 0, ("/b", None));
        let taken = ledger.take_pending_of(&key("v1"));
        assert_eq!((taken.beats.len(), taken.pages[0].url.as_str()), (1, "/a"));
        let rest = ledger.take_pending();
        assert_eq!((rest.beats[0].visit_id, rest.pages.len()), (2, 1), "v2's stays pending");
        assert!(ledger.take_pending_of(&key("v9")).beats.is_empty(), "never held");
    }

    #[test]
    fn an_eviction_writes_only_its_own_sites_beats_and_never_their_pages() {
        let ledger = Ledger::default();
        ledger.hold(key("v1"), code(1, 42, 100_000), 0, ledger.epoch());
        ledger.hold((2, "v2".to_owned()), code(2, 43, 100_000), 0, ledger.epoch());
        ledger.page_view(&key("v1"), POOL, 10_000, 0, ("/a", None));
        ledger.heartbeat(&(2, "v2".to_owned()), POOL, 10_000, 0);
        let now = ledger.pending_now(1);
        assert_eq!(now.len(), 1);
        assert_eq!(
            (now[0].visit_id, now[0].pages),
            (1, 0),
            "the pages are counted by the flush"
        );
        assert_eq!(ledger.take_pending().pages.len(), 1, "still pending");
    }
}
