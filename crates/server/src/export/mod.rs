//! Ad platform exports: the conversions an operator marked, as the files Google Ads and
//! Microsoft Advertising import (docs/ads-exports.md). One export is for one site, so that
//! every time in it is in one zone, the one its `Parameters:TimeZone=` line names.
//!
//! Building the table is pure ([`sheet`]); [`csv`] and [`xlsx`] write the same table. The
//! Google Ads click export has two templates ([`Columns`]): with GBRAID and WBRAID columns, or
//! Google's plain five columns for accounts whose import refuses any other.

mod delimited;
mod workbook;

pub use delimited::{csv, table as csv_table};
pub use workbook::xlsx;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use leadline_core::conversion::{ConversionKind, ConversionQuery, ConversionRecord, ConversionRow};
use leadline_core::money::format_minor;
use leadline_core::site::{SiteKey, Timezone};
use leadline_core::store::{Store, StoreError, StoreResult};
use leadline_core::tenant::Site;
use leadline_core::{BusinessId, E164, Invalid};

/// Which import file an export is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    /// Google Ads click conversions: gclid, gbraid or wbraid.
    GoogleAds,
    /// Microsoft Advertising click conversions: msclkid.
    MicrosoftAds,
    /// Google Ads call conversions: caller's number and call start.
    GoogleAdsCalls,
}

impl Export {
    /// Every export.
    pub const ALL: [Export; 3] = [Self::GoogleAds, Self::MicrosoftAds, Self::GoogleAdsCalls];

    /// The name on the command line and in file names (`google-ads`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::GoogleAds => "google-ads",
            Self::MicrosoftAds => "microsoft-ads",
            Self::GoogleAdsCalls => "google-ads-calls",
        }
    }

    /// Which records the export lists.
    pub fn kind(&self) -> ConversionKind {
        match self {
            Self::GoogleAds | Self::MicrosoftAds => ConversionKind::Click,
            Self::GoogleAdsCalls => ConversionKind::Call,
        }
    }

    /// The column names, as the platform's template spells them.
    pub fn header(&self) -> &'static [&'static str] {
        match self {
            Self::GoogleAds => &[
                "Google Click ID",
                "GBRAID",
                "WBRAID",
                "Conversion Name",
                "Conversion Time",
                "Conversion Value",
                "Conversion Currency",
            ],
            Self::MicrosoftAds => &[
                "Microsoft Click ID",
                "Conversion Name",
                "Conversion Time",
                "Conversion Value",
                "Conversion Currency",
            ],
            Self::GoogleAdsCalls => &[
                "Caller's Phone Number",
                "Call Start Time",
                "Conversion Name",
                "Conversion Time",
                "Conversion Value",
                "Conversion Currency",
            ],
        }
    }

    /// What a row needs to be listed, for messages ("a Google click id").
    pub fn needs(&self) -> &'static str {
        match self {
            Self::GoogleAds => "a Google click id (gclid, gbraid or wbraid)",
            Self::MicrosoftAds => "a Microsoft click id (msclkid)",
            Self::GoogleAdsCalls => "a caller's number in E.164",
        }
    }
}

/// Which of Google's click templates the `google-ads` export fills (the other exports have
/// one template each and ignore it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Columns {
    /// The template with GBRAID and WBRAID columns (the default): every Google click id fits.
    #[default]
    WithBraids,
    /// Google's plain five-column template (Google Click ID, Conversion Name, Conversion Time,
    /// Conversion Value, Conversion Currency), for accounts whose import refuses any other
    /// column. A record whose only Google click id is a gbraid or a wbraid cannot be written
    /// there: it is left out, and counted in [`Sheet::braid_only`].
    Five,
}

/// The header of Google's five-column click template.
pub const GOOGLE_FIVE_COLUMNS: [&str; 5] = [
    "Google Click ID",
    "Conversion Name",
    "Conversion Time",
    "Conversion Value",
    "Conversion Currency",
];

impl Columns {
    /// Whether `export` is written in the five-column template.
    fn five(self, export: Export) -> bool {
        self == Self::Five && export == Export::GoogleAds
    }

    /// What a row of `export` needs to be listed, for messages.
    pub fn needs(self, export: Export) -> &'static str {
        if self.five(export) {
            "a gclid (the five-column template has no GBRAID or WBRAID column)"
        } else {
            export.needs()
        }
    }
}

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// The file name extension.
    pub fn extension(&self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }

    /// The media type served.
    pub fn content_type(&self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// One cell of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Text (empty: a blank cell). It may come from a visitor or an operator, so the CSV
    /// writer keeps a spreadsheet from reading it as a formula.
    Text(String),
    /// A phone number in E.164 (`+12025550169`): `+` and digits only, written as it is
    /// because the call import wants the `+`.
    Phone(E164),
    /// An amount as decimal text with its currency's digits ("1200.50"), made by Leadline
    /// from an integer; a spreadsheet gets it as a number shown with those digits.
    Amount { text: String, digits: u16 },
}

impl Cell {
    /// The cell's text as the product made it (before any CSV escaping).
    pub fn text(&self) -> &str {
        match self {
            Self::Text(text) | Self::Amount { text, .. } => text,
            Self::Phone(number) => number.as_str(),
        }
    }
}

/// An export as a table: the parameters line, the header and the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    /// `Parameters:TimeZone=<IANA id>`.
    pub parameters: String,
    pub header: &'static [&'static str],
    pub rows: Vec<Vec<Cell>>,
    /// Marked records left out for want of what the export needs (a click id, a caller's
    /// number).
    pub skipped: usize,
    /// Records (marked or not) left out of the five-column template because their only
    /// Google click id is a gbraid or a wbraid, which the default template would list.
    pub braid_only: usize,
}

/// The export's table of `rows` (oldest first, as the store answers them) in `columns`, with
/// times in `zone`. Each Google row carries exactly one click id: the gclid, else the gbraid,
/// else the wbraid (in the five-column template, the gclid only).
pub fn sheet(export: Export, columns: Columns, zone: Timezone, rows: &[ConversionRow]) -> Sheet {
    let five = columns.five(export);
    let mut table = Vec::with_capacity(rows.len());
    let (mut skipped, mut braid_only) = (0, 0);
    for row in rows {
        match export_row(export, five, zone, row) {
            Some(cells) => table.push(cells),
            None => {
                let ids = &row.click_ids;
                skipped += usize::from(row.marked);
                braid_only +=
                    usize::from(five && ids.gclid.is_none() && (ids.gbraid.is_some() || ids.wbraid.is_some()));
            }
        }
    }
    Sheet {
        parameters: format!("Parameters:TimeZone={}", zone.name()),
        header: if five { &GOOGLE_FIVE_COLUMNS } else { export.header() },
        rows: table,
        skipped,
        braid_only,
    }
}

/// The cells of one row (in the `five`-column template), or `None` when the row lacks what
/// the export needs.
fn export_row(export: Export, five: bool, zone: Timezone, row: &ConversionRow) -> Option<Vec<Cell>> {
    let text = |s: &str| Cell::Text(s.to_owned());
    let empty = || Cell::Text(String::new());
    let mut cells = match export {
        Export::GoogleAds if five => vec![text(row.click_ids.gclid.as_ref()?.as_str())],
        Export::GoogleAds => {
            let ids = &row.click_ids;
            if let Some(gclid) = &ids.gclid {
                vec![text(gclid.as_str()), empty(), empty()]
            } else if let Some(gbraid) = &ids.gbraid {
                vec![empty(), text(gbraid.as_str()), empty()]
            } else if let Some(wbraid) = &ids.wbraid {
                vec![empty(), empty(), text(wbraid.as_str())]
            } else {
                return None;
            }
        }
        Export::MicrosoftAds => vec![text(row.click_ids.msclkid.as_ref()?.as_str())],
        Export::GoogleAdsCalls => {
            if !matches!(row.record, ConversionRecord::Call { .. }) {
                return None;
            }
            let caller = E164::parse(row.caller.as_deref()?).ok()?;
            vec![Cell::Phone(caller), Cell::Text(local_time(row.call_started_at?, zone))]
        }
    };
    cells.push(text(row.name.as_str()));
    cells.push(Cell::Text(local_time(row.conversion_time, zone)));
    match row.value {
        Some(value) => {
            let digits = value.currency.minor_digits();
            cells.push(Cell::Amount {
                text: format_minor(value.minor, digits),
                digits,
            });
            cells.push(text(value.currency.code()));
        }
        None => {
            cells.push(empty());
            cells.push(empty());
        }
    }
    Some(cells)
}

/// `yyyy-MM-dd HH:mm:ss` in `zone`, as the imports want it (no `T`, no offset).
pub fn local_time(at: DateTime<Utc>, zone: Timezone) -> String {
    at.with_timezone(&zone.tz()).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Which end of a window a date bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// From the start of the day (included).
    From,
    /// Through the end of the day (the next day's start, excluded).
    To,
}

/// A window bound as a person gives it: a date (`2025-03-01`, a whole day in the site's
/// zone) or an RFC 3339 time (`2025-03-01T09:00:00-05:00`, exact).
pub fn parse_bound(input: &str, zone: Timezone, bound: Bound) -> Result<DateTime<Utc>, Invalid> {
    let input = input.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(input) {
        return Ok(at.with_timezone(&Utc));
    }
    let bad = || {
        Invalid::new(
            "date",
            format!("'{input}' is not a date such as 2025-03-01 or a time such as 2025-03-01T09:00:00-05:00"),
        )
    };
    let date = NaiveDate::parse_from_str(input, "%Y-%m-%d").map_err(|_| bad())?;
    let day = match bound {
        Bound::From => date,
        Bound::To => date.checked_add_days(Days::new(1)).ok_or_else(bad)?,
    };
    start_of_day(day, zone).ok_or_else(bad)
}

/// The first instant of `day` in `zone` (midnight, or the first time after a gap at
/// midnight).
fn start_of_day(day: NaiveDate, zone: Timezone) -> Option<DateTime<Utc>> {
    (0..=2).find_map(|hour| {
        let local = day.and_time(NaiveTime::from_hms_opt(hour, 0, 0)?);
        zone.tz()
            .from_local_datetime(&local)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    })
}

/// Why an export's site could not be chosen.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// No such site of this business (another business's is the same).
    #[error("the business has no site {0}")]
    Unknown(String),
    /// No site was named and the business has several.
    #[error("the business has several sites ({0}): name one, since an export is in one site's time zone")]
    Several(String),
    /// The business has no site at all.
    #[error("the business has no site yet")]
    None,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The site an export is for: the one named, or the business's only site.
pub async fn choose_site(store: &dyn Store, business: BusinessId, key: Option<&str>) -> Result<Site, SiteError> {
    match key.map(str::trim).filter(|k| !k.is_empty()) {
        Some(text) => {
            let unknown = || SiteError::Unknown(text.to_owned());
            let key = SiteKey::parse(text).map_err(|_| unknown())?;
            match store.site_by_key(&key).await {
                Ok(site) if site.business_id == business => Ok(site),
                Ok(_) | Err(StoreError::NotFound) => Err(unknown()),
                Err(other) => Err(other.into()),
            }
        }
        None => {
            let mut sites = store.list_sites(business).await?;
            match sites.len() {
                0 => Err(SiteError::None),
                1 => Ok(sites.remove(0)),
                _ => {
                    let keys: Vec<String> = sites.iter().map(|s| s.key.to_string()).collect();
                    Err(SiteError::Several(keys.join(", ")))
                }
            }
        }
    }
}

/// What an export asks for besides its site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    pub export: Export,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub include_unmarked: bool,
    /// Google's five-column click template rather than the one with GBRAID and WBRAID.
    pub columns: Columns,
}

/// The export's table for one site of the business.
pub async fn build(store: &dyn Store, business: BusinessId, site: &Site, request: &Request) -> StoreResult<Sheet> {
    let query = ConversionQuery {
        business,
        site: Some(site.id),
        kind: request.export.kind(),
        from: request.from,
        to: request.to,
        include_unmarked: request.include_unmarked,
    };
    let rows = store.conversion_rows(&query).await?;
    Ok(sheet(request.export, request.columns, site.timezone, &rows))
}

/// The file name an export is offered under: `google-ads-<site key>.csv`.
pub fn file_name(export: Export, site: &Site, format: Format) -> String {
    format!("{}-{}.{}", export.name(), site.key, format.extension())
}

#[cfg(test)]
mod tests;
