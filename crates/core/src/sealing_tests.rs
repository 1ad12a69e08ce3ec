use super::*;
use proptest::prelude::*;

fn secret(text: &str) -> Secret {
    Secret::new(text.repeat(32))
}

#[test]
fn a_sealed_value_opens_to_the_same_text_and_does_not_show_it() {
    let sealer = Sealer::new(&secret("a"));
    let token = "7d1c0f1e4a9b4e2f8c3d5a6b7c8d9e0f";
    let sealed = sealer.seal(Column::NumberAuthToken, token);
    assert!(
        sealed.starts_with(&format!("sealed:1:{}:", sealer.key_id())),
        "{sealed}"
    );
    assert!(!sealed.contains(token));
    assert_eq!(sealer.open(Column::NumberAuthToken, &sealed).unwrap(), token);
    assert_ne!(
        sealer.seal(Column::NumberAuthToken, token),
        sealed,
        "a fresh nonce each time"
    );
    assert!(!sealer.needs_sealing(&sealed));
    assert!(sealer.needs_sealing(token), "a clear value is sealed by the migration");
    assert_eq!(
        sealer.open(Column::NumberAuthToken, token).unwrap(),
        token,
        "read until then"
    );
}

#[test]
fn a_value_moved_to_another_column_or_altered_does_not_open() {
    let sealer = Sealer::new(&secret("a"));
    let sealed = sealer.seal(Column::ProviderAuthToken, "token");
    assert_eq!(sealer.open(Column::NumberAuthToken, &sealed), Err(Unsealable::Damaged));
    let mut altered = sealed.clone().into_bytes();
    let last = altered.len() - 1;
    altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    assert_eq!(
        sealer.open(Column::ProviderAuthToken, &altered),
        Err(Unsealable::Damaged)
    );
    assert_eq!(
        sealer.open(Column::ProviderAuthToken, "sealed:1:nocolon"),
        Err(Unsealable::Damaged)
    );
}

#[test]
fn another_install_secret_cannot_open_it_and_says_which_key_sealed_it() {
    let old = Sealer::new(&secret("a"));
    let sealed = old.seal(Column::IntegrationConfig, "{\"api_secret\":\"x\"}");
    let new = Sealer::new(&secret("b"));
    let err = new.open(Column::IntegrationConfig, &sealed).unwrap_err();
    assert_eq!(err, Unsealable::UnknownKey(old.key_id().to_owned()));
    assert!(err.to_string().contains("leadline secrets rotate"));
    assert!(
        !format!("{new:?}").contains(&"b".repeat(32)),
        "the debug form shows the key id only"
    );

    let rotating = Sealer::rotating_from(&secret("b"), &secret("a"));
    assert_eq!(
        rotating.open(Column::IntegrationConfig, &sealed).unwrap(),
        "{\"api_secret\":\"x\"}"
    );
    assert!(
        rotating.needs_sealing(&sealed),
        "sealed under the previous key: sealed again"
    );
    assert!(!rotating.needs_sealing(&rotating.seal(Column::IntegrationConfig, "y")));
}

proptest! {
    #[test]
    fn any_text_survives_sealing_in_any_column(
        text in ".{0,300}",
        column in prop::sample::select(vec![Column::NumberAuthToken, Column::ProviderAuthToken, Column::IntegrationConfig]),
    ) {
        let sealer = Sealer::new(&secret("p"));
        let sealed = sealer.seal(column, &text);
        prop_assert_eq!(sealer.open(column, &sealed).unwrap(), text);
    }
}
