//! Trying an integration from Settings: one sample event sent now, through the same adapter
//! and HTTP client as the outbox, and what the target answered. A CRM is tried by signing in
//! and reading one record, so that a test leaves no made-up lead in it; GA4 is tried on its
//! validation server, which records nothing and says what it would refuse. It changes nothing
//! in Leadline, so it reads the store itself rather than through a use case.

use crate::app::{AppError, AppResult};
use crate::outbox::{self, Cache, Context, Failure, Sent};
use leadline_core::event::{Event, EventData, FormCompleted, LeadSnapshot, VisitorIds};
use leadline_core::form::{MessageId, SubmissionVia};
use leadline_core::lead::LeadMatch;
use leadline_core::net::Reach;
use leadline_core::outbox::{ClaimedDelivery, Integration, IntegrationConfig, IntegrationId};
use leadline_core::store::Store;
use leadline_core::{BusinessId, LeadId};
use reqwest::Method;
use std::time::Duration;

/// How long the target has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What trying an integration found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trial {
    /// The integration's name.
    pub name: String,
    /// Whether the target took it.
    pub accepted: bool,
    /// What was sent, in words.
    pub sent: String,
    /// What the target answered (its refusal, GA4's validation messages, …).
    pub answer: String,
}

/// Sends the business's integration one sample event now (or, for a CRM, signs in and reads
/// one record) and says what the target answered. Nothing is queued and nothing is retried.
/// `NotFound` for another business's; `Refused` for a post-call prompt, which is tried by
/// answering a call.
pub async fn try_integration(
    store: &dyn Store,
    business: BusinessId,
    id: IntegrationId,
    reach: Reach,
) -> AppResult<Trial> {
    let integration = store
        .integrations(business)
        .await?
        .into_iter()
        .find(|i| i.id == id)
        .ok_or(AppError::NotFound)?;
    let http = crate::egress::client(TIMEOUT, reach);
    let cache = Cache::default();
    let outcome = match &integration.config {
        IntegrationConfig::OperatorPrompt { .. } => {
            return Err(AppError::Refused(
                "a post-call prompt is tried by answering a call: it then texts or mails the operator".into(),
            ));
        }
        IntegrationConfig::Alerts => {
            return Err(AppError::Refused(
                "alerts are tried by a form or a missed call: each member who chose them hears of it".into(),
            ));
        }
        IntegrationConfig::Salesforce { .. } => (
            "a sign-in and a query of one Lead (nothing is created)".to_owned(),
            salesforce_reads(&http, &cache, &integration).await,
        ),
        IntegrationConfig::Hubspot { .. } => (
            "a request for one contact with the token (nothing is created)".to_owned(),
            hubspot_reads(&http, &integration).await,
        ),
        IntegrationConfig::GoogleAds(_) | IntegrationConfig::MicrosoftAds(_) | IntegrationConfig::MetaCapi(_) => (
            "a sign-in with the integration's credentials (no conversion is sent)".to_owned(),
            outbox::ads::sign_in(&http, &cache, TIMEOUT, &integration).await,
        ),
        IntegrationConfig::Ga4Deletion { .. } => (
            "a sign-in with the refresh token (nothing is deleted)".to_owned(),
            ga4_deletion_sign_in(&http, &cache, &integration).await,
        ),
        IntegrationConfig::Ga4 { .. } => {
            let validating = validating(integration.clone());
            (
                "a sample generate_lead event to GA4's validation server (nothing is recorded)".to_owned(),
                deliver_sample(store, &http, &cache, validating).await,
            )
        }
        IntegrationConfig::Matomo { .. } | IntegrationConfig::Webhook { .. } => (
            format!("a sample form.completed event (id ev_test…, lead ref 0, tagged {SAMPLE_TAG})"),
            deliver_sample(store, &http, &cache, integration.clone()).await,
        ),
    };
    let (sent, result) = outcome;
    Ok(match result {
        Ok(Sent { response }) => Trial {
            name: integration.name,
            accepted: true,
            sent,
            answer: response.unwrap_or_else(|| "accepted (2xx)".into()),
        },
        Err(Failure::Retry(why) | Failure::Permanent(why) | Failure::Wait { reason: why, .. }) => Trial {
            name: integration.name,
            accepted: false,
            sent,
            answer: why,
        },
    })
}

/// Whether Google gives an access token for the integration's refresh token.
async fn ga4_deletion_sign_in(
    http: &reqwest::Client,
    cache: &Cache,
    integration: &Integration,
) -> Result<Sent, Failure> {
    let api = super::ga4_deletion::Api::new(http, cache, TIMEOUT, integration)?;
    api.token().await?;
    Ok(Sent {
        response: Some("Google gave an access token: erasures can be sent".into()),
    })
}

/// The tag on the sample event's lead, so a receiver can tell it from a real one.
pub const SAMPLE_TAG: &str = "leadline-test";

/// The GA4 integration set to post to the validation endpoint.
fn validating(mut integration: Integration) -> Integration {
    if let IntegrationConfig::Ga4 { debug, .. } = &mut integration.config {
        *debug = true;
    }
    integration
}

async fn deliver_sample(
    store: &dyn Store,
    http: &reqwest::Client,
    cache: &Cache,
    integration: Integration,
) -> Result<Sent, Failure> {
    let delivery = ClaimedDelivery {
        id: 0,
        lease_token: String::new(),
        attempt: 1,
        event: sample(&integration),
        integration,
    };
    let ctx = Context {
        http,
        store,
        delivery: &delivery,
        timeout: TIMEOUT,
        cache,
        provider_api_base: "",
        mailer: None,
        base_url: "http://127.0.0.1",
        push: None,
    };
    outbox::adapter_for(&delivery.integration.config).deliver(&ctx).await
}

/// A form submission from a made-up visitor of a Google Ads click.
fn sample(integration: &Integration) -> Event {
    let id = format!("ev_test{}", leadline_core::secret::random_token(15));
    Event {
        id,
        occurred_at: leadline_core::clock::now(),
        business_id: integration.business_id,
        site_id: integration.site_id,
        record_ref: Some(0),
        lead: Some(LeadSnapshot {
            id: LeadId(0),
            record_ref: 0,
            status: "new".into(),
            name: Some("Leadline test".into()),
            email: Some("test@example.com".into()),
            phone: None,
            company: None,
            source: Some("google / cpc".into()),
            tags: vec![SAMPLE_TAG.into()],
        }),
        visitor: VisitorIds {
            attribution: Some(leadline_core::channel::Attribution {
                source: "google".into(),
                medium: "cpc".into(),
                campaign: Some("leadline-test".into()),
                term: None,
                content: None,
            }),
            ..VisitorIds::default()
        },
        data: EventData::FormCompleted(FormCompleted {
            fields: vec![("message".into(), "A test from Leadline's settings".into())],
            matched_by: LeadMatch::New,
            message_id: MessageId::generate(),
            page_url: None,
            via: SubmissionVia::Browser,
        }),
    }
}

async fn salesforce_reads(http: &reqwest::Client, cache: &Cache, integration: &Integration) -> Result<Sent, Failure> {
    let api = outbox::salesforce::Api::new(http, cache, TIMEOUT, integration)?;
    api.query("SELECT Id FROM Lead LIMIT 1").await?;
    Ok(Sent {
        response: Some("signed in; the Lead object can be read".into()),
    })
}

async fn hubspot_reads(http: &reqwest::Client, integration: &Integration) -> Result<Sent, Failure> {
    let api = outbox::hubspot::Api::new(http, TIMEOUT, integration)?;
    let reply = api.send(Method::GET, "/crm/v3/objects/contacts?limit=1", None).await?;
    if !reply.status.is_success() {
        return Err(reply.failure("contacts"));
    }
    Ok(Sent {
        response: Some("the token is accepted; contacts can be read".into()),
    })
}
