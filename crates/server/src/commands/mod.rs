//! Runs one command line: loads the configuration, starts logging, opens the database and
//! hands over to the command. Bad input exits 2 with a message saying what was wrong;
//! other failures exit 1.

mod ad_integrations;
mod adgroup;
mod backup;
mod bench;
mod capacity;
mod demo;
mod erase;
mod export;
mod integrations;
mod migrate;
mod numbers;
mod outbox;
mod people;
mod provider;
mod routes;
mod secrets;
mod serve;
pub(crate) mod sim;
mod sites;
mod sources;
mod spam;
mod tenants;
mod transcripts;

use crate::cli::{Cli, Command, SecretsCommand};
use crate::config::{Config, ConfigError};
use leadline_core::Invalid;
use leadline_core::sealing::Sealer;
use leadline_store::{OpenError, OpenOptions, SqlStore};
use std::process::ExitCode;

/// Input the command cannot act on (unknown business, taken domain, …); nothing was changed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

/// A use case's refusal as the command's failure: what it was told that it cannot act on is
/// bad input (exit code 2), `not_found` saying what was missing; the rest as it is.
pub fn app_failure(err: crate::app::AppError, not_found: impl FnOnce() -> String) -> anyhow::Error {
    use crate::app::AppError;
    match err {
        AppError::NotFound => InputError(not_found()).into(),
        AppError::Invalid(why) | AppError::Conflict(why) | AppError::Refused(why) => InputError(why).into(),
        AppError::Unavailable(why) => anyhow::anyhow!(why),
        AppError::Internal(cause) => cause,
    }
}

/// Parses arguments already done; runs the command and turns its outcome into an exit code.
pub fn run(cli: Cli) -> ExitCode {
    keep_created_files_private();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            if is_input_error(&err) {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Sets the file creation mask to 077 before anything is written: the database and the
/// `-wal` and `-shm` files SQLite adds, the install secret, demo.json, attachments and exports
/// hold leads and secrets, so whatever umask the server was started with (often 022), what it
/// creates is readable by its own user only. Directories Leadline makes are 0700 explicitly
/// too; this also covers the files libraries create on its behalf.
fn keep_created_files_private() {
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

fn is_input_error(err: &anyhow::Error) -> bool {
    err.downcast_ref::<InputError>().is_some()
        || err.downcast_ref::<Invalid>().is_some()
        || err.downcast_ref::<ConfigError>().is_some()
        || matches!(err.downcast_ref::<OpenError>(), Some(OpenError::MissingFile(_)))
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let mut overrides = cli.global.overrides();
    if let Command::Serve(args) = &cli.command {
        overrides.listen = args.listen;
        overrides.public_base_url = args.public_base_url.clone();
    }
    // The sandbox phone is a client: it needs no configuration and touches no database.
    let command = match cli.command {
        Command::Sim(crate::cli::SimCommand::Call(args)) => return sim::call(&args).await,
        // The bench starts its own server on a temporary database, on a simulated clock.
        Command::Bench(crate::cli::BenchCommand::Attribution(args)) => return bench::attribution(&args).await,
        other => other,
    };
    let config = Config::load(cli.global.config.as_deref(), &overrides)?;
    crate::telemetry::init(config.log_format, &config.log_level);
    match command {
        Command::Serve(args) if args.print_config => {
            print!("{}", config.to_redacted_toml());
            Ok(())
        }
        Command::Serve(_) => serve::run(&config).await,
        Command::Demo(args) => demo::run(&config, args.port).await,
        Command::Migrate(args) => migrate::run(&config, args.create_database).await,
        Command::Backup(args) => backup::backup(&config, &args.path).await,
        Command::Restore(args) => backup::restore(&config, &args.path, args.replace).await,
        Command::Secrets(SecretsCommand::Rotate(args)) => secrets::rotate(&config, args).await,
        Command::Business(cmd) => tenants::business(&open_store(&config, false).await?, cmd).await,
        Command::User(cmd) => people::user(&open_store(&config, false).await?, &config, cmd).await,
        Command::Site(cmd) => sites::site(&open_store(&config, false).await?, &config, cmd).await,
        Command::Number(cmd) => numbers::number(&open_store(&config, false).await?, cmd).await,
        Command::Provider(cmd) => provider::provider(&open_store(&config, false).await?, &config, cmd).await,
        Command::Destination(cmd) => numbers::destination(&open_store(&config, false).await?, cmd).await,
        Command::ApiKey(cmd) => people::api_key(&open_store(&config, false).await?, cmd).await,
        Command::Route(cmd) => routes::route(&open_store(&config, false).await?, cmd).await,
        Command::Source(cmd) => sources::source(&open_store(&config, false).await?, &config, cmd).await,
        Command::Conversion(cmd) => export::conversion(&open_store(&config, false).await?, cmd).await,
        Command::Export(args) => export::export(&open_store(&config, false).await?, args).await,
        Command::Erase(args) => erase::erase(&config, args).await,
        Command::Integration(cmd) => {
            integrations::integration(&open_store(&config, false).await?, cmd, config.reach()).await
        }
        Command::AdGroup(cmd) => adgroup::ad_group(&open_store(&config, false).await?, cmd).await,
        Command::Outbox(cmd) => outbox::outbox(&open_store(&config, false).await?, cmd).await,
        Command::Spam(cmd) => spam::spam_command(&open_store(&config, false).await?, cmd).await,
        Command::Transcripts(cmd) => transcripts::transcripts(&open_store(&config, false).await?, cmd).await,
        Command::Plan(crate::cli::PlanCommand::Capacity(args)) => {
            capacity::capacity(&open_store(&config, false).await?, &args).await
        }
        // Placed above, before any configuration is read.
        Command::Sim(_) | Command::Bench(_) => Ok(()),
    }
}

/// Opens the configured database and applies pending migrations, sealing secrets with the
/// install secret's key. A missing SQLite file is created only at the default path under the
/// data directory, or when `create` is set.
pub async fn open_store(config: &Config, create: bool) -> anyhow::Result<SqlStore> {
    open_store_sealed(config, create, Sealer::new(&config.install_secret()?)).await
}

/// [`open_store`] with the given sealer (`leadline secrets rotate` opens with two keys).
pub async fn open_store_sealed(config: &Config, create: bool, sealer: Sealer) -> anyhow::Result<SqlStore> {
    let (url, is_default) = config.database()?;
    let options = OpenOptions {
        max_connections: config.database_max_connections,
        create_if_missing: create || is_default,
        sealer: Some(sealer),
        ..OpenOptions::default()
    };
    Ok(SqlStore::open_and_migrate(&url, &options).await?)
}
