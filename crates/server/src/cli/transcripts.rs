//! `leadline transcripts …`: who transcribes a business's calls, and its rules on what was said.

use super::BusinessRef;
use clap::{Subcommand, ValueEnum};

/// Who transcribes.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ServiceKind {
    /// Nobody.
    Off,
    /// An OpenAI-compatible service (`POST {base}/v1/audio/transcriptions`).
    SpeechApi,
    /// The telephony provider (voicemails under 2 minutes).
    Provider,
}

#[derive(Debug, Subcommand)]
pub enum TranscriptsCommand {
    /// Show the business's service (never its key) and rules.
    Show {
        #[command(flatten)]
        business: BusinessRef,
    },
    /// Set who transcribes the business's calls.
    Service {
        #[command(flatten)]
        business: BusinessRef,
        #[arg(long, value_enum)]
        kind: ServiceKind,
        /// The service's base URL (e.g. https://api.openai.com).
        #[arg(long)]
        url: Option<String>,
        /// The model id (e.g. whisper-1).
        #[arg(long)]
        model: Option<String>,
        /// Read the service's API key from the first line of standard input (without it, the
        /// stored key is kept).
        #[arg(long)]
        key_stdin: bool,
        /// The spoken language as ISO 639-1 (en), a hint to the service.
        #[arg(long)]
        language: Option<String>,
        /// Ask for speaker turns (`diarized_json`).
        #[arg(long)]
        diarize: bool,
    },
    /// Add a rule on what was said.
    AddRule {
        #[command(flatten)]
        business: BusinessRef,
        /// Phrases separated by commas: any of them fires the rule.
        #[arg(long)]
        phrases: String,
        /// Only what the caller says (needs speaker turns).
        #[arg(long)]
        caller: bool,
        /// The tag put on the lead.
        #[arg(long)]
        tag: Option<String>,
        /// The status the lead is moved to.
        #[arg(long)]
        status: Option<String>,
        /// Points added to the call's score.
        #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
        weight: i64,
    },
    /// Remove a rule by its id (as `show` lists it).
    RemoveRule {
        #[command(flatten)]
        business: BusinessRef,
        id: i64,
    },
    /// Apply the rules again to every past transcript.
    Reapply {
        #[command(flatten)]
        business: BusinessRef,
    },
}
