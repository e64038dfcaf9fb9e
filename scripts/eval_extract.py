#!/usr/bin/env python3
"""Scores `rectrack import document --preset upr` against answer keys (issue 11).

Usage: scripts/eval_extract.py [--rectrack PATH] [--out DIR] [--jobs N] PDF_DIR CSV...

PDF_DIR holds UN Universal Periodic Review working-group reports named
STATEYEAR.pdf (afghanistan2009.pdf); each CSV is an answer key with columns
text,to,decision,From,year (the rochelleterman/uprs files: Mac OS Roman, CR or
CRLF line ends). Every PDF is extracted, timed beside `pdftotext -layout` of
the same file in the same run, and its draft compared with the key's rows of
the same state and year:

- recommendations: recall and precision of numbers (95.1). The keys split a
  recommendation made by several states into rows 96.1, 96.1.1, 96.1.2 with
  rewritten texts: those rows count as the one recommendation 96.1.
- text: equal after normalising (whitespace, typographic quotes, the leading
  number, the recommending states' bracket and the list punctuation at the
  end), over recommendations the key does not split;
- recommending state: the set of the key's `From` over a recommendation's rows
  against the draft's recommended_by;
- decision: the key's against the draft's.

Time: each document by a process of its own beside `pdftotext -layout` of it
(per process, with the peak memory of each), and all of them in one run of
`rectrack import document FILE... --draft-dir` beside pdftotext of each again.

Writes OUT/summary.json, OUT/mismatches.tsv (every mismatch, worst first) and
prints a summary. Python 3 standard library only.
"""
import argparse
import csv
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor


def norm_name(s):
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = re.sub(r"[^a-z]", "", s.lower())
    if s.startswith("the"):
        s = s[3:]
    return s


# The keys write states by short names ("Iran"); the reports by their UN names
# ("Islamic Republic of Iran"), or by abbreviations. The same state either way.
STATE_ALIASES = {
    "islamicrepublicofiran": "iran", "iranislamicrepublicof": "iran",
    "unitedstatesofamerica": "unitedstates", "usa": "unitedstates",
    "russianfederation": "russia",
    "republicofkorea": "southkorea",
    "democraticpeoplesrepublicofkorea": "northkorea", "dprk": "northkorea",
    "unitedkingdomofgreatbritainandnorthernireland": "unitedkingdom", "uk": "unitedkingdom",
    "libyanarabjamahiriya": "libya",
    "republicofmoldova": "moldova",
    "syrianarabrepublic": "syria",
    "laopeoplesdemocraticrepublic": "laos",
    "bolivarianrepublicofvenezuela": "venezuela", "venezuelabolivarianrepublicof": "venezuela",
    "plurinationalstateofbolivia": "bolivia", "boliviaplurinationalstateof": "bolivia",
    "congo": "republicofthecongo",
    "democraticrepublicofcongo": "democraticrepublicofthecongo", "drc": "democraticrepublicofthecongo",
    "bruneidarussalam": "brunei",
    "formeryugoslavrepublicofmacedonia": "macedonia",
    "unitedrepublicoftanzania": "tanzania",
    "vietnam": "vietnam",
}


def state_key(s):
    n = norm_name(s)
    return STATE_ALIASES.get(n, n)


def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


QUOTES = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'", "\u201c": '"', "\u201d": '"',
          "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00a0": " "}


def norm_text(s):
    for k, v in QUOTES.items():
        s = s.replace(k, v)
    s = re.sub(r"\s+", " ", s).strip()
    return s


NUMBER = re.compile(r'^\s*"?\s*(\d+)[ .](\d+)(?:\.(\d+))?\.?\s*(.*)$', re.S)


# Characters the keys lost on their way (2008 and 2010 "decode to odd letters
# in any 8-bit code page"): apostrophes as Í or Õ, quotes as î, ì, Ò or Ó,
# dashes as _ or a full stop, and semicolons inside a text written as commas.
def key_fault_form(s):
    # A stray bracket after the recommending state: "(Canada). )", "; )"
    s = re.sub(r"[\s;.,]*\)\s*$", "", s) if s.count(")") > s.count("(") else s
    s = strip_final_bracket(s)
    for k in "ÍÕÔ'‘’\"“”ÒÓìî‟„":
        s = s.replace(k, "")
    s = s.replace("_", "-").replace("–", "-").replace("—", "-").replace(";", ",")
    # Letters the keys lost: Māori's macron, Côte's circumflex
    s = re.sub(r"[^\x00-\x7f]", ".", s)
    s = re.sub(r"(?<=[A-Za-z])[.\-](?=[A-Za-z])", "-", s)
    s = re.sub(r"\s+", " ", s).replace(" ,", ",").strip()
    return s


def strip_list_punctuation(s):
    """Without what joins one item to the next: a final ; . , "and" or "or"."""
    s = s.rstrip()
    while True:
        t = re.sub(r"(\s*[;.,]|\s+and|\s+or)$", "", s)
        if t == s:
            return s
        s = t


def strip_final_bracket(s):
    """The text without its recommending states' bracket and list punctuation."""
    s = strip_list_punctuation(s)
    if s.endswith(")"):
        depth = 0
        for i in range(len(s) - 1, -1, -1):
            if s[i] == ")":
                depth += 1
            elif s[i] == "(":
                depth -= 1
                if depth == 0:
                    s = s[:i]
                    break
    return strip_list_punctuation(s)


def end_form(s):
    """A text for comparison: normalised, without the full stop that ends it."""
    s = norm_text(s)
    while s and s[-1] in ".;,":
        s = s[:-1].rstrip()
    return s


def read_key(path):
    raw = open(path, "rb").read()
    text = raw.decode("mac_roman")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    rows = []
    for r in csv.DictReader(io.StringIO(text)):
        if not r.get("text"):
            continue
        rows.append(r)
    return rows


def key_index(paths):
    """{(norm state, year): {"95.1": [rows...]}} and the key's names."""
    index, names = {}, {}
    unnumbered = 0
    for p in paths:
        for r in read_key(p):
            m = NUMBER.match(r["text"])
            if not m:
                unnumbered += 1
                continue
            ref = f"{int(m.group(1))}.{int(m.group(2))}"
            state = norm_name(r["to"])
            names[state] = r["to"]
            entry = {"sub": m.group(3), "text": m.group(4), "decision": r["decision"].strip().lower(),
                     "from": r["From"].strip(), "raw": r["text"]}
            index.setdefault((state, r["year"].strip()), {}).setdefault(ref, []).append(entry)
    return index, names, unnumbered


def child_peak_kb(cmd):
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    return usage.ru_maxrss, os.waitstatus_to_exitcode(status)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rectrack", default=os.path.join(os.path.dirname(__file__), "..", "build", "rectrack"))
    ap.add_argument("--out", default="eval-extract")
    ap.add_argument("pdf_dir")
    ap.add_argument("csv", nargs="+")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    drafts = os.path.join(a.out, "drafts")
    os.makedirs(drafts, exist_ok=True)

    index, names, unnumbered = key_index(a.csv)
    pdfs = sorted(f for f in os.listdir(a.pdf_dir) if f.endswith(".pdf"))
    totals = dict(docs=0, failed=0, scored_docs=0, key_recs=0, found=0, extracted=0, matched=0,
                  text_compared=0, text_equal=0, text_key_fault=0, from_compared=0, from_equal=0, dec_compared=0,
                  dec_equal=0, split_recs=0, ours_s=0.0, pdftotext_s=0.0, peak_kb=0)
    mismatches = []
    unkeyed = []
    by_year = {}
    per_doc = []
    for f in pdfs:
        m = re.match(r"^(.*?)(\d{4})\.pdf$", f)
        if not m:
            continue
        state, year = norm_name(m.group(1)), m.group(2)
        path = os.path.join(a.pdf_dir, f)
        out = os.path.join(drafts, f[:-4] + ".json")
        totals["docs"] += 1
        # Ours and pdftotext, one after the other, each timed.
        t0 = time.perf_counter()
        peak, rc = child_peak_kb([a.rectrack, "import", "document", path, "--preset", "upr", "-o", out])
        ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        subprocess.run(["pdftotext", "-layout", path, os.devnull], stderr=subprocess.DEVNULL, check=False)
        ptt = time.perf_counter() - t0
        totals["ours_s"] += ours
        totals["pdftotext_s"] += ptt
        totals["peak_kb"] = max(totals["peak_kb"], peak)
        if rc != 0:
            totals["failed"] += 1
            mismatches.append((100, f, "", "extraction failed", "", ""))
            continue
        draft = json.load(open(out))
        items = {it["ref"]: it for it in draft["items"]}
        totals["extracted"] += len(items)
        # The key's rows of this state and year; a misspelt state in the key
        # ("Centeral African Republic") is found within two letters.
        key = index.get((state, year))
        if key is None:
            for (s, y), v in index.items():
                if y == year and edit_distance(s, state) <= 2:
                    key = v
                    break
        if key is None:
            unkeyed.append(f)
            continue
        totals["scored_docs"] += 1
        totals["key_recs"] += len(key)
        yr = by_year.setdefault(year, dict(docs=0, key=0, extracted=0, matched=0, text=0, text_eq=0,
                                           text_fault=0, states=0, states_eq=0, dec=0, dec_eq=0))
        yr["docs"] += 1
        yr["key"] += len(key)
        yr["extracted"] += len(items)
        doc = dict(file=f, key=len(key), extracted=len(items), matched=0)
        for ref, rows in key.items():
            it = items.get(ref)
            if it is None:
                mismatches.append((90, f, ref, "missing", rows[0]["raw"][:200], ""))
                continue
            totals["matched"] += 1
            doc["matched"] += 1
            yr["matched"] += 1
            split = len(rows) > 1 or any(r["sub"] for r in rows)
            if split:
                totals["split_recs"] += 1
            else:
                totals["text_compared"] += 1
                yr["text"] += 1
                want = end_form(strip_final_bracket(rows[0]["text"]))
                got = end_form(it["text"])
                if want == got:
                    totals["text_equal"] += 1
                    yr["text_eq"] += 1
                elif key_fault_form(want) == key_fault_form(got):
                    totals["text_key_fault"] += 1
                    yr["text_fault"] += 1
                    mismatches.append((20, f, ref, "text (the key's mangled characters)", want, got))
                else:
                    mismatches.append((50, f, ref, "text", want, got))
            want_from = {state_key(r["from"]) for r in rows if r["from"]}
            got_from = {state_key(s) for s in it.get("recommended_by", [])}
            if want_from:
                totals["from_compared"] += 1
                yr["states"] += 1
                if want_from == got_from:
                    totals["from_equal"] += 1
                    yr["states_eq"] += 1
                else:
                    mismatches.append((40, f, ref, "recommending state",
                                       ", ".join(sorted(r["from"] for r in rows)),
                                       ", ".join(it.get("recommended_by", []))))
            want_dec = rows[0]["decision"]
            if want_dec == "implement":  # the 2010 key's Nicaragua: "implemented" cut short
                want_dec = "implemented"
            if want_dec == "unknown":  # the report gives none: the draft says ""
                want_dec = ""
            totals["dec_compared"] += 1
            yr["dec"] += 1
            if want_dec == it.get("decision", ""):
                totals["dec_equal"] += 1
                yr["dec_eq"] += 1
            else:
                mismatches.append((30, f, ref, "decision", want_dec, it.get("decision", "")))
        for ref, it in items.items():
            if ref not in key:
                mismatches.append((80, f, ref, "extra", "", it["text"][:200]))
        totals["found"] += doc["matched"]
        per_doc.append(doc)

    t = totals
    pct = lambda n, d: 100.0 * n / d if d else 0.0
    # The same documents in one run of rectrack (import document FILE... --draft-dir),
    # then pdftotext for each again, in the same run: the time a folder takes.
    batch_dir = os.path.join(a.out, "drafts-batch")
    os.makedirs(batch_dir, exist_ok=True)
    paths = [os.path.join(a.pdf_dir, f) for f in pdfs]
    t0 = time.perf_counter()
    subprocess.run([a.rectrack, "import", "document", *paths, "--preset", "upr", "--draft-dir", batch_dir],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    batch_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for path in paths:
        subprocess.run(["pdftotext", "-layout", path, os.devnull], stderr=subprocess.DEVNULL, check=False)
    pdftotext_again_s = time.perf_counter() - t0
    same = sum(1 for f in pdfs if os.path.exists(os.path.join(batch_dir, f[:-4] + ".json")) and
               open(os.path.join(batch_dir, f[:-4] + ".json"), "rb").read() ==
               open(os.path.join(drafts, f[:-4] + ".json"), "rb").read())

    summary = {
        "documents": t["docs"], "failed": t["failed"], "scored_documents": t["scored_docs"],
        "documents_without_key_rows": unkeyed, "key_rows_without_number": unnumbered,
        "key_recommendations": t["key_recs"], "extracted_in_scored": sum(d["extracted"] for d in per_doc),
        "recall_pct": pct(t["matched"], t["key_recs"]),
        "precision_pct": pct(t["matched"], sum(d["extracted"] for d in per_doc)),
        "text_equal_pct": pct(t["text_equal"], t["text_compared"]), "text_compared": t["text_compared"],
        "text_equal_or_key_fault_pct": pct(t["text_equal"] + t["text_key_fault"], t["text_compared"]),
        "split_in_key": t["split_recs"],
        "recommending_state_pct": pct(t["from_equal"], t["from_compared"]),
        "decision_pct": pct(t["dec_equal"], t["dec_compared"]),
        "per_process_s": round(t["ours_s"], 2), "pdftotext_s": round(t["pdftotext_s"], 2),
        "per_process_ratio": round(t["ours_s"] / t["pdftotext_s"], 3) if t["pdftotext_s"] else None,
        "one_run_s": round(batch_s, 2), "pdftotext_again_s": round(pdftotext_again_s, 2),
        "one_run_ratio": round(batch_s / pdftotext_again_s, 3) if pdftotext_again_s else None,
        "one_run_drafts_identical": f"{same}/{len(pdfs)}",
        "peak_mb": round(t["peak_kb"] / 1024, 1),
        "by_year": {y: {"documents": v["docs"], "key_recommendations": v["key"],
                        "recall_pct": round(pct(v["matched"], v["key"]), 2),
                        "precision_pct": round(pct(v["matched"], v["extracted"]), 2),
                        "text_equal_pct": round(pct(v["text_eq"], v["text"]), 2),
                        "text_equal_or_key_fault_pct": round(pct(v["text_eq"] + v["text_fault"], v["text"]), 2),
                        "recommending_state_pct": round(pct(v["states_eq"], v["states"]), 2),
                        "decision_pct": round(pct(v["dec_eq"], v["dec"]), 2)}
                    for y, v in sorted(by_year.items())},
    }
    json.dump(summary, open(os.path.join(a.out, "summary.json"), "w"), indent=2)
    mismatches.sort(key=lambda m: (-m[0], m[1], m[2]))
    with open(os.path.join(a.out, "mismatches.tsv"), "w") as w:
        w.write("weight\tfile\tref\tkind\tkey\tdraft\n")
        for m in mismatches:
            w.write("\t".join(str(x).replace("\t", " ").replace("\n", " ") for x in m) + "\n")
    for k, v in summary.items():
        if k == "by_year":
            for y, row in v.items():
                print(f"{y}: {row}")
        else:
            print(f"{k}: {v}")
    return 0 if t["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
