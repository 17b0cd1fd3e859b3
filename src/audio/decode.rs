//! Container probing and the packet decode loop.

use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;

use symphonia::core::codecs::audio::well_known::{CODEC_ID_AAC, CODEC_ID_OPUS, CODEC_ID_VORBIS};
use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia::core::codecs::CodecParameters;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::well_known::{
    FORMAT_ID_AIFF, FORMAT_ID_CAF, FORMAT_ID_FLAC, FORMAT_ID_ISOMP4, FORMAT_ID_MP3, FORMAT_ID_WAVE,
};
use symphonia::core::formats::{FormatOptions, FormatReader, Track, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::packet::Packet;
use symphonia::core::units::{Duration, TimeBase};

use super::gapless::{read_mp4_gapless, Mp4Gapless};
use super::{Audio, AudioError, DecodeLimits};

/// Sample rates accepted; anything outside is a corrupt or hostile header (and a tiny rate would
/// make resampling to 16 kHz needlessly expensive).
const MIN_SAMPLE_RATE: u32 = 1_000;
const MAX_SAMPLE_RATE: u32 = 768_000;
/// Most channels accepted.
const MAX_CHANNELS: usize = 32;
/// Bad packets always tolerated before the ratio rule applies.
const BAD_PACKETS_ALLOWED: u64 = 8;
/// Beyond that, at most one bad packet in this many may fail.
const BAD_PACKET_RATIO: u64 = 50;
/// Demuxer errors in a row after which the container is considered unreadable.
const MAX_CONSECUTIVE_DEMUX_ERRORS: u32 = 32;
/// Largest gap filled with silence for a packet that failed to decode (about 1.4 s at 48 kHz).
const MAX_CONCEALED_FRAMES: u64 = 65_536;
/// Cap on the up-front allocation from a declared length (a 20-minute 48 kHz stereo song is
/// 115 M samples); the length limit bounds it first.
const MAX_RESERVE_SAMPLES: u64 = 128 * 1024 * 1024;

trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// Decodes an audio file from disk.
///
/// Errors name the file by `path` as given. The size limit is checked before anything is read.
pub fn decode_file(path: &Path, limits: &DecodeLimits) -> Result<Audio, AudioError> {
    let name = path.display().to_string();
    let io_error = |source| AudioError::Io {
        name: name.clone(),
        source,
    };
    let mut file = File::open(path).map_err(io_error)?;
    let metadata = file.metadata().map_err(io_error)?;
    if !metadata.is_file() {
        return Err(io_error(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    check_size(metadata.len(), &name, limits)?;

    let mut head = [0u8; 16];
    let head_len = read_up_to(&mut file, &mut head).map_err(io_error)?;
    file.seek(SeekFrom::Start(0)).map_err(io_error)?;

    // A second handle for reading MP4 timing boxes once decoding is done.
    let mut side = file.try_clone().ok();
    let extension = path.extension().and_then(|e| e.to_str());
    decode_source(
        Box::new(file),
        &head[..head_len],
        extension,
        &name,
        limits,
        side.as_mut().map(|f| f as &mut dyn ReadSeek),
    )
}

fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Decodes an audio file held in memory (an upload, say).
///
/// `extension_hint` (with or without the dot) is handed to the prober as a hint;
/// `name_for_errors` is used in every error message.
pub fn decode_bytes(
    bytes: Vec<u8>,
    extension_hint: Option<&str>,
    name_for_errors: &str,
    limits: &DecodeLimits,
) -> Result<Audio, AudioError> {
    check_size(bytes.len() as u64, name_for_errors, limits)?;
    let shared = SharedBytes(Arc::new(bytes));
    let mut side = Cursor::new(shared.clone());
    let head = &shared.0[..shared.0.len().min(16)];
    let extension = extension_hint.map(|e| e.trim_start_matches('.'));
    decode_source(
        Box::new(Cursor::new(shared.clone())),
        head,
        extension,
        name_for_errors,
        limits,
        Some(&mut side),
    )
}

#[derive(Clone)]
struct SharedBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

fn check_size(bytes: u64, name: &str, limits: &DecodeLimits) -> Result<(), AudioError> {
    if bytes == 0 {
        return Err(AudioError::Empty {
            name: name.to_owned(),
        });
    }
    if bytes > limits.max_file_bytes {
        return Err(AudioError::TooLarge {
            name: name.to_owned(),
            bytes,
            max_bytes: limits.max_file_bytes,
        });
    }
    Ok(())
}

fn decode_source(
    source: Box<dyn MediaSource>,
    head: &[u8],
    extension: Option<&str>,
    name: &str,
    limits: &DecodeLimits,
    side: Option<&mut dyn ReadSeek>,
) -> Result<Audio, AudioError> {
    // Symphonia is not guaranteed panic-free on hostile input; an upload must never take the
    // process down.
    panic::catch_unwind(AssertUnwindSafe(|| {
        let mut hint = Hint::new();
        if let Some(ext) = extension {
            hint.with_extension(ext);
        }
        let mss = MediaSourceStream::new(source, MediaSourceStreamOptions::default());
        let format = symphonia::default::get_probe()
            .probe(
                &hint,
                mss,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
            .map_err(|e| probe_error(e, head, name))?;
        Decoding::start(format, name, limits)?.run(side)
    }))
    .unwrap_or_else(|_| {
        Err(AudioError::Corrupt {
            name: name.to_owned(),
            detail: "the decoder failed on malformed data".into(),
        })
    })
}

/// Names the container a file's first bytes announce, to tell "not audio at all" apart from
/// "a damaged audio file".
fn sniff_container(head: &[u8]) -> Option<&'static str> {
    let at = |range: std::ops::Range<usize>| head.get(range);
    if at(0..4) == Some(b"RIFF") && at(8..12) == Some(b"WAVE") {
        Some("WAV")
    } else if at(0..4) == Some(b"FORM") && matches!(at(8..12), Some(b"AIFF") | Some(b"AIFC")) {
        Some("AIFF")
    } else if at(0..4) == Some(b"fLaC") {
        Some("FLAC")
    } else if at(0..4) == Some(b"OggS") {
        Some("Ogg")
    } else if at(4..8) == Some(b"ftyp") {
        Some("MP4")
    } else if at(0..3) == Some(b"ID3") {
        Some("MP3 (ID3-tagged)")
    } else if at(0..4) == Some(b"caff") {
        Some("CAF")
    } else if at(0..4) == Some(&[0x1a, 0x45, 0xdf, 0xa3]) {
        Some("Matroska/WebM")
    } else {
        None
    }
}

fn probe_error(err: SymphoniaError, head: &[u8], name: &str) -> AudioError {
    let name = name.to_owned();
    if let SymphoniaError::IoError(source) = err {
        if source.kind() != io::ErrorKind::UnexpectedEof {
            return AudioError::Io { name, source };
        }
        let detail = match sniff_container(head) {
            Some(kind) => format!("the {kind} file ends unexpectedly; it may be truncated"),
            None => "the file ends unexpectedly; it may be truncated".to_owned(),
        };
        return AudioError::Corrupt { name, detail };
    }
    match (sniff_container(head), err) {
        (Some(kind), err) => AudioError::Corrupt {
            name,
            detail: format!(
                "the file has a {kind} signature, but its structure cannot be read: {err}"
            ),
        },
        (None, SymphoniaError::Unsupported(_)) => AudioError::NotAudio {
            name,
            reason: "no supported audio container found".into(),
        },
        (None, other) => AudioError::Corrupt {
            name,
            detail: format!("unreadable container: {other}"),
        },
    }
}

/// State of one decode run.
struct Decoding<'a> {
    format: Box<dyn FormatReader + 'a>,
    decoder: Box<dyn AudioDecoder>,
    name: &'a str,
    limits: &'a DecodeLimits,
    track_id: u32,
    time_base: Option<TimeBase>,
    codec: AudioCodecParameters,
    /// Playable length the container declares, in seconds.
    declared_seconds: Option<f64>,
    /// Whether `declared_seconds` is exact (a sample count) rather than an estimate.
    declared_is_exact: bool,
    is_mp4: bool,
    /// An MP3 without a LAME/Xing/VBRI header: Symphonia trims packets at a length it estimated
    /// from the first frame's bitrate, which cuts VBR files short. FFmpeg trims nothing here.
    ignore_packet_trims: bool,

    sample_rate: u32,
    channels: usize,
    samples: Vec<f32>,
    /// Sum of packet durations, in track time-base units.
    timeline: u64,
    good_packets: u64,
    bad_packets: u64,
    last_problem: Option<String>,
}

impl<'a> Decoding<'a> {
    fn start(
        format: Box<dyn FormatReader + 'a>,
        name: &'a str,
        limits: &'a DecodeLimits,
    ) -> Result<Self, AudioError> {
        let track = pick_track(format.as_ref(), name)?;
        let Some(CodecParameters::Audio(codec)) = track.codec_params.clone() else {
            return Err(AudioError::NoAudioTrack {
                name: name.to_owned(),
            });
        };
        let options = AudioDecoderOptions::default().gapless(true);
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(&codec, &options)
            .map_err(|e| match e {
                SymphoniaError::Unsupported(what) => AudioError::UnsupportedCodec {
                    name: name.to_owned(),
                    detail: unsupported_detail(&codec, what),
                },
                other => AudioError::Corrupt {
                    name: name.to_owned(),
                    detail: format!("bad codec setup: {other}"),
                },
            })?;

        let sample_rate = codec.sample_rate.unwrap_or(0);
        if sample_rate != 0 && !(MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&sample_rate) {
            return Err(AudioError::Corrupt {
                name: name.to_owned(),
                detail: format!("implausible sample rate {sample_rate} Hz"),
            });
        }
        let channels = codec.channels.as_ref().map_or(0, |c| c.count());
        if channels > MAX_CHANNELS {
            return Err(AudioError::Corrupt {
                name: name.to_owned(),
                detail: format!("implausible channel count {channels}"),
            });
        }

        if codec.codec == CODEC_ID_VORBIS && channels > 2 {
            // Symphonia 0.6's Vorbis decoder mixes up channels beyond stereo; refuse rather than
            // hand on garbled audio.
            return Err(AudioError::UnsupportedCodec {
                name: name.to_owned(),
                detail: format!(
                    "Vorbis with {channels} channels (only mono and stereo Vorbis are supported)"
                ),
            });
        }

        let declared_seconds = declared_seconds(track, sample_rate);
        let format_id = format.format_info().format;
        let is_mp4 = format_id == FORMAT_ID_ISOMP4;
        // Containers that store the sample count; an MP3 only with a LAME/Xing header (else
        // Symphonia estimates from the bitrate).
        let declared_is_exact = [
            FORMAT_ID_FLAC,
            FORMAT_ID_WAVE,
            FORMAT_ID_AIFF,
            FORMAT_ID_CAF,
            FORMAT_ID_ISOMP4,
        ]
        .contains(&format_id)
            || (format_id == FORMAT_ID_MP3 && track.delay.is_some());
        let ignore_packet_trims = format_id == FORMAT_ID_MP3 && track.delay.is_none();
        let track_id = track.id;
        let time_base = track.time_base;
        let mut this = Decoding {
            format,
            decoder,
            name,
            limits,
            track_id,
            time_base,
            codec,
            declared_seconds,
            declared_is_exact,
            is_mp4,
            ignore_packet_trims,
            sample_rate,
            channels,
            samples: Vec::new(),
            timeline: 0,
            good_packets: 0,
            bad_packets: 0,
            last_problem: None,
        };
        if let Some(secs) = this.declared_seconds {
            // A stated sample count over the limit (with slack for encoder delay) needs no
            // decoding to refuse.
            if this.declared_is_exact && secs > this.limit_seconds() + 1.0 {
                return Err(this.too_long(secs, false));
            }
        }
        if let (Some(secs), true) = (this.declared_seconds, sample_rate > 0 && channels > 0) {
            let frames = (secs.clamp(0.0, this.limit_seconds()) * f64::from(sample_rate)) as u64;
            let reserve = (frames * channels as u64).min(MAX_RESERVE_SAMPLES);
            this.samples.reserve(reserve as usize);
        }
        Ok(this)
    }

    fn run(mut self, side: Option<&mut dyn ReadSeek>) -> Result<Audio, AudioError> {
        let mut demux_errors_in_row = 0u32;
        loop {
            let mut packet = match self.format.next_packet() {
                Ok(Some(packet)) => packet,
                // Chained Ogg streams and similar: the first stream is the song.
                Ok(None) | Err(SymphoniaError::ResetRequired) => break,
                // A stream cut short ends where the data ends; the truncation check below decides
                // whether that is acceptable.
                Err(SymphoniaError::IoError(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    break
                }
                Err(SymphoniaError::IoError(source)) => {
                    return Err(AudioError::Io {
                        name: self.name.to_owned(),
                        source,
                    });
                }
                Err(SymphoniaError::DecodeError(msg)) => {
                    demux_errors_in_row += 1;
                    self.note_bad(format!("demuxer: {msg}"))?;
                    if demux_errors_in_row > MAX_CONSECUTIVE_DEMUX_ERRORS {
                        return Err(self.corrupt());
                    }
                    continue;
                }
                Err(other) => {
                    return Err(AudioError::Corrupt {
                        name: self.name.to_owned(),
                        detail: other.to_string(),
                    });
                }
            };
            demux_errors_in_row = 0;
            if packet.track_id != self.track_id {
                continue;
            }
            if self.ignore_packet_trims {
                packet.trim_start = Duration::ZERO;
                packet.trim_end = Duration::ZERO;
            }
            self.timeline = self.timeline.saturating_add(packet.dur.get());
            self.decode_packet(&packet)?;
            self.check_running_length()?;
        }
        self.finish(side)
    }

    fn decode_packet(&mut self, packet: &Packet) -> Result<(), AudioError> {
        let result = self.decoder.decode(packet);
        let problem = match result {
            Ok(buf) => {
                let rate = buf.spec().rate();
                let channels = buf.spec().channels().count();
                if self.good_packets == 0 {
                    if !(MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&rate)
                        || channels == 0
                        || channels > MAX_CHANNELS
                    {
                        return Err(AudioError::Corrupt {
                            name: self.name.to_owned(),
                            detail: format!(
                                "implausible stream layout: {rate} Hz, {channels} channels"
                            ),
                        });
                    }
                    // Silence concealing earlier bad packets used the container's layout; redo
                    // it in the real one.
                    let concealed = self.samples.len().checked_div(self.channels).unwrap_or(0);
                    self.samples.clear();
                    self.samples.resize(concealed * channels, 0.0);
                    self.sample_rate = rate;
                    self.channels = channels;
                }
                if rate != self.sample_rate || channels != self.channels {
                    // Mid-stream format changes are not supported; count them as damage.
                    Some(format!(
                        "stream changed to {rate} Hz, {channels} channels mid-way"
                    ))
                } else {
                    let frames = buf.frames();
                    let start = self.samples.len();
                    self.samples.resize(start + buf.samples_interleaved(), 0.0);
                    buf.copy_to_slice_interleaved(&mut self.samples[start..]);
                    self.apply_untrimmed_packet_trim(packet, frames, start);
                    self.good_packets += 1;
                    None
                }
            }
            Err(SymphoniaError::DecodeError(msg)) => Some(msg.to_owned()),
            Err(SymphoniaError::IoError(e)) => Some(format!("packet too short: {e}")),
            Err(SymphoniaError::ResetRequired) => {
                self.decoder.reset();
                Some("decoder reset".to_owned())
            }
            Err(SymphoniaError::Unsupported(what)) => {
                return Err(AudioError::UnsupportedCodec {
                    name: self.name.to_owned(),
                    detail: unsupported_detail(&self.codec, what),
                });
            }
            Err(other) => {
                return Err(AudioError::Corrupt {
                    name: self.name.to_owned(),
                    detail: other.to_string(),
                });
            }
        };
        if let Some(problem) = problem {
            self.note_bad(problem)?;
            self.conceal(packet);
        }
        Ok(())
    }

    /// Decoders for codecs without encoder delay (PCM, FLAC, ALAC, AAC) ignore the packet trim
    /// fields. When a container sets them anyway and the decoder returned the whole block,
    /// honour them here.
    fn apply_untrimmed_packet_trim(&mut self, packet: &Packet, frames: usize, start: usize) {
        let (head, tail) = (packet.trim_start.get(), packet.trim_end.get());
        if head == 0 && tail == 0 || frames as u64 != packet.block_dur().get() {
            return;
        }
        let keep_from = (head as usize).min(frames);
        let keep_to = frames.saturating_sub(tail as usize).max(keep_from);
        let ch = self.channels;
        self.samples
            .copy_within(start + keep_from * ch..start + keep_to * ch, start);
        self.samples.truncate(start + (keep_to - keep_from) * ch);
    }

    /// Keeps later audio in time after a packet that could not be decoded, by inserting the
    /// packet's length of silence.
    fn conceal(&mut self, packet: &Packet) {
        if self.channels == 0 || self.sample_rate == 0 {
            return;
        }
        let frames = match self.time_base {
            Some(tb) => timeline_frames(packet.dur.get(), tb, self.sample_rate).unwrap_or(0),
            None => packet.dur.get(),
        };
        let frames = frames.min(MAX_CONCEALED_FRAMES);
        let new_len = self.samples.len() + frames as usize * self.channels;
        self.samples.resize(new_len, 0.0);
    }

    fn note_bad(&mut self, problem: String) -> Result<(), AudioError> {
        self.bad_packets += 1;
        self.last_problem = Some(problem);
        // Give up early on streams that are mostly garbage rather than churning through them.
        if self.bad_packets > 4 * BAD_PACKETS_ALLOWED && self.bad_packets > self.good_packets {
            return Err(self.corrupt());
        }
        Ok(())
    }

    fn corrupt(&self) -> AudioError {
        let detail = format!(
            "{} of {} packets could not be read or decoded; last error: {}",
            self.bad_packets,
            self.bad_packets + self.good_packets,
            self.last_problem.as_deref().unwrap_or("unknown")
        );
        AudioError::Corrupt {
            name: self.name.to_owned(),
            detail,
        }
    }

    fn limit_seconds(&self) -> f64 {
        let max = self.limits.max_duration_seconds;
        if max.is_nan() {
            0.0
        } else {
            max.max(0.0)
        }
    }

    fn frames(&self) -> u64 {
        self.samples.len().checked_div(self.channels).unwrap_or(0) as u64
    }

    /// Stops decoding as soon as the audio is clearly over the length limit. Encoder delay is
    /// still in the buffer at this point, so allow a second of slack; the exact check follows
    /// trimming.
    fn check_running_length(&self) -> Result<(), AudioError> {
        if self.sample_rate == 0 {
            return Ok(());
        }
        let seconds = self.frames() as f64 / f64::from(self.sample_rate);
        if seconds > self.limit_seconds() + 1.0 {
            return Err(self.too_long(seconds, true));
        }
        Ok(())
    }

    fn too_long(&self, decoded_seconds: f64, partial: bool) -> AudioError {
        // When decoding stopped early, the container's own figure (if larger) is the better
        // estimate of the real length.
        let (seconds, at_least) = match self.declared_seconds {
            // (Not an MP3's guess from its first frame's bitrate.)
            Some(declared)
                if partial && !self.ignore_packet_trims && declared > decoded_seconds =>
            {
                (declared, false)
            }
            _ => (decoded_seconds, partial),
        };
        AudioError::TooLong {
            name: self.name.to_owned(),
            seconds,
            at_least,
            max_seconds: self.limit_seconds(),
        }
    }

    fn finish(mut self, side: Option<&mut dyn ReadSeek>) -> Result<Audio, AudioError> {
        let total = self.bad_packets + self.good_packets;
        if self.good_packets == 0 && self.bad_packets > 0 {
            return Err(self.corrupt());
        }
        if self.bad_packets > BAD_PACKETS_ALLOWED + total / BAD_PACKET_RATIO {
            return Err(self.corrupt());
        }

        if self.is_mp4 {
            if let Some(side) = side {
                let is_aac = self.codec.codec == CODEC_ID_AAC;
                if let Some(gapless) =
                    read_mp4_gapless(side, self.track_id, self.sample_rate, is_aac)
                {
                    self.trim_mp4(gapless);
                }
            }
        }

        if self.frames() == 0 {
            return Err(AudioError::NoSamples {
                name: self.name.to_owned(),
            });
        }
        self.check_truncation()?;

        let seconds = self.frames() as f64 / f64::from(self.sample_rate);
        if seconds > self.limit_seconds() {
            return Err(self.too_long(seconds, false));
        }

        // Float sources can hold NaN or values far outside the nominal range; keep every
        // consumer downstream safe.
        for s in &mut self.samples {
            *s = if s.is_nan() { 0.0 } else { s.clamp(-1.0, 1.0) };
        }
        Ok(Audio {
            sample_rate: self.sample_rate,
            channels: self.channels as u16,
            samples: self.samples,
        })
    }

    /// Removes AAC priming and end padding in MP4 files, which Symphonia leaves in.
    fn trim_mp4(&mut self, gapless: Mp4Gapless) {
        let frames = self.frames();
        let start = gapless.priming.min(frames);
        // The packet durations in the sample table also bound the playable length (FFmpeg's
        // muxer shortens the last packet by the padding).
        let timeline = self
            .time_base
            .and_then(|tb| timeline_frames(self.timeline, tb, self.sample_rate))
            .map(|t| t.saturating_sub(gapless.priming));
        let playable = match (gapless.playable, timeline) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b).unwrap_or(u64::MAX),
        };
        let end = start.saturating_add(playable).min(frames);
        let ch = self.channels;
        self.samples.truncate(end as usize * ch);
        self.samples.drain(..start as usize * ch);
    }

    /// A stream that ends clearly short of the sample count its container declares was cut off
    /// (an interrupted upload, say). Small shortfalls are tolerated for slightly-off headers.
    fn check_truncation(&self) -> Result<(), AudioError> {
        let Some(declared) = self.declared_seconds.filter(|_| self.declared_is_exact) else {
            return Ok(());
        };
        let decoded = self.frames() as f64 / f64::from(self.sample_rate);
        let shortfall = declared - decoded;
        if shortfall > 0.25 && shortfall > declared * 0.02 {
            return Err(AudioError::Corrupt {
                name: self.name.to_owned(),
                detail: format!(
                    "the file appears truncated: only {decoded:.2} s of the declared {declared:.2} s could be decoded"
                ),
            });
        }
        Ok(())
    }
}

/// Chooses the audio track to decode: the default one, else the first with a known codec.
fn pick_track<'f>(format: &'f dyn FormatReader, name: &str) -> Result<&'f Track, AudioError> {
    let is_audio = |t: &&Track| matches!(t.codec_params, Some(CodecParameters::Audio(_)));
    let decodable = |t: &&Track| match &t.codec_params {
        Some(CodecParameters::Audio(p)) => symphonia::default::get_codecs()
            .get_audio_decoder(p.codec)
            .is_some(),
        _ => false,
    };
    if let Some(track) = format.default_track(TrackType::Audio).filter(decodable) {
        return Ok(track);
    }
    if let Some(track) = format.tracks().iter().find(decodable) {
        return Ok(track);
    }
    match format.tracks().iter().find(is_audio) {
        Some(Track {
            codec_params: Some(CodecParameters::Audio(p)),
            ..
        }) => Err(AudioError::UnsupportedCodec {
            name: name.to_owned(),
            detail: format!("{} has no decoder", codec_label(p)),
        }),
        _ => Err(AudioError::NoAudioTrack {
            name: name.to_owned(),
        }),
    }
}

/// The playable length a track declares, in seconds, if it is plausible.
fn declared_seconds(track: &Track, sample_rate: u32) -> Option<f64> {
    let seconds = match (track.num_frames, sample_rate) {
        (Some(frames), rate) if rate > 0 => frames as f64 / f64::from(rate),
        _ => {
            let tb = track.time_base?;
            let dur = track.duration?;
            dur.get() as f64 * f64::from(tb.numer.get()) / f64::from(tb.denom.get())
        }
    };
    (seconds.is_finite() && seconds > 0.0).then_some(seconds)
}

/// Converts a duration in time-base units to frames at `sample_rate`.
fn timeline_frames(ticks: u64, tb: TimeBase, sample_rate: u32) -> Option<u64> {
    let num = u128::from(ticks) * u128::from(tb.numer.get()) * u128::from(sample_rate);
    let den = u128::from(tb.denom.get());
    u64::try_from((num + den / 2) / den).ok()
}

fn unsupported_detail(params: &AudioCodecParameters, what: &str) -> String {
    let label = codec_label(params);
    if params.codec == CODEC_ID_AAC {
        let channels = params.channels.as_ref().map_or(0, |c| c.count());
        let layout = if channels > 0 {
            format!("{channels}-channel ")
        } else {
            String::new()
        };
        return format!(
            "this {layout}AAC track needs features beyond AAC-LC mono/stereo (HE-AAC, surround or coupling): {what}"
        );
    }
    // Symphonia prefixes its messages with the codec name already.
    let what = what.strip_prefix(&format!("{label}: ")).unwrap_or(what);
    format!("{label}: {what}")
}

fn codec_label(params: &AudioCodecParameters) -> String {
    if params.codec == CODEC_ID_OPUS {
        return "Opus".to_owned();
    }
    match symphonia::default::get_codecs().get_audio_decoder(params.codec) {
        Some(d) => d.codec.info.short_name.to_owned(),
        None => format!("codec {}", params.codec),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_names_known_containers() {
        assert_eq!(sniff_container(b"RIFF\x10\0\0\0WAVEfmt "), Some("WAV"));
        assert_eq!(sniff_container(b"\0\0\0\x20ftypM4A "), Some("MP4"));
        assert_eq!(sniff_container(b"fLaC\0\0\0\x22"), Some("FLAC"));
        assert_eq!(sniff_container(b"OggS\0\x02"), Some("Ogg"));
        assert_eq!(sniff_container(b"ID3\x03\0"), Some("MP3 (ID3-tagged)"));
        assert_eq!(sniff_container(b"hello, world"), None);
        assert_eq!(sniff_container(b""), None);
    }

    #[test]
    fn probe_errors_are_classified() {
        let unsupported =
            || SymphoniaError::Unsupported("core (probe): no suitable format reader found");
        let err = probe_error(unsupported(), b"just some text", "a.ogg");
        assert!(matches!(err, AudioError::NotAudio { .. }), "{err}");
        let err = probe_error(unsupported(), b"\0\0\0\x20ftypisom", "b.m4a");
        assert!(matches!(err, AudioError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("MP4"), "{err}");
        let eof = SymphoniaError::IoError(io::Error::from(io::ErrorKind::UnexpectedEof));
        assert!(matches!(
            probe_error(eof, b"fLaC", "c.flac"),
            AudioError::Corrupt { .. }
        ));
        let denied = SymphoniaError::IoError(io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(matches!(
            probe_error(denied, b"", "d.wav"),
            AudioError::Io { .. }
        ));
    }

    #[test]
    fn timeline_conversion() {
        let tb = |n, d| TimeBase::new(n, d);
        let one = std::num::NonZero::new(1).unwrap();
        let khz = std::num::NonZero::new(1000).unwrap();
        assert_eq!(timeline_frames(1500, tb(one, khz), 44_100), Some(66_150));
        let rate = std::num::NonZero::new(44_100).unwrap();
        assert_eq!(timeline_frames(44_100, tb(one, rate), 22_050), Some(22_050));
    }

    #[test]
    fn empty_and_oversized_inputs_are_refused_before_decoding() {
        let limits = DecodeLimits {
            max_file_bytes: 4,
            ..DecodeLimits::default()
        };
        let err = decode_bytes(Vec::new(), Some("mp3"), "none.mp3", &limits).unwrap_err();
        assert!(matches!(err, AudioError::Empty { .. }), "{err}");
        let err = decode_bytes(vec![0; 5], None, "big.wav", &limits).unwrap_err();
        assert!(
            matches!(
                err,
                AudioError::TooLarge {
                    bytes: 5,
                    max_bytes: 4,
                    ..
                }
            ),
            "{err}"
        );
    }
}
