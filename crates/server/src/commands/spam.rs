//! `leadline spam …`: the block list, the list of known spam numbers, the settings and a
//! call's mark, each through `app::spam`.

use crate::app::spam;
use crate::cli::spam::{ConfigureArgs, SpamCommand};
use crate::commands::tenants::find_business;
use crate::commands::{InputError, app_failure};
use leadline_core::E164;
use leadline_core::lead::Author;
use leadline_core::spam::{BlockSource, BlockedAnswer, RepeatRule, SpamSettings};
use leadline_core::store::Store;
use std::io::Read;

/// Who acts from the command line (shown in the audit log).
const CLI_AUTHOR: &str = "cli";

/// Runs a spam command.
pub async fn spam_command(store: &dyn Store, command: SpamCommand) -> anyhow::Result<()> {
    let author = Author::from_stored(CLI_AUTHOR);
    match command {
        SpamCommand::Block(args) => {
            let business = find_business(store, &args.business).await?;
            let number = E164::parse(&args.number)?;
            spam::block(store, business.id, &number, &author)
                .await
                .map_err(|e| app_failure(e, || "no such business".into()))?;
            println!("blocked {number}");
        }
        SpamCommand::Unblock(args) => {
            let business = find_business(store, &args.business).await?;
            let number = E164::parse(&args.number)?;
            spam::unblock(store, business.id, &number, &author)
                .await
                .map_err(|e| app_failure(e, || format!("{number} is not blocked")))?;
            println!("unblocked {number}");
        }
        SpamCommand::List { business } => {
            let business = find_business(store, &business).await?;
            for entry in store.blocked_numbers(business.id).await? {
                let source = match entry.source {
                    BlockSource::Operator => "blocked",
                    BlockSource::List => "listed",
                };
                println!("{source}\t{}", entry.number);
            }
        }
        SpamCommand::Import { business, file } => {
            let business = find_business(store, &business).await?;
            let text = read_list(&file)?;
            let count = spam::replace_list(store, business.id, &text, &author)
                .await
                .map_err(|e| app_failure(e, || "no such business".into()))?;
            println!("{count} numbers on the list");
        }
        SpamCommand::Configure(args) => configure(store, args, &author).await?,
        SpamCommand::Mark { business, call, not } => {
            let business = find_business(store, &business).await?;
            spam::mark_call(store, business.id, call, !not, &author)
                .await
                .map_err(|e| app_failure(e, || format!("no call {call}")))?;
            println!("call {call} is {}", if not { "not spam" } else { "spam" });
        }
    }
    Ok(())
}

async fn configure(store: &dyn Store, args: ConfigureArgs, author: &Author) -> anyhow::Result<()> {
    let business = find_business(store, &args.business).await?;
    let mut settings: SpamSettings = store.spam_settings(business.id).await?;
    if let Some(kind) = &args.answer {
        settings.answer = BlockedAnswer::parse(kind, args.message.as_deref())?;
    } else if let Some(message) = &args.message {
        settings.answer = BlockedAnswer::parse("message", Some(message))?;
    }
    if let Some(repeat) = &args.repeat {
        settings.repeat = repeat_rule(repeat)?;
    }
    spam::configure(store, business.id, &settings, author)
        .await
        .map_err(|e| app_failure(e, || "no such business".into()))?;
    let rule = match settings.repeat {
        Some(r) => format!("{}:{}:{}", r.calls, r.max_seconds, r.within_hours),
        None => "off".into(),
    };
    println!("blocked callers: {}; repeated calls: {rule}", settings.answer.kind());
    Ok(())
}

/// `CALLS:SECONDS:HOURS` or `off`.
fn repeat_rule(text: &str) -> anyhow::Result<Option<RepeatRule>> {
    if text == "off" {
        return Ok(None);
    }
    let parts: Vec<u32> = text
        .split(':')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|_| InputError(format!("--repeat: '{text}' is not CALLS:SECONDS:HOURS or off")))?;
    match parts[..] {
        [calls, seconds, hours] => Ok(Some(RepeatRule::new(calls, seconds, hours)?)),
        _ => Err(InputError(format!("--repeat: '{text}' is not CALLS:SECONDS:HOURS or off")).into()),
    }
}

/// The list file, or standard input for `-`, at most 1 MiB.
fn read_list(path: &std::path::Path) -> anyhow::Result<String> {
    const MAX: u64 = 1 << 20;
    let mut text = String::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin().take(MAX + 1).read_to_string(&mut text)
    } else {
        std::fs::File::open(path)
            .map_err(|e| InputError(format!("{}: {e}", path.display())))?
            .take(MAX + 1)
            .read_to_string(&mut text)
    };
    read.map_err(|e| InputError(format!("{}: {e}", path.display())))?;
    if text.len() as u64 > MAX {
        return Err(InputError(format!("{}: larger than 1 MiB", path.display())).into());
    }
    Ok(text)
}
