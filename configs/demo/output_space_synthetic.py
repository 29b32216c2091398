# Output-space adaptation (AdaptSegNet, single level) on the built-in synthetic data, same model,
# schedule and number of iterations as source_only_synthetic.py.
# Model, schedule, warm-up and adaptation: ../_base_/adaptations/tsai2018_resnet18_tiny.py.
_base_ = [
    '../_base_/adaptations/tsai2018_resnet18_tiny.py',
    '../_base_/datasets/synthetic_uda.py',
]
