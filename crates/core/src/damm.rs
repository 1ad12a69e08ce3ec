//! The Damm check digit: one extra digit that catches every single-digit mistake and every swap
//! of two neighbouring digits in a keyed code.
//!
//! A string of digits followed by its check digit runs through the table to 0; that is how a
//! keyed code is checked. Leading zeros do not change the check (row 0, column 0 is 0).

/// The standard weakly totally anti-symmetric quasigroup of order 10 (Damm, 2004).
const TABLE: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/// The check digit of `digits` (`"572"` gives `4`), or `None` when `digits` is empty or holds
/// anything but ASCII digits.
pub fn check_digit(digits: &str) -> Option<u8> {
    if digits.is_empty() {
        return None;
    }
    digits.bytes().try_fold(0u8, |interim, b| {
        b.is_ascii_digit()
            .then(|| TABLE[usize::from(interim)][usize::from(b - b'0')])
    })
}

/// The decimal `code` followed by its check digit (`572` gives `"5724"`).
pub fn append(code: u64) -> String {
    let mut keyed = code.to_string();
    let check = check_digit(&keyed).expect("a decimal number is a non-empty string of digits");
    keyed.push(char::from(b'0' + check));
    keyed
}

/// The code in `keyed`, digits that end in their check digit (`"5724"` gives `572`), or
/// `None` when the check fails, `keyed` has fewer than 2 characters or anything but ASCII
/// digits, or the code does not fit a `u64`. Leading zeros are accepted (`"05724"` gives 572).
pub fn strip(keyed: &str) -> Option<u64> {
    if keyed.len() < 2 || check_digit(keyed)? != 0 {
        return None;
    }
    keyed[..keyed.len() - 1].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn is_valid(keyed: &str) -> bool {
        check_digit(keyed) == Some(0)
    }

    #[test]
    fn the_textbook_vector_572_has_check_digit_4() {
        assert_eq!(check_digit("572"), Some(4));
        assert_eq!(append(572), "5724");
        assert_eq!(strip("5724"), Some(572));
        assert!(is_valid("5724"));
    }

    #[test]
    fn more_known_vectors_check_out() {
        // 0 keeps the interim digit at 0; the other rows of the first column are the table's.
        assert_eq!(check_digit("0"), Some(0));
        assert_eq!(check_digit("1"), Some(3));
        assert_eq!(check_digit("9"), Some(2));
        assert_eq!(check_digit("112946"), Some(0));
        assert_eq!(append(0), "00");
        assert_eq!(append(1), "13");
        assert_eq!(append(42), "427");
    }

    #[test]
    fn empty_or_non_digit_input_has_no_check_digit() {
        for bad in ["", "12a", " 12", "1 2", "١٢", "+1", "-5"] {
            assert_eq!(check_digit(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn strip_refuses_wrong_short_and_malformed_input() {
        assert_eq!(strip("5723"), None);
        assert_eq!(strip("7524"), None);
        assert_eq!(strip("0"), None);
        assert_eq!(strip(""), None);
        assert_eq!(strip("57 24"), None);
        assert_eq!(strip("5724#"), None);
    }

    #[test]
    fn strip_accepts_leading_zeros_and_the_code_zero() {
        assert_eq!(strip("05724"), Some(572));
        assert_eq!(strip("00"), Some(0));
    }

    #[test]
    fn strip_refuses_a_code_too_large_for_u64() {
        let too_big = format!("{}0", u64::MAX);
        let check = check_digit(&too_big).unwrap();
        assert_eq!(strip(&format!("{too_big}{check}")), None);
        assert_eq!(strip(&append(u64::MAX)), Some(u64::MAX));
    }

    proptest! {
        #[test]
        fn every_appended_code_strips_back_to_itself(code in any::<u64>()) {
            let keyed = append(code);
            prop_assert!(is_valid(&keyed));
            prop_assert_eq!(strip(&keyed), Some(code));
        }

        #[test]
        fn every_single_digit_substitution_is_detected(code in 0u64..10_000_000_000) {
            let keyed = append(code).into_bytes();
            for position in 0..keyed.len() {
                for digit in b'0'..=b'9' {
                    if digit == keyed[position] {
                        continue;
                    }
                    let mut typo = keyed.clone();
                    typo[position] = digit;
                    let typo = String::from_utf8(typo).unwrap();
                    prop_assert!(!is_valid(&typo), "{} passed as valid", typo);
                    prop_assert_eq!(strip(&typo), None);
                }
            }
        }

        #[test]
        fn every_adjacent_transposition_is_detected(code in 0u64..10_000_000_000) {
            let keyed = append(code).into_bytes();
            for position in 0..keyed.len() - 1 {
                if keyed[position] == keyed[position + 1] {
                    continue;
                }
                let mut swapped = keyed.clone();
                swapped.swap(position, position + 1);
                let swapped = String::from_utf8(swapped).unwrap();
                prop_assert!(!is_valid(&swapped), "{} passed as valid", swapped);
                prop_assert_eq!(strip(&swapped), None);
            }
        }
    }
}
