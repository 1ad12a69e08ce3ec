//! Editing, disabling and removing what a business set up, from the command line: a departed
//! employee's phone stops ringing, a removed number or site is no longer listed.

use crate::harness::Cli;

fn add_number(cli: &Cli, key: &str) {
    let out = cli.run_with_stdin(
        &[
            "number",
            "add",
            "+12025550100",
            "--site",
            key,
            "--account-sid",
            "AC1",
            "--auth-token-stdin",
        ],
        "0123456789abcdef0123\n",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_site_is_edited_disabled_enabled_and_removed_after_its_number() {
    let cli = Cli::new();
    let key = cli.with_site();
    let biz = ["--business", "acme-upholstery", "--site", &key];
    let out = cli.ok(&[
        &["site", "edit"][..],
        &biz,
        &[
            "--name",
            "Shop",
            "--domain",
            "shop.example",
            "--timezone",
            "Europe/Berlin",
        ],
    ]
    .concat());
    assert!(out.contains("'Shop': shop.example Europe/Berlin USD"), "{out}");
    let err = cli.refused(&[&["site", "edit"][..], &biz, &["--idle-minutes", "0"]].concat());
    assert!(err.contains("idle minutes: it must be at least 1"), "{err}");
    cli.ok(&[&["site", "disable"][..], &biz].concat());
    assert!(
        cli.ok(&["site", "list", "--business", "acme-upholstery"])
            .contains("Shop")
    );
    assert!(
        cli.ok(&["site", "list", "--business", "acme-upholstery"])
            .contains("(disabled)")
    );
    cli.ok(&[&["site", "enable"][..], &biz].concat());
    assert!(
        !cli.ok(&["site", "list", "--business", "acme-upholstery"])
            .contains("(disabled)")
    );

    add_number(&cli, &key);
    let err = cli.refused(&[&["site", "remove"][..], &biz].concat());
    assert!(err.contains("serves only this site"), "{err}");
    let out = cli.run_with_stdin(
        &[
            "number",
            "edit",
            "+12025550100",
            "--business",
            "acme-upholstery",
            "--account-sid",
            "AC2",
            "--auth-token-stdin",
        ],
        "fedcba9876543210fedc\n",
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains("(AC2)") && said.contains("auth token replaced"),
        "{said}"
    );
    assert!(!said.contains("fedcba9876543210fedc"), "the token is never shown");
    cli.ok(&["number", "remove", "+12025550100", "--business", "acme-upholstery"]);
    assert_eq!(cli.ok(&["number", "list", "--business", "acme-upholstery"]), "");
    cli.ok(&[&["site", "remove"][..], &biz].concat());
    assert_eq!(cli.ok(&["site", "list", "--business", "acme-upholstery"]), "");
    let err = cli.refused(&[&["site", "edit"][..], &biz, &["--name", "Back"]].concat());
    assert!(err.contains("has no site"), "{err}");
}

#[test]
fn a_destination_is_edited_disabled_and_removed() {
    let cli = Cli::new();
    cli.with_site();
    let biz = ["--business", "acme-upholstery"];
    cli.ok(&[
        &["destination", "add"][..],
        &biz,
        &["--name", "Ann", "--number", "+12025550111"],
    ]
    .concat());
    let out = cli.ok(&[
        &["destination", "edit"][..],
        &biz,
        &["--number", "+12025550111", "--name", "Ann Lee", "--department", "Sales"],
    ]
    .concat());
    assert!(out.contains("'Ann Lee' +12025550111"), "{out}");
    cli.ok(&[&["destination", "disable"][..], &biz, &["--number", "+12025550111"]].concat());
    let list = cli.ok(&[&["destination", "list"][..], &biz].concat());
    assert!(list.contains("Sales (disabled)"), "{list}");
    cli.ok(&[&["destination", "remove"][..], &biz, &["--number", "+12025550111"]].concat());
    assert_eq!(cli.ok(&[&["destination", "list"][..], &biz].concat()), "");
    let err = cli.refused(&[&["destination", "remove"][..], &biz, &["--number", "+12025550111"]].concat());
    assert!(err.contains("has no destination +12025550111"), "{err}");
}
