//! `leadline site configure --post-call-prompt`: the site's prompt integration is added,
//! switched to another channel (the old one disabled, a new one added), and turned off.

use crate::harness::Cli;
use leadline_core::names::Slug;
use leadline_core::outbox::{Integration, IntegrationConfig, PromptChannel};
use leadline_core::site::SiteKey;
use leadline_core::store::{BusinessStore, OutboxStore, SiteStore};

fn configure(cli: &Cli, site: &str, prompt: &str) -> String {
    cli.ok(&[
        "site",
        "configure",
        "--business",
        "acme-upholstery",
        "--site",
        site,
        "--post-call-prompt",
        prompt,
    ])
}

/// The business's prompt integrations as (channel, enabled, scoped to `site`).
fn prompts(cli: &Cli, site: &str) -> Vec<(PromptChannel, bool)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = cli.store().await;
        let business = store
            .business_by_slug(&Slug::parse("acme-upholstery").unwrap())
            .await
            .unwrap();
        let site = store.site_by_key(&SiteKey::parse(site).unwrap()).await.unwrap();
        let all: Vec<Integration> = store.integrations(business.id).await.unwrap();
        let found = all
            .into_iter()
            .filter_map(|i| match i.config {
                IntegrationConfig::OperatorPrompt { channel } => {
                    assert_eq!(i.site_id, Some(site.id), "a prompt is the site's own setting");
                    Some((channel, i.enabled))
                }
                _ => None,
            })
            .collect();
        store.close().await;
        found
    })
}

#[test]
fn post_call_prompts_are_turned_on_switched_and_off_per_site() {
    let cli = Cli::new();
    let site = cli.with_site();
    assert_eq!(prompts(&cli, &site), []);

    let out = configure(&cli, &site, "sms");
    assert!(out.contains("post-call prompt by sms: on"), "{out}");
    assert_eq!(prompts(&cli, &site), [(PromptChannel::Sms, true)]);
    let listed = cli.ok(&["integration", "list", "--business", "acme-upholstery"]);
    assert!(listed.contains("post-call prompt to the operator by sms"), "{listed}");

    let out = configure(&cli, &site, "sms");
    assert!(out.contains("unchanged"), "{out}");
    assert_eq!(
        prompts(&cli, &site),
        [(PromptChannel::Sms, true)],
        "nothing added twice"
    );

    configure(&cli, &site, "email");
    assert_eq!(
        prompts(&cli, &site),
        [(PromptChannel::Sms, false), (PromptChannel::Email, true)]
    );

    let out = configure(&cli, &site, "off");
    assert!(out.contains("post-call prompt: off"), "{out}");
    assert_eq!(
        prompts(&cli, &site),
        [(PromptChannel::Sms, false), (PromptChannel::Email, false)]
    );

    let err = cli.refused(&[
        "site",
        "configure",
        "--business",
        "acme-upholstery",
        "--site",
        &site,
        "--post-call-prompt",
        "fax",
    ]);
    assert!(err.contains("--post-call-prompt"), "{err}");
}
