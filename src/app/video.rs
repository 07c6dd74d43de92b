//! The video pane, fed by a latest-frame slot the app is given: the station's
//! (`StationHandle::video`, which receives and records each vehicle's stream). `start_video`
//! remains for a stream the station does not own (`vigie train`'s thermal watch).

use std::sync::Arc;
use std::time::Instant;

use egui::{RichText, Vec2};

use super::i18n::Tr;
use super::theme::{Palette, TARGET_PX};

/// A video stream for the UI: its frame slot and what keeps the pipeline alive.
pub struct VideoFeed {
    pub label: String,
    pub frames: vigie_video::FrameSlot,
    pub ingest: Option<Arc<vigie_video::Ingest>>,
}

impl VideoFeed {
    /// A slot filled by someone else (the station, a test).
    pub fn from_slot(label: &str, frames: vigie_video::FrameSlot) -> Self {
        VideoFeed {
            label: label.to_string(),
            frames,
            ingest: None,
        }
    }
}

/// Start receiving a stream for the pane; None (with a log line) when it cannot start.
pub fn start_video(label: &str, uri: &str) -> Option<VideoFeed> {
    if let Err(e) = vigie_video::init() {
        tracing::warn!("video disabled: {e}");
        return None;
    }
    let source = match vigie_video::SourceUri::parse(uri) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("video disabled: {e}");
            return None;
        }
    };
    match vigie_video::Ingest::start(
        vigie_video::IngestConfig::new(label, source),
        vigie_video::Events::log_only(),
    ) {
        Ok(i) => {
            let i = Arc::new(i);
            Some(VideoFeed {
                label: label.to_string(),
                frames: i.frames(),
                ingest: Some(i),
            })
        }
        Err(e) => {
            tracing::warn!("video disabled: {e}");
            None
        }
    }
}

/// A vehicle's cameras as the fly view gets them (either may be missing).
#[derive(Clone, Copy, Default)]
pub struct Cameras<'a> {
    pub visible: Option<&'a VideoPane>,
    pub thermal: Option<&'a VideoPane>,
}

impl<'a> Cameras<'a> {
    pub fn visible(pane: Option<&'a VideoPane>) -> Self {
        Cameras {
            visible: pane,
            thermal: None,
        }
    }

    /// The camera the pilot picked, or the one there is.
    pub fn pick(&self, thermal: bool) -> Option<&'a VideoPane> {
        match (thermal, self.visible, self.thermal) {
            (true, _, Some(t)) => Some(t),
            (_, Some(v), _) => Some(v),
            (_, None, t) => t,
        }
    }
}

/// The pane's texture, updated from the slot when a newer frame is there.
pub struct VideoPane {
    feed: VideoFeed,
    texture: Option<egui::TextureHandle>,
    last_seq: Option<u64>,
    last_frame_at: Option<Instant>,
    size: [usize; 2],
    /// Frames shown, and frames the slot replaced before we took them.
    pub shown: u64,
    pub snapshot_note: Option<String>,
}

impl VideoPane {
    pub fn new(feed: VideoFeed) -> Self {
        VideoPane {
            feed,
            texture: None,
            last_seq: None,
            last_frame_at: None,
            size: [0, 0],
            shown: 0,
            snapshot_note: None,
        }
    }

    /// Take the newest frame if it is new; a frame of the wrong size is skipped, never a panic.
    pub fn update(&mut self, ctx: &egui::Context) {
        self.update_at(ctx, true);
    }

    /// The same, at full size only when `full` (full screen): a 1080p frame for a pane a few
    /// hundred pixels wide is taken at half size — a quarter of the texture and of the copy made
    /// every frame (the app's memory goal).
    pub fn update_at(&mut self, ctx: &egui::Context, full: bool) {
        let Some(frame) = self.feed.frames.latest() else {
            return;
        };
        if Some(frame.seq) == self.last_seq {
            return;
        }
        self.last_seq = Some(frame.seq);
        let (w, h) = (frame.width as usize, frame.height as usize);
        let stride = frame.stride();
        let data = frame.rgba();
        if w == 0 || h == 0 || stride < w * 4 || data.len() < stride * (h - 1) + w * 4 {
            tracing::debug!("video: frame {} has a bad size, skipped", frame.seq);
            return;
        }
        let image = if !full && w > 1280 {
            let (hw, hh) = (w / 2, h / 2);
            let mut half = Vec::with_capacity(hw * hh * 4);
            for row in 0..hh {
                let line = &data[row * 2 * stride..];
                for col in 0..hw {
                    half.extend_from_slice(&line[col * 8..col * 8 + 4]);
                }
            }
            egui::ColorImage::from_rgba_unmultiplied([hw, hh], &half)
        } else if stride == w * 4 {
            egui::ColorImage::from_rgba_unmultiplied([w, h], &data[..w * h * 4])
        } else {
            let mut packed = Vec::with_capacity(w * h * 4);
            for row in 0..h {
                packed.extend_from_slice(&data[row * stride..row * stride + w * 4]);
            }
            egui::ColorImage::from_rgba_unmultiplied([w, h], &packed)
        };
        self.size = [w, h];
        match &mut self.texture {
            Some(t) => t.set(image, egui::TextureOptions::LINEAR),
            None => {
                self.texture = Some(ctx.load_texture("video", image, egui::TextureOptions::LINEAR))
            }
        }
        self.shown += 1;
        self.last_frame_at = Some(Instant::now());
        // Video paces its own repaints; the rest of the UI runs at 10 Hz.
        ctx.request_repaint();
    }

    fn health_text(&self, tr: &Tr) -> String {
        let age = self.last_frame_at.map(|t| t.elapsed().as_secs_f64());
        match (&self.feed.ingest, age) {
            (_, None) => tr.t("video-waiting"),
            (Some(i), Some(a)) => {
                let h = i.health();
                tr.ta(
                    "video-health",
                    &[
                        ("w", u32::try_from(self.size[0]).unwrap_or(0).into()),
                        ("h", u32::try_from(self.size[1]).unwrap_or(0).into()),
                        (
                            "dropped",
                            i64::try_from(h.frames_dropped).unwrap_or(i64::MAX).into(),
                        ),
                        ("age", tr.num(a, 1).into()),
                    ],
                )
            }
            (None, Some(a)) => tr.ta(
                "video-health-slot",
                &[
                    ("w", u32::try_from(self.size[0]).unwrap_or(0).into()),
                    ("h", u32::try_from(self.size[1]).unwrap_or(0).into()),
                    ("age", tr.num(a, 1).into()),
                ],
            ),
        }
    }

    /// A stale picture says so: a frozen frame must not pass for live video.
    fn stale(&self) -> bool {
        self.last_frame_at
            .is_none_or(|t| t.elapsed().as_secs_f64() > 2.0)
    }

    pub fn pane_ui(&self, ui: &mut egui::Ui, tr: &Tr, p: &Palette, full: &mut bool) {
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("▶ {}", self.feed.label)).strong());
            if ui
                .add(egui::Button::new(tr.t("video-full")).min_size(Vec2::new(0.0, TARGET_PX)))
                .clicked()
            {
                *full = true;
            }
        });
        let w = ui.available_width().min(340.0);
        match &self.texture {
            Some(t) => {
                let r = ui.add(egui::Image::new(t).fit_to_exact_size(Vec2::new(w, w * 9.0 / 16.0)));
                if self.stale() {
                    ui.painter().text(
                        r.rect.center(),
                        egui::Align2::CENTER_CENTER,
                        format!("✖ {}", tr.t("video-frozen")),
                        egui::FontId::proportional(22.0),
                        p.deny,
                    );
                }
            }
            None => {
                let (rect, _) =
                    ui.allocate_exact_size(Vec2::new(w, w * 9.0 / 16.0), egui::Sense::hover());
                ui.painter()
                    .rect_filled(rect, 4.0, egui::Color32::from_gray(30));
                ui.painter().text(
                    rect.center(),
                    egui::Align2::CENTER_CENTER,
                    tr.t("video-waiting"),
                    egui::FontId::proportional(18.0),
                    egui::Color32::WHITE,
                );
            }
        }
        ui.label(RichText::new(self.health_text(tr)).size(14.0));
    }

    /// The picture alone at `size` (a tile of the CSU wall), marked when frozen or not yet
    /// received; returns where it was drawn.
    pub fn tile_ui(&self, ui: &mut egui::Ui, tr: &Tr, p: &Palette, size: Vec2) -> egui::Rect {
        let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
        ui.painter()
            .rect_filled(rect, 0.0, egui::Color32::from_gray(20));
        match &self.texture {
            Some(t) => {
                // Letterboxed to the frame's own aspect ratio.
                let [w, h] = self.size;
                let aspect = if h > 0 {
                    w as f32 / h as f32
                } else {
                    16.0 / 9.0
                };
                let fit = if rect.width() / rect.height() > aspect {
                    Vec2::new(rect.height() * aspect, rect.height())
                } else {
                    Vec2::new(rect.width(), rect.width() / aspect)
                };
                let img = egui::Rect::from_center_size(rect.center(), fit);
                egui::Image::new(t).paint_at(ui, img);
                if self.stale() {
                    ui.painter().text(
                        rect.center(),
                        egui::Align2::CENTER_CENTER,
                        format!("✖ {}", tr.t("video-frozen")),
                        egui::FontId::proportional(24.0),
                        p.deny,
                    );
                }
            }
            None => {
                ui.painter().text(
                    rect.center(),
                    egui::Align2::CENTER_CENTER,
                    tr.t("video-waiting"),
                    egui::FontId::proportional(20.0),
                    egui::Color32::WHITE,
                );
            }
        }
        rect
    }

    /// The size of the texture on screen now (half the frame's in a small pane).
    pub fn texture_size(&self) -> Option<[usize; 2]> {
        self.texture.as_ref().map(|t| t.size())
    }

    /// Frames shown so far (the CSU wall's tests look for live tiles).
    pub fn frames_shown(&self) -> u64 {
        self.shown
    }

    pub fn full_ui(&self, ui: &mut egui::Ui, tr: &Tr, full: &mut bool) {
        if ui
            .add(egui::Button::new(tr.t("video-exit-full")).min_size(Vec2::new(0.0, TARGET_PX)))
            .clicked()
        {
            *full = false;
        }
        if let Some(t) = &self.texture {
            let avail = ui.available_size();
            let h = avail.y.min(avail.x * 9.0 / 16.0);
            ui.add(egui::Image::new(t).fit_to_exact_size(Vec2::new(h * 16.0 / 9.0, h)));
        }
        ui.label(self.health_text(tr));
    }
}

pub fn no_video_ui(ui: &mut egui::Ui, tr: &Tr) {
    ui.label(format!("▶ {}", tr.t("video-none")));
}

/// Frame times of the window, for `scripts/bench-app.sh`.
#[derive(Default)]
pub struct FrameTimes {
    first_frame_ms: Option<f64>,
    times_ms: Vec<f64>,
}

impl FrameTimes {
    /// `launched`: when the process started; `cpu_s`: eframe's CPU time of the previous frame
    /// (UI, tessellation and painting, without waiting for the display).
    pub fn record(&mut self, launched: Instant, cpu_s: Option<f32>) {
        if self.first_frame_ms.is_none() {
            self.first_frame_ms = Some(launched.elapsed().as_secs_f64() * 1000.0);
        }
        if let Some(s) = cpu_s
            && self.times_ms.len() < 100_000
        {
            self.times_ms.push(f64::from(s) * 1000.0);
        }
    }

    /// `vigie-frames first_frame_ms=… frames=… median_ms=… p95_ms=…` on stdout.
    pub fn print(&self) {
        let mut t = self.times_ms.clone();
        t.sort_by(f64::total_cmp);
        let q = |f: f64| {
            t.get(((t.len() as f64 - 1.0) * f).round() as usize)
                .copied()
                .unwrap_or(f64::NAN)
        };
        println!(
            "vigie-frames first_frame_ms={:.0} frames={} median_ms={:.2} p95_ms={:.2}",
            self.first_frame_ms.unwrap_or(f64::NAN),
            t.len(),
            q(0.5),
            q(0.95)
        );
    }
}
