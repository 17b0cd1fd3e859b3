//! The AAC side: any input layout and rate in, stereo 44.1/48 kHz planar float out, cut or padded
//! to exactly the video's length.

use std::f32::consts::FRAC_1_SQRT_2;
use std::path::Path;

use ffmpeg::format::{sample, Sample};
use ffmpeg::{codec, encoder, format, frame, ChannelLayout, Dictionary, Packet, Rational};
use ffmpeg_next as ffmpeg;

use super::mux::{self, Route};
use super::EncodeError;
use crate::audio::Audio;

/// Rates kept as they are; everything else is resampled to [`DEFAULT_RATE`].
const KEPT_RATES: [u32; 2] = [44_100, 48_000];
const DEFAULT_RATE: u32 = 48_000;

/// Highest input rate accepted (the resampler's limit).
const MAX_INPUT_RATE: u32 = 1_536_000;

/// Input frames read past the needed span, so the resampler's filter has real signal at the end.
const RESAMPLE_MARGIN_FRAMES: usize = 4096;

/// Stereo audio ready for the encoder, one buffer per channel.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Stereo {
    pub rate: u32,
    pub left: Vec<f32>,
    pub right: Vec<f32>,
}

impl Stereo {
    pub fn len(&self) -> usize {
        self.left.len()
    }

    pub fn seconds(&self) -> f64 {
        self.len() as f64 / f64::from(self.rate)
    }
}

/// The output rate for a given input rate.
pub(super) fn output_rate(input_rate: u32) -> u32 {
    if KEPT_RATES.contains(&input_rate) {
        input_rate
    } else {
        DEFAULT_RATE
    }
}

/// Number of samples at `rate` that matches `frame_count` frames at `fps`, rounded to nearest.
pub(super) fn samples_for_frames(frame_count: usize, fps: u32, rate: u32) -> usize {
    let fps = u128::from(fps.max(1));
    ((frame_count as u128 * u128::from(rate) + fps / 2) / fps) as usize
}

/// Downmixes, resamples and fits `audio` to `frame_count / fps` seconds.
pub(super) fn prepare(
    audio: &Audio,
    frame_count: usize,
    fps: u32,
    out: &Path,
) -> Result<Stereo, EncodeError> {
    let bad = |reason: String| EncodeError::Audio {
        path: out.to_path_buf(),
        reason,
    };
    if audio.channels == 0 {
        return Err(bad("it has no channels".into()));
    }
    if audio.sample_rate == 0 || audio.sample_rate > MAX_INPUT_RATE {
        return Err(bad(format!(
            "sample rate {} Hz is outside 1..={MAX_INPUT_RATE} Hz",
            audio.sample_rate
        )));
    }
    let rate = output_rate(audio.sample_rate);
    let target = samples_for_frames(frame_count, fps, rate);

    // Only the span that ends up in the video is mixed and resampled.
    let needed = if rate == audio.sample_rate {
        target
    } else {
        let ratio = f64::from(audio.sample_rate) / f64::from(rate);
        (target as f64 * ratio).ceil() as usize + RESAMPLE_MARGIN_FRAMES
    };
    let frames = audio.frames().min(needed);
    let (mut left, mut right) = downmix(audio, frames);

    if rate != audio.sample_rate {
        let resample = |x: &[f32]| {
            crate::audio::resample(x, audio.sample_rate, rate).map_err(|e| bad(e.to_string()))
        };
        if audio.channels == 1 {
            left = resample(&left)?;
            right.clone_from(&left);
        } else {
            left = resample(&left)?;
            right = resample(&right)?;
        }
    }
    // Silence pads a short clip; a long one is cut at the last video frame.
    left.resize(target, 0.0);
    right.resize(target, 0.0);
    Ok(Stereo { rate, left, right })
}

/// Left/right gains of each input channel, for the usual WAV/FFmpeg channel orders.
fn downmix_gains(channels: usize) -> Vec<(f32, f32)> {
    const K: f32 = FRAC_1_SQRT_2;
    let table: &[(f32, f32)] = match channels {
        1 => &[(1.0, 1.0)],
        2 => &[(1.0, 0.0), (0.0, 1.0)],
        // L R C
        3 => &[(1.0, 0.0), (0.0, 1.0), (K, K)],
        // L R Ls Rs
        4 => &[(1.0, 0.0), (0.0, 1.0), (K, 0.0), (0.0, K)],
        // L R C Ls Rs
        5 => &[(1.0, 0.0), (0.0, 1.0), (K, K), (K, 0.0), (0.0, K)],
        // L R C LFE Ls Rs; the LFE is dropped, as in common downmixes.
        6 => &[
            (1.0, 0.0),
            (0.0, 1.0),
            (K, K),
            (0.0, 0.0),
            (K, 0.0),
            (0.0, K),
        ],
        // L R C LFE Cs Ls Rs
        7 => &[
            (1.0, 0.0),
            (0.0, 1.0),
            (K, K),
            (0.0, 0.0),
            (0.5, 0.5),
            (K, 0.0),
            (0.0, K),
        ],
        // L R C LFE Lb Rb Ls Rs
        8 => &[
            (1.0, 0.0),
            (0.0, 1.0),
            (K, K),
            (0.0, 0.0),
            (K, 0.0),
            (0.0, K),
            (K, 0.0),
            (0.0, K),
        ],
        _ => &[],
    };
    if table.is_empty() {
        // Unknown layout: an even average keeps every channel audible.
        let g = 1.0 / channels as f32;
        vec![(g, g); channels]
    } else {
        table.to_vec()
    }
}

/// The first `frames` frames of `audio` as left and right. Non-finite samples become silence
/// (the AAC encoder refuses NaN); a surround downmix that would clip is scaled down.
fn downmix(audio: &Audio, frames: usize) -> (Vec<f32>, Vec<f32>) {
    let channels = usize::from(audio.channels);
    let clean = |x: f32| if x.is_finite() { x } else { 0.0 };
    let src = &audio.samples[..frames * channels];
    let mut left = Vec::with_capacity(frames);
    let mut right = Vec::with_capacity(frames);
    match channels {
        1 => {
            left.extend(src.iter().map(|&x| clean(x)));
            right.extend_from_slice(&left);
        }
        2 => {
            for f in src.chunks_exact(2) {
                left.push(clean(f[0]));
                right.push(clean(f[1]));
            }
        }
        _ => {
            let gains = downmix_gains(channels);
            let mut peak = 0.0f32;
            for f in src.chunks_exact(channels) {
                let (mut l, mut r) = (0.0f32, 0.0f32);
                for (&x, &(gl, gr)) in f.iter().zip(&gains) {
                    let x = clean(x);
                    l += gl * x;
                    r += gr * x;
                }
                peak = peak.max(l.abs()).max(r.abs());
                left.push(l);
                right.push(r);
            }
            if peak > 1.0 {
                let scale = 1.0 / peak;
                left.iter_mut()
                    .chain(right.iter_mut())
                    .for_each(|x| *x *= scale);
            }
        }
    }
    (left, right)
}

pub(super) struct AudioEncoder {
    encoder: encoder::audio::Encoder,
    frame: frame::Audio,
    packet: Packet,
    route: Route,
    pcm: Stereo,
    sent: usize,
    frame_size: usize,
}

impl AudioEncoder {
    /// Adds the audio stream to `octx` and opens FFmpeg's native AAC encoder for it.
    pub fn new(
        octx: &mut format::context::Output,
        pcm: Stereo,
        bit_rate: usize,
        out: &Path,
    ) -> Result<AudioEncoder, EncodeError> {
        let codec = encoder::find_by_name("aac").ok_or_else(|| EncodeError::MissingEncoder {
            path: out.to_path_buf(),
            codec: "aac",
        })?;
        let global_header = octx.format().flags().contains(format::Flags::GLOBAL_HEADER);
        let rate = pcm.rate as i32;
        let time_base = Rational::new(1, rate);
        let fltp = Sample::F32(sample::Type::Planar);

        let mut enc = codec::context::Context::new_with_codec(codec)
            .encoder()
            .audio()
            .map_err(EncodeError::ffmpeg(out, "cannot create the audio encoder"))?;
        enc.set_rate(rate);
        enc.set_format(fltp);
        // FFmpeg 5.1 still reads the old channel count next to the layout.
        enc.set_channel_layout(ChannelLayout::STEREO);
        enc.set_channels(2);
        enc.set_bit_rate(bit_rate);
        enc.set_time_base(time_base);
        if global_header {
            enc.set_flags(codec::Flags::GLOBAL_HEADER);
        }
        let encoder = enc
            .open_with(Dictionary::new())
            .map_err(EncodeError::ffmpeg(out, "cannot open the AAC encoder"))?;

        let mut stream = octx
            .add_stream(codec)
            .map_err(EncodeError::ffmpeg(out, "cannot add the audio stream"))?;
        stream.set_parameters(&encoder);
        stream.set_time_base(time_base);
        let stream_index = stream.index();

        let frame_size = match encoder.frame_size() {
            0 => 1024,
            n => n as usize,
        };
        let mut frame = frame::Audio::empty();
        frame.set_format(fltp);
        frame.set_samples(frame_size);
        frame.set_channel_layout(ChannelLayout::STEREO);
        frame.set_channels(2);
        frame.set_rate(pcm.rate);
        mux::alloc_buffers(&mut frame, 0, out)?;

        Ok(AudioEncoder {
            encoder,
            frame,
            packet: Packet::empty(),
            route: Route {
                stream: stream_index,
                encoder_time_base: time_base,
                stream_time_base: time_base,
                default_duration: frame_size as i64,
            },
            pcm,
            sent: 0,
            frame_size,
        })
    }

    pub fn stream(&self) -> usize {
        self.route.stream
    }

    pub fn set_stream_time_base(&mut self, time_base: Rational) {
        self.route.stream_time_base = time_base;
    }

    /// Total samples per channel this encoder will write.
    pub fn len(&self) -> usize {
        self.pcm.len()
    }

    pub fn seconds(&self) -> f64 {
        self.pcm.seconds()
    }

    /// Sample count matching `frames` video frames at `fps`, for keeping the two streams level.
    pub fn samples_for(&self, frames: usize, fps: u32) -> usize {
        samples_for_frames(frames, fps, self.pcm.rate)
    }

    /// Encodes whole AAC frames up to sample `end`, so audio keeps pace with the video.
    pub fn send_until(
        &mut self,
        end: usize,
        octx: &mut format::context::Output,
        out: &Path,
    ) -> Result<(), EncodeError> {
        let end = end.min(self.pcm.len());
        while self.sent + self.frame_size <= end {
            self.send_chunk(self.frame_size, octx, out)?;
        }
        Ok(())
    }

    /// Encodes the rest (the last frame may be short) and drains the encoder.
    pub fn finish(
        &mut self,
        octx: &mut format::context::Output,
        out: &Path,
    ) -> Result<(), EncodeError> {
        while self.sent < self.pcm.len() {
            let n = self.frame_size.min(self.pcm.len() - self.sent);
            self.send_chunk(n, octx, out)?;
        }
        self.encoder
            .send_eof()
            .map_err(EncodeError::ffmpeg(out, "cannot flush the AAC encoder"))?;
        mux::drain(&mut self.encoder, &mut self.packet, &self.route, octx, out)
    }

    fn send_chunk(
        &mut self,
        n: usize,
        octx: &mut format::context::Output,
        out: &Path,
    ) -> Result<(), EncodeError> {
        mux::make_writable(&mut self.frame, out)?;
        // Only the last chunk is short; the buffer keeps its full size.
        self.frame.set_samples(n);
        let range = self.sent..self.sent + n;
        self.frame.plane_mut::<f32>(0)[..n].copy_from_slice(&self.pcm.left[range.clone()]);
        self.frame.plane_mut::<f32>(1)[..n].copy_from_slice(&self.pcm.right[range]);
        self.frame.set_pts(Some(self.sent as i64));
        self.encoder
            .send_frame(&self.frame)
            .map_err(EncodeError::ffmpeg(out, "the AAC encoder rejected a frame"))?;
        self.sent += n;
        mux::drain(&mut self.encoder, &mut self.packet, &self.route, octx, out)
    }
}
