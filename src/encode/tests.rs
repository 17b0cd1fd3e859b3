//! Encode tests against real files: everything is generated here and checked with the
//! `ffprobe` / `ffmpeg` command-line tools.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::audio::{output_rate, prepare, samples_for_frames};
use super::*;

fn gradient(width: u32, height: u32, index: usize) -> Yuv420 {
    let (w, h) = (width as usize, height as usize);
    let shift = index * 4;
    let mut y = vec![0u8; w * h];
    for (row, line) in y.chunks_exact_mut(w).enumerate() {
        for (col, px) in line.iter_mut().enumerate() {
            // A diagonal ramp that slides a few pixels per frame.
            let t = (col + row / 2 + shift) % (w + h / 2);
            *px = 16 + (t * 219 / (w + h / 2)) as u8;
        }
    }
    let (cw, ch) = (w / 2, h / 2);
    let mut u = vec![0u8; cw * ch];
    let mut v = vec![0u8; cw * ch];
    for row in 0..ch {
        for col in 0..cw {
            u[row * cw + col] = 96 + (row * 64 / ch) as u8;
            v[row * cw + col] = 96 + (((col + index) % cw) * 64 / cw) as u8;
        }
    }
    Yuv420 {
        width,
        height,
        y,
        u,
        v,
    }
}

fn frames(width: u32, height: u32) -> impl Iterator<Item = Yuv420> {
    (0..).map(move |i| gradient(width, height, i))
}

/// A sine tone of `seconds`, the same on every channel listed in `active` (others silent).
fn tone(rate: u32, channels: u16, active: &[usize], seconds: f64, amp: f32) -> Audio {
    let n = (seconds * f64::from(rate)).round() as usize;
    let mut samples = vec![0.0f32; n * usize::from(channels)];
    for i in 0..n {
        let x =
            amp * (2.0 * std::f64::consts::PI * 440.0 * i as f64 / f64::from(rate)).sin() as f32;
        for &c in active {
            samples[i * usize::from(channels) + c] = x;
        }
    }
    Audio {
        sample_rate: rate,
        channels,
        samples,
    }
}

fn fast(width: u32, height: u32) -> EncodeSettings {
    EncodeSettings {
        width,
        height,
        preset: "ultrafast".into(),
        ..EncodeSettings::default()
    }
}

fn encode(
    out: &Path,
    settings: &EncodeSettings,
    frame_count: usize,
    audio: Option<&Audio>,
) -> Result<EncodeStats, EncodeError> {
    encode_mp4(
        out,
        settings,
        frame_count,
        frames(settings.width, settings.height),
        audio,
        &mut |_| {},
    )
}

fn ffprobe(path: &Path) -> Value {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_streams",
            "-show_format",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(
        output.status.success(),
        "ffprobe failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("ffprobe prints JSON")
}

/// (stream index, byte position) of every packet.
fn ffprobe_packets(path: &Path) -> Vec<(u64, u64)> {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "packet=stream_index,pos",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(output.status.success());
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            // Packets with side data (AAC priming) end in an extra empty field.
            let mut fields = l.split(',');
            let mut next = || fields.next().expect("two fields").trim().parse().unwrap();
            (next(), next())
        })
        .collect()
}

fn stream<'a>(probe: &'a Value, kind: &str) -> Option<&'a Value> {
    probe["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["codec_type"] == kind)
}

fn num(v: &Value) -> f64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| v.as_f64())
        .unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Checks the video stream and returns its duration.
fn check_video(probe: &Value, width: u32, height: u32, frame_count: usize) -> f64 {
    let v = stream(probe, "video").expect("a video stream");
    assert_eq!(v["codec_name"], "h264");
    assert_eq!(v["pix_fmt"], "yuv420p");
    assert_eq!(v["width"], width);
    assert_eq!(v["height"], height);
    assert_eq!(v["r_frame_rate"], "30/1");
    assert_eq!(v["nb_frames"], frame_count.to_string());
    let duration = num(&v["duration"]);
    let expected = frame_count as f64 / 30.0;
    assert!(
        (duration - expected).abs() <= 1.0 / 30.0 + 1e-6,
        "video lasts {duration} s, expected {expected} s"
    );
    duration
}

fn check_audio(probe: &Value, rate: u32, video_seconds: f64) {
    let a = stream(probe, "audio").expect("an audio stream");
    assert_eq!(a["codec_name"], "aac");
    assert_eq!(a["channels"], 2);
    assert_eq!(a["sample_rate"], rate.to_string());
    let duration = num(&a["duration"]);
    assert!(
        (duration - video_seconds).abs() <= 0.05,
        "audio lasts {duration} s, video {video_seconds} s"
    );
}

/// Top-level MP4 box types in file order.
fn top_level_atoms(path: &Path) -> Vec<String> {
    let data = std::fs::read(path).unwrap();
    let mut atoms = Vec::new();
    let mut pos = 0usize;
    while pos + 8 <= data.len() {
        let mut size = u32::from_be_bytes(data[pos..pos + 4].try_into().unwrap()) as u64;
        let kind = String::from_utf8_lossy(&data[pos + 4..pos + 8]).into_owned();
        if size == 1 {
            size = u64::from_be_bytes(data[pos + 8..pos + 16].try_into().unwrap());
        } else if size == 0 {
            size = (data.len() - pos) as u64;
        }
        atoms.push(kind);
        assert!(size >= 8, "bad box size at {pos}");
        pos += size as usize;
    }
    assert_eq!(pos, data.len(), "boxes do not tile the file");
    atoms
}

fn ffmpeg_stdout(args: &[&str], input: &Path, tail: &[&str]) -> Vec<u8> {
    let output = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin"])
        .args(args)
        .arg("-i")
        .arg(input)
        .args(tail)
        .output()
        .expect("ffmpeg runs");
    assert!(
        output.status.success(),
        "ffmpeg failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Decoded YUV 4:2:0 frames of the whole video.
fn decode_video(path: &Path) -> Vec<u8> {
    ffmpeg_stdout(&[], path, &["-f", "rawvideo", "-pix_fmt", "yuv420p", "-"])
}

/// Decoded audio as interleaved stereo f32.
fn decode_audio(path: &Path) -> Vec<f32> {
    let bytes = ffmpeg_stdout(&[], path, &["-vn", "-f", "f32le", "-ac", "2", "-"]);
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

fn mean_abs_diff(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    let sum: u64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| u64::from(x.abs_diff(y)))
        .sum();
    sum as f64 / a.len() as f64
}

/// RMS of one channel of interleaved stereo over the middle half.
fn rms(stereo: &[f32], channel: usize) -> f32 {
    let frames = stereo.len() / 2;
    let (start, end) = (frames / 4, frames * 3 / 4);
    let sum: f32 = (start..end).map(|i| stereo[i * 2 + channel].powi(2)).sum();
    (sum / (end - start) as f32).sqrt()
}

fn dir_entries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

#[test]
fn encodes_video_and_audio_that_match_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("clip.mp4");
    let settings = EncodeSettings {
        crf: 18,
        ..EncodeSettings::default()
    };
    let frame_count = 60;
    // Longer than the video: it must be cut.
    let audio = tone(48_000, 2, &[0, 1], 2.5, 0.5);
    let mut calls = Vec::new();
    let stats = encode_mp4(
        &out,
        &settings,
        frame_count,
        frames(720, 1280),
        Some(&audio),
        &mut |n| calls.push(n),
    )
    .unwrap();

    assert_eq!(calls, (1..=frame_count).collect::<Vec<_>>());
    assert_eq!(stats.frames, frame_count);
    assert!((stats.video_seconds - 2.0).abs() < 1e-9);
    assert!((stats.audio_seconds - 2.0).abs() < 1e-9);
    assert_eq!(stats.bytes, std::fs::metadata(&out).unwrap().len());
    assert_eq!(dir_entries(dir.path()), vec![out.clone()]);

    let probe = ffprobe(&out);
    assert_eq!(probe["format"]["format_name"], "mov,mp4,m4a,3gp,3g2,mj2");
    let video_seconds = check_video(&probe, 720, 1280, frame_count);
    check_audio(&probe, 48_000, video_seconds);

    let atoms = top_level_atoms(&out);
    let moov = atoms.iter().position(|a| a == "moov").expect("moov atom");
    let mdat = atoms.iter().position(|a| a == "mdat").expect("mdat atom");
    assert!(
        moov < mdat,
        "faststart: moov must precede mdat, got {atoms:?}"
    );

    // Packets of the two streams alternate through the file rather than following each other.
    let packets = ffprobe_packets(&out);
    let span = |stream: u64| {
        let pos: Vec<u64> = packets
            .iter()
            .filter(|p| p.0 == stream)
            .map(|p| p.1)
            .collect();
        (*pos.iter().min().unwrap(), *pos.iter().max().unwrap())
    };
    let ((v_first, v_last), (a_first, a_last)) = (span(0), span(1));
    assert!(
        a_first < v_last && v_first < a_last,
        "streams not interleaved"
    );

    let decoded = decode_video(&out);
    let frame_bytes = 720 * 1280 * 3 / 2;
    assert_eq!(decoded.len(), frame_bytes * frame_count);
    for index in [0, frame_count / 2, frame_count - 1] {
        let sent = gradient(720, 1280, index);
        let got = &decoded[index * frame_bytes..(index + 1) * frame_bytes];
        let luma = mean_abs_diff(&got[..720 * 1280], &sent.y);
        assert!(luma < 4.0, "frame {index}: mean luma error {luma}");
        let cb = mean_abs_diff(&got[720 * 1280..720 * 1280 * 5 / 4], &sent.u);
        assert!(cb < 4.0, "frame {index}: mean Cb error {cb}");
    }

    let pcm = decode_audio(&out);
    let expected = 0.5 / 2f32.sqrt();
    for channel in 0..2 {
        let level = rms(&pcm, channel);
        assert!(
            (level - expected).abs() < 0.03,
            "channel {channel} RMS {level}"
        );
    }
}

#[test]
fn video_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("silent.mp4");
    let stats = encode(&out, &fast(720, 1280), 45, None).unwrap();
    assert_eq!(stats.audio_seconds, 0.0);
    let probe = ffprobe(&out);
    assert_eq!(probe["streams"].as_array().unwrap().len(), 1);
    check_video(&probe, 720, 1280, 45);
}

#[test]
fn mono_22050_becomes_stereo_48k_padded_to_length() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mono.mp4");
    // Shorter than the video: silence fills the rest.
    let audio = tone(22_050, 1, &[0], 1.5, 0.5);
    let stats = encode(&out, &fast(720, 1280), 60, Some(&audio)).unwrap();
    assert!((stats.audio_seconds - 2.0).abs() < 1e-9);
    let probe = ffprobe(&out);
    let video_seconds = check_video(&probe, 720, 1280, 60);
    check_audio(&probe, 48_000, video_seconds);

    let pcm = decode_audio(&out);
    let first_second = &pcm[..48_000 * 2];
    let (l, r) = (rms(first_second, 0), rms(first_second, 1));
    let expected = 0.5 / 2f32.sqrt();
    assert!(
        (l - expected).abs() < 0.03 && (r - expected).abs() < 0.03,
        "{l} {r}"
    );
    let tail = &pcm[pcm.len() - 48_000 / 4 * 2..];
    assert!(tail.iter().all(|x| x.abs() < 0.01), "padding is silent");
}

#[test]
fn surround_96k_is_downmixed_to_stereo_48k() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("surround.mp4");
    // Centre channel only: both sides get it at -3 dB.
    let audio = tone(96_000, 6, &[2], 3.0, 0.5);
    encode(&out, &fast(720, 1280), 60, Some(&audio)).unwrap();
    let probe = ffprobe(&out);
    let video_seconds = check_video(&probe, 720, 1280, 60);
    check_audio(&probe, 48_000, video_seconds);

    let pcm = decode_audio(&out);
    let expected = 0.5 * std::f32::consts::FRAC_1_SQRT_2 / 2f32.sqrt();
    for channel in 0..2 {
        let level = rms(&pcm, channel);
        assert!(
            (level - expected).abs() < 0.03,
            "channel {channel} RMS {level}"
        );
    }
}

#[test]
fn full_hd_with_44100_audio() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hd.mp4");
    let audio = tone(44_100, 2, &[0, 1], 1.0, 0.3);
    encode(&out, &fast(1080, 1920), 30, Some(&audio)).unwrap();
    let probe = ffprobe(&out);
    let video_seconds = check_video(&probe, 1080, 1920, 30);
    check_audio(&probe, 44_100, video_seconds);
}

#[test]
fn bad_settings_are_rejected_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bad.mp4");
    let ok = fast(720, 1280);
    let cases = [
        EncodeSettings {
            width: 721,
            ..ok.clone()
        },
        EncodeSettings {
            height: 0,
            ..ok.clone()
        },
        EncodeSettings {
            fps: 0,
            ..ok.clone()
        },
        EncodeSettings {
            preset: "warp".into(),
            ..ok.clone()
        },
        EncodeSettings {
            crf: 52,
            ..ok.clone()
        },
    ];
    for settings in &cases {
        let err = encode(&out, settings, 10, None).unwrap_err();
        assert!(matches!(err, EncodeError::Settings { .. }), "{err}");
        assert!(err.to_string().contains("bad.mp4"), "{err}");
        assert_eq!(err.path(), out);
    }
    let err = encode(&out, &ok, 0, None).unwrap_err();
    assert!(matches!(err, EncodeError::Settings { .. }), "{err}");
    let silent = Audio {
        sample_rate: 48_000,
        channels: 0,
        samples: vec![],
    };
    let err = encode(&out, &ok, 10, Some(&silent)).unwrap_err();
    assert!(matches!(err, EncodeError::Audio { .. }), "{err}");
    assert!(dir_entries(dir.path()).is_empty());
}

#[test]
fn a_source_that_ends_early_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("short.mp4");
    let settings = fast(720, 1280);
    let audio = tone(48_000, 2, &[0, 1], 1.0, 0.5);
    let err = encode_mp4(
        &out,
        &settings,
        30,
        frames(720, 1280).take(10),
        Some(&audio),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            EncodeError::TooFewFrames {
                expected: 30,
                got: 10,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("short.mp4"), "{err}");
    assert!(
        dir_entries(dir.path()).is_empty(),
        "{:?}",
        dir_entries(dir.path())
    );

    // An earlier video at the same path survives a failed run.
    std::fs::write(&out, b"previous").unwrap();
    encode_mp4(
        &out,
        &settings,
        30,
        frames(720, 1280).take(5),
        None,
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(std::fs::read(&out).unwrap(), b"previous");
    assert_eq!(dir_entries(dir.path()), vec![out.clone()]);
}

#[test]
fn unwritable_outputs_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let settings = fast(720, 1280);

    let missing = dir.path().join("no-such-dir").join("x.mp4");
    let err = encode(&missing, &settings, 2, None).unwrap_err();
    assert!(matches!(err, EncodeError::Io { .. }), "{err}");
    assert_eq!(err.path(), missing);

    // A directory in the way: the rename fails after a complete encode.
    let taken = dir.path().join("taken.mp4");
    std::fs::create_dir(&taken).unwrap();
    let err = encode(&taken, &settings, 2, None).unwrap_err();
    assert!(matches!(err, EncodeError::Io { .. }), "{err}");
    assert_eq!(dir_entries(dir.path()), vec![taken.clone()]);
    assert!(dir_entries(&taken).is_empty());
}

#[test]
fn wrong_frame_size_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("size.mp4");
    let source = frames(720, 1280).take(3).chain(frames(640, 1280));
    let err = encode_mp4(&out, &fast(720, 1280), 10, source, None, &mut |_| {}).unwrap_err();
    assert!(
        matches!(
            err,
            EncodeError::FrameSize {
                index: 3,
                width: 640,
                ..
            }
        ),
        "{err}"
    );

    let mut broken = gradient(720, 1280, 0);
    broken.u.truncate(10);
    let err = encode_mp4(
        &out,
        &fast(720, 1280),
        1,
        std::iter::once(broken),
        None,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        matches!(err, EncodeError::FrameData { index: 0, .. }),
        "{err}"
    );
    assert!(dir_entries(dir.path()).is_empty());
}

#[test]
fn extra_frames_are_not_consumed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("extra.mp4");
    let mut source = frames(720, 1280);
    encode_mp4(
        &out,
        &fast(720, 1280),
        5,
        source.by_ref(),
        None,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(source.next().unwrap(), gradient(720, 1280, 5));
    check_video(&ffprobe(&out), 720, 1280, 5);
}

#[test]
fn output_rates_and_lengths() {
    assert_eq!(output_rate(48_000), 48_000);
    assert_eq!(output_rate(44_100), 44_100);
    assert_eq!(output_rate(22_050), 48_000);
    assert_eq!(output_rate(96_000), 48_000);
    assert_eq!(samples_for_frames(240, 30, 48_000), 384_000);
    assert_eq!(samples_for_frames(1, 30, 44_100), 1470);
    assert_eq!(samples_for_frames(1, 24, 44_100), 1838);
}

#[test]
fn prepare_fits_length_and_cleans_samples() {
    let out = Path::new("x.mp4");
    let mut audio = tone(48_000, 2, &[0, 1], 0.5, 0.5);
    audio.samples[10] = f32::NAN;
    audio.samples[11] = f32::INFINITY;
    let pcm = prepare(&audio, 30, 30, out).unwrap();
    assert_eq!(pcm.rate, 48_000);
    assert_eq!(pcm.left.len(), 48_000);
    assert_eq!(pcm.right.len(), 48_000);
    assert_eq!((pcm.left[5], pcm.right[5]), (0.0, 0.0));
    assert!(pcm.left.iter().chain(&pcm.right).all(|x| x.is_finite()));
    assert!(pcm.left[24_000..].iter().all(|&x| x == 0.0));

    // A loud 5.1 mix is scaled so it does not clip.
    let loud = tone(48_000, 6, &[0, 1, 2, 4, 5], 0.2, 1.0);
    let pcm = prepare(&loud, 3, 30, out).unwrap();
    let peak = pcm
        .left
        .iter()
        .chain(&pcm.right)
        .fold(0.0f32, |m, x| m.max(x.abs()));
    assert!(peak <= 1.0 + 1e-6 && peak > 0.9, "peak {peak}");
}
