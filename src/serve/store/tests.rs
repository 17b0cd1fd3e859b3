//! The run store against real SQLite files in temporary folders.

use super::*;

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

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("runs.db")).unwrap();
    (dir, store)
}

fn refused(path: &Path) -> StoreError {
    match Store::open(path) {
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
        let store = Store::open(&good).unwrap();
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
    drop(Store::open(&path).unwrap());
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let e = refused(&path);
    assert!(matches!(e, StoreError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1));
    // Reopening a current one keeps it.
    let path2 = dir.path().join("ok.db");
    drop(Store::open(&path2).unwrap());
    drop(Store::open(&path2).unwrap());
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
fn runs_are_claimed_in_order_once_each() {
    let (_dir, s) = store();
    s.create_batch(&batch("b1", &["r1", "r2"], None)).unwrap();
    let a = s.claim_next().unwrap().unwrap();
    let b = s.claim_next().unwrap().unwrap();
    assert_eq!((a.run.id.as_str(), b.run.id.as_str()), ("r1", "r2"));
    assert_eq!((a.run.index, a.seed, a.run.attempts), (0, 9, 1));
    assert_eq!(a.run.state, RunState::Executing);
    assert!(s.claim_next().unwrap().is_none());
    assert_eq!(s.counts().unwrap(), (0, 2));
}

#[test]
fn a_version_1_store_gains_error_codes_and_keeps_its_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runs.db");
    {
        let conn = Connection::open(&path).unwrap();
        let v1 = SCHEMA.replace(",\n    error_code TEXT", "");
        assert_ne!(v1, SCHEMA);
        conn.execute_batch(&v1).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
    }
    let s = Store::open(&path).unwrap();
    s.create_batch(&batch("b1", &["r1"], None)).unwrap();
    s.claim_next().unwrap();
    s.finish("r1", RunState::Failed, None, Some(("timed_out", "late")))
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
fn a_finished_run_keeps_its_output_and_cannot_be_finished_twice() {
    let (_dir, s) = store();
    s.create_batch(&batch("b1", &["r1"], None)).unwrap();
    s.claim_next().unwrap();
    assert!(s
        .finish("r1", RunState::Completed, Some("{\"a\":1}"), None)
        .unwrap());
    assert!(!s
        .finish(
            "r1",
            RunState::Failed,
            None,
            Some(("render_failed", "late"))
        )
        .unwrap());
    let r = s.run("r1").unwrap().unwrap();
    assert_eq!(r.state, RunState::Completed);
    assert_eq!(r.output.as_deref(), Some("{\"a\":1}"));
    assert!(r.finished_at.is_some());
}

#[test]
fn a_run_left_executing_is_requeued_once_then_crashed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runs.db");
    {
        let s = Store::open(&path).unwrap();
        s.create_batch(&batch("b1", &["r1"], None)).unwrap();
        s.claim_next().unwrap();
    }
    let s = Store::open(&path).unwrap();
    assert_eq!(s.recover().unwrap(), (1, 0));
    assert_eq!(s.run("r1").unwrap().unwrap().state, RunState::Queued);
    assert_eq!(s.claim_next().unwrap().unwrap().run.attempts, 2);
    assert_eq!(s.recover().unwrap(), (0, 1));
    let r = s.run("r1").unwrap().unwrap();
    assert_eq!(r.state, RunState::Crashed);
    assert!(r.error.unwrap().contains("stopped"));
}

#[test]
fn an_interrupted_run_is_requeued_without_using_an_attempt() {
    let (_dir, s) = store();
    s.create_batch(&batch("b1", &["r1"], None)).unwrap();
    s.claim_next().unwrap();
    s.requeue("r1").unwrap();
    let r = s.run("r1").unwrap().unwrap();
    assert_eq!((r.state, r.attempts), (RunState::Queued, 0));
}

#[test]
fn callbacks_are_due_until_delivered_and_back_off_on_failure() {
    let (_dir, s) = store();
    s.create_batch(&batch("b1", &["r1"], Some("slack:C1:1.2")))
        .unwrap();
    s.create_batch(&batch("b2", &["r2"], None)).unwrap();
    let due = s.callbacks_due(now_ms()).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].thread_id, "slack:C1:1.2");
    let later = now_ms() + 60_000;
    s.callback_attempted("b1", Err(("refused", Some(later))))
        .unwrap();
    assert!(s.callbacks_due(now_ms()).unwrap().is_empty());
    assert_eq!(s.callbacks_due(later).unwrap()[0].attempts, 1);
    s.callback_attempted("b1", Ok(())).unwrap();
    assert!(s.callbacks_due(later).unwrap().is_empty());
    assert_eq!(s.callback_state("b1").unwrap().unwrap().0, "delivered");
}

#[test]
fn a_callback_thread_belongs_to_one_batch() {
    let (_dir, s) = store();
    s.create_batch(&batch("b1", &["r1"], Some("slack:C1:1.2")))
        .unwrap();
    let e = s
        .create_batch(&batch("b2", &["r2"], Some("slack:C1:1.2")))
        .unwrap_err();
    assert!(matches!(e, StoreError::ThreadInUse(_)), "{e}");
    assert!(s.run("r2").unwrap().is_none(), "nothing of b2 was stored");
    s.create_batch(&batch("b3", &["r3"], None)).unwrap();
    s.create_batch(&batch("b4", &["r4"], None)).unwrap();
}

#[test]
fn queued_runs_of_a_batch_can_be_timed_out() {
    let (_dir, s) = store();
    s.create_batch(&batch("b1", &["r1", "r2"], None)).unwrap();
    s.claim_next().unwrap();
    assert_eq!(s.time_out_queued("b1", "too late").unwrap(), 1);
    assert_eq!(s.run("r1").unwrap().unwrap().state, RunState::Executing);
    let r2 = s.run("r2").unwrap().unwrap();
    assert_eq!(
        (r2.state, r2.error.as_deref()),
        (RunState::TimedOut, Some("too late"))
    );
}

#[test]
fn a_threads_progress_is_kept() {
    let (_dir, s) = store();
    assert_eq!(s.posted("slack:C1:1.2").unwrap(), 0);
    s.set_posted("slack:C1:1.2", 2).unwrap();
    s.set_posted("slack:C1:1.2", 3).unwrap();
    assert_eq!(s.posted("slack:C1:1.2").unwrap(), 3);
}

#[test]
fn a_thread_is_reported_once() {
    let (_dir, s) = store();
    assert!(!s.thread_reported("slack:C1:1.2").unwrap());
    s.mark_thread_reported("slack:C1:1.2", "completed").unwrap();
    s.mark_thread_reported("slack:C1:1.2", "completed").unwrap();
    assert!(s.thread_reported("slack:C1:1.2").unwrap());
}

#[test]
fn runs_of_an_account_are_newest_first_and_limited() {
    let (_dir, s) = store();
    s.create_batch(&batch("b1", &["r1", "r2", "r3"], None))
        .unwrap();
    let runs = s.runs_of_account("acct", 2).unwrap();
    assert_eq!(runs.len(), 2);
    assert!(s.runs_of_account("other", 10).unwrap().is_empty());
    assert_eq!(s.runs_of_batch("b1").unwrap().len(), 3);
}
