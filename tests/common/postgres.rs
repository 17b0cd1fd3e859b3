//! A real PostgreSQL server for the tests: Debian's `postgresql` (setup installs it), a fresh
//! cluster in a temporary folder on a free port of 127.0.0.1, one per test process, and one
//! database per test. The server dies with the test process.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The running cluster: its port and the folder it lives in.
struct Cluster {
    port: u16,
}

/// A database of its own on the tests' cluster: `postgres://reelforge@127.0.0.1:PORT/NAME`.
pub fn database() -> String {
    let port = cluster().port;
    let name = format!(
        "t_{}",
        reelforge::job::new_run_id()[4..].to_ascii_lowercase()
    );
    let mut admin = connect(port, "postgres");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create a test database");
    format!("postgres://reelforge@127.0.0.1:{port}/{name}")
}

fn connect(port: u16, db: &str) -> postgres::Client {
    postgres::Client::connect(
        &format!("host=127.0.0.1 port={port} user=reelforge dbname={db}"),
        postgres::NoTls,
    )
    .unwrap_or_else(|e| panic!("connect to the test PostgreSQL on port {port}: {e}"))
}

fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(start)
}

/// Debian puts the server's programs under /usr/lib/postgresql/<major>/bin.
fn bin_dir() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("postgres").is_file() && b.join("initdb").is_file())
        .collect();
    found.sort();
    found.pop().unwrap_or_else(|| {
        panic!(
            "PostgreSQL's server is not installed (no /usr/lib/postgresql/*/bin/postgres): \
             scripts/setup.sh installs Debian's postgresql"
        )
    })
}

/// PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user.
fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut cmd = Command::new("setpriv");
        cmd.args([
            "--reuid=postgres",
            "--regid=postgres",
            "--init-groups",
            "--pdeathsig=KILL",
            "--",
        ])
        .arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

const PREFIX: &str = "reelforge-test-pg-";

/// Clusters left by test processes that have ended.
fn remove_stale_clusters() {
    for entry in std::fs::read_dir(std::env::temp_dir())
        .into_iter()
        .flatten()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix(PREFIX) {
            if !Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

fn start() -> Cluster {
    let bin = bin_dir();
    remove_stale_clusters();
    let dir = std::env::temp_dir().join(format!("{PREFIX}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    if is_root() {
        let chown = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status()
            .unwrap();
        assert!(chown.success(), "chown the test cluster's folder");
    }
    let data = dir.join("data");
    let out = as_server_user(&bin.join("initdb"))
        .arg("-D")
        .arg(&data)
        .args(["-A", "trust", "-U", "reelforge", "-E", "UTF8", "--no-sync"])
        .stdout(Stdio::null())
        .output()
        .expect("run initdb");
    assert!(
        out.status.success(),
        "initdb: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = std::fs::File::create(dir.join("server.log")).unwrap();
    // Spawned from a thread that lives as long as the process: the server gets SIGKILL when
    // the thread that started it ends, so not from a test's own thread.
    let (sent, got) = std::sync::mpsc::channel();
    let server = bin.join("postgres");
    std::thread::spawn(move || {
        let child = as_server_user(&server)
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-k"])
            .arg(&dir)
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=300",
            ])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn();
        sent.send(child.map(|_| ())).unwrap();
        loop {
            std::thread::park();
        }
    });
    got.recv().unwrap().expect("start postgres");
    let deadline = Instant::now() + Duration::from_secs(30);
    while postgres::Client::connect(
        &format!("host=127.0.0.1 port={port} user=reelforge dbname=postgres"),
        postgres::NoTls,
    )
    .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "the test PostgreSQL did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Cluster { port }
}
