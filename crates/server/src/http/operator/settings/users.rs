//! `/app/settings/users`: the business's members with their roles, inviting someone by
//! e-mail (a one-time link, mailed through the relay or shown to pass on), changing a
//! member's role and removing a member. Every change goes through `app::people`.

use crate::app::people::{self, Invite, Invited, Links};
use crate::app::{AppError, AppState};
use crate::http::operator::session::{Operator, Owner};
use crate::http::operator::shell::{Header, Section};
use crate::http::operator::view::render;
use crate::web::error::ApiError;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use leadline_core::UserId;
use leadline_core::access::MemberChange;
use leadline_core::lead::Author;
use leadline_core::names::Name;
use leadline_core::net::Email;
use leadline_core::tenant::{Role, User};
use serde::Deserialize;

/// The invitation form as typed, with the reason next to each field refused.
#[derive(Default)]
pub struct InviteDraft {
    name: String,
    email: String,
    role: String,
    name_error: Option<String>,
    email_error: Option<String>,
    role_error: Option<String>,
    /// A refusal about the whole invitation (already a member).
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "settings_users.html")]
struct UsersPage {
    header: Header,
    members: Vec<User>,
    /// Your own row is marked.
    me: UserId,
    draft: InviteDraft,
    /// A member's row, and why the change to it was refused.
    row_error: Option<(UserId, String)>,
    /// What the last change did.
    notice: Option<String>,
    /// A one-time link to pass on by hand (no relay, or it failed).
    link: Option<String>,
}

impl UsersPage {
    fn row_error_of(&self, user: &UserId) -> Option<&str> {
        self.row_error
            .as_ref()
            .filter(|(id, _)| id == user)
            .map(|(_, why)| why.as_str())
    }
}

struct Shown {
    status: StatusCode,
    draft: InviteDraft,
    row_error: Option<(UserId, String)>,
    notice: Option<String>,
    link: Option<String>,
}

impl Shown {
    fn ok() -> Self {
        Self {
            status: StatusCode::OK,
            draft: InviteDraft {
                role: "operator".into(),
                ..InviteDraft::default()
            },
            row_error: None,
            notice: None,
            link: None,
        }
    }
}

async fn page(state: &AppState, owner: &Operator, shown: Shown) -> Result<Response, ApiError> {
    let page = UsersPage {
        header: Header::of(state, owner, Section::Settings).await?,
        members: state.store.list_users(owner.business).await?,
        me: owner.user.id,
        draft: shown.draft,
        row_error: shown.row_error,
        notice: shown.notice,
        link: shown.link,
    };
    Ok((shown.status, render(&page)).into_response())
}

/// `GET /app/settings/users`.
pub async fn list(State(state): State<AppState>, Owner(owner): Owner) -> Result<Response, ApiError> {
    page(&state, &owner, Shown::ok()).await
}

/// The invitation form's fields.
#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

/// The form read into an invitation, or the draft with each field's reason.
fn parse_invite(form: &InviteForm) -> Result<Invite, Box<InviteDraft>> {
    let name = Name::parse_as("user name", &form.name);
    let email = Email::parse(&form.email);
    let role = Role::parse(&form.role);
    match (name, email, role) {
        (Ok(name), Ok(email), Ok(role)) => Ok(Invite { email, name, role }),
        (name, email, role) => Err(Box::new(InviteDraft {
            name: form.name.clone(),
            email: form.email.clone(),
            role: form.role.clone(),
            name_error: name.err().map(|e| e.reason),
            email_error: email.err().map(|e| e.reason),
            role_error: role.err().map(|e| e.reason),
            error: None,
        })),
    }
}

/// `POST /app/settings/users`: invites someone.
pub async fn invite(
    State(state): State<AppState>,
    Owner(owner): Owner,
    headers: HeaderMap,
    Form(form): Form<InviteForm>,
) -> Result<Response, ApiError> {
    owner.check_post(&state, &headers, &form.csrf)?;
    let invite = match parse_invite(&form) {
        Ok(invite) => invite,
        Err(draft) => {
            let shown = Shown {
                status: StatusCode::BAD_REQUEST,
                draft: *draft,
                ..Shown::ok()
            };
            return page(&state, &owner, shown).await;
        }
    };
    let links = Links {
        base_url: &state.base_url,
        mailer: state.mailer.as_deref(),
    };
    let author = Author::user(&owner.user.email);
    match people::invite(state.store.as_ref(), &links, owner.business, &invite, &author).await {
        Ok(Invited::Member(user)) => {
            let notice = format!(
                "{} ({}) is now a member, as {}.",
                user.name,
                user.email,
                user.role.as_str()
            );
            page(
                &state,
                &owner,
                Shown {
                    notice: Some(notice),
                    ..Shown::ok()
                },
            )
            .await
        }
        Ok(Invited::Link { mailed: true, .. }) => {
            let notice = format!(
                "An invitation was mailed to {}; its link works once, for 7 days.",
                invite.email
            );
            page(
                &state,
                &owner,
                Shown {
                    notice: Some(notice),
                    ..Shown::ok()
                },
            )
            .await
        }
        Ok(Invited::Link { url, mailed: false }) => {
            let notice = format!(
                "No mail could be sent: give {} this link (shown once; it works once, for 7 days).",
                invite.email
            );
            let shown = Shown {
                notice: Some(notice),
                link: Some(url),
                ..Shown::ok()
            };
            page(&state, &owner, shown).await
        }
        Err(AppError::Conflict(why) | AppError::Invalid(why)) => {
            let draft = InviteDraft {
                name: form.name,
                email: form.email,
                role: form.role,
                error: Some(why),
                ..InviteDraft::default()
            };
            let shown = Shown {
                status: StatusCode::CONFLICT,
                draft,
                ..Shown::ok()
            };
            page(&state, &owner, shown).await
        }
        Err(other) => Err(other.into()),
    }
}

/// A member's role form, and the remove form (role unused).
#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

fn member_id(id: &str) -> Result<UserId, ApiError> {
    id.parse().map(UserId).map_err(|_| ApiError::NotFound)
}

/// Applies a change to a member and shows the list, or the reason next to the member. A
/// removal that disabled the member's destinations says which.
async fn change(state: &AppState, owner: &Operator, user: UserId, change: MemberChange) -> Result<Response, ApiError> {
    let author = Author::user(&owner.user.email);
    let member = state.store.member(owner.business, user).await?;
    match people::change_member(state.store.as_ref(), owner.business, user, change, &author).await {
        Ok(_) if user == owner.user.id && change != MemberChange::Role(Role::Owner) => {
            // Owners who step down or leave cannot see Settings any more.
            Ok(Redirect::to("/app/").into_response())
        }
        Ok(disabled) if !disabled.is_empty() => {
            let phones = disabled
                .iter()
                .map(|d| format!("{} ({})", d.name, d.number))
                .collect::<Vec<_>>()
                .join(", ");
            let notice = format!(
                "{} was removed. Their destinations were disabled and are no longer rung: {phones}.",
                member.name
            );
            let shown = Shown {
                notice: Some(notice),
                ..Shown::ok()
            };
            page(state, owner, shown).await
        }
        Ok(_) => Ok(Redirect::to("/app/settings/users").into_response()),
        Err(AppError::Invalid(why) | AppError::Conflict(why)) => {
            let shown = Shown {
                status: StatusCode::BAD_REQUEST,
                row_error: Some((user, why)),
                ..Shown::ok()
            };
            page(state, owner, shown).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /app/settings/users/{id}/role`.
pub async fn change_role(
    State(state): State<AppState>,
    Owner(owner): Owner,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<MemberForm>,
) -> Result<Response, ApiError> {
    owner.check_post(&state, &headers, &form.csrf)?;
    let user = member_id(&id)?;
    state.store.member(owner.business, user).await?;
    match Role::parse(&form.role) {
        Ok(role) => change(&state, &owner, user, MemberChange::Role(role)).await,
        Err(e) => {
            let shown = Shown {
                status: StatusCode::BAD_REQUEST,
                row_error: Some((user, e.reason)),
                ..Shown::ok()
            };
            page(&state, &owner, shown).await
        }
    }
}

/// `POST /app/settings/users/{id}/remove`.
pub async fn remove(
    State(state): State<AppState>,
    Owner(owner): Owner,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<MemberForm>,
) -> Result<Response, ApiError> {
    owner.check_post(&state, &headers, &form.csrf)?;
    change(&state, &owner, member_id(&id)?, MemberChange::Remove).await
}
