"""Built-in synthetic domain-shift data: a small labelled "source" city and a shifted "target" city.

The generator draws procedural street scenes (sky, buildings, trees, terrain, sidewalk, road,
poles with signs, cars, persons) with numpy + OpenCV only, fully determined by a seed. Both domains
share the scene grammar, so their label distributions match; the target differs in appearance
through a *consistent* transformation applied to every image: a different per-class palette
(yellowing vegetation, dry grass, brownish asphalt, grey-blue pavement, other facade, window, car,
clothes and sign colours), then a global warm (dusk) colour cast, darkening, lower contrast, blur
and sensor noise. Each class keeps its own texture in both domains (road grain and lane marks,
paving tiles, window grids, blotchy foliage, streaky terrain, smooth sky with clouds), so the
classes stay separable by texture while colour statistics shift. ``layout_shift=True``
additionally changes the target layout (higher horizon, wider road, more cars, fewer trees).

Output follows the Cityscapes folder layout read by MMSegmentation's stock ``CityscapesDataset``::

    out_dir/{source,target}/leftImg8bit/{train,val}/synth/{idx:05d}_leftImg8bit.png
    out_dir/{source,target}/gtFine/{train,val}/synth/{idx:05d}_gtFine_labelTrainIds.png
    out_dir/meta.json

Labels are single-channel uint8 PNGs of Cityscapes train ids. Shapes are rasterised without
anti-aliasing into the label map and the image alike, so every pixel has an exact class and the
ignore index 255 is never written.
"""
import json
import os
import os.path as osp
import shutil
from dataclasses import dataclass
from typing import Callable, Dict, List, Sequence, Tuple

import cv2
import numpy as np

# Cityscapes train ids of the drawn classes.
ROAD, SIDEWALK, BUILDING, POLE, SIGN, VEGETATION, TERRAIN, SKY, PERSON, CAR = (
    0, 1, 2, 5, 7, 8, 9, 10, 11, 13)
SYNTHETIC_CLASSES: Tuple[int, ...] = (
    ROAD, SIDEWALK, BUILDING, POLE, SIGN, VEGETATION, TERRAIN, SKY, PERSON, CAR)

IMG_SUFFIX = '_leftImg8bit.png'
SEG_MAP_SUFFIX = '_gtFine_labelTrainIds.png'
CITY = 'synth'
DOMAINS = ('source', 'target')
SPLITS = ('train', 'val')
# Bump whenever the drawing code changes the produced pixels: stale data is then detected.
GENERATOR_VERSION = 1

Color = Tuple[int, int, int]
_Sample = Tuple[str, str, int, str, str]  # domain, split, index, image path, label path


@dataclass(frozen=True)
class DomainStyle:
    """Appearance of one domain (all colours RGB).

    Attributes:
        base: Colour of the classes drawn in one colour per domain (road, sidewalk, pole,
            vegetation, terrain) before their texture is applied.
        sky_top: Sky colour at the top of the image.
        sky_bottom: Sky colour at the horizon.
        buildings: Facade colours, one drawn per building.
        window: Window colour.
        stripe: Lane marking colour.
        signs: Sign face colours, one drawn per sign.
        cars: Car body colours, one drawn per car.
        clothes: Clothes colours, one drawn per garment.
        skin: Skin colour of persons.
        gain: Global brightness multiplier.
        cast: Per-channel (RGB) colour-cast multiplier.
        contrast: Contrast factor around the image mean (1 keeps it).
        blur_sigma: Gaussian blur sigma in pixels (0 disables it).
        noise_sigma: Standard deviation of additive Gaussian sensor noise.
    """

    base: Dict[int, Color]
    sky_top: Color
    sky_bottom: Color
    buildings: Tuple[Color, ...]
    window: Color
    stripe: Color
    signs: Tuple[Color, ...]
    cars: Tuple[Color, ...]
    clothes: Tuple[Color, ...]
    skin: Color
    gain: float
    cast: Tuple[float, float, float]
    contrast: float
    blur_sigma: float
    noise_sigma: float


@dataclass(frozen=True)
class Layout:
    """Scene-layout distribution of one domain.

    Attributes:
        horizon: Range of the horizon row as a fraction of the image height.
        road_half_width: Range of the road half width at the bottom row, fraction of the width.
        sidewalk_width: Range of each sidewalk's width at the bottom row, fraction of the width.
        cars: Inclusive range of the number of cars.
        persons: Inclusive range of the number of persons.
        poles: Inclusive range of the number of poles (each carries a sign).
        trees: Inclusive range of the number of trees.
    """

    horizon: Tuple[float, float]
    road_half_width: Tuple[float, float]
    sidewalk_width: Tuple[float, float]
    cars: Tuple[int, int]
    persons: Tuple[int, int]
    poles: Tuple[int, int]
    trees: Tuple[int, int]


SOURCE_STYLE = DomainStyle(
    base={ROAD: (95, 95, 100), SIDEWALK: (178, 168, 152), POLE: (135, 135, 140),
          VEGETATION: (62, 130, 48), TERRAIN: (152, 168, 92)},
    sky_top=(95, 150, 225), sky_bottom=(185, 210, 240),
    buildings=((168, 112, 92), (205, 192, 165), (140, 142, 152)),
    window=(55, 65, 88), stripe=(240, 240, 240),
    signs=((232, 200, 30), (205, 40, 40)),
    cars=((200, 30, 30), (230, 230, 230), (35, 35, 40), (40, 70, 170), (160, 165, 170)),
    clothes=((40, 60, 150), (170, 40, 40), (30, 30, 30), (60, 120, 60)),
    skin=(225, 185, 150),
    gain=1.0, cast=(1.0, 1.0, 1.0), contrast=1.0, blur_sigma=0.0, noise_sigma=2.0)

# A different city at dusk: olive (yellowing) vegetation, dry grass, brownish asphalt, grey-blue
# pavement, mauve/khaki facades with dimly lit windows, other car, clothes and sign colours; then a
# warm cast, darker, flatter, slightly blurred and noisier. Tuned so a small FCN trained on the
# source drops from ~99 to ~46-52 mIoU on the target, every class still partly recognised.
TARGET_STYLE = DomainStyle(
    base={ROAD: (108, 94, 90), SIDEWALK: (145, 147, 151), POLE: (99, 102, 105),
          VEGETATION: (113, 123, 42), TERRAIN: (141, 142, 95)},
    sky_top=(95, 150, 225), sky_bottom=(185, 210, 240),
    buildings=((131, 111, 116), (180, 178, 142), (160, 139, 156)),
    window=(140, 132, 102), stripe=(238, 222, 150),
    signs=((194, 178, 65), (212, 80, 80)),
    cars=((128, 80, 48), (230, 216, 144), (37, 87, 94), (76, 61, 156), (192, 145, 107)),
    clothes=((112, 110, 110), (120, 94, 94), (84, 57, 39), (118, 152, 123)),
    skin=(191, 149, 118),
    gain=0.86, cast=(1.04, 0.96, 0.9), contrast=0.825, blur_sigma=0.4, noise_sigma=4.5)

SOURCE_LAYOUT = Layout(horizon=(0.40, 0.50), road_half_width=(0.32, 0.45),
                       sidewalk_width=(0.12, 0.30), cars=(1, 4), persons=(1, 3), poles=(1, 3),
                       trees=(1, 4))
SHIFTED_LAYOUT = Layout(horizon=(0.30, 0.38), road_half_width=(0.48, 0.60),
                        sidewalk_width=(0.08, 0.18), cars=(3, 7), persons=(1, 2), poles=(1, 2),
                        trees=(1, 2))


# Per-class grey-level noise (standard deviation) added on top of the flat colours.
_GRAIN = np.zeros(256, np.float32)
_GRAIN[[ROAD, SIDEWALK, BUILDING, POLE, SIGN, VEGETATION, TERRAIN, SKY, PERSON, CAR]] = (
    12, 5, 4, 3, 2, 10, 9, 2, 4, 3)

Drawer = Callable[[np.ndarray, object], None]


@dataclass(frozen=True)
class _Street:
    """Ground geometry of one scene: the vanishing point and the bottom-row half widths."""

    horizon: int
    bottom: int
    vanish_x: float
    road_half: float
    walk_left: float
    walk_right: float

    def span(self, y: float, outer: float) -> float:
        """Half width at row ``y`` of a ground band whose bottom-row half width is ``outer``."""
        return outer * max(y - self.horizon, 0.0) / max(1.0, self.bottom - self.horizon)

    def scale(self, y: float) -> float:
        """Perspective scale at row ``y``: 0 at the horizon, 1 at the bottom row."""
        return self.span(y, 1.0)


def _smooth_noise(rng: np.random.Generator, shape: Tuple[int, int], cell: Tuple[int, int],
                  ) -> np.ndarray:
    """Unit-scale low-frequency noise: a coarse Gaussian grid upsampled bilinearly.

    Args:
        rng: Random generator.
        shape: ``(H, W)`` of the result.
        cell: ``(cy, cx)`` size of one grid cell in pixels (the blob size).

    Returns:
        np.ndarray: float32 array of shape ``(H, W)``.
    """
    h, w = shape
    grid = rng.standard_normal((h // cell[0] + 2, w // cell[1] + 2), dtype=np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_LINEAR)


def _rect(x0: float, y0: float, x1: float, y1: float) -> Drawer:
    """Drawer of the filled axis-aligned rectangle with corners ``(x0, y0)``, ``(x1, y1)``."""
    p0, p1 = (round(x0), round(y0)), (round(x1), round(y1))
    return lambda m, v: cv2.rectangle(m, p0, p1, v, -1)


def _poly(points: Sequence[Tuple[float, float]]) -> Drawer:
    """Drawer of the filled polygon through ``points``."""
    pts = [np.round(np.asarray(points, np.float64)).astype(np.int32)]
    return lambda m, v: cv2.fillPoly(m, pts, v)


def _ellipse(cx: float, cy: float, ax: float, ay: float) -> Drawer:
    """Drawer of the filled axis-aligned ellipse centred at ``(cx, cy)``."""
    centre, axes = (round(cx), round(cy)), (max(1, round(ax)), max(1, round(ay)))
    return lambda m, v: cv2.ellipse(m, centre, axes, 0, 0, 360, v, -1)


class _Canvas:
    """A float RGB image and its train-id map, drawn together shape by shape (no anti-aliasing)."""

    def __init__(self, height: int, width: int) -> None:
        self.img = np.zeros((height, width, 3), np.float32)
        self.label = np.zeros((height, width), np.uint8)
        self.shape = (height, width)

    def paint(self, draw: Drawer, cls: int, color: Sequence[float]) -> None:
        """Draw a shape of class ``cls`` in ``color``."""
        draw(self.label, int(cls))
        draw(self.img, tuple(float(c) for c in color))

    def detail(self, draw: Drawer, color: Sequence[float]) -> None:
        """Draw inside an already painted object without changing labels (windows, wheels...)."""
        draw(self.img, tuple(float(c) for c in color))


def _pick(rng: np.random.Generator, colors: Sequence[Color], jitter: float = 0.12) -> np.ndarray:
    """One of ``colors`` with a random brightness jitter of ±``jitter``, as float32 RGB."""
    color = np.asarray(colors[rng.integers(len(colors))], np.float32)
    return color * (1.0 + rng.uniform(-jitter, jitter))


def _paint_sky(cv: _Canvas, rng: np.random.Generator, style: DomainStyle, horizon: int) -> None:
    """Fill the whole canvas with sky: a vertical gradient with soft clouds."""
    h, w = cv.shape
    t = np.clip(np.arange(h, dtype=np.float32) / max(1, horizon), 0, 1)[:, None, None]
    cv.img[:] = (1 - t) * np.asarray(style.sky_top, np.float32) + t * np.asarray(
        style.sky_bottom, np.float32)
    cv.img += np.clip(_smooth_noise(rng, (h, w), (h // 4 + 1, w // 6 + 1)), 0, None)[..., None] * 28
    cv.label[:] = SKY


def _paint_buildings(cv: _Canvas, rng: np.random.Generator, style: DomainStyle,
                     horizon: int) -> None:
    """Draw a skyline of facades with window grids, standing on the horizon."""
    w = cv.shape[1]
    x = -int(rng.integers(0, w // 10 + 1))
    while x < w:
        bw = int(rng.integers(w // 10, w // 4 + 1))
        if rng.random() < 0.15:  # a gap showing sky
            x += bw // 2
            continue
        top = int(rng.uniform(0.0, 0.75) * horizon)
        cv.paint(_rect(x, top, x + bw - 1, horizon + 1), BUILDING, _pick(rng, style.buildings))
        win_w, win_h = int(rng.integers(2, 5)), int(rng.integers(3, 6))
        pitch_x, pitch_y = win_w + int(rng.integers(2, 5)), win_h + int(rng.integers(2, 5))
        x0, x1 = max(x + 2, 0), min(x + bw - 2, w)
        block = cv.img[top + 2:horizon - 1, x0:x1]
        rows = (np.arange(block.shape[0]) % pitch_y) < win_h
        cols = ((np.arange(x0, x1) - x - 2) % pitch_x) < win_w
        block[rows[:, None] & cols[None, :]] = style.window
        x += bw


def _paint_ground(cv: _Canvas, rng: np.random.Generator, style: DomainStyle,
                  st: _Street) -> None:
    """Paint terrain below the horizon, the two sidewalks, the road and its dashed centre line."""
    h, w = cv.shape
    vx, hz = st.vanish_x, st.horizon
    cv.paint(_rect(0, hz, w - 1, h - 1), TERRAIN, style.base[TERRAIN])
    for side, outer in ((-1, st.walk_left), (1, st.walk_right)):
        inner_x, outer_x = vx + side * st.road_half, vx + side * (st.road_half + outer)
        cv.paint(_poly([(vx, hz), (outer_x, h - 1), (inner_x, h - 1)]), SIDEWALK,
                 style.base[SIDEWALK])
    cv.paint(_poly([(vx, hz), (vx - st.road_half, h - 1), (vx + st.road_half, h - 1)]), ROAD,
             style.base[ROAD])
    y = float(h - 1)
    while y > hz + 2:
        dash, half = max(2.0, 0.25 * (y - hz)), max(0.5, 0.02 * (y - hz))
        cv.detail(_rect(vx - half, y - dash, vx + half, y), style.stripe)
        y -= 2 * dash


def _ground_x(rng: np.random.Generator, st: _Street, y: float, width: int, on_road: bool) -> float:
    """A random column at row ``y`` on the road or a sidewalk, clipped into the image."""
    road = st.span(y, st.road_half)
    if on_road:
        x = st.vanish_x + rng.uniform(-0.8, 0.8) * road
    else:
        side = -1 if rng.random() < 0.5 else 1
        outer = st.span(y, st.road_half + (st.walk_left if side < 0 else st.walk_right))
        x = st.vanish_x + side * rng.uniform(road + 0.25 * (outer - road), outer)
    return float(np.clip(x, 2, width - 3))


def _paint_tree(cv: _Canvas, rng: np.random.Generator, style: DomainStyle, st: _Street) -> None:
    """One tree behind the sidewalk: a trunk and a crown of overlapping ellipses."""
    h, w = cv.shape
    cx, base = rng.uniform(0, w), st.horizon + rng.uniform(0, 0.15 * (h - st.horizon))
    size = rng.uniform(0.10, 0.22) * h
    trunk_w = max(1.0, size * 0.12)
    color = style.base[VEGETATION]
    cv.paint(_rect(cx - trunk_w, base - size, cx + trunk_w, base), VEGETATION, color)
    for _ in range(int(rng.integers(3, 6))):
        cv.paint(_ellipse(cx + rng.uniform(-0.5, 0.5) * size, base - size * rng.uniform(1.0, 1.6),
                          size * rng.uniform(0.4, 0.7), size * rng.uniform(0.35, 0.6)),
                 VEGETATION, color)


def _paint_pole(cv: _Canvas, rng: np.random.Generator, style: DomainStyle, st: _Street) -> None:
    """A pole standing on a sidewalk, carrying a round or rectangular sign with a dark rim."""
    h, w = cv.shape
    y = rng.uniform(st.horizon + 0.2 * (h - st.horizon), h - 1)
    x, s = _ground_x(rng, st, y, w, on_road=False), st.scale(y)
    top = st.horizon - rng.uniform(0.3, 0.6) * h * s - 4
    half = max(0.5, 1.6 * s)
    cv.paint(_rect(x - half, top, x + half, y), POLE, style.base[POLE])
    r = max(2.0, 7.0 * s + 1)
    face = _pick(rng, style.signs, 0.05)
    if rng.random() < 0.5:
        cv.paint(_ellipse(x, top + r, r, r), SIGN, face * 0.55)
        cv.detail(_ellipse(x, top + r, r - 1, r - 1), face)
    else:
        cv.paint(_rect(x - r, top, x + r, top + 1.5 * r), SIGN, face * 0.55)
        cv.detail(_rect(x - r + 1, top + 1, x + r - 1, top + 1.5 * r - 1), face)


def _paint_person(cv: _Canvas, rng: np.random.Generator, style: DomainStyle,
                  st: _Street) -> None:
    """A pedestrian on a sidewalk: legs, torso and head, sized by perspective."""
    h, w = cv.shape
    y = rng.uniform(st.horizon + 0.15 * (h - st.horizon), h - 1)
    x, s = _ground_x(rng, st, y, w, on_road=False), st.scale(y)
    ph = max(6.0, 0.55 * h * s)
    hw = max(1.5, 0.13 * ph)
    cv.paint(_rect(x - hw, y - 0.5 * ph, x + hw, y), PERSON, _pick(rng, style.clothes) * 0.7)
    cv.paint(_rect(x - hw * 1.2, y - 0.85 * ph, x + hw * 1.2, y - 0.45 * ph), PERSON,
             _pick(rng, style.clothes))
    cv.paint(_ellipse(x, y - 0.92 * ph, hw * 0.8, 0.09 * ph), PERSON, style.skin)


def _paint_car(cv: _Canvas, rng: np.random.Generator, style: DomainStyle, y: float,
               st: _Street) -> None:
    """A car on the road with its bottom at row ``y``: body, cabin, windows and wheels."""
    w = cv.shape[1]
    x, s = _ground_x(rng, st, y, w, on_road=True), st.scale(y)
    cw = max(6.0, rng.uniform(0.28, 0.38) * w * s)
    ch = cw * rng.uniform(0.5, 0.62)
    body = _pick(rng, style.cars)
    cv.paint(_rect(x - cw / 2, y - 0.55 * ch, x + cw / 2, y), CAR, body)
    cv.paint(_poly([(x - 0.38 * cw, y - 0.55 * ch), (x - 0.28 * cw, y - ch),
                    (x + 0.28 * cw, y - ch), (x + 0.38 * cw, y - 0.55 * ch)]), CAR, body)
    cv.detail(_rect(x - 0.28 * cw, y - 0.9 * ch, x + 0.28 * cw, y - 0.62 * ch),
              np.asarray(style.window, np.float32) * 0.6)
    wheel_r = max(1.0, 0.12 * cw)
    for wx in (x - 0.3 * cw, x + 0.3 * cw):
        cv.detail(_ellipse(wx, y - wheel_r, wheel_r, wheel_r), (20, 20, 22))


def _apply_textures(cv: _Canvas, rng: np.random.Generator) -> None:
    """Give each class its texture: tiles, blotches, streaks and per-class grain."""
    h, w = cv.shape
    label = cv.label
    tile = int(rng.integers(5, 9))
    rows, cols = np.mgrid[0:h, 0:w]
    tiles = np.where((rows % tile == 0) | (cols % (2 * tile) == 0), -0.22, 0.0)
    blotches = 0.3 * _smooth_noise(rng, (h, w), (3, 3)) + 0.15 * _smooth_noise(rng, (h, w), (8, 8))
    streaks = 0.12 * cv2.resize(rng.standard_normal((h, w // 8 + 2), dtype=np.float32), (w, h),
                                interpolation=cv2.INTER_LINEAR)
    gain = 1 + np.select([label == SIDEWALK, label == VEGETATION, label == TERRAIN],
                         [tiles, blotches, streaks], 0.0).astype(np.float32)
    grain = rng.standard_normal((h, w), dtype=np.float32) * _GRAIN[label]
    cv.img *= gain[..., None]
    cv.img += grain[..., None]


def _apply_camera(img: np.ndarray, rng: np.random.Generator, style: DomainStyle) -> np.ndarray:
    """Apply the domain's global lighting, contrast, blur and sensor noise; return uint8 RGB."""
    mean = img.mean(axis=(0, 1), keepdims=True)
    img = (mean + (img - mean) * style.contrast) * style.gain * np.asarray(style.cast, np.float32)
    if style.blur_sigma > 0:
        img = cv2.GaussianBlur(img, (0, 0), style.blur_sigma)
    img = img + rng.standard_normal(img.shape, dtype=np.float32) * style.noise_sigma
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def render_scene(rng: np.random.Generator, width: int, height: int, style: DomainStyle,
                 layout: Layout) -> Tuple[np.ndarray, np.ndarray]:
    """Render one random street scene.

    Args:
        rng: Random generator; it alone determines the scene.
        width: Image width in pixels.
        height: Image height in pixels.
        style: Appearance of the domain.
        layout: Scene-layout distribution of the domain.

    Returns:
        tuple: ``(img, label)``: uint8 RGB image ``(H, W, 3)`` and uint8 train-id map ``(H, W)``.
    """
    cv = _Canvas(height, width)
    horizon = round(rng.uniform(*layout.horizon) * height)
    st = _Street(horizon=horizon, bottom=height - 1, vanish_x=rng.uniform(0.35, 0.65) * width,
                 road_half=rng.uniform(*layout.road_half_width) * width,
                 walk_left=rng.uniform(*layout.sidewalk_width) * width,
                 walk_right=rng.uniform(*layout.sidewalk_width) * width)
    _paint_sky(cv, rng, style, horizon)
    _paint_buildings(cv, rng, style, horizon)
    _paint_ground(cv, rng, style, st)
    for _ in range(int(rng.integers(layout.trees[0], layout.trees[1] + 1))):
        _paint_tree(cv, rng, style, st)
    for _ in range(int(rng.integers(layout.poles[0], layout.poles[1] + 1))):
        _paint_pole(cv, rng, style, st)
    for _ in range(int(rng.integers(layout.persons[0], layout.persons[1] + 1))):
        _paint_person(cv, rng, style, st)
    n_cars = int(rng.integers(layout.cars[0], layout.cars[1] + 1))
    for y in np.sort(rng.uniform(horizon + 0.15 * (height - horizon), height - 1, n_cars)):
        _paint_car(cv, rng, style, float(y), st)
    _apply_textures(cv, rng)
    return _apply_camera(cv.img, rng, style), cv.label


def _sample_paths(out_dir: str, domain: str, split: str, idx: int) -> Tuple[str, str]:
    """``(image_path, label_path)`` of one sample."""
    root = osp.join(out_dir, domain)
    img = osp.join(root, 'leftImg8bit', split, CITY, f'{idx:05d}{IMG_SUFFIX}')
    seg = osp.join(root, 'gtFine', split, CITY, f'{idx:05d}{SEG_MAP_SUFFIX}')
    return img, seg


def _all_paths(out_dir: str, counts: Dict[str, int]) -> List[_Sample]:
    """``(domain, split, idx, image_path, label_path)`` of every sample, in generation order."""
    return [(domain, split, idx, *_sample_paths(out_dir, domain, split, idx))
            for domain in DOMAINS for split in SPLITS for idx in range(counts[split])]


def _check_params(params: Dict[str, object]) -> None:
    """Raise ValueError naming the first out-of-range parameter."""
    minima = {'num_train': 1, 'num_val': 1, 'width': 64, 'height': 32, 'seed': 0}
    for key, low in minima.items():
        value = params[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f'{key} must be an int >= {low}, got {value!r}')


def _write_png(path: str, array: np.ndarray) -> None:
    """Write ``array`` (RGB or single channel) as PNG to ``path``; raise IOError on failure."""
    data = cv2.cvtColor(array, cv2.COLOR_RGB2BGR) if array.ndim == 3 else array
    if not cv2.imwrite(path, data):
        raise IOError(f'could not write {path}')


def _is_up_to_date(meta_path: str, params: Dict[str, object], paths: List[_Sample],
                   overwrite: bool) -> bool:
    """Whether ``meta_path`` records ``params`` and every sample file exists.

    Raises:
        ValueError: If ``meta_path`` records other parameters and ``overwrite`` is False.
    """
    if not osp.isfile(meta_path):
        return False
    with open(meta_path) as f:
        old = json.load(f)
    differing = sorted(k for k in set(old) | set(params) if old.get(k) != params.get(k))
    if differing and not overwrite:
        changes = ', '.join(f'{k}: {old.get(k)!r} -> {params.get(k)!r}' for k in differing)
        raise ValueError(f'{meta_path} was generated with different parameters ({changes}); '
                         'pass overwrite=True or use another out_dir')
    return not differing and all(osp.isfile(p) for *_, img, seg in paths for p in (img, seg))


def _reset_city_dirs(out_dir: str) -> None:
    """Empty (or create) every ``synth`` city folder below ``out_dir``, dropping stale samples."""
    for domain in DOMAINS:
        for split in SPLITS:
            for kind in ('leftImg8bit', 'gtFine'):
                city_dir = osp.join(out_dir, domain, kind, split, CITY)
                shutil.rmtree(city_dir, ignore_errors=True)
                os.makedirs(city_dir)


def generate_synthetic_uda_data(out_dir: str, num_train: int = 200, num_val: int = 60,
                                width: int = 192, height: int = 96, seed: int = 0,
                                layout_shift: bool = False, overwrite: bool = False) -> dict:
    """Generate (or reuse) the synthetic source/target street-scene datasets.

    Idempotent: when ``out_dir/meta.json`` records the same parameters and every file exists,
    nothing is written. The files are a pure function of the parameters (byte-identical across
    runs with the same numpy and OpenCV versions). ``meta.json`` is written last, so an interrupted
    run is regenerated next time.

    Args:
        out_dir: Output root; ``source/`` and ``target/`` Cityscapes-style trees go below it.
        num_train: Images per domain in the ``train`` split (>= 1).
        num_val: Images per domain in the ``val`` split (>= 1).
        width: Image width in pixels (>= 64).
        height: Image height in pixels (>= 32).
        seed: Non-negative seed of the whole dataset.
        layout_shift: Also shift the target scene layout (higher horizon, wider road, more cars,
            fewer trees), not only its appearance.
        overwrite: Regenerate even if ``meta.json`` holds different parameters.

    Returns:
        dict: ``source_root`` and ``target_root`` (the ``data_root`` of each domain), ``meta``
        (path of meta.json), ``num_train``, ``num_val``, ``num_files`` (images plus labels
        written or found) and ``generated`` (False when existing data was reused).

    Raises:
        ValueError: On an out-of-range parameter, or when ``out_dir`` holds data generated with
            other parameters and ``overwrite`` is False.
    """
    params = dict(generator_version=GENERATOR_VERSION, num_train=num_train, num_val=num_val,
                  width=width, height=height, seed=seed, layout_shift=bool(layout_shift))
    _check_params(params)
    meta_path = osp.join(out_dir, 'meta.json')
    paths = _all_paths(out_dir, {'train': num_train, 'val': num_val})
    result = dict(source_root=osp.join(out_dir, 'source'), target_root=osp.join(out_dir, 'target'),
                  meta=meta_path, num_train=num_train, num_val=num_val, num_files=2 * len(paths))
    if _is_up_to_date(meta_path, params, paths, overwrite):
        return dict(result, generated=False)

    if osp.isfile(meta_path):
        os.remove(meta_path)
    _reset_city_dirs(out_dir)
    layouts = {'source': SOURCE_LAYOUT, 'target': SHIFTED_LAYOUT if layout_shift else SOURCE_LAYOUT}
    styles = {'source': SOURCE_STYLE, 'target': TARGET_STYLE}
    for domain, split, idx, img_path, seg_path in paths:
        rng = np.random.default_rng([seed, DOMAINS.index(domain), SPLITS.index(split), idx])
        img, label = render_scene(rng, width, height, styles[domain], layouts[domain])
        _write_png(img_path, img)
        _write_png(seg_path, label)
    with open(meta_path, 'w') as f:
        json.dump(params, f, indent=2, sort_keys=True)
    return dict(result, generated=True)
