//! gemv_wide_subgroup (shaders/gemv_wide_subgroup.wgsl): gemv_wide with the lanes of a row added
//! by subgroup shuffles, for devices with subgroups (`gpu::subgroups()`). Same layout, same
//! launch shape as gemv_wide; `QuantMatrix` picks it (`with_subgroups`). A browser's WGSL must
//! `enable subgroups;` first; wgpu's own compiler (naga) knows the builtins without it and
//! refuses the directive, so it is there in wasm builds only. Twin `quant::matmul_reference`.

use crate::gpu::Wgsl;

#[cfg(target_family = "wasm")]
macro_rules! directives {
    () => {
        "enable subgroups;\n"
    };
}
#[cfg(not(target_family = "wasm"))]
macro_rules! directives {
    () => {
        ""
    };
}

macro_rules! gemv_wide_subgroup_for {
    ($name:literal, $block:literal) => {
        Wgsl {
            name: $name,
            source: concat!(
                directives!(),
                include_str!("../../shaders/epilogue.wgsl"),
                include_str!(concat!("../../shaders/blocks/", $block)),
                include_str!("../../shaders/gemv_wide_dot.wgsl"),
                include_str!("../../shaders/gemv_wide_subgroup.wgsl")
            ),
        }
    };
}

pub const Q4_0: Wgsl = gemv_wide_subgroup_for!("gemv_wide_subgroup_q4_0", "q4_0.wgsl");
pub const Q4_1: Wgsl = gemv_wide_subgroup_for!("gemv_wide_subgroup_q4_1", "q4_1.wgsl");
pub const Q8_0: Wgsl = gemv_wide_subgroup_for!("gemv_wide_subgroup_q8_0", "q8_0.wgsl");
pub const Q5_0: Wgsl = gemv_wide_subgroup_for!("gemv_wide_subgroup_q5_0", "q5_0.wgsl");
pub const Q4_K: Wgsl = gemv_wide_subgroup_for!("gemv_wide_subgroup_q4_k", "q4_k.wgsl");
pub const Q6_K: Wgsl = gemv_wide_subgroup_for!("gemv_wide_subgroup_q6_k", "q6_k.wgsl");
