"""checkpoint_mismatches: what tools/test.py refuses to evaluate."""
from mmseg.registry import MODELS
from mmseg_uda.engine import checkpoint_mismatches
from tests.conftest import output_space_cfg, tiny_model_cfg


def test_uda_checkpoint_fits_and_plain_weights_are_enough():
    model = MODELS.build(tiny_model_cfg(adaptations=output_space_cfg()))
    assert checkpoint_mismatches(model, model.state_dict()) == ([], [], [])
    plain = MODELS.build(tiny_model_cfg()['segmentor'])
    # the discriminators are missing, but inference does not need them
    assert checkpoint_mismatches(model, plain.state_dict()) == ([], [], [])


def test_other_class_count_and_missing_weights_are_named():
    model = MODELS.build(tiny_model_cfg(num_classes=4, adaptations=output_space_cfg()))
    other = MODELS.build(tiny_model_cfg(num_classes=11)['segmentor']).state_dict()
    missing, shapes, unexpected = checkpoint_mismatches(model, other)
    assert missing == [] and unexpected == []
    assert shapes and all('(11,' in line and '(4,' in line for line in shapes)
    partial = {k: v for k, v in other.items() if 'decode_head' not in k}
    missing, _, _ = checkpoint_mismatches(model, partial)
    assert missing and all('decode_head' in k for k in missing)


def test_uda_checkpoint_on_a_plain_segmentor():
    uda = MODELS.build(tiny_model_cfg(adaptations=output_space_cfg())).state_dict()
    plain = MODELS.build(tiny_model_cfg()['segmentor'])
    missing, shapes, unexpected = checkpoint_mismatches(plain, uda)
    assert set(missing) == set(plain.state_dict())
    assert any(k.startswith('generator.segmentor.') for k in unexpected)
    assert shapes == []
