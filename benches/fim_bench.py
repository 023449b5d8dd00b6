#!/usr/bin/env python3
"""Fill-in-the-middle quality: HumanEval single-line and multi-line infilling, pass@1 and exact match.

Each problem is a HumanEval function with one span (one line, or several whole lines) cut out:
`prompt` is the text before it, `suffix` the text after it, `canonical_solution` the span. A
completion is scored by running `prompt + completion + suffix + test + check(entry_point)` (the
check of openai/human-eval-infilling) in a fresh python3 with a 10 s limit: pass = exit code 0.

The cursor is placed as an editor has it: on an empty line, so the text after it is "\n" + suffix
(the dataset's span ends with its own newline) and the suggestion is the span without it. All
decoding is greedy; every configuration sees the same problems (benches/data/, a fixed subset):

  hearth-fim       hearth, Qwen2.5-Coder 0.5B, prefix + suffix    (`hearth complete --requests`)
  hearth-prefix    hearth, Qwen2.5-Coder 0.5B, prefix only
  hearth-prefix    hearth, SmolLM2 135M, prefix only
  llamacpp-*       the same three through llama-cpp-python on the same GGUF files
  empty, canonical  calibration: the empty middle, the dataset's own span (should be 100%), and
  canonical-cut    that span through the stop rules below (the ceiling they leave a perfect model)

Suggestions end where hearth's runtime ends them: `mode: line` for single-line, `mode: block` +
`language: python` for multi-line; for llama.cpp the same rules are applied here (line_cut,
block_cut), and a suggestion that only repeats the suffix's next line is dropped, as hearth does.

Layout lever (`--layout`), FIM configurations only: `plain` sends the prefix as is (ending in
"\n"); `trim-newline` drops the prefix's last newline and any indentation after it, so the model
writes the newline and indentation itself. For llama.cpp this script trims the prefix; hearth does
it in its runtime (`open_line`, on by default; `"open_line": false` is `plain`) and returns the
suggestion at the cursor, so hearth always gets the cursor's real prefix. Scoring always
assembles the original program.

Mid-line (`--typed`, single-line set, hearth only): the cursor is inside the line, after about
half of it (at a word boundary) has been typed; the suggestion is the rest of the line. Layout
`line-in-middle` (opt-in in hearth, `line_in_middle`: it scores lower) puts the typed line after
<|fim_middle|>
(so the prefix and the suffix stay cached while typing along it); `plain` ends the prefix with it.

Suffix lever (`--suffix-lines N`, hearth FIM): the text after the cursor cut to the rest of its line
and N more, what the app sends when the engine's prefill rate is slow (www/context.js `suffixChars`).

Usage: python3 benches/fim_bench.py [--set single|multi|both] [--limit N] [--out results.json]
"""
import argparse, json, os, re, statistics, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
SETS = {"single": "humaneval_single_line_200.jsonl", "multi": "humaneval_multi_line_100.jsonl"}
MODELS = {"qwen": "Qwen2.5-Coder-0.5B-Instruct.gguf", "smollm2": "SmolLM2-135M-Instruct.Q4_1.gguf"}
QWEN_STOP_IDS = {151643, 151645, 151662, 151663, 151664}  # endoftext, im_end, fim_pad, repo_name, file_sep


def load_set(name, limit, typed=False):
    with open(os.path.join(HERE, "data", SETS[name])) as f:
        probs = [json.loads(l) for l in f if l.strip()]
    probs = probs[:limit] if limit else probs
    return [typed_half(p) for p in probs] if typed else probs


def typed_half(prob):
    """The problem with the cursor mid-line: about half of the line's text (cut after a space or
    bracket, at least one character) moved into the prompt; the rest is the span to write."""
    line = prob["canonical_solution"].rstrip("\n")
    ind = len(line) - len(line.lstrip())
    half = ind + max(1, (len(line) - ind) // 2)
    cuts = [i + 1 for i in range(ind, half) if line[i] in " ([.,="]
    at = cuts[-1] if cuts else half
    return dict(prob, prompt=prob["prompt"] + line[:at], canonical_solution=line[at:] + "\n")


# ---- the cursor: what is sent, and how a suggestion is put back into the program ------------

def cursor(prob, layout, raw_suffix):
    """(prefix sent, the part of the prompt not sent, suffix sent)."""
    prefix = prob["prompt"]
    dropped = ""
    if layout == "trim-newline":
        m = re.search(r"\n[ \t]*$", prefix)
        if m:
            prefix, dropped = prefix[:m.start()], prefix[m.start():]
    return prefix, dropped, prob["suffix"] if raw_suffix else "\n" + prob["suffix"]


def assemble(prob, layout, text):
    """(span, program): the suggestion as the original layout's span (None: not one, e.g. it
    went on writing the line before the cursor), and the program human-eval-infilling runs:
    prefix sent + suggestion + "\n" + suffix + test + check; a blank suggestion is the empty span."""
    sent, dropped, _ = cursor(prob, layout, False)
    body = text.rstrip()
    if not body.strip():
        span, head = "", prob["prompt"]
    else:
        span, head = body, sent + body + "\n"
        if dropped:  # trim-newline: the suggestion should re-create "\n" + indentation itself
            span = body[1:] if body.startswith("\n") else None
    return span, head + prob["suffix"] + "\n" + prob["test"] + f"\ncheck({prob['entry_point']})\n"


def exact(prob, span, multi):
    if span is None:
        return False
    want = prob["canonical_solution"]
    if not multi:
        return span.strip() == want.strip()
    lines = lambda s: [l.strip() for l in s.split("\n") if l.strip()]
    return lines(span) == lines(want)


# ---- hearth's stop rules, mirrored for llama.cpp (src/stop.rs) --------------------------------

def indent(line):
    return len(line) - len(line.lstrip())


def line_cut(text):
    nl = text.find("\n")
    return (text, False) if nl < 0 else (text[:nl], True)


def block_cut(text, before, after):
    """Python `block` mode: a later non-blank line indented at or below the block's base ends it."""
    if after.split("\n")[0].strip():  # mid-line: this line only
        return line_cut(text)
    lines = before.split("\n")
    current = lines[-1]
    header = next((l for l in reversed(lines) if l.strip()), None)
    if header is None:
        base = 0
    elif header.rstrip().endswith(":"):
        base = indent(header)
    else:
        base = max(indent(header), indent(current)) - 1
    at = 0
    for i, l in enumerate(text.split("\n")):
        if i > 0 and l.strip() and indent(l) <= base:
            return text[:at].rstrip(), True
        at += len(l) + 1
    return text, False


def repeats_suffix(text, after):
    first = next((l.strip() for l in text.split("\n") if l.strip()), "")
    nxt = next((l.strip() for l in after.split("\n") if l.strip()), None)
    return bool(first) and first == nxt


def apply_rules(text, multi, before, after, dropped, final=False):
    """(suggestion, done) for the text generated so far (`final`: generation has ended). In
    trim-newline layout a leading "\n"+indent re-creates the dropped part of the prompt: the
    rules apply to what follows it, as in `plain`."""
    lead = ""
    if dropped and text.startswith("\n"):
        lead = re.match(r"\n[ \t]*", text).group(0)
        before, text = before + lead, text[len(lead):]
    if multi == "free":
        done = False
    else:
        text, done = block_cut(text, before, after) if multi else line_cut(text)
    if after and (done or final or "\n" in text) and repeats_suffix(text, after):
        return "", True
    return lead + text, done


# ---- runners ----------------------------------------------------------------------------------

def run_hearth(args, model, probs, multi, layout, fim):
    """One `hearth complete --requests` over all problems: {task_id: (text, latency_ms, info)}.
    The layout is the runtime's (`open_line`): the text comes back at the cursor."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for p in probs:
            prefix, _, suffix = cursor(p, "plain", args.raw_suffix)
            req = {"id": p["task_id"], "prompt": prefix, "max_tokens": args.max_tokens[multi],
                   "temperature": 0, "mode": args.multi_mode if multi else "line",
                   "open_line": layout == "trim-newline", "line_in_middle": layout == "line-in-middle"}
            if multi:
                req["language"] = "python"
            if fim:
                if args.suffix_lines is not None:  # the app's window at a slow prefill rate
                    suffix = "\n".join(suffix.split("\n")[:args.suffix_lines + 1]) + "\n"
                req["suffix"] = suffix
            f.write(json.dumps(req) + "\n")
    cmd = [args.hearth, "complete", "--model", model, "--backend", args.backend, "--requests", f.name]
    if args.hearth_threads:
        cmd += ["--threads", str(args.hearth_threads)]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    os.unlink(f.name)
    res = {}
    for line in out.stdout.splitlines():
        r = json.loads(line)
        if "error" in r:
            res[r["id"]] = ("", None, {"error": r["error"]})
        else:
            t = r["timings"]
            res[r["id"]] = (r["text"], t["prefill_ms"] + t["decode_ms"],
                            {"fim": r["fim"], "stop_reason": r["stop_reason"], "timings": t})
    if out.returncode != 0 or len(res) != len(probs):
        sys.exit(f"hearth failed (exit {out.returncode}, {len(res)}/{len(probs)} results): {' '.join(cmd)}")
    return res


class LlamaCpp:
    def __init__(self, path, threads):
        from llama_cpp import Llama
        self.llm = Llama(model_path=path, n_ctx=4096, n_batch=512, n_threads=threads,
                         n_threads_batch=threads, verbose=False)
        eos = self.llm.token_eos()
        self.stop_ids = (QWEN_STOP_IDS if "qwen" in path.lower() else set()) | {eos}

    def tok(self, s, special=False, bos=False):
        return self.llm.tokenize(s.encode(), add_bos=bos, special=special)

    def complete(self, prefix, suffix, max_tokens, rules):
        if suffix is None:
            ids = self.tok(prefix, bos=True)
        else:
            ids = (self.tok("<|fim_prefix|>", special=True) + self.tok(prefix)
                   + self.tok("<|fim_suffix|>", special=True) + self.tok(suffix)
                   + self.tok("<|fim_middle|>", special=True))
        out = []
        for t in self.llm.generate(ids, temp=0.0, top_k=1, top_p=1.0, min_p=0.0, repeat_penalty=1.0):
            if t in self.stop_ids:
                break
            out.append(t)
            text, done = rules(self.llm.detokenize(out).decode("utf-8", errors="ignore"), False)
            if done:
                return text
            if len(out) >= max_tokens:
                break
        return rules(self.llm.detokenize(out).decode("utf-8", errors="ignore"), True)[0]


def run_llamacpp(args, engine, probs, multi, layout, fim):
    res = {}
    for p in probs:
        prefix, dropped, suffix = cursor(p, layout, args.raw_suffix)
        after = suffix if fim else ""
        rules = lambda s, final: apply_rules(s, multi and args.multi_mode, prefix, after, dropped, final)
        t0 = time.perf_counter()
        text = engine.complete(prefix, suffix if fim else None, args.max_tokens[multi], rules)
        res[p["task_id"]] = (text, (time.perf_counter() - t0) * 1e3, {})
    return res


def calibration(args, prob, config, multi):
    """The empty span; the dataset's span; the dataset's span then EOS, through the stop rules
    (what a perfect FIM model gets: block mode cuts spans that leave the cursor's block)."""
    if config == "empty":
        return ""
    if config == "canonical":
        return prob["canonical_solution"]
    prefix, _, suffix = cursor(prob, "plain", args.raw_suffix)
    text = prob["canonical_solution"]
    for i in range(1, len(text) + 1):  # as if streamed one character a token
        cut, done = apply_rules(text[:i], multi and args.multi_mode, prefix, suffix, "")
        if done:
            return cut
    return apply_rules(text, multi and args.multi_mode, prefix, suffix, "", True)[0]


# ---- scoring ----------------------------------------------------------------------------------

def passes(src, timeout=10.0):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "check.py")
        with open(path, "w") as f:
            f.write(src)
        try:
            r = subprocess.run([sys.executable, path], cwd=d, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout)
            return r.returncode == 0
        except subprocess.TimeoutExpired:
            return False


def score(args, row, probs, multi, results, pool):
    """Per-problem records for one configuration, and its summary row."""
    recs = []
    at_cursor = row["config"].startswith("hearth")  # hearth's runtime returns the text at the cursor
    for p in probs:
        text, ms, info = results[p["task_id"]]
        span, src = assemble(p, "plain" if at_cursor else row["layout"], text)
        recs.append(dict(row, task_id=p["task_id"], text=text, exact=exact(p, span, multi),
                         latency_ms=ms, src=src, **info))
    for r, ok in zip(recs, pool.map(passes, [r.pop("src") for r in recs])):
        r["passed"] = ok
    n = len(recs)
    lat = [r["latency_ms"] for r in recs if r["latency_ms"] is not None]
    summary = dict(row, n=n, exact_pct=100.0 * sum(r["exact"] for r in recs) / n,
                   pass_pct=100.0 * sum(r["passed"] for r in recs) / n,
                   median_ms=statistics.median(lat) if lat else None)
    print(f"  {row['config']:<16} {row['model']:<8} {row['layout']:<13} {row['set']:<6} "
          f"pass@1 {summary['pass_pct']:5.1f}%  exact {summary['exact_pct']:5.1f}%", file=sys.stderr)
    return summary, recs


def main():
    target = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/hearth/target"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hearth", default=os.path.join(target, "release", "hearth"))
    ap.add_argument("--models-dir", default=os.path.expanduser("~/.cache/hearth/models"))
    ap.add_argument("--limit", type=int, default=0, help="first N problems of each set")
    ap.add_argument("--set", choices=["single", "multi", "both"], default="both")
    ap.add_argument("--layout", choices=["plain", "trim-newline", "line-in-middle", "both"], default="both")
    ap.add_argument("--typed", action="store_true", help="single-line set with the cursor mid-line (see above)")
    ap.add_argument("--backend", choices=["cpu", "gpu"], default="cpu")
    ap.add_argument("--max-tokens", type=int, help="default 64 single-line, 256 multi-line")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="llama.cpp threads")
    ap.add_argument("--hearth-threads", type=int, default=0, help="hearth CPU threads (default: its own)")
    ap.add_argument("--configs", default="", help="comma-separated subset of config names (e.g. hearth-fim,llamacpp-fim)")
    ap.add_argument("--models", default="qwen,smollm2", help="models for the prefix-only configs")
    ap.add_argument("--skip-hearth", action="store_true")
    ap.add_argument("--skip-llamacpp", action="store_true")
    ap.add_argument("--multi-mode", choices=["block", "free"], default="block",
                    help="hearth stop mode for multi-line (free: only EOS / max tokens end it)")
    ap.add_argument("--raw-suffix", action="store_true",
                    help="send the dataset's suffix as is (cursor at the start of the next line)")
    ap.add_argument("--suffix-lines", type=int, help="hearth FIM: only the rest of the cursor's line and this many more "
                    "(www/context.js at a slow engine's prefill rate keeps 1)")
    ap.add_argument("--out", default="fim_results.json")
    args = ap.parse_args()
    args.max_tokens = {False: args.max_tokens or 64, True: args.max_tokens or 256}
    sets = ["single", "multi"] if args.set == "both" else [args.set]
    layouts = ["plain", "trim-newline"] if args.layout == "both" else [args.layout]
    if args.typed:
        layouts = ["plain", "line-in-middle"] if args.layout == "both" else layouts
        if args.set != "single" or not args.skip_llamacpp:
            sys.exit("--typed: single-line set, hearth only (--set single --skip-llamacpp)")
    models = {k: os.path.join(args.models_dir, v) for k, v in MODELS.items()}

    # (runner, config, model, fim, layouts)
    plan = [(None, c, "-", False, ["plain"]) for c in ("empty", "canonical", "canonical-cut")]
    for runner in [r for r, skip in (("hearth", args.skip_hearth), ("llamacpp", args.skip_llamacpp)) if not skip]:
        plan += [(runner, f"{runner}-fim", "qwen", True, layouts), (runner, f"{runner}-prefix", "qwen", False, ["plain"]),
                 (runner, f"{runner}-prefix", "smollm2", False, ["plain"])]
    keep = set(filter(None, args.configs.split(",")))
    wanted_models = set(args.models.split(","))
    plan = [t for t in plan if (not keep or t[1] in keep) and (t[2] == "-" or t[2] in wanted_models)]
    if not args.skip_hearth and not os.access(args.hearth, os.X_OK):
        sys.exit(f"no hearth binary at {args.hearth} (cargo build --release, or --hearth PATH, or --skip-hearth)")

    summaries, records, engines = [], [], {}
    with ThreadPoolExecutor(2) as pool:
        for runner, config, model, fim, lays in plan:
            for set_name in sets:
                probs, multi = load_set(set_name, args.limit, args.typed), set_name == "multi"
                for layout in lays:
                    row = dict(config=config, model=model, layout=layout, set=set_name)
                    if runner == "hearth" and fim and args.suffix_lines is not None:
                        row["layout"] += f" +{args.suffix_lines} suffix line(s)"
                    if runner is None:
                        results = {p["task_id"]: (calibration(args, p, config, multi), None, {}) for p in probs}
                    elif runner == "hearth":
                        results = run_hearth(args, models[model], probs, multi, layout, fim)
                    else:
                        if model not in engines:
                            engines[model] = LlamaCpp(models[model], args.threads)
                        results = run_llamacpp(args, engines[model], probs, multi, layout, fim)
                    s, recs = score(args, row, probs, multi, results, pool)
                    summaries.append(s)
                    records += recs

    print("| config | model | layout | set | n | exact match % | pass@1 % | median latency ms |")
    print("|---|---|---|---|---:|---:|---:|---:|")
    for s in summaries:
        ms = "-" if s["median_ms"] is None else f"{s['median_ms']:.0f}"
        print(f"| {s['config']} | {s['model']} | {s['layout']} | {s['set']} | {s['n']} | "
              f"{s['exact_pct']:.1f} | {s['pass_pct']:.1f} | {ms} |")
    meta = {"backend": args.backend, "max_tokens": {"single": args.max_tokens[False], "multi": args.max_tokens[True]},
            "raw_suffix": args.raw_suffix, "multi_mode": args.multi_mode, "limit": args.limit, "hearth": None if args.skip_hearth else args.hearth}
    with open(args.out, "w") as f:
        json.dump({"meta": meta, "summary": summaries, "problems": records}, f, indent=1)


if __name__ == "__main__":
    main()
