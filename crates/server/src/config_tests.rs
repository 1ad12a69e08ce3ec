//! Tests of the configuration layers, keys and checks.
use super::*;

#[test]
fn every_key_is_listed_for_the_environment() {
    let table: toml::Table = toml::from_str(
        &toml::to_string(&Config {
            database_url: Some("sqlite://x.db".into()),
            public_base_url: Some(Url::parse("https://x.example").unwrap()),
            secret_key: Some("s".repeat(32)),
            client_ip_header: Some("x-real-ip".into()),
            telephony_fallback_number: Some("+12025550100".into()),
            attachments_dir: Some("/srv/files".into()),
            attachments_s3_url: Some("s3://bucket".into()),
            attachments_s3_endpoint: Some(Url::parse("https://s3.example.net").unwrap()),
            attachments_s3_access_key_id: Some("AKID".into()),
            attachments_s3_secret_access_key: Some("secret".into()),
            smtp_relay_url: Some("smtp://relay.example:587".into()),
            mail_from: Some("calls@example.com".into()),
            reply_address: Some("replies@example.com".into()),
            smtp_listen: Some("127.0.0.1:2525".parse().unwrap()),
            inbound_email_token: Some("t".repeat(16)),
            mailgun_signing_key: Some("key".into()),
            smtp_tls_cert_file: Some("/etc/leadline/smtp.crt".into()),
            smtp_tls_key_file: Some("/etc/leadline/smtp.key".into()),
            smtp_auth_username: Some("relay".into()),
            smtp_auth_password: Some("pass".into()),
            ..Config::default()
        })
        .unwrap(),
    )
    .unwrap();
    let mut keys: Vec<&str> = table.keys().map(String::as_str).collect();
    keys.sort();
    let mut listed = KEYS.to_vec();
    listed.sort();
    assert_eq!(keys, listed);
}

#[test]
fn every_key_is_documented_with_its_default() {
    let doc = include_str!("../../../docs/configuration.md");
    for key in KEYS {
        assert!(doc.contains(&format!("`{key}`")), "docs/configuration.md lacks {key}");
        let variable = format!("`LEADLINE_{}`", key.to_uppercase());
        assert!(doc.contains(&variable), "docs/configuration.md lacks {variable}");
    }
}

#[test]
fn the_default_database_lives_in_the_data_directory() {
    let config = Config {
        data_dir: "/srv/leadline".into(),
        ..Config::default()
    };
    let (url, is_default) = config.database().unwrap();
    assert!(is_default);
    assert_eq!(url.redacted(), "sqlite:///srv/leadline/leadline.db");
}

#[test]
fn the_install_secret_is_generated_once_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: dir.path().join("data"),
        ..Config::default()
    };
    let first = config.install_secret().unwrap();
    assert_eq!(first.expose().len(), 64);
    assert_eq!(config.install_secret().unwrap(), first);
    let given = Config {
        secret_key: Some("k".repeat(40)),
        ..config
    };
    assert_eq!(given.install_secret().unwrap().expose(), "k".repeat(40));
}

#[test]
fn printing_hides_the_database_password() {
    let config = Config {
        secret_key: Some("a-secret-that-is-long-enough-1234567890".into()),
        database_url: Some("postgres://leadline:hunter2@db:5432/leadline".into()),
        ..Config::default()
    };
    let text = config.to_redacted_toml();
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!text.contains("a-secret-that"), "{text}");
    assert!(text.contains("***"), "{text}");
    assert!(text.contains("rate_limit_per_second = 50"), "{text}");
}

#[test]
fn printing_hides_the_bucket_secret() {
    let config = Config {
        attachments_s3_url: Some("s3://acme-files".into()),
        attachments_s3_access_key_id: Some("AKIDEXAMPLE".into()),
        attachments_s3_secret_access_key: Some("wJalrXUtnFEMI".into()),
        ..Config::default()
    };
    config.validate().unwrap();
    let text = config.to_redacted_toml();
    assert!(!text.contains("wJalrXUtnFEMI"), "{text}");
    assert!(
        text.contains("attachments_s3_access_key_id = \"AKIDEXAMPLE\""),
        "{text}"
    );
    assert!(text.contains("attachments_max_file_bytes = 10485760"), "{text}");
}

#[test]
fn attachment_settings_are_checked() {
    let bad = [
        Config {
            attachments_max_files: 0,
            ..Config::default()
        },
        Config {
            attachments_types: vec!["pdf".into()],
            ..Config::default()
        },
        Config {
            attachments_types: vec![],
            ..Config::default()
        },
        Config {
            attachments_s3_url: Some("acme-files".into()),
            ..Config::default()
        },
        Config {
            attachments_s3_url: Some("s3://acme-files".into()),
            attachments_s3_endpoint: Some(Url::parse("http://objects.example.net").unwrap()),
            ..Config::default()
        },
    ];
    for config in bad {
        assert!(config.validate().is_err(), "{config:?}");
    }
}

#[test]
// `Jail`'s closure must answer figment's own (large) error type.
#[allow(clippy::result_large_err)]
fn attachment_types_may_be_given_in_the_environment() {
    figment::Jail::expect_with(|jail| {
        jail.set_env("LEADLINE_ATTACHMENTS_TYPES", "[application/pdf, image/png]");
        let config: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Env::prefixed("LEADLINE_").only(&KEYS))
            .extract()?;
        assert_eq!(config.attachments_types, ["application/pdf", "image/png"]);
        Ok(())
    });
}

#[test]
fn the_provider_api_must_be_https_except_on_this_machine() {
    let with_api = |url: &str| Config {
        telephony_api_base_url: Url::parse(url).unwrap(),
        ..Config::default()
    };
    for good in [
        "https://api.twilio.com",
        "https://api.provider.example:8443/base",
        "http://127.0.0.1:9000",
        "http://localhost:9000",
        "http://[::1]:9000",
    ] {
        assert!(with_api(good).validate().is_ok(), "{good} was refused");
    }
    for bad in [
        "http://api.twilio.com",
        "http://10.0.0.5:8080",
        "ftp://api.twilio.com",
        "file:///etc/passwd",
        "https://user:pass@api.twilio.com",
    ] {
        let error = with_api(bad).validate().expect_err(bad).to_string();
        assert!(error.contains("telephony_api_base_url"), "{bad}: {error}");
        assert!(!error.contains("pass@"), "{error}");
    }
}

#[test]
fn smtp_credentials_need_tls_and_go_in_pairs() {
    let tls = || Config {
        smtp_tls_cert_file: Some("smtp.crt".into()),
        smtp_tls_key_file: Some("smtp.key".into()),
        ..Config::default()
    };
    let refused = |config: Config| match smtp::check(&config) {
        Err(ConfigError::Invalid(why)) => why,
        other => panic!("accepted: {other:?}"),
    };
    assert!(
        refused(Config {
            smtp_tls_key_file: None,
            ..tls()
        })
        .contains("go together")
    );
    let clear = Config {
        smtp_auth_username: Some("relay".into()),
        smtp_auth_password: Some("pass".into()),
        ..Config::default()
    };
    assert!(refused(clear).contains("only taken over TLS"));
    assert!(
        refused(Config {
            smtp_auth_username: Some("relay".into()),
            ..tls()
        })
        .contains("go together")
    );
    assert!(
        refused(Config {
            smtp_require_auth: true,
            ..tls()
        })
        .contains("smtp_require_auth needs")
    );
    let ready = Config {
        smtp_auth_username: Some("relay".into()),
        smtp_auth_password: Some("a-relay-password".into()),
        smtp_require_auth: true,
        ..tls()
    };
    assert!(smtp::check(&ready).is_ok());
    let text = ready.to_redacted_toml();
    assert!(
        !text.contains("a-relay-password") && text.contains("smtp_auth_username = \"relay\""),
        "{text}"
    );
}
