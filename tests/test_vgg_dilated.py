"""Dilated VGG-16 front-end (FCNs in the Wild base network), its weight converter and config."""
import copy
import math
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config

from mmseg.registry import MODELS
from mmseg_uda.models.backbones import DilatedVGG16, convert_vgg16_state_dict
from mmseg_uda.models.backbones.vgg_dilated import (CAFFE_MEAN_BGR, IMAGENET_MEAN_RGB,
                                                    IMAGENET_STD_RGB, caffe_conv1_to_rgb)
from mmseg_uda.models.segmentors import unwrap
from tests.conftest import REPO, make_batch
from tests.test_uda_segmentor import snapshot, uda_batch, wrappers

FC = 16  # fc6/fc7 width in the tests (4096 in VGG-16)
STRIDES = (2, 4, 8, 8, 8, 8, 8)
CHANNELS = (64, 128, 256, 512, 512, FC, FC)
CONVS = ('conv1_1', 'conv1_2', 'conv2_1', 'conv2_2', 'conv3_1', 'conv3_2', 'conv3_3', 'conv4_1',
         'conv4_2', 'conv4_3', 'conv5_1', 'conv5_2', 'conv5_3')
TOOL = osp.join(REPO, 'tools', 'model_converters', 'vgg16_to_mmseg.py')
CONFIG = osp.join(REPO, 'configs', '_base_', 'models', 'vgg16_dilated_fcn.py')
#: An adaptation without files or discriminator, for a UDASegmentor around the base model.
PSEUDO = dict(pseudo=dict(type='PseudoLabelTraining'))


class TorchvisionLayoutVGG16(nn.Module):
    """torchvision's ``vgg16`` (``make_layers(cfgs['D'])`` + classifier), narrow fc layers."""

    def __init__(self, fc: int = 64, num_classes: int = 10) -> None:
        super().__init__()
        layers, in_ch = [], 3
        for v in (64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512,
                  512, 'M'):
            if v == 'M':
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(in_ch, v, 3, padding=1), nn.ReLU(inplace=True)]
                in_ch = v
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, fc), nn.ReLU(True), nn.Dropout(),
            nn.Linear(fc, fc), nn.ReLU(True), nn.Dropout(), nn.Linear(fc, num_classes))


def randomize(module: nn.Module, seed: int = 0) -> nn.Module:
    """Distinct random values for every weight and bias (biases non-zero)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            fan_in = p[0].numel() if p.dim() > 1 else 1
            p.copy_(torch.randn(p.shape, generator=g) * math.sqrt(2.0 / fan_in)
                    if p.dim() > 1 else 0.1 * torch.randn(p.shape, generator=g))
    return module


@pytest.fixture(scope='module')
def tv_model():
    return randomize(TorchvisionLayoutVGG16(fc=64)).eval()


@pytest.fixture(scope='module')
def backbone():
    torch.manual_seed(0)
    model = DilatedVGG16(fc_channels=FC, out_indices=tuple(range(7)))
    model.init_weights()
    return model.eval()


def to_caffe_names(tv_state: dict) -> dict:
    """The torchvision-layout weights under Caffe layer names (fc6/fc7/fc8 as Linear)."""
    convs = [k for k in tv_state if k.startswith('features.') and k.endswith('.weight')]
    assert len(convs) == 13
    out = {}
    for name, key in zip(CONVS, convs):
        out[f'{name}.weight'] = tv_state[key]
        out[f'{name}.bias'] = tv_state[key.replace('weight', 'bias')]
    for name, idx in (('fc6', 0), ('fc7', 3), ('fc8', 6)):
        for p in ('weight', 'bias'):
            out[f'{name}.{p}'] = tv_state[f'classifier.{idx}.{p}']
    return out


# ---------------------------------------------------------------- architecture
@pytest.mark.parametrize('hw', [(32, 48), (33, 47), (17, 9), (5, 3), (1, 1)])
def test_output_shapes_strides_and_channels(backbone, hw):
    h, w = hw
    with torch.no_grad():
        outs = backbone(torch.randn(2, 3, h, w))
    assert len(outs) == 7
    for out, stride, ch in zip(outs, STRIDES, CHANNELS):
        assert out.shape == (2, ch, math.ceil(h / stride), math.ceil(w / stride))
    assert backbone.out_channels == CHANNELS


def reference_frontend(model: DilatedVGG16, x: torch.Tensor) -> torch.Tensor:
    """fc7 of the front-end written out with explicit dilations (eval mode)."""
    dilations = dict(conv1=1, conv2=1, conv3=1, conv4=1, conv5=2)
    for name in CONVS:
        conv = getattr(model, name)
        d = dilations[name[:5]]
        x = F.relu(F.conv2d(x, conv.weight, conv.bias, padding=d, dilation=d))
        if name in ('conv1_2', 'conv2_2', 'conv3_3'):
            x = F.max_pool2d(x, 2, 2, ceil_mode=True)
    x = F.relu(F.conv2d(x, model.fc6.weight, model.fc6.bias, padding=12, dilation=4))
    return F.relu(F.conv2d(x, model.fc7.weight, model.fc7.bias))


def test_dilations_are_the_front_ends(backbone):
    for name in CONVS:
        conv = getattr(backbone, name)
        d = 2 if name.startswith('conv5') else 1
        assert conv.dilation == (d, d) and conv.padding == (d, d) and conv.kernel_size == (3, 3)
    assert backbone.fc6.kernel_size == (7, 7) and backbone.fc6.dilation == (4, 4)
    assert backbone.fc6.padding == (12, 12) and backbone.fc7.kernel_size == (1, 1)
    x = torch.randn(1, 3, 45, 38)
    with torch.no_grad():
        fc7 = backbone(x)[-1]
        torch.testing.assert_close(fc7, reference_frontend(backbone, x), rtol=1e-4, atol=1e-4)
        # an undilated fc6 would give a different result: the dilation matters on this input
        no_dil = copy.deepcopy(backbone)
        no_dil.fc6.dilation, no_dil.fc6.padding = (1, 1), (3, 3)
        assert not torch.allclose(no_dil(x)[-1], fc7, atol=1e-3)


def test_dropout_after_fc6_and_fc7_only_in_training():
    torch.manual_seed(0)
    model = DilatedVGG16(fc_channels=FC, dropout=0.5, out_indices=('conv5', 'fc6', 'fc7'))
    model.init_weights()
    x = torch.randn(1, 3, 24, 24)
    with torch.no_grad():
        a, b = model.train()(x), model(x)
        assert torch.equal(a[0], b[0])  # conv5: no dropout
        assert not torch.equal(a[1], b[1]) and not torch.equal(a[2], b[2])
        assert (a[1] == 0).float().mean() > 0.3  # about half the units dropped (+ ReLU zeros)
        e1, e2 = model.eval()(x), model(x)
        assert all(torch.equal(u, v) for u, v in zip(e1, e2))
    assert DilatedVGG16(fc_channels=FC, dropout=0.0).drop7.p == 0.0


def test_out_indices_by_name_or_index_and_default_ends_with_fc7():
    torch.manual_seed(0)
    named = DilatedVGG16(fc_channels=FC, out_indices=('conv3', 'conv5', 'fc7')).eval()
    torch.manual_seed(0)
    indexed = DilatedVGG16(fc_channels=FC, out_indices=(2, 4, -1)).eval()
    assert named.out_indices == indexed.out_indices == (2, 4, 6)
    x = torch.randn(1, 3, 16, 16)
    with torch.no_grad():
        assert all(torch.equal(u, v) for u, v in zip(named(x), indexed(x)))
    default = DilatedVGG16(fc_channels=FC)
    assert default.out_indices == (3, 4, 6) and default.out_channels == (512, 512, FC)
    with torch.no_grad():
        assert default.eval()(x)[-1].shape == (1, FC, 2, 2)
    # stages after the last requested one are not run
    calls = []
    early = DilatedVGG16(fc_channels=FC, out_indices=('conv5', ))
    early.fc6.register_forward_hook(lambda *args: calls.append(1))
    assert len(early(x)) == 1 and not calls


@pytest.mark.parametrize('kwargs, match', [
    (dict(fc_channels=0), 'fc_channels must be a positive int, got 0'),
    (dict(dropout=1.0), r'dropout must be in \[0, 1\), got 1.0'),
    (dict(frozen_stages=8), r'frozen_stages .* got 8'),
    (dict(out_indices=('conv4', 'pool4')), "entry 'pool4' is neither"),
    (dict(out_indices=(7, )), 'entry 7 is neither'),
    (dict(out_indices=('fc7', 'conv5')), r"increasing .* \('fc7', 'conv5'\)"),
    (dict(out_indices=()), 'at least one'),
])
def test_bad_arguments_name_the_value(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DilatedVGG16(**dict(dict(fc_channels=FC), **kwargs))


def test_frozen_stages():
    model = DilatedVGG16(fc_channels=FC, frozen_stages=2)
    model.train()
    for name in ('conv1_1', 'conv1_2', 'conv2_1', 'conv2_2'):
        assert not any(p.requires_grad for p in getattr(model, name).parameters())
    assert all(p.requires_grad for n in ('conv3_1', 'fc6', 'fc7')
               for p in getattr(model, n).parameters())
    frozen_all = DilatedVGG16(fc_channels=FC, frozen_stages=7).train()
    assert not any(p.requires_grad for p in frozen_all.parameters())
    assert not frozen_all.drop6.training and not frozen_all.drop7.training
    assert DilatedVGG16(fc_channels=FC, frozen_stages=6).train().drop7.training


# ---------------------------------------------------------------- weight conversion
def test_torchvision_conversion_loads_strict_and_matches_the_classifier(tv_model):
    tv_state = tv_model.state_dict()
    converted = convert_vgg16_state_dict(tv_state)
    assert convert_vgg16_state_dict(tv_state, 'torchvision').keys() == converted.keys()
    model = DilatedVGG16(fc_channels=64, out_indices=('conv3', 'conv4', 'fc7')).eval()
    model.load_state_dict(converted, strict=True)
    assert not any(k.startswith(('classifier', 'fc8')) for k in converted)

    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        # fc6 as a 7x7 convolution (no dilation) on a 7x7 input == the Linear on the flattened
        # map (float64, so that float32 summation order over 25088 terms does not matter)
        fc6, fc7 = (copy.deepcopy(tv_model.classifier[i]).double() for i in (0, 3))
        pool5 = torch.randn(3, 512, 7, 7, generator=g, dtype=torch.float64)
        conv6 = F.conv2d(pool5, model.fc6.weight.double(), model.fc6.bias.double())
        assert conv6.shape == (3, 64, 1, 1)
        torch.testing.assert_close(conv6.flatten(1), fc6(pool5.flatten(1)), rtol=0, atol=1e-5)
        h6 = torch.randn(3, 64, generator=g, dtype=torch.float64)
        conv7 = F.conv2d(h6[:, :, None, None], model.fc7.weight.double(),
                         model.fc7.bias.double())
        torch.testing.assert_close(conv7.flatten(1), fc7(h6), rtol=0, atol=1e-5)
        # the convolutions sit where torchvision has them: pool3 and relu4_3 agree
        img = torch.randn(1, 3, 32, 40, generator=g)
        conv3, conv4, _ = model(img)
        torch.testing.assert_close(conv3, tv_model.features[:17](img), rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(conv4, tv_model.features[:23](img), rtol=1e-4, atol=1e-4)


def test_pretrained_init_cfg_loads_the_converted_file(tv_model, tmp_path):
    """mmengine's Pretrained without prefix loads the file's keys into the backbone itself."""
    converted = convert_vgg16_state_dict(tv_model.state_dict())
    path = str(tmp_path / 'vgg16_dilated.pth')
    torch.save(dict(state_dict=converted), path)
    model = MODELS.build(dict(type='DilatedVGG16', fc_channels=64,
                              init_cfg=dict(type='Pretrained', checkpoint=path)))
    model.init_weights()
    state = model.state_dict()
    assert state.keys() == converted.keys()
    assert all(torch.equal(state[k], v) for k, v in converted.items())


def test_caffe_conversion_rewrites_conv1_for_rgb_normalised_input(tv_model):
    caffe = to_caffe_names(tv_model.state_dict())
    converted = convert_vgg16_state_dict(caffe)  # detected as caffe
    DilatedVGG16(fc_channels=64).load_state_dict(converted, strict=True)
    for key in ('conv1_2.weight', 'conv5_3.bias', 'fc7.bias'):
        assert torch.equal(converted[key], caffe[key])
    assert torch.equal(converted['fc6.weight'], caffe['fc6.weight'].view(64, 512, 7, 7))

    g = torch.Generator().manual_seed(2)
    pixels = torch.rand(2, 3, 20, 24, generator=g, dtype=torch.float64) * 255  # RGB, 0-255
    mean = torch.tensor(IMAGENET_MEAN_RGB, dtype=torch.float64).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD_RGB, dtype=torch.float64).view(1, 3, 1, 1)
    ours_in = (pixels - mean) / std  # what SegDataPreProcessor feeds the network
    caffe_in = pixels.flip(1) - torch.tensor(CAFFE_MEAN_BGR, dtype=torch.float64).view(1, 3, 1, 1)
    w_c, b_c = caffe['conv1_1.weight'].double(), caffe['conv1_1.bias'].double()
    w_o, b_o = converted['conv1_1.weight'].double(), converted['conv1_1.bias'].double()
    assert converted['conv1_1.weight'].dtype == torch.float32
    # exact wherever the window lies inside the image (float32 rounding of the stored weights)
    want = F.conv2d(caffe_in, w_c, b_c)
    torch.testing.assert_close(F.conv2d(ours_in, w_o, b_o), want, rtol=0,
                               atol=1e-5 * want.abs().max().item())
    # with zero padding the one-pixel frame differs by at most |W| . |mean - caffe mean|
    want_p, got_p = F.conv2d(caffe_in, w_c, b_c, padding=1), F.conv2d(ours_in, w_o, b_o, padding=1)
    torch.testing.assert_close(got_p[..., 1:-1, 1:-1], want_p[..., 1:-1, 1:-1], rtol=0,
                               atol=1e-5 * want.abs().max().item())
    shift = (mean - torch.tensor(CAFFE_MEAN_BGR, dtype=torch.float64).flip(0).view(1, 3, 1, 1))
    bound = (w_c.flip(1).abs() * shift.abs()).sum((1, 2, 3)).max().item()
    assert 0 < (got_p - want_p).abs().max().item() <= bound + 1e-6
    # without the channel flip or the std scaling it would not match
    wrong_w, wrong_b = caffe_conv1_to_rgb(w_c.flip(1), b_c)
    assert not torch.allclose(F.conv2d(ours_in, wrong_w, wrong_b), want, atol=1e-2)


def test_caffe_conversion_accepts_convolutional_fc6(tv_model):
    caffe = to_caffe_names(tv_model.state_dict())
    caffe['fc6.weight'] = caffe['fc6.weight'].view(64, 512, 7, 7)
    caffe['fc7.weight'] = caffe['fc7.weight'].view(64, 64, 1, 1)
    del caffe['fc8.weight'], caffe['fc8.bias']
    converted = convert_vgg16_state_dict(caffe, 'caffe')
    assert torch.equal(converted['fc6.weight'], caffe['fc6.weight'])


def test_conversion_errors_name_the_keys(tv_model):
    tv_state = dict(tv_model.state_dict())
    broken = {k: v for k, v in tv_state.items() if k != 'features.28.bias'}
    broken['features.30.weight'] = torch.zeros(1)
    with pytest.raises(ValueError, match=r"missing keys \['features.28.bias'\], unexpected keys "
                       r"\['features.30.weight'\]"):
        convert_vgg16_state_dict(broken)
    with pytest.raises(ValueError, match='missing keys .*conv1_1.weight'):
        convert_vgg16_state_dict(tv_state, 'caffe')
    with pytest.raises(ValueError, match="neither .*'features.0.weight'.*first keys: \\['a'\\]"):
        convert_vgg16_state_dict(dict(a=torch.zeros(1)))
    with pytest.raises(ValueError, match="fmt must be one of .* got 'onnx'"):
        convert_vgg16_state_dict(tv_state, 'onnx')
    bad_fc7 = dict(tv_state, **{'classifier.3.weight': torch.zeros(32, 64)})
    with pytest.raises(ValueError, match=r'classifier.3.weight: expected .*\(64, 64, 1, 1\).*'
                       r'got \(32, 64\)'):
        convert_vgg16_state_dict(bad_fc7)
    bad_conv = dict(tv_state, **{'features.2.weight': torch.zeros(64, 32, 3, 3)})
    with pytest.raises(ValueError, match=r'features.2.weight: expected .*\(64, 64, 3, 3\) for '
                       r'conv1_2'):
        convert_vgg16_state_dict(bad_conv)


def run_tool(*args):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, TOOL, *map(str, args)], capture_output=True,
                          text=True, timeout=300, env=env, cwd=REPO)


def test_cli_end_to_end(tv_model, tmp_path):
    src, dst = tmp_path / 'vgg16.pth', tmp_path / 'out' / 'vgg16_dilated.pth'
    torch.save(tv_model.state_dict(), src)
    out = run_tool(src, dst)
    assert out.returncode == 0, out.stderr[-2000:]
    assert 'dropped the ImageNet classifier fc8' in out.stdout
    assert 'torchvision layout, fc_channels=64' in out.stdout
    ckpt = torch.load(dst, map_location='cpu')
    assert ckpt['meta']['format'] == 'torchvision'
    DilatedVGG16(fc_channels=64).load_state_dict(ckpt['state_dict'], strict=True)
    # wrong layout forced: a clear error naming the file and the keys, no traceback
    bad = run_tool(src, dst, '--format', 'caffe')
    assert bad.returncode != 0 and 'Traceback' not in bad.stderr
    assert str(src) in bad.stderr and "'conv1_1.weight'" in bad.stderr


# ---------------------------------------------------------------- base config
def small_model_cfg(checkpoint=None, num_classes=4):
    """The base config's model at fc width 64, loading ``checkpoint`` (or no Pretrained)."""
    model = copy.deepcopy(Config.fromfile(CONFIG).model)
    seg = model['segmentor']
    assert seg['backbone']['init_cfg']['type'] == 'Pretrained'
    seg['backbone'].update(fc_channels=64, init_cfg=dict(type='Pretrained', checkpoint=checkpoint)
                           if checkpoint else None)
    seg['decode_head'].update(in_channels=64, channels=64, num_classes=num_classes)
    return model


def test_base_config_values():
    cfg = Config.fromfile(CONFIG)
    seg = cfg.model.segmentor
    assert seg.backbone.type == 'DilatedVGG16' and seg.backbone.fc_channels == 4096
    assert seg.backbone.out_indices[-1] == 'fc7'
    assert seg.backbone.init_cfg.checkpoint == 'work_dirs/pretrained/vgg16_dilated_mmseg.pth'
    head = seg.decode_head
    assert (head.type, head.num_convs, head.concat_input, head.in_channels, head.channels,
            head.dropout_ratio, head.num_classes, head.align_corners) == (
                'FCNHead', 0, False, 4096, 4096, 0, 19, False)
    assert 'auxiliary_head' not in seg and seg.test_cfg.mode == 'whole'
    assert seg.data_preprocessor.size_divisor == 8
    assert list(seg.data_preprocessor.mean) == list(IMAGENET_MEAN_RGB)
    assert list(seg.data_preprocessor.std) == list(IMAGENET_STD_RGB)


def test_base_config_builds_loads_converted_weights_and_trains(tv_model, tmp_path):
    path = str(tmp_path / 'vgg16_dilated_mmseg.pth')
    torch.save(dict(state_dict=convert_vgg16_state_dict(tv_model.state_dict())), path)
    cfg = small_model_cfg(checkpoint=path)
    torch.manual_seed(0)
    seg = MODELS.build(cfg['segmentor'])
    seg.init_weights()  # the EncoderDecoder's own init (UDASegmentor's: the test below)
    converted = torch.load(path, map_location='cpu')['state_dict']
    assert all(torch.equal(seg.backbone.state_dict()[k], v) for k, v in converted.items())
    assert type(seg.decode_head).__name__ == 'FCNHead'
    assert isinstance(seg.decode_head.convs, nn.Identity) and seg.decode_head.dropout is None
    assert seg.decode_head.conv_seg.kernel_size == (1, 1)

    data = seg.data_preprocessor(make_batch(n=2, h=33, w=45), True)
    assert data['inputs'].shape[-2:] == (40, 48)  # padded to a multiple of 8
    losses = seg.loss(data['inputs'], data['data_samples'])
    assert torch.isfinite(losses['decode.loss_ce'])
    losses['decode.loss_ce'].backward()
    assert seg.backbone.conv1_1.weight.grad.abs().sum() > 0
    seg.eval()
    with torch.no_grad():
        pred = seg.test_step(make_batch(n=1, h=33, w=45, labels=False))
    assert pred[0].pred_sem_seg.shape == (33, 45)


def test_uda_segmentor_init_weights_loads_the_pretrained_backbone(tv_model, tmp_path):
    """UDASegmentor.init_weights reaches the wrapped segmentor's Pretrained backbone."""
    path = str(tmp_path / 'vgg16_dilated_mmseg.pth')
    converted = convert_vgg16_state_dict(tv_model.state_dict())
    torch.save(dict(state_dict=converted), path)
    model = MODELS.build(dict(small_model_cfg(checkpoint=path), adaptations=PSEUDO))
    model.init_weights()
    assert torch.equal(model.segmentor.backbone.conv1_1.weight, converted['conv1_1.weight'])


def test_global_alignment_reads_fc7(message_hub_iter):
    """FCNs in the Wild GA on the default backbone output (in_index=-1 = fc7)."""
    cfg = small_model_cfg()
    cfg.update(warmup_iters=0, adaptations=dict(ga=dict(
        type='GlobalFeatureAlignment', in_channels=64,
        discriminator=dict(type='FeatureDiscriminator', channels=(8, )))))
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    seen = []
    model.segmentor.backbone.fc7.register_forward_hook(lambda m, i, o: seen.append(o.shape))
    disc = unwrap(model.discriminators)['ga']['features']
    disc.register_forward_pre_hook(lambda m, args: seen.append(('disc', args[0].shape[1])))
    before = snapshot(model.discriminators)
    message_hub_iter(0)
    log_vars = model.train_step(uda_batch(), wrappers(model))
    assert 'adv.ga.loss_confusion_tgt' in log_vars and 'disc.tgt.ga.loss_d' in log_vars
    assert ('disc', 64) in seen
    assert any(not torch.equal(before[k], v) for k, v in model.discriminators.state_dict().items())
