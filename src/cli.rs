//! Command-line interface (clap derive): `live`, `analyze`, `sessions`, `export`, `review`, `annotate`, `report`,
//! `compare`,
//! `devices`, `eval`, `config`, `completions`, `man`. One `#[derive(Args)]` struct per subcommand, handed whole to
//! its runner in `commands`.
//!
//! The doc comments here are clap's help text, written for a terminal (`[store] dir` names a config table), not
//! Markdown: rustdoc's link check does not apply to them.
#![allow(rustdoc::broken_intra_doc_links)]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};

use emotrace::classify::ModelKind;

/// emotrace: faces and their emotions, live in the terminal, stored for review.
#[derive(Debug, Parser)]
#[command(name = "emotrace", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Session store folder [default: $XDG_DATA_HOME/emotrace, or [store] dir in the config]
    #[arg(long, global = true, env = "EMOTRACE_STORE", value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// Configuration file (TOML; keys as in `emotrace config --template`)
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Pipeline options shared by `live` and `analyze`.
#[derive(Debug, Args, Clone)]
pub struct PipelineArgs {
    /// How an rtsp:// input's video travels: tcp (interleaved on the RTSP connection; the default) or udp
    #[arg(long, value_enum, value_name = "TRANSPORT")]
    pub rtsp_transport: Option<emotrace::capture::rtsp::RtspTransport>,
    /// Emotion model [default: [classify] model in the config, "ensemble"]
    #[arg(long, value_enum)]
    pub model: Option<ModelKind>,
    /// Face detector [default: [detect] backend in the config, "yunet"]
    #[arg(long, value_enum)]
    pub detector: Option<emotrace::detect::Backend>,
    /// Smallest face to find, pixels of the source frame; decides the detector's input size [default: [detect]
    /// min_face_px, 20]
    #[arg(long, value_name = "PIXELS")]
    pub min_face_px: Option<f32>,
    /// Fixed resize factor for face detection, in (0, 2], instead of the one --min-face-px gives
    #[arg(long, value_name = "FACTOR")]
    pub detect_scale: Option<f32>,
    /// Detect faces on every N-th frame only and predict the boxes in between (py-feat's skip_frames) [default:
    /// the lecture schedule, every [detect] interval_s of video, faster while tracks are uncertain]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub detect_every: Option<u32>,
    /// Accuracy first: detect every frame of a file and classify every face on every frame (several times slower
    /// than the default lecture schedule); live sources detect as often as the detector keeps up
    #[arg(long)]
    pub every_frame: bool,
    /// Classify each face this many times per second of video (files; live sources: at least) [default:
    /// [classify] min_rate_hz, 10]
    #[arg(long, value_name = "HZ", value_parser = parse_hz)]
    pub classify_hz: Option<f64>,
    /// Pace a file at its own frame rate, as a camera would deliver it (frames may then be dropped)
    #[arg(long)]
    pub realtime: bool,
    /// Start a file again when it ends
    #[arg(long = "loop")]
    pub looped: bool,
    /// Read a folder of numbered frames as one video at this frame rate (faces tracked across images);
    /// without it, each image of a folder is its own scene
    #[arg(long, value_name = "FPS", value_parser = parse_frame_rate)]
    pub frame_rate: Option<f64>,
}

/// A classification rate: a number of times per second, greater than 0 and at most 1000.
fn parse_hz(s: &str) -> Result<f64, String> {
    let v: f64 = s.trim().parse().map_err(|_| format!("'{s}' is not a number"))?;
    if v.is_finite() && v > 0.0 && v <= 1000.0 {
        Ok(v)
    } else {
        Err(format!("{s} is out of range (greater than 0, at most 1000 per second)"))
    }
}

/// A folder's frame rate: frames per second, at least 0.01 (one frame a 100 s) and at most 1000.
fn parse_frame_rate(s: &str) -> Result<f64, String> {
    let v: f64 = s.trim().parse().map_err(|_| format!("'{s}' is not a number"))?;
    if v.is_finite() && (0.01..=1000.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{s} is out of range (0.01 to 1000 frames per second)"))
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Live screen: faces as panels with emotions and trends; the session is stored
    #[command(after_help = emotrace::lawful_use::ONE_LINE)]
    Live(LiveArgs),
    /// Headless analysis of files and folders: one progress bar, a summary per input at the end (text, or JSON
    /// Lines with --json); each session is stored
    #[command(after_help = emotrace::lawful_use::ONE_LINE)]
    Analyze(AnalyzeArgs),
    /// List stored sessions with their status, newest first
    Sessions(SessionsArgs),
    /// Export a stored session as CSV, JSON, py-feat's Fex CSV, Parquet or an Excel workbook (stdout, or --out
    /// FILE); with --all, every session as a Parquet dataset
    Export(ExportArgs),
    /// Review stored sessions in the terminal: browse, open, annotate, name and merge faces, delete
    Review(ReviewArgs),
    /// Add, list or delete a stored session's markers and notes, and name its faces, without the review screen
    /// (stored as the review screen stores them)
    Annotate(AnnotateArgs),
    /// Write a stored session as one self-contained HTML report (SVG plots, summary, pipeline figures)
    Report(ReportArgs),
    /// Compare stored sessions (e.g. one lecture over several weeks) on one self-contained HTML page: emotion
    /// shares, valence and facing the front over lecture time, segments sharing a marker label
    Compare(CompareArgs),
    /// What a video file, image or RTSP stream is (container, codec, profile, size, frame rate, duration, frame
    /// count) and which decoder emotrace reads it with; creates no session
    Probe(ProbeArgs),
    /// List cameras and the formats they offer
    Devices,
    /// Accuracy of the emotion models on a FER2013-layout split
    Eval(EvalArgs),
    /// Show the configuration
    Config(ConfigArgs),
    /// Post a stored session's class-level xAPI statements to a Learning Record Store (credentials from
    /// EMOTRACE_LRS_USER and EMOTRACE_LRS_PASSWORD or the configuration's [lrs], never the command line); sending
    /// again adds nothing
    Send(SendArgs),
    /// Print a shell completion script (bash, zsh or fish) on stdout
    Completions(CompletionsArgs),
    /// Print the manual page (roff, for man(1)) on stdout, or write one page per subcommand with --dir
    Man(ManArgs),
}

/// `emotrace live`.
#[derive(Debug, Clone, Args)]
pub struct LiveArgs {
    /// Video file (MP4/MOV H.264 built in; other codecs and containers through ffmpeg), rtsp://[user[:password]@]host[:port]/path, image, or folder of images; omit to use a camera
    pub input: Option<PathBuf>,
    /// Camera index (as `emotrace devices` lists) or part of its name
    #[arg(long, value_name = "N|NAME", conflicts_with = "input")]
    pub camera: Option<String>,
    /// Requested camera frame width in pixels [default: [camera] width]
    #[arg(long, value_name = "PIXELS")]
    pub width: Option<u32>,
    /// Requested camera frame height in pixels [default: [camera] height]
    #[arg(long, value_name = "PIXELS")]
    pub height: Option<u32>,
    /// Requested camera frame rate [default: [camera] fps]
    #[arg(long, value_name = "FPS")]
    pub camera_fps: Option<u32>,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    /// Do not store the session
    #[arg(long)]
    pub no_record: bool,
    /// Refresh the screen at most this many times per second [default: [tui] ui_fps]
    #[arg(long, value_name = "FPS")]
    pub ui_fps: Option<u32>,
    /// ASCII-only drawing (no Unicode blocks), for weak terminals
    #[arg(long)]
    pub ascii: bool,
    /// Open the session to other programs over HTTP on ADDR (HOST:PORT, e.g. 127.0.0.1:8765): GET /events (Server-Sent
    /// Events of JSON: session start and stop, each frame's class summary, faces with ?faces=1, markers, names),
    /// POST /markers, GET /session. Off by default; beyond loopback it needs --token
    #[arg(long, value_name = "ADDR", value_parser = parse_listen)]
    pub listen: Option<std::net::SocketAddr>,
    /// The Bearer token every HTTP request must carry (Authorization: Bearer TOKEN); required with --listen on an
    /// address other machines reach. Prefer the environment variable: a command line is visible to other users
    #[arg(long, env = "EMOTRACE_API_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Run without the screen (no terminal needed), until the source ends or a signal: e.g. --listen on a lab
    /// machine without a terminal
    #[arg(long)]
    pub headless: bool,
}

/// A listening address: `HOST:PORT` (an IP address or a name such as `localhost`; its first address is used).
fn parse_listen(s: &str) -> Result<std::net::SocketAddr, String> {
    use std::net::ToSocketAddrs;
    let bad = || format!("'{s}' is not an address to listen on: use HOST:PORT, e.g. 127.0.0.1:8765");
    s.to_socket_addrs().map_err(|_| bad())?.next().ok_or_else(bad)
}

/// `emotrace analyze`.
#[derive(Debug, Clone, Args)]
pub struct AnalyzeArgs {
    /// Video files (MP4/MOV H.264 built in; HEVC, VP9, AV1, MKV/WebM, AVI, MPEG-TS... through ffmpeg), rtsp:// streams
    /// (recorded like `live`, without the screen; Ctrl-C stops), images, or folders; a folder is one input (its images, or its frames with
    /// --frame-rate) when it holds images only, else each video in it, sorted by name, is an input of its own
    #[arg(required_unless_present = "resume", num_args = 1.., value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    /// Analyse this many inputs at once (each on its own pipeline)
    #[arg(long, short = 'j', value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// Print JSON Lines on stdout (one object per input, in the order of the inputs) instead of the text summary
    #[arg(long)]
    pub json: bool,
    /// Do not store the sessions
    #[arg(long, conflicts_with = "resume")]
    pub no_record: bool,
    /// Write the HTML report of each input's session when it is done (one input: FILE; several: FILE's name with
    /// the session id added, e.g. lecture-20261206-101500.html)
    #[arg(long, value_name = "FILE.html", conflicts_with = "no_record")]
    pub report: Option<PathBuf>,
    /// Continue an interrupted session (killed, or stopped by a signal) from its last stored frame, in the same
    /// session; its input is read again from its stored path unless INPUT is given
    #[arg(long, value_name = "SESSION", add = ArgValueCandidates::new(session_ids))]
    pub resume: Option<String>,
    /// Start a new session even when INPUT's latest session was interrupted (by default it is resumed)
    #[arg(long, conflicts_with = "resume")]
    pub fresh: bool,
}

/// `emotrace sessions`.
#[derive(Debug, Clone, Args)]
pub struct SessionsArgs {
    /// Print one JSON object on stdout (sessions newest first, as in the table)
    #[arg(long)]
    pub json: bool,
}

/// `emotrace export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Session id (as `sessions` lists it) or a unique prefix of one
    #[arg(required_unless_present = "all", conflicts_with = "all", add = ArgValueCandidates::new(session_ids))]
    pub session: Option<String>,
    /// Every stored session, as a Parquet dataset under --out DIR: one Hive-partitioned folder per table
    /// (DIR/observations/date=YYYY-MM-DD/session=ID/part-0.parquet, and DIR/annotations/... for markers and notes)
    #[arg(long, requires = "out")]
    pub all: bool,
    /// csv: one row per observation; json: the whole session as one object; fex: py-feat's Fex layout;
    /// parquet: typed columns; xlsx: an Excel workbook, one sheet per table; xapi: class-level xAPI statements (a
    /// JSON array, as `send` posts them)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: ExportFormat,
    /// xapi: the class's pseudonym, the statements' Group actor (a class, never a person)
    #[arg(long, value_name = "NAME")]
    pub group: Option<String>,
    /// Write to FILE instead of stdout (with --all: the dataset folder); with --format csv or parquet, markers
    /// and notes go to FILE.annotations.csv or FILE.annotations.parquet
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// fex: emotion columns hold the per-track smoothed probabilities instead of the raw per-frame ones
    #[arg(long)]
    pub smoothed: bool,
    /// csv, fex, xlsx: also a row for each processed frame in which no face was observed (csv: with a last column
    /// `success`, 1 on a face's row and 0 on such a frame's, as OpenFace writes them; fex: the face columns empty,
    /// as py-feat writes them)
    #[arg(long)]
    pub include_empty_frames: bool,
    /// csv: start the file (and FILE.annotations.csv) with a UTF-8 byte-order mark, for LibreOffice's and
    /// Excel's CSV import
    #[arg(long)]
    pub bom: bool,
}

/// What `export --format` names: one of the store's formats, or xAPI statements (written by the `api` front end,
/// from the session's summaries, not its observations).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// A format of [`emotrace::store::export`].
    Session(emotrace::store::export::Format),
    /// xAPI statements ([`emotrace::api::xapi`]).
    Xapi,
}

impl clap::ValueEnum for ExportFormat {
    fn value_variants<'a>() -> &'a [Self] {
        static ALL: std::sync::OnceLock<Vec<ExportFormat>> = std::sync::OnceLock::new();
        ALL.get_or_init(|| {
            let mut all: Vec<ExportFormat> =
                emotrace::store::export::Format::value_variants().iter().map(|f| ExportFormat::Session(*f)).collect();
            all.push(ExportFormat::Xapi);
            all
        })
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        match self {
            ExportFormat::Session(f) => f.to_possible_value(),
            ExportFormat::Xapi => Some(
                clap::builder::PossibleValue::new("xapi")
                    .help("Class-level xAPI 1.0.3 statements as one JSON array: the session, each segment between markers, each marker"),
            ),
        }
    }
}

impl ExportArgs {
    /// What the export holds (`--smoothed`, `--bom`).
    pub fn options(&self) -> emotrace::store::export::Options {
        emotrace::store::export::Options {
            smoothed: self.smoothed,
            bom: self.bom,
            empty_frames: self.include_empty_frames,
        }
    }
}

/// `emotrace review`.
#[derive(Debug, Clone, Args)]
pub struct ReviewArgs {
    /// Open this session (id or unique prefix) at once instead of the sessions browser
    #[arg(add = ArgValueCandidates::new(session_ids))]
    pub session: Option<String>,
    /// Plain ASCII drawing (no Unicode blocks or box lines)
    #[arg(long)]
    pub ascii: bool,
}

/// `emotrace annotate`: exactly one of `--marker`, `--note`, `--name`, `--list`, `--delete`.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("action").required(true).args(["marker", "note", "name", "list", "delete"])))]
pub struct AnnotateArgs {
    /// Session id (as `sessions` lists it) or a unique prefix of one
    pub session: String,
    /// Add a marker with this label at --at TIME
    #[arg(long, value_name = "LABEL", requires = "at")]
    pub marker: Option<String>,
    /// Add a note with this text at --at TIME, or over --from TIME [--to TIME]
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Name face TRACK (its id, as `Face 3` shows it) NAME; an empty NAME removes the name
    #[arg(long, num_args = 2, value_names = ["TRACK", "NAME"], allow_hyphen_values = true)]
    pub name: Option<Vec<String>>,
    /// List the session's markers, notes and named faces
    #[arg(long)]
    pub list: bool,
    /// Delete the marker or note with this id (as --list shows it)
    #[arg(long, value_name = "ID")]
    pub delete: Option<u64>,
    /// When a marker or a note is, since the session start: seconds (12.5), m:ss (1:23.4) or h:mm:ss
    #[arg(long, value_name = "TIME", value_parser = emotrace::fmt::parse_clock, conflicts_with = "from")]
    pub at: Option<u64>,
    /// Where a note's range starts (same forms as --at)
    #[arg(long, value_name = "TIME", value_parser = emotrace::fmt::parse_clock, requires = "note")]
    pub from: Option<u64>,
    /// Where a note's range ends (same forms as --at)
    #[arg(long, value_name = "TIME", value_parser = emotrace::fmt::parse_clock, requires = "from")]
    pub to: Option<u64>,
    /// Print JSON on stdout (the annotation made; with --list, one object of annotations and faces)
    #[arg(long)]
    pub json: bool,
}

/// `emotrace report`.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Session id (as `sessions` lists it) or a unique prefix of one
    #[arg(add = ArgValueCandidates::new(session_ids))]
    pub session: String,
    /// The HTML file to write
    #[arg(long, value_name = "FILE.html")]
    pub out: PathBuf,
}

/// `emotrace compare`.
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// Session ids (as `sessions` lists them) or unique prefixes, two or more, in the order to show them
    #[arg(required = true, num_args = 2.., value_name = "SESSION", add = ArgValueCandidates::new(session_ids))]
    pub sessions: Vec<String>,
    /// The HTML file to write [default: stdout]
    #[arg(long, value_name = "FILE.html")]
    pub out: Option<PathBuf>,
}

/// `emotrace send`.
#[derive(Debug, Clone, Args)]
pub struct SendArgs {
    /// Session id (as `sessions` lists it) or a unique prefix of one
    pub session: String,
    /// The LRS's xAPI endpoint, e.g. https://lrs.example.org/xAPI: statements are posted to URL/statements (Basic
    /// authentication: EMOTRACE_LRS_USER and EMOTRACE_LRS_PASSWORD, else the configuration's [lrs] user and
    /// password_file); default: the configuration's [lrs] url
    #[arg(long, value_name = "URL")]
    pub lrs: Option<String>,
    /// The class's pseudonym, the statements' Group actor (a class, never a person)
    #[arg(long, value_name = "NAME", default_value = "class")]
    pub group: String,
}

/// `emotrace probe`.
#[derive(Debug, Clone, Args)]
pub struct ProbeArgs {
    /// Video file, image, or rtsp://[user[:password]@]host[:port]/path
    pub input: PathBuf,
    /// Print one JSON object on stdout
    #[arg(long)]
    pub json: bool,
}

/// `emotrace eval`.
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// Folder holding NAME-images.u8 and NAME-labels.u8
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// Split name (e.g. public-test)
    #[arg(long, value_name = "NAME")]
    pub split: String,
    /// Model to evaluate
    #[arg(long, value_enum, default_value = "ensemble")]
    pub model: ModelKind,
    /// Print one JSON object on stdout
    #[arg(long)]
    pub json: bool,
}

/// `emotrace config`.
#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// Print the documented default configuration (every key, commented)
    #[arg(long)]
    pub template: bool,
}

/// `emotrace completions`.
#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: Shell,
    /// The program the script runs at each Tab [default: `emotrace` when this binary is the emotrace on PATH,
    /// else this binary's absolute path] (a package's build writes `--program emotrace`)
    #[arg(long, value_name = "PROGRAM")]
    pub program: Option<String>,
}

/// `emotrace man`.
#[derive(Debug, Clone, Args)]
pub struct ManArgs {
    /// Write emotrace.1 and one page per subcommand (emotrace-live.1, ...) into this folder instead of stdout
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Shells `completions` writes scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    /// bash (save as ~/.local/share/bash-completion/completions/emotrace)
    Bash,
    /// zsh (save as _emotrace in a folder of $fpath)
    Zsh,
    /// fish (save as ~/.config/fish/completions/emotrace.fish)
    Fish,
}

/// The stored sessions as completion candidates for a SESSION argument (the shell asks the binary: `emotrace
/// completions`), newest first, each with its status and source as help. The store is `$EMOTRACE_STORE`, else the
/// configuration's (`--store` typed on the same line is not seen: completion runs before parsing). A store that
/// cannot be read gives no candidates.
fn session_ids() -> Vec<CompletionCandidate> {
    let Ok(cfg) = emotrace::config::Config::load(None) else { return Vec::new() };
    let store_flag = std::env::var_os("EMOTRACE_STORE").filter(|v| !v.is_empty()).map(PathBuf::from);
    let Ok(dir) = cfg.store_dir(store_flag.as_deref()) else { return Vec::new() };
    let Ok(sessions) = emotrace::store::Store::open_existing(&dir).and_then(|s| s.list_sessions()) else {
        return Vec::new();
    };
    sessions
        .into_iter()
        .rev()
        .map(|r| {
            let help = emotrace::text::terminal_safe(&format!("{} · {}", r.status.name(), r.source)).into_owned();
            CompletionCandidate::new(r.id).help(Some(help.into()))
        })
        .collect()
}
