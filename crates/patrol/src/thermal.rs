//! Hot spots in a thermal frame: pixels above a threshold, grouped into 8-connected blobs.
//!
//! Two kinds of frame: a *display* stream (8-bit, white-hot grey, as vigie-sim sends and as a
//! drone's thermal video output arrives: `vigie_video::Frame` is RGBA with `stride` bytes per row)
//! judged on luma, and a *radiometric* frame (16-bit counts, linear in kelvin) judged in °C.
//! A camera that only reports CAMERA_THERMAL_RANGE gives one point: [`from_thermal_range`].

use serde::{Deserialize, Serialize};

/// The pixels of one frame, borrowed.
#[derive(Debug, Clone, Copy)]
pub enum Pixels<'a> {
    /// Packed RGBA, `stride` bytes per row (what `vigie_video::Frame::rgba()` gives).
    Rgba8 { data: &'a [u8], stride: usize },
    /// One byte per pixel.
    Gray8 { data: &'a [u8], stride: usize },
    /// Radiometric counts: kelvin = counts × `kelvin_per_count` + `offset_k` (FLIR "TLinear"
    /// high resolution: 0.01 K per count, offset 0).
    Radiometric16 {
        data: &'a [u16],
        stride: usize,
        kelvin_per_count: f64,
        offset_k: f64,
    },
}

#[derive(Debug, Clone, Copy)]
pub struct ThermalImage<'a> {
    pub width: u32,
    pub height: u32,
    pub pixels: Pixels<'a>,
}

/// A rectangle of pixels [x0, x1) × [y0, y1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PixelRect {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
}

/// What counts as hot.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Threshold {
    /// Luma (0–255) at or above this, for display streams.
    Luma(u8),
    /// Temperature at or above this, °C, for radiometric frames.
    Celsius(f64),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectorConfig {
    pub threshold: Threshold,
    /// Blobs smaller than this are noise.
    pub min_pixels: u32,
    /// Areas never judged: burnt-in stamps and text.
    pub exclude: Vec<PixelRect>,
    /// At most this many blobs are returned (hottest first).
    pub max_blobs: usize,
}

impl DetectorConfig {
    /// vigie-sim's thermal stream: background luma ≤ 85, hotspots add up to 255 (a 90 °C spot
    /// reaches about 140 at its centre); the latency stamp (top 16 rows, 1024 pixels) and the
    /// burnt-in clock (bottom left) are excluded.
    pub fn vigie_sim(width: u32, height: u32) -> Self {
        Self {
            threshold: Threshold::Luma(105),
            min_pixels: 12,
            exclude: vec![
                PixelRect {
                    x0: 0,
                    y0: 0,
                    x1: width.max(1024),
                    y1: 16,
                },
                PixelRect {
                    x0: 0,
                    y0: height.saturating_sub(64),
                    x1: 448,
                    y1: height.saturating_sub(8),
                },
            ],
            max_blobs: 64,
        }
    }

    /// A radiometric camera: hot above `celsius` (smouldering ground ≈ 60 °C, flames ≫ 300 °C).
    pub fn radiometric(celsius: f64) -> Self {
        Self {
            threshold: Threshold::Celsius(celsius),
            min_pixels: 4,
            exclude: vec![],
            max_blobs: 64,
        }
    }
}

/// One hot blob.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HotBlob {
    pub pixels: u32,
    /// Pixels of its hot core: the top quarter between the threshold and the peak.
    pub core_pixels: u32,
    /// Centroid of the hot core, weighted by each pixel's excess (pixel coordinates, a pixel's
    /// centre at i + 0.5): where the fire is.
    pub centroid_px: [f64; 2],
    /// The hottest pixel's centre and value (luma, or °C for radiometric frames).
    pub peak_px: [f64; 2],
    pub peak: f64,
    pub bbox: PixelRect,
    /// The hot core touches the image edge: part of it may be outside, its centroid is biased.
    pub touches_edge: bool,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ThermalError {
    #[error(
        "the frame is {got} bytes or samples, {need} are needed for {width}×{height} with this stride"
    )]
    TooSmall {
        got: usize,
        need: usize,
        width: u32,
        height: u32,
    },
    #[error("a {threshold:?} threshold does not apply to this kind of frame")]
    ThresholdKind { threshold: Threshold },
}

/// A pixel's value (luma or °C) at (x, y).
type Sampler<'a> = Box<dyn Fn(usize, usize) -> f64 + 'a>;

/// A value per pixel on one scale, and the threshold on it.
fn sampler<'a>(
    img: &ThermalImage<'a>,
    threshold: Threshold,
) -> Result<(Sampler<'a>, f64), ThermalError> {
    let (w, h) = (img.width as usize, img.height as usize);
    let check = |len: usize, stride: usize, per_px: usize| {
        let need = if h == 0 {
            0
        } else {
            stride * (h - 1) + w * per_px
        };
        if len < need || stride < w * per_px {
            Err(ThermalError::TooSmall {
                got: len,
                need,
                width: img.width,
                height: img.height,
            })
        } else {
            Ok(())
        }
    };
    match (img.pixels, threshold) {
        (Pixels::Rgba8 { data, stride }, Threshold::Luma(t)) => {
            check(data.len(), stride, 4)?;
            Ok((
                Box::new(move |x, y| {
                    let i = y * stride + x * 4;
                    // BT.601 luma, as vigie_video reads its stamp.
                    f64::from(
                        (299 * u32::from(data[i])
                            + 587 * u32::from(data[i + 1])
                            + 114 * u32::from(data[i + 2]))
                            / 1000,
                    )
                }),
                f64::from(t),
            ))
        }
        (Pixels::Gray8 { data, stride }, Threshold::Luma(t)) => {
            check(data.len(), stride, 1)?;
            Ok((
                Box::new(move |x, y| f64::from(data[y * stride + x])),
                f64::from(t),
            ))
        }
        (
            Pixels::Radiometric16 {
                data,
                stride,
                kelvin_per_count,
                offset_k,
            },
            Threshold::Celsius(c),
        ) => {
            check(data.len(), stride, 1)?;
            Ok((
                Box::new(move |x, y| {
                    f64::from(data[y * stride + x]) * kelvin_per_count + offset_k - 273.15
                }),
                c,
            ))
        }
        (_, t) => Err(ThermalError::ThresholdKind { threshold: t }),
    }
}

fn find(parent: &mut [u32], mut i: u32) -> u32 {
    while parent[i as usize] != i {
        let p = parent[parent[i as usize] as usize];
        parent[i as usize] = p;
        i = p;
    }
    i
}

/// Hot blobs of a frame, hottest first.
pub fn detect_hotspots(
    img: &ThermalImage,
    cfg: &DetectorConfig,
) -> Result<Vec<HotBlob>, ThermalError> {
    let (w, h) = (img.width as usize, img.height as usize);
    let (value, thr) = sampler(img, cfg.threshold)?;
    let excluded_row = |y: usize| -> Vec<(usize, usize)> {
        cfg.exclude
            .iter()
            .filter(|r| (r.y0 as usize..r.y1 as usize).contains(&y))
            .map(|r| (r.x0 as usize, (r.x1 as usize).min(w)))
            .collect()
    };
    let excluded = |x: usize, y: usize| {
        cfg.exclude.iter().any(|r| {
            (r.x0 as usize..r.x1 as usize).contains(&x)
                && (r.y0 as usize..r.y1 as usize).contains(&y)
        })
    };
    // Run-length labelling: each row's hot runs, joined to overlapping runs of the row above
    // (8-connected) with a union-find over run ids.
    struct Run {
        y: usize,
        x0: usize,
        x1: usize,
    }
    let mut runs: Vec<Run> = Vec::new();
    let mut parent: Vec<u32> = Vec::new();
    let mut prev_row: std::ops::Range<usize> = 0..0;
    for y in 0..h {
        let ex = excluded_row(y);
        let row_start = runs.len();
        let mut x = 0;
        while x < w {
            if let Some(&(_, x1)) = ex.iter().find(|(a, b)| (*a..*b).contains(&x)) {
                x = x1.max(x + 1);
                continue;
            }
            if value(x, y) >= thr {
                let x0 = x;
                while x < w && value(x, y) >= thr && !ex.iter().any(|(a, b)| (*a..*b).contains(&x))
                {
                    x += 1;
                }
                let id = runs.len() as u32;
                runs.push(Run { y, x0, x1: x });
                parent.push(id);
                for j in prev_row.clone() {
                    let (a0, a1) = (runs[j].x0, runs[j].x1);
                    if a0 <= x && x0 <= a1 {
                        let (ra, rb) = (find(&mut parent, j as u32), find(&mut parent, id));
                        if ra != rb {
                            parent[ra.max(rb) as usize] = ra.min(rb);
                        }
                    }
                }
            } else {
                x += 1;
            }
        }
        prev_row = row_start..runs.len();
    }
    // Per blob: size, peak and extent; then the centroid of its hot core (the pixels in the top
    // quarter between the threshold and the peak), weighted by their excess: a big glow clipped
    // by the image edge or a warm rim does not pull the position, the fire's centre does.
    #[derive(Clone)]
    struct Acc {
        n: u32,
        peak: f64,
        peak_px: [f64; 2],
        bbox: PixelRect,
        core_thr: f64,
        core_n: u32,
        sw: f64,
        sx: f64,
        sy: f64,
        core_edge: bool,
    }
    let mut roots: Vec<u32> = Vec::with_capacity(runs.len());
    let mut accs: std::collections::BTreeMap<u32, Acc> = std::collections::BTreeMap::new();
    for (i, r) in runs.iter().enumerate() {
        let root = find(&mut parent, i as u32);
        roots.push(root);
        let a = accs.entry(root).or_insert(Acc {
            n: 0,
            peak: f64::NEG_INFINITY,
            peak_px: [0.0, 0.0],
            bbox: PixelRect {
                x0: u32::MAX,
                y0: u32::MAX,
                x1: 0,
                y1: 0,
            },
            core_thr: 0.0,
            core_n: 0,
            sw: 0.0,
            sx: 0.0,
            sy: 0.0,
            core_edge: false,
        });
        for x in r.x0..r.x1 {
            let v = value(x, r.y);
            a.n += 1;
            if v > a.peak {
                a.peak = v;
                a.peak_px = [x as f64 + 0.5, r.y as f64 + 0.5];
            }
        }
        a.bbox.x0 = a.bbox.x0.min(r.x0 as u32);
        a.bbox.x1 = a.bbox.x1.max(r.x1 as u32);
        a.bbox.y0 = a.bbox.y0.min(r.y as u32);
        a.bbox.y1 = a.bbox.y1.max(r.y as u32 + 1);
    }
    for a in accs.values_mut() {
        a.core_thr = a.peak - 0.25 * (a.peak - thr);
    }
    for (r, root) in runs.iter().zip(&roots) {
        let Some(a) = accs.get_mut(root) else {
            continue;
        };
        for x in r.x0..r.x1 {
            let v = value(x, r.y);
            if v >= a.core_thr {
                let wgt = v - a.core_thr + 1.0;
                a.core_n += 1;
                a.sw += wgt;
                a.sx += wgt * (x as f64 + 0.5);
                a.sy += wgt * (r.y as f64 + 0.5);
                // An excluded area (stamp, burnt-in text) hides what is behind it like an edge.
                if x == 0
                    || r.y == 0
                    || x + 1 >= w
                    || r.y + 1 >= h
                    || excluded(x - 1, r.y)
                    || excluded(x + 1, r.y)
                    || excluded(x, r.y - 1)
                    || excluded(x, r.y + 1)
                {
                    a.core_edge = true;
                }
            }
        }
    }
    let mut blobs: Vec<HotBlob> = accs
        .into_values()
        .filter(|a| a.n >= cfg.min_pixels && a.sw > 0.0)
        .map(|a| HotBlob {
            pixels: a.n,
            core_pixels: a.core_n,
            centroid_px: [a.sx / a.sw, a.sy / a.sw],
            peak_px: a.peak_px,
            peak: a.peak,
            touches_edge: a.core_edge,
            bbox: a.bbox,
        })
        .collect();
    // A big glow's rim breaks into fragments where the background is bright: a blob next to a
    // larger one (within a quarter of its size) is part of it, not another fire.
    blobs.sort_by_key(|b| std::cmp::Reverse(b.pixels));
    let mut kept: Vec<HotBlob> = Vec::with_capacity(blobs.len());
    for b in blobs {
        let host = kept.iter_mut().find(|k| {
            let (gw, gh) = (
                (k.bbox.x1 - k.bbox.x0) / 4 + 2,
                (k.bbox.y1 - k.bbox.y0) / 4 + 2,
            );
            b.bbox.x0 < k.bbox.x1 + gw
                && k.bbox.x0 < b.bbox.x1 + gw
                && b.bbox.y0 < k.bbox.y1 + gh
                && k.bbox.y0 < b.bbox.y1 + gh
        });
        match host {
            Some(k) => {
                k.pixels += b.pixels;
                k.bbox = PixelRect {
                    x0: k.bbox.x0.min(b.bbox.x0),
                    y0: k.bbox.y0.min(b.bbox.y0),
                    x1: k.bbox.x1.max(b.bbox.x1),
                    y1: k.bbox.y1.max(b.bbox.y1),
                };
            }
            None => kept.push(b),
        }
    }
    let mut blobs = kept;
    blobs.sort_by(|a, b| b.peak.total_cmp(&a.peak).then(b.pixels.cmp(&a.pixels)));
    blobs.truncate(cfg.max_blobs);
    Ok(blobs)
}

/// MAVLink CAMERA_THERMAL_RANGE (277), as the link decodes it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ThermalRange {
    /// Hottest temperature in the frame, °C.
    pub max_c: f64,
    /// Its position, normalised 0..1 from the image's left / top.
    pub max_point_x: f64,
    pub max_point_y: f64,
    pub min_c: f64,
}

/// A hot spot from CAMERA_THERMAL_RANGE: the hottest point when it is at or above `threshold_c`,
/// as a pixel of a `width`×`height` image (so it projects like a blob's centroid).
pub fn from_thermal_range(
    r: &ThermalRange,
    threshold_c: f64,
    width: u32,
    height: u32,
) -> Option<HotBlob> {
    let ok = r.max_c.is_finite()
        && r.max_c >= threshold_c
        && (0.0..=1.0).contains(&r.max_point_x)
        && (0.0..=1.0).contains(&r.max_point_y);
    if !ok {
        return None;
    }
    let px = [
        r.max_point_x * f64::from(width),
        r.max_point_y * f64::from(height),
    ];
    let (x, y) = (px[0] as u32, px[1] as u32);
    Some(HotBlob {
        pixels: 1,
        core_pixels: 1,
        centroid_px: px,
        peak_px: px,
        peak: r.max_c,
        bbox: PixelRect {
            x0: x,
            y0: y,
            x1: x + 1,
            y1: y + 1,
        },
        touches_edge: x == 0 || y == 0 || x + 1 >= width || y + 1 >= height,
    })
}
