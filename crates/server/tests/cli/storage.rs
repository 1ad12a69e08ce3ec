//! `leadline business storage`: where a business's attachments go, and bad input that
//! changes nothing.

use crate::harness::Cli;

const DEFAULT: &str = "business 'acme-upholstery' stores attachments in the server's default storage\n";

/// `business storage --business acme-upholstery` and `extra`.
fn with<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["business", "storage", "--business", "acme-upholstery"];
    all.extend_from_slice(extra);
    all
}

fn shown(cli: &Cli) -> String {
    cli.ok(&["business", "storage", "--business", "acme-upholstery"])
}

#[test]
fn a_business_is_given_its_own_directory_and_back_the_default() {
    let cli = Cli::new();
    cli.ok(&["business", "add", "Acme Upholstery"]);
    assert_eq!(shown(&cli), DEFAULT);
    let hosting = cli.path("hosting");
    std::fs::create_dir(&hosting).unwrap();
    let dir = hosting.to_str().unwrap();
    let out = cli.ok(&["business", "storage", "--business", "acme-upholstery", "--dir", dir]);
    let canonical = std::fs::canonicalize(&hosting).unwrap();
    let expected = format!("in the directory {}\n", canonical.display());
    assert!(out.ends_with(&expected), "{out}");
    assert!(shown(&cli).ends_with(&expected));
    assert_eq!(
        std::fs::read_dir(&hosting).unwrap().count(),
        0,
        "the write probe is removed"
    );
    cli.ok(&["business", "storage", "--business", "acme-upholstery", "--default"]);
    assert_eq!(shown(&cli), DEFAULT);
}

#[test]
fn bad_storage_is_refused_and_nothing_is_written() {
    let cli = Cli::new();
    cli.ok(&["business", "add", "Acme Upholstery"]);
    let secret_file = cli.path("s3-secret");
    std::fs::write(&secret_file, "wJalrXUtnFEMI-very-secret\n").unwrap();
    let secret_path = secret_file.to_str().unwrap().to_owned();
    let missing = cli.path("missing");
    let not_a_dir = cli.path("file");
    std::fs::write(&not_a_dir, "x").unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (with(&["--dir", missing.to_str().unwrap()]), "cannot be used"),
        (with(&["--dir", not_a_dir.to_str().unwrap()]), "is not a directory"),
        (with(&["--s3", "acme-files"]), "does not start with s3://"),
        (with(&["--s3", "s3://Acme"]), "bucket name"),
        (with(&["--s3", "s3://acme-files"]), "--s3-access-key-id"),
        (
            with(&[
                "--s3",
                "s3://acme-files",
                "--s3-access-key-id",
                "AKID",
                "--s3-secret-access-key-file",
                "/nonexistent/secret",
            ]),
            "cannot read /nonexistent/secret",
        ),
        (
            with(&[
                "--s3",
                "s3://acme-files",
                "--s3-endpoint",
                "http://objects.example.net",
                "--s3-access-key-id",
                "AKID",
                "--s3-secret-access-key-file",
                &secret_path,
            ]),
            "plain http",
        ),
        // Nothing answers on port 1: the bucket cannot be written, so it is not set.
        (
            with(&[
                "--s3",
                "s3://acme-files",
                "--s3-endpoint",
                "http://127.0.0.1:1",
                "--s3-access-key-id",
                "AKID",
                "--s3-secret-access-key-file",
                &secret_path,
            ]),
            "cannot write to s3://acme-files at http://127.0.0.1:1",
        ),
        (with(&["--s3-region", "eu-west-1"]), "--s3"),
        (with(&["--dir", "/tmp", "--default"]), "cannot be used with"),
        (
            vec!["business", "storage", "--business", "nobody", "--default"],
            "unknown business 'nobody'",
        ),
    ];
    for (args, expected) in cases {
        let err = cli.refused(&args);
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(!err.contains("very-secret"), "{err}");
        assert_eq!(shown(&cli), DEFAULT, "{args:?} changed the storage");
    }
}
