//! A renderer of vigie-sim's thermal model, for tests and benchmarks (this crate shares no code
//! with the simulator): the ground is flat at home's elevation, fields and a road grid every
//! 100 m give a background of luma 54–85, each hot spot adds `(1 − d / 3r) · min(T / 400, 1) ·
//! 255` within three radii, evaluated every 4×4 pixels at the block's top-left corner as the
//! simulator does; the latency stamp (top 16 rows) and the burnt-in clock (bottom left) are drawn
//! as bright cells. Any pose and gimbal the projection knows can be rendered, not only nadir.

use flight_rules::LatLon;

use crate::camera::CameraModel;
use crate::local::LocalFrame;
use crate::project::{CameraPose, pixel_ray_ned};

#[derive(Debug, Clone, PartialEq)]
pub struct ThermalScene {
    /// The scene's origin (vigie-sim: home).
    pub origin: LatLon,
    /// The ground's elevation (vigie-sim's video: home's, whatever the terrain).
    pub ground_amsl_m: f64,
    /// (position, temperature °C, radius m).
    pub hotspots: Vec<(LatLon, f64, f64)>,
}

fn ground_luma(n: f64, e: f64) -> u8 {
    let road = |x: f64| x.rem_euclid(100.0) < 6.0;
    if road(n) || road(e) {
        return 70;
    }
    let (fi, fj) = ((n / 25.0).floor() as i64, (e / 25.0).floor() as i64);
    let h = (fi.wrapping_mul(73_856_093) ^ fj.wrapping_mul(19_349_663)) & 0xff;
    let base = if h % 7 == 0 {
        215
    } else {
        100 + (h % 90) as u8
    };
    let fine = ((n / 3.0).floor() as i64 + (e / 3.0).floor() as i64).rem_euclid(2) == 0;
    if fine {
        base.saturating_add(12)
    } else {
        base.saturating_sub(12)
    }
}

/// Render one thermal frame as packed RGBA (grey) into `out` (`width × height × 4` bytes).
/// `stamp` draws a latency stamp with that value.
pub fn render_thermal_rgba(
    scene: &ThermalScene,
    camera: &CameraModel,
    pose: &CameraPose,
    stamp: Option<u64>,
    out: &mut [u8],
) {
    let (w, h) = (camera.width_px as usize, camera.height_px as usize);
    if out.len() < w * h * 4 {
        return;
    }
    let f = LocalFrame::with_radius(scene.origin, 6_378_137.0);
    let cam = f.to_xy(pose.position);
    let hot: Vec<([f64; 2], f64, f64)> = scene
        .hotspots
        .iter()
        .map(|(p, t, r)| (f.to_xy(*p), *t, *r))
        .collect();
    let height = (pose.alt_amsl_m - scene.ground_amsl_m).max(2.0);
    const B: usize = 4;
    for by in (0..h).step_by(B) {
        for bx in (0..w).step_by(B) {
            let d = pixel_ray_ned(camera, pose, bx as f64, by as f64);
            let l = if d[2] <= 1e-6 {
                20 // sky
            } else {
                let t = height / d[2];
                let (n, e) = (cam[1] + d[0] * t, cam[0] + d[1] * t);
                let mut l = 40 + ground_luma(n, e) / 5;
                for &(c, temp, r) in &hot {
                    let dd = (n - c[1]).hypot(e - c[0]);
                    if dd < r * 3.0 {
                        let heat =
                            ((1.0 - dd / (r * 3.0)) * (temp / 400.0).min(1.0) * 255.0) as i32;
                        l = l.saturating_add(heat.clamp(0, 255) as u8);
                    }
                }
                l
            };
            for yy in by..(by + B).min(h) {
                for xx in bx..(bx + B).min(w) {
                    let i = (yy * w + xx) * 4;
                    out[i..i + 3].fill(l);
                    out[i + 3] = 255;
                }
            }
        }
    }
    if let Some(v) = stamp {
        for cell in 0..64.min(w / 16) {
            let on = (v >> (63 - cell)) & 1 == 1;
            for yy in 0..16.min(h) {
                for xx in cell * 16..cell * 16 + 16 {
                    let i = (yy * w + xx) * 4;
                    out[i..i + 3].fill(if on { 255 } else { 0 });
                }
            }
        }
    }
    // The burnt-in clock's place: a dark box with bright glyph cells, as the simulator draws it.
    let y0 = h.saturating_sub(58);
    for yy in y0..h.saturating_sub(16) {
        for xx in 10..430.min(w) {
            let glyph = ((xx / 6) % 4 != 3) && ((yy - y0) / 6) % 2 == 0;
            let i = (yy * w + xx) * 4;
            out[i..i + 3].fill(if glyph { 235 } else { 16 });
        }
    }
}
