//! What `reelforge serve` guards against: keys acting for artists they may not act for,
//! connections that send nothing, and a disk that is full.

mod common;

use common::service::*;
use serde_json::json;

#[test]
fn an_api_key_acts_only_for_its_own_artist_or_one_that_lists_its_account() {
    const ARTIST_KEY: &str = "rf_artist_own_key_0123456789ab";
    let (_dir, data) = data_dir();
    let keys = format!("{ACCOUNT}={KEY},{OTHER_ACCOUNT}={OTHER_KEY},{ARTIST}={ARTIST_KEY}");
    let s = start(&data, &[], &[("REELFORGE_API_KEYS", &keys)]);
    let create = |key: &str| {
        s.post_as(
            "/api/content/create",
            &[("x-api-key", key)],
            json!({ "artist_account_id": ARTIST }).to_string(),
        )
    };
    let validate = |key: &str| {
        s.get_as(
            &format!("/api/content/validate?artist_account_id={ARTIST}"),
            &[("x-api-key", key)],
        )
    };

    // Not the artist's account, not among its members: 403, and nothing is queued.
    let (status, answer) = create(OTHER_KEY);
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["status"], "error");
    assert!(
        answer["error"].as_str().unwrap().contains(ARTIST),
        "{answer}"
    );
    let (status, _) = validate(OTHER_KEY);
    assert_eq!(status, 403);
    let (_, runs) = s.get_as("/api/tasks/runs", &[("x-api-key", OTHER_KEY)]);
    assert_eq!(runs["runs"], json!([]));

    // The artist's own account, and a member (the fixture lists ACCOUNT), may.
    for key in [ARTIST_KEY, KEY] {
        let (status, answer) = create(key);
        assert_eq!(status, 202, "{answer}");
        let (status, answer) = validate(key);
        assert_eq!((status, answer["ready"].as_bool()), (200, Some(true)));
    }
    // An unknown artist is still 404 for anyone.
    let (status, _) = s.post_as(
        "/api/content/create",
        &[("x-api-key", OTHER_KEY)],
        json!({ "artist_account_id": "11111111-2222-4333-8444-555555555555" }).to_string(),
    );
    assert_eq!(status, 404);
}
