//! The installation check: fetches a page of the site through `egress` (http(s) only, public
//! addresses only, no redirects followed, bounded in time and size) and says whether the
//! site's snippet tag is on it.

use crate::app::error::{AppError, AppResult};
use leadline_core::net::Reach;
use leadline_core::tenant::Site;
use std::time::Duration;
use url::Url;

/// How long the page may take to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How much of the page is read (the tag belongs in the `<head>`, near the top).
pub const MAX_BYTES: usize = 1024 * 1024;

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installation {
    /// The page carries a tag with the site's key.
    Found { url: String },
    /// The page answered without the tag (or with an error status).
    Missing { url: String, status: u16 },
    /// The page could not be fetched; the reason says why.
    Unreachable { url: String, reason: String },
}

/// The page to check: `given` when it is an http(s) URL on one of the site's domains, else
/// the site's first domain over https. `Invalid` for any other URL.
pub fn page_url(site: &Site, given: Option<&str>) -> AppResult<Url> {
    let text = match given.map(str::trim).filter(|g| !g.is_empty()) {
        Some(given) => given.to_owned(),
        None => {
            let first = site
                .domains
                .first()
                .ok_or_else(|| AppError::Invalid("the site has no domain".into()))?;
            format!("https://{first}/")
        }
    };
    let url = Url::parse(&text).map_err(|_| AppError::Invalid(format!("'{text}' is not a URL")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(AppError::Invalid("only http:// and https:// pages are checked".into()));
    }
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
    if !site.domains.iter().any(|d| d.as_str().eq_ignore_ascii_case(host)) {
        return Err(AppError::Invalid(format!("{host} is not one of the site's domains")));
    }
    Ok(url)
}

/// Fetches `url` and looks for the site's tag.
pub async fn check(site: &Site, url: Url, reach: Reach) -> Installation {
    let shown = url.to_string();
    let client = crate::egress::client(TIMEOUT, reach);
    let unreachable = |reason: String| Installation::Unreachable {
        url: shown.clone(),
        reason,
    };
    let mut response = match client.get(url).send().await {
        Ok(response) => response,
        Err(e) => return unreachable(reason(&e)),
    };
    let status = response.status().as_u16();
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk);
                if body.len() >= MAX_BYTES {
                    body.truncate(MAX_BYTES);
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => return unreachable(reason(&e)),
        }
    }
    if response.status().is_success() && has_tag(&String::from_utf8_lossy(&body), site) {
        Installation::Found { url: shown }
    } else {
        Installation::Missing { url: shown, status }
    }
}

fn reason(error: &reqwest::Error) -> String {
    match crate::egress::refusal(error) {
        Some(refused) => refused.to_string(),
        None if error.is_timeout() => format!("no answer within {} seconds", TIMEOUT.as_secs()),
        None => "the page could not be fetched (connection failed)".into(),
    }
}

/// Whether `html` holds a tag naming the site's key (`data-site="KEY"`, either quote).
pub fn has_tag(html: &str, site: &Site) -> bool {
    let key = site.key.as_str();
    [format!("data-site=\"{key}\""), format!("data-site='{key}'")]
        .iter()
        .any(|tag| html.contains(tag.as_str()))
}
