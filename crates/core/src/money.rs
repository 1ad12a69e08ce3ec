//! Money on the wire: amounts as people write them ("1,200.50", "$1200", 1200.5) read into
//! integer minor units of a currency, and minor units written back as decimal text.

use crate::Invalid;
use crate::site::Currency;
use serde_json::Value;

/// Symbols accepted before or after an amount; which one does not matter, the currency is
/// given separately.
const SYMBOLS: &[char] = &['$', '€', '£', '¥', '₹', '₩', '₽', '₺', '₪', '₫', '฿', '₱', '₦', '¢'];

/// The minor digits of a stored currency code (2 when the code is unknown).
pub fn minor_digits(code: &str) -> u16 {
    Currency::parse(code).map_or(2, |c| c.minor_digits())
}

/// `minor` units as decimal text with the currency's digits: `120050` → `"1200.50"`.
pub fn format_minor(minor: i64, digits: u16) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    if digits == 0 {
        return format!("{sign}{abs}");
    }
    let scale = 10u64.pow(u32::from(digits));
    format!(
        "{sign}{}.{:0width$}",
        abs / scale,
        abs % scale,
        width = usize::from(digits)
    )
}

/// An amount from JSON, as text: a string as written, or a number (`1200.5`). `what` names
/// the field in errors.
pub fn json_amount(what: &'static str, value: &Value) -> Result<String, Invalid> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Number(number) => Ok(number.to_string()),
        other => Err(Invalid::new(
            what,
            format!("{other} is not an amount: give a number or text such as \"1,200.50\""),
        )),
    }
}

/// Reads an amount of `currency` as people write it ("1,200.50", "$1200", "1200.5 USD") into
/// minor units. `what` names the field in errors.
pub fn parse_amount(what: &'static str, input: &str, currency: Currency) -> Result<i64, Invalid> {
    let bad = || {
        Invalid::new(
            what,
            format!("'{input}' is not an amount such as 1200.50 or \"1,200.50\""),
        )
    };
    let mut text = input.trim();
    let mut negative = false;
    if let Some(rest) = text.strip_prefix('-') {
        negative = true;
        text = rest.trim_start();
    }
    text = strip_code(text, currency.code()).trim();
    text = text.trim_start_matches(SYMBOLS).trim_end_matches(SYMBOLS).trim();
    if !negative && let Some(rest) = text.strip_prefix('-') {
        negative = true;
        text = rest;
    }
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    if (whole.is_empty() && fraction.is_empty()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let whole_digits = grouped_digits(whole).ok_or_else(bad)?;
    let digits = usize::from(currency.minor_digits());
    let significant = fraction.trim_end_matches('0');
    if significant.len() > digits {
        return Err(Invalid::new(
            what,
            format!("'{input}' has more decimals than {} has ({digits})", currency.code()),
        ));
    }
    let mut minor_text = whole_digits;
    minor_text.push_str(significant);
    minor_text.extend(std::iter::repeat_n('0', digits - significant.len()));
    let too_large = || Invalid::new(what, format!("'{input}' is too large"));
    let trimmed = minor_text.trim_start_matches('0');
    let minor: i64 = if trimmed.is_empty() {
        0
    } else {
        trimmed.parse().map_err(|_| too_large())?
    };
    Ok(if negative { -minor } else { minor })
}

/// Strips the currency code written before or after the amount (`USD 12`, `12 usd`).
fn strip_code<'a>(text: &'a str, code: &str) -> &'a str {
    let len = code.len();
    if text.len() > len && text.is_char_boundary(len) && text[..len].eq_ignore_ascii_case(code) {
        return &text[len..];
    }
    let cut = text.len().wrapping_sub(len);
    if text.len() > len && text.is_char_boundary(cut) && text[cut..].eq_ignore_ascii_case(code) {
        return &text[..cut];
    }
    text
}

/// The digits of a whole part written plainly (`1200`) or grouped by thousands (`1,200`);
/// empty stays empty (".5").
fn grouped_digits(whole: &str) -> Option<String> {
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !whole.contains(',') {
        return all_digits(whole).then(|| whole.to_owned());
    }
    let mut groups = whole.split(',');
    let first = groups.next()?;
    if first.is_empty() || first.len() > 3 || !all_digits(first) {
        return None;
    }
    let mut digits = first.to_owned();
    for group in groups {
        if group.len() != 3 || !all_digits(group) {
            return None;
        }
        digits.push_str(group);
    }
    Some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    fn amount(value: Value) -> Result<i64, Invalid> {
        parse_amount("revenue", &json_amount("revenue", &value)?, usd())
    }

    #[test]
    fn amounts_are_read_as_people_write_them() {
        for (value, minor) in [
            (json!("1,200.50"), 120_050),
            (json!("$1200"), 120_000),
            (json!(1200.5), 120_050),
            (json!(1200), 120_000),
            (json!("1200 USD"), 120_000),
            (json!("usd 0.5"), 50),
            (json!(".25"), 25),
            (json!("-$3.10"), -310),
            (json!("1,000,000"), 100_000_000),
            (json!("1200.500"), 120_050),
        ] {
            assert_eq!(amount(value.clone()).unwrap(), minor, "{value}");
        }
    }

    #[test]
    fn too_many_decimals_are_refused_with_the_currency_named() {
        let err = amount(json!("1.005")).unwrap_err().to_string();
        assert!(err.contains("more decimals than USD has (2)"), "{err}");
        let yen = Currency::parse("JPY").unwrap();
        assert!(parse_amount("revenue", "1200.5", yen).is_err());
        assert_eq!(parse_amount("revenue", "1200.0", yen).unwrap(), 1200);
    }

    #[test]
    fn malformed_amounts_are_refused() {
        for bad in [
            json!("12,00"),
            json!("1,2000"),
            json!("abc"),
            json!(""),
            json!("1.2.3"),
            json!("1e5"),
            json!(true),
            json!(null),
            json!("99999999999999999999"),
            json!(1e300),
        ] {
            assert!(amount(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn minor_units_are_written_with_the_currency_digits() {
        assert_eq!(format_minor(120_050, 2), "1200.50");
        assert_eq!(format_minor(-5, 2), "-0.05");
        assert_eq!(format_minor(1200, 0), "1200");
        assert_eq!(format_minor(i64::MIN, 2), "-92233720368547758.08");
        assert_eq!(format_minor(5, 2), "0.05");
        assert_eq!(format_minor(-150, 2), "-1.50");
        assert_eq!(format_minor(1234, 3), "1.234");
        assert_eq!(minor_digits("JPY"), 0);
        assert_eq!(minor_digits("???"), 2);
    }
}
