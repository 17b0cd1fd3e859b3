//! reelforge: songs and face guides in, short vertical lyric videos out.
//!
//! The modules follow the pipeline's stages: [`audio`] decodes songs, [`transcribe`] turns them
//! into timed words with Whisper, and [`model`] obtains and checks the Whisper model itself.
//!
//! The library reads no environment variables: [`locations::Locations`] turns the ones that
//! move files (models, cache, assets) into paths, from a lookup the caller hands in.

pub mod animate;
pub mod audio;
pub mod batch;
pub mod caption;
pub mod compose;
pub mod encode;
pub mod frame;
pub mod job;
pub mod local_file;
pub mod locations;
pub mod lyrics;
pub mod model;
pub mod moment;
pub mod render;
pub mod scratch;
pub mod serve;
pub mod song;
pub mod subject;
pub mod template;
pub mod text;
pub mod transcribe;
pub mod version;
