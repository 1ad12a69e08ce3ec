//! Salesforce's REST API: the OAuth token (client credentials, cached and refreshed once on a
//! 401), SOQL queries with their next batches, and the Lead and CampaignMember calls the
//! adapter makes. Errors keep Salesforce's own words.

use super::TOKEN_TTL;
use crate::outbox::crm::send_json;
use crate::outbox::{Cache, Failure, http_failure, token_failure, transport_failure};
use leadline_core::event::LeadSnapshot;
use leadline_core::outbox::{Integration, IntegrationConfig};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::time::Duration;

/// A string literal in SOQL: backslash and quote escaped, in quotes.
fn soql_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// One of Salesforce's error entries.
#[derive(Debug, Deserialize)]
struct ApiError {
    #[serde(default)]
    message: String,
    #[serde(default, rename = "errorCode")]
    error_code: String,
    #[serde(default)]
    fields: Vec<String>,
}

/// A response from the API.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: String,
}

impl Reply {
    /// The error codes of an error response (`DUPLICATE_VALUE`, …).
    fn codes(&self) -> Vec<String> {
        serde_json::from_str::<Vec<ApiError>>(&self.body)
            .map(|errors| errors.into_iter().map(|e| e.error_code).collect())
            .unwrap_or_default()
    }

    pub(super) fn has_code(&self, code: &str) -> bool {
        self.codes().iter().any(|c| c == code)
    }

    pub(super) fn json(&self, what: &str) -> Result<Value, Failure> {
        serde_json::from_str(&self.body)
            .map_err(|e| Failure::Retry(format!("Salesforce {what}: the answer is not JSON: {e}")))
    }

    /// What a failed call means: 5xx, 408, 429 and Salesforce's transient codes are retried;
    /// other refusals are final, with Salesforce's own message.
    pub(crate) fn failure(&self, what: &str) -> Failure {
        let message = match serde_json::from_str::<Vec<ApiError>>(&self.body) {
            Ok(errors) if !errors.is_empty() => errors
                .iter()
                .map(|e| {
                    let fields = if e.fields.is_empty() {
                        String::new()
                    } else {
                        format!(" (fields: {})", e.fields.join(", "))
                    };
                    format!("{}: {}{fields}", e.error_code, e.message)
                })
                .collect::<Vec<_>>()
                .join("; "),
            _ => self.body.chars().take(500).collect(),
        };
        let message = format!("Salesforce {what}: HTTP {}: {message}", self.status);
        let transient = ["REQUEST_LIMIT_EXCEEDED", "UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE"];
        let retry = matches!(http_failure(self.status, ""), Failure::Retry(_))
            || self.codes().iter().any(|c| transient.contains(&c.as_str()));
        if retry {
            Failure::Retry(message)
        } else {
            Failure::Permanent(message)
        }
    }
}

/// An access token and the org's API host.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Token {
    access_token: String,
    instance_url: String,
}

/// One org's REST API, with its token.
pub(crate) struct Api<'a> {
    http: &'a reqwest::Client,
    cache: &'a Cache,
    timeout: Duration,
    login_url: String,
    client_id: &'a str,
    client_secret: &'a str,
    /// `/services/data/v60.0`.
    base: String,
    /// The cache key of the token.
    key: String,
}

impl<'a> Api<'a> {
    /// The API of a Salesforce integration; a permanent failure for any other kind.
    pub(crate) fn new(
        http: &'a reqwest::Client,
        cache: &'a Cache,
        timeout: Duration,
        integration: &'a Integration,
    ) -> Result<Self, Failure> {
        let IntegrationConfig::Salesforce {
            login_url,
            client_id,
            client_secret,
            api_version,
            ..
        } = &integration.config
        else {
            return Err(Failure::Permanent(format!(
                "integration {} is {}, not salesforce",
                integration.id,
                integration.config.kind()
            )));
        };
        let version = api_version.trim().trim_start_matches('v');
        Ok(Self {
            http,
            cache,
            timeout,
            login_url: login_url.trim().trim_end_matches('/').to_owned(),
            client_id,
            client_secret,
            base: format!("/services/data/v{version}"),
            key: format!("salesforce:{}:{client_id}", integration.id),
        })
    }

    /// The cached token, else a new one.
    async fn token(&self) -> Result<Token, Failure> {
        if let Some(token) = self.cache.get(&self.key).and_then(|t| serde_json::from_str(&t).ok()) {
            return Ok(token);
        }
        let response = self
            .http
            .post(format!("{}/services/oauth2/token", self.login_url))
            .timeout(self.timeout)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", self.client_id),
                ("client_secret", self.client_secret),
            ])
            .send()
            .await
            .map_err(|e| transport_failure(&e))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| transport_failure(&e))?;
        if !status.is_success() {
            return Err(token_failure("Salesforce", status, &body));
        }
        let token: Token = serde_json::from_str(&body).map_err(|e| {
            Failure::Permanent(format!(
                "Salesforce token: no access_token and instance_url in the answer: {e}"
            ))
        })?;
        self.cache.put(
            &self.key,
            serde_json::to_string(&token).expect("tokens serialise"),
            TOKEN_TTL,
        );
        Ok(token)
    }

    /// The path under the versioned API (`/sobjects/Lead/`).
    pub(crate) fn path(&self, rest: &str) -> String {
        format!("{}{rest}", self.base)
    }

    /// Sends `method path_and_query` on the org's host with the token; a 401 forgets the
    /// token and sends once more with a new one. Any answer other than 401 is returned.
    pub(crate) async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> Result<Reply, Failure> {
        let mut refreshed = false;
        loop {
            let token = self.token().await?;
            let url = format!("{}{path_and_query}", token.instance_url.trim_end_matches('/'));
            let (status, body) =
                send_json(self.http, self.timeout, &token.access_token, method.clone(), url, body).await?;
            if status == StatusCode::UNAUTHORIZED && !refreshed {
                self.cache.forget(&self.key);
                refreshed = true;
                continue;
            }
            return Ok(Reply { status, body });
        }
    }

    /// Deletes the Lead with `id` (`DELETE /sobjects/Lead/{id}`, for an erasure); a Lead
    /// Salesforce no longer has is nothing to delete. The answer does not name the Lead: it is
    /// kept as the record of the erasure.
    pub(crate) async fn delete_lead(&self, id: &str) -> Result<String, Failure> {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Failure::Permanent(format!("'{id}' is not a Salesforce id")));
        }
        let reply = self
            .send(Method::DELETE, &self.path(&format!("/sobjects/Lead/{id}")), None)
            .await?;
        if reply.status.is_success() {
            return Ok("Salesforce deleted the Lead".to_owned());
        }
        if reply.status == StatusCode::NOT_FOUND || reply.has_code("ENTITY_IS_DELETED") {
            return Ok("Salesforce had the Lead no more".to_owned());
        }
        Err(reply.failure("Lead delete"))
    }

    /// Runs a SOQL query; answers the first batch (`records`, `done`, `nextRecordsUrl`).
    pub(crate) async fn query(&self, soql: &str) -> Result<Value, Failure> {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", soql)
            .finish();
        let reply = self
            .send(Method::GET, &self.path(&format!("/query?{query}")), None)
            .await?;
        if !reply.status.is_success() {
            return Err(reply.failure("query"));
        }
        reply.json("query")
    }

    /// The next batch of a query (`nextRecordsUrl`, a path on the org's host).
    pub(crate) async fn query_more(&self, next_records_url: &str) -> Result<Value, Failure> {
        if !next_records_url.starts_with("/services/") {
            return Err(Failure::Permanent(format!(
                "Salesforce query: unexpected nextRecordsUrl {next_records_url}"
            )));
        }
        let reply = self.send(Method::GET, next_records_url, None).await?;
        if !reply.status.is_success() {
            return Err(reply.failure("query"));
        }
        reply.json("query")
    }

    /// The open (unconverted) Lead with the lead's e-mail, else its phone, newest first.
    pub(super) async fn find_lead(&self, lead: &LeadSnapshot) -> Result<Option<String>, Failure> {
        let condition = match (lead.email.as_deref(), lead.phone.as_deref()) {
            (Some(email), _) if !email.trim().is_empty() => format!("Email = {}", soql_string(email.trim())),
            (_, Some(phone)) if !phone.trim().is_empty() => format!("Phone = {}", soql_string(phone.trim())),
            _ => return Ok(None),
        };
        let soql =
            format!("SELECT Id FROM Lead WHERE IsConverted = false AND {condition} ORDER BY CreatedDate DESC LIMIT 1");
        let answer = self.query(&soql).await?;
        Ok(answer["records"]
            .as_array()
            .and_then(|records| records.first())
            .and_then(|record| record["Id"].as_str())
            .map(str::to_owned))
    }

    /// Creates a Lead; answers its id.
    pub(super) async fn create_lead(&self, fields: &Map<String, Value>) -> Result<String, Failure> {
        let body = Value::Object(fields.clone());
        let reply = self
            .send(Method::POST, &self.path("/sobjects/Lead/"), Some(&body))
            .await?;
        if !reply.status.is_success() {
            return Err(reply.failure("Lead create"));
        }
        let answer = reply.json("Lead create")?;
        answer["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| Failure::Retry(format!("Salesforce Lead create: no id in {answer}")))
    }

    /// Makes the Lead a member of the campaign; already being one is fine.
    pub(super) async fn join_campaign(&self, campaign: &str, lead: &str) -> Result<(), Failure> {
        let body = json!({ "CampaignId": campaign, "LeadId": lead, "Status": "Responded" });
        let reply = self
            .send(Method::POST, &self.path("/sobjects/CampaignMember/"), Some(&body))
            .await?;
        if reply.status.is_success() || reply.has_code("DUPLICATE_VALUE") {
            return Ok(());
        }
        Err(reply.failure("CampaignMember create"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soql_strings_are_escaped() {
        assert_eq!(soql_string("o'brien@example.com"), r"'o\'brien@example.com'");
        assert_eq!(soql_string(r"a\b"), r"'a\\b'");
    }

    #[test]
    fn errors_keep_salesforce_words_and_retry_only_what_can_pass_later() {
        let reply = |status: u16, body: &str| Reply {
            status: StatusCode::from_u16(status).unwrap(),
            body: body.into(),
        };
        let refused = reply(
            400,
            r#"[{"message":"Required fields are missing: [LastName]","errorCode":"REQUIRED_FIELD_MISSING","fields":["LastName"]}]"#,
        );
        assert_eq!(
            refused.failure("Lead create"),
            Failure::Permanent(
                "Salesforce Lead create: HTTP 400 Bad Request: REQUIRED_FIELD_MISSING: Required fields are missing: [LastName] (fields: LastName)".into()
            )
        );
        let limited = reply(
            403,
            r#"[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#,
        );
        assert!(matches!(limited.failure("x"), Failure::Retry(_)));
        assert!(matches!(reply(503, "down").failure("x"), Failure::Retry(m) if m.contains("down")));
        assert!(
            reply(
                400,
                r#"[{"message":"already","errorCode":"DUPLICATE_VALUE","fields":[]}]"#
            )
            .has_code("DUPLICATE_VALUE")
        );
    }
}
