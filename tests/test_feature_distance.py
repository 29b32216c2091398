"""DAFormer's ImageNet feature distance: the label down-scaling, the thing-class mask, and the
frozen copy of the initial network."""
import pytest
import torch
from mmengine.structures import PixelData

from mmseg.registry import MODELS
from mmseg_uda.models.adaptation.feature_distance import downscale_label_ratio
from tests.conftest import make_batch, tiny_model_cfg
from tests.test_dacs import optimizers


def test_downscale_label_ratio_majority_and_min_ratio():
    labels = torch.tensor([[[1, 1, 2, 2],
                            [1, 1, 0, 255],
                            [3, 3, 255, 255],
                            [3, 0, 255, 2]]])
    out = downscale_label_ratio(labels, 2, min_ratio=0.75, num_classes=4)
    assert out.tolist() == [[[1, 255], [3, 255]]]  # under 3/4 of the cell: ignored
    assert downscale_label_ratio(labels, 2, 0.5, 4).tolist() == [[[1, 2], [3, 255]]]
    with pytest.raises(ValueError, match='scale_factor must be > 1'):
        downscale_label_ratio(labels, 1, 0.5, 4)


def build(**kwargs):
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg(adaptations=dict(fd=dict(
        type='ImageNetFeatureDistance', **kwargs))))
    model.init_weights()
    return model


def test_copy_keeps_the_initial_weights():
    model = build(classes=[1])
    fd = model.generator.adaptations.fd
    student = model.segmentor.state_dict()
    assert all(torch.equal(v, student[k]) for k, v in fd.imnet.state_dict().items())
    assert not any(p.requires_grad for p in fd.imnet.parameters())
    initial = {k: v.clone() for k, v in fd.imnet.state_dict().items()}
    model.train_step(dict(source=make_batch(), target=make_batch(labels=False)),
                     optimizers(model))
    assert not all(torch.equal(v, model.segmentor.state_dict()[k]) for k, v in initial.items())
    # load_from a plain segmentor checkpoint: the student changes, the copy does not
    other = MODELS.build(tiny_model_cfg()['segmentor']).state_dict()
    model.load_state_dict(other, strict=False)
    assert all(torch.equal(v, initial[k]) for k, v in fd.imnet.state_dict().items())
    with pytest.raises(ValueError, match=r'classes \[9\] are not class ids'):
        build(classes=[9])


def test_distance_only_on_cells_of_the_chosen_classes():
    model = build(classes=[1], scale_min_ratio=0.75, loss_weight=0.5)
    fd = model.generator.adaptations.fd
    with torch.no_grad():  # make the student differ from the copy
        for p in model.segmentor.backbone.parameters():
            p.add_(0.05 * torch.randn_like(p))
    batch = model.data_preprocessor(make_batch(2, 32, 48), True)
    samples = batch['data_samples']
    for sample in samples:
        label = torch.zeros(1, 32, 48, dtype=torch.long)
        label[:, :, :16] = 1  # class 1 on the left third
        sample.gt_sem_seg = PixelData(data=label)
    outputs = model.generator.segmentor_outputs(batch['inputs'], False)
    losses, _ = fd(outputs, samples, 'source')
    feat = outputs['features'][-1]
    with torch.no_grad():
        ref = fd.imnet.extract_feat(batch['inputs'])[-1]
    scale = 48 // feat.shape[-1]
    dist = torch.norm(feat - ref, dim=1)
    want = dist[:, :, :16 // scale].mean()
    torch.testing.assert_close(losses['loss_imnet_feat_dist'], 0.5 * want)
    for sample in samples:  # no cell of class 1: zero, with a gradient path
        sample.gt_sem_seg = PixelData(data=torch.zeros(1, 32, 48, dtype=torch.long))
    zero = fd(outputs, samples, 'source')[0]['loss_imnet_feat_dist']
    assert zero.item() == 0 and zero.requires_grad
    assert fd(outputs, samples, 'target') == ({}, {})
