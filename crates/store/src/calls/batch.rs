//! Group commit for new calls: the gathers that arrive together open their calls in one
//! transaction, and each provider request is answered only once that transaction has
//! committed, so an answered call is never lost.
//!
//! A call's opening waits in [`NewCalls`] (`group_commit.rs`); one driver task at a time takes
//! up to [`MAX_BATCH`] of those waiting. Every call used to be its own transaction holding its
//! business's ref counter, so a business's calls were written one after the other; a batch
//! takes the counter once for all of them and writes their leads and rows a statement each
//! (`bulk.rs`). When a batch fails, each of its calls is opened again alone, so one bad call
//! fails only itself and a provider's retry racing its first request gets that call.

use super::bulk::Opened;
use super::{SELECT, call};
use crate::SqlStore;
use crate::errors::backend;
use crate::group_commit::Waiting;
use crate::params::Params;
use crate::rows::now_millis;
use leadline_core::call::{Call, CallKey, NewCall};
use leadline_core::store::{CallStore, StoreError, StoreResult};
use sqlx::{AnyConnection, Connection};
use std::collections::HashMap;

/// The most calls one transaction opens.
pub(crate) const MAX_BATCH: usize = 64;

/// Calls waiting for their batch's commit.
pub(crate) type NewCalls = crate::group_commit::Queue<Waiting<NewCall, Call>>;

impl SqlStore {
    /// Opens a call in the next batch; answers once that batch has committed.
    pub(super) async fn open_in_batch(&self, new: &NewCall) -> StoreResult<Call> {
        self.new_calls
            .submit(new.clone(), || {
                let store = self.clone();
                tokio::spawn(async move {
                    store
                        .new_calls
                        .drive(MAX_BATCH, |batch| store.commit_calls(batch))
                        .await;
                });
            })
            .await
    }

    async fn commit_calls(&self, batch: Vec<Waiting<NewCall, Call>>) {
        let news: Vec<&NewCall> = batch.iter().map(|w| &w.item).collect();
        let opened = self.open_calls(&news).await;
        drop(news);
        match opened {
            Ok(answers) => {
                for (waiting, answer) in batch.into_iter().zip(answers) {
                    waiting.answer(answer);
                }
            }
            Err(_) => {
                for waiting in batch {
                    let alone = self.open_call_alone(&waiting.item).await;
                    waiting.answer(alone);
                }
            }
        }
    }

    /// Opens calls in one transaction, as if each had been opened alone in the order given,
    /// but for their record refs (a call whose lead it shares with an earlier call of the
    /// batch takes its ref after the others); each call's answer in the same order. Public
    /// for the conformance tests, which drive one batch at a time; the server goes through the
    /// queue.
    #[doc(hidden)]
    pub async fn open_calls(&self, news: &[&NewCall]) -> StoreResult<Vec<StoreResult<Call>>> {
        let mut conn = self.writers.acquire().await.map_err(backend)?;
        let mut tx = conn.begin().await.map_err(backend)?;
        let opened = self.write_batch(&mut tx, news, now_millis()).await?;
        tx.commit().await.map_err(backend)?;
        for (new, opened) in news.iter().zip(&opened) {
            if let Opened::New(id) = opened {
                self.live.published(new.business_id.0, *id);
            }
        }
        let ids: Vec<i64> = opened
            .iter()
            .filter_map(|o| match o {
                Opened::New(id) | Opened::Existing(id) => Some(*id),
                Opened::SameAs(_) | Opened::Elsewhere => None,
            })
            .collect();
        let calls = calls_by_ids(&mut conn, &ids).await?;
        let answer = |opened: &Opened| match opened {
            Opened::New(id) | Opened::Existing(id) => calls.get(id).cloned().ok_or(StoreError::NotFound),
            Opened::SameAs(_) | Opened::Elsewhere => Err(StoreError::NotFound),
        };
        Ok(opened
            .iter()
            .map(|o| match o {
                Opened::SameAs(first) => answer(&opened[*first]),
                other => answer(other),
            })
            .collect())
    }

    /// Opens one call in a batch of its own. A provider's retry that raced it and was
    /// written first is the call asked for; another number's id answers nothing.
    async fn open_call_alone(&self, new: &NewCall) -> StoreResult<Call> {
        match self.open_calls(&[new]).await {
            Ok(mut answers) => answers.pop().unwrap_or(Err(StoreError::NotFound)),
            Err(StoreError::Backend(e)) if is_unique_violation(e.as_ref()) => {
                let key = CallKey::Provider {
                    number: new.number_id,
                    sid: &new.provider_call_sid,
                };
                self.call(key).await
            }
            Err(e) => Err(e),
        }
    }
}

/// The calls with these row ids, in one statement.
async fn calls_by_ids(conn: &mut AnyConnection, ids: &[i64]) -> StoreResult<HashMap<i64, Call>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!("{SELECT} WHERE c.id IN ({})", Params::on(conn).list(ids.len(), "{}"));
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(*id);
    }
    let rows = query.fetch_all(&mut *conn).await.map_err(backend)?;
    rows.iter()
        .map(|row| {
            let id: i64 = crate::rows::col(row, "id")?;
            Ok((id, call(row)?))
        })
        .collect()
}

fn is_unique_violation(err: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
    err.downcast_ref::<sqlx::Error>()
        .and_then(|e| e.as_database_error())
        .is_some_and(|db| db.is_unique_violation())
}
