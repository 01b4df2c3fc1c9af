//! The `.gan` syntax: the pest grammar (`grammar/gan.pest`) and the spanned tree it produces.
//!
//! This crate knows the shape of the text and nothing of its meaning: whether `conv` is a
//! layer or `hinge` a loss is the checker's business. [`parse`] never panics: any input gives
//! either a [`ast::File`] or one syntax diagnostic phrased for a person.

pub mod ast;
mod expected;
pub mod format;
mod lower;
mod nesting;
mod parser;

pub use nesting::MAX_NESTING;
pub use parser::{parse, ITEM_STARTS};
