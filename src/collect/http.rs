//! Plain-HTTP GETs to the target's own endpoints, bounded in time and size.

use std::io::Read;
use std::time::Duration;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum FetchError {
    #[error("{url} did not answer within {timeout:?} — the endpoint may be busy or filtered; raise --timeout, or check the address with --url")]
    Timeout { url: String, timeout: Duration },

    #[error("cannot connect to {url}: {reason} — is the service listening there? give the right address with --url or --port")]
    Connect { url: String, reason: String },

    #[error("{url} answered HTTP {status} — {hint}")]
    Status {
        url: String,
        status: u16,
        hint: String,
    },

    #[error("{url} sent more than {limit} bytes — raise --max-bytes if the profile is really that large")]
    TooLarge { url: String, limit: u64 },

    #[error("reading {url} failed: {reason}")]
    Other { url: String, reason: String },
}

#[derive(Debug, Clone)]
pub struct Fetched {
    pub url: String,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// GET `url` with an overall `timeout` and at most `max_bytes` of body. Redirects are not
/// followed: an endpoint that redirects is not the target's own pprof handler.
pub fn get(url: &str, timeout: Duration, max_bytes: u64) -> Result<Fetched, FetchError> {
    let mut response = request(url, timeout)?;
    let content_type = content_type(&response);
    let body = response
        .body_mut()
        .with_config()
        .limit(max_bytes)
        .read_to_vec()
        .map_err(|err| match err {
            ureq::Error::BodyExceedsLimit(_) => FetchError::TooLarge {
                url: url.to_string(),
                limit: max_bytes,
            },
            other => classify(url, timeout, other),
        })?;
    Ok(Fetched {
        url: url.to_string(),
        content_type,
        body,
    })
}

/// GET `url` keeping only the last `keep` bytes of at most `max_bytes`: for answers whose
/// useful part is a trailer (the MemStats after a heap profile's text form), in memory that
/// does not grow with the answer.
pub fn get_tail(
    url: &str,
    timeout: Duration,
    keep: usize,
    max_bytes: u64,
) -> Result<Fetched, FetchError> {
    let mut tail: Vec<u8> = Vec::with_capacity(2 * keep);
    let content_type = stream(url, timeout, max_bytes, |chunk| {
        tail.extend_from_slice(chunk);
        if tail.len() > 2 * keep {
            tail.drain(..tail.len() - keep);
        }
    })?;
    if tail.len() > keep {
        tail.drain(..tail.len() - keep);
    }
    Ok(Fetched {
        url: url.to_string(),
        content_type,
        body: tail,
    })
}

/// GET `url` and hand each line (without its newline) to `visit` as it arrives, in memory
/// that does not grow with the answer: a line longer than `MAX_LINE` is cut there.
pub fn get_lines(
    url: &str,
    timeout: Duration,
    max_bytes: u64,
    mut visit: impl FnMut(&str),
) -> Result<(), FetchError> {
    const MAX_LINE: usize = 64 << 10;
    let mut line: Vec<u8> = Vec::with_capacity(256);
    stream(url, timeout, max_bytes, |chunk| {
        for &b in chunk {
            if b == b'\n' {
                visit(&String::from_utf8_lossy(&line));
                line.clear();
            } else if line.len() < MAX_LINE {
                line.push(b);
            }
        }
    })?;
    if !line.is_empty() {
        visit(&String::from_utf8_lossy(&line));
    }
    Ok(())
}

/// GET `url` and hand the body to `each` in chunks as it arrives, at most `max_bytes` of it;
/// returns the content type.
fn stream(
    url: &str,
    timeout: Duration,
    max_bytes: u64,
    mut each: impl FnMut(&[u8]),
) -> Result<Option<String>, FetchError> {
    let mut response = request(url, timeout)?;
    let content_type = content_type(&response);
    let mut reader = response.body_mut().with_config().limit(max_bytes).reader();
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => return Ok(content_type),
            Ok(n) => each(&chunk[..n]),
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => {
                return Err(match ureq::Error::from(err) {
                    ureq::Error::BodyExceedsLimit(_) => FetchError::TooLarge {
                        url: url.to_string(),
                        limit: max_bytes,
                    },
                    other => classify(url, timeout, other),
                })
            }
        }
    }
}

/// The part of `heap?debug=1` worth keeping: the `# runtime.MemStats` trailer, PauseNs and
/// all, is a few KiB; the sample lines before it can run to megabytes.
pub const MEMSTATS_TAIL: usize = 64 << 10;

fn request(url: &str, timeout: Duration) -> Result<ureq::http::Response<ureq::Body>, FetchError> {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent("steady")
            .build(),
    );
    let response = agent
        .get(url)
        .call()
        .map_err(|err| classify(url, timeout, err))?;
    let status = response.status().as_u16();
    if status != 200 {
        let hint = match status {
            404 => "no pprof handler there: the service must import net/http/pprof (or serve it on another port: --port)".to_string(),
            401 | 403 => "the endpoint wants credentials; fetch the profile yourself and pass the file".to_string(),
            _ => "the endpoint failed; try again, or pass a profile file".to_string(),
        };
        return Err(FetchError::Status {
            url: url.to_string(),
            status,
            hint,
        });
    }
    Ok(response)
}

fn content_type(response: &ureq::http::Response<ureq::Body>) -> Option<String> {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn classify(url: &str, timeout: Duration, err: ureq::Error) -> FetchError {
    match err {
        ureq::Error::Timeout(_) => FetchError::Timeout {
            url: url.to_string(),
            timeout,
        },
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => FetchError::Timeout {
                url: url.to_string(),
                timeout,
            },
            _ => FetchError::Connect {
                url: url.to_string(),
                reason: io.to_string(),
            },
        },
        ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => FetchError::Connect {
            url: url.to_string(),
            reason: err.to_string(),
        },
        other => FetchError::Other {
            url: url.to_string(),
            reason: other.to_string(),
        },
    }
}
