"""benchmarks/bench_patch_modes.py at its smallest size: both rates printed side by side."""
import os.path as osp
import re
import sys
from pathlib import Path

import cv2
import pytest

from tests.conftest import REPO, SHARED_DATA

sys.path.insert(0, osp.join(REPO, 'benchmarks'))
import bench_patch_modes  # noqa: E402

CAMVID = osp.join(SHARED_DATA, 'camvid_daydusk')
NUMBER = r'[0-9]+\.[0-9]+'


@pytest.mark.skipif(not osp.isdir(CAMVID), reason=f'no CamVid data in {CAMVID}')
def test_in_memory_and_from_files_rates(tmp_path: Path, monkeypatch, capsys) -> None:
    folder = tmp_path / 'gta5_like'
    monkeypatch.setattr(sys, 'argv', [
        'bench_patch_modes.py', '--num', '4', '--batch-size', '2', '--k', '4', '--from-files',
        str(folder), '--size', '96', '53', '--num-workers', '1', '--camvid-root', CAMVID])
    bench_patch_modes.main()
    out = capsys.readouterr().out
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip('|').split('|')]
        if line.startswith('| ') and len(cells) == 6 and cells[1] == '4':
            rows[cells[0].split(' (')[0]] = cells
    assert sorted(rows) == ['from files, label path', 'in memory'], out
    for cells in rows.values():
        assert re.fullmatch(NUMBER, cells[2]) and float(cells[2]) > 0, cells  # label maps/s
        assert re.fullmatch(r'[0-9]+', cells[4]), cells  # peak RSS of the main process
    assert re.search(rf'from files, label path: after +4 maps: +{NUMBER} label maps/s, '
                     r'peak RSS \d+ MiB', out), out
    # the generated GTA5-layout maps: upscaled real CamVid labels, ids 0..10 and 255
    labels = sorted(folder.glob('labels/*_labelTrainIds.png'))
    assert len(labels) == 4 and len(list(folder.glob('images/*.png'))) == 4
    label = cv2.imread(str(labels[0]), cv2.IMREAD_UNCHANGED)
    assert label.shape == (53, 96) and set(label.ravel().tolist()) <= set(range(11)) | {255}


def test_from_files_inside_the_repository_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(sys, 'argv', ['bench_patch_modes.py', '--from-files',
                                      osp.join(REPO, 'work_dirs', 'gta5_like')])
    with pytest.raises(ValueError, match='is inside the repository'):
        bench_patch_modes.parse_args()
