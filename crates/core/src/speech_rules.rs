//! A business's rules on what was said: "mentions `appointment` or `book` → tag `booking`,
//! status `qualified`", "caller says `unsubscribe` → tag `do-not-call`", and weighted
//! phrases that add up to a lead score. [`judge`] applies them to one transcript.
//!
//! Phrases match whole words, case-insensitively (`book` matches "Book now" and not
//! "booked" nor "facebook"). A rule for what the *caller* says looks only at turns known to
//! be the caller's: when the service gave no speakers, such a rule does not fire, since a
//! business reading out "say unsubscribe to stop" must not tag its own lead.

use crate::lead::LeadStatus;
use crate::store::StoreResult;
use crate::transcript::{Speaker, Transcript};
use crate::{BusinessId, Invalid};
use async_trait::async_trait;

/// Whose words a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Anything said on the call.
    Anyone,
    /// Only turns known to be the caller's.
    Caller,
}

impl Who {
    /// The stored and form name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Anyone => "anyone",
            Self::Caller => "caller",
        }
    }

    /// Reads the stored or form name.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        match input.trim() {
            "anyone" => Ok(Self::Anyone),
            "caller" => Ok(Self::Caller),
            other => Err(Invalid::new("speaker", format!("'{other}' is not anyone or caller"))),
        }
    }
}

/// A phrase to listen for: 1 to 6 words of letters, digits and apostrophes, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase(Vec<String>);

impl Phrase {
    /// Parses one phrase as an owner typed it.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let words = words_of(input);
        let what = "phrase";
        if words.is_empty() || words.len() > 6 {
            return Err(Invalid::new(what, "1 to 6 words"));
        }
        if input
            .chars()
            .any(|c| !(c.is_alphanumeric() || c == '\'' || c.is_whitespace()))
        {
            return Err(Invalid::new(
                what,
                format!("'{}' may hold only letters, digits and spaces", input.trim()),
            ));
        }
        Ok(Self(words))
    }

    /// The phrase, words joined by spaces.
    pub fn as_text(&self) -> String {
        self.0.join(" ")
    }
}

/// Parses a list of phrases separated by commas or new lines (`appointment, book`): 1 to 20.
pub fn parse_phrases(input: &str) -> Result<Vec<Phrase>, Invalid> {
    let phrases: Vec<Phrase> = input
        .split([',', '\n'])
        .filter(|p| !p.trim().is_empty())
        .map(Phrase::parse)
        .collect::<Result<_, _>>()?;
    if phrases.is_empty() || phrases.len() > 20 {
        return Err(Invalid::new("phrases", "1 to 20 phrases, separated by commas"));
    }
    Ok(phrases)
}

/// A rule as an owner writes it, before the store numbers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSpeechRule {
    /// Any of these, said, fires the rule.
    pub phrases: Vec<Phrase>,
    pub who: Who,
    /// The tag put on the lead.
    pub tag: Option<String>,
    /// The status the lead is moved to.
    pub status: Option<LeadStatus>,
    /// Points added to the call's score when it fires (negative takes away).
    pub weight: i64,
}

impl NewSpeechRule {
    /// Checks that the rule does something and that its tag, status and weight are ones a
    /// lead can take.
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.tag.is_none() && self.status.is_none() && self.weight == 0 {
            return Err(Invalid::new(
                "rule",
                "give a tag, a status or a weight: it does nothing otherwise",
            ));
        }
        if let Some(tag) = &self.tag {
            crate::call::validate_tags(std::slice::from_ref(tag))?;
        }
        if self.status == Some(LeadStatus::InCall) {
            return Err(Invalid::new("status", "in call is set by Leadline only"));
        }
        if !(-1000..=1000).contains(&self.weight) {
            return Err(Invalid::new("weight", "between -1000 and 1000"));
        }
        Ok(())
    }
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpeechRule {
    pub id: i64,
    pub rule: NewSpeechRule,
}

/// What a business's rules make of one transcript.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Tags to add, each once, in rule order.
    pub tags: Vec<String>,
    /// The status of the first firing rule that sets one.
    pub status: Option<LeadStatus>,
    /// The sum of the firing rules' weights.
    pub score: i64,
    /// The ids of the rules that fired.
    pub fired: Vec<i64>,
}

/// Applies `rules` (in their order) to `transcript`.
pub fn judge(rules: &[SpeechRule], transcript: &Transcript) -> Verdict {
    let anyone: Vec<String> = transcript
        .turns()
        .iter()
        .flat_map(|t| words_of(&t.text).into_iter().chain([String::new()]))
        .collect();
    let caller: Vec<String> = transcript
        .turns()
        .iter()
        .filter(|t| t.speaker == Speaker::Caller)
        .flat_map(|t| words_of(&t.text).into_iter().chain([String::new()]))
        .collect();
    let mut verdict = Verdict::default();
    for SpeechRule { id, rule } in rules {
        let heard = match rule.who {
            Who::Anyone => &anyone,
            Who::Caller => &caller,
        };
        if !rule.phrases.iter().any(|p| said(heard, p)) {
            continue;
        }
        verdict.fired.push(*id);
        verdict.score = verdict.score.saturating_add(rule.weight);
        if let Some(tag) = &rule.tag
            && !verdict.tags.contains(tag)
        {
            verdict.tags.push(tag.clone());
        }
        if verdict.status.is_none() {
            verdict.status = rule.status;
        }
    }
    verdict
}

/// Whether `phrase`'s words appear in a row in `words` (turns are separated by an empty
/// word, so a phrase never spans two turns).
fn said(words: &[String], phrase: &Phrase) -> bool {
    words.windows(phrase.0.len()).any(|w| w == phrase.0.as_slice())
}

/// The lower-cased words of `text`: letters, digits and inner apostrophes.
fn words_of(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(|w| w.trim_matches('\'').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

/// The Store port for a business's rules.
#[async_trait]
pub trait SpeechRuleStore {
    /// The business's rules, oldest first (the order [`judge`] applies them in).
    async fn speech_rules(&self, business: BusinessId) -> StoreResult<Vec<SpeechRule>>;
    /// Adds a rule (validated by the caller) at the end.
    async fn add_speech_rule(&self, business: BusinessId, rule: &NewSpeechRule) -> StoreResult<SpeechRule>;
    /// Removes one of the business's rules; `NotFound` for another business's.
    async fn remove_speech_rule(&self, business: BusinessId, id: i64) -> StoreResult<()>;
}

#[cfg(test)]
#[path = "speech_rules_tests.rs"]
mod tests;
