"""Translated source images with the original source labels: pixel-level adaptation ("Pi").

Tsai et al., "Domain Adaptation for Structured Output via Discriminative Patch
Representations", ICCV 2019, Tables 2-3 row "Pi": the source images translated into the target
style by CyCADA (Hoffman et al., ICML 2018) are added, with the source labels, to the labelled
training set, so the segmentation loss and the patch clustering (Ld) both see them.
"""
import copy
import io
import os.path as osp
from typing import List, Optional

import mmcv
from mmcv.transforms import LoadImageFromFile
from mmengine import fileio
from PIL import Image

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS
from mmseg.utils import ConfigType


class LoadTranslatedImage(LoadImageFromFile):
    """``LoadImageFromFile`` that resizes a translated image to its label's size.

    CyCADA's translated images are smaller than the labels they pair with; its loader
    (``cycada/data/cyclegta5.py`` of github.com/jhoffman/cycada_release) resizes each one to
    the label's size with PIL's bilinear filter. This transform does the same with
    ``mmcv.imresize`` (cv2 bilinear, which does not low-pass when shrinking, unlike PIL) for
    samples carrying ``translated_from`` (set by :class:`TranslatedSourceDataset`); other
    samples load as with ``LoadImageFromFile``. The label size is read from the label file's
    header. ``img_shape`` and ``ori_shape`` become the label's size, so label checks compare
    the label with the resized image.
    """

    def transform(self, results: dict) -> Optional[dict]:
        results = super().transform(results)
        if results is None or 'translated_from' not in results:
            return results
        label = results['seg_map_path']
        with Image.open(io.BytesIO(fileio.get(label, backend_args=self.backend_args))) as im:
            width, height = im.size
        if results['img'].shape[:2] != (height, width):
            results['img'] = mmcv.imresize(results['img'], (width, height),
                                           interpolation='bilinear')
            results['img_shape'] = results['ori_shape'] = (height, width)
        return results


def _is_load_image(step) -> bool:
    name = step.get('type') if isinstance(step, dict) else None
    return isinstance(name, str) and name.split('.')[-1] == 'LoadImageFromFile'


@DATASETS.register_module()
class TranslatedSourceDataset(BaseSegDataset):
    """A labelled source dataset plus its images translated into the target domain, each
    translated image paired with the ORIGINAL source label.

    ``source`` is the config of the original source dataset (e.g. ``GTA5Dataset``): its classes,
    palette, ignore index, label files and pipeline are this dataset's. Every image of it must
    have exactly one translated image in ``translated_dir``, found by the image's path relative
    to the source image folder, with the source image suffix replaced by ``img_suffix``; a
    translated image without a source label, or a source image without a translated image, is
    an error naming the first such file when the data list is loaded (build time unless
    ``lazy_init``). Layout, for CyCADA's public GTA5 -> Cityscapes images (``cyclegta5``:
    ``images/00001.png`` ...) next to the GTA5 layout of :class:`GTA5Dataset`::

        data/gta/images/00001.png                source image (source's img_path)
        data/gta/labels/00001_labelTrainIds.png  its label (source's seg_map_path)
        data/gta_cycada/images/00001.png         translated image (translated_dir)

    The items are the source images (when ``with_original``) followed by the translated ones;
    so a ``UDADataset`` with this as ``source`` gives the segmentation loss and the patch
    clustering both. The offline label tools (``tools/build_patch_modes.py``,
    ``tools/compute_class_stats.py``) read this dataset with ``--full-pipeline`` and see each
    label map twice: identical labels only repeat the same histograms, so the modes file built
    from the plain source config serves this one too. The translated images are resized to
    their labels' size while loading, as CyCADA's loader does (:class:`LoadTranslatedImage`, which replaces
    ``LoadImageFromFile`` in the source pipeline; ``resize_to_label=False`` keeps the pipeline
    as it is, and the label checks then require translated images of the labels' size).

    Args:
        source (dict): Config of the original labelled source dataset.
        translated_dir (str): Folder of the translated images (searched recursively).
        img_suffix (str): File name ending of the translated images.
        with_original (bool): Include the original source images too (the paper's Pi: the
            translated images are additional labelled data).
        resize_to_label (bool): Resize each translated image to its label's size.
        lazy_init (bool): Defer listing and pairing the files until ``full_init``.

    Raises:
        FileNotFoundError: ``translated_dir`` does not exist.
        ValueError: The source dataset is empty, the files do not pair one-to-one (naming the
            first unpaired file), or ``resize_to_label`` with a pipeline that has no
            ``LoadImageFromFile``.
    """

    def __init__(self, source: ConfigType, translated_dir: str, img_suffix: str = '.png',
                 with_original: bool = True, resize_to_label: bool = True,
                 lazy_init: bool = False) -> None:
        source = copy.deepcopy(dict(source))
        pipeline = list(source.get('pipeline', []))
        self._original = DATASETS.build(dict(source, lazy_init=True))
        self.translated_dir = translated_dir
        self.with_original = with_original
        if resize_to_label:
            if not any(_is_load_image(step) for step in pipeline):
                raise ValueError(f'TranslatedSourceDataset: resize_to_label=True needs a '
                                 f'LoadImageFromFile in the pipeline of the source dataset '
                                 f'{source.get("type")!r}; got {pipeline!r}')
            pipeline = [LoadTranslatedImage(**{k: v for k, v in step.items() if k != 'type'})
                        if _is_load_image(step) else step for step in pipeline]
        original = self._original
        super().__init__(img_suffix=img_suffix, metainfo=original.metainfo,
                         data_prefix=dict(img_path=translated_dir), pipeline=pipeline,
                         lazy_init=True, ignore_index=original.ignore_index,
                         reduce_zero_label=original.reduce_zero_label,
                         backend_args=original.backend_args)
        if not lazy_init:
            self.full_init()

    def load_data_list(self) -> List[dict]:
        """The source data list, then the translated images paired with the same labels."""
        original = self._original
        try:
            original.full_init()
            infos = [original.get_data_info(i) for i in range(len(original))]
        except ValueError:
            # mmengine fails to serialise an empty list with a numpy message
            if getattr(original, 'data_list', None) != []:
                raise
            infos = []
        if not infos:
            raise ValueError(f'TranslatedSourceDataset: the source dataset '
                             f'{type(original).__name__} (data_root={original.data_root!r}, '
                             f'data_prefix={original.data_prefix!r}) is empty')
        folder = self.translated_dir
        if not fileio.isdir(folder, backend_args=self.backend_args):
            raise FileNotFoundError(f'TranslatedSourceDataset: translated image folder '
                                    f'{folder!r} does not exist')
        present = set(fileio.list_dir_or_file(folder, list_dir=False, suffix=self.img_suffix,
                                              recursive=True, backend_args=self.backend_args))
        source_dir, source_suffix = original.data_prefix.get('img_path', ''), original.img_suffix
        translated = []
        for info in infos:
            info.pop('sample_idx', None)
            relative = osp.relpath(info['img_path'], source_dir)
            if isinstance(source_suffix, str) and relative.endswith(source_suffix):
                relative = relative[:-len(source_suffix)]
            name = relative + self.img_suffix
            if name not in present:
                raise ValueError(f'TranslatedSourceDataset: source image {info["img_path"]!r} '
                                 f'(label {info.get("seg_map_path")!r}) has no translated image '
                                 f'{osp.join(folder, name)!r}')
            present.discard(name)
            translated.append(dict(info, img_path=osp.join(folder, name),
                                   translated_from=info['img_path']))
        if present:
            raise ValueError(f'TranslatedSourceDataset: translated image '
                             f'{osp.join(folder, min(present))!r} pairs with no source image '
                             f'and label of {type(original).__name__} (images pair by their '
                             f'path below {source_dir!r} with {source_suffix!r} replaced by '
                             f'{self.img_suffix!r}); {len(present)} unpaired in all')
        return (infos if self.with_original else []) + translated
