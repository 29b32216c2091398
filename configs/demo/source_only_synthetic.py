# Source-only baseline on the built-in synthetic data: the demo's segmentor as a plain MMSeg
# config (EncoderDecoder, stock OptimWrapper), trained on the source dataset alone (target images
# are not loaded).
_base_ = [
    '../_base_/models/plain/resnet18_tiny_deeplabv2.py',
    '../_base_/datasets/synthetic_uda.py',
    '../_base_/schedules/plain/demo_cpu.py',
    '../_base_/default_runtime.py',
]
train_dataloader = dict(
    _delete_=True,
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset={{_base_.source_train}},
)
model_wrapper_cfg = None  # MMEngine's DDP wrapper, as in MMSeg (default_runtime's is UDA's)
