//! `leadline conversion …` and `leadline export …`: marking calls and form submissions as
//! conversions, and writing the Google Ads and Microsoft Advertising import files.

use crate::app::AppError;
use crate::app::conversions::{self, MarkInput};
use crate::cli::{ConversionCommand, ExportArgs, RecordArgs};
use crate::commands::InputError;
use crate::commands::tenants::{find_business, said};
use crate::export::{self, Bound, Columns, Export, Format, Request, SiteError};
use leadline_core::conversion::{Conversion, ConversionRecord};
use leadline_core::form::MessageId;
use leadline_core::lead::Author;
use leadline_core::money::format_minor;
use leadline_core::store::Store;
use std::io::Write;

/// Who marks from the command line (shown as the mark's author).
const CLI_AUTHOR: &str = "cli";

/// Runs a conversion command.
pub async fn conversion(store: &dyn Store, command: ConversionCommand) -> anyhow::Result<()> {
    match command {
        ConversionCommand::Mark(args) => {
            let business = find_business(store, &args.business).await?;
            let record = record(&args.record)?;
            let input = MarkInput {
                name: args.name.as_deref(),
                value: args.value.as_deref(),
                currency: args.currency.as_deref(),
            };
            let author = Author::from_stored(CLI_AUTHOR);
            let marked = conversions::mark(store, business.id, &record, &input, &author)
                .await
                .map_err(|err| missing(err, &record))?;
            println!("{}", describe(&marked));
        }
        ConversionCommand::Unmark { business, record: args } => {
            let business = find_business(store, &business).await?;
            let record = record(&args)?;
            let author = Author::from_stored(CLI_AUTHOR);
            let removed = conversions::unmark(store, business.id, &record, &author)
                .await
                .map_err(|err| missing(err, &record))?;
            let what = name(&record);
            if removed {
                println!("unmarked {what}");
            } else {
                println!("{what} was not marked");
            }
        }
    }
    Ok(())
}

/// The record `--call` or `--submission` names (clap makes sure exactly one is given).
fn record(args: &RecordArgs) -> anyhow::Result<ConversionRecord> {
    match (&args.call, &args.submission) {
        (Some(record_ref), _) => Ok(ConversionRecord::Call {
            record_ref: *record_ref,
        }),
        (None, Some(message)) => Ok(ConversionRecord::Submission {
            message_id: MessageId::parse(message)?,
        }),
        (None, None) => Err(InputError("give --call REF or --submission MESSAGE_ID".into()).into()),
    }
}

fn name(record: &ConversionRecord) -> String {
    match record {
        ConversionRecord::Call { record_ref } => format!("call {record_ref}"),
        ConversionRecord::Submission { message_id } => format!("submission {}", message_id.as_str()),
    }
}

/// A missing record as bad input naming it; other store errors as they are.
fn missing(err: AppError, record: &ConversionRecord) -> anyhow::Error {
    crate::commands::app_failure(err, || format!("the business has no {}", name(record)))
}

/// "marked call 1042 as 'Phone Call' (1200.50 USD)".
fn describe(conversion: &Conversion) -> String {
    let value = match conversion.value {
        Some(v) => format!(
            "{} {}",
            format_minor(v.minor, v.currency.minor_digits()),
            v.currency.code()
        ),
        None => "value from the lead's sales".to_owned(),
    };
    format!(
        "marked {} as '{}' ({value})",
        name(&conversion.record),
        conversion.name.as_str()
    )
}

/// Writes an export to `--output` or standard output.
pub async fn export(store: &dyn Store, args: ExportArgs) -> anyhow::Result<()> {
    let export = Export::ALL
        .into_iter()
        .find(|e| e.name() == args.platform)
        .ok_or_else(|| InputError(format!("unknown export '{}'", args.platform)))?;
    let format = if args.format == "xlsx" {
        Format::Xlsx
    } else {
        Format::Csv
    };
    if args.five_columns && export != Export::GoogleAds {
        return Err(InputError(format!(
            "--five-columns is for google-ads only; {} has one template",
            export.name()
        ))
        .into());
    }
    if format == Format::Xlsx && args.output.is_none() {
        return Err(InputError("an xlsx export needs --output FILE".into()).into());
    }
    let business = find_business(store, &args.business).await?;
    let site = export::choose_site(store, business.id, args.site.as_deref())
        .await
        .map_err(|err| -> anyhow::Error {
            match err {
                SiteError::Unknown(key) => InputError(format!(
                    "'{}' has no site {key}: see `leadline site list`",
                    business.slug
                ))
                .into(),
                SiteError::Several(_) => InputError(format!("{err}: give --site KEY")).into(),
                SiteError::None => InputError(err.to_string()).into(),
                SiteError::Store(store) => said(store),
            }
        })?;
    let bound = |text: &Option<String>, end| {
        text.as_deref()
            .map(|t| export::parse_bound(t, site.timezone, end))
            .transpose()
    };
    let request = Request {
        export,
        from: bound(&args.from, Bound::From)?,
        to: bound(&args.to, Bound::To)?,
        include_unmarked: args.include_unmarked,
        columns: if args.five_columns {
            Columns::Five
        } else {
            Columns::WithBraids
        },
    };
    if let (Some(from), Some(to)) = (request.from, request.to)
        && from >= to
    {
        return Err(InputError("--from is not before --to".into()).into());
    }
    let sheet = export::build(store, business.id, &site, &request).await?;
    let bytes = match format {
        Format::Csv => export::csv(&sheet),
        Format::Xlsx => export::xlsx(&sheet)?,
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, &bytes).map_err(|e| InputError(format!("cannot write {}: {e}", path.display())))?;
            eprintln!(
                "wrote {} conversion{} to {}",
                sheet.rows.len(),
                if sheet.rows.len() == 1 { "" } else { "s" },
                path.display()
            );
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&bytes)?;
            stdout.flush()?;
        }
    }
    if sheet.skipped > 0 {
        eprintln!(
            "left out {} marked record{} without {}",
            sheet.skipped,
            if sheet.skipped == 1 { "" } else { "s" },
            request.columns.needs(export)
        );
    }
    if sheet.braid_only > 0 {
        eprintln!(
            "left out {} record{} whose only Google click id is a gbraid or wbraid: the five-column \
             template has no column for it (export without --five-columns to list {})",
            sheet.braid_only,
            if sheet.braid_only == 1 { "" } else { "s" },
            if sheet.braid_only == 1 { "it" } else { "them" },
        );
    }
    Ok(())
}
