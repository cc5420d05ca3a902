//! The PNG backend of the charts: plotters' bitmap backend with its text drawn anew.
//!
//! plotters 0.3.7 draws `ab_glyph` text with each glyph's ink at the pen position,
//! leaving out the glyph's left side bearing, and rounds the pen position down to a whole
//! pixel. Narrow digits then stand unevenly: the seed 20250908 read as "2025 0908" in
//! every subtitle. [`Png`] hands everything to the bitmap backend except text, which it
//! draws with ab_glyph itself: each glyph outlined at its exact, fractional pen position,
//! so its bearing and the fraction of a pixel are kept. The text's box is plotters' own
//! (the sum of advances and kerning, as wide as plotters lays it out; the baseline half
//! the font size below the box's top, where plotters puts it), so anchors, rotations and
//! the room plotters leaves for labels are the same as before. SVG charts are untouched:
//! their text is laid out by whatever displays them.

use ab_glyph::{Font, FontRef, GlyphId, InvalidFont, ScaleFont, point};
use plotters::prelude::{BitMapBackend, DrawingBackend};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontStyle,
};
use std::sync::OnceLock;

type Failure = DrawingErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>;

/// A PNG chart's drawing backend (see the module's documentation), drawing into
/// pixels in memory that [`encode`] makes a PNG file of.
pub struct Png<'a>(BitMapBackend<'a>);

impl<'a> Png<'a> {
    /// A chart of `size` pixels drawn into `pixels` (from [`canvas`]).
    pub fn new(pixels: &'a mut [u8], size: (u32, u32)) -> Self {
        Png(BitMapBackend::with_buffer(pixels, size))
    }
}

/// The pixels of a chart of `size` before it is drawn: 8-bit RGB, row by row.
pub fn canvas(size: (u32, u32)) -> Vec<u8> {
    vec![0; size.0 as usize * size.1 as usize * 3]
}

/// The PNG file of `pixels` (from [`canvas`], drawn on).
pub fn encode(pixels: &[u8], size: (u32, u32)) -> Result<Vec<u8>, image::ImageError> {
    use image::ImageEncoder;
    let mut file = Vec::new();
    image::codecs::png::PngEncoder::new(&mut file).write_image(
        pixels,
        size.0,
        size.1,
        image::ColorType::Rgb8,
    )?;
    Ok(file)
}

/// DejaVu Sans, regular and bold: the only fonts the charts use (whatever the family
/// named, as with plotters, which is given these two alone).
/// (An error only if the compiled-in font files were corrupt.)
fn font(style: FontStyle) -> Result<&'static FontRef<'static>, InvalidFont> {
    static FONTS: OnceLock<Result<[FontRef<'static>; 2], InvalidFont>> = OnceLock::new();
    let fonts = FONTS.get_or_init(|| {
        Ok([
            FontRef::try_from_slice(dejavu::sans::regular())?,
            FontRef::try_from_slice(dejavu::sans::bold())?,
        ])
    });
    let [regular, bold] = fonts.as_ref().map_err(|e| *e)?;
    Ok(match style {
        FontStyle::Bold => bold,
        _ => regular,
    })
}

/// The glyphs of `text` with their pen positions, and the width of the whole: advances
/// and kerning, as plotters lays text out.
fn pens(font: &FontRef<'static>, size: f32, text: &str) -> (Vec<(GlyphId, f32)>, f32) {
    let scaled = font.as_scaled(size);
    let mut pen = 0f32;
    let mut previous = None;
    let mut glyphs = Vec::with_capacity(text.len());
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            pen += scaled.kern(p, id);
        }
        previous = Some(id);
        glyphs.push((id, pen));
        pen += scaled.h_advance(id);
    }
    (glyphs, pen)
}

/// The box plotters gives `text`: its width, and a height of the size less a margin.
fn layout(font: &FontRef<'static>, size: f32, text: &str) -> (i32, i32) {
    (
        pens(font, size, text).1 as i32,
        (f64::from(size) / 1.24) as i32,
    )
}

/// Calls `ink(x, y, coverage)` for every pixel that `text` covers, in a box whose top
/// left is (0, 0) and whose baseline lies at `size / 2`, as plotters lays text out; the
/// first glyph's pen position is x = 0.
fn rasterise(font: &FontRef<'static>, size: f32, text: &str, mut ink: impl FnMut(i32, i32, f32)) {
    for (id, pen) in pens(font, size, text).0 {
        let glyph = id.with_scale_and_position(size, point(pen, size / 2.0));
        if let Some(outline) = font.outline_glyph(glyph) {
            let min = outline.px_bounds().min;
            let (x0, y0) = (min.x as i32, min.y as i32);
            outline.draw(|x, y, coverage| ink(x0 + x as i32, y0 + y as i32, coverage));
        }
    }
}

impl DrawingBackend for Png<'_> {
    type ErrorType = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), Failure> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), Failure> {
        self.0.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Failure> {
        self.0.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Failure> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Failure> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Failure> {
        self.0.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Failure> {
        self.0.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Failure> {
        self.0.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        (iw, ih): (u32, u32),
        src: &[u8],
    ) -> Result<(), Failure> {
        self.0.blit_bitmap(pos, (iw, ih), src)
    }

    /// As plotters' own `draw_text`, but with [`rasterise`] for the glyphs and
    /// [`layout`] for the box they are anchored by.
    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), Failure> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        // The box of the font drawn: plotters measures bold text in the regular font,
        // which would set a centred bold title off centre.
        let font = font(style.style()).map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let size = style.size() as f32;
        let (width, height) = layout(font, size, text);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let turn = style.transform();
        let (w, h) = self.get_size();
        let mut result = Ok(());
        rasterise(font, size, text, |x, y, coverage| {
            let (x, y) = turn.transform(x + dx, y + dy);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if result.is_ok() && x >= 0 && y >= 0 && (x as u32) < w && (y as u32) < h {
                let ink = BackendColor {
                    alpha: color.alpha * f64::from(coverage),
                    rgb: color.rgb,
                };
                result = self.0.draw_pixel((x, y), ink);
            }
        });
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::style::text_anchor::Pos;
    use plotters::style::{BLACK, IntoFont, TextStyle};

    /// The columns that `text` inks, drawn from pen position 0.
    fn columns(style: FontStyle, size: f32, text: &str) -> Vec<i32> {
        let mut xs = Vec::new();
        rasterise(font(style).unwrap(), size, text, |x, _, coverage| {
            if coverage > 0.5 {
                xs.push(x);
            }
        });
        xs.sort_unstable();
        xs.dedup();
        xs
    }

    #[test]
    fn a_glyph_keeps_its_left_side_bearing() {
        // DejaVu's "1" starts its ink well right of its pen position; plotters drew it
        // from the pen position itself.
        let size = 40.0;
        let scaled = font(FontStyle::Normal).unwrap().as_scaled(size);
        let bearing = scaled.h_side_bearing(scaled.glyph_id('1'));
        assert!(bearing > 3.0, "{bearing}");
        let first = columns(FontStyle::Normal, size, "1")[0];
        assert!(
            (first as f32 - bearing).abs() <= 1.0,
            "{first} against {bearing}"
        );
    }

    #[test]
    fn equal_glyphs_stand_an_advance_apart_to_the_pixel() {
        // Each "1" of "1111" starts its ink one advance after the one before (within the
        // pixel that the fraction of an advance rounds to), so a number reads evenly.
        let size = 11.0;
        let scaled = font(FontStyle::Normal).unwrap().as_scaled(size);
        let advance = scaled.h_advance(scaled.glyph_id('1'));
        let alone = columns(FontStyle::Normal, size, "1")[0] as f32;
        let xs = columns(FontStyle::Normal, size, "1111");
        let starts: Vec<i32> = xs
            .iter()
            .enumerate()
            .filter(|&(i, &x)| i == 0 || xs[i - 1] + 1 < x)
            .map(|(_, &x)| x)
            .collect();
        assert_eq!(starts.len(), 4, "{xs:?}");
        for (k, &x) in starts.iter().enumerate() {
            let expected = alone + k as f32 * advance;
            assert!(
                (x as f32 - expected).abs() <= 1.0,
                "{k}: {x} against {expected}"
            );
        }
    }

    #[test]
    fn the_box_is_the_one_plotters_lays_out_for_the_regular_font() {
        super::super::charts::register_font();
        let text = "Sites and routes that lose the most (top 10), 95%";
        for size in [11.0, 13.0, 28.0] {
            let desc = (super::super::charts::FONT, size).into_font();
            let ((x0, y0), (x1, y1)) = desc.layout_box(text).unwrap();
            let ours = layout(font(FontStyle::Normal).unwrap(), size as f32, text);
            assert_eq!(ours, (x1 - x0, y1 - y0), "size {size}");
        }
        // Bold text is wider, and measured as such.
        let bold = layout(font(FontStyle::Bold).unwrap(), 28.0, text).0;
        assert!(bold > layout(font(FontStyle::Normal).unwrap(), 28.0, text).0);
    }

    /// The columns inked (darker than mid-grey) in a white `width` x 60 picture where
    /// `text` is drawn in black, centred on x = `width / 2`, and the pixels inked.
    fn centred(style: FontStyle, width: u32, text: &str) -> (Vec<u32>, usize) {
        super::super::charts::register_font();
        let mut buffer = vec![255u8; (width * 60 * 3) as usize];
        {
            let mut png = Png(BitMapBackend::with_buffer(&mut buffer, (width, 60)));
            let font = (super::super::charts::FONT, 28).into_font().style(style);
            let text_style = TextStyle::from(font)
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Top));
            png.draw_text(text, &text_style, (width as i32 / 2, 10))
                .unwrap();
            png.present().unwrap();
        }
        let mut xs: Vec<u32> = (0..width * 60)
            .filter(|&i| buffer[(i * 3) as usize] < 128)
            .map(|i| i % width)
            .collect();
        let pixels = xs.len();
        xs.sort_unstable();
        xs.dedup();
        (xs, pixels)
    }

    #[test]
    fn bold_or_not_centred_text_is_centred() {
        let mut pixels = Vec::new();
        for style in [FontStyle::Normal, FontStyle::Bold] {
            let (xs, inked) = centred(style, 600, "Cumulative value shipped");
            pixels.push(inked);
            let (first, last) = (xs[0], xs[xs.len() - 1]);
            // The ink's ends lie about equally far from the centre: within a pixel each
            // of rounding, plus the bearings of "C" and "d" (under 3 pixels at this size).
            let off = (first + last) as f64 / 2.0 - 300.0;
            assert!(
                off.abs() <= 4.0,
                "{}: ink from {first} to {last}",
                style.as_str()
            );
        }
        // (plotters 0.3.7 drew a bold title in the regular font.)
        assert!(pixels[1] * 5 > pixels[0] * 6, "{pixels:?}");
    }

    #[test]
    fn bold_text_is_drawn_in_the_bold_font() {
        let ink = |style| {
            let mut sum = 0f32;
            rasterise(font(style).unwrap(), 20.0, "seed", |_, _, coverage| {
                sum += coverage
            });
            sum
        };
        let (regular, bold) = (ink(FontStyle::Normal), ink(FontStyle::Bold));
        assert!(bold > 1.2 * regular, "{bold} against {regular}");
    }
}
