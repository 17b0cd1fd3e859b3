//! Stage 1, resolving a job: the create request and manifest, the artist's repo, the cheap
//! checks a request passes before it is accepted, downloads and image loading (prepare), and
//! the seeded plan of what each video in the batch uses.

pub(crate) mod artist;
mod check;
pub(crate) mod fetch;
pub(crate) mod order;
pub(crate) mod plan;
mod prepare;
pub(crate) mod request;

pub use artist::{Artist, ArtistError, SongFile};
pub use check::{check, Checked};
pub use fetch::{fetch, is_public, FetchError, FetchLimits, Fetched};
pub use order::{OrderError, RenderOptions, RunOrder, ORDER_VERSION};
pub use prepare::{prepare, title_of, PrepareError, PrepareOptions, Prepared, SongInput};
pub use request::{CreateRequest, FieldError, ImageRef, Manifest, SongRef, MAX_BATCH};

/// `len` random lowercase letters and digits.
pub fn random_token(len: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A new run id: "run_" and 16 random lowercase letters and digits.
pub fn new_run_id() -> String {
    format!("run_{}", random_token(16))
}

#[cfg(test)]
mod tests {
    #[test]
    fn run_ids_look_like_the_hosted_ones_and_differ() {
        let a = super::new_run_id();
        assert!(a.starts_with("run_") && a.len() == 20);
        assert!(a[4..]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        assert_ne!(a, super::new_run_id());
    }
}
