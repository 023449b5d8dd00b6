//! The models hearth offers, by catalog id: what a user picks from, how each is shown, and the
//! file `scripts/fetch-model.sh <id>` caches (natively) or the app downloads (in a browser).

/// One model of the catalog.
#[derive(Debug, Clone, Copy)]
pub struct CatalogModel {
    /// Stable id: `scripts/fetch-model.sh <id>`, the app's picker, `--model-id` on the CLI.
    pub id: &'static str,
    /// What a person is shown.
    pub name: &'static str,
    /// One line on why to pick it.
    pub blurb: &'static str,
    /// File name in the model cache.
    pub file: &'static str,
    pub sha256: &'static str,
    pub bytes: u64,
    /// Reads the code after the cursor too (fill-in-the-middle).
    pub fim: bool,
}

pub const SMOLLM2: CatalogModel = CatalogModel {
    id: "smollm2",
    name: "SmolLM2 135M",
    blurb: "98 MB, fastest; sees only the code before the cursor",
    file: "SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    bytes: 98_362_432,
    fim: false,
};

pub const QWEN_CODER: CatalogModel = CatalogModel {
    id: "qwen-coder",
    name: "Qwen2.5-Coder 0.5B",
    blurb: "491 MB, a code model that reads both sides of the cursor",
    file: "Qwen2.5-Coder-0.5B-Instruct.gguf",
    sha256: "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    bytes: 491_400_064,
    fim: true,
};

pub const MODELS: [CatalogModel; 2] = [SMOLLM2, QWEN_CODER];

pub fn by_id(id: &str) -> Option<CatalogModel> {
    MODELS.into_iter().find(|m| m.id == id)
}

/// The native model cache: `$HEARTH_MODEL_DIR`, else `~/.cache/hearth/models`.
#[cfg(not(target_family = "wasm"))]
pub fn cache_dir() -> std::path::PathBuf {
    match std::env::var_os("HEARTH_MODEL_DIR") {
        Some(p) => p.into(),
        None => std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/hearth/models"),
    }
}

#[cfg(not(target_family = "wasm"))]
impl CatalogModel {
    /// Where `scripts/fetch-model.sh <id>` puts this model.
    pub fn path(&self) -> std::path::PathBuf {
        cache_dir().join(self.file)
    }
}
