use super::*;
use crate::SiteId;
use crate::channel::ClickIds;
use crate::conversion::ConversionName;
use crate::site::{Currency, Timezone};
use chrono::TimeZone;
use proptest::prelude::*;

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, hour, 0, 0).unwrap()
}

fn usd(minor: i64) -> Option<ConversionValue> {
    Some(ConversionValue::new(minor, Currency::parse("USD").unwrap()).unwrap())
}

fn facts(marked: bool, value: Option<ConversionValue>) -> AdFacts {
    let record = ConversionRecord::Call { record_ref: 1042 };
    AdFacts {
        row: ConversionRow {
            name: ConversionName::default_for(&record),
            record,
            site_id: SiteId(1),
            timezone: Timezone::parse("America/New_York").unwrap(),
            click_ids: ClickIds::default(),
            caller: Some("+16505551212".into()),
            call_started_at: Some(at(9)),
            conversion_time: at(10),
            value,
            marked,
        },
        lead_id: LeadId(7),
        lead_status: LeadStatus::Contacted,
        call_seconds: Some(95),
        first_time_caller: true,
        clicked_at: Some(at(8)),
        ads_consent: AdConsent::Unknown,
        ads_policy: AdsPolicy::Signal,
        spam: false,
    }
}

fn sent(value: Option<ConversionValue>, retracted: bool) -> Uploaded {
    Uploaded {
        order_id: "call-1042".into(),
        conversion_time: at(10),
        value,
        retracted,
        updated_at: at(11),
    }
}

#[test]
fn rules_are_written_and_read_back_the_same() {
    for text in ["marked", "status:qualified", "call-longer-than:60", "first-time-caller"] {
        assert_eq!(SendRule::parse(text).unwrap().to_text(), text);
    }
    for (bad, says) in [
        ("status:won", "lead status"),
        ("call-longer-than:soon", "not a number"),
        ("call-longer-than:0", "1 to 86400"),
        ("every-call", "is not one of"),
    ] {
        let err = SendRule::parse(bad).unwrap_err().to_string();
        assert!(err.contains(says), "{bad}: {err}");
    }
}

#[test]
fn a_marked_record_is_uploaded_once_then_restated_when_its_value_changes_and_retracted_when_unmarked() {
    let rule = SendRule::Marked;
    let action = decide(wanted(&rule, &facts(true, None)), None);
    let AdAction::Upload(first) = action else {
        panic!("{action:?}")
    };
    assert_eq!(first.order_id, "call-1042");
    assert_eq!(first.conversion_time, at(10));

    let same = decide(wanted(&rule, &facts(true, None)), Some(sent(None, false)));
    assert!(
        matches!(same, AdAction::Nothing(ref why) if why.contains("sent already")),
        "{same:?}"
    );

    let sold = decide(wanted(&rule, &facts(true, usd(50_000))), Some(sent(None, false)));
    assert!(
        matches!(sold, AdAction::Restate { ref wanted, .. } if wanted.value == usd(50_000)),
        "{sold:?}"
    );

    let unmarked = decide(
        wanted(&rule, &facts(false, usd(50_000))),
        Some(sent(usd(50_000), false)),
    );
    assert!(matches!(unmarked, AdAction::Retract(_)), "{unmarked:?}");

    let again = decide(wanted(&rule, &facts(true, None)), Some(sent(None, true)));
    assert!(
        matches!(again, AdAction::Nothing(ref why) if why.contains("retracted")),
        "{again:?}"
    );

    let never_sent = decide(wanted(&rule, &facts(false, None)), None);
    assert!(
        matches!(never_sent, AdAction::Nothing(ref why) if why.contains("not marked")),
        "{never_sent:?}"
    );
}

#[test]
fn the_other_rules_send_what_they_name_and_never_retract() {
    let long = SendRule::CallLongerThan { seconds: 90 };
    assert!(wanted(&long, &facts(false, None)).is_ok());
    let short = SendRule::CallLongerThan { seconds: 120 };
    assert_eq!(
        wanted(&short, &facts(false, None)),
        Err(NotWanted::NotYet("the call lasted 95 s, less than 120 s".into()))
    );
    let after_short = decide(wanted(&short, &facts(false, None)), Some(sent(None, false)));
    assert!(matches!(after_short, AdAction::Nothing(_)), "{after_short:?}");

    let mut repeat = facts(false, None);
    repeat.first_time_caller = false;
    assert!(wanted(&SendRule::FirstTimeCaller, &facts(false, None)).is_ok());
    assert!(wanted(&SendRule::FirstTimeCaller, &repeat).is_err());

    let qualified = SendRule::Status {
        status: LeadStatus::Qualified,
    };
    let mut lead = facts(false, None);
    assert!(wanted(&qualified, &lead).is_err());
    lead.lead_status = LeadStatus::Converted;
    assert!(wanted(&qualified, &lead).is_ok());
    lead.lead_status = LeadStatus::Lost;
    assert!(wanted(&qualified, &lead).is_err());
    let lost = SendRule::Status {
        status: LeadStatus::Lost,
    };
    assert!(wanted(&lost, &lead).is_ok());

    let mut form = facts(false, None);
    form.row.record = ConversionRecord::Submission {
        message_id: crate::form::MessageId::generate(),
    };
    assert!(wanted(&long, &form).is_err());
    assert!(wanted(&SendRule::FirstTimeCaller, &form).is_err());
}

#[test]
fn a_spam_call_is_never_sent_under_any_rule_and_what_was_sent_of_it_is_retracted() {
    let mut spam = facts(true, usd(50_000));
    spam.spam = true;
    let rules = [
        SendRule::Marked,
        SendRule::FirstTimeCaller,
        SendRule::CallLongerThan { seconds: 10 },
        SendRule::Status {
            status: LeadStatus::New,
        },
    ];
    for rule in rules {
        let never_sent = decide(wanted(&rule, &spam), None);
        assert!(matches!(never_sent, AdAction::Nothing(_)), "{rule:?}: {never_sent:?}");
        let after_upload = decide(wanted(&rule, &spam), Some(sent(usd(50_000), false)));
        assert!(
            matches!(after_upload, AdAction::Retract(_)),
            "{rule:?}: {after_upload:?}"
        );
    }
}

#[test]
fn clicks_and_conversions_past_a_platform_window_are_refused_before_sending() {
    let now = at(12);
    assert!(!too_old(now - Duration::days(7), now, 7));
    assert!(too_old(now - Duration::days(7) - Duration::seconds(1), now, 7));
    assert!(click_expired(Some(at(10) - Duration::days(91)), at(10), 90));
    assert!(!click_expired(Some(at(10) - Duration::days(89)), at(10), 90));
    assert!(!click_expired(None, at(10), 90));
}

#[test]
fn contact_details_hash_as_google_and_meta_publish() {
    // Google's rule (PROTOCOLS-2 §1): trimmed, lowercase, dots dropped for gmail only; phones
    // in E.164 with the `+`.
    assert_eq!(
        sha256_hex(&google_email("jane.doe@example.com")),
        "86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d"
    );
    assert_eq!(google_email(" Jane.Doe@Gmail.com "), "janedoe@gmail.com");
    assert_eq!(
        sha256_hex(&google_email(" Jane.Doe@Gmail.com ")),
        "d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69"
    );
    assert_eq!(
        sha256_hex(&google_phone("+16505551212")),
        "1e231c66011e7a2d867a9cfae267a6aff103cf4913640b6e71a99850fc0ffbc8"
    );
    // Meta's published vectors (PROTOCOLS-2 §3): no dot rule, phones without the `+`.
    assert_eq!(
        sha256_hex(&meta_email("John_Smith@gmail.com")),
        "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"
    );
    assert_eq!(meta_phone("+16505551212"), "16505551212");
    assert_eq!(
        sha256_hex(&meta_phone("+16505551212")),
        "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176"
    );
}

proptest! {
    #[test]
    fn reconciling_twice_sends_nothing_more(marked in any::<bool>(), minor in proptest::option::of(0i64..1_000_000)) {
        let rule = SendRule::Marked;
        let value = minor.and_then(usd);
        let first = decide(wanted(&rule, &facts(marked, value)), None);
        // What the platform holds after the first action.
        let after = match first {
            AdAction::Upload(w) => Some(sent(w.value, false)),
            _ => None,
        };
        let second = decide(wanted(&rule, &facts(marked, value)), after);
        prop_assert!(matches!(second, AdAction::Nothing(_)), "{:?}", second);
    }

    #[test]
    fn an_upload_always_names_the_record_by_its_order_id(record_ref in 1000u64..u64::MAX / 2) {
        let mut f = facts(true, None);
        f.row.record = ConversionRecord::Call { record_ref };
        let w = wanted(&SendRule::Marked, &f).unwrap();
        prop_assert_eq!(w.order_id, format!("call-{record_ref}"));
    }
}
