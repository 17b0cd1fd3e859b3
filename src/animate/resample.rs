//! The bilinear resample every moving layer goes through, split in its two halves: a vertical
//! blend of two source rows (contiguous, the compiler vectorises it) and a horizontal pass
//! through a per-frame column table.
//!
//! The horizontal pass is a gather, which scalar code does one sample at a time. The vertical
//! blend therefore stores each sample beside its right neighbour (one `u32` of two 15-bit
//! halves), so that one 32-bit gather fetches both taps; with AVX2 eight outputs take a
//! permute of an eight-pair window and a multiply-add. The scalar path computes the same
//! integers, so both give identical frames.

use std::ops::Range;

/// Fixed-point weights of the two taps: they sum to this.
const ONE: u32 = 256;
/// The two taps' samples carry 15 bits (a blend of 8-bit samples × 256, halved so that the
/// multiply-add's signed 16-bit inputs hold them).
const SHIFT: u32 = 15;

/// Per destination column: its left source column, and the weights of the left and right
/// taps packed as two 16-bit halves (left in the low half), ready for a multiply-add.
#[derive(Debug, Default, Clone)]
pub struct Columns {
    index: Vec<u32>,
    weights: Vec<u32>,
    /// The map the table was filled with, relative to its first entry: entry k's source
    /// position is `step·k + b`. Lets [`Columns::count_below`] start next to its answer.
    step: f32,
    b: f32,
}

/// A run of a [`Columns`] table.
#[derive(Debug, Clone, Copy)]
pub struct ColumnRun<'a> {
    index: &'a [u32],
    weights: &'a [u32],
}

impl Columns {
    /// Fills the table for destination columns `xs` under the map `step·x + b`, keeping every
    /// left tap on `0..=max_i` so the right tap exists.
    pub fn fill(&mut self, xs: Range<usize>, step: f32, b: f32, max_i: f32) {
        self.index.clear();
        self.weights.clear();
        self.step = step;
        self.b = step * xs.start as f32 + b;
        for x in xs {
            let s = (step * x as f32 + b).clamp(0.0, max_i + 0.999);
            // s ≥ 0, so truncation is the floor.
            let i = s as u32;
            let w = ((s - i as f32) * ONE as f32) as u32;
            self.index.push(i);
            self.weights.push((ONE - w) | w << 16);
        }
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Left source column of destination entry `k`.
    pub fn source(&self, k: usize) -> usize {
        self.index[k] as usize
    }

    /// How many entries have a left source column below `column`: the first entry at or
    /// past it. Runs per row and plane, so it starts where the map puts the answer and walks
    /// the few entries that float rounding or the clamp may have moved, instead of a binary
    /// search's dozen unpredictable branches.
    #[inline]
    pub fn count_below(&self, column: usize) -> usize {
        let n = self.index.len();
        let below = |k: usize| (self.index[k] as usize) < column;
        // Truncated, not rounded up: the walk below mends the difference, without a call
        // to `ceilf`.
        let guess = if self.step > 0.0 {
            ((column as f32 - self.b) / self.step).clamp(0.0, n as f32) as usize
        } else {
            0
        };
        let (mut k, mut walked) = (guess, 0);
        while k < n && below(k) {
            k += 1;
            walked += 1;
            if walked > 4 {
                return self.index.partition_point(|&c| (c as usize) < column);
            }
        }
        while k > 0 && !below(k - 1) {
            k -= 1;
            walked += 1;
            if walked > 4 {
                return self.index.partition_point(|&c| (c as usize) < column);
            }
        }
        k
    }

    pub fn run(&self, range: Range<usize>) -> ColumnRun<'_> {
        ColumnRun {
            index: &self.index[range.clone()],
            weights: &self.weights[range],
        }
    }
}

/// Room after the last pair that the wide path may read (and ignore).
pub const PAIR_PADDING: usize = 8;

/// The vertical half: `pairs[i]` = (blend of `r0[i]`, `r1[i]`) | (blend of `r0[i + 1]`,
/// `r1[i + 1]`) << 16, with `fy` (of 256) the weight of `r1`. `r0` and `r1` hold one sample
/// more than `pairs`.
pub fn lerp_pairs(r0: &[u8], r1: &[u8], fy: u16, pairs: &mut [u32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { wide::lerp_pairs(r0, r1, fy, pairs) };
    }
    lerp_pairs_portable(r0, r1, fy, pairs);
}

/// [`lerp_pairs`] one pair at a time; `wide` does the same sixteen at a time.
fn lerp_pairs_portable(r0: &[u8], r1: &[u8], fy: u16, pairs: &mut [u32]) {
    let (wa, wb) = (ONE as u16 - fy, fy);
    // 16-bit arithmetic: 255 × 256 fits.
    let blend = |a: u8, b: u8| u32::from((u16::from(a) * wa + u16::from(b) * wb) >> 1);
    for (i, p) in pairs.iter_mut().enumerate() {
        *p = blend(r0[i], r1[i]) | blend(r0[i + 1], r1[i + 1]) << 16;
    }
}

/// The horizontal half: `out[k]` from the pair at `cols`' source column `k`. `pairs` is
/// indexed by source column and has [`PAIR_PADDING`] entries after the last one used.
pub fn resample_row(out: &mut [u8], cols: ColumnRun, pairs: &[u32]) {
    let n = out.len().min(cols.index.len());
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        done = unsafe { wide::resample(&mut out[..n], cols, pairs) };
    }
    for k in done..n {
        out[k] = tap(pairs[cols.index[k] as usize], cols.weights[k]);
    }
}

/// One output sample from a pair and its packed weights.
#[inline]
fn tap(pair: u32, weights: u32) -> u8 {
    let (a, b) = (pair & 0xffff, pair >> 16);
    let (wa, wb) = (weights & 0xffff, weights >> 16);
    ((a * wa + b * wb + (1 << (SHIFT - 1))) >> SHIFT) as u8
}

#[cfg(target_arch = "x86_64")]
mod wide {
    use std::arch::x86_64::*;

    use super::{lerp_pairs_portable, tap, ColumnRun, SHIFT};

    /// The vertical half, sixteen pairs at a time. Each sample is blended twice (as the
    /// left and as the right of a pair) straight from the source rows: pairing the blended
    /// row with itself shifted by one would reload what was just stored, which stalls.
    #[target_feature(enable = "avx2")]
    pub unsafe fn lerp_pairs(r0: &[u8], r1: &[u8], fy: u16, pairs: &mut [u32]) {
        let n = pairs.len();
        let wa = _mm256_set1_epi16((256 - fy) as i16);
        let wb = _mm256_set1_epi16(fy as i16);
        if n < 16 {
            return lerp_pairs_portable(r0, r1, fy, pairs);
        }
        let mut i = 0;
        while i < n {
            // The last block ends at n, overlapping the one before: the pairs it writes
            // twice get the same values, and no scalar tail is left.
            i = i.min(n - 16);
            // SAFETY: r0 and r1 hold n + 1 ≥ i + 17 bytes, and pairs n ≥ i + 16 entries.
            unsafe {
                let load = |row: &[u8], at: usize| {
                    _mm256_cvtepu8_epi16(_mm_loadu_si128(row.as_ptr().add(at).cast()))
                };
                let blend = |a: __m256i, b: __m256i| {
                    let sum =
                        _mm256_add_epi16(_mm256_mullo_epi16(a, wa), _mm256_mullo_epi16(b, wb));
                    _mm256_srli_epi16::<1>(sum)
                };
                let left = blend(load(r0, i), load(r1, i));
                let right = blend(load(r0, i + 1), load(r1, i + 1));
                // Within each 128-bit lane: pairs 0–3 and 8–11, then 4–7 and 12–15.
                let (lo, hi) = (
                    _mm256_unpacklo_epi16(left, right),
                    _mm256_unpackhi_epi16(left, right),
                );
                let out = pairs.as_mut_ptr().add(i);
                _mm256_storeu_si256(out.cast(), _mm256_permute2x128_si256::<0x20>(lo, hi));
                _mm256_storeu_si256(out.add(8).cast(), _mm256_permute2x128_si256::<0x31>(lo, hi));
            }
            i += 16;
        }
    }

    /// Resamples eight outputs at a time while their taps fall in an eight-pair window (the
    /// zoom keeps the step near 1); returns how many outputs it wrote, a prefix of `out`.
    #[target_feature(enable = "avx2")]
    pub unsafe fn resample(out: &mut [u8], cols: ColumnRun, pairs: &[u32]) -> usize {
        let n = out.len();
        let round = _mm256_set1_epi32(1 << (SHIFT - 1));
        if n < 8 {
            return 0;
        }
        let mut k = 0;
        while k < n {
            // As in `lerp_pairs`, the last block ends at n and may overlap the one before.
            k = k.min(n - 8);
            let base = cols.index[k] as usize;
            if cols.index[k + 7] as usize - base >= 8 || base + 8 > pairs.len() {
                // A step too large for the window, or the end of the row: one at a time.
                for j in k..k + 8 {
                    out[j] = tap(pairs[cols.index[j] as usize], cols.weights[j]);
                }
                k += 8;
                continue;
            }
            // SAFETY: k + 8 ≤ n ≤ both tables' lengths, base + 8 ≤ pairs.len(), and out has
            // k + 8 bytes; unaligned loads and stores are allowed.
            let (index, weights, window) = unsafe {
                (
                    _mm256_loadu_si256(cols.index.as_ptr().add(k).cast()),
                    _mm256_loadu_si256(cols.weights.as_ptr().add(k).cast()),
                    _mm256_loadu_si256(pairs.as_ptr().add(base).cast()),
                )
            };
            let rel = _mm256_sub_epi32(index, _mm256_set1_epi32(base as i32));
            let taps = _mm256_permutevar8x32_epi32(window, rel);
            let sum = _mm256_add_epi32(_mm256_madd_epi16(taps, weights), round);
            let v = _mm256_srli_epi32::<{ SHIFT as i32 }>(sum);
            // Eight 32-bit results to eight bytes: pack within lanes, then join the lanes.
            let v = _mm256_packus_epi16(_mm256_packus_epi32(v, v), _mm256_setzero_si256());
            let bytes =
                _mm_unpacklo_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
            // SAFETY: see above.
            unsafe { _mm_storel_epi64(out.as_mut_ptr().add(k).cast(), bytes) };
            k += 8;
        }
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn scalar(out: &mut [u8], cols: ColumnRun, pairs: &[u32]) {
        for (k, o) in out.iter_mut().enumerate() {
            *o = tap(pairs[cols.index[k] as usize], cols.weights[k]);
        }
    }

    #[test]
    fn the_wide_path_gives_the_scalar_paths_bytes_at_every_zoom() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let width = 733;
        let r0: Vec<u8> = (0..width).map(|_| rng.random()).collect();
        let r1: Vec<u8> = (0..width).map(|_| rng.random()).collect();
        let mut pairs = vec![0u32; width - 1 + PAIR_PADDING];
        lerp_pairs(&r0, &r1, 77, &mut pairs[..width - 1]);
        for (step, b) in [
            (1.0, 0.0),
            (0.87, 3.3),
            (0.5, -2.0),
            (1.13, 0.4),
            (1.6, 1.0),
        ] {
            let mut cols = Columns::default();
            let max_i = (width - 2) as f32;
            cols.fill(0..640, step, b, max_i);
            for start in [0, 1, 5] {
                let run = cols.run(start..cols.len());
                let mut fast = vec![0u8; run.index.len()];
                let mut slow = fast.clone();
                resample_row(&mut fast, run, &pairs);
                scalar(&mut slow, run, &pairs);
                assert_eq!(fast, slow, "step {step}, start {start}");
            }
        }
    }

    #[test]
    fn the_wide_vertical_blend_gives_the_scalar_pairs() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        for n in [0, 5, 16, 31, 100] {
            let r0: Vec<u8> = (0..=n).map(|_| rng.random()).collect();
            let r1: Vec<u8> = (0..=n).map(|_| rng.random()).collect();
            for fy in [0, 1, 128, 255] {
                let mut fast = vec![0u32; n];
                let mut slow = fast.clone();
                lerp_pairs(&r0, &r1, fy, &mut fast);
                lerp_pairs_portable(&r0, &r1, fy, &mut slow);
                assert_eq!(fast, slow, "n {n}, fy {fy}");
            }
        }
    }

    #[test]
    fn count_below_agrees_with_a_binary_search_at_every_zoom_and_column() {
        let mut cols = Columns::default();
        for (xs, step, b) in [
            (0..640, 1.0, 0.0),
            (13..500, 0.87, 3.3),
            (0..300, 0.5, -2.0),
            (7..700, 1.13, 0.4),
            (0..200, 2.7, -40.0),
        ] {
            cols.fill(xs, step, b, 600.0);
            for column in 0..720 {
                let want = cols.index.partition_point(|&c| (c as usize) < column);
                assert_eq!(
                    cols.count_below(column),
                    want,
                    "step {step}, column {column}"
                );
            }
        }
    }

    #[test]
    fn whole_pixel_positions_return_the_source_samples() {
        let r0: Vec<u8> = (0..40).map(|i| (i * 6) as u8).collect();
        let mut pairs = vec![0u32; 39 + PAIR_PADDING];
        lerp_pairs(&r0, &r0, 0, &mut pairs[..39]);
        let mut cols = Columns::default();
        cols.fill(0..30, 1.0, 4.0, 38.0);
        let mut out = vec![0u8; 30];
        resample_row(&mut out, cols.run(0..30), &pairs);
        assert_eq!(out, r0[4..34]);
    }

    #[test]
    fn halfway_between_rows_and_columns_is_the_mean() {
        let (r0, r1) = ([0u8, 100, 0], [200u8, 100, 200]);
        let mut pairs = vec![0u32; 2 + PAIR_PADDING];
        lerp_pairs(&r0, &r1, 128, &mut pairs[..2]);
        let mut cols = Columns::default();
        cols.fill(0..1, 1.0, 0.5, 1.0);
        let mut out = [0u8];
        resample_row(&mut out, cols.run(0..1), &pairs);
        // Rows: 100, 100, 100; columns 0 and 1 halfway: 100.
        assert_eq!(out[0], 100);
    }
}
