//! Q4_1: 32 weights = f16 scale d, f16 minimum m + 16 bytes of 4-bit values; w = q · d + m.
//! GPU layout: 4 words (one vec4) of nibbles, byte order kept; scale word = (d, m) as two f16,
//! read in WGSL with `unpack2x16float` (core WGSL: no shader-f16 needed).

use super::{f16_to_f32, le_u16, le_u32, BlockFormat, Packed, QK};

/// The block as ggml stores it.
#[repr(C)]
pub struct BlockQ4_1 {
    pub d: u16,
    pub m: u16,
    pub qs: [u8; QK / 2],
}
const _: () = assert!(std::mem::size_of::<BlockQ4_1>() == 20);

pub struct Q4_1;

impl BlockFormat for Q4_1 {
    const BYTES: usize = std::mem::size_of::<BlockQ4_1>();
    const WEIGHTS: usize = QK;

    fn dequantize_block(block: &[u8], out: &mut [f32]) {
        let d = f16_to_f32(le_u16(block, 0));
        let m = f16_to_f32(le_u16(block, 2));
        for j in 0..QK / 2 {
            let q = block[4 + j];
            out[j] = (q & 0x0F) as f32 * d + m;
            out[j + QK / 2] = (q >> 4) as f32 * d + m;
        }
    }

    fn sub_block(block: &[u8], _j: usize, q: &mut [i16; QK]) -> (f32, f32) {
        for l in 0..QK / 2 {
            q[l] = (block[4 + l] & 0x0F) as i16;
            q[l + QK / 2] = (block[4 + l] >> 4) as i16;
        }
        (f16_to_f32(le_u16(block, 0)), f16_to_f32(le_u16(block, 2)))
    }
}

impl Packed for Q4_1 {
    const QS_WORDS: usize = 4;

    fn repack_block(block: &[u8], qs: &mut [u32]) -> u32 {
        for (w, word) in qs.iter_mut().enumerate() {
            *word = le_u32(block, 4 + 4 * w);
        }
        le_u32(block, 0) // d in the low half, m in the high half: unpack2x16float order
    }
}
