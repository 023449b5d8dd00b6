//! Q6_K: a 256-weight super-block = 128 bytes of low nibbles (ql), 64 bytes of high 2-bit pairs
//! (qh), 16 signed 8-bit scales (one per 16 weights), f16 d; w = d·sc[i/16] · (q − 32).
//! In each 128-weight half n (ql += 64, qh += 32), element l + 32k (l < 32, k < 4) takes the low
//! (k < 2) or high (k ≥ 2) nibble of ql[l + 32(k % 2)] and bits 2k..2k+1 of qh[l].
//! GPU layout (`SubBlocks`): per 32-weight sub-block one vec4 with byte l holding the low 4 bits
//! of elements l and l+16; scale words [high bits of elements 0..16 (2 each), of 16..32,
//! d·sc of elements 0..16 as f32, of 16..32].

use super::{f16_to_f32, le_u16, BlockFormat, SubBlocks, QK};
use super::q4_k::QK_K;

/// The block as ggml stores it.
#[repr(C)]
pub struct BlockQ6K {
    pub ql: [u8; QK_K / 2],
    pub qh: [u8; QK_K / 4],
    pub scales: [i8; QK_K / 16],
    pub d: u16,
}
const _: () = assert!(std::mem::size_of::<BlockQ6K>() == 210);

pub struct Q6K;

/// The 32 six-bit values (0..64) of sub-block `j` (0..8) in element order.
fn values(block: &[u8], j: usize) -> [u8; QK] {
    let (n, k) = (j / 4, j % 4);
    let ql = &block[64 * n + 32 * (k % 2)..][..32];
    let qh = &block[128 + 32 * n..][..32];
    let shift = 4 * (k / 2) as u32;
    std::array::from_fn(|l| ((ql[l] >> shift) & 0x0F) | (((qh[l] >> (2 * k)) & 3) << 4))
}

/// The two 16-weight scales of sub-block `j`: (sc[2j], sc[2j+1]) as signed integers.
fn scales(block: &[u8], j: usize) -> (f32, f32) {
    (block[192 + 2 * j] as i8 as f32, block[193 + 2 * j] as i8 as f32)
}

fn d(block: &[u8]) -> f32 {
    f16_to_f32(le_u16(block, 208))
}

impl BlockFormat for Q6K {
    const BYTES: usize = std::mem::size_of::<BlockQ6K>();
    const WEIGHTS: usize = QK_K;

    fn dequantize_block(block: &[u8], out: &mut [f32]) {
        let d = d(block);
        for j in 0..QK_K / QK {
            let (sa, sb) = scales(block, j);
            for (l, q) in values(block, j).into_iter().enumerate() {
                let sc = if l < 16 { sa } else { sb };
                out[j * QK + l] = d * sc * (q as i32 - 32) as f32; // ggml: d * sc[is] * q
            }
        }
    }

    /// Values (q − 32)·sc, exact integers (|·| ≤ 4096), so the sub-block's scale is d and m is 0.
    fn sub_block(block: &[u8], j: usize, q: &mut [i16; QK]) -> (f32, f32) {
        let (sa, sb) = scales(block, j);
        for (l, (o, v)) in q.iter_mut().zip(values(block, j)).enumerate() {
            *o = (v as i16 - 32) * (if l < 16 { sa } else { sb }) as i16;
        }
        (d(block), 0.0)
    }
}

impl SubBlocks for Q6K {
    const SC_WORDS: usize = 4;

    fn repack_block(block: &[u8], qs: &mut [u32], sc: &mut [u32]) {
        let d = d(block);
        for j in 0..QK_K / QK {
            let q = values(block, j);
            for (w, word) in qs[j * 4..(j + 1) * 4].iter_mut().enumerate() {
                *word = (0..4).fold(0u32, |acc, k| {
                    let l = 4 * w + k;
                    acc | ((((q[l] & 0x0F) | ((q[l + 16] & 0x0F) << 4)) as u32) << (8 * k))
                });
            }
            let high = |half: usize| (0..16).fold(0u32, |acc, e| acc | (((q[16 * half + e] >> 4) as u32) << (2 * e)));
            let (sa, sb) = scales(block, j);
            sc[j * 4..(j + 1) * 4].copy_from_slice(&[high(0), high(1), (d * sa).to_bits(), (d * sb).to_bits()]);
        }
    }
}
