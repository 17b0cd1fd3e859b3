//! The serve suite (tests/cases/serve.rs) on PostgreSQL: a real server the tests start, a
//! database of its own for each case.

#[path = "cases/serve.rs"]
mod cases;
mod common;
