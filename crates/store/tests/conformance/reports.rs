use crate::conformance;
use crate::fixtures::report;
use crate::leads::{Setup, call, call_with_label, contact, form, from_visit, new_call_on, setup, visit};
use chrono::{Days, Utc};
use leadline_core::call::{CallOutcome, CallReport};
use leadline_core::lead::{Author, LeadChange, LeadStatus, NewSale};
use leadline_core::report::days::local_day;
use leadline_core::report::{DayRange, ReportStore, StaleDay};
use leadline_core::site::Timezone;
use leadline_core::store::{CallStore, LeadStore, SiteStore};
use leadline_core::tenant::SiteEdit;
use leadline_store::SqlStore;

const DAY_MS: i64 = 86_400_000;

/// Rebuilds every stale day, as the background job does.
pub(crate) async fn rebuild_all(store: &SqlStore) {
    loop {
        let stale = store.stale_report_days(100).await.unwrap();
        if stale.is_empty() {
            return;
        }
        for day in stale {
            store.rebuild_report_day(day).await.unwrap();
        }
    }
}

fn sale(revenue_minor: i64) -> LeadChange {
    LeadChange::Sale(NewSale {
        currency: "USD".into(),
        revenue_minor,
        cost_minor: 500,
        profit_minor: revenue_minor - 500,
        call_ref: None,
        form: None,
        cost_basis: None,
    })
}

fn today() -> chrono::NaiveDate {
    local_day(Utc::now(), "America/New_York".parse().unwrap())
}

/// Two visitors from google, a call from each kind, a form, a qualified lead with a sale.
pub(crate) async fn seed(store: &SqlStore, s: &Setup) {
    let first = visit(store, s.site, "ga:1.1").await;
    let again = visit(store, s.site, "ga:1.1").await;
    let _other = visit(store, s.site, "ga:2.2").await;
    let answered = call(store, s, "CA1", "+12025550169", Some(again)).await;
    let ended = CallReport {
        outcome: Some(CallOutcome::Answered),
        answered_by: Some("+12025550111".into()),
        duration_seconds: Some(60),
        ended: true,
        ..CallReport::default()
    };
    report(store, s.number, "CA1", &ended).await.unwrap();
    call_with_label(store, s, "CA2", "+12025550170", None, Some("Radio spot")).await;
    store
        .add_submission(&form(s, contact(Some("Bo"), None, None), from_visit(&first, None)))
        .await
        .unwrap();
    let lead = leadline_core::LeadId(answered.lead_id);
    let author = Author::system();
    store
        .change_lead(s.business, lead, &author, &LeadChange::Status(LeadStatus::Qualified))
        .await
        .unwrap();
    store
        .change_lead(s.business, lead, &author, &sale(12_000))
        .await
        .unwrap();
}

async fn a_rebuilt_day_counts_every_record_and_equals_a_recount_from_the_records(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    seed(&store, &s).await;
    assert!(
        !store.stale_report_days(10).await.unwrap().is_empty(),
        "the changes marked their day"
    );
    rebuild_all(&store).await;
    let day = today();
    let stored = store.stored_report_day(s.site, day).await.unwrap();
    assert_eq!(stored, store.recount_report_day(s.site, day).await.unwrap());
    let range = DayRange::new(day, day).unwrap();
    assert_eq!(store.stale_days_within(s.site, range).await.unwrap(), 0);
    let rows = store.report_rows(s.site, "source", range).await.unwrap();
    let google = &rows.iter().find(|(v, _)| v == "google / cpc").expect("google row").1;
    assert_eq!(google.counts.visits, 3);
    assert_eq!(
        (google.counts.calls, google.counts.answered, google.counts.forms),
        (1, 1, 1)
    );
    assert_eq!(
        (google.last.leads, google.last.qualified),
        (1, 1),
        "the form came from the caller, on their lead"
    );
    assert_eq!(
        (google.last.revenue, google.last.cost, google.last.profit),
        (12_000, 500, 11_500)
    );
    let radio = &rows
        .iter()
        .find(|(v, _)| v == "Radio spot / offline")
        .expect("offline row")
        .1;
    assert_eq!((radio.counts.calls, radio.counts.visits, radio.last.leads), (1, 0, 1));
    let totals = store.report_totals_by_day(s.site, range).await.unwrap();
    assert_eq!(totals.len(), 1);
    assert_eq!(totals[0].1.counts.calls, 2);
    let returning = store.report_rows(s.site, "returning", range).await.unwrap();
    assert!(
        returning.iter().any(|(v, t)| v == "returning" && t.counts.visits == 1),
        "{returning:?}"
    );
}

async fn a_sale_recorded_weeks_later_restates_the_day_the_lead_arrived(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let v = visit(&store, s.site, "ga:1.1").await;
    let c = call(&store, &s, "CA1", "+12025550169", Some(v)).await;
    rebuild_all(&store).await;
    // Move the records 40 days back, as if they had come then, and mark those days.
    let shift = 40 * DAY_MS;
    store
        .execute_script(&format!(
            "UPDATE visits SET started_at = started_at - {shift};
             UPDATE calls SET started_at = started_at - {shift};
             UPDATE leads SET created_at = created_at - {shift};
             DELETE FROM report_days;
             INSERT INTO report_dirty (site_id, utc_day, version)
                 SELECT DISTINCT site_id, started_at / {DAY_MS}, 1 FROM visits WHERE true
                 ON CONFLICT (site_id, utc_day) DO NOTHING;"
        ))
        .await
        .unwrap();
    rebuild_all(&store).await;
    let lead = leadline_core::LeadId(c.lead_id);
    store
        .change_lead(s.business, lead, &Author::system(), &sale(9_900))
        .await
        .unwrap();
    let stale = store.stale_report_days(10).await.unwrap();
    let lead_row = store.lead_by_id(s.business, lead).await.unwrap();
    let arrived = lead_row.created_at.timestamp_millis().div_euclid(DAY_MS);
    // Its local day: 40 days back may cross a clock change, so the date is read, not counted.
    let then = local_day(lead_row.created_at, "America/New_York".parse().unwrap());
    assert!(then <= today().checked_sub_days(Days::new(39)).unwrap());
    assert_eq!(
        stale,
        vec![StaleDay {
            site: s.site,
            utc_day: arrived
        }],
        "only the lead's day is stale"
    );
    rebuild_all(&store).await;
    let rows = store
        .report_rows(s.site, "total", DayRange::new(then, then).unwrap())
        .await
        .unwrap();
    assert_eq!(rows[0].1.last.revenue, 9_900);
    assert_eq!(rows[0].1.counts.calls, 1);
    let recent = DayRange::new(then.succ_opt().unwrap(), today()).unwrap();
    assert!(store.report_rows(s.site, "total", recent).await.unwrap().is_empty());
}

async fn a_new_time_zone_restates_every_day_of_the_site(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    visit(&store, s.site, "ga:1.1").await;
    rebuild_all(&store).await;
    assert!(store.stale_report_days(10).await.unwrap().is_empty());
    let site = store.site(s.business, s.site).await.unwrap();
    let edit = SiteEdit {
        name: site.name.clone(),
        domains: site.domains.clone(),
        timezone: Timezone::parse("Asia/Tokyo").unwrap(),
        currency: site.currency,
        settings: site.settings.clone(),
    };
    store.edit_site(s.business, s.site, &edit).await.unwrap();
    assert_eq!(store.stale_report_days(10).await.unwrap().len(), 1);
    rebuild_all(&store).await;
    let tokyo_today = local_day(Utc::now(), "Asia/Tokyo".parse().unwrap());
    let range = DayRange::new(tokyo_today.pred_opt().unwrap(), tokyo_today).unwrap();
    let rows = store.report_rows(s.site, "total", range).await.unwrap();
    assert_eq!(rows[0].1.counts.visits, 1, "counted once, on the Tokyo day");
}

async fn a_sites_report_never_counts_another_sites_records(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    let other = setup(&store, "rival", "+12025550199").await;
    seed(&store, &other).await;
    visit(&store, s.site, "ga:9.9").await;
    rebuild_all(&store).await;
    let range = DayRange::last(today(), 2);
    let rows = store.report_rows(s.site, "total", range).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].1.counts.visits, rows[0].1.counts.calls), (1, 0));
    assert!(
        !store
            .rebuild_report_day(StaleDay {
                site: s.site,
                utc_day: 0
            })
            .await
            .unwrap(),
        "nothing stale"
    );
}

/// A call from `caller` with the country its provider named, on no visit.
async fn call_from(store: &SqlStore, s: &Setup, sid: &str, caller: &str, country: Option<&str>) {
    let mut new = new_call_on(s, sid, caller, None, None);
    new.place.country = country.map(str::to_owned);
    store.open_call(&new).await.unwrap();
}

async fn a_calls_country_is_the_one_its_provider_named_or_else_its_numbers_region(store: SqlStore) {
    let s = setup(&store, "acme", "+12025550100").await;
    call_from(&store, &s, "CA1", "+12025550169", Some("CA")).await;
    call_from(&store, &s, "CA2", "+442079460000", None).await;
    call_from(&store, &s, "CA3", "+12025550170", None).await;
    rebuild_all(&store).await;
    let range = DayRange::new(today(), today()).unwrap();
    let mut rows: Vec<(String, i64)> = store
        .report_rows(s.site, "country", range)
        .await
        .unwrap()
        .into_iter()
        .map(|(country, totals)| (country, totals.counts.calls))
        .collect();
    rows.sort();
    let expected = [("CA", 1), ("GB", 1), ("US", 1)].map(|(c, n)| (c.to_owned(), n));
    assert_eq!(rows, expected, "the provider's word first, the number's plan after");
}

conformance!(
    a_rebuilt_day_counts_every_record_and_equals_a_recount_from_the_records,
    a_sale_recorded_weeks_later_restates_the_day_the_lead_arrived,
    a_new_time_zone_restates_every_day_of_the_site,
    a_sites_report_never_counts_another_sites_records,
    a_calls_country_is_the_one_its_provider_named_or_else_its_numbers_region,
);
