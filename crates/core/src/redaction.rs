//! Payment data taken out of what was said before it is stored: card numbers (a Luhn-valid run
//! of 13 to 19 digits, written as figures or spoken as words, grouped any way), the security
//! code said after "security code", "CVV" or "CVC", and the expiry said after "expires" or
//! "expiry". Each is replaced by [`MARK`]; everything else is kept as it was said.
//!
//! Spoken numbers are read digit by digit ("four one one one", "oh" and "o" as zero), the way
//! people read a card aloud and speech-to-text services write it; grouped number words
//! ("forty one eleven") are not read, and are left as they are.

/// What replaces each redacted run.
pub const MARK: &str = "[redacted]";

/// How many words after a keyword ("security code is …") its digits may start.
const KEYWORD_REACH: usize = 4;

/// `text` with card numbers, security codes and expiry dates replaced by [`MARK`]. Applied
/// until nothing more changes (a security code said after a redacted one is found on the next
/// round), so redacting again never finds more; each round removes digits, so it ends.
pub fn redact(text: &str) -> String {
    let mut current = redact_once(text);
    loop {
        let next = redact_once(&current);
        if next == current {
            return next;
        }
        current = next;
    }
}

fn redact_once(text: &str) -> String {
    let tokens = tokenize(text);
    let runs = digit_runs(&tokens);
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for run in &runs {
        spans.extend(card_spans(&tokens, run));
    }
    spans.extend(keyword_spans(&tokens, &runs));
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in spans {
        if start < at {
            // Overlaps a span already replaced: extend it instead.
            at = at.max(end);
            continue;
        }
        out.push_str(&text[at..start]);
        out.push_str(MARK);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// Whether `digits` (ASCII digits only) pass the Luhn check.
pub fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(*d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// One piece of the text: a word, a run of figures, or what lies between them.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// Figures, as their values.
    Figures(Vec<u8>),
    /// A word, lower-cased.
    Word(String),
    /// Spaces and punctuation that may sit inside a spoken or grouped number.
    Joiner,
    /// Anything else (a colon, a sentence's end, a line break): whether it ends a sentence.
    Break(bool),
}

#[derive(Debug, Clone)]
struct Token {
    start: usize,
    end: usize,
    kind: Kind,
}

impl Token {
    /// The digits this token stands for: its figures, or one spoken digit.
    fn digits(&self) -> Option<Vec<u8>> {
        match &self.kind {
            Kind::Figures(d) => Some(d.clone()),
            Kind::Word(w) => spoken_digit(w).map(|d| vec![d]),
            _ => None,
        }
    }
}

/// The digit a spoken word stands for.
fn spoken_digit(word: &str) -> Option<u8> {
    Some(match word {
        "zero" | "oh" | "o" => 0,
        "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        _ => return None,
    })
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let same = |d: char| -> bool {
            if c.is_ascii_digit() {
                d.is_ascii_digit()
            } else if c.is_alphabetic() {
                d.is_alphabetic() || d == '\''
            } else {
                !d.is_ascii_digit() && !d.is_alphabetic()
            }
        };
        let mut end = start + c.len_utf8();
        while let Some(&(i, d)) = chars.peek() {
            if !same(d) {
                break;
            }
            end = i + d.len_utf8();
            chars.next();
        }
        let piece = &text[start..end];
        let kind = if c.is_ascii_digit() {
            Kind::Figures(piece.bytes().map(|b| b - b'0').collect())
        } else if c.is_alphabetic() {
            Kind::Word(piece.to_lowercase())
        } else if is_joiner(piece) {
            Kind::Joiner
        } else {
            Kind::Break(ends_sentence(piece))
        };
        tokens.push(Token { start, end, kind });
    }
    tokens
}

/// Spaces with at most one of `-.,/` group the digits of one number ("4111-1111",
/// "4111, 1111", "04/27"); a line break or any other punctuation ends it.
fn is_joiner(piece: &str) -> bool {
    let marks = piece.chars().filter(|p| "-.,/".contains(*p)).count();
    marks <= 1 && piece.chars().all(|p| p == ' ' || p == '\t' || "-.,/".contains(p))
}

/// Whether a piece between words ends a sentence, which ends a keyword's reach.
fn ends_sentence(piece: &str) -> bool {
    piece.contains(['.', '?', '!', '\n'])
}

/// Indices of tokens forming runs of digits (figures or spoken digits) joined only by
/// joiners: each run lists its digit tokens.
fn digit_runs(tokens: &[Token]) -> Vec<Vec<usize>> {
    let mut runs = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        if token.digits().is_some() {
            current.push(i);
        } else if token.kind != Kind::Joiner && !current.is_empty() {
            runs.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

/// The byte span of a run that holds a card number (a Luhn-valid stretch of 13 to 19 digits
/// anywhere in it): the whole run goes, since digits said next to a card number (a word read
/// as "oh", a repeated digit) would otherwise be left beside the mark and help rebuild it.
fn card_spans(tokens: &[Token], run: &[usize]) -> Vec<(usize, usize)> {
    match (card_windows(tokens, run).is_empty(), run.first(), run.last()) {
        (false, Some(&first), Some(&last)) => vec![(tokens[first].start, tokens[last].end)],
        _ => Vec::new(),
    }
}

/// The longest Luhn-valid stretch of 13 to 19 digits starting at each token of a run,
/// scanning left to right.
fn card_windows(tokens: &[Token], run: &[usize]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < run.len() {
        let mut digits: Vec<u8> = Vec::new();
        let mut found = None;
        for (j, &t) in run.iter().enumerate().skip(i) {
            digits.extend(tokens[t].digits().unwrap_or_default());
            if digits.len() > 19 {
                break;
            }
            if digits.len() >= 13 && luhn_valid(&digits) {
                found = Some(j);
            }
        }
        match found {
            Some(j) => {
                spans.push((tokens[run[i]].start, tokens[run[j]].end));
                i = j + 1;
            }
            None => i += 1,
        }
    }
    spans
}

/// What kind of payment data a keyword announces.
#[derive(Debug, Clone, Copy)]
enum Announced {
    /// A security code: 3 or 4 digits.
    SecurityCode,
    /// An expiry: a month and year, up to 6 digits.
    Expiry,
}

/// The keyword ending at token `i`, if it is one.
fn keyword_at(tokens: &[Token], i: usize) -> Option<Announced> {
    let Kind::Word(word) = &tokens[i].kind else {
        return None;
    };
    match word.as_str() {
        "cvv" | "cvc" | "cvv2" | "csc" => Some(Announced::SecurityCode),
        "code" if previous_word(tokens, i).as_deref() == Some("security") => Some(Announced::SecurityCode),
        w if w.starts_with("expir") || w == "exp" => Some(Announced::Expiry),
        _ => None,
    }
}

fn previous_word(tokens: &[Token], i: usize) -> Option<String> {
    tokens[..i].iter().rev().find_map(|t| match &t.kind {
        Kind::Word(w) => Some(w.clone()),
        Kind::Joiner => None,
        _ => Some(String::new()),
    })
}

/// The spans of digit runs a keyword announces: the first run starting within a few words
/// after it, when its length fits what was announced.
fn keyword_spans(tokens: &[Token], runs: &[Vec<usize>]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    for i in 0..tokens.len() {
        let Some(announced) = keyword_at(tokens, i) else {
            continue;
        };
        let mut words = 0;
        for t in i + 1..tokens.len() {
            if tokens[t].digits().is_some() {
                let Some(run) = runs.iter().find(|r| r.contains(&t)) else {
                    break;
                };
                let from = run.iter().position(|&x| x == t).unwrap_or(0);
                let digits: usize = run[from..]
                    .iter()
                    .filter_map(|&x| tokens[x].digits())
                    .map(|d| d.len())
                    .sum();
                let fits = match announced {
                    Announced::SecurityCode => (3..=4).contains(&digits),
                    Announced::Expiry => (3..=6).contains(&digits),
                };
                if fits {
                    spans.push((tokens[t].start, tokens[*run.last().unwrap_or(&t)].end));
                }
                break;
            }
            match tokens[t].kind {
                Kind::Word(_) => {
                    words += 1;
                    if words > KEYWORD_REACH {
                        break;
                    }
                }
                Kind::Break(true) => break,
                _ => {}
            }
        }
    }
    spans
}

#[cfg(test)]
#[path = "redaction_tests.rs"]
mod tests;
