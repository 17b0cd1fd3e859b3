//! Audio decoding: a song file in, sample-accurate PCM out.
//!
//! Decoding uses Symphonia; encoder delay and padding are removed so that sample 0 is the first
//! sample the artist recorded and clip times line up with what FFmpeg produces (see [`gapless`]
//! for the per-format rules). Resampling for Whisper uses Rubato's FFT resampler.

mod decode;
mod error;
pub mod gapless;
mod resample;
pub mod tags;

pub use decode::{decode_bytes, decode_file};
pub use error::AudioError;
pub use resample::resample;

/// The sample rate Whisper expects its input at.
pub const WHISPER_SAMPLE_RATE: u32 = 16_000;

/// Decoded PCM audio.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    pub sample_rate: u32,
    pub channels: u16,
    /// Interleaved samples, nominally in [-1, 1].
    pub samples: Vec<f32>,
}

impl Audio {
    /// Number of frames (samples per channel).
    pub fn frames(&self) -> usize {
        match self.channels {
            0 => 0,
            n => self.samples.len() / usize::from(n),
        }
    }

    /// Length in seconds.
    pub fn duration_seconds(&self) -> f64 {
        if self.sample_rate == 0 {
            return 0.0;
        }
        self.frames() as f64 / f64::from(self.sample_rate)
    }

    /// Mono downmix: the plain average of all channels, one value per frame.
    pub fn to_mono(&self) -> Vec<f32> {
        let channels = usize::from(self.channels);
        match channels {
            0 => Vec::new(),
            1 => self.samples.clone(),
            _ => {
                let scale = 1.0 / channels as f32;
                self.samples
                    .chunks_exact(channels)
                    .map(|frame| frame.iter().sum::<f32>() * scale)
                    .collect()
            }
        }
    }

    /// The frame index nearest to `seconds`, clamped to `0..=frames()`.
    pub fn frame_at(&self, seconds: f64) -> usize {
        seconds_to_frames(seconds, self.sample_rate).min(self.frames())
    }

    /// A sample-accurate clip of `duration` seconds starting at `start` seconds.
    ///
    /// Both times are rounded to the nearest frame (so 0.1 s at 44.1 kHz is exactly 4410
    /// frames), and the clip is clamped to the audio: a start past the end gives an empty clip,
    /// a clip running past the end stops there, and negative or non-finite inputs count as 0.
    pub fn slice_seconds(&self, start: f64, duration: f64) -> Audio {
        let first = self.frame_at(start);
        let len = seconds_to_frames(duration, self.sample_rate);
        let last = first.saturating_add(len).min(self.frames());
        let channels = usize::from(self.channels);
        Audio {
            sample_rate: self.sample_rate,
            channels: self.channels,
            samples: self.samples[first * channels..last * channels].to_vec(),
        }
    }
}

impl Audio {
    /// Fades the start in over `fade_in` seconds and the end out over `fade_out` seconds with
    /// raised-cosine curves (smooth at both ends, so no click). Fades longer than the audio are
    /// shortened to fit.
    pub fn fade(&mut self, fade_in: f64, fade_out: f64) {
        let frames = self.frames();
        let channels = usize::from(self.channels);
        let fade_in = seconds_to_frames(fade_in, self.sample_rate).min(frames / 2);
        let fade_out = seconds_to_frames(fade_out, self.sample_rate).min(frames - fade_in);
        let gain = |i: usize, n: usize| {
            let x = (i as f64 + 0.5) / n as f64;
            (0.5 - 0.5 * (std::f64::consts::PI * x).cos()) as f32
        };
        for i in 0..fade_in {
            let g = gain(i, fade_in);
            self.samples[i * channels..(i + 1) * channels]
                .iter_mut()
                .for_each(|s| *s *= g);
        }
        for i in 0..fade_out {
            let g = gain(fade_out - 1 - i, fade_out);
            let f = frames - fade_out + i;
            self.samples[f * channels..(f + 1) * channels]
                .iter_mut()
                .for_each(|s| *s *= g);
        }
    }
}

/// Rounds a time to the nearest whole frame; negative, NaN and infinite times give 0 frames
/// (except +inf, which saturates).
fn seconds_to_frames(seconds: f64, sample_rate: u32) -> usize {
    if seconds.is_nan() || seconds <= 0.0 {
        return 0;
    }
    let frames = (seconds * f64::from(sample_rate)).round();
    if frames >= usize::MAX as f64 {
        usize::MAX
    } else {
        frames as usize
    }
}

/// Safety limits applied while decoding untrusted uploads.
#[derive(Debug, Clone)]
pub struct DecodeLimits {
    /// Longest accepted audio, in seconds.
    pub max_duration_seconds: f64,
    /// Largest accepted file, in bytes.
    pub max_file_bytes: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_duration_seconds: 20.0 * 60.0,
            max_file_bytes: 512 * 1024 * 1024,
        }
    }
}

/// The input Whisper wants: mono, 16 kHz, f32.
pub fn whisper_input(audio: &Audio) -> Result<Vec<f32>, AudioError> {
    let mono = audio.to_mono();
    if audio.sample_rate == WHISPER_SAMPLE_RATE {
        return Ok(mono);
    }
    resample(&mono, audio.sample_rate, WHISPER_SAMPLE_RATE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(sample_rate: u32, channels: u16, frames: usize) -> Audio {
        let samples = (0..frames * usize::from(channels))
            .map(|i| i as f32)
            .collect();
        Audio {
            sample_rate,
            channels,
            samples,
        }
    }

    #[test]
    fn fades_rise_from_silence_and_fall_to_it_on_every_channel() {
        let mut a = Audio {
            sample_rate: 1000,
            channels: 2,
            samples: vec![1.0; 2 * 1000],
        };
        a.fade(0.1, 0.3);
        let left: Vec<f32> = a.samples.iter().step_by(2).copied().collect();
        assert_eq!(a.samples[0], a.samples[1]);
        assert!(left[0] < 0.001 && left[999] < 0.001);
        assert!(left[..100].windows(2).all(|w| w[0] <= w[1]));
        assert!(left[700..].windows(2).all(|w| w[0] >= w[1]));
        assert!(left[100..700].iter().all(|&g| g == 1.0));
        assert!(
            (left[850] - 0.5).abs() < 0.01,
            "half way down: {}",
            left[850]
        );
        // Fades longer than the audio fit inside it.
        let mut short = ramp(1000, 1, 10);
        short.fade(1.0, 1.0);
        assert!(short.samples.iter().all(|s| s.is_finite()));
    }

    #[test]
    fn frames_and_duration() {
        let a = ramp(44_100, 2, 44_100 * 3 / 2);
        assert_eq!(a.frames(), 66_150);
        assert!((a.duration_seconds() - 1.5).abs() < 1e-12);
        let empty = Audio {
            sample_rate: 0,
            channels: 0,
            samples: vec![],
        };
        assert_eq!(empty.frames(), 0);
        assert_eq!(empty.duration_seconds(), 0.0);
        assert!(empty.to_mono().is_empty());
    }

    #[test]
    fn mono_is_channel_average() {
        let a = Audio {
            sample_rate: 8_000,
            channels: 3,
            samples: vec![0.3, 0.6, 0.0, -1.0, 1.0, 0.0],
        };
        let m = a.to_mono();
        assert_eq!(m.len(), 2);
        assert!((m[0] - 0.3).abs() < 1e-6);
        assert!(m[1].abs() < 1e-6);
    }

    #[test]
    fn slice_is_exact_and_clamped() {
        let a = ramp(44_100, 2, 44_100 * 2);
        let s = a.slice_seconds(0.1, 0.1);
        assert_eq!(s.frames(), 4_410);
        assert_eq!(s.samples[0], (4_410 * 2) as f32);
        assert_eq!(s.samples[1], (4_410 * 2 + 1) as f32);

        // Runs past the end: stops at the end.
        let tail = a.slice_seconds(1.9, 5.0);
        assert_eq!(tail.frames(), 4_410);
        assert_eq!(*tail.samples.last().unwrap(), (a.samples.len() - 1) as f32);

        // Starts past the end, negative or NaN inputs.
        assert_eq!(a.slice_seconds(3.0, 1.0).frames(), 0);
        assert_eq!(a.slice_seconds(-1.0, 0.5).frames(), 22_050);
        assert_eq!(a.slice_seconds(f64::NAN, f64::NAN).frames(), 0);
        assert_eq!(a.slice_seconds(0.0, f64::INFINITY).frames(), a.frames());
    }

    #[test]
    fn whisper_input_passes_16k_mono_through() {
        let a = Audio {
            sample_rate: 16_000,
            channels: 2,
            samples: vec![0.5, -0.5, 1.0, 0.0],
        };
        assert_eq!(whisper_input(&a).unwrap(), vec![0.0, 0.5]);
    }
}
