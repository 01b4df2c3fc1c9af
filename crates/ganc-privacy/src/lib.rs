//! A Rényi-DP accountant for DP-SGD, matching Opacus's `RDPAccountant` (Opacus 1.6).
//!
//! DP-SGD clips each example's gradient to L2 norm `C`, sums a batch, and adds Gaussian noise of
//! standard deviation `σ·C`; `σ` is the *noise multiplier*. Each step is then one use of the
//! **sampled Gaussian mechanism** (SGM), and this crate bounds the privacy of `steps` of them
//! under these assumptions, the same as Opacus's:
//!
//! - **Poisson sampling** at rate `q = batch size / dataset size`: every example enters each batch
//!   independently with probability `q` (Opacus's `DPDataLoader`). Shuffled fixed-size batches
//!   are a different mechanism, which this analysis does not strictly cover.
//! - Neighbouring datasets differ by adding or removing one example, and the clipped sum has L2
//!   sensitivity `C`.
//! - `q`, `σ` are the same at every step (one `(σ, q, steps)` entry of Opacus's history).
//!
//! The RDP of one step at order α is `ln(A_α)/(α − 1)`, with `A_α` computed as in Mironov, Talwar
//! and Zhang, "Rényi Differential Privacy of the Sampled Gaussian Mechanism" (2019,
//! arXiv:1908.10530, Section 3.3): a finite binomial sum for integer α, two convergent series for
//! fractional α, everything in log space. RDP composes additively over steps. It is converted to
//! (ε, δ)-DP with the bound Opacus's `get_privacy_spent` uses, Theorem 21 of Balle, Barthe,
//! Gaboardi, Hsu and Sato, "Hypothesis Testing Interpretations and Renyi Differential Privacy"
//! (AISTATS 2020, arXiv:1905.09982):
//!
//! ```text
//! ε = min over α of  rdp(α) + ln((α − 1)/α) − (ln δ + ln α)/(α − 1)
//! ```
//!
//! over Opacus's default orders [`DEFAULT_ORDERS`].
//!
//! The code is a faithful f64 port of `opacus/accountants/analysis/rdp.py`; `fixtures/
//! opacus_rdp.json` (written by `fixtures/opacus_rdp.py` with Opacus itself) pins ε, the best order
//! and raw RDP values to Opacus's to within 1e-9 relative.
//!
//! ```
//! // MNIST: 60000 examples, expected batches of 64, σ = 1.1, δ = 1e-5.
//! let accountant = ganc_privacy::Accountant::new(64.0 / 60000.0, 1.1, 1e-5).unwrap();
//! // About 10.7 epochs: ε ≈ 0.662 (Opacus: 0.6619916301663745, at order 16).
//! let eps = accountant.epsilon_after(10_000);
//! assert!((eps - 0.6619916301663745).abs() < 1e-9);
//! // The most steps that keep ε within 1.
//! let steps = accountant.steps_within(1.0);
//! assert!(accountant.epsilon_after(steps) <= 1.0 && accountant.epsilon_after(steps + 1) > 1.0);
//! ```

mod accountant;
mod log_math;
mod rdp;

pub use accountant::{
    check, epsilon, epsilon_at_orders, noise_for_budget, Accountant, Epsilon, PrivacyError, MAX_STEPS,
};
pub use rdp::{default_orders, rdp, DEFAULT_ORDERS};
