"""The discovery loop measured: search precision, active learning, search latency and recall, embedding
throughput, database size.

    python benchmarks/bench_index.py precision [--db DIR]    # ESC-10, birdnet: precision@10 by example
    python benchmarks/bench_index.py active [--db DIR]       # ESC-10: accuracy vs labels, margin vs random
    python benchmarks/bench_index.py search --sizes 10000,100000,1000000
    python benchmarks/bench_index.py embed --workers 1,2 [--ray] [--long-h 1] [--hop-s S]

ESC-10 is ``../shared/data/esc10`` (10 class folders, 5 s clips, the fold is the file name's first
character). ``precision``: every clip is a query (``Index.search`` on the clip file itself, so the
clip is cut into the index's windows and embedded as a user's example would be) over all windows of
the other clips (``--where path != clip``); a hit counts when its window's clip has the query's class.
``active``: one label per class to start, then rounds of 10 ``suggest`` picks whose labels are revealed
from the folder names, the head (``train``'s logistic head on the window's stored features) scored on
the held-out fold's clips after each round (a clip's class = the class of the mean of its windows'
probabilities). ``search``: synthetic clustered vectors at each size, exact (flat) and approximate
(IVF-SQ, what ``embed`` builds) p50/p99 over 50 queries, recall@10 of the approximate against exact.
``embed``: wall time of ``embed`` (start-up included: workers spawned, models loaded) on the ESC-10
clips and on one long recording made of them (``bench_long_recordings``' file, cut into spans), in 1
or 2 local processes or 2 Ray actors; x real time is the audio covered over the wall time, the median
of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ESC10 = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "esc10"


def _esc_index(db: Path | None) -> tuple[object, Path]:
    from earmark.index import EmbedOptions, Index, embed

    db = db or Path(tempfile.gettempdir()) / "earmark-bench-esc10-birdnet"
    started = time.perf_counter()
    summary = embed([str(ESC10)], db, EmbedOptions(encoder="birdnet"))
    print(
        f"index: {summary.windows} windows ({summary.added} embedded now, {time.perf_counter() - started:.1f} s, "
        f"{summary.audio_s / max(summary.wall_s, 1e-9):.1f}x real time)"
    )
    return Index(db), db


def _class_of(path: str) -> str:
    return Path(path).parent.name


def precision(args: argparse.Namespace) -> None:
    index, _ = _esc_index(args.db)
    clips = sorted({r["path"] for r in index.rows(columns=("path",))})
    scores = []
    for clip in clips:
        quoted = clip.replace("'", "''")
        hits = index.search([clip], top_k=10, where=f"path != '{quoted}'")
        scores.append(sum(_class_of(h.path) == _class_of(clip) for h in hits) / 10)
    print(f"precision@10 (ESC-10, birdnet, {len(clips)} queries, hits by window): {np.mean(scores):.3f}")


def _round_accuracy(index, fold_ids, fold_clip, clip_class, labelled, classes_of) -> float:
    from earmark.index.suggest import fit_head

    x = index.features(labelled)
    head = fit_head(x, [classes_of[i] for i in labelled])
    probs = head.predict_proba(index.features(fold_ids))
    by_clip: dict[str, list[np.ndarray]] = {}
    for wid, p in zip(fold_ids, probs):
        by_clip.setdefault(fold_clip[wid], []).append(p)
    names = list(head.classes_)
    right = [names[int(np.mean(ps, axis=0).argmax())] == clip_class[c] for c, ps in by_clip.items()]
    return float(np.mean(right))


def active(args: argparse.Namespace) -> None:
    from earmark.index import Index
    from earmark.index.labels import Labels
    from earmark.index.suggest import suggest

    _, source = _esc_index(args.db)
    rows = Index(source).rows(columns=("id", "path"))
    truth = {r["id"]: _class_of(r["path"]) for r in rows}
    clip_of = {r["id"]: r["path"] for r in rows}
    budgets = list(range(10, args.max_labels + 1, 10))
    results: dict[str, dict[int, list[float]]] = {}
    for fold in args.folds:
        test = [r["id"] for r in rows if Path(r["path"]).name.startswith(fold)]
        for strategy in ("margin", "random"):
            for seed in range(args.seeds):
                curve = _simulate(source, fold, test, truth, clip_of, strategy, seed, budgets, Index, Labels, suggest)
                for budget, acc in curve.items():
                    results.setdefault(strategy, {}).setdefault(budget, []).append(acc)
                print(f"fold {fold} {strategy} seed {seed}: " + " ".join(f"{b}:{a:.2f}" for b, a in curve.items()))
    print(f"\naccuracy on the held-out fold (mean over folds {','.join(args.folds)} x {args.seeds} seeds)")
    print("labels  " + "  ".join(f"{b:>5d}" for b in budgets))
    for strategy, curve in results.items():
        print(f"{strategy:7s} " + "  ".join(f"{np.mean(curve[b]):5.3f}" for b in budgets))
        reach = next((b for b in budgets if np.mean(curve[b]) >= 0.90), None)
        print(f"  {strategy}: 0.90 reached at {reach if reach else f'> {budgets[-1]}'} labels")


def _simulate(source, fold, test, truth, clip_of, strategy, seed, budgets, Index, Labels, suggest):
    work = Path(tempfile.mkdtemp(prefix="earmark-al-"))
    db = work / "db"
    shutil.copytree(source, db)
    index = Index(db)
    labels = Labels(index)
    quoted = ", ".join(f"'{i}'" for i in test)
    pool_filter = f"id NOT IN ({quoted})"
    rng = np.random.default_rng(seed)
    pool = [i for i in truth if i not in set(test)]
    start = []
    for cls in sorted(set(truth.values())):
        members = [i for i in pool if truth[i] == cls]
        start.append(members[int(rng.integers(len(members)))])
    labels.add([(i, truth[i], True) for i in start], source="simulation")
    labelled = list(start)
    curve = {}
    test_clip = {i: clip_of[i] for i in test}
    clip_class = {clip_of[i]: truth[i] for i in test}
    curve[len(labelled)] = _round_accuracy(index, test, test_clip, clip_class, labelled, truth)
    while len(labelled) < budgets[-1]:
        picks = suggest(index, n=10, strategy=strategy, where=pool_filter, seed=seed * 1000 + len(labelled))
        labels.add([(p.id, truth[p.id], True) for p in picks], source="simulation")
        labelled += [p.id for p in picks]
        if len(labelled) in budgets:
            curve[len(labelled)] = _round_accuracy(index, test, test_clip, clip_class, labelled, truth)
    shutil.rmtree(work)
    return curve


def _synthetic(n: int, dim: int, seed: int, centres: np.ndarray) -> np.ndarray:
    r = np.random.default_rng(seed)
    c = r.integers(0, len(centres), n)
    return (centres[c] + r.normal(scale=1.0, size=(n, dim))).astype(np.float32)


def search(args: argparse.Namespace) -> None:
    from earmark.index import Index, IndexSettings

    dim = args.dim
    centres = np.random.default_rng(0).normal(size=(2000, dim)).astype(np.float32)
    queries = _synthetic(args.queries, dim, 999_999, centres)
    print(
        f"{'windows':>9s} {'exact p50':>10s} {'p99':>7s} {'ann p50':>8s} {'p99':>7s} {'recall@10':>9s} {'build s':>8s}"
    )
    for size in args.sizes:
        work = Path(tempfile.mkdtemp(prefix="earmark-search-"))
        index = Index.create(work / "db", IndexSettings("synthetic", 3.0, 1.5, dim, 48000, std=False))
        for start in range(0, size, 50_000):
            block = _synthetic(min(50_000, size - start), dim, start, centres)
            index.add(
                [
                    {"id": f"w{start + j}", "path": f"f{(start + j) // 100}", "start_s": 0.0, "end_s": 3.0, "vector": v}
                    for j, v in enumerate(block)
                ],
                batch=1,
            )
        exact = [_timed(lambda q=q: index.nearest(q, top_k=10, exact=True)) for q in queries]
        started = time.perf_counter()
        index.build_ann(force=True)
        build = time.perf_counter() - started
        ann = [_timed(lambda q=q: index.nearest(q, top_k=10, exact=False)) for q in queries]
        recall = np.mean([len({h.id for h in a[1]} & {h.id for h in e[1]}) / 10 for a, e in zip(ann, exact)])
        e_ms, a_ms = [t * 1000 for t, _ in exact], [t * 1000 for t, _ in ann]
        print(
            f"{size:9d} {statistics.median(e_ms):8.1f}ms {np.percentile(e_ms, 99):5.1f}ms "
            f"{statistics.median(a_ms):6.1f}ms "
            f"{np.percentile(a_ms, 99):5.1f}ms {recall:9.3f} {build:8.1f}",
            flush=True,
        )
        shutil.rmtree(work)


def _timed(call):
    started = time.perf_counter()
    out = call()
    return time.perf_counter() - started, out


def embed_speed(args: argparse.Namespace) -> None:
    from earmark.index import EmbedOptions, embed

    corpora = [] if args.no_clips else [("ESC-10 clips", [str(ESC10)])]
    if args.long_h:
        from bench_long_recordings import recording  # the same long recording of real clips

        corpora.append((f"one {args.long_h:g} h file", [str(recording(args.long_h * 3600))]))
    print(f"{'corpus':>14s} {'run':>14s} {'windows':>8s} {'wall s':>7s} {'windows/s':>10s} {'x real time':>12s}")
    for name, data in corpora:
        for run in args.workers + (["ray"] if args.ray else []):
            walls, summary = [], None
            for _ in range(args.repeats):
                work = Path(tempfile.mkdtemp(prefix="earmark-embed-"))
                ray = run == "ray"
                options = EmbedOptions(encoder=args.encoder, hop_s=args.hop_s, workers=2 if ray else int(run), ray=ray)
                summary = embed(data, work / "db", options)
                walls.append(summary.wall_s)
                size = sum(f.stat().st_size for f in (work / "db").rglob("*") if f.is_file())
                shutil.rmtree(work)
            wall = statistics.median(walls)
            print(
                f"{name:>14s} {('workers=' + str(run)) if run != 'ray' else 'ray (2 actors)':>14s} {summary.added:8d} "
                f"{wall:7.1f} {summary.added / wall:10.1f} {summary.audio_s / wall:11.1f}x   db {size / 1e6:.1f} MB = "
                f"{size / 1e6 / (summary.audio_s / 3600):.1f} MB per hour of audio",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("precision")
    p.add_argument("--db", type=Path)
    a = sub.add_parser("active")
    a.add_argument("--db", type=Path)
    a.add_argument("--folds", type=lambda s: s.split(","), default=["1", "2", "3", "4"])
    a.add_argument("--seeds", type=int, default=3)
    a.add_argument("--max-labels", type=int, default=120)
    s = sub.add_parser("search")
    s.add_argument("--sizes", type=lambda t: [int(x) for x in t.split(",")], default=[10_000, 100_000, 1_000_000])
    s.add_argument("--dim", type=int, default=1024)
    s.add_argument("--queries", type=int, default=50)
    e = sub.add_parser("embed")
    e.add_argument("--encoder", default="birdnet")
    e.add_argument("--workers", type=lambda t: t.split(","), default=["1", "2"])
    e.add_argument("--ray", action="store_true")
    e.add_argument("--repeats", type=int, default=3)
    e.add_argument("--hop-s", type=float, help="default: the index's (half the window)")
    e.add_argument("--long-h", type=float, default=1.0, help="also one recording this long (0: clips only)")
    e.add_argument("--no-clips", action="store_true", help="only the long recording")
    args = parser.parse_args()
    if not ESC10.is_dir() and args.what in ("precision", "active", "embed"):
        sys.exit(f"{ESC10} is not here (the shared data)")
    {"precision": precision, "active": active, "search": search, "embed": embed_speed}[args.what](args)


if __name__ == "__main__":
    main()
