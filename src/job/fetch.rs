//! Downloading songs and images named by URL: time limits, a size cap enforced while reading,
//! a bounded number of redirects, and no private, loopback or link-local addresses unless
//! allowed (URLs may come from callers of a service, who must not reach the machine's own
//! network through it). The caller checks the content by decoding it.

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect::Policy;
use reqwest::Url;

#[derive(Debug, Clone, Copy)]
pub struct FetchLimits {
    pub max_bytes: u64,
    pub connect_timeout: Duration,
    pub total_timeout: Duration,
    pub max_redirects: usize,
    /// Whether private, loopback and link-local addresses may be downloaded from.
    pub allow_private: bool,
}

impl FetchLimits {
    pub fn songs() -> FetchLimits {
        FetchLimits {
            max_bytes: 100 << 20,
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(120),
            max_redirects: 5,
            allow_private: false,
        }
    }

    pub fn images() -> FetchLimits {
        FetchLimits {
            max_bytes: 25 << 20,
            ..FetchLimits::songs()
        }
    }

    pub fn allowing_private(self, allow_private: bool) -> FetchLimits {
        FetchLimits {
            allow_private,
            ..self
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
    #[error(
        "could not download {url}: {host} is not a public address; downloads from private, \
         loopback and link-local addresses are refused (--allow-private-urls allows them)"
    )]
    PrivateAddress { url: String, host: String },
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
    let private = |host: String| FetchError::PrivateAddress {
        url: url.to_string(),
        host,
    };
    let guard = !limits.allow_private;
    if guard {
        if let Some(host) = Url::parse(url).ok().as_ref().and_then(private_literal) {
            return Err(private(host));
        }
    }
    // The resolver and the redirect policy note here what they refused, so that the refusal
    // is reported as such rather than as a failed connection.
    let refused = Refusal::default();
    let limited = Policy::limited(limits.max_redirects);
    let policy_refused = refused.clone();
    // IP literals never reach the resolver, so redirects to them are checked here.
    let policy = Policy::custom(move |attempt| {
        if guard {
            if let Some(host) = private_literal(attempt.url()) {
                let reason = refusal_reason(&host);
                policy_refused.set(host);
                return attempt.error(reason);
            }
        }
        limited.redirect(attempt)
    });
    let mut builder = reqwest::blocking::Client::builder()
        .connect_timeout(limits.connect_timeout)
        .timeout(limits.total_timeout)
        .redirect(policy)
        .user_agent(concat!("reelforge/", env!("CARGO_PKG_VERSION")));
    if guard {
        // A proxy would resolve names itself, out of the resolver's sight.
        builder = builder
            .no_proxy()
            .dns_resolver(Arc::new(PublicResolver(refused.clone())));
    }
    let client = builder.build().map_err(|e| failed(e.to_string()))?;
    let response = client.get(url).send().map_err(|e| match refused.take() {
        Some(host) => private(host),
        None => failed(describe(&e)),
    })?;
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

/// The first host a download refused, shared by its resolver and its redirect policy.
#[derive(Clone, Default)]
struct Refusal(Arc<Mutex<Option<String>>>);

impl Refusal {
    fn set(&self, host: String) {
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        slot.get_or_insert(host);
    }

    fn take(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

fn refusal_reason(host: &str) -> String {
    format!("{host} is not a public address")
}

/// The URL's host when it is an IP literal outside the public ranges.
fn private_literal(url: &Url) -> Option<String> {
    // The URL parser has already normalised IPv4 literals ("0x7f.1" is "127.0.0.1").
    let host = url.host_str()?;
    let literal = host.strip_prefix('[').and_then(|h| h.strip_suffix(']'));
    let ip: IpAddr = literal.unwrap_or(host).parse().ok()?;
    (!is_public(ip)).then(|| ip.to_string())
}

/// Resolves with the system resolver and fails when any address is not public, so a name
/// cannot lead to the local network; the addresses checked are the ones connected to.
struct PublicResolver(Refusal);

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let refused = self.0.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
                let what = format!("{host} ({})", bad.ip());
                let reason = refusal_reason(&what);
                refused.set(what);
                return Err(reason.into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Whether `ip` is an ordinary address on the internet: not loopback, private, link-local,
/// shared (CGNAT), multicast, broadcast, unspecified, documentation, benchmarking or reserved.
/// IPv6 addresses that carry an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) are
/// judged by it.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0 // "this network"
        || a == 10
        || (a == 100 && (64..128).contains(&b)) // shared, CGNAT
        || a == 127
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 192 && b == 168)
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || a >= 224) // multicast, reserved, broadcast
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match s {
        // Mapped ::ffff:0:0/96 and compatible ::/96, which also hold :: and ::1.
        [0, 0, 0, 0, 0, 0xffff, hi, lo] | [0, 0, 0, 0, 0, 0, hi, lo] => is_public_v4(v4(hi, lo)),
        // NAT64, well-known prefix.
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => is_public_v4(v4(hi, lo)),
        // 6to4.
        [0x2002, hi, lo, ..] => is_public_v4(v4(hi, lo)),
        // Teredo: the client's address, inverted.
        [0x2001, 0, _, _, _, _, hi, lo] => is_public_v4(v4(!hi, !lo)),
        [0x64, 0xff9b, 1, ..] => false, // NAT64, local use
        [0x100, 0, 0, 0, ..] => false,  // discard-only
        [0x2001, 0x2, 0, ..] => false,  // benchmarking
        [0x2001, 0xdb8, ..] => false,   // documentation
        [first, ..] => {
            !(first & 0xfff0 == 0x3ff0 // documentation, 3fff::/20
                || first & 0xfe00 == 0xfc00 // unique local
                || first & 0xffc0 == 0xfe80 // link-local
                || first & 0xffc0 == 0xfec0 // site-local, deprecated
                || first & 0xff00 == 0xff00) // multicast
        }
    }
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

    /// The test servers are on loopback.
    fn local(limits: FetchLimits) -> FetchLimits {
        limits.allowing_private(true)
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
        let f = fetch(&format!("{base}/song.MP3"), local(FetchLimits::songs())).unwrap();
        assert_eq!(f.bytes, b"hello");
        assert_eq!(f.extension.as_deref(), Some("mp3"));
    }

    #[test]
    fn the_type_names_the_extension_when_the_path_does_not() {
        let base = serve(vec![ok("x", "Content-Type: image/png\r\n")]);
        let f = fetch(&format!("{base}/face"), local(FetchLimits::images())).unwrap();
        assert_eq!(f.extension.as_deref(), Some("png"));
    }

    #[test]
    fn a_404_is_reported_with_its_status() {
        let base = serve(vec![
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into(),
        ]);
        let err = fetch(&format!("{base}/gone.mp3"), local(FetchLimits::songs())).unwrap_err();
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
            ..local(FetchLimits::songs())
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
            ..local(FetchLimits::songs())
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
            local(FetchLimits::songs()),
        )
        .unwrap_err();
        assert!(err.to_string().contains("127.0.0.1"), "{err}");
    }

    #[test]
    fn a_redirect_is_followed_when_private_addresses_are_allowed() {
        let base = serve(vec![
            "HTTP/1.1 302 Found\r\nLocation: /song.wav\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into(),
            ok("riff", ""),
        ]);
        let f = fetch(&format!("{base}/start"), local(FetchLimits::songs())).unwrap();
        assert_eq!(f.bytes, b"riff");
        assert_eq!(f.extension.as_deref(), Some("wav"));
    }

    /// A listener that records nothing but whether anyone connected.
    fn untouched_listener() -> TcpListener {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        listener
    }

    fn assert_never_connected(listener: &TcpListener) {
        let accepted = listener.accept();
        assert!(
            matches!(&accepted, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "something connected: {accepted:?}"
        );
    }

    #[test]
    fn a_loopback_ip_is_refused_without_connecting() {
        let listener = untouched_listener();
        let url = format!("http://{}/a.mp3", listener.local_addr().unwrap());
        let err = fetch(&url, FetchLimits::songs()).unwrap_err();
        match &err {
            FetchError::PrivateAddress { url: u, host } => {
                assert_eq!(u, &url);
                assert_eq!(host, "127.0.0.1");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        let message = err.to_string();
        assert!(
            message.contains(&url) && message.contains("--allow-private-urls"),
            "{message}"
        );
        assert_never_connected(&listener);
    }

    #[test]
    fn a_name_resolving_to_loopback_is_refused() {
        let listener = untouched_listener();
        let port = listener.local_addr().unwrap().port();
        let err = fetch(
            &format!("http://localhost:{port}/a.mp3"),
            FetchLimits::images(),
        )
        .unwrap_err();
        assert!(
            matches!(&err, FetchError::PrivateAddress { host, .. } if host.starts_with("localhost")),
            "{err:?}"
        );
        assert_never_connected(&listener);
    }

    #[test]
    fn private_ip_literals_are_found_in_urls() {
        let check = |url: &str| private_literal(&Url::parse(url).unwrap());
        assert_eq!(check("http://10.1.2.3:8080/x").as_deref(), Some("10.1.2.3"));
        assert_eq!(check("http://2130706433/").as_deref(), Some("127.0.0.1"));
        assert_eq!(check("http://0x7f.1/").as_deref(), Some("127.0.0.1"));
        assert_eq!(check("http://[::1]/").as_deref(), Some("::1"));
        assert!(check("http://[::ffff:169.254.169.254]/").is_some());
        assert_eq!(check("http://93.184.215.14/a.mp3"), None);
        assert_eq!(
            check("https://example.com/a.mp3"),
            None,
            "names go to the resolver"
        );
    }

    #[test]
    fn only_public_addresses_are_public() {
        let cases: &[(&str, bool)] = &[
            ("0.0.0.0", false),
            ("0.1.2.3", false),
            ("10.0.0.1", false),
            ("100.64.0.1", false),
            ("100.127.255.255", false),
            ("100.128.0.1", true),
            ("127.0.0.1", false),
            ("127.255.255.254", false),
            ("169.254.169.254", false),
            ("172.15.255.255", true),
            ("172.16.0.1", false),
            ("172.31.255.255", false),
            ("172.32.0.1", true),
            ("192.0.0.8", false),
            ("192.0.2.1", false),
            ("192.168.1.1", false),
            ("198.18.0.1", false),
            ("198.19.255.255", false),
            ("198.20.0.1", true),
            ("198.51.100.7", false),
            ("203.0.113.9", false),
            ("224.0.0.1", false),
            ("239.255.255.250", false),
            ("240.0.0.1", false),
            ("255.255.255.255", false),
            ("1.1.1.1", true),
            ("8.8.8.8", true),
            ("93.184.215.14", true),
            ("::", false),
            ("::1", false),
            ("::ffff:127.0.0.1", false),
            ("::ffff:10.0.0.1", false),
            ("::ffff:8.8.8.8", true),
            ("::127.0.0.1", false),
            ("64:ff9b::a9fe:a9fe", false),
            ("64:ff9b::808:808", true),
            ("64:ff9b:1::1", false),
            ("100::1", false),
            ("2001:db8::1", false),
            ("3fff::1", false),
            ("2001:2::1", false),
            ("2002:c0a8:0101::1", false),
            ("2002:0808:0808::1", true),
            ("2001:0:4136:e378:8000:63bf:80ff:fffe", false), // Teredo client 127.0.0.1
            ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", true),  // Teredo client 8.8.8.8
            ("fc00::1", false),
            ("fd12:3456::1", false),
            ("fe80::1", false),
            ("febf::1", false),
            ("fec0::1", false),
            ("ff02::1", false),
            ("2606:4700:4700::1111", true),
            ("2a00:1450:4001::200e", true),
        ];
        for &(ip, public) in cases {
            assert_eq!(is_public(ip.parse().unwrap()), public, "{ip}");
        }
    }
}
