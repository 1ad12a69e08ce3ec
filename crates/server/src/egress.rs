//! Outbound HTTP to the URLs Leadline is given (integrations' targets, the provider's API):
//! one client builder for all of them, so that none follows a redirect (a target cannot send
//! a signed body or a secret in the URL to another host, nor get a `Referer`) and none reaches
//! inside the network Leadline runs in. Host names are resolved by [`PublicResolver`], which
//! keeps only the addresses [`may_connect`] allows, and the connection is made to one of
//! those very addresses (no second lookup to rebind); the address of every connection is then
//! checked again by [`PeerCheck`], which also covers URLs that give an address literally
//! (they are not resolved). Loopback is open to URLs that name this machine (`localhost`,
//! `127.0.0.1`) only where the install allows it ([`Reach`], `outbound_loopback`: local relays
//! and the fakes tests run against); otherwise a URL a business types in (a webhook, a page to
//! check) could reach the services listening on the server itself.

use axum::http::Extensions;
use hyper_util::client::legacy::connect::{Connection, HttpInfo};
use leadline_core::net::{Reach, may_connect};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::error::Error;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use url::Url;

type BoxError = Box<dyn Error + Send + Sync>;

/// Why a request was not made, or not followed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The target answered with a redirect (shown without its path and query, which may hold
    /// a secret).
    #[error("redirect to {0} not followed")]
    Redirect(String),
    /// Every address a host name resolves to is this machine's or a private network's.
    #[error("{host} resolves to {addresses}, which is not a public address: not connected")]
    Resolved { host: String, addresses: String },
    /// The connection was to an address that is not public (an address given in the URL).
    #[error("{0} is not a public address: not connected")]
    Address(IpAddr),
    /// The connection does not say which address it reached (never expected).
    #[error("the address of the connection is unknown: not used")]
    Unknown,
}

/// The HTTP client for outbound deliveries and the provider's API: rustls, `timeout` per
/// request, no redirects, no `Referer`, no proxy from the environment (the address checks are
/// made on the connection itself), Leadline's user agent; it reaches what `reach` allows.
pub fn client(timeout: Duration, reach: Reach) -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(concat!("Leadline/", env!("CARGO_PKG_VERSION")))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            let to = shown(attempt.url());
            attempt.error(Refused::Redirect(to))
        }))
        .referer(false)
        .no_proxy()
        .dns_resolver(Arc::new(PublicResolver(reach)))
        .connector_layer(PeerCheck(reach))
        .build()
        .expect("a client with rustls and a resolver builds")
}

/// The refusal behind a failed request, when it was one.
pub fn refusal<'a>(error: &'a (dyn Error + 'static)) -> Option<&'a Refused> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(refused) = error.downcast_ref::<Refused>() {
            return Some(refused);
        }
        // An `io::Error` answers its inner error's source, skipping the inner error itself.
        let inner = error.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref());
        if let Some(refused) = inner.and_then(|inner| inner.downcast_ref::<Refused>()) {
            return Some(refused);
        }
        current = error.source();
    }
    None
}

/// A URL as recorded in a failure: its origin, with `/…` when it has a path or query.
fn shown(url: &Url) -> String {
    let origin = url.origin().ascii_serialization();
    if url.path().trim_matches('/').is_empty() && url.query().is_none() {
        origin
    } else {
        format!("{origin}/…")
    }
}

/// The system resolver, keeping only the addresses [`may_connect`] allows for the name.
pub struct PublicResolver(pub Reach);

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let reach = self.0;
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let (allowed, refused): (Vec<SocketAddr>, Vec<SocketAddr>) = found
                .into_iter()
                .partition(|addr| may_connect(Some(&host), addr.ip(), reach));
            if allowed.is_empty() && !refused.is_empty() {
                let addresses = refused
                    .iter()
                    .map(|a| a.ip().to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(Box::new(Refused::Resolved { host, addresses }) as BoxError);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// A connector layer that refuses a connection whose peer [`may_connect`] does not allow.
#[derive(Clone, Copy)]
pub struct PeerCheck(pub Reach);

impl<S> tower::Layer<S> for PeerCheck {
    type Service = Checked<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Checked(inner, self.0)
    }
}

/// The connector under [`PeerCheck`].
#[derive(Clone)]
pub struct Checked<S>(S, Reach);

impl<S, R> tower::Service<R> for Checked<S>
where
    S: tower::Service<R>,
    S::Response: Connection + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.0.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, destination: R) -> Self::Future {
        let connecting = self.0.call(destination);
        let reach = self.1;
        Box::pin(async move {
            let connection = connecting.await.map_err(Into::into)?;
            let mut extras = Extensions::new();
            connection.connected().get_extras(&mut extras);
            match extras.get::<HttpInfo>().map(|info| info.remote_addr().ip()) {
                Some(ip) if may_connect(None, ip, reach) => Ok(connection),
                Some(ip) => Err(Box::new(Refused::Address(ip.to_canonical())) as BoxError),
                None => Err(Box::new(Refused::Unknown) as BoxError),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_target_is_recorded_without_its_path_or_query() {
        let shown_as = |url: &str| shown(&Url::parse(url).unwrap());
        assert_eq!(
            shown_as("https://www.google-analytics.com/mp/collect?api_secret=s3cret"),
            "https://www.google-analytics.com/…"
        );
        assert_eq!(shown_as("http://127.0.0.1:9000/"), "http://127.0.0.1:9000");
    }

    #[tokio::test]
    async fn localhost_resolves_to_this_machine() {
        let found: Vec<SocketAddr> = PublicResolver(Reach::PublicAndLoopback)
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(
            !found.is_empty() && found.iter().all(|a| a.ip().is_loopback()),
            "{found:?}"
        );
    }

    #[tokio::test]
    async fn localhost_is_refused_when_only_public_addresses_are_allowed() {
        let refused = PublicResolver(Reach::Public)
            .resolve("localhost".parse().unwrap())
            .await
            .err()
            .expect("refused");
        assert!(
            matches!(refused.downcast_ref::<Refused>(), Some(Refused::Resolved { .. })),
            "{refused}"
        );
    }

    #[tokio::test]
    async fn a_literal_loopback_address_is_not_connected_when_only_public_addresses_are_allowed() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let error = client(Duration::from_secs(5), Reach::Public)
            .get(&url)
            .send()
            .await
            .expect_err("refused");
        assert_eq!(
            refusal(&error),
            Some(&Refused::Address("127.0.0.1".parse().unwrap())),
            "{error}"
        );
    }

    #[test]
    fn a_refusal_is_found_behind_the_errors_that_carry_it() {
        let inner: BoxError = Box::new(Refused::Address("10.0.0.5".parse().unwrap()));
        let outer = std::io::Error::other(inner);
        assert_eq!(refusal(&outer), Some(&Refused::Address("10.0.0.5".parse().unwrap())));
        assert_eq!(refusal(&std::io::Error::other("refused")), None);
    }
}
