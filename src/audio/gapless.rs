//! Encoder delay ("priming") and end padding removal.
//!
//! Lossy encoders add silence at the start (the codec's look-ahead) and pad the end to a whole
//! frame. If it is not removed, every lyric timestamp lands late by the priming length. Per format:
//!
//! * **MP3**: Symphonia reads the LAME/Xing tag and trims the encoder delay plus the 529-frame
//!   decoder delay at the start and the padding at the end, as FFmpeg does. Without a LAME tag
//!   neither tool trims anything.
//! * **Ogg Vorbis**: Symphonia trims by granule position (start and end), as FFmpeg does.
//! * **FLAC, WAV, ALAC**: no delay to remove.
//! * **AAC in MP4/M4A**: Symphonia trims nothing, so this module reads the container itself (see
//!   [`Mp4Gapless`]): the edit list's media time is the priming (FFmpeg's own encoder writes 1024,
//!   iTunes writes 2112), and where no edit list is present, the iTunes `iTunSMPB` tag. With
//!   neither, FFmpeg trims nothing and neither do we. The end is cut to the playable length the
//!   container states (sample durations, edit duration, `iTunSMPB` sample count) - this yields the
//!   length of the original recording, where FFmpeg 5.1 (which the tests compare against) keeps
//!   the final frame's padding. Like FFmpeg, the edit list is honoured for any codec in MP4
//!   (MP3-in-MP4 too) and `iTunSMPB` for AAC only.
//! * **Raw ADTS AAC**: carries no delay information; nothing is trimmed (FFmpeg does the same).

use std::io::{Read, Seek, SeekFrom};

/// Largest `moov` box read into memory; real audio files are far below this.
const MAX_MOOV_BYTES: u64 = 64 * 1024 * 1024;

/// Most top-level boxes walked before giving up on finding `moov`.
const MAX_TOP_LEVEL_BOXES: usize = 4096;

/// Deepest box nesting followed while looking for metadata.
const MAX_DEPTH: usize = 12;

/// Where the priming figure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GaplessSource {
    EditList,
    ITunSmpb,
}

/// Gapless information for one MP4 audio track, in frames at the track's sample rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mp4Gapless {
    /// Frames to drop from the start of the decoded stream.
    pub priming: u64,
    /// Upper bound on the playable frames that follow the priming, where the container states one.
    pub playable: Option<u64>,
    pub source: GaplessSource,
}

/// Raw timing boxes of one `trak`.
#[derive(Debug, Default, Clone)]
struct TrakInfo {
    track_id: Option<u32>,
    media_timescale: Option<u32>,
    is_sound: bool,
    /// (segment duration in movie timescale, media time in media timescale)
    edits: Vec<(u64, i64)>,
}

/// What was read from the `moov` box.
#[derive(Debug, Default, Clone)]
struct MoovInfo {
    movie_timescale: Option<u32>,
    traks: Vec<TrakInfo>,
    itunsmpb: Option<String>,
}

/// Reads gapless information for the track with `track_id` from an MP4 file.
///
/// `sample_rate` is the decoded sample rate and `is_aac` selects whether the iTunes tag applies
/// (FFmpeg uses it for AAC only). Returns `None` when the file states nothing usable; any parse
/// problem also gives `None` rather than an error, since this is only a refinement.
pub fn read_mp4_gapless<R: Read + Seek + ?Sized>(
    reader: &mut R,
    track_id: u32,
    sample_rate: u32,
    is_aac: bool,
) -> Option<Mp4Gapless> {
    let moov = read_moov(reader)?;
    let info = parse_moov(&moov);
    plan(&info, track_id, sample_rate, is_aac)
}

fn plan(info: &MoovInfo, track_id: u32, sample_rate: u32, is_aac: bool) -> Option<Mp4Gapless> {
    if sample_rate == 0 {
        return None;
    }
    let trak = info
        .traks
        .iter()
        .find(|t| t.track_id == Some(track_id))
        .or_else(|| {
            // Files with a broken tkhd: fall back to the sole sound track.
            let mut sound = info.traks.iter().filter(|t| t.is_sound);
            match (sound.next(), sound.next()) {
                (Some(t), None) => Some(t),
                _ => None,
            }
        });

    let smpb = if is_aac {
        info.itunsmpb.as_deref().and_then(parse_itunsmpb)
    } else {
        None
    };

    if let Some(trak) = trak {
        // Leading empty edits (media time -1) only shift presentation; the first real edit says
        // where playback starts inside the media.
        let mut real = trak.edits.iter().filter(|(_, media_time)| *media_time >= 0);
        if let (Some(&(segment, media_time)), Some(media_ts)) = (real.next(), trak.media_timescale)
        {
            let only_edit = real.next().is_none();
            let priming = rescale(media_time as u64, media_ts, sample_rate, Rounding::Nearest)?;
            let mut playable = None;
            if let (true, Some(movie_ts)) = (only_edit && segment > 0, info.movie_timescale) {
                // Edit durations are in the (often coarse) movie timescale: round up so that
                // no real sample is cut.
                playable = rescale(segment, movie_ts, sample_rate, Rounding::Up);
            }
            if let Some(s) = smpb.filter(|s| s.priming == priming) {
                playable = Some(playable.map_or(s.total, |p| p.min(s.total)));
            }
            return Some(Mp4Gapless {
                priming,
                playable,
                source: GaplessSource::EditList,
            });
        }
    }

    smpb.map(|s| Mp4Gapless {
        priming: s.priming,
        playable: Some(s.total),
        source: GaplessSource::ITunSmpb,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Smpb {
    priming: u64,
    total: u64,
}

/// Parses the iTunes gapless tag: ` 00000000 PRIMING REMAINDER TOTAL ...` in hex.
fn parse_itunsmpb(value: &str) -> Option<Smpb> {
    let mut fields = value
        .split_whitespace()
        .map(|f| u64::from_str_radix(f, 16).ok());
    let _reserved = fields.next()??;
    let priming = fields.next()??;
    let _remainder = fields.next()??;
    let total = fields.next()??;
    // FFmpeg ignores implausible priming the same way.
    if priming == 0 || priming >= 16_384 || total == 0 {
        return None;
    }
    Some(Smpb { priming, total })
}

#[derive(Clone, Copy)]
enum Rounding {
    Nearest,
    Up,
}

/// Converts `value` ticks of `from` Hz into ticks of `to` Hz.
fn rescale(value: u64, from: u32, to: u32, rounding: Rounding) -> Option<u64> {
    if from == 0 {
        return None;
    }
    let num = u128::from(value) * u128::from(to);
    let den = u128::from(from);
    let out = match rounding {
        Rounding::Nearest => (num + den / 2) / den,
        Rounding::Up => num.div_ceil(den),
    };
    u64::try_from(out).ok()
}

/// Header of one box: its type, and the payload's offset and length relative to the header start.
struct BoxHeader {
    kind: [u8; 4],
    header_len: u64,
    /// Payload length; `None` means "to the end of the enclosing space".
    payload_len: Option<u64>,
}

fn parse_header(bytes: &[u8]) -> Option<BoxHeader> {
    let size = u32::from_be_bytes(bytes.get(0..4)?.try_into().ok()?);
    let kind: [u8; 4] = bytes.get(4..8)?.try_into().ok()?;
    match size {
        0 => Some(BoxHeader {
            kind,
            header_len: 8,
            payload_len: None,
        }),
        1 => {
            let large = u64::from_be_bytes(bytes.get(8..16)?.try_into().ok()?);
            Some(BoxHeader {
                kind,
                header_len: 16,
                payload_len: Some(large.checked_sub(16)?),
            })
        }
        2..=7 => None,
        n => Some(BoxHeader {
            kind,
            header_len: 8,
            payload_len: Some(u64::from(n) - 8),
        }),
    }
}

/// Finds the top-level `moov` box and returns its payload.
fn read_moov<R: Read + Seek + ?Sized>(reader: &mut R) -> Option<Vec<u8>> {
    let end = reader.seek(SeekFrom::End(0)).ok()?;
    let mut pos = 0u64;
    for _ in 0..MAX_TOP_LEVEL_BOXES {
        if end.checked_sub(pos)? < 8 {
            return None;
        }
        reader.seek(SeekFrom::Start(pos)).ok()?;
        let mut head = [0u8; 16];
        let available = usize::try_from((end - pos).min(16)).ok()?;
        reader.read_exact(&mut head[..available]).ok()?;
        let header = parse_header(&head[..available])?;
        let payload_start = pos.checked_add(header.header_len)?;
        let payload_len = match header.payload_len {
            Some(len) => len,
            None => end.checked_sub(payload_start)?,
        };
        if &header.kind == b"moov" {
            if payload_len > MAX_MOOV_BYTES || payload_start.checked_add(payload_len)? > end {
                return None;
            }
            let mut payload = vec![0u8; usize::try_from(payload_len).ok()?];
            reader.seek(SeekFrom::Start(payload_start)).ok()?;
            reader.read_exact(&mut payload).ok()?;
            return Some(payload);
        }
        pos = payload_start.checked_add(payload_len)?;
    }
    None
}

/// Iterates over the boxes packed in `bytes`, yielding (type, payload). Stops at the first
/// malformed header.
fn boxes(bytes: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        let header = parse_header(rest)?;
        let start = usize::try_from(header.header_len).ok()?;
        let len = match header.payload_len {
            Some(len) => usize::try_from(len).ok()?,
            None => rest.len().checked_sub(start)?,
        };
        let end = start.checked_add(len)?;
        let payload = rest.get(start..end)?;
        rest = &rest[end..];
        Some((header.kind, payload))
    })
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn be_u64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

fn parse_moov(moov: &[u8]) -> MoovInfo {
    let mut info = MoovInfo::default();
    for (kind, payload) in boxes(moov) {
        match &kind {
            b"mvhd" => info.movie_timescale = parse_timescale(payload),
            b"trak" => info.traks.push(parse_trak(payload, &mut info.itunsmpb)),
            b"udta" | b"meta" => find_itunsmpb(&kind, payload, 0, &mut info.itunsmpb),
            _ => {}
        }
    }
    info
}

/// Timescale of an `mvhd` or `mdhd` payload (both share the layout up to it).
fn parse_timescale(payload: &[u8]) -> Option<u32> {
    let at = match payload.first()? {
        0 => 12,
        1 => 20,
        _ => return None,
    };
    be_u32(payload, at).filter(|&ts| ts > 0)
}

fn parse_trak(trak: &[u8], itunsmpb: &mut Option<String>) -> TrakInfo {
    let mut info = TrakInfo::default();
    for (kind, payload) in boxes(trak) {
        match &kind {
            b"tkhd" => {
                let at = match payload.first() {
                    Some(0) => 12,
                    Some(1) => 20,
                    _ => continue,
                };
                info.track_id = be_u32(payload, at);
            }
            b"edts" => {
                for (kind, elst) in boxes(payload) {
                    if &kind == b"elst" {
                        info.edits = parse_elst(elst).unwrap_or_default();
                    }
                }
            }
            b"mdia" => {
                for (kind, payload) in boxes(payload) {
                    match &kind {
                        b"mdhd" => info.media_timescale = parse_timescale(payload),
                        b"hdlr" => info.is_sound = payload.get(8..12) == Some(b"soun"),
                        _ => {}
                    }
                }
            }
            b"udta" | b"meta" => find_itunsmpb(&kind, payload, 0, itunsmpb),
            _ => {}
        }
    }
    info
}

fn parse_elst(payload: &[u8]) -> Option<Vec<(u64, i64)>> {
    let version = *payload.first()?;
    let count = usize::try_from(be_u32(payload, 4)?).ok()?;
    let entry_len = match version {
        0 => 12,
        1 => 20,
        _ => return None,
    };
    // The count is untrusted: bound it by the bytes actually present.
    let present = payload.len().saturating_sub(8) / entry_len;
    let mut edits = Vec::with_capacity(count.min(present));
    for i in 0..count.min(present) {
        let at = 8 + i * entry_len;
        let edit = match version {
            0 => (
                u64::from(be_u32(payload, at)?),
                i64::from(be_u32(payload, at + 4)? as i32),
            ),
            _ => (be_u64(payload, at)?, be_u64(payload, at + 8)? as i64),
        };
        edits.push(edit);
    }
    Some(edits)
}

/// Walks `udta`/`meta`/`ilst` looking for the `----:com.apple.iTunes:iTunSMPB` freeform tag.
fn find_itunsmpb(kind: &[u8; 4], payload: &[u8], depth: usize, out: &mut Option<String>) {
    if out.is_some() || depth > MAX_DEPTH {
        return;
    }
    match kind {
        b"udta" | b"ilst" => {
            for (kind, child) in boxes(payload) {
                find_itunsmpb(&kind, child, depth + 1, out);
            }
        }
        b"meta" => {
            // ISO `meta` is a full box (4 bytes of version and flags); QuickTime's is not.
            let children = if payload.get(4..8) == Some(b"hdlr") {
                payload
            } else {
                payload.get(4..).unwrap_or(&[])
            };
            for (kind, child) in boxes(children) {
                find_itunsmpb(&kind, child, depth + 1, out);
            }
        }
        b"----" => {
            let mut is_smpb = false;
            let mut value = None;
            for (kind, child) in boxes(payload) {
                match &kind {
                    b"name" => is_smpb = child.get(4..) == Some(b"iTunSMPB"),
                    b"data" => {
                        value = child
                            .get(8..)
                            .map(|v| String::from_utf8_lossy(v).into_owned())
                    }
                    _ => {}
                }
            }
            if is_smpb {
                *out = value;
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn mp4_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut out = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(payload);
        out
    }

    fn full_box(kind: &[u8; 4], version: u8, body: &[u8]) -> Vec<u8> {
        let mut payload = vec![version, 0, 0, 0];
        payload.extend_from_slice(body);
        mp4_box(kind, &payload)
    }

    fn header_with_timescale(kind: &[u8; 4], timescale: u32) -> Vec<u8> {
        let mut body = vec![0u8; 8];
        body.extend_from_slice(&timescale.to_be_bytes());
        body.extend_from_slice(&0u32.to_be_bytes());
        full_box(kind, 0, &body)
    }

    fn trak(track_id: u32, media_ts: u32, edits: &[(u32, i32)]) -> Vec<u8> {
        let mut tkhd = vec![0u8; 8];
        tkhd.extend_from_slice(&track_id.to_be_bytes());
        let mut elst = (edits.len() as u32).to_be_bytes().to_vec();
        for (segment, media_time) in edits {
            elst.extend_from_slice(&segment.to_be_bytes());
            elst.extend_from_slice(&media_time.to_be_bytes());
            elst.extend_from_slice(&[0, 1, 0, 0]);
        }
        let mut hdlr = vec![0u8; 4];
        hdlr.extend_from_slice(b"soun");
        let mdia = [
            header_with_timescale(b"mdhd", media_ts),
            full_box(b"hdlr", 0, &hdlr),
        ]
        .concat();
        let payload = [
            full_box(b"tkhd", 0, &tkhd),
            mp4_box(b"edts", &full_box(b"elst", 0, &elst)),
            mp4_box(b"mdia", &mdia),
        ]
        .concat();
        mp4_box(b"trak", &payload)
    }

    fn itunsmpb_udta(value: &str) -> Vec<u8> {
        let mean = full_box(b"mean", 0, b"com.apple.iTunes");
        let name = full_box(b"name", 0, b"iTunSMPB");
        let mut data = vec![0, 0, 0, 1, 0, 0, 0, 0];
        data.extend_from_slice(value.as_bytes());
        let freeform = mp4_box(b"----", &[mean, name, mp4_box(b"data", &data)].concat());
        let ilst = mp4_box(b"ilst", &freeform);
        let meta = full_box(
            b"meta",
            0,
            &[full_box(b"hdlr", 0, &[0u8; 21]), ilst].concat(),
        );
        mp4_box(b"udta", &meta)
    }

    fn file(moov_children: &[Vec<u8>]) -> Cursor<Vec<u8>> {
        let ftyp = mp4_box(b"ftyp", b"M4A \0\0\0\0");
        let mdat = mp4_box(b"mdat", &[0u8; 100]);
        Cursor::new([ftyp, mdat, mp4_box(b"moov", &moov_children.concat())].concat())
    }

    #[test]
    fn ffmpeg_style_edit_list() {
        let mut f = file(&[
            header_with_timescale(b"mvhd", 1000),
            trak(1, 44_100, &[(1501, 1024)]),
        ]);
        let g = read_mp4_gapless(&mut f, 1, 44_100, true).unwrap();
        assert_eq!(g.priming, 1024);
        // 1501 ms at 44.1 kHz is 66194.1 frames, rounded up.
        assert_eq!(g.playable, Some(66_195));
        assert_eq!(g.source, GaplessSource::EditList);
    }

    #[test]
    fn itunes_tag_without_edit_list() {
        let smpb = " 00000000 00000840 000001C0 0000000000046E00 00000000";
        let mut f = file(&[
            header_with_timescale(b"mvhd", 600),
            trak(1, 44_100, &[]),
            itunsmpb_udta(smpb),
        ]);
        let g = read_mp4_gapless(&mut f, 1, 44_100, true).unwrap();
        assert_eq!(
            g,
            Mp4Gapless {
                priming: 2112,
                playable: Some(0x46E00),
                source: GaplessSource::ITunSmpb
            }
        );
        // Not applied to other codecs.
        assert_eq!(read_mp4_gapless(&mut f, 1, 44_100, false), None);
    }

    #[test]
    fn edit_list_wins_and_tag_tightens_the_end() {
        let smpb = " 00000000 00000840 000001C0 0000000000010000";
        let mut f = file(&[
            header_with_timescale(b"mvhd", 600),
            trak(1, 44_100, &[(1000, 2112)]),
            itunsmpb_udta(smpb),
        ]);
        let g = read_mp4_gapless(&mut f, 1, 44_100, true).unwrap();
        assert_eq!(g.priming, 2112);
        assert_eq!(g.playable, Some(0x10000));
    }

    #[test]
    fn empty_edit_skipped_and_timescale_converted() {
        let mut f = file(&[
            header_with_timescale(b"mvhd", 1000),
            trak(2, 22_050, &[(10, -1), (2000, 1056)]),
        ]);
        let g = read_mp4_gapless(&mut f, 2, 44_100, true).unwrap();
        assert_eq!(g.priming, 2112);
        assert_eq!(g.playable, Some(88_200));
    }

    #[test]
    fn nothing_known_gives_none() {
        let mut f = file(&[header_with_timescale(b"mvhd", 1000), trak(1, 44_100, &[])]);
        assert_eq!(read_mp4_gapless(&mut f, 1, 44_100, true), None);
    }

    #[test]
    fn hostile_boxes_do_not_panic() {
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![0, 0, 0, 1, b'm', b'o', b'o', b'v'],
            vec![
                0, 0, 0, 1, b'm', b'o', b'o', b'v', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            ],
            vec![0xff, 0xff, 0xff, 0xff, b'm', b'o', b'o', b'v', 0, 0],
            [
                vec![0, 0, 0, 0],
                b"moov".to_vec(),
                mp4_box(
                    b"trak",
                    &mp4_box(b"edts", &[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]),
                ),
            ]
            .concat(),
            [vec![0, 0, 0, 3], b"ftyp".to_vec()].concat(),
        ];
        for bytes in cases {
            let _ = read_mp4_gapless(&mut Cursor::new(bytes), 1, 44_100, true);
        }
        assert_eq!(parse_itunsmpb("zz"), None);
        assert_eq!(parse_itunsmpb(" 0 ffffffffffffffffffff 0 1"), None);
    }
}
