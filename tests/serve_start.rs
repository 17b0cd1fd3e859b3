//! `reelforge serve` before it serves: what it refuses to start on, and what its help lists.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

const ACCOUNT: &str = "0f8a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b";

/// `reelforge GLOBAL… serve` on the fixture artists and `data`, with one API key.
fn serve(global: &[&str], data: &Path) -> Command {
    let mut cmd = common::reelforge();
    cmd.args(global)
        .arg("serve")
        .arg("--artists")
        .arg(common::fixtures().join("artists"))
        .arg("--data")
        .arg(data)
        .args(["--listen", "127.0.0.1:0"])
        .env(
            "REELFORGE_API_KEYS",
            format!("{ACCOUNT}=rf_only_for_this_test_0000"),
        );
    cmd
}

fn data_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix("serve-start-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let data = dir.path().join("data");
    (dir, data)
}

#[test]
fn the_server_refuses_to_start_without_its_models() {
    let (_dir, data) = data_dir();
    let missing: [(&[&str], Option<&str>, &str); 2] = [
        (
            &["--model", "/nonexistent/ggml-tiny.en.bin"],
            None,
            "no Whisper model",
        ),
        (&[], Some("/nonexistent/vision"), "vision model"),
    ];
    for (args, vision, needle) in missing {
        let mut cmd = serve(args, &data);
        if let Some(dir) = vision {
            cmd.env("REELFORGE_VISION_MODELS", dir);
        }
        let out = cmd.output().unwrap();
        common::assert_fails(&out, 2, &[needle]);
    }
}

#[test]
fn an_unreachable_database_is_named_without_its_password() {
    let (_dir, data) = data_dir();
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://reelforge:hunter2@127.0.0.1:{port}/runs");
    let out = serve(&[], &data)
        .args(["--database", &url])
        .output()
        .unwrap();
    let shown = format!("postgres://reelforge:***@127.0.0.1:{port}/runs");
    common::assert_fails(&out, 1, &[&shown, "cannot connect"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("hunter2"));

    let out = serve(&[], &data)
        .args(["--database", "mysql://reelforge:hunter2@db/runs"])
        .output()
        .unwrap();
    common::assert_fails(
        &out,
        2,
        &["mysql://reelforge:***@db/runs", "not a PostgreSQL URL"],
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("hunter2"));

    let out = serve(&[], &data).args(["--workers", "0"]).output().unwrap();
    common::assert_fails(&out, 1, &["--workers 0", "--database postgres://"]);
}

#[test]
fn the_server_refuses_to_start_on_a_damaged_run_store() {
    let (_dir, data) = data_dir();
    std::fs::create_dir_all(&data).unwrap();
    for (bytes, needle) in [
        (Vec::new(), "the file is empty"),
        (vec![0x5a; 8192], "is damaged"),
    ] {
        std::fs::write(data.join("runs.db"), &bytes).unwrap();
        let out = serve(&[], &data).output().unwrap();
        common::assert_fails(&out, 1, &["runs.db", needle, "backup"]);
        assert_eq!(
            std::fs::read(data.join("runs.db")).unwrap(),
            bytes,
            "left as it was"
        );
    }
}

#[test]
fn serve_help_lists_no_render_only_flags() {
    let out = common::run(common::reelforge().args(["serve", "--help"]));
    assert!(out.status.success());
    let help = common::stdout(&out);
    for shared in ["--preset", "--x264-threads", "--cache", "--vision-models"] {
        assert!(help.contains(shared), "{shared} missing:\n{help}");
    }
    for render_only in ["--out ", "--seed", "--jobs", "--crf"] {
        assert!(!help.contains(render_only), "{render_only} listed:\n{help}");
    }
}
