//! `ganc`: check, explain and list `.gan` GAN experiments.

mod check;
mod explain;
mod layers;
mod summary;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// The GAN compiler: validates `.gan` experiments before anything trains.
#[derive(Parser)]
#[command(name = "ganc", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Output formats of `ganc check`.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum OutputFormat {
    /// Source excerpts with labels (colour on a terminal).
    Human,
    /// `path:line:col: error[E0123]: message`, one per line, for editors.
    Short,
    /// One JSON object per diagnostic per line (schema in the README).
    Json,
}

/// When to colour human output.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum ColorChoice {
    /// On a terminal only.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

#[derive(Subcommand)]
enum Command {
    /// Check `.gan` files (directories are searched for `*.gan`).
    Check {
        /// Files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: OutputFormat,
        /// Treat warnings as errors (exit 1).
        #[arg(long)]
        deny_warnings: bool,
        /// Print each network's layers, output shapes and parameter counts.
        #[arg(long)]
        summary: bool,
        /// When to use colour.
        #[arg(long, value_enum, default_value = "auto")]
        color: ColorChoice,
    },
    /// Explain a diagnostic code (`E0305`) or a layer, loss, regularizer or option by name.
    Explain {
        /// A code or a name.
        what: String,
    },
    /// List every layer, loss, regularizer, optimizer, option and data source with its parameters.
    Layers {
        /// Only this kind: layer, loss, regularizer, optimizer, option, data, distribution, metric.
        #[arg(long)]
        kind: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check { paths, format, deny_warnings, summary, color } => {
            check::run(&check::Options { paths, format, deny_warnings, summary, color })
        }
        Command::Explain { what } => explain::run(&what),
        Command::Layers { kind } => layers::run(kind.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::from(2)
        }
    }
}
