//! One entry of the Activity list as people read it: in the page, in the live panel (sent as
//! JSON to `live.js`) and in the CSV.

use super::matched_label;
use crate::app::AppState;
use crate::export::Cell;
use crate::http::operator::shell::local_time;
use leadline_core::BusinessId;
use leadline_core::interaction::{CallResult, Interaction, InteractionKind};
use leadline_core::tenant::Site;
use leadline_core::token::recording_link_signature;

/// How long a recording link in a page stays good.
pub const RECORDING_LINK_SECONDS: i64 = 60 * 60;

/// An entry, ready to show.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    /// `call`, `form` or `reply`.
    pub kind: &'static str,
    /// `call-1042`: the entry's id in the page, which live updates replace.
    pub key: String,
    pub record_ref: u64,
    pub time: String,
    pub lead_ref: u64,
    pub lead: String,
    pub source: String,
    pub keyword: String,
    pub landing: String,
    pub matched: String,
    /// The result's name (`in_call`, `answered`, …), empty for forms and replies.
    pub result: &'static str,
    /// What the outcome column says ("IN CALL", "missed", "form", "note by sms:…").
    pub outcome: String,
    pub talk: String,
    pub operator: String,
    pub caller_history: &'static str,
    pub tags: String,
    /// An expiring link to the call's recording, served by Leadline.
    pub recording: Option<String>,
}

impl Row {
    /// The CSV's header, in the order of [`Row::cells`].
    pub const HEADER: [&'static str; 14] = [
        "Type",
        "Ref",
        "Time",
        "Lead",
        "Lead ref",
        "Source",
        "Keyword",
        "Landing page",
        "Matched by",
        "Outcome",
        "Talk time",
        "Operator",
        "Caller",
        "Tags",
    ];

    /// `entry` as shown, its time in the zone of its site.
    pub fn of(state: &AppState, entry: &Interaction, sites: &[Site]) -> Self {
        let site = entry.site_id.and_then(|id| sites.iter().find(|s| s.id == id));
        let call = entry.call.as_ref();
        let source = match (&entry.source, &entry.medium, call.and_then(|c| c.source_label.as_ref())) {
            (Some(source), Some(medium), _) => format!("{source} / {medium}"),
            (Some(source), None, _) => source.clone(),
            (None, _, Some(label)) => label.clone(),
            _ => String::new(),
        };
        let lead = entry
            .lead_name
            .clone()
            .or_else(|| call.map(|c| c.caller.clone()))
            .unwrap_or_default();
        let outcome = match (entry.kind, call) {
            (InteractionKind::Call, Some(c)) => match c.spam {
                Some(reason) => format!("{} · spam ({})", c.result.label(), reason.label()),
                None => c.result.label().to_owned(),
            },
            (InteractionKind::Form, _) => "form".to_owned(),
            _ => entry.summary.clone().unwrap_or_default(),
        };
        let recording = call
            .filter(|c| c.has_recording)
            .map(|_| recording_link(state, entry.business_id, entry.record_ref));
        Self {
            kind: entry.kind.as_str(),
            key: format!("{}-{}", entry.kind.as_str(), entry.id),
            record_ref: entry.record_ref,
            time: local_time(entry.at, site),
            lead_ref: entry.lead_ref,
            lead,
            source,
            keyword: entry.keyword.clone().unwrap_or_default(),
            landing: entry.landing_page.clone().unwrap_or_default(),
            matched: call.map(|c| matched_label(c.matched_by)).unwrap_or_default().to_owned(),
            result: call.map(|c| c.result.as_str()).unwrap_or_default(),
            outcome,
            talk: call
                .filter(|c| c.result != CallResult::InCall)
                .and_then(|c| c.talk_seconds)
                .map(minutes)
                .unwrap_or_default(),
            operator: call.and_then(|c| c.answered_by.clone()).unwrap_or_default(),
            caller_history: match call.and_then(|c| c.first_time) {
                Some(true) => "first-time",
                Some(false) => "returning",
                None => "",
            },
            tags: entry.tags.join(", "),
            recording,
        }
    }

    /// Whether the entry is a call in progress.
    pub fn in_call(&self) -> bool {
        self.result == CallResult::InCall.as_str()
    }

    /// The entry's CSV cells, in the order of [`Row::HEADER`].
    pub fn cells(&self) -> Vec<Cell> {
        [
            self.kind.to_owned(),
            self.record_ref.to_string(),
            self.time.clone(),
            self.lead.clone(),
            self.lead_ref.to_string(),
            self.source.clone(),
            self.keyword.clone(),
            self.landing.clone(),
            self.matched.clone(),
            self.outcome.clone(),
            self.talk.clone(),
            self.operator.clone(),
            self.caller_history.to_owned(),
            self.tags.clone(),
        ]
        .into_iter()
        .map(Cell::Text)
        .collect()
    }
}

/// `m:ss`.
fn minutes(seconds: u32) -> String {
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

/// A page's link to the recording of a call, good for [`RECORDING_LINK_SECONDS`] from now.
pub fn recording_link(state: &AppState, business: BusinessId, record_ref: u64) -> String {
    let until = leadline_core::clock::now().timestamp() + RECORDING_LINK_SECONDS;
    let signature = recording_link_signature(&state.secret, business, record_ref, until);
    format!("/app/calls/{record_ref}/recording?until={until}&sig={signature}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn talk_time_reads_as_minutes_and_seconds() {
        assert_eq!(minutes(0), "0:00");
        assert_eq!(minutes(125), "2:05");
        assert_eq!(minutes(3600), "60:00");
    }
}
