//! The full frame path (compose + grade + caption + two layers: the scene and the subject in
//! front of it with parallax, idle motion and mouth animation + encode, frames drawn while the
//! encoder works)
//! against encoding the very same frames made beforehand. The ratio of the two is the cost of
//! making frames: the goal is full ≥ 90 % of encode-only throughput, on a 3-second clip.
//! `frame_path_15s` runs the same comparison at a lipsync video's 15 seconds.

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkGroup, Criterion, Throughput,
};
use image::{Rgba, RgbaImage};
use reelforge::animate::{FrameScratch, Move};
use reelforge::audio::Audio;
use reelforge::caption::{self, CaptionFont};
use reelforge::compose::{FaceSpot, Grade};
use reelforge::encode::{encode_mp4, EncodeSettings};
use reelforge::render::{self, Camera, Layers, Picture, Timing};
use reelforge::subject::{FaceBox, Mouth, Subject};

/// The goal's clip: 3 s.
const FRAMES: usize = 90;
/// A lipsync video's length: 15 s.
const LIPSYNC_FRAMES: usize = 450;

/// A scene with structure and a face-like disc, from a fixed formula (no files needed).
fn scene() -> RgbaImage {
    RgbaImage::from_fn(1080, 1920, |x, y| {
        let stripes = ((x / 40 + y / 60) % 2) as u8 * 40;
        Rgba([60 + stripes, (y / 9) as u8, (x / 5) as u8, 255])
    })
}

/// A cut-out person: a head and a body running off the bottom, with a soft edge.
fn subject() -> Subject {
    let cutout = RgbaImage::from_fn(512, 512, |x, y| {
        let (xf, yf) = (x as f32, y as f32);
        let head = 70.0 - ((xf - 256.0).powi(2) + (yf - 150.0).powi(2)).sqrt();
        let body = (150.0 - (xf - 256.0).abs()).min(yf - 250.0);
        let a = (head.max(body) * 100.0).clamp(0.0, 255.0) as u8;
        Rgba([(230.0 - yf / 4.0) as u8, (180.0 - xf / 5.0) as u8, 150, a])
    });
    Subject {
        cutout,
        face: Some(FaceBox {
            x: 196.0,
            y: 90.0,
            w: 120.0,
            h: 120.0,
            score: 0.9,
            keypoints: [[0.0; 2]; 6],
        }),
        faces_found: 1,
        mouth: Some(mouth()),
        warnings: Vec::new(),
    }
}

/// The lips of the disc's face, closed: a straight line at the face's lower third.
fn mouth() -> Mouth {
    let line = |y: f32| {
        (0..=10)
            .map(|i| [231.0 + 5.0 * i as f32, y])
            .collect::<Vec<_>>()
    };
    Mouth {
        corners: [[231.0, 180.0], [281.0, 180.0]],
        upper: line(179.5),
        lower: line(180.5),
        chin: [256.0, 212.0],
    }
}

/// Lipsync: the mouth opens and closes about twice a second, shut one frame in three.
fn openings(frames: usize) -> Vec<f32> {
    (0..frames)
        .map(|i| {
            if i % 3 == 0 {
                0.0
            } else {
                (i as f32 * 0.2).sin().abs()
            }
        })
        .collect()
}

/// What every row draws from, made once.
struct Parts {
    scene: RgbaImage,
    person: Subject,
    grade: Grade,
    font: CaptionFont,
    silence: Audio,
    dir: tempfile::TempDir,
}

fn bench_frame_path(c: &mut Criterion) {
    reelforge::encode::init();
    let parts = Parts {
        scene: scene(),
        person: subject(),
        grade: Grade {
            temperature: 0.2,
            vignette: 0.3,
            ..Grade::default()
        },
        font: CaptionFont::bundled(),
        // The camera does not pulse here, so the picture never listens to this.
        silence: Audio {
            sample_rate: 48_000,
            channels: 2,
            samples: Vec::new(),
        },
        dir: tempfile::tempdir().expect("temporary directory"),
    };
    // The goal's 3-s clip with every row; then encode only and full at a lipsync video's
    // length, where the layers are built once for five times the frames and the mouth reaches
    // every opening: how a real video fares. Seconds of measurement at 720 and 1080 wide.
    for (name, frames, parts_rows, seconds) in [
        ("frame_path", FRAMES, true, [10, 20]),
        ("frame_path_15s", LIPSYNC_FRAMES, false, [20, 45]),
    ] {
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        for ((width, height), secs) in [(720u32, 1280u32), (1080, 1920)].into_iter().zip(seconds) {
            group.measurement_time(Duration::from_secs(secs));
            rows(&mut group, &parts, (width, height), frames, parts_rows);
        }
        group.finish();
    }
}

/// The encode-only and full rows for `frames` frames at `size`, and with `parts_rows` the
/// build, draw, draw-warm and prebuilt rows that split the full one.
fn rows(
    group: &mut BenchmarkGroup<WallTime>,
    parts: &Parts,
    (width, height): (u32, u32),
    frames: usize,
    parts_rows: bool,
) {
    group.throughput(Throughput::Elements(frames as u64));
    let settings = EncodeSettings {
        width,
        height,
        ..EncodeSettings::default()
    };
    let build = || {
        let layout = caption::layout(
            "Paper lanterns drifting over the river tonight",
            width,
            height,
        );
        let caption = caption::render_caption(&layout, &parts.font).image;
        let layers = Layers {
            scene: Some(&parts.scene),
            subject: Some((
                &parts.person,
                FaceSpot {
                    center_x: 0.5,
                    center_y: 0.34,
                    face_height: 0.13,
                },
            )),
            scene_blur: 6.0,
            sleeve: None,
            grade: &parts.grade,
        };
        let camera = Camera {
            movement: Move::PushIn,
            strength: 1.0,
            pulse: false,
        };
        let timing = Timing::new(frames as f64 / 30.0, 30);
        Picture::new(&layers, camera, &parts.silence, timing, (width, height)).finish(
            &[],
            Some(&caption),
            None,
            Some(openings(frames)),
        )
    };
    let out = parts.dir.path().join(format!("{width}x{height}.mp4"));

    let anim = build();
    let mut scratch = FrameScratch::default();
    let made: Vec<_> = (0..frames).map(|i| anim.frame(i, &mut scratch)).collect();
    group.bench_function(format!("encode_only/{width}x{height}"), |b| {
        b.iter_batched(
            || made.clone(),
            |made| {
                encode_mp4(&out, &settings, frames, made.into_iter(), None, &mut |_| {})
                    .expect("encode")
            },
            BatchSize::PerIteration,
        )
    });
    drop(made);
    if parts_rows {
        // Building the still layers alone: the part of `full` before the first frame.
        group.bench_function(format!("build_only/{width}x{height}"), |b| b.iter(build));
        // Drawing alone, on one thread: the part of `full` that competes with the encoder.
        group.bench_function(format!("draw_only/{width}x{height}"), |b| {
            let mut out = reelforge::frame::Yuv420::zeroed(width, height);
            b.iter(|| {
                // A fresh scratch, as each video starts with: no mouth patch drawn yet.
                let mut scratch = FrameScratch::default();
                for i in 0..frames {
                    anim.draw(i, &mut out, &mut scratch);
                }
            })
        });
        group.bench_function(format!("draw_warm/{width}x{height}"), |b| {
            let mut out = reelforge::frame::Yuv420::zeroed(width, height);
            let mut scratch = FrameScratch::default();
            for i in 0..frames {
                anim.draw(i, &mut out, &mut scratch);
            }
            b.iter(|| {
                for i in 0..frames {
                    anim.draw(i, &mut out, &mut scratch);
                }
            })
        });
        // `full` without the build: drawing (mouth patches made afresh) beside the encoder.
        group.bench_function(format!("full_prebuilt/{width}x{height}"), |b| {
            b.iter(|| {
                render::encode_video(&anim, frames, None, &out, &settings, &mut |_| {})
                    .expect("encode")
            })
        });
    }
    group.bench_function(format!("full/{width}x{height}"), |b| {
        b.iter(|| {
            let anim = build();
            render::encode_video(&anim, frames, None, &out, &settings, &mut |_| {}).expect("encode")
        })
    });
}

criterion_group!(benches, bench_frame_path);
criterion_main!(benches);
