//! The ad platforms' `integration add` flags as a target, with their secrets read from their
//! files; the checks are the use case's (`app::integrations::AdTarget::config`), shared with
//! the settings form.

use crate::app::integrations::{AdTarget, Target};
use crate::cli::ad_integrations::{GoogleAdsArgs, MetaCapiArgs, MicrosoftAdsArgs};
use crate::commands::InputError;
use leadline_core::ad_upload::SendRule;
use leadline_core::outbox::{GoogleAds, GoogleAdsRoute, MetaCapi, MicrosoftAds};
use std::path::Path;

/// Reads a secret's file (`integrations::read_secret`).
type ReadSecret = fn(&Path, &str) -> anyhow::Result<String>;

/// A value the flags give as text, read or refused as an input error.
fn read<T>(parsed: Result<T, leadline_core::Invalid>) -> anyhow::Result<T> {
    parsed.map_err(|e| InputError(e.to_string()).into())
}

/// The Google Ads target of the flags.
pub(super) fn google(args: GoogleAdsArgs, secret: ReadSecret) -> anyhow::Result<Target> {
    Ok(Target::Ads(AdTarget::Google(GoogleAds {
        route: read(GoogleAdsRoute::parse(&args.route))?,
        customer_id: args.customer_id,
        login_customer_id: args.login_customer_id,
        conversion_action_id: args.conversion_action_id,
        call_conversion_action_id: args.call_conversion_action_id,
        client_id: args.client_id,
        client_secret: secret(&args.client_secret_file, "OAuth client secret")?,
        refresh_token: secret(&args.refresh_token_file, "refresh token")?,
        developer_token: args
            .developer_token_file
            .as_deref()
            .map(|f| secret(f, "developer token"))
            .transpose()?,
        send: read(SendRule::parse(&args.send))?,
        enhanced: !args.no_enhanced,
        api_version: args.api_version,
        token_url: args.token_url,
        endpoint: args.endpoint,
    })))
}

/// The Microsoft Advertising target of the flags.
pub(super) fn microsoft(args: MicrosoftAdsArgs, secret: ReadSecret) -> anyhow::Result<Target> {
    Ok(Target::Ads(AdTarget::Microsoft(MicrosoftAds {
        customer_id: args.customer_id,
        account_id: args.account_id,
        developer_token: secret(&args.developer_token_file, "developer token")?,
        client_id: args.client_id,
        client_secret: args
            .client_secret_file
            .as_deref()
            .map(|f| secret(f, "client secret"))
            .transpose()?,
        refresh_token: secret(&args.refresh_token_file, "refresh token")?,
        goal_name: args.goal_name,
        send: read(SendRule::parse(&args.send))?,
        enhanced: !args.no_enhanced,
        token_url: args.token_url,
        endpoint: args.endpoint,
    })))
}

/// The Meta Conversions API target of the flags.
pub(super) fn meta(args: MetaCapiArgs, secret: ReadSecret) -> anyhow::Result<Target> {
    Ok(Target::Ads(AdTarget::Meta(MetaCapi {
        pixel_id: args.pixel_id,
        access_token: secret(&args.access_token_file, "access token")?,
        test_event_code: args.test_event_code,
        api_version: args.api_version,
        send: read(SendRule::parse(&args.send))?,
        endpoint: args.endpoint,
    })))
}
