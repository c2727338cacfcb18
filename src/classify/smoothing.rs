//! Per-track temporal smoothing of emotion probabilities.
//!
//! Exponential moving average with a half-life in seconds, irregular sampling aware: for a gap of `dt` seconds
//! the previous estimate keeps weight `0.5^(dt / half_life)`, so a face seen at 10 FPS and at 30 FPS settles
//! in the same wall time. A half-life of 0 disables smoothing.

use super::{Probs, NUM_EMOTIONS};

/// Smoothing state of one track.
#[derive(Clone, Debug)]
pub struct Smoother {
    half_life_s: f64,
    state: Option<(Probs, u64)>,
}

impl Smoother {
    /// A smoother with the given half-life in seconds (`>= 0`; 0 means no smoothing).
    pub fn new(half_life_s: f64) -> Self {
        Self { half_life_s: half_life_s.max(0.0), state: None }
    }

    /// Feeds the raw probabilities of the frame at `timestamp_ms` (ms since session start) and returns the
    /// smoothed probabilities (they still sum to 1).
    pub fn update(&mut self, raw: &Probs, timestamp_ms: u64) -> Probs {
        let out = match self.state {
            Some((prev, t_prev)) if self.half_life_s > 0.0 => {
                let dt_s = crate::fmt::ms_to_s(timestamp_ms.saturating_sub(t_prev));
                let keep = 0.5f64.powf(dt_s / self.half_life_s) as f32;
                let mut s = [0.0; NUM_EMOTIONS];
                for i in 0..NUM_EMOTIONS {
                    s[i] = keep * prev[i] + (1.0 - keep) * raw[i];
                }
                s
            }
            _ => *raw,
        };
        self.state = Some((out, timestamp_ms));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_one_half_life_the_old_estimate_keeps_half_its_weight() {
        let mut s = Smoother::new(0.5);
        let a = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let b = [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0];
        assert_eq!(s.update(&a, 0), a);
        let out = s.update(&b, 500);
        assert!((out[0] - 0.5).abs() < 1e-6 && (out[3] - 0.5).abs() < 1e-6);
        assert!((out.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn zero_half_life_passes_raw_values_through() {
        let mut s = Smoother::new(0.0);
        let a = [0.1, 0.1, 0.1, 0.4, 0.1, 0.1, 0.1];
        s.update(&[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], 0);
        assert_eq!(s.update(&a, 40), a);
    }
}
