//! Q5_0: 32 weights = f16 scale d + 32 high bits qh + 16 bytes of low nibbles; w = (q − 16) · d,
//! q = nibble | high bit << 4 (element j: low nibble of byte j, bit j; element j+16: high nibble, bit j+16).
//! GPU layout (sub-block family, `SubBlocks`): one vec4 of the nibbles as stored; scale words
//! [d as f32 bits, qh].

use super::{f16_to_f32, le_u16, le_u32, BlockFormat, SubBlocks, QK};

/// The block as ggml stores it.
#[repr(C)]
pub struct BlockQ5_0 {
    pub d: u16,
    pub qh: [u8; 4],
    pub qs: [u8; QK / 2],
}
const _: () = assert!(std::mem::size_of::<BlockQ5_0>() == 22);

pub struct Q5_0;

impl BlockFormat for Q5_0 {
    const BYTES: usize = std::mem::size_of::<BlockQ5_0>();
    const WEIGHTS: usize = QK;

    fn dequantize_block(block: &[u8], out: &mut [f32]) {
        let d = f16_to_f32(le_u16(block, 0));
        let qh = le_u32(block, 2);
        for j in 0..QK / 2 {
            let q = block[6 + j];
            let h0 = ((qh >> j) << 4) & 0x10;
            let h1 = (qh >> (j + 12)) & 0x10;
            out[j] = (((q as u32 & 0x0F) | h0) as i32 - 16) as f32 * d;
            out[j + QK / 2] = (((q as u32 >> 4) | h1) as i32 - 16) as f32 * d;
        }
    }

    fn sub_block(block: &[u8], _j: usize, q: &mut [i16; QK]) -> (f32, f32) {
        let d = f16_to_f32(le_u16(block, 0));
        let qh = le_u32(block, 2);
        for l in 0..QK / 2 {
            let b = block[6 + l] as u32;
            q[l] = ((b & 0x0F) | (((qh >> l) & 1) << 4)) as i16;
            q[l + QK / 2] = ((b >> 4) | (((qh >> (l + 16)) & 1) << 4)) as i16;
        }
        (d, -16.0 * d)
    }
}

impl SubBlocks for Q5_0 {
    const SC_WORDS: usize = 2;

    fn repack_block(block: &[u8], qs: &mut [u32], sc: &mut [u32]) {
        for (w, word) in qs.iter_mut().enumerate() {
            *word = le_u32(block, 6 + 4 * w);
        }
        sc[0] = f16_to_f32(le_u16(block, 0)).to_bits();
        sc[1] = le_u32(block, 2);
    }
}
