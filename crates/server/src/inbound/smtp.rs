//! The built-in SMTP listener (the patent's "scripted inbox"): a small RFC 5321 server on
//! tokio for EHLO/HELO, MAIL FROM, RCPT TO, DATA, RSET, NOOP, VRFY and QUIT, with limits on
//! line length, recipients, message size, sessions and idle time. Written here rather than
//! taken from a crate: the maintained servers (`mailin-embedded`, `samotop`) bring their own
//! threads or runtimes and TLS stacks, and a receive-only inbox needs a few states.
//!
//! Each accepted message is read as MIME, its reply applied, and the SMTP answer carries the
//! outcome so the sender's mail client shows it: 250 recorded, 550 refused (a stranger or an
//! unknown record), 554 unreadable, 451 try again. The confirmation is also mailed back when a
//! relay is configured.

use super::apply::RefusalKind;
use super::{email, mime};
use crate::http::AppState;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// Longest command line (RFC 5321 §4.5.3.1.4: 512 octets with CRLF).
const MAX_COMMAND_LINE: usize = 512;
/// Longest text line of a message (RFC 5321 §4.5.3.1.6: 1000 octets with CRLF).
const MAX_TEXT_LINE: usize = 1000;
/// Most recipients of one message.
const MAX_RECIPIENTS: usize = 100;
/// Most sessions at once; more wait for a free one.
const MAX_SESSIONS: usize = 64;
/// Longest wait for the client's next line.
const IDLE: Duration = Duration::from_secs(120);
/// Errors after which a session is closed.
const MAX_ERRORS: u32 = 10;

/// Serves SMTP on `listener` until the task is dropped.
pub async fn serve_smtp(listener: TcpListener, state: AppState) {
    let sessions = Arc::new(Semaphore::new(MAX_SESSIONS));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, "SMTP accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = sessions.clone().acquire_owned().await else {
            return;
        };
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(e) = session(stream, &state).await {
                tracing::debug!(%peer, error = %e, "SMTP session ended");
            }
            drop(permit);
        });
    }
}

/// A line as read: its bytes without CRLF, or too long (the rest was skipped).
enum Line {
    Text(Vec<u8>),
    TooLong,
}

/// Reads one line of at most `max` bytes (CRLF included), skipping the rest of a longer one.
/// `None` at the end of the stream or after the idle time.
async fn read_line<R: AsyncRead + Unpin>(reader: &mut BufReader<R>, max: usize) -> std::io::Result<Option<Line>> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let mut chunk = Vec::new();
        let limit = (max + 1).saturating_sub(line.len()).max(1) as u64;
        let read = tokio::time::timeout(IDLE, (&mut *reader).take(limit).read_until(b'\n', &mut chunk)).await;
        let n = match read {
            Ok(result) => result?,
            Err(_) => return Ok(None),
        };
        if n == 0 {
            return Ok(None);
        }
        let ended = chunk.ends_with(b"\n");
        if !too_long {
            line.extend_from_slice(&chunk);
            if line.len() > max {
                too_long = true;
                line.clear();
            }
        }
        if ended {
            break;
        }
    }
    if too_long {
        return Ok(Some(Line::TooLong));
    }
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    Ok(Some(Line::Text(line)))
}

async fn session(stream: TcpStream, state: &AppState) -> std::io::Result<()> {
    let max = state.inbound.max_message_bytes;
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    write.write_all(b"220 leadline ESMTP ready\r\n").await?;
    let (mut greeted, mut from, mut recipients, mut errors) = (false, None::<String>, 0usize, 0u32);
    loop {
        let line = match read_line(&mut reader, MAX_COMMAND_LINE).await? {
            None => return Ok(()),
            Some(Line::TooLong) => {
                write.write_all(b"500 5.5.2 line too long\r\n").await?;
                errors += 1;
                continue;
            }
            Some(Line::Text(line)) => String::from_utf8_lossy(&line).into_owned(),
        };
        let (verb, argument) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let answer: String = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                greeted = true;
                (from, recipients) = (None, 0);
                format!("250-leadline\r\n250-SIZE {max}\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES")
            }
            "HELO" => {
                greeted = true;
                (from, recipients) = (None, 0);
                "250 leadline".into()
            }
            "MAIL" if !greeted => "503 5.5.1 say EHLO first".into(),
            "MAIL" => match mail_from(argument, max) {
                Ok(sender) => {
                    (from, recipients) = (Some(sender), 0);
                    "250 2.1.0 OK".into()
                }
                Err(answer) => answer,
            },
            "RCPT" if from.is_none() => "503 5.5.1 MAIL FROM first".into(),
            "RCPT" if recipients >= MAX_RECIPIENTS => "452 4.5.3 too many recipients".into(),
            "RCPT" if !argument.to_ascii_uppercase().starts_with("TO:") => "501 5.5.4 RCPT TO:<address>".into(),
            "RCPT" => {
                recipients += 1;
                "250 2.1.5 OK".into()
            }
            "DATA" if recipients == 0 => "503 5.5.1 RCPT TO first".into(),
            "DATA" => {
                write
                    .write_all(b"354 end the message with a line holding only .\r\n")
                    .await?;
                let Some(message) = read_data(&mut reader, max).await? else {
                    return Ok(());
                };
                (from, recipients) = (None, 0);
                match message {
                    Ok(raw) => deliver(state, &raw, max).await,
                    Err(why) => why,
                }
            }
            "RSET" => {
                (from, recipients) = (None, 0);
                "250 2.0.0 OK".into()
            }
            "NOOP" => "250 2.0.0 OK".into(),
            "VRFY" => "252 2.1.5 cannot verify, send the message".into(),
            "QUIT" => {
                write.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            _ => {
                errors += 1;
                "500 5.5.1 unknown command".into()
            }
        };
        if answer.starts_with('5') && !answer.starts_with("55") {
            errors += 1;
        }
        write.write_all(answer.as_bytes()).await?;
        write.write_all(b"\r\n").await?;
        if errors >= MAX_ERRORS {
            write.write_all(b"421 4.7.0 too many errors\r\n").await?;
            return Ok(());
        }
    }
}

/// `MAIL FROM:<address> [SIZE=n]`: the reverse path, or the error answer.
fn mail_from(argument: &str, max: usize) -> Result<String, String> {
    let upper = argument.to_ascii_uppercase();
    if !upper.starts_with("FROM:") {
        return Err("501 5.5.4 MAIL FROM:<address>".into());
    }
    let rest = argument[5..].trim();
    let (path, params) = rest.split_once(' ').unwrap_or((rest, ""));
    for param in params.split_whitespace() {
        if let Some(size) = param.to_ascii_uppercase().strip_prefix("SIZE=")
            && size.parse::<usize>().is_ok_and(|size| size > max)
        {
            return Err(format!("552 5.3.4 the message is larger than {max} bytes"));
        }
    }
    Ok(path.trim_matches(['<', '>']).to_owned())
}

/// The message after DATA up to the lone `.`, dot-unstuffed; `Err(answer)` when it is too
/// large or has an overlong line (read to its end all the same). `None`: the client left.
async fn read_data<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
    max: usize,
) -> std::io::Result<Option<Result<Vec<u8>, String>>> {
    let (mut raw, mut problem) = (Vec::new(), None);
    loop {
        let line = match read_line(reader, MAX_TEXT_LINE).await? {
            None => return Ok(None),
            Some(Line::TooLong) => {
                problem.get_or_insert_with(|| format!("554 5.6.0 a line is longer than {MAX_TEXT_LINE} bytes"));
                continue;
            }
            Some(Line::Text(line)) => line,
        };
        if line == b"." {
            break;
        }
        let line = line.strip_prefix(b".").unwrap_or(&line);
        if raw.len() + line.len() + 2 > max {
            problem.get_or_insert_with(|| format!("552 5.3.4 the message is larger than {max} bytes"));
            continue;
        }
        raw.extend_from_slice(line);
        raw.extend_from_slice(b"\r\n");
    }
    Ok(Some(match problem {
        Some(answer) => Err(answer),
        None => Ok(raw),
    }))
}

/// Reads and applies one message; the SMTP answer says what happened.
async fn deliver(state: &AppState, raw: &[u8], max: usize) -> String {
    let incoming = match mime::read(raw, max) {
        Ok(incoming) => incoming,
        Err(why) => return format!("554 5.6.0 {}", one_line(&why)),
    };
    match email::handle(state, &incoming).await {
        Ok(text) => format!("250 2.0.0 {}", one_line(&text)),
        Err(refusal) => {
            let code = match refusal.kind {
                RefusalKind::NotOperator => "550 5.7.1",
                RefusalKind::Unknown => "550 5.1.1",
                RefusalKind::Invalid => "554 5.6.0",
                RefusalKind::Internal => "451 4.3.0",
            };
            format!("{code} {}", one_line(&refusal.reason))
        }
    }
}

/// Text fit for one SMTP reply line.
fn one_line(text: &str) -> String {
    let flat: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    flat.chars().take(400).collect()
}
