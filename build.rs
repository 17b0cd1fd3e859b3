//! Probes the system FFmpeg libraries and records their versions for `reelforge --version`.

use std::process::exit;

const LIBS: [&str; 5] = [
    "libavcodec",
    "libavformat",
    "libavutil",
    "libswscale",
    "libswresample",
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    let mut versions = Vec::new();
    let mut missing = Vec::new();
    for lib in LIBS {
        match pkg_config::Config::new().cargo_metadata(false).probe(lib) {
            Ok(found) => versions.push(format!("{lib} {}", found.version)),
            Err(_) => missing.push(lib),
        }
    }
    if !missing.is_empty() {
        let packages: Vec<String> = missing.iter().map(|l| format!("{l}-dev")).collect();
        eprintln!(
            "error: FFmpeg development libraries not found ({}): install them with \
             `sudo apt-get install pkg-config {}` or run scripts/setup.sh",
            missing.join(", "),
            packages.join(" ")
        );
        exit(1);
    }
    println!(
        "cargo:rustc-env=REELFORGE_FFMPEG_LIBS={}",
        versions.join(", ")
    );
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let rustc_version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default();
    println!("cargo:rustc-env=REELFORGE_RUSTC={}", rustc_version.trim());
}
