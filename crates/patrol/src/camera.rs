//! The camera: resolution and field of view, its ground footprint, and the line spacing of a
//! survey from it. Camera axes: x along the optical axis, y to the image's right, z to the
//! image's bottom; pixel (u, v) has u to the right and v down, pixel i spans [i, i + 1).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CameraModel {
    pub width_px: u32,
    pub height_px: u32,
    /// Horizontal field of view, degrees (MAVLink VIDEO_STREAM_INFORMATION `hfov`).
    pub hfov_deg: f64,
    /// Vertical field of view, degrees.
    pub vfov_deg: f64,
}

impl CameraModel {
    /// A camera with square pixels: the vertical field of view follows from the aspect ratio.
    pub fn square_pixels(width_px: u32, height_px: u32, hfov_deg: f64) -> Self {
        let t =
            (hfov_deg.to_radians() / 2.0).tan() * f64::from(height_px) / f64::from(width_px.max(1));
        Self {
            width_px,
            height_px,
            hfov_deg,
            vfov_deg: 2.0 * t.atan().to_degrees(),
        }
    }

    /// vigie-sim's thermal stream: 1280×720, 50° (stream 2 of VIDEO_STREAM_INFORMATION), nadir.
    pub fn vigie_sim_thermal() -> Self {
        Self::square_pixels(1280, 720, 50.0)
    }

    /// vigie-sim's visible stream: 1280×720, 84°.
    pub fn vigie_sim_visible() -> Self {
        Self::square_pixels(1280, 720, 84.0)
    }

    pub fn is_valid(&self) -> bool {
        self.width_px > 0
            && self.height_px > 0
            && self.hfov_deg.is_finite()
            && self.vfov_deg.is_finite()
            && self.hfov_deg > 0.0
            && self.hfov_deg < 179.0
            && self.vfov_deg > 0.0
            && self.vfov_deg < 179.0
    }

    /// Focal lengths in pixels (x, y).
    pub fn focal_px(&self) -> (f64, f64) {
        (
            f64::from(self.width_px) / 2.0 / (self.hfov_deg.to_radians() / 2.0).tan(),
            f64::from(self.height_px) / 2.0 / (self.vfov_deg.to_radians() / 2.0).tan(),
        )
    }

    /// Direction of pixel (u, v) in camera axes (not normalised: x = 1).
    pub fn ray(&self, u: f64, v: f64) -> [f64; 3] {
        let (fx, fy) = self.focal_px();
        [
            1.0,
            (u - f64::from(self.width_px) / 2.0) / fx,
            (v - f64::from(self.height_px) / 2.0) / fy,
        ]
    }

    /// Ground footprint (across-track width, along-track length) of a nadir view from `agl_m`
    /// over flat ground, the image's width across the track.
    pub fn nadir_footprint_m(&self, agl_m: f64) -> (f64, f64) {
        (
            2.0 * agl_m * (self.hfov_deg.to_radians() / 2.0).tan(),
            2.0 * agl_m * (self.vfov_deg.to_radians() / 2.0).tan(),
        )
    }

    /// Angle one pixel subtends, degrees (the larger axis).
    pub fn pixel_angle_deg(&self) -> f64 {
        let (fx, fy) = self.focal_px();
        (1.0 / fx.min(fy)).atan().to_degrees()
    }
}

/// Distance between survey lines for a nadir camera at `agl_m` with `side_overlap` (0.3 = 30 %
/// of the footprint width seen twice).
pub fn line_spacing_m(camera: &CameraModel, agl_m: f64, side_overlap: f64) -> f64 {
    camera.nadir_footprint_m(agl_m).0 * (1.0 - side_overlap)
}
