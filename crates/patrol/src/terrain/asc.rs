//! ESRI ASCII grids (`.asc`): a header (`ncols`, `nrows`, `xllcorner|xllcenter`,
//! `yllcorner|yllcenter`, `cellsize` — or GDAL's `dx`/`dy` —, optional `NODATA_value`), then
//! `nrows` rows of `ncols` numbers, the first row northmost. The file has no CRS: IGN RGE ALTI
//! tiles are Lambert-93, SRTM exports are WGS84 degrees; the caller says which (a `.prj` sidecar
//! can be read with [`super::GridCrs::from_prj`]).

use super::{ElevationGrid, GridCrs, TerrainError};

/// Parse an ESRI ASCII grid. `file` names it in errors.
pub fn parse_esri_ascii(
    text: &str,
    file: &str,
    crs: GridCrs,
) -> Result<ElevationGrid, TerrainError> {
    let mut ncols: Option<usize> = None;
    let mut nrows: Option<usize> = None;
    let mut xll: Option<(f64, bool)> = None; // (value, is_center)
    let mut yll: Option<(f64, bool)> = None;
    let mut cellsize: Option<f64> = None;
    let mut dx: Option<f64> = None;
    let mut dy: Option<f64> = None;
    let mut nodata: Option<f64> = None;
    let mut lines = text.lines().enumerate().peekable();
    // Header: "key value" lines until the first line that starts with a number.
    while let Some((i, line)) = lines.peek().copied() {
        let t = line.trim();
        if t.is_empty() {
            lines.next();
            continue;
        }
        let first = t.split_whitespace().next().unwrap_or("");
        if first.parse::<f64>().is_ok() {
            break;
        }
        lines.next();
        let mut parts = t.split_whitespace();
        let key = parts.next().unwrap_or("").to_ascii_lowercase();
        let value = parts.next().unwrap_or("");
        let place = || format!("line {}: field `{key}`", i + 1);
        let num = || {
            value
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| TerrainError::new(file, place(), format!("not a number: {value:?}")))
        };
        let count = || {
            value
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    TerrainError::new(file, place(), format!("not a positive integer: {value:?}"))
                })
        };
        match key.as_str() {
            "ncols" => ncols = Some(count()?),
            "nrows" => nrows = Some(count()?),
            "xllcorner" => xll = Some((num()?, false)),
            "xllcenter" => xll = Some((num()?, true)),
            "yllcorner" => yll = Some((num()?, false)),
            "yllcenter" => yll = Some((num()?, true)),
            "cellsize" => cellsize = Some(num()?),
            "dx" => dx = Some(num()?),
            "dy" => dy = Some(num()?),
            "nodata_value" => nodata = Some(num()?),
            _ => {
                return Err(TerrainError::new(
                    file,
                    format!("line {}", i + 1),
                    format!(
                        "unknown header key {key:?}: an ESRI ASCII grid has ncols, nrows, xllcorner/xllcenter, yllcorner/yllcenter, cellsize (or dx, dy), NODATA_value"
                    ),
                ));
            }
        }
    }
    let missing = |k: &str| {
        TerrainError::new(
            file,
            format!("field `{k}`"),
            "missing from the header: is this an ESRI ASCII grid (.asc)?",
        )
    };
    let ncols = ncols.ok_or_else(|| missing("ncols"))?;
    let nrows = nrows.ok_or_else(|| missing("nrows"))?;
    let (xll, xc) = xll.ok_or_else(|| missing("xllcorner"))?;
    let (yll, yc) = yll.ok_or_else(|| missing("yllcorner"))?;
    let (csx, csy) = match (cellsize, dx, dy) {
        (Some(c), _, _) => (c, c),
        (None, Some(x), Some(y)) => (x, y),
        _ => return Err(missing("cellsize")),
    };
    if !(csx > 0.0 && csy > 0.0) {
        return Err(TerrainError::new(file, "field `cellsize`", "must be > 0"));
    }
    if crs == GridCrs::Wgs84 && !((-180.0..=180.0).contains(&xll) && (-90.0..=90.0).contains(&yll))
    {
        return Err(TerrainError::new(
            file,
            "field `xllcorner`",
            format!(
                "{xll} is not a longitude: the grid looks projected (IGN RGE ALTI is Lambert-93): give its CRS"
            ),
        ));
    }
    if crs == GridCrs::Lambert93
        && (-180.0..=180.0).contains(&xll)
        && (-90.0..=90.0).contains(&yll)
        && csx < 0.1
    {
        return Err(TerrainError::new(
            file,
            "field `cellsize`",
            format!(
                "{csx} looks like degrees, not Lambert-93 metres (an SRTM export?): give its CRS"
            ),
        ));
    }
    let cap = ncols
        .checked_mul(nrows)
        .filter(|n| *n <= 200_000_000)
        .ok_or_else(|| {
            TerrainError::new(
                file,
                "field `ncols`",
                "grid too large (over 200 million cells)",
            )
        })?;
    let mut values: Vec<f32> = Vec::with_capacity(cap);
    for (i, line) in lines {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        for tok in t.split_whitespace() {
            let v: f64 = tok.parse().map_err(|_| {
                TerrainError::new(
                    file,
                    format!("line {}", i + 1),
                    format!("not a number: {tok:?}"),
                )
            })?;
            if values.len() == cap {
                return Err(TerrainError::new(
                    file,
                    format!("line {}", i + 1),
                    format!("more values than ncols × nrows = {ncols} × {nrows}"),
                ));
            }
            let nd = nodata.is_some_and(|n| (v - n).abs() < 1e-6) || !v.is_finite();
            values.push(if nd { f32::NAN } else { v as f32 });
        }
    }
    if values.len() != cap {
        return Err(TerrainError::new(
            file,
            "data",
            format!(
                "{} values, expected ncols × nrows = {ncols} × {nrows} = {cap}: the file is cut short",
                values.len()
            ),
        ));
    }
    // Centre of the first stored cell (the north-west one).
    let x0 = if xc { xll } else { xll + csx / 2.0 };
    let y_south_centre = if yc { yll } else { yll + csy / 2.0 };
    let y0 = y_south_centre + csy * (nrows as f64 - 1.0);
    ElevationGrid::new(file, crs, ncols, nrows, x0, y0, csx, -csy, values, 0.5)
}
