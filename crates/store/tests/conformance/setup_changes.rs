//! What a business sets up is edited, disabled and removed; removing archives, so the calls
//! that came through a site, number or destination stay readable.

use crate::conformance;
use crate::fixtures::{business, name, site, user};
use leadline_core::call::{CallOrigin, MatchedBy, NewCall};
use leadline_core::net::DomainName;
use leadline_core::secret::Secret;
use leadline_core::site::{Currency, ExtensionMode, Timezone};
use leadline_core::store::{CallStore, DestinationStore, NumberStore, SiteStore, StoreError};
use leadline_core::tenant::{
    AccountSid, NewDestination, NewTrackingNumber, NumberEdit, Provider, SiteEdit, TrackingNumber,
};
use leadline_core::visit::Selector;
use leadline_core::{BusinessId, E164, SiteId};
use leadline_store::SqlStore;

const TOKEN: &str = "0123456789abcdef0123";

async fn number(store: &SqlStore, text: &str, sites: Vec<SiteId>) -> TrackingNumber {
    store
        .create_number(&NewTrackingNumber {
            number: E164::parse(text).unwrap(),
            provider: Provider::Twilio,
            account_sid: AccountSid::parse("AC1").unwrap(),
            auth_token: Secret::new(TOKEN),
            site_ids: sites,
        })
        .await
        .unwrap()
}

/// Records a call through `number` on `site` and answers its ref.
async fn call(store: &SqlStore, business: BusinessId, site: SiteId, number: &TrackingNumber, sid: &str) -> u64 {
    let new = NewCall {
        business_id: business,
        site_id: site,
        number_id: number.id,
        provider_call_sid: leadline_core::provider::CallSid::parse(sid).unwrap(),
        caller: leadline_core::provider::Caller::parse("+12025550169"),
        keyed: String::new(),
        code: None,
        selector: Selector::Plain,
        extension: None,
        origin: CallOrigin {
            matched_by: MatchedBy::None,
            visit: None,
            intent: None,
            source_label: None,
            confidence: None,
        },
        place: Default::default(),
    };
    store.open_call(&new).await.unwrap().record_ref
}

fn destination(business: BusinessId, text: &str) -> NewDestination {
    NewDestination {
        business_id: business,
        name: name("Front desk"),
        number: E164::parse(text).unwrap(),
        department: Some(name("Sales")),
        user_id: None,
    }
}

async fn a_site_is_edited_with_its_domains_in_one_change(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let created = site(&store, acme.id, "acme.example").await;
    site(&store, acme.id, "taken.example").await;
    let mut edit = SiteEdit::of(&created);
    edit.name = name("Acme shop");
    edit.domains = vec![DomainName::parse("shop.acme.example").unwrap()];
    edit.timezone = Timezone::parse("Europe/Berlin").unwrap();
    edit.currency = Currency::parse("EUR").unwrap();
    edit.settings.mode = ExtensionMode::Click;
    let edited = store.edit_site(acme.id, created.id, &edit).await.unwrap();
    assert_eq!(edited.name.as_str(), "Acme shop");
    assert_eq!(edited.domains, edit.domains);
    assert_eq!(
        (edited.timezone.name(), edited.currency.code()),
        ("Europe/Berlin", "EUR")
    );
    assert_eq!(edited.settings.mode, ExtensionMode::Click);
    let freed = DomainName::parse("acme.example").unwrap();
    assert!(matches!(store.site_by_domain(&freed).await, Err(StoreError::NotFound)));

    let mut clash = SiteEdit::of(&edited);
    clash.name = name("Never saved");
    clash.domains.push(DomainName::parse("taken.example").unwrap());
    let err = store.edit_site(acme.id, created.id, &clash).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains("taken.example")),
        "{err:?}"
    );
    assert_eq!(
        store.site(acme.id, created.id).await.unwrap(),
        edited,
        "nothing changed"
    );
}

async fn a_removed_site_serves_nothing_and_its_calls_stay_readable(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let shop = site(&store, acme.id, "acme.example").await;
    let line = number(&store, "+12025550100", vec![shop.id]).await;
    let record_ref = call(&store, acme.id, shop.id, &line, "CA1").await;

    let disabled = store.set_site_disabled(acme.id, shop.id, true).await.unwrap();
    assert!(disabled.disabled && !disabled.removed);
    assert_eq!(store.list_sites(acme.id).await.unwrap(), vec![disabled.clone()]);
    assert!(!store.set_site_disabled(acme.id, shop.id, false).await.unwrap().disabled);

    let err = store.remove_site(acme.id, shop.id).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains("+12025550100")),
        "{err:?}"
    );
    assert_eq!(store.list_sites(acme.id).await.unwrap().len(), 1, "nothing changed");

    store.remove_number(acme.id, line.id).await.unwrap();
    store.remove_site(acme.id, shop.id).await.unwrap();
    assert!(store.list_sites(acme.id).await.unwrap().is_empty());
    assert!(matches!(store.site_by_key(&shop.key).await, Err(StoreError::NotFound)));
    let domain = DomainName::parse("acme.example").unwrap();
    assert!(matches!(store.site_by_domain(&domain).await, Err(StoreError::NotFound)));
    assert!(
        store.site(acme.id, shop.id).await.unwrap().removed,
        "kept for its history"
    );
    let kept = store.call_by_ref(acme.id, record_ref).await.unwrap();
    assert_eq!((kept.site_id, kept.number_id), (shop.id, line.id));
    assert!(matches!(
        store.remove_site(acme.id, shop.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.edit_site(acme.id, shop.id, &SiteEdit::of(&shop)).await,
        Err(StoreError::NotFound)
    ));
    site(&store, acme.id, "acme.example").await;
}

async fn a_removed_number_answers_as_unknown_and_comes_back_with_its_calls(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let shop = site(&store, acme.id, "acme.example").await;
    let line = number(&store, "+12025550100", vec![shop.id]).await;
    let record_ref = call(&store, acme.id, shop.id, &line, "CA1").await;
    store.remove_number(acme.id, line.id).await.unwrap();
    assert!(matches!(
        store.number_by_e164(&line.number).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.list_numbers(acme.id).await.unwrap().is_empty());
    assert_eq!(store.number_for_site(shop.id).await.unwrap(), None);
    assert!(matches!(
        store.number(acme.id, line.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.call_by_ref(acme.id, record_ref).await.unwrap().number_id, line.id);

    let again = number(&store, "+12025550100", vec![shop.id]).await;
    assert_eq!(again.id, line.id, "the same row, so its calls are with it");
    assert_eq!(store.list_numbers(acme.id).await.unwrap(), vec![again]);
}

async fn a_number_is_edited_and_keeps_its_token_unless_a_new_one_is_given(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let shop = site(&store, acme.id, "acme.example").await;
    let blog = site(&store, acme.id, "blog.acme.example").await;
    let line = number(&store, "+12025550100", vec![shop.id]).await;
    let edit = NumberEdit {
        account_sid: AccountSid::parse("AC2").unwrap(),
        auth_token: None,
        site_ids: vec![blog.id, shop.id],
    };
    let edited = store.edit_number(acme.id, line.id, &edit).await.unwrap();
    assert_eq!(edited.account_sid.as_str(), "AC2");
    assert_eq!(edited.auth_token.expose(), TOKEN);
    assert_eq!(edited.site_ids, vec![shop.id, blog.id]);
    let replaced = NumberEdit {
        auth_token: Some(Secret::new("fedcba9876543210fedc")),
        site_ids: vec![blog.id],
        ..edit
    };
    let edited = store.edit_number(acme.id, line.id, &replaced).await.unwrap();
    assert_eq!(edited.auth_token.expose(), "fedcba9876543210fedc");
    assert_eq!(edited.site_ids, vec![blog.id]);
}

async fn a_shared_number_removed_by_one_business_still_serves_the_other(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let other = business(&store, "other").await;
    let shop = site(&store, acme.id, "acme.example").await;
    let theirs = site(&store, other.id, "other.example").await;
    let line = number(&store, "+12025550100", vec![shop.id, theirs.id]).await;
    store.remove_number(acme.id, line.id).await.unwrap();
    assert!(store.list_numbers(acme.id).await.unwrap().is_empty());
    let left = store.number_by_e164(&line.number).await.unwrap();
    assert_eq!(left.site_ids, vec![theirs.id]);
}

async fn another_business_cannot_change_or_remove_what_is_not_its_own(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let rival = business(&store, "rival").await;
    let shop = site(&store, acme.id, "acme.example").await;
    let rival_site = site(&store, rival.id, "rival.example").await;
    let line = number(&store, "+12025550100", vec![shop.id]).await;
    let desk = store
        .create_destination(&destination(acme.id, "+12025550111"))
        .await
        .unwrap();
    let not_found = |r: Result<(), StoreError>| assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    not_found(store.edit_site(rival.id, shop.id, &SiteEdit::of(&shop)).await.map(drop));
    not_found(store.set_site_disabled(rival.id, shop.id, true).await.map(drop));
    not_found(store.remove_site(rival.id, shop.id).await);
    let edit = NumberEdit {
        account_sid: AccountSid::parse("AC9").unwrap(),
        auth_token: None,
        site_ids: vec![rival_site.id],
    };
    not_found(store.edit_number(rival.id, line.id, &edit).await.map(drop));
    not_found(store.number(rival.id, line.id).await.map(drop));
    not_found(store.remove_number(rival.id, line.id).await);
    let moved = NumberEdit {
        site_ids: vec![shop.id, rival_site.id],
        ..edit
    };
    not_found(store.edit_number(acme.id, line.id, &moved).await.map(drop));
    not_found(
        store
            .edit_destination(desk.id, &destination(rival.id, "+12025550119"))
            .await
            .map(drop),
    );
    not_found(store.set_destination_disabled(rival.id, desk.id, true).await.map(drop));
    not_found(store.remove_destination(rival.id, desk.id).await);
    assert_eq!(store.site(acme.id, shop.id).await.unwrap(), shop);
    assert_eq!(store.number(acme.id, line.id).await.unwrap(), line);
    assert_eq!(store.list_destinations(acme.id).await.unwrap(), vec![desk]);
}

async fn a_destination_is_edited_disabled_removed_and_added_again(store: SqlStore) {
    let acme = business(&store, "acme").await;
    let ann = user(&store, acme.id, "ann@example.com").await;
    let desk = store
        .create_destination(&destination(acme.id, "+12025550111"))
        .await
        .unwrap();
    let other = store
        .create_destination(&destination(acme.id, "+12025550112"))
        .await
        .unwrap();
    let edit = NewDestination {
        name: name("Ann"),
        department: Some(name("Service")),
        user_id: Some(ann.id),
        ..destination(acme.id, "+12025550113")
    };
    let edited = store.edit_destination(desk.id, &edit).await.unwrap();
    assert_eq!((edited.name.as_str(), edited.user_id), ("Ann", Some(ann.id)));
    assert_eq!(edited.number.as_str(), "+12025550113");
    let err = store
        .edit_destination(desk.id, &destination(acme.id, "+12025550112"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");

    let disabled = store.set_destination_disabled(acme.id, desk.id, true).await.unwrap();
    assert!(disabled.disabled);
    assert_eq!(
        store.list_destinations(acme.id).await.unwrap(),
        vec![disabled, other.clone()]
    );
    store.remove_destination(acme.id, desk.id).await.unwrap();
    assert_eq!(store.list_destinations(acme.id).await.unwrap(), vec![other]);
    assert!(matches!(
        store.remove_destination(acme.id, desk.id).await,
        Err(StoreError::NotFound)
    ));
    let again = store
        .create_destination(&destination(acme.id, "+12025550113"))
        .await
        .unwrap();
    assert_eq!(again.id, desk.id);
    assert!(!again.disabled);
    assert_eq!(store.list_destinations(acme.id).await.unwrap().len(), 2);
}

conformance!(
    a_site_is_edited_with_its_domains_in_one_change,
    a_removed_site_serves_nothing_and_its_calls_stay_readable,
    a_removed_number_answers_as_unknown_and_comes_back_with_its_calls,
    a_number_is_edited_and_keeps_its_token_unless_a_new_one_is_given,
    a_shared_number_removed_by_one_business_still_serves_the_other,
    another_business_cannot_change_or_remove_what_is_not_its_own,
    a_destination_is_edited_disabled_removed_and_added_again,
);
