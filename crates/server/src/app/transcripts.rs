//! Transcripts: the business's speech-to-text service set by its owners, and the worker that
//! turns each recorded call into a transcript. The job was queued in the transaction that
//! stored the recording link (`CallStore::report_call`); the worker claims due jobs under a
//! lease, fetches the recording with the number's credentials (bounded), sends it to the
//! service, applies the business's rules on what was said (`app/speech_rules.rs`) and keeps
//! the redacted turns. A failing service is tried again with backoff, then shown as failed on
//! the call; a crash leaves the lease to run out and the job to be claimed again.

use super::AppState;
use super::audit;
use super::error::{AppError, AppResult};
use super::speech_rules;
use crate::speech::{self, SpeechError};
use leadline_core::BusinessId;
use leadline_core::audit::{AuditAction, AuditDetail, AuditSubject};
use leadline_core::lead::Author;
use leadline_core::outbox::backoff;
use leadline_core::store::Store;
use leadline_core::transcript::{Transcript, TranscriptionJob, TranscriptionOutcome, TranscriptionService};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long one transcription may take: a long call's audio takes a while to transcribe.
const SERVICE_TIMEOUT: Duration = Duration::from_secs(300);

/// How long a claim holds a job: longer than the recording's fetch and the service together.
const LEASE: Duration = Duration::from_secs(900);

/// The worker's settings (the outbox's poll, batch, attempts and backoff).
#[derive(Debug, Clone)]
pub struct Settings {
    pub poll: Duration,
    pub batch: u32,
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
}

impl Settings {
    /// The settings a configuration gives.
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            poll: Duration::from_millis(config.outbox_poll_ms),
            batch: config.outbox_batch,
            max_attempts: config.outbox_max_attempts,
            backoff_base: Duration::from_millis(config.outbox_backoff_base_ms),
            backoff_max: Duration::from_secs(3600),
        }
    }
}

/// Sets (or with `None` removes) the business's speech-to-text service.
pub async fn set_service(
    store: &dyn Store,
    business: BusinessId,
    author: &Author,
    service: Option<TranscriptionService>,
) -> AppResult<()> {
    store.set_transcription_service(business, service.as_ref()).await?;
    let detail = match &service {
        Some(TranscriptionService::SpeechApi(api)) => {
            format!("speech API {} ({})", api.base.as_str(), api.model.as_str())
        }
        Some(TranscriptionService::Provider) => "the telephony provider".to_owned(),
        None => "off".to_owned(),
    };
    let subject = AuditSubject::of("transcription", business.0);
    audit::record(
        store,
        business,
        author,
        AuditAction::TranscriptionChanged,
        subject,
        AuditDetail::new(detail),
    )
    .await;
    Ok(())
}

/// Keeps a transcript that arrived by itself (the provider's callback), after the rules.
pub async fn transcript_arrived(
    store: &dyn Store,
    business: BusinessId,
    record_ref: u64,
    transcript: &Transcript,
) -> AppResult<()> {
    let score = speech_rules::apply(store, business, record_ref, transcript).await?;
    store.save_transcript(business, record_ref, transcript, score).await?;
    Ok(())
}

/// Shows the call's transcription as failed, saying `error` (the provider's callback said so).
pub async fn transcription_failed(
    store: &dyn Store,
    business: BusinessId,
    record_ref: u64,
    error: &str,
) -> AppResult<()> {
    store.fail_transcript(business, record_ref, error).await?;
    Ok(())
}

/// Transcribes every `poll` until `stop`; a full batch is followed by the next at once.
pub async fn run(state: AppState, settings: Settings, stop: CancellationToken) {
    let http = crate::egress::client(SERVICE_TIMEOUT, state.reach);
    let batch = settings.batch as usize;
    crate::jobs::every(settings.poll, stop, || async {
        match run_once(&state, &http, &settings).await {
            Ok(n) => n == batch,
            Err(e) => {
                tracing::warn!(error = %e, "transcription: cannot claim jobs");
                false
            }
        }
    })
    .await;
}

/// Claims one batch and transcribes it; answers how many were claimed.
pub async fn run_once(state: &AppState, http: &reqwest::Client, settings: &Settings) -> AppResult<usize> {
    let now = leadline_core::clock::now().timestamp_millis();
    let lease = i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX);
    let jobs = state.store.claim_transcriptions(now, lease, settings.batch).await?;
    for job in &jobs {
        let outcome = match transcribe(state, http, job).await {
            Ok(outcome) => outcome,
            Err(failure) => failed(job, failure, settings),
        };
        if let TranscriptionOutcome::Retry { error, .. } | TranscriptionOutcome::Failed { error } = &outcome {
            tracing::warn!(business = job.business.0, record_ref = job.record_ref, attempt = job.attempt, %error, "transcription failed");
        }
        match state.store.finish_transcription(job, &outcome).await {
            Ok(true) => {}
            Ok(false) => tracing::info!(record_ref = job.record_ref, "transcription: the lease was taken over"),
            Err(e) => tracing::warn!(error = %e, "transcription: cannot record the outcome; the lease will run out"),
        }
    }
    Ok(jobs.len())
}

/// A failed try: again after the backoff, or failed for good after the last attempt or when
/// trying again cannot help.
fn failed(job: &TranscriptionJob, failure: SpeechError, settings: &Settings) -> TranscriptionOutcome {
    match failure {
        SpeechError::Retry(error) if job.attempt < settings.max_attempts => {
            let wait = backoff(
                job.attempt,
                settings.backoff_base,
                settings.backoff_max,
                rand::random::<f64>(),
            );
            let at_ms = leadline_core::clock::now().timestamp_millis()
                + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2);
            TranscriptionOutcome::Retry { at_ms, error }
        }
        SpeechError::Retry(error) => TranscriptionOutcome::Failed {
            error: format!("{error} (after {} attempts)", job.attempt),
        },
        SpeechError::Permanent(error) => TranscriptionOutcome::Failed { error },
    }
}

/// One job: the recording fetched, transcribed, judged by the rules.
async fn transcribe(
    state: &AppState,
    http: &reqwest::Client,
    job: &TranscriptionJob,
) -> Result<TranscriptionOutcome, SpeechError> {
    let store = state.store.as_ref();
    let internal = |e: AppError| SpeechError::Retry(format!("Leadline could not read the call: {e}"));
    let Some(TranscriptionService::SpeechApi(api)) = store
        .transcription_service(job.business)
        .await
        .map_err(|e| internal(e.into()))?
    else {
        return Err(SpeechError::Permanent(
            "the business no longer has a speech-to-text service".into(),
        ));
    };
    let call = store
        .call_by_ref(job.business, job.record_ref)
        .await
        .map_err(|e| internal(e.into()))?;
    let Some(link) = &call.recording_url else {
        return Err(SpeechError::Permanent("the call has no recording".into()));
    };
    let number = store
        .number(job.business, call.number_id)
        .await
        .map_err(|e| internal(e.into()))?;
    let response = state
        .provider_api
        .recording(&number, link)
        .await
        .map_err(|e| SpeechError::Retry(format!("the recording could not be fetched: {e}")))?;
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("audio/mpeg")
        .to_owned();
    let audio = speech::read_bounded(response, speech::MAX_AUDIO_BYTES)
        .await
        .map_err(|e| SpeechError::Permanent(format!("the recording: {e}")))?;
    let transcript = speech::transcribe(http, &api, audio, &content_type).await?;
    let score = speech_rules::apply(store, job.business, job.record_ref, &transcript)
        .await
        .map_err(|e| SpeechError::Retry(format!("the rules could not be applied: {e}")))?;
    Ok(TranscriptionOutcome::Done { transcript, score })
}
