//! Heartbeats without a write each. Every open tab beats once a minute; writing each beat
//! would make the database, not the machine, the limit on how many pages a server carries.
//!
//! A heartbeat that went through the database leaves its visit's live code here (`hold`).
//! The next heartbeat of that visit on this server is answered from memory (`heartbeat`) and
//! noted as pending; [`SqlStore::flush_activity`], run at least every second by the server's
//! job and before every sweep, writes all pending activity in one transaction (the visits'
//! `last_seen_at`, the codes' idle time) and learns which codes are still held. A crash loses
//! at most that second of activity, never a registration, call or form.
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

use crate::errors::backend;
use crate::{Engine, SqlStore};
use leadline_core::store::StoreResult;
use leadline_core::visit::PoolKey;
use sqlx::AnyConnection;
use std::collections::HashMap;
use std::sync::Mutex;

/// The PostgreSQL channel on which a freed or moved code is announced (`pool_id:code`).
pub(crate) const CHANNEL: &str = "leadline_codes";
/// A code is answered from memory only while its database expiry is further away than this:
/// far more than the flush interval, so no sweep can come between a beat and its write.
pub(crate) const SWEEP_MARGIN_MS: i64 = 15_000;
/// Visits written per statement (three parameters each).
const FLUSH_CHUNK: usize = 500;

/// Visits held at most; past it the ledger is emptied (they go through the database again).
const CAPACITY: usize = 200_000;

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
        let mut inner = self.lock();
        let visit_id = *inner.by_key.get(key)?;
        let held = inner.held.get(&visit_id)?;
        if held.pool != pool || held.generation != generation || now_ms >= held.until_ms - SWEEP_MARGIN_MS {
            return None;
        }
        let pending = Pending {
            visit_id,
            seen_ms: now_ms,
            idle_ms: held.idle_ms,
        };
        let code = held.code;
        inner.pending.insert(visit_id, pending);
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

    /// Takes every pending beat, to be written.
    pub(crate) fn take_pending(&self) -> Vec<Pending> {
        self.lock().pending.drain().map(|(_, p)| p).collect()
    }

    /// Every pending beat, left pending: written by an eviction inside its own transaction
    /// (so the longest idle code is chosen by activity this server has seen) and again, at no
    /// harm, by the next flush.
    pub(crate) fn pending_now(&self) -> Vec<Pending> {
        self.lock().pending.values().copied().collect()
    }

    /// Puts back beats whose write failed (a newer beat of the same visit wins).
    pub(crate) fn restore_pending(&self, beats: Vec<Pending>) {
        let mut inner = self.lock();
        for beat in beats {
            inner.pending.entry(beat.visit_id).or_insert(beat);
        }
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

/// A visit's live page-load code as a flush found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NowHeld {
    pub pool_id: i64,
    pub code: i64,
    pub until_ms: i64,
}

impl SqlStore {
    /// A page-load code left its visit (freed, evicted, moved to a returning visitor's new
    /// visit): forgotten here now and, on PostgreSQL, announced to every server at commit.
    pub(crate) async fn code_left(&self, conn: &mut AnyConnection, pool_id: i64, code: i64) -> StoreResult<()> {
        self.activity.forget_code(pool_id, code);
        if self.engine == Engine::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(format!("{pool_id}:{code}"))
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
        }
        Ok(())
    }

    /// Writes every pending heartbeat: the visits' last activity and their codes' idle time,
    /// in one transaction, and learns which codes the visits still hold. Returns how many
    /// visits were written. On failure the beats wait for the next flush.
    pub(crate) async fn write_activity(&self) -> StoreResult<u32> {
        let beats = self.activity.take_pending();
        if beats.is_empty() {
            return Ok(0);
        }
        match self.write_beats(&beats).await {
            Ok(held) => {
                for beat in &beats {
                    self.activity.confirm(beat.visit_id, held.get(&beat.visit_id).copied());
                }
                Ok(u32::try_from(beats.len()).unwrap_or(u32::MAX))
            }
            Err(e) => {
                self.activity.restore_pending(beats);
                Err(e)
            }
        }
    }

    async fn write_beats(&self, beats: &[Pending]) -> StoreResult<HashMap<i64, NowHeld>> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let held = write_beats_on(&mut tx, beats).await?;
        tx.commit().await.map_err(backend)?;
        Ok(held)
    }
}

/// Writes `beats` inside the caller's transaction; returns each visit's code as it stands.
pub(crate) async fn write_beats_on(conn: &mut AnyConnection, beats: &[Pending]) -> StoreResult<HashMap<i64, NowHeld>> {
    let mut held = HashMap::with_capacity(beats.len());
    for chunk in beats.chunks(FLUSH_CHUNK) {
        let values = values_list(chunk.len());
        let seen_sql = format!(
            "WITH beats (visit_id, seen, until_at) AS (VALUES {values})
             UPDATE visits SET last_seen_at = beats.seen FROM beats
             WHERE visits.id = beats.visit_id AND visits.last_seen_at < beats.seen"
        );
        let mut seen = sqlx::query(&seen_sql);
        for beat in chunk {
            seen = seen
                .bind(beat.visit_id)
                .bind(beat.seen_ms)
                .bind(beat.seen_ms + beat.idle_ms);
        }
        seen.execute(&mut *conn).await.map_err(backend)?;
        let codes_sql = format!(
            "WITH beats (visit_id, seen, until_at) AS (VALUES {values})
             UPDATE live_codes SET
                 last_activity_at = CASE WHEN live_codes.last_activity_at < beats.seen
                     THEN beats.seen ELSE live_codes.last_activity_at END,
                 expires_at = CASE WHEN live_codes.expires_at < beats.until_at
                     THEN beats.until_at ELSE live_codes.expires_at END
             FROM beats WHERE live_codes.visit_id = beats.visit_id AND live_codes.intent_id IS NULL
             RETURNING live_codes.visit_id, live_codes.pool_id, live_codes.code, live_codes.expires_at"
        );
        let mut codes = sqlx::query_as::<_, (i64, i64, i64, i64)>(&codes_sql);
        for beat in chunk {
            codes = codes
                .bind(beat.visit_id)
                .bind(beat.seen_ms)
                .bind(beat.seen_ms + beat.idle_ms);
        }
        for (visit_id, pool_id, code, until_ms) in codes.fetch_all(&mut *conn).await.map_err(backend)? {
            held.insert(
                visit_id,
                NowHeld {
                    pool_id,
                    code,
                    until_ms,
                },
            );
        }
    }
    Ok(held)
}

/// `(CAST($1 AS BIGINT), …), …` for `rows` rows of three numbers: typed, so that PostgreSQL
/// compares them with the columns as numbers.
fn values_list(rows: usize) -> String {
    (0..rows)
        .map(|row| {
            let n = row * 3;
            format!(
                "(CAST(${} AS BIGINT), CAST(${} AS BIGINT), CAST(${} AS BIGINT))",
                n + 1,
                n + 2,
                n + 3
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
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
        let pending = ledger.take_pending();
        assert_eq!(
            pending,
            vec![Pending {
                visit_id: 1,
                seen_ms: 50_000,
                idle_ms: 60_000
            }]
        );
        assert!(ledger.take_pending().is_empty());
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
        assert_eq!(ledger.take_pending()[0].seen_ms, 20_000);
    }

    #[test]
    fn a_values_list_numbers_its_parameters_in_order() {
        assert_eq!(
            values_list(2),
            "(CAST($1 AS BIGINT), CAST($2 AS BIGINT), CAST($3 AS BIGINT)), \
             (CAST($4 AS BIGINT), CAST($5 AS BIGINT), CAST($6 AS BIGINT))"
        );
    }
}
