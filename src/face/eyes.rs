//! Eye openness from the Face Mesh landmarks ([`crate::face::mesh`]): the eye aspect ratio (EAR) of Soukupová and
//! Čech ("Real-Time Eye Blink Detection using Facial Landmarks", 21st Computer Vision Winter Workshop, 2016) on
//! six points of each eye's contour in MediaPipe's numbering:
//!
//! ```text
//! EAR = (|p2 - p6| + |p3 - p5|) / (2 |p1 - p4|)
//!        p1 corner, p2 p3 upper lid, p4 other corner, p5 p6 lower lid
//! right eye (the person's): p1..p6 = 33, 160, 158, 133, 153, 144
//! left eye:                 p1..p6 = 362, 385, 387, 263, 373, 380
//! ```
//!
//! Distances are taken in 3-D (x, y and the mesh's depth, which Face Mesh gives in the same units), so that a
//! turned head, which shortens the eye's width in the image, does not read as a narrower eye. The ratio has no
//! unit: an open eye reads about 0.2-0.35, a shut one 0.13-0.18 (see [`CLOSED_BELOW`] for the threshold and how
//! it was chosen).

/// The six contour points of the person's right eye (p1..p6 above).
pub const RIGHT_EYE: [usize; 6] = [33, 160, 158, 133, 153, 144];

/// The six contour points of the person's left eye (p1..p6 above).
pub const LEFT_EYE: [usize; 6] = [362, 385, 387, 263, 373, 380];

/// Eyes read closed when the mean of the two eye aspect ratios is under this value.
///
/// Chosen from measured values on `WolfgangLanger_Pexels.mp4` (472 frames, one face, YuNet boxes, Face Mesh; the
/// frames listed in `tests/it/head_pose.rs`, chosen by looking at them): the eight frames where her eyes are
/// visibly shut read 0.134-0.183 from one pass of the mesh and 0.155-0.175 with [`refine`], the 218
/// open-eye frames between 146 and 384 (blinks and their neighbours left out) 0.206-0.31 and 0.225-0.307; the
/// threshold sits between the two groups. Soukupová and Čech used 0.2 with 68-point landmarks. Face Mesh does not
/// close its lids fully (a shut eye still reads about 0.15), and where a hand covers part of the face the mesh can
/// keep the eyes open (frames 100-140 of that clip read 0.20-0.24 with the eyes squeezed shut behind a hand).
///
/// [`refine`]: crate::face::mesh::FaceMeshModel::refine
pub const CLOSED_BELOW: f32 = 0.19;

/// Openness of both eyes of a face.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Eyes {
    /// Eye aspect ratio of the person's right eye (no unit; about 0.2-0.35 open, under 0.19 shut).
    pub right: f32,
    /// Eye aspect ratio of the person's left eye.
    pub left: f32,
}

impl Eyes {
    /// The eye aspect ratios of a face from its 468 landmarks (`(x, y, z)`, frame or crop pixels:
    /// [`crate::face::mesh::FaceMesh::points`]).
    ///
    /// Returns `None` when `points` does not hold 468 landmarks or an eye has no width.
    pub fn from_landmarks(points: &[[f32; 3]]) -> Option<Eyes> {
        if points.len() != crate::face::mesh::NUM_LANDMARKS {
            return None;
        }
        Some(Eyes { right: aspect_ratio(points, &RIGHT_EYE)?, left: aspect_ratio(points, &LEFT_EYE)? })
    }

    /// The mean of the two ratios.
    pub fn mean(&self) -> f32 {
        (self.right + self.left) / 2.0
    }

    /// Whether the eyes read closed: [`Eyes::mean`] under [`CLOSED_BELOW`].
    pub fn closed(&self) -> bool {
        self.mean() < CLOSED_BELOW
    }
}

/// `(|p2 - p6| + |p3 - p5|) / (2 |p1 - p4|)` for the six points `idx` of one eye; `None` for a zero width.
pub fn aspect_ratio(points: &[[f32; 3]], idx: &[usize; 6]) -> Option<f32> {
    let d = |a: usize, b: usize| {
        let (p, q) = (points[idx[a]], points[idx[b]]);
        ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt()
    };
    let width = d(0, 3);
    (width > 1e-6).then(|| (d(1, 5) + d(2, 4)) / (2.0 * width))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_of_a_drawn_eye() {
        let mut pts = vec![[0.0f32; 3]; 468];
        // Right eye 30 wide, lids 6 and 12 apart: (6 + 12) / 60 = 0.3. Left eye shut: lids 1.5 apart over 30.
        for (k, p) in
            RIGHT_EYE.iter().zip([[0.0, 0.0], [10.0, -3.0], [20.0, -6.0], [30.0, 0.0], [20.0, 6.0], [10.0, 3.0]])
        {
            pts[*k] = [p[0], p[1], 0.0];
        }
        for (k, p) in
            LEFT_EYE.iter().zip([[50.0, 0.0], [60.0, -0.5], [70.0, -0.5], [80.0, 0.0], [70.0, 1.0], [60.0, 1.0]])
        {
            pts[*k] = [p[0], p[1], 0.0];
        }
        let e = Eyes::from_landmarks(&pts).unwrap();
        assert!((e.right - 0.3).abs() < 1e-6 && (e.left - 0.05).abs() < 1e-6, "{e:?}");
        assert!(Eyes::from_landmarks(&pts[..10]).is_none());
    }
}
