//! The call-handling form of a site: its fields as the owner typed them (to show them again),
//! read from the site or from a post, and parsed into a [`CallHandling`] with each bad
//! field's reason next to it.

use super::form::{Errors, Fields};
use leadline_core::call_handling::{AfterHours, CallHandling, Language, Prompt, Voice};
use leadline_core::hours::{BusinessHours, WEEKDAYS};
use leadline_core::{E164, Invalid};

/// One weekday's field: its name, its label and the spans as typed.
pub struct Day {
    pub field: &'static str,
    pub label: &'static str,
    pub spans: String,
}

/// The call-handling form's values as typed.
pub struct CallsForm {
    pub language: String,
    pub voice: String,
    /// A sentence, or the `https://` address of a recording.
    pub greeting: String,
    pub disclosure: String,
    pub disclose_to_operator: bool,
    /// Business hours apply (off: always open).
    pub hours_on: bool,
    pub days: Vec<Day>,
    pub holidays: String,
    /// `voicemail`, `forward` or `hangup`.
    pub after_hours: String,
    pub forward_to: String,
    pub after_hours_message: String,
}

const DAY_FIELDS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

fn days(spans: impl Fn(usize) -> String) -> Vec<Day> {
    (0..7)
        .map(|i| Day {
            field: DAY_FIELDS[i],
            label: WEEKDAYS[i],
            spans: spans(i),
        })
        .collect()
}

/// `Some(None)` for an empty field, `Some(Some(value))` for a good one, `None` with the
/// reason next to `field` for a bad one.
fn optional<T>(
    errors: &mut Errors,
    field: &'static str,
    text: &str,
    parse: fn(&str) -> Result<T, Invalid>,
) -> Option<Option<T>> {
    if text.trim().is_empty() {
        return Some(None);
    }
    errors.take(field, parse(text)).map(Some)
}

fn text_of(prompt: &Option<Prompt>) -> String {
    prompt.as_ref().map(|p| p.as_text().to_owned()).unwrap_or_default()
}

impl CallsForm {
    /// The form of a site's stored handling; a site without hours is offered 09:00-17:00 on
    /// weekdays to start from.
    pub fn of(handling: &CallHandling) -> Self {
        let hours = handling.hours.clone().unwrap_or_else(|| {
            let mut office = BusinessHours::default();
            for day in office.week.iter_mut().take(5) {
                *day = BusinessHours::parse_day("09:00-17:00").expect("a valid span");
            }
            office
        });
        let holidays: Vec<String> = hours.holidays.iter().map(|d| d.to_string()).collect();
        let (after_hours, forward_to) = match &handling.after_hours {
            AfterHours::Voicemail => ("voicemail", String::new()),
            AfterHours::Forward { to } => ("forward", to.to_string()),
            AfterHours::Hangup => ("hangup", String::new()),
        };
        Self {
            language: handling
                .language
                .as_ref()
                .map(|l| l.as_str().to_owned())
                .unwrap_or_default(),
            voice: handling
                .voice
                .as_ref()
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default(),
            greeting: text_of(&handling.greeting),
            disclosure: text_of(&handling.disclosure),
            disclose_to_operator: handling.disclose_to_operator,
            hours_on: handling.hours.is_some(),
            days: days(|i| hours.day_text(i)),
            holidays: holidays.join("\n"),
            after_hours: after_hours.into(),
            forward_to,
            after_hours_message: text_of(&handling.after_hours_message),
        }
    }

    /// The form as posted.
    pub fn posted(f: &Fields) -> Self {
        let text = |name: &str| f.get(name).to_owned();
        Self {
            language: text("language"),
            voice: text("voice"),
            greeting: text("greeting"),
            disclosure: text("disclosure"),
            disclose_to_operator: f.ticked("disclose_to_operator"),
            hours_on: f.ticked("hours_on"),
            days: days(|i| text(DAY_FIELDS[i])),
            holidays: text("holidays"),
            after_hours: text("after_hours"),
            forward_to: text("forward_to"),
            after_hours_message: text("after_hours_message"),
        }
    }

    /// The handling the form describes, or `None` with every bad field's reason in `errors`.
    pub fn parse(&self, errors: &mut Errors) -> Option<CallHandling> {
        let language = optional(errors, "language", &self.language, Language::parse);
        let voice = optional(errors, "voice", &self.voice, Voice::parse);
        let greeting = errors.take("greeting", Prompt::parse(&self.greeting));
        let disclosure = errors.take("disclosure", Prompt::parse(&self.disclosure));
        let message = errors.take("after_hours_message", Prompt::parse(&self.after_hours_message));
        let hours = if self.hours_on {
            self.hours(errors).map(Some)
        } else {
            Some(None)
        };
        let after_hours = match self.after_hours.as_str() {
            "voicemail" => Some(AfterHours::Voicemail),
            "hangup" => Some(AfterHours::Hangup),
            "forward" => errors
                .take("forward_to", E164::parse(&self.forward_to))
                .map(|to| AfterHours::Forward { to }),
            _ => {
                errors.add("after_hours", "choose voicemail, forward or hang up");
                None
            }
        };
        let handling = CallHandling {
            language: language?,
            voice: voice?,
            greeting: greeting?,
            disclosure: disclosure?,
            disclose_to_operator: self.disclose_to_operator,
            hours: hours?,
            after_hours: after_hours?,
            after_hours_message: message?,
        };
        if let Err(invalid) = handling.validate() {
            errors.add("monday", invalid.reason);
        }
        errors.is_empty().then_some(handling)
    }

    fn hours(&self, errors: &mut Errors) -> Option<BusinessHours> {
        let mut hours = BusinessHours::default();
        let mut ok = true;
        for (i, day) in self.days.iter().enumerate() {
            match errors.take(day.field, BusinessHours::parse_day(&day.spans)) {
                Some(spans) => hours.week[i] = spans,
                None => ok = false,
            }
        }
        match errors.take("holidays", BusinessHours::parse_holidays(&self.holidays)) {
            Some(holidays) => hours.holidays = holidays,
            None => ok = false,
        }
        ok.then_some(hours)
    }
}
