//! Tile sources against real peers: a local HTTP tile server started here (online source with
//! its disk cache), an MBTiles file written here, a tile directory, and the shipped basemap with
//! no network at all.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use vigie::app::settings::TileSettings;
use vigie::app::tiles::{LocalTiles, MapTiles, MbTiles, TileDir, open_basemap};
use walkers::{TileId, Tiles};

/// A 256-px PNG of one colour.
fn png(rgb: [u8; 3]) -> Vec<u8> {
    let mut out = vec![];
    let mut enc = png::Encoder::new(&mut out, 256, 256);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().unwrap();
    let data: Vec<u8> = std::iter::repeat_n(rgb, 256 * 256).flatten().collect();
    w.write_image_data(&data).unwrap();
    drop(w);
    out
}

/// Istres at zoom 13.
const ISTRES_13: TileId = TileId {
    x: 4209,
    y: 2994,
    zoom: 13,
};

/// Ask until the tile is there (each call also drains the loader), for at most `limit`.
fn wait_tile(tiles: &mut dyn Tiles, id: TileId, limit: Duration) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if tiles.at(id).is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

fn write_mbtiles(path: &std::path::Path, tiles: &[(TileId, Vec<u8>)]) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(
        "CREATE TABLE metadata (name TEXT, value TEXT);
         CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
         INSERT INTO metadata VALUES ('maxzoom', '13'), ('attribution', 'test tiles');",
    )
    .unwrap();
    for (id, data) in tiles {
        let tms_y = (1u32 << id.zoom) - 1 - id.y;
        c.execute(
            "INSERT INTO tiles VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![id.zoom, id.x, tms_y, data],
        )
        .unwrap();
    }
}

#[test]
fn an_mbtiles_file_is_read_in_tms_order_and_deeper_zooms_magnify_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.mbtiles");
    write_mbtiles(&path, &[(ISTRES_13, png([200, 10, 10]))]);
    let store = MbTiles::open(&path).unwrap();
    assert_eq!(store.attribution.as_deref(), Some("test tiles"));
    let ctx = egui::Context::default();
    let mut tiles = LocalTiles::new(Box::new(store), ctx);
    assert!(
        wait_tile(&mut tiles, ISTRES_13, Duration::from_secs(10)),
        "tile loaded"
    );
    // Zoom 15 inside it: drawn from the zoom-13 tile, magnified.
    let deeper = TileId {
        x: ISTRES_13.x * 4 + 1,
        y: ISTRES_13.y * 4 + 2,
        zoom: 15,
    };
    assert!(tiles.at(deeper).is_some());
    // A tile the file does not have is absent (not an error).
    let elsewhere = TileId {
        x: 10,
        y: 10,
        zoom: 5,
    };
    let _ = tiles.at(elsewhere);
    assert!(tiles.last_error.lock().unwrap().is_none());
}

#[test]
fn a_bad_mbtiles_file_is_named_with_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-tiles.mbtiles");
    std::fs::write(&path, b"hello").unwrap();
    let e = MbTiles::open(&path).err().expect("refused").to_string();
    assert!(e.contains("not-tiles.mbtiles"), "{e}");
    let missing = dir.path().join("missing.mbtiles");
    let e = MbTiles::open(&missing).err().expect("refused").to_string();
    assert!(
        e.contains("missing.mbtiles") && e.contains("no such file"),
        "{e}"
    );
    // The app falls back to the shipped basemap and says why.
    let settings = TileSettings {
        offline_path: Some(path.clone()),
        ..TileSettings::default()
    };
    let b = open_basemap(&settings, dir.path(), &egui::Context::default());
    assert!(b.shipped);
    assert!(b.error().unwrap().contains("not-tiles.mbtiles"));
}

#[test]
fn a_tile_directory_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("13").join(ISTRES_13.x.to_string());
    std::fs::create_dir_all(&t).unwrap();
    std::fs::write(t.join(format!("{}.png", ISTRES_13.y)), png([10, 200, 10])).unwrap();
    let store = TileDir::open(dir.path()).unwrap();
    let mut tiles = LocalTiles::new(Box::new(store), egui::Context::default());
    assert!(wait_tile(&mut tiles, ISTRES_13, Duration::from_secs(10)));
}

#[test]
fn the_shipped_basemap_of_istres_loads_with_no_network() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = open_basemap(
        &TileSettings::default(),
        dir.path(),
        &egui::Context::default(),
    );
    assert!(b.shipped, "{:?}", b.error());
    assert!(b.attribution.contains("IGN") && b.attribution.contains("Licence Ouverte"));
    assert!(matches!(b.tiles, MapTiles::Local(_)));
    let tiles = b.tiles().unwrap();
    for id in [
        ISTRES_13,
        TileId {
            x: 16838,
            y: 11976,
            zoom: 15,
        },
        TileId {
            x: 131,
            y: 93,
            zoom: 8,
        },
    ] {
        assert!(wait_tile(tiles, id, Duration::from_secs(10)), "{id:?}");
    }
    assert!(b.error().is_none(), "{:?}", b.error());
    // Its place names are shipped too.
    let places = vigie::app::map::parse_places(vigie::app::tiles::SHIPPED_PLACES);
    assert!(places.iter().any(|p| p.name == "Istres"));
    assert!(places.iter().any(|p| p.name == "Étang de Berre"));
}

/// A tile server on loopback: answers `/{z}/{x}/{y}.png` with a PNG and a day of cache life,
/// counts what it served, stops when told.
struct TileServer {
    port: u16,
    served: Arc<AtomicUsize>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TileServer {
    fn start() -> TileServer {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let port = l.local_addr().unwrap().port();
        let served = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (s, st) = (served.clone(), stop.clone());
        let body = png([20, 20, 200]);
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                match l.accept() {
                    Ok((mut sock, _)) => {
                        sock.set_nonblocking(false).unwrap();
                        let mut r = BufReader::new(sock.try_clone().unwrap());
                        let mut line = String::new();
                        if r.read_line(&mut line).is_err() {
                            continue;
                        }
                        loop {
                            let mut h = String::new();
                            if r.read_line(&mut h).unwrap_or(0) <= 2 {
                                break;
                            }
                        }
                        let ok = line.starts_with("GET /") && line.contains(".png");
                        if ok {
                            s.fetch_add(1, Ordering::SeqCst);
                            let head = format!(
                                "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nCache-Control: public, max-age=86400\r\nConnection: close\r\n\r\n",
                                body.len()
                            );
                            let _ = sock.write_all(head.as_bytes());
                            let _ = sock.write_all(&body);
                        } else {
                            let _ = sock.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    Err(_) => break,
                }
            }
        });
        TileServer {
            port,
            served,
            stop,
            thread: Some(thread),
        }
    }

    fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn an_online_xyz_source_is_fetched_then_served_from_the_disk_cache_when_the_server_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TileServer::start();
    let settings = TileSettings {
        online_url: Some(format!(
            "http://127.0.0.1:{}/{{z}}/{{x}}/{{y}}.png",
            server.port
        )),
        online_attribution: "local test server".into(),
        ..TileSettings::default()
    };
    {
        let mut b = open_basemap(&settings, dir.path(), &egui::Context::default());
        assert!(!b.shipped);
        assert!(matches!(b.tiles, MapTiles::Online(_)));
        assert_eq!(b.attribution, "local test server");
        assert!(
            wait_tile(b.tiles().unwrap(), ISTRES_13, Duration::from_secs(20)),
            "fetched"
        );
    }
    assert!(server.served.load(Ordering::SeqCst) >= 1);
    assert!(
        dir.path().join("tile-cache").is_dir(),
        "a disk cache was written"
    );
    server.stop();
    // The field has no network: the cache answers.
    let mut b = open_basemap(&settings, dir.path(), &egui::Context::default());
    assert!(
        wait_tile(b.tiles().unwrap(), ISTRES_13, Duration::from_secs(20)),
        "served from the disk cache with the server stopped"
    );
}

#[test]
fn a_url_without_tile_coordinates_is_refused_and_the_shipped_map_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let settings = TileSettings {
        online_url: Some("http://127.0.0.1:9/tiles.png".into()),
        ..TileSettings::default()
    };
    let b = open_basemap(&settings, dir.path(), &egui::Context::default());
    assert!(b.shipped);
    assert!(b.error().unwrap().contains("{z}"));
}
