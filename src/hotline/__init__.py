"""hotline: a content-free intelligence platform for internet hotlines.

The package is split by pipeline stage (``urls``, ``intake``, ``store``, ``synth``, ``cli``);
each stage keeps pure functions at its core and I/O at its edges.
"""

__version__ = "0.1.0"
