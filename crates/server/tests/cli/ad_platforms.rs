//! `leadline integration add … google-ads | microsoft-ads | meta-capi`: each ad platform is
//! added with its secrets read from files, listed without them, and refused with the field's
//! name when an id or a rule is wrong.

use crate::harness::Cli;

const BUSINESS: &str = "acme-upholstery";

fn secret(cli: &Cli, name: &str, value: &str) -> String {
    let path = cli.path(name);
    std::fs::write(&path, format!("{value}\n")).unwrap();
    path.display().to_string()
}

#[test]
fn each_ad_platform_is_added_from_files_and_listed_without_its_secrets() {
    let cli = Cli::new();
    cli.with_site();
    let client_secret = secret(&cli, "google.secret", "GOCSPX-from-a-file");
    let refresh = secret(&cli, "google.refresh", "1//refresh-from-a-file");
    let out = cli.ok(&[
        "integration",
        "add",
        "--business",
        BUSINESS,
        "--name",
        "Google Ads",
        "google-ads",
        "--customer-id",
        "123-456-7890",
        "--conversion-action-id",
        "987654321",
        "--client-id",
        "5678.apps.googleusercontent.com",
        "--client-secret-file",
        &client_secret,
        "--refresh-token-file",
        &refresh,
        "--send",
        "call-longer-than:60",
    ]);
    assert!(out.contains("created google_ads integration"), "{out}");
    let token = secret(&cli, "ms.token", "ms-developer-token");
    let out = cli.ok(&[
        "integration",
        "add",
        "--business",
        BUSINESS,
        "--name",
        "Microsoft Ads",
        "microsoft-ads",
        "--customer-id",
        "1111111",
        "--account-id",
        "2222222",
        "--developer-token-file",
        &token,
        "--client-id",
        "b6a1c3e0-aaaa-bbbb-cccc-1234567890ab",
        "--refresh-token-file",
        &refresh,
    ]);
    assert!(out.contains("created microsoft_ads integration"), "{out}");
    let access = secret(&cli, "meta.token", "EAAB-meta-token");
    let out = cli.ok(&[
        "integration",
        "add",
        "--business",
        BUSINESS,
        "--name",
        "Meta",
        "meta-capi",
        "--pixel-id",
        "1234567890123456",
        "--access-token-file",
        &access,
    ]);
    assert!(out.contains("created meta_capi integration"), "{out}");

    let listed = cli.ok(&["integration", "list", "--business", BUSINESS]);
    assert!(
        listed.contains(
            "Google Ads 123-456-7890 conversion action 987654321 by the Data Manager API, sending call-longer-than:60"
        ),
        "{listed}"
    );
    assert!(listed.contains("Microsoft Advertising account 2222222"), "{listed}");
    assert!(
        listed.contains("Meta pixel 1234567890123456 (v21.0), sending marked"),
        "{listed}"
    );
    for secret in [
        "GOCSPX-from-a-file",
        "1//refresh-from-a-file",
        "ms-developer-token",
        "EAAB-meta-token",
    ] {
        assert!(!listed.contains(secret), "{listed}");
    }
}

#[test]
fn a_wrong_id_rule_or_route_is_refused_by_name_and_adds_nothing() {
    let cli = Cli::new();
    cli.with_site();
    let file = secret(&cli, "s", "a-secret");
    let google = |customer: &str, send: &str, route: &str| -> Vec<String> {
        [
            "integration",
            "add",
            "--business",
            BUSINESS,
            "--name",
            "G",
            "google-ads",
            "--customer-id",
            customer,
            "--conversion-action-id",
            "1",
            "--client-id",
            "c",
            "--client-secret-file",
            &file,
            "--refresh-token-file",
            &file,
            "--send",
            send,
            "--route",
            route,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    for (args, says) in [
        (google("12345", "marked", "data_manager"), "Google Ads customer id"),
        (google("1234567890", "sometimes", "data_manager"), "send rule"),
        (google("1234567890", "marked", "ftp"), "Google Ads route"),
        (google("1234567890", "marked", "ads_api"), "developer token"),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let refused = cli.refused(&args);
        assert!(refused.contains(says), "{says}: {refused}");
    }
    let listed = cli.ok(&["integration", "list", "--business", BUSINESS]);
    assert!(!listed.contains("Google Ads"), "{listed}");
}
