"""Status letters: how fast they render, how big they are, and how much memory
a worker holds across a batch.

    .venv/bin/python -m bench.letters [--letters 2000] [--workers 2] [--rows 7]

Prints:

* the warm render median (and p95) of a typical two-page letter (seven
  obstacles, the size the tests' fixture gives): template + WeasyPrint, in one
  process, after three warm-up letters; target <= 100 ms;
* a batch of ``--letters`` different letters (firm names, rows and rare
  characters vary) rendered by ``--workers`` processes, each reusing its one
  font configuration as a Celery worker does: letters per second (target
  >= 20), letter sizes (target <= 120 KB typical), and each worker's peak RSS,
  sampled every 100 letters to show whether it grows.

``--instructions`` instead counts the instructions of one varied letter
under valgrind (about 4 minutes): a figure that does not move with the
machine's load or speed, for comparing versions.

``--stages`` adds where a warm letter's CPU goes (template, HTML parse, CSS
cascade, box tree, layout, drawing, font subsetting, compression, writing).

Only the render is measured (the in-process loop the issue allows): the
letters' data are built in memory, so no database is needed and nothing is
written. Archiving a letter adds a few indexed queries and one file write.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import sys
import time
from datetime import date, timedelta


def setup() -> None:
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("TESTING", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")
    import django

    django.setup()


FIRMS = ["杭州明远智能装备有限公司", "浙江恒瑞新材料科技股份有限公司", "杭州昇堃喆镕珺科技有限公司",
         "杭州西湖区绿源食品有限公司", "浙江华东建设工程有限公司", "杭州云帆软件有限公司"]
ROWS = [
    ("消防验收", "厂房消防验收排期过长", "新建厂房消防验收预约已等待两个月，影响投产，希望尽快安排现场验收。"),
    ("规划用地", "用地规划许可办理进度", "二期项目用地规划许可材料已提交，尚未收到审查意见。"),
    ("水电气", "电力增容接入", "生产线扩建需要由 400 千伏安增容至 1250 千伏安，希望加快接入。"),
    ("人才服务", "员工子女入学", "引进人才子女就近入学需要协调教育部门。"),
    ("环保审批", "排污许可证变更", "扩产后需要变更排污许可证载明事项，咨询办理时限。"),
    ("交通运输", "道路开口审批", "厂区新增出入口需要道路开口审批，已提交申请。"),
    ("用工服务", "招工用工对接", "春节后用工缺口约 80 人，希望对接区人力社保局招聘会。"),
    ("财税政策", "研发费用加计扣除", "咨询研发费用加计扣除政策的申报流程与材料。"),
]
DEPTS = ["区自然资源和规划局", "区住房和城乡建设局", "国网供电公司", "区教育局", "市生态环境局分局",
         "区交通运输局", "区人力社保局", "区税务局"]
STATES = ["in_progress", "assigned", "resolved", "submitted", "in_progress", "closing",
          "in_progress"]


def letter_html(i: int, rows: int) -> str:
    """The HTML of letter ``i``: varied firm, rows and states, built from
    unsaved model instances (no database)."""
    from django.utils import translation

    from approvals.models import Department, Obstacle, ObstacleCategory, Task
    from enterprises.models import Enterprise
    from letters import documents

    firm = Enterprise(name=f"{FIRMS[i % len(FIRMS)]}第{i}分公司", credit_code="91330106MA2B3C4D5E")
    tasks = []
    for k in range(rows):
        category, title, description = ROWS[(i + k) % len(ROWS)]
        obstacle = Obstacle(pk=1000 + k, title=title, description=description,
                            category=ObstacleCategory(name=category))
        task = Task(obstacle=obstacle,
                    department=Department(name=DEPTS[(i + k) % len(DEPTS)]),
                    state=STATES[(i + k) % len(STATES)],
                    deadline_on=date(2026, 12, 1) + timedelta(days=k))
        task.progress_comment = f"已与企业电话沟通，第{k + 1}次协调会已召开，材料已补齐。"
        tasks.append(task)
    with translation.override("zh-hans"):
        return documents.letter_html(
            enterprise=firm, rows=tasks, reference=f"营商服函〔2026〕{i + 1:04d}号",
            token=documents.verification_token(f"2026-{i + 1}"), issued_on=date(2026, 11, 25),
            liaison=None)


def pdf_pages(data: bytes) -> str:
    """Pages of a PDF by poppler's pdfinfo (``?`` without poppler-utils)."""
    import subprocess

    try:
        info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True,  # noqa: S607
                              check=True).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return next((line.split()[-1] for line in info.splitlines()
                 if line.startswith("Pages:")), "?")


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def stage_times(rows: int, repeat: int) -> dict[str, float]:
    """CPU ms per warm letter in each stage, by wrapping WeasyPrint's steps
    (a bench-only patch, undone afterwards)."""
    from collections import defaultdict

    import pydyf
    import weasyprint
    import weasyprint.document as wd
    import weasyprint.pdf as wp

    from letters import documents, pdf

    spent: dict[str, float] = defaultdict(float)
    patches = []

    def wrap(owner, name, label):
        real = getattr(owner, name)
        patches.append((owner, name, owner.__dict__[name]))

        def timed(*args, **kwargs):
            started = time.process_time()
            try:
                return real(*args, **kwargs)
            finally:
                spent[label] += time.process_time() - started
        setattr(owner, name, timed if not isinstance(owner.__dict__[name], classmethod)
                else classmethod(lambda cls, *a, **k: timed(*a, **k)))

    wrap(documents, "letter_html", "template")
    wrap(weasyprint.HTML, "__init__", "HTML parse")  # only when not XHTML
    wrap(pdf, "parse_xhtml", "XHTML parse")
    wrap(wd.Document, "_build_layout_context", "CSS cascade")
    wrap(wd, "build_formatting_structure", "box tree")
    wrap(wd.Document, "_render", "_render")
    wrap(wd.Page, "paint", "draw")
    wrap(wp, "build_fonts_dictionary", "fonts (subset, widths, ToUnicode)")
    wrap(wd, "generate_pdf", "_generate")
    wrap(pdf, "compress_streams", "compression (zlib)")
    wrap(pydyf.PDF, "write", "PDF write")
    try:
        for i in range(repeat):
            documents.render(letter_html(0, rows))
            if i == 0:
                spent.clear()  # the first one warms the wrappers
    finally:
        for owner, name, original in reversed(patches):
            setattr(owner, name, original)
    n = repeat - 1
    out = {label: seconds * 1000 / n for label, seconds in spent.items()}
    out["layout"] = out.pop("_render") - out["CSS cascade"] - out["box tree"]
    out["other PDF steps"] = (out.pop("_generate") - out["draw"]
                              - out["fonts (subset, widths, ToUnicode)"])
    return out


def count_instructions(rows: int) -> None:
    """Instructions per varied letter, counted by valgrind's callgrind: the
    difference between a run that renders four letters and one that renders
    one (start-up and warm-up cancel), over three. The count is the same on a
    loaded or a quiet machine, so it compares versions where wall and CPU
    times swing with the host (seen here: the CPU reference between 43 and
    86 ms within an hour)."""
    import re
    import shutil
    import subprocess

    if shutil.which("valgrind") is None:
        sys.exit("bench: --instructions needs valgrind")

    def run(n: int) -> subprocess.Popen:
        command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                   sys.executable, "-m", "bench.letters", "--rows", str(rows),
                   "--just-render", str(n)]
        return subprocess.Popen(command, stdout=subprocess.DEVNULL,  # noqa: S603
                                stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONHASHSEED": "0"})

    counts = []
    for process in [run(1), run(4)]:  # side by side: the counts do not mind
        _out, err = process.communicate()
        found = re.search(r"Collected : (\d+)", err)
        if process.returncode or not found:
            sys.exit(f"bench: valgrind failed: {err[-500:]}")
        counts.append(int(found.group(1)))
    print(f"instructions per varied letter ({rows} obstacles, callgrind): "
          f"{(counts[1] - counts[0]) / 3 / 1e6:.0f} M")


def worker(args) -> dict:
    """One batch worker: its share of the letters, one font configuration."""
    first, count, rows = args
    from letters import documents

    sizes, samples = [], []
    started, cpu = time.perf_counter(), time.process_time()
    for n, i in enumerate(range(first, first + count)):
        sizes.append(len(documents.render(letter_html(i, rows))))
        if n % 100 == 0:
            samples.append(round(rss_mb()))
    return {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu,
            "sizes": sizes, "rss": samples,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--letters", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rows", type=int, default=7, help="obstacles per letter")
    parser.add_argument("--repeat", type=int, default=30, help="warm renders timed")
    parser.add_argument("--stages", action="store_true",
                        help="also print the CPU per stage of a warm letter")
    parser.add_argument("--instructions", action="store_true",
                        help="only count the instructions of one varied letter under "
                             "valgrind (slow, about 4 minutes; independent of the "
                             "machine's load and speed)")
    parser.add_argument("--just-render", type=int, metavar="N", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.instructions:
        return count_instructions(args.rows)
    setup()
    from letters import documents, pdf

    if args.just_render is not None:  # the child that --instructions runs under valgrind
        for i in range(3):
            documents.render(letter_html(100 + i, args.rows))
        for i in range(args.just_render):
            documents.render(letter_html(i, args.rows))
        return None

    if not pdf.harfbuzz_subsetting_available():
        sys.exit("bench: no HarfBuzz subsetting (libharfbuzz-subset0): letters take seconds")
    from bench.run import reference_cpu_ms

    print(f"subset fonts: {'yes' if pdf.subset_fonts_present() else 'NO (full Noto)'}; "
          f"load average {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs; CPU reference "
          f"{reference_cpu_ms():.0f} ms (bench.run's fixed Python loop: compares machines)")

    html = letter_html(0, args.rows)
    first = documents.render(html)
    for _ in range(2):
        documents.render(html)
    times, cpu_times = [], []
    for _ in range(args.repeat):
        started, cpu = time.perf_counter(), time.process_time()
        documents.render(letter_html(0, args.rows))
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu)
    times.sort()
    pages = pdf_pages(first)
    print(f"warm render, typical letter ({args.rows} obstacles, {pages} pages, "
          f"{len(first) / 1024:.0f} KB): median {statistics.median(times) * 1000:.0f} ms wall, "
          f"{statistics.median(cpu_times) * 1000:.0f} ms CPU; p95 "
          f"{times[int(len(times) * 0.95) - 1] * 1000:.0f} ms wall (target <= 100 ms)")

    if args.stages:
        stages = stage_times(args.rows, args.repeat)
        print("stages, CPU ms per warm letter: " + "; ".join(
            f"{label} {ms:.1f}" for label, ms in stages.items()))

    share = args.letters // args.workers
    jobs = [(w * share, share + (args.letters % args.workers if w == args.workers - 1 else 0),
             args.rows) for w in range(args.workers)]
    ctx = multiprocessing.get_context("fork")
    started = time.perf_counter()
    with ctx.Pool(args.workers) as pool:
        results = pool.map(worker, jobs)
    wall = time.perf_counter() - started
    sizes = sorted(s for r in results for s in r["sizes"])
    cpu_each = sum(r["cpu"] for r in results) / len(sizes)
    print(f"batch: {len(sizes)} letters in {wall:.1f} s with {args.workers} workers = "
          f"{len(sizes) / wall:.1f} letters/s wall (target >= 20); "
          f"{cpu_each * 1000:.0f} ms CPU per letter = {args.workers / cpu_each:.1f} letters/s "
          f"on {args.workers} free cores; load average now {os.getloadavg()[0]:.2f}")
    print(f"letter size: median {statistics.median(sizes) / 1024:.0f} KB, "
          f"max {sizes[-1] / 1024:.0f} KB (target <= 120 KB typical)")
    for n, r in enumerate(results):
        print(f"worker {n}: peak RSS {r['peak_mb']:.0f} MB; RSS every 100 letters (MB): "
              f"{r['rss']}")


if __name__ == "__main__":
    main()
