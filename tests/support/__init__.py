"""Test support shared by test modules: fake engines registered through the real registry.

Test modules import it as ``support`` (pytest puts ``tests/`` on ``sys.path``, as for
``from conftest import …``).
"""
