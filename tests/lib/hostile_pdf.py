#!/usr/bin/env python3
"""Writes a hostile PDF for the document tests: hostile_pdf.py pages|nest|control OUT.

pages: a page tree of 2,001 (empty) pages, one over import document's limit;
nest: a content stream whose dictionary nests 200,000 arrays deep;
control: a page of recommendations whose font maps some bytes to control
characters (U+0001, U+0000, U+0085) through its ToUnicode map."""
import sys
kind, path = sys.argv[1], sys.argv[2]
objs = []
if kind == "pages":
    n = 2001
    kids = " ".join("%d 0 R" % (3 + i) for i in range(n))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            ("<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n)).encode()]
    objs += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"] * n
elif kind == "control":
    lines = [b"II. Conclusions and/or recommendations",
             b"95. The recommendations below enjoy the support of Chad:",
             b"1. Ratify\x01 OP-CAT (France, Argentina\x01);",
             b"2. Adopt a\x00 plan\x85 (Chile)."]
    text = b"BT /F1 11 Tf 14 TL 72 720 Td " + b" ".join(
        b"(" + l.replace(b"(", b"\\(").replace(b")", b"\\)") + b") Tj T*" for l in lines) + b" ET"
    cmap = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            b"/CMapName /Identity-Bytes def 1 begincodespacerange <00> <FF> endcodespacerange\n"
            b"1 beginbfrange <00> <FF> <0000> endbfrange\nendcmap CMapName currentdict /CMap "
            b"defineresource pop end end")
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>",
            b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream"]
else:
    depth = 200000
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            b"<< /Length 1 /X " + b"[" * depth + b"]" * depth + b" >>\nstream\n \nendstream"]
out = bytearray(b"%PDF-1.4\n")
offs = []
for i, o in enumerate(objs, 1):
    offs.append(len(out))
    out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
x = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for o in offs:
    out += b"%010d 00000 n \n" % o
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
open(path, "wb").write(out)
