//! A constant-velocity Kalman filter on a face box (centre x, centre y, width, height), with time steps in
//! seconds so that frames may be skipped or arrive irregularly.
//!
//! The state of each of the four box coordinates is `[position, velocity]` (pixels, pixels per second). With
//! process noise that does not couple the coordinates, the 8-state filter of SORT / ByteTrack (Bewley et al. 2016;
//! Zhang et al. 2022) splits exactly into four independent 2-state filters, which is what is run here. Process
//! noise is the discrete white-noise-acceleration model (`Q = q [[dt^3/3, dt^2/2], [dt^2/2, dt]]`); as in
//! ByteTrack, the noise scales with the box height, so a small face far away and a large one near the camera are
//! equally smooth in relative terms.

use crate::detect::BBox;

/// Measurement noise: standard deviation of a detected box coordinate, as a fraction of the box height.
const MEASUREMENT_STD: f32 = 0.05;
/// Process noise: standard deviation of the acceleration of a box coordinate, box heights per second squared.
const ACCELERATION_STD: f32 = 2.0;
/// Initial velocity uncertainty, box heights per second.
const INITIAL_VELOCITY_STD: f32 = 1.0;

/// One coordinate: position `p`, velocity `v`, and their covariance `[[pp, pv], [pv, vv]]`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Axis {
    p: f32,
    v: f32,
    pp: f32,
    pv: f32,
    vv: f32,
}

impl Axis {
    fn new(p: f32, pos_std: f32, vel_std: f32) -> Self {
        Self { p, v: 0.0, pp: pos_std * pos_std, pv: 0.0, vv: vel_std * vel_std }
    }

    /// The state `dt` seconds later (`dt >= 0`), with acceleration variance `q` (px^2/s^4).
    fn predicted(&self, dt: f32, q: f32) -> Axis {
        let (dt2, dt3) = (dt * dt, dt * dt * dt);
        Axis {
            p: self.p + self.v * dt,
            v: self.v,
            pp: self.pp + 2.0 * dt * self.pv + dt2 * self.vv + q * dt3 / 3.0,
            pv: self.pv + dt * self.vv + q * dt2 / 2.0,
            vv: self.vv + q * dt,
        }
    }

    /// Corrects with a measurement `z` of the position with variance `r`.
    fn update(&mut self, z: f32, r: f32) {
        let s = self.pp + r;
        let (kp, kv) = (self.pp / s, self.pv / s);
        let y = z - self.p;
        self.p += kp * y;
        self.v += kv * y;
        let (pp, pv, vv) = (self.pp, self.pv, self.vv);
        self.pp = (1.0 - kp) * pp;
        self.pv = (1.0 - kp) * pv;
        self.vv = vv - kv * pv;
    }
}

/// A box's motion state at a point in time (ms since session start).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoxFilter {
    axes: [Axis; 4],
    /// Time of the state, ms since session start.
    t_ms: u64,
}

impl BoxFilter {
    /// Starts from a detected box at `t_ms`, at rest.
    pub fn new(b: &BBox, t_ms: u64) -> Self {
        let (cx, cy) = b.center();
        let h = b.h.max(1.0);
        let (ps, vs) = (MEASUREMENT_STD * h, INITIAL_VELOCITY_STD * h);
        Self {
            axes: [Axis::new(cx, ps, vs), Axis::new(cy, ps, vs), Axis::new(b.w, ps, vs), Axis::new(b.h, ps, vs)],
            t_ms,
        }
    }

    /// The time of the state, ms since session start.
    pub fn time_ms(&self) -> u64 {
        self.t_ms
    }

    fn q(&self) -> f32 {
        let s = ACCELERATION_STD * self.axes[3].p.max(1.0);
        s * s
    }

    /// The box predicted at `t_ms` (no earlier than the state's time: an earlier time gives the state's box).
    pub fn predict_box(&self, t_ms: u64) -> BBox {
        let dt = crate::fmt::ms_to_s(t_ms.saturating_sub(self.t_ms)) as f32;
        let q = self.q();
        let [cx, cy, w, h] = self.axes.map(|a| a.predicted(dt, q).p);
        let (w, h) = (w.max(1.0), h.max(1.0));
        BBox::new(cx - w / 2.0, cy - h / 2.0, w, h)
    }

    /// Advances the state to `t_ms` and corrects it with the box detected then.
    pub fn update(&mut self, b: &BBox, t_ms: u64) {
        let dt = crate::fmt::ms_to_s(t_ms.saturating_sub(self.t_ms)) as f32;
        let q = self.q();
        let (cx, cy) = b.center();
        let r = (MEASUREMENT_STD * b.h.max(1.0)).powi(2);
        for (a, z) in self.axes.iter_mut().zip([cx, cy, b.w, b.h]) {
            *a = a.predicted(dt, q);
            a.update(z, r);
        }
        self.t_ms = self.t_ms.max(t_ms);
    }

    /// Velocity of the box centre, pixels per second.
    pub fn velocity(&self) -> (f32, f32) {
        (self.axes[0].v, self.axes[1].v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_moving_at_constant_speed_is_extrapolated_along_its_path() {
        // 60 px/s to the right, detected every 100 ms; predicted 300 ms past the last detection.
        let mut f = BoxFilter::new(&BBox::new(100.0, 50.0, 40.0, 40.0), 0);
        for i in 1..=10u64 {
            f.update(&BBox::new(100.0 + 6.0 * i as f32, 50.0, 40.0, 40.0), i * 100);
        }
        let (vx, vy) = f.velocity();
        assert!((vx - 60.0).abs() < 6.0 && vy.abs() < 2.0, "velocity {vx} {vy}");
        let b = f.predict_box(1300);
        assert!((b.x - 178.0).abs() < 3.0, "x {}", b.x);
        assert!((b.w - 40.0).abs() < 1.0 && (b.y - 50.0).abs() < 1.0);
        // Prediction does not change the state.
        assert_eq!(f.time_ms(), 1000);
    }

    #[test]
    fn a_still_box_stays_put_and_a_detection_pulls_the_state_to_it() {
        let mut f = BoxFilter::new(&BBox::new(10.0, 20.0, 30.0, 30.0), 0);
        f.update(&BBox::new(10.0, 20.0, 30.0, 30.0), 33);
        assert_eq!(f.predict_box(2000), f.predict_box(33));
        f.update(&BBox::new(20.0, 20.0, 30.0, 30.0), 66);
        let b = f.predict_box(66);
        assert!(b.x > 14.0 && b.x <= 20.0, "x {}", b.x);
    }
}
