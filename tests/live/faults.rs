//! A fault-injecting HTTP proxy on loopback, in front of the moto server.
//!
//! Every request the SDK sends gets a number (in order of arrival); a
//! seeded pseudo-random draw on that number decides whether it gets the
//! fault, so a (fault, rate, seed) is one fixed schedule. Faults:
//! HTTP 500, HTTP 503, throttling (400 `Throttling` / EC2's
//! `RequestLimitExceeded`), a dropped connection (the request is read, no
//! answer), a stall (no answer, or the head and half the body, then
//! nothing for [`STALL_HOLD`]) and a truncated 200 answer (the body cut at a
//! drawn point, `Content-Length` set to the cut so the framing looks whole).
//! Outside the matrix, [`Fault::RepeatToken`]: an EC2 answer given a
//! `nextToken` equal to the one its request sent (or a fixed one on the
//! first page), the case in which the SDK's paginator ends a listing as if
//! it were whole.
//!
//! One request per connection (`Connection: close` both ways), which keeps
//! the proxy simple and every request on its own draw.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How long a stalled connection is held (far beyond any stall timeout a
/// test sets).
pub const STALL_HOLD: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    Http500,
    Http503,
    Throttle,
    Drop,
    Stall,
    Truncate,
    /// Not in [`Fault::ALL`]: an EC2 answer whose `nextToken` repeats.
    RepeatToken,
}

impl Fault {
    pub const ALL: [Fault; 6] = [
        Fault::Http500,
        Fault::Http503,
        Fault::Throttle,
        Fault::Drop,
        Fault::Stall,
        Fault::Truncate,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::Http500 => "HTTP 500",
            Fault::Http503 => "HTTP 503",
            Fault::Throttle => "throttling (400)",
            Fault::Drop => "dropped connection",
            Fault::Stall => "stall",
            Fault::Truncate => "truncated 200",
            Fault::RepeatToken => "repeated page token",
        }
    }
}

/// Which requests get the fault.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub fault: Fault,
    /// Percent of requests (drawn per request).
    pub rate: u64,
    pub seed: u64,
    /// Only requests of this action (`DescribeSubnets`); all when `None`.
    pub action: Option<&'static str>,
    /// At most this many faults; unbounded when `None`.
    pub limit: Option<u64>,
}

impl Schedule {
    pub fn new(fault: Fault, rate: u64, seed: u64) -> Schedule {
        Schedule {
            fault,
            rate,
            seed,
            action: None,
            limit: None,
        }
    }
}

/// splitmix64: a small, good, seeded mixing function.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// What the proxy did, for the report.
#[derive(Debug, Default)]
pub struct Tally {
    pub requests: u64,
    /// `Action` -> faults injected into its requests.
    pub injected: BTreeMap<String, u64>,
}

impl Tally {
    pub fn faults(&self) -> u64 {
        self.injected.values().sum()
    }
}

pub struct Proxy {
    pub url: String,
    tally: Arc<Mutex<Tally>>,
    // The proxy's own runtime; dropping it ends every connection.
    _runtime: tokio::runtime::Runtime,
}

impl Proxy {
    pub fn start(upstream_port: u16, schedule: Schedule) -> Proxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("proxy runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("proxy port");
        let port = listener.local_addr().expect("proxy address").port();
        let tally = Arc::new(Mutex::new(Tally::default()));
        let counter = Arc::new(AtomicU64::new(0));
        let schedule = Arc::new(schedule);
        let t = tally.clone();
        runtime.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (t, counter, schedule) = (t.clone(), counter.clone(), schedule.clone());
                tokio::spawn(async move {
                    let _ = serve(client, upstream_port, &schedule, &counter, &t).await;
                });
            }
        });
        Proxy {
            url: format!("http://127.0.0.1:{port}"),
            tally,
            _runtime: runtime,
        }
    }

    pub fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One HTTP message: head lines and body.
struct Message {
    head: String,
    body: Vec<u8>,
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The head with `Connection: close` and, if given, a new Content-Length.
fn rewrite(head: &str, content_length: Option<usize>) -> String {
    let mut out = String::new();
    for (i, line) in head.lines().enumerate() {
        let name = line.split(':').next().unwrap_or("").trim();
        if i > 0
            && (name.eq_ignore_ascii_case("connection")
                || name.eq_ignore_ascii_case("keep-alive")
                || (content_length.is_some() && name.eq_ignore_ascii_case("content-length")))
        {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    if let Some(n) = content_length {
        out.push_str(&format!("Content-Length: {n}\r\n"));
    }
    out.push_str("Connection: close\r\n\r\n");
    out
}

async fn read_message(s: &mut TcpStream) -> std::io::Result<Option<Message>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end - 4]).into_owned();
    let mut body = buf[head_end..].to_vec();
    match header(&head, "content-length").and_then(|v| v.parse::<usize>().ok()) {
        Some(len) => {
            while body.len() < len {
                let n = s.read(&mut chunk).await?;
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
            body.truncate(len);
        }
        None if head.starts_with("HTTP/") => {
            s.read_to_end(&mut body).await?;
        }
        None => {}
    }
    Ok(Some(Message { head, body }))
}

fn action_of(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .unwrap_or("(none)")
        .to_string()
}

/// An error answer in the body format of the request's protocol.
fn error_answer(ec2: bool, status: &str, code: &str, message: &str) -> Vec<u8> {
    let body = if ec2 {
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>injected</RequestID></Response>")
    } else {
        format!("<ErrorResponse><Error><Type>Receiver</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>injected</RequestId></ErrorResponse>")
    };
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

async fn forward(upstream_port: u16, req: &Message) -> std::io::Result<Option<Message>> {
    let mut up = TcpStream::connect(("127.0.0.1", upstream_port)).await?;
    up.write_all(rewrite(&req.head, None).as_bytes()).await?;
    up.write_all(&req.body).await?;
    read_message(&mut up).await
}

async fn serve(
    mut client: TcpStream,
    upstream_port: u16,
    schedule: &Schedule,
    counter: &AtomicU64,
    tally: &Mutex<Tally>,
) -> std::io::Result<()> {
    let Some(req) = read_message(&mut client).await? else {
        return Ok(());
    };
    let action = action_of(&req.body);
    let ec2 = String::from_utf8_lossy(&req.body).contains("Version=2016-11-15");
    let n = counter.fetch_add(1, Ordering::SeqCst);
    let draw = mix(schedule.seed.wrapping_mul(1_000_003) ^ n);
    let fault = {
        let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
        t.requests += 1;
        let wanted = schedule.action.is_none_or(|a| a == action)
            && draw % 100 < schedule.rate
            && schedule.limit.is_none_or(|l| t.faults() < l);
        if wanted {
            *t.injected.entry(action.clone()).or_default() += 1;
        }
        wanted.then_some(schedule.fault)
    };
    let second = mix(draw);
    match fault {
        Some(Fault::Http500) => {
            let code = if ec2 {
                "InternalError"
            } else {
                "InternalFailure"
            };
            client
                .write_all(&error_answer(
                    ec2,
                    "500 Internal Server Error",
                    code,
                    "injected server error",
                ))
                .await?;
        }
        Some(Fault::Http503) => {
            let code = if ec2 {
                "Unavailable"
            } else {
                "ServiceUnavailable"
            };
            client
                .write_all(&error_answer(
                    ec2,
                    "503 Service Unavailable",
                    code,
                    "injected: service unavailable",
                ))
                .await?;
        }
        Some(Fault::Throttle) => {
            let code = if ec2 {
                "RequestLimitExceeded"
            } else {
                "Throttling"
            };
            client
                .write_all(&error_answer(ec2, "400 Bad Request", code, "Rate exceeded"))
                .await?;
        }
        Some(Fault::Drop) => {
            // The request was read; the connection ends without an answer.
            drop(client);
            return Ok(());
        }
        Some(Fault::Stall) if second.is_multiple_of(2) => {
            // Nothing at all.
            tokio::time::sleep(STALL_HOLD).await;
            return Ok(());
        }
        _ => {
            let Some(resp) = forward(upstream_port, &req).await? else {
                return Ok(());
            };
            let len = resp.body.len();
            match fault {
                Some(Fault::Stall) => {
                    // The head and half the body, then nothing.
                    client
                        .write_all(rewrite(&resp.head, Some(len)).as_bytes())
                        .await?;
                    client.write_all(&resp.body[..len / 2]).await?;
                    client.flush().await?;
                    tokio::time::sleep(STALL_HOLD).await;
                    return Ok(());
                }
                Some(Fault::RepeatToken) => {
                    let body = with_next_token(&resp.body, REPEATED_TOKEN);
                    client
                        .write_all(rewrite(&resp.head, Some(body.len())).as_bytes())
                        .await?;
                    client.write_all(&body).await?;
                }
                Some(Fault::Truncate) => {
                    let cut = if len == 0 {
                        0
                    } else {
                        (second % len as u64) as usize
                    };
                    client
                        .write_all(rewrite(&resp.head, Some(cut)).as_bytes())
                        .await?;
                    client.write_all(&resp.body[..cut]).await?;
                }
                _ => {
                    client
                        .write_all(rewrite(&resp.head, Some(len)).as_bytes())
                        .await?;
                    client.write_all(&resp.body).await?;
                }
            }
        }
    }
    client.shutdown().await
}

/// The token [`Fault::RepeatToken`] puts in every answer it touches.
pub const REPEATED_TOKEN: &str = "parity-repeated-token";

/// An EC2 XML answer with `<nextToken>token</nextToken>` (any it had
/// removed) as the last element of its root.
fn with_next_token(body: &[u8], token: &str) -> Vec<u8> {
    let mut text = String::from_utf8_lossy(body).into_owned();
    if let (Some(a), Some(b)) = (text.find("<nextToken>"), text.find("</nextToken>")) {
        if a < b {
            text.replace_range(a..b + "</nextToken>".len(), "");
        }
    }
    match text.rfind("</") {
        Some(end) => text.insert_str(end, &format!("<nextToken>{token}</nextToken>")),
        None => text.push_str(&format!("<nextToken>{token}</nextToken>")),
    }
    text.into_bytes()
}
