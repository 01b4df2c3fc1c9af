//! The ganc runtime: lowers a checked model to burn modules at run time (no code generation)
//! and trains it, on any burn device chosen when the command runs.
//!
//! - [`plan::plan`] reads what to train from the checked IR, refusing what the runtime does not
//!   support yet with `E0501` diagnostics at their spans;
//! - [`network::lower`] builds each network as a tree of burn modules, each layer with its forward
//!   pass and input-gradient product side by side ([`layers::Differentiable`]); [`walk`] is the one
//!   walk over that tree, which the forward pass and [`input_grad`] share;
//! - [`trainer::Trainer::step`] is one training step, a function of the networks, optimizers
//!   and step index; [`growth`] says which progressive stages run at a step, and how the newest
//!   fades in;
//! - [`run`] drives a whole run: run directory, metrics, samples, plots, atomic checkpoints,
//!   resume, Ctrl-C; [`sample`] and [`export`] read finished runs;
//! - [`kernels`] holds ganc's fused CPU kernels (convolutions, batch norm, LeakyReLU) on burn's
//!   flex backend, which the layers call; [`memory`] keeps freed buffers for the next step.

pub mod auxiliary;
pub mod checkpoint;
pub mod compare;
pub mod device;
pub mod encoder;
pub mod equilibrium;
pub mod evaluate;
pub mod export;
pub mod fused_adam;
pub mod growth;
pub mod history;
pub mod images;
pub mod input_grad;
mod inputs;
pub mod joint;
pub mod kernels;
pub mod layers;
pub mod losses;
pub mod memory;
pub mod metrics;
pub mod network;
pub mod orthogonal;
pub mod paired;
pub mod param_grad;
mod params;
pub mod penalty;
pub mod plan;
pub mod plots;
pub mod privacy;
pub mod reference;
pub mod replay;
pub mod report;
pub mod run;
pub mod sample;
pub mod scales;
pub mod semi_supervised;
pub mod stacked;
pub mod styles;
pub mod threads;
pub mod trainer;
pub mod unroll;
pub mod value;
pub mod walk;

pub use burn;
