"""Travel distances between children's homes or schools and candidate sites.

Every neighbourhood is represented by a point inside its polygon (shapely's
``representative_point``). A child's *anchor* is the nearest school of its age's type to its
home point, or the home point itself when the age band has no school or no schools are given.

Two ways of measuring a distance (``travel.mode``; docs/travel.md says more):

``straight`` (default)
    Straight line in RD New (metres) × ``travel.detour_factor``, in km.
``network``
    Shortest path along the roads of an OpenStreetMap extract (``travel.osm_file``) for one
    network type (drive, bike, walk), built with osmnx. Each point is snapped to its nearest
    network node and the snapping offsets are added at both ends. Points farther than
    ``travel.max_snap_m`` from the network fall back to straight line × detour factor (a
    :class:`TravelFallbackWarning` says how many). Only distances up to the largest distance band
    are computed (bounded multi-source Dijkstra); farther pairs are ``inf``. The result is cached
    on disk, keyed by the file's hash, the network type and the exact points.

In both modes a distance to a site is never taken below ``local_km × detour_factor``: the mean
distance from the centre of a disc of the site neighbourhood's area to a point in it (2/3 of its
radius), as a road distance. A site is somewhere in its neighbourhood, not at its representative
point, so "same neighbourhood" does not count as zero km.

osmnx, networkx and scipy are imported only inside the functions of the network mode, so that
the straight mode works without them (they are the ``network`` extra).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import ParseError
from xml.sax import SAXException

import geopandas as gpd
import numpy as np
import pandas as pd

from woonplanner.errors import InputDataError, ScenarioError
from woonplanner.fingerprint import file_sha256
from woonplanner.schema import AGE_BANDS, CRS

if TYPE_CHECKING:
    import networkx as nx
    import scipy.sparse

    from woonplanner.scenario import TravelConfig

#: Bump when the meaning of a cached matrix changes, so that old cache files are not read.
_CACHE_VERSION = 1

#: Rows of Dijkstra output held at once (rows × graph nodes float64): bounds memory on big graphs.
_DIJKSTRA_CELLS = 10_000_000


class TravelFallbackWarning(UserWarning):
    """Some points lie too far from the road network and use straight line × detour factor."""


class TravelCacheWarning(UserWarning):
    """The distance cache could not be written; the run goes on without it."""


@dataclass(frozen=True)
class TravelInfo:
    """How the distances of a run were measured, for the manifest and the progress output.

    Attributes
    ----------
    mode
        ``straight`` or ``network``.
    detour_factor
        Factor on straight lines (all of the straight mode; fallback points of the network mode).
    network_type, osm_file, speed_kmh
        The road network used (network mode only).
    cutoff_km
        Distances beyond this are not computed (``inf``).
    cache_file, cache_hit
        The cache file read or written, and whether it was read.
    points, snapped, fallback
        Distinct points (neighbourhood points and schools), those snapped to the network, and
        those that fell back to straight line × detour factor.
    largest_offset_m
        Largest distance from a snapped point to its network node.
    graph_nodes, graph_edges
        Size of the network (nodes, undirected edges); ``None`` when served from the cache.
    seconds
        Time per step: ``hash``, ``graph``, ``snap``, ``matrix``, ``cache``.
    """

    mode: str
    detour_factor: float
    network_type: str | None = None
    osm_file: str | None = None
    speed_kmh: float | None = None
    cutoff_km: float | None = None
    max_snap_m: float | None = None
    cache_file: str | None = None
    cache_hit: bool | None = None
    points: int = 0
    snapped: int = 0
    fallback: int = 0
    largest_offset_m: float | None = None
    graph_nodes: int | None = None
    graph_edges: int | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict for ``manifest["travel"]`` (seconds rounded to ms)."""
        out = asdict(self)
        out["seconds"] = {k: round(v, 3) for k, v in self.seconds.items()}
        if out["largest_offset_m"] is not None:
            out["largest_offset_m"] = round(out["largest_offset_m"], 1)
        return out

    def summary(self) -> str:
        """One line of progress output."""
        if self.mode == "straight":
            return f"Travel: straight line × {self.detour_factor:g} between neighbourhood points"
        name = Path(self.osm_file or "").name
        if self.cache_hit:
            how = f"served from cache {self.cache_file}"
        else:
            s = self.seconds
            how = (
                f"built from {name} ({self.graph_nodes:,} nodes) in {s.get('graph', 0.0):.1f} s, "
                f"distances in {s.get('snap', 0.0) + s.get('matrix', 0.0):.2f} s"
                + (f", cached in {self.cache_file}" if self.cache_file else ", not cached")
            )
        return (
            f"Road network ({self.network_type}): {how}; {self.snapped} of {self.points} points "
            f"on the network, {self.fallback} fell back to straight line × {self.detour_factor:g}"
        )


@dataclass(frozen=True)
class TravelMatrices:
    """The distance tables the youth-care layer needs, in km.

    Attributes
    ----------
    from_anchor
        ``len(anchors) × len(points)``: from each anchor (school or home) to each site.
    from_home
        ``len(points) × len(points)``: from each home to each site. In network mode it is exact
        (finite) wherever ``from_anchor`` is finite for one of that home's anchors; elsewhere it
        may be ``inf``, meaning "farther than the largest distance band".
    info
        How they were measured.
    """

    from_anchor: np.ndarray
    from_home: np.ndarray
    info: TravelInfo


# --- points ----------------------------------------------------------------------------------


def representative_points(neighbourhoods: gpd.GeoDataFrame) -> pd.DataFrame:
    """``code, x, y, local_km``: a point inside each polygon and its within-neighbourhood km."""
    points = neighbourhoods.geometry.representative_point()
    radius_m = np.sqrt(neighbourhoods.geometry.area.to_numpy() / np.pi)
    return pd.DataFrame(
        {
            "code": neighbourhoods["code"].to_numpy(),
            "x": points.x.to_numpy(),
            "y": points.y.to_numpy(),
            "local_km": (2.0 / 3.0) * radius_m / 1000.0,
        }
    )


#: A nearest school farther than this from home is taken as "the school is not in the file".
MAX_SCHOOL_KM = 20.0


def school_anchors(points: pd.DataFrame, schools: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Per neighbourhood and age band, the anchor point children are kept near.

    Returns
    -------
    DataFrame
        ``code, age_band, x, y, at_home`` (``at_home``: no school of that type within
        :data:`MAX_SCHOOL_KM` of home, so the anchor is home).
    """
    frames = []
    for band, _first, _last, school_type in AGE_BANDS:
        home = points[["x", "y"]].to_numpy()
        xy = home.copy()
        at_home = np.ones(len(points), dtype=bool)
        if school_type is not None and schools is not None and len(schools):
            of_type = schools[schools["type"] == school_type]
            if len(of_type):
                sxy = np.column_stack([of_type.geometry.x, of_type.geometry.y])
                d = _pairwise_m(home, sxy)
                nearest = np.argmin(d, axis=1)
                # A schools file that covers only part of the region (one gemeente's schools)
                # must not anchor children elsewhere to a school far away: beyond this the
                # child's school is not in the file, and its home stands in.
                covered = d[np.arange(len(home)), nearest] <= MAX_SCHOOL_KM * 1000.0
                xy[covered] = sxy[nearest[covered]]
                at_home = ~covered
        frames.append(
            pd.DataFrame(
                {
                    "code": points["code"].to_numpy(),
                    "age_band": band,
                    "x": xy[:, 0],
                    "y": xy[:, 1],
                    "at_home": at_home,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


# --- distances -------------------------------------------------------------------------------


def straight_line_km(
    from_xy: np.ndarray, sites: pd.DataFrame, *, detour_factor: float
) -> np.ndarray:
    """Matrix (len(from_xy) × len(sites)) of km: straight line × detour, floored locally.

    The floor ``sites.local_km`` applies everywhere: a site is somewhere in its neighbourhood,
    not at its representative point.
    """
    d_km = _pairwise_m(from_xy, sites[["x", "y"]].to_numpy()) / 1000.0
    return detour_factor * np.maximum(d_km, sites["local_km"].to_numpy()[None, :])


def distance_matrix_km(
    from_xy: np.ndarray, sites: pd.DataFrame, *, travel: TravelConfig, max_km: float
) -> tuple[np.ndarray, TravelInfo]:
    """Distances (km) from each point to each site, measured as ``travel`` says.

    Parameters
    ----------
    from_xy
        ``n × 2`` points in RD New (metres).
    sites
        ``x, y, local_km`` per site (the output of :func:`representative_points`).
    travel
        The scenario's travel settings.
    max_km
        Cutoff: in network mode, pairs farther than this are ``inf`` (not computed). The
        straight mode computes every pair.

    Returns
    -------
    km, info
        ``len(from_xy) × len(sites)`` km, and how they were measured.

    Warns
    -----
    TravelFallbackWarning
        When points lie farther than ``travel.max_snap_m`` from the network.
    """
    from_xy = np.asarray(from_xy, dtype=float).reshape(-1, 2)
    if travel.mode == "straight":
        km = straight_line_km(from_xy, sites, detour_factor=travel.detour_factor)
        return km, _straight_info(travel)
    site_xy = sites[["x", "y"]].to_numpy(dtype=float)
    cutoff_m = 1000.0 * max_km

    def compute(net: RoadNetwork, snap: _Snap) -> dict[str, np.ndarray]:
        f_node, f_off = snap.of(from_xy)
        s_node, s_off = snap.of(site_xy)
        limits = np.full(len(from_xy), cutoff_m)
        raw = _pair_m(net, (from_xy, f_node, f_off), (site_xy, s_node, s_off), limits)
        return {"raw_m": raw}

    arrays, info = _network_cached(
        travel,
        kind="matrix",
        points=(from_xy, site_xy),
        key_parts=(cutoff_m,),
        compute=compute,
        cutoff_km=max_km,
    )
    km = _to_km(arrays["raw_m"], from_xy, sites, travel.detour_factor, cutoff_km=max_km)
    return km, info


def travel_matrices(
    points: pd.DataFrame, anchors: pd.DataFrame, *, travel: TravelConfig, max_km: float
) -> TravelMatrices:
    """From anchors and from homes to every site: the two tables the youth-care arcs need.

    In network mode the distances from anchors are cut off at ``max_km``. Those from homes are
    computed as far as needed for every site within ``max_km`` of one of the home's anchors:
    ``d(home, site) ≤ d(home, anchor) + d(anchor, site)`` on the network bounds that reach, and a
    home whose anchor is off the network or beyond the cutoff is searched without a bound. The
    straight mode returns exactly :func:`straight_line_km` for both.

    Parameters
    ----------
    points
        ``code, x, y, local_km`` (sites and homes are the same points).
    anchors
        ``code, age_band, x, y`` from :func:`school_anchors`.
    travel
        The scenario's travel settings.
    max_km
        The largest distance band of the scenario.
    """
    anchor_xy = anchors[["x", "y"]].to_numpy(dtype=float)
    home_xy = points[["x", "y"]].to_numpy(dtype=float)
    if travel.mode == "straight":
        return TravelMatrices(
            from_anchor=straight_line_km(anchor_xy, points, detour_factor=travel.detour_factor),
            from_home=straight_line_km(home_xy, points, detour_factor=travel.detour_factor),
            info=_straight_info(travel),
        )
    home_of_anchor = pd.Index(points["code"]).get_indexer(anchors["code"])
    if (home_of_anchor < 0).any():
        msg = "anchors: codes that are not among the neighbourhood points"
        raise InputDataError(msg)
    cutoff_m = 1000.0 * max_km

    def compute(net: RoadNetwork, snap: _Snap) -> dict[str, np.ndarray]:
        a_node, a_off = snap.of(anchor_xy)
        h_node, h_off = snap.of(home_xy)
        sites = (home_xy, h_node, h_off)
        from_anchor = _pair_m(
            net, (anchor_xy, a_node, a_off), sites, np.full(len(anchor_xy), cutoff_m)
        )
        # Reach needed from each home: cutoff + its farthest anchor (triangle inequality). An
        # anchor off the network, or beyond the cutoff, leaves no bound.
        to_home = from_anchor[np.arange(len(anchor_xy)), home_of_anchor]
        reach = np.full(len(home_xy), 0.0)
        np.maximum.at(reach, home_of_anchor, np.where(np.isfinite(to_home), to_home, np.inf))
        finite = np.isfinite(reach)
        limits = np.where(finite, cutoff_m + (reach[finite].max() if finite.any() else 0.0), np.inf)
        from_home = _pair_m(net, sites, sites, limits)
        return {"from_anchor_m": from_anchor, "from_home_m": from_home}

    arrays, info = _network_cached(
        travel,
        kind="tables",
        points=(anchor_xy, home_xy),
        key_parts=(cutoff_m, home_of_anchor),
        compute=compute,
        cutoff_km=max_km,
    )
    return TravelMatrices(
        from_anchor=_to_km(
            arrays["from_anchor_m"], anchor_xy, points, travel.detour_factor, cutoff_km=max_km
        ),
        from_home=_to_km(arrays["from_home_m"], home_xy, points, travel.detour_factor, None),
        info=info,
    )


def travel_minutes(km: np.ndarray, *, travel: TravelConfig) -> np.ndarray:
    """Travel times (minutes) for distances ``km`` at ``travel``'s speed (``inf`` stays ``inf``)."""
    return 60.0 * np.asarray(km, dtype=float) / travel.effective_speed_kmh


def default_cache_dir() -> Path:
    """Where cached distance matrices go when ``travel.cache_dir`` is not set.

    ``$WOONPLANNER_CACHE_DIR`` if set; otherwise ``woonplanner/travel`` in the user's cache
    folder: ``%LOCALAPPDATA%`` on Windows, ``~/Library/Caches`` on macOS, ``$XDG_CACHE_HOME`` or
    ``~/.cache`` elsewhere. Not next to the OSM file: that folder is often shared or read-only.
    """
    if env := os.environ.get("WOONPLANNER_CACHE_DIR"):
        return Path(env).expanduser()
    if sys.platform == "win32" and (local := os.environ.get("LOCALAPPDATA")):
        base = Path(local)
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "woonplanner" / "travel"


def _straight_info(travel: TravelConfig) -> TravelInfo:
    return TravelInfo(mode="straight", detour_factor=travel.detour_factor)


def _to_km(
    raw_m: np.ndarray,
    from_xy: np.ndarray,
    sites: pd.DataFrame,
    detour_factor: float,
    cutoff_km: float | None,
) -> np.ndarray:
    """Raw network metres (NaN: fallback pair) → km with fallback, local floor and cutoff."""
    straight_km = _pairwise_m(from_xy, sites[["x", "y"]].to_numpy()) / 1000.0
    km = np.where(np.isnan(raw_m), detour_factor * straight_km, raw_m / 1000.0)
    km = np.maximum(km, detour_factor * sites["local_km"].to_numpy()[None, :])
    if cutoff_km is not None:
        km[km > cutoff_km] = np.inf
    return km


def _pairwise_m(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))


# --- road network ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RoadNetwork:
    """A road network in RD New, ready for snapping and shortest paths.

    Attributes
    ----------
    graph
        The osmnx graph (projected to EPSG:28992), used for snapping.
    adjacency
        Symmetric CSR matrix of edge lengths (metres) between node positions ``0..n-1``.
    node_ids
        OSM node id of each position.
    network_type
        ``drive``, ``bike`` or ``walk``.
    seconds
        Time to read, filter and project the network.
    """

    graph: nx.MultiDiGraph
    adjacency: scipy.sparse.csr_matrix
    node_ids: np.ndarray
    network_type: str
    seconds: float

    @property
    def n_nodes(self) -> int:
        """Nodes of the network."""
        return len(self.node_ids)

    @property
    def n_edges(self) -> int:
        """Undirected edges (each street segment once)."""
        return int(self.adjacency.nnz // 2)

    def snap(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node position and distance to it (metres) of each point."""
        import osmnx as ox

        ids, dist = ox.distance.nearest_nodes(self.graph, xy[:, 0], xy[:, 1], return_dist=True)
        return pd.Index(self.node_ids).get_indexer(ids), np.asarray(dist, dtype=float)

    def shortest_m(self, sources: np.ndarray, targets: np.ndarray, limit_m: float) -> np.ndarray:
        """``len(sources) × len(targets)`` shortest path lengths, ``inf`` beyond ``limit_m``."""
        from scipy.sparse.csgraph import dijkstra

        out = np.empty((len(sources), len(targets)))
        step = max(1, _DIJKSTRA_CELLS // max(1, self.n_nodes))
        for start in range(0, len(sources), step):
            chunk = sources[start : start + step]
            dist = dijkstra(self.adjacency, directed=True, indices=chunk, limit=limit_m)
            out[start : start + len(chunk)] = dist[:, targets]
        return out


def load_road_network(osm_file: str | Path, network_type: str) -> RoadNetwork:
    """Read, filter and project a road network with osmnx (no download, local files only).

    Parameters
    ----------
    osm_file
        OSM XML (``.osm``, ``.osm.bz2``, ``.xml``) or a GraphML file saved by osmnx.
    network_type
        ``drive``, ``bike`` or ``walk``. OSM XML is filtered with osmnx's own definition of the
        network type (its Overpass filter, applied to the ways' tags). A GraphML file is taken as
        it is: it was filtered when it was made.

    Returns
    -------
    RoadNetwork
        The largest connected part of the network, in RD New, with edge lengths in RD metres.

    Raises
    ------
    InputDataError
        The file is missing, unreadable, of an unsupported kind, or holds no such network.
    ScenarioError
        osmnx or scipy is not installed.
    """
    ox = _import_osmnx()
    path = Path(osm_file)
    start = time.perf_counter()
    kind = _osm_kind(path)
    try:
        if kind == "graphml":
            graph = ox.load_graphml(path)
        else:
            graph = _graph_from_xml(ox, path, network_type)
    # ParseError: the file is not XML at all (ElementTree, for OSM XML and GraphML alike).
    except (OSError, EOFError, ValueError, KeyError, SAXException, ParseError) as err:
        msg = f"travel.osm_file: cannot read {path} with osmnx: {err}"
        raise InputDataError(msg) from err
    if len(graph.edges) == 0:
        msg = f"travel.osm_file: {path} holds no {network_type} network"
        raise InputDataError(msg)
    # Distances are symmetric (see _adjacency), so connectivity is the undirected kind; the
    # largest part is kept so that every snapped point can reach every other.
    graph = ox.truncate.largest_component(graph, strongly=False)
    if str(graph.graph.get("crs", "")).upper() != CRS:
        graph = ox.project_graph(graph, to_crs=CRS)
    adjacency, node_ids = _adjacency(graph)
    return RoadNetwork(
        graph=graph,
        adjacency=adjacency,
        node_ids=node_ids,
        network_type=network_type,
        seconds=time.perf_counter() - start,
    )


def _import_osmnx() -> Any:
    try:
        import osmnx as ox
        import scipy.sparse.csgraph  # noqa: F401  (Dijkstra, and osmnx's projected snapping)
    except ImportError as err:
        msg = (
            f'travel.mode = "network" needs osmnx and scipy ({err.name} is missing): '
            "pip install 'woonplanner[network]'"
        )
        raise ScenarioError(msg) from err
    return ox


def _osm_kind(path: Path) -> str:
    if not path.is_file():
        msg = f"travel.osm_file: file not found: {path}"
        raise InputDataError(msg)
    name = path.name.lower()
    if name.endswith(".graphml"):
        return "graphml"
    if name.endswith((".osm", ".osm.bz2", ".xml", ".xml.bz2")):
        return "xml"
    if name.endswith(".pbf"):
        msg = (
            f"travel.osm_file: {path}: osmnx reads OSM XML, not PBF; convert it first "
            f"(osmium cat {path.name} -o {path.name.removesuffix('.pbf')}.bz2)"
        )
        raise InputDataError(msg)
    msg = f"travel.osm_file: {path}: expected .osm, .osm.bz2 or .graphml"
    raise InputDataError(msg)


def _graph_from_xml(ox: Any, path: Path, network_type: str) -> nx.MultiDiGraph:
    """All ways of the file as a graph, then only the edges of ``network_type``.

    ``graph_from_xml`` turns every way into edges (buildings too) and keeps only the tags in
    ``settings.useful_tags_way``; the tags osmnx's own filter reads are added for the duration of
    the call. The graph is not simplified: snapping then has every shape node to choose from,
    and simplifying ways with different tags would mix them before filtering.
    """
    clauses = _way_filter(ox, network_type)
    keys = {key for key, _op, _pattern in clauses}
    saved = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = sorted(set(saved) | keys)
    try:
        graph = ox.graph_from_xml(path, simplify=False, retain_all=True)
    finally:
        ox.settings.useful_tags_way = saved
    drop = [
        (u, v, k)
        for u, v, k, tags in graph.edges(keys=True, data=True)
        if not _way_passes(tags, clauses)
    ]
    graph.remove_edges_from(drop)
    graph.remove_nodes_from([n for n, degree in graph.degree() if degree == 0])
    return graph


_FILTER_CLAUSE = re.compile(r'\["(?P<key>[^"]+)"(?:(?P<op>!?~)"(?P<pattern>[^"]*)")?\]')


def _way_filter(ox: Any, network_type: str) -> list[tuple[str, str | None, re.Pattern | None]]:
    """osmnx's Overpass filter for ``network_type`` as ``(key, op, pattern)`` clauses.

    osmnx has no public filter for local files; its Overpass filter is the definition of each
    network type, so it is parsed here rather than copied (a copy would drift from osmnx).
    """
    text = ox._overpass._get_network_filter(network_type)
    clauses = [
        (m["key"], m["op"], re.compile(m["pattern"]) if m["op"] else None)
        for m in _FILTER_CLAUSE.finditer(text)
    ]
    if "".join(m[0] for m in _FILTER_CLAUSE.finditer(text)) != text:
        msg = f"cannot read osmnx's {network_type} filter (osmnx {version('osmnx')}): {text}"
        raise ScenarioError(msg)
    return clauses


def _way_passes(tags: dict[str, Any], clauses: list) -> bool:
    """Overpass semantics: ``[k]`` has k; ``[k~re]`` has k matching; ``[k!~re]`` lacks k or not."""
    for key, op, pattern in clauses:
        value = tags.get(key)
        if op is None:
            ok = value is not None
        elif op == "~":
            ok = value is not None and pattern.search(str(value)) is not None
        else:
            ok = value is None or pattern.search(str(value)) is None
        if not ok:
            return False
    return True


def _adjacency(graph: nx.MultiDiGraph) -> tuple[scipy.sparse.csr_matrix, np.ndarray]:
    """Symmetric CSR of edge lengths in RD metres, the shortest of parallel edges.

    Lengths are measured in RD New (the geometry's length, or the straight segment between the
    nodes), not osmnx's great-circle ``length``: then a path is never shorter than the straight
    line the straight mode measures. One-way restrictions are ignored: the model asks how far a
    site is from a school or home, not which way round a car must go, and a symmetric distance
    keeps the band tests independent of direction (docs/travel.md).
    """
    import scipy.sparse

    node_ids = np.fromiter(graph.nodes, dtype=np.int64, count=len(graph))
    position = pd.Index(node_ids)
    x = np.fromiter((d["x"] for _, d in graph.nodes(data=True)), dtype=float, count=len(graph))
    y = np.fromiter((d["y"] for _, d in graph.nodes(data=True)), dtype=float, count=len(graph))
    edges = list(graph.edges(data="geometry"))
    i = position.get_indexer([u for u, _, _ in edges])
    j = position.get_indexer([v for _, v, _ in edges])
    length = np.hypot(x[i] - x[j], y[i] - y[j])
    for n, (_, _, geometry) in enumerate(edges):
        if geometry is not None:
            length[n] = geometry.length
    i, j, length = np.r_[i, j], np.r_[j, i], np.r_[length, length]
    keep = i != j
    i, j, length = i[keep], j[keep], length[keep]
    order = np.lexsort((length, j, i))
    i, j, length = i[order], j[order], length[order]
    first = np.r_[True, (i[1:] != i[:-1]) | (j[1:] != j[:-1])]
    # Two nodes at the same spot give a zero length, which a sparse matrix would read as "no
    # edge"; a millimetre keeps them connected.
    length = np.maximum(length[first], 1e-3)
    n = len(node_ids)
    adjacency = scipy.sparse.csr_matrix((length, (i[first], j[first])), shape=(n, n))
    return adjacency, node_ids


# --- snapping, pairs and the cache -----------------------------------------------------------


@dataclass(frozen=True)
class _Snap:
    """Distinct points, their network node (-1: fell back) and offset."""

    xy: np.ndarray
    node: np.ndarray
    offset_m: np.ndarray

    def of(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Node and offset of each of ``xy`` (which must be among the snapped points)."""
        where = pd.MultiIndex.from_arrays(self.xy.T).get_indexer(
            pd.MultiIndex.from_arrays(np.asarray(xy, dtype=float).reshape(-1, 2).T)
        )
        return self.node[where], self.offset_m[where]


def _pair_m(
    net: RoadNetwork,
    origins: tuple[np.ndarray, np.ndarray, np.ndarray],
    sites: tuple[np.ndarray, np.ndarray, np.ndarray],
    limits_m: np.ndarray,
) -> np.ndarray:
    """Network metres origin → site: offset + path + offset; NaN where either fell back.

    ``limits_m`` is the search bound per origin; rows are grouped by bound so that each group
    is one multi-source Dijkstra from its distinct nodes. Two points on the same node are as far
    apart as the straight line between them (their path would be zero).
    """
    o_xy, o_node, o_off = origins
    s_xy, s_node, s_off = sites
    raw = np.full((len(o_node), len(s_node)), np.nan)
    s_ok = s_node >= 0
    if not s_ok.any():
        return raw
    targets = np.unique(s_node[s_ok])
    s_col = np.searchsorted(targets, s_node[s_ok])
    for limit in np.unique(limits_m[o_node >= 0]):
        rows = (o_node >= 0) & (limits_m == limit)
        sources = np.unique(o_node[rows])
        path = net.shortest_m(sources, targets, float(limit))
        path = path[np.searchsorted(sources, o_node[rows])][:, s_col]
        total = o_off[rows, None] + path + s_off[None, s_ok]
        same = o_node[rows, None] == s_node[None, s_ok]
        if same.any():
            total = np.where(same, _pairwise_m(o_xy[rows], s_xy[s_ok]), total)
        raw[np.ix_(rows, s_ok)] = total
    return raw


def _network_cached(
    travel: TravelConfig,
    *,
    kind: str,
    points: tuple[np.ndarray, ...],
    key_parts: tuple[float | np.ndarray, ...],
    compute: Callable[[RoadNetwork, _Snap], dict[str, np.ndarray]],
    cutoff_km: float,
) -> tuple[dict[str, np.ndarray], TravelInfo]:
    """Read the arrays ``compute`` would make from the cache, or make and cache them.

    ``points`` are snapped (each distinct point once) and handed to ``compute``. The key is the
    OSM file's sha256, the network type, the snapping threshold, the osmnx version, the exact
    coordinates of ``points`` and ``key_parts`` (the cutoff, …); the detour factor and local
    floors are applied after reading, so changing them needs no new computation.
    """
    if travel.osm_file is None:  # the scenario validator already refuses this
        msg = 'travel.osm_file: required when travel.mode = "network"'
        raise ScenarioError(msg)
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    osm_file = Path(travel.osm_file)
    _osm_kind(osm_file)
    file_sha = file_sha256(osm_file)
    seconds["hash"] = time.perf_counter() - start
    all_xy = np.unique(np.vstack([p.reshape(-1, 2) for p in points]), axis=0)

    key = hashlib.sha256()
    header = [_CACHE_VERSION, kind, file_sha, travel.network_type, travel.max_snap_m]
    key.update(json.dumps([*header, _osmnx_version()]).encode())
    for part in (*points, *key_parts):
        arr = np.ascontiguousarray(part, dtype=np.float64)
        key.update(str(arr.shape).encode())
        key.update(arr.tobytes())
    cache_dir = Path(travel.cache_dir) if travel.cache_dir else default_cache_dir()
    cache_path = cache_dir / f"{kind}-{key.hexdigest()[:40]}.npz"
    cache_file: Path | None = cache_path  # None when the cache cannot be written

    graph_size: tuple[int | None, int | None] = (None, None)
    start = time.perf_counter()
    arrays = _read_cache(cache_path)
    cache_hit = arrays is not None
    if arrays is not None:
        seconds["cache"] = time.perf_counter() - start
    else:
        net = _road_network(str(osm_file.resolve()), file_sha, travel.network_type)
        seconds["graph"] = net.seconds
        graph_size = (net.n_nodes, net.n_edges)
        start = time.perf_counter()
        node, offset = net.snap(all_xy)
        node = np.where(offset <= travel.max_snap_m, node, -1)
        snap = _Snap(xy=all_xy, node=node, offset_m=offset)
        seconds["snap"] = time.perf_counter() - start
        start = time.perf_counter()
        arrays = compute(net, snap)
        arrays.update(snap_xy=all_xy, snap_node=node, snap_offset_m=offset)
        seconds["matrix"] = time.perf_counter() - start
        start = time.perf_counter()
        if not _write_cache(cache_path, arrays):
            cache_file = None
        seconds["cache"] = time.perf_counter() - start

    on_net = arrays["snap_node"] >= 0
    fallback = int((~on_net).sum())
    info = TravelInfo(
        mode="network",
        detour_factor=travel.detour_factor,
        network_type=travel.network_type,
        osm_file=str(osm_file),
        speed_kmh=travel.effective_speed_kmh,
        cutoff_km=cutoff_km,
        max_snap_m=travel.max_snap_m,
        cache_file=None if cache_file is None else str(cache_file),
        cache_hit=cache_hit,
        points=len(on_net),
        snapped=int(on_net.sum()),
        fallback=fallback,
        largest_offset_m=float(arrays["snap_offset_m"][on_net].max()) if on_net.any() else None,
        graph_nodes=graph_size[0],
        graph_edges=graph_size[1],
        seconds=seconds,
    )
    if fallback:
        msg = (
            f"{fallback} of {len(on_net)} points lie more than {travel.max_snap_m:g} m from the "
            f"{travel.network_type} network of {osm_file.name}: their distances are straight "
            f"line × {travel.detour_factor:g}"
        )
        warnings.warn(msg, TravelFallbackWarning, stacklevel=3)
    return arrays, info


@functools.lru_cache(maxsize=2)
def _road_network(path: str, file_sha: str, network_type: str) -> RoadNetwork:
    """:func:`load_road_network`, kept in memory per file content and network type.

    ``file_sha`` is part of the memo key so that a file changed on disk is read again.
    """
    del file_sha
    return load_road_network(path, network_type)


def _osmnx_version() -> str:
    try:
        return version("osmnx")
    except PackageNotFoundError:
        return "none"


def _read_cache(path: Path) -> dict[str, np.ndarray] | None:
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError):
        # A damaged or half-written file is recomputed (and overwritten).
        return None


def _write_cache(path: Path, arrays: dict[str, np.ndarray]) -> bool:
    """Write atomically (temp file + rename), so a parallel run never reads half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as f:
            np.savez_compressed(f, **arrays)  # type: ignore[arg-type]
        Path(f.name).replace(path)
    except OSError as err:
        msg = f"cannot write the distance cache {path}: {err}; distances are not cached"
        warnings.warn(msg, TravelCacheWarning, stacklevel=4)
        return False
    return True
