//! The leads list's totals (over the whole filter, each currency apart) and its CSV download.

use crate::crm::submits;
use crate::helpers::{Engine, Seeded, TestApp};
use crate::operator::{PASSWORD, client, log_in, operator, page};
use leadline::config::Config;
use leadline_core::lead::{Author, LeadChange, NewSale};
use leadline_core::site::SiteSettings;
use leadline_core::store::LeadStore;

/// Records a sale on the lead a submission made.
async fn sold(app: &TestApp, seeded: &Seeded, name: &str, email: &str, sale: Option<(&str, i64, i64)>) {
    let lead = submits(app, seeded, name, email).await.lead_id;
    if let Some((currency, revenue_minor, cost_minor)) = sale {
        let change = LeadChange::Sale(NewSale {
            currency: currency.into(),
            revenue_minor,
            cost_minor,
            profit_minor: revenue_minor - cost_minor,
            call_ref: None,
            form: None,
            cost_basis: None,
        });
        let business = seeded.site.business_id;
        app.store
            .change_lead(business, lead, &Author::system(), &change)
            .await
            .unwrap();
    }
}

async fn three_leads(engine: Engine) -> (TestApp, Seeded, String) {
    let (app, seeded) = TestApp::spawn_site(engine, Config::default(), SiteSettings::default()).await;
    operator(&app, seeded.site.business_id, "ann@example.com").await;
    sold(
        &app,
        &seeded,
        "Bea Ray",
        "bea@example.com",
        Some(("USD", 10_000, 2_000)),
    )
    .await;
    sold(
        &app,
        &seeded,
        "=HYPERLINK(\"x\")",
        "cal@example.com",
        Some(("EUR", 5_000, 0)),
    )
    .await;
    sold(&app, &seeded, "Dee Ng", "dee@example.com", Some(("USD", 1_000, 0))).await;
    let cookie = log_in(&app, "ann@example.com", PASSWORD).await.unwrap();
    (app, seeded, cookie)
}

/// The totals table's rows as text: "USD 110.00 20.00 90.00".
fn totals(html: &str) -> Vec<String> {
    let table = html
        .split(r#"<table id="totals">"#)
        .nth(1)
        .unwrap()
        .split("</table>")
        .next()
        .unwrap();
    table
        .split("<tr>")
        .skip(2)
        .map(|row| {
            row.split('>')
                .filter_map(|part| part.split('<').next())
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

async fn the_leads_list_totals_the_whole_filter_in_each_currency_not_the_page(engine: Engine) {
    let (app, _seeded, cookie) = three_leads(engine).await;
    let (status, html) = page(&app, &cookie, "/app/leads?limit=1").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Dee Ng") && !html.contains("Bea Ray"), "one lead a page");
    assert!(html.contains(r#"<p id="lead-count">3 leads match.</p>"#), "{html}");
    assert_eq!(
        totals(&html),
        ["EUR 50.00 0.00 50.00", "USD 110.00 20.00 90.00"],
        "never summed across currencies"
    );
    let (_, bea) = page(&app, &cookie, "/app/leads?q=bea").await;
    assert!(bea.contains(r#"<p id="lead-count">1 lead match.</p>"#), "{bea}");
    assert_eq!(totals(&bea), ["USD 100.00 20.00 80.00"]);
    let (_, none) = page(&app, &cookie, "/app/leads?status=lost").await;
    assert!(none.contains("0 leads match."));
    assert_eq!(totals(&none), ["USD 0.00 0.00 0.00"], "zero in the site's currency");
    assert!(
        html.contains(r#"<a href="/app/leads.csv" download>Download as CSV</a>"#),
        "{html}"
    );
    assert!(
        bea.contains(r#"href="/app/leads.csv?q=bea""#),
        "the CSV keeps the filter"
    );
    app.finish().await;
}

async fn csv(app: &TestApp, cookie: &str, path: &str) -> (u16, String, String) {
    let response = client()
        .get(format!("{}{path}", app.base_url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (response.status().as_u16(), kind, response.text().await.unwrap())
}

async fn the_filtered_leads_download_as_csv_in_the_site_s_zone_without_formulas(engine: Engine) {
    let (app, _seeded, cookie) = three_leads(engine).await;
    let (status, kind, body) = csv(&app, &cookie, "/app/leads.csv?limit=1&cursor=c99").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(kind, "text/csv; charset=utf-8");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(
        lines[0],
        "Ref,Name,E-mail,Phone,Company,Status,Source,Tags,First seen,Site,Currency,Revenue,Cost,Profit"
    );
    assert_eq!(lines.len(), 4, "every lead of the filter, not one page: {body}");
    assert!(lines[1].contains(",Dee Ng,dee@example.com,") && lines[1].ends_with(",USD,10.00,0.00,10.00"));
    assert!(
        lines[2].contains(r#","'=HYPERLINK(""x"")","#),
        "a formula is shown as text: {}",
        lines[2]
    );
    assert!(lines[2].ends_with(",EUR,50.00,0.00,50.00"));
    assert!(lines[3].ends_with(",USD,100.00,20.00,80.00"));
    for line in &lines[1..] {
        assert!(
            line.contains(" EST,") || line.contains(" EDT,"),
            "the site's zone: {line}"
        );
    }
    let (_, _, bea) = csv(&app, &cookie, "/app/leads.csv?q=bea").await;
    assert_eq!(bea.lines().count(), 2, "{bea}");
    let (status, _, refused) = csv(&app, &cookie, "/app/leads.csv?from=yesterday").await;
    assert_eq!(status, 400, "{refused}");
    assert!(refused.contains("parameter from"), "{refused}");

    let other = app.add_business("other", "Other Co").await;
    operator(&app, other.id, "mallory@example.com").await;
    let mallory = log_in(&app, "mallory@example.com", PASSWORD).await.unwrap();
    let (status, _, theirs) = csv(&app, &mallory, "/app/leads.csv").await;
    assert_eq!(status, 200);
    assert_eq!(
        theirs.lines().count(),
        1,
        "another business's leads are not in it: {theirs}"
    );
    let (_, anonymous) = page(&app, "leadline_session=forged", "/app/leads.csv").await;
    assert!(!anonymous.contains("Bea Ray"));
    app.finish().await;
}

crate::on_both_engines!(
    the_leads_list_totals_the_whole_filter_in_each_currency_not_the_page,
    the_filtered_leads_download_as_csv_in_the_site_s_zone_without_formulas,
);
