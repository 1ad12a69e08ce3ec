//! `leadline source edit | remove`, `leadline route edit` and `leadline user remove` with a
//! destination: the same use cases as the Settings pages, bad input refused with nothing
//! changed, another business's source or rule not found.

use crate::harness::Cli;

const ACME: [&str; 2] = ["--business", "acme-upholstery"];

fn with_number(cli: &Cli) -> String {
    let key = cli.with_site();
    let out = cli.run_with_stdin(
        &[
            "number",
            "add",
            "+12025550100",
            "--site",
            &key,
            "--account-sid",
            "AC1",
            "--auth-token-stdin",
        ],
        "0123456789abcdef0123\n",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    key
}

/// `head`, the business, then `extra`.
fn with<'a>(head: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    [head, &ACME[..], extra].concat()
}

/// The key of the only source listed.
fn source_key(cli: &Cli) -> String {
    let listed = cli.ok(&[&["source", "list"][..], &ACME[..]].concat());
    listed.split_whitespace().next().unwrap().to_owned()
}

#[test]
fn a_source_is_edited_in_place_and_removed_with_its_code() {
    let cli = Cli::new();
    let site = with_number(&cli);
    let add = [
        "source",
        "add",
        "--site",
        &site,
        "--name",
        "Herald spring ad",
        "--utm-source",
        "herald",
        "--utm-medium",
        "print",
        "--domain",
        "herald.example",
        "--reserve-code",
        "42",
    ];
    cli.ok(&[&add[..], &ACME[..]].concat());
    let key = source_key(&cli);
    let head = ["source", "edit", "--key", key.as_str()];

    let bad = cli.refused(&with(&head, &["--domain", "https://herald.example/"]));
    assert!(bad.contains("invalid domain"), "{bad}");
    let bad = cli.refused(&with(&head, &["--utm-source", " "]));
    assert!(bad.contains("utm_source"), "{bad}");
    let out = cli.ok(&with(
        &head,
        &["--name", "Herald autumn ad", "--print", "--utm-campaign", "autumn"],
    ));
    assert!(
        out.contains(&format!(
            "source {key} is now 'Herald autumn ad', (print), herald / print"
        )),
        "{out}"
    );
    let listed = cli.ok(&[&["source", "list"][..], &ACME[..]].concat());
    assert!(
        listed.starts_with(&key) && listed.contains("Herald autumn ad") && listed.contains("code 42"),
        "the key and the code stay: {listed}"
    );
    let unknown = cli.refused(&[&["source", "edit", "--key", "AAAAAAAAAAAA"][..], &ACME[..]].concat());
    assert!(
        unknown.contains("'acme-upholstery' has no source AAAAAAAAAAAA"),
        "{unknown}"
    );

    let out = cli.ok(&[&["source", "remove", "--key", key.as_str()][..], &ACME[..]].concat());
    assert!(out.contains("removed source 'Herald autumn ad'"), "{out}");
    assert!(out.contains("code 42 is no longer reserved"), "{out}");
    assert!(cli.ok(&[&["source", "list"][..], &ACME[..]].concat()).is_empty());
    let again = cli.refused(&[&["source", "remove", "--key", key.as_str()][..], &ACME[..]].concat());
    assert!(again.contains("has no source"), "{again}");
    let reused = [&add[..], &ACME[..]].concat();
    cli.ok(&reused);
}

#[test]
fn a_rule_is_edited_in_its_place_and_rings_only_the_business_destinations() {
    let cli = Cli::new();
    let site = cli.with_site();
    for (name, number) in [("Ana", "+12025550111"), ("Ben", "+12025550112")] {
        cli.ok(&[
            &["destination", "add", "--name", name, "--number", number][..],
            &ACME[..],
        ]
        .concat());
    }
    for source in ["google", "bing"] {
        let args = [
            "route",
            "add",
            "--site",
            site.as_str(),
            "--source",
            source,
            "--ring",
            "+12025550111",
        ];
        cli.ok(&[&args[..], &ACME[..]].concat());
    }
    let head = ["route", "edit", "--id", "1"];
    let stranger = cli.refused(&with(&head, &["--ring", "+12025550199"]));
    assert!(
        stranger.contains("+12025550199 is not a destination of the business"),
        "{stranger}"
    );
    let out = cli.ok(&with(
        &head,
        &[
            "--var",
            "language=es",
            "--ring",
            "+12025550112,+12025550111",
            "--in-turn",
        ],
    ));
    assert!(
        out.contains("rule 1 is now when language=es, ring +12025550112 then +12025550111"),
        "{out}"
    );
    let listed = cli.ok(&[&["route", "list", "--site", site.as_str()][..], &ACME[..]].concat());
    assert_eq!(
        listed,
        "  1. [rule 1] when language=es, ring +12025550112 then +12025550111\n\
         \x20 2. [rule 2] when source=bing, ring +12025550111\n"
    );
    let missing = cli.refused(&[&["route", "edit", "--id", "9", "--ring", "+12025550111"][..], &ACME[..]].concat());
    assert!(missing.contains("has no routing rule 9"), "{missing}");
}

#[test]
fn removing_a_member_disables_their_destination_and_says_so() {
    let cli = Cli::new();
    cli.with_site();
    for (email, role) in [("olive@example.com", "owner"), ("ann@example.com", "operator")] {
        let args = ["user", "add", "--email", email, "--name", "Ann", "--role", role];
        cli.ok(&[&args[..], &ACME[..]].concat());
    }
    let phone = [
        "destination",
        "add",
        "--name",
        "Ann's mobile",
        "--number",
        "+12025550111",
        "--user",
        "ann@example.com",
    ];
    cli.ok(&[&phone[..], &ACME[..]].concat());
    let out = cli.ok(&[&["user", "remove", "--email", "ann@example.com"][..], &ACME[..]].concat());
    assert!(out.contains("removed ann@example.com from 'acme-upholstery'"), "{out}");
    assert!(
        out.contains("disabled destination Ann's mobile (+12025550111): no longer rung"),
        "{out}"
    );
    let listed = cli.ok(&[&["destination", "list"][..], &ACME[..]].concat());
    assert!(listed.contains("disabled"), "{listed}");
}
