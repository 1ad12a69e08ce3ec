//! The set-up commands for businesses (sites in `sites.rs`, numbers and destinations in
//! `numbers.rs`, users and API keys in `people.rs`). Every input is parsed into its domain type
//! before anything is written, so bad input changes nothing; each record is written in one
//! transaction.

use crate::attachments::storage::{S3Spec, StorageSpec, parse_s3_url, writable_dir};
use crate::cli::{BusinessCommand, BusinessRef, StorageArgs};
use crate::commands::InputError;
use leadline_core::lead::Author;
use leadline_core::names::{Name, Slug};
use leadline_core::secret::Secret;
use leadline_core::store::{Store, StoreError};
use leadline_core::tenant::{Business, NewBusiness};
use std::io::BufRead;

/// A store error as the command line says it: conflicts are the user's to fix.
pub fn said(err: StoreError) -> anyhow::Error {
    match err {
        StoreError::Conflict(message) => InputError(message).into(),
        StoreError::Invalid(invalid) => invalid.into(),
        other => other.into(),
    }
}

/// The business named by `--business`, or an error naming the unknown slug.
pub async fn find_business(store: &dyn Store, reference: &BusinessRef) -> anyhow::Result<Business> {
    let slug = Slug::parse(&reference.business)?;
    match store.business_by_slug(&slug).await {
        Err(StoreError::NotFound) => {
            Err(InputError(format!("unknown business '{slug}': see `leadline business list`")).into())
        }
        other => other.map_err(said),
    }
}

pub(crate) fn read_stdin_line(what: &str) -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let line = line.trim_end_matches(['\r', '\n']).to_owned();
    if line.is_empty() {
        return Err(InputError(format!("no {what} on standard input")).into());
    }
    Ok(line)
}

/// `leadline business …`
pub async fn business(store: &dyn Store, command: BusinessCommand) -> anyhow::Result<()> {
    match command {
        BusinessCommand::Add { name, slug } => {
            let name = Name::parse_as("business name", &name)?;
            let slug = match slug {
                Some(slug) => Slug::parse(&slug)?,
                None => Slug::from_name(&name)?,
            };
            let created = store.create_business(&NewBusiness { slug, name }).await.map_err(said)?;
            println!("created business '{}' (slug: {})", created.name, created.slug);
        }
        BusinessCommand::List => {
            for b in store.list_businesses().await? {
                println!("{:<24} {}", b.slug, b.name);
            }
        }
        BusinessCommand::Storage(args) => storage(store, args).await?,
    }
    Ok(())
}

/// `leadline business storage …`: every input is checked (the directory written to, the
/// bucket written to and cleaned) before the description is saved.
async fn storage(store: &dyn Store, args: StorageArgs) -> anyhow::Result<()> {
    let wanted = if let Some(dir) = &args.dir {
        Some(Some(StorageSpec::Dir {
            path: writable_dir(dir)?,
        }))
    } else if let Some(location) = &args.s3 {
        Some(Some(s3_storage(location, &args)?))
    } else if args.default {
        Some(None)
    } else {
        None
    };
    let business = find_business(store, &args.business).await?;
    let Some(wanted) = wanted else {
        let shown = match store.attachment_storage(business.id).await.map_err(said)? {
            Some(text) => StorageSpec::from_json(&text)?.describe(),
            None => "the server's default storage".to_owned(),
        };
        println!("business '{}' stores attachments in {shown}", business.slug);
        return Ok(());
    };
    if let Some(spec @ StorageSpec::S3(_)) = &wanted {
        probe(spec).await?;
    }
    crate::app::setup::storage::set_attachment_storage(
        store,
        business.id,
        wanted.as_ref(),
        &Author::from_stored("cli"),
    )
    .await
    .map_err(|e| match e {
        crate::app::AppError::Internal(cause) => cause,
        refused => InputError(refused.to_string()).into(),
    })?;
    let shown = wanted.map_or("the server's default storage".to_owned(), |spec| spec.describe());
    println!("business '{}' now stores attachments in {shown}", business.slug);
    Ok(())
}

fn s3_storage(location: &str, args: &StorageArgs) -> anyhow::Result<StorageSpec> {
    let (bucket, prefix) = parse_s3_url(location)?;
    let (Some(access_key_id), Some(secret_file)) = (&args.s3_access_key_id, &args.s3_secret_access_key_file) else {
        return Err(InputError("--s3 needs --s3-access-key-id and --s3-secret-access-key-file".into()).into());
    };
    let secret = std::fs::read_to_string(secret_file)
        .map_err(|e| InputError(format!("cannot read {}: {e}", secret_file.display())))?;
    let secret = secret.lines().next().unwrap_or("").trim().to_owned();
    if secret.is_empty() {
        return Err(InputError(format!("{} holds no secret access key", secret_file.display())).into());
    }
    let spec = S3Spec {
        bucket,
        prefix,
        endpoint: args.s3_endpoint.as_ref().map(|e| e.trim_end_matches('/').to_owned()),
        region: args.s3_region.clone(),
        access_key_id: Some(access_key_id.trim().to_owned()),
        secret_access_key: Some(Secret::new(secret)),
        allow_http: args.s3_allow_http,
        virtual_hosted_style: args.s3_virtual_hosted_style,
    };
    spec.validate()?;
    Ok(StorageSpec::S3(spec))
}

/// Writes and removes a small object, so a wrong bucket, endpoint or key is found now.
async fn probe(spec: &StorageSpec) -> anyhow::Result<()> {
    use object_store::ObjectStoreExt;
    let refused = |e: &dyn std::fmt::Display| InputError(format!("cannot write to {}: {e}", spec.describe()));
    let bucket = spec.build(false).map_err(|e| refused(&e))?;
    let path = object_store::path::Path::from(format!(".leadline-probe-{}", leadline_core::secret::random_token(12)));
    bucket
        .put(&path, object_store::PutPayload::from_static(b"probe"))
        .await
        .map_err(|e| refused(&e))?;
    bucket.delete(&path).await.map_err(|e| refused(&e))?;
    Ok(())
}
