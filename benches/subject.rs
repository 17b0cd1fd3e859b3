//! The subject stage on the bundled face guide: the vision models cold (matte, face detector
//! and face mesh, models already loaded) against a cache hit (the stored analysis and refined
//! cut-out read back, as a new process does). Needs the vision models from `scripts/setup.sh`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use reelforge::locations::Locations;
use reelforge::subject::{SubjectCache, Vision};

fn bench_subject(c: &mut Criterion) {
    let dir = Locations::from_env(|name| std::env::var_os(name)).vision_models(None);
    let vision = match Vision::open(&dir) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("subject benchmarks skipped: {e}");
            return;
        }
    };
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/artists/lumen-vale/context/images/face-guide.png"
    );
    let img = image::open(path).expect("face guide").into_rgba8();
    let cache_dir = tempfile::tempdir().expect("temporary directory");
    let cache = SubjectCache::new(cache_dir.path());
    // Load the models and fill the cache once.
    vision
        .subject(&img, "face-guide.png", &cache)
        .expect("subject");

    let mut group = c.benchmark_group("subject");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    group.bench_function("models_cold/512x512", |b| {
        b.iter(|| vision.analyse(&img).expect("analysis"))
    });
    group.bench_function("cached/512x512", |b| {
        b.iter(|| {
            vision
                .subject(&img, "face-guide.png", &cache)
                .expect("subject")
        })
    });
    group.finish();
}

criterion_group!(benches, bench_subject);
criterion_main!(benches);
