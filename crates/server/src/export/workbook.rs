//! An export as a spreadsheet (.xlsx), laid out as Google Ads' template: the parameters line
//! in A1, the header in row 2, then one row per conversion. Every cell is text (click ids and
//! times stay exactly as in the CSV) except the value, a number shown with its currency's
//! digits. A text cell is stored as a string, which a spreadsheet never evaluates, so unlike
//! the CSV it needs no `'` in front of a leading `=`: it keeps the text exactly.

use super::{Cell, Sheet};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// The sheet as the bytes of an .xlsx file.
pub fn xlsx(sheet: &Sheet) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let worksheet = workbook.add_worksheet();
    worksheet.set_name("Conversions")?;
    worksheet.write_string(0, 0, &sheet.parameters)?;
    let bold = Format::new().set_bold();
    for (col, name) in (0u16..).zip(sheet.header) {
        worksheet.write_string_with_format(1, col, *name, &bold)?;
    }
    for (row, cells) in (2u32..).zip(&sheet.rows) {
        for (col, cell) in (0u16..).zip(cells) {
            match cell {
                Cell::Text(text) if text.is_empty() => {}
                Cell::Text(_) | Cell::Phone(_) => {
                    worksheet.write_string(row, col, cell.text())?;
                }
                Cell::Amount { text, digits } => {
                    // The decimal text read as the nearest double, as a person typing it gets.
                    let number: f64 = text
                        .parse()
                        .map_err(|_| XlsxError::ParameterError(format!("'{text}' is not an amount")))?;
                    let pattern = match digits {
                        0 => "0".to_owned(),
                        d => format!("0.{}", "0".repeat(usize::from(*d))),
                    };
                    worksheet.write_number_with_format(row, col, number, &Format::new().set_num_format(pattern))?;
                }
            }
        }
    }
    worksheet.autofit();
    workbook.save_to_buffer()
}
