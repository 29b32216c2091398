"""Fourier domain adaptation (FDA): a training-free pixel-level adaptation of source images.

Yang & Soatto, "FDA: Fourier Domain Adaptation for Semantic Segmentation", CVPR 2020. The
low-frequency part of a source image's amplitude spectrum is replaced by that of a target
image; the phase, which carries the semantic content, is kept. In the papers of this package
it is the built-in stand-in for pixel-level adaptation ("Pi", Tsai et al., ICCV 2019), which
otherwise needs images translated by a trained CyCADA model
(:class:`~mmseg_uda.datasets.TranslatedSourceDataset`).

Public reference code: github.com/YanchaoYang/FDA, ``utils/__init__.py``
(``FDA_source_to_target_np`` / ``low_freq_mutate_np``; the PyTorch ``FDA_source_to_target`` /
``low_freq_mutate`` that ``train.py`` calls). :func:`fda_source_to_target` follows the numpy
version and differs from the reference as follows:

- band: the reference's numpy version swaps the centred square of half-size
  ``b = floor(min(h, w) * beta)`` of the ``fftshift`` ed amplitude, rows
  ``h // 2 - b .. h // 2 + b`` and columns ``w // 2 - b .. w // 2 + b`` (side ``2b + 1``,
  frequencies ``-b .. b``); so do we for ``b >= 1``. For ``b = 0`` the reference still swaps
  the 1x1 "square", i.e. the DC term (the mean intensity of each channel); here ``b = 0`` is
  the identity, so ``beta = 0`` returns the image unchanged, bit for bit. The PyTorch version
  (used by the reference's ``train.py``) swaps the four ``b x b`` corners of the unshifted
  spectrum instead: frequencies ``-b .. b - 1``, one row and column fewer on the positive side,
  and also the identity for ``b = 0``.
- ``beta`` must lie in ``[0, 0.5]`` (beyond it the square leaves the spectrum); the reference
  does not check.
- output: the reference's ``train.py`` keeps the float result, neither clipped nor rounded,
  and subtracts the mean image; its ``FDA_demo.py`` saves ``scipy.misc.toimage(x, cmin=0,
  cmax=255)``, i.e. clipped to ``[0, 255]`` and rounded half up. :class:`FourierDomainAdaptation`
  does the latter for ``uint8`` images (``uint8`` in, ``uint8`` out) and the former for float
  images (float in, float out, unclipped); normalisation is left to the data preprocessor.
- images: one image per transform call, ``(H, W)`` or ``(H, W, C)``, each channel transformed
  on its own (the reference takes ``(C, H, W)`` / ``(B, C, H, W)``).
"""
from typing import Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio

from mmseg.registry import TRANSFORMS


def low_frequency_half_size(height: int, width: int, beta: float) -> int:
    """``b = floor(min(height, width) * beta)``, the half-size of the swapped square (FDA's
    ``L = beta``); the square is ``2b + 1`` frequencies a side, none when ``b = 0``."""
    if not 0 <= beta <= 0.5:
        raise ValueError(f'FDA: beta must lie in [0, 0.5], got {beta!r}')
    return int(np.floor(min(height, width) * beta))


def low_frequency_band(height: int, width: int, beta: float) -> Tuple[slice, slice]:
    """Rows and columns of the swapped square in the ``fftshift`` ed spectrum (empty slices
    when ``b = 0``); the centre is ``(height // 2, width // 2)``, as in the reference."""
    b = low_frequency_half_size(height, width, beta)
    if b == 0:
        return slice(0, 0), slice(0, 0)
    ch, cw = height // 2, width // 2
    return slice(ch - b, ch + b + 1), slice(cw - b, cw + b + 1)


def fda_source_to_target(source: np.ndarray, target: np.ndarray, beta: float) -> np.ndarray:
    """The source image with the low-frequency amplitude of the target image (Yang & Soatto
    2020, Eq. 1-2), float, neither clipped nor rounded.

    The 2-D FFT of every channel (axes 0 and 1) is split into amplitude and phase; the
    amplitude inside :func:`low_frequency_band` is taken from the target, the rest and the
    whole phase stay the source's; the real part of the inverse FFT is returned.

    Args:
        source: ``(H, W)`` or ``(H, W, C)`` image.
        target: Image of the same shape.
        beta: The band's half-size as a fraction of ``min(H, W)``, in ``[0, 0.5]``.

    Returns:
        np.ndarray: ``float64`` array of the source's shape; ``source`` itself (as
        ``float64``) when the band is empty.
    """
    if source.shape != target.shape:
        raise ValueError(f'FDA: source image of shape {source.shape} and target image of shape '
                         f'{target.shape} differ; resize the target first')
    rows, cols = low_frequency_band(source.shape[0], source.shape[1], beta)
    if rows.stop == rows.start:
        return source.astype(np.float64)
    axes = (0, 1)
    spectrum = np.fft.fft2(source.astype(np.float64), axes=axes)
    amplitude = np.fft.fftshift(np.abs(spectrum), axes=axes)
    target_amplitude = np.fft.fftshift(
        np.abs(np.fft.fft2(target.astype(np.float64), axes=axes)), axes=axes)
    amplitude[rows, cols] = target_amplitude[rows, cols]
    amplitude = np.fft.ifftshift(amplitude, axes=axes)
    mutated = amplitude * np.exp(1j * np.angle(spectrum))
    return np.real(np.fft.ifft2(mutated, axes=axes))


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Clip to ``[0, 255]`` and round half up, as ``scipy.misc.toimage(x, cmin=0, cmax=255)``
    in the reference's ``FDA_demo.py``."""
    return np.floor(np.clip(image, 0, 255) + 0.5).astype(np.uint8)


@TRANSFORMS.register_module()
class FourierDomainAdaptation(BaseTransform):
    """FDA on a source image: the low-frequency amplitude of a random target image.

    Placed in the source pipeline of a UDA config after the geometric transforms (so the
    spectrum is the one the network sees) and before ``PackSegInputs``; labels are untouched.
    The target image is drawn uniformly from ``target_dir`` (numpy's global generator, which
    mmengine seeds per dataloader worker from ``randomness.seed``), decoded like
    ``LoadImageFromFile`` (cv2, BGR: it must match the source's channel order) and, when its
    size differs from the source image's, resized to it with ``mmcv.imresize`` (aspect ratio
    not kept, ``interpolation``, bicubic by default as in the reference's demo). See the module
    docstring for the band and the differences from the reference code.

    Modifies ``img`` (``uint8`` stays ``uint8``: clipped and rounded half up; float stays
    float, unclipped). Adds ``fda_target_path``.

    Args:
        target_dir (str): Folder of target-domain images, searched recursively.
        beta (float): FDA's ``L``: the swapped square's half-size over ``min(H, W)``, in
            ``[0, 0.5]``; 0 is the identity. The paper trains with 0.01, 0.05 and 0.09.
        img_suffix (str | Sequence[str]): File name endings of the target images.
        interpolation (str): ``mmcv.imresize`` interpolation of a target of another size.
        backend_args (dict, optional): mmengine file backend arguments.

    Raises:
        FileNotFoundError: ``target_dir`` does not exist (at build time).
        ValueError: ``target_dir`` holds no image ending in ``img_suffix``, or ``beta`` lies
            outside ``[0, 0.5]`` (at build time).
    """

    def __init__(self, target_dir: str, beta: float = 0.01,
                 img_suffix: Union[str, Sequence[str]] = ('.png', '.jpg', '.jpeg'),
                 interpolation: str = 'bicubic', backend_args: Optional[dict] = None) -> None:
        low_frequency_half_size(1, 1, beta)  # validates beta
        self.beta = beta
        self.target_dir = target_dir
        self.img_suffix = (img_suffix, ) if isinstance(img_suffix, str) else tuple(img_suffix)
        self.interpolation = interpolation
        self.backend_args = backend_args
        if not fileio.isdir(target_dir, backend_args=backend_args):
            raise FileNotFoundError(f'FourierDomainAdaptation: target image folder '
                                    f'{target_dir!r} does not exist')
        self.target_files = sorted(
            fileio.join_path(target_dir, name, backend_args=backend_args)
            for name in fileio.list_dir_or_file(target_dir, list_dir=False,
                                                suffix=self.img_suffix, recursive=True,
                                                backend_args=backend_args))
        if not self.target_files:
            raise ValueError(f'FourierDomainAdaptation: no target images ending in '
                             f'{self.img_suffix} in {target_dir!r}')

    def load_target(self, path: str, size: Tuple[int, int]) -> np.ndarray:
        """The target image at ``path`` as ``LoadImageFromFile`` decodes it, resized to
        ``size = (h, w)`` when it differs."""
        image = mmcv.imfrombytes(fileio.get(path, backend_args=self.backend_args),
                                 flag='color', backend='cv2')
        if image is None:
            raise ValueError(f'FourierDomainAdaptation: target image {path!r} cannot be decoded')
        if image.shape[:2] != tuple(size):
            image = mmcv.imresize(image, (size[1], size[0]), interpolation=self.interpolation)
        return image

    def transform(self, results: dict) -> dict:
        """Swap the low-frequency amplitude of ``results['img']`` with a random target's."""
        source = results['img']
        path = self.target_files[np.random.randint(len(self.target_files))]
        target = self.load_target(path, source.shape[:2])
        if source.ndim == 2:
            target = mmcv.bgr2gray(target)
        elif target.shape[2] != source.shape[2]:
            raise ValueError(f'FourierDomainAdaptation: source image {results.get("img_path")!r} '
                             f'has {source.shape[2]} channels, target {path!r} has '
                             f'{target.shape[2]}')
        adapted = fda_source_to_target(source, target, self.beta)
        if source.dtype == np.uint8:
            adapted = to_uint8(adapted)
        else:
            adapted = adapted.astype(source.dtype)
        results['img'] = adapted
        results['fda_target_path'] = path
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(target_dir={self.target_dir!r}, beta={self.beta}, '
                f'{len(self.target_files)} images, interpolation={self.interpolation!r})')
