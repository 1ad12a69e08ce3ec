//! Events: what happened to a lead, a call or a form, recorded in the same transaction as
//! the change and delivered from the outbox to every outside system that subscribes.

mod data;
#[cfg(any(test, feature = "test-support"))]
pub mod samples;

pub use data::recording_path;
pub use data::{
    Authored, CallCompleted, CallConnected, CallDialed, CallInitiated, CallSpamChanged, ConversionMarked,
    ConversionUnmarked, EventData, FieldChange, FormCompleted, LeadErased, LeadUpdate, Note, Sale, StatusChange,
};

use crate::channel::{Attribution, ClickIds};
use crate::{BusinessId, Invalid, LeadId, SiteId};
use chrono::{DateTime, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// The kinds of event, with their wire names (`call.completed`); what each carries is its
/// [`EventData`] variant of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    /// A call element was clicked (click mode): a code was handed out.
    #[serde(rename = "call.initiated")]
    CallInitiated,
    /// A call came in and its digits resolved (or did not): the call record exists.
    #[serde(rename = "call.dialed")]
    CallDialed,
    /// An operator answered.
    #[serde(rename = "call.connected")]
    CallConnected,
    /// The call ended.
    #[serde(rename = "call.completed")]
    CallCompleted,
    /// A form was submitted.
    #[serde(rename = "form.completed")]
    FormCompleted,
    /// The lead's status changed.
    #[serde(rename = "lead.status_changed")]
    LeadStatusChanged,
    /// A sale was recorded.
    #[serde(rename = "sale.recorded")]
    SaleRecorded,
    /// A note was added.
    #[serde(rename = "note.added")]
    NoteAdded,
    /// Contact fields, custom fields or tags changed.
    #[serde(rename = "lead.updated")]
    LeadUpdated,
    /// The person behind the lead was erased: their data is gone from Leadline, and each
    /// receiver is asked to erase what it holds of them too.
    #[serde(rename = "lead.erased")]
    LeadErased,
    /// An operator marked a call or a form as an ad conversion (or marked it again).
    #[serde(rename = "conversion.marked")]
    ConversionMarked,
    /// An operator removed a call's or a form's conversion mark.
    #[serde(rename = "conversion.unmarked")]
    ConversionUnmarked,
    /// A call was flagged spam (by a rule or a person), or a person said it is not.
    #[serde(rename = "call.spam_changed")]
    CallSpamChanged,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 13] = [
        Self::CallInitiated,
        Self::CallDialed,
        Self::CallConnected,
        Self::CallCompleted,
        Self::FormCompleted,
        Self::LeadStatusChanged,
        Self::SaleRecorded,
        Self::NoteAdded,
        Self::LeadUpdated,
        Self::LeadErased,
        Self::ConversionMarked,
        Self::ConversionUnmarked,
        Self::CallSpamChanged,
    ];

    /// The stored and wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::CallInitiated => "call.initiated",
            Self::CallDialed => "call.dialed",
            Self::CallConnected => "call.connected",
            Self::CallCompleted => "call.completed",
            Self::FormCompleted => "form.completed",
            Self::LeadStatusChanged => "lead.status_changed",
            Self::SaleRecorded => "sale.recorded",
            Self::NoteAdded => "note.added",
            Self::LeadUpdated => "lead.updated",
            Self::LeadErased => "lead.erased",
            Self::ConversionMarked => "conversion.marked",
            Self::ConversionUnmarked => "conversion.unmarked",
            Self::CallSpamChanged => "call.spam_changed",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == input)
            .ok_or_else(|| Invalid::new("event kind", format!("'{input}' is unknown")))
    }
}

/// What identifies the person in analytics and ad platforms: taken from the visit the
/// record came from (else the lead's latest visit), when there is one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorIds {
    pub visitor_key: Option<String>,
    /// The raw `_ga` cookie.
    pub ga_cookie: Option<String>,
    /// The raw `_ga_<STREAM>` cookies by stream id.
    pub ga_streams: BTreeMap<String, String>,
    pub click_ids: ClickIds,
    /// Where the visit came from; for an offline (print) source, its UTM fields.
    pub attribution: Option<Attribution>,
    /// When the visit began.
    pub visit_started_at: Option<DateTime<Utc>>,
    /// The page the visitor landed on.
    pub landing_url: Option<String>,
}

/// The lead as it is when the event is delivered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadSnapshot {
    pub id: LeadId,
    pub record_ref: u64,
    pub status: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub source: Option<String>,
    pub tags: Vec<String>,
}

/// One event, assembled for delivery. As JSON (a webhook's body) it is an object with its
/// fields in this order and `kind` second, before `occurred_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `ev_` and 22 random characters; with the integration's id it is the idempotency key.
    pub id: String,
    pub occurred_at: DateTime<Utc>,
    pub business_id: BusinessId,
    pub site_id: Option<SiteId>,
    /// The ref the event is labelled with: the call's for call events, else the lead's.
    pub record_ref: Option<u64>,
    pub lead: Option<LeadSnapshot>,
    pub visitor: VisitorIds,
    /// What is particular to the kind, which it names.
    pub data: EventData,
}

impl Event {
    /// The event's kind: its data's.
    pub fn kind(&self) -> EventKind {
        self.data.kind()
    }
}

/// An event as JSON has it, to be written.
#[derive(Serialize)]
struct WireOut<'a> {
    id: &'a str,
    kind: EventKind,
    occurred_at: &'a DateTime<Utc>,
    business_id: BusinessId,
    site_id: Option<SiteId>,
    record_ref: Option<u64>,
    lead: &'a Option<LeadSnapshot>,
    visitor: &'a VisitorIds,
    data: &'a EventData,
}

/// An event as JSON has it, read: the data is read as its kind's.
#[derive(Deserialize)]
struct WireIn {
    id: String,
    kind: EventKind,
    occurred_at: DateTime<Utc>,
    business_id: BusinessId,
    site_id: Option<SiteId>,
    record_ref: Option<u64>,
    lead: Option<LeadSnapshot>,
    visitor: VisitorIds,
    data: serde_json::Value,
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        WireOut {
            id: &self.id,
            kind: self.kind(),
            occurred_at: &self.occurred_at,
            business_id: self.business_id,
            site_id: self.site_id,
            record_ref: self.record_ref,
            lead: &self.lead,
            visitor: &self.visitor,
            data: &self.data,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = WireIn::deserialize(deserializer)?;
        Ok(Self {
            id: wire.id,
            occurred_at: wire.occurred_at,
            business_id: wire.business_id,
            site_id: wire.site_id,
            record_ref: wire.record_ref,
            lead: wire.lead,
            visitor: wire.visitor,
            data: EventData::from_json(wire.kind, wire.data).map_err(D::Error::custom)?,
        })
    }
}

/// An event to record with a change, in the change's own transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub business_id: BusinessId,
    pub site_id: Option<SiteId>,
    pub lead_id: Option<LeadId>,
    /// The call's row id, for call events.
    pub call_id: Option<i64>,
    /// The submission's row id, for form events.
    pub submission_id: Option<i64>,
    /// The visit's row id, when the event comes from a visit (a click) rather than a record.
    pub visit_id: Option<i64>,
    /// What is particular to the kind, which it names.
    pub data: EventData,
}

impl NewEvent {
    /// The event's kind: its data's.
    pub fn kind(&self) -> EventKind {
        self.data.kind()
    }
}

/// A fresh event id.
pub fn new_event_id() -> String {
    format!("ev_{}", crate::secret::random_token(22))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::{MessageId, SubmissionVia};
    use crate::lead::LeadMatch;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()).unwrap(), kind);
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert!(EventKind::parse("call.exploded").is_err());
    }

    fn delivered() -> Event {
        Event {
            id: "ev_SHEvmCvCbRoNNaHxcjAoeh".into(),
            occurred_at: "2026-11-28T18:16:06.170Z".parse().unwrap(),
            business_id: BusinessId(1),
            site_id: Some(SiteId(1)),
            record_ref: Some(1002),
            lead: Some(LeadSnapshot {
                id: LeadId(3),
                record_ref: 1002,
                status: "new".into(),
                name: None,
                email: Some("ann@example.com".into()),
                phone: None,
                company: None,
                source: Some("google / cpc".into()),
                tags: vec!["vip".into()],
            }),
            visitor: VisitorIds {
                visitor_key: Some("ga:1000002.1700000000".into()),
                ga_cookie: Some("GA1.1.1000002.1700000000".into()),
                ga_streams: BTreeMap::from([("_ga_ABC123".into(), "GS2.1.s1764353766$o1".into())]),
                click_ids: ClickIds {
                    gclid: Some(crate::click_id::ClickId::parse(crate::click_id::ClickKind::Gclid, "Cj0KCQ").unwrap()),
                    ..ClickIds::default()
                },
                attribution: Some(samples::google_cpc()),
                visit_started_at: Some("2026-11-28T18:16:06.157Z".parse().unwrap()),
                landing_url: Some("https://acme.example/contact?gclid=Cj0KCQ".into()),
            },
            data: EventData::FormCompleted(FormCompleted {
                fields: vec![
                    ("email".into(), "ann@example.com".into()),
                    ("message".into(), "Please call me back".into()),
                ],
                matched_by: LeadMatch::New,
                message_id: MessageId::parse("m_GeHw4o3Vo7YNTZMfyhXaw8").unwrap(),
                page_url: None,
                via: SubmissionVia::Processor,
            }),
        }
    }

    /// The body a signed webhook sends, byte for byte (receivers verify the signature over it).
    const WEBHOOK_BODY: &str = concat!(
        r#"{"id":"ev_SHEvmCvCbRoNNaHxcjAoeh","kind":"form.completed","occurred_at":"2026-11-28T18:16:06.170Z","#,
        r#""business_id":1,"site_id":1,"record_ref":1002,"#,
        r#""lead":{"id":3,"record_ref":1002,"status":"new","name":null,"email":"ann@example.com","phone":null,"#,
        r#""company":null,"source":"google / cpc","tags":["vip"]},"#,
        r#""visitor":{"visitor_key":"ga:1000002.1700000000","ga_cookie":"GA1.1.1000002.1700000000","#,
        r#""ga_streams":{"_ga_ABC123":"GS2.1.s1764353766$o1"},"#,
        r#""click_ids":{"gclid":"Cj0KCQ","gbraid":null,"wbraid":null,"msclkid":null,"fbclid":null},"#,
        r#""attribution":{"source":"google","medium":"cpc","campaign":null,"term":null,"content":null},"#,
        r#""visit_started_at":"2026-11-28T18:16:06.157Z","landing_url":"https://acme.example/contact?gclid=Cj0KCQ"},"#,
        r#""data":{"fields":[["email","ann@example.com"],["message","Please call me back"]],"matched_by":"new","#,
        r#""message_id":"m_GeHw4o3Vo7YNTZMfyhXaw8","page_url":null,"via":"processor"}}"#,
    );

    #[test]
    fn a_webhook_body_keeps_its_exact_bytes_and_reads_back() {
        let body = serde_json::to_string(&delivered()).unwrap();
        assert_eq!(body, WEBHOOK_BODY);
        assert_eq!(serde_json::from_str::<Event>(&body).unwrap(), delivered());
    }
}
