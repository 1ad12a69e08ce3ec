//! The checks every integration's settings share, whatever the kind: a value given or not,
//! a secret, a URL, an endpoint, a single word. `target` and `ad_target` both use them.

use leadline_core::Invalid;
use leadline_core::net::is_loopback;
use url::Url;

/// `value` unless it is missing or blank.
pub(crate) fn given(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// A secret: one line of at most 4096 characters without spaces.
pub fn secret_of(what: &'static str, input: &str) -> Result<String, Invalid> {
    let secret = input.trim();
    if secret.is_empty() {
        return Err(Invalid::new(what, "it is empty"));
    }
    if secret.len() > 4096 || secret.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Invalid::new(
            what,
            "it must be one line of at most 4096 characters without spaces",
        ));
    }
    Ok(secret.to_owned())
}

/// An http(s) URL with a host; plain http only to this machine (a test receiver, a local
/// relay), as the data goes over the network otherwise.
pub(crate) fn http_url(what: &'static str, input: &str) -> Result<Url, Invalid> {
    let input = input.trim();
    let url = Url::parse(input).map_err(|e| Invalid::new(what, format!("'{input}' is not a URL: {e}")))?;
    if url.host().is_none() {
        return Err(Invalid::new(what, format!("'{input}' has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Invalid::new(what, "it must not carry a user name or password"));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(Invalid::new(
            what,
            format!("'{input}' is plain http: use https (http is allowed only on this machine)"),
        )),
        other => Err(Invalid::new(what, format!("'{other}:' is not http or https"))),
    }
}

/// An API base URL: checked like any URL, without its trailing slash, and without a query
/// or fragment (paths are appended to it).
pub(crate) fn endpoint_of(what: &'static str, input: &str) -> Result<String, Invalid> {
    let url = http_url(what, input)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Invalid::new(what, "it must not have a query or fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// A non-empty value without spaces or control characters, at most 255 characters.
pub(crate) fn single_word(what: &'static str, input: &str) -> Result<String, Invalid> {
    let value = input.trim();
    if value.is_empty() {
        return Err(Invalid::new(what, "it is empty"));
    }
    if value.len() > 255 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Invalid::new(what, "it must be at most 255 characters without spaces"));
    }
    Ok(value.to_owned())
}
