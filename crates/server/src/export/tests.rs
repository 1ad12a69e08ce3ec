//! The exports against files written by hand from the import specifications
//! (tests/fixtures/*.csv, see PROTOCOLS.md "Google Ads offline conversion import"): one row
//! per conversion, exactly one Google click id (a row with a gclid and a gbraid gives the
//! gclid), values with the currency's decimals (USD 2, JPY 0), RFC 4180 quoting (a name with
//! a comma, a name with quotes), and times on both sides of America/New_York's clock changes
//! (2025-03-09 02:00 EST → 03:00 EDT; 2025-11-02 02:00 EDT → 01:00 EST, where 01:30 comes
//! twice).

use super::*;
use chrono::TimeZone;
use leadline_core::SiteId;
use leadline_core::channel::ClickIds;
use leadline_core::click_id::{ClickId, ClickKind};
use leadline_core::conversion::{ConversionName, ConversionValue};
use leadline_core::form::MessageId;
use leadline_core::site::Currency;

fn zone() -> Timezone {
    Timezone::parse("America/New_York").unwrap()
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

fn value(minor: i64, code: &str) -> Option<ConversionValue> {
    Some(ConversionValue::new(minor, Currency::parse(code).unwrap()).unwrap())
}

fn base(record: ConversionRecord, at: DateTime<Utc>, name: &str) -> ConversionRow {
    ConversionRow {
        record,
        site_id: SiteId(1),
        timezone: zone(),
        click_ids: ClickIds::default(),
        caller: None,
        call_started_at: None,
        conversion_time: at,
        name: ConversionName::parse(name).unwrap(),
        value: None,
        marked: true,
    }
}

fn call(record_ref: u64, caller: &str, started: DateTime<Utc>, ended: DateTime<Utc>, name: &str) -> ConversionRow {
    ConversionRow {
        caller: Some(caller.into()),
        call_started_at: Some(started),
        ..base(ConversionRecord::Call { record_ref }, ended, name)
    }
}

fn form(at: DateTime<Utc>, name: &str) -> ConversionRow {
    let record = ConversionRecord::Submission {
        message_id: MessageId::generate(),
    };
    base(record, at, name)
}

/// The rows behind every fixture, oldest conversion first.
fn rows() -> Vec<ConversionRow> {
    let id = |kind, text: Option<&str>| text.map(|t| ClickId::parse(kind, t).unwrap());
    let ids = |gclid, gbraid, wbraid, msclkid| ClickIds {
        gclid: id(ClickKind::Gclid, gclid),
        gbraid: id(ClickKind::Gbraid, gbraid),
        wbraid: id(ClickKind::Wbraid, wbraid),
        msclkid: id(ClickKind::Msclkid, msclkid),
        fbclid: None,
    };
    vec![
        // A call from an ad click carrying a gclid and a gbraid, ending a second before the
        // spring change; worth 1,200.50 USD.
        ConversionRow {
            click_ids: ids(Some("Cj0KCQiA-abc_123"), Some("0AAAAAoZ-both"), None, None),
            value: value(120_050, "USD"),
            ..call(
                1001,
                "+12025550169",
                utc(2025, 3, 9, 6, 50, 0),
                utc(2025, 3, 9, 6, 59, 59),
                "Phone Call",
            )
        },
        // A form with a gbraid, at the first instant of summer time; no value.
        ConversionRow {
            click_ids: ids(None, Some("0AAAAAoZ-gbraid"), None, None),
            ..form(utc(2025, 3, 9, 7, 0, 0), "Form")
        },
        // A call without a click id (call conversions only).
        call(
            1003,
            "+1 202-555-0123",
            utc(2025, 7, 4, 16, 0, 0),
            utc(2025, 7, 4, 16, 10, 30),
            "Phone Call",
        ),
        // A call at 01:30 EDT, the first of the autumn's two 01:30s; a name with a comma; yen.
        ConversionRow {
            click_ids: ids(Some("EAIaIQobChMI-def"), None, None, Some("5f2b8c1e0a7d4e9f")),
            value: value(15_000, "JPY"),
            ..call(
                1004,
                "+442071838750",
                utc(2025, 11, 2, 5, 20, 0),
                utc(2025, 11, 2, 5, 30, 0),
                "Quote, signed",
            )
        },
        // A form at 01:30 EST, the second 01:30; a name with quotes; five cents.
        ConversionRow {
            click_ids: ids(None, None, Some("wbraid-XYZ"), None),
            value: value(5, "USD"),
            ..form(utc(2025, 11, 2, 6, 30, 0), "Sofa \"deluxe\"")
        },
        // A call with a Microsoft click id from a hidden number.
        ConversionRow {
            click_ids: ids(None, None, None, Some("c1d2e3f4a5b6")),
            value: value(9_999, "USD"),
            ..call(
                1006,
                "anonymous",
                utc(2025, 12, 24, 15, 0, 0),
                utc(2025, 12, 24, 15, 4, 5),
                "Phone Call",
            )
        },
    ]
}

fn exported(export: Export) -> (String, usize) {
    let sheet = sheet(export, Columns::WithBraids, zone(), &rows());
    assert_eq!(sheet.braid_only, 0, "only the five-column template leaves braids out");
    (String::from_utf8(csv(&sheet)).unwrap(), sheet.skipped)
}

#[test]
fn the_google_ads_csv_is_the_hand_written_file_byte_for_byte() {
    let expected = include_str!("../../tests/fixtures/google-ads.csv");
    let (csv, skipped) = exported(Export::GoogleAds);
    assert_eq!(csv, expected);
    assert_eq!(skipped, 2, "the call without a click id and the Microsoft-only one");
}

#[test]
fn the_five_column_google_ads_csv_is_the_hand_written_file_byte_for_byte() {
    let expected = include_str!("../../tests/fixtures/google-ads-five-columns.csv");
    let sheet = sheet(Export::GoogleAds, Columns::Five, zone(), &rows());
    assert_eq!(String::from_utf8(csv(&sheet)).unwrap(), expected);
    assert_eq!(sheet.header, GOOGLE_FIVE_COLUMNS);
    assert_eq!(
        (sheet.skipped, sheet.braid_only),
        (4, 2),
        "the gbraid and wbraid forms, the call without a click id and the Microsoft-only one"
    );
}

#[test]
fn records_with_only_a_braid_are_counted_marked_or_not_and_other_exports_have_one_template() {
    let id = |kind, text| Some(ClickId::parse(kind, text).unwrap());
    let mut unmarked = form(utc(2025, 1, 1, 12, 0, 0), "Form");
    unmarked.marked = false;
    unmarked.click_ids.wbraid = id(ClickKind::Wbraid, "wbraid-1");
    let mut both = form(utc(2025, 1, 1, 13, 0, 0), "Form");
    both.click_ids.gbraid = id(ClickKind::Gbraid, "gbraid-1");
    both.click_ids.gclid = id(ClickKind::Gclid, "gclid-1");
    let five = sheet(
        Export::GoogleAds,
        Columns::Five,
        zone(),
        &[unmarked.clone(), both.clone()],
    );
    assert_eq!((five.rows.len(), five.skipped, five.braid_only), (1, 0, 1));
    assert_eq!(five.rows[0][0].text(), "gclid-1", "a gclid beside a gbraid is kept");
    let full = sheet(Export::GoogleAds, Columns::WithBraids, zone(), &[unmarked, both]);
    assert_eq!((full.rows.len(), full.braid_only), (2, 0));
    for export in [Export::MicrosoftAds, Export::GoogleAdsCalls] {
        assert_eq!(
            sheet(export, Columns::Five, zone(), &rows()),
            sheet(export, Columns::WithBraids, zone(), &rows()),
            "{}",
            export.name()
        );
    }
    assert!(Columns::Five.needs(Export::GoogleAds).contains("gclid"));
    assert_eq!(Columns::Five.needs(Export::MicrosoftAds), Export::MicrosoftAds.needs());
}

#[test]
fn the_microsoft_ads_csv_is_the_hand_written_file_byte_for_byte() {
    let expected = include_str!("../../tests/fixtures/microsoft-ads.csv");
    let (csv, skipped) = exported(Export::MicrosoftAds);
    assert_eq!(csv, expected);
    assert_eq!(skipped, 4);
}

#[test]
fn the_call_conversions_csv_is_the_hand_written_file_byte_for_byte() {
    let expected = include_str!("../../tests/fixtures/google-ads-calls.csv");
    let (csv, skipped) = exported(Export::GoogleAdsCalls);
    assert_eq!(csv, expected);
    assert_eq!(skipped, 3, "two forms and the hidden caller");
}

#[test]
fn unmarked_rows_that_cannot_be_listed_are_not_counted_as_skipped() {
    let mut row = form(utc(2025, 1, 1, 12, 0, 0), "Form");
    row.marked = false;
    let sheet = sheet(Export::GoogleAds, Columns::WithBraids, zone(), &[row]);
    assert_eq!((sheet.rows.len(), sheet.skipped), (0, 0));
}

#[test]
fn the_spreadsheet_has_the_csv_cells_under_the_parameters_line() {
    use calamine::{Data, Reader, Xlsx};
    let layouts = Export::ALL.map(|e| (e, Columns::WithBraids));
    for (export, columns) in layouts.into_iter().chain([(Export::GoogleAds, Columns::Five)]) {
        let sheet = sheet(export, columns, zone(), &rows());
        let bytes = xlsx(&sheet).unwrap();
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("Conversions").unwrap();
        let cells: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
        assert_eq!(range.start(), Some((0, 0)));
        assert_eq!(cells[0][0], Data::String("Parameters:TimeZone=America/New_York".into()));
        assert!(cells[0][1..].iter().all(|c| *c == Data::Empty));
        let header: Vec<Data> = sheet.header.iter().map(|h| Data::String((*h).into())).collect();
        assert_eq!(cells[1], header);
        assert_eq!(cells.len(), 2 + sheet.rows.len(), "{}", export.name());
        for (read, written) in cells[2..].iter().zip(&sheet.rows) {
            let expected: Vec<Data> = written
                .iter()
                .map(|cell| match cell {
                    Cell::Text(text) if text.is_empty() => Data::Empty,
                    Cell::Text(_) | Cell::Phone(_) => Data::String(cell.text().to_owned()),
                    Cell::Amount { text, .. } => Data::Float(text.parse().unwrap()),
                })
                .collect();
            assert_eq!(read, &expected, "{}", export.name());
        }
    }
}

#[test]
fn times_are_written_in_the_zone_without_offset() {
    let berlin = Timezone::parse("Europe/Berlin").unwrap();
    assert_eq!(local_time(utc(2025, 6, 1, 10, 0, 0), berlin), "2025-06-01 12:00:00");
    assert_eq!(local_time(utc(2025, 3, 9, 6, 59, 59), zone()), "2025-03-09 01:59:59");
    assert_eq!(local_time(utc(2025, 3, 9, 7, 0, 0), zone()), "2025-03-09 03:00:00");
}

#[test]
fn dates_bound_whole_days_in_the_site_zone() {
    let from = parse_bound("2025-03-09", zone(), Bound::From).unwrap();
    let to = parse_bound("2025-03-09", zone(), Bound::To).unwrap();
    assert_eq!(from, utc(2025, 3, 9, 5, 0, 0), "midnight EST");
    assert_eq!(to, utc(2025, 3, 10, 4, 0, 0), "the next midnight, EDT");
    assert_eq!(
        parse_bound("2025-03-09T09:00:00-05:00", zone(), Bound::To).unwrap(),
        utc(2025, 3, 9, 14, 0, 0)
    );
    // Santiago's clocks once skipped midnight: the day starts at 01:00.
    let santiago = Timezone::parse("America/Santiago").unwrap();
    assert_eq!(
        parse_bound("2022-09-11", santiago, Bound::From).unwrap(),
        utc(2022, 9, 11, 4, 0, 0)
    );
    for bad in ["09/03/2025", "2025-02-30", "yesterday", ""] {
        let err = parse_bound(bad, zone(), Bound::From).unwrap_err().to_string();
        assert!(err.contains("2025-03-01"), "{bad}: {err}");
    }
}

#[test]
fn each_export_has_its_name_kind_and_formats() {
    assert_eq!(
        Export::ALL.map(|e| e.name()),
        ["google-ads", "microsoft-ads", "google-ads-calls"]
    );
    assert_eq!(Export::GoogleAdsCalls.kind(), ConversionKind::Call);
    assert_eq!(Format::Csv.content_type(), "text/csv; charset=utf-8");
    assert!(Format::Xlsx.content_type().contains("spreadsheetml"));
}
