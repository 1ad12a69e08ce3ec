use super::*;
use proptest::prelude::*;

fn name(text: &str) -> Name {
    Name::parse_as("name", text).unwrap()
}

fn rule(source: &str, campaign: &str, content: &str) -> AdRule {
    AdRule::parse(source, campaign, content).unwrap()
}

fn grouping() -> AdGrouping {
    AdGrouping {
        ads: vec![
            MasterAd {
                id: 1,
                name: name("Brand search"),
                rules: vec![rule("google*", "*brand*", ""), rule("bing", "*brand*", "")],
            },
            MasterAd {
                id: 2,
                name: name("Spring banner"),
                rules: vec![rule("", "", "banner-spring")],
            },
            MasterAd {
                id: 3,
                name: name("All of Google"),
                rules: vec![rule("google*", "", "")],
            },
        ],
        phrases: vec![MasterPhrase {
            id: 7,
            name: name("Sofa repair"),
            variants: NewMasterPhrase {
                name: name("Sofa repair"),
                variants: vec!["sofa repair".into(), "Couch repairs".into(), "fix sofa".into()],
            }
            .variants()
            .unwrap(),
        }],
    }
}

#[test]
fn patterns_are_exact_or_globs_and_ignore_case() {
    let google = Pattern::parse("Google*").unwrap();
    assert_eq!(google.as_str(), "google*");
    assert!(google.matches("google") && google.matches("GOOGLE.com") && !google.matches("my-google"));
    let brand = Pattern::parse("*brand*").unwrap();
    assert!(brand.matches("Spring BRAND us") && brand.matches("brand") && !brand.matches("bran"));
    let exact = Pattern::parse("bing").unwrap();
    assert!(exact.matches("Bing") && !exact.matches("bing ads"));
    let ends = Pattern::parse("a*b*a").unwrap();
    assert!(ends.matches("aba") && ends.matches("axxbyya") && !ends.matches("ab") && !ends.matches("a"));
}

#[test]
fn a_pattern_that_matches_everything_or_nothing_typed_is_refused() {
    for bad in ["", "   ", "*", "***", "a\u{7}b"] {
        assert!(Pattern::parse(bad).is_err(), "{bad:?}");
    }
    assert!(Pattern::parse(&"x".repeat(201)).is_err());
    let err = Pattern::parse_as("source pattern", "*").unwrap_err();
    assert_eq!(err.what, "source pattern");
    assert!(err.reason.contains("leave the field empty"), "{}", err.reason);
}

#[test]
fn a_rule_must_name_a_field_and_its_missing_fields_match_anything() {
    let err = AdRule::parse("", " ", "*").unwrap_err();
    assert!(err.reason.contains("names no source"), "{}", err.reason);
    let empty = AdRule {
        source: None,
        campaign: None,
        content: None,
    };
    assert!(empty.validate().is_err());
    assert!(!empty.matches("google", None, None), "an empty rule catches nothing");
    let campaign_only = rule("", "spring", "");
    assert!(campaign_only.matches("anything", Some("Spring"), None));
    assert!(!campaign_only.matches("anything", None, Some("spring")));
}

#[test]
fn the_first_master_ad_in_order_whose_rule_matches_takes_the_ad() {
    let g = grouping();
    let id = |source, campaign, content| g.master_ad(source, campaign, content).map(|a| a.id);
    assert_eq!(id("google", Some("US Brand Search"), None), Some(1));
    assert_eq!(id("Bing", Some("brand"), Some("x")), Some(1));
    assert_eq!(id("google", Some("generic"), None), Some(3));
    assert_eq!(id("facebook", None, Some("BANNER-SPRING")), Some(2));
    assert_eq!(
        id("google", None, Some("banner-spring")),
        Some(2),
        "before 'All of Google'"
    );
    assert_eq!(id("bing", Some("generic"), None), None);
    assert_eq!(AdGrouping::default().master_ad("google", None, None), None);
}

#[test]
fn keywords_roll_up_to_their_master_phrase_or_their_normalised_form() {
    let g = grouping();
    assert_eq!(g.master_phrase("Repair  SOFA"), "Sofa repair");
    assert_eq!(g.master_phrase("couch-repairs!"), "Sofa repair");
    assert_eq!(
        g.master_phrase("couch repair"),
        "couch repair",
        "plurals are not folded"
    );
    assert_eq!(g.master_phrase("Sofa  Upholstery!"), g.master_phrase("upholstery sofa"));
    assert_eq!(g.master_phrase("Sofa  Upholstery!"), "sofa upholstery");
    assert_eq!(g.master_phrase(""), "");
}

#[test]
fn an_ad_as_the_rollups_store_it_finds_its_master_ad() {
    let g = grouping();
    let stored = |parts: [&str; 3]| parts.join(&AD_SEPARATOR.to_string());
    let id = |value: &str| g.master_ad_of_stored(value).map(|a| a.id);
    assert_eq!(id(&stored(["google", "Brand US", ""])), Some(1));
    assert_eq!(id(&stored(["facebook", "", "banner-spring"])), Some(2));
    assert_eq!(id(&stored(["bing", "", ""])), None, "an empty campaign is no campaign");
    assert_eq!(id(NONE), None);
}

#[test]
fn normalising_drops_case_punctuation_and_word_order() {
    assert_eq!(normalise_phrase("  Sofa  Upholstery! "), "sofa upholstery");
    assert_eq!(normalise_phrase("don't-stop,  NOW"), "dont now stop");
    assert_eq!(normalise_phrase("Ünïcode ÉCOLE"), "école ünïcode");
    assert_eq!(normalise_phrase("ΟΔΟΣ"), normalise_phrase("οδοσ"));
    assert_eq!(
        normalise_phrase("cafe\u{301} noir"),
        "cafe\u{301} noir",
        "a combining accent stays"
    );
    assert_eq!(normalise_phrase("!!! ..."), "");
}

#[test]
fn phrase_variants_are_normalised_deduplicated_and_required() {
    let phrase = |variants: &[&str]| NewMasterPhrase {
        name: name("P"),
        variants: variants.iter().map(|v| v.to_string()).collect(),
    };
    assert_eq!(
        phrase(&["Sofa Repair", "repair sofa", "fix"]).variants().unwrap(),
        vec!["fix".to_owned(), "repair sofa".to_owned()]
    );
    assert!(phrase(&[]).variants().is_err());
    let err = phrase(&["ok", "?!"]).variants().unwrap_err();
    assert!(err.reason.contains("'?!' has no letter or digit"), "{}", err.reason);
}

#[test]
fn a_master_ad_needs_between_one_and_fifty_rules() {
    let ad = |rules: Vec<AdRule>| NewMasterAd { name: name("A"), rules };
    assert!(ad(vec![]).validate().is_err());
    assert!(ad(vec![rule("google", "", "")]).validate().is_ok());
    assert!(ad(vec![rule("google", "", ""); MAX_RULES + 1]).validate().is_err());
}

/// Keywords as people type them: letters with and without accents, digits, punctuation, spaces.
fn keyword() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9éÉüÜßñÑ ,.!?'&/-]{0,40}"
}

proptest! {
    #[test]
    fn normalising_twice_changes_nothing(input in keyword()) {
        let once = normalise_phrase(&input);
        prop_assert_eq!(normalise_phrase(&once), once);
    }

    #[test]
    fn word_order_case_and_extra_spaces_do_not_matter(words in prop::collection::vec("[a-zA-ZéÉüÜ0-9]{1,8}", 0..6), seed in any::<u64>()) {
        let plain = words.join(" ");
        let mut shuffled = words.clone();
        let n = shuffled.len().max(1);
        shuffled.rotate_left((seed as usize) % n);
        shuffled.reverse();
        let spaced = format!("  {}  ", shuffled.join("   "));
        prop_assert_eq!(normalise_phrase(&spaced), normalise_phrase(&plain));
        prop_assert_eq!(normalise_phrase(&plain.to_uppercase()), normalise_phrase(&plain));
        prop_assert_eq!(normalise_phrase(&plain.to_lowercase()), normalise_phrase(&plain));
    }

    #[test]
    fn a_pattern_without_a_star_matches_exactly_its_value_in_any_case(value in "[a-zA-Z0-9 _.-]{1,20}") {
        prop_assume!(!value.trim().is_empty());
        let pattern = Pattern::parse(&value).unwrap();
        prop_assert!(pattern.matches(&value.trim().to_uppercase()));
        let longer = format!("{}x", value.trim());
        prop_assert!(!pattern.matches(&longer));
    }

    #[test]
    fn a_glob_matches_every_value_it_was_cut_from(prefix in "[a-z]{0,5}", middle in "[a-z]{1,5}", suffix in "[a-z]{0,5}", fill in "[a-z ]{0,6}") {
        let pattern = Pattern::parse(&format!("{prefix}*{middle}*{suffix}")).unwrap();
        let value = format!("{prefix}{fill}{middle}{fill}{suffix}");
        prop_assert!(pattern.matches(&value.to_uppercase()));
    }

    #[test]
    fn the_phrase_table_answers_as_the_grouping_does(keyword in keyword()) {
        let g = grouping();
        prop_assert_eq!(g.phrase_table().master_phrase(&keyword), g.master_phrase(&keyword));
        let variant = "couch repairs";
        prop_assert_eq!(g.phrase_table().master_phrase(variant), "Sofa repair");
    }

    #[test]
    fn a_master_phrase_catches_every_spelling_of_its_variants(words in prop::collection::vec("[a-z]{1,8}", 1..5)) {
        let typed = words.join(" ");
        let grouping = AdGrouping {
            ads: vec![],
            phrases: vec![MasterPhrase {
                id: 1,
                name: name("Group"),
                variants: vec![normalise_phrase(&typed)],
            }],
        };
        let mut reversed = words.clone();
        reversed.reverse();
        let respelt = format!("{}!", reversed.join("  ").to_uppercase());
        prop_assert_eq!(grouping.master_phrase(&respelt), "Group");
    }
}
