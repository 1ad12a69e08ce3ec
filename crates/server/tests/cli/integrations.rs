//! `leadline integration edit | test | remove`: an integration is changed in place with its
//! kind kept, tried with a sample event whose answer is printed, and removed; another
//! business's id is refused.

use crate::harness::Cli;

const BUSINESS: &str = "acme-upholstery";

fn secret_file(cli: &Cli) -> String {
    let path = cli.path("hook.secret");
    std::fs::write(&path, "whsec_fromAFileOfMine\n").unwrap();
    path.display().to_string()
}

/// The id the `created …` line names.
fn created_id(out: &str) -> String {
    out.split_whitespace()
        .nth(3)
        .expect("created KIND integration ID …")
        .to_owned()
}

#[test]
fn an_integration_is_changed_in_place_tried_and_removed() {
    let cli = Cli::new();
    cli.with_site();
    let secret = secret_file(&cli);
    let out = cli.ok(&[
        "integration",
        "add",
        "--business",
        BUSINESS,
        "--name",
        "Warehouse",
        "webhook",
        "--url",
        "https://hooks.acme.invalid/in",
        "--secret-file",
        &secret,
    ]);
    let id = created_id(&out);

    let out = cli.ok(&[
        "integration",
        "edit",
        "--id",
        &id,
        "--business",
        BUSINESS,
        "--name",
        "Lake",
        "webhook",
        "--url",
        "https://lake.acme.invalid/in",
        "--secret-file",
        &secret,
    ]);
    assert!(
        out.contains(&format!("changed webhook integration {id} 'Lake'")),
        "{out}"
    );
    let listed = cli.ok(&["integration", "list", "--business", BUSINESS]);
    assert!(
        listed.contains("Lake") && listed.contains("https://lake.acme.invalid/…"),
        "{listed}"
    );
    assert!(!listed.contains("whsec_fromAFileOfMine"), "{listed}");

    let refused = cli.refused(&[
        "integration",
        "edit",
        "--id",
        &id,
        "--business",
        BUSINESS,
        "--name",
        "Lake",
        "hubspot",
        "--token-file",
        &secret,
    ]);
    assert!(refused.contains("stays one"), "{refused}");

    // The target's host does not resolve: the test says so and fails.
    let tried = cli.run(&["integration", "test", "--business", BUSINESS, "--id", &id]);
    assert_eq!(tried.status.code(), Some(1));
    let printed = String::from_utf8_lossy(&tried.stdout);
    assert!(
        printed.contains("sent: a sample form.completed event") && printed.contains("answer: "),
        "{printed}"
    );

    cli.ok(&["business", "add", "Rival Co"]);
    let refused = cli.refused(&["integration", "remove", "--business", "rival-co", "--id", &id]);
    assert!(refused.contains("has no integration"), "{refused}");
    let out = cli.ok(&["integration", "remove", "--business", BUSINESS, "--id", &id]);
    assert!(out.contains(&format!("removed integration {id}")), "{out}");
    assert!(
        !cli.ok(&["integration", "list", "--business", BUSINESS])
            .contains("Lake")
    );
}
