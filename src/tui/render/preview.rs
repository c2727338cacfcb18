//! The frame preview (`v`, config `preview`): the newest frame's picture, downscaled to fit its area with its
//! aspect ratio kept, and the boxes of the faces seen in that frame with their label (the track's name, or
//! `#id`).
//!
//! In colour, each cell shows two pixels stacked: `▀` with the upper pixel as foreground and the lower as
//! background (24-bit colour). In ASCII or monochrome mode each cell is one gray level from the ramp
//! [`ASCII_RAMP`] (the mean of its two pixels) and the boxes are drawn with `+`, `-` and `|`.

use image::RgbImage;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::Block;
use ratatui::Frame;

use super::message;
use crate::detect::BBox;
use crate::tui::app::App;
use crate::tui::theme::Theme;

/// Gray levels of the ASCII preview, dark to light.
pub const ASCII_RAMP: &[u8] = b" .:-=+*#%@";
/// Narrowest useful preview, in cells (borders included).
pub const MIN_WIDTH: u16 = 24;
/// Colour of a face box (RGB), and of the selected one.
const BOX_RGB: [u8; 3] = [0, 230, 90];
const SELECTED_RGB: [u8; 3] = [255, 220, 0];
/// Most samples per output pixel along each axis when averaging (bounds the work for large frames).
const MAX_SAMPLES: u32 = 3;

/// The preview's width in cells for a body area of `body` and a frame of `w`x`h` pixels: as wide as the frame
/// would be at the body's full height, at most half the body, at least [`MIN_WIDTH`], leaving room for one face
/// panel of `min_panel` cells.
pub fn width_for(body: Rect, w: u32, h: u32, min_panel: u16) -> u16 {
    let (w, h) = (w.max(1) as f64, h.max(1) as f64);
    let ideal = (f64::from(body.height.saturating_sub(2)) * 2.0 * w / h).ceil() as u16 + 2;
    ideal.min(body.width / 2).max(MIN_WIDTH).min(body.width.saturating_sub(min_panel))
}

/// Where the picture lies in the preview: its size in preview pixels (`pw`x`ph`, one cell is 1 pixel wide and
/// 2 tall), its size in cells (`cw`x`ch`) and its top-left cell (`x0`, `y0`), centred in the inner area.
#[derive(Clone, Copy, Debug)]
struct Fit {
    pw: u32,
    ph: u32,
    cw: u16,
    ch: u16,
    x0: u16,
    y0: u16,
}

impl Fit {
    /// A picture of `iw`x`ih` source pixels (both non-zero) fitted into `inner` (non-empty), aspect kept.
    fn new(iw: u32, ih: u32, inner: Rect) -> Self {
        let (iw, ih) = (f64::from(iw), f64::from(ih));
        let scale = (f64::from(inner.width) / iw).min(f64::from(inner.height) * 2.0 / ih);
        let pw = ((iw * scale).round() as u32).clamp(1, u32::from(inner.width));
        let ph = ((ih * scale).round() as u32).clamp(1, u32::from(inner.height) * 2);
        let cw = pw as u16;
        let ch = ph.div_ceil(2) as u16;
        Fit { pw, ph, cw, ch, x0: inner.x + (inner.width - cw) / 2, y0: inner.y + (inner.height - ch) / 2 }
    }
}

/// A face box in preview pixels: the track's id, `[x0, y0, x1, y1]` (inclusive) and whether it is selected.
type FaceBox = (u32, [u32; 4], bool);

/// Draws the preview into `area`.
pub fn render(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let snap = app.view();
    let title = match &snap.image {
        Some(img) => format!(" preview {}x{} ", img.width(), img.height()),
        None => " preview ".to_string(),
    };
    let block = Block::bordered().border_set(theme.border_set()).border_style(theme.dim()).title(title);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    let Some(picture) = &snap.image else {
        let text = if snap.last_frame.is_none() { "waiting for a frame" } else { "no picture from the engine" };
        message(f, inner, Line::styled(theme.truncate(text, inner.width as usize), theme.dim()));
        return;
    };
    // RGB is made here, for the frames the screen draws (a few a second), not for every frame the engine sends.
    let img = picture.rgb();
    if img.width() == 0 || img.height() == 0 {
        return;
    }
    let fit = Fit::new(img.width(), img.height(), inner);
    let mut px = downscale(img, fit.pw, fit.ph);
    let boxes = face_boxes(app, img, fit);
    let ramp = theme.ascii || !theme.color;
    if !ramp {
        paint_boxes(&mut px, fit.pw, &boxes);
    }
    let buf = f.buffer_mut();
    draw_picture(buf, fit, &px, ramp);
    for face in &boxes {
        draw_box_and_label(buf, fit, face, app, theme, ramp);
    }
}

/// The faces seen in the frame shown, as boxes in preview pixels (those outside the picture left out).
fn face_boxes(app: &App, img: &RgbImage, fit: Fit) -> Vec<FaceBox> {
    let snap = app.view();
    let now = snap.now_ms();
    let selected = app.selected_id();
    let sx = f64::from(fit.pw) / f64::from(img.width());
    let sy = f64::from(fit.ph) / f64::from(img.height());
    snap.tracks
        .values()
        .filter(|t| t.last_seen_ms == now)
        .filter_map(|t| to_px(&t.bbox, sx, sy, fit.pw, fit.ph).map(|b| (t.track_id, b, selected == Some(t.track_id))))
        .collect()
}

/// Paints the outline of each box into the preview pixels `px` (row-major, `pw` wide), in colour mode.
fn paint_boxes(px: &mut [[u8; 3]], pw: u32, boxes: &[FaceBox]) {
    for (_, [bx0, by0, bx1, by1], sel) in boxes {
        let c = if *sel { SELECTED_RGB } else { BOX_RGB };
        for x in *bx0..=*bx1 {
            px[(*by0 * pw + x) as usize] = c;
            px[(*by1 * pw + x) as usize] = c;
        }
        for y in *by0..=*by1 {
            px[(y * pw + *bx0) as usize] = c;
            px[(y * pw + *bx1) as usize] = c;
        }
    }
}

/// Draws the preview pixels `px` into the cells of `fit`: two pixels per cell as `▀` in colour, one gray level
/// of [`ASCII_RAMP`] per cell when `ramp`.
fn draw_picture(buf: &mut Buffer, fit: Fit, px: &[[u8; 3]], ramp: bool) {
    let Fit { pw, ph, .. } = fit;
    for cy in 0..fit.ch {
        for cx in 0..fit.cw {
            let up = px[(2 * u32::from(cy) * pw + u32::from(cx)) as usize];
            let lo_y = 2 * u32::from(cy) + 1;
            let lo = (lo_y < ph).then(|| px[(lo_y * pw + u32::from(cx)) as usize]);
            let cell = &mut buf[(fit.x0 + cx, fit.y0 + cy)];
            if ramp {
                let l = match lo {
                    Some(lo) => (luma(up) + luma(lo)) / 2.0,
                    None => luma(up),
                };
                let i = ((l / 255.0) * (ASCII_RAMP.len() - 1) as f32).round() as usize;
                let ch = ASCII_RAMP[i.min(ASCII_RAMP.len() - 1)] as char;
                cell.set_symbol(ch.encode_utf8(&mut [0; 4]));
            } else {
                cell.set_symbol("▀").set_fg(rgb(up)).set_bg(lo.map_or(Color::Reset, rgb));
            }
        }
    }
}

/// Draws one face's box with characters (`ramp` mode only) and its label (all modes): the track's name or
/// `#id`, on the top edge inside the box, clipped to the picture.
fn draw_box_and_label(buf: &mut Buffer, fit: Fit, face: &FaceBox, app: &App, theme: &Theme, ramp: bool) {
    let (id, [bx0, by0, bx1, by1], sel) = *face;
    let (c0, c1) = (fit.x0 + bx0 as u16, fit.x0 + bx1 as u16);
    let (r0, r1) = (fit.y0 + (by0 / 2) as u16, fit.y0 + (by1 / 2) as u16);
    let style = if sel { theme.selected() } else { Style::default().add_modifier(Modifier::BOLD) };
    if ramp {
        for x in c0..=c1 {
            for y in [r0, r1] {
                buf[(x, y)].set_symbol("-").set_style(style);
            }
        }
        for y in r0..=r1 {
            for x in [c0, c1] {
                let s = if y == r0 || y == r1 { "+" } else { "|" };
                buf[(x, y)].set_symbol(s).set_style(style);
            }
        }
    }
    let label = match app.names.get(&id) {
        Some(n) => n.clone(),
        None => format!("#{id}"),
    };
    let label_style = if ramp {
        style.add_modifier(Modifier::REVERSED)
    } else {
        let c = if sel { SELECTED_RGB } else { BOX_RGB };
        Style::default().fg(Color::Black).bg(rgb(c)).add_modifier(Modifier::BOLD)
    };
    let right = fit.x0 + fit.cw;
    let first = (c0 + 1).min(right.saturating_sub(1));
    for (x, ch) in (first..right).zip(label.chars()) {
        buf[(x, r0)].set_symbol(ch.encode_utf8(&mut [0; 4])).set_style(label_style);
    }
}

/// `b` (source pixels) in preview pixels `[x0, y0, x1, y1]` (inclusive), clipped; `None` when outside.
fn to_px(b: &BBox, sx: f64, sy: f64, pw: u32, ph: u32) -> Option<[u32; 4]> {
    let x0 = (f64::from(b.x) * sx).floor().max(0.0);
    let y0 = (f64::from(b.y) * sy).floor().max(0.0);
    let x1 = (f64::from(b.x + b.w) * sx).ceil() - 1.0;
    let y1 = (f64::from(b.y + b.h) * sy).ceil() - 1.0;
    if !(x0.is_finite() && y0.is_finite() && x1.is_finite() && y1.is_finite()) {
        return None;
    }
    if x0 >= f64::from(pw) || y0 >= f64::from(ph) || x1 < 0.0 || y1 < 0.0 {
        return None;
    }
    let x1 = x1.min(f64::from(pw - 1)).max(x0);
    let y1 = y1.min(f64::from(ph - 1)).max(y0);
    Some([x0 as u32, y0 as u32, x1 as u32, y1 as u32])
}

/// `img` shrunk (or grown) to `w`x`h` pixels, each the mean of up to 3x3 samples of its source area; row-major.
pub fn downscale(img: &RgbImage, w: u32, h: u32) -> Vec<[u8; 3]> {
    let (iw, ih) = (img.width(), img.height());
    let mut out = Vec::with_capacity((w * h) as usize);
    for y in 0..h {
        let sy0 = (u64::from(y) * u64::from(ih) / u64::from(h)) as u32;
        let sy1 = ((u64::from(y + 1) * u64::from(ih) / u64::from(h)) as u32).clamp(sy0 + 1, ih);
        for x in 0..w {
            let sx0 = (u64::from(x) * u64::from(iw) / u64::from(w)) as u32;
            let sx1 = ((u64::from(x + 1) * u64::from(iw) / u64::from(w)) as u32).clamp(sx0 + 1, iw);
            let (ny, nx) = ((sy1 - sy0).min(MAX_SAMPLES), (sx1 - sx0).min(MAX_SAMPLES));
            let mut acc = [0u32; 3];
            for j in 0..ny {
                let yy = sy0 + j * (sy1 - sy0) / ny;
                for i in 0..nx {
                    let xx = sx0 + i * (sx1 - sx0) / nx;
                    let p = img.get_pixel(xx.min(iw - 1), yy.min(ih - 1)).0;
                    for k in 0..3 {
                        acc[k] += u32::from(p[k]);
                    }
                }
            }
            let n = nx * ny;
            out.push([(acc[0] / n) as u8, (acc[1] / n) as u8, (acc[2] / n) as u8]);
        }
    }
    out
}

/// Perceived brightness of an RGB pixel, 0..=255.
fn luma(p: [u8; 3]) -> f32 {
    0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])
}

/// A 24-bit terminal colour.
fn rgb(p: [u8; 3]) -> Color {
    Color::Rgb(p[0], p[1], p[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downscale_averages() {
        let img =
            RgbImage::from_fn(4, 2, |x, _| if x < 2 { image::Rgb([0, 0, 0]) } else { image::Rgb([200, 100, 50]) });
        let px = downscale(&img, 2, 1);
        assert_eq!(px, vec![[0, 0, 0], [200, 100, 50]]);
        assert_eq!(downscale(&img, 8, 4).len(), 32);
    }

    #[test]
    fn boxes_are_clipped() {
        let b = BBox::new(-10.0, 5.0, 1000.0, 10.0);
        assert_eq!(to_px(&b, 0.1, 0.1, 40, 20), Some([0, 0, 39, 1]));
        assert_eq!(to_px(&BBox::new(900.0, 0.0, 10.0, 10.0), 0.1, 0.1, 40, 20), None);
    }

    #[test]
    fn widths() {
        let body = Rect::new(0, 0, 80, 18);
        assert_eq!(width_for(body, 640, 360, 30), 40);
        assert!(width_for(Rect::new(0, 0, 200, 54), 640, 360, 30) <= 100);
    }
}
