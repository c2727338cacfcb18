"""Shared fixtures: the FER2013 folder beside the repository (``../shared/datasets/fer2013``)."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fertrain.train import DEFAULT_DATA  # noqa: E402


@pytest.fixture(scope="session")
def data_dir():
    assert os.path.isfile(os.path.join(DEFAULT_DATA, "public-test-images.u8")), f"FER2013 not found in {DEFAULT_DATA}"
    return DEFAULT_DATA
