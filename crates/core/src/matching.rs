//! Two decisions the patent's method rests on, as pure functions over what the store finds:
//! which origin a call has (its code's visit or click, a printed code's source, the caller's
//! recent visit, or none), and which lead a call or form belongs to. The store answers the
//! lookups; the order and the meaning of each answer live here, once.

use crate::call::{CallOrigin, MatchedBy};
use crate::keypad::Keyed;
use crate::lead::LeadMatch;
use crate::net::Email;
use crate::visit::{LiveCode, PoolKey, VisitRef};
use crate::{E164, NumberId};

/// One question about a call, asked of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallLookup {
    /// Is this code live in this pool, and whose is it?
    LiveCode(PoolKey, u64),
    /// Is this code reserved for an offline source, and which?
    ReservedCode(PoolKey, u64),
    /// Which visit holds this pool number of the call's site now?
    PoolHolder(NumberId),
    /// Which visit did this caller's most recent call (on the site, lately) come from?
    RecentVisitOf(E164),
}

/// The store's answer to a [`CallLookup`] that found something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallFound {
    Live(LiveCode),
    Reserved {
        label: String,
    },
    RecentVisit(VisitRef),
    /// The visit holding the pool number called.
    PoolHolder(VisitRef),
}

/// The questions to ask about a call, in order; the first that finds something decides
/// ([`origin`]). A code is looked up live first (a visitor on the page now), then reserved (a
/// printed ad); a mistyped check digit never looks up a code, so a neighbour's visit is never
/// credited. Only a caller with a number has recent calls: withheld callers are many people.
pub fn call_lookups(keyed: &Keyed, number: NumberId, caller: Option<&E164>) -> Vec<CallLookup> {
    let mut lookups = Vec::with_capacity(3);
    if let (Some(code), false) = (keyed.code, keyed.check_failed) {
        let pool = PoolKey {
            number,
            selector: keyed.selector,
        };
        lookups.push(CallLookup::LiveCode(pool, code));
        lookups.push(CallLookup::ReservedCode(pool, code));
    }
    lookups.extend(caller.cloned().map(CallLookup::RecentVisitOf));
    lookups
}

/// The questions to ask about a call to a number of a site's pool (no code is asked there):
/// the number's current holder, then, as for any call, the caller's recent visit.
pub fn pool_call_lookups(number: NumberId, caller: Option<&E164>) -> Vec<CallLookup> {
    let mut lookups = vec![CallLookup::PoolHolder(number)];
    lookups.extend(caller.cloned().map(CallLookup::RecentVisitOf));
    lookups
}

/// The call's origin from the first lookup that found something (`None`: nothing did).
pub fn origin(found: Option<CallFound>) -> CallOrigin {
    let unmatched = CallOrigin {
        matched_by: MatchedBy::None,
        visit: None,
        intent: None,
        source_label: None,
    };
    match found {
        None => unmatched,
        Some(CallFound::Live(live)) => CallOrigin {
            matched_by: if live.intent.is_some() {
                MatchedBy::Click
            } else {
                MatchedBy::Code
            },
            visit: Some(live.visit),
            intent: live.intent,
            ..unmatched
        },
        Some(CallFound::Reserved { label }) => CallOrigin {
            matched_by: MatchedBy::Reserved,
            source_label: Some(label),
            ..unmatched
        },
        Some(CallFound::RecentVisit(visit)) => CallOrigin {
            matched_by: MatchedBy::Caller,
            visit: Some(visit),
            ..unmatched
        },
        Some(CallFound::PoolHolder(visit)) => CallOrigin {
            matched_by: MatchedBy::Pool,
            visit: Some(visit),
            ..unmatched
        },
    }
}

/// What a call or a form tells about the person behind it.
#[derive(Debug, Clone, Copy, Default)]
pub struct PersonKeys<'a> {
    /// The browser's visitor key (from the visit the call or form came from).
    pub visitor_key: Option<&'a str>,
    pub email: Option<&'a Email>,
    pub phone: Option<&'a E164>,
}

/// A lead column and the value a lead must have in it to be this person's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadLookup {
    pub key: LeadKey,
    pub value: String,
    /// How the lead is said to be matched when this lookup finds it.
    pub matched: LeadMatch,
}

/// The columns a lead is found by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadKey {
    VisitorKey,
    Email,
    Phone,
}

impl LeadKey {
    /// The `leads` column.
    pub fn column(&self) -> &'static str {
        match self {
            Self::VisitorKey => "visitor_key",
            Self::Email => "email",
            Self::Phone => "phone",
        }
    }
}

/// The one order in which calls and forms look for their lead: the visitor key first (the same
/// browser is the strongest evidence, and it is what ties the lead to its ads), then the
/// e-mail (a person's own, rarely shared), then the phone (shared by households and offices,
/// and a caller's may be a switchboard). The first lookup that finds a lead of the business
/// wins; none finding one makes a new lead.
pub fn lead_lookups(keys: &PersonKeys<'_>) -> Vec<LeadLookup> {
    let candidates = [
        (
            LeadKey::VisitorKey,
            keys.visitor_key.map(str::to_owned),
            LeadMatch::VisitorKey,
        ),
        // E-mails are stored lower-case (as `Email` gives them), so equality ignores case.
        (
            LeadKey::Email,
            keys.email.map(|e| e.as_str().to_lowercase()),
            LeadMatch::Email,
        ),
        (
            LeadKey::Phone,
            keys.phone.map(|p| p.as_str().to_owned()),
            LeadMatch::Phone,
        ),
    ];
    candidates
        .into_iter()
        .filter_map(|(key, value, matched)| {
            let value = value.filter(|v| !v.trim().is_empty())?;
            Some(LeadLookup { key, value, matched })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keypad::read;
    use crate::visit::Selector;
    use crate::{IntentId, SiteId};
    use proptest::prelude::*;

    fn live(intent: Option<i64>) -> LiveCode {
        LiveCode {
            site_id: SiteId(1),
            visit: VisitRef::generate(),
            intent: intent.map(IntentId),
            expires_at: chrono::Utc::now(),
        }
    }

    fn caller() -> E164 {
        E164::parse("+12025550169").unwrap()
    }

    #[test]
    fn a_code_is_looked_up_live_then_reserved_then_the_caller() {
        let lookups = call_lookups(&read("42", false, false), NumberId(7), Some(&caller()));
        let pool = PoolKey {
            number: NumberId(7),
            selector: Selector::Plain,
        };
        assert_eq!(
            lookups,
            [
                CallLookup::LiveCode(pool, 42),
                CallLookup::ReservedCode(pool, 42),
                CallLookup::RecentVisitOf(caller())
            ]
        );
    }

    #[test]
    fn a_mistyped_check_digit_or_a_withheld_number_looks_nothing_up() {
        let typo = read("420", true, false);
        assert!(typo.check_failed);
        assert_eq!(call_lookups(&typo, NumberId(1), None), []);
        assert_eq!(
            call_lookups(&typo, NumberId(1), Some(&caller())),
            [CallLookup::RecentVisitOf(caller())]
        );
    }

    #[test]
    fn each_finding_says_how_the_call_was_matched() {
        assert_eq!(origin(None).matched_by, MatchedBy::None);
        assert_eq!(origin(Some(CallFound::Live(live(None)))).matched_by, MatchedBy::Code);
        let click = origin(Some(CallFound::Live(live(Some(3)))));
        assert_eq!((click.matched_by, click.intent), (MatchedBy::Click, Some(IntentId(3))));
        let printed = origin(Some(CallFound::Reserved { label: "Herald".into() }));
        assert_eq!(
            (printed.matched_by, printed.source_label.as_deref(), printed.visit),
            (MatchedBy::Reserved, Some("Herald"), None)
        );
        let back = VisitRef::generate();
        let returning = origin(Some(CallFound::RecentVisit(back.clone())));
        assert_eq!(
            (returning.matched_by, returning.visit),
            (MatchedBy::Caller, Some(back.clone()))
        );
        let held = origin(Some(CallFound::PoolHolder(back.clone())));
        assert_eq!((held.matched_by, held.visit), (MatchedBy::Pool, Some(back)));
    }

    #[test]
    fn a_pool_number_asks_for_its_holder_then_the_callers_recent_visit() {
        assert_eq!(
            pool_call_lookups(NumberId(5), Some(&caller())),
            [CallLookup::PoolHolder(NumberId(5)), CallLookup::RecentVisitOf(caller())]
        );
        assert_eq!(
            pool_call_lookups(NumberId(5), None),
            [CallLookup::PoolHolder(NumberId(5))]
        );
    }

    #[test]
    fn leads_are_found_by_visitor_key_then_email_then_phone() {
        let email = Email::parse("Ann@Example.com").unwrap();
        let phone = caller();
        let keys = PersonKeys {
            visitor_key: Some("ga:1.2"),
            email: Some(&email),
            phone: Some(&phone),
        };
        let order: Vec<(LeadKey, String)> = lead_lookups(&keys).into_iter().map(|l| (l.key, l.value)).collect();
        assert_eq!(
            order,
            [
                (LeadKey::VisitorKey, "ga:1.2".to_owned()),
                (LeadKey::Email, "ann@example.com".to_owned()),
                (LeadKey::Phone, "+12025550169".to_owned())
            ]
        );
        let call = PersonKeys {
            phone: Some(&phone),
            ..PersonKeys::default()
        };
        assert_eq!(lead_lookups(&call).len(), 1);
    }

    proptest! {
        #[test]
        fn code_lookups_always_come_before_the_caller_and_only_for_a_readable_code(
            digits in "[0-9*#]{0,14}",
            check_digit: bool,
            star_pool: bool,
            withheld: bool,
        ) {
            let keyed = read(&digits, check_digit, star_pool);
            let number = (!withheld).then(caller);
            let lookups = call_lookups(&keyed, NumberId(1), number.as_ref());
            let codes = lookups.iter().filter(|l| !matches!(l, CallLookup::RecentVisitOf(_))).count();
            prop_assert_eq!(codes, if keyed.code.is_some() && !keyed.check_failed { 2 } else { 0 });
            prop_assert_eq!(lookups.len(), codes + usize::from(!withheld));
            if let Some(last) = lookups.last() {
                prop_assert!(withheld || matches!(last, CallLookup::RecentVisitOf(_)));
            }
            for lookup in &lookups {
                if let CallLookup::LiveCode(pool, code) | CallLookup::ReservedCode(pool, code) = lookup {
                    prop_assert_eq!((pool.selector, Some(*code)), (keyed.selector, keyed.code));
                }
            }
        }

        #[test]
        fn the_lead_lookups_keep_the_one_order_whatever_is_known(
            visitor in proptest::option::of("[a-z]{1,8}:[a-z0-9.]{1,12}"),
            has_email: bool,
            has_phone: bool,
        ) {
            let email = Email::parse("ann@example.com").unwrap();
            let phone = caller();
            let keys = PersonKeys {
                visitor_key: visitor.as_deref(),
                email: has_email.then_some(&email),
                phone: has_phone.then_some(&phone),
            };
            let order: Vec<LeadKey> = lead_lookups(&keys).into_iter().map(|l| l.key).collect();
            let expected: Vec<LeadKey> = [
                (visitor.is_some(), LeadKey::VisitorKey),
                (has_email, LeadKey::Email),
                (has_phone, LeadKey::Phone),
            ]
            .into_iter()
            .filter_map(|(known, key)| known.then_some(key))
            .collect();
            prop_assert_eq!(order, expected);
        }
    }
}
