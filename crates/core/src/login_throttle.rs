//! How long an account waits after failed log-ins: a few mistakes are free, then each failure
//! locks the account for twice as long as the one before, up to a ceiling. The per-address
//! limit alone lets one guess a second from each address forever; this bounds the guesses
//! against one account whatever the addresses they come from.

use std::time::Duration;

/// Failures allowed before the account is locked at all.
pub const FREE_FAILURES: u32 = 5;
/// The lock after the last free failure.
pub const FIRST_LOCK: Duration = Duration::from_secs(30);
/// The longest lock.
pub const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
/// Failures older than this are forgotten (longer than `MAX_LOCK`, so that guessing at the
/// ceiling's pace never starts afresh).
pub const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);

/// One account's recent failed log-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoginFailures {
    failures: u32,
    last_failure_ms: i64,
}

impl LoginFailures {
    /// How many failures are remembered.
    pub fn count(&self) -> u32 {
        self.failures
    }

    /// The failures as they stand at `now_ms` (forgotten when old).
    fn current(self, now_ms: i64) -> Self {
        if now_ms.saturating_sub(self.last_failure_ms) > millis(FORGET_AFTER) {
            Self::default()
        } else {
            self
        }
    }

    /// How long the account is locked after these failures (zero while they are free).
    pub fn lock(&self) -> Duration {
        let Some(beyond) = (self.failures + 1).checked_sub(FREE_FAILURES).filter(|n| *n > 0) else {
            return Duration::ZERO;
        };
        let doublings = (beyond - 1).min(31);
        FIRST_LOCK.saturating_mul(1 << doublings).min(MAX_LOCK)
    }

    /// Whether a log-in may be tried at `now_ms`; else how long to wait.
    pub fn check(&self, now_ms: i64) -> Result<(), Duration> {
        let current = self.current(now_ms);
        let until = current.last_failure_ms.saturating_add(millis(current.lock()));
        if current.failures == 0 || now_ms >= until {
            Ok(())
        } else {
            let wait_ms = u64::try_from(until - now_ms).unwrap_or(0);
            Err(Duration::from_millis(wait_ms).max(Duration::from_secs(1)))
        }
    }

    /// The failures after one more at `now_ms`.
    pub fn failed(self, now_ms: i64) -> Self {
        let current = self.current(now_ms);
        Self {
            failures: current.failures.saturating_add(1),
            last_failure_ms: now_ms,
        }
    }

    /// Whether nothing about the account is worth keeping at `now_ms`.
    pub fn is_forgotten(&self, now_ms: i64) -> bool {
        self.current(now_ms).failures == 0
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn after(failures: u32, at_ms: i64) -> LoginFailures {
        (0..failures).fold(LoginFailures::default(), |f, _| f.failed(at_ms))
    }

    #[test]
    fn the_first_failures_are_free() {
        for n in 0..FREE_FAILURES {
            assert_eq!(after(n, 1_000).check(1_000), Ok(()), "{n} failures");
        }
    }

    #[test]
    fn the_failure_after_the_free_ones_locks_for_the_first_lock() {
        let failures = after(FREE_FAILURES, 1_000);
        assert_eq!(failures.check(1_000), Err(FIRST_LOCK));
        assert_eq!(failures.check(1_000 + millis(FIRST_LOCK)), Ok(()));
    }

    #[test]
    fn each_further_failure_doubles_the_lock_up_to_the_ceiling() {
        assert_eq!(after(FREE_FAILURES + 1, 0).lock(), FIRST_LOCK * 2);
        assert_eq!(after(FREE_FAILURES + 2, 0).lock(), FIRST_LOCK * 4);
        assert_eq!(after(FREE_FAILURES + 40, 0).lock(), MAX_LOCK);
    }

    #[test]
    fn failures_are_forgotten_an_hour_after_the_last() {
        let failures = after(FREE_FAILURES + 3, 0);
        let later = millis(FORGET_AFTER) + 1;
        assert!(failures.is_forgotten(later));
        assert_eq!(failures.failed(later).count(), 1);
    }

    proptest! {
        #[test]
        fn the_lock_never_shrinks_with_more_failures_nor_passes_the_ceiling(n in 0u32..10_000) {
            let now = after(n, 0).lock();
            let next = after(n + 1, 0).lock();
            prop_assert!(now <= next);
            prop_assert!(next <= MAX_LOCK);
        }

        #[test]
        fn a_locked_account_is_open_again_once_its_lock_has_passed(n in FREE_FAILURES..200, at in 0i64..1_000_000_000) {
            let failures = after(n, at);
            let lock = failures.lock();
            prop_assert_eq!(failures.check(at), Err(lock.max(Duration::from_secs(1))));
            prop_assert_eq!(failures.check(at + millis(lock)), Ok(()));
        }
    }
}
