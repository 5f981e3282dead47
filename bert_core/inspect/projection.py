"""2-D/3-D maps of embedding vectors (PCA, UMAP) and cosine nearest neighbours. NumPy in, NumPy out.

Rows are L2-normalised before projecting, so distances in the map follow cosine similarity, the
measure the neighbour list uses too. UMAP (umap-learn, compiled by numba on first use) is imported
lazily: importing this module stays cheap.
"""

from __future__ import annotations

import numpy as np

__all__ = ["METHODS", "aligned_maps", "nearest_neighbours", "normalise", "pca", "project", "umap"]

METHODS = ("umap", "pca")
_UMAP_PRE_PCA = 50  # UMAP's neighbour search runs on at most this many PCA dimensions (faster, same map)
_UMAP_MIN_POINTS = 5  # fewer points than this: PCA (UMAP needs a neighbourhood graph)


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def pca(vectors: np.ndarray, n_components: int = 2) -> np.ndarray:
    """Project (N, D) rows onto their top principal components: (N, n_components).

    Components beyond min(N, D) (a handful of points) are zero.
    """
    x = np.asarray(vectors, dtype=np.float64)
    x = x - x.mean(axis=0, keepdims=True)
    out = np.zeros((len(x), n_components), dtype=np.float32)
    if len(x) < 2:
        return out
    vt = np.linalg.svd(x, full_matrices=False)[2]  # (min(N, D), D)
    k = min(n_components, vt.shape[0])
    signs = np.sign(vt[:k, np.abs(vt[:k]).argmax(axis=1)].diagonal())  # deterministic orientation
    out[:, :k] = (x @ (vt[:k].T * np.where(signs == 0, 1, signs))).astype(np.float32)
    return out


def umap(
    vectors: np.ndarray, n_components: int = 2, n_neighbors: int = 15, min_dist: float = 0.1, seed: int = 0
) -> np.ndarray:
    """UMAP of (N, D) rows: (N, n_components).

    Args:
        n_neighbors: size of the local neighbourhood (small: local detail; large: global shape);
            capped at N - 1.
        min_dist: how tightly points may pack (0 – 1).
        seed: fixes the layout (umap then runs single-threaded).
    """
    from umap import UMAP  # heavy import (numba): only when asked

    x = np.asarray(vectors, dtype=np.float32)
    if len(x) < _UMAP_MIN_POINTS:
        return pca(x, n_components)
    if x.shape[1] > _UMAP_PRE_PCA:
        x = pca(x, _UMAP_PRE_PCA)
    reducer = UMAP(
        n_components=n_components,
        n_neighbors=max(2, min(n_neighbors, len(x) - 1)),
        min_dist=min_dist,
        random_state=seed,
        n_jobs=1,
        init="spectral" if len(x) > n_components + 1 else "random",
    )
    return reducer.fit_transform(x).astype(np.float32)


def project(vectors: np.ndarray, method: str = "umap", n_components: int = 2, **umap_kwargs) -> np.ndarray:
    """Cosine-faithful 2-D or 3-D map of embedding rows by `method` ("umap" or "pca").

    Raises:
        ValueError: an unknown method or a number of components other than 2 or 3.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if n_components not in (2, 3):
        raise ValueError(f"n_components must be 2 or 3, got {n_components}")
    x = normalise(vectors)
    return umap(x, n_components, **umap_kwargs) if method == "umap" else pca(x, n_components)


def nearest_neighbours(vectors: np.ndarray, index: int, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """The `k` rows most cosine-similar to row `index` (itself left out), most similar first.

    Returns:
        (indices (k,), cosine similarities (k,)); fewer than k when there are fewer other rows.

    Raises:
        IndexError: `index` is out of range.
    """
    x = normalise(vectors)
    if not -len(x) <= index < len(x):
        raise IndexError(f"row {index} out of range for {len(x)} vectors")
    index %= len(x)
    sims = x @ x[index]  # (N,)
    sims[index] = -np.inf
    k = min(k, len(x) - 1)
    top = np.argpartition(-sims, k - 1)[:k] if k > 0 else np.zeros(0, dtype=int)
    top = top[np.argsort(-sims[top], kind="stable")]
    return top, sims[top]


def aligned_maps(frames: list[np.ndarray]) -> list[np.ndarray]:
    """2-D maps of the same rows at several moments (a time-lapse), comparable from frame to frame.

    Each frame (N, D) gets its own cosine-faithful PCA map; every map is then rotated (or reflected) and
    scaled onto the last one by orthogonal Procrustes, so a word that stays put in the model's space
    stays put on screen, and the whole cloud does not spin from one frame to the next.

    Returns:
        One (N, 2) array per frame, on the scale of the last frame.
    """
    maps = [pca(normalise(f), 2).astype(np.float64) for f in frames]
    if not maps:
        return []
    target = maps[-1] - maps[-1].mean(axis=0)
    target_norm = np.linalg.norm(target) or 1.0
    out: list[np.ndarray] = []
    for m in maps:
        m = m - m.mean(axis=0)
        u, _, vt = np.linalg.svd(m.T @ target)  # (2, 2): the rotation taking m closest to target
        rotated = m @ (u @ vt)
        scale = target_norm / (np.linalg.norm(rotated) or 1.0)
        out.append((rotated * scale).astype(np.float32))
    return out
