"""tools/infer.py: label maps, colour masks and overlays of a folder, a glob or one image, for a
UDA config + checkpoint and for the exported plain pair."""
import re
import sys

import numpy as np
import pytest
from PIL import Image

from mmseg_uda.engine.export import export_plain
from mmseg_uda.inference import build_inferencer, list_images, output_names, predict
from tests.conftest import REPO
from tests.test_launch import run_tool
from tests.tiny_pair import PALETTE, uda_prediction, write_images, write_pair

INFER = [sys.executable, f'{REPO}/tools/infer.py']
SIZES = [(45, 70), (32, 40), (60, 33)]


@pytest.fixture(scope='module')
def pair_and_images(tmp_path_factory):
    root = tmp_path_factory.mktemp('infer')
    config, checkpoint = write_pair(root, stock=False)
    return root, config, checkpoint, write_images(root / 'frames', SIZES)


def test_infer_tool_writes_masks_and_overlays(pair_and_images):
    """For a folder of frames of several sizes: every PNG decodes at its input's size, the
    label map is the UDA model's prediction, the mask is exactly the palette colour of each
    pixel's class and the overlay is the mask blended over the image at --opacity."""
    root, config, checkpoint, images = pair_and_images
    out = run_tool(INFER + [str(config), str(checkpoint), str(root / 'frames'), '--out',
                            str(root / 'out'), '--opacity', '0.25', '--device', 'cpu'],
                   cwd=root)
    assert '3/3' in out, out[-3000:]
    palette = np.array(PALETTE, dtype=np.uint8)
    for image in images:
        rgb = np.array(Image.open(image))
        pred = np.array(Image.open(root / 'out' / 'pred' / image.name))
        mask = np.array(Image.open(root / 'out' / 'mask' / image.name))
        overlay = np.array(Image.open(root / 'out' / 'overlay' / image.name))
        assert pred.shape == rgb.shape[:2] and mask.shape == overlay.shape == rgb.shape
        np.testing.assert_array_equal(pred, uda_prediction(config, checkpoint, image))
        assert len(np.unique(pred)) > 1
        np.testing.assert_array_equal(mask, palette[pred])
        blended = (rgb * 0.75 + palette[pred] * 0.25).astype(np.uint8)
        assert np.abs(overlay.astype(int) - blended).max() <= 1


def test_exported_pair_predicts_the_same(pair_and_images):
    """The plain pair of uda_to_mmseg.py gives the UDA pair's label maps, classes and palette."""
    root, config, checkpoint, images = pair_and_images
    pair = export_plain(str(config), str(checkpoint), str(root / 'export'))
    uda = build_inferencer(str(config), str(checkpoint), device='cpu')
    plain = build_inferencer(pair.config, pair.checkpoint, device='cpu')
    assert uda.model.dataset_meta == plain.model.dataset_meta
    assert plain.model.dataset_meta['palette'] == PALETTE
    for image in images:
        np.testing.assert_array_equal(
            predict(plain, str(image)).pred_sem_seg.data.numpy(),
            predict(uda, str(image)).pred_sem_seg.data.numpy())


def test_inputs_folder_glob_file_and_errors(tmp_path):
    """A folder gives its images sorted (other files skipped), a glob its matches, a file
    itself; nothing to read, or two inputs writing one output name, is an error naming them."""
    frames = write_images(tmp_path / 'frames', [(8, 8)] * 3)
    (tmp_path / 'frames' / 'notes.txt').write_text('not an image')
    assert list_images(str(tmp_path / 'frames')) == [str(p) for p in frames]
    assert list_images(str(tmp_path / 'frames' / 'img[12].png')) == [str(p) for p in frames[1:]]
    assert list_images(str(frames[0])) == [str(frames[0])]
    for missing in (tmp_path / 'empty', tmp_path / 'frames' / '*.jpg',
                    tmp_path / 'frames' / 'notes.txt'):
        (tmp_path / 'empty').mkdir(exist_ok=True)
        with pytest.raises(FileNotFoundError, match=re.escape(f'INPUT {str(missing)!r} matches no image')):
            list_images(str(missing))
    other = write_images(tmp_path / 'other', [(8, 8)])
    with pytest.raises(ValueError, match=r'img0\.png.*img0\.png.*would both be written'):
        output_names([str(frames[0]), str(other[0])])
