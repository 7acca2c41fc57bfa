"""Classifications per second on one core, next to a baseline: one regex search per bill over the same text.

Goal (issue 11): at least 20,000 bills a second.
    python bench/classify.py [--bills 50000]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ailabor.relevance import load_taxonomy  # noqa: E402
from bench.corpus import bill_text  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bills", type=int, default=50_000)
    args = parser.parse_args()
    rng = random.Random(11)
    texts = [bill_text(rng)[:2] for _ in range(args.bills)]
    taxonomy = load_taxonomy()

    start = time.perf_counter()
    relevant = sum(taxonomy.classify(title, summary).relevant for title, summary in texts)
    ours = time.perf_counter() - start

    # The least any keyword classifier could do: one precompiled search for the AI phrases per bill.
    baseline_pattern = re.compile(r"\b(artificial intelligence|algorithm\w*|automated|digital replica\w*)\b", re.I)
    start = time.perf_counter()
    for title, summary in texts:
        baseline_pattern.search(title) or baseline_pattern.search(summary)
    baseline = time.perf_counter() - start

    rate = args.bills / ours
    print(f"classifier: {rate:,.0f} bills/s ({relevant} relevant of {args.bills}); "
          f"baseline single regex: {args.bills / baseline:,.0f} bills/s; "
          f"ratio {ours / baseline:.1f}x the baseline's time")
    print(f"goal >= 20,000 bills/s: {'met' if rate >= 20_000 else 'NOT met'}")


if __name__ == "__main__":
    main()
