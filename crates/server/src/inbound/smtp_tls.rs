//! The SMTP session's transport: plain TCP, or TLS once the client said STARTTLS (RFC 3207);
//! and the credentials of `AUTH PLAIN` (RFC 4616) as a client sends them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

/// A session's connection.
pub(super) enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    /// Between the plain connection and its TLS one: reads end, writes fail.
    Switching,
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Self::Switching => Poll::Ready(Ok(())),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Self::Switching => Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Self::Switching => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Self::Switching => Poll::Ready(Ok(())),
        }
    }
}

/// The user and password of an `AUTH PLAIN` response (base64 of
/// `authzid NUL user NUL password`); `None` when it is not one. An authorization identity
/// other than the user is refused: a relay acts as itself.
pub(super) fn plain_credentials(response: &str) -> Option<(String, String)> {
    let decoded = String::from_utf8(STANDARD.decode(response.trim()).ok()?).ok()?;
    let mut parts = decoded.split('\0');
    let (authzid, user, password) = (parts.next()?, parts.next()?, parts.next()?);
    let acting_as_itself = authzid.is_empty() || authzid == user;
    (parts.next().is_none() && acting_as_itself).then(|| (user.to_owned(), password.to_owned()))
}

/// A line of `AUTH LOGIN` (base64 text), decoded.
pub(super) fn login_text(response: &str) -> Option<String> {
    String::from_utf8(STANDARD.decode(response.trim()).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_credentials_are_read_as_rfc_4616_writes_them() {
        let encode = |s: &str| STANDARD.encode(s);
        assert_eq!(
            plain_credentials(&encode("\0relay\0s3cret")),
            Some(("relay".into(), "s3cret".into()))
        );
        assert_eq!(
            plain_credentials(&encode("relay\0relay\0s3cret")),
            Some(("relay".into(), "s3cret".into()))
        );
        assert_eq!(
            plain_credentials(&encode("admin\0relay\0s3cret")),
            None,
            "acting as another user"
        );
        assert_eq!(plain_credentials(&encode("relay\0s3cret")), None);
        assert_eq!(plain_credentials("not base64!"), None);
        assert_eq!(login_text(&encode("relay")).as_deref(), Some("relay"));
    }
}
