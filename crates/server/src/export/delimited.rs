//! An export as CSV: the parameters line, the header, the rows. Quoting is RFC 4180's (a
//! field with a comma, a quote or a line break is quoted, quotes doubled), done by the `csv`
//! crate; records end in `\n`; UTF-8 without a byte order mark.

use super::Sheet;

/// The sheet as CSV bytes.
pub fn csv(sheet: &Sheet) -> Vec<u8> {
    // The parameters line is one field that never needs quoting (an IANA zone name).
    let mut out = format!("{}\n", sheet.parameters).into_bytes();
    let mut writer = ::csv::WriterBuilder::new().from_writer(&mut out);
    let written = writer.write_record(sheet.header).and_then(|()| {
        sheet
            .rows
            .iter()
            .try_for_each(|row| writer.write_record(row.iter().map(|cell| cell.text())))
    });
    // Writing to memory fails only when records differ in length, which a sheet never does.
    written.expect("a sheet's rows are as long as its header");
    writer.flush().expect("writing CSV to memory");
    drop(writer);
    out
}
