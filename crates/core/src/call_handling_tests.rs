use super::*;
use chrono::TimeZone;
use chrono_tz::America::New_York;
use proptest::prelude::*;

fn office_hours() -> BusinessHours {
    let mut hours = BusinessHours::default();
    for day in hours.week.iter_mut().take(5) {
        *day = BusinessHours::parse_day("09:00-17:00").unwrap();
    }
    hours
}

fn said(text: &str) -> Prompt {
    Prompt::parse(text).unwrap().unwrap()
}

fn moment(recorded: bool, at: DateTime<Utc>) -> Moment {
    Moment {
        recorded,
        anyone_to_ring: true,
        zone: New_York,
        at,
    }
}

/// Monday 9 March 2026 at `hour`:00 in New York (EDT, the day after the spring change).
fn monday(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 9, 4, 0, 0).unwrap() + chrono::Duration::hours(hour.into())
}

#[test]
fn a_site_that_set_nothing_greets_discloses_recording_and_is_always_open() {
    let handling = CallHandling::default();
    assert_eq!(handling.greeting(), said(DEFAULT_GREETING));
    assert_eq!(
        plan(&handling, moment(true, monday(3))),
        CallPlan::Connect {
            disclosure: Some(said(DEFAULT_DISCLOSURE))
        }
    );
    assert_eq!(
        plan(&handling, moment(false, monday(3))),
        CallPlan::Connect { disclosure: None },
        "no disclosure when the call is not recorded"
    );
}

#[test]
fn within_hours_the_call_is_connected_after_the_sites_own_disclosure() {
    let handling = CallHandling {
        disclosure: Some(said("https://cdn.example/recorded.mp3")),
        hours: Some(office_hours()),
        after_hours: AfterHours::Hangup,
        ..CallHandling::default()
    };
    assert_eq!(
        plan(&handling, moment(true, monday(9))),
        CallPlan::Connect {
            disclosure: Some(Prompt::Play(
                AudioUrl::parse("https://cdn.example/recorded.mp3").unwrap()
            ))
        }
    );
}

#[test]
fn after_hours_each_action_applies_with_its_message_or_the_default() {
    let mut handling = CallHandling {
        hours: Some(office_hours()),
        ..CallHandling::default()
    };
    assert_eq!(
        plan(&handling, moment(true, monday(8))),
        CallPlan::Voicemail {
            message: said(DEFAULT_VOICEMAIL)
        }
    );
    handling.after_hours = AfterHours::Hangup;
    handling.after_hours_message = Some(said("We open at nine."));
    assert_eq!(
        plan(&handling, moment(true, monday(17))),
        CallPlan::Hangup {
            message: said("We open at nine.")
        }
    );
    let mobile = E164::parse("+12025550177").unwrap();
    handling.after_hours = AfterHours::Forward { to: mobile.clone() };
    assert_eq!(
        plan(&handling, moment(true, monday(20))),
        CallPlan::Forward {
            to: mobile,
            disclosure: Some(said(DEFAULT_DISCLOSURE))
        },
        "a forwarded call is recorded too, so it is disclosed"
    );
}

#[test]
fn within_hours_a_business_with_nobody_to_ring_takes_a_voicemail_with_the_plain_message() {
    let handling = CallHandling {
        after_hours_message: Some(said("We are closed.")),
        after_hours: AfterHours::Hangup,
        ..CallHandling::default()
    };
    let nobody = Moment {
        anyone_to_ring: false,
        ..moment(true, monday(10))
    };
    assert_eq!(
        plan(&handling, nobody),
        CallPlan::Voicemail {
            message: said(DEFAULT_VOICEMAIL)
        }
    );
}

#[test]
fn a_prompt_is_a_recording_when_it_is_an_address_and_a_sentence_otherwise() {
    assert_eq!(Prompt::parse("  ").unwrap(), None);
    assert!(matches!(
        Prompt::parse("Hello, you reached Ann's Sofas.").unwrap(),
        Some(Prompt::Say(_))
    ));
    assert!(matches!(
        Prompt::parse("https://a.example/hi.wav").unwrap(),
        Some(Prompt::Play(_))
    ));
    assert_eq!(Prompt::parse("https://").unwrap_err().what, "audio URL");
    assert_eq!(Prompt::parse(&"a".repeat(1001)).unwrap_err().what, "prompt");
    assert_eq!(Prompt::parse("bell\u{7}").unwrap_err().what, "prompt");
}

#[test]
fn languages_and_voices_are_checked_and_say_what_was_wrong() {
    assert_eq!(Language::parse("en-US").unwrap().as_str(), "en-US");
    assert_eq!(Language::parse("cmn-Hans-CN").unwrap().as_str(), "cmn-Hans-CN");
    assert!(Language::parse("english").unwrap_err().reason.contains("'english'"));
    assert!(Language::parse("en_US").is_err());
    assert_eq!(
        Voice::parse("Google.en-US-Standard-C").unwrap().as_str(),
        "Google.en-US-Standard-C"
    );
    assert!(
        Voice::parse("Polly Joanna")
            .unwrap_err()
            .reason
            .contains("Polly Joanna")
    );
}

#[test]
fn hours_without_a_single_open_span_are_refused() {
    let handling = CallHandling {
        hours: Some(BusinessHours::default()),
        ..CallHandling::default()
    };
    assert_eq!(handling.validate().unwrap_err().what, "business hours");
    assert!(CallHandling::default().validate().is_ok());
}

#[test]
fn call_handling_survives_its_stored_form_and_refuses_unknown_keys() {
    let handling = CallHandling {
        language: Some(Language::parse("de-DE").unwrap()),
        voice: Some(Voice::parse("Polly.Marlene").unwrap()),
        greeting: Some(said("Guten Tag.")),
        disclosure: Some(said("https://a.example/d.mp3")),
        disclose_to_operator: true,
        hours: Some(office_hours()),
        after_hours: AfterHours::Forward {
            to: E164::parse("+4930901820").unwrap(),
        },
        after_hours_message: None,
    };
    let json = serde_json::to_string(&handling).unwrap();
    assert_eq!(serde_json::from_str::<CallHandling>(&json).unwrap(), handling);
    assert!(serde_json::from_str::<CallHandling>(r#"{"greting":{"say":"hi"}}"#).is_err());
    assert!(serde_json::from_str::<CallHandling>(r#"{"voice":"no spaces please"}"#).is_err());
}

proptest! {
    #[test]
    fn an_unrecorded_call_is_never_disclosed_and_a_recorded_connected_one_always_is(
        recorded: bool,
        hour in 0u32..24,
        forward: bool,
    ) {
        let handling = CallHandling {
            hours: Some(office_hours()),
            after_hours: if forward {
                AfterHours::Forward { to: E164::parse("+12025550177").unwrap() }
            } else {
                AfterHours::Voicemail
            },
            ..CallHandling::default()
        };
        match plan(&handling, moment(recorded, monday(hour))) {
            CallPlan::Connect { disclosure } | CallPlan::Forward { disclosure, .. } => {
                prop_assert_eq!(disclosure.is_some(), recorded);
            }
            CallPlan::Voicemail { .. } => prop_assert!(!forward && !(9..17).contains(&hour)),
            CallPlan::Hangup { .. } => prop_assert!(false, "the site never hangs up"),
        }
    }
}
