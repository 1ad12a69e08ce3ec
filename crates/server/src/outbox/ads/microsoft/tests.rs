use super::*;
use chrono::TimeZone;
use leadline_core::channel::ClickIds;
use leadline_core::click_id::{ClickId, ClickKind};
use leadline_core::conversion::{ConversionName, ConversionRecord, ConversionRow};
use leadline_core::lead::LeadStatus;
use leadline_core::site::{Currency, Timezone};
use leadline_core::{LeadId, SiteId};

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, hour, 0, 0).unwrap()
}

fn usd(minor: i64) -> ConversionValue {
    ConversionValue::new(minor, Currency::parse("USD").unwrap()).unwrap()
}

fn config(goal: Option<&str>) -> MicrosoftAds {
    MicrosoftAds {
        customer_id: "1000".into(),
        account_id: "2000".into(),
        developer_token: "dev".into(),
        client_id: "client".into(),
        client_secret: None,
        refresh_token: "refresh".into(),
        goal_name: goal.map(str::to_owned),
        send: Default::default(),
        enhanced: true,
        token_url: None,
        endpoint: None,
    }
}

fn facts() -> AdFacts {
    let record = ConversionRecord::Call { record_ref: 1042 };
    AdFacts {
        row: ConversionRow {
            name: ConversionName::parse("Quote").unwrap(),
            record,
            site_id: SiteId(1),
            timezone: Timezone::parse("America/New_York").unwrap(),
            click_ids: ClickIds {
                msclkid: Some(ClickId::parse(ClickKind::Msclkid, "f894f652ea334e739002f7167ab8f8e3").unwrap()),
                ..ClickIds::default()
            },
            caller: Some("+16505551212".into()),
            call_started_at: Some(at(9)),
            conversion_time: at(10),
            value: None,
            marked: true,
        },
        lead_id: LeadId(7),
        lead_status: LeadStatus::Contacted,
        call_seconds: Some(95),
        first_time_caller: true,
        clicked_at: Some(at(8)),
        ads_consent: Default::default(),
        ads_policy: Default::default(),
        spam: false,
    }
}

fn lead(email: &str) -> LeadSnapshot {
    LeadSnapshot {
        id: LeadId(7),
        record_ref: 1042,
        status: "contacted".into(),
        name: None,
        email: Some(email.into()),
        phone: None,
        company: None,
        source: None,
        tags: Vec::new(),
    }
}

#[test]
fn an_upload_names_the_goal_the_utc_time_the_click_and_the_hashed_contact() {
    let facts = facts();
    let found = Match::of(&facts, Some(&lead(" Jane.Doe@Example.com ")), true);
    let wanted = Wanted {
        record: facts.row.record.clone(),
        order_id: "call-1042".into(),
        conversion_time: at(10),
        value: Some(usd(25050)),
    };
    let row = conversion_row(&config(Some("Offline sale")), &facts, &found, &wanted);
    assert_eq!(
        row,
        json!({
            "ConversionName": "Offline sale",
            "ConversionTime": "2026-11-02T10:00:00Z",
            "ConversionValue": 250.5,
            "ConversionCurrencyCode": "USD",
            "MicrosoftClickId": "f894f652ea334e739002f7167ab8f8e3",
            // jane.doe@example.com and +16505551212, as PROTOCOLS-2 computes them.
            "HashedEmailAddress": "86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d",
            "HashedPhoneNumber": "1e231c66011e7a2d867a9cfae267a6aff103cf4913640b6e71a99850fc0ffbc8",
        })
    );
    let plain = conversion_row(&config(None), &facts, &Match::of(&facts, None, false), &wanted);
    assert_eq!(
        plain["ConversionName"], "Quote",
        "without a goal, the conversion's own name"
    );
    assert!(
        plain.get("HashedPhoneNumber").is_none(),
        "contact details only when enhanced"
    );
}

#[test]
fn adjustments_name_the_original_and_come_after_the_last_one() {
    let facts = facts();
    let found = Match::of(&facts, None, false);
    let before = Uploaded {
        order_id: "call-1042".into(),
        conversion_time: at(10),
        value: None,
        retracted: false,
        updated_at: Utc::now() + chrono::Duration::hours(1),
    };
    let restate = adjustment_row(&config(None), &facts, &found, &before, Some(usd(9900)));
    let later = utc(before.updated_at + chrono::Duration::seconds(1));
    assert_eq!(
        restate,
        json!({
            "ConversionName": "Quote",
            "ConversionTime": "2026-11-02T10:00:00Z",
            "AdjustmentTime": later,
            "AdjustmentType": "Restate",
            "AdjustmentValue": 99.0,
            "AdjustmentCurrencyCode": "USD",
            "MicrosoftClickId": "f894f652ea334e739002f7167ab8f8e3",
        })
    );
    let retract = adjustment_row(&config(None), &facts, &found, &before, None);
    assert_eq!(retract["AdjustmentType"], "Retract");
    assert!(retract.get("AdjustmentValue").is_none() && retract.get("AdjustmentCurrencyCode").is_none());
}

#[test]
fn nothing_matches_without_a_click_id_or_contact_details() {
    let mut facts = facts();
    facts.row.click_ids = ClickIds::default();
    assert!(!Match::of(&facts, Some(&lead("a@example.com")), false).any());
    assert!(Match::of(&facts, None, true).any(), "the caller's number");
    facts.row.caller = None;
    assert!(!Match::of(&facts, Some(&lead("not an address")), true).any());
}
