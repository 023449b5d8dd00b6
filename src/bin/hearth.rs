//! hearth's native CLI: `hearth complete --model PATH --prompt TEXT [--json]`.
//! (Native only: on wasm32 the binary is empty; the browser uses `hearth::web`.)

#[cfg(target_family = "wasm")]
fn main() {}

#[cfg(not(target_family = "wasm"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(not(target_family = "wasm"))]
mod cli {
    use hearth::engine::{default_model_path, CompletionRequest, Engine, DEFAULT_CONTEXT};
    use hearth::sampler::SamplerConfig;
    use hearth::HearthError;
    use std::io::Write;
    use std::path::PathBuf;
    use std::process::ExitCode;

    const USAGE: &str = "usage: hearth complete [--model PATH] --prompt TEXT [--max-tokens N] [--temperature T]
                           [--top-k K] [--top-p P] [--repeat-penalty R] [--seed S] [--stop TEXT]...
                           [--ctx N] [--ignore-eos] [--json]
      --model defaults to $HEARTH_MODEL, then ~/.cache/hearth/models/SmolLM2-135M-Instruct.Q4_1.gguf
      (fetch it with `make model`). Without --json the completion streams to stdout.";

    struct Args {
        model: PathBuf,
        request: CompletionRequest,
        context: usize,
        json: bool,
    }

    fn parse(mut argv: impl Iterator<Item = String>) -> Result<Args, String> {
        match argv.next().as_deref() {
            Some("complete") => {}
            Some(other) => return Err(format!("unknown command '{other}'")),
            None => return Err("missing command".into()),
        }
        let mut a = Args {
            model: default_model_path(),
            request: CompletionRequest { prompt: String::new(), max_tokens: 64, sampler: SamplerConfig::default(), stop: Vec::new(), ignore_eos: false },
            context: DEFAULT_CONTEXT,
            json: false,
        };
        let mut prompt = None;
        while let Some(flag) = argv.next() {
            let mut value = |name: &str| argv.next().ok_or_else(|| format!("{name} needs a value"));
            fn num<T: std::str::FromStr>(flag: &str, v: String) -> Result<T, String> {
                v.parse().map_err(|_| format!("{flag}: '{v}' is not a valid number"))
            }
            match flag.as_str() {
                "--model" => a.model = PathBuf::from(value(&flag)?),
                "--prompt" => prompt = Some(value(&flag)?),
                "--max-tokens" => a.request.max_tokens = num(&flag, value(&flag)?)?,
                "--temperature" => a.request.sampler.temperature = num(&flag, value(&flag)?)?,
                "--top-k" => a.request.sampler.top_k = num(&flag, value(&flag)?)?,
                "--top-p" => a.request.sampler.top_p = num(&flag, value(&flag)?)?,
                "--repeat-penalty" => a.request.sampler.repeat_penalty = num(&flag, value(&flag)?)?,
                "--seed" => a.request.sampler.seed = num(&flag, value(&flag)?)?,
                "--stop" => a.request.stop.push(value(&flag)?),
                "--ctx" => a.context = num(&flag, value(&flag)?)?,
                "--ignore-eos" => a.request.ignore_eos = true,
                "--json" => a.json = true,
                "-h" | "--help" => return Err(String::new()),
                other => return Err(format!("unknown option '{other}'")),
            }
        }
        a.request.prompt = prompt.ok_or("--prompt is required")?;
        Ok(a)
    }

    fn run(args: Args) -> Result<(), HearthError> {
        if !args.model.is_file() {
            return Err(HearthError::Io(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("model file {} not found (run `make model` to fetch the default model)", args.model.display()),
            )));
        }
        let mut engine = Engine::load_file(&args.model, args.context)?;
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
            let obj = serde_json::json!({
                "prompt_ids": c.prompt_ids,
                "generated_ids": c.generated_ids,
                "text": c.text,
                "stop_reason": c.stop_reason.as_str(),
                "timings": {
                    "prefill_tokens": t.prefill_tokens,
                    "prefill_ms": t.prefill.as_secs_f64() * 1e3,
                    "decode_tokens": t.decode_tokens,
                    "decode_ms": t.decode.as_secs_f64() * 1e3,
                },
                "adapter": engine.adapter,
            });
            println!("{obj}");
        } else {
            println!();
            eprintln!(
                "[{} | prefill {} tok in {:.0} ms | decode {} tok in {:.0} ms ({:.1} tok/s) | stop: {}]",
                engine.adapter,
                t.prefill_tokens,
                t.prefill.as_secs_f64() * 1e3,
                t.decode_tokens,
                t.decode.as_secs_f64() * 1e3,
                t.decode_tokens as f64 / t.decode.as_secs_f64().max(1e-9),
                c.stop_reason.as_str()
            );
        }
        Ok(())
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
