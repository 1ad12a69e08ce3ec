//! Visits and their extension codes: the records, the plan for a code that a request
//! carries to the store, and what the store answers.

use crate::channel::{Attribution, ClickIds};
use crate::secret::random_token;
use crate::visitor::{Device, VisitorKey};
use crate::{IntentId, Invalid, NumberId, SiteId};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// The public id of a visit, handed to the browser: 16 random letters and digits (row ids
/// are never exposed, so visits cannot be enumerated).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VisitRef(String);

impl VisitRef {
    /// A new random id.
    pub fn generate() -> Self {
        Self(random_token(16))
    }

    /// Parses an id as presented in a URL.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        if input.len() == 16 && input.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Self(input.to_owned()))
        } else {
            Err(Invalid::new("visit id", "it is not a visit id (16 letters and digits)"))
        }
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for VisitRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for VisitRef {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<VisitRef> for String {
    fn from(value: VisitRef) -> Self {
        value.0
    }
}

/// The selector that splits a number's extension space in two, as the patent describes:
/// codes of the `Star` pool are keyed after a leading `*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Selector {
    /// Plain codes.
    Plain,
    /// Codes keyed as `*CODE`.
    Star,
}

impl Selector {
    /// The stored (and keyed) prefix: `""` or `"*"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Plain => "",
            Self::Star => "*",
        }
    }
}

/// One extension space: a tracking number and a selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PoolKey {
    pub number: NumberId,
    pub selector: Selector,
}

/// How codes are handed out in a pool for one site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllocationPolicy {
    /// A code is freed this many milliseconds after the last activity of its holder.
    pub idle_ms: i64,
    /// At most this many live codes for the site in the pool; past it the longest idle is
    /// evicted to make room.
    pub max_live: u32,
    /// A freed code is not handed out again for this many milliseconds (0: at once).
    pub quarantine_ms: i64,
}

/// The pool and policy a code comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeRequest {
    pub pool: PoolKey,
    pub policy: AllocationPolicy,
}

/// What a request may do about the visit's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePlan {
    /// No code at all (the site has no tracking number).
    None,
    /// Report the live click code, if any, without refreshing it (click mode, not a click).
    Peek,
    /// The visit holds the code (page-load mode): refresh it, or allocate one.
    Visit(CodeRequest),
    /// A click holds the code (click mode): reuse the visit's live click code, or allocate.
    Click(CodeRequest),
    /// The site is a number pool: the visit holds one number of the pool for `idle_ms` after
    /// its last activity (refreshed, or taken as [`crate::number_pool::choose`] says).
    Pool { idle_ms: i64 },
}

/// A new visit, validated and classified by the server.
#[derive(Debug, Clone)]
pub struct NewVisit {
    pub site_id: SiteId,
    pub public_id: VisitRef,
    pub visitor_key: VisitorKey,
    pub landing_url: String,
    pub referrer: Option<String>,
    pub title: Option<String>,
    pub attribution: Attribution,
    pub click_ids: ClickIds,
    pub ga_cookie: Option<String>,
    pub ga_streams: BTreeMap<String, String>,
    pub utma: Option<String>,
    pub device: Device,
    /// The id the page used for the visit before registration answered.
    pub temp_id: Option<crate::form::TempId>,
    /// The visitor's advertising consent signal, as the snippet read it.
    pub ads_consent: crate::ad_consent::AdConsent,
}

/// Something a page tells about a visit after registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Touch {
    /// Another page was shown.
    PageView { url: String, title: Option<String> },
    /// The page is still visible.
    Heartbeat,
    /// Custom variables: merged into the visit's, or replacing them.
    SetVars {
        vars: BTreeMap<String, String>,
        replace: bool,
    },
    /// A call element was clicked (where, for a pointer's click: the heatmap's spot).
    Click {
        element: String,
        url: String,
        spot: Option<crate::heatmap::ClickSpot>,
    },
}

/// How the visit's code came to be, as a request leaves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeOutcome {
    /// A code was allocated now.
    Allocated,
    /// A returning visitor's live code was moved to this visit.
    Returning,
    /// The visit's live code was kept (and refreshed where the plan says so).
    Kept,
    /// No code.
    None,
}

/// The visit and its code after a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitState {
    pub visit: VisitRef,
    pub code: Option<u64>,
    pub outcome: CodeOutcome,
    /// Another visit's code was evicted to stay within the site's cap (on a pool site:
    /// the pool was exhausted and another visit's number overwritten).
    pub evicted: bool,
    /// The pool number the visit holds (pool sites; `code` is then `None`).
    pub pool_number: Option<crate::E164>,
}

/// A stored visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub public_id: VisitRef,
    pub site_id: SiteId,
    pub visitor_key: VisitorKey,
    pub landing_url: String,
    pub referrer: Option<String>,
    pub attribution: Attribution,
    pub click_ids: ClickIds,
    pub ga_cookie: Option<String>,
    pub ga_streams: BTreeMap<String, String>,
    pub utma: Option<String>,
    pub device: Device,
    /// The visitor's advertising consent signal, as the snippet read it at registration.
    pub ads_consent: crate::ad_consent::AdConsent,
    pub custom: BTreeMap<String, String>,
    pub page_views: u32,
    pub started_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// A page shown during a visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageView {
    pub url: String,
    pub title: Option<String>,
    pub at: DateTime<Utc>,
}

/// A click on a call element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallIntent {
    pub id: IntentId,
    pub element: String,
    pub page_url: String,
    pub at: DateTime<Utc>,
}

/// Who holds a live code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveCode {
    pub site_id: SiteId,
    pub visit: VisitRef,
    pub intent: Option<IntentId>,
    pub expires_at: DateTime<Utc>,
}

/// Limits on custom variables, so a page cannot grow a visit without bound.
pub const MAX_VARS: usize = 20;
/// Longest variable name.
pub const MAX_VAR_NAME: usize = 40;
/// Longest variable value.
pub const MAX_VAR_VALUE: usize = 200;

/// Checks custom variables against the limits (names: letters, digits, `_`, `-`, `.`).
pub fn validate_vars(vars: &BTreeMap<String, String>) -> Result<(), Invalid> {
    let invalid = |reason: String| Err(Invalid::new("custom variables", reason));
    if vars.len() > MAX_VARS {
        return invalid(format!("at most {MAX_VARS} variables"));
    }
    for (name, value) in vars {
        let name_ok = !name.is_empty()
            && name.len() <= MAX_VAR_NAME
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !name_ok {
            return invalid(format!(
                "'{name}' is not a variable name (1 to {MAX_VAR_NAME} of a-z, 0-9, _ - .)"
            ));
        }
        if value.chars().count() > MAX_VAR_VALUE || value.chars().any(char::is_control) {
            return invalid(format!(
                "the value of '{name}' is over {MAX_VAR_VALUE} characters or has control characters"
            ));
        }
    }
    Ok(())
}

/// The variables after a `SetVars` touch: merged (new values win) or replaced.
pub fn apply_vars(
    current: &BTreeMap<String, String>,
    vars: &BTreeMap<String, String>,
    replace: bool,
) -> Result<BTreeMap<String, String>, Invalid> {
    let mut next = if replace { BTreeMap::new() } else { current.clone() };
    next.extend(vars.iter().map(|(k, v)| (k.clone(), v.clone())));
    validate_vars(&next)?;
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn merging_keeps_other_variables_and_replacing_drops_them() {
        let current = vars(&[("language", "en"), ("product", "sofa")]);
        let merged = apply_vars(&current, &vars(&[("language", "es")]), false).unwrap();
        assert_eq!(merged, vars(&[("language", "es"), ("product", "sofa")]));
        let replaced = apply_vars(&current, &vars(&[("language", "es")]), true).unwrap();
        assert_eq!(replaced, vars(&[("language", "es")]));
    }

    #[test]
    fn variables_are_bounded() {
        assert!(validate_vars(&vars(&[("bad name", "x")])).is_err());
        assert!(validate_vars(&vars(&[("ok", &"x".repeat(201))])).is_err());
        let many: BTreeMap<String, String> = (0..21).map(|i| (format!("k{i}"), "v".into())).collect();
        assert!(validate_vars(&many).is_err());
    }

    #[test]
    fn visit_refs_are_sixteen_alphanumerics() {
        let id = VisitRef::generate();
        assert_eq!(VisitRef::parse(id.as_str()).unwrap(), id);
        assert!(VisitRef::parse("../../etc/passwd").is_err());
    }
}
