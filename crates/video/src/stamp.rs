//! The latency stamp shared with the simulator: the capture time, in microseconds since the Unix
//! epoch, drawn as 64 cells of 16×16 pixels in the top-left corner (cell i spans x = 16i..16i+16,
//! y = 0..16; white when bit 63 − i is set). Pure functions over pixel planes.

/// Cell edge in pixels.
pub const CELL_PX: usize = 16;
/// Number of cells (bits).
pub const CELLS: usize = 64;
/// Minimum frame width that carries a full stamp.
pub const MIN_WIDTH: usize = CELL_PX * CELLS;

/// Draw `capture_unix_us` into the luma plane of an I420/NV12 picture (Y = 235 white, 16 black,
/// video range as an encoder expects). Returns false when the picture is too small to hold it.
pub fn paint_luma(
    y_plane: &mut [u8],
    stride: usize,
    width: usize,
    height: usize,
    capture_unix_us: u64,
) -> bool {
    if width < MIN_WIDTH
        || height < CELL_PX
        || stride < width
        || y_plane.len() < stride * (CELL_PX - 1) + MIN_WIDTH
    {
        return false;
    }
    for row in 0..CELL_PX {
        let line = &mut y_plane[row * stride..row * stride + MIN_WIDTH];
        for (i, cell) in line.chunks_exact_mut(CELL_PX).enumerate() {
            let bit = (capture_unix_us >> (63 - i)) & 1;
            cell.fill(if bit == 1 { 235 } else { 16 });
        }
    }
    true
}

/// Make the chroma of the stamp area neutral (grey) in a 2×2-subsampled chroma plane, so a coloured
/// background cannot shift the luma read back after RGB conversion.
pub fn neutral_chroma(plane: &mut [u8], stride: usize) {
    let w = MIN_WIDTH / 2;
    for row in 0..CELL_PX / 2 {
        if let Some(line) = plane.get_mut(row * stride..row * stride + w) {
            line.fill(128);
        }
    }
}

/// Read a stamp back from a packed RGBA picture (row stride in bytes). `None` when the picture is too
/// small. Each cell is judged by the luma of its centre pixel against 128.
pub fn read_rgba(rgba: &[u8], stride: usize, width: usize, height: usize) -> Option<u64> {
    if width < MIN_WIDTH || height < CELL_PX {
        return None;
    }
    let y = CELL_PX / 2;
    let mut value = 0u64;
    for i in 0..CELLS {
        let x = CELL_PX * i + CELL_PX / 2;
        let at = y * stride + x * 4;
        let px = rgba.get(at..at + 3)?;
        // BT.601 luma, integer: 0.299 R + 0.587 G + 0.114 B.
        let luma =
            (299 * u32::from(px[0]) + 587 * u32::from(px[1]) + 114 * u32::from(px[2])) / 1000;
        value = (value << 1) | u64::from(luma >= 128);
    }
    Some(value)
}

/// Microseconds since the Unix epoch, from the realtime clock.
pub fn now_unix_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// A stamp read back is plausible when it lies within `window_us` of `now_unix_us` (a frame without a
/// stamp reads as noise).
pub fn plausible(stamp_unix_us: u64, now_unix_us: u64, window_us: u64) -> bool {
    stamp_unix_us.abs_diff(now_unix_us) <= window_us
}

#[cfg(test)]
mod tests {
    use super::*;

    /// I420 luma → RGBA the way a grey picture converts (R = G = B = Y, full swing).
    fn luma_to_rgba(y: &[u8], width: usize, height: usize) -> Vec<u8> {
        let mut out = vec![0u8; width * height * 4];
        for (i, &v) in y.iter().enumerate().take(width * height) {
            let full = ((i32::from(v) - 16) * 255 / 219).clamp(0, 255) as u8;
            out[i * 4..i * 4 + 4].copy_from_slice(&[full, full, full, 255]);
        }
        out
    }

    #[test]
    fn a_painted_stamp_reads_back_exactly() {
        let (w, h) = (1280, 720);
        for stamp in [
            0u64,
            1,
            u64::MAX,
            1_764_322_000_123_456,
            0x8000_0000_0000_0001,
        ] {
            let mut y = vec![90u8; w * h];
            assert!(paint_luma(&mut y, w, w, h, stamp));
            let rgba = luma_to_rgba(&y, w, h);
            assert_eq!(read_rgba(&rgba, w * 4, w, h), Some(stamp));
        }
    }

    #[test]
    fn cell_layout_matches_the_simulator_contract() {
        // bit 63 → cell 0 (x 0..16), bit 0 → cell 63 (x 1008..1024)
        let (w, h) = (1024, 16);
        let mut y = vec![0u8; w * h];
        paint_luma(&mut y, w, w, h, (1 << 63) | 1);
        assert_eq!(y[8], 235);
        assert_eq!(y[16 + 8], 16);
        assert_eq!(y[1008 + 8 + 15 * w], 235);
        assert_eq!(y[1000], 16);
    }

    #[test]
    fn too_small_pictures_carry_no_stamp() {
        let mut y = vec![0u8; 640 * 480];
        assert!(!paint_luma(&mut y, 640, 640, 480, 42));
        assert_eq!(read_rgba(&[0u8; 640 * 480 * 4], 640 * 4, 640, 480), None);
    }

    #[test]
    fn plausibility_window() {
        assert!(plausible(1_000_000, 1_050_000, 100_000));
        assert!(!plausible(5, 1_050_000, 100_000));
    }
}
