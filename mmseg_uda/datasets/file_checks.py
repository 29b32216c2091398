"""Early, explicit errors for the folder-based datasets of the real UDA benchmarks."""
from typing import List, Sequence

from mmengine import fileio


def check_label_files(dataset, data_list: Sequence[dict]) -> None:
    """Raise unless every listed image (when listed by an ``ann_file``) and every label file of
    ``data_list`` exists, naming the first one missing.

    One ``exists`` per file, at start-up, instead of a ``FileNotFoundError`` when the sample is
    first drawn, possibly hours into training. Used by :class:`FileCheckMixin` and, for any
    segmentation dataset (e.g. MMSeg's ``CityscapesDataset``), by ``UDADataset`` (its source)
    and ``DataChecksHook`` (evaluation sets).

    Args:
        dataset (BaseSegDataset): The dataset (for its name, ``ann_file``, ``backend_args``).
        data_list (Sequence[dict]): Its data list (``img_path``, ``seg_map_path``).
    """
    name = type(dataset).__name__
    ann_file = getattr(dataset, 'ann_file', None)
    backend_args = getattr(dataset, 'backend_args', None)
    for info in data_list:
        if ann_file and not fileio.exists(info['img_path'], backend_args=backend_args):
            raise FileNotFoundError(f'{name}: image {info["img_path"]!r} listed in '
                                    f'{ann_file!r} does not exist')
        seg_map = info.get('seg_map_path')
        if seg_map is not None and not fileio.exists(seg_map, backend_args=backend_args):
            raise FileNotFoundError(f'{name}: image {info["img_path"]!r} has no label: '
                                    f'{seg_map!r} does not exist')


class FileCheckMixin:
    """Check a segmentation dataset's files while its data list is loaded.

    Mixed in before MMSeg's ``BaseSegDataset`` (or a subclass of it). Instead of an empty
    dataset or a failure deep inside a dataloader worker, loading raises one error naming the
    folder or file at fault: a missing image folder (e.g. a wrong ``data_root``), a split
    without images, or an image whose label file is missing (e.g. labels not converted yet).
    """

    def load_data_list(self) -> List[dict]:
        """MMSeg's data list, after checking the folder, the split and every file pair."""
        name = type(self).__name__
        img_dir = self.data_prefix.get('img_path', '')
        if not self.ann_file and not fileio.isdir(img_dir, backend_args=self.backend_args):
            raise FileNotFoundError(f'{name}: image folder {img_dir!r} does not exist '
                                    f'(data_root={self.data_root!r}, '
                                    f'data_prefix={self.data_prefix!r})')
        data_list = super().load_data_list()
        if not data_list:
            raise ValueError(f'{name}: no images ending in {self.img_suffix!r} in {img_dir!r} '
                             f'(ann_file={self.ann_file!r})')
        check_label_files(self, data_list)
        return data_list
