"""tools/model_converters/uda_to_mmseg.py CONFIG CKPT OUT_DIR: a plain MMSeg config and
segmentor checkpoint that stock MMSeg loads, predicting what the UDA model predicts."""
import re
import subprocess
import sys

import numpy as np
import pytest
from mmengine.config import Config

from mmseg.apis import inference_model, init_model
from mmseg_uda.engine.export import export_plain, plain_config
from tests.conftest import REPO
from tests.test_launch import run_tool
from tests.tiny_pair import PALETTE, uda_prediction, write_images, write_pair

EXPORT = [sys.executable, f'{REPO}/tools/model_converters/uda_to_mmseg.py']
# Runs in a fresh interpreter that never imports mmseg_uda.
STOCK_SCRIPT = """
import sys

import numpy as np
from mmseg.apis import MMSegInferencer, inference_model, init_model

config, checkpoint, image, out = sys.argv[1:]
model = init_model(config, checkpoint, device='cpu')
by_api = inference_model(model, image).pred_sem_seg.data[0].numpy()
inferencer = MMSegInferencer(model=config, weights=checkpoint, device='cpu')
by_inferencer = inferencer(image)['predictions']
np.savez(out, api=by_api, inferencer=by_inferencer,
         palette=np.array(model.dataset_meta['palette']),
         inferencer_palette=np.array(inferencer.model.dataset_meta['palette']))
loaded = sorted(name for name in sys.modules if name.split('.')[0] == 'mmseg_uda')
assert not loaded, loaded
print('mmseg_uda was never imported')
"""


def test_stock_mmseg_loads_the_export_without_mmseg_uda(tmp_path):
    """The export of a stock architecture needs no mmseg_uda: in a subprocess that never imports
    it, init_model + inference_model and MMSegInferencer predict the UDA model's label map,
    with the classes' palette from the checkpoint meta."""
    config, checkpoint = write_pair(tmp_path, stock=True)
    out = run_tool(EXPORT + [str(config), str(checkpoint), str(tmp_path / 'export')],
                   cwd=tmp_path)
    assert 'loads without mmseg_uda' in out, out[-3000:]
    plain_config = tmp_path / 'export' / 'tiny_uda.py'
    plain_checkpoint = tmp_path / 'export' / 'tiny_uda.pth'
    text = plain_config.read_text()
    assert 'mmseg_uda' not in text and 'UDASegmentor' not in text
    assert 'LoadCheckedAnnotations' not in text and 'DataChecksHook' not in text
    image = write_images(tmp_path / 'images', [(45, 70)])[0]
    (tmp_path / 'stock.py').write_text(STOCK_SCRIPT)
    proc = subprocess.run([sys.executable, str(tmp_path / 'stock.py'), str(plain_config),
                           str(plain_checkpoint), str(image), str(tmp_path / 'pred.npz')],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert 'mmseg_uda was never imported' in proc.stdout
    result = np.load(tmp_path / 'pred.npz')
    expected = uda_prediction(config, checkpoint, image)
    assert expected.shape == (45, 70) and len(np.unique(expected)) > 1
    np.testing.assert_array_equal(result['api'], expected)
    np.testing.assert_array_equal(result['inferencer'], expected)
    np.testing.assert_array_equal(result['palette'], PALETTE)
    np.testing.assert_array_equal(result['inferencer_palette'], PALETTE)


def test_export_of_our_components_imports_mmseg_uda(tmp_path):
    """DeepLabV2 heads are registered by mmseg_uda: the exported config imports it, the export
    names them, and init_model predicts the UDA model's label map."""
    config, checkpoint = write_pair(tmp_path, stock=False)
    pair = export_plain(str(config), str(checkpoint), str(tmp_path / 'export'))
    assert ('model.decode_head', 'DeepLabV2Head') in pair.plugin_types
    assert ('model.auxiliary_head', 'DeepLabV2Head') in pair.plugin_types
    plain = Config.fromfile(pair.config)
    assert plain.custom_imports.imports == ['mmseg_uda']
    assert plain.model.type == 'EncoderDecoder' and plain.default_scope == 'mmseg'
    assert plain.tta_model.type == 'SegTTAModel'
    assert [step.type for step in plain.test_pipeline] == [
        'LoadImageFromFile', 'LoadAnnotations', 'PackSegInputs']
    image = write_images(tmp_path / 'images', [(40, 64)])[0]
    model = init_model(pair.config, pair.checkpoint, device='cpu')
    assert model.dataset_meta['palette'] == PALETTE
    np.testing.assert_array_equal(inference_model(model, str(image)).pred_sem_seg.data[0].numpy(),
                                  uda_prediction(config, checkpoint, image))


def test_export_errors_name_the_problem(tmp_path):
    """Weights of another class count, or a config without a test dataloader, are errors naming
    the checkpoint or the key; nothing is written."""
    config, checkpoint = write_pair(tmp_path)
    other = tmp_path / 'classes11.py'
    other.write_text(f"_base_ = '{config}'\n"
                     'model = dict(segmentor=dict(decode_head=dict(num_classes=11)))\n')
    with pytest.raises(ValueError, match=rf'(?s)weights of {re.escape(str(checkpoint))} do not fit .*conv_seg'):
        export_plain(str(other), str(checkpoint), str(tmp_path / 'a'))
    no_test = tmp_path / 'no_test.py'
    no_test.write_text(f"_base_ = '{config}'\ntest_dataloader = None\n")
    with pytest.raises(KeyError, match='test_dataloader.dataset.pipeline is missing'):
        export_plain(str(no_test), str(checkpoint), str(tmp_path / 'b'))
    assert not (tmp_path / 'a').exists() and not (tmp_path / 'b').exists()


@pytest.mark.parametrize('path, ours', [
    ('patch_align/segformer_mit-b0_patch_cityscapes.py', []),
    ('output_space/gta2cs_deeplabv2_r101_1xb1.py', ['DeepLabV2ResNet', 'DeepLabV2Head']),
    ('fcn_wild/gta2cs_vgg16_ga.py', ['DilatedVGG16']),
])
def test_shipped_configs_need_mmseg_uda_only_for_its_components(path, ours):
    """MMSeg's SegFormer wrapped for patch alignment exports to a stock config; the DeepLabV2
    and VGG-16 configs name the components registered by mmseg_uda."""
    plain, needs = plain_config(Config.fromfile(f'{REPO}/configs/{path}'))
    assert [type_ for _, type_ in needs] == ours
    assert ('custom_imports' in plain) == bool(ours)
    assert plain.model.type == 'EncoderDecoder' and 'adaptations' not in plain.model
