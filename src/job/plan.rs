//! The batch plan: what each video of a batch uses, drawn from a seeded RNG so that the same
//! manifest and seed always make the same choices.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How many of a song's best distinct moments a video may draw from.
pub const MOMENT_CHOICES: usize = 3;

/// One video's draws. Indices point into the batch's songs and the template's lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub song: usize,
    pub scene: usize,
    pub mood: usize,
    pub movement: usize,
    /// Which of the song's best distinct moments (0 = best).
    pub moment: usize,
    pub caption_seed: u64,
}

/// How many options there are to draw from (each at least 1).
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub songs: usize,
    pub scenes: usize,
    pub moods: usize,
    pub movements: usize,
}

/// The choices for videos 0..batch. Each video has its own stream, so video 2's draws do not
/// change when the batch grows.
pub fn choose(seed: u64, batch: usize, options: Options) -> Vec<Choice> {
    (0..batch)
        .map(|i| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(i as u64 + 1);
            Choice {
                song: rng.random_range(0..options.songs.max(1)),
                scene: rng.random_range(0..options.scenes.max(1)),
                mood: rng.random_range(0..options.moods.max(1)),
                movement: rng.random_range(0..options.movements.max(1)),
                moment: rng.random_range(0..MOMENT_CHOICES),
                caption_seed: rng.random(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTS: Options = Options {
        songs: 3,
        scenes: 3,
        moods: 5,
        movements: 5,
    };

    #[test]
    fn the_same_seed_makes_the_same_choices() {
        assert_eq!(choose(42, 10, OPTS), choose(42, 10, OPTS));
        assert_ne!(choose(42, 10, OPTS), choose(43, 10, OPTS));
    }

    #[test]
    fn a_video_keeps_its_choices_when_the_batch_grows() {
        assert_eq!(choose(7, 3, OPTS)[..], choose(7, 30, OPTS)[..3]);
    }

    #[test]
    fn choices_stay_in_range_and_vary() {
        let all = choose(1, 30, OPTS);
        assert!(all
            .iter()
            .all(|c| c.song < 3 && c.scene < 3 && c.mood < 5 && c.movement < 5));
        let songs: std::collections::HashSet<_> = all.iter().map(|c| c.song).collect();
        assert_eq!(songs.len(), 3, "30 draws reach every song");
    }
}
