"""Helpers for the published-figure tests: import a package that imports torchvision where
torchvision is not installed (the suite never installs it), and export a module quietly."""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import io
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


class _Names(type):
    """Class attributes of a stand-in (``InterpolationMode.NEAREST``) are their own names."""

    def __getattr__(cls, name: str) -> str:
        if name.startswith("__"):
            raise AttributeError(name)
        return name


class _Inert(metaclass=_Names):
    """Any torchvision name a package only refers to at import time (isinstance checks,
    default arguments, enum members as dictionary keys); calling one is an error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("torchvision is not installed (a stand-in was imported)")


class _StandIn(ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        found = type(name, (_Inert,), {})
        setattr(self, name, found)
        return found


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname == "torchvision" or fullname.startswith("torchvision."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = _StandIn(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module: ModuleType) -> None:
        module.__version__ = "0.0"  # type: ignore[attr-defined]


@contextlib.contextmanager
def _torchvision_stand_in() -> Iterator[None]:
    """While inside, ``import torchvision`` gives inert stand-ins (when it is not installed)."""
    if importlib.util.find_spec("torchvision") is not None:
        yield
        return
    finder = _Finder()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in [n for n in sys.modules if n == "torchvision" or n.startswith("torchvision.")]:
            del sys.modules[name]


def import_or_skip(name: str, torchvision: bool = False) -> ModuleType:
    """``name`` imported, or the test skipped. ``torchvision``: the package imports torchvision
    unconditionally (timm, ultralytics), so stand-ins are given while it is imported. A
    package that asks whether torchvision is installed (transformers) must not get them."""
    if importlib.util.find_spec(name) is None:
        pytest.skip(f"{name} is not installed")
    stand_in = _torchvision_stand_in() if torchvision else contextlib.nullcontext()
    with stand_in, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return importlib.import_module(name)
        except Exception as error:  # an import that fails any way means: not usable here
            pytest.skip(f"{name} does not import here: {type(error).__name__}: {error}")


def export_quietly(module: Any, args: tuple, path: Path, dynamo: bool, **options: Any) -> str:
    """torch.onnx.export at opset 18 without warnings or progress lines; returns the path."""
    import torch

    with warnings.catch_warnings(), torch.no_grad(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        if dynamo:
            options.setdefault("external_data", False)
        torch.onnx.export(module, args, str(path), dynamo=dynamo, opset_version=18, **options)
    return str(path)
