//! The batch plan: what each video of a batch uses, drawn from a seeded RNG so that the same
//! manifest and seed always make the same choices.
//!
//! Songs, scenes, moods and movements are each dealt from a shuffled deck: every option is used
//! once before any is used again, then the deck is reshuffled (never opening with the option
//! that closed the deck before). A video's draws depend only on the seed and its index, so
//! adding videos to a batch never changes the earlier ones. Moments follow songs: the n-th video
//! on a song takes that song's n-th distinct moment (see [`Choice::song_use`]). Captions share
//! out the phrases mined from the artist's notes the same way: every video holds the batch's
//! phrase seed and its own slot, so no two captions of a batch use the same phrase (see
//! [`PhraseDeal`]).

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::caption::PhraseDeal;

/// One video's draws. Indices point into the batch's songs and the template's lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub song: usize,
    pub scene: usize,
    pub mood: usize,
    pub movement: usize,
    /// How many earlier videos of the batch drew the same song: this video takes that song's
    /// next distinct moment (0 = its best), wrapping round when the song has no more.
    pub song_use: usize,
    pub caption_seed: u64,
    /// The caption's share of the batch's mined phrases: the batch's phrase seed and this
    /// video's index.
    pub phrases: PhraseDeal,
}

/// How many options there are to draw from (each at least 1).
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub songs: usize,
    pub scenes: usize,
    pub moods: usize,
    pub movements: usize,
}

impl Options {
    /// What a batch's videos draw from: its songs and the template's lists (the artist's own
    /// scenes instead of the template's when there are any).
    pub fn for_template(
        songs: usize,
        t: &crate::template::Template,
        artist_scenes: &[std::path::PathBuf],
    ) -> Options {
        Options {
            songs,
            scenes: if artist_scenes.is_empty() {
                t.scenes.len()
            } else {
                artist_scenes.len()
            },
            moods: t.moods.len(),
            movements: t.movements.len(),
        }
    }
}

/// The decks, one RNG stream family each.
#[derive(Clone, Copy)]
enum Deck {
    Song = 1,
    Scene = 2,
    Mood = 3,
    Movement = 4,
    /// Not a deck: the stream of the batch's caption phrase seed.
    Phrase = 5,
}

/// The option at position `index` of an endless run of shuffled decks of `n` options.
fn deal(seed: u64, deck: Deck, n: usize, index: usize) -> usize {
    let n = n.max(1);
    let mut previous_last = None;
    let mut order: Vec<usize> = Vec::new();
    for round in 0..=index / n {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(((deck as u64) << 32) | round as u64);
        order = (0..n).collect();
        order.shuffle(&mut rng);
        // No option twice in a row across a reshuffle.
        if n > 1 && Some(order[0]) == previous_last {
            order.swap(0, 1);
        }
        previous_last = order.last().copied();
    }
    order[index % n]
}

/// The choices for videos 0..batch.
pub fn choose(seed: u64, batch: usize, options: Options) -> Vec<Choice> {
    let mut uses = vec![0usize; options.songs.max(1)];
    let phrase_seed = {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream((Deck::Phrase as u64) << 32);
        rng.random()
    };
    (0..batch)
        .map(|i| {
            let song = deal(seed, Deck::Song, options.songs, i);
            let song_use = uses[song];
            uses[song] += 1;
            // Each video's caption has its own stream, so it too is independent of the batch.
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(i as u64 + 1);
            Choice {
                song,
                scene: deal(seed, Deck::Scene, options.scenes, i),
                mood: deal(seed, Deck::Mood, options.moods, i),
                movement: deal(seed, Deck::Movement, options.movements, i),
                song_use,
                caption_seed: rng.random(),
                phrases: PhraseDeal {
                    seed: phrase_seed,
                    slot: i,
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

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
    fn every_option_is_used_before_any_repeats() {
        for seed in 0..20 {
            let all = choose(seed, 30, OPTS);
            for (n, pick) in [
                (3, &(|c: &Choice| c.song) as &dyn Fn(&Choice) -> usize),
                (3, &|c: &Choice| c.scene),
                (5, &|c: &Choice| c.mood),
                (5, &|c: &Choice| c.movement),
            ] {
                for deck in all.chunks(n) {
                    let seen: HashSet<usize> = deck.iter().map(pick).collect();
                    assert_eq!(seen.len(), deck.len(), "seed {seed}: {all:?}");
                }
                for pair in all.windows(2) {
                    assert_ne!(
                        pick(&pair[0]),
                        pick(&pair[1]),
                        "seed {seed}: a repeat in a row"
                    );
                }
            }
        }
    }

    #[test]
    fn each_video_on_a_song_takes_the_songs_next_moment() {
        let all = choose(5, 12, OPTS);
        let pairs: HashSet<(usize, usize)> = all.iter().map(|c| (c.song, c.song_use)).collect();
        assert_eq!(pairs.len(), 12, "{all:?}");
        assert!(all.iter().all(|c| c.song_use < 4));
    }

    #[test]
    fn captions_share_one_phrase_deal_with_a_slot_each() {
        let all = choose(11, 6, OPTS);
        assert!(all.iter().all(|c| c.phrases.seed == all[0].phrases.seed));
        let slots: Vec<usize> = all.iter().map(|c| c.phrases.slot).collect();
        assert_eq!(slots, [0, 1, 2, 3, 4, 5]);
        assert_ne!(all[0].phrases.seed, choose(12, 1, OPTS)[0].phrases.seed);
    }

    #[test]
    fn a_single_option_is_always_drawn() {
        let one = Options {
            songs: 1,
            scenes: 1,
            moods: 1,
            movements: 1,
        };
        let all = choose(9, 4, one);
        assert!(all
            .iter()
            .all(|c| c.song == 0 && c.scene == 0 && c.mood == 0));
        assert_eq!(
            all.iter().map(|c| c.song_use).collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
    }
}
