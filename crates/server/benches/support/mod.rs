//! What the server benchmarks share: a new PostgreSQL database per run, and the business they
//! seed (one site, its tracking number, two destinations).

use leadline_core::E164;
use leadline_core::names::{Name, Slug};
use leadline_core::net::DomainName;
use leadline_core::secret::{Secret, random_token};
use leadline_core::site::{Currency, SiteKey, SiteSettings, Timezone};
use leadline_core::store::{BusinessStore, DestinationStore, NumberStore, SiteStore};
use leadline_core::tenant::{AccountSid, NewBusiness, NewDestination, NewSite, NewTrackingNumber, Site};
use leadline_store::{DatabaseUrl, SqlStore};
use sqlx::{Connection, Executor, PgConnection};
use std::future::Future;

/// Runs `run` on a new PostgreSQL database named after `bench`, dropped afterwards even when
/// something panics.
pub async fn on_new_postgres<F, Fut>(admin_url: &str, bench: &str, run: F) -> Vec<String>
where
    F: FnOnce(DatabaseUrl) -> Fut,
    Fut: Future<Output = Vec<String>> + Send + 'static,
{
    let mut admin = PgConnection::connect(admin_url).await.expect("PostgreSQL answers");
    let name = format!("leadline_bench_{bench}_{}", random_token(8).to_lowercase());
    let create = format!("CREATE DATABASE \"{name}\"");
    admin.execute(create.as_str()).await.expect("create database");
    let mut url = url::Url::parse(admin_url).expect("valid PostgreSQL URL");
    url.set_path(&name);
    let outcome = tokio::spawn(run(DatabaseUrl::parse(url.as_str()).expect("database url"))).await;
    let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    admin.execute(drop.as_str()).await.expect("drop database");
    outcome.unwrap_or_else(|failed| std::panic::resume_unwind(failed.into_panic()))
}

/// A business with one site (America/New_York, USD) served from `localhost`, its tracking
/// number `tracking` (signed with `auth_token`) and two destinations, Ann and Ben.
pub async fn seed(store: &SqlStore, tracking: &str, auth_token: &str) -> Site {
    let name = |n: &str| Name::parse_as("name", n).expect("name");
    let new = NewBusiness {
        slug: Slug::parse("acme").expect("slug"),
        name: name("Acme"),
    };
    let business = store.create_business(&new).await.expect("business");
    let site = NewSite {
        business_id: business.id,
        name: name("Acme site"),
        key: SiteKey::generate(),
        domains: vec![DomainName::parse("localhost").expect("domain")],
        timezone: Timezone::parse("America/New_York").expect("timezone"),
        currency: Currency::parse("USD").expect("currency"),
        settings: SiteSettings::default(),
    };
    let site = store.create_site(&site).await.expect("site");
    let number = NewTrackingNumber {
        number: E164::parse(tracking).expect("number"),
        provider: leadline_core::tenant::Provider::Twilio,
        account_sid: AccountSid::parse("AC1").expect("account"),
        auth_token: Secret::new(auth_token),
        site_ids: vec![site.id],
    };
    store.create_number(&number).await.expect("tracking number");
    for (person, phone) in [("Ann", "+12025550111"), ("Ben", "+12025550112")] {
        let number = E164::parse(phone).expect("number");
        let new = NewDestination {
            business_id: business.id,
            name: name(person),
            number,
            department: None,
            user_id: None,
        };
        store.create_destination(&new).await.expect("destination");
    }
    site
}
