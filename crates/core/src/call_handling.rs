//! What a site's callers hear and where their calls go: the greeting, the recording
//! disclosure, the business hours and what happens outside them. [`plan`] decides, for one
//! call at one instant, whether it is put through (and what is said first) or handled as
//! after hours.

use crate::hours::BusinessHours;
use crate::{E164, Invalid};
use chrono::{DateTime, Utc};

/// What callers hear when recording is on and the site wrote no disclosure of its own.
pub const DEFAULT_DISCLOSURE: &str = "This call may be recorded for quality and training purposes.";
/// What callers hear first when the site wrote no greeting of its own.
pub const DEFAULT_GREETING: &str = "Thank you for calling. If you have an extension, enter it now.";
/// What a caller hears before an after-hours voicemail when the site wrote nothing.
pub const DEFAULT_VOICEMAIL: &str =
    "Sorry, nobody can take your call right now. Please leave a message after the tone.";
/// What a caller hears before an after-hours hang-up when the site wrote nothing.
pub const DEFAULT_CLOSED: &str = "We are closed right now. Please call again during our opening hours.";
/// What the answering operator hears after the announcement when the disclosure to operators
/// is on.
pub const OPERATOR_DISCLOSURE: &str = "This call is recorded.";

/// A sentence to speak: 1 to 1,000 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SpokenText(String);

impl SpokenText {
    /// Parses a sentence as the owner typed it (trimmed).
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let text = input.trim();
        if text.is_empty() || text.chars().count() > 1000 {
            return Err(Invalid::new("prompt", "a spoken prompt has 1 to 1,000 characters"));
        }
        if text.chars().any(|c| c.is_control() && c != '\n') {
            return Err(Invalid::new("prompt", "a spoken prompt holds no control characters"));
        }
        Ok(Self(text.to_owned()))
    }

    /// The sentence.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An absolute `https` (or `http`) URL of an audio file the provider fetches and plays.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AudioUrl(String);

impl AudioUrl {
    /// Parses an absolute URL with a host, at most 1,000 characters.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let text = input.trim();
        let bad = |why: &str| Invalid::new("audio URL", format!("'{text}' {why}"));
        let url = url::Url::parse(text).map_err(|e| bad(&format!("is not a URL ({e})")))?;
        if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
            return Err(bad("is not an http(s) address of an audio file"));
        }
        if text.len() > 1000 {
            return Err(bad("is longer than 1,000 characters"));
        }
        Ok(Self(url.to_string()))
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! text_newtype_conversions {
    ($($t:ty),*) => {$(
        impl TryFrom<String> for $t {
            type Error = Invalid;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }
        impl From<$t> for String {
            fn from(value: $t) -> Self {
                value.0
            }
        }
    )*};
}
text_newtype_conversions!(SpokenText, AudioUrl, Language, Voice);

/// The language prompts are spoken in, as a BCP 47 tag the provider knows (`en-US`, `de-DE`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Language(String);

impl Language {
    /// Parses a tag: a 2- or 3-letter language, then optional subtags of letters and digits.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let text = input.trim();
        let mut parts = text.split('-');
        let primary = parts.next().unwrap_or("");
        let ok = (2..=3).contains(&primary.len())
            && primary.bytes().all(|b| b.is_ascii_alphabetic())
            && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
            && text.len() <= 35;
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(Invalid::new(
                "language",
                format!("'{text}' is not a language tag such as en-US or de-DE"),
            ))
        }
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The provider's voice for spoken prompts (`alice`, `Polly.Joanna`, `Google.en-US-Standard-C`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Voice(String);

impl Voice {
    /// Parses a voice name: 1 to 64 letters, digits, dots, dashes and underscores.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let text = input.trim();
        let ok =
            (1..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(Invalid::new(
                "voice",
                format!("'{text}' is not a voice name such as Polly.Joanna"),
            ))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Something a caller hears: a sentence spoken in the site's language and voice, or a
/// recording played from a URL.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prompt {
    /// Spoken by the provider's text-to-speech.
    Say(SpokenText),
    /// Played from an audio file.
    Play(AudioUrl),
}

impl Prompt {
    /// Reads a prompt as the owner typed it: an `http(s)://` address is a recording to play,
    /// anything else a sentence to speak; nothing is `None` (the default is used).
    pub fn parse(input: &str) -> Result<Option<Self>, Invalid> {
        let text = input.trim();
        if text.is_empty() {
            Ok(None)
        } else if text.starts_with("https://") || text.starts_with("http://") {
            AudioUrl::parse(text).map(|url| Some(Self::Play(url)))
        } else {
            SpokenText::parse(text).map(|text| Some(Self::Say(text)))
        }
    }

    /// The sentence or the URL, as [`Self::parse`] reads it back.
    pub fn as_text(&self) -> &str {
        match self {
            Self::Say(text) => text.as_str(),
            Self::Play(url) => url.as_str(),
        }
    }

    fn said(text: &str) -> Self {
        Self::Say(SpokenText(text.to_owned()))
    }
}

/// What happens to a call outside business hours (the caller has keyed their code, so the
/// call is attributed either way).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "action", deny_unknown_fields)]
pub enum AfterHours {
    /// The caller is asked to leave a message, which is recorded on the call.
    #[default]
    Voicemail,
    /// The call rings another number (an answering service, the owner's mobile).
    Forward { to: E164 },
    /// The caller hears the message and the call ends.
    Hangup,
}

/// A site's call handling, kept in its settings. Everything is optional: a site that set
/// nothing greets with [`DEFAULT_GREETING`], discloses recording with [`DEFAULT_DISCLOSURE`]
/// and is always open.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CallHandling {
    /// The language spoken prompts are said in (the provider's default when unset).
    pub language: Option<Language>,
    /// The voice spoken prompts are said with (the provider's default when unset).
    pub voice: Option<Voice>,
    /// What a caller hears while keying their code.
    pub greeting: Option<Prompt>,
    /// What a caller hears before being connected, whenever the call is recorded.
    pub disclosure: Option<Prompt>,
    /// The answering operator also hears that the call is recorded.
    pub disclose_to_operator: bool,
    /// When calls are put through; `None`: always.
    pub hours: Option<BusinessHours>,
    /// What happens outside the hours.
    pub after_hours: AfterHours,
    /// What a caller hears outside the hours before the voicemail or the hang-up.
    pub after_hours_message: Option<Prompt>,
}

/// Where a call goes at one instant, and what the caller hears first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallPlan {
    /// Ring the business's destinations; `disclosure` is said first when the call is recorded.
    Connect { disclosure: Option<Prompt> },
    /// Ring `to` instead (after hours); `disclosure` as for [`CallPlan::Connect`].
    Forward { to: E164, disclosure: Option<Prompt> },
    /// Say `message`, record a voicemail, end the call.
    Voicemail { message: Prompt },
    /// Say `message`, end the call.
    Hangup { message: Prompt },
}

impl CallHandling {
    /// The greeting a caller hears while keying their code.
    pub fn greeting(&self) -> Prompt {
        self.greeting.clone().unwrap_or_else(|| Prompt::said(DEFAULT_GREETING))
    }

    /// What a caller hears before being connected: the site's disclosure (or
    /// [`DEFAULT_DISCLOSURE`]) when the call is `recorded`, nothing otherwise.
    pub fn disclosure_if(&self, recorded: bool) -> Option<Prompt> {
        recorded.then(|| {
            self.disclosure
                .clone()
                .unwrap_or_else(|| Prompt::said(DEFAULT_DISCLOSURE))
        })
    }

    /// Checks what serde cannot: a site with hours has at least one open span, so that an
    /// empty week is a mistake the owner is told about rather than a business never open.
    pub fn validate(&self) -> Result<(), Invalid> {
        match &self.hours {
            Some(hours) if hours.week.iter().all(Vec::is_empty) => Err(Invalid::new(
                "business hours",
                "no day has opening hours: give at least one span, or turn business hours off",
            )),
            _ => Ok(()),
        }
    }
}

/// What [`plan`] needs to know about one call besides the site's handling.
#[derive(Debug, Clone, Copy)]
pub struct Moment {
    /// The site records its calls.
    pub recorded: bool,
    /// The business has a destination that can ring.
    pub anyone_to_ring: bool,
    /// The site's time zone, which its hours are read in.
    pub zone: chrono_tz::Tz,
    /// When the call came in.
    pub at: DateTime<Utc>,
}

/// Decides where a call to a site goes: connected (after the disclosure when it is recorded)
/// within the site's hours, to voicemail when nobody can ring, else its after-hours action.
pub fn plan(handling: &CallHandling, moment: Moment) -> CallPlan {
    let disclosure = handling.disclosure_if(moment.recorded);
    let open = handling
        .hours
        .as_ref()
        .is_none_or(|hours| hours.is_open(moment.zone, moment.at));
    let message = |default: &str| {
        handling
            .after_hours_message
            .clone()
            .unwrap_or_else(|| Prompt::said(default))
    };
    match &handling.after_hours {
        _ if open && moment.anyone_to_ring => CallPlan::Connect { disclosure },
        _ if open => CallPlan::Voicemail {
            message: Prompt::said(DEFAULT_VOICEMAIL),
        },
        AfterHours::Voicemail => CallPlan::Voicemail {
            message: message(DEFAULT_VOICEMAIL),
        },
        AfterHours::Forward { to } => CallPlan::Forward {
            to: to.clone(),
            disclosure,
        },
        AfterHours::Hangup => CallPlan::Hangup {
            message: message(DEFAULT_CLOSED),
        },
    }
}

#[cfg(test)]
#[path = "call_handling_tests.rs"]
mod tests;
