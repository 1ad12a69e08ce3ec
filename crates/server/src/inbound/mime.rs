//! Whole MIME messages (SendGrid's raw mode, the SMTP listener) read into what a reply needs:
//! the sender, the subject, the text (the text/plain part, else the HTML part as text, decoded
//! from quoted-printable or base64 and from its charset) and the message id. `mail-parser`
//! does the decoding; the checks here refuse what is not a usable message, saying why.

use mail_parser::{MessageParser, MimeHeaders};

/// An e-mail as the reply parser needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// The sender's bare address (`ann@example.com`).
    pub from: String,
    pub subject: String,
    /// The decoded text.
    pub body: String,
    /// `<id@host>`, when the message had one.
    pub message_id: Option<String>,
}

/// Reads a whole message of at most `max_bytes`; the error says what is wrong with it.
pub fn read(raw: &[u8], max_bytes: usize) -> Result<Incoming, String> {
    if raw.len() > max_bytes {
        return Err(format!("the message is larger than {max_bytes} bytes"));
    }
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err("the message is empty".into());
    }
    if !has_header_block(raw) {
        return Err("malformed message: it does not start with header lines (Name: value)".into());
    }
    let message = MessageParser::default()
        .parse(raw)
        .ok_or("malformed message: it could not be read as MIME")?;
    let from = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(str::trim)
        .filter(|a| a.contains('@'))
        .ok_or("malformed message: it has no From address")?
        .to_owned();
    if let Some(ctype) = message.content_type()
        && ctype.ctype().eq_ignore_ascii_case("multipart")
    {
        if ctype.attribute("boundary").is_none_or(str::is_empty) {
            return Err("malformed MIME: a multipart message without a boundary".into());
        }
        if message.parts.len() < 2 {
            return Err("malformed MIME: the multipart message has no parts (its boundary never appears)".into());
        }
    }
    let body = message
        .body_text(0)
        .map(|text| text.into_owned())
        .ok_or("the message has no text: send the reply as plain text")?;
    Ok(Incoming {
        from,
        subject: message.subject().unwrap_or("").to_owned(),
        body,
        message_id: message.message_id().map(|id| format!("<{id}>")),
    })
}

/// Whether the first line is a header field (`Name: value`, the name printable ASCII).
fn has_header_block(raw: &[u8]) -> bool {
    let first = raw.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let Some(colon) = first.iter().position(|b| *b == b':') else {
        return false;
    };
    colon > 0 && first[..colon].iter().all(|b| b.is_ascii_graphic() && *b != b':')
}

/// The bare address of a `From` value as SendGrid or Mailgun post it
/// (`"Ann Operator" <ann@example.com>` or `ann@example.com`).
pub fn bare_address(from: &str) -> Option<String> {
    let from = from.trim();
    let address = match (from.rfind('<'), from.rfind('>')) {
        (Some(open), Some(close)) if open < close => &from[open + 1..close],
        _ => from,
    };
    let address = address.trim();
    (address.contains('@') && !address.contains(char::is_whitespace)).then(|| address.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_printable_latin1_is_decoded() {
        let raw = b"From: Ann <ann@example.com>\r\nSubject: Re: Call 1042\r\nMessage-ID: <a@b>\r\n\
            Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
            Caf=E9 au lait, tr=E8s bien\r\n";
        let read = read(raw, 10_000).unwrap();
        assert_eq!(read.from, "ann@example.com");
        assert_eq!(read.subject, "Re: Call 1042");
        assert_eq!(read.body.trim(), "Café au lait, très bien");
        assert_eq!(read.message_id.as_deref(), Some("<a@b>"));
    }

    #[test]
    fn html_only_becomes_text() {
        let raw =
            b"From: ann@example.com\r\nSubject: 1042\r\nContent-Type: text/html\r\n\r\n<p>Wants <b>blue</b> velvet</p>";
        assert!(read(raw, 10_000).unwrap().body.contains("Wants blue velvet"));
    }

    #[test]
    fn malformed_messages_are_refused_saying_why() {
        assert!(read(b"just some words\r\n", 10_000).unwrap_err().contains("header"));
        assert!(read(b"Subject: x\r\n\r\nhello", 10_000).unwrap_err().contains("From"));
        let no_parts = b"From: ann@example.com\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\nno parts here";
        assert!(read(no_parts, 10_000).unwrap_err().contains("MIME"));
        assert!(read(&[b'a'; 2000], 1024).unwrap_err().contains("larger"));
    }

    #[test]
    fn bare_addresses() {
        assert_eq!(
            bare_address("\"Ann O\" <Ann@Example.com>").as_deref(),
            Some("Ann@Example.com")
        );
        assert_eq!(bare_address(" ann@example.com ").as_deref(), Some("ann@example.com"));
        assert_eq!(bare_address("nobody"), None);
    }
}
