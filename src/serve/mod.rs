//! The HTTP service: the content-agent callback and its delivery to Slack.

pub mod callback;
pub mod slack;
