//! The vocal energy envelope that drives lipsync motion: loudness of the voice band per video
//! frame, normalised to 0..1 and smoothed so the camera breathes with the singing instead of
//! twitching on every transient.

use crate::audio::Audio;

/// Voice band edges (Hz): below is kick and bass, above is cymbals and hiss.
const LOW_CUT: f32 = 250.0;
const HIGH_CUT: f32 = 3500.0;
/// Smoothing time constants, in seconds.
const ATTACK: f32 = 0.05;
const RELEASE: f32 = 0.25;

/// One value per video frame (`frames` of them, at `fps`), each in 0..1.
pub fn vocal_envelope(audio: &Audio, fps: f32, frames: usize) -> Vec<f32> {
    let mono = audio.to_mono();
    let rate = audio.sample_rate.max(1) as f32;
    let band = band_pass(&mono, rate);
    let per_frame = (rate / fps).max(1.0);
    let mut db: Vec<f32> = (0..frames)
        .map(|f| {
            let a = ((f as f32 * per_frame) as usize).min(band.len());
            let b = (((f + 1) as f32 * per_frame) as usize).min(band.len());
            if b <= a {
                return -90.0;
            }
            let power = band[a..b].iter().map(|s| s * s).sum::<f32>() / (b - a) as f32;
            10.0 * power.max(1e-9).log10()
        })
        .collect();
    // Normalise between quiet and loud percentiles of this clip, so a quiet song moves too.
    let mut sorted = db.clone();
    sorted.sort_by(f32::total_cmp);
    let pick = |q: f32| {
        sorted
            .get(((sorted.len() as f32 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(0.0)
    };
    let (lo, hi) = (pick(0.1), pick(0.95));
    let range = (hi - lo).max(6.0);
    for v in &mut db {
        *v = ((*v - lo) / range).clamp(0.0, 1.0);
    }
    smooth(&db, fps)
}

/// One-pole high-pass then low-pass: cheap, and plenty for an envelope.
fn band_pass(x: &[f32], rate: f32) -> Vec<f32> {
    let hp = (-std::f32::consts::TAU * LOW_CUT / rate).exp();
    let lp = 1.0 - (-std::f32::consts::TAU * HIGH_CUT / rate).exp();
    let (mut prev_in, mut prev_hp, mut low) = (0.0f32, 0.0f32, 0.0f32);
    x.iter()
        .map(|&s| {
            let h = hp * (prev_hp + s - prev_in);
            prev_in = s;
            prev_hp = h;
            low += lp * (h - low);
            low
        })
        .collect()
}

fn smooth(x: &[f32], fps: f32) -> Vec<f32> {
    let up = 1.0 - (-1.0 / (ATTACK * fps)).exp();
    let down = 1.0 - (-1.0 / (RELEASE * fps)).exp();
    let mut level = 0.0f32;
    x.iter()
        .map(|&v| {
            level += (v - level) * if v > level { up } else { down };
            level
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sung_burst_raises_the_envelope_and_silence_lowers_it() {
        // 1 s silence, 1 s of a 440 Hz tone, 1 s silence, at 16 kHz.
        let rate = 16_000;
        let samples = (0..3 * rate)
            .map(|i| {
                let t = i as f32 / rate as f32;
                if (1.0..2.0).contains(&t) {
                    0.5 * (t * 440.0 * std::f32::consts::TAU).sin()
                } else {
                    0.0
                }
            })
            .collect();
        let audio = Audio {
            sample_rate: rate as u32,
            channels: 1,
            samples,
        };
        let env = vocal_envelope(&audio, 30.0, 90);
        assert_eq!(env.len(), 90);
        assert!(env[55] > 0.8, "loud during the tone: {}", env[55]);
        assert!(env[20] < 0.05, "quiet before it: {}", env[20]);
        assert!(env[89] < env[55] / 2.0, "decays after it: {}", env[89]);
        assert!(env.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn empty_audio_gives_a_flat_envelope() {
        let audio = Audio {
            sample_rate: 44_100,
            channels: 2,
            samples: vec![],
        };
        assert!(vocal_envelope(&audio, 30.0, 10).iter().all(|&v| v == 0.0));
    }
}
