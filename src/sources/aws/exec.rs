//! Running calls: one bound on the calls in flight over every service and
//! region (a semaphore permit per request or page), and failed calls turned
//! into coverage gaps so collection goes on.
//!
//! A page is fetched while holding a permit and the permit is released
//! before the page is processed, so `concurrency = 1` really means one call
//! at a time (what the benchmark compares against).
//!
//! Every answered call or page moves the progress bar on by one (a hidden
//! bar, unless the caller asked for one and stderr is a terminal).

use std::error::Error as StdError;
use std::future::Future;
use std::sync::{Arc, Mutex};

use aws_smithy_async::future::pagination_stream::PaginationStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use indicatif::ProgressBar;
use tokio::sync::Semaphore;

use super::client::ApiFailure;
use super::paged::Paged;
use crate::model::CoverageGap;

/// At most this many pages of one listing (ten million resources at the
/// page sizes the collectors ask for): a service that hands out new tokens
/// forever gives a coverage gap, not an endless read.
pub(crate) const MAX_PAGES: usize = 10_000;

/// Why a listing cannot be trusted whole after `page`, if it cannot: the
/// page repeats the previous page's token (the SDK's paginator then ends
/// the listing as if it were complete), or the listing is past
/// [`MAX_PAGES`].
fn page_problem<T: Paged>(page: &T, previous: Option<&str>, count: usize) -> Option<String> {
    match page.page_token().filter(|t| !t.is_empty()) {
        Some(t) if previous == Some(t) => Some(format!(
            "the answer repeated the page token of the page before ({}): the listing may be incomplete",
            t.chars().take(40).collect::<String>()
        )),
        Some(_) if count >= MAX_PAGES => Some(format!(
            "more than {MAX_PAGES} pages: the listing was stopped there"
        )),
        _ => None,
    }
}

/// Shared by every collector of one collection.
#[derive(Clone)]
pub(crate) struct Exec {
    permits: Arc<Semaphore>,
    gaps: Arc<Mutex<Vec<CoverageGap>>>,
    progress: ProgressBar,
}

impl Exec {
    pub fn new(concurrency: usize, progress: ProgressBar) -> Exec {
        Exec {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            gaps: Arc::default(),
            progress,
        }
    }

    /// A context for the collectors of one region (`global` for IAM).
    pub fn ctx(&self, region: &str) -> Ctx {
        Ctx {
            exec: self.clone(),
            region: region.to_string(),
        }
    }

    pub fn gap(&self, what: &str, reason: &str) {
        self.gaps
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(CoverageGap {
                what: what.to_string(),
                reason: reason.to_string(),
            });
    }

    /// The gaps, sorted and de-duplicated (a denied per-resource call is
    /// reported once per API, with how many calls it failed).
    pub fn take_gaps(&self) -> Vec<CoverageGap> {
        let mut gaps = std::mem::take(&mut *self.gaps.lock().unwrap_or_else(|p| p.into_inner()));
        gaps.sort();
        let mut out: Vec<CoverageGap> = Vec::new();
        let mut counts: Vec<usize> = Vec::new();
        for g in gaps {
            match out.last() {
                Some(last) if *last == g => {
                    if let Some(n) = counts.last_mut() {
                        *n += 1;
                    }
                }
                _ => {
                    out.push(g);
                    counts.push(1);
                }
            }
        }
        for (g, n) in out.iter_mut().zip(counts) {
            if n > 1 {
                g.reason = format!("{} ({n} calls)", g.reason);
            }
        }
        out
    }
}

/// The context of one collector: where it runs and how it calls.
#[derive(Clone)]
pub(crate) struct Ctx {
    exec: Exec,
    pub region: String,
}

/// Why an API's data is missing, as a coverage reason.
fn reason(failure: &ApiFailure) -> String {
    if failure.is_denied() {
        format!("access denied ({failure})")
    } else if failure.is_throttled() {
        format!("still throttled after retries ({failure})")
    } else {
        format!("call failed ({failure})")
    }
}

impl Ctx {
    /// Record that `api` (`ec2:DescribeVpcs`) could not be read.
    fn failed<E>(&self, api: &str, err: &SdkError<E, HttpResponse>)
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        let failure = ApiFailure::from_sdk(err);
        self.exec
            .gap(&format!("{api} ({})", self.region), &reason(&failure));
    }

    /// One call under a permit; `None` (and a coverage gap) when it fails.
    pub async fn call<T, E, F, Fut>(&self, api: &str, f: F) -> Option<T>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + StdError + 'static,
    {
        let result = {
            // invariant: the semaphore is never closed.
            let _permit = self.exec.permits.acquire().await.ok();
            f().await
        };
        self.exec.progress.inc(1);
        match result {
            Ok(out) => Some(out),
            Err(e) => {
                self.failed(api, &e);
                None
            }
        }
    }

    /// Every page of a paginated call that has a fallback: `None`, and no
    /// coverage gap, when a page fails (the caller reads the same data
    /// another way).
    pub async fn try_pages<T, E>(
        &self,
        api: &str,
        stream: PaginationStream<Result<T, SdkError<E, HttpResponse>>>,
    ) -> Option<Vec<T>>
    where
        T: Paged,
        E: ProvideErrorMetadata + StdError + 'static,
    {
        let (out, end) = self.read_pages(stream).await;
        match end {
            None => Some(out),
            Some(why) => {
                let why = match why {
                    PagesEnd::Failed(e) => ApiFailure::from_sdk(&e).to_string(),
                    PagesEnd::Untrusted(problem) => problem,
                };
                tracing::debug!(
                    "{api} ({}): {why}; reading resource by resource instead",
                    self.region
                );
                None
            }
        }
    }

    /// Every page of a paginated call, each fetched under a permit. A page
    /// that fails, or that makes the listing untrustworthy (see
    /// [`page_problem`]), ends the listing with a coverage gap; the pages
    /// before it are kept.
    pub async fn pages<T, E>(
        &self,
        api: &str,
        stream: PaginationStream<Result<T, SdkError<E, HttpResponse>>>,
    ) -> Vec<T>
    where
        T: Paged,
        E: ProvideErrorMetadata + StdError + 'static,
    {
        let (out, end) = self.read_pages(stream).await;
        match end {
            None => {}
            Some(PagesEnd::Failed(e)) => self.failed(api, &e),
            Some(PagesEnd::Untrusted(problem)) => {
                self.exec.gap(&format!("{api} ({})", self.region), &problem)
            }
        }
        out
    }

    /// The pages of a listing up to its end, or up to the first page that
    /// fails or cannot be trusted (which is not kept: a service that
    /// repeats a token may repeat the page too), and why it stopped there.
    async fn read_pages<T, E>(
        &self,
        mut stream: PaginationStream<Result<T, SdkError<E, HttpResponse>>>,
    ) -> (Vec<T>, Option<PagesEnd<E>>)
    where
        T: Paged,
    {
        let mut out: Vec<T> = Vec::new();
        loop {
            let next = {
                // invariant: the semaphore is never closed.
                let _permit = self.exec.permits.acquire().await.ok();
                stream.next().await
            };
            if next.is_some() {
                self.exec.progress.inc(1);
            }
            match next {
                None => return (out, None),
                Some(Ok(page)) => {
                    let previous = out.last().and_then(|p| p.page_token());
                    if let Some(problem) = page_problem(&page, previous, out.len() + 1) {
                        return (out, Some(PagesEnd::Untrusted(problem)));
                    }
                    out.push(page)
                }
                Some(Err(e)) => return (out, Some(PagesEnd::Failed(Box::new(e)))),
            }
        }
    }
}

/// Why [`Ctx::read_pages`] stopped before the end of a listing.
enum PagesEnd<E> {
    /// A page's call failed.
    Failed(Box<SdkError<E, HttpResponse>>),
    /// A page made the listing untrustworthy ([`page_problem`]).
    Untrusted(String),
}
