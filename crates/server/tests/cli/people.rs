//! `leadline user edit | remove | reset-password` and the API-key commands: the same use cases
//! as the settings pages, bad input refused with nothing changed.

use crate::harness::Cli;

fn add_user(cli: &Cli, email: &str, role: &str) {
    cli.ok(&[
        "user",
        "add",
        "--business",
        "acme-upholstery",
        "--email",
        email,
        "--name",
        "Ann",
        "--role",
        role,
    ]);
}

#[test]
fn a_member_is_renamed_given_another_role_and_removed_but_the_last_owner_stays() {
    let cli = Cli::new();
    cli.with_site();
    add_user(&cli, "olive@example.com", "owner");
    add_user(&cli, "ann@example.com", "operator");
    let out = cli.ok(&[
        "user",
        "edit",
        "--business",
        "acme-upholstery",
        "--email",
        "ann@example.com",
        "--name",
        "Ann Smith",
        "--role",
        "owner",
    ]);
    assert!(out.contains("ann@example.com is Ann Smith (owner)"), "{out}");
    let list = cli.ok(&["user", "list", "--business", "acme-upholstery"]);
    assert!(list.contains("ann@example.com") && list.contains("Ann Smith"), "{list}");

    let err = cli.refused(&[
        "user",
        "edit",
        "--business",
        "acme-upholstery",
        "--email",
        "ann@example.com",
        "--role",
        "boss",
    ]);
    assert!(err.contains("not a role"), "{err}");
    let err = cli.refused(&[
        "user",
        "edit",
        "--business",
        "acme-upholstery",
        "--email",
        "nobody@example.com",
        "--name",
        "X",
    ]);
    assert!(err.contains("has no member nobody@example.com"), "{err}");

    cli.ok(&[
        "user",
        "remove",
        "--business",
        "acme-upholstery",
        "--email",
        "ann@example.com",
    ]);
    let err = cli.refused(&[
        "user",
        "remove",
        "--business",
        "acme-upholstery",
        "--email",
        "olive@example.com",
    ]);
    assert!(err.contains("last owner cannot be removed"), "{err}");
    let err = cli.refused(&[
        "user",
        "edit",
        "--business",
        "acme-upholstery",
        "--email",
        "olive@example.com",
        "--role",
        "operator",
    ]);
    assert!(err.contains("last owner cannot be made an operator"), "{err}");
    let list = cli.ok(&["user", "list", "--business", "acme-upholstery"]);
    assert!(
        list.contains("olive@example.com") && list.contains("owner") && !list.contains("ann@example.com"),
        "{list}"
    );
}

#[test]
fn a_reset_link_is_printed_for_a_known_e_mail_only() {
    let cli = Cli::new();
    cli.with_site();
    add_user(&cli, "ann@example.com", "operator");
    let out = cli.ok(&["user", "reset-password", "--email", "ann@example.com"]);
    assert!(out.contains("/app/password/reset/"), "{out}");
    let err = cli.refused(&["user", "reset-password", "--email", "nobody@example.com"]);
    assert!(err.contains("no user has the e-mail nobody@example.com"), "{err}");
}

#[test]
fn an_api_key_is_created_listed_and_revoked_through_the_use_cases() {
    let cli = Cli::new();
    cli.with_site();
    let out = cli.ok(&["api-key", "create", "--business", "acme-upholstery", "--name", "CRM"]);
    assert!(out.contains("key (shown once, stored only as a hash): ll_"), "{out}");
    assert!(
        cli.ok(&["api-key", "list", "--business", "acme-upholstery"])
            .contains("live")
    );
    cli.ok(&["api-key", "revoke", "--business", "acme-upholstery", "--id", "1"]);
    assert!(
        cli.ok(&["api-key", "list", "--business", "acme-upholstery"])
            .contains("revoked")
    );
    let err = cli.refused(&["api-key", "revoke", "--business", "acme-upholstery", "--id", "99"]);
    assert!(err.contains("has no API key 99"), "{err}");
    let err = cli.refused(&["api-key", "create", "--business", "acme-upholstery", "--name", " "]);
    assert!(!err.is_empty());
}
