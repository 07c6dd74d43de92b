//! GeoTIFF elevation tiles: one band (8/16/32-bit integers or 32/64-bit floats), placed by
//! ModelPixelScale + ModelTiepoint (or a ModelTransformation without rotation), CRS from the
//! GeoKey directory (EPSG:4326 and the geographic RGF93/ETRS89, or EPSG:2154 Lambert-93),
//! no-data from GDAL's tag. Compression: none, DEFLATE, LZW (what GDAL writes by default).

use std::io::Cursor;

use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::tags::Tag;

use super::{ElevationGrid, GridCrs, TerrainError};

const GT_MODEL_TYPE: u16 = 1024;
const GT_RASTER_TYPE: u16 = 1025;
const GEOGRAPHIC_TYPE: u16 = 2048;
const PROJECTED_CS_TYPE: u16 = 3072;

/// Parse a GeoTIFF elevation tile from its bytes. `crs` overrides the file's GeoKeys (a tile
/// without them, or one whose CRS is described only in WKT).
pub fn parse_geotiff(
    bytes: &[u8],
    file: &str,
    crs: Option<GridCrs>,
) -> Result<ElevationGrid, TerrainError> {
    let tiff_err = |place: &str, e: tiff::TiffError| TerrainError::new(file, place, e.to_string());
    let mut limits = Limits::default();
    limits.decoding_buffer_size = 1 << 30;
    let mut dec = Decoder::new(Cursor::new(bytes))
        .map_err(|e| tiff_err("header", e))?
        .with_limits(limits);
    let (w, h) = dec.dimensions().map_err(|e| tiff_err("dimensions", e))?;
    let spp = dec
        .find_tag_unsigned::<u16>(Tag::SamplesPerPixel)
        .map_err(|e| tiff_err("tag SamplesPerPixel", e))?
        .unwrap_or(1);
    if spp != 1 {
        return Err(TerrainError::new(
            file,
            "tag SamplesPerPixel",
            format!("{spp} bands: an elevation tile has one (gdal_translate -b 1)"),
        ));
    }
    let scale = dec
        .find_tag(Tag::ModelPixelScaleTag)
        .map_err(|e| tiff_err("tag ModelPixelScaleTag", e))?
        .map(|v| v.into_f64_vec())
        .transpose()
        .map_err(|e| tiff_err("tag ModelPixelScaleTag", e))?;
    let tie = dec
        .find_tag(Tag::ModelTiepointTag)
        .map_err(|e| tiff_err("tag ModelTiepointTag", e))?
        .map(|v| v.into_f64_vec())
        .transpose()
        .map_err(|e| tiff_err("tag ModelTiepointTag", e))?;
    let transform = dec
        .find_tag(Tag::ModelTransformationTag)
        .map_err(|e| tiff_err("tag ModelTransformationTag", e))?
        .map(|v| v.into_f64_vec())
        .transpose()
        .map_err(|e| tiff_err("tag ModelTransformationTag", e))?;
    let keys = dec
        .find_tag(Tag::GeoKeyDirectoryTag)
        .map_err(|e| tiff_err("tag GeoKeyDirectoryTag", e))?
        .map(|v| v.into_u16_vec())
        .transpose()
        .map_err(|e| tiff_err("tag GeoKeyDirectoryTag", e))?
        .unwrap_or_default();
    let nodata = dec
        .find_tag(Tag::GdalNodata)
        .map_err(|e| tiff_err("tag GdalNodata", e))?
        .map(|v| v.into_string())
        .transpose()
        .map_err(|e| tiff_err("tag GdalNodata", e))?
        .and_then(|s| s.trim_matches(char::from(0)).trim().parse::<f64>().ok());

    let key = |id: u16| -> Option<u16> {
        // Header of 4 shorts, then entries (KeyID, TIFFTagLocation, Count, Value_Offset);
        // only keys stored inline (location 0) are read here, which the ones below always are.
        keys.get(4..)?
            .chunks_exact(4)
            .find(|e| e[0] == id && e[1] == 0)
            .map(|e| e[3])
    };
    let pixel_is_point = key(GT_RASTER_TYPE) == Some(2);
    let crs = match crs {
        Some(c) => c,
        None => crs_from_keys(
            file,
            key(GT_MODEL_TYPE),
            key(GEOGRAPHIC_TYPE),
            key(PROJECTED_CS_TYPE),
        )?,
    };

    // Raster (column, row) of a pixel's origin → model (x, y): x = a + sx·i, y = b − sy·j.
    let (a, sx, b, sy) = match (&scale, &tie, &transform) {
        (Some(s), Some(t), _) if s.len() >= 2 && t.len() >= 6 => {
            let (i, j, x, y) = (t[0], t[1], t[3], t[4]);
            (x - i * s[0], s[0], y + j * s[1], s[1])
        }
        (_, _, Some(m)) if m.len() >= 16 => {
            if m[1] != 0.0 || m[4] != 0.0 {
                return Err(TerrainError::new(
                    file,
                    "tag ModelTransformationTag",
                    "rotated rasters are not supported: gdalwarp the tile to a north-up grid",
                ));
            }
            (m[3], m[0], m[7], -m[5])
        }
        _ => {
            return Err(TerrainError::new(
                file,
                "tag ModelPixelScaleTag",
                "no geotransform (ModelPixelScale + ModelTiepoint, or ModelTransformation): is this a GeoTIFF?",
            ));
        }
    };
    if !(sx.is_finite() && sy.is_finite() && sx > 0.0 && sy != 0.0) {
        return Err(TerrainError::new(
            file,
            "tag ModelPixelScaleTag",
            format!("pixel size {sx} × {sy} is not usable"),
        ));
    }
    // PixelIsArea: (i, j) is a pixel's corner, its value stands at the centre (+½);
    // PixelIsPoint: (i, j) is where the value stands.
    let half = if pixel_is_point { 0.0 } else { 0.5 };
    let x0 = a + sx * half;
    let y0 = b - sy * half;

    let image = dec.read_image().map_err(|e| tiff_err("image data", e))?;
    let raw: Vec<f64> = match image {
        DecodingResult::U8(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::I8(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::U16(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::I16(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::U32(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::I32(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::F32(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::F64(v) => v,
        DecodingResult::F16(v) => v.into_iter().map(f64::from).collect(),
        DecodingResult::U64(_) | DecodingResult::I64(_) => {
            return Err(TerrainError::new(
                file,
                "tag BitsPerSample",
                "64-bit integer samples are not an elevation format: use Int16, Int32 or Float32",
            ));
        }
    };
    let values = raw
        .into_iter()
        .map(|v| {
            if !v.is_finite() || nodata.is_some_and(|n| (v - n).abs() < 1e-6) {
                f32::NAN
            } else {
                v as f32
            }
        })
        .collect();
    ElevationGrid::new(
        file,
        crs,
        w as usize,
        h as usize,
        x0,
        y0,
        sx,
        -sy,
        values,
        if pixel_is_point { 0.0 } else { 0.5 },
    )
}

fn crs_from_keys(
    file: &str,
    model: Option<u16>,
    geographic: Option<u16>,
    projected: Option<u16>,
) -> Result<GridCrs, TerrainError> {
    match (model, projected, geographic) {
        (_, Some(2154), _) => Ok(GridCrs::Lambert93),
        (Some(2) | None, None, Some(4326 | 4258 | 4171)) => Ok(GridCrs::Wgs84),
        (_, Some(p), _) => Err(TerrainError::new(
            file,
            "GeoKey ProjectedCSTypeGeoKey",
            format!(
                "EPSG:{p} is not supported: reproject the tile to EPSG:2154 or EPSG:4326 (gdalwarp -t_srs EPSG:2154)"
            ),
        )),
        (_, None, Some(g)) => Err(TerrainError::new(
            file,
            "GeoKey GeographicTypeGeoKey",
            format!(
                "EPSG:{g} is not supported: reproject the tile to EPSG:4326 (gdalwarp -t_srs EPSG:4326)"
            ),
        )),
        _ => Err(TerrainError::new(
            file,
            "tag GeoKeyDirectoryTag",
            "no CRS in the file: give it (Lambert-93 or WGS84)",
        )),
    }
}
