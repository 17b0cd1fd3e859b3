//! The callback body (the seed's POST /api/content-agent/callback): what the poller sends when a
//! batch is done, read with serde (every failure named by its path, such as
//! `results[2].status`), and the plan of what gets posted into the Slack thread.

use serde::de::{self, Error as _, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::job::request::{checked, read};
use crate::job::FieldError;

/// How a batch, or one run of it, ended.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Completed,
    Failed,
    Timeout,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Failed => "failed",
            Outcome::Timeout => "timeout",
        }
    }

    fn parse(s: &str) -> Option<Outcome> {
        match s {
            "completed" => Some(Outcome::Completed),
            "failed" => Some(Outcome::Failed),
            "timeout" => Some(Outcome::Timeout),
            _ => None,
        }
    }
}

/// One run's result.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CallbackResult {
    pub run_id: String,
    pub status: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The callback body.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CallbackPayload {
    pub thread_id: String,
    pub status: Outcome,
    #[serde(default)]
    pub results: Vec<CallbackResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

fn field_error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_string(),
        message: message.into(),
    }
}

const STATUS_VALUES: &str = "must be one of completed, failed, timeout";

/// The callback body as sent. Each field's reader checks its own value with the message the
/// API documents; a failure is named by its path (`results[2].status`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    #[serde(default, deserialize_with = "thread_id")]
    thread_id: Option<String>,
    #[serde(default, deserialize_with = "outcome")]
    status: Option<Outcome>,
    #[serde(default, deserialize_with = "results")]
    results: Vec<Item>,
    #[serde(default, deserialize_with = "optional_string")]
    message: Option<String>,
}

/// One run's result as sent.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    #[serde(default, deserialize_with = "run_id")]
    run_id: Option<String>,
    #[serde(default, deserialize_with = "outcome")]
    status: Option<Outcome>,
    #[serde(default, deserialize_with = "optional_string")]
    video_url: Option<String>,
    #[serde(default, deserialize_with = "optional_string")]
    caption_text: Option<String>,
    #[serde(default, deserialize_with = "optional_string")]
    error: Option<String>,
}

impl CallbackPayload {
    /// Parses and validates a request body; every error names the offending field.
    pub fn from_json(bytes: &[u8]) -> Result<CallbackPayload, FieldError> {
        let value: Value =
            serde_json::from_slice(bytes).map_err(|_| field_error("body", "is not valid JSON"))?;
        let body: Body = read(&value)?;
        let thread_id = body
            .thread_id
            .ok_or_else(|| field_error("threadId", "is required"))?;
        SlackThread::parse(&thread_id)?;
        let status = body
            .status
            .ok_or_else(|| field_error("status", "is required"))?;
        let results = body
            .results
            .into_iter()
            .enumerate()
            .map(|(i, item)| item.checked(i))
            .collect::<Result<_, _>>()?;
        Ok(CallbackPayload {
            thread_id,
            status,
            results,
            message: body.message,
        })
    }

    /// The Slack thread the results go to.
    pub fn thread(&self) -> Result<SlackThread, FieldError> {
        SlackThread::parse(&self.thread_id)
    }
}

impl Item {
    /// The `i`th result, with the fields that are required, and a video when completed.
    fn checked(self, i: usize) -> Result<CallbackResult, FieldError> {
        let at = |key: &str| format!("results[{i}].{key}");
        let run_id = self
            .run_id
            .ok_or_else(|| field_error(&at("runId"), "is required"))?;
        let status = self
            .status
            .ok_or_else(|| field_error(&at("status"), "is required"))?;
        if status == Outcome::Completed
            && self
                .video_url
                .as_deref()
                .is_none_or(|u| u.trim().is_empty())
        {
            return Err(field_error(
                &at("videoUrl"),
                "is required when status is completed",
            ));
        }
        Ok(CallbackResult {
            run_id,
            status,
            video_url: self.video_url,
            caption_text: self.caption_text,
            error: self.error,
        })
    }
}

fn thread_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    checked(d, |v| match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        _ => Err("must be a string"),
    })
}

fn run_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    checked(d, |v| match v {
        Value::Null => Ok(None),
        Value::String(s) if !s.trim().is_empty() => Ok(Some(s)),
        _ => Err("must be a non-empty string"),
    })
}

fn outcome<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Outcome>, D::Error> {
    checked(d, |v| match v {
        Value::Null => Ok(None),
        Value::String(s) => Outcome::parse(&s).map(Some).ok_or(STATUS_VALUES),
        _ => Err(STATUS_VALUES),
    })
}

fn optional_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    checked(d, |v| match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        _ => Err("must be a string"),
    })
}

/// The results: an array of objects. Read through the deserializer itself (not a copied
/// value), so that a failure inside an item keeps its path.
fn results<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Item>, D::Error> {
    d.deserialize_any(ResultsVisitor)
}

/// Visitor methods that refuse every JSON kind but the one the visitor reads, with `$message`.
macro_rules! refuse {
    ($message:expr; $($method:ident($t:ty)),*) => {
        $(fn $method<E: de::Error>(self, _: $t) -> Result<Self::Value, E> {
            Err(E::custom($message))
        })*
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Err(E::custom($message))
        }
    };
}

struct ResultsVisitor;

impl<'de> Visitor<'de> for ResultsVisitor {
    type Value = Vec<Item>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of results")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Item>, A::Error> {
        let mut items = Vec::new();
        while let Some(ItemField(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(items)
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Vec<Item>, A::Error> {
        Err(A::Error::custom(NOT_AN_ARRAY))
    }

    refuse!(NOT_AN_ARRAY; visit_bool(bool), visit_i64(i64), visit_u64(u64), visit_f64(f64), visit_str(&str));
}

const NOT_AN_ARRAY: &str = "must be an array (omit it when there are none)";
const NOT_AN_OBJECT: &str = "must be an object";

/// One element of the results: an object, read as an [`Item`].
struct ItemField(Item);

impl<'de> Deserialize<'de> for ItemField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ItemField, D::Error> {
        d.deserialize_any(ItemVisitor)
    }
}

struct ItemVisitor;

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = ItemField;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a result object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ItemField, A::Error> {
        Item::deserialize(de::value::MapAccessDeserializer::new(map)).map(ItemField)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<ItemField, A::Error> {
        Err(A::Error::custom(NOT_AN_OBJECT))
    }

    refuse!(NOT_AN_OBJECT; visit_bool(bool), visit_i64(i64), visit_u64(u64), visit_f64(f64), visit_str(&str));
}

/// A Slack thread, from a thread id of the form "slack:CHANNEL:TS".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackThread {
    pub channel: String,
    pub ts: String,
}

impl SlackThread {
    pub fn parse(thread_id: &str) -> Result<SlackThread, FieldError> {
        let bad =
            |why: &str| field_error("threadId", format!("must be \"slack:CHANNEL:TS\" ({why})"));
        // The hosted pattern first (`^[^:]+:[^:]+:[^:]+$`: PLATFORM:CHANNEL:THREAD), then the
        // platform: a well-formed thread elsewhere is named as such.
        let parts: Vec<&str> = thread_id.split(':').collect();
        let [platform, channel, ts] = parts[..] else {
            return Err(bad("wrong shape"));
        };
        if platform.is_empty() || channel.is_empty() || ts.is_empty() {
            return Err(bad("wrong shape"));
        }
        if platform != "slack" {
            return Err(field_error(
                "threadId",
                format!("threads on {platform:?} are not supported; only Slack threads are"),
            ));
        }
        // Slack ids are short upper-case alphanumerics; the cap keeps junk out of API calls.
        if channel.is_empty()
            || channel.len() > 32
            || !channel.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(bad("the channel must be alphanumeric, like C0123ABC"));
        }
        let ts_ok = ts.len() <= 32
            && ts.split_once('.').is_some_and(|(secs, frac)| {
                !secs.is_empty()
                    && !frac.is_empty()
                    && secs.bytes().all(|b| b.is_ascii_digit())
                    && frac.bytes().all(|b| b.is_ascii_digit())
            });
        if !ts_ok {
            return Err(bad("the ts must look like 1700000000.123456"));
        }
        Ok(SlackThread {
            channel: channel.to_string(),
            ts: ts.to_string(),
        })
    }
}

impl std::fmt::Display for SlackThread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "slack:{}:{}", self.channel, self.ts)
    }
}

/// One thing posted into the thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Post {
    /// A video uploaded as a file, with `comment` as its message.
    Video {
        run_id: String,
        video_url: String,
        comment: String,
    },
    Text(String),
}

/// What goes into the thread for a callback, in order: the videos, then a note on what failed
/// or did not finish; or, when no video came out, why.
pub fn plan_posts(p: &CallbackPayload) -> Vec<Post> {
    let videos: Vec<(&CallbackResult, &str)> = p
        .results
        .iter()
        .filter(|r| r.status == Outcome::Completed)
        .filter_map(|r| match r.video_url.as_deref() {
            Some(url) if !url.trim().is_empty() => Some((r, url)),
            _ => None,
        })
        .collect();
    let total = p.results.len();
    // Counted from what was posted, so a completed run without a video is not silently lost.
    let missing = total - videos.len();
    let several = videos.len() > 1;

    let mut posts: Vec<Post> = videos
        .iter()
        .enumerate()
        .map(|(i, (r, url))| {
            let caption = r.caption_text.as_deref().unwrap_or("").trim();
            // The caption as a quote, as the hosted service posts it.
            let quoted = caption
                .lines()
                .map(|l| format!("> {l}"))
                .collect::<Vec<_>>()
                .join("\n");
            let comment = match (several, caption.is_empty()) {
                (false, _) => quoted,
                (true, true) => format!("**Video {}**", i + 1),
                (true, false) => format!("**Video {}**\n{quoted}", i + 1),
            };
            Post::Video {
                run_id: r.run_id.clone(),
                video_url: url.to_string(),
                comment,
            }
        })
        .collect();

    if !videos.is_empty() {
        if missing > 0 {
            posts.push(Post::Text(if p.status == Outcome::Timeout {
                format!(
                    "{}: {missing} of {total} {} did not finish in time.",
                    timed_out(p),
                    plural(total, "video", "videos")
                )
            } else {
                format!("_{missing} run(s) failed._")
            }));
        }
        return posts;
    }

    let text = if p.status == Outcome::Timeout {
        if total == 0 {
            format!("{} before any video finished.", timed_out(p))
        } else {
            let done = p
                .results
                .iter()
                .filter(|r| r.status == Outcome::Completed)
                .count();
            format!(
                "{}: {done} of {total} {} finished in time.",
                timed_out(p),
                plural(total, "video", "videos")
            )
        }
    } else {
        let reason = p
            .results
            .iter()
            .filter_map(|r| r.error.as_deref())
            .chain(p.message.as_deref())
            .map(str::trim)
            .find(|e| !e.is_empty())
            .unwrap_or("no video was produced");
        format!("Content generation failed: {reason}")
    };
    vec![Post::Text(text)]
}

/// How a timeout is told: the poller's message ("Content generation timed out after 30
/// minutes") when it sent one.
fn timed_out(p: &CallbackPayload) -> &str {
    p.message
        .as_deref()
        .map(str::trim)
        .filter(|m| m.starts_with("Content generation timed out"))
        .map_or("Content generation timed out", |m| m.trim_end_matches('.'))
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const THREAD: &str = "slack:C0123ABC:1700000000.123456";

    fn parse(v: Value) -> Result<CallbackPayload, FieldError> {
        CallbackPayload::from_json(v.to_string().as_bytes())
    }

    fn field(v: Value) -> String {
        parse(v).unwrap_err().field
    }

    fn done(run: &str, url: &str, caption: Option<&str>) -> CallbackResult {
        CallbackResult {
            run_id: run.into(),
            status: Outcome::Completed,
            video_url: Some(url.into()),
            caption_text: caption.map(Into::into),
            error: None,
        }
    }

    fn not_done(run: &str, status: Outcome, error: Option<&str>) -> CallbackResult {
        CallbackResult {
            run_id: run.into(),
            status,
            video_url: None,
            caption_text: None,
            error: error.map(Into::into),
        }
    }

    fn payload(status: Outcome, results: Vec<CallbackResult>) -> CallbackPayload {
        CallbackPayload {
            thread_id: THREAD.into(),
            status,
            results,
            message: None,
        }
    }

    fn video(run: &str, comment: &str) -> Post {
        Post::Video {
            run_id: run.into(),
            video_url: format!("https://cdn.example/{run}.mp4"),
            comment: comment.into(),
        }
    }

    fn url(run: &str) -> String {
        format!("https://cdn.example/{run}.mp4")
    }

    #[test]
    fn a_full_body_parses_with_camel_case_names() {
        let p = parse(json!({
            "threadId": THREAD,
            "status": "completed",
            "results": [
                {"runId": "run_a", "status": "completed", "videoUrl": "https://x/a.mp4",
                 "captionText": "hi"},
                {"runId": "run_b", "status": "failed", "error": "boom"}
            ],
            "message": "done"
        }))
        .unwrap();
        assert_eq!(p.status, Outcome::Completed);
        assert_eq!(p.results.len(), 2);
        assert_eq!(p.results[0].video_url.as_deref(), Some("https://x/a.mp4"));
        assert_eq!(p.results[1].error.as_deref(), Some("boom"));
        assert_eq!(p.message.as_deref(), Some("done"));
        assert_eq!(
            p.thread().unwrap(),
            SlackThread {
                channel: "C0123ABC".into(),
                ts: "1700000000.123456".into()
            }
        );
    }

    #[test]
    fn results_default_to_empty_and_serialising_round_trips() {
        let p = parse(json!({"threadId": THREAD, "status": "timeout"})).unwrap();
        assert!(p.results.is_empty());
        let full = payload(
            Outcome::Failed,
            vec![
                done("run_a", "https://x/a.mp4", None),
                not_done("run_b", Outcome::Timeout, None),
            ],
        );
        let text = serde_json::to_string(&full).unwrap();
        assert!(text.contains("\"threadId\"") && text.contains("\"runId\""));
        assert!(!text.contains("captionText") && !text.contains("message"));
        assert_eq!(CallbackPayload::from_json(text.as_bytes()).unwrap(), full);
    }

    #[test]
    fn every_schema_error_names_its_field() {
        assert_eq!(
            CallbackPayload::from_json(b"not json").unwrap_err().field,
            "body"
        );
        assert_eq!(field(json!([1, 2])), "body");
        assert_eq!(field(json!({"status": "completed"})), "threadId");
        assert_eq!(
            field(json!({"threadId": 5, "status": "completed"})),
            "threadId"
        );
        assert_eq!(
            field(json!({"threadId": "C0123ABC:1.2", "status": "completed"})),
            "threadId"
        );
        assert_eq!(field(json!({"threadId": THREAD})), "status");
        assert_eq!(
            field(json!({"threadId": THREAD, "status": "done"})),
            "status"
        );
        assert_eq!(field(json!({"threadId": THREAD, "status": 1})), "status");
        assert_eq!(
            field(json!({"threadId": THREAD, "status": "failed", "results": {}})),
            "results"
        );
        assert_eq!(
            field(json!({"threadId": THREAD, "status": "failed", "results": [7]})),
            "results[0]"
        );
        assert_eq!(
            field(json!({"threadId": THREAD, "status": "failed",
                "results": [{"status": "failed"}]})),
            "results[0].runId"
        );
        assert_eq!(
            field(json!({"threadId": THREAD, "status": "failed", "results": [
                {"runId": "a", "status": "failed"},
                {"runId": "b", "status": "failed"},
                {"runId": "c", "status": "COMPLETED"}
            ]})),
            "results[2].status"
        );
        assert_eq!(
            field(json!({"threadId": THREAD, "status": "completed",
                "results": [{"runId": "a", "status": "completed"}]})),
            "results[0].videoUrl"
        );
        assert_eq!(
            field(json!({"threadId": THREAD, "status": "completed",
                "results": [{"runId": "a", "status": "completed", "videoUrl": 3}]})),
            "results[0].videoUrl"
        );
        assert_eq!(
            field(json!({"threadId": THREAD, "status": "failed",
                "results": [{"runId": "a", "status": "failed", "error": {}}]})),
            "results[0].error"
        );
        assert_eq!(
            field(json!({"threadId": THREAD, "status": "failed", "message": 1})),
            "message"
        );
    }

    #[test]
    fn messages_are_our_own_words() {
        let e = parse(json!({"threadId": THREAD, "status": "done"})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "status: must be one of completed, failed, timeout"
        );
        let e = CallbackPayload::from_json(b"{").unwrap_err();
        assert_eq!(e.to_string(), "body: is not valid JSON");
        let message = |v: Value| parse(v).unwrap_err().to_string();
        assert_eq!(
            message(json!({"threadId": THREAD, "status": "failed", "results": null})),
            "results: must be an array (omit it when there are none)"
        );
        assert_eq!(
            message(json!({"threadId": THREAD, "status": "failed", "results": [[]]})),
            "results[0]: must be an object"
        );
        assert_eq!(
            message(json!({"threadId": THREAD, "status": "failed",
                "results": [{"runId": "a", "status": "failed"}, {"runId": "", "status": "failed"}]})),
            "results[1].runId: must be a non-empty string"
        );
    }

    #[test]
    fn slack_thread_ids_are_checked_strictly() {
        let t = SlackThread::parse("slack:C0123ABC:1700000000.123456").unwrap();
        assert_eq!(t.channel, "C0123ABC");
        assert_eq!(t.ts, "1700000000.123456");
        assert_eq!(t.to_string(), "slack:C0123ABC:1700000000.123456");
        for bad in [
            "",
            "slack",
            "slack::1700000000.1",
            "slack:C01:",
            "teams:C01:1700000000.1",
            "slack:C01:1700000000",
            "slack:C01:1700000000.",
            "slack:C01:.123",
            "slack:C01:17.00.00",
            "slack:C01:1700000000.12a",
            "slack:C-01:1700000000.1",
            "slack:C01 :1700000000.1",
            "slack:C01:1700000000.1:extra",
        ] {
            let e = SlackThread::parse(bad).unwrap_err();
            assert_eq!(e.field, "threadId", "{bad:?}");
        }
    }

    #[test]
    fn a_timeout_is_told_with_the_configured_time() {
        let mut p = payload(
            Outcome::Timeout,
            vec![not_done("run_x", Outcome::Timeout, None)],
        );
        p.message = Some("Content generation timed out after 30 minutes".into());
        assert_eq!(
            plan_posts(&p),
            vec![Post::Text(
                "Content generation timed out after 30 minutes: 0 of 1 video finished in time."
                    .into()
            )]
        );
    }

    #[test]
    fn a_thread_on_another_platform_is_named() {
        let e = SlackThread::parse("teams:19abc:1700000000.1").unwrap_err();
        assert_eq!(e.field, "threadId");
        assert!(
            e.message.contains("\"teams\"") && e.message.contains("only Slack"),
            "{e:?}"
        );
        // Not the hosted shape at all: the shape is what is wrong.
        let e = SlackThread::parse("teams:19abc").unwrap_err();
        assert!(e.message.contains("wrong shape"), "{e:?}");
    }

    #[test]
    fn one_video_is_posted_with_its_caption_alone() {
        let p = payload(
            Outcome::Completed,
            vec![done("run_a", &url("run_a"), Some("  late night  "))],
        );
        assert_eq!(plan_posts(&p), vec![video("run_a", "> late night")]);
        let p = payload(Outcome::Completed, vec![done("run_a", &url("run_a"), None)]);
        assert_eq!(plan_posts(&p), vec![video("run_a", "")]);
    }

    #[test]
    fn several_videos_are_numbered() {
        let p = payload(
            Outcome::Completed,
            vec![
                done("run_a", &url("run_a"), Some("first")),
                done("run_b", &url("run_b"), None),
                done("run_c", &url("run_c"), Some("third")),
            ],
        );
        assert_eq!(
            plan_posts(&p),
            vec![
                video("run_a", "**Video 1**\n> first"),
                video("run_b", "**Video 2**"),
                video("run_c", "**Video 3**\n> third"),
            ]
        );
    }

    #[test]
    fn failed_runs_beside_videos_are_counted() {
        let p = payload(
            Outcome::Failed,
            vec![
                not_done("run_x", Outcome::Failed, Some("bad song")),
                done("run_a", &url("run_a"), Some("one")),
                done("run_b", &url("run_b"), Some("two")),
                not_done("run_y", Outcome::Failed, None),
            ],
        );
        assert_eq!(
            plan_posts(&p),
            vec![
                video("run_a", "**Video 1**\n> one"),
                video("run_b", "**Video 2**\n> two"),
                Post::Text("_2 run(s) failed._".into()),
            ]
        );
    }

    #[test]
    fn a_failure_without_videos_gives_the_first_error() {
        let mut p = payload(
            Outcome::Failed,
            vec![
                not_done("run_x", Outcome::Failed, None),
                not_done("run_y", Outcome::Failed, Some("song not found")),
                not_done("run_z", Outcome::Failed, Some("later")),
            ],
        );
        p.message = Some("batch failed".into());
        assert_eq!(
            plan_posts(&p),
            vec![Post::Text(
                "Content generation failed: song not found".into()
            )]
        );
    }

    #[test]
    fn a_failure_without_errors_falls_back_to_the_message_then_a_default() {
        let mut p = payload(
            Outcome::Failed,
            vec![not_done("run_x", Outcome::Failed, None)],
        );
        p.message = Some("renderer crashed".into());
        assert_eq!(
            plan_posts(&p),
            vec![Post::Text(
                "Content generation failed: renderer crashed".into()
            )]
        );
        p.message = None;
        assert_eq!(
            plan_posts(&p),
            vec![Post::Text(
                "Content generation failed: no video was produced".into()
            )]
        );
        // A batch said to be complete but with nothing to show is reported as a failure too.
        let p = payload(Outcome::Completed, vec![]);
        assert_eq!(
            plan_posts(&p),
            vec![Post::Text(
                "Content generation failed: no video was produced".into()
            )]
        );
    }

    #[test]
    fn a_timeout_without_videos_says_how_many_finished() {
        let p = payload(
            Outcome::Timeout,
            vec![
                not_done("run_x", Outcome::Timeout, None),
                not_done("run_y", Outcome::Failed, Some("boom")),
            ],
        );
        let posts = plan_posts(&p);
        assert_eq!(
            posts,
            vec![Post::Text(
                "Content generation timed out: 0 of 2 videos finished in time.".into()
            )]
        );
        let p = payload(Outcome::Timeout, vec![]);
        let posts = plan_posts(&p);
        assert!(
            matches!(posts.as_slice(), [Post::Text(text)] if text.starts_with("Content generation timed out")),
            "{posts:?}"
        );
    }

    #[test]
    fn a_timeout_after_some_videos_posts_them_then_says_how_many_did_not_finish() {
        let p = payload(
            Outcome::Timeout,
            vec![
                done("run_a", &url("run_a"), Some("one")),
                not_done("run_x", Outcome::Timeout, None),
                not_done("run_y", Outcome::Timeout, None),
            ],
        );
        assert_eq!(
            plan_posts(&p),
            vec![
                video("run_a", "> one"),
                Post::Text(
                    "Content generation timed out: 2 of 3 videos did not finish in time.".into()
                ),
            ]
        );
    }

    #[test]
    fn all_videos_posted_means_no_trailing_note() {
        let p = payload(
            Outcome::Completed,
            vec![
                done("run_a", &url("run_a"), Some("one")),
                done("run_b", &url("run_b"), Some("two")),
            ],
        );
        assert!(plan_posts(&p)
            .iter()
            .all(|post| matches!(post, Post::Video { .. })));
    }
}
