# SPDX-License-Identifier: MIT
"""What greenlet_suite.py and gevent_suite.py share: the tests of a
unittest suite one by one, and a result that records the ids of the tests
that passed."""
import unittest


def flatten(suite):
    """The test cases of a (nested) unittest suite, in order."""
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from flatten(t)
        else:
            yield t


class Recorder(unittest.TextTestResult):
    """A text result that also keeps the ids of the passed tests."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.passed = []

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed.append(test.id())
