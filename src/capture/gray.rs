//! RGB to 8-bit gray with the ITU-R BT.601 luma weights (0.299 R + 0.587 G + 0.114 B), the conversion OpenCV's
//! `COLOR_RGB2GRAY` uses and that the FER2013 emotion models were trained with.

/// Converts an RGB8 image to gray, same size; integer arithmetic with 16-bit fixed-point weights.
pub fn to_gray(rgb: &image::RgbImage) -> image::GrayImage {
    const WR: u32 = 19595; // 0.299 * 65536
    const WG: u32 = 38470; // 0.587 * 65536
    const WB: u32 = 7471; // 0.114 * 65536
    let (w, h) = rgb.dimensions();
    let data: Vec<u8> = rgb
        .as_raw()
        .chunks_exact(3)
        .map(|p| ((WR * p[0] as u32 + WG * p[1] as u32 + WB * p[2] as u32 + 32768) >> 16) as u8)
        .collect();
    image::GrayImage::from_raw(w, h, data).expect("buffer has w*h pixels")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_black_and_pure_primaries_map_to_bt601_luma() {
        let img = image::RgbImage::from_raw(4, 1, vec![255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255, 0]).unwrap();
        let g = to_gray(&img);
        assert_eq!(g.as_raw(), &vec![255, 0, 76, 150]);
    }
}
