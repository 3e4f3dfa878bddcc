"""Demo admin script: summarise disk usage of the directories given."""
import argparse
import json
import os
import shutil


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--json", action="store_true", help="print JSON")
    args = ap.parse_args()
    rows = []
    for d in args.dirs:
        total, used, free = shutil.disk_usage(d)
        rows.append({"dir": os.path.abspath(d), "used_pct": round(100 * used / total, 1)})
    if args.json:
        print(json.dumps(rows))
    else:
        for r in rows:
            print(f"{r['dir']:<30} {r['used_pct']:5.1f}% used")


if __name__ == "__main__":
    main()
