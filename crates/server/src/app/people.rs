//! People: inviting someone to a business by a one-time link (or, for someone who already
//! has a login, adding the membership at once), accepting, changing a member's role or name,
//! removing a member, password resets, and moving a session to another business of its
//! user. The settings pages, the invitation and reset pages, and the CLI call these.

use super::{AppError, AppResult, audit};
use crate::mail::{Mail, Mailer};
use leadline_core::access::{INVITATION_TTL, LINK_TOKEN_CHARS, MemberChange, NewInvitation, RESET_TTL};
use leadline_core::audit::{AuditAction, AuditDetail, AuditSubject};
use leadline_core::lead::Author;
use leadline_core::names::Name;
use leadline_core::net::Email;
use leadline_core::secret::{NewPassword, api_key_hash, random_token};
use leadline_core::store::{Store, StoreError};
use leadline_core::tenant::{Destination, NewUser, Role, User};
use leadline_core::{BusinessId, UserId};
use std::time::Duration;

/// Whom to invite, parsed by the surface.
#[derive(Debug, Clone)]
pub struct Invite {
    pub email: Email,
    pub name: Name,
    pub role: Role,
}

/// What an invitation did.
#[derive(Debug)]
pub enum Invited {
    /// The e-mail already had a login: it is now a member, nothing to accept.
    Member(User),
    /// A one-time link was made; `mailed` says whether the relay took it (else the owner
    /// passes it on). The link is the secret: shown to the inviter once, never logged.
    Link { url: String, mailed: bool },
}

/// Where a one-time link leads, and how to send it.
pub struct Links<'a> {
    /// The server's public base URL, without the trailing slash.
    pub base_url: &'a str,
    /// The SMTP relay, when one is configured.
    pub mailer: Option<&'a Mailer>,
}

impl Links<'_> {
    async fn mail(&self, to: &Email, subject: String, body: String) -> bool {
        let Some(mailer) = self.mailer else {
            return false;
        };
        let mail = Mail {
            to: to.to_string(),
            subject,
            body,
            in_reply_to: None,
        };
        match mailer.send(&mail).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "a one-time link could not be mailed");
                false
            }
        }
    }
}

fn now_ms() -> i64 {
    leadline_core::clock::now().timestamp_millis()
}

fn expiry(ttl: Duration) -> i64 {
    now_ms().saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX))
}

/// Adds a user with a password to a business (the command line's `leadline user add`; the
/// pages invite instead). `Conflict` when the e-mail is taken, `NotFound` for an unknown
/// business.
pub async fn add_user(store: &dyn Store, new: &NewUser, author: &Author) -> AppResult<User> {
    let created = store.create_user(new).await?;
    let subject = AuditSubject::of("user", created.id.0);
    let detail = AuditDetail::new(created.role.as_str());
    audit::record(store, new.business_id, author, AuditAction::UserAdded, subject, detail).await;
    Ok(created)
}

/// Invites `invite` to `business`: an existing login becomes a member at once (told by
/// mail when a relay is set up); anyone else gets a link valid for seven days.
pub async fn invite(
    store: &dyn Store,
    links: &Links<'_>,
    business: BusinessId,
    invite: &Invite,
    author: &Author,
) -> AppResult<Invited> {
    let business_name = store.business(business).await?.name;
    match store.user_credentials(&invite.email).await {
        Ok(existing) => {
            store
                .add_membership(existing.user.id, business, invite.role)
                .await
                .map_err(|e| match e {
                    StoreError::Conflict(_) => {
                        AppError::Conflict(format!("{} is a member of this business already", invite.email))
                    }
                    other => other.into(),
                })?;
            tracing::info!(author = author.as_str(), user = existing.user.id.0, "member added");
            let (subject, detail) = (
                AuditSubject::of("user", existing.user.id.0),
                AuditDetail::new(invite.role.as_str()),
            );
            audit::record(store, business, author, AuditAction::UserInvited, subject, detail).await;
            let body = format!(
                "You were added to {business_name} on Leadline as {}. Log in at {}/app/login and choose it in the header.",
                invite.role.as_str(),
                links.base_url
            );
            links
                .mail(&invite.email, format!("You were added to {business_name}"), body)
                .await;
            Ok(Invited::Member(store.member(business, existing.user.id).await?))
        }
        Err(StoreError::NotFound) => {
            let token = random_token(LINK_TOKEN_CHARS);
            store
                .create_invitation(&NewInvitation {
                    business_id: business,
                    email: invite.email.clone(),
                    name: invite.name.clone(),
                    role: invite.role,
                    invited_by: author.as_str().to_owned(),
                    token_hash: api_key_hash(&token),
                    expires_at_ms: expiry(INVITATION_TTL),
                })
                .await?;
            tracing::info!(author = author.as_str(), "invitation made");
            // The e-mail is what names an invitation until it is accepted.
            let subject = AuditSubject::of("invitation", &invite.email);
            let detail = AuditDetail::new(invite.role.as_str());
            audit::record(store, business, author, AuditAction::UserInvited, subject, detail).await;
            let url = format!("{}/app/invitations/{token}", links.base_url);
            let body = format!(
                "{} invited you to {business_name} on Leadline. Choose your password within 7 days at:\n\n{url}\n\nThe link works once.",
                invite.name
            );
            let mailed = links
                .mail(&invite.email, format!("Your invitation to {business_name}"), body)
                .await;
            Ok(Invited::Link { url, mailed })
        }
        Err(e) => Err(e.into()),
    }
}

/// Accepts the invitation of `token`: creates the user with `name` and `password`, a member
/// of the inviting business. `NotFound` for a used, expired or unknown link.
pub async fn accept_invitation(store: &dyn Store, token: &str, name: &Name, password: &NewPassword) -> AppResult<User> {
    let hash = api_key_hash(token);
    let user = store
        .accept_invitation(&hash, now_ms(), name, &password.hash())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                AppError::Conflict("this e-mail has a login already: log in, or reset its password".into())
            }
            other => other.into(),
        })?;
    tracing::info!(user = user.id.0, "invitation accepted");
    let (author, subject) = (Author::user(&user.email), AuditSubject::of("user", user.id.0));
    let detail = AuditDetail::new(user.role.as_str());
    audit::record(
        store,
        user.business_id,
        &author,
        AuditAction::UserJoined,
        subject,
        detail,
    )
    .await;
    Ok(user)
}

/// Changes a member's role or removes them (their sessions there end at once, and the
/// business's destinations that are theirs are disabled so their phone no longer rings;
/// calls they answered and activities they wrote keep their name). The last owner stays.
/// Answers the destinations disabled (none for a role change).
pub async fn change_member(
    store: &dyn Store,
    business: BusinessId,
    user: UserId,
    change: MemberChange,
    author: &Author,
) -> AppResult<Vec<Destination>> {
    let disabled = store.change_member(business, user, change).await?;
    tracing::info!(
        author = author.as_str(),
        user = user.0,
        ?change,
        destinations_disabled = disabled.len(),
        "member changed"
    );
    let (action, detail) = match change {
        MemberChange::Role(role) => (AuditAction::UserRoleChanged, AuditDetail::new(role.as_str())),
        MemberChange::Remove => (AuditAction::UserRemoved, AuditDetail::none()),
    };
    audit::record(
        store,
        business,
        author,
        action,
        AuditSubject::of("user", user.0),
        detail,
    )
    .await;
    Ok(disabled)
}

/// Edits a member of `business`: their name and their role there (either may be left).
pub async fn edit_member(
    store: &dyn Store,
    business: BusinessId,
    user: UserId,
    name: Option<&Name>,
    role: Option<Role>,
    author: &Author,
) -> AppResult<User> {
    store.member(business, user).await?;
    if let Some(role) = role {
        change_member(store, business, user, MemberChange::Role(role), author).await?;
    }
    if let Some(name) = name {
        store.rename_user(user, name).await?;
        tracing::info!(author = author.as_str(), user = user.0, "user renamed");
        let (subject, detail) = (AuditSubject::of("user", user.0), AuditDetail::new("name"));
        audit::record(store, business, author, AuditAction::UserUpdated, subject, detail).await;
    }
    Ok(store.member(business, user).await?)
}

/// The member of `business` with this e-mail; `NotFound` for anyone else.
pub async fn member_by_email(store: &dyn Store, business: BusinessId, email: &Email) -> AppResult<User> {
    match store.user_credentials(email).await {
        Ok(credentials) => Ok(store.member(business, credentials.user.id).await?),
        Err(e) => Err(e.into()),
    }
}

/// Makes a password-reset link for the user of `email`, valid for an hour; `NotFound` when
/// no user has it.
pub async fn reset_link(store: &dyn Store, base_url: &str, email: &Email) -> AppResult<String> {
    let user = store.user_credentials(email).await?.user;
    let token = random_token(LINK_TOKEN_CHARS);
    store
        .create_password_reset(user.id, &api_key_hash(&token), expiry(RESET_TTL))
        .await?;
    tracing::info!(user = user.id.0, "password reset link made");
    Ok(format!("{base_url}/app/password/reset/{token}"))
}

/// Mails a reset link to `email` if a user has it; says nothing either way (the page answers
/// the same whether the account exists).
pub async fn request_password_reset(store: &dyn Store, links: &Links<'_>, email: &Email) -> AppResult<()> {
    let url = match reset_link(store, links.base_url, email).await {
        Ok(url) => url,
        Err(AppError::NotFound) => return Ok(()),
        Err(e) => return Err(e),
    };
    let body = format!(
        "Someone asked to reset your Leadline password. Choose a new one within an hour at:\n\n{url}\n\nThe link works once. If it was not you, ignore this mail."
    );
    links.mail(email, "Reset your Leadline password".into(), body).await;
    Ok(())
}

/// Sets a new password through the reset link of `token` and ends every session of its user.
/// `NotFound` for a used, expired or unknown link.
pub async fn reset_password(store: &dyn Store, token: &str, password: &NewPassword) -> AppResult<UserId> {
    let user = store
        .reset_password(&api_key_hash(token), now_ms(), &password.hash())
        .await?;
    tracing::info!(user = user.0, "password reset; every session ended");
    Ok(user)
}

/// Moves the session of `token_hash` to `business`; `NotFound` unless its user is a member.
pub async fn switch_business(store: &dyn Store, token_hash: &str, business: BusinessId) -> AppResult<()> {
    Ok(store.switch_session(token_hash, business).await?)
}
