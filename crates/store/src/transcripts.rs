//! Transcripts: a business's speech-to-text service (its key sealed), the durable job queued
//! with the recording link (`queue_in`, called by `calls/mod.rs::report_call` in its
//! transaction) and claimed under a lease like the outbox's deliveries, the redacted turns,
//! and the search over their text (a LIKE over the lower-cased text, scoped to the business,
//! the same on both engines).

use crate::errors::{backend, corrupt};
use crate::rows::{col, now_millis};
use crate::{Engine, SqlStore};
use async_trait::async_trait;
use leadline_core::BusinessId;
use leadline_core::sealing::Column;
use leadline_core::secret::{Secret, random_token};
use leadline_core::store::{StoreError, StoreResult};
use leadline_core::transcript::{
    Language, SearchWords, ServiceBase, SpeechApi, SpeechModel, Transcript, TranscriptState, TranscriptStore,
    TranscriptionJob, TranscriptionOutcome, TranscriptionService,
};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A transcription that is due at `$1`: pending and its time has come, or claimed under a
/// lease that has run out (its worker died).
const DUE: &str = "((state = 'pending' AND due_at <= $1) OR (state = 'in_flight' AND lease_until < $1))";

/// Queues the transcription of call `call_id` when its business has a speech API: in the
/// caller's transaction, once per call (a second recording report changes nothing).
pub(crate) async fn queue_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    business: i64,
    call_id: i64,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO transcripts (call_id, business_id, state, due_at, updated_at)
         SELECT $1, $2, 'pending', $3, $3 FROM transcription_services
         WHERE business_id = $2 AND kind = 'speech_api'
         ON CONFLICT (call_id) DO NOTHING",
    )
    .bind(call_id)
    .bind(business)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(())
}

/// The row id of the business's call numbered `record_ref`.
async fn call_id(store: &SqlStore, business: BusinessId, record_ref: u64) -> StoreResult<i64> {
    let record_ref = i64::try_from(record_ref).map_err(|_| StoreError::NotFound)?;
    sqlx::query_scalar("SELECT id FROM calls WHERE business_id = $1 AND record_ref = $2")
        .bind(business.0)
        .bind(record_ref)
        .fetch_optional(&store.pool)
        .await
        .map_err(backend)?
        .ok_or(StoreError::NotFound)
}

/// `%` and `_` of a user's words taken literally by LIKE (with `ESCAPE '\'`).
fn like_pattern(words: &str) -> String {
    let escaped = words.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

impl SqlStore {
    fn service(&self, row: &AnyRow) -> StoreResult<TranscriptionService> {
        let kind: String = col(row, "kind")?;
        if kind == "provider" {
            return Ok(TranscriptionService::Provider);
        }
        let text = |name: &str| -> StoreResult<String> {
            let value: Option<String> = col(row, name)?;
            value.ok_or_else(|| {
                corrupt(leadline_core::Invalid::new(
                    "transcription service",
                    format!("{name} is missing"),
                ))
            })
        };
        let language: Option<String> = col(row, "language")?;
        Ok(TranscriptionService::SpeechApi(SpeechApi {
            base: ServiceBase::parse(&text("base_url")?).map_err(corrupt)?,
            model: SpeechModel::parse(&text("model")?).map_err(corrupt)?,
            key: Secret::new(self.unseal(Column::SpeechApiKey, &text("api_key")?)?),
            language: language.as_deref().map(Language::parse).transpose().map_err(corrupt)?,
            diarize: col::<i64>(row, "diarize")? != 0,
        }))
    }
}

#[async_trait]
impl TranscriptStore for SqlStore {
    async fn transcription_service(&self, business: BusinessId) -> StoreResult<Option<TranscriptionService>> {
        let row = sqlx::query("SELECT * FROM transcription_services WHERE business_id = $1")
            .bind(business.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|row| self.service(&row)).transpose()
    }

    async fn set_transcription_service(
        &self,
        business: BusinessId,
        service: Option<&TranscriptionService>,
    ) -> StoreResult<()> {
        // Written first, so SQLite takes its write lock at once (a read first could not upgrade).
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query("DELETE FROM transcription_services WHERE business_id = $1")
            .bind(business.0)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let known = match service {
            Some(service) => {
                let api = match service {
                    TranscriptionService::SpeechApi(api) => Some(api),
                    TranscriptionService::Provider => None,
                };
                let key = api
                    .map(|a| self.seal(Column::SpeechApiKey, a.key.expose()))
                    .transpose()?;
                let inserted = sqlx::query(
                    "INSERT INTO transcription_services
                         (business_id, kind, base_url, model, api_key, language, diarize, updated_at)
                     SELECT id, $2, $3, $4, $5, $6, $7, $8 FROM businesses WHERE id = $1",
                )
                .bind(business.0)
                .bind(service.kind())
                .bind(api.map(|a| a.base.as_str().to_owned()))
                .bind(api.map(|a| a.model.as_str().to_owned()))
                .bind(key)
                .bind(api.and_then(|a| a.language).map(|l| l.as_str().to_owned()))
                .bind(i64::from(api.is_some_and(|a| a.diarize)))
                .bind(now_millis())
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                inserted.rows_affected() == 1
            }
            None => sqlx::query_scalar::<_, i64>("SELECT id FROM businesses WHERE id = $1")
                .bind(business.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?
                .is_some(),
        };
        if !known {
            return Err(StoreError::NotFound);
        }
        tx.commit().await.map_err(backend)
    }

    async fn claim_transcriptions(&self, now_ms: i64, lease_ms: i64, limit: u32) -> StoreResult<Vec<TranscriptionJob>> {
        let due: Option<i64> = sqlx::query_scalar(&format!("SELECT call_id FROM transcripts WHERE {DUE} LIMIT 1"))
            .bind(now_ms)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        if due.is_none() {
            // A read first, so an idle worker never takes SQLite's write lock.
            return Ok(Vec::new());
        }
        let skip_locked = match self.engine_kind() {
            Engine::Postgres => " FOR UPDATE SKIP LOCKED",
            Engine::Sqlite => "",
        };
        let token = random_token(24);
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let claimed: Vec<(i64, i64)> = sqlx::query_as(&format!(
            "UPDATE transcripts SET state = 'in_flight', attempts = attempts + 1, lease_until = $2,
                 lease_token = $3
             WHERE call_id IN (SELECT call_id FROM transcripts WHERE {DUE}
                 ORDER BY due_at, call_id LIMIT $4{skip_locked})
             RETURNING call_id, attempts"
        ))
        .bind(now_ms)
        .bind(now_ms.saturating_add(lease_ms))
        .bind(token.as_str())
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        let mut jobs = Vec::with_capacity(claimed.len());
        for (call_id, attempts) in claimed {
            let (business, record_ref): (i64, i64) =
                sqlx::query_as("SELECT business_id, record_ref FROM calls WHERE id = $1")
                    .bind(call_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(backend)?;
            jobs.push(TranscriptionJob {
                business: BusinessId(business),
                record_ref: u64::try_from(record_ref).unwrap_or_default(),
                attempt: u32::try_from(attempts).unwrap_or(u32::MAX),
                lease_token: token.clone(),
            });
        }
        tx.commit().await.map_err(backend)?;
        Ok(jobs)
    }

    async fn finish_transcription(&self, job: &TranscriptionJob, outcome: &TranscriptionOutcome) -> StoreResult<bool> {
        let now = now_millis();
        let (state, due, error, turns, text, score) = match outcome {
            TranscriptionOutcome::Done { transcript, score } => (
                "done",
                now,
                None,
                Some(transcript.to_stored()),
                Some(transcript.search_text()),
                *score,
            ),
            TranscriptionOutcome::Retry { at_ms, error } => ("pending", *at_ms, Some(error.as_str()), None, None, 0),
            TranscriptionOutcome::Failed { error } => ("failed", now, Some(error.as_str()), None, None, 0),
        };
        let record_ref = i64::try_from(job.record_ref).map_err(|_| StoreError::NotFound)?;
        let updated = sqlx::query(
            "UPDATE transcripts SET state = $1, due_at = $2, last_error = COALESCE($3, last_error),
                 turns = $4, search_text = $5, score = $6, lease_until = NULL, lease_token = NULL,
                 updated_at = $7
             WHERE call_id = (SELECT id FROM calls WHERE business_id = $8 AND record_ref = $9)
                 AND lease_token = $10 AND state = 'in_flight'",
        )
        .bind(state)
        .bind(due)
        .bind(error)
        .bind(turns)
        .bind(text)
        .bind(score)
        .bind(now)
        .bind(job.business.0)
        .bind(record_ref)
        .bind(job.lease_token.as_str())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(updated.rows_affected() == 1)
    }

    async fn save_transcript(
        &self,
        business: BusinessId,
        record_ref: u64,
        transcript: &Transcript,
        score: i64,
    ) -> StoreResult<()> {
        let call = call_id(self, business, record_ref).await?;
        let now = now_millis();
        sqlx::query(
            "INSERT INTO transcripts (call_id, business_id, state, due_at, turns, search_text, score, updated_at)
             VALUES ($1, $2, 'done', $3, $4, $5, $6, $3)
             ON CONFLICT (call_id) DO UPDATE SET state = 'done', turns = $4, search_text = $5, score = $6,
                 lease_until = NULL, lease_token = NULL, updated_at = $3",
        )
        .bind(call)
        .bind(business.0)
        .bind(now)
        .bind(transcript.to_stored())
        .bind(transcript.search_text())
        .bind(score)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn fail_transcript(&self, business: BusinessId, record_ref: u64, error: &str) -> StoreResult<()> {
        let call = call_id(self, business, record_ref).await?;
        let now = now_millis();
        sqlx::query(
            "INSERT INTO transcripts (call_id, business_id, state, due_at, last_error, updated_at)
             VALUES ($1, $2, 'failed', $3, $4, $3)
             ON CONFLICT (call_id) DO UPDATE SET state = 'failed', last_error = $4, turns = NULL,
                 search_text = NULL, lease_until = NULL, lease_token = NULL, updated_at = $3",
        )
        .bind(call)
        .bind(business.0)
        .bind(now)
        .bind(error)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn transcript(&self, business: BusinessId, record_ref: u64) -> StoreResult<Option<TranscriptState>> {
        let call = call_id(self, business, record_ref).await?;
        let row = sqlx::query("SELECT state, attempts, last_error, turns, score FROM transcripts WHERE call_id = $1")
            .bind(call)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let state: String = row.try_get("state").map_err(backend)?;
        let error: Option<String> = col(&row, "last_error")?;
        Ok(Some(match state.as_str() {
            "done" => {
                let turns: Option<String> = col(&row, "turns")?;
                TranscriptState::Done {
                    transcript: Transcript::from_stored(turns.as_deref().unwrap_or("[]")).map_err(corrupt)?,
                    score: col(&row, "score")?,
                }
            }
            "failed" => TranscriptState::Failed {
                error: error.unwrap_or_default(),
            },
            _ => TranscriptState::Pending {
                attempts: u32::try_from(col::<i64>(&row, "attempts")?).unwrap_or(u32::MAX),
                last_error: error,
            },
        }))
    }

    async fn search_transcripts(&self, business: BusinessId, words: &SearchWords, limit: u32) -> StoreResult<Vec<u64>> {
        let refs: Vec<i64> = sqlx::query_scalar(
            "SELECT c.record_ref FROM transcripts t JOIN calls c ON c.id = t.call_id
             WHERE t.business_id = $1 AND c.business_id = $1 AND t.state = 'done'
                 AND t.search_text LIKE $2 ESCAPE '\\'
             ORDER BY c.started_at DESC, c.id DESC LIMIT $3",
        )
        .bind(business.0)
        .bind(like_pattern(words.as_str()))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(refs.into_iter().filter_map(|r| u64::try_from(r).ok()).collect())
    }

    async fn transcribed_calls(
        &self,
        business: BusinessId,
        after_ref: u64,
        limit: u32,
    ) -> StoreResult<Vec<(u64, Transcript)>> {
        let rows: Vec<(i64, Option<String>)> = sqlx::query_as(
            "SELECT c.record_ref, t.turns FROM transcripts t JOIN calls c ON c.id = t.call_id
             WHERE t.business_id = $1 AND c.business_id = $1 AND t.state = 'done' AND c.record_ref > $2
             ORDER BY c.record_ref LIMIT $3",
        )
        .bind(business.0)
        .bind(i64::try_from(after_ref).unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.into_iter()
            .map(|(r, turns)| {
                let transcript = Transcript::from_stored(turns.as_deref().unwrap_or("[]")).map_err(corrupt)?;
                Ok((u64::try_from(r).unwrap_or_default(), transcript))
            })
            .collect()
    }

    async fn set_transcript_score(&self, business: BusinessId, record_ref: u64, score: i64) -> StoreResult<()> {
        let call = call_id(self, business, record_ref).await?;
        sqlx::query("UPDATE transcripts SET score = $1 WHERE call_id = $2 AND business_id = $3")
            .bind(score)
            .bind(call)
            .bind(business.0)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
