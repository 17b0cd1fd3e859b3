//! How a stretch of a song feels: loudness, tempo and brightness, and the mood word they give.
//!
//! All three come from per-block sums over the mono signal, computed once per song, so any
//! window's measures are cheap.

use serde::Serialize;

use crate::audio::Audio;

/// Measures are kept per block of this length (100 per second: enough to see beats).
pub const BLOCK_SECONDS: f64 = 0.01;
/// A sung word's blocks are at most this far below its loudest block.
const SUNG_RANGE_DB: f64 = 12.0;
/// A quieter stretch this long after a word is a pause, not a consonant.
const MIN_PAUSE: f64 = 0.15;
/// The next line may already be audible this long before the transcript starts it.
const ONSET_ALLOWANCE: f64 = 0.3;
/// Loudness (dBFS RMS) scoring 0 and 10 for energy.
const QUIET_DB: f64 = -50.0;
const LOUD_DB: f64 = -10.0;
/// The tempo search range in beats per minute.
const SLOWEST_BPM: f64 = 50.0;
const FASTEST_BPM: f64 = 200.0;

/// A window's musical measures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Feel {
    /// Loudness scaled to 0–10 (-50 dBFS to -10 dBFS RMS).
    pub energy: f64,
    /// The strongest beat period in the loudness changes, in beats per minute; 0 when there
    /// is no beat to find.
    pub tempo_bpm: f64,
    /// The signal's RMS frequency (the spread of its spectrum around 0 Hz) in Hz: high for
    /// bright, airy mixes, low for dark, bass-heavy ones.
    pub brightness_hz: f64,
}

/// Per-block sums of a song, from which any window's feel is measured.
pub struct Measures {
    sample_rate: f64,
    /// Mean square of the signal per block.
    power: Vec<f64>,
    /// Mean square of the signal's first difference per block (its high-frequency content).
    slope_power: Vec<f64>,
    /// Onset strength per block: how much louder than the block before, in dB, never negative.
    onsets: Vec<f64>,
    song_tempo: f64,
}

impl Measures {
    pub fn new(audio: &Audio) -> Measures {
        let mono = audio.to_mono();
        let block = ((f64::from(audio.sample_rate) * BLOCK_SECONDS) as usize).max(1);
        let mut power = Vec::with_capacity(mono.len() / block + 1);
        let mut slope_power = Vec::with_capacity(power.capacity());
        let mut previous = 0.0f32;
        for chunk in mono.chunks(block) {
            let (mut p, mut d) = (0.0f64, 0.0f64);
            for &s in chunk {
                p += f64::from(s) * f64::from(s);
                let diff = f64::from(s - previous);
                d += diff * diff;
                previous = s;
            }
            power.push(p / chunk.len() as f64);
            slope_power.push(d / chunk.len() as f64);
        }
        let level_db: Vec<f64> = power.iter().map(|&p| 10.0 * p.max(1e-10).log10()).collect();
        let onsets = std::iter::once(0.0)
            .chain(level_db.windows(2).map(|w| (w[1] - w[0]).max(0.0)))
            .collect();
        let mut m = Measures {
            sample_rate: f64::from(audio.sample_rate),
            power,
            slope_power,
            onsets,
            song_tempo: 0.0,
        };
        m.song_tempo = m.tempo(0.0, f64::INFINITY);
        m
    }

    /// Where a sung line that runs from `start` to `end` by the transcript really falls
    /// silent: the start of a pause of at least [`MIN_PAUSE`] that lasts until `end` (or until
    /// [`ONSET_ALLOWANCE`] before it, where the next line may already be rising), a pause being
    /// loudness over 50 ms [`SUNG_RANGE_DB`] below the line's loudest. Whisper's word times run
    /// a line's last word on to the next line's first; the loudness shows the breath between.
    /// `end` when there is no such pause.
    pub fn sung_until(&self, start: f64, end: f64) -> f64 {
        let r = self.blocks(start, end);
        let smooth = self.smoothed_db(r.clone());
        let Some(peak) = smooth.iter().copied().reduce(f64::max) else {
            return end;
        };
        let quiet = |k: usize| smooth[k] < peak - SUNG_RANGE_DB;
        // The last quiet block not in the allowance before `end`, then back to its run's start.
        let allowance = (ONSET_ALLOWANCE / BLOCK_SECONDS).round() as usize;
        let search_from = smooth.len().saturating_sub(allowance + 1);
        let Some(last_quiet) = (search_from..smooth.len()).rev().find(|&k| quiet(k)) else {
            return end;
        };
        // The rest after it must be quiet or the next line's onset, not more singing.
        let Some(run_start) = (0..=last_quiet).rev().find(|&k| !quiet(k)).map(|k| k + 1) else {
            return end;
        };
        if ((last_quiet + 1 - run_start) as f64) * BLOCK_SECONDS < MIN_PAUSE {
            return end;
        }
        ((r.start + run_start) as f64 * BLOCK_SECONDS).min(end)
    }

    /// Where the singing of a line that the transcript starts at `start` (and sings until
    /// `end`) really begins, looking back no further than `from`: the end of the quiet before
    /// it. Whisper often starts a line's first word a little late.
    pub fn sung_from(&self, from: f64, start: f64, end: f64) -> f64 {
        let Some(peak) = self
            .smoothed_db(self.blocks(start, end))
            .into_iter()
            .reduce(f64::max)
        else {
            return start;
        };
        let r = self.blocks(from, start);
        let before = self.smoothed_db(r.clone());
        match before.iter().rposition(|&l| l < peak - SUNG_RANGE_DB) {
            Some(k) => ((r.start + k + 1) as f64 * BLOCK_SECONDS).min(start),
            None => start,
        }
    }

    /// Loudness in dB over 50 ms around each block of `r`.
    fn smoothed_db(&self, r: std::ops::Range<usize>) -> Vec<f64> {
        let n = self.power.len();
        r.map(|i| {
            let span = i.saturating_sub(2)..(i + 3).min(n);
            let mean = self.power[span.clone()].iter().sum::<f64>() / span.len() as f64;
            10.0 * mean.max(1e-10).log10()
        })
        .collect()
    }

    /// Block range of a window, clamped to the song.
    fn blocks(&self, start: f64, end: f64) -> std::ops::Range<usize> {
        let n = self.power.len();
        let a = ((start / BLOCK_SECONDS).max(0.0) as usize).min(n);
        let b = ((end / BLOCK_SECONDS).ceil().max(0.0) as usize).clamp(a, n);
        a..b
    }

    /// Loudness of a window in dBFS RMS.
    pub fn db(&self, start: f64, end: f64) -> f64 {
        let r = self.blocks(start, end);
        if r.is_empty() {
            return QUIET_DB * 2.0;
        }
        let mean = self.power[r.clone()].iter().sum::<f64>() / r.len() as f64;
        10.0 * mean.max(1e-12).log10()
    }

    /// Loudness of a window scaled to 0–10.
    pub fn energy(&self, start: f64, end: f64) -> f64 {
        ((self.db(start, end) - QUIET_DB) / (LOUD_DB - QUIET_DB) * 10.0).clamp(0.0, 10.0)
    }

    /// A window's feel. Tempo is the whole song's: a few seconds are too few beats to find it
    /// reliably, and a song rarely changes tempo.
    pub fn feel(&self, start: f64, end: f64) -> Feel {
        Feel {
            energy: self.energy(start, end),
            tempo_bpm: self.song_tempo,
            brightness_hz: self.brightness(start, end),
        }
    }

    /// RMS frequency: by Parseval, the mean square of the derivative over the mean square of
    /// the signal is the power-weighted mean of ω²; the first difference stands in for the
    /// derivative (exact enough well below Nyquist).
    fn brightness(&self, start: f64, end: f64) -> f64 {
        let r = self.blocks(start, end);
        let p: f64 = self.power[r.clone()].iter().sum();
        let d: f64 = self.slope_power[r].iter().sum();
        if p <= 1e-12 {
            return 0.0;
        }
        let ratio = (d / p).min(4.0);
        // |1 - e^{-iω}|² = 2 - 2cos ω, inverted for the difference filter's gain.
        let omega = (1.0 - ratio / 2.0).clamp(-1.0, 1.0).acos();
        omega * self.sample_rate / std::f64::consts::TAU
    }

    /// The beat period with the strongest autocorrelation of onset strength, weighted
    /// towards moderate tempos (as listeners hear them) so that half and double tempos lose.
    fn tempo(&self, start: f64, end: f64) -> f64 {
        let r = self.blocks(start, end);
        let onsets = &self.onsets[r];
        let mean = onsets.iter().sum::<f64>() / onsets.len().max(1) as f64;
        let centred: Vec<f64> = onsets.iter().map(|o| o - mean).collect();
        let energy: f64 = centred.iter().map(|x| x * x).sum();
        if energy <= 1e-9 {
            return 0.0;
        }
        let shortest = (60.0 / FASTEST_BPM / BLOCK_SECONDS).round() as usize;
        let longest = (60.0 / SLOWEST_BPM / BLOCK_SECONDS).round() as usize;
        let mut best = (0.0, 0.0);
        for lag in shortest..=longest.min(centred.len() / 2) {
            let c: f64 = centred[lag..]
                .iter()
                .zip(&centred)
                .map(|(a, b)| a * b)
                .sum::<f64>()
                / energy;
            let bpm = 60.0 / (lag as f64 * BLOCK_SECONDS);
            // A log-normal preference centred on 110 bpm, one octave wide.
            let weight = (-0.5 * ((bpm / 110.0).log2()).powi(2)).exp();
            let strength = c * weight;
            if strength > best.0 {
                best = (strength, bpm);
            }
        }
        // A weak peak is noise, not a beat.
        if best.0 < 0.05 {
            0.0
        } else {
            best.1
        }
    }
}

/// The mood word for a window: energetic, intense, upbeat, warm or dreamy.
///
/// Arousal rises with loudness, tempo and brightness; a quiet or slow window is never
/// "energetic", a loud but slow or dark one is "intense", a quick bright one at moderate
/// loudness is "upbeat", and the quietest, slowest ones are "dreamy".
pub fn mood_hint(feel: &Feel) -> &'static str {
    let loud = feel.energy / 10.0;
    // No beat found counts as slow.
    let fast = ((feel.tempo_bpm - 80.0) / 60.0).clamp(0.0, 1.0);
    let bright = ((feel.brightness_hz - 800.0) / 1700.0).clamp(0.0, 1.0);
    let arousal = 0.45 * loud + 0.35 * fast + 0.2 * bright;
    if arousal >= 0.6 && loud >= 0.6 && fast >= 0.5 {
        "energetic"
    } else if loud >= 0.6 && (fast < 0.5 || bright < 0.3) {
        "intense"
    } else if fast >= 0.5 && bright >= 0.3 {
        "upbeat"
    } else if arousal < 0.35 {
        "dreamy"
    } else {
        "warm"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::TAU;

    const RATE: u32 = 16_000;

    /// A tone with short loud hits at `bpm`, at `level` (peak amplitude) over a quiet floor.
    fn beat(seconds: f64, bpm: f64, tone_hz: f64, level: f64) -> Audio {
        let period = 60.0 / bpm;
        let samples = (0..(seconds * f64::from(RATE)) as usize)
            .map(|i| {
                let t = i as f64 / f64::from(RATE);
                let since = t % period;
                let hit = if since < 0.08 { 1.0 } else { 0.25 };
                (level * hit * (TAU * tone_hz * t).sin()) as f32
            })
            .collect();
        Audio {
            sample_rate: RATE,
            channels: 1,
            samples,
        }
    }

    #[test]
    fn tempo_is_found_from_the_beat() {
        for bpm in [72.0, 96.0, 128.0, 150.0] {
            let m = Measures::new(&beat(10.0, bpm, 440.0, 0.5));
            let found = m.tempo(0.0, 10.0);
            assert!(
                (found - bpm).abs() / bpm < 0.04,
                "{bpm} bpm found as {found}"
            );
        }
    }

    #[test]
    fn brightness_follows_the_tone() {
        for hz in [200.0, 1000.0, 3000.0] {
            let m = Measures::new(&beat(4.0, 100.0, hz, 0.5));
            let found = m.brightness(0.0, 4.0);
            assert!((found - hz).abs() / hz < 0.02, "{hz} Hz found as {found}");
        }
    }

    #[test]
    fn a_slow_quiet_song_is_not_energetic() {
        let ballad = Measures::new(&beat(10.0, 66.0, 220.0, 0.02));
        let feel = ballad.feel(0.0, 10.0);
        assert_eq!(mood_hint(&feel), "dreamy", "{feel:?}");
        let banger = Measures::new(&beat(10.0, 140.0, 2500.0, 0.9));
        let feel = banger.feel(0.0, 10.0);
        assert_eq!(mood_hint(&feel), "energetic", "{feel:?}");
        // Loud but slow and dark.
        let dirge = Measures::new(&beat(10.0, 60.0, 150.0, 0.9));
        assert_eq!(mood_hint(&dirge.feel(0.0, 10.0)), "intense");
    }

    #[test]
    fn a_words_end_is_found_where_the_voice_stops() {
        // A loud "word" from 1.0 s to 1.6 s over a quiet bed, timed by the transcript as
        // running on to 2.5 s.
        let samples = (0..RATE as usize * 3)
            .map(|i| {
                let t = i as f64 / f64::from(RATE);
                let amp = if (1.0..1.6).contains(&t) { 0.5 } else { 0.01 };
                (amp * (TAU * 300.0 * t).sin()) as f32
            })
            .collect();
        let m = Measures::new(&Audio {
            sample_rate: RATE,
            channels: 1,
            samples,
        });
        let end = m.sung_until(1.0, 2.5);
        assert!((end - 1.6).abs() <= 0.04, "{end}");
        // No pause before the given end: the end stands.
        assert_eq!(m.sung_until(1.0, 1.7), 1.7);
        // A start given late is moved back to where the voice rises; with no quiet before it
        // down to `from`, it stands.
        let start = m.sung_from(0.5, 1.2, 2.5);
        assert!((start - 1.0).abs() <= 0.04, "{start}");
        assert_eq!(m.sung_from(1.1, 1.2, 2.5), 1.2);
    }

    #[test]
    fn silence_has_no_tempo_and_no_brightness() {
        let quiet = Audio {
            sample_rate: RATE,
            channels: 1,
            samples: vec![0.0; RATE as usize * 3],
        };
        let m = Measures::new(&quiet);
        assert_eq!(m.feel(0.0, 3.0).tempo_bpm, 0.0);
        assert_eq!(m.feel(0.0, 3.0).brightness_hz, 0.0);
        assert_eq!(m.energy(0.0, 3.0), 0.0);
    }
}
