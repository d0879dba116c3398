"""Turn the province/city list at the end of shared/seeds/000_*.txt into core/data/regions.json.

The source is a comma-separated scrape with headings (直辖市, 省, 地级市, 县级市, 特别行政区), a
citation mark and two places where the comma was lost; those are repaired here, explicitly.

    python devtools/build_regions.py ../shared/seeds/000_b716f5bafde5174b.txt
"""

import json
import re
import sys
from pathlib import Path

HEADINGS = {"直辖市", "省", "地级市", "县级市", "特别行政区"}
MUNICIPALITIES = {"北京市", "上海市", "天津市", "重庆市"}
SARS = {"香港特别行政区", "澳门特别行政区"}
REPAIRS = {"兴平山西省": ["兴平", "山西省"], "嘉义市竹北市": ["嘉义市", "竹北市"]}


def parse(text):
    start = text.index("直辖市,北京市")
    tokens = []
    for raw in text[start:].split(","):
        token = re.sub(r"\s*\[\d+\]\s*", "", raw).strip()
        tokens.extend(REPAIRS.get(token, [token] if token else []))
    provinces = []
    current = None
    for token in tokens:
        if token in HEADINGS:
            continue
        if token in MUNICIPALITIES or token in SARS:
            provinces.append({"name": token, "cities": [token]})
            current = None
        elif token.endswith("省") or token.endswith("自治区"):
            current = {"name": token, "cities": []}
            provinces.append(current)
        elif current is not None and token not in current["cities"]:
            current["cities"].append(token)
    return provinces


if __name__ == "__main__":
    source = Path(sys.argv[1])
    target = Path(__file__).resolve().parent.parent / "core" / "data" / "regions.json"
    regions = parse(source.read_text(encoding="utf-8"))
    target.write_text(json.dumps(regions, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(regions)} provinces, {sum(len(p['cities']) for p in regions)} cities -> {target}")
