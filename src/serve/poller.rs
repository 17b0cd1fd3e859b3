//! The poller: when every run of a batch created with a callback thread has finished (or the
//! batch has waited past its timeout), POST {threadId, status, results} to the callback URL,
//! retrying with backoff.

use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use tokio::sync::watch;

use super::callback::{CallbackPayload, CallbackResult, Outcome};
use super::store::{now_ms, PendingCallback, RunRow, RunState};
use super::App;

/// Deliveries given up after this many failed tries (about 25 minutes of backoff).
pub const MAX_DELIVERIES: i64 = 12;

/// Delay before try `attempt + 1`: 1 s, 2 s, 4 s … up to 5 minutes.
pub fn backoff(attempt: i64) -> Duration {
    Duration::from_secs(1u64 << attempt.clamp(0, 8)).min(Duration::from_secs(300))
}

/// The callback body for a batch, or None while runs are still going and the batch has not
/// timed out. `deadline_passed` reports every unfinished run as timed out.
pub fn payload(thread_id: &str, runs: &[RunRow], deadline_passed: bool) -> Option<CallbackPayload> {
    let all_final = runs.iter().all(|r| r.state.is_final());
    if !all_final && !deadline_passed {
        return None;
    }
    let results: Vec<CallbackResult> = runs.iter().map(result_of).collect();
    let status = if results.iter().any(|r| r.status == Outcome::Timeout) {
        Outcome::Timeout
    } else if results.iter().all(|r| r.status == Outcome::Completed) {
        Outcome::Completed
    } else {
        Outcome::Failed
    };
    Some(CallbackPayload {
        thread_id: thread_id.to_string(),
        status,
        results,
        message: None,
    })
}

/// The hosted service's words for a batch past its timeout, with the configured time.
pub fn timeout_message(timeout: Duration) -> String {
    let seconds = timeout.as_secs_f64();
    let (n, unit) = if timeout.subsec_nanos() == 0
        && timeout.as_secs() >= 60
        && timeout.as_secs().is_multiple_of(60)
    {
        ((seconds / 60.0).to_string(), "minute")
    } else {
        (((seconds * 10.0).round() / 10.0).to_string(), "second")
    };
    let s = if n == "1" { "" } else { "s" };
    format!("Content generation timed out after {n} {unit}{s}")
}

fn result_of(r: &RunRow) -> CallbackResult {
    let output: Option<serde_json::Value> = r
        .output
        .as_deref()
        .and_then(|o| serde_json::from_str(o).ok());
    let text = |key: &str| {
        output
            .as_ref()
            .and_then(|o| o[key].as_str())
            .map(str::to_string)
    };
    let (status, error) = match r.state {
        RunState::Completed => (Outcome::Completed, None),
        RunState::TimedOut => (Outcome::Timeout, r.error.clone()),
        RunState::Queued | RunState::Executing => (
            Outcome::Timeout,
            Some("the run did not finish before the callback timeout".to_string()),
        ),
        RunState::Failed | RunState::Canceled | RunState::Crashed => (
            Outcome::Failed,
            Some(
                r.error
                    .clone()
                    .unwrap_or_else(|| r.state.as_str().to_lowercase()),
            ),
        ),
    };
    CallbackResult {
        run_id: r.id.clone(),
        status,
        video_url: (status == Outcome::Completed)
            .then(|| text("videoUrl"))
            .flatten(),
        caption_text: (status == Outcome::Completed)
            .then(|| text("captionText"))
            .flatten(),
        error,
    }
}

/// Delivers due callbacks every `poll_interval` until `shutdown` turns true.
pub async fn poll(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    let Some(target) = app.config.callback.clone() else {
        return;
    };
    // Long enough for the callback to upload a batch of videos to Slack.
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("callback client: {e}");
            return;
        }
    };
    loop {
        match app.db(|s| s.callbacks_due(now_ms())).await {
            Ok(due) => {
                for batch in due {
                    deliver(&app, &client, &target, batch).await;
                }
            }
            Err(e) => tracing::error!("looking for callbacks: {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(app.config.poll_interval) => {}
            _ = shutdown.wait_for(|s| *s) => return,
        }
    }
}

async fn deliver(
    app: &Arc<App>,
    client: &reqwest::Client,
    target: &super::config::CallbackTarget,
    batch: PendingCallback,
) {
    let waited = Duration::from_millis((now_ms() - batch.created_at).max(0) as u64);
    let late = waited >= app.config.callback_timeout;
    if late {
        // Runs that never started are not started any more: the batch is reported as timed
        // out, and its runs say so too.
        let id = batch.batch_id.clone();
        let error = "the batch passed its callback timeout before this run started";
        if let Err(e) = app.db(move |s| s.time_out_queued(&id, error)).await {
            tracing::error!("timing out queued runs: {e}");
            return;
        }
    }
    let id = batch.batch_id.clone();
    let Ok(runs) = app.db(move |s| s.runs_of_batch(&id)).await else {
        return;
    };
    let Some(mut body) = payload(&batch.thread_id, &runs, late) else {
        return;
    };
    if body.status == Outcome::Timeout {
        body.message = Some(timeout_message(app.config.callback_timeout));
    }
    for r in &mut body.results {
        if let Some(url) = &mut r.video_url {
            *url = super::files::absolute(&app.public_url, url);
        }
    }
    if late {
        // Runs still executing are reported as timed out: stop them, so that they end so too.
        let running = app.running.lock().unwrap_or_else(|e| e.into_inner());
        for r in runs.iter().filter(|r| r.state == RunState::Executing) {
            if let Some(abandon) = running.get(&r.id) {
                abandon.notify_one();
            }
        }
    }
    // Several API nodes may poll one store: the one that takes the delivery sends it.
    let (id, lease) = (batch.batch_id.clone(), app.lease.clone());
    match app.db(move |s| s.claim_callback(&id, &lease)).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::error!("claiming a callback: {e}");
            return;
        }
    }
    let sent = client
        .post(&target.url)
        .header("x-callback-secret", target.secret.expose_secret())
        .json(&body)
        .send()
        .await;
    let outcome = match sent {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!(
            "the callback answered HTTP {}",
            r.status().as_u16()
        )),
        Err(e) => Err(format!("the callback could not be reached: {e}")),
    };
    let id = batch.batch_id.clone();
    match outcome {
        Ok(()) => {
            tracing::info!(batch = %id, status = ?body.status, "callback delivered");
            let _ = app.db(move |s| s.callback_attempted(&id, Ok(()))).await;
        }
        Err(error) => {
            let next = (batch.attempts + 1 < MAX_DELIVERIES)
                .then(|| now_ms() + backoff(batch.attempts).as_millis() as i64);
            if next.is_some() {
                tracing::warn!(batch = %id, "{error}; will retry");
            } else {
                tracing::error!(batch = %id, "{error}; giving up");
            }
            let _ = app
                .db(move |s| s.callback_attempted(&id, Err((&error, next))))
                .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str, state: RunState, output: Option<&str>, error: Option<&str>) -> RunRow {
        RunRow {
            id: id.into(),
            batch_id: "b".into(),
            index: 0,
            account_id: "a".into(),
            artist_account_id: "x".into(),
            template: None,
            lipsync: false,
            state,
            attempts: 1,
            created_at: 0,
            started_at: None,
            finished_at: None,
            output: output.map(Into::into),
            error: error.map(Into::into),
            error_code: None,
        }
    }

    const DONE: &str = r#"{"videoUrl":"http://h/files/r1.mp4","captionText":"hi"}"#;

    #[test]
    fn a_batch_is_reported_only_when_every_run_is_final() {
        let runs = [
            run("r1", RunState::Completed, Some(DONE), None),
            run("r2", RunState::Executing, None, None),
        ];
        assert!(payload("t", &runs, false).is_none());
        let p = payload("t", &runs, true).unwrap();
        assert_eq!(p.status, Outcome::Timeout);
        assert_eq!(p.results[1].status, Outcome::Timeout);
    }

    #[test]
    fn all_completed_is_completed_and_carries_videos_and_captions() {
        let runs = [run("r1", RunState::Completed, Some(DONE), None)];
        let p = payload("t", &runs, false).unwrap();
        assert_eq!(p.status, Outcome::Completed);
        assert_eq!(
            p.results[0].video_url.as_deref(),
            Some("http://h/files/r1.mp4")
        );
        assert_eq!(p.results[0].caption_text.as_deref(), Some("hi"));
    }

    #[test]
    fn a_partly_failed_batch_is_failed_but_keeps_its_videos() {
        let runs = [
            run("r1", RunState::Completed, Some(DONE), None),
            run("r2", RunState::Crashed, None, Some("boom")),
        ];
        let p = payload("t", &runs, false).unwrap();
        assert_eq!(p.status, Outcome::Failed);
        assert!(p.results[0].video_url.is_some());
        assert_eq!(p.results[1].error.as_deref(), Some("boom"));
    }

    #[test]
    fn the_timeout_message_names_the_configured_time() {
        for (timeout, said) in [
            (Duration::from_secs(1800), "30 minutes"),
            (Duration::from_secs(60), "1 minute"),
            (Duration::from_secs(90), "90 seconds"),
            (Duration::from_millis(300), "0.3 seconds"),
        ] {
            assert_eq!(
                timeout_message(timeout),
                format!("Content generation timed out after {said}")
            );
        }
    }

    #[test]
    fn any_timed_out_run_makes_the_batch_a_timeout() {
        let runs = [
            run("r1", RunState::Failed, None, Some("bad")),
            run("r2", RunState::TimedOut, None, Some("slow")),
        ];
        assert_eq!(payload("t", &runs, false).unwrap().status, Outcome::Timeout);
    }

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        assert_eq!(backoff(0), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(8));
        assert_eq!(backoff(40), Duration::from_secs(256));
        assert!(backoff(100) <= Duration::from_secs(300));
    }
}
