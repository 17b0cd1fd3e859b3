//! A local stand-in for S3-compatible object storage: s3rver (an S3 API over a folder, which
//! scripts/setup.sh installs with npm into .cache/s3rver) on a free port of 127.0.0.1, with one
//! bucket. Killed when dropped.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BUCKET: &str = "videos";

pub struct S3 {
    child: Child,
    pub endpoint: String,
    _dir: tempfile::TempDir,
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl S3 {
    pub fn start() -> S3 {
        let program = super::root().join(".cache/s3rver/node_modules/.bin/s3rver");
        assert!(
            program.is_file(),
            "{} is missing: scripts/setup.sh installs it",
            program.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(program)
            .arg("-d")
            .arg(dir.path())
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "--silent"])
            .args(["--configure-bucket", BUCKET])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start s3rver");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "s3rver did not start on {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        S3 {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        }
    }

    /// The AWS_* settings a node needs to reach it (s3rver's fixed credentials).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT", self.endpoint.clone()),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_ACCESS_KEY_ID", "S3RVER".into()),
            ("AWS_SECRET_ACCESS_KEY", "S3RVER".into()),
            ("AWS_DEFAULT_REGION", "us-east-1".into()),
        ]
    }
}
