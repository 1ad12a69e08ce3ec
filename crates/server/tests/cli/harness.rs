//! Runs the `leadline` binary in a temporary directory of its own, with no LEADLINE_*
//! variables but the data directory.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

pub struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_leadline"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("LEADLINE_DATA_DIR", self.path("data"));
        for (key, _) in std::env::vars() {
            if key.starts_with("LEADLINE_") && key != "LEADLINE_DATA_DIR" {
                command.env_remove(key);
            }
        }
        // The fakes these tests point Leadline at listen on this machine.
        command.env("LEADLINE_OUTBOUND_LOOPBACK", "true");
        command
    }

    /// The sealer of the install secret the commands generated in the data directory: what a
    /// test opening the database itself reads the secrets with.
    pub fn sealer(&self) -> leadline_core::sealing::Sealer {
        let secret =
            std::fs::read_to_string(self.path("data/secret.key")).expect("the commands made the install secret");
        leadline_core::sealing::Sealer::new(&leadline_core::secret::Secret::new(secret.trim()))
    }

    /// The commands' SQLite database, opened as they open it (its secrets readable).
    pub async fn store(&self) -> leadline_store::SqlStore {
        let url = leadline_store::DatabaseUrl::Sqlite(self.path("data/leadline.db"));
        let options = leadline_store::OpenOptions {
            sealer: Some(self.sealer()),
            ..leadline_store::OpenOptions::default()
        };
        leadline_store::SqlStore::open_and_migrate(&url, &options)
            .await
            .unwrap()
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).stdin(Stdio::null()).output().unwrap()
    }

    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs a command that must succeed; returns its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs a command that must be refused as bad input (exit 2); returns its error text.
    pub fn refused(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stderr).unwrap()
    }

    pub fn with_site(&self) -> String {
        self.ok(&["business", "add", "Acme Upholstery"]);
        let out = self.ok(&[
            "site",
            "add",
            "--business",
            "acme-upholstery",
            "--name",
            "Main",
            "--domain",
            "acme.example",
        ]);
        site_key_in(&out)
    }
}

/// The site key that `leadline site add` printed.
pub fn site_key_in(out: &str) -> String {
    out.split("(key: ")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap()
        .to_owned()
}
