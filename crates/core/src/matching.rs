//! Two decisions the patent's method rests on, as pure functions over what the store finds:
//! which origin a call has (its code's visit or click, a printed code's source, the caller's
//! recent visit, the one visitor who just clicked to call, or none), and which lead a call or
//! form belongs to. The store answers the
//! lookups; the order and the meaning of each answer live here, once.

use crate::call::{CallOrigin, MatchedBy};
use crate::keypad::Keyed;
use crate::lead::LeadMatch;
use crate::net::Email;
use crate::visit::{LiveCode, PoolKey, VisitRef};
use crate::{E164, NumberId, SiteId};

/// How long a click on a call element or `tel:` link stays pending: a caller who keyed nothing
/// within this time of the one pending click is taken for the clicker. Half a minute: a tap
/// reaches the prompt in seconds, and at 6,000 visits an hour a minute's window named someone
/// else's click for a quarter of such calls (`leadline bench attribution`, docs/benchmarks.md).
pub const CLICK_INTENT_WINDOW_MS: i64 = 30_000;

/// How long a resting code names its last visit.
pub const RESTED_CODE_MEMORY_MS: i64 = 24 * 3_600_000;
/// How far back a caller's own earlier calls are remembered (redials, the recent caller).
pub const CALLER_MEMORY_MS: i64 = 7 * 24 * 3_600_000;

/// Which ways of naming a visit beyond a live or printed code a site uses (its settings say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Levers {
    /// A caller keying the code of their own earlier call is matched to that call's visit.
    pub redial: bool,
    /// A code that is no longer live names its last visit while nobody has held it since.
    pub rested_code: bool,
    /// The caller's most recent call names the visit.
    pub recent_caller: bool,
    /// The one visitor who clicked to call in the last half minute names it.
    pub click_intent: bool,
}

/// One question about a call, asked of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallLookup {
    /// Which visit did this caller's own earlier call with this code (since the instant, UTC
    /// ms) come from?
    Redial {
        caller: E164,
        pool: PoolKey,
        code: u64,
        since_ms: i64,
    },
    /// Is this code live in this pool, and whose is it?
    LiveCode(PoolKey, u64),
    /// Is this code reserved for an offline source, and which?
    ReservedCode(PoolKey, u64),
    /// Was this code freed since the instant (UTC ms), unheld since, and whose was it?
    RestedCode(PoolKey, u64, i64),
    /// Which visit holds this pool number of the call's site now?
    PoolHolder(NumberId),
    /// Which visit did this caller's most recent call (on the site, lately) come from?
    RecentVisitOf(E164),
    /// Which visitors of the number's sites clicked a call element or `tel:` link at or after
    /// this instant (UTC ms) and have not called since? (Two at most: more than one is no
    /// answer.)
    PendingClicks { number: NumberId, since_ms: i64 },
}

/// A visitor who clicked to call and has not called since, as the store finds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingClick {
    pub site_id: SiteId,
    pub visit: VisitRef,
    /// Their latest click, UTC ms.
    pub at_ms: i64,
}

/// The store's answer to a [`CallLookup`] that found something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallFound {
    Redial(VisitRef),
    Live(LiveCode),
    Rested {
        site_id: SiteId,
        visit: VisitRef,
    },
    Reserved {
        label: String,
    },
    RecentVisit(VisitRef),
    /// The one pending click, and how long before the call it came.
    ClickIntent {
        site_id: SiteId,
        visit: VisitRef,
        age_ms: i64,
    },
    /// The visit holding the pool number called.
    PoolHolder(VisitRef),
}

/// The questions to ask about a call at `now_ms`, in order; the first that finds something
/// decides ([`origin`]). A code keyed again by the caller who keyed it before is that call's
/// (a redial repeats the code it was given, even once the code is someone else's). Then a
/// code is looked up live (a visitor on the page now), reserved (a printed ad), then resting
/// (freed, and nobody has held it since: its last visit, a caller who noted it and left); a
/// mistyped check digit never looks up a code, so a neighbour's visit is never credited.
/// Without a usable code, the site's levers follow: the caller's recent call (the same person;
/// only a caller with a number has one, withheld callers are many people), then the one
/// visitor who clicked to call within the last half minute.
pub fn call_lookups(
    keyed: &Keyed,
    number: NumberId,
    caller: Option<&E164>,
    levers: Levers,
    now_ms: i64,
) -> Vec<CallLookup> {
    let mut lookups = Vec::with_capacity(6);
    if let (Some(code), false) = (keyed.code, keyed.check_failed) {
        let pool = PoolKey {
            number,
            selector: keyed.selector,
        };
        if let (true, Some(caller)) = (levers.redial, caller) {
            lookups.push(CallLookup::Redial {
                caller: caller.clone(),
                pool,
                code,
                since_ms: now_ms - CALLER_MEMORY_MS,
            });
        }
        lookups.push(CallLookup::LiveCode(pool, code));
        lookups.push(CallLookup::ReservedCode(pool, code));
        if levers.rested_code {
            lookups.push(CallLookup::RestedCode(pool, code, now_ms - RESTED_CODE_MEMORY_MS));
        }
    }
    if levers.recent_caller {
        lookups.extend(caller.cloned().map(CallLookup::RecentVisitOf));
    }
    if levers.click_intent {
        lookups.push(CallLookup::PendingClicks {
            number,
            since_ms: now_ms - CLICK_INTENT_WINDOW_MS,
        });
    }
    lookups
}

/// What the pending clicks the store found name: the visitor, when exactly one clicked (two
/// visitors who both clicked are a guess, and a guess between two is wrong half the time).
pub fn sole_pending_click(pending: &[PendingClick], now_ms: i64) -> Option<CallFound> {
    match pending {
        [one] => Some(CallFound::ClickIntent {
            site_id: one.site_id,
            visit: one.visit.clone(),
            age_ms: (now_ms - one.at_ms).max(0),
        }),
        _ => None,
    }
}

/// How likely (percent) the one pending click `age_ms` before a call that keyed nothing is the
/// caller's: high while the dialler is still opening, lower as the window runs out and other
/// people's calls become likelier. The bands follow what `leadline bench attribution` measures
/// (docs/benchmarks.md).
pub fn click_intent_confidence(age_ms: i64) -> u8 {
    match age_ms {
        ..=15_000 => 85,
        _ => 70,
    }
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
        confidence: None,
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
        Some(CallFound::Redial(visit)) => CallOrigin {
            matched_by: MatchedBy::Redial,
            visit: Some(visit),
            ..unmatched
        },
        Some(CallFound::Rested { visit, .. }) => CallOrigin {
            matched_by: MatchedBy::RestedCode,
            visit: Some(visit),
            ..unmatched
        },
        Some(CallFound::RecentVisit(visit)) => CallOrigin {
            matched_by: MatchedBy::Caller,
            visit: Some(visit),
            ..unmatched
        },
        Some(CallFound::ClickIntent { visit, age_ms, .. }) => CallOrigin {
            matched_by: MatchedBy::ClickIntent,
            visit: Some(visit),
            confidence: Some(click_intent_confidence(age_ms)),
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
    use crate::IntentId;
    use crate::keypad::read;
    use crate::visit::Selector;

    impl Levers {
        fn with_caller(self) -> Self {
            Self {
                recent_caller: true,
                ..self
            }
        }
    }
    use proptest::prelude::*;

    fn live(intent: Option<i64>) -> LiveCode {
        LiveCode {
            site_id: SiteId(1),
            visit: VisitRef::generate(),
            intent: intent.map(IntentId),
            expires_at: chrono::Utc::now(),
        }
    }

    const NOW: i64 = 1_800_000_000_000;
    const LEVERS: Levers = Levers {
        redial: true,
        rested_code: true,
        recent_caller: true,
        click_intent: true,
    };
    const NO_LEVERS: Levers = Levers {
        redial: false,
        rested_code: false,
        recent_caller: false,
        click_intent: false,
    };

    fn caller() -> E164 {
        E164::parse("+12025550169").unwrap()
    }

    #[test]
    fn a_code_is_looked_up_as_a_redial_live_reserved_resting_then_the_caller_then_a_click() {
        let lookups = call_lookups(&read("42", false, false), NumberId(7), Some(&caller()), LEVERS, NOW);
        let pool = PoolKey {
            number: NumberId(7),
            selector: Selector::Plain,
        };
        assert_eq!(
            lookups,
            [
                CallLookup::Redial {
                    caller: caller(),
                    pool,
                    code: 42,
                    since_ms: NOW - CALLER_MEMORY_MS
                },
                CallLookup::LiveCode(pool, 42),
                CallLookup::ReservedCode(pool, 42),
                CallLookup::RestedCode(pool, 42, NOW - RESTED_CODE_MEMORY_MS),
                CallLookup::RecentVisitOf(caller()),
                CallLookup::PendingClicks {
                    number: NumberId(7),
                    since_ms: NOW - CLICK_INTENT_WINDOW_MS
                }
            ]
        );
    }

    #[test]
    fn a_mistyped_check_digit_or_a_withheld_number_looks_nothing_up() {
        let typo = read("420", true, false);
        assert!(typo.check_failed);
        assert_eq!(call_lookups(&typo, NumberId(1), None, NO_LEVERS, NOW), []);
        assert_eq!(
            call_lookups(&typo, NumberId(1), Some(&caller()), NO_LEVERS.with_caller(), NOW),
            [CallLookup::RecentVisitOf(caller())]
        );
    }

    #[test]
    fn a_redial_and_a_resting_code_name_their_visit() {
        let visit = VisitRef::generate();
        let redial = origin(Some(CallFound::Redial(visit.clone())));
        assert_eq!(
            (redial.matched_by, redial.visit.as_ref()),
            (MatchedBy::Redial, Some(&visit))
        );
        let rested = origin(Some(CallFound::Rested {
            site_id: SiteId(2),
            visit: visit.clone(),
        }));
        assert_eq!(
            (rested.matched_by, rested.visit, rested.confidence),
            (MatchedBy::RestedCode, Some(visit), None)
        );
    }

    #[test]
    fn a_site_without_levers_asks_only_about_the_code() {
        let lookups = call_lookups(&read("42", false, false), NumberId(7), Some(&caller()), NO_LEVERS, NOW);
        assert_eq!(lookups.len(), 2);
        assert!(matches!(lookups[0], CallLookup::LiveCode(..)));
    }

    fn pending(site: i64, seconds_ago: i64) -> PendingClick {
        PendingClick {
            site_id: SiteId(site),
            visit: VisitRef::generate(),
            at_ms: NOW - seconds_ago * 1000,
        }
    }

    #[test]
    fn only_a_sole_pending_click_names_the_call_with_a_confidence() {
        assert_eq!(sole_pending_click(&[], NOW), None);
        assert_eq!(sole_pending_click(&[pending(1, 5), pending(1, 30)], NOW), None);
        let one = pending(4, 30);
        let found = sole_pending_click(std::slice::from_ref(&one), NOW).expect("one click names the call");
        assert_eq!(
            found,
            CallFound::ClickIntent {
                site_id: SiteId(4),
                visit: one.visit.clone(),
                age_ms: 30_000
            }
        );
        let origin = origin(Some(found));
        assert_eq!(
            (origin.matched_by, origin.visit, origin.confidence),
            (MatchedBy::ClickIntent, Some(one.visit), Some(70))
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
            redial: bool,
            rested_code: bool,
            recent_caller: bool,
            click_intent: bool,
        ) {
            let keyed = read(&digits, check_digit, star_pool);
            let number = (!withheld).then(caller);
            let levers = Levers { redial, rested_code, recent_caller, click_intent };
            let lookups = call_lookups(&keyed, NumberId(1), number.as_ref(), levers, NOW);
            let is_code = |l: &CallLookup| matches!(
                l,
                CallLookup::Redial { .. } | CallLookup::LiveCode(..) | CallLookup::ReservedCode(..) | CallLookup::RestedCode(..)
            );
            let codes = lookups.iter().filter(|l| is_code(l)).count();
            let usable = keyed.code.is_some() && !keyed.check_failed;
            let expected = if usable { 2 + usize::from(redial && !withheld) + usize::from(rested_code) } else { 0 };
            prop_assert_eq!(codes, expected);
            prop_assert!(lookups[..codes].iter().all(is_code));
            prop_assert_eq!(
                lookups.len(),
                codes + usize::from(!withheld && recent_caller) + usize::from(click_intent)
            );
            if click_intent {
                let last_is_click = matches!(lookups.last(), Some(CallLookup::PendingClicks { .. }));
                prop_assert!(last_is_click);
            }
            for lookup in &lookups {
                if let CallLookup::LiveCode(pool, code)
                | CallLookup::ReservedCode(pool, code)
                | CallLookup::RestedCode(pool, code, _)
                | CallLookup::Redial { pool, code, .. } = lookup
                {
                    prop_assert_eq!((pool.selector, Some(*code)), (keyed.selector, keyed.code));
                }
            }
        }

        #[test]
        fn confidence_never_rises_as_a_click_ages(a in 0i64..120_000, b in 0i64..120_000) {
            let (younger, older) = (a.min(b), a.max(b));
            prop_assert!(click_intent_confidence(younger) >= click_intent_confidence(older));
            prop_assert!((1..=100).contains(&click_intent_confidence(older)));
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
