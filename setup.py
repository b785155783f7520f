"""The one compiled part: exact PDQ radius search (``hotline.hashes._pdqmih``).

Everything else is declared in pyproject.toml. The extension is optional: without a C
compiler the install still succeeds and ``hotline.hashes.pdq_index`` uses its NumPy
implementation (same results, slower); ``hotline.hashes.pdq_index.COMPILED`` says which.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "hotline.hashes._pdqmih",
            sources=["src/hotline/hashes/_pdqmih.c"],
            extra_compile_args=["-O3"],
            optional=True,
        )
    ]
)
