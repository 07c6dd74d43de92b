//! Day theme (high contrast, readable in the sun: black on white, saturated state colours) and
//! night theme (dark, dimmed); targets sized for gloves. State is never told by colour alone:
//! every coloured state also carries a word and a shape (see `state_badge_ui`).

use egui::{Color32, CornerRadius, FontFamily, FontId, Stroke, TextStyle, Vec2, Visuals};
use serde::{Deserialize, Serialize};

/// Smallest height of anything the pilot presses, in points (gloves).
pub const TARGET_PX: f32 = 48.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    Day,
    Night,
}

/// The colours a state is drawn in; each comes with a word and a shape on screen.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    pub go: Color32,
    pub warn: Color32,
    pub deny: Color32,
    pub info: Color32,
    pub text: Color32,
    pub text_on_state: Color32,
    pub panel: Color32,
    pub map_bg: Color32,
    pub prohibited: Color32,
    pub auth_required: Color32,
    pub conditional: Color32,
    pub perimeter: Color32,
    pub mission: Color32,
    pub fence: Color32,
    pub vehicle: Color32,
    pub selected: Color32,
    pub trail: Color32,
    pub training: Color32,
}

impl Theme {
    pub fn palette(self) -> Palette {
        match self {
            Theme::Day => Palette {
                go: Color32::from_rgb(0, 110, 30),
                warn: Color32::from_rgb(170, 95, 0),
                deny: Color32::from_rgb(190, 0, 0),
                info: Color32::from_rgb(0, 70, 160),
                text: Color32::BLACK,
                text_on_state: Color32::WHITE,
                panel: Color32::WHITE,
                map_bg: Color32::from_rgb(236, 240, 232),
                prohibited: Color32::from_rgb(200, 0, 0),
                auth_required: Color32::from_rgb(200, 110, 0),
                conditional: Color32::from_rgb(150, 120, 0),
                perimeter: Color32::from_rgb(0, 120, 40),
                mission: Color32::from_rgb(120, 0, 160),
                fence: Color32::from_rgb(0, 0, 0),
                vehicle: Color32::from_rgb(0, 50, 200),
                selected: Color32::from_rgb(255, 200, 0),
                trail: Color32::from_rgb(0, 90, 230),
                training: Color32::from_rgb(0, 70, 160),
            },
            Theme::Night => Palette {
                go: Color32::from_rgb(70, 190, 90),
                warn: Color32::from_rgb(230, 160, 40),
                deny: Color32::from_rgb(240, 80, 70),
                info: Color32::from_rgb(110, 160, 240),
                text: Color32::from_rgb(215, 215, 205),
                text_on_state: Color32::BLACK,
                panel: Color32::from_rgb(18, 20, 22),
                map_bg: Color32::from_rgb(30, 34, 36),
                prohibited: Color32::from_rgb(240, 80, 70),
                auth_required: Color32::from_rgb(230, 150, 40),
                conditional: Color32::from_rgb(210, 190, 60),
                perimeter: Color32::from_rgb(80, 200, 110),
                mission: Color32::from_rgb(200, 120, 240),
                fence: Color32::from_rgb(220, 220, 220),
                vehicle: Color32::from_rgb(120, 170, 255),
                selected: Color32::from_rgb(255, 210, 60),
                trail: Color32::from_rgb(100, 160, 255),
                training: Color32::from_rgb(110, 160, 240),
            },
        }
    }

    /// Apply to the whole app: large text, thick strokes, 48 px targets.
    pub fn apply(self, ctx: &egui::Context) {
        let p = self.palette();
        let mut visuals = match self {
            Theme::Day => Visuals::light(),
            Theme::Night => Visuals::dark(),
        };
        visuals.override_text_color = Some(p.text);
        visuals.panel_fill = p.panel;
        visuals.window_fill = p.panel;
        visuals.extreme_bg_color = match self {
            Theme::Day => Color32::from_rgb(245, 245, 245),
            Theme::Night => Color32::from_rgb(10, 10, 12),
        };
        let edge = match self {
            Theme::Day => Color32::BLACK,
            Theme::Night => Color32::from_rgb(150, 150, 140),
        };
        for w in [
            &mut visuals.widgets.inactive,
            &mut visuals.widgets.hovered,
            &mut visuals.widgets.active,
            &mut visuals.widgets.open,
        ] {
            w.bg_stroke = Stroke::new(2.0, edge);
            w.fg_stroke = Stroke::new(2.0, p.text);
            w.corner_radius = CornerRadius::same(6);
        }
        if self == Theme::Day {
            visuals.widgets.inactive.weak_bg_fill = Color32::from_rgb(225, 228, 232);
            visuals.widgets.inactive.bg_fill = Color32::from_rgb(225, 228, 232);
            visuals.widgets.hovered.weak_bg_fill = Color32::from_rgb(200, 210, 225);
        }
        // A greyed control must still be legible (its reason is written beside it).
        visuals.widgets.noninteractive.fg_stroke = Stroke::new(1.5, p.text);
        visuals.selection.bg_fill = p.selected;
        visuals.selection.stroke = Stroke::new(2.0, Color32::BLACK);
        let egui_theme = match self {
            Theme::Day => egui::Theme::Light,
            Theme::Night => egui::Theme::Dark,
        };
        ctx.set_theme(egui_theme);
        ctx.set_visuals_of(egui_theme, visuals);
        ctx.all_styles_mut(|s| {
            s.text_styles = [
                (
                    TextStyle::Small,
                    FontId::new(14.0, FontFamily::Proportional),
                ),
                (TextStyle::Body, FontId::new(18.0, FontFamily::Proportional)),
                (
                    TextStyle::Monospace,
                    FontId::new(17.0, FontFamily::Monospace),
                ),
                (
                    TextStyle::Button,
                    FontId::new(20.0, FontFamily::Proportional),
                ),
                (
                    TextStyle::Heading,
                    FontId::new(24.0, FontFamily::Proportional),
                ),
            ]
            .into();
            s.spacing.interact_size = Vec2::new(TARGET_PX, TARGET_PX);
            s.spacing.button_padding = Vec2::new(14.0, 10.0);
            s.spacing.item_spacing = Vec2::new(10.0, 8.0);
            s.spacing.icon_width = 28.0;
            s.spacing.icon_width_inner = 18.0;
        });
    }
}

/// DejaVu Sans first: regular weight (Ubuntu Light, egui's default, is too thin in the sun)
/// and it has every mark the screens use (✔ ✖ ⚠ ▲ ▽ ○ ◉ →). Same files as the register's
/// reports (Bitstream Vera licence, `crates/register/assets/fonts/LICENSE-DejaVu.txt`).
pub fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    fonts.font_data.insert(
        "DejaVuSans".into(),
        std::sync::Arc::new(egui::FontData::from_static(include_bytes!(
            "../../crates/register/assets/fonts/DejaVuSans.ttf"
        ))),
    );
    fonts.font_data.insert(
        "DejaVuSansMono".into(),
        std::sync::Arc::new(egui::FontData::from_static(include_bytes!(
            "../../crates/register/assets/fonts/DejaVuSansMono.ttf"
        ))),
    );
    if let Some(f) = fonts.families.get_mut(&FontFamily::Proportional) {
        f.insert(0, "DejaVuSans".into());
    }
    if let Some(f) = fonts.families.get_mut(&FontFamily::Monospace) {
        f.insert(0, "DejaVuSansMono".into());
        f.push("DejaVuSans".into());
    }
    ctx.set_fonts(fonts);
}
