"""``make bench``: the speed and memory figures of dispatch on a generated corpus.

Prints, for 1,000 generated sources (2 to 40 KB): the wall time of a cold full build in one
process and on all cores (three rounds of the two in turn, each one-process build followed by
the per-stage figures of 200 of its sources, which time a bare lxml parse and serialize of each
document's XML amid the pipeline's work; the medians of the rounds' ratios are the figures
set against the targets), and CPU time per stage; the
time of a no-op rebuild (the median of five) and of a rebuild after one source changed; the median wall time of ``dispatch check`` on
one source in a fresh process; peak memory at 1,000 and 5,000 sources; and, measured in the
same run, the cost of a bare lxml parse and serialize of the produced XML, with the build's
cost as a ratio to it. It ends with the figures against the speed targets. The run starts
from an empty per-user cache (a temporary ``XDG_CACHE_HOME``), and each cold build has an
empty one of its own, so that a cold build is cold.

``python -m benchmarks.run --stages [N]`` prints only the per-stage figures (N sources, 200 by
default), which take a minute rather than the whole run's quarter of an hour.

``python -m benchmarks.run --profile [N]`` prints the ten functions that cost most (own time,
cProfile) in a cold build of N sources (200 by default) in one process, as ``dispatch build
--jobs 1`` runs it.

``python -m benchmarks.run --collation`` prints only the collation figures (the sample's, and
two generated witnesses of 40 KB), which the whole run prints last.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.synthetic import generate

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".bench"
BIN = Path(sys.executable).parent
JOBS = os.cpu_count() or 1
MEASURE = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
           "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
           "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)")


def measured(*command, env: dict | None = None) -> tuple[float, int]:
    """Wall seconds and peak resident memory (KiB) of a command and all its processes."""
    out = subprocess.run([sys.executable, "-c", MEASURE, *map(str, command)], capture_output=True, text=True,
                         check=True, env=env).stdout.split()
    if out[2] not in ("0", "1"):
        raise SystemExit(f"{command} failed with {out[2]}")
    return float(out[0]), int(out[1])


def corpus(count: int) -> Path:
    folder = WORK / f"corpus-{count}"
    if len(list(folder.glob("*.txt"))) != count:
        shutil.rmtree(folder, ignore_errors=True)
        generate(folder, count)
    return folder


DISCARDED = WORK / "discarded"  # outputs of earlier builds, deleted when the run is over


def set_aside(outputs: Path) -> None:
    """Move ``outputs`` out of the way, to be deleted at the end of the run rather than now. On
    ext4, a file made within a minute or more of many deletions costs the kernel a scan over the
    inodes just freed (``recently_deleted`` in ``find_inode_bit``): deleting a build's 7,000
    files just before the next timed build cost that build ~1 ms of system time a file it
    wrote, a cost of the benchmark's own clean-up rather than of the command it times."""
    import tempfile

    if outputs.exists():
        DISCARDED.mkdir(parents=True, exist_ok=True)
        outputs.rename(Path(tempfile.mkdtemp(dir=DISCARDED)) / outputs.name)


def build(sources: Path, outputs: Path, *extra, jobs: int = JOBS, cold: bool = False) -> tuple[float, int]:
    """Time a build; ``cold``: into an empty ``outputs`` with an empty per-user cache of its own."""
    import tempfile

    env = None
    if cold:
        set_aside(outputs)
        env = dict(os.environ, XDG_CACHE_HOME=tempfile.mkdtemp(prefix="dispatch-bench-cold-"))
    os.sync()  # the files of the commands before (a build's 250 MB) written out first, not during this one
    try:
        return measured(BIN / "dispatch", "build", "--sources", sources, "--outputs", outputs, "--jobs", jobs,
                        "--quiet", *extra, env=env)
    finally:
        if env is not None:
            shutil.rmtree(env["XDG_CACHE_HOME"], ignore_errors=True)


ROUNDS = 3  # rounds of cold builds (one process, all cores)


def lxml_alone(outputs: Path) -> float:
    """CPU seconds per document of lxml parsing and serializing a build's XML in a loop of its
    own, nothing else between: warm caches make it about a quarter faster than the same work
    amid the pipeline's (``stages``, the floor of the targets); printed beside it."""
    from lxml import etree

    documents = [path.read_bytes() for path in sorted((outputs / "xml").glob("*.xml"))]
    t = time.process_time()
    for data in documents:
        etree.tostring(etree.fromstring(data), xml_declaration=True, encoding="UTF-8")
    return (time.process_time() - t) / len(documents)


def stages(sources: list[Path]) -> dict[str, float]:
    """CPU seconds per document of each stage, in this process, one core (CPU time, so that other
    work on the machine does not count)."""
    from lxml import etree

    from pipeline.encode import encode
    from pipeline.normalize import normalize
    from pipeline.parse import parse
    from pipeline.read import read_source
    from pipeline.stages import _site_entry, kept_site_entry
    from pipeline.tei import serialize
    from pipeline.validate import validate
    from pipeline.writers import WRITERS
    from pipeline.writers.html import site_entry
    from pipeline.writers.site import write_site

    from pipeline.writers.walk import read_edition

    totals = dict.fromkeys(["read", "normalize", "parse", "encode", "validate", "serialize", "walk+render",
                            *WRITERS, "html site entry", "html site pages", "lxml parse+serialize"], 0.0)
    alone = dict.fromkeys(WRITERS, 0.0)
    entries = []
    clock = time.process_time
    for path in sources:
        t = clock(); source, _ = read_source(path); totals["read"] += clock() - t
        t = clock(); norm, _ = normalize(source.body, source=source); totals["normalize"] += clock() - t
        t = clock(); parsed = parse(source, norm); totals["parse"] += clock() - t
        t = clock(); encoded = encode(source, norm, parsed); totals["encode"] += clock() - t
        t = clock(); validate(encoded.root, source.path, encoded.origins, source.position); totals["validate"] += clock() - t
        t = clock(); data = serialize(encoded.root); totals["serialize"] += clock() - t
        t = clock(); edition = read_edition(encoded.root, source.id); edition.reading  # noqa: B018
        totals["walk+render"] += clock() - t
        for name, (_, _, writer) in WRITERS.items():
            t = clock(); writer(edition); totals[name] += clock() - t
        # the site's entry, kept beside the outputs as the build keeps it: the page data (its
        # rows rendered) as JSON, the search data as it is
        t = clock()
        page, search = _site_entry(edition)
        kept_site_entry("", None, page, search)
        totals["html site entry"] += clock() - t
        entries.append(site_entry(edition))  # (whole, for the shared pages below)
        # each writer on its own, with a walk (and the renderings it needs) of its own
        for name, (_, _, writer) in WRITERS.items():
            t = clock(); writer(read_edition(encoded.root, source.id)); alone[name] += clock() - t
        t = clock()
        etree.tostring(etree.fromstring(data), xml_declaration=True, encoding="UTF-8")
        totals["lxml parse+serialize"] += clock() - t
    t = clock(); write_site(entries); totals["html site pages"] += clock() - t
    per_document = {name: value / len(sources) for name, value in totals.items()}
    per_document.update({f"{name}, walk included": value / len(sources) for name, value in alone.items()})
    return per_document


def print_stages(per_stage: dict[str, float], count: int) -> float:
    """Print the per-stage figures; return the cost of all stages of one document."""
    summed = [k for k in per_stage if k != "lxml parse+serialize" and not k.endswith("walk included")]
    pipeline_total = sum(per_stage[k] for k in summed)
    bare = per_stage["lxml parse+serialize"]
    print(f"per stage, one core ({count} sources):")
    for name, seconds in per_stage.items():
        rate = 1 / seconds if seconds else float("inf")
        print(f"  {name:28s} {seconds * 1000:8.2f} ms/document   {rate:9.1f} documents/s")
    print(f"  {'all stages, all outputs':28s} {pipeline_total * 1000:8.2f} ms/document   {1 / pipeline_total:9.1f} documents/s")
    print(f"cost / bare lxml parse+serialize:   {pipeline_total / bare:7.1f} x  (in-process, per document)")
    return pipeline_total


def profile(sources: list[Path], top: int = 10) -> None:
    """The functions that cost most in a cold build of ``sources`` in this process."""
    import cProfile
    import pstats
    import tempfile

    from pipeline.commands import run_build

    with tempfile.TemporaryDirectory(dir=WORK) as folder:  # (the disk of the timed builds)
        for source in sources:
            shutil.copy(source, folder)
        profiler = cProfile.Profile()
        profiler.runcall(run_build, Path(folder), Path(folder) / "outputs", jobs=1, quiet=True)
    stats = pstats.Stats(profiler, stream=sys.stdout)
    print(f"cold build of {len(sources)} sources in one process, the {top} functions of most own time:")
    stats.sort_stats("tottime").print_stats(top)


def check_times(source: Path, runs: int = 11) -> list[float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([BIN / "dispatch", "check", source], stdout=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t)
    return times


def collation_pair(size: int = 40_000, seed: int = 1950) -> tuple[str, str]:
    """Two witnesses of about ``size`` bytes: a text of paragraphs, and a version of it with
    paragraphs moved, sentences added, dropped and reworded, and OCR variants."""
    import random

    from benchmarks.synthetic import PEOPLE, PLACES, WORDS

    rng = random.Random(seed)
    vocabulary = WORDS + PLACES + PEOPLE

    def sentence() -> str:
        words = [rng.choice(vocabulary) for _ in range(rng.randint(8, 22))]
        return " ".join(words).capitalize() + "."

    paragraphs: list[list[str]] = []
    while sum(len(" ".join(p)) + 1 for p in paragraphs) < size:
        paragraphs.append([sentence() for _ in range(rng.randint(2, 7))])
    first = "\n".join(" ".join(p) for p in paragraphs)
    second: list[list[str]] = []
    for paragraph in paragraphs:
        changed = []
        for text in paragraph:
            roll = rng.random()
            if roll < 0.08:
                continue  # dropped
            if roll < 0.16:
                changed.append(sentence())  # added
            words = text.split(" ")
            for _ in range(rng.randint(0, 2)):  # reworded, or read differently by OCR
                at = rng.randrange(len(words))
                words[at] = rng.choice(vocabulary) if rng.random() < 0.5 else words[at].replace("l", "1", 1)
            changed.append(" ".join(words))
        second.append(changed or [sentence()])
    for _ in range(3):  # paragraphs moved
        second.insert(rng.randrange(len(second)), second.pop(rng.randrange(len(second))))
    text = "\n".join(" ".join(p) for p in second)
    while len(text.encode()) > size + 1000:
        text = text[: text.rindex("\n")]
    return first, text


def collation() -> None:
    """The collation figures: the sample (its sidecar declares its versions), and two 40 KB witnesses."""
    from pipeline.collate.apparatus import Collation, collate_texts
    from pipeline.collate.sources import collation_outputs
    from pipeline.read import read_source
    from pipeline.stages import process
    from pipeline.writers.collation_json import write_collation_json
    from pipeline.writers.collation_latex import write_collation_latex
    from pipeline.writers.collation_tei import write_collation_tei

    sample = ROOT / "sources" / "stalin-mao-1950-10.txt"
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        result = process(sample)
        source, _ = read_source(sample)
        collation_outputs(result.root, source)
        runs.append(time.perf_counter() - t)
    result = process(sample)
    t = time.perf_counter()
    for _ in range(5):
        collation_outputs(result.root, source)
    alone = (time.perf_counter() - t) / 5
    print(f"collate the sample, 3 witnesses:    {statistics.median(runs):7.3f} s   (read and encode the source, "
          f"align, write TEI, LaTeX, JSON; the collation alone {alone:.3f} s)")
    t = time.perf_counter()
    subprocess.run([BIN / "dispatch", "collate", f"{sample}#1", f"{sample}#2@first", f"{sample}#2"],
                   stdout=subprocess.DEVNULL, check=True)
    print(f"dispatch collate on the sample, fresh process: {time.perf_counter() - t:.3f} s")
    first, second = collation_pair()
    t = time.perf_counter()
    apparatus = collate_texts([first, second])
    aligned = time.perf_counter() - t
    for writer in (write_collation_tei, write_collation_latex, write_collation_json):
        writer(Collation("bench", "bench", [apparatus]))
    total = time.perf_counter() - t
    print(f"collate two witnesses of {len(first.encode()) / 1024:.1f} and {len(second.encode()) / 1024:.1f} KB: "
          f"{total:7.3f} s   (align {aligned:.3f} s; {len(apparatus.apps)} variants, {len(apparatus.moves)} moves)")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--collation"]:
        collation()
        return 0
    WORK.mkdir(exist_ok=True)
    if args[:1] == ["--profile"]:
        profile(sorted(corpus(1000).glob("*.txt"))[: int(args[1]) if len(args) > 1 else 200])
        return 0
    if args[:1] == ["--stages"]:
        count = int(args[1]) if len(args) > 1 else 200
        sources = sorted(corpus(1000).glob("*.txt"))[:count]
        print_stages(stages(sources), len(sources))
        return 0
    print(f"dispatch benchmark: {JOBS} cores, Python {sys.version.split()[0]}")
    # every figure starts from an empty per-user cache (compiled patterns, parsed data files,
    # data-file verdicts, near misses): the cold builds are cold, and the later commands find
    # what the earlier ones of the run left, as a user's would
    import tempfile

    os.environ.pop("DISPATCH_NO_CACHE", None)
    os.environ["XDG_CACHE_HOME"] = cache = tempfile.mkdtemp(prefix="dispatch-bench-cache-")
    try:
        return run_all()
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(DISCARDED, ignore_errors=True)  # (with what a run that was stopped left)


def run_all() -> int:
    small = corpus(1000)
    generate(small, 1)  # the source an earlier run changed, as generated
    sizes = [p.stat().st_size for p in small.glob("*.txt")]
    print(f"corpus: {len(sizes)} sources, {sum(sizes) / 1e6:.1f} MB, {min(sizes) / 1024:.1f} to {max(sizes) / 1024:.1f} KB")
    # the cold builds in rounds, one process then all cores, each one-process build followed by
    # the per-stage figures of 200 of its sources (with the lxml floor, timed as the issue's
    # in-process figure times it): the speed of these machines drifts by up to a third over
    # minutes, so each ratio is of figures measured together, and the median of the rounds'
    # ratios is kept
    rounds = []
    for _ in range(ROUNDS):
        one_core = build(small, WORK / "out-1000-one-core", jobs=1, cold=True)[0]
        per_stage = stages(sorted(small.glob("*.txt"))[:200])
        bare, alone = per_stage["lxml parse+serialize"], lxml_alone(WORK / "out-1000-one-core")
        cold, rss = build(small, WORK / "out-1000", cold=True)
        rounds.append((one_core, bare, cold, rss, alone))
    print(f"cold full builds, 1000 sources, {ROUNDS} rounds (one process, its lxml floor; {JOBS} cores):")
    for i, (one_core, bare, cold, rss, alone) in enumerate(rounds, 1):
        print(f"  round {i}: one process {one_core:6.2f} s, lxml {bare * 1000:.2f} ms/document, "
              f"{one_core / len(sizes) / bare:5.1f} x (lxml alone in a loop {alone * 1000:.2f} ms, "
              f"{one_core / len(sizes) / alone:4.1f} x);   {JOBS} cores {cold:6.2f} s, {one_core / cold:.2f} x one, "
              f"peak {rss / 1024:.0f} MiB")
    whole = statistics.median(one_core / len(sizes) / bare for one_core, bare, *_ in rounds)
    scaling = statistics.median(one_core / cold for one_core, _, cold, *_ in rounds)
    one_core = statistics.median(r[0] for r in rounds)
    cold = statistics.median(r[2] for r in rounds)
    rss_1000 = statistics.median(r[3] for r in rounds)
    print(f"cold full build, 1000 sources, one process:  {one_core:7.2f} s   {1000 / one_core:7.1f} documents/s   (median)")
    print(f"cold full build, 1000 sources, {JOBS} cores:      {cold:7.2f} s   {1000 / cold:7.1f} documents/s   "
          f"peak {rss_1000 / 1024:.0f} MiB   (median)")
    print(f"cold build, one process, wall / lxml:        {whole:7.1f} x  (whole command, per document; median of the rounds)")
    print(f"{JOBS} cores / one core:                        {scaling:7.2f} x  (median of the rounds)")
    out = WORK / "out-1000"
    noops = [build(small, out)[0] for _ in range(5)]
    noop = statistics.median(noops)
    print(f"no-op rebuild:                               {noop:7.3f} s   (median of 5: {min(noops):.3f} to {max(noops):.3f})")
    changed = sorted(small.glob("*.txt"))[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\nOne more sentence was added.\n", encoding="utf-8")
    one, _ = build(small, out)
    print(f"rebuild after one source changed:            {one:7.3f} s")
    print_stages(per_stage, 200)  # (the last round's)
    times = check_times(changed)
    check = statistics.median(times)
    print(f"dispatch check, one source, fresh process: median {check:.3f} s "
          f"(min {min(times):.3f}, max {max(times):.3f}, {len(times)} runs)")
    large = corpus(5000)
    out = WORK / "out-5000"
    cold_5000, rss_5000 = build(large, out, cold=True)
    print(f"cold full build, 5000 sources, {JOBS} cores:      {cold_5000:7.2f} s   {5000 / cold_5000:7.1f} documents/s   "
          f"peak {rss_5000 / 1024:.0f} MiB")
    print(f"peak memory 5000 / 1000:                     {rss_5000 / rss_1000:7.2f}")
    print("against the targets:")
    for label, figure, target, met in (
            ("cold build, one process / lxml floor", f"{whole:.1f} x", "<= 20 x", whole <= 20),
            (f"{JOBS} cores / one core", f"{scaling:.2f} x", ">= 1.8 x", scaling >= 1.8),
            ("dispatch check, median", f"{check:.3f} s", "<= 0.15 s", check <= 0.15),
            ("no-op rebuild, 1000 sources", f"{noop:.3f} s", "< 0.25 s", noop < 0.25),
            ("peak memory 5000 / 1000", f"{rss_5000 / rss_1000:.2f}", "<= 1.2", rss_5000 / rss_1000 <= 1.2)):
        print(f"  {label:38s} {figure:>9s}   {target:9s} {'met' if met else 'NOT MET'}")
    collation()
    return 0


if __name__ == "__main__":
    sys.exit(main())
