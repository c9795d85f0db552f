"""The report writer keeps the sections other helpers' benchmarks write into docs/benchmarks.md."""

from __future__ import annotations

from bench.report import write_report

CONSOLIDATION = "<!-- consolidation:begin -->\n## C1 consolidation\n| a | b |\n<!-- consolidation:end -->"
JOBS = "<!-- jobs:begin -->\n## G1 labeling jobs\nmanifest rows/s\n<!-- jobs:end -->"


def test_blocks_of_the_previous_report_survive_a_rewrite(tmp_path):
    out = tmp_path / "benchmarks.md"
    out.write_text(f"# Benchmarks\nold run\n\n{CONSOLIDATION}\n\nold tail\n\n{JOBS}\n")
    write_report(out, "# Benchmarks\nnew run\n")
    text = out.read_text()
    assert "new run" in text and "old run" not in text and "old tail" not in text
    assert CONSOLIDATION in text and JOBS in text
    assert text.index(CONSOLIDATION) < text.index(JOBS)


def test_a_block_in_the_new_report_is_replaced_by_the_written_one_not_duplicated(tmp_path):
    out = tmp_path / "benchmarks.md"
    out.write_text(f"# Benchmarks\n{JOBS}\n")
    write_report(out, "# Benchmarks\nrun\n<!-- jobs:begin -->\nplaceholder\n<!-- jobs:end -->\nafter\n")
    text = out.read_text()
    assert text.count("<!-- jobs:begin -->") == 1
    assert "manifest rows/s" in text and "placeholder" not in text
    assert text.index("manifest rows/s") < text.index("after")


def test_a_first_report_is_written_as_is(tmp_path):
    out = tmp_path / "docs" / "benchmarks.md"
    write_report(out, "# Benchmarks\nfirst\n")
    assert out.read_text() == "# Benchmarks\nfirst\n"


def test_write_block_replaces_its_own_block_and_keeps_the_rest(tmp_path):
    from bench.report import PRESERVED, write_block

    out = tmp_path / "benchmarks.md"
    out.write_text(f"# Benchmarks\nrun\n\n{JOBS}\n")
    write_block(out, "cluster", "<!-- cluster:begin -->\nfirst\n<!-- cluster:end -->")
    write_block(out, "cluster", "<!-- cluster:begin -->\nsecond\n<!-- cluster:end -->")
    text = out.read_text()
    assert text.count("<!-- cluster:begin -->") == 1 and "second" in text and "first" not in text
    assert JOBS in text and text.index(JOBS) < text.index("second")
    assert "cluster" in PRESERVED   # and `make bench` carries it over
    write_report(out, "# Benchmarks\nnew run\n")
    assert "second" in out.read_text() and JOBS in out.read_text()
