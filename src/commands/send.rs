//! `emotrace send SESSION --lrs URL [--group NAME]`: a stored session's class-level xAPI statements
//! ([`emotrace::api::xapi`]) posted to a Learning Record Store as one batch: `POST URL/statements`, header
//! `X-Experience-API-Version: 1.0.3`, HTTP Basic authentication with `EMOTRACE_LRS_USER` and
//! `EMOTRACE_LRS_PASSWORD`, else the configuration's `[lrs] user` and `password_file` (never the command line: a
//! command line is visible to every user of the machine, and a URL with credentials in it is refused). The URL is
//! `--lrs`, else `[lrs] url`. The statement ids are derived from the session, so a second send stores nothing new.

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;

use super::Outcome;
use crate::cli::SendArgs;
use emotrace::api::xapi::{self, XAPI_VERSION};
use emotrace::config::{Config, LrsConfig};
use emotrace::store::Store;
use emotrace::SessionOverview;

/// The environment variable holding the LRS user name.
pub const USER_VAR: &str = "EMOTRACE_LRS_USER";
/// The environment variable holding the LRS password.
pub const PASSWORD_VAR: &str = "EMOTRACE_LRS_PASSWORD";

/// How long the whole exchange with the LRS may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The session `query` names, as xAPI statements with the class `group` as actor; and its id.
///
/// Errors: no session or several match; it is being recorded, or cannot be read.
pub fn session_statements(store: &Store, query: &str, group: &str) -> anyhow::Result<(String, Vec<Value>)> {
    anyhow::ensure!(!emotrace::text::clean_label(group).is_empty(), "--group is empty: name the class");
    let id = store.resolve_session(query)?;
    let reader = store.open_session(&id)?;
    let overview = SessionOverview::load(&reader).map_err(|e| anyhow::anyhow!("session '{id}': {e:#}"))?;
    Ok((id, xapi::statements(&overview, &emotrace::text::clean_label(group))))
}

/// Runs `send`.
///
/// Errors (one line each, exit 1): no URL (neither `--lrs` nor `[lrs] url`); credentials missing from the
/// environment and the configuration, an unreadable password file, or credentials given in the URL; a URL that is
/// not http(s); the session cannot be found or read; the LRS cannot be reached, refuses the credentials (401, 403),
/// or answers anything but success (its status and the first line of its answer).
pub fn run(cfg: &Config, store: Option<&Path>, args: &SendArgs) -> anyhow::Result<Outcome> {
    let raw = match args.lrs.as_deref() {
        Some(url) => url,
        None if !cfg.lrs.url.trim().is_empty() => cfg.lrs.url.trim(),
        None => anyhow::bail!("name the LRS: --lrs URL, or url in the configuration's [lrs] table"),
    };
    let endpoint = lrs_endpoint(raw)?;
    let (user, password) = credentials(&cfg.lrs)?;
    let store = Store::open_existing(&cfg.store_dir(store)?)?;
    let (id, statements) = session_statements(&store, &args.session, &args.group)?;
    let url = format!("{endpoint}/statements");
    let body = serde_json::to_string(&statements)?;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let agent: ureq::Agent =
        ureq::Agent::config_builder().timeout_global(Some(TIMEOUT)).http_status_as_error(false).build().into();
    let response = agent
        .post(&url)
        .header("X-Experience-API-Version", XAPI_VERSION)
        .header("Authorization", format!("Basic {auth}"))
        .content_type("application/json")
        .send(body)
        .map_err(|e| anyhow::anyhow!("{url}: cannot reach the LRS: {}", emotrace::fmt::one_line(e.to_string())))?;
    let status = response.status();
    let text = response.into_body().read_to_string().unwrap_or_default();
    match status.as_u16() {
        200..=299 => {}
        401 | 403 => {
            anyhow::bail!(
                "{url}: the LRS refused the credentials ({status}); check {USER_VAR} and {PASSWORD_VAR} (or [lrs] \
                 user and password_file)"
            )
        }
        _ => anyhow::bail!("{url}: the LRS answered {status}: {}", first_line(&text)),
    }
    eprintln!(
        "sent session {id}: {} xAPI statements to {url} (the same ids each time: statements already there are \
         not stored again)",
        statements.len()
    );
    Ok(Outcome::Done)
}

/// The endpoint without a trailing slash.
///
/// Errors: not an http(s) URL; credentials in it.
fn lrs_endpoint(raw: &str) -> anyhow::Result<String> {
    let url = url::Url::parse(raw).map_err(|e| anyhow::anyhow!("--lrs {raw}: not a URL ({e})"))?;
    anyhow::ensure!(matches!(url.scheme(), "http" | "https"), "--lrs {}: use an http:// or https:// URL", url.scheme());
    anyhow::ensure!(
        url.username().is_empty() && url.password().is_none(),
        "--lrs: put the credentials in {USER_VAR} and {PASSWORD_VAR}, not in the URL"
    );
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// The user and password: each from the environment, else from the configuration (`user`, the first line of
/// `password_file`).
///
/// Errors: either missing or empty in both; the password file cannot be read.
fn credentials(lrs: &LrsConfig) -> anyhow::Result<(String, String)> {
    let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let user = get(USER_VAR).or_else(|| Some(lrs.user.clone()).filter(|u| !u.is_empty()));
    let password = match get(PASSWORD_VAR) {
        Some(p) => Some(p),
        None if lrs.password_file.as_os_str().is_empty() => None,
        None => {
            let path = &lrs.password_file;
            let text = std::fs::read_to_string(path).map_err(|e| {
                anyhow::anyhow!("{}: cannot read the LRS password file ([lrs] password_file): {e}", path.display())
            })?;
            Some(text.lines().next().unwrap_or_default().trim_end_matches('\r').to_string()).filter(|p| !p.is_empty())
        }
    };
    match (user, password) {
        (Some(u), Some(p)) => Ok((u, p)),
        _ => anyhow::bail!(
            "no LRS credentials: set {USER_VAR} and {PASSWORD_VAR} (Basic authentication), or user and password_file \
             in the configuration's [lrs] table"
        ),
    }
}

/// The first non-empty line of an answer, at most 200 characters, safe for a terminal.
fn first_line(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("(no body)");
    emotrace::text::terminal_safe(&line.chars().take(200).collect::<String>()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_is_checked_and_keeps_its_path() {
        assert_eq!(lrs_endpoint("http://127.0.0.1:8100/xAPI/").unwrap(), "http://127.0.0.1:8100/xAPI");
        assert!(lrs_endpoint("http://u:p@host/xAPI").unwrap_err().to_string().contains(PASSWORD_VAR));
        assert!(lrs_endpoint("ftp://host/xAPI").is_err());
        assert!(lrs_endpoint("not a url").is_err());
    }
}
