//! What a row of a report counts, and the rates derived from it.

use super::Model;
use std::ops::AddAssign;

/// What visits, calls and forms add up to. Each record counts under its own visit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub visits: i64,
    pub calls: i64,
    pub answered: i64,
    /// Unanswered calls where the caller waited, voicemails included.
    pub missed: i64,
    /// Unanswered calls the caller hung up on within seconds.
    pub abandoned: i64,
    pub first_time_callers: i64,
    pub forms: i64,
}

/// What leads add up to under one attribution model, on the day each lead arrived.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcomes {
    pub leads: i64,
    /// Leads whose status is qualified or converted (a converted lead was qualified first).
    pub qualified: i64,
    pub converted: i64,
    /// Sales in the site's currency, in minor units.
    pub revenue: i64,
    pub cost: i64,
    pub profit: i64,
}

/// A rolled-up row: counts, and lead outcomes under both attribution models.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub counts: Counts,
    pub last: Outcomes,
    pub first: Outcomes,
}

impl Tally {
    /// The row as a report under `model` shows it.
    pub fn metrics(&self, model: Model) -> Metrics {
        Metrics {
            counts: self.counts,
            outcomes: match model {
                Model::LastTouch => self.last,
                Model::FirstTouch => self.first,
            },
        }
    }

    /// Whether the row counts nothing at all.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The row's numbers in the order the store keeps its columns.
    pub fn columns(&self) -> [i64; 19] {
        let (c, l, f) = (self.counts, self.last, self.first);
        [
            c.visits,
            c.calls,
            c.answered,
            c.missed,
            c.abandoned,
            c.first_time_callers,
            c.forms,
            l.leads,
            l.qualified,
            l.converted,
            l.revenue,
            l.cost,
            l.profit,
            f.leads,
            f.qualified,
            f.converted,
            f.revenue,
            f.cost,
            f.profit,
        ]
    }

    /// The row from the store's columns (see [`Tally::columns`]).
    pub fn from_columns(v: [i64; 19]) -> Self {
        let outcomes = |o: &[i64]| Outcomes {
            leads: o[0],
            qualified: o[1],
            converted: o[2],
            revenue: o[3],
            cost: o[4],
            profit: o[5],
        };
        Self {
            counts: Counts {
                visits: v[0],
                calls: v[1],
                answered: v[2],
                missed: v[3],
                abandoned: v[4],
                first_time_callers: v[5],
                forms: v[6],
            },
            last: outcomes(&v[7..13]),
            first: outcomes(&v[13..19]),
        }
    }

    /// The store's column names, in the order of [`Tally::columns`].
    pub const COLUMNS: [&'static str; 19] = [
        "visits",
        "calls",
        "answered",
        "missed",
        "abandoned",
        "first_time_callers",
        "forms",
        "leads_last",
        "qualified_last",
        "converted_last",
        "revenue_last",
        "cost_last",
        "profit_last",
        "leads_first",
        "qualified_first",
        "converted_first",
        "revenue_first",
        "cost_first",
        "profit_first",
    ];
}

impl AddAssign for Tally {
    fn add_assign(&mut self, other: Self) {
        let sum: Vec<i64> = self.columns().iter().zip(other.columns()).map(|(a, b)| a + b).collect();
        *self = Self::from_columns(sum.try_into().expect("19 columns"));
    }
}

impl AddAssign for Metrics {
    fn add_assign(&mut self, other: Self) {
        let mut a = Tally {
            counts: self.counts,
            last: self.outcomes,
            first: Outcomes::default(),
        };
        a += Tally {
            counts: other.counts,
            last: other.outcomes,
            first: Outcomes::default(),
        };
        *self = Self {
            counts: a.counts,
            outcomes: a.last,
        };
    }
}

/// A report's row under one attribution model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Metrics {
    pub counts: Counts,
    pub outcomes: Outcomes,
}

impl Metrics {
    /// Leads per visit, when there were visits.
    pub fn visit_to_lead(&self) -> Option<f64> {
        (self.counts.visits > 0).then(|| self.outcomes.leads as f64 / self.counts.visits as f64)
    }

    /// Revenue (minor units) per visit, when there were visits.
    pub fn revenue_per_visit(&self) -> Option<f64> {
        (self.counts.visits > 0).then(|| self.outcomes.revenue as f64 / self.counts.visits as f64)
    }

    /// The value of `column` (see [`Metrics::COLUMNS`]) for sorting; rates as parts per million.
    pub fn sort_key(&self, column: &str) -> i64 {
        let (c, o) = (self.counts, self.outcomes);
        match column {
            "visits" => c.visits,
            "calls" => c.calls,
            "answered" => c.answered,
            "missed" => c.missed,
            "abandoned" => c.abandoned,
            "first_time_callers" => c.first_time_callers,
            "forms" => c.forms,
            "leads" => o.leads,
            "qualified" => o.qualified,
            "converted" => o.converted,
            "revenue" => o.revenue,
            "cost" => o.cost,
            "profit" => o.profit,
            "visit_to_lead" => self.visit_to_lead().map_or(-1, |r| (r * 1e6) as i64),
            "revenue_per_visit" => self.revenue_per_visit().map_or(-1, |r| (r * 1e6) as i64),
            _ => 0,
        }
    }

    /// Every column a report shows and sorts by, in order.
    pub const COLUMNS: [&'static str; 15] = [
        "visits",
        "calls",
        "answered",
        "missed",
        "abandoned",
        "first_time_callers",
        "forms",
        "leads",
        "qualified",
        "converted",
        "revenue",
        "cost",
        "profit",
        "visit_to_lead",
        "revenue_per_visit",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_tally_reads_back_from_its_columns_and_adds_column_by_column(
            a in proptest::array::uniform19(-1_000i64..1_000),
            b in proptest::array::uniform19(-1_000i64..1_000),
        ) {
            let (ta, tb) = (Tally::from_columns(a), Tally::from_columns(b));
            prop_assert_eq!(ta.columns(), a);
            let mut sum = ta;
            sum += tb;
            for i in 0..19 {
                prop_assert_eq!(sum.columns()[i], a[i] + b[i]);
            }
        }
    }

    #[test]
    fn rates_need_visits() {
        let mut m = Metrics::default();
        assert_eq!(m.visit_to_lead(), None);
        m.counts.visits = 4;
        m.outcomes.leads = 1;
        m.outcomes.revenue = 10_000;
        assert_eq!(m.visit_to_lead(), Some(0.25));
        assert_eq!(m.revenue_per_visit(), Some(2_500.0));
        assert_eq!(m.sort_key("visit_to_lead"), 250_000);
    }
}
