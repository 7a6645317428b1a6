//! The small HTTP/1.1 server behind `steady serve`: GET /metrics and nothing else. Request
//! heads are bounded in bytes and in time, connections in number (extra ones get 503), and
//! nothing in a request reaches the targets: a scrape only ever triggers the same reads.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bigger heads than this are refused: a scraper sends a few hundred bytes.
pub const MAX_HEAD_BYTES: usize = 8 << 10;

#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// Connections handled at once; more are answered 503 at once.
    pub max_connections: usize,
    /// Time a client has to send its whole request head.
    pub head_timeout: Duration,
    /// Time to write an answer.
    pub write_timeout: Duration,
}

/// What a request head asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Metrics,
    MethodNotAllowed,
    NotFound,
    BadRequest,
}

/// Routes a complete request head: `GET /metrics` (any query is ignored) is the one thing
/// served; another method on /metrics is 405, any other path 404.
pub fn route(head: &[u8]) -> Route {
    let Ok(text) = std::str::from_utf8(head) else {
        return Route::BadRequest;
    };
    let line = text.split("\r\n").next().unwrap_or("");
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Route::BadRequest;
    };
    if parts.next().is_some() || !version.starts_with("HTTP/1.") {
        return Route::BadRequest;
    }
    let path = target.split('?').next().unwrap_or("");
    match (method, path) {
        ("GET", "/metrics") => Route::Metrics,
        (_, "/metrics") => Route::MethodNotAllowed,
        _ => Route::NotFound,
    }
}

/// Binds `addr`, naming the fix when it is taken or not allowed.
pub fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).map_err(|err| match err.kind() {
        io::ErrorKind::AddrInUse => anyhow::anyhow!(
            "cannot listen on {addr}: the address is in use — pick another port with --listen"
        ),
        io::ErrorKind::PermissionDenied => {
            anyhow::anyhow!("cannot listen on {addr}: permission denied — use a port above 1023")
        }
        _ => anyhow::anyhow!("cannot listen on {addr}: {err} — check the --listen address"),
    })
}

/// Accepts until `stop()` holds, answering each connection on its own thread with
/// `scrape()` for GET /metrics; then waits (a bounded time) for the answers in flight.
pub fn serve(
    listener: TcpListener,
    limits: ServerLimits,
    stop: impl Fn() -> bool,
    scrape: impl Fn() -> Result<(Vec<u8>, &'static str), String> + Send + Sync + 'static,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let active = Arc::new(AtomicUsize::new(0));
    let scrape = Arc::new(scrape);
    while !stop() {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            // Out of descriptors, a connection reset before accept: not a reason to stop.
            Err(_) => {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_write_timeout(Some(limits.write_timeout));
        if active.load(Ordering::SeqCst) >= limits.max_connections {
            turn_away(&stream);
            continue;
        }
        active.fetch_add(1, Ordering::SeqCst);
        let guard = Active(Arc::clone(&active));
        let scrape = Arc::clone(&scrape);
        std::thread::spawn(move || {
            let _guard = guard;
            handle(stream, limits, &*scrape);
        });
    }
    let deadline = Instant::now() + limits.head_timeout + limits.write_timeout;
    while active.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// 503 at once, on the accepting thread. What the client already sent is read first, without
/// waiting: closing a socket with unread data resets the connection, and the client could lose
/// the answer.
fn turn_away(stream: &TcpStream) {
    let _ = respond(
        stream,
        503,
        "text/plain; charset=utf-8",
        b"busy: too many scrapes at once\n",
        &[("Retry-After", "1")],
    );
    drain(stream);
}

/// Reads, without waiting, a little of what the client sent and nobody will read.
fn drain(stream: &TcpStream) {
    if stream.set_nonblocking(true).is_ok() {
        let mut sink = [0u8; 4096];
        let mut reader = stream;
        for _ in 0..4 {
            match reader.read(&mut sink) {
                Ok(n) if n > 0 => continue,
                _ => break,
            }
        }
    }
}

/// Counts a connection as active until its thread ends, however it ends.
struct Active(Arc<AtomicUsize>);

impl Drop for Active {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn handle(
    stream: TcpStream,
    limits: ServerLimits,
    scrape: &dyn Fn() -> Result<(Vec<u8>, &'static str), String>,
) {
    let text = "text/plain; charset=utf-8";
    let head = match read_head(&stream, limits.head_timeout) {
        Ok(head) => head,
        Err(HeadError::TooLarge) => {
            let _ = respond(&stream, 431, text, b"request head too large\n", &[]);
            drain(&stream);
            return;
        }
        Err(HeadError::Timeout) => {
            let _ = respond(
                &stream,
                408,
                text,
                b"request head not received in time\n",
                &[],
            );
            return;
        }
        Err(HeadError::Closed) => return,
    };
    let _ = match route(&head) {
        Route::Metrics => match scrape() {
            Ok((body, content_type)) => respond(&stream, 200, content_type, &body, &[]),
            Err(why) => respond(&stream, 500, text, format!("{why}\n").as_bytes(), &[]),
        },
        Route::MethodNotAllowed => respond(
            &stream,
            405,
            text,
            b"only GET /metrics\n",
            &[("Allow", "GET")],
        ),
        Route::NotFound => respond(
            &stream,
            404,
            text,
            b"not found: steady serves GET /metrics\n",
            &[],
        ),
        Route::BadRequest => respond(&stream, 400, text, b"bad request\n", &[]),
    };
}

enum HeadError {
    TooLarge,
    Timeout,
    Closed,
}

/// Reads up to the blank line that ends the head, within `timeout` overall and
/// [`MAX_HEAD_BYTES`]. A body, if any, is never read: nothing here takes one.
fn read_head(mut stream: &TcpStream, timeout: Duration) -> Result<Vec<u8>, HeadError> {
    let deadline = Instant::now() + timeout;
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HeadError::Timeout);
        }
        let _ = stream.set_read_timeout(Some(left));
        match stream.read(&mut buf) {
            Ok(0) => return Err(HeadError::Closed),
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(HeadError::Timeout)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(HeadError::Closed),
        }
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            head.truncate(end);
            return Ok(head);
        }
        if head.len() > MAX_HEAD_BYTES {
            return Err(HeadError::TooLarge);
        }
    }
}

fn respond(
    mut stream: &TcpStream,
    status: u16,
    content_type: &str,
    body: &[u8],
    extra: &[(&str, &str)],
) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()?;
    let _ = stream.shutdown(std::net::Shutdown::Write);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    /// A real server on a loopback port, stopped when the test's flag is set.
    fn start(
        limits: ServerLimits,
        stop: &'static AtomicBool,
    ) -> (u16, std::thread::JoinHandle<()>) {
        let listener = bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = std::thread::spawn(move || {
            serve(
                listener,
                limits,
                || stop.load(Ordering::SeqCst),
                || Ok((b"steady_targets 0\n# EOF\n".to_vec(), "text/plain")),
            )
            .unwrap();
        });
        (port, handle)
    }

    fn status_of(mut stream: TcpStream) -> String {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer)
            .lines()
            .next()
            .unwrap_or("")
            .to_string()
    }

    #[test]
    fn heads_are_bounded_in_bytes_and_time() {
        static STOP: AtomicBool = AtomicBool::new(false);
        let limits = ServerLimits {
            max_connections: 4,
            head_timeout: Duration::from_millis(300),
            write_timeout: Duration::from_secs(2),
        };
        let (port, server) = start(limits, &STOP);
        let connect = || TcpStream::connect(("127.0.0.1", port)).unwrap();

        let mut ok = connect();
        ok.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        assert_eq!(status_of(ok), "HTTP/1.1 200 OK");

        // A head that never ends within the size bound.
        let mut big = connect();
        let mut head = b"GET /metrics HTTP/1.1\r\n".to_vec();
        head.extend(std::iter::repeat_n(b'x', MAX_HEAD_BYTES + 10));
        let _ = big.write_all(&head);
        assert_eq!(
            status_of(big),
            "HTTP/1.1 431 Request Header Fields Too Large"
        );

        // A head sent a byte at a time, never finished: cut off after head_timeout.
        let mut slow = connect();
        slow.write_all(b"GET /met").unwrap();
        let began = Instant::now();
        assert_eq!(status_of(slow), "HTTP/1.1 408 Request Timeout");
        assert!(began.elapsed() < Duration::from_secs(3));

        STOP.store(true, Ordering::SeqCst);
        server.join().unwrap();
    }

    #[test]
    fn routes() {
        let cases: [(&[u8], Route); 8] = [
            (b"GET /metrics HTTP/1.1\r\nHost: x", Route::Metrics),
            (b"GET /metrics?gc=1 HTTP/1.1", Route::Metrics),
            (b"POST /metrics HTTP/1.1", Route::MethodNotAllowed),
            (b"HEAD /metrics HTTP/1.0", Route::MethodNotAllowed),
            (b"GET /debug/pprof/heap?gc=1 HTTP/1.1", Route::NotFound),
            (b"GET / HTTP/1.1", Route::NotFound),
            (b"GET /metrics", Route::BadRequest),
            (b"\xff\xfe", Route::BadRequest),
        ];
        for (head, want) in cases {
            assert_eq!(route(head), want, "{:?}", String::from_utf8_lossy(head));
        }
    }
}
