//! What the provider reports after the forward: the dial's outcome, the call's status, the
//! recording, the provider's transcription of a voicemail. Callbacks come more than once and in any order; each merges into the record,
//! and the call's code is freed when the call ends.

use super::signed::{Signed, verify};
use super::twiml::{Heard, Verb};
use super::twiml_response;
use crate::app::AppState;
use crate::app::calls;
use crate::app::routing::Ringing;
use crate::app::transcripts;
use axum::extract::{Request, State};
use axum::response::Response;
use leadline_core::call::{CallOutcome, CallReport};
use leadline_core::call_handling::DEFAULT_VOICEMAIL;
use leadline_core::transcript::{Speaker, Transcript};

/// `POST /twilio/dial`: the forwarded leg ended; voicemail unless someone answered.
pub async fn dialled(State(state): State<AppState>, request: Request) -> Response {
    let signed = match verify(&state, request).await {
        Ok(signed) => signed,
        Err(refusal) => return refusal.answer(None),
    };
    let outcome = signed.param("DialCallStatus").and_then(CallOutcome::from_provider);
    let report = CallReport {
        outcome,
        duration_seconds: signed.param("DialCallDuration").and_then(|d| d.parse().ok()),
        recording_url: signed.link("RecordingUrl"),
        ..CallReport::default()
    };
    let then: Vec<String> = signed
        .query("then")
        .map(|t| {
            t.split(',')
                .filter_map(|n| leadline_core::E164::parse(n).ok())
                .take(10)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    if outcome != Some(CallOutcome::Answered)
        && let Some(next) = ring_next(&state, &signed, &then).await
    {
        return twiml_response(&[next]);
    }
    merge(&state, &signed, &report).await;
    if outcome == Some(CallOutcome::Answered) {
        return twiml_response(&[Verb::Hangup]);
    }
    let business = match signed.call_sid() {
        Some(sid) => state
            .store
            .call(signed.call_key(&sid))
            .await
            .ok()
            .map(|c| c.business_id),
        None => None,
    };
    let transcribe = match business {
        Some(business) => super::voice::provider_transcribes(&state, business).await,
        None => false,
    };
    twiml_response(&super::voice::voicemail(
        &state,
        &signed.number.number,
        Heard::plain(DEFAULT_VOICEMAIL),
        transcribe,
    ))
}

/// `POST /twilio/transcription`: the provider's transcription of a voicemail (Twilio's
/// `transcribeCallback`). The text is the caller's (a voicemail has no one else on it); it is
/// redacted, judged by the business's rules and kept on the call of the signing number.
pub async fn transcribed(State(state): State<AppState>, request: Request) -> Response {
    let signed = match verify(&state, request).await {
        Ok(signed) => signed,
        Err(refusal) => return refusal.answer(None),
    };
    let Some(sid) = signed.call_sid() else {
        return twiml_response(&[]);
    };
    let status = signed.param("TranscriptionStatus").unwrap_or("");
    let text = signed.param("TranscriptionText").unwrap_or("");
    let kept = match state.store.call(signed.call_key(&sid)).await {
        Ok(call) if status == "completed" => {
            let transcript = Transcript::block(text, Speaker::Caller);
            transcripts::transcript_arrived(state.store.as_ref(), call.business_id, call.record_ref, &transcript).await
        }
        Ok(call) => {
            let status: String = status.chars().filter(char::is_ascii_alphanumeric).take(20).collect();
            let error = format!("the provider could not transcribe the voicemail (status '{status}')");
            transcripts::transcription_failed(state.store.as_ref(), call.business_id, call.record_ref, &error).await
        }
        Err(e) => Err(e.into()),
    };
    if let Err(e) = kept {
        tracing::warn!(error = %e, call = %sid, "a provider transcription could not be kept");
    }
    twiml_response(&[])
}

/// In-turn routing: the next operator of the list, if any is left and the call is known.
async fn ring_next(state: &AppState, signed: &Signed, then: &[String]) -> Option<Verb> {
    let (first, rest) = then.split_first()?;
    let sid = signed.call_sid()?;
    let call = state.store.call(signed.call_key(&sid)).await.ok()?;
    let record = state
        .store
        .site_by_id(call.site_id)
        .await
        .map(|s| s.settings.record_calls)
        .unwrap_or(false);
    let ringing = Ringing {
        now: vec![first.clone()],
        then: rest.to_vec(),
    };
    Some(super::voice::ring_operators(
        state,
        &signed.number.number,
        &call,
        &ringing,
        record,
    ))
}

/// `POST /twilio/status`: the call's status callback (set on the number at the provider).
pub async fn status(State(state): State<AppState>, request: Request) -> Response {
    let signed = match verify(&state, request).await {
        Ok(signed) => signed,
        Err(refusal) => return refusal.answer(None),
    };
    let ended = matches!(
        signed.param("CallStatus"),
        Some("completed" | "busy" | "no-answer" | "failed" | "canceled")
    );
    let report = CallReport {
        ended,
        recording_url: signed.link("RecordingUrl"),
        ..CallReport::default()
    };
    merge(&state, &signed, &report).await;
    twiml_response(&[])
}

/// `POST /twilio/recording`: the recording is ready.
pub async fn recording(State(state): State<AppState>, request: Request) -> Response {
    let signed = match verify(&state, request).await {
        Ok(signed) => signed,
        Err(refusal) => return refusal.answer(None),
    };
    if signed.param("RecordingStatus").is_none_or(|s| s == "completed") {
        let report = CallReport {
            recording_url: signed.link("RecordingUrl"),
            ..CallReport::default()
        };
        merge(&state, &signed, &report).await;
    }
    twiml_response(&[])
}

/// Merges a report into the call named by `CallSid` on the signing number, and frees its code
/// once it ended. Failures (a call of another number among them) are logged: the provider
/// must still get its 200.
async fn merge(state: &AppState, signed: &Signed, report: &CallReport) {
    let Some(sid) = signed.call_sid() else { return };
    if let Err(e) = calls::report_call(state.store.as_ref(), signed.call_key(&sid), report).await {
        tracing::warn!(error = %e, call = %sid, "a provider report could not be recorded");
    }
}
