//! Shared test helpers: the GPU and the model file, which are skipped on a developer machine
//! that lacks them but are failures under CI=true; the golden fixture.
#![allow(dead_code)]

use hearth::gpu::{self, Gpu};
use serde_json::Value;
use std::path::PathBuf;

pub fn in_ci() -> bool {
    std::env::var("CI").map(|v| v == "true" || v == "1").unwrap_or(false)
}

/// The GPU, or None (skip) on a machine without one. Under CI a missing adapter fails the test.
pub fn gpu() -> Option<Gpu> {
    match gpu::device() {
        Ok(g) => Some(g),
        Err(e) if in_ci() => panic!("CI=true but no GPU adapter: {e} (install mesa-vulkan-drivers for lavapipe)"),
        Err(e) => {
            eprintln!("SKIP: no GPU adapter ({e})");
            None
        }
    }
}

/// The default model file, or None (skip). Under CI a missing model fails the test.
pub fn model_path() -> Option<PathBuf> {
    let path = hearth::engine::default_model_path();
    if path.is_file() {
        return Some(path);
    }
    if in_ci() {
        panic!("CI=true but model {} is missing (run scripts/fetch-model.sh)", path.display());
    }
    eprintln!("SKIP: model {} not found (make model)", path.display());
    None
}

pub fn golden() -> Value {
    golden_of(&SMOLLM2)
}

/// A catalog model and its float64 golden fixture (tests/fixtures, copied from shared/golden).
pub struct Fixture {
    pub model: hearth::catalog::CatalogModel,
    pub file: &'static str,
}

pub const SMOLLM2: Fixture = Fixture { model: hearth::catalog::SMOLLM2, file: "smollm2-135m-q4_1.json" };
pub const QWEN_CODER: Fixture = Fixture { model: hearth::catalog::QWEN_CODER, file: "qwen2.5-coder-0.5b.json" };

pub fn golden_of(f: &Fixture) -> Value {
    let path = format!("{}/tests/fixtures/{}", env!("CARGO_MANIFEST_DIR"), f.file);
    let text = std::fs::read_to_string(path).expect("golden fixture");
    serde_json::from_str(&text).expect("golden fixture is JSON")
}

/// A catalog model's file, or None (skip). Under CI a missing model fails the test.
pub fn model_path_of(f: &Fixture) -> Option<PathBuf> {
    if f.model.id == hearth::catalog::SMOLLM2.id {
        return model_path(); // honours $HEARTH_MODEL
    }
    let path = f.model.path();
    if path.is_file() {
        return Some(path);
    }
    if in_ci() {
        panic!("CI=true but model {} is missing (scripts/fetch-model.sh {})", path.display(), f.model.id);
    }
    eprintln!("SKIP: model {} not found (scripts/fetch-model.sh {})", path.display(), f.model.id);
    None
}

pub fn ids(v: &Value) -> Vec<u32> {
    v.as_array().expect("id array").iter().map(|x| x.as_u64().expect("id") as u32).collect()
}

/// Deterministic test data.
pub struct TestRng(hearth::sampler::Rng);

impl TestRng {
    pub fn new(seed: u64) -> Self {
        TestRng(hearth::sampler::Rng::new(seed))
    }
    pub fn u8(&mut self) -> u8 {
        self.0.next_u64() as u8
    }
    /// Uniform in [lo, hi).
    pub fn f32(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.0.next_f64() as f32
    }
}
