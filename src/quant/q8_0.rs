//! Q8_0: 32 weights = f16 scale d + 32 signed bytes; w = q · d.
//! GPU layout: 8 words (two vec4) of signed bytes, byte order kept; scale word = d as f32 bits.

use super::{f16_to_f32, le_u16, le_u32, BlockFormat, Packed, QK};

/// The block as ggml stores it.
#[repr(C)]
pub struct BlockQ8_0 {
    pub d: u16,
    pub qs: [i8; QK],
}
const _: () = assert!(std::mem::size_of::<BlockQ8_0>() == 34);

pub struct Q8_0;

impl BlockFormat for Q8_0 {
    const BYTES: usize = std::mem::size_of::<BlockQ8_0>();
    const WEIGHTS: usize = QK;

    fn dequantize_block(block: &[u8], out: &mut [f32]) {
        let d = f16_to_f32(le_u16(block, 0));
        for (j, w) in out.iter_mut().enumerate() {
            *w = block[2 + j] as i8 as f32 * d;
        }
    }

    fn sub_block(block: &[u8], _j: usize, q: &mut [i16; QK]) -> (f32, f32) {
        for (o, &b) in q.iter_mut().zip(&block[2..2 + QK]) {
            *o = b as i8 as i16;
        }
        (f16_to_f32(le_u16(block, 0)), 0.0)
    }
}

impl Packed for Q8_0 {
    const QS_WORDS: usize = 8;

    fn repack_block(block: &[u8], qs: &mut [u32]) -> u32 {
        for (w, word) in qs.iter_mut().enumerate() {
            *word = le_u32(block, 2 + 4 * w);
        }
        f16_to_f32(le_u16(block, 0)).to_bits()
    }
}
