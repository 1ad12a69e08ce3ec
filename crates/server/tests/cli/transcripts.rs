//! `leadline transcripts …`: the service set with its key read from standard input (never
//! printed, kept when not given again), rules added, listed, refused when they do nothing and
//! removed, and the rules applied again to past transcripts.

use crate::harness::Cli;

const BUSINESS: &str = "acme-upholstery";

#[test]
fn the_service_and_rules_are_set_from_the_command_line_and_the_key_never_printed() {
    let cli = Cli::new();
    cli.with_site();
    let service = [
        "transcripts",
        "service",
        "--business",
        BUSINESS,
        "--kind",
        "speech-api",
        "--url",
        "https://stt.example",
        "--model",
        "whisper-1",
        "--language",
        "en",
        "--diarize",
    ];
    let refused = cli.refused(&service);
    assert!(refused.contains("--key-stdin"), "{refused}");
    let mut with_key = service.to_vec();
    with_key.push("--key-stdin");
    let output = cli.run_with_stdin(&with_key, "sk-cli-secret-key\n");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    cli.ok(&service);
    let shown = cli.ok(&["transcripts", "show", "--business", BUSINESS]);
    assert!(
        shown.contains("https://stt.example/ model whisper-1 (diarized_json), key set"),
        "{shown}"
    );
    assert!(!shown.contains("sk-cli-secret-key"));

    let add = |rest: &[&str]| {
        let mut args = vec!["transcripts", "add-rule", "--business", BUSINESS];
        args.extend_from_slice(rest);
        args.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>()
    };
    let args = add(&[
        "--phrases",
        "appointment, book",
        "--tag",
        "booking",
        "--status",
        "qualified",
        "--weight",
        "-2",
    ]);
    let out = cli.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let id = out.trim().trim_start_matches("added rule ").to_owned();
    let nothing = add(&["--phrases", "hello"]);
    let why = cli.refused(&nothing.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(why.contains("does nothing"), "{why}");
    let shown = cli.ok(&["transcripts", "show", "--business", BUSINESS]);
    assert!(
        shown.contains(&format!(
            "rule {id}: anyone [appointment, book] tag=booking status=qualified weight=-2"
        )),
        "{shown}"
    );
    let applied = cli.ok(&["transcripts", "reapply", "--business", BUSINESS]);
    assert!(applied.contains("0 past transcript"), "{applied}");
    cli.ok(&["transcripts", "remove-rule", "--business", BUSINESS, &id]);
    cli.refused(&["transcripts", "remove-rule", "--business", BUSINESS, &id]);
    cli.ok(&["transcripts", "service", "--business", BUSINESS, "--kind", "off"]);
    assert!(
        cli.ok(&["transcripts", "show", "--business", BUSINESS])
            .contains("service: off")
    );
}
