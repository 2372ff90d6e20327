//! Generated files checked into the repository stay in step with the code.
//! `AUTOGLM_BLESS=1 cargo test freshness` rewrites them.

use super::*;

fn fresh(rel: &str, generated: &str) {
    let path = root().join(rel);
    if std::env::var_os("AUTOGLM_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, generated).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "{rel} is stale: run `AUTOGLM_BLESS=1 cargo test freshness` and commit it"
    );
}

#[test]
fn freshness_schema_files() {
    for (which, rel) in [
        ("report", "schema/report.schema.json"),
        ("config", "schema/config.schema.json"),
    ] {
        let out = doctor(&root()).args(["schema", which]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        fresh(rel, &stdout(&out));
    }
}

#[test]
fn freshness_codes_doc() {
    fresh("docs/codes.md", &autoglm_doctor::check::codes_markdown());
}

#[test]
fn freshness_kinds_doc() {
    fresh("docs/kinds.md", &autoglm_doctor::check::kinds_markdown());
}
