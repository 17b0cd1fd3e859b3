//! Moving encoded packets from an encoder into the MP4 muxer.

use std::path::Path;

use ffmpeg::{encoder, format, Packet, Rational};
use ffmpeg_next as ffmpeg;

use super::EncodeError;

/// Where one encoder's packets go: its stream and the two time bases involved.
pub(super) struct Route {
    pub stream: usize,
    pub encoder_time_base: Rational,
    /// Only known once the header is written (the muxer may pick its own).
    pub stream_time_base: Rational,
    /// Duration, in encoder ticks, for packets that arrive without one.
    pub default_duration: i64,
}

/// Hands every packet the encoder has ready to the interleaving muxer. Stops when the encoder
/// wants more input or, after end of stream was sent, when it is fully drained.
pub(super) fn drain(
    encoder: &mut encoder::Encoder,
    packet: &mut Packet,
    route: &Route,
    octx: &mut format::context::Output,
    out: &Path,
) -> Result<(), EncodeError> {
    loop {
        match encoder.receive_packet(packet) {
            Ok(()) => {
                // libx264 in FFmpeg 5.1 leaves durations at 0, which makes the muxer guess the
                // last frame's length.
                if packet.duration() <= 0 {
                    packet.set_duration(route.default_duration);
                }
                packet.set_stream(route.stream);
                packet.set_position(-1);
                packet.rescale_ts(route.encoder_time_base, route.stream_time_base);
                packet
                    .write_interleaved(octx)
                    .map_err(EncodeError::ffmpeg(out, "cannot write a packet"))?;
            }
            Err(ffmpeg::Error::Eof) => return Ok(()),
            Err(ffmpeg::Error::Other { errno }) if errno == ffmpeg::util::error::EAGAIN => {
                return Ok(())
            }
            Err(e) => return Err(EncodeError::ffmpeg(out, "encoder failed")(e)),
        }
    }
}

/// The time base the muxer settled on for a stream.
pub(super) fn stream_time_base(
    octx: &format::context::Output,
    stream: usize,
    out: &Path,
) -> Result<Rational, EncodeError> {
    octx.stream(stream).map(|s| s.time_base()).ok_or_else(|| {
        EncodeError::ffmpeg(out, "stream vanished after writing the header")(
            ffmpeg::Error::StreamNotFound,
        )
    })
}

/// Makes a frame's buffers safe to overwrite: the encoder may still hold a reference to them.
pub(super) fn make_writable(frame: &mut ffmpeg::Frame, out: &Path) -> Result<(), EncodeError> {
    // SAFETY: the frame owns a valid AVFrame with allocated buffers.
    let ret = unsafe { ffmpeg::ffi::av_frame_make_writable(frame.as_mut_ptr()) };
    if ret < 0 {
        return Err(EncodeError::ffmpeg(out, "cannot make a frame writable")(
            ffmpeg::Error::from(ret),
        ));
    }
    Ok(())
}

/// Allocates the buffers of a frame whose format, size or sample count were set already.
pub(super) fn alloc_buffers(
    frame: &mut ffmpeg::Frame,
    align: i32,
    out: &Path,
) -> Result<(), EncodeError> {
    // SAFETY: the frame owns a valid AVFrame without buffers; FFmpeg checks the fields it needs.
    let ret = unsafe { ffmpeg::ffi::av_frame_get_buffer(frame.as_mut_ptr(), align) };
    if ret < 0 {
        return Err(EncodeError::ffmpeg(out, "cannot allocate a frame")(
            ffmpeg::Error::from(ret),
        ));
    }
    Ok(())
}
