//! Ad aggregation (the patent's master ad and phrases table): an owner groups ads and
//! campaigns across platforms into master ads by rules on source, campaign and content, and
//! keyword variants into master phrases. Reports roll their rows up through [`AdGrouping`].
//!
//! Keywords are compared in their [`normalise_phrase`] form: lower case, punctuation gone,
//! whitespace collapsed and words sorted, so "Sofa  Upholstery!" and "upholstery sofa" are
//! one phrase even when no master phrase names them. Plurals are *not* folded: stripping a
//! trailing `s` or `es` safely needs a dictionary ("glass", "bus", "news"), so "sofa" and
//! "sofas" stay apart unless a master phrase lists both.

use crate::Invalid;
use crate::ids::BusinessId;
use crate::names::Name;
use crate::report::NONE;
use crate::report::dimension::AD_SEPARATOR;
use crate::store::StoreResult;
use async_trait::async_trait;
use std::collections::HashMap;

/// The longest pattern and the longest variant, in characters.
pub const MAX_CHARS: usize = 200;
/// The most rules one master ad holds.
pub const MAX_RULES: usize = 50;
/// The most variants one master phrase holds.
pub const MAX_VARIANTS: usize = 500;

/// A value an ad's field is compared with, case-insensitively: an exact value (`google`) or a
/// glob where `*` stands for any run of characters (`google*`, `*brand*`). Stored in lower
/// case; 1 to 200 characters, no control characters, not only `*` (leave the field out to
/// match anything).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pattern(String);

impl Pattern {
    /// Parses a pattern as typed; `what` names the field ("source pattern").
    pub fn parse_as(what: &'static str, input: &str) -> Result<Self, Invalid> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(Invalid::new(what, "it is empty"));
        }
        if trimmed.chars().count() > MAX_CHARS {
            return Err(Invalid::new(what, format!("it is longer than {MAX_CHARS} characters")));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(Invalid::new(what, "it contains control characters"));
        }
        if trimmed.chars().all(|c| c == '*') {
            return Err(Invalid::new(
                what,
                format!("'{trimmed}' matches everything: leave the field empty instead"),
            ));
        }
        Ok(Self(trimmed.to_lowercase()))
    }

    /// Parses a pattern of any field.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::parse_as("pattern", input)
    }

    /// The pattern in lower case, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `value` matches, ignoring case.
    pub fn matches(&self, value: &str) -> bool {
        glob(&self.0, &value.to_lowercase())
    }
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `text` matches `pattern`, where `*` stands for any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == text;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// One rule of a master ad: an ad matches when each field the rule names matches (a field
/// left out matches anything, an ad without the field only a rule that leaves it out).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AdRule {
    pub source: Option<Pattern>,
    pub campaign: Option<Pattern>,
    pub content: Option<Pattern>,
}

impl AdRule {
    /// Reads a rule from its three fields as typed; an empty field (or only `*`) matches
    /// anything. `Invalid` when every field is empty or one is not a pattern.
    pub fn parse(source: &str, campaign: &str, content: &str) -> Result<Self, Invalid> {
        let field = |what: &'static str, text: &str| {
            let text = text.trim();
            if text.chars().all(|c| c == '*') {
                Ok(None)
            } else {
                Pattern::parse_as(what, text).map(Some)
            }
        };
        let rule = Self {
            source: field("source pattern", source)?,
            campaign: field("campaign pattern", campaign)?,
            content: field("content pattern", content)?,
        };
        rule.validate()?;
        Ok(rule)
    }

    /// `Invalid` for a rule that names no field (it would catch every ad).
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.source.is_none() && self.campaign.is_none() && self.content.is_none() {
            return Err(Invalid::new(
                "ad rule",
                "it names no source, campaign or content: give at least one",
            ));
        }
        Ok(())
    }

    /// Whether an ad with these values matches the rule.
    pub fn matches(&self, source: &str, campaign: Option<&str>, content: Option<&str>) -> bool {
        let field = |pattern: &Option<Pattern>, value: Option<&str>| match (pattern, value) {
            (None, _) => true,
            (Some(pattern), Some(value)) => pattern.matches(value),
            (Some(_), None) => false,
        };
        self.validate().is_ok()
            && field(&self.source, Some(source))
            && field(&self.campaign, campaign)
            && field(&self.content, content)
    }
}

/// Ads and campaigns across platforms counted as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterAd {
    pub id: i64,
    pub name: Name,
    /// Tried in order; an ad belongs to the master ad when one matches.
    pub rules: Vec<AdRule>,
}

/// Keyword variants counted as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterPhrase {
    pub id: i64,
    pub name: Name,
    /// In their normalised form, sorted.
    pub variants: Vec<String>,
}

/// A master ad to create, or what one becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMasterAd {
    pub name: Name,
    pub rules: Vec<AdRule>,
}

impl NewMasterAd {
    /// `Invalid` without a rule, with too many, or with a rule that names no field.
    pub fn validate(&self) -> Result<(), Invalid> {
        validate_rules(&self.rules)
    }
}

/// `Invalid` for no rule, more than [`MAX_RULES`], or a rule that names no field.
pub fn validate_rules(rules: &[AdRule]) -> Result<(), Invalid> {
    if rules.is_empty() {
        return Err(Invalid::new("ad rules", "give at least one rule"));
    }
    if rules.len() > MAX_RULES {
        return Err(Invalid::new("ad rules", format!("give at most {MAX_RULES} rules")));
    }
    rules.iter().try_for_each(AdRule::validate)
}

/// A master phrase to create, or what one becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMasterPhrase {
    pub name: Name,
    /// As typed; [`NewMasterPhrase::variants`] gives them normalised.
    pub variants: Vec<String>,
}

impl NewMasterPhrase {
    /// The variants normalised, without repeats, sorted (see [`normalise_variants`]).
    pub fn variants(&self) -> Result<Vec<String>, Invalid> {
        normalise_variants(&self.variants)
    }
}

/// Variants as typed, normalised, without repeats, sorted. `Invalid` when there is none, too
/// many, or one has no letter or digit.
pub fn normalise_variants(variants: &[String]) -> Result<Vec<String>, Invalid> {
    let mut normalised = Vec::with_capacity(variants.len());
    for variant in variants {
        if variant.chars().count() > MAX_CHARS {
            return Err(Invalid::new(
                "phrase variant",
                format!("it is longer than {MAX_CHARS} characters"),
            ));
        }
        let phrase = normalise_phrase(variant);
        if phrase.is_empty() {
            return Err(Invalid::new(
                "phrase variant",
                format!("'{}' has no letter or digit", variant.trim()),
            ));
        }
        normalised.push(phrase);
    }
    normalised.sort();
    normalised.dedup();
    if normalised.is_empty() {
        return Err(Invalid::new("phrase variants", "give at least one variant"));
    }
    if normalised.len() > MAX_VARIANTS {
        return Err(Invalid::new(
            "phrase variants",
            format!("give at most {MAX_VARIANTS} variants"),
        ));
    }
    Ok(normalised)
}

/// A business's master ads (in the order they are tried) and master phrases (by name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdGrouping {
    pub ads: Vec<MasterAd>,
    pub phrases: Vec<MasterPhrase>,
}

impl AdGrouping {
    /// The first master ad, in order, one of whose rules matches the ad.
    pub fn master_ad(&self, source: &str, campaign: Option<&str>, content: Option<&str>) -> Option<&MasterAd> {
        self.ads
            .iter()
            .find(|ad| ad.rules.iter().any(|rule| rule.matches(source, campaign, content)))
    }

    /// The name of the master phrase one of whose variants is the keyword once normalised;
    /// else the normalised keyword itself.
    pub fn master_phrase(&self, keyword: &str) -> String {
        let phrase = normalise_phrase(keyword);
        self.phrases
            .iter()
            .find(|p| p.variants.contains(&phrase))
            .map_or(phrase, |p| p.name.to_string())
    }

    /// The master ad of an ad as the report rollups store it: source, campaign and content
    /// joined by [`AD_SEPARATOR`], an empty part for a missing one. [`NONE`] (no visit) has
    /// none.
    pub fn master_ad_of_stored(&self, stored: &str) -> Option<&MasterAd> {
        if stored == NONE {
            return None;
        }
        let mut parts = stored.split(AD_SEPARATOR);
        let source = parts.next().unwrap_or_default();
        let campaign = parts.next().filter(|p| !p.is_empty());
        let content = parts.next().filter(|p| !p.is_empty());
        self.master_ad(source, campaign, content)
    }

    /// A table of every variant for reading many keywords: as [`AdGrouping::master_phrase`],
    /// one lookup each.
    pub fn phrase_table(&self) -> PhraseTable<'_> {
        let mut names = HashMap::new();
        for phrase in &self.phrases {
            for variant in &phrase.variants {
                names.entry(variant.as_str()).or_insert(phrase.name.as_str());
            }
        }
        PhraseTable { names }
    }
}

/// Every variant of a business's master phrases with its phrase's name
/// ([`AdGrouping::phrase_table`]).
#[derive(Debug, Clone)]
pub struct PhraseTable<'a> {
    names: HashMap<&'a str, &'a str>,
}

impl PhraseTable<'_> {
    /// The name of the keyword's master phrase, else the normalised keyword.
    pub fn master_phrase(&self, keyword: &str) -> String {
        let phrase = normalise_phrase(keyword);
        match self.names.get(phrase.as_str()) {
            Some(name) => (*name).to_owned(),
            None => phrase,
        }
    }
}

/// A keyword as it is compared: lower case (Unicode; a final `ς` as `σ`), apostrophes dropped
/// (`don't` is `dont`), every other character that is not a letter, digit or combining mark
/// a space, whitespace collapsed and the words sorted. Plurals are kept (see the module).
pub fn normalise_phrase(keyword: &str) -> String {
    let mut cleaned = String::with_capacity(keyword.len());
    for c in keyword.chars().flat_map(char::to_lowercase) {
        match c {
            '\'' | '\u{2019}' | '`' | '\u{b4}' => {}
            'ς' => cleaned.push('σ'),
            c if c.is_alphanumeric() || is_combining_mark(c) => cleaned.push(c),
            _ => cleaned.push(' '),
        }
    }
    let mut words: Vec<&str> = cleaned.split_whitespace().collect();
    words.sort_unstable();
    words.join(" ")
}

/// The combining diacritical marks (an accent typed as a separate character stays in its word).
fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{300}'..='\u{36f}' | '\u{1ab0}'..='\u{1aff}' | '\u{1dc0}'..='\u{1dff}' | '\u{20d0}'..='\u{20ff}')
}

/// Master ads and master phrases (ad aggregation), each of one business: another business's
/// id is `NotFound`, like a missing one. Names are unique per business (`Conflict`).
#[async_trait]
pub trait AdGroupStore {
    /// The business's master ads in the order they are tried, and its phrases by name.
    async fn ad_grouping(&self, business: BusinessId) -> StoreResult<AdGrouping>;
    /// Appends a master ad with its rules (`Invalid` without a rule).
    async fn create_master_ad(&self, business: BusinessId, new: &NewMasterAd) -> StoreResult<MasterAd>;
    /// Renames a master ad and replaces its rules; it keeps its place in the order.
    async fn edit_master_ad(&self, business: BusinessId, id: i64, edit: &NewMasterAd) -> StoreResult<MasterAd>;
    /// Removes a master ad with its rules.
    async fn remove_master_ad(&self, business: BusinessId, id: i64) -> StoreResult<()>;
    /// Swaps a master ad with its neighbour in the order (nothing at either end).
    async fn move_master_ad(&self, business: BusinessId, id: i64, direction: crate::routing::Move) -> StoreResult<()>;
    /// Creates a master phrase with its variants, stored normalised; `Conflict` naming the
    /// variant when it is another phrase's of the business.
    async fn create_master_phrase(&self, business: BusinessId, new: &NewMasterPhrase) -> StoreResult<MasterPhrase>;
    /// Renames a master phrase and replaces its variants (`Conflict` as when created).
    async fn edit_master_phrase(
        &self,
        business: BusinessId,
        id: i64,
        edit: &NewMasterPhrase,
    ) -> StoreResult<MasterPhrase>;
    /// Removes a master phrase with its variants.
    async fn remove_master_phrase(&self, business: BusinessId, id: i64) -> StoreResult<()>;
}

#[cfg(test)]
#[path = "adgroup_tests.rs"]
mod tests;
