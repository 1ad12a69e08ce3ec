//! The keyword form of a sale: `[PHONE] 202-555-0169 [REVENUE] 1,000 [PROFIT] 500`.

use super::clean::{read_ref, shown};
use super::{Command, KEYWORDS, MAX_VALUE_CHARS, SaleTarget, invalid};
use crate::Invalid;

/// The fewest and most letters of a bracketed word that reads as a keyword.
const LETTERS: std::ops::RangeInclusive<usize> = 2..=16;

/// The whitespace allowed around the word inside the brackets (`[ SALE ]`). Line breaks count,
/// so that joining a value's lines never makes a keyword out of its text.
const INSIDE: [char; 3] = [' ', '\t', '\n'];

/// A bracketed word of letters: where it starts and ends in the text, and its name upper-cased.
struct Token {
    start: usize,
    end: usize,
    name: String,
}

/// What a keyword gives.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Phone,
    Id,
    Revenue,
    Cost,
    Profit,
}

impl Kind {
    fn of(name: &str) -> Option<Kind> {
        Some(match name {
            "PHONE" => Kind::Phone,
            "ID" => Kind::Id,
            "REVENUE" | "SALE" => Kind::Revenue,
            "COST" => Kind::Cost,
            "PROFIT" => Kind::Profit,
            _ => return None,
        })
    }
}

/// Whether the text has a bracketed word of letters: then it is in the keyword form.
pub(super) fn has_token(text: &str) -> bool {
    text.match_indices('[').any(|(at, _)| token_at(text, at).is_some())
}

/// Whether the text has a known keyword (for an e-mail subject, where `[Leadline]` is a tag).
pub(super) fn has_known_token(text: &str) -> bool {
    tokens(text).iter().any(|token| Kind::of(&token.name).is_some())
}

fn tokens(text: &str) -> Vec<Token> {
    text.match_indices('[')
        .filter_map(|(at, _)| token_at(text, at))
        .collect()
}

/// The token opening at `open` (a `[`), if the brackets hold a word of letters.
fn token_at(text: &str, open: usize) -> Option<Token> {
    let inside = &text[open + 1..];
    let lead = inside.len() - inside.trim_start_matches(INSIDE).len();
    let mut name = String::new();
    let mut letters = 0;
    let mut word_end = lead;
    for (i, c) in inside[lead..].char_indices() {
        if !c.is_alphabetic() {
            break;
        }
        letters += 1;
        if letters > *LETTERS.end() {
            return None;
        }
        name.extend(c.to_uppercase());
        word_end = lead + i + c.len_utf8();
    }
    if !LETTERS.contains(&letters) {
        return None;
    }
    let after = &inside[word_end..];
    let trail = after.len() - after.trim_start_matches(INSIDE).len();
    if inside.as_bytes().get(word_end + trail) != Some(&b']') {
        return None;
    }
    Some(Token {
        start: open,
        end: open + 1 + word_end + trail + 1,
        name,
    })
}

/// Reads the keyword form. `implied_ref` is the call when neither `[PHONE]` nor `[ID]` is
/// given (an e-mail's subject ref).
pub(super) fn parse(text: &str, implied_ref: Option<u64>) -> Result<Command, Invalid> {
    let tokens = tokens(text);
    let Some(first) = tokens.first() else {
        return Err(invalid(format!(
            "no keyword found: record a sale with {KEYWORDS}, e.g. \"[ID] 1042 [REVENUE] 1,000\""
        )));
    };
    if let Some(unknown) = tokens.iter().find(|t| Kind::of(&t.name).is_none()) {
        return Err(invalid(format!(
            "[{}] is not a keyword; the keywords are {KEYWORDS}",
            unknown.name
        )));
    }
    let before = text[..first.start].trim();
    if !before.is_empty() {
        if let Ok(Some((record_ref, _))) = super::clean::ref_word(before) {
            return Err(invalid(format!(
                "nothing may come before the first keyword: write the ref as \"[ID] {record_ref}\""
            )));
        }
        return Err(invalid(format!(
            "nothing may come before the first keyword, and the message starts with \"{}\"",
            shown(before)
        )));
    }

    // Per kind: the keyword as written and its value.
    let mut given: [Option<(&str, String)>; 5] = Default::default();
    for (i, token) in tokens.iter().enumerate() {
        let span = &text[token.end..tokens.get(i + 1).map_or(text.len(), |next| next.start)];
        let value = if i + 1 == tokens.len() {
            span.lines()
                .map(str::trim)
                .find(|line| !line.is_empty())
                .unwrap_or("")
                .to_owned()
        } else {
            let lines: Vec<&str> = span.lines().map(str::trim).filter(|line| !line.is_empty()).collect();
            lines.join(" ")
        };
        let kind = Kind::of(&token.name).expect("unknown keywords were refused above");
        let slot = &mut given[kind as usize];
        if let Some((earlier, _)) = slot {
            return Err(invalid(if *earlier == token.name {
                format!("[{earlier}] is given twice: give it once")
            } else {
                format!("[{earlier}] and [{}] both give the revenue: give one", token.name)
            }));
        }
        *slot = Some((&token.name, value));
    }
    let [phone, id, revenue, cost, profit] = given;

    let target = match (phone, id) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "give [PHONE] or [ID], not both: Leadline finds the call by one of them",
            ));
        }
        (Some((_, phone)), None) => SaleTarget::Phone(check_phone(phone)?),
        (None, Some((_, id))) => SaleTarget::Ref(check_ref(&id)?),
        (None, None) => match implied_ref {
            Some(record_ref) => SaleTarget::Ref(record_ref),
            None => {
                return Err(invalid(
                    "say which call: add [ID] with its record ref or [PHONE] with the caller's number",
                ));
            }
        },
    };
    let Some(revenue) = revenue else {
        return Err(invalid("add the revenue: [REVENUE] 1,000 (or [SALE] 1,000)"));
    };
    Ok(Command::Sale {
        target,
        revenue: check_amount(revenue)?,
        cost: cost.map(check_amount).transpose()?,
        profit: profit.map(check_amount).transpose()?,
    })
}

fn check_ref(value: &str) -> Result<u64, Invalid> {
    if value.is_empty() {
        return Err(invalid("[ID] needs the record ref after it: [ID] 1042"));
    }
    let digits = value.strip_prefix('#').unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(format!(
            "[ID] \"{}\" is not a record ref: write its digits, e.g. [ID] 1042",
            shown(value)
        )));
    }
    read_ref(digits)
}

fn check_phone(value: String) -> Result<String, Invalid> {
    if value.is_empty() {
        return Err(invalid(
            "[PHONE] needs the caller's number after it: [PHONE] 202-555-0169",
        ));
    }
    if !value.bytes().any(|b| b.is_ascii_digit()) {
        return Err(invalid(format!(
            "[PHONE] \"{}\" is not a phone number: it has no digits",
            shown(&value)
        )));
    }
    if value.chars().count() > MAX_VALUE_CHARS {
        return Err(invalid(format!(
            "[PHONE] \"{}\" is too long for a phone number",
            shown(&value)
        )));
    }
    Ok(value)
}

fn check_amount((keyword, value): (&str, String)) -> Result<String, Invalid> {
    if value.is_empty() {
        return Err(invalid(format!(
            "[{keyword}] needs an amount after it: [{keyword}] 1,000"
        )));
    }
    if !value.bytes().any(|b| b.is_ascii_digit()) {
        return Err(invalid(format!(
            "[{keyword}] \"{}\" is not an amount: it has no digits",
            shown(&value)
        )));
    }
    if value.chars().count() > MAX_VALUE_CHARS {
        return Err(invalid(format!(
            "[{keyword}] \"{}\" is too long for an amount",
            shown(&value)
        )));
    }
    Ok(value)
}
