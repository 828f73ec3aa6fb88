"""Put tests/ on sys.path so the test modules can import the oracle harness."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
