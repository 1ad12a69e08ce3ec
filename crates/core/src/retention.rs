//! How long a business keeps each kind of record, and what that means at one instant: the
//! cut-off of each kind, and the day before which its reports are frozen (their rollups stay,
//! the raw records they were counted from may be gone).

use crate::store::StoreResult;
use crate::{BusinessId, Invalid, NumberId};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

/// What the retention sweep prunes, each with its own period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pruned {
    /// Visits with their page views and clicks (a visit a kept call or form came from stays
    /// with it).
    Visits,
    /// Calls (with their lead's links to them); a lead left with no call, form or sale goes too.
    Calls,
    /// Call recordings: deleted at the provider, the link forgotten; the call stays.
    Recordings,
    /// Form submissions with their files.
    Forms,
    /// Outbox events whose deliveries are all finished, with those deliveries.
    Events,
    /// Audit log entries (who changed what).
    Audit,
}

impl Pruned {
    /// Every kind, in the order the sweep takes them (recordings before their calls).
    pub const ALL: [Self; 6] = [
        Self::Recordings,
        Self::Visits,
        Self::Calls,
        Self::Forms,
        Self::Events,
        Self::Audit,
    ];

    /// The label of the kind in metrics and forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Visits => "visits",
            Self::Calls => "calls",
            Self::Recordings => "recordings",
            Self::Forms => "forms",
            Self::Events => "events",
            Self::Audit => "audit",
        }
    }

    /// The fewest days a business may keep the kind: enough to attribute, answer and report
    /// on it, and to retry a delivery through a long outage.
    pub fn floor_days(self) -> u32 {
        match self {
            // An audit log kept less than a month could not answer who changed something last
            // month.
            Self::Visits | Self::Calls | Self::Forms | Self::Audit => 30,
            Self::Recordings | Self::Events => 7,
        }
    }

    /// The most days that can be set (a hundred years: in effect, for ever).
    pub const MAX_DAYS: u32 = 36_500;
}

/// A business's retention: days each kind is kept after it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Retention {
    /// Visits, counted from their start (default 400: GA4's longest is 14 months).
    pub visits_days: u32,
    /// Calls, from their start (default 1,095: three years).
    pub calls_days: u32,
    /// Recordings, from their call's start (default 365).
    pub recordings_days: u32,
    /// Form submissions and their files (default 1,095).
    pub forms_days: u32,
    /// Finished outbox events and deliveries (default 30).
    pub events_days: u32,
    /// Audit log entries (default 365).
    pub audit_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            visits_days: 400,
            calls_days: 1_095,
            recordings_days: 365,
            forms_days: 1_095,
            events_days: 30,
            audit_days: 365,
        }
    }
}

impl Retention {
    /// The days `kind` is kept.
    pub fn days(&self, kind: Pruned) -> u32 {
        match kind {
            Pruned::Visits => self.visits_days,
            Pruned::Calls => self.calls_days,
            Pruned::Recordings => self.recordings_days,
            Pruned::Forms => self.forms_days,
            Pruned::Events => self.events_days,
            Pruned::Audit => self.audit_days,
        }
    }

    /// Checks each period against its floor and the maximum; `what` names the kind.
    pub fn validate(&self) -> Result<(), Invalid> {
        for kind in Pruned::ALL {
            let days = self.days(kind);
            if days < kind.floor_days() || days > Pruned::MAX_DAYS {
                return Err(Invalid::new(
                    kind.as_str(),
                    format!(
                        "{days} days: keep {} for {} to {} days",
                        kind.as_str(),
                        kind.floor_days(),
                        Pruned::MAX_DAYS
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Records of `kind` that happened before this instant are pruned at `now`: the UTC
    /// midnight at or before `now` less the period, so whole days go and a day is either
    /// kept whole or pruned whole.
    pub fn cutoff(&self, kind: Pruned, now: DateTime<Utc>) -> DateTime<Utc> {
        let day = (now - Duration::days(i64::from(self.days(kind))))
            .timestamp()
            .div_euclid(86_400);
        DateTime::from_timestamp(day * 86_400, 0).expect("a day of the calendar")
    }

    /// The first UTC day (days since the epoch) whose reports are still counted from their
    /// records: every day before it may have lost some of the visits, calls or forms the
    /// reports count, so its rollups are kept as they are and never counted again. Recordings
    /// and events are not counted by reports.
    pub fn report_horizon(&self, now: DateTime<Utc>) -> i64 {
        [Pruned::Visits, Pruned::Calls, Pruned::Forms]
            .into_iter()
            .map(|kind| self.cutoff(kind, now).timestamp().div_euclid(86_400))
            .max()
            .expect("three kinds")
    }
}

/// A recording past its time: deleted at the provider with its number's account, then
/// forgotten on the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredRecording {
    /// The call's row id.
    pub call_id: i64,
    /// The tracking number the call came in on (its account deletes the recording).
    pub number_id: NumberId,
    /// The recording's URL at the provider.
    pub url: String,
}

/// A form submission past its time, with the stored names of its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredForm {
    /// The submission's row id.
    pub submission_id: i64,
    /// Its files' names in the attachment storage.
    pub files: Vec<String>,
}

/// What the retention sweep reads and deletes. Every delete is bounded (`limit` rows, one
/// short transaction) and names the business, so a sweep never holds a long lock and never
/// reaches another business's records.
#[async_trait]
pub trait RetentionStore {
    /// The business's periods (the defaults until it sets its own).
    async fn retention(&self, business: BusinessId) -> StoreResult<Retention>;
    /// Sets the business's periods; `Invalid` below a floor.
    async fn set_retention(&self, business: BusinessId, retention: &Retention) -> StoreResult<()>;
    /// Freezes the business's reports before UTC day `utc_day` (a freeze never moves back).
    /// `false`, and nothing frozen, while a day before it still waits for its rollup: the
    /// sweep tries again after the rollup job has counted it.
    async fn freeze_reports(&self, business: BusinessId, utc_day: i64) -> StoreResult<bool>;
    /// Deletes up to `limit` visits, calls, finished events or audit entries of the business
    /// that happened before `before` (visits: last seen before it); answers how many. Recordings and forms
    /// go through [`RetentionStore::expired_recordings`] and [`RetentionStore::expired_forms`].
    async fn prune(&self, business: BusinessId, kind: Pruned, before: DateTime<Utc>, limit: u32) -> StoreResult<u64>;
    /// Deletes up to `limit` leads of the business created before `before` that have no call,
    /// form or sale left; answers how many.
    async fn prune_empty_leads(&self, business: BusinessId, before: DateTime<Utc>, limit: u32) -> StoreResult<u64>;
    /// Up to `limit` recordings of calls of the business that started before `before`.
    async fn expired_recordings(
        &self,
        business: BusinessId,
        before: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<ExpiredRecording>>;
    /// Forgets a call's recording (deleted at the provider, or gone there already).
    async fn forget_recording(&self, business: BusinessId, call_id: i64) -> StoreResult<()>;
    /// Up to `limit` form submissions of the business created before `before`.
    async fn expired_forms(
        &self,
        business: BusinessId,
        before: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<ExpiredForm>>;
    /// Deletes these submissions of the business (their files are deleted already); answers
    /// how many.
    async fn delete_forms(&self, business: BusinessId, submissions: &[i64]) -> StoreResult<u64>;
    /// Deletes up to `limit` sessions that expired before `now`; answers how many.
    async fn prune_sessions(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<u64>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    #[test]
    fn the_defaults_are_valid_and_each_kind_has_a_floor() {
        assert!(Retention::default().validate().is_ok());
        let short = Retention {
            recordings_days: 6,
            ..Retention::default()
        };
        let err = short.validate().unwrap_err();
        assert_eq!(err.what, "recordings");
        assert!(err.reason.contains("7 to 36500"), "{}", err.reason);
        let long = Retention {
            visits_days: 36_501,
            ..Retention::default()
        };
        assert_eq!(long.validate().unwrap_err().what, "visits");
    }

    #[test]
    fn reports_are_frozen_before_the_latest_cutoff_of_what_they_count_and_days_go_whole() {
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
        let retention = Retention {
            visits_days: 30,
            calls_days: 90,
            forms_days: 60,
            recordings_days: 7,
            events_days: 7,
            audit_days: 30,
        };
        let horizon = retention.report_horizon(now);
        assert_eq!(
            horizon,
            Utc.with_ymd_and_hms(2026, 11, 6, 0, 0, 0).unwrap().timestamp() / 86_400
        );
        assert_eq!(
            retention.cutoff(Pruned::Recordings, now),
            Utc.with_ymd_and_hms(2026, 11, 29, 0, 0, 0).unwrap()
        );
    }

    proptest! {
        #[test]
        fn nothing_is_pruned_that_is_younger_than_its_period_nor_on_or_after_the_report_horizon(
            days in prop::array::uniform6(1u32..5000),
            now in 1_600_000_000i64..2_000_000_000,
        ) {
            let retention = Retention {
                visits_days: days[0],
                calls_days: days[1],
                recordings_days: days[2],
                forms_days: days[3],
                events_days: days[4],
                audit_days: days[5],
            };
            let now = DateTime::from_timestamp(now, 0).unwrap();
            for kind in Pruned::ALL {
                let kept = now - retention.cutoff(kind, now);
                let period = Duration::days(i64::from(retention.days(kind)));
                prop_assert!(kept >= period && kept < period + Duration::days(1));
            }
            let horizon_start = DateTime::from_timestamp(retention.report_horizon(now) * 86_400, 0).unwrap();
            for kind in [Pruned::Visits, Pruned::Calls, Pruned::Forms] {
                prop_assert!(retention.cutoff(kind, now) <= horizon_start, "no counted record on or after the horizon is pruned");
            }
        }
    }
}
