//! Small builders for the rows most tests need.

use leadline_core::BusinessId;
use leadline_core::names::{Name, Slug};
use leadline_core::net::{DomainName, Email};
use leadline_core::secret::NewPassword;
use leadline_core::site::{Currency, SiteKey, SiteSettings, Timezone};
use leadline_core::store::{BusinessStore, SiteStore, UserStore};
use leadline_core::tenant::{Business, NewBusiness, NewSite, NewUser, Role, Site, User};
use leadline_store::SqlStore;

pub fn name(text: &str) -> Name {
    Name::parse_as("name", text).unwrap()
}

pub async fn business(store: &SqlStore, slug: &str) -> Business {
    store
        .create_business(&NewBusiness {
            slug: Slug::parse(slug).unwrap(),
            name: name(&format!("Business {slug}")),
        })
        .await
        .unwrap()
}

pub fn new_site(business: BusinessId, domains: &[&str]) -> NewSite {
    NewSite {
        business_id: business,
        name: name("Main site"),
        key: SiteKey::generate(),
        domains: domains.iter().map(|d| DomainName::parse(d).unwrap()).collect(),
        timezone: Timezone::parse("America/New_York").unwrap(),
        currency: Currency::parse("USD").unwrap(),
        settings: SiteSettings::default(),
    }
}

pub async fn site(store: &SqlStore, business: BusinessId, domain: &str) -> Site {
    store.create_site(&new_site(business, &[domain])).await.unwrap()
}

pub fn new_user(business: BusinessId, email: &str) -> NewUser {
    NewUser {
        business_id: business,
        email: Email::parse(email).unwrap(),
        name: name("Ann Operator"),
        role: Role::Operator,
        password_hash: NewPassword::parse("correct horse battery").unwrap().hash(),
    }
}

pub async fn user(store: &SqlStore, business: BusinessId, email: &str) -> User {
    store.create_user(&new_user(business, email)).await.unwrap()
}

/// A tracking number serving `site`, and its plain pool.
pub async fn tracking_number(
    store: &SqlStore,
    site: leadline_core::SiteId,
    number: &str,
) -> leadline_core::visit::PoolKey {
    use leadline_core::store::NumberStore;
    use leadline_core::tenant::{AccountSid, NewTrackingNumber, Provider};
    let created = store
        .create_number(&NewTrackingNumber {
            number: leadline_core::E164::parse(number).unwrap(),
            provider: Provider::Twilio,
            account_sid: AccountSid::parse("AC1").unwrap(),
            auth_token: leadline_core::secret::Secret::new("0123456789abcdef0123"),
            site_ids: vec![site],
        })
        .await
        .unwrap();
    leadline_core::visit::PoolKey {
        number: created.id,
        selector: leadline_core::visit::Selector::Plain,
    }
}

/// Merges `report` into the call with provider id `sid` on tracking number `number`.
pub async fn report(
    store: &SqlStore,
    number: leadline_core::NumberId,
    sid: &str,
    report: &leadline_core::call::CallReport,
) -> leadline_core::store::StoreResult<leadline_core::call::Call> {
    use leadline_core::store::CallStore;
    let sid = leadline_core::provider::CallSid::parse(sid).unwrap();
    store
        .report_call(leadline_core::call::CallKey::Provider { number, sid: &sid }, report)
        .await
}
