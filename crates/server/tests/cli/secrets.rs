//! `leadline secrets rotate`: an integration's secret is sealed in the database file; after the
//! install secret changes, commands refuse to read it and say to rotate; a rotation with the
//! previous secret seals it under the new one and everything reads again.

use crate::harness::Cli;

const BUSINESS: &str = "acme-upholstery";
const SECRET: &str = "whsec_sealedInTheDatabase";

fn database_bytes(cli: &Cli) -> Vec<u8> {
    let mut bytes = std::fs::read(cli.path("data/leadline.db")).unwrap();
    bytes.extend(std::fs::read(cli.path("data/leadline.db-wal")).unwrap_or_default());
    bytes
}

#[test]
fn rotating_the_install_secret_seals_every_secret_again_under_the_new_one() {
    let cli = Cli::new();
    cli.with_site();
    let secret_file = cli.path("hook.secret");
    std::fs::write(&secret_file, SECRET).unwrap();
    let secret_file = secret_file.display().to_string();
    cli.ok(&[
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
        &secret_file,
    ]);
    let bytes = database_bytes(&cli);
    assert!(
        !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
        "the webhook's secret is not readable in the database file"
    );

    let previous = cli.path("secret.key.old");
    std::fs::rename(cli.path("data/secret.key"), &previous).unwrap();
    let refused = cli.run(&["integration", "list", "--business", BUSINESS]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("another install secret") && said.contains("leadline secrets rotate"),
        "{said}"
    );

    let short = cli.path("short.key");
    std::fs::write(&short, "too short").unwrap();
    let refused = cli.refused(&[
        "secrets",
        "rotate",
        "--previous-secret-file",
        &short.display().to_string(),
    ]);
    assert!(refused.contains("does not hold an install secret"), "{refused}");

    let out = cli.ok(&[
        "secrets",
        "rotate",
        "--previous-secret-file",
        &previous.display().to_string(),
    ]);
    assert!(out.starts_with("1 secret sealed again under key "), "{out}");
    let listed = cli.ok(&["integration", "list", "--business", BUSINESS]);
    assert!(listed.contains("Warehouse"), "{listed}");
    let again = cli.ok(&["secrets", "rotate"]);
    assert!(
        again.starts_with("0 secrets sealed again"),
        "nothing left to seal: {again}"
    );
}
