//! Axis-aligned bounding boxes in pixels, and their overlap (IoU).

/// A bounding box in pixels of the source frame: top-left corner `(x, y)`, size `w x h`.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BBox {
    /// Left edge, pixels.
    pub x: f32,
    /// Top edge, pixels.
    pub y: f32,
    /// Width, pixels.
    pub w: f32,
    /// Height, pixels.
    pub h: f32,
}

impl BBox {
    /// A box from its top-left corner and size, in pixels.
    pub fn new(x: f32, y: f32, w: f32, h: f32) -> Self {
        Self { x, y, w, h }
    }

    /// Area in square pixels (0 for a degenerate box).
    pub fn area(&self) -> f32 {
        self.w.max(0.0) * self.h.max(0.0)
    }

    /// Centre point `(cx, cy)` in pixels.
    pub fn center(&self) -> (f32, f32) {
        (self.x + self.w / 2.0, self.y + self.h / 2.0)
    }

    /// Intersection over union, in `[0, 1]`; 0 when either box is empty.
    pub fn iou(&self, other: &BBox) -> f32 {
        let x0 = self.x.max(other.x);
        let y0 = self.y.max(other.y);
        let x1 = (self.x + self.w).min(other.x + other.w);
        let y1 = (self.y + self.h).min(other.y + other.h);
        let inter = (x1 - x0).max(0.0) * (y1 - y0).max(0.0);
        let union = self.area() + other.area() - inter;
        if union <= 0.0 {
            0.0
        } else {
            inter / union
        }
    }

    /// The box clipped to the frame `[0, w] x [0, h]` (pixels); empty when it lies wholly outside.
    pub fn clipped(&self, w: f32, h: f32) -> BBox {
        let x0 = self.x.clamp(0.0, w);
        let y0 = self.y.clamp(0.0, h);
        let x1 = (self.x + self.w).clamp(0.0, w);
        let y1 = (self.y + self.h).clamp(0.0, h);
        BBox::new(x0, y0, x1 - x0, y1 - y0)
    }

    /// The box scaled by `s` about the origin (pixels of an image resized by `s` -> pixels of the original
    /// when `s = 1 / scale`).
    pub fn scaled(&self, s: f32) -> BBox {
        BBox::new(self.x * s, self.y * s, self.w * s, self.h * s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iou_of_identical_disjoint_and_half_overlapping_boxes() {
        let a = BBox::new(0.0, 0.0, 10.0, 10.0);
        assert_eq!(a.iou(&a), 1.0);
        assert_eq!(a.iou(&BBox::new(20.0, 20.0, 5.0, 5.0)), 0.0);
        // overlap 5x10 = 50, union 150
        let b = BBox::new(5.0, 0.0, 10.0, 10.0);
        assert!((a.iou(&b) - 50.0 / 150.0).abs() < 1e-6);
    }
}
