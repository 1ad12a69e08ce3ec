//! Changes through the leads API: contact fields, status, tags, notes and sales, each recorded
//! as an activity by the key that made it; custom field definitions and the values they allow;
//! sales whose cost comes from call minutes.

use crate::helpers::Engine;
use crate::leads::{activities, call, get, patch, post, spawn, submit, visit};
use leadline_core::form::FormIdentity;
use leadline_core::site::SiteSettings;
use leadline_core::store::SiteStore;
use serde_json::{Value, json};

async fn every_change_answers_the_lead_and_records_an_activity_by_the_key(engine: Engine) {
    let (app, seeded, key) = spawn(engine).await;
    let business = seeded.site.business_id;
    submit(
        &app,
        business,
        seeded.site.id,
        "Ann Lee",
        "ann@example.com",
        FormIdentity::default(),
    )
    .await;

    let (status, lead) = patch(
        &app,
        "/v1/leads/1000",
        &key,
        json!({"name": "Ann B. Lee", "phone": "+1 202 555 0169", "company": "Lee & Co", "email": null}),
    )
    .await;
    assert_eq!(status, 200, "{lead}");
    assert_eq!(
        (lead["name"].as_str(), lead["phone"].as_str(), lead["company"].as_str()),
        (Some("Ann B. Lee"), Some("+12025550169"), Some("Lee & Co"))
    );
    assert_eq!(lead["email"], Value::Null, "null clears");

    let (status, lead) = post(&app, "/v1/leads/1000/status", &key, json!({"status": "contacted"})).await;
    assert_eq!((status, lead["status"].as_str()), (200, Some("contacted")));
    let (status, lead) = post(&app, "/v1/leads/1000/tags", &key, json!({"add": ["vip", "sofa"]})).await;
    assert_eq!((status, lead["tags"].clone()), (200, json!(["sofa", "vip"])));
    let (status, lead) = post(&app, "/v1/leads/1000/tags", &key, json!({"remove": ["sofa"]})).await;
    assert_eq!((status, lead["tags"].clone()), (200, json!(["vip"])));
    let (status, _) = post(
        &app,
        "/v1/leads/1000/notes",
        &key,
        json!({"text": "Call back Wednesday"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, lead) = post(
        &app,
        "/v1/leads/1000/sales",
        &key,
        json!({"revenue": "1,200.50", "cost": "$200"}),
    )
    .await;
    assert_eq!(status, 200, "{lead}");
    assert_eq!(
        lead["totals"],
        json!([{"currency": "USD", "revenue": "1200.50", "cost": "200.00", "profit": "1000.50",
                "revenue_minor": 120_050, "cost_minor": 20_000, "profit_minor": 100_050}])
    );

    let author = format!("api-key:{}", key.prefix);
    let recorded = activities(&app, business, 1000).await;
    let kinds: Vec<&str> = recorded.iter().map(|(kind, _, _)| kind.as_str()).collect();
    assert_eq!(kinds, ["fields", "status", "tags", "tags", "note", "sale"]);
    assert!(recorded.iter().all(|(_, by, _)| *by == author), "{recorded:?}");
    assert_eq!(recorded[1].2, json!({"from": "new", "to": "contacted"}));

    for (path, body) in [
        ("/v1/leads/1000/status", json!({"status": "in_call"})),
        ("/v1/leads/1000/status", json!({"status": "won"})),
        ("/v1/leads/1000/tags", json!({})),
        ("/v1/leads/1000/tags", json!({"add": [""]})),
        ("/v1/leads/1000/notes", json!({"text": "  "})),
        ("/v1/leads/1000/sales", json!({"revenue": "1.005"})),
        ("/v1/leads/1000/sales", json!({"revenue": -5})),
        ("/v1/leads/1000/sales", json!({"revenue": 5, "currency": "XYZ"})),
        ("/v1/leads/1000/sales", json!({"revenue": 5, "call": 4242})),
    ] {
        let (status, body) = post(&app, path, &key, body.clone()).await;
        assert_eq!(status, 400, "{path} {body}");
        assert!(body["error"].is_string());
    }
    for body in [
        json!({"email": "not an address"}),
        json!({"phone": "555"}),
        json!({"nmae": "x"}),
        json!({}),
    ] {
        let (status, _) = patch(&app, "/v1/leads/1000", &key, body.clone()).await;
        assert_eq!(status, 400, "{body}");
    }
    assert_eq!(
        activities(&app, business, 1000).await.len(),
        6,
        "refused changes record nothing"
    );
    app.finish().await;
}

async fn custom_fields_are_defined_and_values_are_checked_against_them(engine: Engine) {
    let (app, seeded, key) = spawn(engine).await;
    let business = seeded.site.business_id;
    submit(
        &app,
        business,
        seeded.site.id,
        "Ann Lee",
        "ann@example.com",
        FormIdentity::default(),
    )
    .await;
    let (status, made) = post(
        &app,
        "/v1/fields",
        &key,
        json!({"name": "budget", "type": "number", "required": true}),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made, json!({"name": "budget", "type": "number", "required": true}));
    for (name, kind) in [("moving_on", "date"), ("notes", "text"), ("vip", "boolean")] {
        let (status, _) = post(&app, "/v1/fields", &key, json!({"name": name, "type": kind})).await;
        assert_eq!(status, 201);
    }
    let (status, _) = post(&app, "/v1/fields", &key, json!({"name": "budget", "type": "text"})).await;
    assert_eq!(status, 409, "a name is defined once");
    for bad in [
        json!({"name": "Budget", "type": "number"}),
        json!({"name": "size", "type": "colour"}),
        json!({"name": "size"}),
        json!({"name": "size", "type": "text", "hint": "x"}),
    ] {
        let (status, _) = post(&app, "/v1/fields", &key, bad.clone()).await;
        assert_eq!(status, 400, "{bad}");
    }
    let (_, listed) = get(&app, "/v1/fields", &key).await;
    let names: Vec<&str> = listed["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["budget", "moving_on", "notes", "vip"]);

    for (custom, says) in [
        (json!({"budget": "lots"}), "takes a number"),
        (json!({"budget": 10, "moving_on": "31/01/2027"}), "takes a date"),
        (json!({"budget": 10, "colour": "red"}), "'colour' is not defined"),
        (json!({"notes": "x"}), "required fields have no value: budget"),
    ] {
        let (status, body) = patch(
            &app,
            "/v1/leads/1000",
            &key,
            json!({"name": "Changed", "custom": custom}),
        )
        .await;
        assert_eq!(status, 400, "{custom}");
        assert!(body["error"].as_str().unwrap().contains(says), "{custom}: {body}");
    }
    let (_, unchanged) = get(&app, "/v1/leads/1000", &key).await;
    assert_eq!(
        (unchanged["name"].as_str(), unchanged["custom"].clone()),
        (Some("Ann Lee"), json!({}))
    );

    let custom = json!({"budget": 1200, "moving_on": "2027-01-31", "vip": true, "notes": " ground floor "});
    let (status, lead) = patch(&app, "/v1/leads/1000", &key, json!({"custom": custom})).await;
    assert_eq!(status, 200, "{lead}");
    assert_eq!(
        lead["custom"],
        json!({"budget": 1200, "moving_on": "2027-01-31", "vip": true, "notes": "ground floor"})
    );
    let (status, body) = patch(&app, "/v1/leads/1000", &key, json!({"custom": {"budget": null}})).await;
    assert_eq!(status, 400, "a required value cannot be removed: {body}");
    let (status, lead) = patch(&app, "/v1/leads/1000", &key, json!({"custom": {"notes": null}})).await;
    assert_eq!(status, 200);
    assert!(lead["custom"].get("notes").is_none(), "null removes a value");
    let kinds: Vec<String> = activities(&app, business, 1000)
        .await
        .into_iter()
        .map(|a| a.0)
        .collect();
    assert_eq!(kinds, ["fields", "fields"]);
    app.finish().await;
}

async fn a_sale_takes_its_cost_from_call_minutes_at_the_sites_rate(engine: Engine) {
    let (app, seeded, key) = spawn(engine).await;
    let business = seeded.site.business_id;
    let from_ads = visit(&app, seeded.site.id, "ga:111.222").await;
    call(&app, &seeded, "CA1", Some(from_ads.clone()), 95).await;
    let second = call(&app, &seeded, "CA2", Some(from_ads), 30).await;
    assert_eq!(second.record_ref, 1001);

    let (status, lead) = post(
        &app,
        "/v1/leads/1000/sales",
        &key,
        json!({"revenue": "1,200.50", "cost_from_calls": true}),
    )
    .await;
    assert_eq!(status, 200, "{lead}");
    assert_eq!(lead["totals"][0]["cost_minor"], 150, "2 + 1 minutes at 0.50");
    assert_eq!(lead["totals"][0]["profit"], "1199.00");
    let (status, lead) = post(
        &app,
        "/v1/leads/1001/sales",
        &key,
        json!({"revenue": 100, "cost_from_calls": true, "call": 1000, "profit": "90"}),
    )
    .await;
    assert_eq!(status, 200, "{lead}");
    assert_eq!(
        (
            lead["totals"][0]["revenue_minor"].as_i64(),
            lead["totals"][0]["cost_minor"].as_i64(),
            lead["totals"][0]["profit_minor"].as_i64()
        ),
        (Some(130_050), Some(250), Some(128_900)),
        "ref 1001 is a call of the same lead; the named call's 2 minutes cost 1.00"
    );
    let sales: Vec<Value> = activities(&app, business, 1000)
        .await
        .into_iter()
        .map(|a| a.2)
        .collect();
    assert_eq!(sales[0]["cost_basis"], "3 call minutes × 0.50 USD");
    assert_eq!(sales[1]["cost_basis"], "2 call minutes × 0.50 USD");
    assert_eq!(sales[1]["call_ref"], 1000);

    let (status, _) = post(
        &app,
        "/v1/leads/1000/sales",
        &key,
        json!({"revenue": 1, "cost": 1, "cost_from_calls": true}),
    )
    .await;
    assert_eq!(status, 400, "cost and cost_from_calls together");
    let (status, body) = post(
        &app,
        "/v1/leads/1000/sales",
        &key,
        json!({"revenue": 1, "currency": "EUR", "cost_from_calls": true}),
    )
    .await;
    assert_eq!(status, 400, "the rate is in USD: {body}");
    let settings = SiteSettings::default();
    app.store
        .update_site_settings(business, seeded.site.id, &settings)
        .await
        .unwrap();
    let (status, body) = post(
        &app,
        "/v1/leads/1000/sales",
        &key,
        json!({"revenue": 1, "cost_from_calls": true}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("no cost per minute"), "{body}");
    let (status, lead) = post(
        &app,
        "/v1/leads/1000/sales",
        &key,
        json!({"revenue": 1000, "currency": "JPY"}),
    )
    .await;
    assert_eq!(status, 200, "{lead}");
    assert_eq!(lead["totals"].as_array().unwrap().len(), 2, "one entry per currency");
    app.finish().await;
}

crate::on_both_engines!(
    every_change_answers_the_lead_and_records_an_activity_by_the_key,
    custom_fields_are_defined_and_values_are_checked_against_them,
    a_sale_takes_its_cost_from_call_minutes_at_the_sites_rate,
);
