//! ganc-privacy against Opacus: `fixtures/opacus_rdp.json` holds what Opacus's `RDPAccountant`
//! and `compute_rdp` give on a grid of DP-SGD configurations (written by
//! `fixtures/opacus_rdp.py`).

use ganc_privacy::{epsilon, rdp, Accountant, DEFAULT_ORDERS};
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/opacus_rdp.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn num(row: &Value, key: &str) -> f64 {
    row[key].as_f64().unwrap_or_else(|| panic!("{key} missing in {row}"))
}

fn rows<'a>(fixture: &'a Value, key: &str) -> &'a [Value] {
    fixture[key].as_array().unwrap_or_else(|| panic!("{key} missing"))
}

/// `|a − b| / |b|`, or 0 when both are 0.
fn relative(actual: f64, expected: f64) -> f64 {
    if actual == expected {
        0.0
    } else {
        (actual - expected).abs() / expected.abs()
    }
}

#[test]
fn default_orders_are_opacus_default_alphas() {
    let fixture = fixture();
    let alphas: Vec<f64> = rows(&fixture, "default_alphas").iter().map(|a| a.as_f64().unwrap()).collect();
    assert_eq!(alphas, DEFAULT_ORDERS.to_vec());
}

#[test]
fn epsilon_and_best_order_match_opacus() {
    let fixture = fixture();
    let cases = rows(&fixture, "cases");
    assert!(cases.len() >= 30);
    let mut worst = (0.0, String::new());
    for case in cases {
        let (q, sigma, delta) = (num(case, "q"), num(case, "sigma"), num(case, "delta"));
        let steps = case["steps"].as_u64().unwrap();
        let expected = num(case, "epsilon");
        let got = epsilon(q, sigma, steps, delta);
        let what = format!("q {q} sigma {sigma} steps {steps} delta {delta}");
        let rel = relative(got.epsilon, expected);
        assert!(
            rel <= 1e-6 || (got.epsilon - expected).abs() <= 1e-9,
            "{what}: epsilon {} vs Opacus {expected} (relative {rel:e})",
            got.epsilon
        );
        assert_eq!(got.order, num(case, "order"), "{what}: best order");
        // The accountant gives the same answer from its precomputed one-step RDP.
        assert_eq!(Accountant::new(q, sigma, delta).unwrap().spent_after(steps), got, "{what}");
        if rel > worst.0 {
            worst = (rel, what);
        }
    }
    println!("{} cases; largest relative difference in epsilon {:e} at {}", cases.len(), worst.0, worst.1);
}

#[test]
fn rdp_matches_opacus_compute_rdp() {
    let fixture = fixture();
    let values = rows(&fixture, "rdp");
    let mut worst = (0.0, String::new());
    for row in values {
        let (q, sigma, order) = (num(row, "q"), num(row, "sigma"), num(row, "order"));
        let steps = row["steps"].as_u64().unwrap();
        let expected = num(row, "rdp");
        let got = rdp(q, sigma, steps, order);
        let what = format!("q {q} sigma {sigma} steps {steps} order {order}");
        let rel = relative(got, expected);
        assert!(rel <= 1e-9, "{what}: rdp {got} vs Opacus {expected} (relative {rel:e})");
        if rel > worst.0 {
            worst = (rel, what);
        }
    }
    println!("{} values; largest relative difference in rdp {:e} at {}", values.len(), worst.0, worst.1);
}
