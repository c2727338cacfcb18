//! `emotrace devices`: cameras and the formats they offer.

use super::Outcome;

/// Runs `devices`.
///
/// Errors: no camera support built in, or no camera found (one sentence).
pub fn run() -> anyhow::Result<Outcome> {
    let devices = crate::capture::list_devices()?;
    for d in devices {
        println!("{d}");
    }
    Ok(Outcome::Done)
}
