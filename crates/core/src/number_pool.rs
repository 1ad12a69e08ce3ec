//! A number pool (Dynamic Number Insertion, the market's method, kept for comparison with
//! extensions): a site of kind [`SiteKind::NumberPool`](crate::site::SiteKind) shows each
//! visit one tracking number of its pool, held while the visit is active. Which number a
//! visit gets is decided here; the store keeps the pool and its holders.

use crate::store::StoreResult;
use crate::visit::VisitRef;
use crate::{E164, NumberId, SiteId};
use async_trait::async_trait;

/// One number of a site's pool as the store holds it, at the moment of a choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub number: NumberId,
    /// Whether a visit holds it (it may have gone idle since: see `held_until_ms`).
    pub held: bool,
    /// Until when the holder's hold lasts, in epoch milliseconds.
    pub held_until_ms: i64,
    /// The holder's last activity, in epoch milliseconds.
    pub last_activity_ms: i64,
    /// When it was last released (0: never held).
    pub released_at_ms: i64,
}

impl Slot {
    /// Free at `now_ms`: nobody holds it, or the holder's idle time has passed (the sweep has
    /// not released it yet, but a call to it would find no holder either).
    pub fn is_free(&self, now_ms: i64) -> bool {
        !self.held || self.held_until_ms <= now_ms
    }

    /// When it became free: its release, or the end of its last hold.
    fn free_since(&self) -> i64 {
        if self.held {
            self.held_until_ms
        } else {
            self.released_at_ms
        }
    }
}

/// Which number a new holder takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// A free number: the least recently released (a late caller of its last holder is the
    /// least likely to call now).
    Free(NumberId),
    /// The pool is exhausted: the number of the least recently active holder is taken from
    /// it, as the market's products do. Counted: each may misattribute a call.
    Overwrite(NumberId),
}

impl Choice {
    /// The number chosen.
    pub fn number(&self) -> NumberId {
        match self {
            Self::Free(number) | Self::Overwrite(number) => *number,
        }
    }
}

/// The number a new holder takes from `slots` at `now_ms`; `None` for an empty pool. Ties go
/// to the lowest number id, so the choice does not depend on the order of `slots`.
pub fn choose(slots: &[Slot], now_ms: i64) -> Option<Choice> {
    let free = slots
        .iter()
        .filter(|s| s.is_free(now_ms))
        .min_by_key(|s| (s.free_since(), s.number.0));
    if let Some(slot) = free {
        return Some(Choice::Free(slot.number));
    }
    slots
        .iter()
        .min_by_key(|s| (s.last_activity_ms, s.number.0))
        .map(|s| Choice::Overwrite(s.number))
}

/// One number of a site's pool, as the settings show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolNumber {
    pub number_id: NumberId,
    pub number: E164,
    /// The visit holding it now, if any.
    pub holder: Option<VisitRef>,
}

/// The numbers of pool sites and their holders.
#[async_trait]
pub trait NumberPoolStore {
    /// Puts tracking number `number` in `site`'s pool (linking it to the site if it is not):
    /// `Conflict` when it serves another site, or is already in a pool; `NotFound` when it is
    /// not set up.
    async fn add_pool_number(&self, site: SiteId, number: NumberId) -> StoreResult<()>;
    /// Takes `number` out of `site`'s pool and off the site; `NotFound` when it is not in it.
    async fn remove_pool_number(&self, site: SiteId, number: NumberId) -> StoreResult<()>;
    /// The site's pool, in number order, each with its holder at `now_ms`.
    async fn pool_numbers(&self, site: SiteId, now_ms: i64) -> StoreResult<Vec<PoolNumber>>;
    /// How many times the site's pool was exhausted and a holder overwritten, ever.
    async fn pool_overwrites(&self, site: SiteId) -> StoreResult<u64>;
    /// The visit holding pool number `number` of `site` at `now_ms`, if any.
    async fn pool_holder(&self, site: SiteId, number: NumberId, now_ms: i64) -> StoreResult<Option<VisitRef>>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn slot(number: i64, held: Option<(i64, i64)>, released_at_ms: i64) -> Slot {
        let (last_activity_ms, held_until_ms) = held.unwrap_or((0, 0));
        Slot {
            number: NumberId(number),
            held: held.is_some(),
            held_until_ms,
            last_activity_ms,
            released_at_ms,
        }
    }

    #[test]
    fn a_visit_takes_the_least_recently_released_free_number() {
        let slots = [slot(1, None, 500), slot(2, Some((900, 2_000)), 0), slot(3, None, 100)];
        assert_eq!(choose(&slots, 1_000), Some(Choice::Free(NumberId(3))));
    }

    #[test]
    fn a_hold_past_its_idle_time_is_free_without_a_sweep() {
        let slots = [slot(1, Some((100, 600)), 0), slot(2, Some((900, 2_000)), 0)];
        assert_eq!(choose(&slots, 1_000), Some(Choice::Free(NumberId(1))));
    }

    #[test]
    fn an_exhausted_pool_overwrites_the_least_recently_active_holder() {
        let slots = [slot(1, Some((700, 2_000)), 0), slot(2, Some((300, 2_000)), 0)];
        assert_eq!(choose(&slots, 1_000), Some(Choice::Overwrite(NumberId(2))));
        assert_eq!(choose(&[], 1_000), None);
    }

    /// A pool of distinct numbers (1, 2, ...) in any state.
    fn any_pool(max: usize) -> impl Strategy<Value = Vec<Slot>> {
        proptest::collection::vec((proptest::option::of((0i64..1_000, 0i64..2_000)), 0i64..1_000), 0..max).prop_map(
            |states| {
                (1i64..)
                    .zip(states)
                    .map(|(n, (held, released))| slot(n, held, released))
                    .collect()
            },
        )
    }

    proptest! {
        #[test]
        fn a_holder_is_overwritten_only_when_no_number_is_free(slots in any_pool(12), now in 0i64..2_000) {
            match choose(&slots, now) {
                None => prop_assert!(slots.is_empty()),
                Some(Choice::Free(n)) => {
                    let chosen = slots.iter().find(|s| s.number == n).unwrap();
                    prop_assert!(chosen.is_free(now));
                    prop_assert!(slots.iter().filter(|s| s.is_free(now)).all(|s| s.free_since() >= chosen.free_since()));
                }
                Some(Choice::Overwrite(n)) => {
                    prop_assert!(slots.iter().all(|s| !s.is_free(now)));
                    let chosen = slots.iter().find(|s| s.number == n).unwrap();
                    prop_assert!(slots.iter().all(|s| s.last_activity_ms >= chosen.last_activity_ms));
                }
            }
        }

        #[test]
        fn the_choice_does_not_depend_on_the_order_of_the_slots(mut slots in any_pool(12), now in 0i64..2_000) {
            let first = choose(&slots, now);
            slots.reverse();
            prop_assert_eq!(choose(&slots, now), first);
        }
    }
}
