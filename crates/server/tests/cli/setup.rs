use crate::harness::{Cli, site_key_in};

#[test]
fn a_business_is_set_up_step_by_step() {
    let cli = Cli::new();
    let key = cli.with_site();
    assert_eq!(key.len(), 20);
    let out = cli.ok(&[
        "user",
        "add",
        "--business",
        "acme-upholstery",
        "--email",
        "Ann@Example.com",
        "--name",
        "Ann",
    ]);
    assert!(out.contains("created operator ann@example.com"), "{out}");
    assert!(out.contains("password (shown once): "), "{out}");
    let out = cli.run_with_stdin(
        &[
            "number",
            "add",
            "+1 202 555 0100",
            "--site",
            &key,
            "--account-sid",
            "AC123",
            "--auth-token-stdin",
        ],
        "0123456789abcdef0123456789abcdef\n",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    cli.ok(&[
        "destination",
        "add",
        "--business",
        "acme-upholstery",
        "--name",
        "Ann",
        "--number",
        "+12025550111",
        "--department",
        "Sales",
        "--user",
        "ann@example.com",
    ]);
    let key_out = cli.ok(&["api-key", "create", "--business", "acme-upholstery", "--name", "CRM"]);
    assert!(
        key_out.contains("key (shown once, stored only as a hash): ll_"),
        "{key_out}"
    );
    assert!(
        cli.ok(&["number", "list", "--business", "acme-upholstery"])
            .contains("+12025550100")
    );
    assert!(
        cli.ok(&["destination", "list", "--business", "acme-upholstery"])
            .contains("Sales")
    );
    assert!(
        cli.ok(&["user", "list", "--business", "acme-upholstery"])
            .contains("ann@example.com")
    );
    assert!(
        cli.ok(&["api-key", "list", "--business", "acme-upholstery"])
            .contains("live")
    );
    cli.ok(&["api-key", "revoke", "--business", "acme-upholstery", "--id", "1"]);
    assert!(
        cli.ok(&["api-key", "list", "--business", "acme-upholstery"])
            .contains("revoked")
    );
}

#[test]
fn an_invalid_phone_number_is_refused_and_nothing_is_written() {
    let cli = Cli::new();
    let key = cli.with_site();
    let err = cli.refused(&[
        "number",
        "add",
        "+1 555",
        "--site",
        &key,
        "--account-sid",
        "AC1",
        "--auth-token",
        "0123456789abcdef0123",
    ]);
    assert!(err.contains("invalid phone number: '+1 555'"), "{err}");
    let err = cli.refused(&[
        "number",
        "add",
        "202-555-0100",
        "--site",
        &key,
        "--account-sid",
        "AC1",
        "--auth-token",
        "0123456789abcdef0123",
    ]);
    assert!(err.contains("no country code"), "{err}");
    assert_eq!(cli.ok(&["number", "list", "--business", "acme-upholstery"]), "");
}

#[test]
fn an_unknown_business_is_named_in_the_error() {
    let cli = Cli::new();
    let err = cli.refused(&[
        "site",
        "add",
        "--business",
        "nobody",
        "--name",
        "X",
        "--domain",
        "x.example",
    ]);
    assert!(err.contains("unknown business 'nobody'"), "{err}");
    let err = cli.refused(&[
        "user",
        "add",
        "--business",
        "nobody",
        "--email",
        "a@example.com",
        "--name",
        "A",
    ]);
    assert!(err.contains("unknown business 'nobody'"), "{err}");
}

#[test]
fn a_taken_domain_is_refused_and_the_site_is_not_created() {
    let cli = Cli::new();
    cli.with_site();
    cli.ok(&["business", "add", "Rival", "--slug", "rival"]);
    let err = cli.refused(&[
        "site",
        "add",
        "--business",
        "rival",
        "--name",
        "Copy",
        "--domain",
        "ACME.example",
    ]);
    assert!(err.contains("the domain acme.example is already taken"), "{err}");
    assert_eq!(cli.ok(&["site", "list", "--business", "rival"]), "");
}

#[test]
fn bad_fields_say_what_is_wrong() {
    let cli = Cli::new();
    cli.with_site();
    let cases: [(&[&str], &str); 6] = [
        (&["business", "add", "Acme", "--slug", "Acme!"], "invalid slug"),
        (&["business", "add", "Acme Upholstery"], "already exists"),
        (
            &[
                "user",
                "add",
                "--business",
                "acme-upholstery",
                "--email",
                "not-an-email",
                "--name",
                "A",
            ],
            "invalid e-mail address",
        ),
        (
            &[
                "user",
                "add",
                "--business",
                "acme-upholstery",
                "--email",
                "a@example.com",
                "--name",
                "A",
                "--role",
                "admin",
            ],
            "invalid role",
        ),
        (
            &[
                "site",
                "add",
                "--business",
                "acme-upholstery",
                "--name",
                "B",
                "--domain",
                "b.example",
                "--timezone",
                "Mars/Base",
            ],
            "invalid time zone",
        ),
        (
            &[
                "site",
                "add",
                "--business",
                "acme-upholstery",
                "--name",
                "B",
                "--domain",
                "https://b.example/",
            ],
            "invalid domain",
        ),
    ];
    for (args, expected) in cases {
        let err = cli.refused(args);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    assert_eq!(cli.ok(&["business", "list"]).lines().count(), 1);
    assert_eq!(
        cli.ok(&["site", "list", "--business", "acme-upholstery"])
            .lines()
            .count(),
        1
    );
    assert_eq!(cli.ok(&["user", "list", "--business", "acme-upholstery"]), "");
}

#[test]
fn a_short_password_on_stdin_is_refused() {
    let cli = Cli::new();
    cli.with_site();
    let out = cli.run_with_stdin(
        &[
            "user",
            "add",
            "--business",
            "acme-upholstery",
            "--email",
            "a@example.com",
            "--name",
            "A",
            "--password-stdin",
        ],
        "short\n",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 12"));
}

#[test]
fn site_settings_are_set_at_creation_and_changed_later() {
    let cli = Cli::new();
    cli.ok(&["business", "add", "Acme Upholstery"]);
    let out = cli.ok(&[
        "site",
        "add",
        "--business",
        "acme-upholstery",
        "--name",
        "Main",
        "--domain",
        "acme.example",
        "--mode",
        "click",
        "--check-digit",
        "true",
    ]);
    let key = site_key_in(&out);
    let out = cli.ok(&[
        "site",
        "configure",
        "--business",
        "acme-upholstery",
        "--site",
        &key,
        "--idle-minutes",
        "45",
        "--ad-platforms",
        "granted-only",
    ]);
    assert!(out.contains(r#""mode":"click""#), "{out}");
    assert!(out.contains(r#""ad_platforms":"granted_only""#), "{out}");
    assert!(out.contains(r#""check_digit":true"#), "{out}");
    assert!(out.contains(r#""idle_minutes":45"#), "{out}");
    let err = cli.refused(&[
        "site",
        "configure",
        "--business",
        "acme-upholstery",
        "--site",
        &key,
        "--idle-minutes",
        "0",
    ]);
    assert!(err.contains("invalid idle minutes: it must be at least 1"), "{err}");
    cli.ok(&["business", "add", "Rival", "--slug", "rival"]);
    let err = cli.refused(&[
        "site",
        "configure",
        "--business",
        "rival",
        "--site",
        &key,
        "--cookieless",
        "true",
    ]);
    assert!(err.contains("'rival' has no site"), "{err}");
    let err = cli.refused(&[
        "site",
        "configure",
        "--business",
        "acme-upholstery",
        "--site",
        &key,
        "--mode",
        "psychic",
    ]);
    assert!(err.contains("psychic"), "{err}");
    let err = cli.refused(&[
        "site",
        "configure",
        "--business",
        "acme-upholstery",
        "--site",
        &key,
        "--ad-platforms",
        "sometimes",
    ]);
    assert!(
        err.contains("'sometimes' is not one of signal, granted_only, never"),
        "{err}"
    );
}

#[test]
fn a_print_source_gets_a_link_a_qr_code_and_its_reserved_code() {
    let cli = Cli::new();
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
    assert!(out.status.success());
    let out = cli.ok(&[
        "source",
        "add",
        "--business",
        "acme-upholstery",
        "--site",
        &key,
        "--name",
        "Herald spring ad",
        "--utm-source",
        "herald",
        "--utm-medium",
        "print",
        "--reserve-code",
        "42",
    ]);
    assert!(out.contains("click-to-call: http://127.0.0.1:8080/c/"), "{out}");
    assert!(out.contains("/qr.svg"), "{out}");
    assert!(out.contains("printed code:  42 (reserved)"), "{out}");
    let err = cli.refused(&[
        "source",
        "add",
        "--business",
        "acme-upholstery",
        "--site",
        &key,
        "--name",
        "Copy",
        "--utm-source",
        "x",
        "--reserve-code",
        "42",
    ]);
    assert!(err.contains("already reserved"), "{err}");
    let err = cli.refused(&[
        "source",
        "add",
        "--business",
        "acme-upholstery",
        "--site",
        &key,
        "--name",
        "Bad",
        "--utm-source",
        "x",
        "--domain",
        "https://craigslist.org/",
    ]);
    assert!(err.contains("invalid domain"), "{err}");
    let listed = cli.ok(&["source", "list", "--business", "acme-upholstery"]);
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains("Herald spring ad"));
}

fn add_destination(cli: &Cli, name: &str, number: &str) {
    let business = ["--business", "acme-upholstery"];
    cli.ok(&[
        &["destination", "add"],
        &business[..],
        &["--name", name, "--number", number],
    ]
    .concat());
}

#[test]
fn routing_rules_ring_only_the_business_destinations() {
    let cli = Cli::new();
    let key = cli.with_site();
    add_destination(&cli, "Ana", "+12025550111");
    add_destination(&cli, "Ben", "+12025550112");
    let out = cli.ok(&[
        "route",
        "add",
        "--business",
        "acme-upholstery",
        "--site",
        &key,
        "--var",
        "language=es",
        "--hours",
        "mon-fri 09:00-17:00",
        "--ring",
        "+12025550111,+12025550112",
        "--in-turn",
    ]);
    assert!(
        out.contains("when language=es and hours mon-fri 09:00-17:00, ring +12025550111 then +12025550112"),
        "{out}"
    );
    let err = cli.refused(&[
        "route",
        "add",
        "--business",
        "acme-upholstery",
        "--site",
        &key,
        "--ring",
        "+12025550199",
    ]);
    assert!(
        err.contains("+12025550199 is not a destination of the business"),
        "{err}"
    );
    let err = cli.refused(&[
        "route",
        "add",
        "--business",
        "acme-upholstery",
        "--site",
        &key,
        "--hours",
        "9-5",
        "--ring",
        "+12025550111",
    ]);
    assert!(err.contains("invalid hours"), "{err}");
    let listed = cli.ok(&["route", "list", "--business", "acme-upholstery", "--site", &key]);
    assert_eq!(listed.lines().count(), 1, "{listed}");
}

#[test]
fn route_list_shows_the_days_of_each_rules_hours() {
    let cli = Cli::new();
    let key = cli.with_site();
    add_destination(&cli, "Ana", "+12025550111");
    for hours in ["mon-sat 07:00-19:00", "sat,sun 10:00-14:00", "mon,wed-fri 08:30-12:00"] {
        let args = ["route", "add", "--business", "acme-upholstery", "--site", &key];
        cli.ok(&[&args[..], &["--hours", hours, "--ring", "+12025550111"]].concat());
    }
    let listed = cli.ok(&["route", "list", "--business", "acme-upholstery", "--site", &key]);
    assert_eq!(
        listed,
        "  1. [rule 1] when hours mon-sat 07:00-19:00, ring +12025550111\n\
         \x20 2. [rule 2] when hours sat-sun 10:00-14:00, ring +12025550111\n\
         \x20 3. [rule 3] when hours mon,wed-fri 08:30-12:00, ring +12025550111\n"
    );
}

#[test]
fn a_rule_is_moved_and_removed_by_its_id() {
    let cli = Cli::new();
    let key = cli.with_site();
    add_destination(&cli, "Ana", "+12025550111");
    for source in ["google", "bing"] {
        let args = ["route", "add", "--business", "acme-upholstery", "--site", &key];
        cli.ok(&[&args[..], &["--source", source, "--ring", "+12025550111"]].concat());
    }
    cli.ok(&[
        "route",
        "move",
        "--business",
        "acme-upholstery",
        "--id",
        "2",
        "--earlier",
    ]);
    cli.ok(&["route", "remove", "--business", "acme-upholstery", "--id", "1"]);
    let listed = cli.ok(&["route", "list", "--business", "acme-upholstery", "--site", &key]);
    assert_eq!(listed, "  1. [rule 2] when source=bing, ring +12025550111\n");
    let missing = cli.refused(&["route", "remove", "--business", "acme-upholstery", "--id", "1"]);
    assert!(missing.contains("has no routing rule 1"), "{missing}");
}

#[test]
fn a_site_secret_is_shown_once_and_a_new_one_replaces_it() {
    let cli = Cli::new();
    let key = cli.with_site();
    let secret_in = |out: &str| {
        out.split("secret (shown once, stored only as a hash): ")
            .nth(1)
            .unwrap_or_else(|| panic!("{out}"))
            .trim()
            .to_owned()
    };
    let first = secret_in(&cli.ok(&["site", "secret", "--site", &key]));
    assert!(first.starts_with("lls_") && first.len() == 44, "{first}");
    let second = secret_in(&cli.ok(&["site", "secret", "--site", &key]));
    assert_ne!(first, second, "each run issues a new secret");
    let err = cli.refused(&["site", "secret", "--site", "AAAAAAAAAAAAAAAAAAAA"]);
    assert!(err.contains("unknown site key"), "{err}");
    let err = cli.refused(&["site", "secret", "--site", "short"]);
    assert!(err.contains("site key"), "{err}");
    let out = cli.ok(&[
        "site",
        "configure",
        "--business",
        "acme-upholstery",
        "--site",
        &key,
        "--cost-per-minute-minor",
        "50",
    ]);
    assert!(out.contains(r#""cost_per_minute_minor":50"#), "{out}");
}

#[test]
fn call_me_countries_and_caps_are_set_per_site_and_checked() {
    let cli = Cli::new();
    let key = cli.with_site();
    let configure = |extra: &[&str]| {
        let mut args = vec!["site", "configure", "--business", "acme-upholstery", "--site", &key];
        args.extend_from_slice(extra);
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let args = configure(&[
        "--call-me-countries",
        "us,ca",
        "--call-me-per-visit",
        "1",
        "--call-me-per-day",
        "20",
    ]);
    let out = cli.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.contains(r#""call_me_countries":["US","CA"]"#), "{out}");
    assert!(out.contains(r#""call_me_per_visit":1,"call_me_per_day":20"#), "{out}");
    let args = configure(&["--call-me-countries", "home"]);
    let out = cli.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.contains(r#""call_me_countries":[]"#), "{out}");
    let args = configure(&["--call-me-countries", "US,Atlantis"]);
    let err = cli.refused(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(err.contains("'Atlantis' is not a two-letter country code"), "{err}");
}
