//! Encode-only throughput: 60 ready-made YUV frames through libx264 (veryfast, crf 23) into an
//! MP4, at both output sizes. Frame generation is outside the timed loop.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use reelforge::encode::{encode_mp4, EncodeSettings};
use reelforge::frame::Yuv420;

const FRAMES: usize = 60;

/// A diagonal ramp that moves a little each frame, so x264 has real motion to code.
fn frame(width: u32, height: u32, index: usize) -> Yuv420 {
    let (w, h) = (width as usize, height as usize);
    let mut f = Yuv420::new(width, height);
    for (row, line) in f.y.chunks_exact_mut(w).enumerate() {
        for (col, px) in line.iter_mut().enumerate() {
            let t = (col + row / 2 + index * 4) % (w + h / 2);
            *px = 16 + (t * 219 / (w + h / 2)) as u8;
        }
    }
    let cw = w / 2;
    for (i, (u, v)) in f.u.iter_mut().zip(f.v.iter_mut()).enumerate() {
        *u = 96 + ((i / cw) * 128 / h) as u8;
        *v = 96 + (((i % cw + index) % cw) * 64 / cw) as u8;
    }
    f
}

fn bench_encode(c: &mut Criterion) {
    reelforge::encode::init();
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut group = c.benchmark_group("encode");
    group.sample_size(10);
    group.throughput(Throughput::Elements(FRAMES as u64));
    for (width, height) in [(720u32, 1280u32), (1080, 1920)] {
        let frames: Vec<Yuv420> = (0..FRAMES).map(|i| frame(width, height, i)).collect();
        let settings = EncodeSettings {
            width,
            height,
            ..EncodeSettings::default()
        };
        let out = dir.path().join(format!("bench-{width}x{height}.mp4"));
        // Room for ten samples of the larger size on two cores.
        group.measurement_time(Duration::from_secs(if width > 720 { 15 } else { 8 }));
        group.bench_function(format!("{width}x{height}"), |b| {
            b.iter_batched(
                || frames.clone(),
                |batch| {
                    let stats = encode_mp4(
                        &out,
                        &settings,
                        FRAMES,
                        batch.into_iter(),
                        None,
                        &mut |_| {},
                    )
                    .expect("encode");
                    black_box(stats)
                },
                criterion::BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench_encode);
criterion_main!(benches);
