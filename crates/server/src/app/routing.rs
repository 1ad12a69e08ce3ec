//! Which operators a call rings: the site's first matching routing rule (by channel,
//! campaign, keyword, custom variable, business extension and business hours), else every
//! destination at once.

use super::error::AppResult;
use chrono::Datelike;
use leadline_core::call::Call;
use leadline_core::routing::{Facts, choose};
use leadline_core::store::Store;
use std::collections::BTreeMap;

/// The numbers to ring now (at once), and those to ring after them, one by one, if nobody
/// answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ringing {
    pub now: Vec<String>,
    pub then: Vec<String>,
}

impl Ringing {
    /// Everyone at once.
    pub fn all(destinations: &[String]) -> Self {
        Self {
            now: destinations.iter().take(10).cloned().collect(),
            then: Vec::new(),
        }
    }
}

/// Chooses whom `call` rings among the business's `destinations`. A rule's numbers that are
/// no longer destinations are skipped; a rule left with nobody falls back to everyone.
pub async fn route(store: &dyn Store, call: &Call, destinations: &[String]) -> AppResult<Ringing> {
    let rules = store.routing_rules(call.site_id).await?;
    if rules.is_empty() {
        return Ok(Ringing::all(destinations));
    }
    let site = store.site_by_id(call.site_id).await?;
    let custom = match &call.origin.visit {
        Some(visit) => store.visit(call.site_id, visit).await?.custom,
        None => BTreeMap::new(),
    };
    let local = leadline_core::clock::now().with_timezone(&site.timezone.tz());
    let facts = Facts {
        attribution: call.attribution.as_ref(),
        custom: &custom,
        extension: call.extension.as_deref(),
        weekday: local.weekday(),
        local_time: local.time(),
    };
    let Some(rule) = choose(&rules, &facts) else {
        return Ok(Ringing::all(destinations));
    };
    let chosen: Vec<String> = rule
        .destinations
        .iter()
        .map(ToString::to_string)
        .filter(|n| destinations.contains(n))
        .collect();
    Ok(match (chosen.split_first(), rule.in_turn) {
        (None, _) => Ringing::all(destinations),
        (Some((first, rest)), true) => Ringing {
            now: vec![first.clone()],
            then: rest.to_vec(),
        },
        (Some(_), false) => Ringing {
            now: chosen,
            then: Vec::new(),
        },
    })
}
