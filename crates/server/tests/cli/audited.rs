//! The command line's changes are in the business's audit log as `cli`: a user added with a
//! password, where its form files are stored, and a site's post-call prompt switched on and to
//! another channel.

use crate::harness::Cli;

/// The actions the audit log holds for `cli`, oldest first.
fn cli_actions(cli: &Cli) -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = cli.store().await;
        let actions = store
            .stored_texts("SELECT action FROM audit_log WHERE actor = 'cli' ORDER BY id")
            .await
            .unwrap();
        store.close().await;
        actions
    })
}

#[test]
fn changes_made_from_the_command_line_are_in_the_audit_log_as_cli() {
    let cli = Cli::new();
    let site = cli.with_site();
    let before = cli_actions(&cli).len();
    let args = [
        "user",
        "add",
        "--business",
        "acme-upholstery",
        "--email",
        "ann@example.com",
    ];
    cli.ok(&[&args[..], &["--name", "Ann", "--role", "operator"]].concat());
    let dir = cli.path("files");
    std::fs::create_dir(&dir).unwrap();
    let dir = dir.display().to_string();
    cli.ok(&["business", "storage", "--business", "acme-upholstery", "--dir", &dir]);
    for channel in ["sms", "email"] {
        let args = ["site", "configure", "--business", "acme-upholstery", "--site", &site];
        cli.ok(&[&args[..], &["--post-call-prompt", channel]].concat());
    }
    let actions = cli_actions(&cli);
    let added: Vec<&str> = actions[before..]
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "site.updated")
        .collect();
    assert_eq!(
        added,
        [
            "user.added",
            "storage.changed",
            "integration.added",
            "integration.disabled",
            "integration.added"
        ],
        "{actions:?}"
    );
}
