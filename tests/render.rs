//! `reelforge render` and `still` end to end: real binary, FFmpeg, whisper, fixtures; outputs
//! checked with ffprobe and by decoding frames back.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{json, Value};

const ACCOUNT: &str = "5b0f3c1e-8a2d-4c6b-9e71-2d4f6a8b0c13";

fn manifest(dir: &Path, fields: Value) -> PathBuf {
    let mut m = json!({
        "artist_account_id": ACCOUNT,
        "template": "artist-caption-bedroom",
        "caption_length": "short",
        "batch": 1,
        "artists_root": common::fixtures().join("artists"),
        "output_dir": dir.join("out"),
        "seed": 42
    });
    for (k, v) in fields.as_object().unwrap() {
        if v.is_null() {
            m.as_object_mut().unwrap().remove(k);
        } else {
            m[k] = v.clone();
        }
    }
    let path = dir.join("job.json");
    std::fs::write(&path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    path
}

fn render(manifest: &Path, extra: &[&str]) -> Output {
    common::reelforge()
        .arg("render")
        .arg(manifest)
        .args(["--json", "--preset", "ultrafast"])
        .args(extra)
        .output()
        .unwrap()
}

/// Renders a job that must fully succeed: its output and its JSON summary.
fn render_ok(manifest: &Path) -> (Output, Value) {
    let out = render(manifest, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = stdout_json(&out);
    (out, summary)
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The `<runId>.json` written for a line of results.json.
fn run_json(dir: &Path, result: &Value) -> Value {
    read_json(&dir.join(format!("out/{}.json", result["runId"].as_str().unwrap())))
}

fn ffprobe(path: &Path) -> Value {
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_streams",
            "-show_format",
            "-count_frames",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ffprobe {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn stream<'a>(probe: &'a Value, kind: &str) -> &'a Value {
    probe["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["codec_type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} stream"))
}

fn f(v: &Value) -> f64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or(v.as_f64())
        .unwrap()
}

/// The order of the top-level MP4 boxes.
fn top_level_boxes(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap();
    let mut at = 0usize;
    let mut names = Vec::new();
    while at + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        names.push(String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned());
        let size = if size == 1 {
            u64::from_be_bytes(bytes[at + 8..at + 16].try_into().unwrap()) as usize
        } else {
            size
        };
        if size < 8 {
            break;
        }
        at += size;
    }
    names
}

/// Checks one output video as a player would see it.
fn check_video(path: &Path, width: u64, height: u64, seconds: f64) {
    let probe = ffprobe(path);
    let v = stream(&probe, "video");
    assert_eq!(v["codec_name"], "h264");
    assert_eq!(v["pix_fmt"], "yuv420p");
    assert_eq!(v["width"].as_u64(), Some(width));
    assert_eq!(v["height"].as_u64(), Some(height));
    assert_eq!(v["r_frame_rate"], "30/1");
    let vd = f(&v["duration"]);
    assert!(
        (vd - seconds).abs() <= 1.0 / 30.0 + 1e-6,
        "video lasts {vd} s, expected {seconds}"
    );
    let a = stream(&probe, "audio");
    assert_eq!(a["codec_name"], "aac");
    assert_eq!(a["channels"].as_u64(), Some(2));
    let ad = f(&a["duration"]);
    assert!((ad - vd).abs() <= 0.05, "audio {ad} s vs video {vd} s");
    let boxes = top_level_boxes(path);
    let moov = boxes.iter().position(|b| b == "moov").expect("moov");
    let mdat = boxes.iter().position(|b| b == "mdat").expect("mdat");
    assert!(moov < mdat, "faststart: moov before mdat ({boxes:?})");
}

/// Luma of frame `index` (0-based), decoded by FFmpeg.
fn luma(path: &Path, index: usize, width: usize, height: usize) -> Vec<u8> {
    let out = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args([
            "-vf",
            &format!("select=eq(n\\,{index})"),
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "gray",
            "-",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout.len(), width * height);
    out.stdout
}

fn mean_abs_diff(a: &[u8], b: &[u8], width: usize, rows: std::ops::Range<usize>) -> f64 {
    let n = rows.len() * width;
    let sum: u64 = rows
        .flat_map(|y| (0..width).map(move |x| y * width + x))
        .map(|i| u64::from(a[i].abs_diff(b[i])))
        .sum();
    sum as f64 / n as f64
}

#[test]
fn a_batch_of_three_renders_playable_videos_with_results() {
    let dir = tempfile::tempdir().unwrap();
    let job = manifest(dir.path(), json!({ "batch": 3 }));
    let (out, summary) = render_ok(&job);
    assert_eq!(summary["status"], "completed");
    let results = summary["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    // Each song drawn is analysed once, however many videos use it.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.starts_with("songs: "))
        .expect("songs line");
    let analysed: usize = line["songs: ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=3).contains(&analysed) && line.contains("for 3 videos"),
        "{line}"
    );
    let on_disk = read_json(&dir.path().join("out/results.json"));
    assert_eq!(on_disk, summary);
    for r in results {
        let run_id = r["runId"].as_str().unwrap();
        assert!(run_id.starts_with("run_"));
        assert_eq!(r["status"], "completed");
        let video = PathBuf::from(r["videoUrl"].as_str().unwrap());
        assert_eq!(
            video,
            dir.path()
                .join("out")
                .join(format!("{run_id}.mp4"))
                .canonicalize()
                .unwrap()
        );
        let run = run_json(dir.path(), r);
        let seconds = run["audio"]["durationSeconds"].as_f64().unwrap();
        // About the template's 8 s: the window may stretch to end between lines.
        assert!((7.0..=9.0).contains(&seconds), "{seconds}");
        check_video(&video, 720, 1280, seconds);
        let caption = r["captionText"].as_str().unwrap();
        assert!(
            !caption.is_empty() && caption.split_whitespace().count() <= 10,
            "short caption: {caption:?}"
        );

        assert_eq!(run["runId"], run_id);
        assert_eq!(run["template"], "artist-caption-bedroom");
        assert_eq!(run["lipsync"], false);
        assert!(run["error"].is_null());
        let audio = &run["audio"];
        for key in ["songTitle", "songFilename", "clipLyrics", "clipMood"] {
            assert!(audio[key].is_string(), "audio.{key} in {run}");
        }
        assert!(audio["startSeconds"].as_f64().unwrap() >= 0.0);
    }
    // Nothing but the outputs is left behind.
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names.len(),
        10,
        "3 videos, 3 lyrics files, 3 run files, results.json: {names:?}"
    );
    // Every output is as readable as the videos (the umask decides), none private by accident.
    use std::os::unix::fs::PermissionsExt;
    let mode = |name: &str| {
        let meta = std::fs::metadata(dir.path().join("out").join(name)).unwrap();
        meta.permissions().mode() & 0o777
    };
    let video = names.iter().find(|n| n.ends_with(".mp4")).unwrap();
    for name in &names {
        assert_eq!(mode(name), mode(video), "{name}");
    }
}

#[test]
fn the_same_seed_makes_the_same_choices() {
    let choices = |seed: u64| {
        let dir = tempfile::tempdir().unwrap();
        let job = manifest(dir.path(), json!({ "batch": 2, "seed": seed }));
        let (_, summary) = render_ok(&job);
        summary["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let run = run_json(dir.path(), r);
                (run["audio"].clone(), run["captionText"].clone())
            })
            .collect::<Vec<_>>()
    };
    let first = choices(7);
    assert_eq!(first, choices(7), "same manifest and seed");
}

#[test]
fn the_caption_and_the_motion_are_really_in_the_video() {
    let dir = tempfile::tempdir().unwrap();
    let job = manifest(dir.path(), json!({ "caption_length": "medium" }));
    let (_, summary) = render_ok(&job);
    let video = PathBuf::from(summary["results"][0]["videoUrl"].as_str().unwrap());
    let (w, h) = (720, 1280);
    let first = luma(&video, 0, w, h);
    let last = luma(&video, 239, w, h);
    // The camera moves: the picture above the caption changes between first and last frame.
    let moved = mean_abs_diff(&first, &last, w, 0..h / 2);
    assert!(moved > 2.0, "the background moved: mean change {moved}");
    // The caption holds still: white text with a black outline, the same in both frames.
    let text = (0..h * w)
        .filter(|&i| first[i] > 225 && last[i] > 225 && first[i].abs_diff(last[i]) < 12)
        .count();
    assert!(text > 500, "caption pixels that stay put: {text}");
}

/// A local server that answers 404 for everything: its base URL.
fn serve_404() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(16) {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 2048];
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    format!("http://{addr}")
}

/// Renders four videos from a fixture song and the song at `url`, which must fail: the videos
/// drawing it fail with an error naming it and holding every one of `needles`, the others
/// complete.
fn expect_song_url_to_fail_alone(url: &str, extra: &[&str], needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    // Seed 3 draws both songs among four videos (checked below).
    let job = manifest(
        dir.path(),
        json!({ "batch": 4, "seed": 3, "songs": ["paper-lanterns", url] }),
    );
    let out = render(&job, extra);
    let summary = stdout_json(&out);
    let results = summary["results"].as_array().unwrap();
    let failed: Vec<&Value> = results.iter().filter(|r| r["status"] == "failed").collect();
    let completed = results.len() - failed.len();
    assert!(
        !failed.is_empty() && completed > 0,
        "seed must draw both songs: {summary}"
    );
    assert_eq!(out.status.code(), Some(3), "some failed");
    assert_eq!(summary["status"], "failed");
    for r in failed {
        let error = r["error"].as_str().unwrap();
        assert!(error.contains(url), "{error}");
        for needle in needles {
            assert!(error.contains(needle), "{needle:?} not in {error}");
        }
        assert!(r["videoUrl"].is_null());
    }
    for r in results.iter().filter(|r| r["status"] == "completed") {
        let video = Path::new(r["videoUrl"].as_str().unwrap());
        let run: Value =
            serde_json::from_str(&std::fs::read_to_string(video.with_extension("json")).unwrap())
                .unwrap();
        let seconds = run["audio"]["durationSeconds"].as_f64().unwrap();
        check_video(video, 720, 1280, seconds);
    }
}

#[test]
fn a_bad_song_url_fails_its_own_videos_only() {
    let url = format!("{}/missing.mp3", serve_404());
    expect_song_url_to_fail_alone(&url, &["--allow-private-urls"], &["404"]);
}

#[test]
fn a_loopback_song_url_is_refused_without_allow_private_urls() {
    let url = format!("{}/missing.mp3", serve_404());
    expect_song_url_to_fail_alone(&url, &[], &["not a public address", "--allow-private-urls"]);
}

#[test]
fn lipsync_videos_run_the_whole_clip_and_upscale_renders_1080p() {
    let dir = tempfile::tempdir().unwrap();
    let job = manifest(
        dir.path(),
        json!({ "lipsync": true, "upscale": true, "caption_length": "none" }),
    );
    let (_, summary) = render_ok(&job);
    let r = &summary["results"][0];
    assert!(r["captionText"].as_str().unwrap().is_empty());
    let run = run_json(dir.path(), r);
    assert_eq!(run["lipsync"], true);
    let seconds = run["audio"]["durationSeconds"].as_f64().unwrap();
    assert!(
        seconds > 8.5,
        "a lipsync clip is the full moment, up to 15 s: {seconds}"
    );
    check_video(
        Path::new(r["videoUrl"].as_str().unwrap()),
        1080,
        1920,
        seconds,
    );
}

#[test]
fn still_writes_the_first_frame_of_each_video() {
    let dir = tempfile::tempdir().unwrap();
    let job = manifest(
        dir.path(),
        json!({ "batch": 2, "template": "artist-release-editorial" }),
    );
    let out = common::reelforge().arg("still").arg(&job).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for n in 1..=2 {
        let png = image::open(dir.path().join(format!("out/still-{n}.png"))).unwrap();
        assert_eq!((png.width(), png.height()), (720, 1280));
    }
}

fn expect_input_error(fields: Value, needle: &str) {
    let dir = tempfile::tempdir().unwrap();
    let job = manifest(dir.path(), fields);
    let out = render(&job, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "exit 2 for {needle:?}; stderr:\n{stderr}"
    );
    assert!(stderr.contains(needle), "{needle:?} not in:\n{stderr}");
    assert!(
        !dir.path().join("out/results.json").exists(),
        "nothing rendered"
    );
}

#[test]
fn every_validation_error_exits_2_and_names_the_problem() {
    expect_input_error(
        json!({ "artist_account_id": "not-a-uuid" }),
        "artist_account_id",
    );
    expect_input_error(
        json!({ "artist_account_id": null }),
        "artist_account_id: is required",
    );
    expect_input_error(
        json!({ "template": "disco-bunker" }),
        "Unsupported template: disco-bunker",
    );
    expect_input_error(json!({ "template": "" }), "template");
    expect_input_error(json!({ "caption_length": "epic" }), "caption_length");
    expect_input_error(json!({ "batch": 0 }), "batch");
    expect_input_error(json!({ "batch": 31 }), "batch");
    expect_input_error(json!({ "songs": "paper-lanterns" }), "songs");
    expect_input_error(json!({ "images": [7] }), "images");
    expect_input_error(json!({ "lipsync": "sometimes" }), "lipsync");
    expect_input_error(json!({ "output_dir": null }), "output_dir");
    expect_input_error(json!({ "seed": "abc" }), "seed");
    expect_input_error(json!({ "batchh": 2 }), "batchh: unknown field");
    expect_input_error(
        json!({ "songs": ["no-such-song", "nor-this"] }),
        "None of the specified songs [no-such-song, nor-this] were found for artist lumen-vale",
    );
    expect_input_error(
        json!({ "artist_account_id": "00000000-0000-4000-8000-000000000000" }),
        "Artist not found",
    );
    expect_input_error(
        json!({ "images": ["does-not-exist.png"] }),
        "does-not-exist.png",
    );
}

#[test]
fn a_missing_face_guide_is_named_unless_images_are_given() {
    // A copy of the demo artist without its face guide.
    let dir = tempfile::tempdir().unwrap();
    let artists = dir.path().join("artists");
    let artist = artists.join("lumen-vale");
    std::fs::create_dir_all(artist.join("songs/paper-lanterns")).unwrap();
    std::fs::create_dir_all(artist.join("context/images")).unwrap();
    let src = common::artist_dir();
    std::fs::copy(src.join("artist.json"), artist.join("artist.json")).unwrap();
    std::fs::copy(
        src.join("songs/paper-lanterns/paper-lanterns.mp3"),
        artist.join("songs/paper-lanterns/paper-lanterns.mp3"),
    )
    .unwrap();
    expect_input_error(
        json!({ "artists_root": artists }),
        "face-guide.png not found for artist lumen-vale",
    );
    // A face image given in the manifest stands in for it; a corrupt one is named.
    std::fs::write(dir.path().join("broken.png"), b"not a png").unwrap();
    expect_input_error(
        json!({ "artists_root": artists, "images": [dir.path().join("broken.png")] }),
        "broken.png is not a usable image",
    );
}

#[test]
fn a_malformed_manifest_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let job = dir.path().join("job.json");
    std::fs::write(&job, "{ \"batch\": ").unwrap();
    let out = render(&job, &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("job.json") && stderr.contains("not valid JSON"),
        "{stderr}"
    );
}

#[test]
fn clip_renders_explicit_parts_and_rejects_a_start_past_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("clip.mp4");
    let image = common::artist_dir().join("context/images/face-guide-alt.jpg");
    let song = common::artist_dir().join("songs/blue-hour/blue-hour.flac");
    let run = |start: &str| {
        common::reelforge()
            .arg("clip")
            .arg("--image")
            .arg(&image)
            .arg("--audio")
            .arg(&song)
            .args([
                "--start",
                start,
                "--duration",
                "2",
                "--caption",
                "Blue hour, café lights",
            ])
            .args(["--movement", "pan_left", "--preset", "ultrafast", "--out"])
            .arg(&out_path)
            .output()
            .unwrap()
    };
    let out = run("3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    check_video(&out_path, 720, 1280, 2.0);

    std::fs::remove_file(&out_path).unwrap();
    let out = run("9999");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("past the end"));
    assert!(!out_path.exists(), "no output for a bad request");
}

#[test]
fn album_imagery_takes_the_sleeve_then_the_corner_when_the_template_uses_no_face() {
    let still = |images: Value| {
        let dir = tempfile::tempdir().unwrap();
        let job = manifest(
            dir.path(),
            json!({ "template": "album-record-store", "images": images }),
        );
        let out = common::reelforge().arg("still").arg(&job).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        image::open(dir.path().join("out/still-1.png"))
            .unwrap()
            .to_rgb8()
    };
    let cover = common::artist_dir().join("context/images/face-guide-alt.jpg");
    let second = common::artist_dir().join("context/images/face-guide.png");
    let without = still(Value::Null);
    // One image is the featured sleeve in the scene: the corner stays the scene's.
    let one = still(json!([cover]));
    let corner_changed = |img: &image::RgbImage| {
        (40..270)
            .filter(|&y| img.get_pixel(650, y) != without.get_pixel(650, y))
            .count()
    };
    assert!(
        corner_changed(&one) < 10,
        "a lone image is not a corner square"
    );
    // A second image goes to the corner: its white mount 30 px from the top-right corner.
    let two = still(json!([cover, second]));
    let mount = two.get_pixel(441, 31).0;
    assert!(mount.iter().all(|&c| c >= 240), "white mount: {mount:?}");
    assert!(
        corner_changed(&two) > 100,
        "the second image is in the corner"
    );
}

#[test]
fn out_of_range_arguments_are_usage_errors_and_errors_are_said_once() {
    let cases: [&[&str]; 6] = [
        &["clip", "--x264-threads", "100000"],
        &["clip", "--strength", "NaN"],
        &["clip", "--strength", "1e30"],
        &["moments", "--top", "0", "song.mp3"],
        &["api-key", "new", "nope"],
        &["render", "job.json", "--x264-threads", "100000"],
    ];
    for args in cases {
        let out = common::reelforge().args(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            common::stderr(&out)
        );
    }

    // A field error names its field once, not once per layer of the error.
    let dir = tempfile::tempdir().unwrap();
    let job = manifest(dir.path(), json!({ "batch": 99 }));
    let out = render(&job, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert_eq!(err.matches("batch").count(), 1, "{err}");

    // A device is not a song: refused at once, exit 2.
    let out = common::reelforge()
        .args(["transcribe", "/dev/zero"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert_eq!(err.matches("not a regular file").count(), 1, "{err}");
}

#[test]
fn an_interrupted_render_leaves_no_part_files_or_download_folders() {
    let dir = tempfile::tempdir().unwrap();
    // Long enough to be caught encoding: a 15 s lipsync clip at 1080×1920.
    let job = manifest(
        dir.path(),
        json!({ "batch": 1, "lipsync": true, "upscale": true, "template": "artist-caption-stage" }),
    );
    let out = dir.path().join("out");
    let mut child = common::reelforge()
        .arg("render")
        .arg(&job)
        .args(["--preset", "veryslow", "--jobs", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let scratch = |out: &Path| -> Vec<String> {
        std::fs::read_dir(out)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with(".reelforge-"))
                    .collect()
            })
            .unwrap_or_default()
    };
    let started = std::time::Instant::now();
    while !scratch(&out).iter().any(|n| n.ends_with(".part")) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the render ended before it was interrupted"
        );
        assert!(started.elapsed().as_secs() < 300, "no .part file appeared");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // SAFETY: a plain kill(2) of our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(143), "{stderr}");
    assert!(stderr.contains("interrupted: removed"), "{stderr}");
    assert_eq!(scratch(&out), Vec::<String>::new(), "{stderr}");
}
