//! Speech to text: a recording sent to an OpenAI-compatible service
//! (`POST {base}/v1/audio/transcriptions`, multipart, Bearer key) and its answer read into a
//! [`Transcript`] (redacted as it is built): speaker turns from `diarized_json`, segments
//! from `verbose_json`, else the text as one block.

use bytes::Bytes;
use futures::StreamExt;
use leadline_core::transcript::{Speaker, SpeechApi, Transcript, Turn};
use serde::Deserialize;

/// The largest recording sent: OpenAI's limit for one file (25 MB).
pub const MAX_AUDIO_BYTES: usize = 25 * 1024 * 1024;

/// The largest answer read from a service.
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// Why a transcription did not come back.
#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    /// Worth trying again later (a timeout, a 5xx, a 429).
    #[error("{0}")]
    Retry(String),
    /// Trying again will not help until something changes (a refused key, a bad model).
    #[error("{0}")]
    Permanent(String),
}

impl SpeechError {
    fn of_transport(error: &reqwest::Error) -> Self {
        match crate::egress::refusal(error) {
            Some(refused) => Self::Permanent(refused.to_string()),
            None => Self::Retry(format!("the service did not answer: {error}")),
        }
    }
}

/// Reads at most `max` bytes of a response's body; more is an error.
pub async fn read_bounded(response: reqwest::Response, max: usize) -> Result<Bytes, SpeechError> {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| SpeechError::of_transport(&e))?;
        if body.len() + chunk.len() > max {
            return Err(SpeechError::Permanent(format!("larger than {max} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(body))
}

/// The file name and type sent for audio the recording's host called `content_type`
/// (services read the format from the name); an unknown type is sent as MP3, Twilio's.
fn audio_format(content_type: &str) -> (&'static str, &'static str) {
    match content_type.split(';').next().unwrap_or("").trim() {
        "audio/wav" | "audio/x-wav" | "audio/wave" => ("recording.wav", "audio/wav"),
        "audio/ogg" => ("recording.ogg", "audio/ogg"),
        "audio/webm" => ("recording.webm", "audio/webm"),
        "audio/flac" | "audio/x-flac" => ("recording.flac", "audio/flac"),
        "audio/mp4" | "audio/m4a" | "audio/x-m4a" => ("recording.m4a", "audio/mp4"),
        _ => ("recording.mp3", "audio/mpeg"),
    }
}

/// Sends `audio` to the service and reads its answer.
pub async fn transcribe(
    http: &reqwest::Client,
    api: &SpeechApi,
    audio: Bytes,
    content_type: &str,
) -> Result<Transcript, SpeechError> {
    let (name, mime) = audio_format(content_type);
    let length = audio.len() as u64;
    let file = reqwest::multipart::Part::stream_with_length(audio, length)
        .file_name(name)
        .mime_str(mime)
        .map_err(|e| SpeechError::Permanent(e.to_string()))?;
    let mut form = reqwest::multipart::Form::new()
        .part("file", file)
        .text("model", api.model.as_str().to_owned())
        .text("response_format", api.response_format());
    if let Some(language) = api.language {
        form = form.text("language", language.as_str().to_owned());
    }
    let response = http
        .post(api.base.transcriptions_url())
        .bearer_auth(api.key.expose())
        .multipart(form)
        .send()
        .await
        .map_err(|e| SpeechError::of_transport(&e))?;
    let status = response.status();
    let body = read_bounded(response, MAX_ANSWER_BYTES).await?;
    if !status.is_success() {
        let said = error_message(&body);
        let message = format!("the service answered {status}: {said}");
        return Err(
            if status.is_server_error() || matches!(status.as_u16(), 408 | 425 | 429) {
                SpeechError::Retry(message)
            } else {
                SpeechError::Permanent(message)
            },
        );
    }
    read_answer(&body).map_err(|e| SpeechError::Permanent(format!("the service's answer is not a transcription: {e}")))
}

/// OpenAI's error object's message, else the start of the body.
fn error_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Error {
        message: String,
    }
    #[derive(Deserialize)]
    struct Answer {
        error: Error,
    }
    match serde_json::from_slice::<Answer>(body) {
        Ok(answer) => answer.error.message.chars().take(300).collect(),
        Err(_) => String::from_utf8_lossy(body).chars().take(300).collect(),
    }
}

#[derive(Deserialize)]
struct Segment {
    #[serde(default)]
    start: Option<f64>,
    text: String,
    #[serde(default)]
    speaker: Option<String>,
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    text: String,
    #[serde(default)]
    segments: Vec<Segment>,
}

/// Reads a `json`, `verbose_json` or `diarized_json` answer.
pub fn read_answer(body: &[u8]) -> Result<Transcript, serde_json::Error> {
    let answer: Answer = serde_json::from_slice(body)?;
    if answer.segments.is_empty() {
        return Ok(Transcript::block(&answer.text, Speaker::Unknown));
    }
    let speakers = if answer.segments.iter().all(|s| s.speaker.is_some()) {
        Speaker::of_labels(answer.segments.iter().map(|s| s.speaker.as_deref().unwrap_or("")))
    } else {
        vec![Speaker::Unknown; answer.segments.len()]
    };
    Ok(Transcript::new(answer.segments.into_iter().zip(speakers).map(
        |(segment, speaker)| {
            Turn {
                speaker,
                start_ms: segment
                    .start
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .map(|s| (s * 1000.0) as u64),
                text: segment.text,
            }
        },
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diarized_segments_become_turns_the_first_speaker_being_the_business() {
        let body = br#"{"text":"x","segments":[
            {"type":"transcript.text.segment","id":"s1","start":0.0,"end":1.2,"text":"Acme, hello.","speaker":"A"},
            {"type":"transcript.text.segment","id":"s2","start":1.4,"end":4.0,"text":"My card is 4111 1111 1111 1111","speaker":"B"}]}"#;
        let transcript = read_answer(body).unwrap();
        let turns = transcript.turns();
        assert_eq!(
            (turns[0].speaker, turns[1].speaker),
            (Speaker::Business, Speaker::Caller)
        );
        assert_eq!(turns[1].text, "My card is [redacted]");
        assert_eq!(turns[1].start_ms, Some(1400));
    }

    #[test]
    fn verbose_segments_without_speakers_and_plain_text_have_no_known_speaker() {
        let verbose = br#"{"task":"transcribe","language":"english","duration":2.0,"text":"a b",
            "segments":[{"id":0,"seek":0,"start":0.0,"end":1.0,"text":" a","tokens":[1]},
                        {"id":1,"seek":0,"start":1.0,"end":2.0,"text":" b","tokens":[2]}]}"#;
        let transcript = read_answer(verbose).unwrap();
        assert_eq!(transcript.turns().len(), 1, "one speaker's segments are joined");
        assert_eq!(transcript.turns()[0].speaker, Speaker::Unknown);
        assert_eq!(read_answer(br#"{"text":"hello"}"#).unwrap().turns()[0].text, "hello");
        assert!(read_answer(b"not json").is_err());
    }

    #[test]
    fn the_file_is_named_for_its_audio_format() {
        assert_eq!(audio_format("audio/x-wav"), ("recording.wav", "audio/wav"));
        assert_eq!(audio_format("audio/mpeg"), ("recording.mp3", "audio/mpeg"));
        assert_eq!(
            audio_format("application/octet-stream"),
            ("recording.mp3", "audio/mpeg")
        );
    }
}
