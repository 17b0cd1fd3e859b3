//! Downloading songs and images named by URL: time limits, a size cap enforced while reading,
//! a bounded number of redirects. The caller checks the content by decoding it.

use std::io::Read;
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct FetchLimits {
    pub max_bytes: u64,
    pub connect_timeout: Duration,
    pub total_timeout: Duration,
    pub max_redirects: usize,
}

impl FetchLimits {
    pub fn songs() -> FetchLimits {
        FetchLimits {
            max_bytes: 100 << 20,
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(120),
            max_redirects: 5,
        }
    }

    pub fn images() -> FetchLimits {
        FetchLimits {
            max_bytes: 25 << 20,
            ..FetchLimits::songs()
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("could not download {url}: {reason}")]
    Failed { url: String, reason: String },
    #[error("could not download {url}: the server answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("could not download {url}: larger than the {max_bytes}-byte limit")]
    TooLarge { url: String, max_bytes: u64 },
}

/// What a download brought: its bytes and a file extension guessed from the URL or type.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub extension: Option<String>,
}

/// Downloads `url` within `limits`.
pub fn fetch(url: &str, limits: FetchLimits) -> Result<Fetched, FetchError> {
    let failed = |reason: String| FetchError::Failed {
        url: url.to_string(),
        reason,
    };
    let client = reqwest::blocking::Client::builder()
        .connect_timeout(limits.connect_timeout)
        .timeout(limits.total_timeout)
        .redirect(reqwest::redirect::Policy::limited(limits.max_redirects))
        .user_agent(concat!("reelforge/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| failed(e.to_string()))?;
    let response = client.get(url).send().map_err(|e| failed(describe(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(FetchError::Status {
            url: url.to_string(),
            status: status.as_u16(),
        });
    }
    if response
        .content_length()
        .is_some_and(|n| n > limits.max_bytes)
    {
        return Err(FetchError::TooLarge {
            url: url.to_string(),
            max_bytes: limits.max_bytes,
        });
    }
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    let final_url = response.url().clone();
    let mut bytes = Vec::new();
    // Read one byte past the cap so an over-long body without Content-Length is caught.
    response
        .take(limits.max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| failed(e.to_string()))?;
    if bytes.len() as u64 > limits.max_bytes {
        return Err(FetchError::TooLarge {
            url: url.to_string(),
            max_bytes: limits.max_bytes,
        });
    }
    let extension = extension_of(final_url.path())
        .or_else(|| content_type.as_deref().and_then(extension_for_type));
    Ok(Fetched { bytes, extension })
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_redirect() {
        "too many redirects".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        e.to_string()
    }
}

fn extension_of(path: &str) -> Option<String> {
    let name = path.rsplit('/').next()?;
    let (_, ext) = name.rsplit_once('.')?;
    (!ext.is_empty() && ext.len() <= 5).then(|| ext.to_ascii_lowercase())
}

fn extension_for_type(t: &str) -> Option<String> {
    let ext = match t.split(';').next()?.trim() {
        "audio/mpeg" | "audio/mp3" => "mp3",
        "audio/wav" | "audio/x-wav" | "audio/wave" => "wav",
        "audio/flac" | "audio/x-flac" => "flac",
        "audio/ogg" | "application/ogg" => "ogg",
        "audio/mp4" | "audio/x-m4a" | "audio/aac" => "m4a",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        _ => return None,
    };
    Some(ext.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;

    /// Serves each canned response once, in order, on 127.0.0.1.
    fn serve(responses: Vec<String>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for body in responses {
                let Ok((mut s, _)) = listener.accept() else {
                    return;
                };
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                let _ = s.write_all(body.as_bytes());
            }
        });
        format!("http://{addr}")
    }

    fn ok(body: &str, headers: &str) -> String {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n{headers}Connection: close\r\n\r\n{body}",
            body.len()
        )
    }

    #[test]
    fn a_file_downloads_with_its_extension() {
        let base = serve(vec![ok("hello", "")]);
        let f = fetch(&format!("{base}/song.MP3"), FetchLimits::songs()).unwrap();
        assert_eq!(f.bytes, b"hello");
        assert_eq!(f.extension.as_deref(), Some("mp3"));
    }

    #[test]
    fn the_type_names_the_extension_when_the_path_does_not() {
        let base = serve(vec![ok("x", "Content-Type: image/png\r\n")]);
        let f = fetch(&format!("{base}/face"), FetchLimits::images()).unwrap();
        assert_eq!(f.extension.as_deref(), Some("png"));
    }

    #[test]
    fn a_404_is_reported_with_its_status() {
        let base = serve(vec![
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into(),
        ]);
        let err = fetch(&format!("{base}/gone.mp3"), FetchLimits::songs()).unwrap_err();
        assert!(
            matches!(err, FetchError::Status { status: 404, .. }),
            "{err}"
        );
    }

    #[test]
    fn an_oversized_body_is_refused() {
        let big = "a".repeat(2000);
        let base = serve(vec![
            ok(&big, ""),
            format!("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{big}"),
        ]);
        let limits = FetchLimits {
            max_bytes: 1000,
            ..FetchLimits::songs()
        };
        let url = format!("{base}/big.wav");
        assert!(
            matches!(fetch(&url, limits), Err(FetchError::TooLarge { .. })),
            "declared length"
        );
        assert!(
            matches!(fetch(&url, limits), Err(FetchError::TooLarge { .. })),
            "streamed body"
        );
    }

    #[test]
    fn a_redirect_loop_stops() {
        let hop = "HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string();
        let base = serve(vec![hop; 8]);
        let limits = FetchLimits {
            max_redirects: 3,
            ..FetchLimits::songs()
        };
        let err = fetch(&format!("{base}/start"), limits).unwrap_err();
        assert!(err.to_string().contains("redirects"), "{err}");
    }

    #[test]
    fn nothing_listening_is_a_clear_error() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = fetch(
            &format!("http://127.0.0.1:{port}/a.mp3"),
            FetchLimits::songs(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("127.0.0.1"), "{err}");
    }
}
