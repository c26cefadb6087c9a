//! The crate's layers have no cycles: each module's code names only the layers below it.
//!
//! Reads the sources (code lines, not comments: a doc link is not a dependency) and
//! checks every `crate::<module>` path against the table below, so a new import that
//! climbs a layer fails here rather than in a review.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each module and the modules its code may name. Bottom up: the vocabulary names
/// nothing; the engines name the vocabulary; resolution and administration sit on top.
const LAYERS: &[(&str, &[&str])] = &[
    ("vocab", &[]),
    ("access", &["vocab"]),
    ("audit", &["vocab"]),
    ("crypto", &["vocab"]),
    ("import", &["vocab"]),
    ("redact", &["vocab"]),
    ("store", &["vocab", "crypto"]),
    ("guide", &[]),
    (
        "resolve",
        &["vocab", "access", "audit", "crypto", "redact", "store"],
    ),
    (
        "admin",
        &[
            "vocab", "access", "audit", "crypto", "import", "redact", "store",
        ],
    ),
    (
        "testing",
        &[
            "vocab", "access", "audit", "crypto", "import", "redact", "store", "resolve", "admin",
        ],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The `crate::<name>` paths on code lines of `text`.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `crate::{...}` names root re-exports; only the testing module does that.
            if !name.is_empty() {
                names.insert(name);
            }
            rest = after;
        }
    }
    names
}

#[test]
fn every_module_names_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layers: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    let mut seen = BTreeSet::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let module = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_str()
            .unwrap()
            .trim_end_matches(".rs")
            .to_owned();
        if module == "lib" {
            continue;
        }
        let allowed = layers
            .get(module.as_str())
            .unwrap_or_else(|| panic!("module {module} is not in LAYERS: place it"));
        seen.insert(module.clone());
        let text = std::fs::read_to_string(&file).unwrap();
        for name in crate_paths(&text) {
            if name != module && !allowed.contains(&name.as_str()) {
                violations.push(format!("{}: names crate::{name}", relative.display()));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "layering violations:\n{}",
        violations.join("\n")
    );
    // The check saw the layers it speaks of (a renamed folder would pass vacuously).
    for module in [
        "vocab", "crypto", "store", "redact", "resolve", "admin", "audit",
    ] {
        assert!(seen.contains(module), "no sources found for {module}");
    }
}

#[test]
fn the_checker_sees_code_paths_and_ignores_comments() {
    let text = "use crate::store::X; // crate::admin\n/// [`Y`](crate::resolve::Y)\nlet z = crate::vocab::Z;";
    let names: Vec<String> = crate_paths(text).into_iter().collect();
    assert_eq!(names, ["store", "vocab"]);
}
