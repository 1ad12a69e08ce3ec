//! `leadline integration …` and `leadline outbox …`: integrations of every kind are added
//! with their secrets read from files (never shown again), bad input is refused with exit 2
//! and writes nothing, and the outbox lists deliveries and revives dead ones.

use crate::harness::Cli;
use leadline_core::form::{FormIdentity, MessageId, NewSubmission, SubmissionVia};
use leadline_core::lead::Contact;
use leadline_core::names::Slug;
use leadline_core::net::Email;
use leadline_core::outbox::{DeliveryOutcome, DeliveryStatus};
use leadline_core::site::SiteKey;
use leadline_core::store::{BusinessStore, LeadStore, OutboxStore, SiteStore};
use leadline_store::SqlStore;

const BUSINESS: &str = "acme-upholstery";

fn write(cli: &Cli, name: &str, text: &str) -> String {
    let path = cli.path(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn add(cli: &Cli, rest: &[&str]) -> String {
    let mut args = vec!["integration", "add", "--business", BUSINESS];
    args.extend_from_slice(rest);
    cli.ok(&args)
}

fn refused_add(cli: &Cli, rest: &[&str]) -> String {
    let mut args = vec!["integration", "add", "--business", BUSINESS];
    args.extend_from_slice(rest);
    cli.refused(&args)
}

fn listed(cli: &Cli) -> String {
    cli.ok(&["integration", "list", "--business", BUSINESS])
}

#[test]
fn integrations_of_every_kind_are_added_and_listed_without_their_secrets() {
    let cli = Cli::new();
    let site = cli.with_site();
    let ga4_secret = write(&cli, "ga4.secret", "ga4ApiSecretValue\n");
    let matomo_token = write(&cli, "matomo.token", "0123456789abcdef0123456789abcdef\n");
    let sf_secret = write(&cli, "sf.secret", "sfConsumerSecretValue\n");
    let hs_token = write(&cli, "hs.token", "pat-na1-hubspotTokenValue\n");
    let hook_secret = write(&cli, "hook.secret", "whsec_fromAFileOfMine\n");

    let out = add(
        &cli,
        &[
            "--name",
            "Analytics",
            "--site",
            &site,
            "ga4",
            "--measurement-id",
            "G-ABC1234",
            "--api-secret-file",
            &ga4_secret,
            "--debug",
        ],
    );
    assert!(out.contains("created ga4 integration"), "{out}");
    add(
        &cli,
        &[
            "--name",
            "Matomo",
            "matomo",
            "--url",
            "https://analytics.acme.example/",
            "--site-id",
            "3",
            "--token-auth-file",
            &matomo_token,
            "--goal-id",
            "2",
        ],
    );
    add(
        &cli,
        &[
            "--name",
            "CRM",
            "salesforce",
            "--login-url",
            "https://acme.my.salesforce.com",
            "--client-id",
            "3MVG9consumerKey",
            "--client-secret-file",
            &sf_secret,
            "--campaign",
            "google=701000000000001",
        ],
    );
    add(&cli, &["--name", "HubSpot", "hubspot", "--token-file", &hs_token]);
    add(
        &cli,
        &[
            "--name",
            "Warehouse",
            "webhook",
            "--url",
            "https://hooks.acme.example/in/SECRETPATH",
            "--secret-file",
            &hook_secret,
        ],
    );
    // The secret on standard input.
    let piped = cli.run_with_stdin(
        &[
            "integration",
            "add",
            "--business",
            BUSINESS,
            "--name",
            "Piped",
            "hubspot",
            "--token-file",
            "-",
        ],
        "pat-na1-pipedTokenValue\n",
    );
    assert!(piped.status.success(), "{}", String::from_utf8_lossy(&piped.stderr));
    // Without a secret file a webhook gets one, shown once.
    let out = add(
        &cli,
        &["--name", "Local relay", "webhook", "--url", "http://127.0.0.1:9/hook"],
    );
    let generated = out
        .split("signing secret")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().last())
        .unwrap_or_else(|| panic!("no generated secret in {out}"))
        .to_owned();
    assert!(generated.starts_with("whsec_") && generated.len() == 38, "{generated}");

    let list = listed(&cli);
    assert_eq!(list.lines().count(), 7, "{list}");
    for kind in ["ga4", "matomo", "salesforce", "hubspot", "webhook"] {
        assert!(list.contains(kind), "{kind} missing: {list}");
    }
    assert!(list.contains("G-ABC1234") && list.contains(&site), "{list}");
    for secret in [
        "ga4ApiSecretValue",
        "0123456789abcdef0123456789abcdef",
        "sfConsumerSecretValue",
        "pat-na1-hubspotTokenValue",
        "pat-na1-pipedTokenValue",
        "whsec_fromAFileOfMine",
        "SECRETPATH",
        generated.as_str(),
    ] {
        assert!(!list.contains(secret), "{secret} is listed: {list}");
    }

    let first_id = list.split_whitespace().next().unwrap().to_owned();
    cli.ok(&["integration", "disable", "--business", BUSINESS, "--id", &first_id]);
    assert!(listed(&cli).lines().next().unwrap().contains("disabled"));
    cli.ok(&["integration", "enable", "--business", BUSINESS, "--id", &first_id]);
    assert!(listed(&cli).lines().next().unwrap().contains("enabled"));
    let err = cli.refused(&["integration", "disable", "--business", BUSINESS, "--id", "999"]);
    assert!(err.contains("no integration 999"), "{err}");
}

#[test]
fn bad_integration_input_is_refused_and_nothing_is_written() {
    let cli = Cli::new();
    cli.with_site();
    let secret = write(&cli, "ok.secret", "aLongEnoughSecretValue\n");
    let empty = write(&cli, "empty.secret", "\n");
    let short = write(&cli, "short.secret", "tooshort\n");
    let missing = cli.path("missing.secret").display().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "--name",
                "x",
                "ga4",
                "--measurement-id",
                "UA-1234-1",
                "--api-secret-file",
                &secret,
            ],
            "G-XXXXXXX",
        ),
        (
            vec![
                "--name",
                "x",
                "ga4",
                "--measurement-id",
                "G-ABC1234",
                "--api-secret-file",
                &missing,
            ],
            "cannot read",
        ),
        (
            vec![
                "--name",
                "x",
                "ga4",
                "--measurement-id",
                "G-ABC1234",
                "--api-secret-file",
                &empty,
            ],
            "holds no API secret",
        ),
        (
            vec![
                "--name",
                "x",
                "ga4",
                "--measurement-id",
                "G-ABC1234",
                "--api-secret-file",
                &secret,
                "--endpoint",
                "http://collect.example",
            ],
            "plain http",
        ),
        (
            vec![
                "--name",
                "x",
                "matomo",
                "--url",
                "ftp://stats.example/",
                "--site-id",
                "1",
            ],
            "not http or https",
        ),
        (
            vec![
                "--name",
                "x",
                "matomo",
                "--url",
                "https://stats.example/",
                "--site-id",
                "0",
            ],
            "at least 1",
        ),
        (
            vec![
                "--name",
                "x",
                "salesforce",
                "--login-url",
                "https://login.salesforce.com",
                "--client-id",
                "abc",
                "--client-secret-file",
                &secret,
                "--campaign",
                "google",
            ],
            "SOURCE=CAMPAIGN_ID",
        ),
        (
            vec![
                "--name",
                "x",
                "salesforce",
                "--login-url",
                "https://login.salesforce.com",
                "--client-id",
                "abc",
                "--client-secret-file",
                &secret,
                "--api-version",
                "60",
            ],
            "v60.0",
        ),
        (
            vec!["--name", "x", "webhook", "--url", "http://hooks.example/in"],
            "plain http",
        ),
        (vec!["--name", "x", "webhook", "--url", "not a url"], "not a URL"),
        (
            vec![
                "--name",
                "x",
                "webhook",
                "--url",
                "https://hooks.example/",
                "--secret-file",
                &short,
            ],
            "shorter than 16",
        ),
        (
            vec!["--name", "", "webhook", "--url", "https://hooks.example/"],
            "integration name",
        ),
        (
            vec![
                "--name",
                "x",
                "--site",
                "nosuchsite00000000000",
                "webhook",
                "--url",
                "https://hooks.example/",
            ],
            "site",
        ),
    ];
    for (rest, expected) in cases {
        let err = refused_add(&cli, &rest);
        assert!(err.contains(expected), "{rest:?}: expected '{expected}' in {err}");
    }
    let err = cli.refused(&[
        "integration",
        "add",
        "--business",
        "nobody",
        "--name",
        "x",
        "webhook",
        "--url",
        "https://hooks.example/",
    ]);
    assert!(err.contains("unknown business"), "{err}");
    // No flag takes a secret itself.
    let err = refused_add(&cli, &["--name", "x", "hubspot", "--token", "pat-na1-onTheCommandLine"]);
    assert!(err.contains("--token"), "{err}");
    assert_eq!(listed(&cli), "", "nothing refused may be written");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn open(cli: &Cli) -> SqlStore {
    cli.store().await
}

/// Three form submissions on the site, so three `form.completed` events with one delivery
/// each; the first is delivered, the second dies, the third stays pending. Returns their ids.
async fn three_deliveries(cli: &Cli, site: &str) -> (i64, i64, i64) {
    let store = open(cli).await;
    let business = store.business_by_slug(&Slug::parse(BUSINESS).unwrap()).await.unwrap();
    let site = store.site_by_key(&SiteKey::parse(site).unwrap()).await.unwrap();
    for who in ["ann", "bob", "cy"] {
        let new = NewSubmission {
            business_id: business.id,
            site_id: site.id,
            message_id: MessageId::generate(),
            via: SubmissionVia::Processor,
            identity: FormIdentity::default(),
            contact: Contact {
                email: Some(Email::parse(&format!("{who}@example.com")).unwrap()),
                ..Contact::default()
            },
            fields: vec![("message".into(), "Call me".into())],
            page_url: None,
            attachments: Vec::new(),
        };
        store.add_submission(&new).await.unwrap();
    }
    let now = chrono::Utc::now().timestamp_millis();
    let mut claimed = store.claim_deliveries(now, 60_000, 2).await.unwrap();
    assert_eq!(claimed.len(), 2);
    claimed.sort_by_key(|c| c.id);
    let done = DeliveryOutcome::Delivered { response: None };
    assert!(
        store
            .finish_delivery(claimed[0].id, &claimed[0].lease_token, &done)
            .await
            .unwrap()
    );
    let dead = DeliveryOutcome::Dead {
        error: "HTTP 410 Gone: this hook\nwas removed".into(),
    };
    assert!(
        store
            .finish_delivery(claimed[1].id, &claimed[1].lease_token, &dead)
            .await
            .unwrap()
    );
    let all = store.list_deliveries(Some(business.id), None, 10).await.unwrap();
    assert_eq!(all.len(), 3);
    let pending = all.iter().find(|d| d.status == DeliveryStatus::Pending).unwrap().id;
    (claimed[0].id, claimed[1].id, pending)
}

fn row_of(list: &str, id: i64) -> String {
    list.lines()
        .find(|line| line.split_whitespace().next() == Some(id.to_string().as_str()))
        .unwrap_or_else(|| panic!("no delivery {id} in {list}"))
        .to_owned()
}

#[test]
fn the_outbox_lists_deliveries_and_revives_dead_ones() {
    let cli = Cli::new();
    let site = cli.with_site();
    add(
        &cli,
        &["--name", "Warehouse", "webhook", "--url", "http://127.0.0.1:9/hook"],
    );
    let (delivered, dead, pending) = runtime().block_on(three_deliveries(&cli, &site));

    let list = cli.ok(&["outbox", "list"]);
    let header = list.lines().next().unwrap();
    for column in [
        "ID",
        "BUSINESS",
        "TARGET",
        "EVENT",
        "STATUS",
        "ATTEMPTS",
        "NEXT ATTEMPT",
        "LAST ERROR",
    ] {
        assert!(header.contains(column), "{list}");
    }
    assert_eq!(list.lines().count(), 4, "{list}");
    let row = row_of(&list, dead);
    for part in [
        BUSINESS,
        "webhook#",
        "form.completed",
        "dead",
        "HTTP 410 Gone: this hook was removed",
    ] {
        assert!(row.contains(part), "{part} not in {row}");
    }
    assert!(row_of(&list, delivered).contains("delivered"), "{list}");
    assert!(row_of(&list, pending).contains("pending"), "{list}");

    let only_dead = cli.ok(&["outbox", "list", "--business", BUSINESS, "--status", "dead"]);
    assert_eq!(only_dead.lines().count(), 2, "{only_dead}");
    assert_eq!(cli.ok(&["outbox", "list", "--limit", "1"]).lines().count(), 2);

    let err = cli.refused(&["outbox", "retry", "--id", &delivered.to_string()]);
    assert!(err.contains("no dead or pending delivery"), "{err}");
    let err = cli.refused(&["outbox", "retry", "--id", &dead.to_string(), "--business", "nobody"]);
    assert!(err.contains("unknown business"), "{err}");
    cli.refused(&["outbox", "list", "--status", "lost"]);
    cli.refused(&["outbox", "list", "--limit", "0"]);
    cli.refused(&["outbox", "retry"]);

    let out = cli.ok(&["outbox", "retry", "--id", &dead.to_string(), "--business", BUSINESS]);
    assert!(out.contains(&format!("delivery {dead} is due again")), "{out}");
    let list = cli.ok(&["outbox", "list", "--status", "pending"]);
    let row = row_of(&list, dead);
    assert!(
        row.contains("pending") && row.contains(" 0 "),
        "attempts start again: {row}"
    );
    assert_eq!(cli.ok(&["outbox", "list", "--status", "dead"]).lines().count(), 1);
    let out = cli.ok(&["outbox", "retry", "--all-dead"]);
    assert!(out.starts_with("0 dead deliveries"), "{out}");
}
