//! Writing the activity answered from memory: every pending beat and page view in one
//! transaction, and what the database says each visit holds now.

use super::{CHANNEL, Pending, Unwritten};
use crate::errors::backend;
use crate::params::Params;
use crate::visits::records::{PageRow, insert_pages};
use crate::{Engine, SqlStore};
use leadline_core::store::{StoreError, StoreResult};
use sqlx::any::AnyArguments;
use sqlx::{AnyConnection, Arguments};
use std::collections::HashMap;

/// Visits written per statement (four parameters each).
const FLUSH_CHUNK: usize = 500;

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

    /// Writes every pending beat and page view: the visits' last activity and page counts,
    /// their pages and their codes' idle time, in one transaction, and learns which codes the
    /// visits still hold. Returns how many visits were written. On failure everything waits
    /// for the next flush.
    pub(crate) async fn write_activity(&self) -> StoreResult<u32> {
        self.write_taken(self.activity.take_pending()).await
    }

    /// Writes the pending activity of one visit (site and public id), if this server has
    /// any: a visit read here reads as it was last seen here, and no other visit's activity
    /// is written for it.
    pub(crate) async fn write_activity_of(&self, site: i64, visit: &str) -> StoreResult<()> {
        let key = (site, visit.to_owned());
        self.write_taken(self.activity.take_pending_of(&key)).await.map(|_| ())
    }

    async fn write_taken(&self, unwritten: Unwritten) -> StoreResult<u32> {
        if unwritten.beats.is_empty() && unwritten.pages.is_empty() {
            return Ok(0);
        }
        match self.write_unwritten(&unwritten).await {
            Ok(held) => {
                for beat in &unwritten.beats {
                    self.activity.confirm(beat.visit_id, held.get(&beat.visit_id).copied());
                }
                Ok(u32::try_from(unwritten.beats.len()).unwrap_or(u32::MAX))
            }
            Err(e) => {
                self.activity.restore_pending(unwritten);
                Err(e)
            }
        }
    }

    async fn write_unwritten(&self, unwritten: &Unwritten) -> StoreResult<HashMap<i64, NowHeld>> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let held = write_beats_on(&mut tx, &unwritten.beats).await?;
        let pages: Vec<PageRow<'_>> = unwritten
            .pages
            .iter()
            .map(|p| (p.visit_id, p.url.as_str(), p.title.as_deref(), p.at_ms))
            .collect();
        insert_pages(&mut tx, &pages).await?;
        tx.commit().await.map_err(backend)?;
        Ok(held)
    }
}

/// Writes `beats` inside the caller's transaction, never moving a time back; returns each
/// visit's code as it stands.
pub(crate) async fn write_beats_on(conn: &mut AnyConnection, beats: &[Pending]) -> StoreResult<HashMap<i64, NowHeld>> {
    let mut held = HashMap::with_capacity(beats.len());
    for chunk in beats.chunks(FLUSH_CHUNK) {
        let seen_sql = format!(
            "WITH beats (visit_id, seen, until_at, pages) AS (VALUES {})
             UPDATE visits SET
                 last_seen_at = CASE WHEN visits.last_seen_at < beats.seen
                     THEN beats.seen ELSE visits.last_seen_at END,
                 page_views = visits.page_views + beats.pages
             FROM beats WHERE visits.id = beats.visit_id",
            values_list(conn, chunk.len())
        );
        sqlx::query_with(&seen_sql, beat_arguments(chunk)?)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        let codes_sql = format!(
            "WITH beats (visit_id, seen, until_at, pages) AS (VALUES {})
             UPDATE live_codes SET
                 last_activity_at = CASE WHEN live_codes.last_activity_at < beats.seen
                     THEN beats.seen ELSE live_codes.last_activity_at END,
                 expires_at = CASE WHEN live_codes.expires_at < beats.until_at
                     THEN beats.until_at ELSE live_codes.expires_at END
             FROM beats WHERE live_codes.visit_id = beats.visit_id AND live_codes.intent_id IS NULL
             RETURNING live_codes.visit_id, live_codes.pool_id, live_codes.code, live_codes.expires_at",
            values_list(conn, chunk.len())
        );
        let codes = sqlx::query_as_with::<_, (i64, i64, i64, i64), _>(&codes_sql, beat_arguments(chunk)?);
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

/// The rows of `beats (visit_id, seen, until_at, pages)`, bound in order.
fn beat_arguments(beats: &[Pending]) -> StoreResult<AnyArguments<'static>> {
    let mut arguments = AnyArguments::default();
    for beat in beats {
        for value in [beat.visit_id, beat.seen_ms, beat.seen_ms + beat.idle_ms, beat.pages] {
            arguments.add(value).map_err(StoreError::Backend)?;
        }
    }
    Ok(arguments)
}

/// `(CAST($1 AS BIGINT), …), …` for `rows` rows of four numbers: typed, so that PostgreSQL
/// compares them with the columns as numbers.
fn values_list(conn: &AnyConnection, rows: usize) -> String {
    Params::on(conn).rows(rows, 4, "CAST({} AS BIGINT)")
}
