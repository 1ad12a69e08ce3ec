use super::*;
use crate::report::Model;
use proptest::prelude::*;

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap()
}

fn touch(source: &str, campaign: Option<&str>) -> Touch {
    Touch {
        source: source.into(),
        medium: "cpc".into(),
        campaign: campaign.map(Into::into),
        landing_url: "https://www.example.com/offer?utm_source=x".into(),
        device: "mobile".into(),
        ..Touch::default()
    }
}

fn call(touch: Option<Touch>, result: CallResult, first_time: bool) -> CallFact {
    CallFact {
        at: at(1_780_000_000_000),
        touch,
        source_label: None,
        result,
        first_time,
        operator: Some("Ann".into()),
        element: Some("header-phone".into()),
        place: CallerPlace::default(),
        number_region: Some("US".into()),
    }
}

fn row<'a>(rows: &'a [RollupRow], key: &str, value: &str) -> &'a Tally {
    &rows
        .iter()
        .find(|r| r.key == key && r.value == value)
        .unwrap_or_else(|| panic!("{key}={value}"))
        .tally
}

#[test]
fn a_lead_counts_under_its_last_touch_and_its_first_touch_separately() {
    let facts = DayFacts {
        visits: vec![VisitFact {
            at: at(1_780_000_000_000),
            touch: touch("google", Some("spring")),
        }],
        calls: vec![call(Some(touch("google", Some("spring"))), CallResult::Answered, true)],
        forms: vec![],
        leads: vec![LeadFact {
            at: at(1_780_000_000_000),
            status: LeadStatus::Converted,
            first_touch: Some(touch("facebook", None)),
            last_touch: Some(touch("google", Some("spring"))),
            first_call: Some(call(None, CallResult::Answered, true)),
            revenue: 50_000,
            cost: 1_000,
            profit: 49_000,
        }],
    };
    let rows = rollup(&facts, chrono_tz::UTC);
    let google = row(&rows, "source", "google / cpc");
    assert_eq!(google.counts.visits, 1);
    assert_eq!(google.counts.answered, 1);
    assert_eq!(google.metrics(Model::LastTouch).outcomes.revenue, 50_000);
    assert_eq!(google.metrics(Model::FirstTouch).outcomes.leads, 0);
    let facebook = row(&rows, "source", "facebook / cpc");
    assert_eq!(facebook.metrics(Model::FirstTouch).outcomes.converted, 1);
    assert_eq!(facebook.counts.visits, 0);
    assert_eq!(row(&rows, "landing-page", "example.com/offer").counts.visits, 1);
    assert_eq!(row(&rows, "operator", "Ann").counts.calls, 1);
    assert_eq!(row(&rows, "country", "US").counts.calls, 1);
    assert_eq!(row(&rows, "ad", "google\u{1f}spring\u{1f}").counts.visits, 1);
    assert_eq!(row(&rows, "total", "").last.qualified, 1);
}

#[test]
fn a_call_without_a_visit_counts_under_its_offline_source() {
    let mut offline = call(None, CallResult::Voicemail, false);
    offline.source_label = Some("Radio spot".into());
    let rows = rollup(
        &DayFacts {
            calls: vec![offline],
            ..DayFacts::default()
        },
        chrono_tz::UTC,
    );
    let radio = row(&rows, "source", "Radio spot / offline");
    assert_eq!((radio.counts.calls, radio.counts.missed), (1, 1));
    assert_eq!(row(&rows, "returning", "returning").counts.calls, 1);
}

#[test]
fn hours_and_weekdays_are_the_sites() {
    // 2026-05-29 23:30 UTC is Saturday 01:30 in Berlin.
    let visit = VisitFact {
        at: at(1_780_097_400_000),
        touch: touch("google", None),
    };
    let rows = rollup(
        &DayFacts {
            visits: vec![visit],
            ..DayFacts::default()
        },
        "Europe/Berlin".parse().unwrap(),
    );
    assert_eq!(row(&rows, "hour", "01:00").counts.visits, 1);
    assert_eq!(row(&rows, "weekday", "6 Sat").counts.visits, 1);
}

#[test]
fn a_landing_page_is_grouped_without_scheme_www_query_or_fragment() {
    assert_eq!(
        page_key("https://www.Example.com/offer?utm_source=x#top"),
        "example.com/offer"
    );
    assert_eq!(page_key("http://example.com"), "example.com/");
    assert_eq!(page_key("example.com/a/b"), "example.com/a/b");
}

fn arb_touch() -> impl Strategy<Value = Option<Touch>> {
    proptest::option::of(
        (
            prop::sample::select(vec!["google", "bing", "(direct)"]),
            proptest::option::of(prop::sample::select(vec!["spring", "brand"])),
            any::<bool>(),
            proptest::option::of(prop::sample::select(vec!["en", "de"])),
        )
            .prop_map(|(source, campaign, returning, language)| {
                let mut t = touch(source, campaign);
                t.returning = returning;
                if let Some(language) = language {
                    t.variables.insert("language".into(), language.into());
                }
                t
            }),
    )
}

fn arb_facts() -> impl Strategy<Value = DayFacts> {
    let result = prop::sample::select(vec![
        CallResult::Answered,
        CallResult::Missed,
        CallResult::Voicemail,
        CallResult::Abandoned,
        CallResult::InCall,
    ]);
    let ms = 1_780_000_000_000i64..1_780_086_000_000;
    (
        prop::collection::vec((ms.clone(), arb_touch()), 0..8),
        prop::collection::vec((ms.clone(), arb_touch(), result, any::<bool>()), 0..8),
        prop::collection::vec(
            (ms.clone(), arb_touch(), arb_touch(), 0i64..10_000, any::<bool>()),
            0..6,
        ),
    )
        .prop_map(|(visits, calls, leads)| DayFacts {
            visits: visits
                .iter()
                .filter_map(|(ms, t)| t.clone().map(|touch| VisitFact { at: at(*ms), touch }))
                .collect(),
            calls: calls
                .into_iter()
                .map(|(ms, t, result, first)| CallFact {
                    at: at(ms),
                    ..call(t, result, first)
                })
                .collect(),
            forms: visits
                .iter()
                .map(|(ms, t)| FormFact {
                    at: at(*ms),
                    touch: t.clone(),
                })
                .collect(),
            leads: leads
                .into_iter()
                .map(|(ms, first, last, revenue, converted)| LeadFact {
                    at: at(ms),
                    status: if converted {
                        LeadStatus::Converted
                    } else {
                        LeadStatus::New
                    },
                    first_touch: first,
                    last_touch: last,
                    first_call: None,
                    revenue,
                    cost: revenue / 10,
                    profit: revenue - revenue / 10,
                })
                .collect(),
        })
}

proptest! {
    #[test]
    fn every_single_valued_dimension_adds_up_to_the_total(facts in arb_facts()) {
        let rows = rollup(&facts, "America/New_York".parse().unwrap());
        if rows.is_empty() {
            prop_assert!(facts.visits.is_empty() && facts.calls.is_empty() && facts.leads.is_empty() && facts.forms.is_empty());
            return Ok(());
        }
        let total = *row(&rows, "total", "");
        prop_assert_eq!(total.counts.visits, facts.visits.len() as i64);
        prop_assert_eq!(total.counts.calls, facts.calls.len() as i64);
        prop_assert_eq!(total.last.leads, facts.leads.len() as i64);
        prop_assert_eq!(total.first.revenue, total.last.revenue);
        let mut by_key: BTreeMap<&str, Tally> = BTreeMap::new();
        for r in rows.iter().filter(|r| r.key != "total" && !r.key.starts_with("var:")) {
            *by_key.entry(&r.key).or_default() += r.tally;
        }
        prop_assert_eq!(by_key.len(), 14);
        for (key, sum) in by_key {
            prop_assert_eq!(sum, total, "{}", key);
        }
    }

    #[test]
    fn a_variable_never_counts_more_than_the_total(facts in arb_facts()) {
        let rows = rollup(&facts, chrono_tz::UTC);
        let total = rows.iter().find(|r| r.key == "total").map_or(0, |r| r.tally.counts.visits);
        let set: i64 = rows.iter().filter(|r| r.key == "var:language").map(|r| r.tally.counts.visits).sum();
        prop_assert!(set <= total);
    }

    #[test]
    fn a_page_key_is_idempotent(url in "(https?://)?(www\\.)?[a-z]{1,8}\\.com(/[a-z]{0,5}){0,3}(\\?[a-z=&]{0,8})?(#[a-z]{0,4})?") {
        let key = page_key(&url);
        prop_assert_eq!(page_key(&key), key.clone());
        prop_assert!(!key.contains('?') && !key.contains('#') && !key.starts_with("www."));
    }
}
