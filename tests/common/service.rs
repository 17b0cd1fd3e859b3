//! A `reelforge serve` under test: the real binary on a free port of 127.0.0.1 with its own
//! data folder, and a client whose every answer is checked against the OpenAPI document.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::fake_slack::FakeSlack;
use serde_json::Value;

pub const ACCOUNT: &str = "0f8a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
pub const KEY: &str = "rf_test_key_0123456789abcdef";
pub const OTHER_ACCOUNT: &str = "9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4";
pub const OTHER_KEY: &str = "rf_other_key_0123456789abcdef";
pub const ARTIST: &str = "5b0f3c1e-8a2d-4c6b-9e71-2d4f6a8b0c13";
pub const SECRET: &str = "callback-secret-for-tests";
pub const THREAD: &str = "slack:C0TEST:1700000000.000100";

/// A running server; killed when dropped.
pub struct Service {
    pub child: Child,
    pub url: String,
    pub data: PathBuf,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `reelforge serve` on a free port with `data` as its data folder. Loopback URLs are
/// allowed unless `extra` says otherwise; the log goes to `data/../server.log`.
pub fn start(data: &Path, extra: &[&str], env: &[(&str, &str)]) -> Service {
    start_in(data, &super::fixtures().join("artists"), extra, env)
}

/// `start` with another artists root.
pub fn start_in(data: &Path, artists: &Path, extra: &[&str], env: &[(&str, &str)]) -> Service {
    std::fs::create_dir_all(data).unwrap();
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data.with_extension("log"))
        .unwrap();
    let mut cmd = super::reelforge();
    cmd.arg("--model")
        .arg(super::model())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(if extra.contains(&"--workers") {
            &[][..]
        } else {
            &["--workers", "1"][..]
        })
        .arg("--artists")
        .arg(artists)
        .arg("--data")
        .arg(data)
        .arg("--cache")
        .arg(super::shared_cache())
        .args(["--poll-interval", "0.2", "--preset", "ultrafast"])
        .args(database_args(data))
        .args(extra)
        .env(
            "REELFORGE_API_KEYS",
            format!("{ACCOUNT}={KEY},{OTHER_ACCOUNT}={OTHER_KEY}"),
        )
        .env_remove("REELFORGE_CALLBACK_SECRET")
        .env_remove("REELFORGE_SLACK_TOKEN")
        .env("REELFORGE_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start reelforge serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| {
            panic!(
                "server did not start: {line:?}\n{}",
                std::fs::read_to_string(data.with_extension("log")).unwrap_or_default()
            )
        })
        .to_string();
    Service {
        child,
        url,
        data: data.to_path_buf(),
    }
}

/// A running `reelforge worker`; killed (SIGKILL) when dropped.
pub struct Worker {
    pub child: Child,
    /// Its name on the runs it claims.
    pub name: String,
    pub log: PathBuf,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Worker {
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends the node `signal` (SIGSTOP freezes it as a hung machine would; SIGCONT thaws it).
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill has no memory effects; the pid is our own child's, not yet reaped.
        unsafe {
            libc::kill(self.child.id() as i32, signal);
        }
    }

    /// Stops the node with SIGTERM and waits for it to exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        // SAFETY: kill has no memory effects; the pid is our own child's, not yet reaped.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        self.child.wait().unwrap()
    }
}

/// Starts a render node on `database`, publishing to `storage` (a folder or s3://…; `env` has
/// the AWS_* settings for the latter), with a lease of two seconds and
/// one worker unless `extra` says `--workers`; its own folder is `data`, its log `data.log`.
pub fn start_worker(
    data: &Path,
    database: &str,
    storage: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Worker {
    std::fs::create_dir_all(data).unwrap();
    let log = data.with_extension("log");
    let mut child = super::reelforge()
        .arg("--model")
        .arg(super::model())
        .args(["worker", "--database", database, "--lease", "2"])
        .args(if extra.contains(&"--workers") {
            &[][..]
        } else {
            &["--workers", "1"][..]
        })
        .arg("--artists")
        .arg(super::fixtures().join("artists"))
        .arg("--storage")
        .arg(storage)
        .arg("--data")
        .arg(data)
        .arg("--cache")
        .arg(super::shared_cache())
        .args(["--preset", "ultrafast"])
        .args(extra)
        .envs(env.iter().copied())
        .env("REELFORGE_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
        .spawn()
        .expect("start reelforge worker");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let name = line
        .strip_prefix("worker ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| {
            panic!(
                "worker did not start: {line:?}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        })
        .to_string();
    Worker { child, name, log }
}

/// Whether this test process's servers keep their runs in PostgreSQL: the `*_postgres`
/// suites run the same cases as their SQLite twins on a real PostgreSQL.
pub fn on_postgres() -> bool {
    env!("CARGO_CRATE_NAME").ends_with("postgres")
}

/// The store flags for a server on `data`: on PostgreSQL, a database of the folder's own,
/// kept across restarts, with a short lease so that a killed server's runs return quickly.
pub fn database_args(data: &Path) -> Vec<String> {
    if !on_postgres() {
        return Vec::new();
    }
    let file = data.with_extension("database");
    let url = std::fs::read_to_string(&file).unwrap_or_else(|_| {
        let url = super::postgres::database();
        std::fs::write(&file, &url).unwrap();
        url
    });
    vec!["--database".into(), url, "--lease".into(), "2".into()]
}

/// A server with a callback secret and the fake Slack configured.
pub fn start_with_slack(data: &Path, slack: &FakeSlack, extra: &[&str]) -> Service {
    let mut args = vec![
        "--slack-api-url",
        &*Box::leak(slack.api_url().into_boxed_str()),
    ];
    args.extend_from_slice(extra);
    start(
        data,
        &args,
        &[
            ("REELFORGE_CALLBACK_SECRET", SECRET),
            ("REELFORGE_SLACK_TOKEN", FakeSlack::TOKEN),
        ],
    )
}

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// The status and JSON body of an answer, checked against the OpenAPI document.
pub fn answer(method: &str, path: &str, r: reqwest::blocking::Response) -> (u16, Value) {
    static CONTRACT: std::sync::OnceLock<super::openapi::Contract> = std::sync::OnceLock::new();
    let status = r.status().as_u16();
    let text = r.text().unwrap();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    CONTRACT
        .get_or_init(super::openapi::Contract::load)
        .check(method, path, status, &value);
    (status, value)
}

impl Service {
    pub fn get(&self, path: &str) -> (u16, Value) {
        self.get_as(path, &[("x-api-key", KEY)])
    }

    pub fn get_as(&self, path: &str, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut req = client().get(format!("{}{path}", self.url));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        answer("GET", path, req.send().unwrap())
    }

    pub fn post_as(&self, path: &str, headers: &[(&str, &str)], body: String) -> (u16, Value) {
        let mut req = client()
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/json")
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        answer("POST", path, req.send().unwrap())
    }

    pub fn create(&self, body: Value) -> (u16, Value) {
        self.post_as(
            "/api/content/create",
            &[("x-api-key", KEY)],
            body.to_string(),
        )
    }

    pub fn callback(&self, secret: &str, body: &Value) -> (u16, Value) {
        self.post_as(
            "/api/content-agent/callback",
            &[("x-callback-secret", secret)],
            body.to_string(),
        )
    }

    pub fn run(&self, id: &str) -> Value {
        let (status, body) = self.get(&format!("/api/tasks/runs?runId={id}"));
        assert_eq!(status, 200, "{body}");
        body["runs"][0].clone()
    }

    /// Waits until run `id`'s
    /// status satisfies `done`.
    pub fn wait_run(&self, id: &str, done: impl Fn(&str) -> bool) -> Value {
        self.wait(&format!("run {id}"), || {
            let run = self.run(id);
            done(run["status"].as_str().unwrap()).then_some(run)
        })
    }

    /// Polls `f` until it gives a value; fails with the server's log after three minutes, so
    /// that a hang fails instead of blocking.
    pub fn wait<T>(&self, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
        let started = Instant::now();
        loop {
            if let Some(v) = f() {
                return v;
            }
            assert!(
                started.elapsed() < Duration::from_secs(180),
                "gave up waiting for {what}; server log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.with_extension("log")).unwrap_or_default()
    }

    /// Stops the server with SIGTERM and waits for it to exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        self.child.wait().unwrap()
    }
}

pub fn final_state(s: &str) -> bool {
    !matches!(s, "QUEUED" | "EXECUTING")
}

pub fn run_ids(created: &Value) -> Vec<String> {
    created["runIds"]
        .as_array()
        .unwrap_or_else(|| panic!("no runIds in {created}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

pub fn data_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix("serve-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let data = dir.path().join("data");
    (dir, data)
}

pub fn ffprobe_video(path: &Path) -> Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-print_format", "json", "-show_streams"])
        .arg(path)
        .output()
        .expect("ffprobe");
    assert!(out.status.success(), "ffprobe {}", path.display());
    serde_json::from_slice(&out.stdout).unwrap()
}
