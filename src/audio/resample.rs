//! Sample-rate conversion of whole clips with Rubato's synchronous FFT resampler, which is both
//! the fastest and the highest-quality choice for a fixed ratio.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler, WindowFunction};

use super::AudioError;

/// Target FFT block size on the input side.
const TARGET_BLOCK_FRAMES: usize = 1024;

/// Highest sample rate accepted on either side.
const MAX_RATE: u32 = 1_536_000;

/// Resamples a mono signal from `from_rate` to `to_rate`.
///
/// The output has `ceil(len * to_rate / from_rate)` samples and is time-aligned with the input
/// (the resampler's start-up delay is removed).
pub fn resample(
    samples_mono: &[f32],
    from_rate: u32,
    to_rate: u32,
) -> Result<Vec<f32>, AudioError> {
    let fail = |detail: String| AudioError::Resample {
        from_rate,
        to_rate,
        detail,
    };
    for rate in [from_rate, to_rate] {
        if rate == 0 || rate > MAX_RATE {
            return Err(fail(format!(
                "sample rate {rate} Hz is outside 1..={MAX_RATE} Hz"
            )));
        }
    }
    if from_rate == to_rate || samples_mono.is_empty() {
        return Ok(samples_mono.to_vec());
    }

    let mut resampler = Fft::<f32>::new_custom(
        from_rate as usize,
        to_rate as usize,
        even_block_size(from_rate, to_rate),
        1,
        1,
        WindowFunction::BlackmanHarris2,
        FixedSync::Both,
    )
    .map_err(|e| fail(e.to_string()))?;
    let input = InterleavedSlice::new(samples_mono, 1, samples_mono.len())
        .map_err(|e| fail(e.to_string()))?;
    let output = resampler
        .process_all(&input, samples_mono.len(), None)
        .map_err(|e| fail(e.to_string()))?;
    // Rubato sizes the output with a float ratio, which can round up one frame too many.
    let expected =
        (samples_mono.len() as u64 * u64::from(to_rate)).div_ceil(u64::from(from_rate)) as usize;
    let mut out = output.take_data();
    out.resize(expected, 0.0);
    Ok(out)
}

/// An input block size that fits the ratio and makes both FFT sizes even.
///
/// Rubato trims `output block / 2` frames of delay; when a block size is odd that is half a
/// sample off and the whole output lands early.
fn even_block_size(from_rate: u32, to_rate: u32) -> usize {
    let (from, to) = (u64::from(from_rate), u64::from(to_rate));
    let min_block = from / gcd(from, to);
    let blocks = (TARGET_BLOCK_FRAMES as u64).div_ceil(min_block);
    (blocks.next_multiple_of(2) * min_block) as usize
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, freq: f32, frames: usize) -> Vec<f32> {
        (0..frames)
            .map(|i| (2.0 * std::f32::consts::PI * freq * i as f32 / rate as f32).sin() * 0.5)
            .collect()
    }

    /// Least-squares fit of `amp * sin(2 pi f t + phase)` over the middle of `signal`.
    fn fit_sine(signal: &[f32], rate: u32, freq: f64) -> (f64, f64, f64) {
        let (lo, hi) = (signal.len() / 8, signal.len() * 7 / 8);
        let w = |i: usize| 2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate);
        let (mut s, mut c) = (0.0, 0.0);
        for (i, &x) in signal.iter().enumerate().take(hi).skip(lo) {
            s += f64::from(x) * w(i).sin();
            c += f64::from(x) * w(i).cos();
        }
        let n = (hi - lo) as f64;
        let (amp, phase) = (2.0 * s.hypot(c) / n, c.atan2(s));
        let residual = (lo..hi)
            .map(|i| (f64::from(signal[i]) - amp * (w(i) + phase).sin()).abs())
            .fold(0.0, f64::max);
        (amp, phase, residual)
    }

    #[test]
    fn length_and_alignment() {
        for (from, to) in [
            (44_100, 16_000),
            (48_000, 16_000),
            (8_000, 16_000),
            (96_000, 44_100),
            (22_050, 16_000),
            (11_025, 16_000),
            (48_000, 44_100),
            (44_100, 48_000),
        ] {
            let input = sine(from, 440.0, from as usize);
            let out = resample(&input, from, to).unwrap();
            assert_eq!(out.len(), to as usize);
            let (amp, phase, residual) = fit_sine(&out, to, 440.0);
            let lag_seconds = phase.abs() / (2.0 * std::f64::consts::PI * 440.0);
            assert!((amp - 0.5).abs() < 1e-3, "{from}->{to}: amplitude {amp}");
            assert!(lag_seconds < 1e-7, "{from}->{to}: lag {lag_seconds} s");
            assert!(residual < 1e-3, "{from}->{to}: residual {residual}");
        }
    }

    #[test]
    fn odd_lengths_and_rates() {
        let input = sine(22_050, 300.0, 12_345);
        let out = resample(&input, 22_050, 16_000).unwrap();
        assert_eq!(out.len(), (12_345f64 * 16_000.0 / 22_050.0).ceil() as usize);
        let out = resample(&input[..7], 96_000, 16_000).unwrap();
        assert_eq!(out.len(), 2);
        assert!(resample(&[], 44_100, 16_000).unwrap().is_empty());
    }

    #[test]
    fn invalid_rates_are_errors() {
        let err = resample(&[0.0; 10], 0, 16_000).unwrap_err();
        assert!(matches!(err, AudioError::Resample { .. }), "{err}");
        assert!(resample(&[0.0; 10], 44_100, u32::MAX).is_err());
    }
}
