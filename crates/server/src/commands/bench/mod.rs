//! `leadline bench attribution`: a day of synthetic traffic through the real server, on a
//! simulated clock, against one or more kinds of site (extension settings, a DNI pool), with
//! the share of calls attributed correctly, wrongly (silently) and not at all, side by side.
//!
//! The traffic (`traffic.rs`) is generated from the seed before anything is sent; each arm
//! (`drive.rs`) gets a fresh site of the one bench server (`server.rs`) and its own simulated
//! day, sent one request at a time in order of time, so a seeded run is repeatable.

mod drive;
mod server;
mod tally;
mod traffic;

use crate::cli::AttributionArgs;
use crate::commands::InputError;
use leadline_core::site::{SiteKind, SiteSettings};
use serde_json::json;
use server::BenchServer;
use tally::ArmResult;

/// The first simulated day starts here (a Monday, UTC); each arm starts a day after the last.
const FIRST_DAY_MS: i64 = 1_893_974_400_000; // 2030-01-07T00:00:00Z

/// What one arm runs against.
#[derive(Debug, Clone, PartialEq)]
enum ArmKind {
    /// An extension site with these settings.
    Extensions(Box<SiteSettings>),
    /// A DNI pool of this many numbers.
    Pool(usize),
}

/// Runs the bench and prints its table (or JSON).
pub async fn attribution(args: &AttributionArgs) -> anyhow::Result<()> {
    check(args)?;
    let arms = args
        .compare
        .iter()
        .map(|name| Ok((name.clone(), arm_kind(name)?)))
        .collect::<Result<Vec<_>, InputError>>()?;
    let day = traffic::generate(args);
    let server = BenchServer::start(args.postgres.as_deref()).await?;
    let mut results = Vec::with_capacity(arms.len());
    let days_per_arm = (args.hours / 24.0).ceil() as i64 + 1;
    for (i, (name, kind)) in arms.into_iter().enumerate() {
        let started = std::time::Instant::now();
        let result = run_arm(
            &server,
            i,
            &name,
            kind,
            &day,
            args,
            FIRST_DAY_MS + i as i64 * days_per_arm * 86_400_000,
        )
        .await;
        let result = match result {
            Ok(result) => result,
            Err(e) => {
                server.stop().await?;
                return Err(e);
            }
        };
        eprintln!(
            "{name}: {} visits, {} calls in {:.1} s",
            result.tally.visits,
            result.tally.all.calls,
            started.elapsed().as_secs_f64()
        );
        results.push(result);
    }
    server.stop().await?;
    if args.json {
        let report = json!({
            "seed": args.seed,
            "rate_per_hour": args.rate,
            "hours": args.hours,
            "visitors": day.len(),
            "arms": results,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "seed {}, {} visitors per hour on average over {} simulated hours ({} visitors)\n",
            args.seed,
            args.rate,
            args.hours,
            day.len()
        );
        print!("{}", tally::table(&results));
    }
    Ok(())
}

async fn run_arm(
    server: &BenchServer,
    index: usize,
    name: &str,
    kind: ArmKind,
    day: &[traffic::Visitor],
    args: &AttributionArgs,
    start_ms: i64,
) -> anyhow::Result<ArmResult> {
    let (settings, pool) = match kind {
        ArmKind::Extensions(settings) => (*settings, 0),
        ArmKind::Pool(n) => (
            SiteSettings {
                kind: SiteKind::NumberPool,
                ..SiteSettings::default()
            },
            n,
        ),
    };
    let site = server.site(index, settings, pool).await?;
    let tally = drive::run(server, &site, day, start_ms, args.hours).await?;
    let pool_overwrites = match pool {
        0 => None,
        _ => Some(server.store.pool_overwrites(site.id).await?),
    };
    Ok(ArmResult {
        arm: name.to_owned(),
        summary: tally.summary(),
        tally,
        pool_overwrites,
    })
}

/// What an arm's name asks for: `pool:N`, or `extensions` with `+`-joined changes to the
/// default settings (`extensions+check-digit+quarantine=240`).
fn arm_kind(name: &str) -> Result<ArmKind, InputError> {
    if let Some(size) = name.strip_prefix("pool:") {
        return match size.parse::<usize>() {
            Ok(n) if (1..=10_000).contains(&n) => Ok(ArmKind::Pool(n)),
            _ => Err(InputError(format!("--compare '{name}': a pool has 1 to 10000 numbers"))),
        };
    }
    let mut parts = name.split('+');
    if parts.next() != Some("extensions") {
        return Err(InputError(format!(
            "--compare '{name}' is not an arm: extensions (with +changes) or pool:N"
        )));
    }
    let mut settings = SiteSettings::default();
    for change in parts {
        apply(&mut settings, change).map_err(|reason| InputError(format!("--compare '{name}': {reason}")))?;
    }
    Ok(ArmKind::Extensions(Box::new(settings)))
}

/// One `+change` of an extensions arm.
fn apply(settings: &mut SiteSettings, change: &str) -> Result<(), String> {
    let minutes = |value: &str| {
        value
            .parse::<u32>()
            .ok()
            .filter(|m| (1..=10_080).contains(m))
            .ok_or_else(|| format!("'{change}' needs whole minutes from 1 to 10080"))
    };
    match change.split_once('=') {
        Some(("idle", value)) => settings.idle_minutes = minutes(value)?,
        Some(("quarantine", value)) => settings.reuse_quarantine_minutes = minutes(value)?,
        None => match change {
            "check-digit" => settings.check_digit = true,
            "no-redial" => settings.match_redials = false,
            "no-rested-code" => settings.match_rested_codes = false,
            "no-recent-caller" => settings.match_recent_callers = false,
            "no-click-intent" => settings.match_click_intent = false,
            "no-levers" => {
                settings.match_redials = false;
                settings.match_rested_codes = false;
                settings.match_recent_callers = false;
                settings.match_click_intent = false;
            }
            _ => return Err(unknown(change)),
        },
        Some(_) => return Err(unknown(change)),
    }
    Ok(())
}

fn unknown(change: &str) -> String {
    format!(
        "'{change}' is not a change: check-digit, idle=MINUTES, quarantine=MINUTES, no-levers, no-redial, \
         no-rested-code, no-recent-caller, no-click-intent"
    )
}

/// Refuses flags that make no day: a rate, a length and shares in range.
fn check(args: &AttributionArgs) -> Result<(), InputError> {
    if !(args.rate > 0.0 && args.rate <= 100_000.0) {
        return Err(InputError(format!(
            "--rate {} must be above 0 and at most 100000 visitors per hour",
            args.rate
        )));
    }
    if !(args.hours > 0.0 && args.hours <= 168.0) {
        return Err(InputError(format!(
            "--hours {} must be above 0 and at most 168",
            args.hours
        )));
    }
    let shares = [
        ("--call-share", args.call_share),
        ("--on-page-share", args.on_page_share),
        ("--keyed-share", args.keyed_share),
        ("--nothing-share", args.nothing_share),
        ("--wrong-digit-share", args.wrong_digit_share),
        ("--swap-share", args.swap_share),
        ("--phone-share", args.phone_share),
        ("--autodial-drop-share", args.autodial_drop_share),
        ("--desktop-click-share", args.desktop_click_share),
        ("--redial-share", args.redial_share),
    ];
    if let Some((flag, value)) = shares.iter().find(|(_, v)| !(0.0..=1.0).contains(v)) {
        return Err(InputError(format!("{flag} {value} must be a share from 0 to 1")));
    }
    if args.keyed_share + args.nothing_share + args.wrong_digit_share + args.swap_share <= 0.0 {
        return Err(InputError("the four keying shares cannot all be 0".into()));
    }
    if args.compare.is_empty() || args.compare.len() > 80 {
        return Err(InputError("--compare names 1 to 80 arms".into()));
    }
    Ok(())
}
