//! hearth's native CLI: `hearth complete --model PATH|ID --prompt TEXT [--suffix TEXT] [--json]`,
//! or a batch over one loaded model: `hearth complete --requests FILE.jsonl` (one JSON result a line).
//! (Native only: on wasm32 the binary is empty; the browser uses `hearth::web`.)

#[cfg(target_family = "wasm")]
fn main() {}

#[cfg(not(target_family = "wasm"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(not(target_family = "wasm"))]
mod cli {
    use hearth::cpu::{CpuOptions, Numerics};
    use hearth::engine::{default_model_path, Completion, CompletionRequest, Engine, DEFAULT_CONTEXT};
    use hearth::stop::StopMode;
    use hearth::HearthError;
    use hearth::request::RequestFields;
    use std::io::{BufRead, Write};
    use std::path::PathBuf;
    use std::process::ExitCode;

    const USAGE: &str = "usage: hearth complete [--model PATH|ID] [--backend gpu|cpu] [--threads N] [--numerics int8|exact] (--prompt TEXT [--suffix TEXT] | --requests FILE.jsonl)
                           [--max-tokens N] [--temperature T] [--top-k K] [--top-p P] [--repeat-penalty R]
                           [--seed S] [--stop TEXT]... [--mode line|block|free] [--language LANG]
                           [--max-prefix-tokens N] [--max-suffix-tokens N]
                           [--ctx N] [--ignore-eos] [--no-open-line] [--line-in-middle] [--no-fim] [--no-speculative] [--deadline-ms MS] [--json]
      --model: a GGUF path or a catalog id (smollm2, qwen-coder: `scripts/fetch-model.sh ID` fetches it);
      defaults to $HEARTH_MODEL, then smollm2 (`make model`).
      --threads, --numerics: the CPU backend's threads (default: the cores, minus one above two)
      and arithmetic (int8: 8-bit activations as llama.cpp computes, the default; exact: f32).
      --prompt is the text before the cursor, --suffix the text after it (fill-in-the-middle on a
      model with FIM tokens; prefix-only otherwise, and the JSON says \"fim\": false).
      With the cursor at a line's start the model writes that line's newline and indentation
      itself (the suggestion is still what to insert); --no-open-line sends the prefix as it is.
      Mid-line the typed part of the line ends the prefix; --line-in-middle starts the middle with it
      instead, so typing along a line keeps the suffix cached (faster, but it scores lower).
      --no-fim: the prompt is the text before the cursor alone; --suffix only ends the suggestion.
      --no-speculative: no drafts from the context on the CPU backend (the same ids, one pass a token).
      --requests: load the model once and answer one JSON request a line ({\"prompt\", \"suffix\",
      \"max_tokens\", \"temperature\", \"stop\", ... as the flags, plus an \"id\" echoed back}),
      one JSON result a line on stdout. Without --json a single completion streams to stdout.";

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum BackendChoice {
        Gpu,
        Cpu,
    }

    struct Args {
        model: PathBuf,
        backend: BackendChoice,
        cpu: CpuOptions,
        request: CompletionRequest,
        requests: Option<PathBuf>,
        context: usize,
        json: bool,
        speculative: bool,
    }

    /// A catalog id names the cached file; anything else is a path.
    fn model_path(v: String) -> PathBuf {
        match hearth::catalog::by_id(&v) {
            Some(m) => m.path(),
            None => PathBuf::from(v),
        }
    }

    fn parse(mut argv: impl Iterator<Item = String>) -> Result<Args, String> {
        match argv.next().as_deref() {
            Some("complete") => {}
            Some(other) => return Err(format!("unknown command '{other}'")),
            None => return Err("missing command".into()),
        }
        let mut a = Args {
            model: default_model_path(),
            backend: BackendChoice::Gpu,
            cpu: CpuOptions::default(),
            request: CompletionRequest::new(""),
            requests: None,
            context: DEFAULT_CONTEXT,
            speculative: true,
            json: false,
        };
        let mut prompt = None;
        while let Some(flag) = argv.next() {
            let mut value = |name: &str| argv.next().ok_or_else(|| format!("{name} needs a value"));
            fn num<T: std::str::FromStr>(flag: &str, v: String) -> Result<T, String> {
                v.parse().map_err(|_| format!("{flag}: '{v}' is not a valid number"))
            }
            match flag.as_str() {
                "--model" => a.model = model_path(value(&flag)?),
                "--prompt" => prompt = Some(value(&flag)?),
                "--suffix" => a.request.suffix = Some(value(&flag)?),
                "--requests" => a.requests = Some(PathBuf::from(value(&flag)?)),
                "--backend" => {
                    a.backend = match value(&flag)?.as_str() {
                        "gpu" => BackendChoice::Gpu,
                        "cpu" => BackendChoice::Cpu,
                        other => return Err(format!("--backend: '{other}' is not gpu or cpu")),
                    }
                }
                "--threads" => a.cpu.threads = num(&flag, value(&flag)?)?,
                "--numerics" => {
                    a.cpu.numerics = match value(&flag)?.as_str() {
                        "int8" => Numerics::Int8,
                        "exact" => Numerics::Exact,
                        other => return Err(format!("--numerics: '{other}' is not int8 or exact")),
                    }
                }
                "--mode" => {
                    let v = value(&flag)?;
                    a.request.mode = StopMode::parse(&v).ok_or_else(|| format!("--mode: '{v}' is not line, block or free"))?;
                }
                "--language" => a.request.language = Some(value(&flag)?),
                "--max-prefix-tokens" => a.request.max_prefix_tokens = num(&flag, value(&flag)?)?,
                "--max-suffix-tokens" => a.request.max_suffix_tokens = num(&flag, value(&flag)?)?,
                "--max-tokens" => a.request.max_tokens = num(&flag, value(&flag)?)?,
                "--temperature" => a.request.sampler.temperature = num(&flag, value(&flag)?)?,
                "--top-k" => a.request.sampler.top_k = num(&flag, value(&flag)?)?,
                "--top-p" => a.request.sampler.top_p = num(&flag, value(&flag)?)?,
                "--repeat-penalty" => a.request.sampler.repeat_penalty = num(&flag, value(&flag)?)?,
                "--seed" => a.request.sampler.seed = num(&flag, value(&flag)?)?,
                "--stop" => a.request.stop.push(value(&flag)?),
                "--ctx" => a.context = num(&flag, value(&flag)?)?,
                "--ignore-eos" => a.request.ignore_eos = true,
                "--no-open-line" => a.request.open_line = false,
                "--line-in-middle" => a.request.line_in_middle = true,
                "--no-fim" => a.request.fim = false,
                "--no-speculative" => a.speculative = false,
                "--deadline-ms" => a.request.deadline = Some(std::time::Duration::from_millis(num(&flag, value(&flag)?)?)),
                "--json" => a.json = true,
                "-h" | "--help" => return Err(String::new()),
                other => return Err(format!("unknown option '{other}'")),
            }
        }
        match (prompt, &a.requests) {
            (Some(p), None) => a.request.prompt = p,
            (None, Some(_)) => {}
            (Some(_), Some(_)) => return Err("--prompt and --requests exclude each other".into()),
            (None, None) => return Err("--prompt (or --requests) is required".into()),
        }
        Ok(a)
    }

    fn run(args: Args) -> Result<(), HearthError> {
        if !args.model.is_file() {
            return Err(HearthError::Io(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("model file {} not found (`scripts/fetch-model.sh ID` fetches a catalog model; `make model` the default)", args.model.display()),
            )));
        }
        let mut engine = match args.backend {
            BackendChoice::Gpu => Engine::load_file(&args.model, args.context)?,
            BackendChoice::Cpu => Engine::load_cpu_with(std::fs::read(&args.model)?, args.context, args.cpu)?,
        };
        engine.speculative = args.speculative;
        if let Some(path) = &args.requests {
            return batch(&mut engine, &args.request, path);
        }
        let stdout = std::io::stdout();
        let mut on_text = |s: &str| {
            if !args.json {
                let mut out = stdout.lock();
                let _ = out.write_all(s.as_bytes());
                let _ = out.flush();
            }
        };
        let c = engine.complete(&args.request, &mut on_text)?;
        let t = &c.timings;
        if args.json {
            println!("{}", result_json(&engine, &c, None));
        } else {
            println!();
            eprintln!(
                "[{} | reused {} | prefill {} tok in {:.0} ms | decode {} tok in {:.0} ms ({:.1} tok/s) | stop: {}{}]",
                engine.adapter,
                t.reused_tokens,
                t.prefill_tokens,
                t.prefill.as_secs_f64() * 1e3,
                t.decode_tokens,
                t.decode.as_secs_f64() * 1e3,
                t.decode_tokens as f64 / t.decode.as_secs_f64().max(1e-9),
                c.stop_reason.as_str(),
                if args.request.suffix.is_some() && !c.fim { " | model has no FIM: suffix ignored" } else { "" }
            );
        }
        Ok(())
    }

    /// One JSON result per request line; a bad line gets `{"id", "error": {code, message}}` and
    /// the batch goes on.
    fn batch(engine: &mut Engine, base: &CompletionRequest, path: &std::path::Path) -> Result<(), HearthError> {
        let file = std::io::BufReader::new(std::fs::File::open(path)?);
        let mut out = std::io::stdout().lock();
        for line in file.lines() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let obj = match serde_json::from_str::<RequestFields>(&line) {
                Err(e) => error_json(None, &HearthError::InvalidRequest(format!("request line: {e}"))),
                Ok(r) => {
                    let id = r.id.clone();
                    match r.into_request(base).and_then(|req| engine.complete(&req, &mut |_| {})) {
                        Ok(c) => result_json(engine, &c, id),
                        Err(e) => error_json(id, &e),
                    }
                }
            };
            writeln!(out, "{obj}")?;
            out.flush()?;
        }
        Ok(())
    }

    fn result_json(engine: &Engine, c: &Completion, id: Option<serde_json::Value>) -> serde_json::Value {
        let t = &c.timings;
        let mut obj = serde_json::json!({
            "prompt_ids": c.prompt_ids,
            "generated_ids": c.generated_ids,
            "text": c.text,
            "fim": c.fim,
            "stop_reason": c.stop_reason.as_str(),
            "timings": {
                "reused_tokens": t.reused_tokens,
                "prefill_tokens": t.prefill_tokens,
                "prefill_ms": t.prefill.as_secs_f64() * 1e3,
                "decode_tokens": t.decode_tokens,
                "decode_ms": t.decode.as_secs_f64() * 1e3,
                "drafted_tokens": t.drafted_tokens,
                "accepted_tokens": t.accepted_tokens,
            },
            "adapter": engine.adapter,
        });
        if let Some(id) = id {
            obj["id"] = id;
        }
        obj
    }

    fn error_json(id: Option<serde_json::Value>, e: &HearthError) -> serde_json::Value {
        serde_json::json!({ "id": id, "error": { "code": e.code(), "message": e.to_string() } })
    }

    pub fn main() -> ExitCode {
        // Whatever goes wrong deep in a dependency, the user sees one line, not a trace.
        std::panic::set_hook(Box::new(|info| {
            eprintln!("error[internal]: {info}");
        }));
        let args = match parse(std::env::args().skip(1)) {
            Ok(a) => a,
            Err(msg) => {
                if !msg.is_empty() {
                    eprintln!("error: {msg}");
                }
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        };
        match std::panic::catch_unwind(|| run(args)) {
            Ok(Ok(())) => ExitCode::SUCCESS,
            Ok(Err(e)) => {
                eprintln!("error[{}]: {e}", e.code());
                ExitCode::FAILURE
            }
            Err(_) => ExitCode::FAILURE,
        }
    }
}
