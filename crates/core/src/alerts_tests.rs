use super::*;
use proptest::prelude::*;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn quiet(start: &str, end: &str) -> Option<QuietHours> {
    Some(QuietHours::new(ClockTime::parse(start).unwrap(), ClockTime::parse(end).unwrap()).unwrap())
}

const BERLIN: chrono_tz::Tz = chrono_tz::Europe::Berlin;

#[test]
fn times_of_day_read_hours_and_minutes_and_refuse_the_rest() {
    assert_eq!(ClockTime::parse("22:00").unwrap().minutes(), 1320);
    assert_eq!(ClockTime::parse(" 7:05 ").unwrap().to_string(), "07:05");
    for bad in ["", "24:00", "7", "07:60", "7:5", "ab:cd", "-1:00"] {
        assert!(ClockTime::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn quiet_hours_that_start_and_end_together_are_refused() {
    let t = ClockTime::parse("22:00").unwrap();
    assert!(QuietHours::new(t, t).is_err());
}

#[test]
fn an_alert_outside_quiet_hours_goes_at_once() {
    let noon = at("2026-06-10T10:00:00Z");
    assert_eq!(release_at(quiet("22:00", "07:00"), BERLIN, noon), noon);
    assert_eq!(release_at(None, BERLIN, noon), noon);
}

#[test]
fn an_alert_late_at_night_waits_until_the_next_morning_on_the_members_clock() {
    // 23:30 in Berlin (summer, UTC+2) waits until 07:00 Berlin, 05:00 UTC.
    let late = at("2026-06-10T21:30:00Z");
    assert_eq!(
        release_at(quiet("22:00", "07:00"), BERLIN, late),
        at("2026-06-11T05:00:00Z")
    );
    // 02:00 Berlin waits until 07:00 the same morning.
    let small_hours = at("2026-06-11T00:00:00Z");
    assert_eq!(
        release_at(quiet("22:00", "07:00"), BERLIN, small_hours),
        at("2026-06-11T05:00:00Z")
    );
}

#[test]
fn quiet_hours_within_one_day_end_that_day() {
    let lunch = at("2026-01-10T12:15:00Z");
    assert_eq!(
        release_at(quiet("12:00", "13:00"), chrono_tz::UTC, lunch),
        at("2026-01-10T13:00:00Z")
    );
}

#[test]
fn an_end_the_spring_jump_skips_is_reached_when_the_clock_jumps() {
    // Berlin skips 02:00-03:00 on 2026-03-29; quiet until 02:30 ends at 03:00 local (01:00 UTC).
    let night = at("2026-03-28T23:30:00Z");
    assert_eq!(
        release_at(quiet("23:00", "02:30"), BERLIN, night),
        at("2026-03-29T01:00:00Z")
    );
}

#[test]
fn an_end_the_autumn_clock_passes_twice_is_reached_the_first_time() {
    // Berlin passes 02:00-03:00 twice on 2026-10-25; 02:30 first comes at 00:30 UTC.
    let night = at("2026-10-24T22:30:00Z");
    assert_eq!(
        release_at(quiet("23:00", "02:30"), BERLIN, night),
        at("2026-10-25T00:30:00Z")
    );
}

#[test]
fn channels_are_what_was_chosen() {
    let mut choices = AlertChoices::none();
    assert!(choices.channels().is_empty());
    choices.email = true;
    choices.sms = Some(E164::parse("+12025550100").unwrap());
    assert_eq!(choices.channels(), vec![AlertChannel::Email, AlertChannel::Sms]);
    for channel in AlertChannel::ALL {
        assert_eq!(AlertChannel::parse(channel.as_str()).unwrap(), channel);
    }
    assert!(AlertChannel::parse("fax").is_err());
}

fn zones() -> impl Strategy<Value = chrono_tz::Tz> {
    prop::sample::select(vec![
        chrono_tz::UTC,
        chrono_tz::Europe::Berlin,
        chrono_tz::America::New_York,
        chrono_tz::Australia::Lord_Howe,
        chrono_tz::Asia::Kolkata,
        chrono_tz::America::Santiago,
    ])
}

fn quiet_hours() -> impl Strategy<Value = QuietHours> {
    (0u16..DAY, 0u16..DAY)
        .prop_filter("start and end differ", |(s, e)| s != e)
        .prop_map(|(s, e)| QuietHours::new(ClockTime(s), ClockTime(e)).unwrap())
}

fn instants() -> impl Strategy<Value = DateTime<Utc>> {
    // 2024 to 2030, to the second.
    (1_704_067_200i64..1_893_456_000).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
}

fn local_minute(zone: chrono_tz::Tz, t: DateTime<Utc>) -> u16 {
    let local = t.with_timezone(&zone);
    (local.hour() * 60 + local.minute()) as u16
}

proptest! {
    #[test]
    fn an_alert_never_goes_early_nor_waits_past_a_day(q in quiet_hours(), zone in zones(), t in instants()) {
        let release = release_at(Some(q), zone, t);
        prop_assert!(release >= t);
        prop_assert!(release - t <= Duration::hours(26));
    }

    #[test]
    fn an_alert_goes_at_once_exactly_when_it_falls_outside_quiet_hours(q in quiet_hours(), zone in zones(), t in instants()) {
        let release = release_at(Some(q), zone, t);
        prop_assert_eq!(release == t, !q.holds(local_minute(zone, t)));
    }

    #[test]
    fn a_held_alert_goes_when_quiet_hours_are_over(q in quiet_hours(), zone in zones(), t in instants()) {
        let release = release_at(Some(q), zone, t);
        prop_assert!(!q.holds(local_minute(zone, release)));
        // And going again at that instant changes nothing.
        prop_assert_eq!(release_at(Some(q), zone, release), release);
    }

    #[test]
    fn a_held_alert_goes_at_the_first_minute_that_is_not_quiet(q in quiet_hours(), zone in zones(), t in instants()) {
        let release = release_at(Some(q), zone, t);
        if release > t {
            // Every whole minute between is quiet: the alert was not held longer than needed.
            let mut step = t;
            while step + Duration::minutes(1) <= release {
                prop_assert!(q.holds(local_minute(zone, step)), "{step} was not quiet");
                step += Duration::minutes(1);
            }
        }
    }
}

fn event(data: EventData) -> Event {
    use crate::event::{VisitorIds, samples};
    Event {
        id: "ev_x".into(),
        occurred_at: at("2026-06-10T10:00:00Z"),
        business_id: BusinessId(1),
        site_id: None,
        record_ref: Some(1002),
        lead: Some(samples::lead()),
        visitor: VisitorIds {
            attribution: Some(samples::google_cpc()),
            ..VisitorIds::default()
        },
        data,
    }
}

#[test]
fn forms_unanswered_calls_and_dialed_calls_are_what_alerts_follow() {
    use crate::event::samples;
    use crate::lead::LeadMatch;
    assert_eq!(alert_kind(&samples::form(LeadMatch::New)), Some(AlertKind::NewForm));
    assert_eq!(
        alert_kind(&samples::completed(0, false, None)),
        Some(AlertKind::MissedCall)
    );
    assert_eq!(alert_kind(&samples::completed(90, true, None)), None, "answered");
    assert_eq!(alert_kind(&samples::dialed()), Some(AlertKind::FirstTimeCaller));
    assert_eq!(alert_kind(&samples::note("hi")), None);
    for kind in AlertKind::ALL {
        assert_eq!(AlertKind::parse(kind.as_str()).unwrap(), kind);
    }
    assert!(AlertKind::parse("fax").is_err());
}

#[test]
fn a_form_alert_lists_the_fields_and_source_and_every_alert_says_where_to_change_it() {
    use crate::event::samples;
    use crate::lead::LeadMatch;
    let form = alert_message(
        AlertKind::NewForm,
        &event(samples::form(LeadMatch::New)),
        "https://l.example/app/leads/1040",
        "https://l.example/app/settings/alerts",
    );
    assert_eq!(form.subject, "New form 1002 from google / cpc");
    assert_eq!(
        form.body,
        "New form 1002 from google / cpc.\nmessage: Call me back\nLead: https://l.example/app/leads/1040\n\
         Change your alerts: https://l.example/app/settings/alerts"
    );
    let caller = alert_message(AlertKind::FirstTimeCaller, &event(samples::dialed()), "L", "S");
    assert_eq!(caller.subject, "First-time caller +12025550199 (google / cpc)");
    assert!(
        caller.body.ends_with("Lead: L\nChange your alerts: S"),
        "{}",
        caller.body
    );
}

#[test]
fn a_voicemail_is_said_to_be_one_and_a_call_nobody_answered_without_a_message_is_missed() {
    use crate::event::{EventData, recording_path, samples};
    let missed = alert_message(
        AlertKind::MissedCall,
        &event(samples::completed(0, false, None)),
        "L",
        "S",
    );
    assert!(missed.subject.starts_with("Missed call"), "{}", missed.subject);
    let EventData::CallCompleted(mut left_message) = samples::completed(40, false, None) else {
        unreachable!("a completed call")
    };
    left_message.voicemail = true;
    left_message.recording_path = Some(recording_path(1042));
    let voicemail = alert_message(
        AlertKind::MissedCall,
        &event(EventData::CallCompleted(left_message)),
        "L",
        "S",
    );
    assert!(voicemail.subject.starts_with("Voicemail"), "{}", voicemail.subject);
    assert!(
        voicemail.body.contains("Listen on the lead's page: L"),
        "{}",
        voicemail.body
    );
}
