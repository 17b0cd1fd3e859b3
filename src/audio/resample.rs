//! Sample-rate conversion of whole clips with Rubato's synchronous FFT resampler, which is both
//! the fastest and the highest-quality choice for a fixed ratio.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

use super::AudioError;

/// Chunk size hint for the FFT resampler; Rubato rounds it to fit the ratio exactly.
const CHUNK_FRAMES: usize = 1024;

/// Highest sample rate accepted on either side.
const MAX_RATE: u32 = 1_536_000;

/// Resamples a mono signal from `from_rate` to `to_rate`.
///
/// The output has `ceil(len * to_rate / from_rate)` samples and is time-aligned with the input
/// (the resampler's start-up delay is removed).
pub fn resample(samples_mono: &[f32], from_rate: u32, to_rate: u32) -> Result<Vec<f32>, AudioError> {
    let fail = |detail: String| AudioError::Resample { from_rate, to_rate, detail };
    for rate in [from_rate, to_rate] {
        if rate == 0 || rate > MAX_RATE {
            return Err(fail(format!("sample rate {rate} Hz is outside 1..={MAX_RATE} Hz")));
        }
    }
    if from_rate == to_rate || samples_mono.is_empty() {
        return Ok(samples_mono.to_vec());
    }

    let mut resampler = Fft::<f32>::new(
        from_rate as usize,
        to_rate as usize,
        CHUNK_FRAMES,
        1,
        FixedSync::Both,
    )
    .map_err(|e| fail(e.to_string()))?;
    let input = InterleavedSlice::new(samples_mono, 1, samples_mono.len()).map_err(|e| fail(e.to_string()))?;
    let output = resampler
        .process_all(&input, samples_mono.len(), None)
        .map_err(|e| fail(e.to_string()))?;
    Ok(output.take_data())
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
        for i in lo..hi {
            s += f64::from(signal[i]) * w(i).sin();
            c += f64::from(signal[i]) * w(i).cos();
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
        for (from, to) in [(44_100, 16_000), (48_000, 16_000), (8_000, 16_000), (96_000, 44_100)] {
            let input = sine(from, 440.0, from as usize);
            let out = resample(&input, from, to).unwrap();
            assert_eq!(out.len(), to as usize);
            let (amp, phase, residual) = fit_sine(&out, to, 440.0);
            // Rubato's FFT resampler may lag by up to half an input sample (11 us at 44.1 kHz).
            let lag_seconds = phase.abs() / (2.0 * std::f64::consts::PI * 440.0);
            assert!((amp - 0.5).abs() < 1e-3, "{from}->{to}: amplitude {amp}");
            assert!(lag_seconds <= 0.5 / f64::from(from) + 1e-7, "{from}->{to}: lag {lag_seconds} s");
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
