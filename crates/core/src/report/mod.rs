//! Reports: what a business's visits, calls, forms and leads add up to, grouped by one
//! dimension over a range of days in the site's time zone.
//!
//! Reports never scan raw records per page view: a site's records are rolled up per local day
//! ([`rollup`]) into rows keyed by dimension and value, kept up to date by the store as records
//! change. Reading a report sums a range of those rows ([`Tally`]) and derives the rates.

pub mod days;
pub mod dimension;
pub mod pace;
pub mod rollup;
pub mod store;
pub mod tally;

pub use days::{DayRange, local_day, window};
pub use dimension::{Dimension, Model, VariableName};
pub use rollup::{CallFact, DayFacts, FormFact, LeadFact, RollupRow, Touch, VisitFact, rollup};
pub use store::{ReportStore, StaleDay};
pub use tally::{Counts, Metrics, Outcomes, Tally};

/// The value shown for a record a dimension says nothing about (a visit's operator, a call
/// without a campaign).
pub const NONE: &str = "(none)";

/// The longest value kept for a dimension; longer ones are cut (a landing page with a long path).
pub const MAX_VALUE: usize = 200;
