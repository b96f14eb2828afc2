//! Running the `dualdraw` binary of this build from a test, as a user runs it.

use std::path::Path;
use std::process::{Command, Output};

/// `dualdraw ARGS…`, with warnings-only logging.
pub fn dualdraw(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dualdraw"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// Standard output and standard error, for messages.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `dualdraw ARGS…`, which must succeed; its standard output.
pub fn ok(args: &[&str]) -> String {
    let out = dualdraw(args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A copy of the directory tree `from` at `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
