//! One harness for the local fakes of outside APIs (GA4, Matomo, Salesforce, HubSpot, the
//! telephony provider, webhook receivers): a router served on a port of its own, and every
//! request it gets recorded (method, path, query, headers, body, when it came and the status
//! it was answered with) for the test to read back. A fake is its router: handlers that check
//! a request as the real API would and answer as it would.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method};
use axum::middleware::{self, Next};
use axum::response::Response;
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request a fake received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub received_at: Instant,
    /// The status the fake answered (0 while it has not answered yet).
    pub status: u16,
}

impl Request {
    /// A header's value, when it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The bearer token of `Authorization`.
    pub fn bearer(&self) -> Option<&str> {
        self.header("authorization")?.strip_prefix("Bearer ")
    }

    /// The query's parameters (the last of a repeated one).
    pub fn query_map(&self) -> HashMap<String, String> {
        let query = self.query.as_deref().unwrap_or_default();
        form_urlencoded::parse(query.as_bytes()).into_owned().collect()
    }

    /// The body read as a form, fields in order.
    pub fn form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(&self.body).into_owned().collect()
    }

    /// The body read as JSON; `Null` when it is empty or not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// A response the harness records at once but sends only after this long: a slow API, that
/// made the change yet answers after the client gave up.
#[derive(Debug, Clone, Copy)]
pub struct Delay(pub Duration);

type Recorded = Arc<Mutex<Vec<Request>>>;

/// A fake API serving its router on a port of its own.
pub struct FakeApi {
    /// `http://<address>`.
    pub url: String,
    pub addr: SocketAddr,
    requests: Recorded,
}

impl FakeApi {
    /// Serves `router` on a free port of 127.0.0.1.
    pub async fn start(router: Router) -> Self {
        Self::bind("127.0.0.1:0", router).await
    }

    /// Serves `router` on `address` (`0.0.0.0:0`: every address of this machine).
    pub async fn bind(address: &str, router: Router) -> Self {
        let requests = Recorded::default();
        let app = Router::new()
            .fallback_service(router)
            .layer(middleware::from_fn_with_state(requests.clone(), record));
        let listener = tokio::net::TcpListener::bind(address).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url: format!("http://{addr}"),
            addr,
            requests,
        }
    }

    /// Every request so far, in the order they came.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// The requests with this method whose path ends with `suffix`.
    pub fn requests_to(&self, method: Method, suffix: &str) -> Vec<Request> {
        let all = self.requests.lock().unwrap();
        all.iter()
            .filter(|r| r.method == method && r.path.ends_with(suffix))
            .cloned()
            .collect()
    }
}

/// Records the request, has the fake answer it, records the status, then holds the answer
/// back for its [`Delay`], if it has one.
async fn record(State(requests): State<Recorded>, request: axum::extract::Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let index = {
        let mut all = requests.lock().unwrap();
        all.push(Request {
            method: parts.method.clone(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts.headers.clone(),
            body: body.clone(),
            received_at: Instant::now(),
            status: 0,
        });
        all.len() - 1
    };
    let response = next
        .run(axum::extract::Request::from_parts(parts, Body::from(body)))
        .await;
    requests.lock().unwrap()[index].status = response.status().as_u16();
    if let Some(Delay(delay)) = response.extensions().get::<Delay>().copied() {
        tokio::time::sleep(delay).await;
    }
    response
}
