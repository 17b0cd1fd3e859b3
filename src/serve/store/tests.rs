//! The SQLite store's own cases, against real files in temporary folders: damage, schema
//! versions, permissions, a full disk, recovery at start. What both backends do alike is in
//! tests/store.rs.

use rusqlite::Connection;

use super::sqlite::{Sqlite, MIGRATIONS, SCHEMA_VERSION};
use super::*;

fn lease() -> Lease {
    Lease {
        node: "n1".into(),
        length: Duration::from_secs(30),
    }
}

fn batch(id: &str, runs: &[&str], thread: Option<&str>) -> NewBatch {
    NewBatch {
        id: id.into(),
        account_id: "acct".into(),
        request: "{}".into(),
        seed: 9,
        callback_thread_id: thread.map(Into::into),
        artist_account_id: "artist".into(),
        template: None,
        lipsync: false,
        run_ids: runs.iter().map(|s| s.to_string()).collect(),
    }
}

fn store() -> (tempfile::TempDir, Sqlite) {
    let dir = tempfile::tempdir().unwrap();
    let store = Sqlite::open(&dir.path().join("runs.db")).unwrap();
    (dir, store)
}

fn refused(path: &Path) -> StoreError {
    match Sqlite::open(path) {
        Ok(_) => panic!("{} was opened", path.display()),
        Err(e) => e,
    }
}

#[test]
fn a_damaged_or_empty_run_store_is_refused_with_how_to_recover() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runs.db");
    std::fs::write(&path, b"").unwrap();
    let e = refused(&path).to_string();
    assert!(
        e.contains("runs.db") && e.contains("empty") && e.contains("backup"),
        "{e}"
    );
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "left as it was");

    std::fs::write(&path, vec![0x5a; 8192]).unwrap();
    let e = refused(&path);
    assert!(matches!(e, StoreError::Damaged { .. }), "{e}");

    // A real store with a page overwritten in the middle.
    let good = dir.path().join("good.db");
    {
        let store = Sqlite::open(&good).unwrap();
        for i in 0..200 {
            store
                .create_batch(&batch(&format!("b{i}"), &[&format!("r{i}")], None))
                .unwrap();
        }
    }
    let mut bytes = std::fs::read(&good).unwrap();
    let len = bytes.len();
    assert!(len > 3 * 4096, "{len}");
    bytes[4096..8192].fill(0xa5);
    std::fs::write(&good, bytes).unwrap();
    let _ = std::fs::remove_file(dir.path().join("good.db-wal"));
    let e = refused(&good);
    assert!(matches!(e, StoreError::Damaged { .. }), "{e}");
}

#[test]
fn a_store_from_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runs.db");
    drop(Sqlite::open(&path).unwrap());
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let e = refused(&path);
    assert!(matches!(e, StoreError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1));
    // Reopening a current one keeps it.
    let path2 = dir.path().join("ok.db");
    drop(Sqlite::open(&path2).unwrap());
    drop(Sqlite::open(&path2).unwrap());
}

#[test]
fn the_run_store_is_private_to_the_server() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, s) = store();
    s.create_batch(&batch("b1", &["r1"], None)).unwrap();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", path.display());
    }
}

#[test]
fn a_version_1_store_gains_error_codes_and_keeps_its_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runs.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
    }
    let s = Sqlite::open(&path).unwrap();
    s.create_batch(&batch("b1", &["r1"], None)).unwrap();
    s.claim_next(&lease()).unwrap();
    s.finish(
        "r1",
        "n1",
        RunState::Failed,
        None,
        Some(("timed_out", "late")),
    )
    .unwrap();
    let r = s.run("r1").unwrap().unwrap();
    assert_eq!(r.error_code.as_deref(), Some("timed_out"));
    let version: i64 = s
        .conn()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}

#[test]
fn a_store_that_cannot_grow_reports_a_full_disk() {
    let (_dir, s) = store();
    s.create_batch(&batch("b1", &["r1"], None)).unwrap();
    // SQLite's own cap on the file's pages fails writes as a full disk does.
    s.conn().execute_batch("PRAGMA max_page_count = 1").unwrap();
    let runs: Vec<String> = (0..200).map(|i| format!("run_{i:04}")).collect();
    let runs: Vec<&str> = runs.iter().map(String::as_str).collect();
    let e = s.create_batch(&batch("b2", &runs, None)).unwrap_err();
    assert!(e.is_disk_full(), "{e}");
    assert!(!StoreError::ThreadInUse("t".into()).is_disk_full());
    assert!(s.run("r1").unwrap().is_some(), "what was stored is kept");
}

#[test]
fn a_run_left_executing_is_requeued_once_then_crashed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runs.db");
    {
        let s = Sqlite::open(&path).unwrap();
        s.create_batch(&batch("b1", &["r1"], None)).unwrap();
        s.claim_next(&lease()).unwrap();
    }
    let s = Sqlite::open(&path).unwrap();
    assert_eq!(s.recover().unwrap(), (1, 0));
    assert_eq!(s.run("r1").unwrap().unwrap().state, RunState::Queued);
    assert_eq!(s.claim_next(&lease()).unwrap().unwrap().run.attempts, 2);
    assert_eq!(s.recover().unwrap(), (0, 1));
    let r = s.run("r1").unwrap().unwrap();
    assert_eq!(r.state, RunState::Crashed);
    assert!(r.error.unwrap().contains("stopped"));
}
