//! `leadline transcripts …`: the same use cases as Settings › Transcripts
//! (`app::transcripts`, `app::speech_rules`).

use super::InputError;
use super::tenants::{find_business, read_stdin_line};
use crate::app::{AppError, speech_rules, transcripts};
use crate::cli::{ServiceKind, TranscriptsCommand};
use leadline_core::lead::{Author, LeadStatus};
use leadline_core::secret::Secret;
use leadline_core::speech_rules::{NewSpeechRule, Who, parse_phrases};
use leadline_core::store::Store;
use leadline_core::transcript::{Language, ServiceBase, SpeechApi, SpeechModel, TranscriptionService};

fn author() -> Author {
    Author::from_stored("cli")
}

/// A use case's refusal as the command line says it: input errors exit 2.
fn said(err: AppError) -> anyhow::Error {
    match err {
        AppError::NotFound => InputError("not found for this business".into()).into(),
        AppError::Invalid(why) | AppError::Conflict(why) | AppError::Refused(why) => InputError(why).into(),
        AppError::Unavailable(why) => anyhow::anyhow!(why),
        AppError::Internal(cause) => cause,
    }
}

fn required(value: Option<String>, flag: &str) -> anyhow::Result<String> {
    value.ok_or_else(|| InputError(format!("give --{flag}")).into())
}

/// `leadline transcripts …`
pub async fn transcripts(store: &dyn Store, command: TranscriptsCommand) -> anyhow::Result<()> {
    match command {
        TranscriptsCommand::Show { business } => {
            let business = find_business(store, &business).await?;
            match store.transcription_service(business.id).await? {
                None => println!("service: off"),
                Some(TranscriptionService::Provider) => println!("service: the telephony provider"),
                Some(TranscriptionService::SpeechApi(api)) => println!(
                    "service: {} model {} ({}), key set",
                    api.base.as_str(),
                    api.model.as_str(),
                    api.response_format()
                ),
            }
            for rule in store.speech_rules(business.id).await? {
                let phrases: Vec<String> = rule.rule.phrases.iter().map(|p| p.as_text()).collect();
                println!(
                    "rule {}: {} [{}] tag={} status={} weight={}",
                    rule.id,
                    rule.rule.who.as_str(),
                    phrases.join(", "),
                    rule.rule.tag.as_deref().unwrap_or("-"),
                    rule.rule.status.map_or("-", |s| s.as_str()),
                    rule.rule.weight
                );
            }
        }
        TranscriptsCommand::Service {
            business,
            kind,
            url,
            model,
            key_stdin,
            language,
            diarize,
        } => {
            let business = find_business(store, &business).await?;
            let service = match kind {
                ServiceKind::Off => None,
                ServiceKind::Provider => Some(TranscriptionService::Provider),
                ServiceKind::SpeechApi => {
                    let key = if key_stdin {
                        Secret::new(read_stdin_line("API key")?)
                    } else {
                        match store.transcription_service(business.id).await? {
                            Some(TranscriptionService::SpeechApi(api)) => api.key,
                            _ => return Err(InputError("give --key-stdin: no key is stored yet".into()).into()),
                        }
                    };
                    Some(TranscriptionService::SpeechApi(SpeechApi {
                        base: ServiceBase::parse(&required(url, "url")?)?,
                        model: SpeechModel::parse(&required(model, "model")?)?,
                        key,
                        language: language.as_deref().map(Language::parse).transpose()?,
                        diarize,
                    }))
                }
            };
            transcripts::set_service(store, business.id, &author(), service)
                .await
                .map_err(said)?;
            println!("saved");
        }
        TranscriptsCommand::AddRule {
            business,
            phrases,
            caller,
            tag,
            status,
            weight,
        } => {
            let business = find_business(store, &business).await?;
            let rule = NewSpeechRule {
                phrases: parse_phrases(&phrases)?,
                who: if caller { Who::Caller } else { Who::Anyone },
                tag,
                status: status.as_deref().map(LeadStatus::parse).transpose()?,
                weight,
            };
            let added = speech_rules::add_rule(store, business.id, &author(), &rule)
                .await
                .map_err(said)?;
            println!("added rule {}", added.id);
        }
        TranscriptsCommand::RemoveRule { business, id } => {
            let business = find_business(store, &business).await?;
            speech_rules::remove_rule(store, business.id, &author(), id)
                .await
                .map_err(said)?;
            println!("removed rule {id}");
        }
        TranscriptsCommand::Reapply { business } => {
            let business = find_business(store, &business).await?;
            let count = speech_rules::reapply(store, business.id, &author())
                .await
                .map_err(said)?;
            println!("applied the rules to {count} past transcript(s)");
        }
    }
    Ok(())
}
