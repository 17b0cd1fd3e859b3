//! The worker pool: each worker claims the oldest queued run and renders it in a child process
//! (`reelforge run-video`), so that a run can be timed out by killing it and a crash in one
//! run cannot take the server down.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tokio::process::Command;
use tokio::sync::watch;

use super::store::{Claimed, RunState};
use super::App;
use crate::batch::{FailureCode, RunResult, RunStatus, VideoError};
use crate::job::{RunOrder, ORDER_VERSION};

/// How a run's process ended.
enum Ended {
    Finished(std::io::Result<std::process::Output>),
    TimedOut,
    /// Its batch passed the callback timeout and was reported without it.
    Abandoned,
    /// Shutdown came and the grace period ran out.
    Interrupted,
    /// The run's lease ran out before it could be renewed: another node may have it now.
    LeaseLost,
}

/// Runs queued runs until `shutdown` turns true.
pub async fn work(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    let idle_look = if app.store.database().is_shared() {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(5)
    };
    loop {
        if *shutdown.borrow() {
            return;
        }
        // Registered before looking, so a run queued meanwhile still wakes this worker.
        let woken = app.wake.notified();
        match app.db(|s| s.expire_leases()).await {
            Ok((0, 0)) => {}
            Ok((requeued, crashed)) => {
                tracing::warn!(requeued, crashed, "recovered runs whose lease ran out")
            }
            Err(e) => tracing::error!("recovering runs whose lease ran out: {e}"),
        }
        let lease = app.lease.clone();
        match app.db(move |s| s.claim_next(&lease)).await {
            Ok(Some(claimed)) if *shutdown.borrow() => {
                let id = claimed.run.id;
                let node = app.lease.node.clone();
                settle(&app, "requeue", move |s| s.requeue(&id, &node)).await;
            }
            Ok(Some(claimed)) => execute(&app, claimed, &mut shutdown).await,
            Ok(None) => {
                tokio::select! {
                    _ = woken => {}
                    _ = shutdown.changed() => {}
                    // Also look now and then: runs may have been re-queued by recovery, or
                    // created by another node, which cannot wake this one.
                    _ = tokio::time::sleep(idle_look) => {}
                }
            }
            Err(e) => {
                tracing::error!("claiming a run: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

async fn execute(app: &Arc<App>, claimed: Claimed, shutdown: &mut watch::Receiver<bool>) {
    let run_id = claimed.run.id.clone();
    tracing::info!(run = %run_id, attempt = claimed.run.attempts, node = %app.lease.node, "run claimed");
    let work_dir = app.work_dir.join(&run_id);
    // A previous attempt may have left pieces behind.
    let _ = tokio::fs::remove_dir_all(&work_dir).await;
    let mut lost = false;
    let outcome = match prepare_work_dir(app, &claimed, &work_dir).await {
        Ok(order) => {
            let abandon = Arc::new(tokio::sync::Notify::new());
            app.running
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(run_id.clone(), abandon.clone());
            let mut ended = tokio::select! {
                ended = run_process(app, &order, shutdown, &abandon) => ended,
                () = keep_lease(app, &run_id) => Ended::LeaseLost,
            };
            // The last word before publishing: a run another node has taken is not published.
            let (id, lease) = (run_id.clone(), app.lease.clone());
            if matches!(ended, Ended::Finished(_))
                && matches!(app.db(move |s| s.renew(&id, &lease)).await, Ok(false))
            {
                ended = Ended::LeaseLost;
            }
            app.running
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&run_id);
            lost = matches!(ended, Ended::LeaseLost);
            record(app, &claimed, &work_dir, ended).await
        }
        Err(e) => Some((
            RunState::Failed,
            None,
            Some(VideoError::new(
                FailureCode::RenderFailed.unless_full(&e),
                format!("could not set up the run: {e}"),
            )),
        )),
    };
    match outcome {
        Some((state, output, error)) => {
            let id = run_id.clone();
            // The full error, with the server's paths, goes to the log; callers (and Slack)
            // get the code's fixed words.
            match &error {
                None => tracing::info!(run = %run_id, status = state.as_str(), "run finished"),
                Some(e) => tracing::warn!(
                    run = %run_id,
                    status = state.as_str(),
                    code = e.code.as_str(),
                    error = %e.message,
                    "run finished"
                ),
            }
            let public = error.map(|e| e.code);
            let node = app.lease.node.clone();
            settle(app, "finish", move |s| {
                let error = public.map(|c| (c.as_str(), c.message()));
                s.finish(&id, &node, state, output.as_deref(), error)
                    .map(|_| ())
            })
            .await;
        }
        None if lost => {
            tracing::warn!(run = %run_id, "lease lost: render stopped, nothing published");
        }
        None => {
            let id = run_id.clone();
            let node = app.lease.node.clone();
            settle(app, "requeue", move |s| s.requeue(&id, &node)).await;
            tracing::info!(run = %run_id, "run interrupted by shutdown; queued again");
        }
    }
    let _ = tokio::fs::remove_dir_all(&work_dir).await;
}

/// Renews the lease on a run while it executes; returns when the lease is lost: another node
/// took the run, or the store could not be reached before the lease ran out.
async fn keep_lease(app: &Arc<App>, run_id: &str) {
    let every = app.lease.length / 3;
    let mut held_until = tokio::time::Instant::now() + app.lease.length;
    loop {
        tokio::time::sleep(every).await;
        let (id, lease) = (run_id.to_string(), app.lease.clone());
        let asked = tokio::time::Instant::now();
        match app.db(move |s| s.renew(&id, &lease)).await {
            Ok(true) => held_until = asked + app.lease.length,
            Ok(false) => {
                tracing::warn!(run = %run_id, node = %app.lease.node, "lease lost to another node");
                return;
            }
            Err(e) if tokio::time::Instant::now() + every >= held_until => {
                tracing::warn!(run = %run_id, "lease runs out: cannot renew it: {e}");
                return;
            }
            Err(e) => tracing::error!(run = %run_id, "renewing the lease: {e}"),
        }
        tracing::info!(run = %run_id, "lease renewed");
    }
}

/// Records a run's end, retrying while the store fails (a full disk, say): a run left
/// EXECUTING would wait for the next restart and lose an attempt.
async fn settle<F>(app: &Arc<App>, what: &str, f: F)
where
    F: Fn(&super::store::Store) -> Result<(), super::store::StoreError> + Clone + Send + 'static,
{
    for attempt in 0..10 {
        match app.db(f.clone()).await {
            Ok(()) => return,
            Err(e) => {
                tracing::error!("{what}: {e} (try {})", attempt + 1);
                tokio::time::sleep(super::poller::backoff(attempt)).await;
            }
        }
    }
}

/// Writes the run's order: the stored request, its plan, and where to find and put things.
async fn prepare_work_dir(
    app: &App,
    claimed: &Claimed,
    work_dir: &Path,
) -> std::io::Result<PathBuf> {
    tokio::fs::create_dir_all(work_dir).await?;
    let order = RunOrder {
        version: ORDER_VERSION,
        run_id: claimed.run.id.clone(),
        index: claimed.run.index,
        seed: claimed.seed,
        request: serde_json::from_str(&claimed.request)?,
        artists_root: std::path::absolute(&app.config.artists)?,
        output_dir: work_dir.to_path_buf(),
        allow_private_urls: app.config.allow_private_urls,
        options: app.config.render.options.clone(),
    };
    let path = work_dir.join("order.json");
    tokio::fs::write(&path, serde_json::to_vec_pretty(&order)?).await?;
    Ok(path)
}

fn command(app: &App, order: &Path) -> Command {
    let mut cmd = Command::new(&app.config.render.program);
    cmd.arg("run-video").arg(order);
    // The renderer downloads URLs callers chose: it gets none of the server's secrets.
    for secret in [
        "REELFORGE_API_KEYS",
        "REELFORGE_CALLBACK_SECRET",
        "REELFORGE_SLACK_TOKEN",
        "REELFORGE_DATABASE",
    ] {
        cmd.env_remove(secret);
    }
    // Nor the object storage's credentials.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(name);
        }
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        // Its own process group: Ctrl-C on a terminal (or a service manager signalling the
        // group) reaches the server, which decides whether the run finishes or is re-queued.
        .process_group(0);
    #[cfg(target_os = "linux")]
    // SAFETY: prctl is async-signal-safe; it makes the child die with the server, so a killed
    // server leaves no orphan render behind.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    cmd
}

async fn run_process(
    app: &App,
    order: &Path,
    shutdown: &mut watch::Receiver<bool>,
    abandon: &tokio::sync::Notify,
) -> Ended {
    let child = match command(app, order).spawn() {
        Ok(c) => c,
        Err(e) => return Ended::Finished(Err(e)),
    };
    // Dropping this future kills the child (kill_on_drop).
    let output = child.wait_with_output();
    tokio::pin!(output);
    let timeout = tokio::time::sleep(app.config.run_timeout);
    tokio::pin!(timeout);
    tokio::select! {
        out = &mut output => return Ended::Finished(out),
        _ = &mut timeout => return Ended::TimedOut,
        _ = abandon.notified() => return Ended::Abandoned,
        _ = shutdown.wait_for(|s| *s) => {}
    }
    // Shutting down: let the run finish within the grace period, else queue it again.
    tokio::select! {
        out = &mut output => match out {
            // Killed by a signal meant for the whole machine: not the run's fault.
            Ok(o) if o.status.code().is_none() => Ended::Interrupted,
            out => Ended::Finished(out),
        },
        _ = &mut timeout => Ended::TimedOut,
        _ = abandon.notified() => Ended::Abandoned,
        _ = tokio::time::sleep(app.config.shutdown_grace) => Ended::Interrupted,
    }
}

type Outcome = Option<(RunState, Option<String>, Option<VideoError>)>;

/// Turns a process's end into the run's final state, publishing its video.
async fn record(app: &App, claimed: &Claimed, work_dir: &Path, ended: Ended) -> Outcome {
    let output = match ended {
        Ended::Interrupted | Ended::LeaseLost => return None,
        Ended::TimedOut => {
            return Some((
                RunState::TimedOut,
                None,
                Some(VideoError::new(
                    FailureCode::TimedOut,
                    format!(
                        "the run did not finish within its {} s timeout",
                        app.config.run_timeout.as_secs_f64()
                    ),
                )),
            ))
        }
        Ended::Abandoned => {
            return Some((
                RunState::TimedOut,
                None,
                Some(VideoError::new(
                    FailureCode::BatchTimedOut,
                    "the batch passed its callback timeout before this run finished",
                )),
            ))
        }
        Ended::Finished(Err(e)) => {
            return Some((
                RunState::Failed,
                None,
                Some(VideoError::new(
                    FailureCode::RendererStopped,
                    format!("could not start the renderer: {e}"),
                )),
            ))
        }
        Ended::Finished(Ok(output)) => output,
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result: Option<RunResult> = stdout
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str(line).ok());
    let Some(mut result) = result else {
        return Some((
            RunState::Failed,
            None,
            Some(VideoError::new(
                FailureCode::RendererStopped,
                process_error(&output),
            )),
        ));
    };
    if result.status == RunStatus::Completed {
        match app.storage.publish_run(work_dir, &claimed.run.id).await {
            Ok(published) => {
                result.video_url = Some(published.video_url);
                result.lyrics_url = Some(published.lyrics_url);
            }
            Err(e) => {
                let code = match e.io() {
                    Some(io) => FailureCode::PublishFailed.unless_full(io),
                    None => FailureCode::PublishFailed,
                };
                return Some((
                    RunState::Failed,
                    None,
                    Some(VideoError::new(
                        code,
                        format!("could not publish the video: {e}"),
                    )),
                ));
            }
        }
    }
    let state = match result.status {
        RunStatus::Completed => RunState::Completed,
        RunStatus::Failed => RunState::Failed,
    };
    let error = result.error.clone().map(|message| VideoError {
        code: result.error_code.unwrap_or(FailureCode::RenderFailed),
        message,
    });
    // A failed run has its error, not an output.
    let json = (state == RunState::Completed)
        .then(|| serde_json::to_string(&result).ok())
        .flatten();
    Some((state, json, error))
}

/// What to say about a render process that gave no result: its last error line.
fn process_error(output: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| l.strip_prefix("error: ").unwrap_or(l).to_string());
    let how = match output.status.code() {
        Some(code) => format!("exit code {code}"),
        None => {
            use std::os::unix::process::ExitStatusExt;
            format!("signal {}", output.status.signal().unwrap_or(0))
        }
    };
    match last {
        Some(line) => line,
        None => format!("the renderer stopped without a result ({how})"),
    }
}
