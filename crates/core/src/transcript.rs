//! What was said on a call: its speaker turns (redacted before anything keeps them), the
//! business's speech-to-text service, and the Store port that keeps transcripts, their
//! durable jobs and the rules on what was said (`speech_rules`).

use crate::store::StoreResult;
use crate::{BusinessId, Invalid, redaction, secret::Secret};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Who said a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    /// The person who called.
    Caller,
    /// Whoever answered for the business.
    Business,
    /// The service did not say (one block, or segments without speakers).
    Unknown,
}

impl Speaker {
    /// How a page names the speaker.
    pub fn label(self) -> &'static str {
        match self {
            Self::Caller => "Caller",
            Self::Business => "Business",
            Self::Unknown => "Call",
        }
    }

    /// Speakers of a diarized transcript, by the service's labels in the order they first
    /// speak: whoever speaks first answered the call (the business's greeting), everyone
    /// else is the caller's side. A single speaker is unknown: it may be either side.
    pub fn of_labels<'a>(labels: impl IntoIterator<Item = &'a str>) -> Vec<Speaker> {
        let labels: Vec<&str> = labels.into_iter().collect();
        let first = labels.first().copied();
        let several = labels.iter().any(|l| Some(*l) != first);
        labels
            .iter()
            .map(|l| match (several, Some(*l) == first) {
                (false, _) => Self::Unknown,
                (true, true) => Self::Business,
                (true, false) => Self::Caller,
            })
            .collect()
    }
}

/// One turn of the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    pub speaker: Speaker,
    /// When the turn starts, in milliseconds from the start of the recording, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ms: Option<u64>,
    pub text: String,
}

/// The longest transcript kept, in characters (about three hours of speech).
pub const MAX_TRANSCRIPT_CHARS: usize = 200_000;

/// A call's transcript: its turns, redacted ([`redaction::redact`]) when it is built, so no
/// unredacted text can reach the store. Adjacent turns of one speaker are joined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Transcript {
    turns: Vec<Turn>,
}

impl Transcript {
    /// Builds a transcript from what a service said: each turn's text trimmed and redacted,
    /// empty turns dropped, a speaker's adjacent turns joined, the whole cut to
    /// [`MAX_TRANSCRIPT_CHARS`].
    pub fn new(turns: impl IntoIterator<Item = Turn>) -> Self {
        let mut joined: Vec<Turn> = Vec::new();
        for turn in turns {
            let text: String = turn.text.split_whitespace().collect::<Vec<_>>().join(" ");
            if text.is_empty() {
                continue;
            }
            match joined.last_mut() {
                Some(last) if last.speaker == turn.speaker => {
                    last.text.push(' ');
                    last.text.push_str(&text);
                }
                _ => joined.push(Turn { text, ..turn }),
            }
        }
        // Redacted whole, then cut: a cut never leaves part of a card number behind.
        let mut chars = 0;
        let mut kept = Vec::with_capacity(joined.len());
        for mut turn in joined {
            if chars >= MAX_TRANSCRIPT_CHARS {
                break;
            }
            turn.text = redaction::redact(&turn.text)
                .chars()
                .take(MAX_TRANSCRIPT_CHARS - chars)
                .collect();
            chars += turn.text.chars().count();
            kept.push(turn);
        }
        Self { turns: kept }
    }

    /// One block of text by an unknown speaker (a service without segments).
    pub fn block(text: &str, speaker: Speaker) -> Self {
        Self::new([Turn {
            speaker,
            start_ms: None,
            text: text.to_owned(),
        }])
    }

    /// Reads a stored transcript (its turns' JSON), redacting again: what was stored before
    /// a redaction rule existed does not come back out unredacted.
    pub fn from_stored(json: &str) -> Result<Self, Invalid> {
        let turns: Vec<Turn> = serde_json::from_str(json)
            .map_err(|e| Invalid::new("transcript", format!("not a stored transcript: {e}")))?;
        Ok(Self::new(turns))
    }

    /// The stored form: the turns as JSON.
    pub fn to_stored(&self) -> String {
        serde_json::to_string(&self.turns).unwrap_or_else(|_| "[]".into())
    }

    /// The turns, in order.
    pub fn turns(&self) -> &[Turn] {
        &self.turns
    }

    /// Whether the service heard nothing.
    pub fn is_empty(&self) -> bool {
        self.turns.is_empty()
    }

    /// Every turn's text, lower-cased and joined by spaces: what a search looks in.
    pub fn search_text(&self) -> String {
        let texts: Vec<String> = self.turns.iter().map(|t| t.text.to_lowercase()).collect();
        texts.join(" ")
    }

    /// Whether any turn is known to be the caller's.
    pub fn knows_the_caller(&self) -> bool {
        self.turns.iter().any(|t| t.speaker == Speaker::Caller)
    }
}

/// Words to find in transcripts: 1 to 100 characters, lower-cased, spaces collapsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchWords(String);

impl SearchWords {
    /// Parses what a user typed in the search box.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let words = input.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
        if words.is_empty() {
            return Err(Invalid::new("search", "is empty"));
        }
        if words.chars().count() > 100 || words.chars().any(char::is_control) {
            return Err(Invalid::new("search", "at most 100 printable characters"));
        }
        Ok(Self(words))
    }

    /// The words, as searched for.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The base URL of an OpenAI-compatible speech-to-text server (`https://api.openai.com`, a
/// self-hosted `http://whisper.internal:8000`): http or https, no credentials, query or
/// fragment; `/v1/audio/transcriptions` is added to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceBase(url::Url);

impl ServiceBase {
    /// Parses the base URL an owner typed.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let what = "speech-to-text URL";
        let url = url::Url::parse(input.trim()).map_err(|e| Invalid::new(what, format!("not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(Invalid::new(what, "must be an http or https address"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Invalid::new(what, "must not hold credentials: give the key separately"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Invalid::new(what, "must not have a query or fragment"));
        }
        Ok(Self(url))
    }

    /// The URL as given.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Where transcriptions are posted: `{base}/v1/audio/transcriptions` (a base already
    /// ending in `/v1` is not given a second one).
    pub fn transcriptions_url(&self) -> String {
        let base = self.0.as_str().trim_end_matches('/');
        if base.ends_with("/v1") {
            format!("{base}/audio/transcriptions")
        } else {
            format!("{base}/v1/audio/transcriptions")
        }
    }
}

/// A model id as the service names it (`whisper-1`, `Systran/faster-whisper-small`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpeechModel(String);

impl SpeechModel {
    /// Parses a model id: 1 to 100 characters of letters, digits and `._:/-`.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let model = input.trim();
        let allowed = |c: char| c.is_ascii_alphanumeric() || "._:/-".contains(c);
        if model.is_empty() || model.len() > 100 || !model.chars().all(allowed) {
            return Err(Invalid::new(
                "model",
                "1 to 100 letters, digits and . _ : / - (the service's model id)",
            ));
        }
        Ok(Self(model.to_owned()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A spoken language as ISO 639-1 (`en`), passed to the service as a hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Language([u8; 2]);

impl Language {
    /// Parses two letters.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        match input.trim().to_ascii_lowercase().as_bytes() {
            [a, b] if a.is_ascii_lowercase() && b.is_ascii_lowercase() => Ok(Self([*a, *b])),
            _ => Err(Invalid::new("language", "two letters, as ISO 639-1 (en, fr, de…)")),
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("en")
    }
}

/// An OpenAI-compatible speech-to-text service as a business configured it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpeechApi {
    pub base: ServiceBase,
    pub model: SpeechModel,
    /// The Bearer key: sealed in the store, never shown back nor logged.
    pub key: Secret,
    pub language: Option<Language>,
    /// Ask for speaker turns (`diarized_json`, for models that give them) rather than
    /// segments (`verbose_json`).
    pub diarize: bool,
}

impl SpeechApi {
    /// The `response_format` asked for.
    pub fn response_format(&self) -> &'static str {
        if self.diarize { "diarized_json" } else { "verbose_json" }
    }
}

/// Who transcribes a business's recordings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TranscriptionService {
    /// Leadline sends each recording to an OpenAI-compatible service.
    SpeechApi(SpeechApi),
    /// The telephony provider transcribes voicemails recorded by `<Record>` and posts the
    /// text back (Twilio's `transcribeCallback`).
    Provider,
}

impl TranscriptionService {
    /// The stored and wire name of the kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::SpeechApi(_) => "speech_api",
            Self::Provider => "provider",
        }
    }
}

/// Where a call's transcript stands.
#[derive(Debug, Clone, PartialEq)]
pub enum TranscriptState {
    /// Waiting for the service (after `attempts` failed tries, the last saying `last_error`).
    Pending { attempts: u32, last_error: Option<String> },
    /// Transcribed; `score` is what the business's weighted phrases gave it.
    Done { transcript: Transcript, score: i64 },
    /// The service failed every try; the call shows why.
    Failed { error: String },
}

/// A transcription the worker has claimed, under a lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptionJob {
    pub business: BusinessId,
    pub record_ref: u64,
    /// How many tries this is (1 for the first).
    pub attempt: u32,
    /// Proves the lease when the job is finished; a later claimer's token replaces it.
    pub lease_token: String,
}

/// How a claimed transcription ended.
#[derive(Debug, Clone, PartialEq)]
pub enum TranscriptionOutcome {
    Done {
        transcript: Transcript,
        score: i64,
    },
    /// Try again at `at_ms`.
    Retry {
        at_ms: i64,
        error: String,
    },
    Failed {
        error: String,
    },
}

/// The Store port for transcripts, their jobs and the business's service.
#[async_trait]
pub trait TranscriptStore {
    /// The business's service, `None` when it transcribes nothing.
    async fn transcription_service(&self, business: BusinessId) -> StoreResult<Option<TranscriptionService>>;
    /// Sets or (`None`) removes the business's service. A recording reported later is
    /// queued for transcription only while a speech API is set (`CallStore::report_call`
    /// queues it in its own transaction).
    async fn set_transcription_service(
        &self,
        business: BusinessId,
        service: Option<&TranscriptionService>,
    ) -> StoreResult<()>;
    /// Claims up to `limit` due transcriptions (pending and due, or claimed under an expired
    /// lease) for `lease_ms`.
    async fn claim_transcriptions(&self, now_ms: i64, lease_ms: i64, limit: u32) -> StoreResult<Vec<TranscriptionJob>>;
    /// Records how a claimed job ended; `false` when its lease was taken over meanwhile
    /// (nothing changes).
    async fn finish_transcription(&self, job: &TranscriptionJob, outcome: &TranscriptionOutcome) -> StoreResult<bool>;
    /// Keeps a transcript that arrived by itself (the provider's callback) for the call of
    /// `business` numbered `record_ref`; `NotFound` for another business's call.
    async fn save_transcript(
        &self,
        business: BusinessId,
        record_ref: u64,
        transcript: &Transcript,
        score: i64,
    ) -> StoreResult<()>;
    /// Marks the transcription of the business's call `record_ref` failed, saying `error` (the
    /// provider's callback said so); `NotFound` for another business's call.
    async fn fail_transcript(&self, business: BusinessId, record_ref: u64, error: &str) -> StoreResult<()>;
    /// The call's transcript state, `None` when it was never transcribed; `NotFound` for a
    /// call of another business.
    async fn transcript(&self, business: BusinessId, record_ref: u64) -> StoreResult<Option<TranscriptState>>;
    /// The business's calls whose transcript holds `words`, newest first.
    async fn search_transcripts(&self, business: BusinessId, words: &SearchWords, limit: u32) -> StoreResult<Vec<u64>>;
    /// The business's transcribed calls after `after_ref`, oldest first, with their lead:
    /// for applying the rules to past transcripts page by page.
    async fn transcribed_calls(
        &self,
        business: BusinessId,
        after_ref: u64,
        limit: u32,
    ) -> StoreResult<Vec<(u64, Transcript)>>;
    /// Sets the score of a transcribed call (the rules applied again).
    async fn set_transcript_score(&self, business: BusinessId, record_ref: u64, score: i64) -> StoreResult<()>;
}

#[cfg(test)]
#[path = "transcript_tests.rs"]
mod tests;
