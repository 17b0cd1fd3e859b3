//! The serve guards (tests/cases/serve_guards.rs) on PostgreSQL: a real server the tests start, a database of its own for each case.

#[path = "cases/serve_guards.rs"]
mod cases;
mod common;
