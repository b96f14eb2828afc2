//! Progress bars (`src/progress.rs`): drawn on a terminal, absent with `--quiet` or when standard
//! error is not a terminal, and never a change to what a command writes. The terminal is a real
//! pseudo-terminal made by util-linux `script`.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_dualdraw");

/// Runs `dualdraw gen` into `out`, on a pseudo-terminal when `tty`; returns what it printed.
fn gen(out: &Path, tty: bool, quiet: bool) -> String {
    let mut args = vec![
        BIN.to_string(),
        "gen".into(),
        "--enterprises".into(),
        "20000".into(),
        "--seed".into(),
        "5".into(),
        "--out".into(),
        out.display().to_string(),
    ];
    if quiet {
        args.push("--quiet".into());
    }
    let output = if tty {
        // `script -qec CMD /dev/null`: CMD runs with its standard streams on a new terminal,
        // whose output `script` copies to its own standard output.
        Command::new("script")
            .args(["-qec", &args.join(" "), "/dev/null"])
            .output()
            .expect("util-linux `script` runs")
    } else {
        Command::new(&args[0]).args(&args[1..]).output().unwrap()
    };
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

#[test]
fn bars_are_drawn_on_a_terminal_only_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (shown, quiet, piped) = (
        dir.path().join("shown"),
        dir.path().join("quiet"),
        dir.path().join("piped"),
    );
    let on_terminal = gen(&shown, true, false);
    assert!(
        on_terminal.contains("generating enterprises") && on_terminal.contains("/20,000"),
        "a terminal shows the bar: {on_terminal}"
    );
    let with_quiet = gen(&quiet, true, true);
    assert!(
        with_quiet.contains("GenSummary") && !with_quiet.contains("generating enterprises"),
        "--quiet draws nothing: {with_quiet}"
    );
    let redirected = gen(&piped, false, false);
    assert!(
        !redirected.contains("generating enterprises"),
        "nothing is drawn into a pipe: {redirected}"
    );
    for file in ["enterprises.csv", "inspectors.csv", "credit-records.csv"] {
        let a = std::fs::read(shown.join(file)).unwrap();
        assert_eq!(a, std::fs::read(quiet.join(file)).unwrap(), "{file}");
        assert_eq!(a, std::fs::read(piped.join(file)).unwrap(), "{file}");
    }
}
