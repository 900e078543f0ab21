"""Run every code block in README.md and docs/, and every docstring example, as tests."""

from doctest import ELLIPSIS, NORMALIZE_WHITESPACE

from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser
from sybil.parsers.rest import DocTestParser

_markdown = Sybil(
    parsers=[
        PythonCodeBlockParser(doctest_optionflags=ELLIPSIS | NORMALIZE_WHITESPACE),
        SkipParser(),  # docs/spark.md skips its blocks where pyspark or Java is missing
    ],
    patterns=["README.md", "docs/*.md"],
)
_docstrings = Sybil(
    parsers=[DocTestParser(optionflags=ELLIPSIS | NORMALIZE_WHITESPACE)],
    # PurePath.match reads "**" as one level: list each depth of sub-package.
    patterns=["src/leadpipeline/*.py", "src/leadpipeline/*/*.py", "src/leadpipeline/*/*/*.py"],
)

pytest_collect_file = (_markdown + _docstrings).pytest()
