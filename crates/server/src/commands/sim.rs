//! `leadline sim call`: places a call with the sandbox phone ([`crate::sandbox`]) and prints
//! its transcript as JSON. It needs no configuration and no database: only the server's URL,
//! the number and its token, given as flags or read from the `demo.json` that `leadline demo`
//! writes.

use crate::cli::SimCallArgs;
use crate::commands::InputError;
use crate::sandbox::{self, Settings};
use leadline_core::E164;
use serde::Deserialize;
use std::path::Path;

/// The part of demo.json the sandbox reads.
#[derive(Debug, Deserialize)]
struct DemoFile {
    base_url: String,
    tracking_number: String,
    auth_token: String,
}

/// Places a simulated call and prints its transcript.
pub async fn call(args: &SimCallArgs) -> anyhow::Result<()> {
    let settings = settings(args)?;
    let transcript = sandbox::place(&settings).await?;
    println!("{}", serde_json::to_string_pretty(&transcript)?);
    Ok(())
}

fn settings(args: &SimCallArgs) -> anyhow::Result<Settings> {
    let demo = args.demo.as_deref().map(read_demo).transpose()?;
    let missing = |flag: &str, what: &str| {
        InputError(format!(
            "say which {what} to call with {flag}, or give --demo PATH/demo.json (written by `leadline demo`)"
        ))
    };
    let server = args
        .server
        .clone()
        .or_else(|| demo.as_ref().map(|d| d.base_url.clone()))
        .ok_or_else(|| missing("--server", "Leadline server"))?;
    let to = args
        .to
        .clone()
        .or_else(|| demo.as_ref().map(|d| d.tracking_number.clone()))
        .ok_or_else(|| missing("--to", "tracking number"))?;
    let auth_token = args
        .auth_token
        .clone()
        .or_else(|| demo.as_ref().map(|d| d.auth_token.clone()))
        .ok_or_else(|| missing("--auth-token", "auth token (of the tracking number) to sign"))?;
    if auth_token.is_empty() {
        return Err(InputError("the auth token is empty".into()).into());
    }
    Ok(Settings {
        server: server_url(&server)?,
        to: E164::parse(&to)?.to_string(),
        from: caller(&args.from)?,
        digits: args.digits.as_deref().map(digits).transpose()?,
        answer_after: args.answer_after,
        talk: args.talk,
        no_answer: args.no_answer,
        auth_token,
        pace: sandbox::Pace::Reported,
    })
}

fn read_demo(path: &Path) -> anyhow::Result<DemoFile> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        InputError(format!(
            "cannot read {}: {e} (is `leadline demo` running?)",
            path.display()
        ))
    })?;
    Ok(serde_json::from_str(&text).map_err(|e| InputError(format!("{} is not a demo.json: {e}", path.display())))?)
}

/// The base URL: http, no query or fragment, no trailing slash. The sandbox has no TLS.
fn server_url(raw: &str) -> Result<String, InputError> {
    let trimmed = raw.trim().trim_end_matches('/');
    let url = url::Url::parse(trimmed).map_err(|e| InputError(format!("--server '{raw}' is not a URL: {e}")))?;
    match url.scheme() {
        "http" => {}
        "https" => {
            return Err(InputError(format!(
                "--server '{raw}': the sandbox phone speaks plain HTTP only; point it at a server \
                 whose public base URL is http://"
            )));
        }
        other => return Err(InputError(format!("--server '{raw}': '{other}' is not http"))),
    }
    if url.query().is_some() || url.fragment().is_some() || !url.has_host() {
        return Err(InputError(format!(
            "--server '{raw}' must be a base URL such as http://127.0.0.1:8080"
        )));
    }
    Ok(trimmed.to_owned())
}

/// The caller: an E.164 number (normalised), or what providers send for a hidden or
/// non-phone caller (`anonymous`, `client:name`).
fn caller(raw: &str) -> anyhow::Result<String> {
    let raw = raw.trim();
    if raw.starts_with('+') {
        return Ok(E164::parse(raw)?.to_string());
    }
    if raw.is_empty() || raw.len() > 64 || raw.chars().any(char::is_whitespace) {
        return Err(InputError(format!("--from '{raw}' is neither an E.164 number nor a caller name")).into());
    }
    Ok(raw.to_owned())
}

/// Keyed digits: what a keypad has (0-9, * and #), at most 40.
fn digits(raw: &str) -> Result<String, InputError> {
    if raw.len() > 40 || !raw.bytes().all(|b| b.is_ascii_digit() || b == b'*' || b == b'#') {
        return Err(InputError(format!(
            "--digits '{raw}': a keypad has only 0-9, * and # (at most 40 keys)"
        )));
    }
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_is_an_http_base_url_without_its_trailing_slash() {
        assert_eq!(server_url("http://127.0.0.1:8080/").unwrap(), "http://127.0.0.1:8080");
        assert_eq!(
            server_url("http://leadline.test/base").unwrap(),
            "http://leadline.test/base"
        );
        assert!(
            server_url("https://leadline.example")
                .unwrap_err()
                .0
                .contains("plain HTTP")
        );
        assert!(server_url("127.0.0.1:8080").is_err());
        assert!(server_url("http://x.test/?a=1").is_err());
    }

    #[test]
    fn the_caller_is_a_number_or_a_name() {
        assert_eq!(caller("+1 (202) 555-0169").unwrap(), "+12025550169");
        assert_eq!(caller("anonymous").unwrap(), "anonymous");
        assert!(caller("+1 555").is_err());
        assert!(caller("").is_err());
    }

    #[test]
    fn digits_are_keypad_keys() {
        assert_eq!(digits("*42#").unwrap(), "*42#");
        assert!(digits("12a").is_err());
        assert!(digits(&"1".repeat(41)).is_err());
    }
}
