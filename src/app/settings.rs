//! The pilot's settings: a plain serde struct in `<data dir>/settings.toml`. Every field has a
//! default (`#[serde(default)]`), so an older or partial file still loads; a broken file is
//! reported (file and problem) and the defaults are used.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::UiCommand;
use super::i18n::{Lang, Tr};
use super::theme::Theme;

pub const FILE_NAME: &str = "settings.toml";

/// Where the map's tiles come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct TileSettings {
    /// An XYZ or WMTS (PM tile matrix) URL template with `{z}`, `{x}`, `{y}`, used when set
    /// (e.g. `https://tiles.example/{z}/{x}/{y}.png`). Tiles are cached on disk.
    pub online_url: Option<String>,
    /// Attribution the online source requires (shown on the map).
    pub online_attribution: String,
    /// An MBTiles file or a `{z}/{x}/{y}.png` directory for offline use. Without it, and
    /// without an online source, the shipped basemap of Istres and the Étang de Berre is used.
    pub offline_path: Option<PathBuf>,
    /// Attribution of the offline file (its licence).
    pub offline_attribution: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Language; `--lang` overrides it for one run.
    pub lang: Lang,
    pub theme: Theme,
    pub tiles: TileSettings,
    /// The map keeps the selected vehicle in its centre.
    pub follow_vehicle: bool,
    /// Default take-off height above home, metres.
    pub takeoff_alt_m: f64,
    /// Default orbit radius, metres.
    pub orbit_radius_m: f64,
    /// Sound with a critical alarm (where the system has a bell).
    pub alarm_sound: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            lang: Lang::Fr,
            theme: Theme::Day,
            tiles: TileSettings::default(),
            follow_vehicle: true,
            takeoff_alt_m: 40.0,
            orbit_radius_m: 60.0,
            alarm_sound: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {detail} (fix the file or delete it to start from the defaults)")]
    Parse { path: String, detail: String },
    #[error("{path}: cannot write the settings: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("settings: {0}")]
    Encode(String),
}

impl Settings {
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(FILE_NAME)
    }

    pub fn from_toml(text: &str, path: &str) -> Result<Settings, SettingsError> {
        toml::from_str(text).map_err(|e| SettingsError::Parse {
            path: path.to_string(),
            detail: e.to_string(),
        })
    }

    /// Load from the data directory; a missing file gives the defaults.
    pub fn load(data_dir: &Path) -> Result<Settings, SettingsError> {
        let path = Self::path(data_dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_toml(&text, &path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(source) => Err(SettingsError::Read {
                path: path.display().to_string(),
                source,
            }),
        }
    }

    pub fn to_toml(&self) -> Result<String, SettingsError> {
        toml::to_string_pretty(self).map_err(|e| SettingsError::Encode(e.to_string()))
    }

    /// Write atomically (temporary file, then rename) so a crash never leaves half a file.
    pub fn save(&self, data_dir: &Path) -> Result<(), SettingsError> {
        let path = Self::path(data_dir);
        let text = self.to_toml()?;
        let tmp = path.with_extension("toml.tmp");
        let write = |p: &Path| -> std::io::Result<()> {
            std::fs::create_dir_all(data_dir)?;
            std::fs::write(p, text.as_bytes())?;
            std::fs::rename(p, &path)
        };
        write(&tmp).map_err(|source| SettingsError::Write {
            path: path.display().to_string(),
            source,
        })
    }
}

/// What the settings screen edits before "save" (text fields hold what is being typed).
#[derive(Debug, Clone, Default)]
pub struct SettingsViewState {
    pub draft: Option<Settings>,
    pub online_url: String,
    pub offline_path: String,
    pub message: Option<String>,
}

/// The settings screen. Returns `UiCommand::SaveSettings` when the pilot saves.
pub fn settings_ui(
    ui: &mut egui::Ui,
    tr: &Tr,
    current: &Settings,
    state: &mut SettingsViewState,
) -> Vec<UiCommand> {
    let mut out = vec![];
    let mut draft = state.draft.take().unwrap_or_else(|| current.clone());
    let draft = &mut draft;
    let mut reverted = false;
    if state.online_url.is_empty() {
        state.online_url = draft.tiles.online_url.clone().unwrap_or_default();
    }
    if state.offline_path.is_empty() {
        state.offline_path = draft
            .tiles
            .offline_path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
    }
    ui.heading(tr.t("settings-title"));
    egui::Grid::new("settings")
        .num_columns(2)
        .spacing([16.0, 12.0])
        .show(ui, |ui| {
            ui.label(tr.t("settings-lang"));
            ui.horizontal(|ui| {
                ui.selectable_value(&mut draft.lang, Lang::Fr, "Français");
                ui.selectable_value(&mut draft.lang, Lang::En, "English");
            });
            ui.end_row();
            ui.label(tr.t("settings-theme"));
            ui.horizontal(|ui| {
                ui.selectable_value(&mut draft.theme, Theme::Day, tr.t("theme-day"));
                ui.selectable_value(&mut draft.theme, Theme::Night, tr.t("theme-night"));
            });
            ui.end_row();
            ui.label(tr.t("settings-follow"));
            ui.checkbox(&mut draft.follow_vehicle, tr.t("settings-follow-hint"));
            ui.end_row();
            ui.label(tr.t("settings-takeoff-alt"));
            ui.add(
                egui::DragValue::new(&mut draft.takeoff_alt_m)
                    .range(2.0..=120.0)
                    .suffix(" m"),
            );
            ui.end_row();
            ui.label(tr.t("settings-orbit-radius"));
            ui.add(
                egui::DragValue::new(&mut draft.orbit_radius_m)
                    .range(10.0..=500.0)
                    .suffix(" m"),
            );
            ui.end_row();
            ui.label(tr.t("settings-alarm-sound"));
            ui.checkbox(&mut draft.alarm_sound, "");
            ui.end_row();
            let l = ui.label(tr.t("settings-online-url"));
            ui.add(egui::TextEdit::singleline(&mut state.online_url).desired_width(520.0))
                .labelled_by(l.id);
            ui.end_row();
            let l = ui.label(tr.t("settings-online-attribution"));
            ui.add(
                egui::TextEdit::singleline(&mut draft.tiles.online_attribution)
                    .desired_width(520.0),
            )
            .labelled_by(l.id);
            ui.end_row();
            let l = ui.label(tr.t("settings-offline-path"));
            ui.add(egui::TextEdit::singleline(&mut state.offline_path).desired_width(520.0))
                .labelled_by(l.id);
            ui.end_row();
            let l = ui.label(tr.t("settings-offline-attribution"));
            ui.add(
                egui::TextEdit::singleline(&mut draft.tiles.offline_attribution)
                    .desired_width(520.0),
            )
            .labelled_by(l.id);
            ui.end_row();
        });
    ui.label(tr.t("settings-tiles-hint"));
    ui.horizontal(|ui| {
        if ui
            .add(egui::Button::new(tr.t("settings-save")).min_size(egui::vec2(160.0, 48.0)))
            .clicked()
        {
            let mut s = draft.clone();
            let url = state.online_url.trim();
            s.tiles.online_url = (!url.is_empty()).then(|| url.to_string());
            let path = state.offline_path.trim();
            s.tiles.offline_path = (!path.is_empty()).then(|| PathBuf::from(path));
            match validate_tiles(&s.tiles) {
                Ok(()) => {
                    out.push(UiCommand::SaveSettings(Box::new(s)));
                    state.message = Some(tr.t("settings-saved"));
                }
                Err(key) => state.message = Some(tr.t(key)),
            }
        }
        if ui
            .add(egui::Button::new(tr.t("settings-revert")).min_size(egui::vec2(160.0, 48.0)))
            .clicked()
        {
            reverted = true;
        }
    });
    if let Some(m) = &state.message {
        ui.label(m);
    }
    if reverted {
        *state = SettingsViewState::default();
    } else if out.is_empty() {
        state.draft = Some(draft.clone());
    }
    out
}

/// A URL template must name the three tile coordinates.
pub fn validate_tiles(t: &TileSettings) -> Result<(), &'static str> {
    if let Some(u) = &t.online_url
        && !(u.contains("{z}") && u.contains("{x}") && u.contains("{y}"))
    {
        return Err("settings-bad-url");
    }
    Ok(())
}
