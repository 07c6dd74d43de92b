//! Synthetic camera: a top-down view that moves with the vehicle, H.264 over RTP/UDP through
//! GStreamer, with the project's latency stamp in every frame.
//!
//! Latency stamp (read by the video crate): in the top-left corner, 64 cells of 16x16 pixels in
//! one row (cell i spans x = 16 i .. 16 i + 16, y = 0 .. 16); cell i is white (255) when bit
//! (63 - i) of the capture time is 1, black (0) otherwise. Capture time = microseconds since the
//! Unix epoch (system realtime clock) when the frame is pushed into the pipeline.
//!
//! Video is optional: a missing GStreamer plugin gives one clear warning and the sim flies on.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use crate::geo::{LatLon, LocalFrame};
use crate::runtime::Views;
use crate::scenario::Scenario;

pub const STAMP_CELLS: usize = 64;
pub const STAMP_CELL_PX: usize = 16;
const FPS: u32 = 30;

/// The video codec of the RTP stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    H264,
    H265,
}

impl Codec {
    fn encoder(self, bitrate_kbps: u32) -> String {
        match self {
            Codec::H264 => format!(
                "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 bitrate={bitrate_kbps}"
            ),
            Codec::H265 => format!(
                "x265enc tune=zerolatency speed-preset=ultrafast key-int-max=30 bitrate={bitrate_kbps}"
            ),
        }
    }
    fn payloader(self) -> &'static str {
        match self {
            Codec::H264 => "rtph264pay config-interval=-1 pt=96",
            Codec::H265 => "rtph265pay config-interval=-1 pt=96",
        }
    }
    /// Plugins the pipeline needs, with the Debian package that ships them.
    fn required(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Codec::H264 => &[
                ("appsrc", "gstreamer1.0-plugins-base (app)"),
                ("videoconvert", "gstreamer1.0-plugins-base"),
                ("x264enc", "gstreamer1.0-plugins-ugly"),
                ("rtph264pay", "gstreamer1.0-plugins-good"),
                ("udpsink", "gstreamer1.0-plugins-good"),
            ],
            Codec::H265 => &[
                ("appsrc", "gstreamer1.0-plugins-base (app)"),
                ("videoconvert", "gstreamer1.0-plugins-base"),
                ("x265enc", "gstreamer1.0-plugins-bad"),
                ("rtph265pay", "gstreamer1.0-plugins-good"),
                ("udpsink", "gstreamer1.0-plugins-good"),
            ],
        }
    }
}

/// A running stream; dropping it stops the pipeline.
pub struct VideoStream {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for VideoStream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Writes the latency stamp of `capture_us` into an I420 (or GRAY8) luma plane of `width`.
pub fn write_stamp(luma: &mut [u8], width: usize, capture_us: u64) {
    // A frame narrower than the stamp (1024 px) would wrap cells into the next rows: never.
    for i in 0..STAMP_CELLS.min(width / STAMP_CELL_PX) {
        let bit = (capture_us >> (63 - i)) & 1;
        let v = if bit == 1 { 255 } else { 0 };
        for y in 0..STAMP_CELL_PX {
            let row = y * width + i * STAMP_CELL_PX;
            if let Some(cell) = luma.get_mut(row..row + STAMP_CELL_PX) {
                cell.fill(v);
            }
        }
    }
}

/// Reads a stamp back from a luma plane (threshold at mid-grey). The inverse of `write_stamp`.
pub fn read_stamp(luma: &[u8], width: usize) -> u64 {
    let mut v = 0u64;
    for i in 0..STAMP_CELLS {
        // Sample the centre of the cell: codecs smear the edges.
        let idx = (STAMP_CELL_PX / 2) * width + i * STAMP_CELL_PX + STAMP_CELL_PX / 2;
        let bit = u64::from(luma.get(idx).copied().unwrap_or(0) > 127);
        v |= bit << (63 - i);
    }
    v
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// What the camera looks at, in the scenario's local frame (metres north/east of the origin).
#[derive(Clone, Debug)]
struct Scene {
    frame: LocalFrame,
    /// Hotspots: north, east, radius (m), temperature (C).
    hotspots: Vec<(f64, f64, f64, f64)>,
    thermal: bool,
}

/// Ground brightness at a world point: fields, a road grid every 100 m, a few buildings.
fn ground_luma(n: f64, e: f64) -> u8 {
    let road = |x: f64| (x.rem_euclid(100.0)) < 6.0;
    if road(n) || road(e) {
        return 70;
    }
    let (fi, fj) = ((n / 25.0).floor() as i64, (e / 25.0).floor() as i64);
    let h = (fi.wrapping_mul(73_856_093) ^ fj.wrapping_mul(19_349_663)) & 0xff;
    // Some blocks are roofs (bright), most are fields of varied grey.
    let base = if h % 7 == 0 {
        215
    } else {
        100 + (h % 90) as u8
    };
    // A fine 3 m texture (crops, tiles) so motion is visible at any height.
    let fine = ((n / 3.0).floor() as i64 + (e / 3.0).floor() as i64).rem_euclid(2) == 0;
    if fine {
        base.saturating_add(12)
    } else {
        base.saturating_sub(12)
    }
}

/// A 3x5 pixel font for the burnt-in sim clock (works without the textoverlay plugin).
fn glyph(c: char) -> [u8; 5] {
    match c {
        '0' => [0b111, 0b101, 0b101, 0b101, 0b111],
        '1' => [0b010, 0b110, 0b010, 0b010, 0b111],
        '2' => [0b111, 0b001, 0b111, 0b100, 0b111],
        '3' => [0b111, 0b001, 0b111, 0b001, 0b111],
        '4' => [0b101, 0b101, 0b111, 0b001, 0b001],
        '5' => [0b111, 0b100, 0b111, 0b001, 0b111],
        '6' => [0b111, 0b100, 0b111, 0b101, 0b111],
        '7' => [0b111, 0b001, 0b010, 0b010, 0b010],
        '8' => [0b111, 0b101, 0b111, 0b101, 0b111],
        '9' => [0b111, 0b101, 0b111, 0b001, 0b111],
        '.' => [0b000, 0b000, 0b000, 0b000, 0b010],
        '+' => [0b000, 0b010, 0b111, 0b010, 0b000],
        '-' => [0b000, 0b000, 0b111, 0b000, 0b000],
        'T' => [0b111, 0b010, 0b010, 0b010, 0b010],
        'A' => [0b010, 0b101, 0b111, 0b101, 0b101],
        'L' => [0b100, 0b100, 0b100, 0b100, 0b111],
        'M' => [0b101, 0b111, 0b111, 0b101, 0b101],
        _ => [0; 5],
    }
}

/// Burns `text` into the luma plane at (x, y), white on a black box, `scale` pixels per dot.
fn burn_text(luma: &mut [u8], w: usize, h: usize, x: usize, y: usize, scale: usize, text: &str) {
    let cols = text.chars().count() * 4 + 1;
    for yy in y.saturating_sub(scale)..(y + 6 * scale).min(h) {
        let row = yy * w;
        let (a, b) = (x.saturating_sub(scale).min(w), (x + cols * scale).min(w));
        luma[row + a..row + b].fill(16);
    }
    for (i, c) in text.chars().enumerate() {
        let g = glyph(c);
        for (gy, bits) in g.iter().enumerate() {
            for gx in 0..3 {
                if bits & (0b100 >> gx) == 0 {
                    continue;
                }
                let px = x + (i * 4 + gx) * scale;
                let py = y + gy * scale;
                for yy in py..(py + scale).min(h) {
                    let row = yy * w;
                    let (a, b) = (px.min(w), (px + scale).min(w));
                    luma[row + a..row + b].fill(235);
                }
            }
        }
    }
}

/// Renders one I420 frame: a top-down view centred on the vehicle, north-up rotated by yaw.
/// Blocks of 4x4 pixels keep it cheap even in debug builds.
/// Where the camera is and how wide it sees.
#[derive(Clone, Copy, Debug)]
struct Camera {
    at: LatLon,
    alt_m: f64,
    yaw_deg: f64,
    hfov_deg: f64,
}

fn render(buf: &mut [u8], w: usize, h: usize, scene: &Scene, cam: Camera) {
    let (cn, ce) = scene.frame.to_ne(cam.at);
    let height = cam.alt_m.max(2.0);
    let ground_width_m = 2.0 * height * (cam.hfov_deg.to_radians() / 2.0).tan();
    let m_per_px = ground_width_m / w as f64;
    let (s, c) = cam.yaw_deg.to_radians().sin_cos();
    const B: usize = 4;
    let (y_plane, chroma) = buf.split_at_mut(w * h);
    for by in (0..h).step_by(B) {
        for bx in (0..w).step_by(B) {
            // Image right is the vehicle's right, image up is its nose.
            let fwd = (h as f64 / 2.0 - by as f64) * m_per_px;
            let right = (bx as f64 - w as f64 / 2.0) * m_per_px;
            let n = cn + fwd * c - right * s;
            let e = ce + fwd * s + right * c;
            let mut l = ground_luma(n, e);
            if scene.thermal {
                l = 40 + l / 5;
            }
            for &(hn, he, r, t) in &scene.hotspots {
                let d = (n - hn).hypot(e - he);
                if d < r * 3.0 {
                    let heat = ((1.0 - d / (r * 3.0)) * (t / 400.0).min(1.0) * 255.0) as i32;
                    if scene.thermal {
                        l = l.saturating_add(heat.clamp(0, 255) as u8);
                    } else if d < r {
                        l = 30; // burnt ground, seen in the visible stream too
                    }
                }
            }
            for yy in by..(by + B).min(h) {
                let row = yy * w;
                y_plane[row + bx..row + (bx + B).min(w)].fill(l);
            }
        }
    }
    // Neutral chroma: a grey-scale picture (cheap, and the stamp stays pure black/white).
    chroma.fill(128);
}

fn missing_plugins(codec: Codec) -> Vec<String> {
    codec
        .required()
        .iter()
        .filter(|(name, _)| gst::ElementFactory::find(name).is_none())
        .map(|(name, pkg)| format!("{name} ({pkg})"))
        .collect()
}

/// One outgoing stream.
#[derive(Clone, Copy, Debug)]
struct StreamSpec {
    dest: SocketAddr,
    w: usize,
    h: usize,
    bitrate_kbps: u32,
    with_hud: bool,
    codec: Codec,
}

fn build_pipeline(
    spec: &StreamSpec,
) -> Result<(gst::Pipeline, gst_app::AppSrc, Option<gst::Element>), String> {
    let StreamSpec {
        dest,
        w,
        h,
        bitrate_kbps,
        with_hud,
        codec,
    } = *spec;
    let hud = if with_hud {
        "textoverlay name=hud valignment=bottom halignment=left font-desc=\"Sans 14\" shaded-background=true ! "
    } else {
        ""
    };
    let desc = format!(
        "appsrc name=src is-live=true format=time do-timestamp=false \
         caps=video/x-raw,format=I420,width={w},height={h},framerate={FPS}/1 ! {hud}\
         queue leaky=downstream max-size-buffers=2 ! videoconvert ! \
         {} ! {} ! udpsink host={} port={} sync=false async=false",
        codec.encoder(bitrate_kbps),
        codec.payloader(),
        dest.ip(),
        dest.port()
    );
    let pipeline =
        gst::parse::launch(&desc).map_err(|e| format!("cannot build the video pipeline: {e}"))?;
    let pipeline = pipeline
        .downcast::<gst::Pipeline>()
        .map_err(|_| "the video pipeline is not a pipeline".to_string())?;
    let src = pipeline
        .by_name("src")
        .ok_or("no appsrc in the video pipeline")?;
    let src = src
        .downcast::<gst_app::AppSrc>()
        .map_err(|_| "src is not an appsrc".to_string())?;
    let hud = pipeline.by_name("hud");
    Ok((pipeline, src, hud))
}

/// Starts one visible stream per vehicle (vehicle i to port + 10 i), plus a thermal stream on
/// port + 1 when the scenario has hotspots. Problems give a warning and no video.
#[allow(clippy::too_many_arguments)]
pub fn start(
    views: Views,
    dest: SocketAddr,
    codec: Codec,
    width: u16,
    height: u16,
    scenario: &Scenario,
    count: u8,
) -> Vec<VideoStream> {
    if let Err(e) = gst::init() {
        tracing::warn!(
            "video disabled: GStreamer does not initialise ({e}); the simulator flies without video"
        );
        return Vec::new();
    }
    let missing = missing_plugins(codec);
    if !missing.is_empty() {
        tracing::warn!(
            "video disabled: missing GStreamer plugins: {}; install them or run with --no-video",
            missing.join(", ")
        );
        return Vec::new();
    }
    let with_hud = gst::ElementFactory::find("textoverlay").is_some();
    if !with_hud {
        tracing::warn!(
            "textoverlay (gstreamer1.0-plugins-base, pango) missing: video without the text HUD"
        );
    }
    let frame = LocalFrame::new(scenario.home);
    let hotspots: Vec<(f64, f64, f64, f64)> = scenario
        .hotspots
        .iter()
        .map(|h| {
            let (n, e) = frame.to_ne(h.at);
            (n, e, h.radius_m, h.temp_c)
        })
        .collect();
    let mut streams = Vec::new();
    for i in 0..usize::from(count) {
        let mut d = dest;
        d.set_port(dest.port().saturating_add((i as u16) * 10));
        let visible = Scene {
            frame,
            hotspots: hotspots.clone(),
            thermal: false,
        };
        let bitrate = if height >= 1080 { 6000 } else { 3000 };
        let spec = StreamSpec {
            dest: d,
            w: usize::from(width),
            h: usize::from(height),
            bitrate_kbps: bitrate,
            with_hud,
            codec,
        };
        if let Some(s) = spawn(views.clone(), i, spec, visible) {
            streams.push(s);
        }
        if !hotspots.is_empty() {
            let mut t = d;
            t.set_port(d.port().saturating_add(1));
            let thermal = Scene {
                frame,
                hotspots: hotspots.clone(),
                thermal: true,
            };
            // Thermal cores are 640x512; the stream is upscaled to 1280x720 (as many drone
            // thermal outputs are) so it carries the full 1024-pixel latency stamp.
            let spec = StreamSpec {
                dest: t,
                w: 1280,
                h: 720,
                bitrate_kbps: 1500,
                with_hud: false,
                codec,
            };
            if let Some(s) = spawn(views.clone(), i, spec, thermal) {
                streams.push(s);
            }
        }
    }
    streams
}

fn spawn(views: Views, index: usize, spec: StreamSpec, scene: Scene) -> Option<VideoStream> {
    let StreamSpec {
        dest, w, h, codec, ..
    } = spec;
    let (pipeline, src, hud) = match build_pipeline(&spec) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!("video disabled for vehicle {}: {e}", index + 1);
            return None;
        }
    };
    if let Err(e) = pipeline.set_state(gst::State::Playing) {
        tracing::warn!(
            "video disabled for vehicle {}: the pipeline does not start ({e})",
            index + 1
        );
        let _ = pipeline.set_state(gst::State::Null);
        return None;
    }
    tracing::info!(
        "video of vehicle {}: {}x{} {:?} RTP to {dest}{}",
        index + 1,
        w,
        h,
        codec,
        if scene.thermal { " (thermal)" } else { "" }
    );
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let thread = std::thread::Builder::new()
        .name(format!("video-{}", index + 1))
        .spawn(move || frame_loop(pipeline, src, hud, views, index, w, h, scene, stop2))
        .ok()?;
    Some(VideoStream {
        stop,
        thread: Some(thread),
    })
}

#[allow(clippy::too_many_arguments)]
fn frame_loop(
    pipeline: gst::Pipeline,
    src: gst_app::AppSrc,
    hud: Option<gst::Element>,
    views: Views,
    index: usize,
    w: usize,
    h: usize,
    scene: Scene,
    stop: Arc<AtomicBool>,
) {
    let period = Duration::from_secs_f64(1.0 / f64::from(FPS));
    let start = Instant::now();
    let bus = pipeline.bus();
    let mut n: u64 = 0;
    let size = w * h * 3 / 2;
    while !stop.load(Ordering::Relaxed) {
        let due = start + period * (n as u32);
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
        let view = views
            .lock()
            .ok()
            .and_then(|v| v.get(index).cloned())
            .unwrap_or_default();
        if let Some(bus) = &bus {
            while let Some(msg) =
                bus.pop_filtered(&[gst::MessageType::Error, gst::MessageType::Warning])
            {
                match msg.view() {
                    gst::MessageView::Error(e) => {
                        tracing::warn!("video pipeline error: {} ({:?})", e.error(), e.debug())
                    }
                    gst::MessageView::Warning(w) => {
                        tracing::debug!("video pipeline warning: {}", w.error())
                    }
                    _ => {}
                }
            }
        }
        let pts = gst::ClockTime::from_nseconds(n * 1_000_000_000 / u64::from(FPS));
        n += 1;
        if view.video_lost {
            continue; // a fault: the stream stops, the pipeline stays up
        }
        let mut data = vec![0u8; size];
        let at = if view.lat_deg == 0.0 && view.lon_deg == 0.0 {
            scene.frame.origin()
        } else {
            LatLon::new(view.lat_deg, view.lon_deg)
        };
        render(
            &mut data,
            w,
            h,
            &scene,
            Camera {
                at,
                alt_m: view.alt_rel_m,
                yaw_deg: view.yaw_deg,
                hfov_deg: if scene.thermal { 50.0 } else { 84.0 },
            },
        );
        if let Some(hud) = &hud {
            hud.set_property(
                "text",
                format!(
                    "T+{:.1}s  {}  {}  ALT {:.0} m  {:.5}N {:.5}E",
                    view.sim_time_s,
                    view.mode,
                    if view.armed { "ARMED" } else { "DISARMED" },
                    view.alt_rel_m,
                    at.lat_deg,
                    at.lon_deg
                ),
            );
        }
        // Sim time and height burnt in at the bottom left, readable without any overlay plugin.
        let label = format!(
            "T+{:07.1} ALT {:03.0}M",
            view.sim_time_s,
            view.alt_rel_m.max(0.0)
        );
        burn_text(
            &mut data[..w * h],
            w,
            h,
            16,
            h.saturating_sub(16 + 6 * 6),
            6,
            &label,
        );
        // The stamp is the last thing written, just before the push.
        let capture = now_us();
        write_stamp(&mut data[..w * h], w, capture);
        let mut buffer = gst::Buffer::from_mut_slice(data);
        if let Some(b) = buffer.get_mut() {
            b.set_pts(pts);
            b.set_duration(gst::ClockTime::from_nseconds(
                1_000_000_000 / u64::from(FPS),
            ));
        }
        if src.push_buffer(buffer).is_err() {
            tracing::warn!(
                "video of vehicle {} stopped: the pipeline refused a frame",
                index + 1
            );
            break;
        }
    }
    let _ = src.end_of_stream();
    let _ = pipeline.set_state(gst::State::Null);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamp_round_trips_and_follows_the_layout() {
        let w = 1280;
        let mut luma = vec![128u8; w * 32];
        let t = 1_795_000_000_123_456u64;
        write_stamp(&mut luma, w, t);
        assert_eq!(read_stamp(&luma, w), t);
        // Cell i at x = 16 i, row 0..16: bit 63 - i.
        for i in 0..64 {
            let want = if (t >> (63 - i)) & 1 == 1 { 255 } else { 0 };
            assert_eq!(luma[15 * w + 16 * i + 15], want, "cell {i}");
        }
        // Row 16 is untouched.
        assert_eq!(luma[16 * w], 128);
        // A narrow frame gets the cells that fit and nothing spills into the rows below.
        let mut narrow = vec![128u8; 640 * 32];
        write_stamp(&mut narrow, 640, u64::MAX);
        assert!(narrow[16 * 640..].iter().all(|&v| v == 128));
    }

    #[test]
    fn the_scene_moves_with_the_vehicle() {
        let scene = Scene {
            frame: LocalFrame::new(LatLon::new(43.515, 4.989)),
            hotspots: vec![],
            thermal: false,
        };
        let (w, h) = (320, 180);
        let mut a = vec![0u8; w * h * 3 / 2];
        let mut b = a.clone();
        render(
            &mut a,
            w,
            h,
            &scene,
            Camera {
                at: LatLon::new(43.515, 4.989),
                alt_m: 30.0,
                yaw_deg: 0.0,
                hfov_deg: 84.0,
            },
        );
        render(
            &mut b,
            w,
            h,
            &scene,
            Camera {
                at: LatLon::new(43.5152, 4.989),
                alt_m: 30.0,
                yaw_deg: 0.0,
                hfov_deg: 84.0,
            },
        );
        assert_ne!(a, b);
    }

    #[test]
    fn burnt_text_stays_inside_the_frame() {
        let (w, h) = (320, 60);
        let mut luma = vec![100u8; w * h];
        burn_text(&mut luma, w, h, 300, 50, 6, "T+0012.3 ALT 040M");
        assert!(luma.contains(&235) || luma.contains(&16));
        burn_text(&mut luma, w, h, 4, 4, 2, "T+1.0");
        assert!(luma[4 * w + 4..4 * w + 10].contains(&235));
    }
}
