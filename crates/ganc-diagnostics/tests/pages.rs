//! Every code has its `ganc explain` page, and every page belongs to a code.

use ganc_diagnostics::codes::ALL;

#[test]
fn every_code_has_a_page_with_a_wrong_and_a_fixed_example() {
    for code in ALL {
        let page = code.explanation;
        let title = format!("# {}: {}", code.id, code.title);
        assert_eq!(page.lines().next(), Some(title.as_str()), "{}: the page must start with `{title}`", code.id);
        assert!(
            page.contains("## Wrong") && page.contains("## Fixed"),
            "{}: needs a wrong and a fixed example",
            code.id
        );
        assert!(page.matches("```gan").count() >= 2, "{}: examples must be ```gan blocks", code.id);
    }
}

#[test]
fn every_page_belongs_to_a_code_and_codes_are_unique() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("explain");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let id = name.trim_end_matches(".md");
        assert!(ALL.iter().any(|c| c.id == id), "page {name} has no code");
    }
    for (i, a) in ALL.iter().enumerate() {
        assert!(ALL[i + 1..].iter().all(|b| b.id != a.id), "{} twice", a.id);
    }
}
