//! Head pose (yaw, pitch, roll in degrees) from the 468 Face Mesh landmarks ([`crate::face::mesh`]).
//!
//! Method: the landmarks are fitted to MediaPipe's canonical face model (the 468 vertices of
//! `canonical_face_model.obj`, google/mediapipe `mediapipe/modules/face_geometry/data/`, Apache-2.0, kept beside
//! this file) by a similarity transform, rotation + uniform scale + translation, least squares over all 468
//! points: the weak-perspective version of MediaPipe's Face Geometry module (which fits the same model by weighted
//! Procrustes analysis after undoing a perspective camera). The rotation is Horn's closed form (B. K. P. Horn,
//! "Closed-form solution of absolute orientation using unit quaternions", JOSA A 4(4), 1987): the unit quaternion
//! is the eigenvector of the largest eigenvalue of a 4x4 symmetric matrix built from the cross-covariance of the
//! centred point sets (found here by Jacobi rotations). Weak perspective is enough at the distances faces are
//! seen from: the mesh's x, y are frame pixels and its z is in the same units (MediaPipe scales z like x).
//!
//! Axes and signs, used everywhere in emotrace:
//! - the fit works in a right-handed head frame: x to the image's right, y up, z out of the screen towards the
//!   viewer (the frame's pixels with y and the mesh's depth negated; the canonical model uses the same axes, with
//!   the face looking along +z, so a frontal upright face has the identity rotation);
//! - **yaw** > 0 when the face turns to its own left (the nose moves to the image's right), about the up axis;
//! - **pitch** > 0 when the face looks up (the nose moves up in the image);
//! - **roll** > 0 when the head tilts clockwise as seen in the image (the top of the head moves to the image's
//!   right, towards the person's left shoulder);
//! - all in degrees; with `R = Ry(yaw) * Rx(-pitch) * Rz(-roll)` (axes as above, each a right-hand rotation),
//!   yaw and pitch are read off the direction the face looks along, `R * (0, 0, 1)`: yaw in `(-180, 180]`, pitch
//!   in `[-90, 90]`.

use std::sync::OnceLock;

/// The canonical face model's vertices (centimetres), landmark order.
const CANONICAL_OBJ: &str = include_str!("canonical_face_model.obj");

/// The 468 vertices of MediaPipe's canonical face model, `(x, y, z)` in centimetres (x to the face's left, y up, z
/// out of the face), vertex `k` being Face Mesh landmark `k`.
pub fn canonical_face() -> &'static [[f64; 3]] {
    static VERTICES: OnceLock<Vec<[f64; 3]>> = OnceLock::new();
    VERTICES.get_or_init(|| {
        let v: Vec<[f64; 3]> = CANONICAL_OBJ
            .lines()
            .filter_map(|l| l.strip_prefix("v "))
            .map(|l| {
                let mut it =
                    l.split_whitespace().map(|t| t.parse::<f64>().expect("canonical_face_model.obj: a number"));
                let mut p = [0.0; 3];
                for c in &mut p {
                    *c = it.next().expect("canonical_face_model.obj: three coordinates");
                }
                p
            })
            .collect();
        assert_eq!(v.len(), crate::face::mesh::NUM_LANDMARKS, "canonical_face_model.obj: 468 vertices");
        v
    })
}

/// A head pose.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeadPose {
    /// Degrees, > 0 when the face turns to its own left (see the module docs).
    pub yaw: f32,
    /// Degrees, > 0 when the face looks up.
    pub pitch: f32,
    /// Degrees, > 0 when the head tilts clockwise in the image.
    pub roll: f32,
    /// Frame pixels per centimetre of the canonical face (the fit's scale).
    pub scale: f32,
    /// Root-mean-square distance between the landmarks and the fitted model, in centimetres of the canonical face
    /// (a frontal neutral face fits within a few millimetres; a bad mesh does not).
    pub rms_cm: f32,
    /// The rotation `R` (rows), head frame as in the module docs: the landmarks are `scale * R * canonical + t`.
    pub rotation: [[f32; 3]; 3],
}

/// The head pose of a face from its 468 landmarks `(x, y, z)` in frame pixels (x right, y down, z the mesh's depth
/// in the same units, smaller nearer: [`crate::face::mesh::FaceMesh::points`]); crop pixels work as well (the
/// angles do not depend on the units, only `scale` does).
///
/// Returns `None` when `points` does not hold 468 landmarks or they are degenerate (all in one point).
pub fn head_pose(points: &[[f32; 3]]) -> Option<HeadPose> {
    head_pose_with(points, all_landmarks())
}

/// MediaPipe's Procrustes landmark basis: `(landmark, weight)` for 33 landmarks (15 symmetric pairs about the
/// eyes, cheeks, nose wings and jaw, and the midline points 4, 6 and 10 on the nose and forehead) that
/// MediaPipe's Face Geometry module fits the canonical model with (the weights sum to 1.055; only their ratios
/// matter). Copied from `mediapipe/modules/face_geometry/data/geometry_pipeline_metadata_landmarks.pbtxt`
/// (`procrustes_landmark_basis`, google-ai-edge/mediapipe commit fde35cd091b716320ebae0f909d2c8b01648eb2e,
/// Apache-2.0).
pub const MEDIAPIPE_BASIS: [(usize, f64); 33] = [
    (4, 0.070909939706326),
    (6, 0.032100144773722),
    (10, 0.008446550928056),
    (33, 0.058724168688059),
    (54, 0.007667080033571),
    (67, 0.009078059345484),
    (117, 0.009791937656701),
    (119, 0.014565368182957),
    (121, 0.018591361120343),
    (127, 0.005197994410992),
    (129, 0.120625205338001),
    (132, 0.005560018587857),
    (133, 0.05328618362546),
    (136, 0.066890455782413),
    (143, 0.014816547743976),
    (147, 0.014262833632529),
    (198, 0.025462191551924),
    (205, 0.047252278774977),
    (263, 0.058724168688059),
    (284, 0.007667080033571),
    (297, 0.009078059345484),
    (346, 0.009791937656701),
    (348, 0.014565368182957),
    (350, 0.018591361120343),
    (356, 0.005197994410992),
    (358, 0.120625205338001),
    (361, 0.005560018587857),
    (362, 0.05328618362546),
    (365, 0.066890455782413),
    (372, 0.014816547743976),
    (376, 0.014262833632529),
    (420, 0.025462191551924),
    (425, 0.047252278774977),
];

/// All 468 landmarks with equal weights.
pub fn all_landmarks() -> &'static [(usize, f64)] {
    static ALL: OnceLock<Vec<(usize, f64)>> = OnceLock::new();
    ALL.get_or_init(|| (0..crate::face::mesh::NUM_LANDMARKS).map(|k| (k, 1.0)).collect())
}

/// [`head_pose`] fitted over the landmarks of `basis` only, each `(landmark, weight)` (weights >= 0; their sum
/// does not matter): a weighted similarity fit. `rms_cm` is then the weighted root-mean-square residual.
///
/// With [`MEDIAPIPE_BASIS`] the angles of the 28 faces of the shared photos stay within 1.8 degrees of [`head_pose`]'s
/// (the sample2 profile: yaw -48.6 both) and no criterion of `tests/it/head_pose.rs` changes, so [`head_pose`]
/// keeps all 468 points.
///
/// Returns `None` as [`head_pose`] does, or when `basis` names a landmark outside `0..468`.
pub fn head_pose_with(points: &[[f32; 3]], basis: &[(usize, f64)]) -> Option<HeadPose> {
    let model = canonical_face();
    if points.len() != model.len() || basis.iter().any(|&(k, w)| k >= model.len() || w.is_nan() || w < 0.0) {
        return None;
    }
    // Head frame: y up, z towards the viewer.
    let q: Vec<([f64; 3], [f64; 3], f64)> = basis
        .iter()
        .map(|&(k, w)| {
            let p = points[k];
            (model[k], [p[0] as f64, -p[1] as f64, -p[2] as f64], w)
        })
        .collect();
    let (rot, scale, rms) = similarity_fit(&q)?;
    let f = [rot[0][2], rot[1][2], rot[2][2]]; // R * (0, 0, 1): where the face looks
    let yaw = f[0].atan2(f[2]);
    let pitch = f[1].clamp(-1.0, 1.0).asin();
    let roll = -rot[1][0].atan2(rot[1][1]);
    let deg = |r: f64| r.to_degrees() as f32;
    Some(HeadPose {
        yaw: deg(yaw),
        pitch: deg(pitch),
        roll: deg(roll),
        scale: scale as f32,
        rms_cm: rms as f32,
        rotation: rot.map(|r| r.map(|v| v as f32)),
    })
}

/// Weighted least-squares similarity transform `q ~ s * R * p + t` over `(p, q, weight)` (Horn 1987): returns
/// `(R, s, rms)`, `rms` being the weighted root-mean-square residual in the units of `p`. `None` for degenerate
/// input.
fn similarity_fit(pairs: &[([f64; 3], [f64; 3], f64)]) -> Option<([[f64; 3]; 3], f64, f64)> {
    let n: f64 = pairs.iter().map(|e| e.2).sum();
    if n <= 0.0 {
        return None;
    }
    let (mut mp, mut mq) = ([0.0; 3], [0.0; 3]);
    for (a, b, w) in pairs {
        for k in 0..3 {
            mp[k] += w * a[k] / n;
            mq[k] += w * b[k] / n;
        }
    }
    // Weighted cross-covariance S[a][b] = sum w p'_a q'_b, and the spreads.
    let mut s = [[0.0f64; 3]; 3];
    let (mut sp, mut sq) = (0.0, 0.0);
    for (a, b, w) in pairs {
        let pa = [a[0] - mp[0], a[1] - mp[1], a[2] - mp[2]];
        let qb = [b[0] - mq[0], b[1] - mq[1], b[2] - mq[2]];
        for i in 0..3 {
            sp += w * pa[i] * pa[i];
            sq += w * qb[i] * qb[i];
            for j in 0..3 {
                s[i][j] += w * pa[i] * qb[j];
            }
        }
    }
    if sp <= 1e-12 * n || sq <= 1e-12 * n {
        return None;
    }
    // Horn's symmetric 4x4 matrix; its top eigenvector is the rotation quaternion (w, x, y, z).
    let [[sxx, sxy, sxz], [syx, syy, syz], [szx, szy, szz]] = s;
    let nmat = [
        [sxx + syy + szz, syz - szy, szx - sxz, sxy - syx],
        [syz - szy, sxx - syy - szz, sxy + syx, szx + sxz],
        [szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy],
        [sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz],
    ];
    let (w, x, y, z) = {
        let v = top_eigenvector(nmat);
        (v[0], v[1], v[2], v[3])
    };
    let rot = [
        [w * w + x * x - y * y - z * z, 2.0 * (x * y - w * z), 2.0 * (x * z + w * y)],
        [2.0 * (x * y + w * z), w * w - x * x + y * y - z * z, 2.0 * (y * z - w * x)],
        [2.0 * (x * z - w * y), 2.0 * (y * z + w * x), w * w - x * x - y * y + z * z],
    ];
    // Scale minimising the residual for this rotation: sum q' . R p' / sum |p'|^2.
    let mut dot = 0.0;
    for i in 0..3 {
        for j in 0..3 {
            dot += rot[j][i] * s[i][j];
        }
    }
    let scale = dot / sp;
    if scale <= 0.0 {
        return None;
    }
    // Residual in model units: |q' - s R p'|^2 / s^2, summed.
    let res = (sq - 2.0 * scale * dot + scale * scale * sp).max(0.0) / (scale * scale);
    Some((rot, scale, (res / n).sqrt()))
}

/// The unit eigenvector of the largest eigenvalue of a symmetric 4x4 matrix (cyclic Jacobi rotations).
fn top_eigenvector(mut a: [[f64; 4]; 4]) -> [f64; 4] {
    let mut v = [[0.0f64; 4]; 4];
    for (i, row) in v.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    for _sweep in 0..50 {
        let off: f64 = (0..4)
            .flat_map(|i| (0..4).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i][j] * a[i][j])
            .sum();
        let scale: f64 = (0..4).map(|i| a[i][i] * a[i][i]).sum::<f64>().max(1e-300);
        if off <= 1e-24 * scale {
            break;
        }
        for p in 0..3 {
            for q in p + 1..4 {
                if a[p][q].abs() < 1e-300 {
                    continue;
                }
                // Rotation angle that zeroes a[p][q] (Golub & Van Loan, symmetric Schur decomposition).
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for row in a.iter_mut() {
                    let (akp, akq) = (row[p], row[q]);
                    row[p] = c * akp - s * akq;
                    row[q] = s * akp + c * akq;
                }
                let (row_p, row_q) = (a[p], a[q]);
                for (k, (&apk, &aqk)) in row_p.iter().zip(&row_q).enumerate() {
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
                for row in v.iter_mut() {
                    let (vp, vq) = (row[p], row[q]);
                    row[p] = c * vp - s * vq;
                    row[q] = s * vp + c * vq;
                }
            }
        }
    }
    let best = (0..4).max_by(|&i, &j| a[i][i].total_cmp(&a[j][j])).expect("4 eigenvalues");
    let mut e = [v[0][best], v[1][best], v[2][best], v[3][best]];
    let norm = e.iter().map(|x| x * x).sum::<f64>().sqrt();
    for x in &mut e {
        *x /= norm;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The canonical model turned by known angles (R = Ry(yaw) Rx(-pitch) Rz(-roll)), scaled, moved, and put
    /// into frame axes (y down, z away), gives those angles back.
    #[test]
    fn known_rotations_are_recovered() {
        let rx = |a: f64| [[1.0, 0.0, 0.0], [0.0, a.cos(), -a.sin()], [0.0, a.sin(), a.cos()]];
        let ry = |a: f64| [[a.cos(), 0.0, a.sin()], [0.0, 1.0, 0.0], [-a.sin(), 0.0, a.cos()]];
        let rz = |a: f64| [[a.cos(), -a.sin(), 0.0], [a.sin(), a.cos(), 0.0], [0.0, 0.0, 1.0]];
        let mul = |a: [[f64; 3]; 3], b: [[f64; 3]; 3]| {
            let mut c = [[0.0; 3]; 3];
            for i in 0..3 {
                for j in 0..3 {
                    c[i][j] = (0..3).map(|k| a[i][k] * b[k][j]).sum();
                }
            }
            c
        };
        for (yaw, pitch, roll) in
            [(0.0, 0.0, 0.0), (30.0, 0.0, 0.0), (0.0, 20.0, 0.0), (0.0, 0.0, -25.0), (-60.0, 15.0, 10.0)]
        {
            let r = mul(mul(ry(f64::to_radians(yaw)), rx(-f64::to_radians(pitch))), rz(-f64::to_radians(roll)));
            let pts: Vec<[f32; 3]> = canonical_face()
                .iter()
                .map(|p| {
                    let q: Vec<f64> = (0..3).map(|i| 7.0 * (0..3).map(|k| r[i][k] * p[k]).sum::<f64>()).collect();
                    [(q[0] + 300.0) as f32, (200.0 - q[1]) as f32, (-q[2]) as f32]
                })
                .collect();
            for pose in [head_pose(&pts).unwrap(), head_pose_with(&pts, &MEDIAPIPE_BASIS).unwrap()] {
                for (got, want) in [(pose.yaw, yaw), (pose.pitch, pitch), (pose.roll, roll)] {
                    assert!((got as f64 - want).abs() < 1e-3, "{pose:?} vs ({yaw}, {pitch}, {roll})");
                }
                assert!((pose.scale - 7.0).abs() < 1e-4 && pose.rms_cm < 1e-4, "{pose:?}");
            }
        }
    }

    #[test]
    fn too_few_or_degenerate_points_give_none() {
        assert!(head_pose(&[[0.0; 3]; 5]).is_none());
        assert!(head_pose_with(&vec![[1.0, 2.0, 3.0]; 468], &[(468, 1.0)]).is_none());
        assert!(head_pose(&vec![[1.0, 2.0, 3.0]; 468]).is_none());
    }
}
