//! `leadline spam …`: numbers blocked and unblocked, a list imported from a file (and refused
//! whole, naming the line, when one entry is wrong), the settings changed and refused, each
//! seen again by `spam list` and in the audit log.

use crate::harness::Cli;

const BUSINESS: &str = "acme-upholstery";

#[test]
fn numbers_are_blocked_imported_listed_and_unblocked_from_the_command_line() {
    let cli = Cli::new();
    cli.with_site();
    let out = cli.ok(&["spam", "block", "--business", BUSINESS, "+14155550123"]);
    assert!(out.contains("blocked +14155550123"), "{out}");
    let list = cli.path("spam.txt");
    std::fs::write(&list, "# robocallers\n+14155550124, +14155550125\n").unwrap();
    let out = cli.ok(&[
        "spam",
        "import",
        "--business",
        BUSINESS,
        "--file",
        list.to_str().unwrap(),
    ]);
    assert!(out.contains("2 numbers on the list"), "{out}");
    let out = cli.ok(&["spam", "list", "--business", BUSINESS]);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["blocked\t+14155550123", "listed\t+14155550124", "listed\t+14155550125"]
    );

    std::fs::write(&list, "+14155550126\nnot a number\n").unwrap();
    let refused = cli.refused(&[
        "spam",
        "import",
        "--business",
        BUSINESS,
        "--file",
        list.to_str().unwrap(),
    ]);
    assert!(
        refused.contains("line 2: 'not a number' is not a phone number"),
        "{refused}"
    );
    let out = cli.ok(&["spam", "list", "--business", BUSINESS]);
    assert_eq!(out.lines().count(), 3, "a refused list changes nothing: {out}");

    cli.ok(&["spam", "unblock", "--business", BUSINESS, "+14155550123"]);
    let refused = cli.refused(&["spam", "unblock", "--business", BUSINESS, "+14155550123"]);
    assert!(refused.contains("+14155550123 is not blocked"), "{refused}");
    let out = cli.ok(&["spam", "list", "--business", BUSINESS]);
    assert!(!out.contains("blocked\t"), "{out}");
}

#[test]
fn the_settings_change_by_flag_and_bad_values_are_refused_by_name() {
    let cli = Cli::new();
    cli.with_site();
    let out = cli.ok(&[
        "spam",
        "configure",
        "--business",
        BUSINESS,
        "--message",
        "We do not take these calls.",
        "--repeat",
        "4:8:12",
    ]);
    assert_eq!(out.trim(), "blocked callers: message; repeated calls: 4:8:12");
    let out = cli.ok(&["spam", "configure", "--business", BUSINESS, "--repeat", "off"]);
    assert_eq!(out.trim(), "blocked callers: message; repeated calls: off");
    let refused = cli.refused(&["spam", "configure", "--business", BUSINESS, "--repeat", "3:10"]);
    assert!(
        refused.contains("--repeat: '3:10' is not CALLS:SECONDS:HOURS or off"),
        "{refused}"
    );
    let refused = cli.refused(&["spam", "configure", "--business", BUSINESS, "--answer", "hangup"]);
    assert!(refused.contains("'hangup' is not one of reject, message"), "{refused}");
    let refused = cli.refused(&["spam", "mark", "--business", BUSINESS, "--call", "4242"]);
    assert!(refused.contains("no call 4242"), "{refused}");
}
