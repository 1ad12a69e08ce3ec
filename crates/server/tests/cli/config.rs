use crate::harness::Cli;

#[test]
fn a_mistyped_sqlite_path_is_refused_not_created() {
    let cli = Cli::new();
    let typo = cli.path("leadlnie.db");
    let url = format!("sqlite://{}", typo.display());
    let err = cli.refused(&["--database-url", &url, "business", "list"]);
    assert!(err.contains("does not exist"), "{err}");
    assert!(!typo.exists());
    cli.ok(&["--database-url", &url, "migrate", "--create-database"]);
    assert!(typo.exists());
    cli.ok(&["--database-url", &url, "business", "add", "Elsewhere"]);
    assert!(
        cli.ok(&["--database-url", &url, "business", "list"])
            .contains("elsewhere")
    );
    assert_eq!(
        cli.ok(&["business", "list"]),
        "",
        "the default database must be untouched"
    );
}

#[test]
fn print_config_shows_every_layer_and_hides_secrets() {
    let cli = Cli::new();
    std::fs::write(
        cli.path("leadline.toml"),
        "listen = \"0.0.0.0:9000\"\nlog_level = \"debug\"\n",
    )
    .unwrap();
    let out = cli
        .command(&[
            "serve",
            "--print-config",
            "--public-base-url",
            "https://track.example.com",
        ])
        .env(
            "LEADLINE_DATABASE_URL",
            "postgres://leadline:hunter2@db.internal/leadline",
        )
        .env("LEADLINE_LOG_LEVEL", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("listen = \"0.0.0.0:9000\""), "file layer: {text}");
    assert!(text.contains("log_level = \"warn\""), "environment beats file: {text}");
    assert!(
        text.contains("public_base_url = \"https://track.example.com/\""),
        "flag layer: {text}"
    );
    assert!(text.contains("max_body_bytes = 1048576"), "defaults: {text}");
    assert!(text.contains("postgres://leadline:***@db.internal/leadline"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn an_unknown_key_in_the_config_file_is_an_error() {
    let cli = Cli::new();
    std::fs::write(cli.path("leadline.toml"), "lissen = \"0.0.0.0:9000\"\n").unwrap();
    let err = cli.refused(&["serve", "--print-config"]);
    assert!(err.contains("lissen"), "{err}");
    let err = cli.refused(&["--config", "missing.toml", "serve", "--print-config"]);
    assert!(err.contains("missing.toml does not exist"), "{err}");
}

#[test]
fn commands_honour_a_postgres_database_url() {
    let Ok(admin) = std::env::var("LEADLINE_TEST_POSTGRES_URL") else {
        leadline_testkit::skip("CLI on PostgreSQL: LEADLINE_TEST_POSTGRES_URL is not set");
        return;
    };
    let name = format!("leadline_cli_{}", std::process::id());
    let psql = |sql: String| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            use sqlx::{Connection, Executor};
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            conn.execute(sql.as_str()).await.unwrap();
        });
    };
    psql(format!("DROP DATABASE IF EXISTS {name}"));
    psql(format!("CREATE DATABASE {name}"));
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&name);
    let cli = Cli::new();
    let out = cli
        .command(&["business", "add", "On Postgres", "--slug", "pg"])
        .env("LEADLINE_DATABASE_URL", url.as_str())
        .output()
        .unwrap();
    let listed = cli
        .command(&["business", "list"])
        .env("LEADLINE_DATABASE_URL", url.as_str())
        .output()
        .unwrap();
    psql(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&listed.stdout).contains("On Postgres"));
    assert!(
        !cli.path("data/leadline.db").exists(),
        "SQLite was used instead of PostgreSQL"
    );
}

#[test]
fn a_provider_api_over_plain_http_is_refused_at_load() {
    let cli = Cli::new();
    let out = cli
        .command(&["serve", "--print-config"])
        .env("LEADLINE_TELEPHONY_API_BASE_URL", "http://api.twilio.com")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("telephony_api_base_url") && err.contains("https"), "{err}");
    let out = cli
        .command(&["serve", "--print-config"])
        .env("LEADLINE_TELEPHONY_API_BASE_URL", "http://127.0.0.1:9000")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
