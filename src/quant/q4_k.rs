//! Q4_K: a 256-weight super-block = f16 d, f16 dmin, 12 bytes of 6-bit scales and mins for eight
//! 32-weight sub-blocks, 128 bytes of nibbles; sub-block s: w = d·sc[s] · q − dmin·m[s].
//! Nibbles: 64-weight chunk c holds bytes qs[32c..32c+32]; their low nibbles are sub-block 2c,
//! their high nibbles sub-block 2c+1.
//! GPU layout (`SubBlocks`): per 32-weight sub-block one vec4 of nibbles with byte l holding
//! elements l (low) and l+16 (high), as Q4_0 orders them; scale words [d·sc as f32, dmin·m as f32].

use super::{f16_to_f32, le_u16, BlockFormat, SubBlocks, QK};

pub const QK_K: usize = 256;

/// The block as ggml stores it.
#[repr(C)]
pub struct BlockQ4K {
    pub d: u16,
    pub dmin: u16,
    pub scales: [u8; 12],
    pub qs: [u8; QK_K / 2],
}
const _: () = assert!(std::mem::size_of::<BlockQ4K>() == 144);

pub struct Q4K;

/// ggml's `get_scale_min_k4`: the 6-bit scale and min of sub-block `j` (0..8).
#[inline(always)]
fn scale_min(scales: &[u8], j: usize) -> (u8, u8) {
    if j < 4 {
        (scales[j] & 63, scales[j + 4] & 63)
    } else {
        ((scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4), (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4))
    }
}

/// (d·sc, dmin·m) of sub-block `j`, f32 as ggml computes them.
#[inline(always)]
pub(crate) fn sub_scales(block: &[u8], j: usize) -> (f32, f32) {
    let d = f16_to_f32(le_u16(block, 0));
    let dmin = f16_to_f32(le_u16(block, 2));
    let (sc, m) = scale_min(&block[4..16], j);
    (d * sc as f32, dmin * m as f32)
}

/// The 32 nibble values of sub-block `j` in element order.
fn nibbles(block: &[u8], j: usize) -> [u8; QK] {
    let qs = &block[16 + 32 * (j / 2)..][..32];
    let shift = 4 * (j % 2);
    std::array::from_fn(|l| (qs[l] >> shift) & 0x0F)
}

impl BlockFormat for Q4K {
    const BYTES: usize = std::mem::size_of::<BlockQ4K>();
    const WEIGHTS: usize = QK_K;

    fn dequantize_block(block: &[u8], out: &mut [f32]) {
        for j in 0..QK_K / QK {
            let (d1, m1) = sub_scales(block, j);
            for (o, q) in out[j * QK..(j + 1) * QK].iter_mut().zip(nibbles(block, j)) {
                *o = d1 * q as f32 - m1;
            }
        }
    }

    fn sub_block(block: &[u8], j: usize, q: &mut [i16; QK]) -> (f32, f32) {
        for (o, v) in q.iter_mut().zip(nibbles(block, j)) {
            *o = v as i16;
        }
        let (d1, m1) = sub_scales(block, j);
        (d1, -m1)
    }
}

impl SubBlocks for Q4K {
    const SC_WORDS: usize = 2;

    fn repack_block(block: &[u8], qs: &mut [u32], sc: &mut [u32]) {
        for j in 0..QK_K / QK {
            let q = nibbles(block, j);
            for (w, word) in qs[j * 4..(j + 1) * 4].iter_mut().enumerate() {
                *word = (0..4).fold(0u32, |acc, k| {
                    let l = 4 * w + k;
                    acc | (((q[l] | (q[l + 16] << 4)) as u32) << (8 * k))
                });
            }
            let (d1, m1) = sub_scales(block, j);
            sc[j * 2] = d1.to_bits();
            sc[j * 2 + 1] = m1.to_bits();
        }
    }
}
