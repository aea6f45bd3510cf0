#!/usr/bin/env python3
"""Writes tests/cpp/promotion_table.inc: the expected result of promoting every pair of §0.3's
table axes in kcore, derived from the reference's jax/torch/numpy table.

Usage: gen_promotion_table.py [path/to/keras-ops-behaviour.md]

kcore keeps 64-bit precision (SEMANTICS §1): the table with the TensorFlow backend's cells
applied. TF still narrows uint64 and complex128, which kcore keeps too, so two more rules apply:
  1. float64 with bool, any int, any float or a Python scalar -> float64 (TF);
     int64 with bool, uint8/16/32, int8/16/32/64 or Python int -> int64 (TF);
     uint32 with int8/16/32 -> int64 (TF).
  2. uint64 where the table's uint32 comes from narrowing uint64 (uint64 with bool, uint8/16/32/64
     or Python bool/int) -> uint64; complex128 with anything, and float64 with complex64, ->
     complex128 (the lattice puts complex128 above both; TF's complex64 is narrowing).
As a cross-check, the reference's lattice is parsed and Keras' result_type is recomputed without
the 64->32 narrowing: it must give the jax table after narrowing and the derived cells before.
"""

import pathlib
import re
import sys

DEFAULT_REFERENCE = "/work/shared/reference/keras-ops-behaviour.md"
OUT = pathlib.Path(__file__).resolve().parent.parent / "cpp" / "promotion_table.inc"

INTS = ["uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64"]
FLOATS = ["bfloat16", "float16", "float32", "float64"]
NARROW = {"int64": "int32", "uint64": "uint32", "float64": "float32", "complex128": "complex64"}
ENUM = {
    "bool": "Bool", "int8": "Int8", "int16": "Int16", "int32": "Int32", "int64": "Int64",
    "uint8": "UInt8", "uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64",
    "bfloat16": "BFloat16", "float16": "Float16", "float32": "Float32", "float64": "Float64",
    "complex64": "Complex64", "complex128": "Complex128",
}


def section(text, heading):
    start = text.index(heading)
    return text[start:]


def parse_table(text):
    body = section(text, "#### Full table for jax / torch / numpy")
    rows = [l for l in body.splitlines() if l.startswith("|")]
    rows = [[c.strip().replace("**", "").replace("\\", "") for c in r.strip("|").split("|")]
            for r in rows]
    header, rows = rows[0][1:], rows[2:]
    rows = rows[:len(header)]
    table = {}
    for row in rows:
        assert len(row) == len(header) + 1, row
        for col, cell in zip(header, row[1:]):
            table[row[0], col] = cell
    assert [r[0] for r in rows] == header, "rows and columns differ"
    return header, table


def parse_lattice(text):
    block = section(text, "lattice (node -> immediate supertypes)").split("```")[0]
    lattice = {}
    for m in re.finditer(r"^\s*(\w+)\s*->\s*\[([^\]]*)\]", block, re.M):
        lattice[m.group(1)] = [s.strip() for s in m.group(2).split(",") if s.strip()]
    return lattice


def derive(x, y, jax_cell):
    pair = {x, y}
    other = lambda t: y if x == t else x  # noqa: E731
    weak_scalars = {"bool*", "int*", "float*"}
    if "float64" in pair and (other("float64") in {"bool", "float64"} | set(INTS) | set(FLOATS)
                              | weak_scalars):
        return "float64"
    if "int64" in pair and other("int64") in ({"bool", "bool*", "int*"} | set(INTS)) - {"uint64"}:
        return "int64"
    if "uint32" in pair and other("uint32") in {"int8", "int16", "int32"}:
        return "int64"
    if jax_cell == "uint32" and "uint64" in pair:
        return "uint64"
    if jax_cell == "complex64" and pair & {"complex128", "float64"}:
        return "complex128"
    return jax_cell


def keras_result_type(lattice, args):
    """Keras' _lattice_result_type with floatx float32 and no 64->32 narrowing."""
    def upper(n):
        seen, stack = set(), [n]
        while stack:
            cur = stack.pop()
            if cur not in seen:
                seen.add(cur)
                stack.extend(lattice[cur])
        return seen

    def lub(nodes):
        common = set.intersection(*(upper(n) for n in nodes))
        (least,) = [n for n in common if upper(n) == common]
        return least

    dtypes = [{"bool*": "bool", "int*": "int32", "float*": "float32"}.get(a, a) for a in args]
    weak = [a in ("int*", "float*") for a in args]
    if len(set(dtypes)) == 1 and not all(weak):
        return dtypes[0]
    if all(weak):
        return lub(set(dtypes))
    out = lub({{"int32": "int", "float32": "float"}[d] if w else d for d, w in zip(dtypes, weak)})
    return {"int": "int32", "float": "float32"}.get(out, out)


def main():
    text = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_REFERENCE).read_text()
    axes, table = parse_table(text)
    lattice = parse_lattice(text)
    assert len(axes) == 18 and len(lattice) == 17, (axes, lattice)
    lines = []
    for x in axes:
        for y in axes:
            want = derive(x, y, table[x, y])
            recomputed = keras_result_type(lattice, [x, y])
            assert NARROW.get(recomputed, recomputed) == table[x, y], (x, y, recomputed)
            assert recomputed == want, (x, y, want, recomputed)
            lines.append(f'    {{"{x}", "{y}", DType::{ENUM[want]}}},')
    OUT.write_text(
        "// Generated by tests/gen/gen_promotion_table.py from the reference's §0.3 table, with\n"
        "// 64-bit dtypes kept. Do not edit.\n"
        "// clang-format off\n"
        f"inline constexpr PromotionCell kPromotionTable[{len(lines)}] = {{\n"
        + "\n".join(lines) + "\n};\n// clang-format on\n")


if __name__ == "__main__":
    main()
