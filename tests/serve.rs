//! The serve suite (tests/cases/serve.rs) on the embedded store: SQLite in the data folder.

#[path = "cases/serve.rs"]
mod cases;
mod common;
