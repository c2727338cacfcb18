//! `emotrace devices`: cameras and the formats they offer.

use super::Outcome;
use emotrace::text::terminal_safe;

/// Runs `devices`: one line per camera (index, name, device), then its formats indented.
///
/// Errors: no camera support built in, or no camera found (one sentence).
pub fn run() -> anyhow::Result<Outcome> {
    let devices = emotrace::capture::list_devices()?;
    for d in devices {
        println!("{:>2}  {}  ({})", d.index, terminal_safe(&d.name), terminal_safe(&d.description));
        if d.formats.is_empty() {
            println!("      formats could not be queried (camera busy?)");
        }
        for f in &d.formats {
            println!("      {}x{} @ {} FPS  {}", f.width, f.height, f.fps, f.pixel_format);
        }
    }
    Ok(Outcome::Done)
}
