//! gemv_wide_subgroup (shaders/gemv_wide_subgroup.wgsl): gemv_wide with the lanes of a row added
//! by subgroup shuffles, for devices with subgroups (`gpu::subgroups()`). Same layout, inputs and
//! launch shape as gemv_wide, which puts its kernels together (`gemv_wide::wgsl`);
//! `QuantMatrix` picks it (`with_subgroups`). A browser's WGSL must `enable subgroups;` first;
//! wgpu's own compiler (naga) knows the builtins without it and refuses the directive, so it is
//! there in wasm builds only. Twin `quant::matmul_reference`.

/// What the kernel's source starts with.
pub(super) const DIRECTIVES: &str = if cfg!(target_family = "wasm") { "enable subgroups;\n" } else { "" };

/// The entry point, after the format's decode, the input and gemv_wide_dot.wgsl.
pub(super) const BODY: &str = include_str!("../../shaders/gemv_wide_subgroup.wgsl");
