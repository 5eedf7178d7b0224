"""Summarise py-spy "raw" (collapsed stack) profiles written by `scale.py --py-spy`.

    python benchmarks/profile_summary.py PROFILE.txt [--top 25] [--filter SUBSTRING]

Prints the share of samples per function, inclusive (the function or anything it calls) and
exclusive (the function itself), so "what dominates" can be read off directly.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")
_IDLE = ("select (selectors.py", "_worker (concurrent/futures/thread.py", "wait (threading.py")


def _short(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "lib/python3.11/", "provider/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['func']} ({path})"


def summarise(path: Path, top: int, only: str | None) -> str:
    """The top functions of one profile as text."""
    inclusive: Counter[str] = Counter()
    exclusive: Counter[str] = Counter()
    total = idle = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(f) for f in stack.split(";")[1:]]  # first item is the thread
        if only and not any(only in f for f in frames):
            continue
        total += count
        if frames and any(marker in stack.split(";")[-1] for marker in _IDLE):
            idle += count
        for frame in set(frames):
            inclusive[frame] += count
        if frames:
            exclusive[frames[-1]] += count
    if total == 0:
        return f"{path.name}: no samples"
    lines = [f"{path.name}: {total} samples ({100 * idle / total:.0f}% idle waits)"]
    lines.append("  inclusive:")
    lines += [f"    {100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(top)]
    lines.append("  exclusive:")
    lines += [f"    {100 * n / total:5.1f}%  {name}" for name, n in exclusive.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    """Print summaries of the given profiles."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profiles", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--filter", help="only stacks through a frame containing this text")
    args = parser.parse_args()
    for profile in args.profiles:
        print(summarise(profile, args.top, args.filter))


if __name__ == "__main__":
    main()
