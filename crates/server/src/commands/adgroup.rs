//! `leadline ad-group …`: master ads and master phrases, through the same use cases as
//! Settings and the API.

use crate::app::adgroup as cases;
use crate::cli::AdGroupCommand;
use crate::commands::tenants::find_business;
use crate::commands::{InputError, app_failure};
use leadline_core::Invalid;
use leadline_core::adgroup::{AdRule, NewMasterAd, NewMasterPhrase};
use leadline_core::lead::Author;
use leadline_core::names::Name;
use leadline_core::routing::Move;
use leadline_core::store::Store;

fn author() -> Author {
    Author::from_stored("cli")
}

/// Runs an ad-group command.
pub async fn ad_group(store: &dyn Store, command: AdGroupCommand) -> anyhow::Result<()> {
    match command {
        AdGroupCommand::List { business } => {
            let business = find_business(store, &business).await?;
            let grouping = cases::ad_grouping(store, business.id)
                .await
                .map_err(|e| app_failure(e, String::new))?;
            for (i, ad) in grouping.ads.iter().enumerate() {
                let rules: Vec<String> = ad.rules.iter().map(rule_text).collect();
                println!("{:>3}. [master ad {}] {}: {}", i + 1, ad.id, ad.name, rules.join(" | "));
            }
            for phrase in &grouping.phrases {
                println!(
                    "[master phrase {}] {}: {}",
                    phrase.id,
                    phrase.name,
                    phrase.variants.join(", ")
                );
            }
        }
        AdGroupCommand::AddAd { business, name, rules } => {
            let business = find_business(store, &business).await?;
            let new = NewMasterAd {
                name: Name::parse_as("name", &name)?,
                rules: rules_of(&rules)?,
            };
            let ad = cases::add_master_ad(store, business.id, &new, &author())
                .await
                .map_err(|e| app_failure(e, || format!("no business {}", business.slug)))?;
            println!("added master ad {} ({})", ad.id, ad.name);
        }
        AdGroupCommand::EditAd {
            business,
            id,
            name,
            rules,
        } => {
            let business = find_business(store, &business).await?;
            let missing = || format!("'{}' has no master ad {id}", business.slug);
            let ad = cases::master_ad(store, business.id, id)
                .await
                .map_err(|e| app_failure(e, missing))?;
            let edit = NewMasterAd {
                name: name.map(|n| Name::parse_as("name", &n)).transpose()?.unwrap_or(ad.name),
                rules: if rules.is_empty() { ad.rules } else { rules_of(&rules)? },
            };
            cases::edit_master_ad(store, business.id, id, &edit, &author())
                .await
                .map_err(|e| app_failure(e, missing))?;
            println!("changed master ad {id}");
        }
        AdGroupCommand::MoveAd { business, id, earlier } => {
            let business = find_business(store, &business).await?;
            let direction = if earlier { Move::Earlier } else { Move::Later };
            cases::move_master_ad(store, business.id, id, direction, &author())
                .await
                .map_err(|e| app_failure(e, || format!("'{}' has no master ad {id}", business.slug)))?;
            println!("moved master ad {id} {}", if earlier { "earlier" } else { "later" });
        }
        AdGroupCommand::RemoveAd { business, id } => {
            let business = find_business(store, &business).await?;
            cases::remove_master_ad(store, business.id, id, &author())
                .await
                .map_err(|e| app_failure(e, || format!("'{}' has no master ad {id}", business.slug)))?;
            println!("removed master ad {id}");
        }
        AdGroupCommand::AddPhrase {
            business,
            name,
            variants,
        } => {
            let business = find_business(store, &business).await?;
            let new = NewMasterPhrase {
                name: Name::parse_as("name", &name)?,
                variants,
            };
            let phrase = cases::add_master_phrase(store, business.id, &new, &author())
                .await
                .map_err(|e| app_failure(e, || format!("no business {}", business.slug)))?;
            println!(
                "added master phrase {} ({}): {}",
                phrase.id,
                phrase.name,
                phrase.variants.join(", ")
            );
        }
        AdGroupCommand::EditPhrase {
            business,
            id,
            name,
            variants,
        } => {
            let business = find_business(store, &business).await?;
            let missing = || format!("'{}' has no master phrase {id}", business.slug);
            let phrase = cases::master_phrase(store, business.id, id)
                .await
                .map_err(|e| app_failure(e, missing))?;
            let edit = NewMasterPhrase {
                name: name
                    .map(|n| Name::parse_as("name", &n))
                    .transpose()?
                    .unwrap_or(phrase.name),
                variants: if variants.is_empty() { phrase.variants } else { variants },
            };
            cases::edit_master_phrase(store, business.id, id, &edit, &author())
                .await
                .map_err(|e| app_failure(e, missing))?;
            println!("changed master phrase {id}");
        }
        AdGroupCommand::RemovePhrase { business, id } => {
            let business = find_business(store, &business).await?;
            cases::remove_master_phrase(store, business.id, id, &author())
                .await
                .map_err(|e| app_failure(e, || format!("'{}' has no master phrase {id}", business.slug)))?;
            println!("removed master phrase {id}");
        }
    }
    Ok(())
}

/// Rules written `source=google*;campaign=*brand*;content=banner-a`.
fn rules_of(rules: &[String]) -> anyhow::Result<Vec<AdRule>> {
    rules.iter().map(|text| rule_of(text)).collect()
}

fn rule_of(text: &str) -> anyhow::Result<AdRule> {
    let (mut source, mut campaign, mut content) = ("", "", "");
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (field, value) = part.split_once('=').ok_or_else(|| {
            InputError(format!(
                "rule '{text}': '{part}' is not FIELD=PATTERN (source, campaign or content)"
            ))
        })?;
        match field.trim() {
            "source" => source = value,
            "campaign" => campaign = value,
            "content" => content = value,
            other => {
                return Err(InputError(format!("rule '{text}': '{other}' is not source, campaign or content")).into());
            }
        }
    }
    AdRule::parse(source, campaign, content).map_err(|e: Invalid| InputError(format!("rule '{text}': {e}")).into())
}

/// A rule as the command line writes it.
fn rule_text(rule: &AdRule) -> String {
    [
        ("source", &rule.source),
        ("campaign", &rule.campaign),
        ("content", &rule.content),
    ]
    .into_iter()
    .filter_map(|(field, p)| p.as_ref().map(|p| format!("{field}={p}")))
    .collect::<Vec<_>>()
    .join(";")
}
