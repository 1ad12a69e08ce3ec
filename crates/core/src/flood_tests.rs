use super::*;
use proptest::prelude::*;

fn secret() -> Secret {
    Secret::new("an install secret of enough length")
}

const NOW: i64 = 1_800_000_000_000;

/// A solved challenge of `site` at difficulty `bits`: its text and nonce.
fn solved(site: &SiteKey, bits: u8) -> (Challenge, String, String) {
    let challenge = Challenge::issue(bits, NOW);
    let text = challenge.text(&secret(), site);
    let nonce = solve(&text, bits);
    (challenge, text, nonce)
}

#[test]
fn a_solved_challenge_is_taken_and_names_its_visit() {
    let site = SiteKey::generate();
    let (challenge, text, nonce) = solved(&site, 8);
    assert_eq!(check_proof(&secret(), &site, &text, &nonce, NOW + 1), Ok(challenge));
}

#[test]
fn a_proof_for_another_site_or_an_altered_challenge_is_foreign() {
    let site = SiteKey::generate();
    let (_, text, nonce) = solved(&site, 4);
    let other = SiteKey::generate();
    assert_eq!(
        check_proof(&secret(), &other, &text, &nonce, NOW),
        Err(ProofError::Foreign)
    );
    // Lowering the difficulty in the text breaks its MAC.
    let easier = text.replacen(".4.", ".0.", 1);
    assert_eq!(
        check_proof(&secret(), &site, &easier, "0", NOW),
        Err(ProofError::Foreign)
    );
    let other_secret = Secret::new("another install secret, long enough");
    assert_eq!(
        check_proof(&other_secret, &site, &text, &nonce, NOW),
        Err(ProofError::Foreign)
    );
}

#[test]
fn an_expired_challenge_a_malformed_nonce_and_short_work_are_invalid() {
    let site = SiteKey::generate();
    let (_, text, nonce) = solved(&site, 8);
    let invalid = |result| matches!(result, Err(ProofError::Invalid(_)));
    assert!(invalid(check_proof(
        &secret(),
        &site,
        &text,
        &nonce,
        NOW + CHALLENGE_TTL_MS
    )));
    for bad in ["", "12a", "-1", "12345678901234567"] {
        assert!(invalid(check_proof(&secret(), &site, &text, bad, NOW)), "{bad:?}");
    }
    let wrong = (0u64..).map(|n| n.to_string()).find(|n| !meets(&text, n, 8)).unwrap();
    assert!(invalid(check_proof(&secret(), &site, &text, &wrong, NOW)));
    assert!(invalid(check_proof(&secret(), &site, "not a challenge", "1", NOW)));
}

#[test]
fn a_quota_refusal_puts_the_site_under_a_flood_for_the_hold_time() {
    let (watch, admission) = admit(FloodWatch::default(), true, 600, NOW);
    assert_eq!(admission, Admission::Open);
    let (watch, admission) = admit(watch, false, 600, NOW + 1);
    assert_eq!(admission, Admission::Prove { bits: BASE_BITS });
    // Taken by the quota again, but the flood holds: no code without a proof.
    let (watch, admission) = admit(watch, true, 600, NOW + HOLD_MS);
    assert!(matches!(admission, Admission::Prove { .. }));
    let (_, admission) = admit(watch, true, 600, NOW + 1 + HOLD_MS);
    assert_eq!(admission, Admission::Open);
}

proptest! {
    #[test]
    fn while_the_flood_holds_no_registration_without_a_proof_is_open(
        steps in proptest::collection::vec((any::<bool>(), 0i64..30_000), 1..200),
        quota in 1u32..10_000,
    ) {
        let (mut watch, mut now, mut last_refused) = (FloodWatch::default(), NOW, None::<i64>);
        for (within, wait) in steps {
            now += wait;
            let (next, admission) = admit(watch, within, quota, now);
            if !within {
                last_refused = Some(now);
            }
            let flooded = last_refused.is_some_and(|at| now < at + HOLD_MS);
            prop_assert_eq!(matches!(admission, Admission::Prove { .. }), flooded);
            if let Admission::Prove { bits } = admission {
                prop_assert!((BASE_BITS..=MAX_BITS).contains(&bits));
            }
            watch = next;
        }
    }

    #[test]
    fn a_stronger_flood_never_asks_for_less_work(a in 0u32..10_000_000, b in 0u32..10_000_000, quota in 1u32..100_000) {
        let (low, high) = (a.min(b), a.max(b));
        prop_assert!(difficulty(low, quota) <= difficulty(high, quota));
        prop_assert!((BASE_BITS..=MAX_BITS).contains(&difficulty(high, quota)));
    }

    #[test]
    fn a_proof_is_bound_to_its_challenge(bits in 0u8..8, other_bits in 0u8..8) {
        let site = SiteKey::generate();
        let (challenge, text, nonce) = solved(&site, bits);
        prop_assert_eq!(check_proof(&secret(), &site, &text, &nonce, NOW), Ok(challenge));
        // The nonce of one challenge answers another only by the chance its difficulty allows.
        let (_, other, _) = solved(&site, other_bits);
        let taken = check_proof(&secret(), &site, &other, &nonce, NOW).is_ok();
        prop_assert_eq!(taken, meets(&other, &nonce, other_bits));
    }
}
