//! `leadline demo`: a server on 127.0.0.1 with a demo business, site, tracking number, two
//! operators and an owner login. The facts scripts need are written to `demo.json` in the
//! data directory; a second run reuses the data and the file.

use crate::app::DemoSite;
use crate::commands::{InputError, open_store, serve::serve_on};
use crate::config::Config;
use leadline_core::names::{Name, Slug};
use leadline_core::net::{DomainName, Email};
use leadline_core::secret::{IssuedApiKey, NewPassword, random_token};
use leadline_core::site::{Currency, SiteKey, SiteSettings, Timezone};
use leadline_core::store::{Store, StoreError};
use leadline_core::tenant::{
    AccountSid, NewApiKey, NewBusiness, NewDestination, NewSite, NewTrackingNumber, NewUser, Provider, Role,
    parse_auth_token,
};
use leadline_core::{BusinessId, E164};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;
use tokio::net::TcpListener;

const DEMO_SLUG: &str = "demo";
const TRACKING_NUMBER: &str = "+12025550100";
const OPERATORS: [(&str, &str, &str); 2] = [
    ("Ann Operator", "ann@example.com", "+12025550111"),
    ("Ben Operator", "ben@example.com", "+12025550112"),
];

/// What `demo.json` holds: enough for a script to drive the demo.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoFacts {
    pub base_url: String,
    pub business: String,
    pub site_key: String,
    pub site_domain: String,
    pub tracking_number: String,
    pub destinations: Vec<String>,
    pub owner_email: String,
    pub owner_password: String,
    pub auth_token: String,
    pub api_key: String,
}

/// Binds 127.0.0.1:`port`, seeds or reuses the demo data, writes demo.json and serves.
pub async fn run(config: &Config, port: u16) -> anyhow::Result<()> {
    // Before demo.json exists: a script that reads it may signal at once.
    let shutdown = crate::shutdown::signal();
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on 127.0.0.1:{port}: {e} (try --port)"))?;
    let mut config = config.clone();
    config.listen = listener.local_addr()?;
    let base_url = config.base_url();
    leadline_store::private_dir(&config.data_dir)?;
    let store = open_store(&config, true).await?;
    let facts_path = config.data_dir.join("demo.json");
    let mut facts = match (read_facts(&facts_path)?, demo_exists(&store).await?) {
        (Some(facts), true) => facts,
        (_, false) => seed(&store).await?,
        (None, true) => {
            return Err(InputError(format!(
                "the demo business exists but {} is missing; use another --data-dir",
                facts_path.display()
            ))
            .into());
        }
    };
    facts.base_url = base_url;
    write_facts(&facts_path, &facts)?;
    print_banner(&facts, &facts_path);
    let demo = DemoSite {
        key: SiteKey::parse(&facts.site_key)?,
        number: E164::parse(&facts.tracking_number)?,
        auth_token: leadline_core::secret::Secret::new(facts.auth_token.clone()),
    };
    serve_on(listener, store, &config, Some(demo), shutdown).await
}

async fn demo_exists(store: &dyn Store) -> anyhow::Result<bool> {
    match store.business_by_slug(&Slug::parse(DEMO_SLUG)?).await {
        Ok(_) => Ok(true),
        Err(StoreError::NotFound) => Ok(false),
        Err(other) => Err(other.into()),
    }
}

fn name(text: &str) -> Name {
    Name::parse_as("name", text).expect("demo names are valid")
}

/// Creates the demo business and everything it owns.
async fn seed(store: &dyn Store) -> anyhow::Result<DemoFacts> {
    let business = store
        .create_business(&NewBusiness {
            slug: Slug::parse(DEMO_SLUG)?,
            name: name("Demo Upholstery"),
        })
        .await?;
    let owner_password = NewPassword::generate();
    let owner_email = Email::parse("owner@example.com")?;
    add_user(
        store,
        business.id,
        "Olivia Owner",
        &owner_email,
        Role::Owner,
        &owner_password,
    )
    .await?;
    let mut destinations = Vec::new();
    for (person, email, number) in OPERATORS {
        let user = add_user(
            store,
            business.id,
            person,
            &Email::parse(email)?,
            Role::Operator,
            &NewPassword::generate(),
        )
        .await?;
        let destination = NewDestination {
            business_id: business.id,
            name: name(person),
            number: E164::parse(number)?,
            department: Some(name("Sales")),
            user_id: Some(user),
        };
        destinations.push(store.create_destination(&destination).await?.number.to_string());
    }
    let site = store
        .create_site(&NewSite {
            business_id: business.id,
            name: name("Demo site"),
            key: SiteKey::generate(),
            domains: vec![DomainName::parse("127.0.0.1")?, DomainName::parse("localhost")?],
            timezone: Timezone::parse("America/New_York")?,
            currency: Currency::parse("USD")?,
            settings: SiteSettings::default(),
        })
        .await?;
    let auth_token = random_token(32);
    let number = store
        .create_number(&NewTrackingNumber {
            number: E164::parse(TRACKING_NUMBER)?,
            provider: Provider::Twilio,
            account_sid: AccountSid::parse(&format!("AC{}", random_token(32).to_lowercase()))?,
            auth_token: parse_auth_token(&auth_token)?,
            site_ids: vec![site.id],
        })
        .await?;
    let issued = IssuedApiKey::generate();
    store
        .create_api_key(&NewApiKey {
            business_id: business.id,
            name: name("Demo key"),
            prefix: issued.prefix.clone(),
            hash: issued.hash.clone(),
        })
        .await?;
    Ok(DemoFacts {
        base_url: String::new(),
        business: business.slug.to_string(),
        site_key: site.key.to_string(),
        site_domain: site.domains[0].to_string(),
        tracking_number: number.number.to_string(),
        destinations,
        owner_email: owner_email.to_string(),
        owner_password: owner_password.expose().to_owned(),
        auth_token,
        api_key: issued.key.expose().to_owned(),
    })
}

async fn add_user(
    store: &dyn Store,
    business: BusinessId,
    person: &str,
    email: &Email,
    role: Role,
    password: &NewPassword,
) -> anyhow::Result<leadline_core::UserId> {
    let new = NewUser {
        business_id: business,
        email: email.clone(),
        name: name(person),
        role,
        password_hash: password.hash(),
    };
    Ok(store.create_user(&new).await?.id)
}

fn read_facts(path: &Path) -> anyhow::Result<Option<DemoFacts>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(serde_json::from_str(&text).map_err(|e| {
            InputError(format!(
                "{} is not a demo.json this version can read: {e}",
                path.display()
            ))
        })?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Writes demo.json readable by its owner only (it holds secrets), replacing it atomically.
fn write_facts(path: &Path, facts: &DemoFacts) -> anyhow::Result<()> {
    let temporary = path.with_extension("json.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary)?;
    file.write_all(serde_json::to_string_pretty(facts)?.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)?;
    Ok(())
}

fn print_banner(facts: &DemoFacts, facts_path: &Path) {
    println!("Leadline demo is running at {}", facts.base_url);
    println!(
        "  sample website:  {}/demo/  (open it to see your extension)",
        facts.base_url
    );
    println!("  business:        {} (Demo Upholstery)", facts.business);
    println!("  site key:        {} (domain {})", facts.site_key, facts.site_domain);
    println!(
        "  tracking number: {} -> operators {}",
        facts.tracking_number,
        facts.destinations.join(", ")
    );
    println!(
        "  owner login:     {} / {}  at {}/app/login",
        facts.owner_email, facts.owner_password, facts.base_url
    );
    println!(
        "  calls and leads: {}/demo/calls.html  (each ref opens its lead)",
        facts.base_url
    );
    println!(
        "  health:          {0}/healthz  {0}/readyz  {0}/metrics",
        facts.base_url
    );
    println!("  all facts, for scripts: {}", facts_path.display());
    println!("Stop with Ctrl-C.");
}
