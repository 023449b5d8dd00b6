//! Q4_0: 32 weights = f16 scale d + 16 bytes of 4-bit values; w = (q − 8) · d.
//! GPU layout: 4 words (one vec4) of nibbles, byte order kept; scale word = d as f32 bits.

use super::{f16_to_f32, le_u16, le_u32, BlockFormat, Packed, QK};

/// The block as ggml stores it.
#[repr(C)]
pub struct BlockQ4_0 {
    pub d: u16,
    pub qs: [u8; QK / 2],
}
const _: () = assert!(std::mem::size_of::<BlockQ4_0>() == 18);

pub struct Q4_0;

impl BlockFormat for Q4_0 {
    const BYTES: usize = std::mem::size_of::<BlockQ4_0>();
    const WEIGHTS: usize = QK;

    fn dequantize_block(block: &[u8], out: &mut [f32]) {
        let d = f16_to_f32(le_u16(block, 0));
        for j in 0..QK / 2 {
            let q = block[2 + j];
            out[j] = ((q & 0x0F) as i32 - 8) as f32 * d;
            out[j + QK / 2] = ((q >> 4) as i32 - 8) as f32 * d;
        }
    }

    fn sub_block(block: &[u8], _j: usize, q: &mut [i16; QK]) -> (f32, f32) {
        for l in 0..QK / 2 {
            q[l] = (block[2 + l] & 0x0F) as i16;
            q[l + QK / 2] = (block[2 + l] >> 4) as i16;
        }
        let d = f16_to_f32(le_u16(block, 0));
        (d, -8.0 * d)
    }
}

impl Packed for Q4_0 {
    const QS_WORDS: usize = 4;

    fn repack_block(block: &[u8], qs: &mut [u32]) -> u32 {
        for (w, word) in qs.iter_mut().enumerate() {
            *word = le_u32(block, 2 + 4 * w);
        }
        f16_to_f32(le_u16(block, 0)).to_bits()
    }
}
