//! What a caller keys: `CODE[*EXTENSION]`, optionally `*CODE…` for the star pool, as the
//! patent describes. The code names a visit, click or reserved source; the part after the
//! special symbol is the business's own extension or department.

use crate::Invalid;
use crate::damm;
use crate::visit::Selector;

/// Keys a caller presses at the prompt: 1 to [`Keys::MAX`] of `0-9`, `*` and `#`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys(String);

impl Keys {
    /// The most keys taken.
    pub const MAX: usize = 20;

    /// Reads keys as typed; spaces are ignored.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let keys: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        let keypad = keys.chars().all(|c| c.is_ascii_digit() || c == '*' || c == '#');
        if keys.is_empty() || keys.len() > Self::MAX || !keypad {
            return Err(Invalid::new(
                "keys",
                format!("a keypad has only 0-9, * and # (1 to {} keys)", Self::MAX),
            ));
        }
        Ok(Self(keys))
    }

    /// The keys, in order.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Keyed digits, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyed {
    /// The pool the code belongs to.
    pub selector: Selector,
    /// The code, as a number (check digit removed and verified when the site uses one);
    /// `None` for no digits, only zeros, a check-digit failure or something unparsable.
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
        let stripped = damm::strip(code_part);
        keyed.check_failed = stripped.is_none();
        // Zeros end in their own check digit ("00"); code 0 is no code, as without one.
        keyed.code = stripped.filter(|c| *c > 0);
    } else {
        keyed.code = code_part.parse().ok().filter(|c| *c > 0);
    }
    keyed
}

/// What a caller keys for `code`: its digits, with the Damm check digit when the site uses
/// one, after `*` in the star pool. [`read`] turns it back into the code.
pub fn keyed_form(code: u64, check_digit: bool, selector: Selector) -> String {
    let digits = if check_digit {
        damm::append(code)
    } else {
        code.to_string()
    };
    format!("{}{digits}", selector.as_str())
}

/// The smallest and largest code (live or reserved) of one pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeSpan {
    pub low: u64,
    pub high: u64,
}

/// What can be keyed on a tracking number, as the site reading the digits sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyableCodes {
    /// The plain pool's live and reserved codes, if any.
    pub plain: Option<CodeSpan>,
    /// The star pool's live and reserved codes, if any.
    pub star: Option<CodeSpan>,
    /// Codes end in a Damm check digit.
    pub check_digit: bool,
    /// A leading `*` selects the star pool.
    pub star_pool: bool,
    /// Callers may key `*EXTENSION` after the code (the site routes on extensions).
    pub extensions: bool,
}

/// How many keys the prompt for the code may wait for before it answers: `Some(n)` only when
/// every code that can be keyed on the number (live and reserved, both pools, check digit
/// included) takes exactly `n` keys, so that nobody is cut short; `None` (the prompt ends on
/// `#` or a pause) when lengths differ, when nothing can be keyed, or when an extension may
/// follow the code.
pub fn gather_length(codes: &KeyableCodes) -> Option<usize> {
    if codes.extensions {
        return None;
    }
    let keys = |span: CodeSpan, selector: Selector| {
        [span.low, span.high].map(|code| keyed_form(code, codes.check_digit, selector).len())
    };
    // Star codes count only where a leading `*` selects their pool; elsewhere they cannot be keyed.
    let star = codes.star.filter(|_| codes.star_pool);
    let lengths: Vec<usize> = [(codes.plain, Selector::Plain), (star, Selector::Star)]
        .into_iter()
        .filter_map(|(span, selector)| Some(keys(span?, selector)))
        .flatten()
        .collect();
    let first = *lengths.first()?;
    lengths.iter().all(|l| *l == first).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keys_are_keypad_keys_without_spaces() {
        assert_eq!(Keys::parse(" 42 * 7# ").unwrap().as_str(), "42*7#");
        assert!(Keys::parse("12a").is_err());
        assert!(Keys::parse("  ").is_err());
        assert!(Keys::parse(&"1".repeat(Keys::MAX + 1)).is_err());
    }

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
    fn zeros_with_a_valid_check_digit_are_no_code() {
        // Found by the `keypad` fuzz target: "00" ends in its own check digit.
        for zeros in ["00", "000", "*00"] {
            let keyed = read(zeros, true, true);
            assert_eq!((keyed.code, keyed.check_failed), (None, false), "{zeros}");
        }
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

    #[test]
    fn a_printed_two_digit_code_is_not_cut_short_by_one_digit_live_codes() {
        let codes = KeyableCodes {
            plain: Some(CodeSpan { low: 1, high: 42 }),
            star: None,
            check_digit: false,
            star_pool: false,
            extensions: false,
        };
        assert_eq!(gather_length(&codes), None);
        let uniform = KeyableCodes {
            plain: Some(CodeSpan { low: 1, high: 3 }),
            ..codes
        };
        assert_eq!(gather_length(&uniform), Some(1));
        assert_eq!(
            gather_length(&KeyableCodes {
                check_digit: true,
                ..uniform
            }),
            Some(2)
        );
        assert_eq!(
            gather_length(&KeyableCodes {
                extensions: true,
                ..uniform
            }),
            None
        );
        assert_eq!(gather_length(&KeyableCodes { plain: None, ..uniform }), None);
    }

    #[test]
    fn star_codes_count_their_star() {
        let codes = KeyableCodes {
            plain: Some(CodeSpan { low: 10, high: 99 }),
            star: Some(CodeSpan { low: 1, high: 9 }),
            check_digit: false,
            star_pool: true,
            extensions: false,
        };
        assert_eq!(gather_length(&codes), Some(2));
        let longer = KeyableCodes {
            star: Some(CodeSpan { low: 10, high: 10 }),
            ..codes
        };
        assert_eq!(gather_length(&longer), None);
    }

    fn span() -> impl Strategy<Value = Option<CodeSpan>> {
        proptest::option::of(
            (1u64..100_000, 0u64..100_000).prop_map(|(low, extra)| CodeSpan { low, high: low + extra }),
        )
    }

    proptest! {
        #[test]
        fn every_keyable_code_fits_the_gather(
            plain in span(),
            star in span(),
            check_digit: bool,
            star_pool: bool,
            extensions: bool,
            pick in 0.0f64..=1.0,
        ) {
            let codes = KeyableCodes { plain, star, check_digit, star_pool, extensions };
            if let Some(n) = gather_length(&codes) {
                let pools = [(plain, Selector::Plain), (star.filter(|_| star_pool), Selector::Star)];
                for (span, selector) in pools {
                    let Some(span) = span else { continue };
                    // Any code of the span, not only its ends.
                    let code = span.low + ((span.high - span.low) as f64 * pick) as u64;
                    let keyed = keyed_form(code, check_digit, selector);
                    prop_assert_eq!(keyed.len(), n, "{} cut short or padded", keyed);
                    let read_back = read(&keyed, check_digit, star_pool);
                    prop_assert_eq!((read_back.code, read_back.selector), (Some(code), selector));
                }
            }
        }

        #[test]
        fn a_keyed_code_reads_back_as_itself(code in 1u64..10_000_000_000, check_digit: bool, star: bool) {
            let selector = if star { Selector::Star } else { Selector::Plain };
            let keyed = read(&keyed_form(code, check_digit, selector), check_digit, true);
            prop_assert_eq!((keyed.code, keyed.selector, keyed.check_failed), (Some(code), selector, false));
        }
    }
}
