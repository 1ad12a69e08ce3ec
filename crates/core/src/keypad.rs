//! What a caller keys: `CODE[*EXTENSION]`, optionally `*CODE…` for the star pool, as the
//! patent describes. The code names a visit, click or reserved source; the part after the
//! special symbol is the business's own extension or department.

use crate::damm;
use crate::visit::Selector;

/// Keyed digits, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyed {
    /// The pool the code belongs to.
    pub selector: Selector,
    /// The code, as a number (check digit removed and verified when the site uses one);
    /// `None` for no digits, a check-digit failure or something unparsable.
    pub code: Option<u64>,
    /// What came after the special symbol (digits only), if anything.
    pub extension: Option<String>,
    /// The check digit was wrong: the code is unknown, never matched to a neighbour.
    pub check_failed: bool,
}

/// Reads keyed digits. `check_digit` says whether the site's codes end in a Damm digit;
/// `star_pool` whether a leading `*` selects the star pool (else `*2` is no code and
/// extension 2).
pub fn read(digits: &str, check_digit: bool, star_pool: bool) -> Keyed {
    let cleaned: String = digits
        .trim()
        .trim_end_matches('#')
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '*')
        .collect();
    let (selector, rest) = match cleaned.strip_prefix('*') {
        Some(rest) if star_pool => (Selector::Star, rest),
        _ => (Selector::Plain, cleaned.as_str()),
    };
    let (code_part, extension) = match rest.split_once('*') {
        Some((code, ext)) => (code, Some(ext.replace('*', "")).filter(|e| !e.is_empty())),
        None => (rest, None),
    };
    let mut keyed = Keyed {
        selector,
        code: None,
        extension,
        check_failed: false,
    };
    if code_part.is_empty() || code_part.len() > 12 {
        return keyed;
    }
    if check_digit {
        keyed.code = damm::strip(code_part);
        keyed.check_failed = keyed.code.is_none();
    } else {
        keyed.code = code_part.parse().ok().filter(|c| *c > 0);
    }
    keyed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_and_a_business_extension_are_split_at_the_star() {
        let keyed = read("12*305", false, false);
        assert_eq!(
            (keyed.code, keyed.extension.as_deref(), keyed.selector),
            (Some(12), Some("305"), Selector::Plain)
        );
        assert_eq!(read("12#", false, false).code, Some(12));
        assert_eq!(read("12*", false, false).extension, None);
    }

    #[test]
    fn a_leading_star_selects_the_star_pool() {
        let keyed = read("*7", false, true);
        assert_eq!((keyed.selector, keyed.code), (Selector::Star, Some(7)));
        let with_ext = read("*7*2", false, true);
        assert_eq!((with_ext.code, with_ext.extension.as_deref()), (Some(7), Some("2")));
    }

    #[test]
    fn without_a_star_pool_a_leading_star_is_only_an_extension() {
        let keyed = read("*2", false, false);
        assert_eq!(
            (keyed.selector, keyed.code, keyed.extension.as_deref()),
            (Selector::Plain, None, Some("2"))
        );
    }

    #[test]
    fn nothing_keyed_is_no_code() {
        assert_eq!(read("", false, false).code, None);
        assert_eq!(read("0", false, false).code, None);
        assert_eq!(read("*", false, false).code, None);
        assert_eq!(read("9999999999999", false, false).code, None);
    }

    #[test]
    fn a_wrong_check_digit_is_unknown_not_a_neighbour() {
        let good = damm::append(42);
        assert_eq!(read(&good, true, false).code, Some(42));
        let last = good.chars().last().unwrap().to_digit(10).unwrap();
        let typo = format!("{}{}", &good[..good.len() - 1], (last + 1) % 10);
        let keyed = read(&typo, true, false);
        assert_eq!((keyed.code, keyed.check_failed), (None, true));
    }
}
