use super::*;

#[test]
fn urls_must_be_https_or_http_on_this_machine() {
    assert!(http_url("u", "https://hooks.example/x?y=1").is_ok());
    assert!(http_url("u", "http://127.0.0.1:9000/hook").is_ok());
    assert!(http_url("u", "http://localhost/hook").is_ok());
    assert!(http_url("u", "http://[::1]:8080/").is_ok());
    for bad in [
        "http://hooks.example/x",
        "ftp://hooks.example/",
        "hooks.example",
        "https://user:pw@hooks.example/",
        "",
    ] {
        assert!(http_url("u", bad).is_err(), "{bad}");
    }
}

#[test]
fn endpoints_lose_their_trailing_slash_and_may_not_carry_a_query() {
    assert_eq!(endpoint_of("e", "https://api.example/").unwrap(), "https://api.example");
    assert_eq!(
        endpoint_of("e", "http://127.0.0.1:9/base/").unwrap(),
        "http://127.0.0.1:9/base"
    );
    assert!(endpoint_of("e", "https://api.example/?a=1").is_err());
}

#[test]
fn measurement_ids_look_like_ga4s() {
    assert_eq!(measurement_id_of(" g-abc1234 ").unwrap(), "G-ABC1234");
    for bad in [
        "UA-12345-1",
        "G-",
        "G-AB",
        "G-ABC 123",
        "ABC1234",
        "G-ABCDEFGHIJKLMNOPQRSTU",
    ] {
        assert!(measurement_id_of(bad).is_err(), "{bad}");
    }
}

#[test]
fn campaigns_are_source_and_salesforce_id_pairs() {
    let parsed = campaigns_of(&["google=701000000000001".into(), "Herald=701000000000001AAA".into()]).unwrap();
    assert_eq!(parsed["google"], "701000000000001");
    assert_eq!(parsed["Herald"], "701000000000001AAA");
    for bad in ["google", "=701000000000001", "google=701", "google=70100000000000!"] {
        assert!(campaigns_of(&[bad.into()]).is_err(), "{bad}");
    }
    assert!(campaigns_of(&["a=701000000000001".into(), "a=701000000000002".into()]).is_err());
}

#[test]
fn api_versions_look_like_v60() {
    assert!(api_version_of("v60.0").is_ok());
    for bad in ["60.0", "v60", "vx.0", "v60."] {
        assert!(api_version_of(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_webhook_without_a_secret_gets_one_generated_and_a_short_secret_is_refused() {
    let (config, generated) = Target::Webhook {
        url: "https://hooks.example/in".into(),
        secret: Some("  ".into()),
    }
    .config()
    .unwrap();
    let generated = generated.expect("generated");
    assert!(generated.starts_with("whsec_"));
    assert!(matches!(config, IntegrationConfig::Webhook { secret, .. } if secret == generated));
    let short = Target::Webhook {
        url: "https://hooks.example/in".into(),
        secret: Some("short".into()),
    };
    assert!(short.config().unwrap_err().to_string().contains("shorter than 16"));
}

#[test]
fn secrets_are_one_line_without_spaces() {
    assert_eq!(secret_of("s", " abc ").unwrap(), "abc");
    for bad in ["", "a b", "a\nb"] {
        assert!(secret_of("s", bad).is_err(), "{bad:?}");
    }
}

#[test]
fn descriptions_show_no_secret_and_no_secret_path() {
    let hook = IntegrationConfig::Webhook {
        url: "https://hooks.example/T000/B000/XXXXSECRETPATH".into(),
        secret: "whsec_shh".into(),
    };
    let text = describe(&hook);
    assert_eq!(text, "POST https://hooks.example/… (signed)");
    let ga4 = IntegrationConfig::Ga4 {
        measurement_id: "G-ABC1234".into(),
        api_secret: "apisecretvalue".into(),
        endpoint: None,
        debug: true,
    };
    assert!(!describe(&ga4).contains("apisecretvalue"));
    let sf = IntegrationConfig::Salesforce {
        login_url: "https://acme.my.salesforce.com".into(),
        client_id: "3MVG9consumerkeyvalue".into(),
        client_secret: "sfsecret".into(),
        api_version: "v60.0".into(),
        campaigns: BTreeMap::new(),
    };
    assert!(!describe(&sf).contains("sfsecret"));
}
