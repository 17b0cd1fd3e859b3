//! The `reelforge` command: a thin layer over the library.

mod args;
mod commands;
mod render;
mod serve;

use std::process::ExitCode;
use std::sync::OnceLock;

use clap::Parser;
use reelforge::locations::Locations;

/// Where files are when no flag says: the one place the program reads the environment for
/// them (flags read their own variables through clap).
fn locations() -> &'static Locations {
    static LOCATIONS: OnceLock<Locations> = OnceLock::new();
    LOCATIONS.get_or_init(|| Locations::from_env(|name| std::env::var_os(name)))
}

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    if locations().whisper_log {
        reelforge::transcribe::keep_whisper_log();
    }
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {}", message(&err));
            ExitCode::from(commands::exit_code(&err))
        }
    }
}

/// The error and its causes, each cause once: most errors already name their cause in their
/// own message, so printing the whole chain would say it twice.
fn message(err: &anyhow::Error) -> String {
    let mut out = err.to_string();
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
    }
    out
}
