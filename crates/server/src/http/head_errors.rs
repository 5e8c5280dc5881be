//! actix-http answers a request head it cannot read (over its 128 KiB buffer or 96 headers: 431; not
//! HTTP: 400) from inside its dispatcher, before any app code runs, with an empty body and no content
//! type. The API promises JSON for every answer, so each connection is wrapped: when the first bytes it
//! writes for a response are such a bodiless 431 or 400, the wrapper writes the same status with the
//! API's JSON body instead. Every other byte passes through untouched.

use actix_web::rt::net::TcpStream;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A client connection whose bodiless parse-error answers are rewritten as JSON.
pub struct JsonParseErrors {
    io: TcpStream,
    /// The JSON answer still to be written, once a bodiless error head was seen (then nothing else the
    /// dispatcher writes goes out: the connection is closing).
    replacement: Option<Vec<u8>>,
    swallowing: bool,
}

impl JsonParseErrors {
    pub fn new(io: TcpStream) -> Self {
        Self { io, replacement: None, swallowing: false }
    }

    pub fn tcp(&self) -> &TcpStream {
        &self.io
    }

    /// The JSON answer for a head the dispatcher wrote without a body, if `head` is one.
    fn replace(head: &[u8]) -> Option<Vec<u8>> {
        let text = std::str::from_utf8(head.get(..head.len().min(512))?).ok()?;
        let (status, message) = if text.starts_with("HTTP/1.1 431 ") {
            (431, "Request header fields too large.")
        } else if text.starts_with("HTTP/1.1 400 ") {
            (400, "Malformed HTTP request.")
        } else {
            return None;
        };
        let lower = text.to_ascii_lowercase();
        // only the dispatcher's own answers: no content type, no body
        if lower.contains("content-type:") || !lower.contains("content-length: 0\r\n") {
            return None;
        }
        let reason = if status == 431 { "Request Header Fields Too Large" } else { "Bad Request" };
        let body = format!(r#"{{"status":"fail","message":"{message}"}}"#);
        Some(
            format!(
                "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        )
    }
}

impl AsyncRead for JsonParseErrors {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for JsonParseErrors {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if !this.swallowing
            && let Some(replacement) = Self::replace(buf)
        {
            this.replacement = Some(replacement);
            this.swallowing = true;
        }
        if !this.swallowing {
            return Pin::new(&mut this.io).poll_write(cx, buf);
        }
        while let Some(pending) = this.replacement.as_mut().filter(|p| !p.is_empty()) {
            match Pin::new(&mut this.io).poll_write(cx, pending) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(written)) => {
                    pending.drain(..written);
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        // the dispatcher's own bytes for this answer are dropped
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::JsonParseErrors;

    #[test]
    fn only_the_dispatchers_bodiless_errors_are_replaced() {
        let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\ndate: x\r\n\r\n";
        let replaced = String::from_utf8(JsonParseErrors::replace(head).unwrap()).unwrap();
        assert!(
            replaced.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n")
        );
        assert!(replaced.ends_with("\r\n\r\n{\"status\":\"fail\",\"message\":\"Request header fields too large.\"}"));
        let bad = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
        assert!(String::from_utf8(JsonParseErrors::replace(bad).unwrap()).unwrap().contains("Malformed HTTP request."));
        // the API's own 400s carry JSON already
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 61\r\ncontent-type: application/json\r\n\r\n{}";
        assert!(JsonParseErrors::replace(ours).is_none());
        assert!(JsonParseErrors::replace(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
    }
}
