//! The H.264 side: libx264 fed with frames that already are YUV 4:2:0.

use std::path::Path;

use ffmpeg::format::Pixel;
use ffmpeg::{codec, color, encoder, format, frame, Dictionary, Packet, Rational};
use ffmpeg_next as ffmpeg;

use super::mux::{self, Route};
use super::{EncodeError, EncodeSettings};
use crate::frame::Yuv420;

pub(super) struct VideoEncoder {
    encoder: encoder::video::Encoder,
    frame: frame::Video,
    packet: Packet,
    route: Route,
    width: u32,
    height: u32,
    next_pts: i64,
}

impl VideoEncoder {
    /// Adds the video stream to `octx` and opens libx264 for it.
    pub fn new(
        octx: &mut format::context::Output,
        settings: &EncodeSettings,
        out: &Path,
    ) -> Result<VideoEncoder, EncodeError> {
        let codec =
            encoder::find_by_name("libx264").ok_or_else(|| EncodeError::MissingEncoder {
                path: out.to_path_buf(),
                codec: "libx264",
            })?;
        let global_header = octx.format().flags().contains(format::Flags::GLOBAL_HEADER);
        let fps = settings.fps as i32;
        let time_base = Rational::new(1, fps);

        let mut enc = codec::context::Context::new_with_codec(codec)
            .encoder()
            .video()
            .map_err(EncodeError::ffmpeg(out, "cannot create the video encoder"))?;
        enc.set_width(settings.width);
        enc.set_height(settings.height);
        enc.set_format(Pixel::YUV420P);
        enc.set_time_base(time_base);
        enc.set_frame_rate(Some(Rational::new(fps, 1)));
        // A keyframe every two seconds keeps seeking and platform re-cuts cheap.
        enc.set_gop(settings.fps.saturating_mul(2));
        // Frames are BT.601 limited range; say so, or players assume BT.709 for HD sizes.
        enc.set_colorspace(color::Space::SMPTE170M);
        enc.set_color_range(color::Range::MPEG);
        if global_header {
            enc.set_flags(codec::Flags::GLOBAL_HEADER);
        }

        // FFmpeg 5.1's libx264 wrapper only honours preset and crf as private options.
        let mut options = Dictionary::new();
        options.set("preset", &settings.preset);
        options.set("crf", &settings.crf.to_string());
        options.set("threads", &settings.threads.to_string());
        let encoder = enc
            .open_with(options)
            .map_err(EncodeError::ffmpeg(out, "cannot open libx264"))?;

        let mut stream = octx
            .add_stream(codec)
            .map_err(EncodeError::ffmpeg(out, "cannot add the video stream"))?;
        // Parameters are only complete (extradata, profile) once the encoder is open.
        stream.set_parameters(&encoder);
        stream.set_time_base(time_base);
        stream.set_avg_frame_rate(Rational::new(fps, 1));
        stream.set_rate(Rational::new(fps, 1));
        let stream_index = stream.index();

        let mut frame = frame::Video::empty();
        frame.set_format(Pixel::YUV420P);
        frame.set_width(settings.width);
        frame.set_height(settings.height);
        mux::alloc_buffers(&mut frame, 32, out)?;

        Ok(VideoEncoder {
            encoder,
            frame,
            packet: Packet::empty(),
            route: Route {
                stream: stream_index,
                encoder_time_base: time_base,
                stream_time_base: time_base,
                default_duration: 1,
            },
            width: settings.width,
            height: settings.height,
            next_pts: 0,
        })
    }

    pub fn stream(&self) -> usize {
        self.route.stream
    }

    pub fn set_stream_time_base(&mut self, time_base: Rational) {
        self.route.stream_time_base = time_base;
    }

    /// Checks a frame against the settings before anything touches its planes.
    pub fn check(&self, index: usize, src: &Yuv420, out: &Path) -> Result<(), EncodeError> {
        if src.width != self.width || src.height != self.height {
            return Err(EncodeError::FrameSize {
                path: out.to_path_buf(),
                index,
                width: src.width,
                height: src.height,
                expected_width: self.width,
                expected_height: self.height,
            });
        }
        let luma = self.width as usize * self.height as usize;
        let chroma = luma / 4;
        if src.y.len() != luma || src.u.len() != chroma || src.v.len() != chroma {
            return Err(EncodeError::FrameData {
                path: out.to_path_buf(),
                index,
                reason: format!(
                    "planes hold {}/{}/{} bytes, expected {luma}/{chroma}/{chroma}",
                    src.y.len(),
                    src.u.len(),
                    src.v.len()
                ),
            });
        }
        Ok(())
    }

    /// Encodes one frame (already checked) and muxes whatever packets come out.
    pub fn send(
        &mut self,
        src: &Yuv420,
        octx: &mut format::context::Output,
        out: &Path,
    ) -> Result<(), EncodeError> {
        mux::make_writable(&mut self.frame, out)?;
        let (w, h) = (self.width as usize, self.height as usize);
        for (plane, data, pw, ph) in [
            (0, &src.y, w, h),
            (1, &src.u, w / 2, h / 2),
            (2, &src.v, w / 2, h / 2),
        ] {
            let stride = self.frame.stride(plane);
            copy_plane(data, pw, ph, self.frame.data_mut(plane), stride);
        }
        self.frame.set_pts(Some(self.next_pts));
        self.next_pts += 1;
        self.encoder
            .send_frame(&self.frame)
            .map_err(EncodeError::ffmpeg(out, "libx264 rejected a frame"))?;
        mux::drain(&mut self.encoder, &mut self.packet, &self.route, octx, out)
    }

    /// Drains the encoder's look-ahead into the file.
    pub fn finish(
        &mut self,
        octx: &mut format::context::Output,
        out: &Path,
    ) -> Result<(), EncodeError> {
        self.encoder
            .send_eof()
            .map_err(EncodeError::ffmpeg(out, "cannot flush libx264"))?;
        mux::drain(&mut self.encoder, &mut self.packet, &self.route, octx, out)
    }
}

/// Copies a tightly packed plane into a frame plane whose rows may be padded.
fn copy_plane(src: &[u8], width: usize, height: usize, dst: &mut [u8], stride: usize) {
    if stride == width {
        let n = width * height;
        dst[..n].copy_from_slice(&src[..n]);
        return;
    }
    for (s, d) in src
        .chunks_exact(width)
        .zip(dst.chunks_mut(stride))
        .take(height)
    {
        d[..width].copy_from_slice(s);
    }
}
