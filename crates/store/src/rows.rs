//! Reading typed values out of rows, and the time representation (UTC milliseconds).

use crate::errors::{backend, corrupt};
use chrono::{DateTime, TimeZone, Utc};
use leadline_core::Invalid;
use leadline_core::store::StoreResult;
use sqlx::any::AnyRow;
use sqlx::{Decode, Row, Type};

/// The current time as stored: milliseconds since the epoch, UTC.
pub(crate) fn now_millis() -> i64 {
    leadline_core::clock::now_millis()
}

/// A column's raw value.
pub(crate) fn col<'r, T>(row: &'r AnyRow, name: &str) -> StoreResult<T>
where
    T: Decode<'r, sqlx::Any> + Type<sqlx::Any>,
{
    row.try_get(name).map_err(backend)
}

/// A text column parsed into a domain type.
pub(crate) fn parsed<T>(row: &AnyRow, name: &str, parse: impl FnOnce(&str) -> Result<T, Invalid>) -> StoreResult<T> {
    let text: String = col(row, name)?;
    parse(&text).map_err(corrupt)
}

/// A nullable text column parsed into a domain type.
pub(crate) fn parsed_opt<T>(
    row: &AnyRow,
    name: &str,
    parse: impl FnOnce(&str) -> Result<T, Invalid>,
) -> StoreResult<Option<T>> {
    let text: Option<String> = col(row, name)?;
    text.as_deref().map(parse).transpose().map_err(corrupt)
}

/// A millisecond column as a UTC time.
pub(crate) fn time(row: &AnyRow, name: &str) -> StoreResult<DateTime<Utc>> {
    millis_to_time(col(row, name)?)
}

/// A nullable millisecond column as a UTC time.
pub(crate) fn time_opt(row: &AnyRow, name: &str) -> StoreResult<Option<DateTime<Utc>>> {
    let millis: Option<i64> = col(row, name)?;
    millis.map(millis_to_time).transpose()
}

fn millis_to_time(millis: i64) -> StoreResult<DateTime<Utc>> {
    Utc.timestamp_millis_opt(millis)
        .single()
        .ok_or_else(|| corrupt(Invalid::new("stored time", format!("{millis} ms is out of range"))))
}
