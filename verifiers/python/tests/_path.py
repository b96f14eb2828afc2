"""Puts verifiers/python/ on sys.path and locates the test data."""

import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
VERIFIER = HERE.parent
ROOT = VERIFIER.parent.parent
TESTDATA = VERIFIER / "testdata"
sys.path.insert(0, str(VERIFIER))
