"""Fourier domain adaptation (Yang & Soatto, CVPR 2020): exactness on small arrays.

Float results are compared to 1e-9 (relative to the spectrum's scale); ``beta = 0`` and a
source used as its own target are checked bit for bit on ``uint8`` images.
"""
import inspect
import os.path as osp

import mmcv
import numpy as np
import pytest
from mmengine.config import Config

from mmseg.registry import DATASETS, TRANSFORMS
from mmseg_uda.datasets.fda import (FourierDomainAdaptation, fda_source_to_target,
                                    low_frequency_band, to_uint8)
from mmseg_uda.testing import shipped_configs
from tests.conftest import REPO, SHARED_DATA

SHAPES = [(16, 20, 3), (17, 21, 3), (9, 12)]


def spectrum(image: np.ndarray):
    """Shifted amplitude and phase of every channel."""
    f = np.fft.fft2(image.astype(np.float64), axes=(0, 1))
    return np.fft.fftshift(np.abs(f), axes=(0, 1)), np.fft.fftshift(np.angle(f), axes=(0, 1))


def band_mask(shape, beta: float) -> np.ndarray:
    rows, cols = low_frequency_band(shape[0], shape[1], beta)
    mask = np.zeros(shape[:2], dtype=bool)
    mask[rows, cols] = True
    return mask


def write_images(folder, images, names=None):
    folder.mkdir(parents=True, exist_ok=True)
    names = names or [f'{i:02d}.png' for i in range(len(images))]
    for name, image in zip(names, images):
        assert mmcv.imwrite(image, str(folder / name))
    return str(folder)


@pytest.mark.parametrize('shape', SHAPES)
def test_low_band_from_target_high_band_and_phase_from_source(shape):
    rng = np.random.default_rng(0)
    source, target = rng.uniform(0, 255, shape), rng.uniform(0, 255, shape)
    beta = 0.25
    out = fda_source_to_target(source, target, beta)
    assert out.shape == source.shape and out.dtype == np.float64
    amp_out, pha_out = spectrum(out)
    amp_src, pha_src = spectrum(source)
    amp_trg, _ = spectrum(target)
    mask = band_mask(shape, beta)
    b = int(np.floor(min(shape[:2]) * beta))
    assert mask.sum() == (2 * b + 1) ** 2 and b >= 2
    assert mask[shape[0] // 2, shape[1] // 2], 'the band holds the DC term'
    scale = amp_src.max()
    np.testing.assert_allclose(amp_out[mask], amp_trg[mask], rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(amp_out[~mask], amp_src[~mask], rtol=0, atol=1e-9 * scale)
    assert not np.allclose(amp_src[mask], amp_trg[mask]), 'the test must swap something'
    # phase kept wherever it is defined (non-negligible amplitude)
    defined = (amp_out > 1e-6 * scale) & (amp_src > 1e-6 * scale)
    dphase = np.angle(np.exp(1j * (pha_out - pha_src)))[defined]
    np.testing.assert_allclose(dphase, 0, atol=1e-7)


def test_band_is_the_reference_centred_square():
    """Half-size b = floor(min(h, w) * beta); rows h//2-b .. h//2+b, as low_freq_mutate_np."""
    assert low_frequency_band(17, 21, 0.25) == (slice(4, 13), slice(6, 15))
    assert low_frequency_band(16, 20, 0.1) == (slice(7, 10), slice(9, 12))
    assert low_frequency_band(16, 20, 0.05) == (slice(0, 0), slice(0, 0))  # b = 0: empty
    with pytest.raises(ValueError, match='0.6'):
        low_frequency_band(16, 20, 0.6)


@pytest.mark.parametrize('beta', [0.0, 0.05])
def test_empty_band_is_bit_exact_identity(beta, tmp_path):
    rng = np.random.default_rng(1)
    source = rng.integers(0, 256, (16, 20, 3), dtype=np.uint8)
    target_dir = write_images(tmp_path / 't', [rng.integers(0, 256, (16, 20, 3), np.uint8)])
    fda = FourierDomainAdaptation(target_dir=target_dir, beta=beta)
    out = fda(dict(img=source.copy()))['img']
    assert out.dtype == np.uint8 and np.array_equal(out, source)
    as_float = source.astype(np.float32)
    out = fda(dict(img=as_float.copy()))['img']
    assert out.dtype == np.float32 and np.array_equal(out, as_float)


@pytest.mark.parametrize('shape', SHAPES)
def test_own_amplitude_round_trips(shape, tmp_path):
    """With the source as its own target the FFT path returns the source: to 1e-9 in float,
    bit for bit after the uint8 rounding."""
    rng = np.random.default_rng(2)
    source = rng.integers(0, 256, shape, dtype=np.uint8)
    np.testing.assert_allclose(fda_source_to_target(source, source, 0.3), source, atol=1e-9)
    colour = source if source.ndim == 3 else np.stack([source] * 3, axis=-1)
    fda = FourierDomainAdaptation(target_dir=write_images(tmp_path / 't', [colour]), beta=0.3)
    out = fda(dict(img=source.copy()))['img']
    assert out.dtype == np.uint8 and out.shape == source.shape
    assert np.array_equal(out, source)


def test_uint8_rounding_and_clipping_follow_the_reference():
    """scipy.misc.toimage(x, cmin=0, cmax=255): clip to [0, 255], then round half up."""
    values = np.array([-3.0, 0.49, 0.5, 1.5, 2.5, 254.5, 254.4, 300.0])
    assert to_uint8(values).tolist() == [0, 0, 1, 2, 3, 255, 254, 255]


def test_transform_uint8_and_float(tmp_path):
    rng = np.random.default_rng(3)
    # a hard-edged dark source and a bright target: the float result leaves [0, 255]
    source = np.zeros((16, 20, 3), np.uint8)
    source[:, ::2] = 255
    target = rng.integers(200, 256, (16, 20, 3), dtype=np.uint8)
    fda = FourierDomainAdaptation(target_dir=write_images(tmp_path / 't', [target]), beta=0.2)
    expected = fda_source_to_target(source, target, 0.2)
    assert expected.min() < 0 or expected.max() > 255
    out = fda(dict(img=source.copy(), img_path='src.png'))
    assert out['img'].dtype == np.uint8 and out['img'].shape == source.shape
    assert np.array_equal(out['img'], to_uint8(expected))
    assert out['fda_target_path'] == osp.join(str(tmp_path / 't'), '00.png')
    out = fda(dict(img=source.astype(np.float32)))['img']
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-3)  # float32, unclipped


def test_target_of_another_size_is_resized_bicubic(tmp_path):
    rng = np.random.default_rng(4)
    source = rng.integers(0, 256, (16, 20, 3), dtype=np.uint8)
    target = rng.integers(0, 256, (11, 30, 3), dtype=np.uint8)
    fda = FourierDomainAdaptation(target_dir=write_images(tmp_path / 't', [target]), beta=0.2)
    resized = mmcv.imresize(target, (20, 16), interpolation='bicubic')
    out = fda(dict(img=source.copy()))['img']
    assert np.array_equal(out, to_uint8(fda_source_to_target(source, resized, 0.2)))


def test_deterministic_under_a_seed(tmp_path):
    rng = np.random.default_rng(5)
    targets = [rng.integers(0, 256, (16, 20, 3), dtype=np.uint8) for _ in range(3)]
    fda = TRANSFORMS.build(dict(type='FourierDomainAdaptation', beta=0.2,
                                target_dir=write_images(tmp_path / 't', targets)))
    source = rng.integers(0, 256, (16, 20, 3), dtype=np.uint8)

    def run(seed):
        np.random.seed(seed)
        outs = [fda(dict(img=source.copy())) for _ in range(12)]
        return [o['fda_target_path'] for o in outs], [o['img'] for o in outs]

    paths, images = run(7)
    again_paths, again_images = run(7)
    assert paths == again_paths
    assert all(np.array_equal(a, b) for a, b in zip(images, again_images))
    assert len(set(paths)) == 3, 'every target image is drawn'
    assert run(8)[0] != paths


def test_bad_target_folder_is_an_error_naming_it(tmp_path):
    missing = str(tmp_path / 'missing')
    with pytest.raises(FileNotFoundError, match='missing'):
        FourierDomainAdaptation(target_dir=missing)
    empty = tmp_path / 'empty'
    empty.mkdir()
    (empty / 'notes.txt').write_text('not an image')
    with pytest.raises(ValueError, match='empty'):
        FourierDomainAdaptation(target_dir=str(empty))
    write_images(tmp_path / 'ok', [np.zeros((4, 4, 3), np.uint8)])
    with pytest.raises(ValueError, match='beta'):
        FourierDomainAdaptation(target_dir=str(tmp_path / 'ok'), beta=-0.1)


@pytest.mark.skipif(not osp.isdir(osp.join(SHARED_DATA, 'camvid_daydusk')),
                    reason='CamVid day/dusk frames not present')
def test_camvid_fda_config_draws_dusk_train_frames():
    """The CamVid FDA + patch config's source pipeline swaps with the 62 unlabelled dusk train
    frames (never the dusk test frames) and yields training samples."""
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/pixel_level/camvid_day2dusk_tiny_fda_patch.py'))
    root = osp.join(SHARED_DATA, 'camvid_daydusk')
    dataset_cfg = cfg.train_dataloader.dataset
    for domain in ('source', 'target'):
        dataset_cfg[domain].data_root = root
    for step in dataset_cfg.source.pipeline:
        if step.type == 'FourierDomainAdaptation':
            step.target_dir = osp.join(root, 'target/img/train')
    dataset = DATASETS.build(dataset_cfg)
    fda = [t for t in dataset.source.pipeline.transforms
           if isinstance(t, FourierDomainAdaptation)]
    assert len(fda) == 1 and len(fda[0].target_files) == len(dataset.target) == 62
    assert all('/target/img/train/' in p for p in fda[0].target_files)
    np.random.seed(0)
    sample = dataset[0]['source']
    assert sample['inputs'].shape == (3, 180, 240)
    assert sample['data_samples'].gt_sem_seg.data.shape == (1, 180, 240)


FDA_CONFIGS = sorted(p for p in shipped_configs(REPO) if '_fda' in osp.basename(p))


@pytest.mark.parametrize('path', FDA_CONFIGS)
def test_fda_configs_swap_after_the_geometry_with_target_train_images(path):
    """In every FDA config the transform is the source pipeline's last step before packing
    and reads the target TRAIN images, in the folder and suffix the target dataset lists."""
    assert FDA_CONFIGS, 'no FDA config found'
    cfg = Config.fromfile(osp.join(REPO, path))
    train = cfg.train_dataloader.dataset
    source = train.source if train.type == 'UDADataset' else train
    types = [step.type for step in source.pipeline]
    assert types.count('FourierDomainAdaptation') == 1
    assert types[-2:] == ['FourierDomainAdaptation', 'PackSegInputs'], types
    fda = source.pipeline[-2]
    target = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets',
                                      'camvid_day_to_dusk.py' if 'camvid' in path
                                      else 'gta_to_cityscapes.py')).target_train
    assert osp.normpath(fda.target_dir) == osp.normpath(
        osp.join(target.data_root, target.data_prefix.img_path))
    suffix = DATASETS.get(target.type)(lazy_init=True).img_suffix
    default = inspect.signature(FourierDomainAdaptation).parameters['img_suffix'].default
    accepted = fda.get('img_suffix', default)
    assert suffix in ((accepted, ) if isinstance(accepted, str) else accepted)
