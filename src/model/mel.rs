//! The Slaney-style mel filterbank Whisper was trained with (librosa's default `filters.mel`).

/// Slaney's mel scale: linear below 1 kHz, logarithmic above.
const F_SP: f64 = 200.0 / 3.0;
const MIN_LOG_HZ: f64 = 1000.0;
const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;

fn log_step() -> f64 {
    6.4f64.ln() / 27.0
}

pub fn hz_to_mel(hz: f64) -> f64 {
    if hz >= MIN_LOG_HZ {
        MIN_LOG_MEL + (hz / MIN_LOG_HZ).ln() / log_step()
    } else {
        hz / F_SP
    }
}

pub fn mel_to_hz(mel: f64) -> f64 {
    if mel >= MIN_LOG_MEL {
        MIN_LOG_HZ * (log_step() * (mel - MIN_LOG_MEL)).exp()
    } else {
        F_SP * mel
    }
}

/// `n_mels` triangular filters over the `n_fft / 2 + 1` FFT bins from 0 Hz to Nyquist,
/// area-normalised; row-major, one row per mel band.
pub fn filterbank(sample_rate: u32, n_fft: usize, n_mels: usize) -> Vec<f32> {
    let n_bins = n_fft / 2 + 1;
    let nyquist = sample_rate as f64 / 2.0;
    let fft_freqs: Vec<f64> = (0..n_bins)
        .map(|i| nyquist * i as f64 / (n_bins - 1) as f64)
        .collect();
    let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(nyquist));
    let edges: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz(lo + (hi - lo) * i as f64 / (n_mels + 1) as f64))
        .collect();
    let mut out = Vec::with_capacity(n_mels * n_bins);
    for m in 0..n_mels {
        let (left, centre, right) = (edges[m], edges[m + 1], edges[m + 2]);
        let norm = 2.0 / (right - left);
        for &f in &fft_freqs {
            let rising = (f - left) / (centre - left);
            let falling = (right - f) / (right - centre);
            out.push((rising.min(falling).max(0.0) * norm) as f32);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_round_trips() {
        for hz in [0.0, 440.0, 999.0, 1000.0, 4000.0, 8000.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-6);
        }
    }

    #[test]
    fn matches_whisper_reference_filters() {
        // Entries of mel_80 in openai-whisper's assets/mel_filters.npz (made by librosa).
        let f = filterbank(16000, 400, 80);
        assert_eq!(f.len(), 80 * 201);
        let reference = [
            (0, 1, 0.024_862_595),
            (1, 1, 0.001_990_822),
            (1, 2, 0.022_871_772),
            (10, 11, 0.004_954_375),
            (40, 43, 0.014_735_566),
            (79, 193, 0.003_141_313),
            (40, 50, 0.0),
            (79, 200, 0.0),
        ];
        for (m, b, want) in reference {
            let got = f[m * 201 + b];
            assert!(
                (got - want).abs() < 1e-6,
                "band {m} bin {b}: {got} vs {want}"
            );
        }
        let sum: f32 = f.iter().sum();
        assert!((sum - 1.999_024_2).abs() < 1e-4, "sum {sum}");
    }
}
