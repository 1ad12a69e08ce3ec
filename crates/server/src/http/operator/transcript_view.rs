//! A call's transcript as the lead page shows it under the call: the player, then who said
//! what (already redacted when it was stored), or where the transcription stands.

use crate::web::error::ApiError;
use leadline_core::BusinessId;
use leadline_core::store::Store;
use leadline_core::transcript::TranscriptState;

/// What the page shows of one call's transcript.
pub struct TranscriptView {
    /// "Transcript · score 5", "Transcribing…", "Transcription failed: …".
    pub status: String,
    /// (speaker, text) turns, in order.
    pub turns: Vec<(&'static str, String)>,
}

/// The transcript of the business's call `record_ref`, `None` when it was never transcribed.
pub async fn of_call(
    store: &dyn Store,
    business: BusinessId,
    record_ref: u64,
) -> Result<Option<TranscriptView>, ApiError> {
    let Some(state) = store.transcript(business, record_ref).await? else {
        return Ok(None);
    };
    Ok(Some(match state {
        TranscriptState::Done { transcript, score } => TranscriptView {
            status: if transcript.is_empty() {
                "Transcript: nothing was said".to_owned()
            } else {
                format!("Transcript · score {score}")
            },
            turns: transcript
                .turns()
                .iter()
                .map(|t| (t.speaker.label(), t.text.clone()))
                .collect(),
        },
        TranscriptState::Pending { attempts: 0, .. } => TranscriptView {
            status: "Transcribing…".to_owned(),
            turns: Vec::new(),
        },
        TranscriptState::Pending { attempts, last_error } => TranscriptView {
            status: format!(
                "Transcribing: try {attempts} failed ({}), trying again",
                last_error.unwrap_or_default()
            ),
            turns: Vec::new(),
        },
        TranscriptState::Failed { error } => TranscriptView {
            status: format!("Transcription failed: {error}"),
            turns: Vec::new(),
        },
    }))
}
