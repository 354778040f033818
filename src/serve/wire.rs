//! HTTP/1.1 on the browser's side of the proxy: request heads read from a buffered connection,
//! request bodies delimited by `Content-Length` or chunked coding, response heads, and response
//! bodies streamed (each upstream read is written and flushed as it arrives).
//!
//! Guarantee: a request whose framing is ambiguous (`Transfer-Encoding` other than `chunked`,
//! both framings, differing lengths) or whose head is malformed or larger than [`MAX_HEAD`] is
//! refused with 400 and the connection closed; nothing reads past the end of a request's body,
//! so the next request on a kept-alive connection starts where it should.

use std::io::{self, BufRead, Read, Write};

/// The largest request head accepted (request line and headers).
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// The most header lines accepted.
const MAX_HEADERS: usize = 128;
/// The longest chunk-size or trailer line accepted.
const MAX_LINE: usize = 4096;

/// A request head as the browser sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Head {
    /// The method token, as sent.
    pub(crate) method: String,
    /// The request target: path and query (an absolute-form target is reduced to them).
    pub(crate) target: String,
    /// HTTP/1.0 (`false`) or HTTP/1.1.
    pub(crate) http11: bool,
    /// Header lines in order, names as sent, values as bytes.
    pub(crate) headers: Vec<(String, Vec<u8>)>,
}

impl Head {
    /// The value of header `name` (any case), each byte one character (ISO-8859-1, as browsers
    /// read header bytes); repeated lines joined with `, `.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        let values: Vec<String> = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.iter().copied().map(char::from).collect())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    /// Whether the client asked to close the connection after this request (HTTP/1.0 closes
    /// unless it asks to keep it alive).
    pub(crate) fn wants_close(&self) -> bool {
        let connection = self.header("connection").unwrap_or_default();
        let has = |token: &str| {
            connection
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        };
        if self.http11 {
            has("close")
        } else {
            !has("keep-alive")
        }
    }

    /// The path of the target, without its query.
    pub(crate) fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("/")
    }
}

/// How a request's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body.
    None,
    /// `Content-Length` bytes.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
}

/// Why a request could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The connection closed (or failed) before a request started: nothing to answer.
    Closed,
    /// A malformed or ambiguous request: answer 400 with this reason, then close.
    Bad(String),
}

/// Reads the next request head from `reader`; [`ReadError::Closed`] when the connection ends
/// cleanly between requests.
pub(crate) fn read_head(reader: &mut impl BufRead) -> Result<(Head, Framing), ReadError> {
    let mut raw = Vec::new();
    loop {
        let before = raw.len();
        let read = reader
            .by_ref()
            .take((MAX_HEAD + 1 - raw.len()) as u64)
            .read_until(b'\n', &mut raw)
            .map_err(|_| ReadError::Closed)?;
        if read == 0 {
            return if raw.iter().all(|b| matches!(b, b'\r' | b'\n')) {
                Err(ReadError::Closed)
            } else {
                Err(ReadError::Bad(
                    "the connection closed inside the request head".into(),
                ))
            };
        }
        if raw.len() > MAX_HEAD {
            return Err(ReadError::Bad(format!(
                "the request head is larger than {MAX_HEAD} bytes"
            )));
        }
        // Empty lines before the request line are ignored (RFC 9112 §2.2).
        if raw[before..].iter().all(|b| matches!(b, b'\r' | b'\n')) {
            if before == 0 {
                raw.clear();
                continue;
            }
            break;
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(&raw) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(ReadError::Bad("the request head is incomplete".into()))
        }
        Err(error) => return Err(ReadError::Bad(format!("malformed request head: {error}"))),
    }
    let method = request.method.unwrap_or_default().to_string();
    let target = origin_form(request.path.unwrap_or_default())
        .ok_or_else(|| ReadError::Bad("the request target is not a path".into()))?;
    let head = Head {
        method,
        target,
        http11: request.version == Some(1),
        headers: request
            .headers
            .iter()
            .map(|h| (h.name.to_string(), h.value.to_vec()))
            .collect(),
    };
    let framing = framing(&head)?;
    Ok((head, framing))
}

/// The path and query of a request target: origin-form as is, absolute-form reduced.
fn origin_form(target: &str) -> Option<String> {
    if target.starts_with('/') {
        return Some(target.to_string());
    }
    let url = url::Url::parse(target).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    Some(match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    })
}

/// How the body of `head` is delimited (RFC 9112 §6.3), refusing what a proxy must not guess.
fn framing(head: &Head) -> Result<Framing, ReadError> {
    let encodings = head.header("transfer-encoding");
    let lengths: Vec<String> = head
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .flat_map(|(_, v)| {
            String::from_utf8_lossy(v)
                .split(',')
                .map(|s| s.trim().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    match (encodings, lengths.as_slice()) {
        (Some(_), [_, ..]) => Err(ReadError::Bad(
            "the request has both Transfer-Encoding and Content-Length".into(),
        )),
        (Some(coding), []) if coding.trim().eq_ignore_ascii_case("chunked") && head.http11 => {
            Ok(Framing::Chunked)
        }
        (Some(coding), []) => Err(ReadError::Bad(format!(
            "Transfer-Encoding `{coding}` is not supported (only chunked, in HTTP/1.1)"
        ))),
        (None, []) => Ok(Framing::None),
        (None, [first, rest @ ..]) => {
            let length = first
                .parse::<u64>()
                .ok()
                .filter(|_| first.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| {
                    ReadError::Bad(format!("Content-Length `{first}` is not a number"))
                })?;
            if rest.iter().any(|r| r != first) {
                return Err(ReadError::Bad("differing Content-Length values".into()));
            }
            Ok(if length == 0 {
                Framing::None
            } else {
                Framing::Length(length)
            })
        }
    }
}

/// A request body read from the connection, never past its end.
pub(crate) struct Body<'a, R> {
    reader: &'a mut R,
    state: BodyState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyState {
    /// Bytes left of a `Content-Length` body.
    Length(u64),
    /// Bytes left of the current chunk (0: a chunk-size line comes next).
    Chunk(u64),
    /// The body has been read to its end.
    Done,
    /// Reading it failed (the connection, or chunked coding that is not well formed): nothing
    /// more is read, and the connection must close.
    Failed,
}

impl<'a, R: BufRead> Body<'a, R> {
    /// The body of a request framed by `framing`.
    pub(crate) fn new(reader: &'a mut R, framing: Framing) -> Self {
        let state = match framing {
            Framing::None => BodyState::Done,
            Framing::Length(n) => BodyState::Length(n),
            Framing::Chunked => BodyState::Chunk(0),
        };
        Body { reader, state }
    }

    /// True once the whole body has been read.
    pub(crate) fn finished(&self) -> bool {
        self.state == BodyState::Done
    }

    /// Reads and drops what is left of the body, up to `limit` bytes; true when it ended.
    pub(crate) fn drain(&mut self, limit: u64) -> bool {
        let _ = io::copy(&mut self.by_ref().take(limit), &mut io::sink());
        self.finished()
    }

    /// One line of chunked coding, without its line ending.
    fn line(&mut self) -> io::Result<Vec<u8>> {
        let mut line = Vec::new();
        self.reader
            .by_ref()
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut line)?;
        if !line.ends_with(b"\n") {
            return Err(malformed(
                "a chunked body ended inside a line, or a line is too long",
            ));
        }
        line.pop();
        if line.ends_with(b"\r") {
            line.pop();
        }
        Ok(line)
    }

    /// The size a chunk-size line announces: hex digits, then optional whitespace and
    /// extensions after `;` (RFC 9112 §7.1).
    fn chunk_size(line: &[u8]) -> io::Result<u64> {
        let size = line.split(|b| *b == b';').next().unwrap_or_default();
        let end = size
            .iter()
            .rposition(|b| !matches!(b, b' ' | b'\t'))
            .map_or(0, |i| i + 1);
        let size = &size[..end];
        if size.is_empty() || size.len() > 15 || !size.iter().all(u8::is_ascii_hexdigit) {
            return Err(malformed("a malformed chunk size"));
        }
        let digits = std::str::from_utf8(size).map_err(|_| malformed("a malformed chunk size"))?;
        u64::from_str_radix(digits, 16).map_err(|_| malformed("a malformed chunk size"))
    }

    fn read_body(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.state {
                BodyState::Done => return Ok(0),
                BodyState::Failed => return Err(malformed("the request body already failed")),
                BodyState::Length(left) => {
                    let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    let n = self.reader.read(&mut buf[..want])?;
                    if n == 0 {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                    let left = left - n as u64;
                    self.state = if left == 0 {
                        BodyState::Done
                    } else {
                        BodyState::Length(left)
                    };
                    return Ok(n);
                }
                BodyState::Chunk(0) => {
                    let line = self.line()?;
                    let size = Self::chunk_size(&line)?;
                    if size == 0 {
                        // Trailer lines, then the empty line that ends the body.
                        while !self.line()?.is_empty() {}
                        self.state = BodyState::Done;
                    } else {
                        self.state = BodyState::Chunk(size);
                    }
                }
                BodyState::Chunk(left) => {
                    let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    let n = self.reader.read(&mut buf[..want])?;
                    if n == 0 {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                    let left = left - n as u64;
                    // The line ending after the chunk's data, and nothing else.
                    if left == 0 && !self.line()?.is_empty() {
                        return Err(malformed("chunk data longer than its size"));
                    }
                    self.state = BodyState::Chunk(left);
                    return Ok(n);
                }
            }
        }
    }
}

fn malformed(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.to_string())
}

impl<R: BufRead> Read for Body<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let read = self.read_body(buf);
        if read.is_err() {
            self.state = BodyState::Failed;
        }
        read
    }
}

/// How the response body goes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Out {
    /// No body (HEAD, 1xx, 204, 304).
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked (HTTP/1.1 clients, length unknown).
    Chunked,
    /// Until the connection closes (HTTP/1.0 clients, length unknown).
    UntilClose,
}

/// The reason phrase of `status`, for the status line.
pub(crate) fn reason(status: u16) -> &'static str {
    ureq::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// Writes a response head: the status line, `headers` (their framing headers already
/// removed; values are ISO-8859-1 characters), the framing of `out` and `Connection: close` when `close`.
pub(crate) fn write_head(
    writer: &mut impl Write,
    status: u16,
    headers: &[(String, String)],
    out: Out,
    close: bool,
) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status)).into_bytes();
    for (name, value) in headers {
        head.extend_from_slice(name.as_bytes());
        head.extend_from_slice(b": ");
        // Each character one byte, as the value was read (the engine's values are ASCII).
        head.extend(value.chars().map(|c| u8::try_from(c).unwrap_or(b'?')));
        head.extend_from_slice(b"\r\n");
    }
    match out {
        Out::Length(n) => head.extend_from_slice(format!("Content-Length: {n}\r\n").as_bytes()),
        Out::Chunked => head.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
        Out::Empty | Out::UntilClose => {}
    }
    if close || out == Out::UntilClose {
        head.extend_from_slice(b"Connection: close\r\n");
    }
    head.extend_from_slice(b"\r\n");
    writer.write_all(&head)
}

/// Copies `body` to `writer` as `out` frames it, flushing after every read so a streamed
/// answer (server-sent events, a long download) reaches the page as it is produced. A body
/// shorter than its `Content-Length` is an error: the connection must then close.
pub(crate) fn write_body(
    writer: &mut impl Write,
    body: &mut impl Read,
    out: Out,
) -> io::Result<()> {
    let mut buf = vec![0; 16 * 1024];
    let mut sent: u64 = 0;
    loop {
        let n = match body.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            break;
        }
        match out {
            Out::Empty => {}
            Out::Chunked => {
                write!(writer, "{n:x}\r\n")?;
                writer.write_all(&buf[..n])?;
                writer.write_all(b"\r\n")?;
            }
            Out::Length(_) | Out::UntilClose => writer.write_all(&buf[..n])?,
        }
        sent += n as u64;
        writer.flush()?;
    }
    match out {
        Out::Chunked => writer.write_all(b"0\r\n\r\n")?,
        Out::Length(n) if n != sent => {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the upstream sent {sent} of {n} bytes"),
            ))
        }
        _ => {}
    }
    writer.flush()
}

#[cfg(test)]
mod tests {
    use std::io::{BufReader, Cursor, Read};

    use super::{read_head, write_body, Body, Framing, Out, ReadError};

    fn head(text: &str) -> Result<(super::Head, Framing), ReadError> {
        read_head(&mut BufReader::new(Cursor::new(text.as_bytes().to_vec())))
    }

    #[test]
    fn heads_and_their_framing() {
        let (h, f) = head("PURGE /a%20b?x=1 HTTP/1.1\r\nHost: h\r\nOrigin: https://a.example\r\nContent-Length: 3\r\n\r\nabc").unwrap();
        assert_eq!(
            (h.method.as_str(), h.target.as_str(), h.path()),
            ("PURGE", "/a%20b?x=1", "/a%20b")
        );
        assert_eq!(h.header("origin").as_deref(), Some("https://a.example"));
        assert_eq!(f, Framing::Length(3));
        assert!(!h.wants_close());
        let (h, f) = head("GET http://127.0.0.1:9/p?q HTTP/1.0\r\n\r\n").unwrap();
        assert_eq!((h.target.as_str(), f), ("/p?q", Framing::None));
        assert!(h.wants_close(), "HTTP/1.0 closes by default");
        let (_, f) = head("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n").unwrap();
        assert_eq!(f, Framing::Chunked);
        assert!(matches!(head(""), Err(ReadError::Closed)));
        assert!(matches!(head("\r\n"), Err(ReadError::Closed)));
        for bad in [
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\n",
            "GET * HTTP/1.1\r\n\r\n",
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h",
            "G@T / HTTP/1.1\r\n\r\n",
        ] {
            assert!(matches!(head(bad), Err(ReadError::Bad(_))), "{bad:?}");
        }
        let huge = format!(
            "GET / HTTP/1.1\r\nX: {}\r\n\r\n",
            "a".repeat(super::MAX_HEAD)
        );
        assert!(matches!(head(&huge), Err(ReadError::Bad(_))));
    }

    #[test]
    fn bodies_stop_at_their_end_and_leave_the_next_request() {
        let wire = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\nGET /next HTTP/1.1\r\n\r\n";
        let mut reader = BufReader::new(Cursor::new(wire.to_vec()));
        let mut body = Body::new(&mut reader, Framing::Chunked);
        let mut text = String::new();
        body.read_to_string(&mut text).unwrap();
        assert_eq!(text, "hello world");
        assert!(body.finished());
        assert_eq!(read_head(&mut reader).unwrap().0.target, "/next");

        let mut reader = BufReader::new(Cursor::new(b"abcGET /n HTTP/1.1\r\n\r\n".to_vec()));
        let mut body = Body::new(&mut reader, Framing::Length(3));
        assert!(body.drain(1024));
        assert_eq!(read_head(&mut reader).unwrap().0.target, "/n");

        for bad in [
            &b"zz\r\n"[..],
            b"+3\r\nabc\r\n0\r\n\r\n",
            b" 3\r\nabc\r\n0\r\n\r\n",
            b"3\r\nabc \r\n0\r\n\r\n",
        ] {
            let mut reader = BufReader::new(Cursor::new(bad.to_vec()));
            let mut body = Body::new(&mut reader, Framing::Chunked);
            assert!(
                Read::read_to_end(&mut body, &mut Vec::new()).is_err(),
                "{bad:?}"
            );
            assert!(!body.drain(1024), "a failed body is never drained: {bad:?}");
        }
        let mut reader = BufReader::new(Cursor::new(b"3 ;ext\r\nabc\r\n0\r\n\r\n".to_vec()));
        let mut body = Body::new(&mut reader, Framing::Chunked);
        assert_eq!(body.read(&mut []).unwrap(), 0);
        let mut text = String::new();
        body.read_to_string(&mut text).unwrap();
        assert_eq!(text, "abc");
        let mut reader = BufReader::new(Cursor::new(b"ab".to_vec()));
        let mut body = Body::new(&mut reader, Framing::Length(3));
        assert!(Read::read_to_end(&mut body, &mut Vec::new()).is_err());
        assert!(!body.finished());
    }

    #[test]
    fn responses_are_framed_as_announced() {
        let mut wire = Vec::new();
        write_body(&mut wire, &mut Cursor::new(b"hello".to_vec()), Out::Chunked).unwrap();
        assert_eq!(wire, b"5\r\nhello\r\n0\r\n\r\n");
        let mut wire = Vec::new();
        write_body(
            &mut wire,
            &mut Cursor::new(b"hello".to_vec()),
            Out::Length(5),
        )
        .unwrap();
        assert_eq!(wire, b"hello");
        assert!(write_body(
            &mut Vec::new(),
            &mut Cursor::new(b"hel".to_vec()),
            Out::Length(5)
        )
        .is_err());
        let mut wire = Vec::new();
        super::write_head(
            &mut wire,
            204,
            &[("Vary".into(), "Origin".into())],
            Out::Empty,
            false,
        )
        .unwrap();
        assert_eq!(wire, b"HTTP/1.1 204 No Content\r\nVary: Origin\r\n\r\n");
    }
}
