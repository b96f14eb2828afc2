//! `key-supervision.csv`: its canonical form and what it refuses.

use crate::inputs::Inputs;
use crate::selection::tests::{city, task, TEN};
use crate::{KeySupervision, Method, Uscc};
use std::collections::BTreeMap;

fn code(i: usize) -> Uscc {
    Uscc::with_check(&format!("91440305MA{i:07}")).unwrap()
}

/// 200 enterprises, tasks of SCJG and STHJ; 0 and 5 held by SCJG, 5 also by STHJ, 7 flagged
/// with no department (so held by both).
fn inputs(method: Method) -> Inputs {
    let mut inputs = city(
        200,
        vec![task("a", "SCJG", "a", TEN), task("b", "STHJ", "b", TEN)],
        [3; 4],
    );
    for i in 0..inputs.population.len() {
        inputs.population.set_key_supervision(i, i == 7);
    }
    let listed: BTreeMap<Uscc, Vec<String>> = [
        (code(0), vec!["SCJG".to_string()]),
        (code(5), vec!["SCJG".into(), "STHJ".into()]),
        (code(9), vec!["XFJY".into()]),
    ]
    .into();
    inputs.set_key_supervision(method, &listed);
    inputs
}

fn files(inputs: &Inputs) -> BTreeMap<String, String> {
    inputs
        .to_files()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

fn read(files: &BTreeMap<String, String>) -> Result<Inputs, Vec<String>> {
    let show = |e: Vec<crate::inputs::InputError>| -> Vec<String> {
        e.iter().map(|e| e.to_string()).collect()
    };
    let mut inputs = Inputs::parse(files).map_err(show)?;
    inputs
        .read_key_supervision(Method::Dr3, files)
        .map_err(show)?;
    Ok(inputs)
}

#[test]
fn per_department_assignments_are_committed_and_read_back() {
    let inputs = inputs(Method::Dr3);
    assert_eq!(inputs.key_rule(), KeySupervision::PerDepartment);
    let f = files(&inputs);
    assert_eq!(
        f["key-supervision.csv"],
        format!(
            "uscc,department\n{0},SCJG\n{1},SCJG\n{1},STHJ\n{2},SCJG\n{2},STHJ\n",
            code(0),
            code(5),
            code(7)
        ),
        "XFJY has no task, so its row has nothing to check and is left out"
    );
    let flagged: Vec<usize> = (0..200)
        .filter(|&i| inputs.population[i].key_supervision)
        .collect();
    assert_eq!(flagged, [0, 5, 7], "the flag is true iff a row exists");
    assert_eq!(read(&f), Ok(inputs.clone()));
    assert!(inputs.key_for(0, "SCJG") && !inputs.key_for(0, "STHJ"));
    assert!(inputs.cap_exempt(0, ["STHJ", "SCJG"]) && !inputs.cap_exempt(0, ["STHJ"]));
}

#[test]
fn every_task_methods_keep_one_flag_and_no_file() {
    let inputs = inputs(Method::Dr2);
    assert_eq!(inputs.key_rule(), KeySupervision::EveryTask);
    assert!(!files(&inputs).contains_key("key-supervision.csv"));
    let flagged: Vec<usize> = (0..200)
        .filter(|&i| inputs.population[i].key_supervision)
        .collect();
    assert_eq!(flagged, [0, 5, 7, 9], "any department listed flags it");
    assert!(inputs.key_for(9, "SCJG") && inputs.cap_exempt(9, ["STHJ"]));
    assert!(!inputs.cap_applies(9) && inputs.cap_applies(8));
}

fn refused(edit: impl FnOnce(&mut BTreeMap<String, String>)) -> Vec<String> {
    let mut f = files(&inputs(Method::Dr3));
    edit(&mut f);
    read(&f).expect_err("refused")
}

#[test]
fn bad_rows_are_named_by_file_line_and_column() {
    let ks = "key-supervision.csv";
    let (c0, c5, c7, c8) = (code(0), code(5), code(7), code(8));
    let rows = |body: String| format!("uscc,department\n{body}");
    assert_eq!(
        refused(|f| {
            f.insert(
                ks.into(),
                rows(format!(
                    "{c5},SCJG\n{c0},SCJG\n{c5},STHJ\n{c7},SCJG\n{c7},STHJ\n"
                )),
            );
        }),
        [format!("{ks}:3: uscc: not sorted or repeated")]
    );
    assert_eq!(
        refused(|f| {
            f.insert(
                ks.into(),
                rows(format!(
                    "{c0},SCJG\n{c0},SCJG\n{c5},SCJG\n{c5},STHJ\n{c7},SCJG\n{c7},STHJ\n"
                )),
            );
        }),
        [format!("{ks}:3: uscc: not sorted or repeated")]
    );
    assert_eq!(
        refused(|f| {
            f.insert(
                ks.into(),
                rows(format!(
                    "{c0},SCJG\n{c0},XFJY\n{c5},SCJG\n{c5},STHJ\n{c7},SCJG\n{c7},STHJ\n"
                )),
            );
        }),
        [format!(
            "{ks}:3: department: 'XFJY' is not the department of any task"
        )]
    );
    assert_eq!(
        refused(|f| {
            f.insert(
                ks.into(),
                rows(format!(
                    "{c0},SCJG\n{c5},SCJG\n{c5},STHJ\n{c7},SCJG\n{c7},STHJ\n{c8},SCJG\n"
                )),
            );
        }),
        [format!(
            "{ks}:7: uscc: '{c8}' has key_supervision false in population.csv"
        )]
    );
    assert_eq!(
        refused(|f| {
            f.insert(
                ks.into(),
                rows(format!("{c0},SCJG\n{c5},SCJG\n{c5},STHJ\n")),
            );
        }),
        [format!(
            "population.csv:9: key_supervision: '{c7}' is true but {ks} has no row for it"
        )]
    );
    let outside = Uscc::with_check("91440305MA9999999").unwrap();
    assert_eq!(
        refused(|f| {
            let t = f[ks].clone();
            f.insert(ks.into(), format!("{t}{outside},SCJG\n"));
        }),
        [format!(
            "{ks}:7: uscc: '{outside}' is not in population.csv"
        )]
    );
    assert_eq!(
        refused(|f| {
            let t = f[ks].clone();
            f.insert(ks.into(), format!("{t}91440305MA000000X,SCJG\n"));
        })
        .len(),
        1
    );
    assert_eq!(
        refused(|f| {
            f.insert(ks.into(), "uscc,dept\n".into());
        }),
        [format!("{ks}:1: : header must be uscc,department")]
    );
    assert_eq!(
        refused(|f| {
            f.remove(ks);
        }),
        [format!("{ks}:0: : file is missing")]
    );
}
