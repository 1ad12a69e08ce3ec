//! The plain-text side of replies: size and character clean-up, ref words, refs in e-mail
//! subjects, and cutting the quoted message out of an e-mail body.

use super::{MAX_REF_DIGITS, MAX_REPLY_BYTES, invalid};
use crate::Invalid;

/// The separators that may follow a ref: `1042:`, `1042,`, `1042-`, and the dashes a phone's
/// smart punctuation makes of `-`.
const SEPARATORS: [char; 5] = [':', ',', '-', '–', '—'];

/// How many characters of the operator's own text an error quotes back.
const SHOWN_CHARS: usize = 30;

/// Refuses a text over [`MAX_REPLY_BYTES`]; else turns CRLF and CR into LF, Unicode spaces
/// into a space, and removes control characters (but tab and newline), zero-width characters
/// and bidirectional overrides. `what` names the text in the error ("SMS", "subject").
pub(super) fn normalize(input: &str, what: &str) -> Result<String, Invalid> {
    if input.len() > MAX_REPLY_BYTES {
        return Err(invalid(format!(
            "the {what} is {} bytes long; Leadline reads at most {MAX_REPLY_BYTES} bytes: send a shorter one",
            input.len()
        )));
    }
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push('\n');
            }
            '\n' | '\t' => out.push(c),
            // Vertical tab, form feed, next line, line and paragraph separators.
            '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}' => out.push('\n'),
            c if c.is_control() || is_invisible(c) => {}
            c if c.is_whitespace() => out.push(' '),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Characters that show nothing but can hide or reorder text: zero-width space and word
/// joiner, the byte order mark, the soft hyphen, and the bidirectional embeddings, overrides
/// and isolates.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}' | '\u{200b}' | '\u{2060}' | '\u{feff}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

/// At most [`SHOWN_CHARS`] characters of the operator's text, on one line, for an error.
pub(super) fn shown(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(SHOWN_CHARS)
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    if text.chars().nth(SHOWN_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Reads a ref word (`1042`, `#1042`, `1042:`): `Ok(None)` when the word is not one, the ref
/// and whether a separator was attached, or an error for a ref over [`MAX_REF_DIGITS`] digits.
pub(super) fn ref_word(word: &str) -> Result<Option<(u64, bool)>, Invalid> {
    let digits = word.strip_prefix('#').unwrap_or(word);
    let (digits, separated) = match digits.strip_suffix(SEPARATORS) {
        Some(digits) => (digits, true),
        None => (digits, false),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    Ok(Some((read_ref(digits)?, separated)))
}

/// A run of ASCII digits as a ref, refusing one over [`MAX_REF_DIGITS`] digits.
pub(super) fn read_ref(digits: &str) -> Result<u64, Invalid> {
    if digits.len() > MAX_REF_DIGITS {
        return Err(invalid(format!(
            "\"{}\" is not a record ref: a ref has at most {MAX_REF_DIGITS} digits",
            shown(digits)
        )));
    }
    digits
        .parse()
        .map_err(|_| invalid(format!("\"{}\" is not a record ref", shown(digits))))
}

/// Whether `text` (after a ref) starts with a separator standing alone on the ref's line:
/// `- Wants blue` in `1042 - Wants blue`.
pub(super) fn starts_with_separator(text: &str) -> bool {
    let line = text.trim_start_matches([' ', '\t']);
    let mut chars = line.chars();
    chars.next().is_some_and(|c| SEPARATORS.contains(&c)) && chars.next().is_none_or(char::is_whitespace)
}

/// `text` less a separator standing alone on the ref's line.
pub(super) fn strip_lone_separator(text: &str) -> &str {
    if !starts_with_separator(text) {
        return text;
    }
    let line = text.trim_start_matches([' ', '\t']);
    let first = line.chars().next().map_or(0, char::len_utf8);
    &line[first..]
}

/// The ref an e-mail subject names: the first number after `Call`, `Ref`, `Lead` or `#`; else
/// the first number of 4 or more digits standing alone. `Ok(None)` when there is none; an
/// error when the number found has more than [`MAX_REF_DIGITS`] digits.
pub(super) fn subject_ref(subject: &str) -> Result<Option<u64>, Invalid> {
    if let Some(digits) = after_marker(subject) {
        return read_ref(digits).map(Some);
    }
    match standing_alone(subject) {
        Some(digits) => read_ref(digits).map(Some),
        None => Ok(None),
    }
}

/// The digits after the first marker (`Call 1042`, `Ref: 1042`, `call #1042`, `#1042`).
fn after_marker(subject: &str) -> Option<&str> {
    let bytes = subject.as_bytes();
    for (at, _) in subject.char_indices() {
        let word_start = at == 0 || !prev_char(subject, at).is_some_and(char::is_alphanumeric);
        if !word_start {
            continue;
        }
        let rest = &subject[at..];
        let after = if bytes[at] == b'#' {
            Some(&rest[1..])
        } else {
            ["call", "ref", "lead"].iter().find_map(|marker| {
                let head = rest.get(..marker.len())?;
                let tail = &rest[marker.len()..];
                let ends_word = !tail.chars().next().is_some_and(char::is_alphanumeric);
                (head.eq_ignore_ascii_case(marker) && ends_word).then_some(tail)
            })
        };
        let Some(after) = after else { continue };
        let after = after.strip_prefix(['.', ':']).unwrap_or(after).trim_start_matches(' ');
        let after = after.strip_prefix('#').unwrap_or(after).trim_start_matches(' ');
        let len = after.bytes().take_while(u8::is_ascii_digit).count();
        if len > 0 && ends_number(&after[len..]) {
            return Some(&after[..len]);
        }
    }
    None
}

/// The first run of 4 or more digits, not starting with 0, that stands alone: not joined to
/// letters, signs or other digits, as in a phone number (`202 555 0169`, `+1…`), a date
/// (`2026-05-04`) or an amount (`$1,200.50`).
fn standing_alone(subject: &str) -> Option<&str> {
    let bytes = subject.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        if !bytes[at].is_ascii_digit() {
            at += 1;
            continue;
        }
        let len = bytes[at..].iter().take_while(|b| b.is_ascii_digit()).count();
        let digits = &subject[at..at + len];
        let before = &subject[..at];
        let left_ok = match before.chars().next_back() {
            None => true,
            Some(' ' | ':') => !before[..before.len() - 1]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_digit() || c == ')'),
            Some(c) => "([<\"'".contains(c),
        };
        let after = &subject[at + len..];
        let right_ok = ends_number(after)
            && !after
                .strip_prefix(' ')
                .is_some_and(|a| a.starts_with(|c: char| c.is_ascii_digit()));
        if len >= 4 && !digits.starts_with('0') && left_ok && right_ok {
            return Some(digits);
        }
        at += len;
    }
    None
}

/// Whether a number ends where `after` starts: at the end, a space, a closing bracket or
/// quote, or punctuation that is followed by a space or the end (`1042.` but not `10.50`).
fn ends_number(after: &str) -> bool {
    let mut chars = after.chars();
    match chars.next() {
        None => true,
        Some(c) if c.is_whitespace() || ")]>\"'".contains(c) => true,
        Some(c) if ".,:;!?".contains(c) => chars.next().is_none_or(char::is_whitespace),
        Some(_) => false,
    }
}

fn prev_char(text: &str, at: usize) -> Option<char> {
    text[..at].chars().next_back()
}

/// The subject less its `Re:`/`Fwd:` prefixes and leading tags that are not keywords
/// (`[Leadline]`), for a subject in the keyword form.
pub(super) fn strip_subject_prefix(subject: &str) -> &str {
    const PREFIXES: [&str; 9] = ["re:", "fwd:", "fw:", "aw:", "wg:", "sv:", "vs:", "tr:", "antw:"];
    let mut rest = subject.trim_start();
    loop {
        let before = rest.len();
        for prefix in PREFIXES {
            if rest
                .get(..prefix.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
            {
                rest = rest[prefix.len()..].trim_start();
            }
        }
        if rest.starts_with('[')
            && let Some(close) = rest.find(']')
            && !super::keywords::has_known_token(&rest[..=close])
        {
            rest = rest[close + 1..].trim_start();
        }
        if rest.len() == before {
            return rest;
        }
    }
}

/// The operator's own text of an e-mail body: lines quoted with `>` left out, and everything
/// from an attribution line, an original- or forwarded-message line, an Outlook header block
/// or rule, or a signature separator; then a closing "Sent from my …" line, trailing spaces
/// and runs of blank lines.
pub(super) fn cut_quoted(body: &str) -> String {
    let lines: Vec<&str> = body.split('\n').collect();
    let mut kept: Vec<&str> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if is_separator(trimmed)
            || is_attribution(trimmed, lines.get(i + 1).map(|l| l.trim()))
            || is_outlook_header(trimmed, &lines[i + 1..])
        {
            break;
        }
        if trimmed.starts_with('>') {
            continue;
        }
        kept.push(line.trim_end());
    }
    while kept.last().is_some_and(|l| l.is_empty() || is_mobile_signature(l)) {
        kept.pop();
    }
    let mut note = String::new();
    let mut blank = false;
    for line in kept {
        if line.is_empty() {
            blank = !note.is_empty();
            continue;
        }
        if !note.is_empty() {
            note.push_str(if blank { "\n\n" } else { "\n" });
        }
        note.push_str(line);
        blank = false;
    }
    note.trim().to_owned()
}

/// `-- ` (a signature), `-----Original Message-----`, a forwarded-message line, or an
/// Outlook rule of underscores.
fn is_separator(line: &str) -> bool {
    let words = line.trim_matches('-').trim();
    line == "--"
        || (line.starts_with("--") && words.eq_ignore_ascii_case("original message"))
        || (line.starts_with("--") && words.eq_ignore_ascii_case("forwarded message"))
        || line.eq_ignore_ascii_case("begin forwarded message:")
        || (line.len() >= 8 && line.bytes().all(|b| b == b'_'))
}

/// `On Mon, May 4, 2026 at 10:00 AM Leadline <calls@…> wrote:`, alone or wrapped onto the
/// next line, and its French, German and Spanish forms. It has a digit (the date).
fn is_attribution(line: &str, next: Option<&str>) -> bool {
    const FORMS: [(&str, &str); 5] = [
        ("on ", "wrote:"),
        ("le ", "a écrit :"),
        ("le ", "a écrit:"),
        ("am ", "schrieb"),
        ("el ", "escribió:"),
    ];
    let matches = |text: &str| {
        if text.len() > 400 || !text.ends_with(':') || !text.bytes().any(|b| b.is_ascii_digit()) {
            return false;
        }
        let lower = text.to_lowercase();
        FORMS
            .iter()
            .any(|(open, verb)| lower.starts_with(open) && lower.contains(verb))
    };
    if line.is_empty() {
        return false;
    }
    // Wrapped over two lines only with the sender's address in it, so that a note line
    // followed by "He wrote:" is not taken for one.
    matches(line)
        || next.is_some_and(|next| {
            let joined = format!("{line} {next}");
            !next.is_empty() && joined.contains('@') && matches(&joined)
        })
}

/// Outlook's header block of the original message: `From: …` then, on the next non-empty
/// line, `Sent: …` (or `Date: …`).
fn is_outlook_header(line: &str, following: &[&str]) -> bool {
    let starts = |text: &str, head: &str| text.get(..head.len()).is_some_and(|h| h.eq_ignore_ascii_case(head));
    if !starts(line, "from:") {
        return false;
    }
    let next = following.iter().map(|l| l.trim()).find(|l| !l.is_empty());
    next.is_some_and(|next| starts(next, "sent:") || starts(next, "date:"))
}

/// A phone or webmail's closing line: "Sent from my iPhone", "Get Outlook for Android".
fn is_mobile_signature(line: &str) -> bool {
    let lower = line.trim().to_lowercase();
    lower.len() <= 60
        && [
            "sent from my ",
            "get outlook for ",
            "sent from outlook",
            "sent from yahoo mail",
            "sent from mail for windows",
        ]
        .iter()
        .any(|head| lower.starts_with(head))
}

/// Why an e-mail note looks undecoded, if it does: HTML, raw MIME, base64 or quoted-printable.
pub(super) fn undecoded(note: &str) -> Option<&'static str> {
    let lower = note.to_lowercase();
    if ["<html", "<body", "<div", "<!doctype"]
        .iter()
        .any(|tag| lower.contains(tag))
    {
        return Some("the e-mail is HTML: send it again as plain text");
    }
    if lower
        .lines()
        .any(|l| l.starts_with("content-type:") || l.starts_with("content-transfer-encoding:"))
    {
        return Some("the e-mail's parts could not be read (its MIME is malformed): send it again as plain text");
    }
    let base64 = |l: &str| {
        l.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
    };
    if note.lines().any(|l| l.len() >= 40) && note.lines().all(base64) {
        return Some("the e-mail is still base64-encoded: send it again as plain text");
    }
    let soft_breaks = note.lines().filter(|l| l.len() > 1 && l.ends_with('=')).count();
    let escapes = note
        .as_bytes()
        .windows(3)
        .filter(|w| w[0] == b'=' && is_upper_hex(w[1]) && is_upper_hex(w[2]))
        .count();
    if soft_breaks >= 2 || escapes >= 3 {
        return Some("the e-mail is still quoted-printable-encoded: send it again as plain text");
    }
    None
}

fn is_upper_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'A'..=b'F').contains(&b)
}
