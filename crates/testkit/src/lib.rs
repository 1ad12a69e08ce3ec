//! What Leadline's test suites share. A test that needs a tool the machine may lack
//! (PostgreSQL, Chromium and chromedriver, the `twilio` or `moto` Python packages) calls
//! [`skip`] when it is missing: a newcomer's machine prints `SKIPPED` and goes on, while CI
//! (where `CI` is set) fails, so a broken install cannot turn the suite green without
//! running it.

use std::io::Write;

/// The variable CI systems set (GitHub Actions, GitLab, `.ci/run`).
pub const CI_ENV: &str = "CI";

/// Whether this run is CI's: `CI` is set to anything but empty, `0` or `false`.
pub fn on_ci() -> bool {
    means_ci(std::env::var(CI_ENV).ok().as_deref())
}

/// Whether a value of `CI` means CI.
fn means_ci(value: Option<&str>) -> bool {
    value.is_some_and(|v| !matches!(v.trim().to_ascii_lowercase().as_str(), "" | "0" | "false"))
}

/// Skips the calling test because `why` (e.g. "PostgreSQL server test:
/// LEADLINE_TEST_POSTGRES_URL is not set"): prints `SKIPPED: why` past the test harness's
/// capture, or, on CI, fails the test saying so.
#[track_caller]
pub fn skip(why: &str) {
    if on_ci() {
        panic!("not skipped on CI ({CI_ENV} is set): {why}");
    }
    let _ = writeln!(std::io::stderr(), "SKIPPED: {why}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_is_any_value_but_empty_zero_or_false() {
        assert!(means_ci(Some("true")) && means_ci(Some("1")) && means_ci(Some("yes")));
        assert!(!means_ci(None) && !means_ci(Some("")) && !means_ci(Some("0")) && !means_ci(Some("False")));
    }
}
