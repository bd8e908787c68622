"""Quantity parsing and formatting: the table of accepted and rejected spellings."""

from __future__ import annotations

import pytest

from edgegate.units import QuantityError, format_quantity, parse_quantity, round_limit

ACCEPTED = [
    # (text, unit kind, value in the base unit, how it was computed)
    ("8 GFLOP", "FLOP", 8_000_000_000, "8 * 10**9"),
    ("8GFLOP", "FLOP", 8_000_000_000, "no space needed"),
    ("1.1 GFLOP", "FLOP", 1_100_000_000, "exact: 11/10 * 10**9, no float error"),
    ("3 kFLOPs", "FLOP", 3000, "plural spelling"),
    ("2.5G", "FLOP", 2_500_000_000, "a bare decimal prefix on a count"),
    ("600 MMAC", "MAC", 600_000_000, "600 * 10**6"),
    ("5M params", "param", 5_000_000, "5 * 10**6"),
    ("5M", "param", 5_000_000, "bare prefix"),
    ("4 MiB", "B", 4_194_304, "4 * 1024**2"),
    ("4 MB", "B", 4_000_000, "4 * 1000**2"),
    ("1.5 KiB", "B", 1536, "3/2 * 1024"),
    ("1.4 MiB", "B", 1_468_006.4, "7/5 * 1048576 is not whole: nearest float"),
    ("512 B", "B", 512, "bytes"),
    ("1 TiB", "B", 1024**4, "binary tera"),
    ("25 FLOP/B", "FLOP/B", 25, "base unit"),
    ("33 ms", "ms", 33, "base unit"),
    ("0.5 s", "ms", 500, "1/2 * 1000"),
    ("250 us", "ms", 0.25, "250 / 1000"),
    ("2 GB/s", "B/s", 2_000_000_000, "2 * 10**9"),
    ("1 GiB/s", "B/s", 1024**3, "binary rate"),
    ("17.068 GB/s", "B/s", 17_068_000_000, "exact decimal"),
    ("4 TOPS", "FLOP/s", 4 * 10**12, "spec-sheet spelling"),
    ("0.96 GFLOP/s", "FLOP/s", 960_000_000, "96/100 * 10**9"),
    ("30 fps", "fps", 30, "base unit"),
    ("1e3", "B", 1000, "scientific notation, plain number = bytes"),
    ("1000", "FLOP", 1000, "a numeric string is the base unit"),
    (1000, "B", 1000, "a YAML int is the base unit"),
    (2.5, "ms", 2.5, "a YAML float is the base unit"),
    (0, "B", 0, "zero is allowed"),
]

REJECTED = [
    ("4 KB", "B", "'4 KB' is not a size in bytes: unknown unit 'KB' (KB is ambiguous: use kB"
     " (1000 B) or KiB (1024 B))"),
    ("4 mb", "B", "'4 mb' is not a size in bytes: unknown unit 'mb' (use B, kB, MB, GB (1000) or"
     " KiB, MiB, GiB (1024), or a plain number in B)"),
    ("8 GFLOPS", "FLOP", "'8 GFLOPS' is not a FLOP count: unknown unit 'GFLOPS' (use FLOP, kFLOP,"
     " MFLOP, GFLOP, TFLOP, or a plain number in FLOP)"),
    ("8 GMAC", "FLOP", "'8 GMAC' is not a FLOP count: unknown unit 'GMAC' (use FLOP, kFLOP, MFLOP,"
     " GFLOP, TFLOP, or a plain number in FLOP)"),
    ("4 MiB", "B/s", "'4 MiB' is not a bandwidth: unknown unit 'MiB' (use B/s, kB/s, MB/s, GB/s or"
     " KiB/s, MiB/s, GiB/s, or a plain number in B/s)"),
    ("4M", "B", "'4M' is not a size in bytes: unknown unit 'M' (use B, kB, MB, GB (1000) or KiB,"
     " MiB, GiB (1024), or a plain number in B)"),
    ("30 Hz", "fps", "'30 Hz' is not a frame rate: unknown unit 'Hz' (use fps, or a plain number"
     " in fps)"),
    ("-4 MiB", "B", "'-4 MiB' is not a size in bytes: it must not be negative"),
    (-1, "FLOP", "-1 is not a FLOP count: it must not be negative"),
    ("MiB", "B", "'MiB' is not a size in bytes: expected a number and a unit, like '4 MiB'"),
    ("", "ms", "'' is not a time: expected a number and a unit, like '33 ms'"),
    ("4 MiB B", "B", "'4 MiB B' is not a size in bytes: unknown unit 'MiB B' (use B, kB, MB, GB"
     " (1000) or KiB, MiB, GiB (1024), or a plain number in B)"),
    ("4 M i B", "B", "'4 M i B' is not a size in bytes: expected a number and a unit, like '4 MiB'"),
    (True, "B", "True is not a size in bytes: expected a number or a string like '4 MiB'"),
    (None, "FLOP", "None is not a FLOP count: expected a number or a string like '8 GFLOP'"),
    (float("inf"), "ms", "inf is not a time: it must be finite"),
]


@pytest.mark.parametrize(("text", "kind", "expected", "why"), ACCEPTED)
def test_accepted_spellings(text, kind, expected, why):
    value = parse_quantity(text, kind)
    assert value == expected, why
    assert type(value) is type(expected), why


@pytest.mark.parametrize(("text", "kind", "message"), REJECTED)
def test_rejected_spellings(text, kind, message):
    with pytest.raises(QuantityError) as error:
        parse_quantity(text, kind)
    assert str(error.value) == message


def test_binary_and_decimal_megabytes_differ_by_exactly_48576_bytes():
    # 4 MiB - 4 MB = 4 * 1048576 - 4 * 1000000 = 194304; per MB: 1048576 - 1000000 = 48576
    assert parse_quantity("1 MiB", "B") - parse_quantity("1 MB", "B") == 48576
    assert parse_quantity("4 MiB", "B") - parse_quantity("4 MB", "B") == 194304


@pytest.mark.parametrize(("value", "unit", "text"), [
    (4_090_000_000, "MAC", "4.09 GMAC"),
    (12_897_484, "B", "12.3 MiB"),  # 12897484 / 1048576 = 12.30...
    (512, "B", "512 B"),
    (33, "ms", "33 ms"),
    (1500, "ms", "1500 ms"),  # times never take a prefix
    (0.0123, "ms", "0.0123 ms"),
    (2_000_000_000, "B/s", "2 GB/s"),  # rates use decimal prefixes
    (30, "fps", "30 fps"),
    (25.5, "FLOP/B", "25.50 FLOP/B"),
])
def test_format_quantity(value, unit, text):
    assert format_quantity(value, unit) == text


@pytest.mark.parametrize(("value", "unit", "up", "text"), [
    (4_950_000_000, "FLOP", True, "5 GFLOP"),  # 4.95 rounds up to two digits: 5.0
    (4_410_000_000, "FLOP", True, "4.5 GFLOP"),  # 4.41 -> 4.5
    (1_300_000, "B", True, "1.3 MiB"),  # 1300000 / 1048576 = 1.2398 -> 1.3
    (537, "B", True, "540 B"),
    (12.34, "ms", True, "13 ms"),
    (0.0123, "ms", True, "0.013 ms"),
    (25.7, "FLOP/B", False, "25 FLOP/B"),  # a minimum rounds down
    (0, "FLOP", True, "0 FLOP"),
])
def test_round_limit_reads_well_and_parses_back(value, unit, up, text):
    assert round_limit(value, unit, up=up) == text
    back = parse_quantity(text, unit)
    assert back >= value if up else back <= value
