//! Decoder checks against FFmpeg, the reference, on media generated here from a fixed seed.
//!
//! A float WAV master (sines + a chirp + seeded noise) is written in code, FFmpeg encodes it into
//! each format, and both our decoder and `ffmpeg -f f32le` decode the result.
//!
//! Tolerances, with what was measured on FFmpeg 5.1 when they were set:
//! * Lossless (WAV 8/16/24/32-bit and float, FLAC, ALAC): identical frame count, max |diff| < 1e-6
//!   (measured: 0, bit-exact).
//! * MP3 and Vorbis: identical frame count - encoder delay and padding are trimmed exactly as
//!   FFmpeg trims them, so the count also equals the master's when a LAME header is present.
//!   Samples at lag 0: max |diff| < 1e-4 and RMS diff < 1e-5 (measured: MP3 max 2.2e-6, RMS
//!   2.3e-7; Vorbis max 1.5e-7, RMS 2.1e-8).
//! * AAC in M4A: the start matches FFmpeg to the sample (same priming removed) and the length
//!   equals the master's; FFmpeg 5.1 keeps the last frame's padding, so its output is 0..1024
//!   frames longer. Samples over the common part: max |diff| < 1e-4, RMS diff < 1e-5 (measured:
//!   max 9.6e-6, RMS 5.7e-7).
//! * Whisper input (16 kHz mono) against FFmpeg's own downmix and resample: length within 2
//!   samples, correlation at lag 0 > 0.9995 (measured: 0.99992).

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use reelforge::audio::*;

const SEED: u64 = 0x5eed_2024_0bad_cafe;

/// Seeded test noise (ChaCha8, so the same seed gives the same signal on every platform).
struct Noise(ChaCha8Rng);

impl Noise {
    fn new(seed: u64) -> Noise {
        Noise(ChaCha8Rng::seed_from_u64(seed))
    }

    /// Uniform in [-1, 1).
    fn next_f32(&mut self) -> f32 {
        self.0.random_range(-1.0..1.0)
    }

    /// Uniform in [0, below), or 0 when `below` is 0.
    fn next_usize(&mut self, below: usize) -> usize {
        self.0.random_range(0..below.max(1))
    }
}

/// Interleaved test signal: a per-channel sine, a linear chirp and seeded noise, peaking near 0.5.
fn test_signal(rate: u32, channels: u16, frames: usize) -> Vec<f32> {
    let mut noise = Noise::new(SEED ^ u64::from(rate) ^ (u64::from(channels) << 32));
    let seconds = frames as f64 / f64::from(rate);
    let top = (f64::from(rate) * 0.35).min(6_000.0);
    let mut out = Vec::with_capacity(frames * usize::from(channels));
    for i in 0..frames {
        let t = i as f64 / f64::from(rate);
        let chirp_phase =
            2.0 * std::f64::consts::PI * (100.0 * t + (top - 100.0) * t * t / (2.0 * seconds));
        for c in 0..channels {
            let sine = (2.0 * std::f64::consts::PI * (220.0 + 110.0 * f64::from(c)) * t).sin();
            let swell = 0.6 + 0.4 * (2.0 * std::f64::consts::PI * 1.3 * t + f64::from(c)).sin();
            let v = 0.25 * sine * swell + 0.15 * (chirp_phase + f64::from(c)).sin();
            out.push(v as f32 + 0.06 * noise.next_f32());
        }
    }
    out
}

fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-v", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg must be installed to run these tests");
    assert!(
        out.status.success(),
        "ffmpeg {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// FFmpeg's decode of `path`, interleaved f32 at the given layout.
fn ffmpeg_decode(path: &Path, channels: u16, rate: u32) -> Vec<f32> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-v", "error", "-i"])
        .arg(path)
        .args([
            "-f",
            "f32le",
            "-ac",
            &channels.to_string(),
            "-ar",
            &rate.to_string(),
            "-",
        ])
        .output()
        .expect("ffmpeg must be installed to run these tests");
    assert!(
        out.status.success(),
        "ffmpeg decode of {} failed: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// A master WAV of `seconds` in a fresh temporary directory.
struct Master {
    dir: tempfile::TempDir,
    path: PathBuf,
    rate: u32,
    channels: u16,
    samples: Vec<f32>,
}

impl Master {
    fn new(rate: u32, channels: u16, seconds: f64) -> Master {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.wav");
        // A frame count that is not a multiple of any codec frame size.
        let frames = (seconds * f64::from(rate)) as usize + 37;
        let samples = test_signal(rate, channels, frames);
        common::write_wav_f32(&path, rate, channels, &samples);
        Master {
            dir,
            path,
            rate,
            channels,
            samples,
        }
    }

    fn frames(&self) -> usize {
        self.samples.len() / usize::from(self.channels)
    }

    /// Encodes the master with the given FFmpeg output options.
    fn encode(&self, file_name: &str, options: &[&str]) -> PathBuf {
        let out = self.dir.path().join(file_name);
        let mut args = vec!["-i", self.path.to_str().unwrap()];
        args.extend_from_slice(options);
        args.push(out.to_str().unwrap());
        ffmpeg(&args);
        out
    }
}

struct Diff {
    max: f32,
    rms: f64,
}

fn diff(a: &[f32], b: &[f32]) -> Diff {
    assert_eq!(a.len(), b.len());
    let mut max = 0.0f32;
    let mut sum = 0.0f64;
    for (x, y) in a.iter().zip(b) {
        let d = x - y;
        max = max.max(d.abs());
        sum += f64::from(d) * f64::from(d);
    }
    Diff {
        max,
        rms: (sum / a.len().max(1) as f64).sqrt(),
    }
}

/// Normalised correlation at lag 0.
fn correlation(a: &[f32], b: &[f32]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y) in a.iter().zip(b) {
        ab += f64::from(*x) * f64::from(*y);
        aa += f64::from(*x) * f64::from(*x);
        bb += f64::from(*y) * f64::from(*y);
    }
    ab / (aa * bb).sqrt().max(1e-30)
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Lossless,
    /// Lossy codecs that FFmpeg and we trim by the same rules: identical frame count.
    Lossy,
    /// AAC in MP4: start matches FFmpeg, length matches the master.
    AacMp4,
}

/// Decodes `path` and checks it against FFmpeg (and, for gapless formats, the master length).
fn check_against_ffmpeg(
    master: &Master,
    path: &Path,
    kind: Kind,
    expect_master_length: bool,
) -> Audio {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let audio =
        decode_file(path, &DecodeLimits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(audio.sample_rate, master.rate, "{name}: sample rate");
    assert_eq!(audio.channels, master.channels, "{name}: channels");
    let ch = usize::from(audio.channels);

    let reference = ffmpeg_decode(path, audio.channels, audio.sample_rate);
    let ref_frames = reference.len() / ch;
    if expect_master_length {
        assert_eq!(
            audio.frames(),
            master.frames(),
            "{name}: frame count vs master"
        );
    }
    match kind {
        Kind::Lossless | Kind::Lossy => {
            assert_eq!(audio.frames(), ref_frames, "{name}: frame count vs FFmpeg")
        }
        Kind::AacMp4 => {
            let extra = ref_frames as i64 - audio.frames() as i64;
            assert!(
                (0..1024).contains(&extra),
                "{name}: FFmpeg has {extra} more frames (expected 0..1024)"
            );
        }
    }

    let n = audio.samples.len().min(reference.len());
    let d = diff(&audio.samples[..n], &reference[..n]);
    eprintln!(
        "{name}: {} frames, max |diff| {:.2e}, RMS diff {:.2e}",
        audio.frames(),
        d.max,
        d.rms
    );
    match kind {
        Kind::Lossless => assert!(d.max < 1e-6, "{name}: max diff {} vs FFmpeg", d.max),
        Kind::Lossy | Kind::AacMp4 => {
            assert!(d.max < 1e-4, "{name}: max diff {} vs FFmpeg", d.max);
            assert!(d.rms < 1e-5, "{name}: RMS diff {} vs FFmpeg", d.rms);
        }
    }

    // Independent of FFmpeg: the decode must line up with the master at lag 0.
    if expect_master_length {
        let c = correlation(&audio.samples, &master.samples);
        let floor = if kind == Kind::Lossless { 0.9999 } else { 0.97 };
        assert!(c > floor, "{name}: correlation with the master {c}");
    }
    audio
}

#[test]
fn wav_variants_match_ffmpeg_exactly() {
    let m = Master::new(44_100, 2, 1.5);
    for (file, codec) in [
        ("s16.wav", "pcm_s16le"),
        ("s24.wav", "pcm_s24le"),
        ("s32.wav", "pcm_s32le"),
        ("u8.wav", "pcm_u8"),
        ("f32.wav", "pcm_f32le"),
    ] {
        let path = m.encode(file, &["-c:a", codec]);
        check_against_ffmpeg(&m, &path, Kind::Lossless, true);
    }
    let mono96 = Master::new(96_000, 1, 1.0);
    let path = mono96.encode("f32_96k_mono.wav", &["-c:a", "pcm_f32le"]);
    let audio = check_against_ffmpeg(&mono96, &path, Kind::Lossless, true);
    // A float WAV written by FFmpeg round-trips bit-exactly.
    assert_eq!(audio.samples, mono96.samples);

    let six = Master::new(48_000, 6, 1.0);
    let path = six.encode("s16_6ch.wav", &["-c:a", "pcm_s16le"]);
    check_against_ffmpeg(&six, &path, Kind::Lossless, true);
}

#[test]
fn flac_and_alac_match_ffmpeg_exactly() {
    let stereo = Master::new(44_100, 2, 2.0);
    let path = stereo.encode("stereo.flac", &["-c:a", "flac"]);
    check_against_ffmpeg(&stereo, &path, Kind::Lossless, true);

    let hi = Master::new(96_000, 2, 1.0);
    let path = hi.encode("hires.flac", &["-c:a", "flac", "-sample_fmt", "s32"]);
    check_against_ffmpeg(&hi, &path, Kind::Lossless, true);

    let low = Master::new(8_000, 1, 2.0);
    let path = low.encode("phone.flac", &["-c:a", "flac"]);
    check_against_ffmpeg(&low, &path, Kind::Lossless, true);

    let six = Master::new(48_000, 6, 1.0);
    let path = six.encode("surround.flac", &["-c:a", "flac"]);
    check_against_ffmpeg(&six, &path, Kind::Lossless, true);
    let path = six.encode("surround_alac.m4a", &["-c:a", "alac"]);
    check_against_ffmpeg(&six, &path, Kind::Lossless, true);
}

#[test]
fn mp3_gapless_matches_ffmpeg() {
    let stereo = Master::new(44_100, 2, 2.0);
    // VBR with ID3v2 tags and front-cover art ahead of the audio.
    let cover = stereo.dir.path().join("cover.png");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=red:s=320x320",
        "-frames:v",
        "1",
        cover.to_str().unwrap(),
    ]);
    let path = stereo.encode(
        "tagged_vbr.mp3",
        &[
            "-i",
            cover.to_str().unwrap(),
            "-map",
            "0:a",
            "-map",
            "1:v",
            "-c:a",
            "libmp3lame",
            "-q:a",
            "2",
            "-c:v",
            "copy",
            "-disposition:v",
            "attached_pic",
            "-id3v2_version",
            "3",
            "-metadata",
            "title=Test Song",
            "-metadata",
            "artist=Nobody",
        ],
    );
    check_against_ffmpeg(&stereo, &path, Kind::Lossy, true);

    let path = stereo.encode("cbr.mp3", &["-c:a", "libmp3lame", "-b:a", "192k"]);
    check_against_ffmpeg(&stereo, &path, Kind::Lossy, true);

    // Without a LAME header neither FFmpeg nor we know the delay: both keep it.
    let path = stereo.encode(
        "no_lame_header.mp3",
        &["-c:a", "libmp3lame", "-b:a", "128k", "-write_xing", "0"],
    );
    let audio = check_against_ffmpeg(&stereo, &path, Kind::Lossy, false);
    assert!(audio.frames() > stereo.frames());

    // VBR without a Xing header: Symphonia estimates the length from the first frame's bitrate
    // and would cut the song there; every frame must still come out, as with FFmpeg.
    let path = stereo.encode(
        "vbr_no_xing.mp3",
        &["-c:a", "libmp3lame", "-q:a", "4", "-write_xing", "0"],
    );
    let audio = check_against_ffmpeg(&stereo, &path, Kind::Lossy, false);
    assert!(audio.frames() > stereo.frames());

    let low = Master::new(8_000, 1, 2.0);
    let path = low.encode("phone.mp3", &["-c:a", "libmp3lame", "-b:a", "32k"]);
    check_against_ffmpeg(&low, &path, Kind::Lossy, true);
}

#[test]
fn vorbis_gapless_matches_ffmpeg() {
    let stereo = Master::new(44_100, 2, 2.0);
    let path = stereo.encode("stereo.ogg", &["-c:a", "libvorbis", "-q:a", "5"]);
    check_against_ffmpeg(&stereo, &path, Kind::Lossy, true);

    let low = Master::new(8_000, 1, 2.0);
    let path = low.encode("phone.ogg", &["-c:a", "libvorbis"]);
    check_against_ffmpeg(&low, &path, Kind::Lossy, true);

    let hi = Master::new(96_000, 2, 1.0);
    let path = hi.encode("hires.ogg", &["-c:a", "libvorbis"]);
    check_against_ffmpeg(&hi, &path, Kind::Lossy, true);

    // Symphonia 0.6 garbles Vorbis beyond stereo; it must be refused, not passed on.
    let six = Master::new(48_000, 6, 1.0);
    let path = six.encode("surround.ogg", &["-c:a", "libvorbis"]);
    let err = decode_file(&path, &DecodeLimits::default()).unwrap_err();
    assert!(matches!(err, AudioError::UnsupportedCodec { .. }), "{err}");
    assert!(err.to_string().contains("surround.ogg"), "{err}");
}

#[test]
fn aac_m4a_priming_matches_ffmpeg() {
    let stereo = Master::new(44_100, 2, 2.0);
    let path = stereo.encode("stereo.m4a", &["-c:a", "aac", "-b:a", "160k"]);
    check_against_ffmpeg(&stereo, &path, Kind::AacMp4, true);

    let mono = Master::new(8_000, 1, 2.0);
    let path = mono.encode("phone.m4a", &["-c:a", "aac"]);
    check_against_ffmpeg(&mono, &path, Kind::AacMp4, true);

    let hi = Master::new(96_000, 2, 1.0);
    let path = hi.encode("hires.m4a", &["-c:a", "aac"]);
    check_against_ffmpeg(&hi, &path, Kind::AacMp4, true);

    // moov before mdat changes nothing.
    let path = stereo.encode("faststart.m4a", &["-c:a", "aac", "-movflags", "+faststart"]);
    check_against_ffmpeg(&stereo, &path, Kind::AacMp4, true);

    // Without an edit list FFmpeg trims nothing, and neither do we.
    let path = stereo.encode("no_edit_list.m4a", &["-c:a", "aac", "-use_editlist", "0"]);
    let audio = check_against_ffmpeg(&stereo, &path, Kind::Lossy, false);
    assert!(audio.frames() >= stereo.frames() + 1024);

    // An iTunes-style gapless tag instead of an edit list: FFmpeg trims the tag's priming, so
    // do we, and the tag's sample count gives the exact end.
    let bytes = std::fs::read(&path).unwrap();
    let frames = stereo.frames() as u64;
    let padding = audio.frames() as u64 - frames - 1024;
    let tag = format!(" 00000000 00000400 {padding:08X} {frames:016X} 00000000 00000000");
    let tagged = stereo.dir.path().join("itunes_tagged.m4a");
    std::fs::write(&tagged, with_itunsmpb(&bytes, &tag)).unwrap();
    check_against_ffmpeg(&stereo, &tagged, Kind::AacMp4, true);

    // Symphonia's AAC decoder is LC mono/stereo only.
    let six = Master::new(48_000, 6, 0.5);
    let path = six.encode("surround.m4a", &["-c:a", "aac"]);
    let err = decode_file(&path, &DecodeLimits::default()).unwrap_err();
    assert!(matches!(err, AudioError::UnsupportedCodec { .. }), "{err}");
    assert!(err.to_string().contains("surround.m4a"), "{err}");
}

/// Appends a `udta/meta/ilst/----:com.apple.iTunes:iTunSMPB` tag to the `moov` box, which must be
/// the file's last box (FFmpeg's default layout), so no chunk offsets move.
fn with_itunsmpb(file: &[u8], value: &str) -> Vec<u8> {
    fn mp4_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut out = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(payload);
        out
    }
    fn full_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        mp4_box(kind, &[&[0u8; 4][..], payload].concat())
    }
    let mut moov_at = None;
    let mut pos = 0;
    while pos + 8 <= file.len() {
        let size = u32::from_be_bytes(file[pos..pos + 4].try_into().unwrap()) as usize;
        if &file[pos + 4..pos + 8] == b"moov" {
            moov_at = Some(pos);
        }
        assert!(size >= 8, "unexpected box layout");
        pos += size;
    }
    let moov_at = moov_at.expect("no moov box");
    let moov_len = file.len() - moov_at;
    assert_eq!(
        u32::from_be_bytes(file[moov_at..moov_at + 4].try_into().unwrap()) as usize,
        moov_len,
        "moov is not last"
    );

    let data = [&[0, 0, 0, 1, 0, 0, 0, 0][..], value.as_bytes()].concat();
    let freeform = mp4_box(
        b"----",
        &[
            full_box(b"mean", b"com.apple.iTunes"),
            full_box(b"name", b"iTunSMPB"),
            mp4_box(b"data", &data),
        ]
        .concat(),
    );
    let hdlr = full_box(b"hdlr", &[&[0u8; 4][..], b"mdirappl", &[0u8; 9]].concat());
    let udta = mp4_box(
        b"udta",
        &full_box(b"meta", &[hdlr, mp4_box(b"ilst", &freeform)].concat()),
    );

    let mut out = file[..moov_at].to_vec();
    out.extend_from_slice(&((moov_len + udta.len()) as u32).to_be_bytes());
    out.extend_from_slice(&file[moov_at + 4..]);
    out.extend_from_slice(&udta);
    out
}

#[test]
fn whisper_input_is_16k_mono() {
    let m = Master::new(44_100, 2, 2.0);
    let path = m.encode("song.mp3", &["-c:a", "libmp3lame", "-q:a", "2"]);
    let audio = decode_file(&path, &DecodeLimits::default()).unwrap();
    let input = whisper_input(&audio).unwrap();
    let expected = audio.duration_seconds() * f64::from(WHISPER_SAMPLE_RATE);
    assert!(
        (input.len() as f64 - expected).abs() <= 1.0,
        "{} samples for {expected}",
        input.len()
    );

    // Same content as FFmpeg's own downmix and resample, at lag 0.
    let reference = ffmpeg_decode(&path, 1, WHISPER_SAMPLE_RATE);
    let n = input.len().min(reference.len());
    assert!(input.len().abs_diff(reference.len()) <= 2);
    let c = correlation(&input[..n], &reference[..n]);
    eprintln!("whisper input vs FFmpeg resample: correlation {c:.6}");
    assert!(c > 0.9995, "correlation {c}");

    // Already 16 kHz: passed through unchanged apart from the downmix.
    let m16 = Master::new(16_000, 1, 1.0);
    let path = m16.encode("speech.flac", &["-c:a", "flac"]);
    let audio = decode_file(&path, &DecodeLimits::default()).unwrap();
    assert_eq!(whisper_input(&audio).unwrap(), audio.samples);
}

#[test]
fn slices_are_sample_exact() {
    let m = Master::new(44_100, 2, 2.0);
    let wav = m.encode("song.wav", &["-c:a", "pcm_f32le"]);
    let audio = decode_file(&wav, &DecodeLimits::default()).unwrap();
    assert_eq!(audio.samples, m.samples);

    for (start, len) in [(0.0, 0.5), (0.1, 0.1), (1.234_567, 0.333), (0.75, 0.0)] {
        let clip = audio.slice_seconds(start, len);
        let first = (start * 44_100.0_f64).round() as usize;
        let frames = (len * 44_100.0_f64).round() as usize;
        assert_eq!(clip.frames(), frames, "slice({start}, {len})");
        assert_eq!(
            clip.samples[..],
            m.samples[first * 2..(first + frames) * 2],
            "slice({start}, {len})"
        );
        assert!((clip.duration_seconds() - len).abs() <= 0.5 / 44_100.0);
    }
    // Clamped at the end.
    let tail = audio.slice_seconds(1.9, 10.0);
    assert_eq!(
        tail.frames(),
        audio.frames() - (1.9_f64 * 44_100.0).round() as usize
    );
    assert_eq!(audio.slice_seconds(99.0, 1.0).frames(), 0);

    // A clip from a gapless MP3 lines up with the same clip of the master.
    let mp3 = m.encode("song.mp3", &["-c:a", "libmp3lame", "-b:a", "256k"]);
    let decoded = decode_file(&mp3, &DecodeLimits::default()).unwrap();
    let ours = decoded.slice_seconds(1.0, 0.5).to_mono();
    let master = Audio {
        sample_rate: m.rate,
        channels: m.channels,
        samples: m.samples.clone(),
    };
    let theirs = master.slice_seconds(1.0, 0.5).to_mono();
    assert_eq!(ours.len(), theirs.len());
    let c = correlation(&ours, &theirs);
    assert!(c > 0.97, "clip correlation {c}");
}

fn assert_names_file(err: &AudioError, name: &str) {
    let msg = err.to_string();
    assert!(msg.contains(name), "message {msg:?} does not name {name}");
}

#[test]
fn bad_inputs_give_the_right_error() {
    let m = Master::new(44_100, 2, 1.2);
    let dir = m.dir.path();
    let limits = DecodeLimits::default();
    let mut noise = Noise::new(SEED);

    // Zero bytes.
    let zero = dir.join("empty.mp3");
    std::fs::File::create(&zero).unwrap();
    let err = decode_file(&zero, &limits).unwrap_err();
    assert!(matches!(err, AudioError::Empty { .. }), "{err:?}");
    assert_names_file(&err, "empty.mp3");

    // Random bytes, on disk and in memory.
    let random: Vec<u8> = (0..64 * 1024)
        .map(|_| noise.next_usize(256) as u8)
        .collect();
    let rand_wav = dir.join("random.wav");
    std::fs::write(&rand_wav, &random).unwrap();
    let err = decode_file(&rand_wav, &limits).unwrap_err();
    assert!(matches!(err, AudioError::NotAudio { .. }), "{err:?}");
    assert_names_file(&err, "random.wav");
    assert!(
        err.to_string().contains("not a recognised audio file"),
        "{err}"
    );
    let err = decode_bytes(random.clone(), Some("mp3"), "upload.mp3", &limits).unwrap_err();
    assert!(matches!(err, AudioError::NotAudio { .. }), "{err:?}");
    assert_names_file(&err, "upload.mp3");

    // Text with an audio extension.
    let text = dir.join("lyrics.ogg");
    let mut f = std::fs::File::create(&text).unwrap();
    writeln!(f, "Verse one\nthese are lyrics, not audio\n").unwrap();
    drop(f);
    let err = decode_file(&text, &limits).unwrap_err();
    assert!(matches!(err, AudioError::NotAudio { .. }), "{err:?}");
    assert_names_file(&err, "lyrics.ogg");

    // The first 30% of a FLAC, and of files in other containers.
    for (file, options) in [
        ("cut.flac", &["-c:a", "flac"][..]),
        ("cut.wav", &["-c:a", "pcm_s16le"][..]),
        ("cut.mp3", &["-c:a", "libmp3lame"][..]),
        ("cut.m4a", &["-c:a", "aac"][..]),
        (
            "cut_faststart.m4a",
            &["-c:a", "aac", "-movflags", "+faststart"][..],
        ),
    ] {
        let full = m.encode(&format!("full_{file}"), options);
        let bytes = std::fs::read(&full).unwrap();
        let cut = dir.join(file);
        std::fs::write(&cut, &bytes[..bytes.len() * 3 / 10]).unwrap();
        let err = decode_file(&cut, &limits).unwrap_err();
        assert!(matches!(err, AudioError::Corrupt { .. }), "{file}: {err:?}");
        assert_names_file(&err, file);
    }

    // A video with no audio track.
    let video = dir.join("video_only.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=64x64:rate=10:duration=0.5",
        "-c:v",
        "mpeg4",
        video.to_str().unwrap(),
    ]);
    let err = decode_file(&video, &limits).unwrap_err();
    assert!(matches!(err, AudioError::NoAudioTrack { .. }), "{err:?}");
    assert_names_file(&err, "video_only.mp4");

    // Over the length limit: both lengths in the message. A limit of 0.5 s is checked after
    // decoding, 0.1 s is refused from the FLAC header alone, and Ogg (no stored sample count)
    // stops decoding once past the limit.
    let song = m.encode("long_song.flac", &["-c:a", "flac"]);
    let ogg = m.encode("long_song.ogg", &["-c:a", "libvorbis"]);
    for (path, max) in [(&song, 0.5), (&song, 0.1), (&ogg, 0.1)] {
        let name = path.file_name().unwrap().to_str().unwrap();
        let short = DecodeLimits {
            max_duration_seconds: max,
            ..DecodeLimits::default()
        };
        let err = decode_file(path, &short).unwrap_err();
        match &err {
            AudioError::TooLong {
                seconds,
                max_seconds,
                ..
            } => {
                assert!(
                    (seconds - m.frames() as f64 / 44_100.0).abs() < 0.01,
                    "{err}"
                );
                assert_eq!(*max_seconds, max);
            }
            other => panic!("{name} at {max} s: expected TooLong, got {other:?}"),
        }
        assert_names_file(&err, name);
        let msg = err.to_string();
        assert!(
            msg.contains("1.2 s") && msg.contains(&format!("{max:.1} s")),
            "{msg}"
        );
    }

    // Over the size limit: rejected before decoding.
    let tiny = DecodeLimits {
        max_file_bytes: 1000,
        ..DecodeLimits::default()
    };
    let err = decode_file(&song, &tiny).unwrap_err();
    assert!(
        matches!(
            err,
            AudioError::TooLarge {
                max_bytes: 1000,
                ..
            }
        ),
        "{err:?}"
    );
    assert_names_file(&err, "long_song.flac");

    // Missing file, and a directory.
    let err = decode_file(&dir.join("missing.mp3"), &limits).unwrap_err();
    assert!(matches!(err, AudioError::Io { .. }), "{err:?}");
    assert_names_file(&err, "missing.mp3");
    let err = decode_file(dir, &limits).unwrap_err();
    assert!(matches!(err, AudioError::Io { .. }), "{err:?}");

    // A WAV whose header is fine but holds no frames.
    let empty_wav = dir.join("silent.wav");
    common::write_wav_f32(&empty_wav, 44_100, 2, &[]);
    let err = decode_file(&empty_wav, &limits).unwrap_err();
    assert!(matches!(err, AudioError::NoSamples { .. }), "{err:?}");
    assert_names_file(&err, "silent.wav");
}

#[test]
fn damaged_files_never_panic() {
    let m = Master::new(22_050, 2, 1.0);
    let mut rng = Noise::new(SEED ^ 0xdead);
    for (file, options) in [
        ("a.mp3", &["-c:a", "libmp3lame"][..]),
        ("a.flac", &["-c:a", "flac"][..]),
        ("a.ogg", &["-c:a", "libvorbis"][..]),
        ("a.m4a", &["-c:a", "aac"][..]),
        ("a.wav", &["-c:a", "pcm_s16le"][..]),
    ] {
        let clean = std::fs::read(m.encode(file, options)).unwrap();
        let ext = file.rsplit('.').next().unwrap();
        let (mut ok, mut failed) = (0, 0);
        for round in 0..48 {
            let mut bytes = clean.clone();
            match round % 4 {
                // Scattered byte damage.
                0 => {
                    for _ in 0..1 + rng.next_usize(16) {
                        let i = rng.next_usize(bytes.len());
                        bytes[i] = rng.next_usize(256) as u8;
                    }
                }
                // Damage in the headers.
                1 => {
                    for _ in 0..1 + rng.next_usize(4) {
                        let i = rng.next_usize(bytes.len().min(2048));
                        bytes[i] = rng.next_usize(256) as u8;
                    }
                }
                // A run of garbage.
                2 => {
                    let start = rng.next_usize(bytes.len());
                    let end = (start + rng.next_usize(4096)).min(bytes.len());
                    for b in &mut bytes[start..end] {
                        *b = rng.next_usize(256) as u8;
                    }
                }
                // Cut anywhere.
                _ => bytes.truncate(rng.next_usize(bytes.len())),
            }
            match decode_bytes(bytes, Some(ext), file, &DecodeLimits::default()) {
                Ok(audio) => {
                    assert!(audio.samples.iter().all(|s| (-1.0..=1.0).contains(s)));
                    ok += 1;
                }
                Err(err) => {
                    assert_names_file(&err, file);
                    failed += 1;
                }
            }
        }
        eprintln!("{file}: {ok} damaged copies decoded, {failed} refused");
    }
}

#[test]
fn song_titles_are_read_from_id3_vorbis_and_mp4_tags() {
    let dir = tempfile::tempdir().unwrap();
    let formats: [(&str, &[&str]); 4] = [
        ("mp3", &["-c:a", "libmp3lame"]),
        ("ogg", &["-c:a", "libvorbis"]),
        ("flac", &["-c:a", "flac"]),
        ("m4a", &["-c:a", "aac"]),
    ];
    for (ext, codec) in formats {
        let path = dir.path().join(format!("tagged.{ext}"));
        let path_str = path.to_str().unwrap();
        let mut args = vec!["-f", "lavfi", "-i", "sine=frequency=440:duration=1"];
        args.extend_from_slice(codec);
        args.extend_from_slice(&["-metadata", "title=Lanterns (Live at Dawn)", path_str]);
        ffmpeg(&args);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(
            tags::title(&bytes, Some(ext)).as_deref(),
            Some("Lanterns (Live at Dawn)"),
            "{ext}"
        );
        // The same file without tags: no title.
        let bare = dir.path().join(format!("bare.{ext}"));
        let bare_str = bare.to_str().unwrap();
        let mut args = vec!["-i", path_str, "-map_metadata", "-1", "-c", "copy"];
        if ext == "mp3" {
            args.extend_from_slice(&["-write_xing", "0", "-id3v2_version", "0"]);
        }
        args.push(bare_str);
        ffmpeg(&args);
        assert_eq!(
            tags::title(&std::fs::read(&bare).unwrap(), Some(ext)),
            None,
            "{ext}"
        );
    }
}
