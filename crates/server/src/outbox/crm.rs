//! What the lead-manager adapters (Salesforce, HubSpot) share: a lead's contact values as a
//! CRM record takes them, the one line that tells a person what an event was, whether a
//! change came from the CRM itself, and the guard that keeps two deliveries of one lead from
//! creating two records.

use super::{Cache, Failure, transport_failure};
use leadline_core::event::{Event, EventData, LeadSnapshot};
use leadline_core::money::format_minor;
use leadline_core::store::StoreError;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::time::Duration;

/// Why a store call failed, as a failure worth retrying.
pub(crate) fn store_failure(error: StoreError) -> Failure {
    Failure::Retry(format!("database: {error}"))
}

/// Sends `method url` to a CRM's REST API with the bearer `token` and, when given, a JSON
/// body, asking for JSON back; answers the status and the body. Only a transport error fails.
pub(crate) async fn send_json(
    http: &reqwest::Client,
    timeout: Duration,
    token: &str,
    method: Method,
    url: String,
    body: Option<&Value>,
) -> Result<(StatusCode, String), Failure> {
    let mut request = http
        .request(method, url)
        .timeout(timeout)
        .bearer_auth(token)
        .header(reqwest::header::ACCEPT, "application/json");
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.map_err(|e| transport_failure(&e))?;
    let status = response.status();
    let body = response.text().await.map_err(|e| transport_failure(&e))?;
    Ok((status, body))
}

/// `text` cut to at most `max` characters.
pub(crate) fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Whether the change behind a lead event was made by `author` (a CRM's pull: its changes
/// are not sent back to it).
pub(crate) fn authored_by(event: &Event, author: &str) -> bool {
    event.data.author().is_some_and(|a| a.as_str() == author)
}

/// A person's name as (first name, last name): the last word is the last name.
pub(crate) fn split_name(name: Option<&str>) -> (Option<String>, Option<String>) {
    let words: Vec<&str> = name.unwrap_or_default().split_whitespace().collect();
    match words.split_last() {
        None => (None, None),
        Some((last, [])) => (None, Some((*last).to_owned())),
        Some((last, rest)) => (Some(rest.join(" ")), Some((*last).to_owned())),
    }
}

/// A lead's contact values as a CRM record takes them: trimmed, the name split, empty ones
/// `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ContactValues {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
}

impl ContactValues {
    /// The lead's values; `only` limits them to the Leadline fields it names (`name`,
    /// `email`, `phone`, `company`).
    pub(crate) fn of(lead: &LeadSnapshot, only: Option<&[&str]>) -> Self {
        let wanted = |field: &str| only.is_none_or(|only| only.contains(&field));
        let value = |field: &str, value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| wanted(field) && !v.is_empty())
                .map(str::to_owned)
        };
        let (first_name, last_name) = if wanted("name") {
            split_name(lead.name.as_deref())
        } else {
            (None, None)
        };
        Self {
            first_name,
            last_name,
            email: value("email", &lead.email),
            phone: value("phone", &lead.phone),
            company: value("company", &lead.company),
        }
    }

    /// The values of the fields a `lead.updated` event says changed; of every field for any
    /// other event. A tags update changes none.
    pub(crate) fn changed_by(event: &Event, lead: &LeadSnapshot) -> Self {
        match &event.data {
            EventData::LeadUpdated(update) => Self::of(lead, Some(&update.change.changed_fields())),
            _ => Self::of(lead, None),
        }
    }
}

/// Where the event's visit came from (`google / cpc`), else where the lead first came from.
fn source_of(event: &Event) -> Option<String> {
    event
        .visitor
        .attribution
        .as_ref()
        .map(|a| format!("{} / {}", a.source, a.medium))
        .or_else(|| event.lead.as_ref().and_then(|l| l.source.clone()))
}

/// What happened, in one line for a person (`Call 1042 from google / cpc, 3 min, answered`);
/// `None` for events that are not worth a line (status and contact changes).
pub(crate) fn summary(event: &Event) -> Option<String> {
    let from = source_of(event).map(|s| format!(" from {s}")).unwrap_or_default();
    let reference = event.record_ref.map(|r| format!(" {r}")).unwrap_or_default();
    Some(match &event.data {
        EventData::CallInitiated(_)
        | EventData::CallConnected(_)
        | EventData::LeadErased(_)
        | EventData::ConversionMarked(_)
        | EventData::ConversionUnmarked(_)
        | EventData::CallSpamChanged(_) => return None,
        EventData::CallDialed(_) => format!("Call{reference}{from} came in"),
        EventData::CallCompleted(call) => {
            let seconds = call.duration_seconds;
            let duration = if seconds < 60 {
                format!("{seconds} s")
            } else {
                format!("{} min", (seconds + 30) / 60)
            };
            let outcome = match call.outcome {
                Some(outcome) => outcome.as_str().replace(['-', '_'], " "),
                None if call.answered => "answered".to_owned(),
                None => "not answered".to_owned(),
            };
            format!("Call{reference}{from}, {duration}, {outcome}")
        }
        EventData::FormCompleted(_) => format!("Form submitted{from}"),
        EventData::SaleRecorded(recorded) => {
            let sale = &recorded.change;
            let money = |minor| format_minor(minor, sale.currency.minor_digits());
            let mut line = format!(
                "Sale of {} {} (cost {}, profit {})",
                money(sale.revenue_minor),
                sale.currency.code(),
                money(sale.cost_minor),
                money(sale.profit_minor)
            );
            if let Some(call) = sale.call_ref {
                line.push_str(&format!(", call {call}"));
            }
            line
        }
        EventData::NoteAdded(note) => format!("Note: {}", clip(note.change.text.trim(), 2_000)),
        EventData::LeadStatusChanged(_) | EventData::LeadUpdated(_) => return None,
    })
}

/// Marks "a delivery of this process is creating the record of this lead" in the cache, for
/// as long as the value lives; dropping it clears the mark. A second delivery of the same lead
/// that finds the mark retries later and then finds the id, instead of creating a twin.
pub(crate) struct Creating<'a> {
    cache: &'a Cache,
    key: String,
}

impl<'a> Creating<'a> {
    pub(crate) fn claim(cache: &'a Cache, key: String, hold: Duration) -> Result<Self, Failure> {
        if cache.get(&key).is_some() {
            return Err(Failure::Retry(
                "another delivery of this lead is creating its record; trying again shortly".into(),
            ));
        }
        cache.put(&key, "1".into(), hold);
        Ok(Self { cache, key })
    }
}

impl Drop for Creating<'_> {
    fn drop(&mut self) {
        self.cache.forget(&self.key);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use leadline_core::call::CallOutcome;
    use leadline_core::event::samples as data;
    use leadline_core::event::{Authored, FieldChange, LeadUpdate, VisitorIds};
    use leadline_core::lead::{Author, LeadMatch, LeadStatus};
    use leadline_core::{BusinessId, LeadId};
    use std::collections::BTreeMap;

    pub(crate) fn event(data: EventData) -> Event {
        Event {
            id: "ev_0123456789abcdefghijkl".into(),
            occurred_at: "2024-05-01T14:03:09Z".parse().unwrap(),
            business_id: BusinessId(1),
            site_id: None,
            record_ref: Some(1042),
            lead: Some(snapshot()),
            visitor: VisitorIds {
                attribution: Some(data::google_cpc()),
                ..VisitorIds::default()
            },
            data,
        }
    }

    pub(crate) fn snapshot() -> LeadSnapshot {
        LeadSnapshot {
            id: LeadId(5),
            record_ref: 1000,
            name: Some("Ann Marie Lee".into()),
            email: Some("ann@example.com".into()),
            phone: Some("+12025550169".into()),
            ..data::lead()
        }
    }

    #[test]
    fn names_split_on_the_last_word() {
        assert_eq!(
            split_name(Some("Ann Marie Lee")),
            (Some("Ann Marie".into()), Some("Lee".into()))
        );
        assert_eq!(split_name(Some("  Cher ")), (None, Some("Cher".into())));
        assert_eq!(split_name(Some("  ")), (None, None));
        assert_eq!(split_name(None), (None, None));
    }

    #[test]
    fn summaries_say_what_happened_in_one_line() {
        let completed = event(data::completed(170, true, Some(CallOutcome::Answered)));
        assert_eq!(
            summary(&completed).unwrap(),
            "Call 1042 from google / cpc, 3 min, answered"
        );
        let missed = event(data::completed(0, false, Some(CallOutcome::NoAnswer)));
        assert_eq!(summary(&missed).unwrap(), "Call 1042 from google / cpc, 0 s, no answer");
        let silent = event(data::completed(45, false, None));
        assert_eq!(
            summary(&silent).unwrap(),
            "Call 1042 from google / cpc, 45 s, not answered"
        );
        let sale = event(data::sale("USD", 12050, 2000, Some(1042)));
        assert_eq!(
            summary(&sale).unwrap(),
            "Sale of 120.50 USD (cost 20.00, profit 100.50), call 1042"
        );
        let yen = event(data::sale("JPY", 5000, 0, None));
        assert_eq!(summary(&yen).unwrap(), "Sale of 5000 JPY (cost 0, profit 5000)");
        let note = event(data::note(" Wants a quote "));
        assert_eq!(summary(&note).unwrap(), "Note: Wants a quote");
        assert_eq!(
            summary(&event(data::form(LeadMatch::New))).unwrap(),
            "Form submitted from google / cpc"
        );
        assert_eq!(
            summary(&event(data::dialed())).unwrap(),
            "Call 1042 from google / cpc came in"
        );
        for quiet in [data::initiated(), data::connected(), data::tagged()] {
            assert_eq!(summary(&event(quiet)), None);
        }
        let status = event(data::status(LeadStatus::New, LeadStatus::Lost));
        assert_eq!(summary(&status), None);
    }

    #[test]
    fn contact_values_are_trimmed_and_limited_to_what_changed() {
        let mut lead = snapshot();
        lead.company = Some("  ".into());
        lead.phone = Some(" +12025550169 ".into());
        let all = ContactValues::of(&lead, None);
        assert_eq!(
            all,
            ContactValues {
                first_name: Some("Ann Marie".into()),
                last_name: Some("Lee".into()),
                email: Some("ann@example.com".into()),
                phone: Some("+12025550169".into()),
                company: None,
            }
        );
        let email = EventData::LeadUpdated(Authored {
            author: Author::system(),
            change: LeadUpdate::Fields {
                changed: BTreeMap::from([(
                    "email".into(),
                    FieldChange {
                        from: None,
                        to: Some("ann@example.com".into()),
                    },
                )]),
            },
        });
        let only_email = ContactValues {
            email: Some("ann@example.com".into()),
            ..ContactValues::default()
        };
        assert_eq!(ContactValues::changed_by(&event(email), &lead), only_email);
        assert_eq!(
            ContactValues::changed_by(&event(data::tagged()), &lead),
            ContactValues::default()
        );
        assert_eq!(
            ContactValues::changed_by(&event(data::form(LeadMatch::New)), &lead),
            all
        );
    }

    #[test]
    fn a_change_is_known_by_its_author() {
        let pulled = event(data::status(LeadStatus::New, LeadStatus::Lost));
        assert!(authored_by(&pulled, "system"));
        assert!(!authored_by(&pulled, "salesforce"));
        assert!(!authored_by(&event(data::dialed()), "system"), "a call has no author");
    }

    #[test]
    fn a_second_creation_of_the_same_record_waits_for_the_first() {
        let cache = Cache::default();
        let first = Creating::claim(&cache, "k".into(), Duration::from_secs(60)).unwrap();
        assert!(matches!(
            Creating::claim(&cache, "k".into(), Duration::from_secs(60)),
            Err(Failure::Retry(_))
        ));
        drop(first);
        assert!(Creating::claim(&cache, "k".into(), Duration::from_secs(60)).is_ok());
    }
}
