//! The serve guards (tests/cases/serve_guards.rs) on the embedded store: SQLite in the data folder.

#[path = "cases/serve_guards.rs"]
mod cases;
mod common;
