//! An export as CSV: the parameters line, the header, the rows. Quoting is RFC 4180's (a
//! field with a comma, a quote or a line break is quoted, quotes doubled), done by the `csv`
//! crate; records end in `\n`; UTF-8 without a byte order mark.
//!
//! A spreadsheet reads a cell that starts with `=`, `+`, `-` or `@` as a formula (and drops a
//! leading tab or carriage return before looking), so a text cell that starts with one of
//! those gets a `'` in front, as OWASP's CSV injection guidance says: the cell shows as
//! text, and a formula typed into a conversion name or smuggled into an id never runs on the
//! operator's machine. Cells Leadline types itself are written as they are: an amount
//! (`-?digits.digits`, made from an integer) and an E.164 number (`+digits`) cannot hold
//! a formula, and the imports need them unchanged.

use super::{Cell, Sheet};
use std::borrow::Cow;

/// The first characters that make a spreadsheet evaluate a cell.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The sheet as CSV bytes.
pub fn csv(sheet: &Sheet) -> Vec<u8> {
    // The parameters line is one field that never needs quoting (an IANA zone name).
    let mut out = format!("{}\n", sheet.parameters).into_bytes();
    out.extend(table(sheet.header, &sheet.rows));
    out
}

/// A header and its rows as CSV bytes (a list downloaded from the application).
pub fn table(header: &[&str], rows: &[Vec<Cell>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut writer = ::csv::WriterBuilder::new().from_writer(&mut out);
    let written = writer.write_record(header).and_then(|()| {
        rows.iter()
            .try_for_each(|row| writer.write_record(row.iter().map(|cell| field(cell).into_owned())))
    });
    // Writing to memory fails only when records differ in length, which a caller never makes.
    written.expect("every row is as long as the header");
    writer.flush().expect("writing CSV to memory");
    drop(writer);
    out
}

/// A cell's CSV field: text that a spreadsheet would take for a formula gets a leading `'`.
fn field(cell: &Cell) -> Cow<'_, str> {
    match cell {
        Cell::Text(text) if text.starts_with(FORMULA_STARTS) => Cow::Owned(format!("'{text}")),
        other => Cow::Borrowed(other.text()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadline_core::E164;

    fn text(value: &str) -> Cell {
        Cell::Text(value.to_owned())
    }

    #[test]
    fn text_that_a_spreadsheet_would_evaluate_is_prefixed_with_a_quote() {
        for (cell, written) in [
            ("=cmd|'/C calc'!A0", "'=cmd|'/C calc'!A0"),
            ("+cmd|'/Ccalc'!A0", "'+cmd|'/Ccalc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("Phone Call", "Phone Call"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(field(&text(cell)), written, "{cell:?}");
        }
    }

    #[test]
    fn cells_leadline_types_itself_are_written_as_they_are() {
        let phone = Cell::Phone(E164::parse("+12025550169").unwrap());
        assert_eq!(field(&phone), "+12025550169");
        let amount = Cell::Amount {
            text: "-12.50".into(),
            digits: 2,
        };
        assert_eq!(field(&amount), "-12.50");
    }

    #[test]
    fn a_neutralised_cell_is_still_quoted_where_rfc_4180_wants() {
        let sheet = Sheet {
            parameters: "Parameters:TimeZone=UTC".into(),
            header: &["Name"],
            rows: vec![vec![text("=HYPERLINK(\"https://evil.example\",\"Update\")")]],
            skipped: 0,
            braid_only: 0,
        };
        let written = String::from_utf8(csv(&sheet)).unwrap();
        assert_eq!(
            written,
            "Parameters:TimeZone=UTC\nName\n\"'=HYPERLINK(\"\"https://evil.example\"\",\"\"Update\"\")\"\n"
        );
    }
}
