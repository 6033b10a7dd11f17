from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from gotool import isolated_env

if TYPE_CHECKING:
    # Imported in the fixtures, so that tests not using them never depend on it.
    from goproxy import CacheFixture, GoProxy, ModuleSpec

MakeCache = Callable[..., "CacheFixture"]  # (modules, requires=None) -> CacheFixture


@pytest.fixture(autouse=True)
def _own_user_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """gomod-doctor's own data (the memos) never goes to the developer's ~/.cache:
    code run in-process gets a cache dir of its test (tests may set another). (Not
    through ``monkeypatch``: the tests' own monkeypatching must end before their
    fixtures are torn down.)"""
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdgcache"))
    yield
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


@pytest.fixture
def go_env(tmp_path: Path) -> dict[str, str]:
    """A per-test environment for the real go command (never the user's)."""
    return isolated_env(tmp_path / "goenv")


# --- GOPROXY test server and real module caches (see tests/goproxy.py) -------------


@pytest.fixture
def goproxy() -> Iterator[GoProxy]:
    """A started GOPROXY server on 127.0.0.1 with no modules (``goproxy.add(...)``)."""
    from goproxy import GoProxy

    with GoProxy() as proxy:
        yield proxy


@pytest.fixture(scope="session")
def cache_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Session directory where :func:`goproxy.build_cache` memoizes go's builds."""
    from goproxy import make_writable_and_remove

    store = tmp_path_factory.mktemp("gocaches")
    yield store
    make_writable_and_remove(store)


@pytest.fixture
def make_cache(tmp_path: Path, cache_store: Path) -> Iterator[MakeCache]:
    """``make_cache(modules, requires=None) -> CacheFixture``: a private copy of a
    real workspace + GOMODCACHE written by go (built once per session per input)."""
    from goproxy import build_cache, make_writable_and_remove

    made: list[Path] = []

    def make(
        modules: Iterable[ModuleSpec], requires: Iterable[tuple[str, str]] | None = None
    ) -> CacheFixture:
        dest = tmp_path / f"cache{len(made)}"
        made.append(dest)
        return build_cache(dest, modules, requires, store=cache_store)

    yield make
    for dest in made:
        make_writable_and_remove(dest)


@pytest.fixture
def sample_cache(make_cache: MakeCache) -> CacheFixture:
    """A copy of a real cache holding :func:`goproxy.sample_modules`."""
    from goproxy import SAMPLE_REQUIRES, sample_modules

    return make_cache(sample_modules(), SAMPLE_REQUIRES)


@pytest.fixture(scope="session")
def validator() -> Any:
    """A validator of the official SARIF 2.1.0 schema (tests/sarif_support.py)."""
    from sarif_support import make_validator

    return make_validator()
