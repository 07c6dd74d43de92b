//! Where the map's pictures come from: an online XYZ/WMTS source with a disk cache (walkers'
//! `HttpTiles`), an MBTiles file, a `{z}/{x}/{y}.png` directory, or the basemap of Istres and
//! the Étang de Berre shipped in `assets/basemap/`. Local files are read and decoded on a
//! worker thread: the UI thread never waits on the disk.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use walkers::{HttpOptions, HttpTiles, Tile, TileId, TilePiece, Tiles, sources::Attribution};

use super::settings::TileSettings;

/// The shipped basemap (MBTiles, built by `scripts/build-basemap.sh` from open data).
pub const SHIPPED_BASEMAP: &[u8] = include_bytes!("../../assets/basemap/istres-berre.mbtiles");
/// Its attribution and licence, shown on the map.
pub const SHIPPED_ATTRIBUTION: &str = include_str!("../../assets/basemap/ATTRIBUTION.txt");
/// Place names drawn over the shipped basemap (GeoJSON points with `nom`).
pub const SHIPPED_PLACES: &str = include_str!("../../assets/basemap/places.geojson");

#[derive(Debug, thiserror::Error)]
pub enum TileError {
    #[error("{path}: {detail}")]
    Open { path: String, detail: String },
    #[error("{path}: tile {z}/{x}/{y}: {detail}")]
    Read {
        path: String,
        z: u8,
        x: u32,
        y: u32,
        detail: String,
    },
}

/// Something that holds tiles on this machine.
pub trait TileStore: Send {
    /// The encoded picture (PNG/JPEG) of `id`, None when the store has no such tile.
    fn read(&mut self, id: TileId) -> Result<Option<Vec<u8>>, TileError>;
    /// Deepest zoom level held (deeper levels are drawn from it, magnified).
    fn max_zoom(&self) -> u8;
    fn name(&self) -> String;
}

/// An MBTiles 1.3 file (SQLite; rows in TMS order, so y is flipped).
pub struct MbTiles {
    conn: rusqlite::Connection,
    path: String,
    max_zoom: u8,
    /// From the file's `metadata` table, when it has one.
    pub attribution: Option<String>,
}

impl MbTiles {
    pub fn open(path: &Path) -> Result<MbTiles, TileError> {
        let shown = path.display().to_string();
        let bad = |detail: String| TileError::Open {
            path: shown.clone(),
            detail,
        };
        if !path.is_file() {
            return Err(bad("no such file (an MBTiles file is expected)".into()));
        }
        let conn = rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| bad(format!("not an SQLite file: {e}")))?;
        let meta = |name: &str| -> Option<String> {
            conn.query_row("SELECT value FROM metadata WHERE name = ?1", [name], |r| {
                r.get::<_, String>(0)
            })
            .ok()
        };
        let attribution = meta("attribution");
        let max_zoom = match meta("maxzoom").and_then(|z| z.trim().parse::<u8>().ok()) {
            Some(z) => z,
            None => conn
                .query_row("SELECT MAX(zoom_level) FROM tiles", [], |r| {
                    r.get::<_, Option<i64>>(0)
                })
                .map_err(|e| bad(format!("no `tiles` table: is this an MBTiles file? ({e})")))?
                .and_then(|z| u8::try_from(z).ok())
                .ok_or_else(|| bad("the `tiles` table is empty".into()))?,
        };
        Ok(MbTiles {
            conn,
            path: shown,
            max_zoom,
            attribution,
        })
    }
}

impl TileStore for MbTiles {
    fn read(&mut self, id: TileId) -> Result<Option<Vec<u8>>, TileError> {
        let rows = 1u64 << id.zoom;
        let tms_y = rows - 1 - u64::from(id.y);
        let r = self.conn.query_row(
            "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
            rusqlite::params![i64::from(id.zoom), i64::from(id.x), tms_y as i64],
            |r| r.get::<_, Vec<u8>>(0),
        );
        match r {
            Ok(b) => Ok(Some(b)),
            Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(TileError::Read {
                path: self.path.clone(),
                z: id.zoom,
                x: id.x,
                y: id.y,
                detail: e.to_string(),
            }),
        }
    }

    fn max_zoom(&self) -> u8 {
        self.max_zoom
    }

    fn name(&self) -> String {
        self.path.clone()
    }
}

/// A directory of `{z}/{x}/{y}.png` (or `.jpg`) files, as tile downloaders write them.
pub struct TileDir {
    root: PathBuf,
    max_zoom: u8,
}

impl TileDir {
    pub fn open(root: &Path) -> Result<TileDir, TileError> {
        let entries = std::fs::read_dir(root).map_err(|e| TileError::Open {
            path: root.display().to_string(),
            detail: format!("cannot read the tile directory: {e}"),
        })?;
        let max_zoom = entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str()?.parse::<u8>().ok())
            .max()
            .ok_or_else(|| TileError::Open {
                path: root.display().to_string(),
                detail: "no zoom-level folder (expected {z}/{x}/{y}.png)".into(),
            })?;
        Ok(TileDir {
            root: root.to_path_buf(),
            max_zoom,
        })
    }
}

impl TileStore for TileDir {
    fn read(&mut self, id: TileId) -> Result<Option<Vec<u8>>, TileError> {
        for ext in ["png", "jpg", "jpeg", "webp"] {
            let p = self
                .root
                .join(id.zoom.to_string())
                .join(id.x.to_string())
                .join(format!("{}.{ext}", id.y));
            match std::fs::read(&p) {
                Ok(b) => return Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(TileError::Read {
                        path: p.display().to_string(),
                        z: id.zoom,
                        x: id.x,
                        y: id.y,
                        detail: e.to_string(),
                    });
                }
            }
        }
        Ok(None)
    }

    fn max_zoom(&self) -> u8 {
        self.max_zoom
    }

    fn name(&self) -> String {
        self.root.display().to_string()
    }
}

/// Open an offline source by what it is: a directory, or an MBTiles file.
pub fn open_store(path: &Path) -> Result<Box<dyn TileStore>, TileError> {
    if path.is_dir() {
        Ok(Box::new(TileDir::open(path)?))
    } else {
        Ok(Box::new(MbTiles::open(path)?))
    }
}

/// Tiles from a [`TileStore`], read and decoded on a worker thread, kept once decoded.
pub struct LocalTiles {
    requests: mpsc::Sender<TileId>,
    results: mpsc::Receiver<(TileId, Option<Tile>)>,
    cache: HashMap<TileId, Option<Tile>>,
    pending: HashSet<TileId>,
    max_zoom: u8,
    /// The last read error, shown under the map (a bad file is said, not hidden).
    pub last_error: std::sync::Arc<std::sync::Mutex<Option<String>>>,
}

impl LocalTiles {
    pub fn new(mut store: Box<dyn TileStore>, ctx: egui::Context) -> LocalTiles {
        let (req_tx, req_rx) = mpsc::channel::<TileId>();
        let (res_tx, res_rx) = mpsc::channel();
        let max_zoom = store.max_zoom();
        let last_error = std::sync::Arc::new(std::sync::Mutex::new(None));
        let err = last_error.clone();
        let spawned = std::thread::Builder::new()
            .name("vigie-tiles".into())
            .spawn(move || {
                // Ends when the LocalTiles (and its sender) is dropped.
                while let Ok(id) = req_rx.recv() {
                    let tile = match store.read(id) {
                        Ok(Some(bytes)) => {
                            match Tile::new(&bytes, &walkers::Style, id.zoom, 256, &ctx) {
                                Ok(t) => Some(t),
                                Err(e) => {
                                    if let Ok(mut g) = err.lock() {
                                        *g = Some(format!(
                                            "{}: tile {}/{}/{}: {e}",
                                            store.name(),
                                            id.zoom,
                                            id.x,
                                            id.y
                                        ));
                                    }
                                    None
                                }
                            }
                        }
                        Ok(None) => None,
                        Err(e) => {
                            if let Ok(mut g) = err.lock() {
                                *g = Some(e.to_string());
                            }
                            None
                        }
                    };
                    if res_tx.send((id, tile)).is_err() {
                        break;
                    }
                    ctx.request_repaint();
                }
            });
        if let Err(e) = spawned
            && let Ok(mut g) = last_error.lock()
        {
            *g = Some(format!("cannot start the tile reader: {e}"));
        }
        LocalTiles {
            requests: req_tx,
            results: res_rx,
            cache: HashMap::new(),
            pending: HashSet::new(),
            max_zoom,
            last_error,
        }
    }

    fn drain(&mut self) {
        while let Ok((id, tile)) = self.results.try_recv() {
            self.pending.remove(&id);
            self.cache.insert(id, tile);
        }
    }

    fn request(&mut self, id: TileId) {
        if !self.cache.contains_key(&id) && self.pending.insert(id) {
            let _ = self.requests.send(id);
        }
    }

    /// Tiles decoded so far (tests wait on it).
    pub fn loaded(&mut self) -> usize {
        self.drain();
        self.cache.values().filter(|t| t.is_some()).count()
    }

    /// Whether the tile is available now (requests it otherwise).
    pub fn poll(&mut self, id: TileId) -> bool {
        self.at(id).is_some()
    }
}

/// The part of a lower-zoom tile covering `id`.
fn parent_piece(id: TileId, zoom: u8) -> (TileId, egui::Rect) {
    let d = 1u32 << (id.zoom - zoom);
    let parent = TileId {
        x: id.x / d,
        y: id.y / d,
        zoom,
    };
    let s = 1.0 / d as f32;
    let (ox, oy) = ((id.x % d) as f32 * s, (id.y % d) as f32 * s);
    (
        parent,
        egui::Rect::from_min_max(egui::pos2(ox, oy), egui::pos2(ox + s, oy + s)),
    )
}

impl Tiles for LocalTiles {
    fn at(&mut self, id: TileId) -> Option<TilePiece> {
        self.drain();
        let wanted = if id.zoom > self.max_zoom {
            parent_piece(id, self.max_zoom).0
        } else {
            id
        };
        self.request(wanted);
        // The tile itself if loaded, else the nearest loaded ancestor, magnified.
        let mut z = id.zoom.min(self.max_zoom);
        loop {
            let (pid, uv) = parent_piece(id, z);
            if let Some(Some(t)) = self.cache.get(&pid) {
                return Some(TilePiece::new(t.clone(), uv));
            }
            z = z.checked_sub(1)?;
            if z + 3 < id.zoom.min(self.max_zoom) {
                // Ask for a coarse ancestor too, so something shows while the tile loads.
                self.request(parent_piece(id, z).0);
            }
        }
    }

    fn attribution(&self) -> Attribution {
        Attribution {
            text: "",
            url: "",
            logo_light: None,
            logo_dark: None,
        }
    }

    fn tile_size(&self) -> u32 {
        256
    }
}

/// An online XYZ or WMTS (KVP/REST with the PM tile matrix set) URL template.
pub struct UrlTemplate {
    pub template: String,
}

impl walkers::sources::TileSource for UrlTemplate {
    fn tile_url(&self, id: TileId) -> String {
        self.template
            .replace("{z}", &id.zoom.to_string())
            .replace("{x}", &id.x.to_string())
            .replace("{y}", &id.y.to_string())
    }

    fn attribution(&self) -> Attribution {
        Attribution {
            text: "",
            url: "",
            logo_light: None,
            logo_dark: None,
        }
    }
}

/// What the map draws under its overlays.
pub enum MapTiles {
    Local(LocalTiles),
    Online(HttpTiles),
    /// No picture: a plain background (the overlays still draw).
    None,
}

/// The tile source in use, its attribution and any problem found opening it.
pub struct Basemap {
    pub tiles: MapTiles,
    pub attribution: String,
    /// True for the shipped basemap (its place names are drawn by the app).
    pub shipped: bool,
    pub problem: Option<String>,
}

impl Basemap {
    pub fn tiles(&mut self) -> Option<&mut dyn Tiles> {
        match &mut self.tiles {
            MapTiles::Local(t) => Some(t),
            MapTiles::Online(t) => Some(t),
            MapTiles::None => None,
        }
    }

    pub fn error(&self) -> Option<String> {
        if let Some(p) = &self.problem {
            return Some(p.clone());
        }
        match &self.tiles {
            MapTiles::Local(t) => t.last_error.lock().ok().and_then(|g| g.clone()),
            _ => None,
        }
    }
}

/// Write the shipped basemap into the data directory (once per version) and return its path.
pub fn shipped_basemap_path(data_dir: &Path) -> std::io::Result<PathBuf> {
    let dir = data_dir.join("basemap");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("istres-berre.mbtiles");
    let same = std::fs::metadata(&path).is_ok_and(|m| m.len() == SHIPPED_BASEMAP.len() as u64);
    if !same {
        let tmp = dir.join("istres-berre.mbtiles.tmp");
        std::fs::write(&tmp, SHIPPED_BASEMAP)?;
        std::fs::rename(&tmp, &path)?;
    }
    Ok(path)
}

/// Pick the source the settings ask for: online when configured, else the offline file, else
/// the shipped basemap. A source that cannot open falls back to the next, saying why.
pub fn open_basemap(settings: &TileSettings, data_dir: &Path, ctx: &egui::Context) -> Basemap {
    let mut problem = None;
    if let Some(url) = &settings.online_url {
        if super::settings::validate_tiles(settings).is_ok() {
            install_crypto_provider();
            let options = HttpOptions {
                cache: Some(data_dir.join("tile-cache")),
                user_agent: Some(walkers::HeaderValue::from_static(concat!(
                    "vigie/",
                    env!("CARGO_PKG_VERSION")
                ))),
                ..HttpOptions::default()
            };
            let tiles = HttpTiles::with_options(
                UrlTemplate {
                    template: url.clone(),
                },
                options,
                ctx.clone(),
            );
            return Basemap {
                tiles: MapTiles::Online(tiles),
                attribution: settings.online_attribution.clone(),
                shipped: false,
                problem: None,
            };
        }
        problem = Some(format!("{url}: a tile URL needs {{z}}, {{x}} and {{y}}"));
    }
    if let Some(path) = &settings.offline_path {
        match open_store(path) {
            Ok(store) => {
                let attribution = if settings.offline_attribution.trim().is_empty() {
                    path.display().to_string()
                } else {
                    settings.offline_attribution.clone()
                };
                return Basemap {
                    tiles: MapTiles::Local(LocalTiles::new(store, ctx.clone())),
                    attribution,
                    shipped: false,
                    problem,
                };
            }
            Err(e) => problem = Some(e.to_string()),
        }
    }
    match shipped_basemap_path(data_dir)
        .map_err(|e| e.to_string())
        .and_then(|p| MbTiles::open(&p).map_err(|e| e.to_string()))
    {
        Ok(store) => Basemap {
            tiles: MapTiles::Local(LocalTiles::new(Box::new(store), ctx.clone())),
            attribution: SHIPPED_ATTRIBUTION.trim().to_string(),
            shipped: true,
            problem,
        },
        Err(e) => Basemap {
            tiles: MapTiles::None,
            attribution: String::new(),
            shipped: false,
            problem: Some(problem.map_or(e.clone(), |p| format!("{p}; {e}"))),
        },
    }
}

/// walkers' HTTP client has no TLS crypto of its own; ring is the one already in the tree.
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
