//! The one clock Leadline reads. It is the system's, except in a process that simulates time:
//! `leadline bench attribution` steps it through a simulated day, so that idle times, the
//! sweep, a caller's memory and click windows all pass at the simulation's pace while the
//! requests go through the real server. Nothing else sets it.

use chrono::{DateTime, TimeZone, Utc};
use std::sync::atomic::{AtomicI64, Ordering};

/// The simulated instant in UTC milliseconds, or this marker for the system's clock.
const SYSTEM: i64 = i64::MIN;

static SIMULATED: AtomicI64 = AtomicI64::new(SYSTEM);

/// Now, in UTC milliseconds since the epoch.
pub fn now_millis() -> i64 {
    match SIMULATED.load(Ordering::Relaxed) {
        SYSTEM => Utc::now().timestamp_millis(),
        simulated => simulated,
    }
}

/// Now, as a UTC instant.
pub fn now() -> DateTime<Utc> {
    match SIMULATED.load(Ordering::Relaxed) {
        SYSTEM => Utc::now(),
        simulated => Utc.timestamp_millis_opt(simulated).single().unwrap_or_else(Utc::now),
    }
}

/// Moves this process's clock to `at_ms` (UTC milliseconds) and keeps it there until the next
/// call. It never goes back: an earlier instant leaves it where it is, as time does. Only a
/// simulation calls this, once it runs the server in its own process.
pub fn simulate(at_ms: i64) {
    SIMULATED.fetch_max(at_ms.max(SYSTEM + 1), Ordering::Relaxed);
}

/// Whether this process runs on a simulated clock.
pub fn is_simulated() -> bool {
    SIMULATED.load(Ordering::Relaxed) != SYSTEM
}

#[cfg(test)]
mod tests {
    use super::*;

    // The simulation itself is proven by the bench's run in its own process (tests/cli):
    // setting the clock here would move it under every other test of this crate.
    #[test]
    fn without_a_simulation_the_clock_is_the_systems() {
        assert!(!is_simulated());
        let real = now_millis();
        assert!((real - Utc::now().timestamp_millis()).abs() < 60_000);
    }
}
