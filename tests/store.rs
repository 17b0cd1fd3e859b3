//! The run store's contract, the same on both backends: a SQLite file in a temporary folder
//! and a database of its own on a real PostgreSQL started by the tests.

mod common;

use std::time::Duration;

use reelforge::serve::store::{now_ms, Database, Lease, NewBatch, RunState, Store, StoreError};

/// A store and what keeps it alive.
struct Opened {
    store: Store,
    _dir: Option<tempfile::TempDir>,
}

fn sqlite() -> Opened {
    let dir = tempfile::tempdir().unwrap();
    Opened {
        store: Store::open_file(&dir.path().join("runs.db")).unwrap(),
        _dir: Some(dir),
    }
}

fn postgres() -> Opened {
    let url = common::postgres::database();
    Opened {
        store: Store::open(&Database::parse(&url).unwrap()).unwrap(),
        _dir: None,
    }
}

/// Each case runs once per backend: `sqlite::case` and `postgres::case`.
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $case() {
                super::$case(&super::sqlite().store)
            })*
        }
        mod postgres {
            $(#[test]
            fn $case() {
                super::$case(&super::postgres().store)
            })*
        }
    };
}

on_both_backends!(
    runs_are_claimed_in_order_once_each,
    a_finished_run_keeps_its_output_and_cannot_be_finished_twice,
    an_interrupted_run_is_requeued_without_using_an_attempt,
    a_run_whose_lease_runs_out_is_requeued_once_then_crashed,
    a_node_that_lost_its_lease_can_neither_renew_nor_finish_the_run,
    callbacks_are_due_until_delivered_and_back_off_on_failure,
    a_callback_is_delivered_by_one_node_at_a_time,
    a_callback_thread_belongs_to_one_batch,
    a_thread_is_posted_by_one_node_and_reported_once,
    queued_runs_of_a_batch_can_be_timed_out,
    a_threads_progress_is_kept,
    runs_of_an_account_are_newest_first_and_limited,
    concurrent_claimers_take_every_run_exactly_once,
);

fn lease(node: &str) -> Lease {
    Lease {
        node: node.into(),
        length: Duration::from_secs(30),
    }
}

/// A lease that has run out by the time anyone looks.
fn spent(node: &str) -> Lease {
    Lease {
        node: node.into(),
        length: Duration::ZERO,
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
        template: Some("artist-caption-bedroom".into()),
        lipsync: true,
        run_ids: runs.iter().map(|s| s.to_string()).collect(),
    }
}

fn runs_are_claimed_in_order_once_each(s: &Store) {
    s.create_batch(&batch("b1", &["r1", "r2"], None)).unwrap();
    let a = s.claim_next(&lease("n1")).unwrap().unwrap();
    let b = s.claim_next(&lease("n2")).unwrap().unwrap();
    assert_eq!((a.run.id.as_str(), b.run.id.as_str()), ("r1", "r2"));
    assert_eq!((a.run.index, a.seed, a.run.attempts), (0, 9, 1));
    assert_eq!(a.run.state, RunState::Executing);
    assert_eq!(a.run.template.as_deref(), Some("artist-caption-bedroom"));
    assert!(a.run.lipsync);
    assert!(s.claim_next(&lease("n1")).unwrap().is_none());
    assert_eq!(s.counts().unwrap(), (0, 2));
}

fn a_finished_run_keeps_its_output_and_cannot_be_finished_twice(s: &Store) {
    s.create_batch(&batch("b1", &["r1"], None)).unwrap();
    s.claim_next(&lease("n1")).unwrap();
    assert!(s
        .finish("r1", "n1", RunState::Completed, Some("{\"a\":1}"), None)
        .unwrap());
    assert!(!s
        .finish(
            "r1",
            "n1",
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

fn an_interrupted_run_is_requeued_without_using_an_attempt(s: &Store) {
    s.create_batch(&batch("b1", &["r1"], None)).unwrap();
    s.claim_next(&lease("n1")).unwrap();
    s.requeue("r1", "n2").unwrap();
    assert_eq!(
        s.run("r1").unwrap().unwrap().state,
        RunState::Executing,
        "another node cannot hand back n1's run"
    );
    s.requeue("r1", "n1").unwrap();
    let r = s.run("r1").unwrap().unwrap();
    assert_eq!((r.state, r.attempts), (RunState::Queued, 0));
}

fn a_run_whose_lease_runs_out_is_requeued_once_then_crashed(s: &Store) {
    s.create_batch(&batch("b1", &["r1"], None)).unwrap();
    s.claim_next(&lease("n1")).unwrap();
    assert_eq!(s.expire_leases().unwrap(), (0, 0), "a live lease is kept");
    s.create_batch(&batch("b2", &["r2"], None)).unwrap();
    s.claim_next(&spent("dead")).unwrap();
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(s.expire_leases().unwrap(), (1, 0));
    assert_eq!(s.run("r2").unwrap().unwrap().state, RunState::Queued);
    assert_eq!(s.run("r1").unwrap().unwrap().state, RunState::Executing);

    let again = s.claim_next(&spent("dead too")).unwrap().unwrap();
    assert_eq!((again.run.id.as_str(), again.run.attempts), ("r2", 2));
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(s.expire_leases().unwrap(), (0, 1));
    let r = s.run("r2").unwrap().unwrap();
    assert_eq!(r.state, RunState::Crashed);
    assert_eq!(r.error_code.as_deref(), Some("renderer_stopped"));
    assert!(r.error.unwrap().contains("stopped"));
}

fn a_node_that_lost_its_lease_can_neither_renew_nor_finish_the_run(s: &Store) {
    s.create_batch(&batch("b1", &["r1"], None)).unwrap();
    s.claim_next(&spent("slow")).unwrap();
    std::thread::sleep(Duration::from_millis(5));
    s.expire_leases().unwrap();
    let taken = s.claim_next(&lease("fast")).unwrap().unwrap();
    assert_eq!(taken.run.attempts, 2);
    assert!(!s.renew("r1", &lease("slow")).unwrap());
    assert!(!s
        .finish("r1", "slow", RunState::Completed, Some("{}"), None)
        .unwrap());
    assert!(s.renew("r1", &lease("fast")).unwrap());
    assert!(s
        .finish("r1", "fast", RunState::Completed, Some("{}"), None)
        .unwrap());
    assert!(!s.renew("r1", &lease("fast")).unwrap(), "a finished run");
}

fn callbacks_are_due_until_delivered_and_back_off_on_failure(s: &Store) {
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

fn a_callback_is_delivered_by_one_node_at_a_time(s: &Store) {
    s.create_batch(&batch("b1", &["r1"], Some("slack:C1:1.2")))
        .unwrap();
    assert!(s.claim_callback("b1", &lease("api1")).unwrap());
    assert!(!s.claim_callback("b1", &lease("api2")).unwrap());
    assert!(
        s.callbacks_due(now_ms()).unwrap().is_empty(),
        "not due while a node delivers it"
    );
    s.callback_attempted("b1", Err(("refused", Some(0))))
        .unwrap();
    assert!(s.claim_callback("b1", &lease("api2")).unwrap(), "released");
    // A node that dies while delivering gives the delivery up when its claim runs out.
    s.callback_attempted("b1", Err(("refused", Some(0))))
        .unwrap();
    assert!(s.claim_callback("b1", &spent("api2")).unwrap());
    std::thread::sleep(Duration::from_millis(5));
    assert!(s.claim_callback("b1", &lease("api1")).unwrap());
    s.callback_attempted("b1", Ok(())).unwrap();
    assert!(
        !s.claim_callback("b1", &lease("api1")).unwrap(),
        "delivered"
    );
}

fn a_callback_thread_belongs_to_one_batch(s: &Store) {
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

fn a_thread_is_posted_by_one_node_and_reported_once(s: &Store) {
    let t = "slack:C1:1.2";
    assert!(!s.thread_reported(t).unwrap());
    assert!(s.claim_thread(t, &lease("api1")).unwrap());
    assert!(!s.claim_thread(t, &lease("api2")).unwrap());
    assert!(s.claim_thread(t, &lease("api1")).unwrap(), "its own again");
    s.mark_thread_reported(t, "completed").unwrap();
    s.mark_thread_reported(t, "completed").unwrap();
    assert!(s.thread_reported(t).unwrap());
    assert!(!s.claim_thread(t, &lease("api2")).unwrap(), "reported");
    // A claim that ran out passes to another node.
    let u = "slack:C1:3.4";
    assert!(s.claim_thread(u, &spent("api1")).unwrap());
    std::thread::sleep(Duration::from_millis(5));
    assert!(s.claim_thread(u, &lease("api2")).unwrap());
}

fn queued_runs_of_a_batch_can_be_timed_out(s: &Store) {
    s.create_batch(&batch("b1", &["r1", "r2"], None)).unwrap();
    s.claim_next(&lease("n1")).unwrap();
    assert_eq!(s.time_out_queued("b1", "too late").unwrap(), 1);
    assert_eq!(s.run("r1").unwrap().unwrap().state, RunState::Executing);
    let r2 = s.run("r2").unwrap().unwrap();
    assert_eq!(
        (r2.state, r2.error.as_deref()),
        (RunState::TimedOut, Some("too late"))
    );
}

fn a_threads_progress_is_kept(s: &Store) {
    assert_eq!(s.posted("slack:C1:1.2").unwrap(), 0);
    s.set_posted("slack:C1:1.2", 2).unwrap();
    s.set_posted("slack:C1:1.2", 3).unwrap();
    assert_eq!(s.posted("slack:C1:1.2").unwrap(), 3);
}

fn runs_of_an_account_are_newest_first_and_limited(s: &Store) {
    s.create_batch(&batch("b1", &["r1", "r2", "r3"], None))
        .unwrap();
    let runs = s.runs_of_account("acct", 2).unwrap();
    assert_eq!(runs.len(), 2);
    assert!(s.runs_of_account("other", 10).unwrap().is_empty());
    assert_eq!(s.runs_of_batch("b1").unwrap().len(), 3);
}

fn concurrent_claimers_take_every_run_exactly_once(s: &Store) {
    let ids: Vec<String> = (0..120).map(|i| format!("r{i:03}")).collect();
    for chunk in ids.chunks(30) {
        let runs: Vec<&str> = chunk.iter().map(String::as_str).collect();
        s.create_batch(&batch(&format!("b{}", chunk[0]), &runs, None))
            .unwrap();
    }
    // A store is shared by reference across the claimers, as the workers of a node share it.
    let claimed = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for n in 0..8 {
            let claimed = &claimed;
            scope.spawn(move || {
                let lease = lease(&format!("n{n}"));
                while let Some(c) = s.claim_next(&lease).unwrap() {
                    claimed.lock().unwrap().push(c.run.id);
                }
            });
        }
    });
    let mut claimed = claimed.into_inner().unwrap();
    claimed.sort();
    assert_eq!(claimed, ids);
}
