//! The built-in SMTP listener (the patent's "scripted inbox"): a small RFC 5321 server on
//! tokio for EHLO/HELO, MAIL FROM, RCPT TO, DATA, RSET, NOOP, VRFY and QUIT, STARTTLS
//! (RFC 3207) and AUTH PLAIN or LOGIN (RFC 4954, only once encrypted), with limits on
//! line length, recipients, message size, sessions (in all and per client address), idle time
//! and session length. Written here rather than taken from a crate: the maintained servers
//! (`mailin-embedded`, `samotop`) bring their own threads or runtimes and TLS stacks, and a
//! receive-only inbox needs a few states.
//!
//! Each accepted message is read as MIME, its reply applied, and the SMTP answer says whether
//! it was recorded: 250 recorded, 451 try again, 554 unreadable, and one and the same 550 for
//! every refusal, whoever sent it, so that a stranger cannot learn which addresses are
//! operators' from the answers. Why a reply was refused is mailed back when a relay is
//! configured, to the sender's address (where only its owner reads it).

use super::authenticity::Evidence;
use super::smtp_tls::{Stream, login_text, plain_credentials};
use super::{email, mime};
use crate::app::AppState;
use crate::app::replies::RefusalKind;
use crate::sender_auth;
use crate::slots::{Full, Slot, Slots};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Longest command line (RFC 5321 §4.5.3.1.4: 512 octets with CRLF).
const MAX_COMMAND_LINE: usize = 512;
/// Longest text line of a message (RFC 5321 §4.5.3.1.6: 1000 octets with CRLF).
const MAX_TEXT_LINE: usize = 1000;
/// Most recipients of one message.
const MAX_RECIPIENTS: usize = 100;
/// Most sessions at once; a client beyond them is answered 421 at once.
pub const MAX_SESSIONS: usize = 64;
/// The longest a session may last, however busy: a client that sends a line just before each
/// idle timeout cannot keep a slot for ever. A reply is a few kilobytes, sent in seconds.
const MAX_SESSION: Duration = Duration::from_secs(600);
/// Errors after which a session is closed.
const MAX_ERRORS: u32 = 10;

/// Serves SMTP on `listener` until the task is dropped.
pub async fn serve_smtp(listener: TcpListener, state: AppState) {
    serve_smtp_until(listener, state, CancellationToken::new()).await;
}

/// Serves SMTP on `listener` until `stop`: no new session is taken after it; sessions in
/// progress end by their own time limits.
pub async fn serve_smtp_until(listener: TcpListener, state: AppState, stop: CancellationToken) {
    let slots = Slots::new(MAX_SESSIONS, state.inbound.smtp_sessions_per_address);
    loop {
        let accepted = tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, "SMTP accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        match slots.take(peer.ip()) {
            Ok(slot) => {
                let state = state.clone();
                tokio::spawn(async move {
                    if let Err(e) = session(stream, &state, slot).await {
                        tracing::debug!(%peer, error = %e, "SMTP session ended");
                    }
                });
            }
            Err(full) => {
                tracing::info!(%peer, ?full, "SMTP: no session slot, client turned away");
                turn_away(&stream, full);
            }
        }
    }
}

/// Tells a client there is no slot for it; the connection closes as `stream` is dropped. A
/// fresh connection's send buffer takes the line at once, so the accept loop never waits.
fn turn_away(stream: &TcpStream, full: Full) {
    let line: &[u8] = match full {
        Full::Listener => b"421 4.3.2 leadline is busy, try again later\r\n",
        Full::Address => b"421 4.7.0 too many sessions from your address, try again later\r\n",
    };
    let _ = stream.try_write(line);
}

/// A line as read: its bytes without CRLF, or too long (the rest was skipped).
enum Line {
    Text(Vec<u8>),
    TooLong,
}

/// Reads one line of at most `max` bytes (CRLF included), skipping the rest of a longer one.
/// `None` at the end of the stream.
async fn read_line<R: AsyncRead + Unpin>(reader: &mut BufReader<R>, max: usize) -> std::io::Result<Option<Line>> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let mut chunk = Vec::new();
        let limit = (max + 1).saturating_sub(line.len()).max(1) as u64;
        if (&mut *reader).take(limit).read_until(b'\n', &mut chunk).await? == 0 {
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

/// A client's connection: each line must arrive, and each reply be taken, within the idle
/// time, and the whole session end within [`MAX_SESSION`].
struct Conn {
    /// First, so that the slot is free again before the client sees the connection close.
    _slot: Slot,
    reader: BufReader<Stream>,
    idle: Duration,
    ends: Instant,
}

impl Conn {
    fn new(stream: TcpStream, slot: Slot, idle: Duration) -> Self {
        Self {
            _slot: slot,
            reader: BufReader::new(Stream::Plain(stream)),
            idle,
            ends: Instant::now() + MAX_SESSION,
        }
    }

    fn encrypted(&self) -> bool {
        matches!(self.reader.get_ref(), Stream::Tls(_))
    }

    /// Turns the plain connection into TLS. Whatever the client sent after STARTTLS is
    /// dropped with the buffer (RFC 3207 §4.2: nothing said in clear carries over).
    async fn start_tls(&mut self, acceptor: &tokio_rustls::TlsAcceptor) -> std::io::Result<()> {
        let plain = std::mem::replace(&mut self.reader, BufReader::new(Stream::Switching)).into_inner();
        let Stream::Plain(tcp) = plain else {
            return Err(std::io::ErrorKind::InvalidInput.into());
        };
        let tls = tokio::time::timeout_at(self.deadline(), acceptor.accept(tcp))
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
        self.reader = BufReader::new(Stream::Tls(Box::new(tls)));
        Ok(())
    }

    fn deadline(&self) -> Instant {
        (Instant::now() + self.idle).min(self.ends)
    }

    /// The next line; `None` when the client left or was too slow (it is told so with 421).
    async fn next_line(&mut self, max: usize) -> std::io::Result<Option<Line>> {
        match tokio::time::timeout_at(self.deadline(), read_line(&mut self.reader, max)).await {
            Ok(line) => line,
            Err(_) => {
                let why = if Instant::now() >= self.ends {
                    "421 4.4.2 session too long, closing".to_owned()
                } else {
                    format!(
                        "421 4.4.2 nothing received for {} seconds, closing",
                        self.idle.as_secs()
                    )
                };
                self.reply(&why).await?;
                Ok(None)
            }
        }
    }

    /// Sends one reply (CRLF added); a client that does not take it in time is dropped.
    async fn reply(&mut self, text: &str) -> std::io::Result<()> {
        let bytes = format!("{text}\r\n");
        let deadline = self.deadline();
        let writer = self.reader.get_mut();
        let written = async {
            writer.write_all(bytes.as_bytes()).await?;
            writer.flush().await
        };
        tokio::time::timeout_at(deadline, written)
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))?
    }
}

/// Where a session stands: greeted (and the name the client gave), authenticated, the
/// message's sender and recipients.
#[derive(Default)]
struct Envelope {
    greeted: bool,
    helo: String,
    authenticated: bool,
    from: Option<String>,
    recipients: usize,
}

impl Envelope {
    /// A new message (EHLO, RSET, after DATA): the greeting and the authentication stay.
    fn reset(&mut self) {
        (self.from, self.recipients) = (None, 0);
    }
}

async fn session(stream: TcpStream, state: &AppState, slot: Slot) -> std::io::Result<()> {
    let max = state.inbound.max_message_bytes;
    let peer = stream.peer_addr()?.ip();
    let security = &state.inbound.smtp_security;
    let mut conn = Conn::new(stream, slot, state.inbound.smtp_idle);
    conn.reply("220 leadline ESMTP ready").await?;
    let (mut at, mut errors) = (Envelope::default(), 0u32);
    loop {
        let line = match conn.next_line(MAX_COMMAND_LINE).await? {
            None => return Ok(()),
            Some(Line::TooLong) => {
                conn.reply("500 5.5.2 line too long").await?;
                errors += 1;
                continue;
            }
            Some(Line::Text(line)) => String::from_utf8_lossy(&line).into_owned(),
        };
        let (verb, argument) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let answer: String = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                (at.greeted, at.helo) = (true, argument.trim().to_owned());
                at.reset();
                extensions(state, conn.encrypted())
            }
            "HELO" => {
                (at.greeted, at.helo) = (true, argument.trim().to_owned());
                at.reset();
                "250 leadline".into()
            }
            "STARTTLS" => match &security.tls {
                None => "502 5.5.1 STARTTLS is not offered".into(),
                Some(_) if conn.encrypted() => "503 5.5.1 already encrypted".into(),
                Some(acceptor) => {
                    conn.reply("220 2.0.0 ready to start TLS").await?;
                    conn.start_tls(acceptor).await?;
                    // RFC 3207 §4.2: the client starts over, with EHLO.
                    at = Envelope::default();
                    continue;
                }
            },
            "AUTH" if !security.offers_auth() => "502 5.5.1 AUTH is not offered".into(),
            "AUTH" if !conn.encrypted() => "538 5.7.11 encryption required: say STARTTLS first".into(),
            "AUTH" if at.authenticated => "503 5.5.1 already authenticated".into(),
            "AUTH" if !at.greeted => "503 5.5.1 say EHLO first".into(),
            "AUTH" => match authenticate(&mut conn, security, argument).await? {
                Some(true) => {
                    at.authenticated = true;
                    "235 2.7.0 authentication successful".into()
                }
                Some(false) => "535 5.7.8 authentication credentials invalid".into(),
                None => return Ok(()),
            },
            "MAIL" if !at.greeted => "503 5.5.1 say EHLO first".into(),
            "MAIL" if security.require_auth && !at.authenticated => "530 5.7.0 authentication required".into(),
            "MAIL" => match mail_from(argument, max) {
                Ok(sender) => {
                    (at.from, at.recipients) = (Some(sender), 0);
                    "250 2.1.0 OK".into()
                }
                Err(answer) => answer,
            },
            "RCPT" if at.from.is_none() => "503 5.5.1 MAIL FROM first".into(),
            "RCPT" if at.recipients >= MAX_RECIPIENTS => "452 4.5.3 too many recipients".into(),
            "RCPT" if !argument.to_ascii_uppercase().starts_with("TO:") => "501 5.5.4 RCPT TO:<address>".into(),
            "RCPT" => {
                at.recipients += 1;
                "250 2.1.5 OK".into()
            }
            "DATA" if at.recipients == 0 => "503 5.5.1 RCPT TO first".into(),
            "DATA" => {
                conn.reply("354 end the message with a line holding only .").await?;
                let Some(message) = read_data(&mut conn, max).await? else {
                    return Ok(());
                };
                let envelope = sender_auth::Envelope {
                    peer,
                    helo: at.helo.clone(),
                    mail_from: at.from.clone().unwrap_or_default(),
                };
                at.reset();
                match message {
                    Ok(raw) => deliver(state, &raw, max, &envelope).await,
                    Err(why) => why,
                }
            }
            "RSET" => {
                at.reset();
                "250 2.0.0 OK".into()
            }
            "NOOP" => "250 2.0.0 OK".into(),
            "VRFY" => "252 2.1.5 cannot verify, send the message".into(),
            "QUIT" => {
                conn.reply("221 2.0.0 bye").await?;
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
        conn.reply(&answer).await?;
        if errors >= MAX_ERRORS {
            conn.reply("421 4.7.0 too many errors").await?;
            return Ok(());
        }
    }
}

/// The EHLO answer: STARTTLS while the session is plain and a certificate is configured,
/// AUTH once it is encrypted and credentials are.
fn extensions(state: &AppState, encrypted: bool) -> String {
    let security = &state.inbound.smtp_security;
    let mut lines = vec![
        "leadline".to_owned(),
        format!("SIZE {}", state.inbound.max_message_bytes),
        "8BITMIME".to_owned(),
    ];
    if security.tls.is_some() && !encrypted {
        lines.push("STARTTLS".into());
    }
    if security.offers_auth() && encrypted {
        lines.push("AUTH PLAIN LOGIN".into());
    }
    lines.push("ENHANCEDSTATUSCODES".into());
    let last = lines.len() - 1;
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| format!("250{}{line}", if i == last { ' ' } else { '-' }))
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// Runs `AUTH PLAIN [response]` or `AUTH LOGIN`: whether the credentials are the configured
/// ones; `None` when the client left. A `*` line cancels (RFC 4954), as a refusal.
async fn authenticate(
    conn: &mut Conn,
    security: &crate::smtp_security::SmtpSecurity,
    argument: &str,
) -> std::io::Result<Option<bool>> {
    let (mechanism, initial) = argument.split_once(' ').unwrap_or((argument, ""));
    let ask = async |conn: &mut Conn, prompt: &str| -> std::io::Result<Option<String>> {
        conn.reply(prompt).await?;
        Ok(match conn.next_line(MAX_COMMAND_LINE).await? {
            Some(Line::Text(line)) => Some(String::from_utf8_lossy(&line).into_owned()),
            Some(Line::TooLong) => Some("*".into()),
            None => None,
        })
    };
    let credentials = match mechanism.to_ascii_uppercase().as_str() {
        "PLAIN" => {
            let response = match initial.trim() {
                "" => match ask(conn, "334 ").await? {
                    Some(line) => line,
                    None => return Ok(None),
                },
                given => given.to_owned(),
            };
            plain_credentials(&response)
        }
        "LOGIN" => {
            let Some(user) = ask(conn, "334 VXNlcm5hbWU6").await? else {
                return Ok(None);
            };
            let Some(password) = ask(conn, "334 UGFzc3dvcmQ6").await? else {
                return Ok(None);
            };
            login_text(&user).zip(login_text(&password))
        }
        _ => None,
    };
    Ok(Some(
        credentials.is_some_and(|(user, password)| security.accepts(&user, &password)),
    ))
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
async fn read_data(conn: &mut Conn, max: usize) -> std::io::Result<Option<Result<Vec<u8>, String>>> {
    let (mut raw, mut problem) = (Vec::new(), None);
    loop {
        let line = match conn.next_line(MAX_TEXT_LINE).await? {
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
async fn deliver(state: &AppState, raw: &[u8], max: usize, envelope: &sender_auth::Envelope) -> String {
    let incoming = match mime::read(raw, max) {
        Ok(incoming) => incoming,
        Err(why) => return format!("554 5.6.0 {}", one_line(&why)),
    };
    match email::handle(state, &incoming, &Evidence::Smtp { raw, envelope }).await {
        Ok(text) => format!("250 2.0.0 {}", one_line(&text)),
        Err(refusal) if refusal.kind == RefusalKind::Internal => format!("451 4.3.0 {}", one_line(&refusal.reason)),
        Err(refusal) => {
            tracing::info!(kind = ?refusal.kind, reason = %refusal.reason, "SMTP: a reply was refused");
            refused(state).to_owned()
        }
    }
}

/// The one answer to a refused reply (from a stranger, an operator's unknown record or
/// unreadable command, or a message that failed the SPF/DKIM/DMARC its business requires):
/// the same code and text whoever sent it, or the answers would tell a stranger which
/// addresses are operators' (a distinct 5.7.26 for failed authentication would say "this
/// address is an operator's, and their business checks"). The reason goes to the sender's
/// address by mail, where only its owner reads it.
fn refused(state: &AppState) -> &'static str {
    if state.mailer.is_some() {
        "550 5.7.1 the reply was not recorded: the reason was mailed to the sender"
    } else {
        "550 5.7.1 the reply was not recorded"
    }
}

/// Text fit for one SMTP reply line.
fn one_line(text: &str) -> String {
    let flat: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    flat.chars().take(400).collect()
}
