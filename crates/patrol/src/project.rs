//! Pixel → ground: the ray through a pixel, from the vehicle's position and attitude, the
//! gimbal's angles and the camera's field of view, intersected with the terrain grid (or flat
//! ground at a given elevation, home's when there is no grid), with an estimated position error.
//!
//! Frames: NED (x north, y east, z down) at the vehicle; attitude as MAVLink ATTITUDE gives it
//! (roll, pitch, yaw; body → NED = Rz(yaw)·Ry(pitch)·Rx(roll)); camera axes as in
//! [`crate::camera`]. A gimbal pitched −90° looks straight down, image top towards the heading.

use flight_rules::LatLon;
use serde::{Deserialize, Serialize};

use crate::camera::CameraModel;
use crate::local::LocalFrame;
use crate::terrain::ElevationGrid;

/// Vehicle attitude, degrees (MAVLink ATTITUDE, converted).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Attitude {
    pub roll_deg: f64,
    pub pitch_deg: f64,
    pub yaw_deg: f64,
}

/// What a gimbal's yaw is measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum YawFrame {
    /// Relative to the vehicle's heading (GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME).
    Vehicle,
    /// From true north (GIMBAL_DEVICE_FLAGS_YAW_IN_EARTH_FRAME).
    Earth,
}

/// How the camera is pointed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Gimbal {
    /// A stabilised gimbal: roll and pitch relative to the horizon whatever the vehicle does
    /// (GIMBAL_DEVICE_ATTITUDE_STATUS), yaw in the given frame. vigie-sim's cameras are this,
    /// pitched −90° with yaw 0 in the vehicle frame.
    Stabilised {
        roll_deg: f64,
        pitch_deg: f64,
        yaw_deg: f64,
        yaw_frame: YawFrame,
    },
    /// A camera fixed to the airframe at these angles: the vehicle's attitude moves it.
    BodyFixed {
        roll_deg: f64,
        pitch_deg: f64,
        yaw_deg: f64,
    },
}

impl Gimbal {
    /// Straight down, image top towards the heading (vigie-sim's cameras).
    pub const NADIR: Gimbal = Gimbal::Stabilised {
        roll_deg: 0.0,
        pitch_deg: -90.0,
        yaw_deg: 0.0,
        yaw_frame: YawFrame::Vehicle,
    };
}

/// Where the camera is and where it looks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CameraPose {
    pub position: LatLon,
    /// Camera altitude above mean sea level (home elevation + height above home when that is
    /// what the vehicle reports).
    pub alt_amsl_m: f64,
    pub attitude: Attitude,
    pub gimbal: Gimbal,
}

/// The ground the ray meets.
#[derive(Debug, Clone, Copy)]
pub enum Ground<'a> {
    /// Flat ground at this elevation (home's, when there is no terrain model).
    Flat { amsl_m: f64 },
    /// The terrain grid; where it has no value, flat ground at `fallback_amsl_m` if given.
    Terrain {
        grid: &'a ElevationGrid,
        fallback_amsl_m: Option<f64>,
    },
}

/// The 1-sigma uncertainties the position error is built from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PoseUncertainty {
    /// Horizontal position of the vehicle (GPS_RAW_INT h_acc), metres.
    pub h_accuracy_m: f64,
    /// Its altitude, metres.
    pub alt_accuracy_m: f64,
    /// Pointing: attitude, gimbal and mounting together, degrees.
    pub angle_deg: f64,
    /// Where in the image the target is (blob centroid, the pilot's click), pixels.
    pub pixel: f64,
}

impl Default for PoseUncertainty {
    fn default() -> Self {
        Self {
            h_accuracy_m: 2.0,
            alt_accuracy_m: 2.0,
            angle_deg: 1.0,
            pixel: 2.0,
        }
    }
}

/// A point on the ground seen through a pixel.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GroundFix {
    pub pos: LatLon,
    pub ground_amsl_m: f64,
    /// Distance from the camera, metres.
    pub slant_range_m: f64,
    /// Angle of the ray from the vertical, degrees (0 = straight down).
    pub off_nadir_deg: f64,
    /// Estimated horizontal position error, metres: the radius that holds the truth about 95 %
    /// of the time (2.45 σ of the combined budget).
    pub error_m: f64,
    /// The flat fallback was used (the terrain grid had no value where the ray went).
    pub used_fallback: bool,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProjectionError {
    #[error("pixel ({u:.0}, {v:.0}) is outside the {width}×{height} image")]
    OutsideImage {
        u: f64,
        v: f64,
        width: u32,
        height: u32,
    },
    #[error("the camera model is not usable (size or field of view)")]
    BadCamera,
    #[error("the pose is not usable (position, altitude or angles not finite)")]
    BadPose,
    #[error("the ray through this pixel points at or above the horizon")]
    AboveHorizon,
    #[error("the camera is {below_m:.0} m below the ground under it: check the altitude reference")]
    BelowGround { below_m: f64 },
    #[error(
        "the ray leaves the terrain model before meeting the ground, and no fallback elevation was given"
    )]
    NoGround,
    #[error("the ray meets no ground within {max_range_m:.0} m")]
    TooFar { max_range_m: f64 },
}

/// Longest slant range considered (a ray grazing the horizon gives nothing usable beyond).
pub const MAX_RANGE_M: f64 = 10_000.0;

type V3 = [f64; 3];

fn mat_mul(a: &[[f64; 3]; 3], b: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let mut m = [[0.0; 3]; 3];
    for (i, row) in m.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    m
}

fn mat_vec(a: &[[f64; 3]; 3], v: V3) -> V3 {
    [
        a[0][0] * v[0] + a[0][1] * v[1] + a[0][2] * v[2],
        a[1][0] * v[0] + a[1][1] * v[1] + a[1][2] * v[2],
        a[2][0] * v[0] + a[2][1] * v[1] + a[2][2] * v[2],
    ]
}

/// Body → NED for roll, pitch, yaw in degrees (aerospace 3-2-1).
fn rotation(roll_deg: f64, pitch_deg: f64, yaw_deg: f64) -> [[f64; 3]; 3] {
    let (sr, cr) = roll_deg.to_radians().sin_cos();
    let (sp, cp) = pitch_deg.to_radians().sin_cos();
    let (sy, cy) = yaw_deg.to_radians().sin_cos();
    [
        [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
        [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
        [-sp, cp * sr, cp * cr],
    ]
}

/// Camera axes → NED for a pose.
pub(crate) fn camera_to_ned(pose: &CameraPose) -> [[f64; 3]; 3] {
    let a = pose.attitude;
    match pose.gimbal {
        Gimbal::Stabilised {
            roll_deg,
            pitch_deg,
            yaw_deg,
            yaw_frame,
        } => {
            let yaw = match yaw_frame {
                YawFrame::Vehicle => a.yaw_deg + yaw_deg,
                YawFrame::Earth => yaw_deg,
            };
            rotation(roll_deg, pitch_deg, yaw)
        }
        Gimbal::BodyFixed {
            roll_deg,
            pitch_deg,
            yaw_deg,
        } => mat_mul(
            &rotation(a.roll_deg, a.pitch_deg, a.yaw_deg),
            &rotation(roll_deg, pitch_deg, yaw_deg),
        ),
    }
}

fn norm3(v: V3) -> V3 {
    let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    [v[0] / n, v[1] / n, v[2] / n]
}

fn cross3(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Rotate unit `d` by `angle` radians towards unit `perp` (perpendicular to d).
fn tilt(d: V3, perp: V3, angle: f64) -> V3 {
    let (s, c) = angle.sin_cos();
    norm3([
        d[0] * c + perp[0] * s,
        d[1] * c + perp[1] * s,
        d[2] * c + perp[2] * s,
    ])
}

fn pose_ok(pose: &CameraPose) -> bool {
    let a = pose.attitude;
    pose.position.is_valid()
        && pose.alt_amsl_m.is_finite()
        && [a.roll_deg, a.pitch_deg, a.yaw_deg]
            .iter()
            .all(|x| x.is_finite())
        && match pose.gimbal {
            Gimbal::Stabilised {
                roll_deg,
                pitch_deg,
                yaw_deg,
                ..
            }
            | Gimbal::BodyFixed {
                roll_deg,
                pitch_deg,
                yaw_deg,
            } => [roll_deg, pitch_deg, yaw_deg].iter().all(|x| x.is_finite()),
        }
}

/// Unit ray in NED through pixel (u, v).
pub fn pixel_ray_ned(camera: &CameraModel, pose: &CameraPose, u: f64, v: f64) -> [f64; 3] {
    norm3(mat_vec(&camera_to_ned(pose), camera.ray(u, v)))
}

/// Where a unit NED ray from the pose meets the ground: (north, east) offset, ground elevation,
/// slant range, fallback used.
fn intersect(
    pose: &CameraPose,
    d: V3,
    ground: &Ground,
) -> Result<([f64; 2], f64, f64, bool), ProjectionError> {
    if d[2] <= 1e-6 {
        return Err(ProjectionError::AboveHorizon);
    }
    let flat = |g: f64| -> Result<([f64; 2], f64, f64, bool), ProjectionError> {
        let h = pose.alt_amsl_m - g;
        if h < 0.0 {
            return Err(ProjectionError::BelowGround { below_m: -h });
        }
        let t = h / d[2];
        if t > MAX_RANGE_M {
            return Err(ProjectionError::TooFar {
                max_range_m: MAX_RANGE_M,
            });
        }
        Ok(([d[0] * t, d[1] * t], g, t, false))
    };
    match *ground {
        Ground::Flat { amsl_m } => flat(amsl_m),
        Ground::Terrain {
            grid,
            fallback_amsl_m,
        } => {
            let frame = LocalFrame::new(pose.position);
            let terrain_at = |t: f64| grid.elevation_m(frame.to_latlon([d[1] * t, d[0] * t]));
            let height_at = |t: f64, g: f64| pose.alt_amsl_m - d[2] * t - g;
            let Some(g0) = terrain_at(0.0) else {
                return match fallback_amsl_m {
                    Some(g) => flat(g).map(|(p, g, t, _)| (p, g, t, true)),
                    None => Err(ProjectionError::NoGround),
                };
            };
            if height_at(0.0, g0) < 0.0 {
                return Err(ProjectionError::BelowGround {
                    below_m: g0 - pose.alt_amsl_m,
                });
            }
            // March along the ray a quarter cell at a time, then bisect the crossing.
            let step = (grid.cell_size_m() / 4.0).clamp(0.5, 25.0);
            let mut t_prev = 0.0;
            let mut t = step;
            while t <= MAX_RANGE_M {
                let Some(g) = terrain_at(t) else {
                    return match fallback_amsl_m {
                        Some(fg) => flat(fg).map(|(p, g, t, _)| (p, g, t, true)),
                        None => Err(ProjectionError::NoGround),
                    };
                };
                if height_at(t, g) <= 0.0 {
                    let (mut lo, mut hi) = (t_prev, t);
                    for _ in 0..40 {
                        let mid = 0.5 * (lo + hi);
                        match terrain_at(mid) {
                            Some(gm) if height_at(mid, gm) > 0.0 => lo = mid,
                            _ => hi = mid,
                        }
                    }
                    let g_hit = terrain_at(hi).unwrap_or(g);
                    return Ok(([d[0] * hi, d[1] * hi], g_hit, hi, false));
                }
                t_prev = t;
                t += step;
            }
            Err(ProjectionError::TooFar {
                max_range_m: MAX_RANGE_M,
            })
        }
    }
}

/// Project pixel (u, v) of `camera` seen from `pose` onto `ground`.
pub fn project_pixel(
    camera: &CameraModel,
    pose: &CameraPose,
    u: f64,
    v: f64,
    ground: &Ground,
    unc: &PoseUncertainty,
) -> Result<GroundFix, ProjectionError> {
    if !camera.is_valid() {
        return Err(ProjectionError::BadCamera);
    }
    if !pose_ok(pose) {
        return Err(ProjectionError::BadPose);
    }
    let (w, h) = (f64::from(camera.width_px), f64::from(camera.height_px));
    if !(u.is_finite() && v.is_finite() && (0.0..=w).contains(&u) && (0.0..=h).contains(&v)) {
        return Err(ProjectionError::OutsideImage {
            u,
            v,
            width: camera.width_px,
            height: camera.height_px,
        });
    }
    let d = pixel_ray_ned(camera, pose, u, v);
    let (ne, g, range, used_fallback) = intersect(pose, d, ground)?;
    let frame = LocalFrame::new(pose.position);
    let pos = frame.to_latlon([ne[1], ne[0]]);
    let off_nadir_deg = d[2].clamp(-1.0, 1.0).acos().to_degrees();

    // Error budget (1 σ each, combined in quadrature): pointing (angles + the pixel) moves the
    // ray in two directions; a height error slides the hit along the ray's ground track; the
    // vehicle's own position error carries over as it is.
    let sigma_ang = (unc.angle_deg.abs().powi(2)
        + (unc.pixel.abs() * camera.pixel_angle_deg()).powi(2))
    .sqrt()
    .to_radians();
    let horizontal = [d[0], d[1], 0.0];
    let side = if horizontal[0].hypot(horizontal[1]) < 1e-9 {
        [0.0, 1.0, 0.0]
    } else {
        norm3(cross3([0.0, 0.0, 1.0], horizontal))
    };
    let up_down = norm3(cross3(side, d));
    let plane = Ground::Flat { amsl_m: g };
    let shift = |dir: V3| -> f64 {
        match intersect(pose, tilt(d, dir, sigma_ang), &plane) {
            Ok((p, _, _, _)) => (p[0] - ne[0]).hypot(p[1] - ne[1]),
            // A ray that would miss the ground when tilted by one sigma: the range itself.
            Err(_) => range,
        }
    };
    let e_side = shift(side);
    let e_along = shift(up_down).max(shift([-up_down[0], -up_down[1], -up_down[2]]));
    let terrain_sigma = match ground {
        Ground::Terrain { grid, .. } if !used_fallback => grid.vertical_accuracy_m,
        // Flat-ground assumption: the real ground may differ; the caller's altitude error and
        // nothing more is known about it.
        _ => 0.0,
    };
    let sigma_z = (unc.alt_accuracy_m.powi(2) + terrain_sigma.powi(2)).sqrt();
    let tan_off = (1.0 - d[2] * d[2]).max(0.0).sqrt() / d[2];
    let e_height = sigma_z * tan_off;
    let sigma =
        (e_side.powi(2) + e_along.powi(2) + unc.h_accuracy_m.powi(2) + e_height.powi(2)).sqrt();
    Ok(GroundFix {
        pos,
        ground_amsl_m: g,
        slant_range_m: range,
        off_nadir_deg,
        error_m: 2.45 * sigma,
        used_fallback,
    })
}

/// Where a ground point appears in the image (the inverse of [`project_pixel`] for that point):
/// None when it is behind the camera or outside the image.
pub fn ground_to_pixel(
    camera: &CameraModel,
    pose: &CameraPose,
    target: LatLon,
    target_amsl_m: f64,
) -> Option<[f64; 2]> {
    let frame = LocalFrame::new(pose.position);
    let [e, n] = frame.to_xy(target);
    let v_ned = [n, e, pose.alt_amsl_m - target_amsl_m];
    let r = camera_to_ned(pose);
    // NED → camera is the transpose.
    let c = [
        r[0][0] * v_ned[0] + r[1][0] * v_ned[1] + r[2][0] * v_ned[2],
        r[0][1] * v_ned[0] + r[1][1] * v_ned[1] + r[2][1] * v_ned[2],
        r[0][2] * v_ned[0] + r[1][2] * v_ned[1] + r[2][2] * v_ned[2],
    ];
    if c[0] <= 1e-9 {
        return None;
    }
    let (fx, fy) = camera.focal_px();
    let u = f64::from(camera.width_px) / 2.0 + fx * c[1] / c[0];
    let v = f64::from(camera.height_px) / 2.0 + fy * c[2] / c[0];
    (u >= 0.0 && v >= 0.0 && u <= f64::from(camera.width_px) && v <= f64::from(camera.height_px))
        .then_some([u, v])
}

/// The image's footprint on the ground: its four corners (top-left, top-right, bottom-right,
/// bottom-left) projected, rays that miss clipped to `max_range_m` along their ground track.
pub fn footprint(
    camera: &CameraModel,
    pose: &CameraPose,
    ground: &Ground,
    max_range_m: f64,
) -> Option<[LatLon; 4]> {
    if !camera.is_valid() || !pose_ok(pose) {
        return None;
    }
    let (w, h) = (f64::from(camera.width_px), f64::from(camera.height_px));
    let frame = LocalFrame::new(pose.position);
    let mut out = [pose.position; 4];
    for (i, (u, v)) in [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)]
        .into_iter()
        .enumerate()
    {
        let d = pixel_ray_ned(camera, pose, u, v);
        let ne = match intersect(pose, d, ground) {
            Ok((p, _, range, _)) if range <= max_range_m => p,
            _ => {
                let hz = d[0].hypot(d[1]);
                if hz < 1e-9 {
                    return None;
                }
                [d[0] / hz * max_range_m, d[1] / hz * max_range_m]
            }
        };
        out[i] = frame.to_latlon([ne[1], ne[0]]);
    }
    Some(out)
}
